#!/usr/bin/env bash
# Times POST /api/admin/events with 20 sections x 50 rows x 50 seats (50,000 seats), ROUNDS
# rounds (default 5), against BIN on SQLite and on PostgreSQL ($BOXOFFICE_TEST_PG_URL or
# 127.0.0.1:5432, user postgres), each on a fresh database (bench/lib.sh start_server, dropped
# after). Prints each round's curl time_total and the median.
#
#   bench/create_event.sh target/release/boxoffice [ROUNDS]
set -euo pipefail
BIN=${1:?usage: bench/create_event.sh BIN [rounds]}; ROUNDS=${2:-5}
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$here/bench/lib.sh"
secret=bench-secret-bench-secret-bench-secret-create
pg=${BOXOFFICE_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
work=$(mktemp -d)
trap 'stop_server; rm -rf "$work"' EXIT
body=$(python3 -c '
import json
print(json.dumps({"name":"Stadium","startsAt":"2027-06-01T19:00:00Z","ticketTypes":[{"name":"Floor","price":9000},{"name":"Upper","price":4000}],
"seatMap":{"sections":[{"name":"S%02d"%i,"rows":50,"seatsPerRow":50,"ticketTypeIndex":int(i>=8)} for i in range(20)]}}))')
for kind in sqlite pg; do
  start_server "$BIN" "$kind" ADMIN_EMAIL=a@example.com ADMIN_PASSWORD=secretpass1 AUTH_RATE_PER_IP=0
  token=$(curl -s -XPOST "$server_url/api/auth/login" -H 'content-type: application/json' \
    -d '{"email":"a@example.com","password":"secretpass1"}' | python3 -c 'import sys,json;print(json.load(sys.stdin)["token"])')
  times=()
  for _ in $(seq "$ROUNDS"); do
    t=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' -XPOST "$server_url/api/admin/events" \
      -H "authorization: Bearer $token" -H 'content-type: application/json' -d "$body")
    times+=("${t#* }"); [ "${t% *}" = 201 ] || echo "status ${t% *}"
  done
  stop_server
  echo "$kind: ${times[*]} median $(printf '%s\n' "${times[@]}" | median) s"
done
