#!/usr/bin/env bash
# Times POST /api/admin/events with 20 sections x 50 rows x 50 seats (50,000 seats), 5 rounds,
# against a release server on SQLite and on PostgreSQL (127.0.0.1:5432, user postgres; a fresh
# database each, dropped after). Prints each round's curl time_total and the median.
# Usage: bench/create_event.sh target/release/boxoffice [rounds]
set -euo pipefail
BIN=${1:?usage: bench/create_event.sh BIN [rounds]}; ROUNDS=${2:-5}; PORT=${PORT:-3987}
body=$(python3 -c '
import json
print(json.dumps({"name":"Stadium","startsAt":"2027-06-01T19:00:00Z","ticketTypes":[{"name":"Floor","price":9000},{"name":"Upper","price":4000}],
"seatMap":{"sections":[{"name":"S%02d"%i,"rows":50,"seatsPerRow":50,"ticketTypeIndex":int(i>=8)} for i in range(20)]}}))')
for db in sqlite postgres; do
  dir=$(mktemp -d ${TMPDIR:-/tmp}/bo-create.XXXX)
  if [ $db = sqlite ]; then url="sqlite://$dir/db.sqlite"; else
    name="a_bench_$(date +%s%N)"; psql -q -h 127.0.0.1 -U postgres -c "CREATE DATABASE $name"; url="postgres://postgres@127.0.0.1:5432/$name"; fi
  PORT=$PORT HOST=127.0.0.1 DATABASE_URL=$url SEED_DEMO=false ADMIN_EMAIL=a@example.com ADMIN_PASSWORD=secretpass1 \
    JWT_SECRET=0123456789abcdef0123456789abcdef0123 AUTH_RATE_PER_IP=0 "$BIN" > $dir/log 2>&1 &
  pid=$!
  for i in $(seq 50); do curl -sf localhost:$PORT/healthz >/dev/null && break; sleep 0.2; done
  token=$(curl -s -XPOST localhost:$PORT/api/auth/login -H 'content-type: application/json' -d '{"email":"a@example.com","password":"secretpass1"}' | python3 -c 'import sys,json;print(json.load(sys.stdin)["token"])')
  times=()
  for r in $(seq $ROUNDS); do
    t=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' -XPOST localhost:$PORT/api/admin/events -H "authorization: Bearer $token" -H 'content-type: application/json' -d "$body")
    times+=("${t#* }"); [ "${t% *}" = 201 ] || echo "status ${t% *}"
  done
  kill $pid; wait $pid 2>/dev/null || true
  [ $db = postgres ] && psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE $name"
  echo "$db: ${times[*]} median $(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (ROUNDS+1)/2 ))p") s"
  rm -rf $dir
done
