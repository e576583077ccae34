#!/usr/bin/env bash
# Seat-status snapshots per second for a crowd of joiners on a stadium event, the compact
# `GET /api/events/:id/seat-status` beside the v1 `GET /api/events/:id/seats`, alternating
# rounds (issue 17: "report status snapshots per second for 10,000 concurrent joiners").
#
#   bench/status.sh [ROUNDS] [JOINERS] [SECONDS] [SEATS] [sqlite|pg]
#
# One release server on a free loopback port with a fresh database (an SQLite file, or a
# PostgreSQL database of its own, dropped after); one event of SEATS seats (default 50,000 =
# 20 sections × 50 rows × 50 seats) made through POST /api/admin/events; then ROUNDS rounds
# (default 3) of `boxoffice-load status --form compact` and `--form v1`, alternating which goes
# first: JOINERS concurrent joiners (default 10,000), each on a keep-alive connection of its
# own with Accept-Encoding: gzip, fetching the snapshot for SECONDS (default 10) while 4
# writers hold and cancel random seats. Prints each run, then medians of snapshots/s and bytes
# per snapshot and their ratios. Loopback only, bounded (each run stops by itself).
set -euo pipefail
rounds=${1:-3} joiners=${2:-10000} seconds=${3:-10} seats=${4:-50000} kind=${5:-sqlite}
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$here/bench/lib.sh"
bin=${BOXOFFICE_BIN:-$here/target/release/boxoffice}
load=${LOAD_BIN:-$here/target/release/boxoffice-load}
secret=bench-secret-bench-secret-bench-secret-status
pg=${BOXOFFICE_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
work=$(mktemp -d)
cleanup() {
  stop_server
  rm -rf "$work"
}
trap cleanup EXIT
# Every joiner holds a connection: room for them in both processes (the hard limit is the cap).
ulimit -n "$(ulimit -Hn)"

start_server "$bin" "$kind"
base=$server_url
# The event, once: a one-second run with one joiner creates it.
event=$("$load" --url "$base" --jwt-secret "$secret" status --seats "$seats" --joiners 1 \
  --seconds 1 --writers 0 | tee /dev/stderr | grep -oE '^event [^:]+' | cut -d' ' -f2)
echo "server $bin ($kind), event $event, $seats seats, open files limit $(ulimit -n)"

# status_run FORM LABEL: one run; prints "LABEL snapshots/s bytes p50 p99 errors unfinished".
status_run() {
  local out line
  out=$("$load" --url "$base" --jwt-secret "$secret" status --event "$event" --form "$1" \
    --joiners "$joiners" --seconds "$seconds" 2>&1) || { echo "$out" >&2; return 1; }
  line=$(grep '^status:' <<<"$out")
  # "status: N form snapshots in T s = R snapshots/s; B bytes per snapshot; latency ms: p50 X, p99 Y; E errors, U unfinished"
  awk -v l="$2" '{for(i=1;i<=NF;i++){if($(i+1)=="snapshots/s;")r=$i; if($(i+1)=="bytes")b=$i; if($i=="p50")p=$(i+1); if($i=="p99")q=$(i+1); if($(i+1)=="errors,")e=$i; if($(i+1)=="unfinished")u=$i}} END{gsub(",","",p); gsub(";","",q); print l, r, b, p, q, e, u}' <<<"$line"
}
: >"$work/runs"
for r in $(seq "$rounds"); do
  order=(compact v1); (( r % 2 )) || order=(v1 compact)
  for form in "${order[@]}"; do
    line=$(status_run "$form" "$form")
    echo "round $r: $line (snapshots/s bytes p50_ms p99_ms errors unfinished; load $(cut -d' ' -f1 /proc/loadavg))"
    echo "$line" >>"$work/runs"
  done
done
med() { awk -v f="$1" -v c="$2" '$1==f{print $c}' "$work/runs" | median; }
cr=$(med compact 2) vr=$(med v1 2) cb=$(med compact 3) vb=$(med v1 3)
echo "medians of $rounds, $joiners joiners, $seats seats: compact $cr snapshots/s at $cb bytes (p50 $(med compact 4) ms, p99 $(med compact 5) ms); v1 $vr snapshots/s at $vb bytes (p50 $(med v1 4) ms, p99 $(med v1 5) ms)"
echo "compact/v1: $(awk -v a="$cr" -v b="$vr" 'BEGIN{printf "%.1f", (b>0 ? a/b : 0)}')x snapshots/s, $(awk -v a="$vb" -v b="$cb" 'BEGIN{printf "%.0f", (b>0 ? a/b : 0)}')x fewer bytes per snapshot"
