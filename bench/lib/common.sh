# Helpers for bench/run: process control, /proc sampling, wrk output parsing. Sourced, not executed.

BENCH_PIDS=()

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# render TEMPLATE OUT KEY=VALUE...  — replaces @KEY@ with VALUE.
render() {
  local tmpl=$1 out=$2; shift 2
  local args=() kv
  for kv in "$@"; do args+=(-e "s|@${kv%%=*}@|${kv#*=}|g"); done
  sed "${args[@]}" "$tmpl" >"$out"
}

# start_bg NAME LOGFILE CMD...  — starts CMD in the background, records its PID in LAST_PID
# (a variable, not stdout: a $(...) subshell would lose the BENCH_PIDS entry the EXIT trap needs).
start_bg() {
  local name=$1 logf=$2; shift 2
  "$@" >"$logf" 2>&1 </dev/null &
  local pid=$!
  BENCH_PIDS+=("$pid")
  LAST_PID=$pid
  log "started $name (pid $pid): $*"
}

# Direct children of PID (nginx workers of a master).
children_of() { pgrep -P "$1" 2>/dev/null || true; }

# The PID and its direct children.
proc_group() { echo "$1"; children_of "$1"; }

# stop_pid PID — TERM, wait up to 3 s, then KILL the process and its children.
stop_pid() {
  local pid=$1 kids i
  kill -0 "$pid" 2>/dev/null || return 0
  kids=$(children_of "$pid")
  kill -TERM "$pid" 2>/dev/null
  for i in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null; fi
  for i in $kids; do kill -KILL "$i" 2>/dev/null; done
  wait "$pid" 2>/dev/null || true
}

stop_all() {
  local pid
  for pid in "${BENCH_PIDS[@]}"; do stop_pid "$pid"; done
  BENCH_PIDS=()
}

# Sum of utime+stime clock ticks over the process group of PID.
cpu_ticks() {
  local total=0 p f
  for p in $(proc_group "$1"); do
    f=$(cat "/proc/$p/stat" 2>/dev/null) || continue
    f=${f##*) }                                # drop "pid (comm) ", comm may hold spaces
    set -- $f                                  # $1 = state (field 3) ... utime = field 14 → $12
    total=$((total + ${12} + ${13}))
  done
  echo "$total"
}

# Sum of VmRSS (KiB) over the process group of PID.
rss_kib() {
  local total=0 p v
  for p in $(proc_group "$1"); do
    v=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null)
    total=$((total + ${v:-0}))
  done
  echo "$total"
}

# wait_port PORT SECONDS — until something accepts on 127.0.0.1:PORT.
wait_port() {
  local port=$1 secs=$2 end=$((SECONDS + $2))
  while ((SECONDS < end)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# wait_ok URL SECONDS — until a GET answers 200 (health checks passed, pool usable).
wait_ok() {
  local url=$1 end=$((SECONDS + $2)) code
  while ((SECONDS < end)); do
    code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$url" 2>/dev/null)
    [ "$code" = 200 ] && return 0
    sleep 0.2
  done
  return 1
}

# parse_wrk FILE — prints "rps mbps p50_ms p99_ms errors requests".
parse_wrk() {
  awk '
    function ms(v) {
      if (v ~ /us$/) return substr(v, 1, length(v)-2) / 1000
      if (v ~ /ms$/) return substr(v, 1, length(v)-2) + 0
      if (v ~ /m$/)  return substr(v, 1, length(v)-1) * 60000
      if (v ~ /s$/)  return substr(v, 1, length(v)-1) * 1000
      return v + 0
    }
    function mb(v) {
      if (v ~ /GB$/) return substr(v, 1, length(v)-2) * 1024
      if (v ~ /MB$/) return substr(v, 1, length(v)-2) + 0
      if (v ~ /KB$/) return substr(v, 1, length(v)-2) / 1024
      if (v ~ /B$/)  return substr(v, 1, length(v)-1) / 1048576
      return v + 0
    }
    $1 == "50%" { p50 = ms($2) }
    $1 == "99%" { p99 = ms($2) }
    /^Requests\/sec:/ { rps = $2 }
    /^Transfer\/sec:/ { mbps = mb($2) }
    /requests in/ { reqs = $1 }
    /Non-2xx or 3xx responses:/ { err += $NF }
    /Socket errors:/ { gsub(/,/, ""); err += $4 + $6 + $8 + $10 }
    END { printf "%s %.2f %.3f %.3f %d %d\n", rps+0, mbps+0, p50+0, p99+0, err+0, reqs+0 }
  ' "$1"
}
