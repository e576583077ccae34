#!/usr/bin/env bash
# Peak RSS for N concurrent wrong-password logins against a release build (embedded SQLite).
# Usage: cargo build --release && bench/logins-rss.sh   (N=40 by default; loopback only; needs curl)
set -euo pipefail
N=${N:-40}; PORT=${PORT:-3391}; BIN=${BIN:-$(dirname "$0")/../target/release/boxoffice}
DIR=$(mktemp -d /tmp/bo-rss.XXXX)
HOST=127.0.0.1 PORT=$PORT DATA_DIR=$DIR DATABASE_URL=sqlite://$DIR/bo.db SEED_DEMO=false \
  AUTH_RATE_PER_IP=1000 RUST_LOG=warn "$BIN" >"$DIR/log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$DIR"' EXIT
for i in $(seq 100); do curl -fsS -o /dev/null http://127.0.0.1:$PORT/api/health 2>/dev/null && break; sleep 0.1; done
U=http://127.0.0.1:$PORT/api/auth
curl -fsS -o /dev/null -H 'content-type: application/json' -d '{"email":"v@example.com","password":"right password","name":"V"}' $U/register
sleep 1
st() { grep -E "^$1:" /proc/$PID/status | awk '{print $2}'; }
echo "idle: VmRSS $(st VmRSS) kB, VmHWM $(st VmHWM) kB"
codes=$(for i in $(seq $N); do
  if (( i % 2 )); then e=v@example.com; else e=nobody$i@example.com; fi
  curl -s -o /dev/null -w '%{http_code}\n' -H 'content-type: application/json' \
    -d "{\"email\":\"$e\",\"password\":\"wrong password\"}" $U/login &
done; wait)
echo "answers: $(echo "$codes" | sort | uniq -c | tr '\n' ' ')"
echo "after $N concurrent wrong logins: VmHWM (peak) $(st VmHWM) kB, VmRSS $(st VmRSS) kB"
sleep 2
echo "2 s later: VmRSS $(st VmRSS) kB"
