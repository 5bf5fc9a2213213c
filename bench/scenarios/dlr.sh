#!/usr/bin/env bash
# Delivery reports: N messages are sent through the nginx stub's Twilio path (so
# smsgate holds N sent messages with sids), then wrk posts one signed status
# callback per message (MessageStatus=delivered, valid X-Twilio-Signature) over
# CONNS connections. Measures callbacks/s (2xx answers / time from the first
# request to the last answer) and counts the messages that became delivered.
#
# usage: bench/scenarios/dlr.sh [N]        (N defaults to 20000)
#   CONNS=64 THREADS=1 TIMEOUT=300 KEEP_TMP=0 SERVE_ARGS= RESULTS_FILE= RUN=1
# Prints one line: "smsgate[dlr] N: callbacks X/s (p50 a ms, p99 b ms), ... delivered D of N, rss M MB".
# Exit 0 = ok, 2 = not every message became delivered.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
bench_bound "$0" "$@"

N=${1:-20000}
DEADLINE=$(( $(date +%s) + TIMEOUT - 20 ))
command -v wrk >/dev/null || fail "wrk is not installed (scripts/install-deps)"

bench_tmp
start_stub
start_gateway
PROVIDER=$(create_provider twilio)
STATUS_URL=$(echo "$PROVIDER" | $PY -c 'import json,sys; print(json.load(sys.stdin)["callback_urls"]["status"])')
BASE=0

# 1. N sent messages (set-up, not measured: batches of 100)
run_wrk batch.lua "$API" "$N" "$THREADS" "$KEY" "$TMP/done" 100
[ "$W_accepted" = "$N" ] || fail "set-up: $W_accepted of $N messages accepted"
wait_stub "$N" || fail "set-up: not every message reached the stub"
SENT=0
for ((i = 0; i < 200; i++)); do   # the outcomes are committed a moment after the stub answered
    SENT=$(db_count "SELECT count(*) FROM messages WHERE status = 'sent' AND provider_message_id != ''")
    [ "$SENT" -ge "$N" ] && break
    sleep 0.05
done
COUNT=$($PY "$BENCH_DIR/py/sign_callbacks.py" "$DB" "$STATUS_URL" "$TOKEN" "$ACCOUNT" "$TMP/callbacks.txt") \
    || fail "signing the callbacks"
[ "$COUNT" = "$N" ] || log "note: only $COUNT of $N messages are sent with a sid"

# 2. the callbacks
CB_PATH=/${STATUS_URL#http://*/}
cpu_mark "$SERVE_PID"
run_wrk callbacks.lua "$API" "$TMP/callbacks.txt" "$THREADS" "$CB_PATH" "$TMP/done"
CPU=$(cpu_report "$SERVE_PID")
eval "$CPU"
RSS=$(hwm_mb "$SERVE_PID")
stop_gateway
RATE=$(awk -v f="$W_t_first" -v l="$W_t_last" -v n="$W_accepted" 'BEGIN { printf "%.0f", (l > f ? n / (l - f) : 0) }')
CB_S=$(awk -v f="$W_t_first" -v l="$W_t_last" 'BEGIN { printf "%.3f", l - f }')
DELIVERED=$(db_count "SELECT count(*) FROM messages WHERE status = 'delivered' AND substr(to_number, 1, 5) = '+4474'")

echo "smsgate[dlr] $N: callbacks $RATE/s (p50 $W_p50_ms ms, p99 $W_p99_ms ms), $W_accepted of $COUNT answered 2xx, delivered $DELIVERED of $N, rss $RSS MB, cpu $cpu_gw% of a core (machine $sys_busy% busy)"
result "scenario=dlr impl=smsgate kind=twilio mode=callbacks run=${RUN:-1} n=$N conns=$CONNS" \
    "callbacks=$COUNT answered_2xx=$W_accepted refused=$W_rejected callbacks_s=$CB_S callback_rate=$RATE" \
    "p50_ms=$W_p50_ms p99_ms=$W_p99_ms max_ms=$W_max_ms delivered=$DELIVERED rss_mb=$RSS $CPU"
[ "$DELIVERED" = "$N" ] || exit 2   # reports refused or not applied
exit 0
