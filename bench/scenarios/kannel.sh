#!/usr/bin/env bash
# One Kannel run (bench/kannel/run.sh, unchanged settings) with its result line
# rewritten into the fields the smsgate runs use (scenario, impl, kind, ...).
#
# usage: bench/scenarios/kannel.sh [N]     (N defaults to 20000)
#   TIMEOUT=300 KEEP_TMP=0 RESULTS_FILE= SCENARIO=pair RUN=1 (and run.sh's own knobs)
# Prints run.sh's last line: "kannel: submit X msg/s, dispatch Y msg/s, lost Z, rss M MB".
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

N=${1:-20000}
[ -x /usr/sbin/bearerbox ] || fail "kannel is not installed (scripts/install-deps)"
OUT=$(mktemp /tmp/smsgate-bench-kannel.XXXXXX)
trap 'rm -f "$OUT" "$OUT.log"' EXIT
# Free ports instead of run.sh's fixed ones (13000/13001/13013/13015/18080), so that
# a Kannel run elsewhere on the machine does not collide; set them to override.
read -r P1 P2 P3 P4 P5 < <($PY -c 'import socket
ss = [socket.socket() for _ in range(5)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])')
export ADMIN_PORT=${ADMIN_PORT:-$P1} SMSBOX_PORT=${SMSBOX_PORT:-$P2} SENDSMS_PORT=${SENDSMS_PORT:-$P3}
export MO_PORT=${MO_PORT:-$P4} STUB_PORT=${STUB_PORT:-$P5}
# run.sh stops what it started when it ends or gets TERM; we bound it ourselves
# (KANNEL_BENCH_INNER skips its own timeout wrapper) so a TERM for us reaches it.
KANNEL_BENCH_INNER=1 RESULTS_FILE=$OUT run_bounded "$TIMEOUT" bash "$BENCH_DIR/kannel/run.sh" "$N" \
    > "$OUT.log" 2>&1
rc=$?
grep -q '^kannel: submit' "$OUT.log" || { tail -n 20 "$OUT.log" >&2; fail "kannel run.sh exited $rc"; }
[ $rc = 0 ] || log "kannel run.sh exited $rc (2 = messages lost)"
grep '^kannel: ' "$OUT.log" | tail -n 1
LINE=$(tail -n 1 "$OUT")
get() { echo "$LINE" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
result "scenario=${SCENARIO:-pair} impl=kannel kind=clickatell mode=single run=${RUN:-1} n=$N conns=$(get conns)" \
    "batch=1 accepted=$(get accepted) rejected=$(get rejected) submit_s=$(get submit_s)" \
    "submit_rate=$(get submit_rate) p50_ms=$(get p50_ms) p99_ms=$(get p99_ms)" \
    "dispatch_s=$(get dispatch_s) dispatch_rate=$(get dispatch_rate) delivered=$(get delivered)" \
    "lost=$(get lost) dups=$(get dups) rss_mb=$(get rss_mb) sys_busy=$(get sys_busy)"
exit $rc
