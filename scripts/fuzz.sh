#!/usr/bin/env bash
# API fuzzing: schemathesis, driven by the server's OpenAPI document, against real server
# processes on SQLite and on PostgreSQL. scripts/test.sh runs it after the Rust tests.
#
#   ./scripts/fuzz.sh                      # both databases, as a guest and as an administrator
#   BOXOFFICE_FUZZ_SECONDS=300 ./scripts/fuzz.sh   # a longer run (seconds per database)
#
# Each run must show: no 5xx (not_a_server_error), every answer's status, content type,
# headers and body as documented (status_code_conformance, content_type_conformance,
# response_headers_conformance, response_schema_conformance), and authentication enforced
# where documented (ignored_auth). After each database's runs the server is stopped and
# scripts/fuzz/invariants.sql must find nothing: stock never negative nor past its total, held
# and sold equal to the live reservations, no seat double-booked, seat states and the
# per-customer counts consistent. Every event's remainingQuantity, read over the API, must be
# between 0 and its total.
#
# schemathesis (PyPI, pinned below) lives in a virtualenv this script makes, .venv-fuzz/
# (gitignored; set BOXOFFICE_FUZZ_VENV to put it elsewhere). python3-venv is installed with apt
# when run as root; otherwise a missing one stops the script with the command to run.
#
# Environment: BOXOFFICE_BIN (default target/debug/boxoffice, built if missing),
# BOXOFFICE_TEST_PG_URL (a PostgreSQL where a database may be created), BOXOFFICE_FUZZ_SECONDS
# (default 60 per database), BOXOFFICE_FUZZ_SEED (default: 11 under CI, else random; printed),
# BOXOFFICE_FUZZ_CHECKS (schemathesis --checks; default the list above).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

SCHEMATHESIS_VERSION=4.32.5
VENV=${BOXOFFICE_FUZZ_VENV:-$ROOT/.venv-fuzz}
BIN=${BOXOFFICE_BIN:-$ROOT/target/debug/boxoffice}
PG_URL=${BOXOFFICE_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
SECONDS_PER_RUN=${BOXOFFICE_FUZZ_SECONDS:-60}
# CI runs a fixed seed (11: 26,500 requests clean on both databases when it was chosen), so
# a submission is not refused for a case nobody has seen; elsewhere each run explores anew.
if [ -n "${CI:-}" ]; then DEFAULT_SEED=11; else DEFAULT_SEED=$(( (RANDOM << 15) | RANDOM )); fi
SEED=${BOXOFFICE_FUZZ_SEED:-$DEFAULT_SEED}
CHECKS=${BOXOFFICE_FUZZ_CHECKS:-not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,ignored_auth}

say() { printf '\n\033[1m== fuzz: %s\033[0m\n' "$*"; }
die() { printf '\n\033[31mfuzz.sh: %s\033[0m\n' "$*" >&2; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }
is_root() { [ "$(id -u)" = 0 ]; }
apt_install() {
  is_root && have apt-get || return 1
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

WORK=$(mktemp -d /tmp/boxoffice-fuzz.XXXXXX)
SERVER_PID=
PG_DB=
cleanup() {
  set +e
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  [ -n "$PG_DB" ] && psql "$PG_URL" -qc "DROP DATABASE IF EXISTS \"$PG_DB\" WITH (FORCE)" >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT

# ---------------------------------------------------------------------------------------
# schemathesis in a virtualenv
# ---------------------------------------------------------------------------------------
have python3 || apt_install python3 || die "python3 is missing: apt-get install python3 python3-venv"
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  say "installing python3-venv with apt"
  apt_install python3-venv || die "python3's venv module (with ensurepip) is missing: apt-get install python3-venv"
fi
if [ "$("$VENV/bin/schemathesis" --version 2>/dev/null)" != "schemathesis, version $SCHEMATHESIS_VERSION" ]; then
  say "installing schemathesis $SCHEMATHESIS_VERSION into $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV" || die "could not create the virtualenv $VENV (apt-get install python3-venv)"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" \
    || die "pip could not install schemathesis==$SCHEMATHESIS_VERSION from PyPI"
fi
[ -x "$BIN" ] || cargo build --quiet --bin boxoffice
have psql || die "psql is missing: apt-get install postgresql-client"
have curl || apt_install curl || die "curl is missing: apt-get install curl"

# ---------------------------------------------------------------------------------------
# One server
# ---------------------------------------------------------------------------------------
JWT_SECRET=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
ADMIN_EMAIL=fuzz-admin@example.com
ADMIN_PASSWORD=$(python3 -c 'import secrets; print(secrets.token_hex(12))')
URL=

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
json_field() { python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

start_server() { # DATABASE_URL LOG
  local port
  port=$(free_port)
  URL="http://127.0.0.1:$port"
  # Rate limits far above what two fuzzing workers send, so 429 stays rare (still documented).
  env -u REDIS_URL HOST=127.0.0.1 PORT="$port" DATABASE_URL="$1" JWT_SECRET="$JWT_SECRET" \
    DATA_DIR="$WORK/data" WEB_DIR="$WORK/no-web" SEED_DEMO=true \
    ADMIN_EMAIL="$ADMIN_EMAIL" ADMIN_PASSWORD="$ADMIN_PASSWORD" \
    AUTH_RATE_PER_IP=1000 SHOP_RATE_PER_USER=1000 SWEEP_INTERVAL_MS=500 \
    RUST_LOG="${RUST_LOG:-boxoffice=warn}" "$BIN" >"$2" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 300); do
    curl -fsS "$URL/api/health" >/dev/null 2>&1 && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$2"; die "the server exited during start-up"; }
    sleep 0.1
  done
  cat "$2"; die "the server did not answer within 30 s"
}

stop_server() {
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
}

# ---------------------------------------------------------------------------------------
# One fuzzing run, then the checks on what it left
# ---------------------------------------------------------------------------------------
FAILED=()

fuzz_as() { # NAME TOKEN: one schemathesis run, its output in $WORK/NAME.log
  local status=0
  BOXOFFICE_FUZZ_BASE="$URL" BOXOFFICE_FUZZ_TOKEN="$2" BOXOFFICE_FUZZ_SEED="$SEED" \
  SCHEMATHESIS_HOOKS="$ROOT/scripts/fuzz/hooks.py" \
    timeout --kill-after=20 $((SECONDS_PER_RUN + 90)) \
    "$VENV/bin/schemathesis" run "$URL/api/openapi.json" --url "$URL" \
      --header "Authorization: Bearer $2" \
      --checks "$CHECKS" \
      --max-examples 100 --max-time "$SECONDS_PER_RUN" --workers 1 --seed "$SEED" \
      --request-timeout 15 --generation-database none --no-color --output-truncate false \
      --report junit --report-dir "$WORK/report-$DB_NAME-$1" \
      >"$WORK/$1.log" 2>&1 || status=$?
  echo "$status" >"$WORK/$1.status"
}

# The guest and the administrator fuzz at the same time, as two processes (schemathesis'
# own worker threads trip a CPython 3.11 bug in ast.parse), so their holds, payments and
# cancellations race each other on the same events.
fuzz_both() { # GUEST_TOKEN ADMIN_TOKEN
  say "$DB_NAME: schemathesis as a guest and as an administrator at once, ${SECONDS_PER_RUN} s (seed $SEED)"
  fuzz_as guest "$1" &
  local guest_pid=$!
  fuzz_as admin "$2" &
  local admin_pid=$!
  wait "$guest_pid" "$admin_pid" || true
  local who status
  for who in guest admin; do
    printf '\n\033[1m-- %s, as %s\033[0m\n' "$DB_NAME" "$who"
    cat "$WORK/$who.log"
    status=$(cat "$WORK/$who.status" 2>/dev/null || echo missing)
    [ "$status" = 0 ] || FAILED+=("$DB_NAME as $who (schemathesis exit $status)")
  done
  if [ ${#FAILED[@]} -gt 0 ]; then
    grep -E ' (ERROR|WARN)' "$WORK/server.log" | tail -20 || true
  fi
}

check_stock_over_api() {
  local events
  events=$(curl -fsS "$URL/api/events")
  python3 - "$events" <<'PY' || FAILED+=("$DB_NAME: stock over the API")
import json, sys
bad = [(e["id"], t["id"], t["remainingQuantity"], t["total"])
       for e in json.loads(sys.argv[1]) for t in e["ticketTypes"]
       if not 0 <= t["remainingQuantity"] <= t["total"]]
print(f"{len(json.loads(sys.argv[1]))} events: every remainingQuantity within 0..total" if not bad else f"stock out of range: {bad}")
sys.exit(1 if bad else 0)
PY
}

check_database() { # run_sql_command...
  local n=0 count statement
  while IFS= read -r -d ';' statement; do
    [ -n "${statement//[[:space:]]/}" ] || continue
    n=$((n + 1))
    count=$("$@" "$statement") || { FAILED+=("$DB_NAME: invariant $n could not run"); continue; }
    if [ "$count" != 0 ]; then
      FAILED+=("$DB_NAME: invariant $n of scripts/fuzz/invariants.sql finds $count rows")
      printf '%s\n' "$statement"
    fi
  done < <(sed 's/--.*$//' "$ROOT/scripts/fuzz/invariants.sql")
  local counts="" status
  for status in pending paid cancelled expired; do
    counts+="$("$@" "SELECT COUNT(*) FROM reservations WHERE status = '$status'") $status, "
  done
  echo "database: $n invariants hold; the fuzzers left reservations: ${counts%, }"
}
sqlite_count() { python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' "$SQLITE_FILE" "$1"; }
pg_count() { psql "$PG_DB_URL" -Atqc "$1"; }

fuzz_server() { # DATABASE_URL
  start_server "$1" "$WORK/server.log"
  local guest admin
  guest=$(curl -fsS -X POST "$URL/api/auth/guest" | json_field token)
  admin=$(curl -fsS -X POST "$URL/api/auth/login" -H 'content-type: application/json' \
    -d "{\"email\":\"$ADMIN_EMAIL\",\"password\":\"$ADMIN_PASSWORD\"}" | json_field token)
  fuzz_both "$guest" "$admin"
  check_stock_over_api
  stop_server
  if grep -q 'panicked' "$WORK/server.log"; then
    FAILED+=("$DB_NAME: the server panicked")
    grep -A3 'panicked' "$WORK/server.log" | head -20
  fi
}

START=$(date +%s)

DB_NAME=sqlite
SQLITE_FILE="$WORK/fuzz.db"
fuzz_server "sqlite://$SQLITE_FILE"
check_database sqlite_count

DB_NAME=postgres
PG_DB="bo_test_fuzz_$(python3 -c 'import uuid; print(uuid.uuid4().hex)')"
psql "$PG_URL" -qc "CREATE DATABASE \"$PG_DB\"" >/dev/null || die "cannot create a database at $PG_URL"
PG_BASE=${PG_URL%%\?*}
PG_DB_URL="${PG_BASE%/*}/$PG_DB"
fuzz_server "$PG_DB_URL"
check_database pg_count

say "fuzzing took $(( $(date +%s) - START )) s (seed $SEED)"
if [ ${#FAILED[@]} -gt 0 ]; then
  printf '\033[31mfuzz.sh: %s\033[0m\n' "${FAILED[@]}" >&2
  exit 1
fi
echo "fuzz: no 5xx, every answer as documented, stock and seats consistent on SQLite and PostgreSQL"
