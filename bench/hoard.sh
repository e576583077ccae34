#!/usr/bin/env bash
# Usage: start a server with the demo event (./scripts/start.sh, or PORT=3101 ... boxoffice), then
#   bench/hoard.sh http://127.0.0.1:3001   (needs curl and jq; targets only the URL given)
# One guest, admitted once, tries to hold every seat of the demo event, 10 per request.
set -euo pipefail
B=${1:-http://127.0.0.1:3101}
tok=$(curl -s -XPOST $B/api/auth/guest | jq -r .token)
ev=$(curl -s $B/api/events | jq -r '.[0].id')
adm=$(curl -s -XPOST $B/api/queue/join -H "authorization: Bearer $tok" -H 'content-type: application/json' -d "{\"eventId\":\"$ev\"}" | jq -r .admissionToken)
seats=$(curl -s $B/api/events/$ev/seats | jq -c '[.seats[] | select(.status=="available") | .id]')
n=$(echo "$seats" | jq length); held=0; codes=""
for ((i=0; i<n; i+=10)); do
  body=$(echo "$seats" | jq -c "{eventId:\"$ev\", seatIds: .[$i:$((i+10))]}")
  r=$(curl -s -w '\n%{http_code}' -XPOST $B/api/seats/reserve -H "authorization: Bearer $tok" -H "x-admission-token: $adm" -H 'content-type: application/json' -d "$body")
  code=$(echo "$r" | tail -1); codes="$codes $code"
  [ "$code" = 201 ] && held=$((held + $(echo "$r" | head -1 | jq '.reservation.items | length')))
done
echo "seats available: $n; requests: $(( (n+9)/10 )); seats this one guest holds: $held"
echo "answers:$(echo $codes | tr ' ' '\n' | sort | uniq -c | tr '\n' ' ')"
echo "last refusal: $(echo "$r" | head -1)"
