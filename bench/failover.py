#!/usr/bin/env python3
"""Measure failover with routes and circuit breakers (issue 12, docs/routing.md
"Failover: measured"): two Twilio simulators, a route primary -> backup, steady
traffic of RATE messages per second.

  1. the primary answers every send 500/503 from the start: how long until the
     first message is sent through the backup, how long each message took from
     acceptance to `sent` meanwhile (p50, max), how many sends the primary took
     before its breaker opened, and how many after;
  2. the primary comes back healthy on the same port: how long until traffic is
     sent through it again (after the breaker's cool-down and probes).

Prints key=value lines. Everything on 127.0.0.1, free ports, a temp dir; every
process is stopped at the end (bench/breaker.py's helpers).

Usage: bench/failover.py   (env: SMSGATE_BIN, RATE=20, SECONDS=5,
                            SERVE_ARGS="--breaker-cooldown-ms 3000")
"""
import os
import shlex
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import breaker as b  # noqa: E402  (the same process helpers and traffic)

SECONDS = float(os.environ.get("SECONDS", "5"))
SERVE_ARGS = shlex.split(os.environ.get("SERVE_ARGS", "--breaker-cooldown-ms 3000"))


def ts(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def provider(api, key, name, url, default):
    st, _ = b.http("POST", api + "/v1/providers", key, {
        "name": name, "kind": "twilio", "default": default,
        "config": {"account_sid": b.ACCOUNT_SID, "auth_token": b.AUTH_TOKEN,
                   "from": "+15005550006", "base_url": url, "mps": 1000}})
    assert st == 201, (name, st)


def main():
    tmp = Path(tempfile.mkdtemp(prefix="sg-failover-"))
    db = tmp / "smsgate.db"
    p_port, k_port, api_port = b.free_port(), b.free_port(), b.free_port()
    down, p_url = b.start_sim(p_port, tmp, "--rate-5xx", "1")
    _, k_url = b.start_sim(k_port, tmp)
    key = subprocess.run([b.BIN, "key", "create", "--db", str(db), "--role", "admin"],
                         capture_output=True, text=True, check=True).stdout.split()[0]
    b.start(["serve", "--db", str(db), "--listen", f"127.0.0.1:{api_port}", "--log-level",
             "warn", *SERVE_ARGS], tmp / "serve.log")
    api = f"http://127.0.0.1:{api_port}"
    b.wait(lambda: b.http("GET", api + "/healthz")[0] == 200, "smsgate serve")
    provider(api, key, "primary", p_url, False)
    provider(api, key, "backup", k_url, True)
    st, _ = b.http("POST", api + "/v1/routes", key,
                   {"name": "login", "providers": ["primary", "backup"]})
    assert st == 201, st

    # 1. The primary is down (100 % 5xx) for SECONDS of traffic.
    traffic = b.Traffic(api, key)
    t0 = time.monotonic()
    end = t0 + SECONDS
    b.wait(lambda: time.monotonic() >= end, "the outage", tick=traffic.tick)
    msgs = {}

    def all_sent():
        for m in traffic.ids:
            if m not in msgs:
                got = b.http("GET", f"{api}/v1/messages/{m}", key)[1]
                if got and got["status"] == "sent":
                    msgs[m] = got
        return len(msgs) == len(traffic.ids)

    b.wait(all_sent, "every message of the outage to be sent")
    delays = []
    for m in msgs.values():
        sent_at = [e["at"] for e in m["events"] if e["status"] == "sent"][0]
        delays.append(ts(sent_at) - ts(m["created_at"]))
    delays.sort()
    first = min(msgs.values(), key=lambda m: ts(m["created_at"]))
    primary_sends = b.http("GET", p_url + "/sim/stats")[1]["injected_5xx"]
    backup_sent = b.http("GET", k_url + "/sim/stats")[1]["accepted"]
    via_backup = sum(1 for m in msgs.values() if m["provider"] == "backup")
    failed_over = sum(1 for m in msgs.values() if m["providers_tried"])
    health = b.http("GET", api + "/v1/providers/primary/health", key)[1]

    # 2. The primary recovers on the same address.
    b.stop(down)
    b.start_sim(p_port, tmp)
    t_up = time.monotonic()
    back = b.Traffic(api, key)
    back.ids, back.next = [], time.monotonic()

    def primary_again():
        return b.http("GET", p_url + "/sim/stats")[1]["accepted"] > 0

    b.wait(primary_again, "traffic to return to the primary", tick=back.tick)
    t_back = time.monotonic()
    print(f"rate_per_s={b.RATE:g} outage_s={SECONDS:g} messages={len(msgs)} "
          f"via_backup={via_backup} backup_accepted={backup_sent}")
    sent_first = [e["at"] for e in first["events"] if e["status"] == "sent"][0]
    print(f"first_message_delay_s={ts(sent_first) - ts(first['created_at']):.3f} "
          f"delay_p50_s={delays[len(delays) // 2]:.3f} delay_max_s={delays[-1]:.3f}")
    print(f"sends_to_primary={primary_sends} failed_over={failed_over} "
          f"routed_straight_to_backup={len(msgs) - failed_over} "
          f"breaker_state_at_end_of_outage={health['state']}")
    print(f"traffic_back_on_primary_after_recovery_s={t_back - t_up:.2f}")


if __name__ == "__main__":
    try:
        main()
    finally:
        for p in reversed(b.procs):
            b.stop(p)
