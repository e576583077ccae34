#!/usr/bin/env bash
# Runs every test Boxoffice has. README command 2; CI runs it through .ci/run.
#
#   ./scripts/test.sh                 # everything
#   ./scripts/test.sh -- some_filter  # extra arguments go to `cargo test`
#
# Needs PostgreSQL and Redis as real services. When none answers on the default ports,
# starts its own in a temporary folder (installing the Debian packages when run as root)
# and stops them on exit; when it cannot, it fails loudly. It never skips.
#
# Environment:
#   BOXOFFICE_TEST_PG_URL        a PostgreSQL where tests may CREATE DATABASE
#   BOXOFFICE_TEST_REDIS_URL     a Redis 7+
#   BOXOFFICE_FORCE_OWN_SERVICES=1  start private PostgreSQL/Redis even if defaults answer
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
die() { printf '\n\033[31mtest.sh: %s\033[0m\n' "$*" >&2; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }
is_root() { [ "$(id -u)" = 0 ]; }

APT_UPDATED=
apt_install() {
  is_root && have apt-get || return 1
  if [ -z "$APT_UPDATED" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null && APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

SERVICE_DIR=$(mktemp -d /tmp/boxoffice-test-services.XXXXXX)
chmod 755 "$SERVICE_DIR"
OWN_PG=
OWN_REDIS=
cleanup() {
  set +e
  if [ -n "$OWN_PG" ]; then
    pg_as "$PG_BIN/pg_ctl" -D "$SERVICE_DIR/pg" -m fast stop >/dev/null 2>&1
  fi
  if [ -n "$OWN_REDIS" ] && [ -f "$SERVICE_DIR/redis.pid" ]; then
    kill "$(cat "$SERVICE_DIR/redis.pid")" 2>/dev/null
  fi
  rm -rf "$SERVICE_DIR"
}
trap cleanup EXIT

# ---------------------------------------------------------------------------------------
# Tools
# ---------------------------------------------------------------------------------------
have cargo || die "cargo is missing: install Rust (https://rustup.rs), then run this again"
if ! have node || ! have npm; then
  say "installing Node.js (nodejs, npm) with apt"
  apt_install nodejs npm || die "node and npm are needed for the Socket.IO client tests: apt-get install nodejs npm"
fi
have psql || apt_install postgresql-client || die "psql is missing: apt-get install postgresql-client"
have redis-cli || apt_install redis-tools || die "redis-cli is missing: apt-get install redis-tools"

# ---------------------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------------------
pg_answers() { psql "$1" -Atqc 'select 1' >/dev/null 2>&1; }
PG_USER=
pg_as() { if [ -n "$PG_USER" ]; then runuser -u "$PG_USER" -- "$@"; else "$@"; fi; }

if [ -n "${BOXOFFICE_TEST_PG_URL:-}" ]; then
  pg_answers "$BOXOFFICE_TEST_PG_URL" || die "BOXOFFICE_TEST_PG_URL ($BOXOFFICE_TEST_PG_URL) does not answer"
elif [ -z "${BOXOFFICE_FORCE_OWN_SERVICES:-}" ] && pg_answers "postgres://postgres@127.0.0.1:5432/postgres"; then
  export BOXOFFICE_TEST_PG_URL="postgres://postgres@127.0.0.1:5432/postgres"
else
  PG_BIN=$(dirname "$(command -v initdb 2>/dev/null || ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -1 || true)")
  if [ ! -x "$PG_BIN/initdb" ]; then
    say "installing PostgreSQL with apt"
    apt_install postgresql || die "no PostgreSQL answers and none can be installed: install postgresql, or set BOXOFFICE_TEST_PG_URL"
    PG_BIN=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")
  fi
  if is_root; then
    # initdb refuses to run as root.
    if id postgres >/dev/null 2>&1; then
      PG_USER=postgres
    else
      id boxoffice-pg >/dev/null 2>&1 || useradd --system --no-create-home boxoffice-pg
      PG_USER=boxoffice-pg
    fi
    chown "$PG_USER" "$SERVICE_DIR"
  fi
  say "starting a private PostgreSQL on 127.0.0.1:54329 ($SERVICE_DIR/pg)"
  pg_as "$PG_BIN/initdb" -D "$SERVICE_DIR/pg" -U postgres --auth=trust -E UTF8 >"$SERVICE_DIR/initdb.log" 2>&1 \
    || { cat "$SERVICE_DIR/initdb.log"; die "initdb failed"; }
  pg_as "$PG_BIN/pg_ctl" -D "$SERVICE_DIR/pg" -l "$SERVICE_DIR/pg.log" -w \
    -o "-p 54329 -k $SERVICE_DIR -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off" start >/dev/null \
    || { cat "$SERVICE_DIR/pg.log"; die "PostgreSQL did not start"; }
  OWN_PG=1
  export BOXOFFICE_TEST_PG_URL="postgres://postgres@127.0.0.1:54329/postgres"
  pg_answers "$BOXOFFICE_TEST_PG_URL" || die "the private PostgreSQL does not answer"
fi
echo "PostgreSQL: $BOXOFFICE_TEST_PG_URL"

# Leftover per-test databases from earlier (interrupted) runs.
psql "$BOXOFFICE_TEST_PG_URL" -Atqc "select datname from pg_database where datname like 'bo\_test\_%' or datname like 'bo\_bench\_%'" 2>/dev/null \
  | while read -r db; do
      [ -n "$db" ] && psql "$BOXOFFICE_TEST_PG_URL" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
    done

# ---------------------------------------------------------------------------------------
# Redis
# ---------------------------------------------------------------------------------------
redis_answers() { [ "$(redis-cli -u "$1" ping 2>/dev/null)" = PONG ]; }
if [ -n "${BOXOFFICE_TEST_REDIS_URL:-}" ]; then
  redis_answers "$BOXOFFICE_TEST_REDIS_URL" || die "BOXOFFICE_TEST_REDIS_URL ($BOXOFFICE_TEST_REDIS_URL) does not answer"
elif [ -z "${BOXOFFICE_FORCE_OWN_SERVICES:-}" ] && redis_answers "redis://127.0.0.1:6379"; then
  export BOXOFFICE_TEST_REDIS_URL="redis://127.0.0.1:6379"
else
  if ! have redis-server; then
    say "installing Redis with apt"
    apt_install redis-server || die "no Redis answers and none can be installed: install redis-server, or set BOXOFFICE_TEST_REDIS_URL"
  fi
  say "starting a private Redis on 127.0.0.1:63799"
  redis-server --port 63799 --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
    --pidfile "$SERVICE_DIR/redis.pid" --dir "$SERVICE_DIR" --logfile "$SERVICE_DIR/redis.log" \
    || die "redis-server did not start"
  OWN_REDIS=1
  export BOXOFFICE_TEST_REDIS_URL="redis://127.0.0.1:63799"
  for _ in $(seq 50); do redis_answers "$BOXOFFICE_TEST_REDIS_URL" && break; sleep 0.1; done
  redis_answers "$BOXOFFICE_TEST_REDIS_URL" || die "the private Redis does not answer"
fi
redis_version=$(redis-cli -u "$BOXOFFICE_TEST_REDIS_URL" info server | sed -n 's/^redis_version:\([0-9]*\).*/\1/p' | tr -d '\r')
[ "${redis_version:-0}" -ge 7 ] || die "Redis 7 or newer is needed (RESP3 pub/sub), found ${redis_version:-unknown}"
echo "Redis: $BOXOFFICE_TEST_REDIS_URL"

# ---------------------------------------------------------------------------------------
# Rust
# ---------------------------------------------------------------------------------------
cargo_args=()
if [ "${1:-}" = "--" ]; then shift; cargo_args=("$@"); fi

say "cargo fmt --check"
cargo fmt --all -- --check
say "cargo clippy -D warnings"
cargo clippy --all-targets --quiet -- -D warnings
say "cargo test (SQLite and PostgreSQL)"
cargo test --all-targets -- --test-threads=4 "${cargo_args[@]}"

# ---------------------------------------------------------------------------------------
# Deployment artefacts: cfn-lint on deploy/aws/*.yaml (scripts/lint-deploy.sh)
# ---------------------------------------------------------------------------------------
say "deployment templates (cfn-lint)"
./scripts/lint-deploy.sh

# ---------------------------------------------------------------------------------------
# The OpenAPI document, and API fuzzing from it (scripts/fuzz.sh)
# ---------------------------------------------------------------------------------------
say "OpenAPI document (web/openapi.json) is current"
cargo build --quiet --bin boxoffice
"$ROOT/target/debug/boxoffice" --print-openapi | cmp -s - web/openapi.json \
  || die "web/openapi.json is not the server's document: run \`cargo run --bin boxoffice -- --print-openapi > web/openapi.json\` and \`npm run api:gen\` in web/ (DEVELOPERS.md)"
say "API fuzzing (schemathesis against real servers, SQLite and PostgreSQL)"
BOXOFFICE_BIN="$ROOT/target/debug/boxoffice" ./scripts/fuzz.sh

# ---------------------------------------------------------------------------------------
# Socket.IO clients against real server processes
# ---------------------------------------------------------------------------------------
# The fault tests put a real nginx (deploy/nginx.conf.template) in front of the instances.
if [ -z "${NGINX_BIN:-}" ] && ! have nginx && [ ! -x /usr/sbin/nginx ]; then
  say "installing nginx with apt (fault tests behind a load balancer)"
  apt_install nginx || die "the fault tests need nginx: apt-get install nginx (or set NGINX_BIN)"
fi
say "Socket.IO tests (official socket.io-client, real server processes)"
cargo build --quiet --bin boxoffice
(cd tests/realtime && npm ci --no-audit --no-fund --loglevel=error)
export BOXOFFICE_BIN="$ROOT/target/debug/boxoffice"
(cd tests/realtime && node --test --test-concurrency=1 --test-timeout=180000 ./*.test.mjs)

# ---------------------------------------------------------------------------------------
# Web app
# ---------------------------------------------------------------------------------------
if [ -f web/package.json ]; then
  say "web app: unit tests"
  (cd web && npm ci --no-audit --no-fund --loglevel=error && npm run api:check && npm test)
  if [ -d web/e2e ]; then
    if [ ! -x /usr/bin/chromium ]; then
      say "installing Chromium with apt (browser tests)"
      apt_install chromium || die "browser tests need /usr/bin/chromium: apt-get install chromium"
    fi
    # The Korean screens (e2e/i18n.test.mjs) and their screenshots need a Hangul font.
    if ! fc-list :lang=ko 2>/dev/null | grep -q .; then
      say "installing a Korean font with apt (browser tests in Korean)"
      apt_install fonts-nanum || say "no Korean font: the Korean screenshots will show boxes"
    fi
    say "web app: browser tests (headless Chromium)"
    (cd web && npm run build && npm run e2e)
  fi
else
  echo "web app: not present yet"
fi

say "all tests passed"
