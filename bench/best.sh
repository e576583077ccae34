#!/usr/bin/env bash
# Best-available holds per second under contention beside map holds (random seat picks), one
# release build, the same event size, alternating rounds.
#
#   bench/best.sh [ROUNDS] [pg|sqlite|both] [SEATS...]
#
# Each run starts the server (target/release/boxoffice, or $BOXOFFICE_BIN) on a free loopback
# port on a fresh database (a PostgreSQL database of its own, or an SQLite file) and runs
# `boxoffice-load holds` (map picks: 1-4 random seats, POST /api/seats/reserve) or
# `boxoffice-load best` (1-4 adjacent seats, POST /api/seats/best) with `--seconds 10
# --concurrency 64 --seats N`; every won hold is cancelled at once, so contention stays
# constant. Map and best alternate which goes first. Prints one line per run and the medians
# per database and event size. Loopback only, bounded (10 s per run). Default: 3 rounds, both
# databases, 2000 and 200 seats.
set -euo pipefail
rounds=${1:-3} mode=${2:-both}
shift $(( $# < 2 ? $# : 2 ))
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(2000 200)
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$here/bench/lib.sh"
bin=${BOXOFFICE_BIN:-$here/target/release/boxoffice}
load=${LOAD_BIN:-$here/target/release/boxoffice-load}
secret=bench-secret-bench-secret-bench-secret-best
pg=${BOXOFFICE_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

run() { # kind(pg|sqlite) cmd(holds|best) seats -> prints "holds/s median_ms conflicts"
  local kind=$1 cmd=$2 seats=$3 port db url pid out
  port=$(free_port)
  if [ "$kind" = pg ]; then
    db=bo_bench_best_$RANDOM$RANDOM
    psql "$pg" -qc "CREATE DATABASE $db" >/dev/null
    url="${pg%/*}/$db"
  else
    mkdir -p "$work/$cmd-$port"
    url="sqlite://$work/$cmd-$port/bo.db"
  fi
  env -u REDIS_URL DATABASE_URL="$url" DATA_DIR="$work" HOST=127.0.0.1 PORT="$port" \
    JWT_SECRET="$secret" SEED_DEMO=false SHOP_RATE_PER_USER=0 RUST_LOG=error \
    "$bin" >"$work/$cmd.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
  out=$("$load" --url "http://127.0.0.1:$port" --jwt-secret "$secret" "$cmd" --seconds 10 \
    --concurrency 64 --seats "$seats" 2>&1) || { echo "$out" >&2; kill "$pid"; return 1; }
  kill "$pid"; wait "$pid" 2>/dev/null || true
  [ "$kind" = pg ] && psql "$pg" -qc "DROP DATABASE $db WITH (FORCE)" >/dev/null
  local rate ms conflicts
  rate=$(grep -oE '^holds: [0-9]+ ok \([0-9.]+/s' <<<"$out" | grep -oE '[0-9.]+/s' | tr -d '/s' || true)
  ms=$(grep -oE 'median [0-9.]+' <<<"$out" | head -1 | grep -oE '[0-9.]+' || true)
  conflicts=$(grep -oE '[0-9]+ conflicts' <<<"$out" | grep -oE '[0-9]+' || true)
  if [ -z "$rate" ]; then echo "$out" >&2; return 1; fi
  echo "$rate ${ms:--} ${conflicts:-0}"
}

kinds=()
case $mode in pg) kinds=(pg) ;; sqlite) kinds=(sqlite) ;; *) kinds=(pg sqlite) ;; esac
for kind in "${kinds[@]}"; do
  for seats in "${sizes[@]}"; do
    : >"$work/$kind-$seats.holds"; : >"$work/$kind-$seats.best"
    for r in $(seq "$rounds"); do
      if (( r % 2 )); then order=(holds best); else order=(best holds); fi
      for cmd in "${order[@]}"; do
        res=$(run "$kind" "$cmd" "$seats")
        read -r rate ms conflicts <<<"$res"
        echo "round $r $kind $seats seats $cmd: $rate holds/s, median $ms ms, $conflicts conflicts (load $(cut -d' ' -f1 /proc/loadavg))"
        echo "$res" >>"$work/$kind-$seats.$cmd"
      done
    done
    m=$(cut -d' ' -f1 "$work/$kind-$seats.holds" | median) b=$(cut -d' ' -f1 "$work/$kind-$seats.best" | median)
    mm=$(cut -d' ' -f2 "$work/$kind-$seats.holds" | median) bm=$(cut -d' ' -f2 "$work/$kind-$seats.best" | median)
    mc=$(cut -d' ' -f3 "$work/$kind-$seats.holds" | median) bc=$(cut -d' ' -f3 "$work/$kind-$seats.best" | median)
    echo "$kind $seats seats, medians of $rounds: map $m holds/s (median $mm ms, $mc conflicts), best $b holds/s (median $bm ms, $bc conflicts), best/map $(awk -v a="$b" -v b="$m" 'BEGIN{printf "%.2f", a/b}')x"
  done
done
