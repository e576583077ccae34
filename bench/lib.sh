# Shared by the bench/*.sh scripts (sourced): a free loopback port, and the median of numbers
# on stdin.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# alternate ROUNDS OLD_BIN NEW_BIN RUN [SUFFIX]: ROUNDS rounds of `RUN BIN LABEL` for both
# builds, alternating which goes first so neither always meets a warmer machine. RUN prints
# "LABEL FIGURE ..."; each line is echoed as "round R: LINE SUFFIX", and the medians of old
# and new FIGUREs end up in $old_median and $new_median.
alternate() {
  local rounds=$1 old=$2 new=$3 fn=$4 suffix=${5:-} r which bin line lines=()
  for r in $(seq "$rounds"); do
    local order=(old new); (( r % 2 )) || order=(new old)
    for which in "${order[@]}"; do
      bin=$old; [ "$which" = new ] && bin=$new
      line=$("$fn" "$bin" "$which")
      echo "round $r: $line${suffix:+ $suffix}"
      lines+=("$line")
    done
  done
  old_median=$(printf '%s\n' "${lines[@]}" | awk '$1=="old"{print $2}' | median)
  new_median=$(printf '%s\n' "${lines[@]}" | awk '$1=="new"{print $2}' | median)
}

# start_server BIN KIND [NAME=VALUE ...]: BIN on a free loopback port with a fresh database
# (pg: a database of its own on $pg, dropped by stop_server; sqlite: a file in a folder of its
# own under $work), no demo, no per-user shopping limit, plus the NAME=VALUE settings given;
# waits for /healthz. Sets $server_pid, $server_db (pg only) and $server_url. The caller sets
# $work, $pg and $secret. Every bench/*.sh starts its servers through it.
start_server() {
  local bin=$1 kind=$2 port url
  shift 2
  port=$(free_port)
  server_db=
  if [ "$kind" = pg ]; then
    server_db=bo_bench_$RANDOM$RANDOM
    psql "$pg" -qc "CREATE DATABASE $server_db" >/dev/null
    url="${pg%/*}/$server_db"
  else
    mkdir -p "$work/server-$port"
    url="sqlite://$work/server-$port/bo.db"
  fi
  env -u REDIS_URL DATABASE_URL="$url" DATA_DIR="$work" HOST=127.0.0.1 PORT="$port" \
    JWT_SECRET="$secret" SEED_DEMO=false SHOP_RATE_PER_USER=0 RUST_LOG=error "$@" \
    "$bin" >"$work/server-$port.log" 2>&1 &
  server_pid=$!
  server_url="http://127.0.0.1:$port"
  for _ in $(seq 100); do curl -sf "$server_url/healthz" >/dev/null && return 0; sleep 0.1; done
  echo "the server did not answer on $server_url:" >&2
  cat "$work/server-$port.log" >&2
  return 1
}

# stop_server: stops what start_server started and drops its PostgreSQL database.
stop_server() {
  if [ -n "${server_pid:-}" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ -n "${server_db:-}" ]; then
    psql "$pg" -qc "DROP DATABASE IF EXISTS $server_db WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  server_pid= server_db=
}

# One `boxoffice-load holds|best` run against a server of its own (start_server): 64 buyers
# for 10 s on SEATS seats, every won hold cancelled at once. Prints "holds/s median_ms
# conflicts". The caller sets $work, $pg, $secret and $load.
hold_run() { # bin kind(pg|sqlite) cmd(holds|best) seats
  local bin=$1 kind=$2 cmd=$3 seats=$4 out
  start_server "$bin" "$kind" || return 1
  out=$("$load" --url "$server_url" --jwt-secret "$secret" "$cmd" --seconds 10 \
    --concurrency 64 --seats "$seats" 2>&1) || { echo "$out" >&2; stop_server; return 1; }
  stop_server
  # "holds: N ok (R/s, ...)", "latency ms: median M, ..." and "K conflicts" from the summary.
  local rate ms conflicts
  rate=$(grep -oE '^holds: [0-9]+ ok \([0-9.]+/s' <<<"$out" | grep -oE '[0-9.]+/s' | tr -d '/s' || true)
  ms=$(grep -oE 'median [0-9.]+' <<<"$out" | head -1 | grep -oE '[0-9.]+' || true)
  conflicts=$(grep -oE '[0-9]+ conflicts' <<<"$out" | grep -oE '[0-9]+' || true)
  if [ -z "$rate" ]; then echo "$out" >&2; return 1; fi
  echo "$rate ${ms:--} ${conflicts:-0}"
}
