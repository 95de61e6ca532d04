#!/usr/bin/env bash
# `make contract` (CI runs it): the API contract checked against a live server.
# Serves the app as `make run` does on a free port with its own scratch VAR_DIR
# (scripts/serve_lib.sh), then:
#  1. schemathesis against the live /api/schema/ in `--mode all` with the checks
#     not_a_server_error, status_code_conformance, content_type_conformance and
#     response_schema_conformance, once anonymous and once as a verified user (an app
#     session token made in `manage.py shell`); fixed seed and example counts, so the run
#     is deterministic and bounded (SCHEMATHESIS_EXAMPLES, default 4 per operation);
#  2. TypeScript: types generated from the same live schema with openapi-typescript, and
#     contract/src/model-page.ts type-checked with `tsc --strict` (contract/, npm ci from
#     the lockfile).
# Only our own API (/api/v1/) is fuzzed: allauth's routes answer in allauth's documented
# format, which is allauth's contract, not ours.
set -euo pipefail
cd "$(dirname "$0")/.."
ST=.venv/bin/schemathesis
EXAMPLES="${SCHEMATHESIS_EXAMPLES:-4}"
SERVE_NAME=contract
# shellcheck source=scripts/serve_lib.sh
source scripts/serve_lib.sh  # serves as `make run` does, see there
serve_require npm

# The embedded defaults of `make run` (SQLite, filesystem broker), throttles raised so that
# the fuzzer's thousands of requests test the operations rather than the rate limits (429 is
# still documented on every operation and checked whenever it happens).
SERVER_ENV+=(DEBUG=false THROTTLE_ANON=100000/min THROTTLE_USER=100000/min)
serve_start
curl -fsS "$BASE/api/schema/?format=json" -o "$VAR/schema.json"

# A verified account and an app session token for it (what allauth's app login issues).
TOKEN=$("${SERVER_ENV[@]}" $PY manage.py shell -c '
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
user = get_user_model().objects.create_user("contract", "contract@example.com", "Contract-check-2026")
EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
client = Client()
client.force_login(user)
print(client.cookies[settings.SESSION_COOKIE_NAME].value)
' | tail -n 1)

fuzz() {
  local who=$1
  shift
  echo "contract: schemathesis ($who)"
  $ST run "$BASE/api/schema/?format=json" --mode all \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --include-path-regex '^/api/v1/' --phases examples,coverage,fuzzing \
    --max-examples "$EXAMPLES" --seed 20261202 --workers 1 --no-shrink \
    --request-timeout 30 --warnings off "$@"
}
# The second run must really be signed in and verified (else it would repeat the first).
code=$(curl -s -o "$VAR/me.json" -w '%{http_code}' -H "X-Session-Token: $TOKEN" "$BASE/api/v1/me/")
[ "$code" = 200 ] || { echo "contract: the verified user's token got $code" >&2; exit 1; }
grep -q '"email_verified": *true' "$VAR/me.json" || { cat "$VAR/me.json" >&2; exit 1; }

# The two runs at once (the server is threaded): the wall time of one.
fuzz anonymous >"$VAR/anonymous.txt" 2>&1 &
ANON_PID=$!
fuzz "verified user" --header "X-Session-Token: $TOKEN" >"$VAR/verified.txt" 2>&1 &
USER_PID=$!
status=0
wait "$ANON_PID" || status=1
wait "$USER_PID" || status=1
for run in anonymous verified; do
  echo "---- schemathesis, $run ----"
  sed -n '/FAILURES/,$p' "$VAR/$run.txt" | head -n 200
  grep -E "generated|passed|failed" "$VAR/$run.txt" | tail -n 3
done
[ "$status" -eq 0 ] || { echo "contract: schemathesis found failures" >&2; exit 1; }

echo "contract: TypeScript types from the live schema, tsc --strict"
(cd contract && npm ci --no-audit --no-fund --loglevel=error)
cp "$VAR/schema.json" contract/schema.json
(cd contract && npx --no-install openapi-typescript schema.json -o src/api.d.ts && npx --no-install tsc -p tsconfig.json)
echo "contract: OK"
