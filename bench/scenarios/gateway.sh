#!/usr/bin/env bash
# One smsgate run: submit N messages (single POST /v1/messages, or batches) over
# CONNS kept-alive connections while smsgate dispatches them to the nginx stub of
# the Kannel harness; measure submission, dispatch, lost/duplicated sends at the
# stub, and smsgate's peak RSS.
#
# usage: bench/scenarios/gateway.sh [N]        (N defaults to 20000)
#   KIND=twilio|clickatell   provider kind (stub path), default twilio
#   MODE=single|batch|twilio POST /v1/messages, /v1/messages/batch (BATCH per request, 100),
#                            or the Twilio-compatible create of an app account (docs/compat.md)
#   CONNS=64 THREADS=1 WARMUP=50 TIMEOUT=300 KEEP_TMP=0 SERVE_ARGS= RESULTS_FILE=
#   SCENARIO=label RUN=1     written into the result line
# Prints one line: "smsgate[KIND,MODE] N: submit X msg/s (p50 a ms, p99 b ms), dispatch Y
# msg/s, lost L, dups D, rss M MB, cpu ...". Exit 0 = ok, 2 = messages lost or duplicated.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
bench_bound "$0" "$@"

N=${1:-20000}
KIND=${KIND:-twilio}
MODE=${MODE:-single}
BATCH=${BATCH:-100}
DEADLINE=$(( $(date +%s) + TIMEOUT - 20 ))
command -v wrk >/dev/null || fail "wrk is not installed (scripts/install-deps)"

bench_tmp
start_stub
start_gateway
create_provider "$KIND" >/dev/null
warm_up

cpu_mark "$SERVE_PID"
if [ "$MODE" = batch ]; then
    run_wrk batch.lua "$API" "$N" "$THREADS" "$KEY" "$TMP/done" "$BATCH"
elif [ "$MODE" = twilio ]; then
    APP=$("$BIN" app create --name bench --db "$DB" --log-level warn 2>"$TMP/app.err") ||
        fail "app create: $(cat "$TMP/app.err")"
    SID=$(echo "$APP" | sed -n 's/^account_sid: //p')
    TOKEN=$(echo "$APP" | sed -n 's/^auth_token: //p')
    run_wrk twilio.lua "$API" "$N" "$THREADS" "$SID" "$(printf '%s:%s' "$SID" "$TOKEN" | base64 -w0)" "$TMP/done"
else
    run_wrk submit.lua "$API" "$N" "$THREADS" "$KEY" "$TMP/done"
fi
[ "$W_accepted" -gt 0 ] || fail "no message accepted"
wait_stub "$W_accepted"
CPU=$(cpu_report "$SERVE_PID")
eval "$CPU"
sleep 1   # a late resend would show up now
RSS=$(hwm_mb "$SERVE_PID")
stop_gateway   # clean stop: every outcome is committed before we read the database

J=$($PY "$BENCH_DIR/py/stubjoin.py" --db "$DB" --log "$STUB_LOG" --kind "$KIND" \
    --accepted "$W_accepted" --skip "$BASE") || fail "stubjoin"
eval "$(echo "$J" | tr ' ' '\n' | sed 's/^/J_/')"
read -r SUBMIT_S SUBMIT DISPATCH_S DISPATCH < <(awk -v f="$W_t_first" -v l="$W_t_last" \
    -v acc="$W_accepted" -v pl="$J_last_msec" -v m="$J_matched" 'BEGIN {
        s = l - f; d = pl - f
        printf "%.3f %.0f %.3f %.0f\n", s, (s > 0 ? acc / s : 0), d, (d > 0 && m > 0 ? m / d : 0) }')

[ "$J_rows" = "$W_accepted" ] || log "note: $W_accepted accepted but $J_rows benchmark messages in the database"
[ "$J_non2xx" = 0 ] || log "note: $J_non2xx stub answers were not 2xx"
echo "smsgate[$KIND,$MODE] $N: submit $SUBMIT msg/s (p50 $W_p50_ms ms, p99 $W_p99_ms ms), dispatch $DISPATCH msg/s, lost $J_lost, dups $J_dups, rss $RSS MB, cpu $cpu_gw% of a core (machine $sys_busy% busy)"
result "scenario=${SCENARIO:-gateway} impl=smsgate kind=$KIND mode=$MODE run=${RUN:-1} n=$N conns=$CONNS" \
    "batch=$([ "$MODE" = batch ] && echo "$BATCH" || echo 1) accepted=$W_accepted rejected=$W_rejected" \
    "submit_s=$SUBMIT_S submit_rate=$SUBMIT p50_ms=$W_p50_ms p99_ms=$W_p99_ms max_ms=$W_max_ms" \
    "dispatch_s=$DISPATCH_S dispatch_rate=$DISPATCH delivered=$J_matched lost=$J_lost dups=$J_dups" \
    "stub_requests=$J_requests rows=$J_rows sent_rows=$J_sent_rows rss_mb=$RSS $CPU"
[ "$J_lost" = 0 ] && [ "$J_dups" = 0 ] || exit 2   # as Kannel's run.sh: 2 = lost (or duplicated)
exit 0
