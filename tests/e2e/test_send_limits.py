"""Issue 11, item 24: toll-fraud limits. A deployment-wide list of destination
countries, a key's narrower list, a key's daily quota; refusals named and counted."""
import re
import sqlite3

import pytest

from conftest import assert_problem, make_gateway, run_cli, wait_for

GB = "+447400123456"
GB2 = "+447400123457"
US = "+12025550123"
IE = "+353851234567"


def refused(metrics, reason):
    m = re.search(r'^smsgate_sends_refused_total\{reason="%s"\} (\d+)$' % reason, metrics, re.M)
    assert m, metrics
    return int(m.group(1))


def key_with(db, *flags):
    cp = run_cli("key", "create", "--role", "sender", "--db", db, "--log-level", "warn", *flags,
                 check=True)
    return cp.stdout.strip().splitlines()[-1]


def test_gb_only_deployment_refuses_us(harness):
    gw = make_gateway(harness, serve_args=("--allowed-countries", "gb, IE"))
    srv = gw.srv
    assert refused(srv.metrics(), "country_not_allowed") == 0
    srv.wait_status(srv.send(GB)["id"], "sent")
    srv.send(IE)
    r = srv.post("/v1/messages", json={"to": US, "body": "hi"})
    p = assert_problem(r, 403, "country_not_allowed", "to")
    assert "US" in p["detail"] and US in p["detail"], p
    # batch: refused one by one
    r = srv.post("/v1/messages/batch", json={"messages": [
        {"to": US, "body": "a"}, {"to": GB, "body": "b"}]})
    assert r.status_code == 202, r.text
    j = r.json()
    assert [x["index"] for x in j["rejected"]] == [0] and len(j["accepted"]) == 1
    assert j["rejected"][0]["code"] == "country_not_allowed"
    assert refused(srv.metrics(), "country_not_allowed") == 2
    # a broadcast skips the recipients the deployment does not allow
    for phone in (GB2, US):
        assert srv.post("/v1/contacts", json={"phone": phone, "first_name": "A"}).status_code == 201
    gid = srv.post("/v1/groups", json={"name": "g"}).json()["id"]
    r = srv.post(f"/v1/groups/{gid}/members", json={"contacts": [GB2, US]})
    assert r.status_code == 200, r.text
    r = srv.post("/v1/broadcasts", json={"name": "b", "body": "Hi {{first_name}}", "group": "g"})
    assert r.status_code == 201, r.text
    bid = r.json()["id"]
    b = wait_for(lambda: (lambda b: b if b["status"] == "done" else None)(
        srv.get(f"/v1/broadcasts/{bid}").json()), what="the broadcast to finish")
    assert b["counts"]["recipients"] == 2 and b["counts"]["skipped"]["invalid"] == 1, b
    assert refused(srv.metrics(), "country_not_allowed") == 3
    # nothing reached the provider for the US number
    assert gw.sim.messages(US) == []


def test_bad_allowed_countries_is_a_usage_error(harness, tmp_path):
    db = tmp_path / "x.db"
    cp = run_cli("serve", "--db", db, "--listen", "127.0.0.1:0", "--allowed-countries", "GB,XX")
    assert cp.returncode == 2 and "XX" in cp.stderr, cp.stderr
    assert not db.exists()
    cp = run_cli("key", "create", "--role", "sender", "--db", db, "--countries", "United Kingdom")
    assert cp.returncode == 2 and "--countries" in cp.stderr, cp.stderr


@pytest.mark.sqlite_only  # reads the key's usage row from the SQLite file
def test_key_countries_and_daily_quota_hold_across_a_restart(harness):
    gw = make_gateway(harness)
    srv = gw.srv
    ie_only = key_with(srv.db, "--countries", "IE")
    r = srv.post("/v1/messages", key=ie_only, json={"to": GB, "body": "hi"})
    p = assert_problem(r, 403, "country_not_allowed", "to")
    assert "GB" in p["detail"] and "key" in p["detail"], p
    r = srv.post("/v1/messages", key=ie_only, json={"to": IE, "body": "hi"})
    assert r.status_code == 202, r.text

    two = key_with(srv.db, "--daily-quota", "2")
    for body in ("one", "two"):
        r = srv.post("/v1/messages", key=two, json={"to": GB, "body": body})
        assert r.status_code == 202, r.text
    r = srv.post("/v1/messages", key=two, json={"to": GB2, "body": "three"})
    p = assert_problem(r, 429, "daily_quota_exceeded")
    assert "2" in p["detail"], p
    assert int(r.headers["Retry-After"]) > 0
    # a batch: each item is refused on its own
    r = srv.post("/v1/messages/batch", key=two, json={"messages": [{"to": GB, "body": "b"}]})
    assert r.status_code == 202 and r.json()["rejected"][0]["code"] == "daily_quota_exceeded"
    # another key is not affected
    srv.send(GB, body="admin")
    m = srv.metrics()
    assert refused(m, "daily_quota_exceeded") == 2
    assert refused(m, "country_not_allowed") == 1

    # the count survives a clean restart within the day
    srv.proc.stop()
    with sqlite3.connect(srv.db) as db:
        rows = db.execute("SELECT sent FROM key_usage").fetchall()
    assert rows == [(2,)], rows
    srv2 = harness.restart(srv)
    r = srv2.post("/v1/messages", key=two, json={"to": GB, "body": "four"})
    assert_problem(r, 429, "daily_quota_exceeded")


@pytest.mark.sqlite_only  # reads the key's row from the SQLite file
def test_editing_a_keys_limits_takes_effect_on_the_next_requests(harness):
    """The limits live in the auth cache's record of the key: `key edit` bumps the
    keys generation, so a running server drops the record and reads the new limits
    within about a second (a second cache of the limits kept them 10 s)."""
    gw = make_gateway(harness)
    srv = gw.srv
    key = key_with(srv.db)
    key_id = "key_" + key.split("_")[1]

    def send(to):
        return srv.post("/v1/messages", key=key, json={"to": to, "body": "hi"})

    def refused_with(status, to):
        # a list, because a Response is falsy when its status is 4xx
        return lambda: (lambda r: [r] if r.status_code == status else None)(send(to))

    assert send(GB).status_code == 202  # the key and its (empty) limits are cached now
    cp = run_cli("key", "edit", key_id, "--countries", "ie", "--db", srv.db, check=True)
    assert "countries IE, daily quota 0" in cp.stderr, cp.stderr
    [r] = wait_for(refused_with(403, GB), timeout=3, what="GB refused after key edit --countries IE")
    assert_problem(r, 403, "country_not_allowed", "to")
    assert send(IE).status_code == 202

    # a flag not given keeps its value; '' lifts the country list
    run_cli("key", "edit", key_id, "--daily-quota", "100", "--db", srv.db, check=True)
    with sqlite3.connect(srv.db) as db:
        assert db.execute("SELECT countries, daily_quota FROM api_keys WHERE id = ?",
                          (key_id,)).fetchone() == ("IE", 100)
    run_cli("key", "edit", key_id, "--countries", "", "--daily-quota", "1", "--db", srv.db,
            check=True)
    [r] = wait_for(refused_with(429, GB), timeout=3, what="quota of 1 already used")
    assert_problem(r, 429, "daily_quota_exceeded")

    # no such key, a malformed id, no flag
    cp = run_cli("key", "edit", "key_01aaaaaaaaaaaaaaaaaaaaaaaa", "--daily-quota", "1", "--db", srv.db)
    assert cp.returncode == 1 and cp.stderr.startswith("smsgate: no key "), cp.stderr
    cp = run_cli("key", "edit", "nope", "--daily-quota", "1", "--db", srv.db)
    assert cp.returncode == 1 and "no key nope" in cp.stderr, cp.stderr
    cp = run_cli("key", "edit", key_id, "--db", srv.db)
    assert cp.returncode == 2 and "--countries or --daily-quota" in cp.stderr, cp.stderr
    cp = run_cli("key", "edit", key_id, "--countries", "XX", "--db", srv.db)
    assert cp.returncode == 2 and "'XX'" in cp.stderr, cp.stderr
