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

kinds=()
case $mode in pg) kinds=(pg) ;; sqlite) kinds=(sqlite) ;; *) kinds=(pg sqlite) ;; esac
for kind in "${kinds[@]}"; do
  for seats in "${sizes[@]}"; do
    : >"$work/$kind-$seats.holds"; : >"$work/$kind-$seats.best"
    for r in $(seq "$rounds"); do
      if (( r % 2 )); then order=(holds best); else order=(best holds); fi
      for cmd in "${order[@]}"; do
        res=$(hold_run "$bin" "$kind" "$cmd" "$seats")
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
