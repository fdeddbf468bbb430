#!/bin/sh
# Property-based fuzzing of /api/v1 from its served OpenAPI document with schemathesis (PyPI):
# no 5xx and no response that breaks the documented schema. Installs schemathesis into a local
# virtualenv under .cache/ on first use, starts a throwaway server (embedded chDB, in-process bus),
# runs, stops the server. Usage: npm run test:api-fuzz [-- extra schemathesis options]
set -eu
cd "$(dirname "$0")/../.."
venv=.cache/schemathesis-venv
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "4.32.5"; then
  echo "installing schemathesis into $venv"
  python3 -m venv "$venv" || { echo "needs python3 with the venv module (apt-get install python3-venv)" >&2; exit 2; }
  "$venv/bin/pip" install --quiet "schemathesis==4.32.5"
fi
npx tsc -b apps/cli
log=$(mktemp)
# In a process group of its own (setsid), so stopping it stops npx's tsx and node children too.
setsid npx tsx test/api/schemathesis-server.ts > "$log" 2>&1 &
server=$!
trap 'kill -- -"$server" 2>/dev/null || true; rm -f "$log"' EXIT
i=0
until grep -q '^http' "$log"; do
  i=$((i + 1))
  if [ "$i" -gt 120 ] || ! kill -0 "$server" 2>/dev/null; then
    echo "the test server did not start:" >&2
    cat "$log" >&2
    exit 1
  fi
  sleep 0.5
done
url=$(grep -m1 '^http' "$log")
echo "fuzzing $url/docs/openapi.json"
"$venv/bin/schemathesis" run "$url/docs/openapi.json" \
  --url "$url" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --max-examples "${MAX_EXAMPLES:-40}" \
  --header 'Authorization: Bearer schemathesis-token' \
  --generation-deterministic \
  "$@"
