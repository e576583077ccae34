#!/usr/bin/env bash
# Seat holds per second under contention, two server builds side by side, with pgbench TPC-B
# on the same PostgreSQL as the yardstick, alternating rounds.
#
#   bench/holds.sh OLD_BINARY NEW_BINARY [ROUNDS] [pg|sqlite|both]
#
# Each round starts each build on a free loopback port on a fresh database (a PostgreSQL
# database of its own, or an SQLite file), runs `boxoffice-load holds --seconds 10
# --concurrency 64 --seats 2000` against it (each buyer holds 1-4 random seats and cancels at
# once, so contention stays constant), stops it and drops the database; on PostgreSQL the
# round ends with `pgbench -c 64 -j 2 -T 10` (TPC-B, scale 10) on a database of its own.
# Prints one line per run and the medians. Loopback only, bounded (10 s per run).
set -euo pipefail
old=$1 new=$2 rounds=${3:-3} mode=${4:-both}
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$here/bench/lib.sh"
load=${LOAD_BIN:-$here/target/release/boxoffice-load}
secret=bench-secret-bench-secret-bench-secret-holds
pg=${BOXOFFICE_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
work=$(mktemp -d)
pgb=bo_bench_pgbench_$RANDOM
cleanup() {
  psql "$pg" -qc "DROP DATABASE IF EXISTS $pgb" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

kinds=()
case $mode in pg) kinds=(pg) ;; sqlite) kinds=(sqlite) ;; *) kinds=(pg sqlite) ;; esac
if [[ " ${kinds[*]} " == *" pg "* ]]; then
  psql "$pg" -qc "CREATE DATABASE $pgb" >/dev/null
  pgbench -q -i -s 10 "${pg%/*}/$pgb" >/dev/null 2>&1
fi
for kind in "${kinds[@]}"; do
  : >"$work/$kind.old" ; : >"$work/$kind.new" ; : >"$work/$kind.pgbench"
  for r in $(seq "$rounds"); do
    # Alternate which build goes first, so neither always meets a warmer machine.
    if (( r % 2 )); then order=(old new); else order=(new old); fi
    for which in "${order[@]}"; do
      bin=$old; [ "$which" = new ] && bin=$new
      res=$(hold_run "$bin" "$kind" holds 2000)
      read -r rate ms _ <<<"$res"
      echo "round $r $kind $which: $rate holds/s, median $ms ms (load $(cut -d' ' -f1 /proc/loadavg))"
      echo "$res" >>"$work/$kind.$which"
    done
    if [ "$kind" = pg ]; then
      tps=$(pgbench -c 64 -j 2 -T 10 "${pg%/*}/$pgb" 2>/dev/null | grep -oE '^tps = [0-9.]+' | grep -oE '[0-9.]+$')
      echo "round $r pgbench TPC-B: $tps tps"
      echo "$tps" >>"$work/pg.pgbench"
    fi
  done
  o=$(cut -d' ' -f1 "$work/$kind.old" | median) n=$(cut -d' ' -f1 "$work/$kind.new" | median)
  om=$(cut -d' ' -f2 "$work/$kind.old" | median) nm=$(cut -d' ' -f2 "$work/$kind.new" | median)
  echo "$kind medians of $rounds: old $o holds/s (median $om ms), new $n holds/s (median $nm ms), new/old $(awk -v a="$n" -v b="$o" 'BEGIN{printf "%.2f", a/b}')x"
  if [ "$kind" = pg ]; then
    p=$(median <"$work/pg.pgbench")
    echo "pg pgbench TPC-B median $p tps; new holds/s / pgbench tps = $(awk -v a="$n" -v b="$p" 'BEGIN{printf "%.2f", a/b}')"
  fi
done
