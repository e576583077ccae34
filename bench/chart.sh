#!/usr/bin/env bash
# Draws docs/bench/fanout-latency.svg from bench/fanout.sh's results with matplotlib, in a
# virtualenv of its own (.venv-bench, pinned by bench/chart-requirements.txt; made on first use).
#
#   bench/chart.sh [RESULTS.jsonl [SESSION]]   # default: the newest results file, its last session
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
venv=$here/.venv-bench
req=$here/bench/chart-requirements.txt
if [ ! -x "$venv/bin/python" ] || ! cmp -s "$req" "$venv/requirements.txt"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q -r "$req"
  cp "$req" "$venv/requirements.txt"
fi
results=${1:-$(ls -t "$here"/bench/results/fanout-*.jsonl | head -1)}
exec "$venv/bin/python" "$here/bench/chart.py" "$results" "$here/docs/bench/fanout-latency.svg" ${2:+"$2"}
