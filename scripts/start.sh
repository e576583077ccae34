#!/usr/bin/env bash
# Starts the box office: README command 1.
#
#   ./scripts/start.sh        # embedded: SQLite under data/, demo event, http://localhost:3001
#
# Any configuration comes from the environment (see README: PORT, DATABASE_URL, REDIS_URL,
# JWT_SECRET, ...). Builds the web app (npm) and the server (cargo, release) first.
set -euo pipefail
cd "$(dirname "$0")/.."

have() { command -v "$1" >/dev/null 2>&1; }
have cargo || { echo "start.sh: cargo is missing: install Rust (https://rustup.rs)" >&2; exit 1; }

if [ -f web/package.json ]; then
  if ! have node || ! have npm; then
    if [ "$(id -u)" = 0 ] && have apt-get; then
      echo "start.sh: installing Node.js (nodejs, npm) with apt"
      DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
    else
      echo "start.sh: node and npm are needed to build the web app: apt-get install nodejs npm" >&2
      exit 1
    fi
  fi
  if [ ! -d web/node_modules ] || [ web/package-lock.json -nt web/node_modules ]; then
    (cd web && npm ci --no-audit --no-fund --loglevel=error)
  fi
  (cd web && npm run build)
fi

echo "start.sh: building the server; then Boxoffice runs on http://localhost:${PORT:-3001} (Ctrl-C stops it)"
exec cargo run --release --quiet --bin boxoffice -- "$@"
