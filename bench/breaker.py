#!/usr/bin/env python3
"""Measure the circuit breaker with the Twilio simulator injecting 100 % 5xx
(issue 12, docs/routing.md "Circuit breakers: measured").

One smsgate serve, one provider, steady traffic of RATE messages per second:

  1. the provider's simulator answers every send 500/503: how many sends reach it
     before its breaker opens, and how long after the first failure it opens;
  2. the simulator comes back healthy on the same port: how long until the
     breaker closes, until the first waiting message is sent, until every
     message is sent, and how many messages waited meanwhile.

Prints key=value lines. Everything on 127.0.0.1, free ports, a temp dir;
every process is stopped by its pid at the end (also on failure or Ctrl-C).
With routes (issue 12, routing) the same figures become "time to failover".

Usage: bench/breaker.py          (env: SMSGATE_BIN, RATE=20, SERVE_ARGS="...")
"""
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = os.environ.get("SMSGATE_BIN") or str(REPO / "build" / "src" / "smsgate")
RATE = float(os.environ.get("RATE", "20"))
SERVE_ARGS = shlex.split(os.environ.get("SERVE_ARGS", ""))
ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "bench-auth-token"
LIMIT_S = 120  # no phase waits longer than this
procs = []


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(args, log):
    p = subprocess.Popen([BIN, *args], stdout=open(log, "w"), stderr=subprocess.STDOUT,
                         start_new_session=True)
    procs.append(p)
    return p


def stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def http(method, url, key=None, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    if key:
        req.add_header("Authorization", f"Bearer {key}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, None
    except OSError:
        return 0, None


def wait(pred, what, limit=LIMIT_S, tick=None):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if tick:
            tick()
        v = pred()
        if v:
            return v
        time.sleep(0.01)
    sys.exit(f"breaker.py: timed out waiting for {what}")


def start_sim(port, tmp, *extra):
    p = start(["simulate", "twilio", "--listen", f"127.0.0.1:{port}", "--account-sid",
               ACCOUNT_SID, "--auth-token", AUTH_TOKEN, "--callbacks", "off",
               "--log-level", "warn", *extra], tmp / f"sim-{len(procs)}.log")
    url = f"http://127.0.0.1:{port}"
    wait(lambda: http("GET", url + "/sim/stats")[0] == 200, "the simulator")
    return p, url


class Traffic:
    """Sends RATE messages per second (one at a time, paced) while tick() is called."""

    def __init__(self, api, key):
        self.api, self.key, self.ids, self.next = api, key, [], time.monotonic()

    def tick(self):
        while time.monotonic() >= self.next:
            n = len(self.ids)
            st, m = http("POST", self.api + "/v1/messages", self.key,
                         {"to": f"+4474009{n:05d}", "body": f"breaker bench {n}"})
            if st == 202:
                self.ids.append(m["id"])
            self.next += 1.0 / RATE


def main():
    tmp = Path(tempfile.mkdtemp(prefix="sg-breaker-"))
    db = tmp / "smsgate.db"
    sim_port, api_port = free_port(), free_port()
    down, sim_url = start_sim(sim_port, tmp, "--rate-5xx", "1")
    key = subprocess.run([BIN, "key", "create", "--db", str(db), "--role", "admin"],
                         capture_output=True, text=True, check=True).stdout.split()[0]
    start(["serve", "--db", str(db), "--listen", f"127.0.0.1:{api_port}", "--log-level", "warn",
           *SERVE_ARGS], tmp / "serve.log")
    api = f"http://127.0.0.1:{api_port}"
    wait(lambda: http("GET", api + "/healthz")[0] == 200, "smsgate serve")
    st, _ = http("POST", api + "/v1/providers", key, {
        "name": "primary", "kind": "twilio", "default": True,
        "config": {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN, "from": "+15005550006",
                   "base_url": sim_url, "mps": 1000}})
    assert st == 201, st
    health = lambda: http("GET", api + "/v1/providers/primary/health", key)[1]  # noqa: E731
    cfg = health()["breaker"]

    # 1. 100 % 5xx until the breaker opens.
    traffic = Traffic(api, key)
    t0 = time.monotonic()
    wait(lambda: health()["state"] == "open", "the breaker to open", tick=traffic.tick)
    t_open = time.monotonic()
    sends_before_open = http("GET", sim_url + "/sim/stats")[1]["injected_5xx"]
    # Keep the traffic going for a moment: what reaches the primary while it is open.
    hold_end = time.monotonic() + 2
    wait(lambda: time.monotonic() >= hold_end, "the hold", tick=traffic.tick)
    sends_while_open = http("GET", sim_url + "/sim/stats")[1]["injected_5xx"] - sends_before_open

    # 2. The primary recovers on the same address.
    stop(down)
    start_sim(sim_port, tmp)
    t_up = time.monotonic()
    waiting = len(traffic.ids)

    def first_sent():
        return any(http("GET", f"{api}/v1/messages/{m}", key)[1]["status"] == "sent"
                   for m in traffic.ids[:5])

    wait(first_sent, "a message to be sent after the recovery")
    t_first = time.monotonic()
    wait(lambda: health()["state"] == "closed", "the breaker to close")
    t_closed = time.monotonic()
    pending = list(traffic.ids)

    def all_sent():
        pending[:] = [m for m in pending
                      if http("GET", f"{api}/v1/messages/{m}", key)[1]["status"] != "sent"]
        return not pending

    wait(all_sent, "every message to be sent")
    t_all = time.monotonic()
    h = health()
    print(f"breaker_config={json.dumps(cfg, separators=(',', ':'))} rate_per_s={RATE:g}")
    print(f"sends_before_open={sends_before_open} open_after_s={t_open - t0:.2f} "
          f"sends_while_open_2s={sends_while_open}")
    print(f"messages_waiting={waiting} first_sent_after_recovery_s={t_first - t_up:.2f} "
          f"closed_after_recovery_s={t_closed - t_up:.2f} "
          f"all_sent_after_recovery_s={t_all - t_up:.2f}")
    print(f"transitions={json.dumps(h['transitions'], separators=(',', ':'))} "
          f"failures_total={h['failures_total']}")


if __name__ == "__main__":
    try:
        main()
    finally:
        for p in reversed(procs):
            stop(p)
