#!/usr/bin/env bash
# Waiting-room joins per second measured with wrk (distinct users), one instance with Redis,
# two server builds side by side, alternating rounds.
#
#   bench/joins-wrk.sh OLD_BINARY NEW_BINARY [ROUNDS]
#
# Each run starts the build on a free loopback port with the Redis line (a fresh PostgreSQL
# database, a private Redis prefix, SHOP_RATE_PER_USER=0), creates an event of capacity
# $CAPACITY (1000: the first thousand joiners are admitted, everyone after waits in line),
# runs `wrk -t$THREADS -c$CONNECTIONS -d$SECONDS -s bench/joins.lua` (defaults 2, 64, 10 s)
# where every request is a join by a user not seen before, then stops the server and deletes
# its database and keys. Prints one line per run and the medians. wrk and the server share
# the machine's cores. Loopback only, bounded (ROUNDS x 2 runs of $SECONDS).
set -euo pipefail
old=$1 new=$2 rounds=${3:-3}
threads=${THREADS:-2} connections=${CONNECTIONS:-64} seconds=${SECONDS_PER_RUN:-10}
capacity=${CAPACITY:-1000} users=${USERS:-1200000}
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$here/bench/lib.sh"
load=${LOAD_BIN:-$here/target/release/boxoffice-load}
secret=bench-secret-bench-secret-bench-secret-01
pg=${BOXOFFICE_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
redis=${BOXOFFICE_TEST_REDIS_URL:-redis://127.0.0.1:6379}
work=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Distinct users for a whole run, dealt to the wrk threads (minted once: every run has its
# own database and Redis prefix, so the same users are new to each server).
"$load" --jwt-secret "$secret" tokens --users "$users" --files "$threads" --out "$work/tokens"

run() { # binary label
  local bin=$1 label=$2 port db prefix out event
  port=$(free_port)
  db="bo_joins_$RANDOM$RANDOM"
  prefix="bo-joins-$db"
  psql "$pg" -qc "CREATE DATABASE $db" >/dev/null
  DATABASE_URL="${pg%/*}/$db" REDIS_URL="$redis" REDIS_PREFIX="$prefix" HOST=127.0.0.1 \
    PORT="$port" JWT_SECRET="$secret" SEED_DEMO=false SHOP_RATE_PER_USER=0 RUST_LOG=error \
    "$bin" >"$work/$label.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/api/health" >/dev/null && break; sleep 0.1; done
  event=$("$load" --url "http://127.0.0.1:$port" --jwt-secret "$secret" join-event --capacity "$capacity")
  out=$(JOINS_TOKENS="$work/tokens" JOINS_EVENT="$event" \
    wrk --latency -t"$threads" -c"$connections" -d"${seconds}s" -s "$here/bench/joins.lua" "http://127.0.0.1:$port" 2>&1)
  kill "$pid"; wait "$pid" 2>/dev/null || true
  pid=
  redis-cli -u "$redis" --scan --pattern "$prefix*" | xargs -r -n 500 redis-cli -u "$redis" DEL >/dev/null
  psql "$pg" -qc "DROP DATABASE $db" >/dev/null
  echo "$out" >"$work/$label.wrk"
  local rate p50 p99 check
  rate=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2; exit}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2; exit}' <<<"$out")
  check=$(grep '^joins-lua:' <<<"$out")
  if ! grep -q ' 0 token wraps (re-joins), 0 non-2xx, 0 socket errors' <<<"$check"; then
    echo "$out" >&2
    echo "run of $label was not clean: $check" >&2
    exit 1
  fi
  echo "$label $rate (latency p50 $p50, p99 $p99; $check)"
}

alternate "$rounds" "$old" "$new" run
echo "median joins/s (wrk -t$threads -c$connections -d${seconds}s, Redis line, $rounds rounds): old $old_median, new $new_median, new/old $(echo "scale=3; $new_median/$old_median" | bc)"
