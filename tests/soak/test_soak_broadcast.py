"""Soak: a 20,000-contact broadcast with `smsgate serve` killed (-9) half way and
started again: every contact gets the text exactly once (the Twilio simulator
can be asked whether a message it accepted exists, so nothing lost in flight
is sent twice), and the broadcast ends done with every recipient accounted for.
Figures (how long each part took) are printed, not asserted."""

import collections
import os
import time

from e2e_conftest import create_key, wait_for

N = int(os.environ.get("SOAK_BROADCAST_N", "20000"))


def contacts_csv(n):
    rows = ["phone,first_name"]
    rows += [f"+4474{i:08d},c{i}" for i in range(n)]
    return "\n".join(rows) + "\n"


def test_broadcast_killed_half_way_reaches_everyone_once(harness):
    sim = harness.start_sim()
    srv = harness.start_server("--lease", "600")
    srv.key = create_key(srv.db, "admin")
    srv.add_provider(sim.url)
    t0 = time.monotonic()
    r = srv.post("/v1/contacts/import?group=everyone", data=contacts_csv(N),
                 headers={"Content-Type": "text/csv"}, timeout=300)
    assert r.status_code == 200, r.text
    assert r.json()["imported"] == N, r.text[:500]
    t_import = time.monotonic() - t0

    r = srv.post("/v1/broadcasts", json={"name": "soak", "body": "Hello {{first_name}}",
                                         "group": "everyone"})
    assert r.status_code == 201, r.text
    bid = r.json()["id"]
    t1 = time.monotonic()
    wait_for(lambda: sim.stats().get("accepted", 0) >= N // 2, timeout=600, interval=0.05,
             what="half the broadcast at the simulator")
    srv.proc.kill9()
    t_half = time.monotonic() - t1

    srv = harness.restart(srv)

    def done():
        b = srv.get(f"/v1/broadcasts/{bid}").json()
        return b if b["status"] == "done" else None

    b = wait_for(done, timeout=900, interval=0.5, what="the broadcast to be done")
    t_all = time.monotonic() - t1
    sent = collections.Counter(m["to"] for m in sim.messages())
    twice = [to for to, n in sent.items() if n > 1]
    assert not twice, f"{len(twice)} contacts got the text more than once, e.g. {twice[:5]}"
    assert len(sent) == N, f"{N - len(sent)} contacts never got the text"
    assert b["counts"]["recipients"] == N, b
    print(f"\nsoak broadcast: {N} contacts, import {t_import:.1f} s, half at the simulator "
          f"{t_half:.1f} s, killed, restarted, all {t_all:.1f} s")
