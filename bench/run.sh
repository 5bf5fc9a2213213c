#!/usr/bin/env bash
# (make bench runs bench/bench.sh; this is the earlier quick single run, kept for hand use.)
# smsgate throughput on loopback, measured the way ../shared/bench/kannel measures
# Kannel: wrk submits exactly N messages (unique numbers) over C kept-alive
# connections; a stub provider answers at once; we time submission and dispatch.
#
# usage: bench/run.sh [N]           (N defaults to 20000)
#   MODE=live     accept and dispatch at the same time (as Kannel was measured)
#   MODE=accept   accept only: messages are scheduled a year ahead, nothing is sent
#   STUB=sim      the Twilio simulator as provider (counts unique recipients)
#   STUB=nginx    nginx answering Twilio's 201 straight from its config
#   CALLBACKS=off|on  on: the simulator posts signed delivery reports (sent, delivered)
#   CONNS=64 THREADS=2 TIMEOUT=300 KEEP_TMP=0
# Prints one line: "smsgate: submit X msg/s, dispatch Y msg/s, lost Z, rss M MB".
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
N=${1:-20000}
MODE=${MODE:-live}
STUB=${STUB:-sim}
CALLBACKS=${CALLBACKS:-off}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
TIMEOUT=${TIMEOUT:-300}
BIN=${SMSGATE_BIN:-$ROOT/build/src/smsgate}

if [ -z "${SG_BENCH_INNER:-}" ]; then
    export SG_BENCH_INNER=1
    exec timeout -k 10 "$TIMEOUT" bash "$0" "$@"
fi

TMP=$(mktemp -d /tmp/smsgate-bench.XXXXXX)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    [ "${KEEP_TMP:-0}" = 1 ] || rm -rf "$TMP"
}
trap cleanup EXIT
fail() { echo "bench: FAILED: $*" >&2; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

command -v wrk >/dev/null || fail "wrk is not installed (scripts/install-deps)"
[ -x "$BIN" ] || fail "$BIN not built (make build)"

ACCOUNT=ACbe0c4beb0c4beb0c4beb0c4beb0c4beb
TOKEN=bench-token
API_PORT=$(free_port)

# 1. the stub provider
if [ "$STUB" = nginx ]; then
    STUB_PORT=$(free_port)
    mkdir -p "$TMP/nginx"
    cat > "$TMP/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log $TMP/nginx/access.log;
  client_body_temp_path $TMP/nginx;
  server {
    listen 127.0.0.1:$STUB_PORT;
    keepalive_requests 1000000;
    location ~ ^/2010-04-01/Accounts/([^/]+)/Messages\.json$ {
      default_type application/json;
      return 201 '{"sid":"SM\$request_id","account_sid":"\$1","status":"queued","num_segments":"1","direction":"outbound-api","error_code":null,"error_message":null}';
    }
    location / { return 404; }
  }
}
CONF
    nginx -p "$TMP/nginx/" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/error.log" &
    PIDS+=($!)
    STUB_URL="http://127.0.0.1:$STUB_PORT"
else
    "$BIN" simulate twilio --listen 127.0.0.1:0 --account-sid "$ACCOUNT" --auth-token "$TOKEN" --callbacks "$CALLBACKS" \
        --log-level warn > "$TMP/sim.out" 2> "$TMP/sim.err" &
    PIDS+=($!)
    for _ in $(seq 100); do grep -q listening "$TMP/sim.out" && break; sleep 0.05; done
    STUB_URL=$(sed -n 's/^listening //p' "$TMP/sim.out")
    [ -n "$STUB_URL" ] || fail "simulator did not start"
fi

# 2. smsgate
DB="$TMP/bench.db"
KEY=$("$BIN" key create --role admin --db "$DB" --log-level warn 2>/dev/null | tail -1)
"$BIN" serve --db "$DB" --listen "127.0.0.1:$API_PORT" --log-level warn --threads "$THREADS" \
    --max-in-flight 256 > "$TMP/serve.out" 2> "$TMP/serve.err" &
SERVE=$!
PIDS+=($SERVE)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$API_PORT/healthz" >/dev/null && break; sleep 0.05; done
curl -sf -X POST "http://127.0.0.1:$API_PORT/v1/providers" -H "Authorization: Bearer $KEY" \
    -H 'Content-Type: application/json' \
    -d "{\"name\":\"stub\",\"kind\":\"twilio\",\"config\":{\"account_sid\":\"$ACCOUNT\",\"auth_token\":\"$TOKEN\",\"from\":\"+15005550006\",\"base_url\":\"$STUB_URL\",\"mps\":10000}}" \
    > /dev/null || fail "cannot create the provider"

# 3. submit N messages
EXTRA=""
[ "$MODE" = accept ] && EXTRA=",\"send_at\":\"$(date -u -d '+30 days' +%Y-%m-%dT%H:%M:%SZ)\""
mkdir -p "$TMP/done"
wrk -t1 -c"$CONNS" -d240s --timeout 30s -s "$HERE/send_messages.lua" "http://127.0.0.1:$API_PORT" \
    -- "$N" 1 "$KEY" "$TMP/done" "$EXTRA" > "$TMP/wrk.out" 2> "$TMP/wrk.err" &
WRK=$!
until [ -e "$TMP/done/done.1" ] || ! kill -0 $WRK 2>/dev/null; do sleep 0.02; done
kill -INT $WRK 2>/dev/null
wait $WRK 2>/dev/null
grep -q "BENCH accepted" "$TMP/wrk.out" || fail "wrk: $(cat "$TMP/wrk.err")"
ACCEPTED=$(sed -n 's/.*accepted=\([0-9]*\).*/\1/p' "$TMP/wrk.out")
T_FIRST=$(sed -n 's/.*t_first=\([0-9.]*\).*/\1/p' "$TMP/wrk.out")
T_LAST=$(sed -n 's/.*t_last=\([0-9.]*\).*/\1/p' "$TMP/wrk.out")
P50=$(sed -n 's/.*p50_ms=\([0-9.]*\).*/\1/p' "$TMP/wrk.out")
P99=$(sed -n 's/.*p99_ms=\([0-9.]*\).*/\1/p' "$TMP/wrk.out")

# 4. wait for dispatch
metric() { curl -s "http://127.0.0.1:$API_PORT/metrics" | awk -v m="$1" '$1 ~ "^"m"\\{" {s+=$2} END {print s+0}'; }
DISPATCH="n/a"
LOST="n/a"
if [ "$MODE" = live ]; then
    for _ in $(seq 6000); do
        [ "$(metric smsgate_messages_sent_total)" -ge "$ACCEPTED" ] && break
        sleep 0.02
    done
    T_DONE=$(date +%s.%N)
    SENT=$(metric smsgate_messages_sent_total)
    DISPATCH=$(python3 -c "print(round($SENT / ($T_DONE - $T_FIRST)))")
    if [ "$STUB" = sim ]; then
        UNIQUE=$(curl -s "${STUB_URL}/sim/messages" | python3 -c 'import json,sys; print(len({m["to"] for m in json.load(sys.stdin)["messages"]}))')
    else
        UNIQUE=$(grep -c 'Messages.json' "$TMP/nginx/access.log")
    fi
    LOST=$((ACCEPTED - UNIQUE))
fi
SUBMIT=$(python3 -c "print(round($ACCEPTED / ($T_LAST - $T_FIRST)))")
RSS=$(awk '/VmHWM/ {printf "%.1f", $2/1024}' /proc/$SERVE/status)
echo "mode=$MODE stub=$STUB callbacks=$CALLBACKS n=$N conns=$CONNS threads=$THREADS accepted=$ACCEPTED submit_rate=$SUBMIT p50_ms=$P50 p99_ms=$P99 dispatch_rate=$DISPATCH lost=$LOST rss_mb=$RSS"
echo "smsgate: submit $SUBMIT msg/s, dispatch $DISPATCH msg/s, lost $LOST, rss $RSS MB"
