#!/usr/bin/env bash
# The broadcast scenario: import N contacts from a CSV (streamed to
# POST /v1/contacts/import), then a broadcast to all of them through the Twilio
# simulator; time the import, the time until every recipient is chosen
# ("queued": written down as pending recipients, the broadcast's durable work
# list), the dispatch rate while it runs, and smsgate's peak RSS. Bounded: the
# broadcast is canceled after SEND_SECONDS of sending, and the whole run by
# TIMEOUT.
#
# usage: bench/broadcast.sh [N]     (N defaults to 100000; the issue asks for 1000000)
#   SEND_SECONDS=10 TIMEOUT=600 KEEP_TMP=0
#   RESULTS_FILE=   if set, one key=value result line is appended to it (make bench)
# Prints one line: "broadcast: N contacts, import X s (R rows/s), recipients Y s,
#   dispatch Z msg/s, rss M MB".
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
N=${1:-100000}
SEND_SECONDS=${SEND_SECONDS:-10}
TIMEOUT=${TIMEOUT:-600}
BIN=${SMSGATE_BIN:-$ROOT/build/src/smsgate}
PY=/usr/bin/python3

if [ -z "${SG_BENCH_INNER:-}" ]; then
    export SG_BENCH_INNER=1
    exec timeout -k 10 "$TIMEOUT" bash "$0" "$@"
fi

TMP=$(mktemp -d /tmp/smsgate-bcast.XXXXXX)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    [ "${KEEP_TMP:-0}" = 1 ] || rm -rf "$TMP"
}
trap cleanup EXIT
fail() { echo "bench: FAILED: $*" >&2; exit 1; }
free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
[ -x "$BIN" ] || fail "$BIN not built (make build)"

ACCOUNT=ACbe0c4beb0c4beb0c4beb0c4beb0c4beb
TOKEN=bench-token
SIM_PORT=$(free_port)
API_PORT=$(free_port)

"$BIN" simulate twilio --listen "127.0.0.1:$SIM_PORT" --account-sid "$ACCOUNT" \
    --auth-token "$TOKEN" --callbacks off --log-level warn >"$TMP/sim.log" 2>&1 &
PIDS+=($!)
DB="$TMP/smsgate.db"
"$BIN" migrate --db "$DB" >/dev/null 2>&1 || fail "migrate"
KEY=$("$BIN" key create --role admin --db "$DB" 2>/dev/null | tail -1)
"$BIN" serve --db "$DB" --listen "127.0.0.1:$API_PORT" --log-level warn >"$TMP/serve.log" 2>&1 &
SERVE=$!
PIDS+=($SERVE)

$PY - "$N" "$TMP/contacts.csv" <<'EOF'
import sys
n, path = int(sys.argv[1]), sys.argv[2]
with open(path, "w") as f:
    f.write("phone,first_name,last_name,city\n")
    for i in range(n):
        f.write(f"+4474{i:08d},Name{i},Family{i % 977},City{i % 50}\n")
EOF

$PY - "$API_PORT" "$KEY" "$SIM_PORT" "$ACCOUNT" "$TOKEN" "$TMP/contacts.csv" "$N" \
    "$SEND_SECONDS" "$SERVE" <<'EOF'
import os, sys, time, requests
port, key, sim_port, account, token, csv, n, send_s, pid = sys.argv[1:]
n, send_s = int(n), float(send_s)
api = f"http://127.0.0.1:{port}"
h = {"Authorization": f"Bearer {key}"}
for _ in range(200):
    try:
        if requests.get(api + "/healthz", timeout=1).ok:
            break
    except requests.RequestException:
        time.sleep(0.05)
r = requests.post(api + "/v1/providers", headers=h, json={
    "name": "sim", "kind": "twilio", "default": True,
    "config": {"account_sid": account, "auth_token": token, "from": "+14155550100",
               "base_url": f"http://127.0.0.1:{sim_port}", "mps": 10000}})
assert r.status_code == 201, r.text

def rss_mb():
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024

t0 = time.monotonic()
with open(csv, "rb") as f:
    r = requests.post(api + "/v1/contacts/import?group=all", headers={**h, "Content-Type": "text/csv"},
                      data=f, timeout=600)
t_import = time.monotonic() - t0
assert r.status_code == 200 and r.json()["imported"] == n, r.text[:300]

t1 = time.monotonic()
r = requests.post(api + "/v1/broadcasts", headers=h, json={
    "name": "bench", "group": "all", "body": "Hi {{first_name}}, news from {{attributes.city}}"})
assert r.status_code == 201, r.text
bid = r.json()["id"]
t_recipients = None
sent_at_start = None
while time.monotonic() - t1 < 600:
    b = requests.get(api + f"/v1/broadcasts/{bid}", headers=h, timeout=60).json()
    c = b["counts"]
    now = time.monotonic()
    if t_recipients is None and c["recipients"] == n:
        t_recipients = now - t1
        sent_at_start, t_sent0 = c["sent"], now
    if t_recipients is not None and now - t_sent0 >= send_s or b["status"] == "done":
        break
    time.sleep(0.25)
c = requests.get(api + f"/v1/broadcasts/{bid}", headers=h, timeout=60).json()["counts"]
rate = (c["sent"] - (sent_at_start or 0)) / max(time.monotonic() - t_sent0, 1e-9) if t_recipients else 0
requests.post(api + f"/v1/broadcasts/{bid}/cancel", headers=h, timeout=60)
rss = rss_mb()
print(f"broadcast: {n} contacts, import {t_import:.1f} s ({n / t_import:.0f} rows/s), "
      f"recipients {t_recipients if t_recipients is None else round(t_recipients, 1)} s, "
      f"dispatch {rate:.0f} msg/s, rss {rss:.1f} MB")
if os.environ.get("RESULTS_FILE"):
    with open(os.environ["RESULTS_FILE"], "a") as f:
        f.write(f"ts={int(time.time())} bench={os.environ.get('BENCH_ID', 'none')} scenario=broadcast "
                f"impl=smsgate kind=twilio mode=broadcast run={os.environ.get('RUN', '1')} n={n} "
                f"import_s={t_import:.3f} import_rate={n / t_import:.0f} "
                f"queue_s={'none' if t_recipients is None else f'{t_recipients:.3f}'} "
                f"dispatch_rate={rate:.0f} rss_mb={rss:.1f}\n")
EOF
