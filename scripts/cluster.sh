#!/usr/bin/env bash
# Runs a local cluster on this machine: 3 Boxoffice instances (ports 3011-3013) sharing the
# local Redis and PostgreSQL, behind nginx on http://localhost:3001 (WebSocket upgrade,
# ip_hash stickiness for long-polling). Ctrl-C stops everything.
#
#   ./scripts/cluster.sh            # uses redis://127.0.0.1:6379 and postgres on 5432
#   INSTANCES=5 ./scripts/cluster.sh
#
# Needs: cargo, a running Redis 7+ and PostgreSQL, nginx (installed with apt when missing
# and run as root).
set -euo pipefail
cd "$(dirname "$0")/.."

INSTANCES=${INSTANCES:-3}
LB_PORT=${LB_PORT:-3001}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
DB_NAME=${DB_NAME:-boxoffice_cluster}
RUN_DIR=$PWD/data/cluster
mkdir -p "$RUN_DIR"

need() { command -v "$1" >/dev/null 2>&1; }
if ! need nginx; then
  if [ "$(id -u)" = 0 ] && need apt-get; then
    echo "cluster: installing nginx with apt-get"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null
  else
    echo "cluster: nginx is missing; install it (apt-get install nginx)" >&2
    exit 1
  fi
fi
need cargo || { echo "cluster: cargo is missing (install Rust with rustup)" >&2; exit 1; }
redis-cli -u "$REDIS_URL" ping >/dev/null 2>&1 || { echo "cluster: no Redis answers at $REDIS_URL" >&2; exit 1; }
psql "$PG_ADMIN_URL" -Atqc 'select 1' >/dev/null 2>&1 || { echo "cluster: no PostgreSQL answers at $PG_ADMIN_URL" >&2; exit 1; }
if [ "$(psql "$PG_ADMIN_URL" -Atqc "select 1 from pg_database where datname = '$DB_NAME'")" != 1 ]; then
  psql "$PG_ADMIN_URL" -qc "CREATE DATABASE $DB_NAME"
fi
DATABASE_URL="${PG_ADMIN_URL%/*}/$DB_NAME"

# One secret shared by every instance, kept so restarts keep sessions.
[ -s "$RUN_DIR/jwt_secret" ] || (umask 077 && openssl rand -hex 32 > "$RUN_DIR/jwt_secret")
JWT_SECRET=$(cat "$RUN_DIR/jwt_secret")

cargo build --release --bin boxoffice
[ -f web/package.json ] && { (cd web && { [ -d node_modules ] || npm ci --no-audit --no-fund; } && npm run build); }

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

upstreams=""
for i in $(seq 1 "$INSTANCES"); do
  port=$((3010 + i))
  # nginx connects from 127.0.0.1: believe its X-Forwarded-For, so each client gets its own
  # sign-in rate-limit bucket instead of all sharing the load balancer's.
  HOST=127.0.0.1 PORT=$port DATABASE_URL=$DATABASE_URL REDIS_URL=$REDIS_URL JWT_SECRET=$JWT_SECRET \
    TRUSTED_PROXIES=127.0.0.1/32 ./target/release/boxoffice > "$RUN_DIR/instance-$i.log" 2>&1 &
  pids+=($!)
  upstreams+="        server 127.0.0.1:$port;"$'\n'
  echo "cluster: instance $i on 127.0.0.1:$port (log: $RUN_DIR/instance-$i.log)"
done
sed -e "s#__RUN_DIR__#$RUN_DIR#g" -e "s#__LISTEN__#$LB_PORT#g" deploy/nginx.conf.template \
  | awk -v up="$upstreams" '{ if ($0 ~ /__UPSTREAMS__/) printf "%s", up; else print }' > "$RUN_DIR/nginx.conf"
nginx -t -c "$RUN_DIR/nginx.conf" -p "$RUN_DIR" >/dev/null 2>&1 || { nginx -t -c "$RUN_DIR/nginx.conf" -p "$RUN_DIR"; exit 1; }
nginx -c "$RUN_DIR/nginx.conf" -p "$RUN_DIR" &
pids+=($!)
echo "cluster: load balancer on http://localhost:$LB_PORT — Ctrl-C stops all"
wait -n "${pids[@]}"
