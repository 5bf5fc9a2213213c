"""Routing and failover with two simulators (docs/routing.md): the primary answering
5xx or stopped moves traffic to the backup (nothing lost, nothing twice);
recipient errors are never failed over; a lost answer is looked up, not resent;
a mixed batch is routed by country; a provider named by the message is kept."""
from conftest import create_key, free_port

MOBILE_GB = "+447400123456"
MOBILE_KE = "+254712345678"
MOBILE_US = "+14155552671"


def two_providers(harness, primary_args=(), serve_args=(), primary_url=None):
    """A server with providers 'primary' (on sim a, or primary_url) and 'backup'
    (on sim b, the default), and a catch-all route primary -> backup."""
    a = harness.start_sim(*primary_args)
    b = harness.start_sim()
    srv = harness.start_server(*serve_args)
    srv.key = create_key(srv.db, "admin")
    primary = srv.add_provider(primary_url or a.url, name="primary", default=False)
    backup = srv.add_provider(b.url, name="backup", default=True)
    r = srv.post("/v1/routes", json={"name": "login", "providers": ["primary", "backup"]})
    assert r.status_code == 201, r.text
    return srv, a, b, primary, backup, r.json()


def assert_each_once(sim, done):
    """Every message was sent once, by this simulator, under the id it recorded."""
    got = sim.messages()
    sids = [m["sid"] for m in got]
    assert len(sids) == len(set(sids)) == len(done), (len(got), len(done))
    assert {m["provider_message_id"] for m in done.values()} == set(sids)
    assert sorted(m["to"] for m in got) == sorted(m["to"] for m in done.values())


def test_primary_5xx_moves_traffic_to_the_backup(harness):
    srv, a, b, primary, backup, route = two_providers(harness, primary_args=("--rate-5xx", "1"))
    ids = [srv.send(f"+4474001235{i:02d}", f"code {i}")["id"] for i in range(10)]
    done = srv.wait_final(ids, timeout=20)
    assert {m["status"] for m in done.values()} == {"sent"}, done
    assert {m["provider"] for m in done.values()} == {"backup"}
    assert a.stats()["accepted"] == 0
    assert_each_once(b, done)  # nothing lost, nothing twice
    m = srv.message(ids[0])
    assert m["route_id"] == route["id"] and m["failover"] is True
    assert m["providers_tried"] == [primary["id"]]
    details = [e["detail"] or "" for e in m["events"]]
    assert details[0] == "route login (priority): primary", details
    over = [d for d in details if d.startswith("failed over from primary to backup")]
    assert len(over) == 1 and over[0].endswith("; send class provider"), details


def test_primary_stopped_moves_traffic_to_the_backup(harness):
    srv, a, b, primary, backup, _ = two_providers(
        harness, primary_url=f"http://127.0.0.1:{free_port()}")  # nothing listens there
    ids = [srv.send(f"+4474001236{i:02d}", f"stopped {i}")["id"] for i in range(5)]
    done = srv.wait_final(ids, timeout=20)
    assert {(m["status"], m["provider"]) for m in done.values()} == {("sent", "backup")}, done
    assert_each_once(b, done)


def test_recipient_errors_are_never_failed_over(harness):
    srv, a, b, *_ = two_providers(harness)
    # 21610 unsubscribed, 21211 invalid number, 21614 not a mobile (a landline)
    codes = {"+15005550004": "21610", "+15005550001": "21211", "+15005550009": "21614"}
    ids = {to: srv.send(to, "never twice")["id"] for to in codes}
    done = srv.wait_final(list(ids.values()), timeout=15)
    for to, code in codes.items():
        m = done[ids[to]]
        assert (m["status"], m["error_code"], m["provider"]) == ("failed", code, "primary"), m
        assert m["providers_tried"] == [] and m["attempts"] == 1, m
        assert m["events"][-1]["detail"].endswith("; send class recipient"), m["events"]
    assert b.stats()["rejected"] == 0 and b.messages() == []
    assert a.stats()["rejected"] == len(codes)


def test_lost_answer_is_looked_up_not_resent(harness):
    """The primary takes the message but its answer comes after smsgate gave up
    (3 s against a 1.5 s request timeout): the outcome is unknown. The next
    attempt asks the provider first, finds it, and records it sent; it is
    neither sent again there nor failed over."""
    srv, a, b, primary, *_ = two_providers(harness, primary_args=("--send-latency-ms", "3000"))
    mid = srv.send(MOBILE_GB, "your code is 4321")["id"]
    m = srv.wait_status(mid, "sent", timeout=20)
    assert m["provider"] == "primary", m
    got = a.messages(to=MOBILE_GB)
    assert [x["sid"] for x in got] == [m["provider_message_id"]], got  # once
    assert b.messages() == []
    retry = [e["detail"] for e in m["events"] if e["status"] == "queued"][1:]
    assert retry and retry[0].endswith("; send class retry"), m["events"]
    assert not any("failed over" in (e["detail"] or "") for e in m["events"]), m["events"]


def test_mixed_batch_is_routed_by_country(harness):
    uk_sim = harness.start_sim()
    ke_sim = harness.start_sim()
    srv = harness.start_server()
    srv.key = create_key(srv.db, "admin")
    srv.add_provider(uk_sim.url, name="uk-provider", default=True)
    srv.add_provider(ke_sim.url, name="ke-provider", default=False)
    for body in ({"name": "kenya", "match": {"prefixes": ["+2547"]}, "providers": ["ke-provider"]},
                 {"name": "uk", "match": {"countries": ["GB"]}, "providers": ["uk-provider"]}):
        assert srv.post("/v1/routes", json=body).status_code == 201
    batch = [{"to": MOBILE_GB, "body": "uk"}, {"to": MOBILE_KE, "body": "ke"},
             {"to": "+447400123457", "body": "uk 2"}, {"to": "+254722345678", "body": "ke 2"},
             {"to": MOBILE_US, "body": "elsewhere"}]
    r = srv.post("/v1/messages/batch", json={"messages": batch})
    assert r.status_code == 202, r.text
    assert r.json()["rejected"] == [], r.text
    ids = [x["id"] for x in r.json()["accepted"]]
    done = srv.wait_final(ids, timeout=15)
    by_to = {m["to"]: m for m in done.values()}
    assert by_to[MOBILE_GB]["provider"] == "uk-provider"
    assert by_to[MOBILE_KE]["provider"] == "ke-provider"
    assert by_to["+254722345678"]["provider"] == "ke-provider"
    # no route for the US: the default provider, no route recorded
    assert by_to[MOBILE_US]["provider"] == "uk-provider" and by_to[MOBILE_US]["route_id"] is None
    assert {m["status"] for m in done.values()} == {"sent"}
    assert sorted(x["to"] for x in ke_sim.messages()) == ["+254712345678", "+254722345678"]
    assert sorted(x["to"] for x in uk_sim.messages()) == ["+14155552671", "+447400123456",
                                                        "+447400123457"]


def test_forced_provider_is_kept_unless_failover_true(harness):
    srv, a, b, primary, backup, _ = two_providers(
        harness, primary_args=("--rate-5xx", "1"), serve_args=("--max-attempts", "3"))
    pinned = srv.send(MOBILE_GB, "pinned", provider="primary")["id"]
    free = srv.send("+447400123458", "pinned, may fail over", provider="primary",
                    failover=True)["id"]
    m = srv.wait_status(pinned, "failed", timeout=20)
    # provider class, no failover allowed: retried on the primary within its budget
    assert (m["provider"], m["error_code"], m["attempts"]) == \
        ("primary", "retry_budget_exhausted", 3), m
    assert m["failover"] is False and m["providers_tried"] == []
    m = srv.wait_status(free, "sent", timeout=20)
    assert m["provider"] == "backup" and m["providers_tried"] == [primary["id"]], m
    assert [x["to"] for x in b.messages()] == ["+447400123458"]
    # a sender only the backup has pins the backup
    r = srv.patch("/v1/providers/backup", json={"config": {"from": "+15005550006|+15017122661"}})
    assert r.status_code == 200, r.text
    owned = srv.send("+447400123459", "from the backup's number", **{"from": "+15017122661"})
    assert owned["provider"] == "backup", owned
    assert srv.wait_status(owned["id"], "sent", timeout=10)["provider"] == "backup"


def test_bad_failover_field(gw):
    from conftest import assert_problem
    r = gw.srv.post("/v1/messages", json={"to": MOBILE_GB, "body": "x", "failover": "yes"})
    assert_problem(r, 400, "invalid_request", "failover")


def clickatell_primary(harness, on_unknown):
    """A Clickatell primary (no lookup) whose answers come after smsgate's 1.5 s
    timeout, a retry budget of 0 there (the first lost answer spends it), and a
    Twilio backup, on a route with the given on_unknown."""
    from test_clickatell import start_clickatell_sim
    ck_url = start_clickatell_sim(harness, "--latency-ms", "3000")
    b = harness.start_sim()
    srv = harness.start_server()
    srv.key = create_key(srv.db, "admin")
    r = srv.post("/v1/providers", json={
        "name": "ck", "kind": "clickatell",
        "config": {"username": "simulator", "password": "simulator-password",
                   "params": "api_id=3512345", "base_url": ck_url, "mps": 100,
                   "retry_for_seconds": 0}})
    assert r.status_code == 201, r.text
    srv.add_provider(b.url, name="backup", default=True)
    r = srv.post("/v1/routes", json={"name": "ck-first", "providers": ["ck", "backup"],
                                     "on_unknown": on_unknown})
    assert r.status_code == 201, r.text
    return srv, ck_url, b


def test_unknown_outcome_without_lookup_is_not_failed_over(harness):
    from test_clickatell import sim_messages
    srv, ck_url, b = clickatell_primary(harness, "retry")
    mid = srv.send(MOBILE_GB, "maybe sent")["id"]
    m = srv.wait_status(mid, "failed", timeout=20)
    assert (m["provider"], m["error_code"]) == ("ck", "retry_budget_exhausted"), m
    assert m["events"][-1]["detail"].endswith(
        "not failed over: the outcome at ck is unknown and it could not be looked up "
        "(route on_unknown retry)"), m["events"]
    assert b.messages() == []  # never a second copy elsewhere
    assert len(sim_messages(ck_url)) == 1


def test_unknown_outcome_fails_over_when_the_route_says_so(harness):
    srv, ck_url, b = clickatell_primary(harness, "failover")
    mid = srv.send(MOBILE_GB, "rather twice than late")["id"]
    m = srv.wait_status(mid, "sent", timeout=20)
    assert m["provider"] == "backup", m
    over = [e["detail"] for e in m["events"] if "failed over" in (e["detail"] or "")]
    assert len(over) == 1 and over[0].endswith(
        "; failed over although the outcome at ck is unknown (route on_unknown failover: "
        "a duplicate is possible)"), m["events"]
    assert [x["to"] for x in b.messages()] == [MOBILE_GB]
