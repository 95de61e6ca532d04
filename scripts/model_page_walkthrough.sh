#!/usr/bin/env bash
# Issue 21's acceptance against a running `make run` server: o4-mini's page from imported
# data (tagline, verdict, FAQ, price tier, availability, quick start), then a handful of
# reviews with overlapping pros, verified by a moderator, and the most cited strength with
# its count and links once the rating pipeline has drawn it.
#   bash scripts/model_page_walkthrough.sh [BASE_URL] [VAR_DIR]
# (defaults http://127.0.0.1:8000 and var, as under `make run`; VAR_DIR must be the server's:
# the moderator is granted with manage.py on its database, mail is read from VAR_DIR/mail).
set -euo pipefail
cd "$(dirname "$0")/.."
B="${1:-http://127.0.0.1:8000}"
export VAR_DIR="${2:-var}"
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-config.settings.local}"
PY=.venv/bin/python
J='Content-Type: application/json'
RUN="$(date +%s)-$$"
M=/api/v1/models/openai/o4-mini

fail() { echo "walkthrough: FAILED: $*" >&2; exit 1; }
jq_() { "$PY" -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# signup NAME: an account with a verified address; prints its session token
signup() {
  local email="$1-$RUN@example.org" key="" file=""
  local token
  token=$(curl -sS -XPOST "$B/_allauth/app/v1/auth/signup" -H "$J" \
    -d "{\"email\": \"$email\", \"password\": \"a long unusual passphrase $RUN\"}" \
    | jq_ "d['meta']['session_token']")
  for _ in $(seq 1 60); do
    file=$(grep -l "To: $email" "$VAR_DIR"/mail/*.log 2>/dev/null | tail -1 || true)
    [ -n "$file" ] && key=$(grep -ho 'verify-email/[^ ]*' "$file" | tail -1 | cut -d/ -f2 | sed 's/%3A/:/g')
    [ -n "$key" ] && break
    sleep 1
  done
  [ -n "$key" ] || fail "no verification mail to $email"
  curl -sS -XPOST "$B/_allauth/app/v1/auth/email/verify" -H "$J" -H "X-Session-Token: $token" \
    -d "{\"key\": \"$key\"}" | jq_ "d['meta']['session_token']"
}

echo "== o4-mini's page from imported data"
curl -sS "$B$M/" | jq_ "json.dumps({k: d[k] for k in ('overview', 'price_tier', 'availability')}, indent=1)"
curl -sS "$B$M/cost/?input_tokens=1000000&output_tokens=1000000&route=azure/eu" | jq_ "(d['route'], d['total'], d['price']['source'], d['price']['as_of'])"

echo "== four reviews with overlapping pros, verified by a moderator"
MOD_TOKEN=$(signup moderator)
$PY manage.py grant_moderator "moderator-$RUN@example.org" >/dev/null
PROS=("Fast responses, cheap" "Very fast responses; good at code" "fast response times" "Cheap and fast responses")
CONS=("Hallucinates APIs" "hallucinates an API now and then" "Small context" "Hallucinates APIs sometimes")
for i in 0 1 2 3; do
  token=$(signup "reviewer$i")
  resp=$(curl -sS -XPOST "$B$M/reviews/" -H "$J" -H "X-Session-Token: $token" -d "{
    \"stars\": 4, \"title\": \"Review $i of a long run\", \"use_cases\": [\"coding\"],
    \"body\": \"Used it for months of code review through the API ($i); it was mostly right and rarely slow.\",
    \"pros\": \"${PROS[$i]}\", \"cons\": \"${CONS[$i]}\"}")
  id=$(echo "$resp" | jq_ "d.get('id') or sys.exit(chr(10).join([\"review refused:\", json.dumps(d)]))")
  status=$(curl -sS -o /dev/null -w '%{http_code}' -XPOST "$B/api/v1/moderation/reviews/$id/verify/" \
    -H "$J" -H "X-Session-Token: $MOD_TOKEN" -d '{}')
  [ "$status" = 200 ] || fail "verify $id: HTTP $status"
done

# Four new accounts reviewing one model at once is a surge (README "Rating integrity"): their
# reviews are held out of the rating until a moderator releases them, as here.
for surge in $(curl -sS "$B/api/v1/moderation/surges/?state=open" -H "X-Session-Token: $MOD_TOKEN" \
    | jq_ "' '.join(str(s['id']) for s in d['results'])"); do
  curl -sS -o /dev/null -XPOST "$B/api/v1/moderation/surges/$surge/release/" -H "$J" \
    -H "X-Session-Token: $MOD_TOKEN" -d '{"note": "walkthrough reviewers"}'
done

echo "== what reviewers say, once the rating pipeline has drawn it"
for _ in $(seq 1 60); do
  body=$(curl -sS "$B$M/")
  # all four counted (a server that had reviews of o4-mini before shows more)
  [ "$(echo "$body" | jq_ "d['from_reviews']['review_count'] >= 4")" = True ] && break
  sleep 1
done
echo "$body" | jq_ "json.dumps(d['from_reviews'], indent=1)"
