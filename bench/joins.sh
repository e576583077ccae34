#!/usr/bin/env bash
# Waiting-room joins per second, two server builds side by side, alternating rounds.
#
#   bench/joins.sh OLD_BINARY NEW_BINARY [ROUNDS] [memory|redis]
#
# Each round starts each build on a free loopback port (embedded line, or Redis line on a
# private PostgreSQL database and Redis prefix), runs `boxoffice-load joins --users 50000
# --concurrency 128 --capacity 1000` against it and stops it. Prints one line per run and the
# medians. Loopback only, bounded (50,000 joins per run).
set -euo pipefail
old=$1 new=$2 rounds=${3:-3} mode=${4:-memory}
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$here/bench/lib.sh"
load=${LOAD_BIN:-$here/target/release/boxoffice-load}
secret=bench-secret-bench-secret-bench-secret-01
pg=${BOXOFFICE_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
redis=${BOXOFFICE_TEST_REDIS_URL:-redis://127.0.0.1:6379}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

run() { # binary label
  local bin=$1 label=$2 port db env=()
  port=$(free_port)
  if [ "$mode" = redis ]; then
    db="bench_joins_$RANDOM$RANDOM"
    psql "$pg" -qc "CREATE DATABASE $db" >/dev/null
    env=(DATABASE_URL="${pg%/*}/$db" REDIS_URL="$redis" REDIS_PREFIX="bench-$db")
  else
    env=(DATABASE_URL="sqlite://$work/$label-$port.db" DATA_DIR="$work")
  fi
  env -u REDIS_URL "${env[@]}" HOST=127.0.0.1 PORT="$port" JWT_SECRET="$secret" SEED_DEMO=false \
    SHOP_RATE_PER_USER=0 RUST_LOG=error "$bin" >"$work/$label.log" 2>&1 &
  local pid=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/api/health" >/dev/null && break; sleep 0.1; done
  local out
  out=$("$load" --url "http://127.0.0.1:$port" --jwt-secret "$secret" joins --users 50000 --concurrency 128 --capacity 1000 2>&1)
  kill "$pid"; wait "$pid" 2>/dev/null || true
  if [ "$mode" = redis ]; then
    redis-cli -u "$redis" --scan --pattern "bench-$db*" | xargs -r -n 500 redis-cli -u "$redis" DEL >/dev/null
    psql "$pg" -qc "DROP DATABASE $db" >/dev/null
  fi
  local rate
  rate=$(grep -oE '[0-9]+ joins/s' <<<"$out" | grep -oE '^[0-9]+' | head -1)
  echo "$label $rate"
}

alternate "$rounds" "$old" "$new" run "joins/s ($mode)"
echo "median joins/s ($mode, $rounds rounds): old $old_median, new $new_median, new/old $(echo "scale=3; $new_median/$old_median" | bc)"
