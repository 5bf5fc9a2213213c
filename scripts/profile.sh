#!/usr/bin/env bash
# Instruction counts of `smsgate serve` under a fixed load, with valgrind's
# callgrind (stable on a noisy machine, unlike wall-clock figures). It uses the
# benchmarks' stub and set-up (bench/lib.sh).
#
# usage: scripts/profile.sh [N]        (N messages, default 3000)
#   MODE=live    accept and send to the nginx stub's Twilio path (default)
#   MODE=accept  accept only (messages scheduled a month ahead)
#   MODE=broadcast  import N contacts into a group (before serve, not counted) and
#                send one broadcast to them through the stub instead of N API sends
#   OUT=DIR      where callgrind.out and the annotated summaries go (default /tmp/sg-profile)
#   ROUTE=1      add a route matching the recipients by country (GB) first, so that
#                each message's route is chosen and its region looked up (docs/routing.md)
#   SUBMIT=twilio  submit through the Twilio-compatible create of an app account
#                (bench/lua/twilio.lua; docs/compat.md) instead of POST /v1/messages
#   CONTACTS=1   import a contact for each of the N recipients first (`contact import`,
#                before the load, not counted in N), so that what a send updates on
#                its contact (last activity) is measured too
# Prints the instructions per message (whole process, start-up included).
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=../bench/lib.sh
. "$ROOT/bench/lib.sh"
N=${1:-3000}
MODE=${MODE:-live}
OUT=${OUT:-/tmp/sg-profile}
CONNS=16 # fewer than the benchmark's 64: callgrind runs one thread at a time
command -v valgrind >/dev/null || fail "valgrind is not installed"
mkdir -p "$OUT"
bench_tmp

# `serve` runs under callgrind; `key create` runs as it is.
REAL=$BIN
BIN=$TMP/smsgate-under-callgrind
cat > "$BIN" <<EOF
#!/bin/sh
[ "\$1" = serve ] && exec valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.out" \\
    --dump-instr=no "$REAL" "\$@"
exec "$REAL" "\$@"
EOF
chmod +x "$BIN"

start_stub
start_gateway
create_provider twilio > /dev/null
if [ "${ROUTE:-0}" = 1 ]; then
    "$REAL" route add --name uk --countries GB --providers bench-twilio --db "$DB" \
        --log-level warn > /dev/null || fail "route add failed"
fi
if [ "${CONTACTS:-0}" = 1 ] || [ "$MODE" = broadcast ]; then
    # The recipients of submit.lua: +4474 and eight digits from 0 (one wrk thread).
    $PY -c 'import sys; print("phone,first_name"); [print("+4474%08d,c%d" % (i, i)) for i in range(int(sys.argv[1]))]' \
        "$N" > "$TMP/contacts.csv"
    "$REAL" contact import "$TMP/contacts.csv" --group everyone --db "$DB" --log-level warn > /dev/null ||
        fail "contact import failed"
fi
EXTRA=""
[ "$MODE" = accept ] && EXTRA=",\"send_at\":\"$(date -u -d '+30 days' +%Y-%m-%dT%H:%M:%SZ)\""
if [ "$MODE" = broadcast ]; then
    api POST /v1/broadcasts '{"name":"profile","body":"Hello {{first_name}}","group":"everyone"}' \
        > /dev/null || fail "broadcast create failed"
elif [ "${SUBMIT:-v1}" = twilio ]; then
    TW_EXTRA=""
    [ "$MODE" = accept ] && TW_EXTRA="&SendAt=$(date -u -d '+30 days' +%Y-%m-%dT%H%%3A%M%%3A%SZ)&ScheduleType=fixed"
    APP=$("$REAL" app create --name profile --db "$DB" --log-level warn 2>"$TMP/app.err") ||
        fail "app create: $(cat "$TMP/app.err")"
    SID=$(echo "$APP" | sed -n 's/^account_sid: //p')
    TOKEN=$(echo "$APP" | sed -n 's/^auth_token: //p')
    run_wrk twilio.lua "$API" "$N" "$THREADS" "$SID" "$(printf '%s:%s' "$SID" "$TOKEN" | base64 -w0)" "$TMP/done" "$TW_EXTRA"
else
    run_wrk submit.lua "$API" "$N" "$THREADS" "$KEY" "$TMP/done" "$EXTRA"
fi
if [ "$MODE" = live ] || [ "$MODE" = broadcast ]; then
    for _ in $(seq 600); do
        [ "$(stub_lines)" -ge "$N" ] && break
        sleep 0.2
    done
fi
stop_gateway
TOTAL=$(callgrind_annotate "$OUT/callgrind.out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
[ -n "$TOTAL" ] || fail "no callgrind output"
echo "profile: mode=$MODE submit=${SUBMIT:-v1} n=$N instructions=$TOTAL per_message=$((TOTAL / N))"
callgrind_annotate --inclusive=yes "$OUT/callgrind.out" 2>/dev/null > "$OUT/inclusive.txt"
callgrind_annotate "$OUT/callgrind.out" 2>/dev/null > "$OUT/self.txt"
echo "profile: $OUT/inclusive.txt (inclusive), $OUT/self.txt (self)"
