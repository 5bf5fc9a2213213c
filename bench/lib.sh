# Shared functions for the bench scripts (sourced, not run). Everything listens on
# 127.0.0.1; every process started here is a direct child whose PID is kept in
# PIDS and stopped by bench_cleanup; the temp dir goes unless KEEP_TMP=1.
# shellcheck shell=bash

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
PY=/usr/bin/python3
BIN=${SMSGATE_BIN:-$ROOT/build/src/smsgate}
CONNS=${CONNS:-64}
THREADS=${THREADS:-1}           # wrk threads (Kannel's harness uses 1)
TIMEOUT=${TIMEOUT:-300}
RESULTS_FILE=${RESULTS_FILE:-}
ACCOUNT=ACbe0c4beb0c4beb0c4beb0c4beb0c4beb
TOKEN=bench-auth-token
# mps is capped at 10000 per sender (providers.md); 16 senders leave the dispatcher
# unthrottled up to ~160,000 msg/s (a recipient always gets the same sender).
MPS=${MPS:-10000}
SENDERS='["+15005550100","+15005550101","+15005550102","+15005550103","+15005550104","+15005550105","+15005550106","+15005550107","+15005550108","+15005550109","+15005550110","+15005550111","+15005550112","+15005550113","+15005550114","+15005550115"]'

log() { echo "[$(date +%T)] $*" >&2; }
fail() { echo "bench: FAILED: $*" >&2; exit 1; }
free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }

# run_bounded SECS CMD...: CMD under timeout(1), which puts CMD and everything it
# starts in a process group of its own and signals that group when time is up. A
# TERM or INT for us is passed on to it. Returns CMD's status (124: timed out).
run_bounded() {
    local secs=$1 pid rc
    shift
    timeout -k 10 "$secs" "$@" &
    pid=$!
    # shellcheck disable=SC2064  # the PID is meant to expand now
    trap "kill -TERM $pid 2>/dev/null" TERM INT
    while :; do   # a trapped signal ends wait early: wait again for the real status
        wait "$pid"
        rc=$?
        [ $rc -gt 128 ] && kill -0 "$pid" 2>/dev/null && continue
        break
    done
    trap - TERM INT
    return $rc
}

# Re-run the calling script bounded by TIMEOUT, once: bench_bound "$0" "$@"
bench_bound() {
    if [ -z "${SG_BENCH_INNER:-}" ]; then
        export SG_BENCH_INNER=1
        run_bounded "$TIMEOUT" bash "$@"
        local rc=$?
        [ $rc = 124 ] && echo "bench: FAILED: $(basename "$1") timed out after ${TIMEOUT}s" >&2
        exit $rc
    fi
}

bench_tmp() {
    TMP=$(mktemp -d /tmp/smsgate-bench.XXXXXX) || fail "mktemp"
    PIDS=()
    trap bench_cleanup EXIT
    trap 'exit 143' TERM
    trap 'exit 130' INT
}

forget_pid() {  # drop a reaped child from PIDS: its number may be reused
    local keep=() p
    for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
    PIDS=("${keep[@]}")
}

stop_pid() {  # stop_pid PID [GRACE_SECONDS]: TERM, wait, then KILL (our children only)
    local pid=$1 grace=${2:-10} i
    forget_pid "$pid"
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < grace * 20; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -0 "$pid" 2>/dev/null && { log "pid $pid did not stop, SIGKILL"; kill -KILL "$pid" 2>/dev/null; }
    wait "$pid" 2>/dev/null
    return 0
}

bench_cleanup() {
    trap - EXIT INT TERM
    local all=("${PIDS[@]}") i
    for ((i = ${#all[@]} - 1; i >= 0; i--)); do stop_pid "${all[$i]}" 5; done
    if [ "${KEEP_TMP:-0}" = 1 ]; then log "kept $TMP"; else rm -rf "$TMP"; fi
}

# CPU accounting over a window: cpu_mark before, cpu_report PID after prints
# "cpu_gw=<% of one core used by PID> sys_busy=<% of the whole machine busy>".
cpu_snap() {
    echo "$(awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0)" \
        "$(awk '/^cpu / {print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8}' /proc/stat)" "$(now)"
}
cpu_mark() { CPU0=$(cpu_snap "$1"); }
cpu_report() {
    # shellcheck disable=SC2086
    awk -v hz="$(getconf CLK_TCK)" -v a="$CPU0" -v b="$(cpu_snap "$1")" 'BEGIN {
        split(a, x, " "); split(b, y, " "); w = y[4] - x[4]; all = y[3] - x[3]
        printf "cpu_gw=%.0f sys_busy=%.0f\n", (w > 0 ? 100 * (y[1] - x[1]) / hz / w : 0),
               (all > 0 ? 100 * (y[2] - x[2]) / all : 0) }'
}

hwm_mb() { awk '/^VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$1/status" 2>/dev/null || echo 0; }

# The nginx stub of the Kannel harness (bench/kannel/nginx-stub.conf.tmpl) on a
# free port. Sets STUB_URL, STUB_LOG, STUB_PID; the log starts empty.
start_stub() {
    local dir=$TMP/stub i
    STUB_PORT=${STUB_PORT:-$(free_port)}
    mkdir -p "$dir"
    awk -v d="$dir" -v p="$STUB_PORT" '{ gsub(/@DIR@/, d); gsub(/@PORT@/, p); print }' \
        "$BENCH_DIR/kannel/nginx-stub.conf.tmpl" > "$dir/nginx.conf"
    /usr/sbin/nginx -p "$dir/" -c "$dir/nginx.conf" -e "$dir/error.log" >"$dir/stdout.log" 2>&1 &
    STUB_PID=$!
    PIDS+=("$STUB_PID")
    STUB_URL="http://127.0.0.1:$STUB_PORT"
    STUB_LOG=$dir/provider-access.log
    for ((i = 0; i < 100; i++)); do
        curl -s --max-time 1 "$STUB_URL/dlr" 2>/dev/null | grep -q OK && break
        sleep 0.05
    done
    [ $i -lt 100 ] || { cat "$dir/error.log" >&2; fail "nginx stub did not start"; }
    : > "$STUB_LOG"
}
stub_lines() { wc -l < "$STUB_LOG"; }

# smsgate serve on a free port with a fresh database and an admin key.
# Sets API, KEY, DB, SERVE_PID. Extra serve options: SERVE_ARGS.
start_gateway() {
    local port i
    port=$(free_port)
    API="http://127.0.0.1:$port"
    DB=$TMP/bench.db
    [ -x "$BIN" ] || fail "$BIN not built (make build)"
    KEY=$("$BIN" key create --role admin --db "$DB" --log-level warn 2>"$TMP/key.err" | tail -1)
    [ -n "$KEY" ] || fail "key create: $(cat "$TMP/key.err")"
    # shellcheck disable=SC2086
    "$BIN" serve --db "$DB" --listen "127.0.0.1:$port" --public-url "$API" --log-level warn \
        ${SERVE_ARGS:-} >"$TMP/serve.out" 2>"$TMP/serve.err" &
    SERVE_PID=$!
    PIDS+=("$SERVE_PID")
    for ((i = 0; i < 200; i++)); do
        curl -sf --max-time 1 "$API/healthz" >/dev/null 2>&1 && return 0
        kill -0 "$SERVE_PID" 2>/dev/null || break
        sleep 0.05
    done
    tail -n 20 "$TMP/serve.err" >&2
    fail "smsgate serve did not start"
}
stop_gateway() { stop_pid "$SERVE_PID" 15; }

api() {  # api METHOD PATH [JSON]: prints the body, fails on a non-2xx answer
    curl -sf --max-time 30 -X "$1" "$API$2" -H "Authorization: Bearer $KEY" \
        -H 'Content-Type: application/json' ${3:+-d "$3"}
}

# The provider for KIND (twilio | clickatell, the legacy HTTP API) pointing at the
# stub, unthrottled; the first provider is the default. Prints its JSON.
create_provider() {
    local cfg
    case $1 in
    twilio) cfg="{\"account_sid\":\"$ACCOUNT\",\"auth_token\":\"$TOKEN\",\"from\":$SENDERS,\"base_url\":\"$STUB_URL\",\"mps\":$MPS}" ;;
    clickatell) cfg="{\"username\":\"bench\",\"password\":\"bench\",\"api_id\":\"3000000\",\"from\":$SENDERS,\"base_url\":\"$STUB_URL\",\"mps\":$MPS}" ;;
    *) fail "unknown provider kind $1" ;;
    esac
    api POST /v1/providers "{\"name\":\"bench-$1\",\"kind\":\"$1\",\"config\":$cfg}" \
        || fail "cannot create the $1 provider"
}
stub_path() {  # the request path the stub sees for KIND (an awk regex)
    case $1 in
    twilio) echo '^/2010-04-01/Accounts/[^/]+/Messages[.]json$' ;;
    clickatell) echo '^/http/sendmsg$' ;;
    esac
}

# Send WARMUP (default 50) messages in one batch to +4477... numbers and wait until
# they reached the stub: connections are open before the measurement. Sets BASE,
# the stub log lines that belong to the warm-up.
warm_up() {
    local n=${WARMUP:-50} i body
    BASE=0
    [ "$n" -gt 0 ] || return 0
    body=$($PY -c "import json,sys; n=int(sys.argv[1]); print(json.dumps({'messages': [{'to': '+4477%08d' % i, 'body': 'warm-up'} for i in range(n)]}))" "$n")
    api POST /v1/messages/batch "$body" >/dev/null || fail "warm-up batch refused"
    for ((i = 0; i < 200; i++)); do [ "$(stub_lines)" -ge "$n" ] && break; sleep 0.05; done
    BASE=$(stub_lines)
    [ "$BASE" -ge "$n" ] || fail "warm-up: $BASE of $n messages reached the stub"
}

# Run wrk with a bench/lua script until every thread wrote DONE/done.<tid>, then
# SIGINT it (wrk would otherwise sleep out -d). The "BENCH k=v" lines it prints
# become shell variables W_k. usage: run_wrk SCRIPT URL ARGS...
run_wrk() {
    local script=$1 url=$2 i
    shift 2
    mkdir -p "$TMP/done" && rm -f "$TMP/done"/*
    wrk -t "$THREADS" -c "$CONNS" -d "${TIMEOUT}s" --timeout 30s -s "$BENCH_DIR/lua/$script" "$url" \
        -- "$@" >"$TMP/wrk.out" 2>"$TMP/wrk.err" &
    WRK_PID=$!
    PIDS+=("$WRK_PID")
    while kill -0 "$WRK_PID" 2>/dev/null; do
        [ "$(find "$TMP/done" -name 'done.*' | wc -l)" -ge "$THREADS" ] && kill -INT "$WRK_PID"
        sleep 0.02
    done
    wait "$WRK_PID" 2>/dev/null
    forget_pid "$WRK_PID"
    grep -q '^BENCH ' "$TMP/wrk.out" || { cat "$TMP/wrk.out" "$TMP/wrk.err" >&2; fail "wrk gave no result"; }
    [ -s "$TMP/wrk.err" ] && head -n 5 "$TMP/wrk.err" >&2
    eval "$(sed -n 's/^BENCH //p' "$TMP/wrk.out" | tr ' ' '\n' | grep -E '^[a-z0-9_]+=[-0-9.a-z]*$' | sed 's/^/W_/')"
}

# Wait until the stub saw TARGET requests beyond BASE, or nothing new came for
# 10 s, or the deadline (DEADLINE, seconds since the epoch) passed.
wait_stub() {
    local target=$1 cur last=-1 changed
    changed=$(date +%s)
    while :; do
        cur=$(( $(stub_lines) - BASE ))
        [ "$cur" -ge "$target" ] && return 0
        [ "$cur" != "$last" ] && { last=$cur; changed=$(date +%s); }
        [ $(( $(date +%s) - changed )) -ge 10 ] && { log "stub: $cur of $target requests, none for 10 s"; return 1; }
        [ "$(date +%s)" -ge "${DEADLINE:-99999999999}" ] && { log "stub: deadline reached at $cur of $target"; return 1; }
        sleep 0.05
    done
}

db_count() {  # db_count "SELECT count(*) ..." on the benchmark's database, read-only
    $PY -c 'import sqlite3, sys
con = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True, timeout=30)
print(con.execute(sys.argv[2]).fetchone()[0])' "$DB" "$1"
}

# Append one key=value line to RESULTS_FILE (when set), with the common fields.
result() {
    [ -n "$RESULTS_FILE" ] || return 0
    echo "ts=$(date +%s) bench=${BENCH_ID:-none} $*" >> "$RESULTS_FILE"
}
