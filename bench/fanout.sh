#!/usr/bin/env bash
# Socket.IO fan-out, Boxoffice against the original design's Node stack, alternating rounds.
#
#   bench/fanout.sh                        # CLIENTS="1000 5000 10000 20000" ROUNDS=3
#   CLIENTS="1000 5000" ROUNDS=1 bench/fanout.sh
#
# Builds nothing: takes target/release/boxoffice and target/release/boxoffice-load (run
# `cargo build --release` first) and the peer in ../shared/peers/node-seed (`npm ci` there
# once). For each client count and round it runs `boxoffice-load fanout` against 2 fresh
# Boxoffice release instances (PostgreSQL database of this run, Redis with this run's prefix),
# then against 2 fresh node-seed instances on the same Redis, and so on, alternating; each
# run's JSON line goes to bench/results/fanout-<date>.jsonl (with the run's session id), and
# the medians per (target, clients) and the Boxoffice/peer ratios are printed at the end,
# then the chart (bench/chart.sh) is drawn unless CHART=0.
#
# Settings (environment): CLIENTS, ROUNDS, PURCHASES (40), SPACING_MS (250), BURST (0), RESULTS,
# PUSH_BATCH_MS (server default when unset), BOXOFFICE_TEST_PG_URL, BOXOFFICE_TEST_REDIS_URL.
# TARGETS (default "boxoffice peer") picks what alternates; the target `baseline` is another
# Boxoffice build, BASELINE_BIN (an older commit's release binary), run exactly like
# `boxoffice` and recorded as target "baseline": e.g. TARGETS="boxoffice baseline" BURST=500
# compares two builds' burst cost. The medians table compares boxoffice with peer only.
# Loopback only; every server is stopped, the database dropped and the Redis keys deleted on
# exit. Each Boxoffice socket is a distinct user, as in real life (MAX_SOCKETS_PER_USER stays
# at its default).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$here/bench/lib.sh"
bo=${BOXOFFICE_BIN:-$here/target/release/boxoffice}
load=${LOAD_BIN:-$here/target/release/boxoffice-load}
peer_dir=${PEER_DIR:-$here/../shared/peers/node-seed}
pg=${BOXOFFICE_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
redis=${BOXOFFICE_TEST_REDIS_URL:-redis://127.0.0.1:6379}
clients=${CLIENTS:-1000 5000 10000 20000}
rounds=${ROUNDS:-3}
purchases=${PURCHASES:-40}
spacing=${SPACING_MS:-250}
burst=${BURST:-0}
targets=${TARGETS:-boxoffice peer}
baseline=${BASELINE_BIN:-}
secret=bench-secret-bench-secret-bench-secret-fanout
session=$(date -u +%Y%m%dT%H%M%SZ)-$RANDOM
results=${RESULTS:-$here/bench/results/fanout-$(date -u +%Y-%m-%d).jsonl}
db=bo_fanout_$RANDOM$RANDOM
prefix=bo-fanout-$db
redis_host=$(sed -E 's#^redis://([^:/]+).*#\1#' <<<"$redis")
redis_port=$(sed -E 's#^redis://[^:/]+:?([0-9]*).*#\1#' <<<"$redis")
redis_port=${redis_port:-6379}

if [[ " $targets " == *" baseline "* ]] && [ ! -x "$baseline" ]; then
  echo "TARGETS has baseline: set BASELINE_BIN to a Boxoffice release binary" >&2; exit 1
fi
for f in "$bo" "$load"; do [ -x "$f" ] || { echo "missing $f: cargo build --release" >&2; exit 1; }; done
[ -d "$peer_dir/node_modules" ] || { echo "run npm ci in $peer_dir first" >&2; exit 1; }
# Servers and client inherit this: one socket is one descriptor on each side. Raising the hard
# limit needs CAP_SYS_RESOURCE; without it the soft limit goes as high as the hard one, and
# boxoffice-load says so when it must open fewer sockets than asked.
ulimit -Hn 65536 2>/dev/null || true
ulimit -n "$(ulimit -Hn)"
echo "open files limit: $(ulimit -n); session $session; results in $results"

work=$(mktemp -d)
pids=()
stop_servers() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
}
cleanup() {
  stop_servers
  psql "$pg" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  redis-cli -u "$redis" --scan --pattern "$prefix*" | xargs -r -n 500 redis-cli -u "$redis" DEL >/dev/null
  # The peer keeps its stock counters under unprefixed keys named after the event.
  redis-cli -u "$redis" --scan --pattern "stock:bo-fanout-*" | xargs -r -n 500 redis-cli -u "$redis" DEL >/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
psql "$pg" -qc "CREATE DATABASE $db" >/dev/null
dburl="${pg%/*}/$db"
mkdir -p "$(dirname "$results")"

wait_http() { # url
  for _ in $(seq 200); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done
  echo "no answer from $1" >&2; return 1
}

# Starts 2 instances of the target; sets urls and spids.
start() { # boxoffice|peer
  urls=() spids=()
  for i in 1 2; do
    local port; port=$(free_port)
    if [ "$1" = boxoffice ] || [ "$1" = baseline ]; then
      local bin=$bo; [ "$1" = baseline ] && bin=$baseline
      env HOST=127.0.0.1 PORT="$port" DATABASE_URL="$dburl" REDIS_URL="$redis" REDIS_PREFIX="$prefix" \
        JWT_SECRET="$secret" SEED_DEMO=false SHOP_RATE_PER_USER=0 DRAIN_SECONDS=0 RUST_LOG=warn \
        ${PUSH_BATCH_MS:+PUSH_BATCH_MS=$PUSH_BATCH_MS} "$bin" >>"$work/$1-$i.log" 2>&1 &
    else
      (cd "$peer_dir" && exec env PORT="$port" JWT_SECRET="$secret" REDIS_HOST="$redis_host" \
        REDIS_PORT="$redis_port" node server.js >>"$work/peer-$i.log" 2>&1) &
    fi
    pids+=($!) spids+=($!) urls+=(--url "http://127.0.0.1:$port")
    if [ "$1" != peer ]; then wait_http "http://127.0.0.1:$port/api/health"; else wait_http "http://127.0.0.1:$port/socket.io/?EIO=4&transport=polling"; fi
  done
}

run() { # target clients round
  start "$1"
  local extra=() line
  [ "$1" = peer ] && extra=(--peer)
  if line=$(RUST_BACKTRACE=0 "$load" "${urls[@]}" --jwt-secret "$secret" fanout "${extra[@]}" --clients "$2" \
      --purchases "$purchases" --spacing-ms "$spacing" --burst "$burst" \
      --server-pids "$(IFS=,; echo "${spids[*]}")" --json 2>"$work/load.err" | tail -1); then
    jq -c --arg s "$session" --arg r "$3" --arg c "$(git -C "$here" rev-parse --short HEAD)" \
      --arg b "${PUSH_BATCH_MS:-default}" \
      --arg t "$1" \
      '. + {session: $s, round: ($r|tonumber), commit: $c, pushBatchMs: $b, at: (now|todate)}
       | if $t == "baseline" then .target = "baseline" else . end' <<<"$line" >>"$results"
    jq -r --arg t "$1" '"\($t) \(.clients) sockets: latency p50 \(.latencyMs.p50) p99 \(.latencyMs.p99) max \(.latencyMs.max) ms; received \(.received)/\(.expected) (\(.gaps) gaps), drops \(.serverDrops // "n/a" | tostring); \(.cpuUsPerPush|.*100|round/100) µs CPU/push; \(.rssKiBPerConnIdle|.*10|round/10) KiB/conn; connect \(.connectMs|round) ms\(if .burst then "; burst: \(.burst.cpuUsPerChange*100|round/100) µs CPU per delivered change, \(.burst.messages) messages" else "" end)"' <<<"$line"
  else
    echo "$1 $2: the run failed:" >&2
  fi
  cat "$work/load.err" >&2
  stop_servers
}

for n in $clients; do
  for r in $(seq "$rounds"); do
    for target in $targets; do
      echo -n "round $r, "
      run "$target" "$n" "$r"
    done
  done
done

echo
echo "medians over $rounds round(s), session $session (same machine, alternating runs):"
jq -rs --arg s "$session" -f "$here/bench/fanout-medians.jq" "$results"
if [ "${CHART:-1}" != 0 ]; then "$here/bench/chart.sh" "$results"; fi
