"""Circuit breakers (issue 12): a provider answering 5xx trips its breaker, sends
wait while it is open (neither sent nor failed), it half-opens after the cool-down
and closes after successful probes; state and transitions in the health endpoint,
/metrics and the provider's events. Recipient errors never trip it."""
import re

import pytest

from conftest import create_key, run_cli, wait_for

BREAKER = ("--breaker-failures", "3", "--breaker-error-rate", "0",
           "--breaker-cooldown-ms", "1500", "--breaker-probes", "1",
           "--breaker-successes", "2",
           "--retry-base-ms", "20", "--retry-cap-ms", "100")


def _server(harness, *flags):
    srv = harness.start_server(*BREAKER, *flags)
    srv.key = create_key(srv.db, "admin")
    return srv


def _health(srv, provider="sim"):
    r = srv.get(f"/v1/providers/{provider}/health")
    assert r.status_code == 200, r.text
    return r.json()


def _metric(text, name, **labels):
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    m = re.search(rf"^{name}{{{re.escape(want)}}} (\d+)$", text, re.M)
    return int(m.group(1)) if m else None


@pytest.mark.pg_not_yet("provider events")
def test_breaker_opens_on_5xx_waits_half_opens_and_closes(harness):
    down = harness.start_sim("--rate-5xx", "1")
    up = harness.start_sim()
    srv = _server(harness)
    srv.add_provider(down.url)
    assert _health(srv)["state"] == "closed"

    ids = [srv.send(f"+4474001239{i:02d}", f"through an outage {i}")["id"] for i in range(5)]

    h = wait_for(lambda: (lambda h: h if h["state"] == "open" else None)(_health(srv)),
                 timeout=10, what="the breaker to open")
    assert h["scope"] == "node" and h["opened_because"] == "consecutive", h
    assert h["failures_total"] >= 3 and h["transitions"]["open"] >= 1, h
    assert h["next_probe_at"], h
    assert h["breaker"]["failures"] == 3 and h["breaker"]["cooldown_ms"] == 1500, h
    assert any(e["type"] == "breaker.open" and "3 provider failures in a row" in e["detail"]
               for e in h["events"]), h["events"]
    text = srv.metrics()
    assert _metric(text, "smsgate_provider_breaker_state", provider="sim", state="open") == 1
    assert _metric(text, "smsgate_provider_breaker_state", provider="sim", state="closed") == 0
    assert _metric(text, "smsgate_provider_breaker_transitions_total", provider="sim",
                   to="open") >= 1

    # While it is open the messages wait: queued, not failed, with the reason in
    # their events, and the provider sees at most one probe per cool-down.
    def waiting():
        ms = [srv.message(mid) for mid in ids]
        assert all(m["status"] in ("queued", "sending") for m in ms), ms
        return all(any("circuit breaker is open" in (e["detail"] or "") for e in m["events"])
                   for m in ms) or None

    wait_for(waiting, timeout=10, what="every message to wait behind the breaker")
    assert down.messages() == []

    # The provider recovers (the operator points it at a healthy endpoint; the
    # breaker is not reset by the edit): a probe after the cool-down succeeds,
    # a second one closes it, and every message goes out once.
    r = srv.patch("/v1/providers/sim", json={"config": {"base_url": up.url}})
    assert r.status_code == 200, r.text
    done = srv.wait_final(ids, timeout=20)
    assert all(m["status"] == "sent" for m in done.values()), done
    for m in done.values():
        assert [x["sid"] for x in up.messages(to=m["to"])] == [m["provider_message_id"]]
    h = wait_for(lambda: (lambda h: h if h["state"] == "closed" else None)(_health(srv)),
                 timeout=10, what="the breaker to close")
    assert h["transitions"]["half_open"] >= 1 and h["transitions"]["closed"] >= 1, h
    types = [e["type"] for e in h["events"]]  # newest first
    assert types[0] == "breaker.closed" and "breaker.half_open" in types, types
    text = srv.metrics()
    assert _metric(text, "smsgate_provider_breaker_state", provider="sim", state="closed") == 1
    assert _metric(text, "smsgate_provider_breaker_transitions_total", provider="sim",
                   to="closed") >= 1


def test_recipient_errors_never_trip_the_breaker(harness):
    sim = harness.start_sim()
    srv = _server(harness, "--breaker-failures", "2")
    srv.add_provider(sim.url)
    # Twilio's magic numbers: 21211 invalid number, 21614 not a mobile (recipient class).
    ids = [srv.send(to, "never a provider problem")["id"]
           for to in ("+15005550001", "+15005550009", "+15005550001", "+15005550009")]
    done = srv.wait_final(ids, timeout=10)
    assert all(m["status"] == "failed" for m in done.values()), done
    h = _health(srv)
    assert h["state"] == "closed" and h["transitions"]["open"] == 0, h
    assert h["successes_total"] >= 4 and h["failures_total"] == 0, h
    ok = srv.send("+447400123456", "still sending")["id"]
    srv.wait_status(ok, "sent")


def test_health_of_an_unknown_provider_and_the_roles(harness):
    sim = harness.start_sim()
    srv = _server(harness)
    srv.add_provider(sim.url)
    r = srv.get("/v1/providers/nope/health")
    assert r.status_code == 404 and r.json()["code"] == "not_found", r.text
    viewer = create_key(srv.db, "viewer")
    r = srv.get("/v1/providers/sim/health", key=viewer)
    assert r.status_code == 200 and r.json()["state"] == "closed", r.text
    assert r.json()["events"] == [] and r.json()["next_probe_at"] is None, r.json()


def test_breaker_flags_are_checked(harness, tmp_path):
    for flags, words in ((("--breaker-error-rate", "101"), "percentage"),
                         (("--breaker-cooldown-ms", "0"), "cool-down"),
                         (("--breaker-probes", "0"), "probes")):
        cp = run_cli("serve", "--db", str(tmp_path / "x.db"), "--listen", "127.0.0.1:0", *flags)
        assert cp.returncode == 2, (flags, cp.returncode, cp.stderr)
        lines = cp.stderr.strip().splitlines()
        assert len(lines) == 1 and "--breaker" in lines[0] and words in lines[0], cp.stderr
