"""Error classes of answers to a send request (docs/routing.md): send_class in the
catalogue, the class on a message's events, and unknown errors counted."""
from conftest import free_port, make_gateway
from test_ops import metric_value

RETRY_FLAGS = ("--retry-base-ms", "20", "--retry-cap-ms", "200", "--max-attempts", "2",
               "--poll-ms", "20")
CLASSES = {"accepted", "recipient", "provider", "retry", "none"}
UNKNOWN = "smsgate_send_unknown_errors_total"


def test_error_codes_carry_send_class(gw):
    rows = gw.srv.get("/v1/error-codes").json()["data"]
    by = {(r["provider"], r["code"]): r for r in rows}
    # Every row has a class of its own; `class` keeps its meaning beside it.
    bad = [r for r in rows if r.get("send_class") not in CLASSES]
    assert not bad, bad
    expect = {
        ("twilio", "21211"): ("recipient", "permanent"),   # invalid number
        ("twilio", "21610"): ("recipient", "permanent"),   # opted out
        ("twilio", "20003"): ("provider", "permanent"),    # authentication
        ("twilio", "20429"): ("retry", "temporary"),       # rate limit
        ("twilio", "30003"): ("none", "temporary"),        # delivery report, after acceptance
        ("clickatell", "105"): ("recipient", "permanent"),
        ("clickatell", "301"): ("provider", "permanent"),
        ("clickatell", "platform-43"): ("retry", "temporary"),
        ("clickatell", "status-007"): ("none", "temporary"),
        ("smsgate", "retry_budget_exhausted"): ("none", "temporary"),
    }
    for key, (send_class, cls) in expect.items():
        assert (by[key]["send_class"], by[key]["class"]) == (send_class, cls), by[key]
    # The filter still works and carries the field.
    tw = gw.srv.get("/v1/error-codes", params={"provider": "twilio"}).json()["data"]
    assert tw and all(r["send_class"] in CLASSES for r in tw)


def test_unknown_error_is_counted_and_known_ones_are_not(harness):
    g = make_gateway(harness, serve_args=RETRY_FLAGS)
    srv = g.srv
    known = srv.send("+15005550001", "known code")["id"]  # 21211
    m = srv.wait_status(known, "failed")
    assert m["error_code"] == "21211", m
    assert m["events"][-1]["detail"].endswith("; send class recipient"), m["events"]
    assert metric_value(srv.metrics(), UNKNOWN, {"provider": "sim"}) == 0

    # The simulator answers 29999, which no catalogue lists: provider class, counted;
    # with no other provider it is retried within the budget (--max-attempts 2).
    unknown = srv.send("+15005559999", "unknown code")["id"]
    m = srv.wait_status(unknown, "failed")
    assert (m["error_code"], m["attempts"]) == ("retry_budget_exhausted", 2), m
    assert "29999" in m["error_message"], m
    assert m["events"][2]["detail"].endswith("; send class provider"), m["events"]
    assert m["events"][-1]["detail"].endswith("; send class provider"), m["events"]
    assert metric_value(srv.metrics(), UNKNOWN, {"provider": "sim"}) == 2


def test_transport_failures_are_classified(harness):
    # Nothing listens: the connection is refused, the provider is the problem.
    g = make_gateway(harness, serve_args=RETRY_FLAGS,
                     provider_kw={"base_url": f"http://127.0.0.1:{free_port()}"})
    mid = g.srv.send("+447400123456", "nobody home")["id"]
    m = g.srv.wait_status(mid, "failed", timeout=10)
    retry = [e for e in m["events"] if e["status"] == "queued"][1]
    assert "retry at" in retry["detail"] and retry["detail"].endswith("; send class provider"), \
        m["events"]
    assert m["events"][-1]["detail"].endswith("; send class provider"), m["events"]
    # A refused connection is not an unknown error.
    assert metric_value(g.srv.metrics(), UNKNOWN, {"provider": "sim"}) == 0


def test_injected_429_is_retry_class(harness):
    g = make_gateway(harness, sim_args=("--rate-429", "1"), serve_args=RETRY_FLAGS)
    mid = g.srv.send("+447400123457", "rate limited")["id"]
    m = g.srv.wait_status(mid, "failed", timeout=10)
    details = [e["detail"] for e in m["events"] if e["status"] in ("queued", "failed")][1:]
    assert details and all(d.endswith("; send class retry") for d in details), m["events"]
