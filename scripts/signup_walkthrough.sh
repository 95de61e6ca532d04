#!/usr/bin/env bash
# The README's walk-through from sign-up to a first review, against a running server:
#   bash scripts/signup_walkthrough.sh [BASE_URL] [MAIL_DIR]
# (defaults http://127.0.0.1:8000 and var/mail, as under `make run`). Each step checks its
# answer and the script stops with a message at the first surprise. CI runs it
# (scripts/ci_walkthrough.sh) against a fresh `make run` server.
set -euo pipefail

B="${1:-http://127.0.0.1:8000}"
MAIL_DIR="${2:-var/mail}"
PY="${PYTHON:-python3}"
J='Content-Type: application/json'
EMAIL="walkthrough-$(date +%s)-$$@example.org"
PASSWORD="a long unusual passphrase $$"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

fail() { echo "walkthrough: FAILED: $*" >&2; exit 1; }
step() { echo "walkthrough: $*"; }

# call METHOD PATH [TOKEN] [BODY]: the status on stdout, body in $WORK/body, headers in $WORK/headers
call() {
  local method=$1 path=$2 token=${3:-} body=${4:-}
  local args=(-sS -o "$WORK/body" -D "$WORK/headers" -w '%{http_code}' -X "$method" -H "$J")
  [ -n "$token" ] && args+=(-H "X-Session-Token: $token")
  [ -n "$body" ] && args+=(-d "$body")
  curl "${args[@]}" "$B$path" || fail "$method $path: no answer from $B"
}
# json EXPRESSION: evaluate a Python expression on the last body (as `d`)
json() { "$PY" -c "import json,sys; d=json.load(open(sys.argv[1])); print($1)" "$WORK/body"; }
expect() {
  [ "$1" = "$2" ] || fail "$3: HTTP $1, expected $2: $(head -c 600 "$WORK/body")"
}

step "1. sign up as $EMAIL"
status=$(call POST /_allauth/app/v1/auth/signup "" \
  "{\"email\": \"$EMAIL\", \"password\": \"$PASSWORD\", \"display_name\": \"Walk Through\"}")
expect "$status" 401 "sign-up (verification pending)"
[ "$(json "[f['id'] for f in d['data']['flows'] if f.get('is_pending')]")" = "['verify_email']" ] \
  || fail "sign-up: verify_email is not the pending flow"
SIGNUP_TOKEN=$(json "d['meta']['session_token']")

step "2. read the verification key from the mail in $MAIL_DIR"
KEY=""
for _ in $(seq 1 60); do
  file=$(grep -l "To: $EMAIL" "$MAIL_DIR"/*.log 2>/dev/null | tail -1 || true)
  if [ -n "$file" ]; then
    # the link is FRONTEND_URL/account/verify-email/<key>, the key URL-encoded (%3A is :)
    KEY=$(grep -ho 'verify-email/[^ ]*' "$file" | tail -1 | cut -d/ -f2 | sed 's/%3A/:/g')
    [ -n "$KEY" ] && break
  fi
  sleep 1
done
[ -n "$KEY" ] || fail "no verification mail to $EMAIL in $MAIL_DIR within 60 s"
grep -q "^Hello Walk Through," "$file" || fail "the mail does not greet by the chosen name"

step "3. verify the address with the sign-up's token: signed in, with a NEW token"
status=$(call POST /_allauth/app/v1/auth/email/verify "$SIGNUP_TOKEN" "{\"key\": \"$KEY\"}")
expect "$status" 200 "verification"
TOKEN=$(json "d['meta']['session_token']")
[ "$(json "d['meta']['is_authenticated']")" = "True" ] || fail "verification did not sign in"
[ -n "$TOKEN" ] && [ "$TOKEN" != "$SIGNUP_TOKEN" ] || fail "verification returned no new token"
status=$(call GET /api/v1/me/ "$SIGNUP_TOKEN")
expect "$status" 401 "the sign-up's token after verification (replaced)"

step "4. /api/v1/me/ with the new token"
status=$(call GET /api/v1/me/ "$TOKEN")
expect "$status" 200 "me"
[ "$(json "d['email_verified']")" = "True" ] || fail "me: email_verified is not true"

step "5. write a first review of openai/o4-mini"
status=$(call POST /api/v1/models/openai/o4-mini/reviews/ "$TOKEN" '{
  "stars": 4, "title": "Fast, cheap, mostly right",
  "body": "Three months of code review through the API: fast, cheap and right most of the time.",
  "sub_ratings": {"quality": 4, "speed": 5}, "use_cases": ["coding"],
  "usage": {"channel": "api", "months": 3}}')
expect "$status" 201 "review"
[ "$(json "d['status']")" = "pending" ] || fail "review: not pending"
LOCATION=$(tr -d '\r' <"$WORK/headers" | sed -n 's/^[Ll]ocation: //p')
[ -n "$LOCATION" ] || fail "review: 201 without Location"

step "6. read it back at its Location"
status=$(curl -sS -o "$WORK/body" -w '%{http_code}' -H "X-Session-Token: $TOKEN" "$LOCATION")
expect "$status" 200 "review at $LOCATION"
[ "$(json "d['viewer']['is_author']")" = "True" ] || fail "review: viewer.is_author is not true"

step "done: signed up, verified, and wrote a first review ($LOCATION)"
