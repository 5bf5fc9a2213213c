"""Issue 11 item 19: a provider test that waits for the outcome, as the seed
platforms' "send a test SMS" buttons do. POST /v1/providers/{id}/test with "wait"
holds the request (suspended, no HTTP thread held) until the message is delivered
or fails, or the wait runs out; `smsgate provider test` waits by default."""
import signal
import threading

import pytest

from conftest import assert_problem, make_gateway, run_cli, wait_for


@pytest.fixture
def gw_cb(harness):
    """A gateway whose simulator sends status callbacks (sent, then delivered)."""
    return make_gateway(harness, callbacks=True)


@pytest.mark.pg_not_yet("status reports")
def test_wait_until_delivered(gw_cb):
    r = gw_cb.srv.post("/v1/providers/sim/test", json={"to": "+447400123456", "wait": 20},
                       timeout=30)
    assert r.status_code == 200, r.text
    j = r.json()
    assert j["outcome"] == "delivered", j
    assert j["message"]["status"] == "delivered"
    assert j["message"]["provider"] == "sim"
    assert "error_code" not in j
    statuses = [e["status"] for e in j["message"]["events"]]
    assert statuses[-1] == "delivered", statuses


def test_wait_until_failed_with_the_error(gw_cb):
    # +15005550001: Twilio's test credentials refuse it with 21211
    r = gw_cb.srv.post("/v1/providers/sim/test", json={"to": "+15005550001", "wait": 20},
                       timeout=30)
    assert r.status_code == 200, r.text
    j = r.json()
    assert j["outcome"] == "failed", j
    assert j["error_code"] == "21211"
    assert "not a valid phone number" in j["error_message"]
    assert j["message"]["status"] == "failed"


def test_wait_runs_out_sent_without_a_report(gw):
    # the simulator of `gw` sends no status callbacks: accepted, never delivered
    r = gw.srv.post("/v1/providers/sim/test", json={"to": "+447400123456", "wait": 1},
                    timeout=30)
    assert r.status_code == 200, r.text
    assert r.json()["outcome"] == "sent"
    assert r.json()["message"]["status"] == "sent"


def test_wait_runs_out_pending(harness):
    # the simulator answers after 4 s (the dispatcher gives up after 1.5 s and retries)
    g = make_gateway(harness, sim_args=("--latency-ms", "4000"))
    r = g.srv.post("/v1/providers/sim/test", json={"to": "+447400123456", "wait": 1}, timeout=30)
    assert r.status_code == 200, r.text
    j = r.json()
    assert j["outcome"] == "pending", j
    assert j["message"]["status"] in ("queued", "sending"), j


def test_without_wait_answers_at_once_as_before(gw):
    r = gw.srv.post("/v1/providers/sim/test", json={"to": "+447400123456"})
    assert r.status_code == 202, r.text
    assert r.json()["status"] in ("queued", "sending")
    assert "outcome" not in r.json()


@pytest.mark.parametrize("wait", [0, 61, -1, "5", 1.5, True, None])
def test_wait_out_of_bounds(gw, wait):
    r = gw.srv.post("/v1/providers/sim/test", json={"to": "+447400123456", "wait": wait})
    assert_problem(r, 400, "invalid_request", "wait")


def test_waiting_holds_no_thread(harness):
    """With one HTTP thread, other requests are answered while a test waits."""
    g = make_gateway(harness, serve_args=("--threads", "1"))
    result = {}

    def held():
        result["r"] = g.srv.post("/v1/providers/sim/test",
                                 json={"to": "+447400123456", "wait": 6}, timeout=30)

    t = threading.Thread(target=held)
    t.start()
    # the held request is in: its message exists
    wait_for(lambda: g.srv.get("/v1/messages?limit=1").json()["data"], what="the test message")
    for _ in range(3):
        assert g.srv.get("/v1/providers").status_code == 200
    assert t.is_alive(), "the held request ended before its wait ran out"
    t.join(30)
    assert result["r"].status_code == 200 and result["r"].json()["outcome"] == "sent"


def test_shutdown_answers_a_held_request(harness):
    g = make_gateway(harness)
    result = {}

    def held():
        result["r"] = g.srv.post("/v1/providers/sim/test",
                                 json={"to": "+447400123456", "wait": 60}, timeout=60)

    t = threading.Thread(target=held)
    t.start()
    wait_for(lambda: g.srv.get("/v1/messages?limit=1").json()["data"], what="the test message")
    g.srv.proc.signal(signal.SIGTERM)
    t.join(30)
    assert not t.is_alive()
    assert result["r"].status_code == 200, result["r"].text
    assert result["r"].json()["outcome"] in ("sent", "pending")
    assert g.srv.proc.wait() == 0


# ---- the CLI ------------------------------------------------------------------------


@pytest.mark.pg_not_yet("status reports")
def test_cli_provider_test_waits_for_delivery(gw_cb):
    cp = run_cli("provider", "test", "sim", "--to", "+447400123456", "--db", gw_cb.srv.db,
                 "--log-level", "warn", timeout=40)
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout.splitlines()[0].split() == ["outcome", "delivered"], cp.stdout
    assert "msg_" in cp.stdout


def test_cli_provider_test_failure_exits_1(gw_cb):
    cp = run_cli("provider", "test", "sim", "--to", "+15005550001", "--db", gw_cb.srv.db,
                 "--log-level", "warn", timeout=40)
    assert cp.returncode == 1, (cp.stdout, cp.stderr)
    assert cp.stdout.splitlines()[0].split() == ["outcome", "failed"], cp.stdout
    assert "21211" in cp.stdout


def test_cli_provider_test_json_and_wait(gw):
    import json
    cp = run_cli("provider", "test", "sim", "--to", "+447400123456", "--db", gw.srv.db,
                 "--log-level", "warn", "--wait", "1", "--json", timeout=40)
    assert cp.returncode == 0, cp.stderr
    j = json.loads(cp.stdout)
    assert j["outcome"] == "sent" and j["message"]["status"] == "sent"


def test_cli_provider_test_no_server_is_pending(harness):
    db = harness.tmp / "alone.db"
    run_cli("provider", "add", "--db", db, "--name", "p", "--kind", "twilio",
            "--account-sid", "AC" + "0" * 32, "--auth-token", "t0k3n-abcd", "--from",
            "+15005550006", "--log-level", "warn", check=True)
    cp = run_cli("provider", "test", "p", "--to", "+447400123456", "--db", db, "--wait", "1",
                 "--log-level", "warn")
    assert cp.returncode == 1, (cp.stdout, cp.stderr)
    assert cp.stdout.splitlines()[0].split() == ["outcome", "pending"]
    assert "smsgate serve" in cp.stdout


def test_cli_provider_test_bad_wait_is_a_usage_error(gw):
    for w in ("0", "601", "x"):
        cp = run_cli("provider", "test", "sim", "--to", "+447400123456", "--db", gw.srv.db,
                     "--wait", w)
        assert cp.returncode == 2, (w, cp.stderr)
