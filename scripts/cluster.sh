#!/usr/bin/env bash
# Runs a local cluster on this machine and keeps it running: 3 Boxoffice instances (ports
# 3011-3013) sharing one Redis and the local PostgreSQL, behind nginx on
# http://localhost:3001 (deploy/nginx.conf.template: WebSocket upgrade, ip_hash stickiness
# for long-polling, failover to the next instance).
#
#   ./scripts/cluster.sh                 # start everything, in the foreground; Ctrl-C stops all
#   INSTANCES=5 ./scripts/cluster.sh
#   REDIS_URL=redis://127.0.0.1:6379 ./scripts/cluster.sh   # an existing Redis instead
#
# From another terminal, while it runs (UNIT is an instance number, `redis` or `nginx`):
#
#   ./scripts/cluster.sh status          # each unit: pid, port, and each instance's /readyz
#   ./scripts/cluster.sh kill UNIT       # kill -9: a crash
#   ./scripts/cluster.sh stop UNIT       # SIGTERM: an instance drains (DRAIN_SECONDS), Redis saves
#   ./scripts/cluster.sh start UNIT      # start it again (waits until an instance is ready)
#   ./scripts/cluster.sh restart UNIT    # stop, then start
#
# The foreground process supervises: when a unit dies it says so (with its exit status) and
# keeps everything else up; nothing restarts by itself, so a drill shows the failover, and
# `start` brings the unit back. It also reports each instance's readiness (/readyz) as it
# changes: ready, or not ready and why (draining, database or Redis unreachable).
# State lives in data/cluster/: <unit>.pid, logs (instance-N.log, nginx-error.log,
# redis.log), the shared JWT secret and the cluster Redis's data.
#
# Redis: unless REDIS_URL is set, the cluster runs its own redis-server (CLUSTER_REDIS_PORT,
# default 6390) with its data in data/cluster/redis and AOF persistence (appendonly yes,
# appendfsync everysec: a Redis restart loses at most about a second of writes). Being the
# cluster's own, it is safe to restart or flush for the drills (README, docs/operations.md).
# With REDIS_URL set, the script warns when that Redis does not persist with AOF.
#
# Ports: LB_PORT (3001) for nginx, BASE_PORT+N (3010+N) for instance N.
# Needs: cargo, curl, PostgreSQL, redis-server 7+ and nginx (both installed with apt when
# missing and run as root).
set -euo pipefail
cd "$(dirname "$0")/.."

INSTANCES=${INSTANCES:-3}
LB_PORT=${LB_PORT:-3001}
BASE_PORT=${BASE_PORT:-3010}
REDIS_URL=${REDIS_URL:-}
CLUSTER_REDIS_PORT=${CLUSTER_REDIS_PORT:-6390}
PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
DB_NAME=${DB_NAME:-boxoffice_cluster}
DRAIN_SECONDS=${DRAIN_SECONDS:-10}
RUN_DIR=$PWD/data/cluster
mkdir -p "$RUN_DIR"
# Subcommands use the running cluster's settings (written at its start), whatever this
# terminal's environment says.
if [ "${1:-up}" != up ] && [ -f "$RUN_DIR/cluster.env" ]; then
  # shellcheck source=/dev/null
  . "$RUN_DIR/cluster.env"
fi

need() { command -v "$1" >/dev/null 2>&1; }
say() { printf '[%s] cluster: %s\n' "$(date +%H:%M:%S)" "$*"; }
die() { echo "cluster: $*" >&2; exit 1; }
pid_of() { local p; p=$(cat "$RUN_DIR/$1.pid" 2>/dev/null || true); [ -n "$p" ] && kill -0 "$p" 2>/dev/null && echo "$p"; }
port_of() { echo $((BASE_PORT + $1)); }
# The unit an argument names: an instance number, redis or nginx.
unit_of() {
  case "${1:-}" in
    redis | nginx) echo "$1" ;;
    '' | *[!0-9]*) die "name an instance number (1-$INSTANCES), redis or nginx" ;;
    *) if [ "$1" -lt 1 ] || [ "$1" -gt "$INSTANCES" ]; then die "instance $1? there are $INSTANCES (INSTANCES)"; fi
       echo "instance-$1" ;;
  esac
}
# One instance's /readyz: "200 <body>", "503 <body>" or "down".
readyz() {
  local out
  out=$(curl -s -m 2 -w ' %{http_code}' "http://127.0.0.1:$(port_of "$1")/readyz" 2>/dev/null) || { echo down; return; }
  echo "${out##* } ${out% *}"
}
supervisor() { pid_of cluster; }
# signal <signal> <pid>: the unit's whole process group (each unit leads its own session, so
# nginx's workers go with their master; a SIGKILLed master alone would leave them serving).
signal() { kill -s "$1" -- "-$2" 2>/dev/null || kill -s "$1" "$2" 2>/dev/null; }
pid_or_down() { local p; if p=$(pid_of "$1"); then echo "pid $p"; else echo down; fi; }
log_of() { case $1 in nginx) echo "$RUN_DIR/nginx-error.log" ;; *) echo "$RUN_DIR/$1.log" ;; esac; }

# ---------------------------------------------------------------------------------------
# Subcommands for a running cluster (another terminal)
# ---------------------------------------------------------------------------------------
status() {
  local sup p
  sup=$(supervisor || true)
  if [ -n "$sup" ]; then echo "supervisor  pid $sup"; else echo "supervisor  not running (start the cluster: ./scripts/cluster.sh)"; fi
  printf '%-11s %-10s %-6s %s\n' nginx "$(pid_or_down nginx)" "$LB_PORT" "http://localhost:$LB_PORT"
  if [ -f "$RUN_DIR/redis.url" ]; then
    printf '%-11s %-10s %-6s %s\n' redis "$(pid_or_down redis)" "$CLUSTER_REDIS_PORT" "$(redis-cli -p "$CLUSTER_REDIS_PORT" ping 2>/dev/null || echo 'no answer')"
  fi
  for i in $(seq 1 "$INSTANCES"); do
    printf '%-11s %-10s %-6s /readyz %s\n' "instance $i" "$(pid_or_down "instance-$i")" "$(port_of "$i")" "$(readyz "$i")"
  done
}

# signal_unit <unit> <signal> <verb>
signal_unit() {
  local unit=$1 sig=$2 p
  p=$(pid_of "$unit") || die "$unit is not running"
  : > "$RUN_DIR/$unit.stopping"
  signal "$sig" "$p"
  echo "$p"
}

kill_unit() {
  local unit p
  unit=$(unit_of "$1")
  rm -f "$RUN_DIR/$unit.stopping"
  p=$(pid_of "$unit") || die "$unit is not running"
  signal KILL "$p"
  echo "cluster: $unit (pid $p) killed with SIGKILL; the supervisor's terminal reports it; bring it back with: $0 start ${1}"
}

stop_unit() {
  local unit p start
  unit=$(unit_of "$1")
  p=$(signal_unit "$unit" TERM)
  start=$EPOCHREALTIME
  echo "cluster: $unit (pid $p) sent SIGTERM; waiting for it to exit"
  for _ in $(seq 1 $(((DRAIN_SECONDS + 30) * 10))); do
    kill -0 "$p" 2>/dev/null || { echo "cluster: $unit exited after $(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"; return 0; }
    sleep 0.1
  done
  die "$unit (pid $p) is still running $((DRAIN_SECONDS + 30)) s after SIGTERM; kill it with: $0 kill $1"
}

start_unit() {
  local unit p
  unit=$(unit_of "$1")
  [ -n "$(supervisor || true)" ] || die "the cluster is not running (start it: ./scripts/cluster.sh)"
  if p=$(pid_of "$unit"); then die "$unit is already running (pid $p)"; fi
  : > "$RUN_DIR/$unit.start"
  for _ in $(seq 1 600); do
    if p=$(pid_of "$unit"); then
      case $unit in
        instance-*) [ "$(readyz "$1" | cut -d' ' -f1)" = 200 ] && { echo "cluster: $unit ready (pid $p, port $(port_of "$1"))"; return 0; } ;;
        *) echo "cluster: $unit started (pid $p)"; return 0 ;;
      esac
    fi
    [ -f "$RUN_DIR/$unit.start" ] || [ -n "$(pid_of "$unit" || true)" ] || die "$unit did not start; see the supervisor's terminal"
    sleep 0.1
  done
  die "$unit did not become ready within 60 s; see the supervisor's terminal and $RUN_DIR/"
}

case "${1:-up}" in
  up) ;;
  status) status; exit 0 ;;
  kill) kill_unit "${2:-}"; exit 0 ;;
  stop) stop_unit "${2:-}"; exit 0 ;;
  start) start_unit "${2:-}"; exit 0 ;;
  restart) if pid_of "$(unit_of "${2:-}")" >/dev/null; then stop_unit "${2:-}"; fi; start_unit "${2:-}"; exit 0 ;;
  -h | --help | help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
  *) die "unknown command '$1' (status, kill N, stop N, start N, restart N; none starts the cluster)" ;;
esac

# ---------------------------------------------------------------------------------------
# Start everything, then supervise (foreground)
# ---------------------------------------------------------------------------------------
if p=$(supervisor); then die "a cluster is already running (supervisor pid $p): ./scripts/cluster.sh status"; fi

# ensure <command> <Debian package>
ensure() {
  need "$1" && return 0
  if [ "$(id -u)" = 0 ] && need apt-get; then
    echo "cluster: installing $2 with apt-get"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
  else
    die "$1 is missing; install it (apt-get install $2)"
  fi
}
ensure nginx nginx
[ -n "$REDIS_URL" ] || ensure redis-server redis-server
need redis-cli || die "redis-cli is missing (apt-get install redis-tools)"
need curl || die "curl is missing (apt-get install curl)"
need cargo || die "cargo is missing (install Rust with rustup)"
psql "$PG_ADMIN_URL" -Atqc 'select 1' >/dev/null 2>&1 || die "no PostgreSQL answers at $PG_ADMIN_URL"

# Redis: an existing one (REDIS_URL) is checked now; the cluster's own is started after the
# build, but its port is checked now so a clash fails before a long build.
rm -f "$RUN_DIR/redis.url"
if [ -n "$REDIS_URL" ]; then
  redis-cli -u "$REDIS_URL" ping >/dev/null 2>&1 || die "no Redis answers at $REDIS_URL"
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
    die "something already answers on 127.0.0.1:$CLUSTER_REDIS_PORT (a cluster Redis left running?); stop it or choose another CLUSTER_REDIS_PORT"
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

echo $$ > "$RUN_DIR/cluster.pid"
rm -f "$RUN_DIR"/*.start "$RUN_DIR"/*.stopping "$RUN_DIR"/*.exit "$RUN_DIR"/instance-*.pid

printf 'INSTANCES=%q\nLB_PORT=%q\nBASE_PORT=%q\nCLUSTER_REDIS_PORT=%q\nDRAIN_SECONDS=%q\n' \
  "$INSTANCES" "$LB_PORT" "$BASE_PORT" "$CLUSTER_REDIS_PORT" "$DRAIN_SECONDS" > "$RUN_DIR/cluster.env"

declare -A pids=() ready=()
# launch <unit> <log> <command...>: runs it in its own session (setsid), so Ctrl-C in this
# terminal reaches this script alone, which then stops the units in order. A small wrapper
# records the unit's pid and, when it ends, its exit status (for the report).
launch() {
  local unit=$1 log=$2
  shift 2
  rm -f "$RUN_DIR/$unit.pid" "$RUN_DIR/$unit.exit"
  ( setsid "$@" </dev/null >>"$log" 2>&1 &
    echo $! > "$RUN_DIR/$unit.pid"
    status=0
    wait $! || status=$?
    echo "$status" > "$RUN_DIR/$unit.exit" ) 2>/dev/null &
  for _ in $(seq 1 100); do [ -s "$RUN_DIR/$unit.pid" ] && break; sleep 0.02; done
  pids[$unit]=$(cat "$RUN_DIR/$unit.pid")
}
# exit_status_of <unit>: what its wrapper recorded (waits for it briefly).
exit_status_of() {
  for _ in $(seq 1 50); do [ -s "$RUN_DIR/$1.exit" ] && break; sleep 0.02; done
  cat "$RUN_DIR/$1.exit" 2>/dev/null || echo '?'
}

start_redis() {
  mkdir -p "$RUN_DIR/redis"
  launch redis "$RUN_DIR/redis.log" redis-server --port "$CLUSTER_REDIS_PORT" --bind 127.0.0.1 --daemonize no \
    --dir "$RUN_DIR/redis" --appendonly yes --appendfsync everysec \
    --logfile "$RUN_DIR/redis.log"
  for _ in $(seq 1 100); do
    redis-cli -p "$CLUSTER_REDIS_PORT" ping >/dev/null 2>&1 && break
    kill -0 "${pids[redis]}" 2>/dev/null || { say "redis-server did not start; see $RUN_DIR/redis.log"; return 1; }
    sleep 0.1
  done
  [ "$(redis-cli -p "$CLUSTER_REDIS_PORT" CONFIG GET appendonly 2>/dev/null | sed -n 2p)" = yes ] \
    || { say "redis-server on $CLUSTER_REDIS_PORT did not come up with appendonly yes; see $RUN_DIR/redis.log"; return 1; }
  say "Redis on 127.0.0.1:$CLUSTER_REDIS_PORT (pid ${pids[redis]}) with AOF (everysec), data in $RUN_DIR/redis (log: $RUN_DIR/redis.log)"
}

start_instance() {
  local i=$1 port
  port=$(port_of "$i")
  # nginx connects from 127.0.0.1: believe its X-Forwarded-For, so each client gets its own
  # sign-in rate-limit bucket instead of all sharing the load balancer's.
  launch "instance-$i" "$RUN_DIR/instance-$i.log" env HOST=127.0.0.1 PORT="$port" DATABASE_URL="$DATABASE_URL" \
    REDIS_URL="$REDIS_URL" JWT_SECRET="$JWT_SECRET" TRUSTED_PROXIES=127.0.0.1/32 DRAIN_SECONDS="$DRAIN_SECONDS" \
    ./target/release/boxoffice
  ready[instance-$i]=starting
  say "instance $i starting on 127.0.0.1:$port (pid ${pids[instance-$i]}, log: $RUN_DIR/instance-$i.log)"
}

start_nginx() {
  launch nginx "$RUN_DIR/nginx-error.log" nginx -e "$RUN_DIR/nginx-error.log" -c "$RUN_DIR/nginx.conf" -p "$RUN_DIR"
  say "nginx (pid ${pids[nginx]}) on http://localhost:$LB_PORT (log: $RUN_DIR/nginx-error.log)"
}

start_named() {
  case $1 in
    redis) if $own_redis; then start_redis || true; else say "Redis is not the cluster's own ($REDIS_URL): nothing to start"; fi ;;
    nginx) start_nginx ;;
    instance-*) start_instance "${1#instance-}" ;;
  esac
}

# stop_all <signal>: instances first (they drain while nginx still routes), then nginx,
# then Redis once nobody writes to it (on SIGTERM it syncs its AOF).
stop_all() {
  local sig=$1 u p deadline
  for group in instances nginx redis; do
    local units=()
    case $group in
      instances) for i in $(seq 1 "$INSTANCES"); do units+=("instance-$i"); done ;;
      *) units=("$group") ;;
    esac
    for u in "${units[@]}"; do
      p=${pids[$u]:-}
      if [ -n "$p" ]; then signal "$sig" "$p" || true; fi
    done
    deadline=$(($(date +%s) + DRAIN_SECONDS + 15))
    for u in "${units[@]}"; do
      p=${pids[$u]:-}
      [ -n "$p" ] || continue
      while kill -0 "$p" 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.1; done
      signal KILL "$p" || true
      pids[$u]=
      rm -f "$RUN_DIR/$u.pid"
    done
  done
}
stopping=false
on_interrupt() {
  if $stopping; then
    say "stopping at once (SIGKILL)"
    stop_all KILL
    exit 130
  fi
  stopping=true
  say "stopping: instances drain (up to ${DRAIN_SECONDS} s), then nginx, then Redis; Ctrl-C again to kill them"
  stop_all TERM
  rm -f "$RUN_DIR/cluster.pid" "$RUN_DIR/cluster.env"
  say "stopped"
  exit 0
}
trap on_interrupt INT TERM
trap 'trap - INT TERM; stop_all KILL; rm -f "$RUN_DIR/cluster.pid" "$RUN_DIR/cluster.env"' EXIT

if $own_redis; then
  start_redis || exit 1
  echo "$REDIS_URL" > "$RUN_DIR/redis.url"
fi

for i in $(seq 1 "$INSTANCES"); do start_instance "$i"; done
# The template's line naming __UPSTREAMS__ is repeated once per instance.
addrs=""
for i in $(seq 1 "$INSTANCES"); do addrs+="127.0.0.1:$(port_of "$i") "; done
sed -e "s#__RUN_DIR__#$RUN_DIR#g" -e "s#__LISTEN__#$LB_PORT#g" deploy/nginx.conf.template \
  | awk -v addrs="$addrs" '/__UPSTREAMS__/ { n = split(addrs, a, " "); for (i = 1; i <= n; i++) { l = $0; gsub(/__UPSTREAMS__/, a[i], l); print l } next } { print }' \
  > "$RUN_DIR/nginx.conf"
nginx -t -e "$RUN_DIR/nginx-error.log" -c "$RUN_DIR/nginx.conf" -p "$RUN_DIR" >/dev/null 2>&1 \
  || { nginx -t -e "$RUN_DIR/nginx-error.log" -c "$RUN_DIR/nginx.conf" -p "$RUN_DIR"; exit 1; }
start_nginx
say "Ctrl-C stops all; from another terminal: $0 status | kill N | stop N | start N | restart N (N: 1-$INSTANCES, redis, nginx)"

# describe_exit <status>: how a process ended, from the status `wait` gives.
describe_exit() {
  local s=$1
  if [ "$s" = '?' ]; then echo "ended (status unknown)"
  elif [ "$s" -gt 128 ]; then echo "killed by signal $((s - 128)) ($(kill -l $((s - 128)) 2>/dev/null || echo '?'))"; else echo "exited with status $s"; fi
}

units=(nginx)
$own_redis && units+=(redis)
for i in $(seq 1 "$INSTANCES"); do units+=("instance-$i"); done
while :; do
  for u in "${units[@]}"; do
    p=${pids[$u]:-}
    if [ -n "$p" ] && ! kill -0 "$p" 2>/dev/null; then
      pids[$u]=
      how=$(describe_exit "$(exit_status_of "$u")")
      rm -f "$RUN_DIR/$u.pid" "$RUN_DIR/$u.exit"
      if [ -f "$RUN_DIR/$u.stopping" ]; then
        rm -f "$RUN_DIR/$u.stopping"
        say "$u (pid $p) stopped: $how"
      else
        say "$u (pid $p) DIED: $how; the others stay up (log: $(log_of "$u")); bring it back with: $0 start ${u#instance-}"
      fi
      [ "$u" = nginx ] && say "WARNING: without nginx, http://localhost:$LB_PORT is down (the instances still answer on their own ports)"
    fi
    if [ -f "$RUN_DIR/$u.start" ]; then
      rm -f "$RUN_DIR/$u.start"
      [ -n "${pids[$u]:-}" ] || start_named "$u"
    fi
    # Readiness as it changes.
    if [[ $u == instance-* ]] && [ -n "${pids[$u]:-}" ]; then
      r=$(readyz "${u#instance-}")
      code=${r%% *}
      if [ "$code" = 200 ] && [ "${ready[$u]}" != yes ]; then
        ready[$u]=yes
        say "instance ${u#instance-} ready (pid ${pids[$u]}, port $(port_of "${u#instance-}"))"
      elif [ "$code" != 200 ] && [ "${ready[$u]}" = yes ]; then
        ready[$u]=no
        say "instance ${u#instance-} NOT ready: /readyz $r"
      fi
    fi
  done
  sleep 0.5
done
