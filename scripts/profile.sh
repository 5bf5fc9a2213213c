#!/usr/bin/env bash
# Instruction counts of `smsgate serve` under a fixed load, with valgrind's
# callgrind (stable on a noisy machine, unlike wall-clock figures).
#
# usage: scripts/profile.sh [N]        (N messages, default 3000)
#   MODE=live    accept and send to an nginx stub answering like Twilio (default)
#   MODE=accept  accept only (messages scheduled a month ahead)
#   OUT=DIR      where callgrind.out and the annotated summary go (default /tmp/sg-profile)
# Prints instructions per message (Ir / N) and the top functions, inclusive.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
N=${1:-3000}
MODE=${MODE:-live}
OUT=${OUT:-/tmp/sg-profile}
BIN=${SMSGATE_BIN:-$ROOT/build/src/smsgate}
command -v valgrind >/dev/null || { echo "profile: valgrind is not installed" >&2; exit 1; }
mkdir -p "$OUT"
TMP=$(mktemp -d /tmp/sg-profile.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
API_PORT=$(free_port); STUB_PORT=$(free_port)
ACCOUNT=ACbe0c4beb0c4beb0c4beb0c4beb0c4beb

mkdir -p "$TMP/nginx"
cat > "$TMP/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
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

DB="$TMP/p.db"
KEY=$("$BIN" key create --role admin --db "$DB" --log-level warn 2>/dev/null | tail -1)
valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.out" --dump-instr=no \
    "$BIN" serve --db "$DB" --listen "127.0.0.1:$API_PORT" --log-level warn > "$TMP/serve.out" 2> "$TMP/serve.err" &
SERVE=$!
PIDS+=($SERVE)
for _ in $(seq 600); do curl -sf "http://127.0.0.1:$API_PORT/healthz" >/dev/null && break; sleep 0.1; done
curl -sf -X POST "http://127.0.0.1:$API_PORT/v1/providers" -H "Authorization: Bearer $KEY" \
    -H 'Content-Type: application/json' \
    -d "{\"name\":\"stub\",\"kind\":\"twilio\",\"config\":{\"account_sid\":\"$ACCOUNT\",\"auth_token\":\"t\",\"from\":\"+15005550006\",\"base_url\":\"http://127.0.0.1:$STUB_PORT\",\"mps\":10000}}" \
    > /dev/null || { echo "profile: cannot create the provider" >&2; exit 1; }
EXTRA=""
[ "$MODE" = accept ] && EXTRA=",\"send_at\":\"$(date -u -d '+30 days' +%Y-%m-%dT%H:%M:%SZ)\""
mkdir -p "$TMP/done"
wrk -t1 -c16 -d600s --timeout 60s -s "$ROOT/bench/send_messages.lua" "http://127.0.0.1:$API_PORT" \
    -- "$N" 1 "$KEY" "$TMP/done" "$EXTRA" > "$TMP/wrk.out" 2>&1 &
WRK=$!
until [ -e "$TMP/done/done.1" ] || ! kill -0 $WRK 2>/dev/null; do sleep 0.2; done
kill -INT $WRK 2>/dev/null; wait $WRK 2>/dev/null
if [ "$MODE" = live ]; then
    for _ in $(seq 600); do
        sent=$(curl -s "http://127.0.0.1:$API_PORT/metrics" | awk '$1 ~ /^smsgate_messages_sent_total\{/ {s+=$2} END {print s+0}')
        [ "$sent" -ge "$N" ] && break
        sleep 0.2
    done
fi
kill -TERM $SERVE; wait $SERVE 2>/dev/null
TOTAL=$(callgrind_annotate "$OUT/callgrind.out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",","",$1); print $1}')
echo "profile: mode=$MODE n=$N instructions=$TOTAL per_message=$(( TOTAL / N ))"
callgrind_annotate --inclusive=yes "$OUT/callgrind.out" 2>/dev/null > "$OUT/inclusive.txt"
callgrind_annotate "$OUT/callgrind.out" 2>/dev/null > "$OUT/self.txt"
echo "profile: $OUT/inclusive.txt, $OUT/self.txt"
