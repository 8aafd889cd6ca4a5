#!/usr/bin/env bash
# The side-by-side macro benchmark: wrk (closed loop) and httperf (open loop) against one
# tidegate-echo backend directly, tidegate, nginx and haproxy in front of two backends, then
# the memory cost of idle keep-alive connections. Prints Markdown tables and updates
# docs/benchmarks.md. See bench/README.md.
#
# --lua runs the Lua scenario instead (bench/lua/): direct, nginx + lua-nginx-module and
# tidegate running the same per-IP limit and least-in-flight balancer, and tidegate with no
# script (hooks on vs off), with the same pinning and load; it writes its own section.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: bench/run.sh [options]

  --rounds N          closed-loop rounds; every round runs every target once (default 3)
  --duration S        seconds per wrk run (default 10)
  --connections C     wrk connections (default 50)
  --threads T         wrk threads (default 1)
  --warmup S          seconds of wrk against each target before the rounds (default 3)
  --balance NAME      tidegate balancer: least_request | round_robin (default least_request)
  --open-fraction F   open-loop rate as a fraction of nginx's closed-loop median (default 0.6)
  --open-duration S   seconds of the open-loop run per target (default 10)
  --open-calls K      requests per httperf connection (default 10)
  --open-rate R       open-loop rate in req/s, instead of --open-fraction of nginx's
  --idle-conns N      idle keep-alive connections for the memory test (default 10000)
  --targets LIST      comma-separated subset of direct,tidegate,tidegate-nometrics,nginx,haproxy
                      (default: all but tidegate-nometrics, which is tidegate with request
                      metrics off: add it to measure what metrics cost;
                      with --lua: direct,tidegate-lua,nginx-lua,tidegate)
  --lua               the Lua scenario: per-IP limit + least-in-flight balancer as Lua in
                      nginx (access_by_lua, balancer_by_lua, ngx.shared) and in tidegate
                      (bench/lua/tidegate_least_loaded_limit.lua), open loop at a fraction
                      of nginx + Lua's req/s; implies --skip-memory; writes the "Lua scripts" section of docs/benchmarks.md
  --lua-limit N       the per-client-IP limit in requests per second (default 1000000000, so
                      nothing is rejected; a small one shows the limit working: 429s)
  --skip-open         no open-loop run
  --skip-memory       no memory test
  --no-doc            print the tables only; leave docs/benchmarks.md alone
  --keep DIR          keep the raw outputs, logs and configs in DIR
  --build DIR         where tidegate and tidegate-echo are (default build/release)
  --server-cpu N      CPU for the servers (default 0)
  --client-cpu N      CPU for wrk/httperf (default 1)
  --nice N            run servers and load tools at this nice value, and give this session's
                      scheduler autogroup the same (with autogroups, nice alone does not act
                      across sessions); e.g. -20 as root, so that a build running on the
                      same machine disturbs less. Restored on exit. Default 0: untouched.
EOF
}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROUNDS=3 DURATION=10 CONNECTIONS=50 THREADS=1 WARMUP=3 BALANCE=least_request
OPEN_FRACTION=0.6 OPEN_DURATION=10 OPEN_CALLS=10 OPEN_RATE="" IDLE_CONNS=10000
TARGETS=direct,tidegate,nginx,haproxy
SKIP_OPEN=0 SKIP_MEMORY=0 WRITE_DOC=1 KEEP="" BUILD="$ROOT/build/release"
SERVER_CPU=0 CLIENT_CPU=1 NICE=0
LUA=0 LUA_LIMIT=1000000000 TARGETS_GIVEN=0
COMMAND="bench/run.sh${*:+ $*}"

while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --balance) BALANCE=$2; shift 2 ;;
    --open-fraction) OPEN_FRACTION=$2; shift 2 ;;
    --open-duration) OPEN_DURATION=$2; shift 2 ;;
    --open-calls) OPEN_CALLS=$2; shift 2 ;;
    --open-rate) OPEN_RATE=$2; shift 2 ;;
    --idle-conns) IDLE_CONNS=$2; shift 2 ;;
    --targets) TARGETS=$2; TARGETS_GIVEN=1; shift 2 ;;
    --lua) LUA=1; shift ;;
    --lua-limit) LUA_LIMIT=$2; shift 2 ;;
    --skip-open) SKIP_OPEN=1; shift ;;
    --skip-memory) SKIP_MEMORY=1; shift ;;
    --no-doc) WRITE_DOC=0; shift ;;
    --keep) KEEP=$2; shift 2 ;;
    --build) BUILD=$2; shift 2 ;;
    --server-cpu) SERVER_CPU=$2; shift 2 ;;
    --client-cpu) CLIENT_CPU=$2; shift 2 ;;
    --nice) NICE=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done

if [[ $LUA == 1 ]]; then
  [[ $TARGETS_GIVEN == 1 ]] || TARGETS=direct,tidegate-lua,nginx-lua,tidegate
  SKIP_MEMORY=1
fi
for n in "$ROUNDS" "$DURATION" "$CONNECTIONS" "$THREADS" "$WARMUP" "$OPEN_DURATION" \
         "$OPEN_CALLS" "$IDLE_CONNS" "$LUA_LIMIT"; do
  [[ $n =~ ^[0-9]+$ ]] || { echo "run.sh: '$n' is not a whole number" >&2; exit 2; }
done
[[ $NICE =~ ^-?[0-9]+$ ]] || { echo "run.sh: --nice takes a number" >&2; exit 2; }
[[ $ROUNDS -ge 1 && $DURATION -ge 1 && $OPEN_CALLS -ge 1 ]] || { echo "run.sh: rounds, duration and open-calls must be >= 1" >&2; exit 2; }
IFS=, read -r -a TARGET_LIST <<<"$TARGETS"
for t in "${TARGET_LIST[@]}"; do
  case "$t" in direct|tidegate|tidegate-nometrics|nginx|haproxy|tidegate-lua|nginx-lua) ;; *) echo "run.sh: unknown target $t" >&2; exit 2 ;; esac
done
has_target() { [[ ",$TARGETS," == *",$1,"* ]]; }

TIDEGATE="$BUILD/tidegate"
ECHO_BIN="$BUILD/tidegate-echo"
missing=()
for tool in wrk httperf nginx haproxy taskset python3 curl; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
[[ -x $TIDEGATE ]] || missing+=("$TIDEGATE")
[[ -x $ECHO_BIN ]] || missing+=("$ECHO_BIN")
# Debian's lua-nginx-module (libnginx-mod-http-lua, with lua-resty-core for ngx.balancer).
NGINX_MODULES=/usr/lib/nginx/modules
if has_target nginx-lua; then
  for f in "$NGINX_MODULES/ndk_http_module.so" "$NGINX_MODULES/ngx_http_lua_module.so"; do
    [[ -f $f ]] || missing+=("$f")
  done
fi
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "run.sh: missing: ${missing[*]}" >&2
  echo "  (scripts/install-deps.sh installs the tools; cmake --preset release && cmake --build build/release --target tidegate tidegate-echo builds the binaries)" >&2
  exit 1
fi

# Up to 10,000 client connections to the gateway, each also an fd in the client: every
# process started below inherits this limit.
ulimit -n "$(ulimit -Hn)"
if [[ $(ulimit -n) != unlimited && $(ulimit -n) -lt $((IDLE_CONNS + 1000)) ]]; then
  echo "run.sh: open-file limit $(ulimit -n) is too low for --idle-conns $IDLE_CONNS" >&2
  exit 1
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tidegate-bench.XXXXXX")
RAW="$WORK/raw"
mkdir -p "$RAW/closed" "$RAW/open" "$RAW/memory" "$WORK/logs"

PIDS=()
AUTOGROUP_NICE=""
cleanup() {
  local status=$?
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 50); do
    local alive=0
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [[ $alive == 0 ]] && break
    sleep 0.1
  done
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  if [[ -n $KEEP ]]; then
    mkdir -p "$KEEP" && cp -r "$WORK"/. "$KEEP"/ && echo "raw outputs kept in $KEEP" >&2
  fi
  rm -rf "$WORK"
  [[ -n $AUTOGROUP_NICE ]] && echo "$AUTOGROUP_NICE" >/proc/$$/autogroup 2>/dev/null
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# With scheduler autogroups (one per session), nice only ranks processes of the same
# session: --nice sets this session's autogroup nice too, and cleanup puts it back.
if [[ $NICE != 0 && -w /proc/$$/autogroup ]]; then
  AUTOGROUP_NICE=$(awk '{print $NF}' /proc/$$/autogroup)
  echo "$NICE" >/proc/$$/autogroup
fi

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

# N free loopback ports, one per line.
free_ports() {
  python3 - "$1" <<'EOF'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print("\n".join(str(s.getsockname()[1]) for s in socks))
EOF
}

wait_port() {  # PORT PID NAME: until something accepts on 127.0.0.1:PORT (10 s at most)
  local port=$1 pid=$2 name=$3
  for _ in $(seq 200); do
    kill -0 "$pid" 2>/dev/null || { echo "run.sh: $name exited; its log:" >&2; cat "$WORK/logs/$name.log" >&2; exit 1; }
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "run.sh: $name did not listen on $port within 10 s" >&2
  exit 1
}

# start NAME PORT COMMAND...: a server pinned to the server CPU; its pid is in $STARTED.
start() {
  local name=$1 port=$2
  shift 2
  nice -n "$NICE" taskset -c "$SERVER_CPU" "$@" >"$WORK/logs/$name.log" 2>&1 &
  STARTED=$!
  PIDS+=("$STARTED")
  wait_port "$port" "$STARTED" "$name"
}

stop() {  # PID: stop one server started above and wait for it
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  for i in "${!PIDS[@]}"; do [[ ${PIDS[$i]} == "$pid" ]] && unset 'PIDS[i]'; done
  return 0
}

render() {  # TEMPLATE OUT PORT PREFIX: fill in the @VAR@ placeholders of a bench/ template
  sed -e "s|@PORT@|$3|g" -e "s|@BACKEND1@|$B1|g" -e "s|@BACKEND2@|$B2|g" \
      -e "s|@BALANCE@|$BALANCE|g" -e "s|@PREFIX@|$4|g" -e "s|@LIMIT@|$LUA_LIMIT|g" \
      "$ROOT/bench/$1" >"$2"
}

# start_proxy NAME PORT: tidegate, nginx or haproxy in front of both backends ($STARTED = pid)
start_proxy() {
  local name=$1 port=$2 dir="$WORK/$1-$2"
  mkdir -p "$dir"
  case "$name" in
    tidegate)
      render peers/tidegate.yaml.in "$dir/tidegate.yaml" "$port" "$dir"
      start "tidegate-$port" "$port" "$TIDEGATE" run -c "$dir/tidegate.yaml" ;;
    tidegate-nometrics)
      # The same gateway with request metrics off: what recording them costs.
      render peers/tidegate.yaml.in "$dir/tidegate.yaml" "$port" "$dir"
      echo "metrics: { enabled: false }" >>"$dir/tidegate.yaml"
      start "tidegate-nometrics-$port" "$port" "$TIDEGATE" run -c "$dir/tidegate.yaml" ;;
    nginx)
      render peers/nginx.conf.in "$dir/nginx.conf" "$port" "$dir"
      start "nginx-$port" "$port" nginx -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" ;;
    tidegate-lua)
      # The script with this run's limit, next to the config that names it.
      sed -e "s|^local LIMIT = [0-9]*|local LIMIT = $LUA_LIMIT|" \
        "$ROOT/bench/lua/tidegate_least_loaded_limit.lua" >"$dir/tidegate_least_loaded_limit.lua"
      render lua/tidegate.yaml.in "$dir/tidegate.yaml" "$port" "$dir"
      start "tidegate-lua-$port" "$port" "$TIDEGATE" run -c "$dir/tidegate.yaml" ;;
    nginx-lua)
      render lua/nginx.conf.in "$dir/nginx.conf" "$port" "$dir"
      start "nginx-lua-$port" "$port" nginx -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" ;;
    haproxy)
      render peers/haproxy.cfg.in "$dir/haproxy.cfg" "$port" "$dir"
      start "haproxy-$port" "$port" haproxy -db -f "$dir/haproxy.cfg" ;;
  esac
}

# pids whose RSS makes up a server: the process and its children (nginx's worker)
server_pids() {
  local pid=$1 children
  children=$(cat /proc/"$pid"/task/*/children 2>/dev/null | tr -s ' \n' ' ')
  echo "$pid $children" | xargs | tr ' ' ','
}

check_200() {  # NAME PORT
  local code
  code=$(curl -s -o /dev/null -m 5 -w '%{http_code}' "http://127.0.0.1:$2/") || true
  [[ $code == 200 ]] || { echo "run.sh: $1 on port $2 answered '$code', not 200" >&2; exit 1; }
}

# --------------------------------------------------------------------------------------------
# machine and versions

load() { cut -d' ' -f1-3 /proc/loadavg; }

# CPU that other processes took on the two CPUs while the benchmark ran (a build running on
# a shared machine shows up in every number): a CPU's user+system ticks minus those of this
# script's own processes on it: the servers (pinned to the server CPU; live, from their
# /proc stat) and the load tools (pinned to the client CPU; finished children, from bash's
# `times`). Measured while every server is alive (closed and open loop).
TICK=$(getconf CLK_TCK)
cpu_ticks() { awk -v c="cpu$1" '$1 == c {print $2 + $3 + $4}' /proc/stat; }
server_ticks() {  # sets SERVER_TICKS
  local total=0 pid p t
  for pid in "${PIDS[@]}"; do
    for p in $(server_pids "$pid" | tr , ' '); do
      t=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13 + $14 + $15}')
      total=$((total + ${t:-0}))
    done
  done
  SERVER_TICKS=$total
}
client_ticks() {  # sets CLIENT_TICKS; no subshell, or `times` would not see our children
  times >"$WORK/times"  # second line: children's user and system time, as 0m1.234s 0m5.678s
  CLIENT_TICKS=$(tail -1 "$WORK/times" | awk -v tick="$TICK" '{
        s = 0
        for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); s += a[1] * 60 + a[2] }
        printf "%d", s * tick }')
}
foreign_mark() {  # NAME: remember the counters now
  local -n mark=$1
  server_ticks
  client_ticks
  mark=("$(cpu_ticks "$SERVER_CPU")" "$(cpu_ticks "$CLIENT_CPU")" "$SERVER_TICKS" "$CLIENT_TICKS"
        "$EPOCHREALTIME")
}
# NAME: sets FOREIGN to "S C OS OC": the share (in % of one CPU) of the server CPU and of the
# client CPU that other processes took since foreign_mark NAME, then the servers' own share
# of the server CPU and the load tool's of the client CPU; FOREIGN_TEXT says it in words.
foreign_since() {
  # shellcheck disable=SC2178  # a nameref to the array that foreign_mark filled
  local -n mark=$1
  server_ticks
  client_ticks
  FOREIGN=$(awk -v ms=$(($(cpu_ticks "$SERVER_CPU") - mark[0])) -v os=$((SERVER_TICKS - mark[2])) \
      -v mc=$(($(cpu_ticks "$CLIENT_CPU") - mark[1])) -v oc=$((CLIENT_TICKS - mark[3])) \
      -v t0="${mark[4]}" -v t1="$EPOCHREALTIME" -v tick="$TICK" 'BEGIN {
        wall = t1 - t0; if (wall <= 0) wall = 1
        k = 100 / tick / wall
        s = (ms - os) * k; c = (mc - oc) * k
        printf "%.0f %.0f %.0f %.0f", (s < 0 ? 0 : s), (c < 0 ? 0 : c), os * k, oc * k }')
  local f
  read -r -a f <<<"$FOREIGN"
  FOREIGN_TEXT="CPU: servers ${f[2]}%, others ${f[0]}% of the server CPU; load tool ${f[3]}%, others ${f[1]}% of the client CPU"
}
{
  printf 'date\t%s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
  printf 'command\t%s\n' "$COMMAND"
  printf 'commit\t%s\n' "$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)"
  printf 'nproc\t%s\n' "$(nproc)"
  printf 'cpu\t%s\n' "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs)"
  printf 'mem\t%s\n' "$(awk '/MemTotal/ {printf "%.0f GiB RAM", $2/1048576}' /proc/meminfo)"
  printf 'kernel\t%s\n' "$(uname -r)"
  printf 'tidegate_version\t%s\n' "$("$TIDEGATE" version 2>&1 | head -1)"
  printf 'tidegate_built\t%s\n' "$(date -u -r "$TIDEGATE" '+%Y-%m-%d %H:%M UTC')"
  printf 'nginx_version\t%s\n' "$(nginx -v 2>&1 | head -1)"
  printf 'haproxy_version\t%s\n' "$(haproxy -v 2>&1 | head -1 | cut -d' ' -f1-3)"
  printf 'wrk_version\t%s\n' "$(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
  printf 'httperf_version\t%s\n' "$(httperf --version 2>/dev/null | grep -o 'httperf-[0-9.]*' | head -1)"
  printf 'load_before\t%s\n' "$(load)"
  printf 'rounds\t%s\nduration\t%s\nconnections\t%s\nwrk_threads\t%s\nwarmup\t%s\n' \
    "$ROUNDS" "$DURATION" "$CONNECTIONS" "$THREADS" "$WARMUP"
  printf 'balance\t%s\nserver_cpu\t%s\nclient_cpu\t%s\nnice\t%s\n' "$BALANCE" "$SERVER_CPU" "$CLIENT_CPU" "$NICE"
  printf 'idle_conns\t%s\nwindow\t100\nsettle\t2\n' "$IDLE_CONNS"
  printf 'lua\t%s\nlua_limit\t%s\n' "$LUA" "$LUA_LIMIT"
  printf 'nginx_lua_module\t%s\n' "$(dpkg-query -W -f='${Version}' libnginx-mod-http-lua 2>/dev/null || echo '?')"
  printf 'luajit\t%s\n' "$(dpkg-query -W -f='${Version}' libluajit2-5.1-2 2>/dev/null || echo '?')"
} >"$RAW/meta.tsv"
log "load average before: $(load)"

# --------------------------------------------------------------------------------------------
# servers

mapfile -t PORTS < <(free_ports 8)
B1=${PORTS[0]} B2=${PORTS[1]}
declare -A PORT=([direct]=$B1 [tidegate]=${PORTS[2]} [nginx]=${PORTS[3]} [haproxy]=${PORTS[4]}
                 [tidegate-lua]=${PORTS[5]} [nginx-lua]=${PORTS[6]} [tidegate-nometrics]=${PORTS[7]})

start echo-1 "$B1" "$ECHO_BIN" --port "$B1" --threads 1 --id b1
start echo-2 "$B2" "$ECHO_BIN" --port "$B2" --threads 1 --id b2
for t in tidegate tidegate-nometrics nginx haproxy tidegate-lua nginx-lua; do
  has_target "$t" && start_proxy "$t" "${PORT[$t]}"
done
for t in "${TARGET_LIST[@]}"; do check_200 "$t" "${PORT[$t]}"; done
# The Lua balancers must spread load: a short concurrent burst reaches both backends.
for t in tidegate-lua nginx-lua; do
  has_target "$t" || continue
  seen=$(for _ in 1 2 3 4 5 6 7 8; do
           curl -s -o /dev/null -m 5 -w '%header{x-backend-id}\n' "http://127.0.0.1:${PORT[$t]}/" &
         done; wait)
  log "$t answered from backends: $(echo "$seen" | sort | uniq -c | xargs)"
done
log "backends on $B1 and $B2; $(for t in "${TARGET_LIST[@]}"; do printf '%s on %s; ' "$t" "${PORT[$t]}"; done)"

run_wrk() {  # TARGET SECONDS OUT
  nice -n "$NICE" taskset -c "$CLIENT_CPU" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$2"s --latency --timeout 5s \
    "http://127.0.0.1:${PORT[$1]}/" >"$3" 2>&1
}

# --------------------------------------------------------------------------------------------
# closed loop

if [[ $WARMUP -gt 0 ]]; then
  for t in "${TARGET_LIST[@]}"; do
    log "warm-up: $t ($WARMUP s)"
    run_wrk "$t" "$WARMUP" "$WORK/logs/warmup-$t.wrk"
  done
fi

foreign_mark CLOSED_MARK
n=${#TARGET_LIST[@]}
for ((r = 1; r <= ROUNDS; r++)); do
  for ((i = 0; i < n; i++)); do
    t=${TARGET_LIST[$(((i + r - 1) % n))]}  # rotate the starting target every round
    out="$RAW/closed/$t.r$r.wrk"
    foreign_mark ROUND_MARK
    run_wrk "$t" "$DURATION" "$out"
    foreign_since ROUND_MARK
    echo "$FOREIGN" >"$RAW/closed/$t.r$r.foreign"
    log "round $r/$ROUNDS $t: $(grep -E '^Requests/sec' "$out" | xargs), p99 $(grep -E '^ +99%' "$out" | xargs | cut -d' ' -f2); $FOREIGN_TEXT"
  done
done

foreign_since CLOSED_MARK
printf 'foreign_closed\t%s\n' "$FOREIGN" >>"$RAW/meta.tsv"
log "closed loop, $FOREIGN_TEXT"

# --------------------------------------------------------------------------------------------
# open loop

if [[ $SKIP_OPEN == 0 ]]; then
  if [[ -n $OPEN_RATE ]]; then
    base=$OPEN_RATE OPEN_FRACTION=1
    base_name="--open-rate"
  elif has_target nginx; then
    base=$(python3 "$ROOT/bench/report.py" median-rps "$RAW" nginx)
    base_name=nginx
  elif has_target nginx-lua; then
    base=$(python3 "$ROOT/bench/report.py" median-rps "$RAW" nginx-lua)
    base_name=nginx-lua
  else
    base=$(python3 "$ROOT/bench/report.py" median-rps "$RAW" "${TARGET_LIST[0]}")
    base_name=${TARGET_LIST[0]}
  fi
  # Round to a whole number of connections per second; the request rate follows from it.
  conn_rate=$(python3 -c "print(max(1, round($base * $OPEN_FRACTION / $OPEN_CALLS)))")
  open_rate=$((conn_rate * OPEN_CALLS))
  num_conns=$((conn_rate * OPEN_DURATION))
  printf 'open_fraction\t%s\nopen_rate\t%s\nopen_conn_rate\t%s\nopen_calls\t%s\nopen_duration\t%s\nopen_base\t%s\n' \
    "$OPEN_FRACTION" "$open_rate" "$conn_rate" "$OPEN_CALLS" "$OPEN_DURATION" "$base_name" >>"$RAW/meta.tsv"
  # No --hog: with it httperf binds local ports itself and can spin for minutes once earlier
  # runs have left many of them in TIME_WAIT; the kernel's own choice reuses them on loopback.
  for t in "${TARGET_LIST[@]}"; do
    log "open loop: $t at $open_rate req/s ($conn_rate connections/s × $OPEN_CALLS requests, $OPEN_DURATION s)"
    foreign_mark OPEN_MARK
    nice -n "$NICE" taskset -c "$CLIENT_CPU" timeout $((OPEN_DURATION * 3 + 30)) httperf --server 127.0.0.1 \
      --port "${PORT[$t]}" --uri / --rate "$conn_rate" --num-conns "$num_conns" \
      --num-calls "$OPEN_CALLS" --timeout 5 >"$RAW/open/$t.httperf" 2>"$WORK/logs/httperf-$t.err" || true
    foreign_since OPEN_MARK
    echo "$FOREIGN" >"$RAW/open/$t.foreign"
    grep -E '^(Request rate|Reply time|Errors: total)' "$RAW/open/$t.httperf" | sed 's/^/    /' >&2 || true
    log "$FOREIGN_TEXT"
  done
fi

# --------------------------------------------------------------------------------------------
# memory: fresh servers, idle RSS, then IDLE_CONNS idle keep-alive connections

if [[ $SKIP_MEMORY == 0 ]]; then
  for t in tidegate nginx haproxy; do
    has_target "$t" || continue
    port=$(free_ports 1)
    start_proxy "$t" "$port"
    pid=$STARTED
    sleep 2
    conns=$IDLE_CONNS
    # haproxy's maxconn is capped by the open-file limit (bench/peers/haproxy.cfg.in).
    [[ $t == haproxy && $conns -gt 9800 ]] && conns=9800
    log "memory: $t, $conns idle keep-alive connections"
    nice -n "$NICE" taskset -c "$CLIENT_CPU" python3 "$ROOT/bench/idle_conns.py" --port "$port" \
      --conns "$conns" --window 100 --settle 2 --timeout 180 \
      --pids "$(server_pids "$pid")" >"$RAW/memory/$t.json"
    sed 's/^/    /' "$RAW/memory/$t.json" >&2
    stop "$pid"
  done
fi

printf 'load_after\t%s\n' "$(load)" >>"$RAW/meta.tsv"
log "load average after: $(load)"

# --------------------------------------------------------------------------------------------
# report

echo
if [[ $LUA == 1 ]]; then
  if [[ $WRITE_DOC == 1 ]]; then
    python3 "$ROOT/bench/lua/report.py" "$RAW" --doc "$ROOT/docs/benchmarks.md"
    log "updated the Lua section of docs/benchmarks.md"
  else
    python3 "$ROOT/bench/lua/report.py" "$RAW"
  fi
elif [[ $WRITE_DOC == 1 ]]; then
  python3 "$ROOT/bench/report.py" summary "$RAW" --doc "$ROOT/docs/benchmarks.md"
  log "updated docs/benchmarks.md"
else
  python3 "$ROOT/bench/report.py" summary "$RAW"
fi
