#!/usr/bin/env bash
# Runs a local cluster on this machine: 3 Boxoffice instances (ports 3011-3013) sharing one
# Redis and the local PostgreSQL, behind nginx on http://localhost:3001 (WebSocket upgrade,
# ip_hash stickiness for long-polling). Ctrl-C stops everything.
#
#   ./scripts/cluster.sh            # its own Redis on 127.0.0.1:6390, postgres on 5432
#   INSTANCES=5 ./scripts/cluster.sh
#   REDIS_URL=redis://127.0.0.1:6379 ./scripts/cluster.sh   # an existing Redis instead
#
# Redis: unless REDIS_URL is set, the cluster runs its own redis-server (CLUSTER_REDIS_PORT,
# default 6390) with its data in data/cluster/redis and AOF persistence (appendonly yes,
# appendfsync everysec: a Redis restart loses at most about a second of writes). Being the
# cluster's own, it is safe to flush for the drill in docs/operations.md. With REDIS_URL set,
# the script warns when that Redis does not persist with AOF.
#
# Needs: cargo, PostgreSQL, redis-server 7+ and nginx (both installed with apt when missing
# and run as root).
set -euo pipefail
cd "$(dirname "$0")/.."

INSTANCES=${INSTANCES:-3}
LB_PORT=${LB_PORT:-3001}
REDIS_URL=${REDIS_URL:-}
CLUSTER_REDIS_PORT=${CLUSTER_REDIS_PORT:-6390}
PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
DB_NAME=${DB_NAME:-boxoffice_cluster}
RUN_DIR=$PWD/data/cluster
mkdir -p "$RUN_DIR"

need() { command -v "$1" >/dev/null 2>&1; }
# ensure <command> <Debian package>
ensure() {
  need "$1" && return 0
  if [ "$(id -u)" = 0 ] && need apt-get; then
    echo "cluster: installing $2 with apt-get"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
  else
    echo "cluster: $1 is missing; install it (apt-get install $2)" >&2
    exit 1
  fi
}
ensure nginx nginx
[ -n "$REDIS_URL" ] || ensure redis-server redis-server
need redis-cli || { echo "cluster: redis-cli is missing (apt-get install redis-tools)" >&2; exit 1; }
need cargo || { echo "cluster: cargo is missing (install Rust with rustup)" >&2; exit 1; }
psql "$PG_ADMIN_URL" -Atqc 'select 1' >/dev/null 2>&1 || { echo "cluster: no PostgreSQL answers at $PG_ADMIN_URL" >&2; exit 1; }

# Redis: an existing one (REDIS_URL) is checked now; the cluster's own is started after the
# build, but its port is checked now so a clash fails before a long build.
if [ -n "$REDIS_URL" ]; then
  redis-cli -u "$REDIS_URL" ping >/dev/null 2>&1 || { echo "cluster: no Redis answers at $REDIS_URL" >&2; exit 1; }
  aof=$(redis-cli -u "$REDIS_URL" CONFIG GET appendonly 2>/dev/null | sed -n 2p || true)
  case "$aof" in
    yes) ;;
    no) echo "cluster: WARNING: the Redis at $REDIS_URL runs without AOF persistence (appendonly no):" \
          "if it restarts, the waiting lines (and everything else Boxoffice keeps there) are lost and" \
          "the server falls back to its recovery window. Turn it on: redis-cli -u <url> CONFIG SET appendonly yes" \
          "(and appendonly yes in its redis.conf). See docs/operations.md." >&2 ;;
    *) echo "cluster: WARNING: could not read appendonly from the Redis at $REDIS_URL (CONFIG disabled?);" \
          "make sure it persists with AOF (docs/operations.md)" >&2 ;;
  esac
  own_redis=false
else
  REDIS_URL=redis://127.0.0.1:$CLUSTER_REDIS_PORT
  if redis-cli -p "$CLUSTER_REDIS_PORT" ping >/dev/null 2>&1; then
    echo "cluster: something already answers on 127.0.0.1:$CLUSTER_REDIS_PORT (a cluster Redis left running?);" \
      "stop it or choose another CLUSTER_REDIS_PORT" >&2
    exit 1
  fi
  own_redis=true
fi
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
redis_pid=
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  # Redis last, once no instance writes to it; on SIGTERM it syncs its AOF and exits.
  if [ -n "$redis_pid" ]; then kill "$redis_pid" 2>/dev/null || true; wait "$redis_pid" 2>/dev/null || true; fi
}
trap cleanup EXIT INT TERM

if $own_redis; then
  mkdir -p "$RUN_DIR/redis"
  redis-server --port "$CLUSTER_REDIS_PORT" --bind 127.0.0.1 --daemonize no \
    --dir "$RUN_DIR/redis" --appendonly yes --appendfsync everysec \
    --logfile "$RUN_DIR/redis.log" &
  redis_pid=$!
  for _ in $(seq 1 100); do
    redis-cli -p "$CLUSTER_REDIS_PORT" ping >/dev/null 2>&1 && break
    kill -0 "$redis_pid" 2>/dev/null || { echo "cluster: redis-server did not start; see $RUN_DIR/redis.log" >&2; exit 1; }
    sleep 0.1
  done
  [ "$(redis-cli -p "$CLUSTER_REDIS_PORT" CONFIG GET appendonly 2>/dev/null | sed -n 2p)" = yes ] \
    || { echo "cluster: redis-server on $CLUSTER_REDIS_PORT did not come up with appendonly yes; see $RUN_DIR/redis.log" >&2; exit 1; }
  echo "cluster: Redis on 127.0.0.1:$CLUSTER_REDIS_PORT with AOF (everysec), data in $RUN_DIR/redis (log: $RUN_DIR/redis.log)"
fi

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
