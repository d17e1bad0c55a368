#!/usr/bin/env bash
# The browser tests (web/tests/browser): Debian's Chromium, installed here when missing (no
# test downloads a browser of its own), playwright-core and axe-core from web/package-lock.json,
# against the debug server binary in dev mode on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    sudo apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
fi
cargo build -q -p chat-server-min
(cd web && npm ci --no-audit --no-fund >/dev/null && npm run test:browser)
