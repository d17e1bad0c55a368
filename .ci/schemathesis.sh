#!/usr/bin/env bash
# Property-based API testing: schemathesis (pinned) generates requests from the server's own
# /api/v1/openapi.json and checks every response: no 5xx, status codes, content types and
# bodies as documented. Runs a --dev server on a free loopback port with its admin token.
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5
target=$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
venv="$target/schemathesis-venv"
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

cargo build -q -p chat-server-min
bin="$target/debug/chat-server-min"
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# --dev seeds a demo account and prints its tokens (it generates its own secrets and refuses
# configured ones); rate limits out of the way: schemathesis is one very busy user.
env -u CHAT_JWT_SECRET -u CHAT_SERVICE_TOKEN -u CHAT_DB -u CHAT_ADDR \
    "$bin" --dev --addr "127.0.0.1:$port" --db "$work/st.db" \
    --rate-user-per-sec 1000000 --rate-user-burst 1000000 \
    --rate-account-per-sec 1000000 --rate-account-burst 1000000 >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 200); do
    curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    kill -0 "$server" 2>/dev/null || { cat "$work/server.log"; exit 1; }
    sleep 0.1
done
admin=$(sed -n "s/^export ADMIN='\([^']*\)'.*/\1/p" "$work/server.log")
[ -n "$admin" ] || { echo "no admin token in the --dev output"; cat "$work/server.log"; exit 1; }

"$venv/bin/schemathesis" --config-file chat-server-min/schemathesis.toml run \
    --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-50}" \
    -H "Authorization: Bearer $admin" \
    "http://127.0.0.1:$port/api/v1/openapi.json"
