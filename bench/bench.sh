#!/usr/bin/env bash
# make bench: the scenarios of issue 6 with Kannel side by side, then a summary
# table. Each run is bounded in count (N) and time (its own timeout), prints one
# line and appends one key=value line to BENCH_RESULTS. See bench/README.md.
#
#   N=20000 RUNS=3 BENCH_SCENARIOS="submit dispatch compat batch dlr broadcast rss"
#   BENCH_KINDS="clickatell twilio" KANNEL=1 BATCH=100 BROADCAST_N=1000000
#   RSS_NS="20000 200000" BENCH_RESULTS=build/bench-results.txt CONNS=64
#   SMSGATE_BIN=build/src/smsgate KEEP_TMP=0 BENCH_BUDGET=600
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

N=${N:-20000}
RUNS=${RUNS:-3}
SCENARIOS=" ${BENCH_SCENARIOS:-submit dispatch compat batch dlr broadcast rss} "
KINDS=${BENCH_KINDS:-clickatell twilio}
KANNEL=${KANNEL:-1}
BROADCAST_N=${BROADCAST_N:-1000000}
RSS_NS=${RSS_NS:-20000 200000}
BUDGET=${BENCH_BUDGET:-600}   # no new run starts after this many seconds
RESULTS=$(realpath -m "${BENCH_RESULTS:-$ROOT/build/bench-results.txt}")
BENCH_ID=$(date -u +%Y%m%dT%H%M%SZ)-$$
export BENCH_ID RESULTS_FILE=$RESULTS SMSGATE_BIN=$BIN
unset SG_BENCH_INNER KANNEL_BENCH_INNER

for s in $SCENARIOS; do
    case $s in submit | dispatch | compat | batch | dlr | broadcast | rss) ;; *) fail "unknown scenario '$s'" ;; esac
done
[ -x "$BIN" ] || fail "$BIN not built (make build)"
mkdir -p "$(dirname "$RESULTS")"
has() { [[ $SCENARIOS == *" $1 "* ]]; }
secs_for() { echo $(( 60 + $1 / 1000 )); }   # the time bound of one run of N messages

FAILED=0
CUR=
trap '[ -n "$CUR" ] && kill -TERM "$CUR" 2>/dev/null; wait; exit 130' INT TERM
step() {  # step TIMEOUT CMD...: one bounded run; a failure is counted, the others go on
    local t=$1 rc
    shift
    if [ $(( $(date +%s) - T0 )) -ge "$BUDGET" ]; then
        FAILED=$((FAILED + 1)); log "SKIPPED (past BENCH_BUDGET=${BUDGET}s): $*"; return
    fi
    TIMEOUT=$t "$@" &
    CUR=$!
    wait "$CUR"
    rc=$?
    CUR=
    case $rc in
    0) ;;
    2) FAILED=$((FAILED + 1)); log "FAILED (exit 2: messages lost, duplicated or not delivered): $*" ;;
    124) FAILED=$((FAILED + 1)); log "FAILED (timed out after ${t}s): $*" ;;
    *) FAILED=$((FAILED + 1)); log "FAILED (exit $rc): $*" ;;
    esac
}

T0=$(date +%s)
log "make bench $BENCH_ID: N=$N RUNS=$RUNS scenarios:$SCENARIOS kinds: $KINDS; $(nproc) cores," \
    "load $(cut -d' ' -f1-3 /proc/loadavg); results in $RESULTS"
if [ "$KANNEL" = 1 ] && [ ! -x /usr/sbin/bearerbox ]; then
    log "kannel is not installed (scripts/install-deps): no side-by-side runs"
    KANNEL=0
fi

# 1+2. submit and dispatch: alternated Kannel / smsgate rounds, same N, same stub.
# compat: in the same rounds, the Twilio-compatible create of an app account
# (MODE=twilio) right after POST /v1/messages to the same stub path, compared with it.
pairs() { has submit || has dispatch; }
if pairs || has compat; then
    for ((r = 1; r <= RUNS; r++)); do
        pairs && [ "$KANNEL" = 1 ] && SCENARIO=pair RUN=$r step "$(secs_for "$N")" "$BENCH_DIR/scenarios/kannel.sh" "$N"
        for k in $KINDS; do
            if pairs || { has compat && [ "$k" = twilio ]; }; then
                SCENARIO=pair RUN=$r KIND=$k MODE=single step "$(secs_for "$N")" "$BENCH_DIR/scenarios/gateway.sh" "$N"
            fi
        done
        has compat && SCENARIO=compat RUN=$r KIND=twilio MODE=twilio step "$(secs_for "$N")" "$BENCH_DIR/scenarios/gateway.sh" "$N"
    done
fi
# 3. batch
if has batch; then
    for k in $KINDS; do
        SCENARIO=batch KIND=$k MODE=batch step "$(secs_for "$N")" "$BENCH_DIR/scenarios/gateway.sh" "$N"
    done
fi
# 4. delivery reports
has dlr && step "$(secs_for "$N")" "$BENCH_DIR/scenarios/dlr.sh" "$N"
# 6. peak RSS as N grows
if has rss; then
    for n in $RSS_NS; do
        SCENARIO=rss KIND=twilio MODE=single step "$(secs_for "$n")" "$BENCH_DIR/scenarios/gateway.sh" "$n"
    done
fi
# 5. broadcast (last: the longest)
has broadcast && step 300 "$ROOT/bench/broadcast.sh" "$BROADCAST_N"

echo
$PY "$BENCH_DIR/py/summary.py" "$RESULTS" "$BENCH_ID"
log "make bench: $(( $(date +%s) - T0 )) s, $FAILED failed run(s); results: grep bench=$BENCH_ID $RESULTS"
[ "$FAILED" = 0 ]
