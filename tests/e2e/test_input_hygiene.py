"""Issue 11, item 16: a Clickatell reply holding NUL, control characters in
provider secrets, one `limit`/`cursor` parser for every list, the database files'
modes, and /healthz reporting whether the store can write."""
import json

import requests

import pytest

from conftest import assert_problem, create_key, wait_for
from test_clickatell import legacy_provider, start_clickatell_sim

FFFD = "\ufffd"


# ---- (a) a Clickatell reply with a NUL is stored with U+FFFD, never empty ------------


def test_clickatell_reply_with_nul_is_kept(harness):
    url = start_clickatell_sim(harness, "--callbacks", "off")
    srv = harness.start_server()
    srv.key = create_key(srv.db, "admin")
    inbound = legacy_provider(srv, url)["callback_urls"]["inbound"]
    base = "api_id=3512345&to=447400000001&timestamp=2026-01-01%2000:00:00"
    sent = [
        ("GET", "m01", "447400100001", "%00hi", FFFD + "hi"),      # was stored ""
        ("GET", "m02", "447400100002", "a%00b", "a" + FFFD + "b"),  # was stored "a"
        ("POST", "m03", "447400100003", "%00hi", FFFD + "hi"),     # was refused
        ("GET", "m04", "447400100004", "%E9%00", "é" + FFFD),      # Latin-1
    ]
    for how, mid, frm, text, _ in sent:
        q = f"{base}&moMsgId={mid}&from={frm}&text={text}"
        if how == "GET":
            r = requests.get(f"{inbound}?{q}", timeout=5)
        else:
            r = requests.post(inbound, data=q, timeout=5,
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert r.status_code == 200, (mid, r.text)
    # JSON (\u0000) and UCS-2 hex (0000) too
    r = requests.post(inbound, timeout=5, headers={"Content-Type": "application/json"},
                      data=json.dumps({"api_id": "3512345", "moMsgId": "m05",
                                       "from": "447400100005", "to": "447400000001",
                                       "text": "\u0000ok"}))
    assert r.status_code == 200, r.text
    sent.append(("JSON", "m05", "447400100005", None, FFFD + "ok"))
    r = requests.get(f"{inbound}?{base}&moMsgId=m06&from=447400100006&charset=UCS-2"
                     "&text=00000041", timeout=5)
    assert r.status_code == 200, r.text
    sent.append(("UCS", "m06", "447400100006", None, FFFD + "A"))
    for how, mid, frm, _, want in sent:
        tl = srv.get(f"/v1/contacts/%2B{frm}/timeline").json()["data"]
        bodies = [t["message"]["body"] for t in tl if t["type"] == "message"]
        assert bodies == [want], (how, mid, bodies)
    # a NUL anywhere but the text is refused, not cut short
    r = requests.get(f"{inbound}?{base}&moMsgId=m07&from=4474001%0000007&text=x", timeout=5)
    assert_problem(r, 400, "invalid_request")


# ---- (b) control characters in a provider's config ------------------------------------

AC = "AC" + "a" * 32


def test_provider_config_refuses_control_characters(gw):
    srv = gw.srv
    good = {"account_sid": AC, "auth_token": "t0ken-0000", "from": "+15005550006",
            "base_url": gw.sim.url}
    for key, value in (("auth_token", "t0ken\u0001"), ("auth_token", "t0ken\n"),
                       ("auth_token", "\u007ft0ken"), ("from", ["+15005550006", "Shop\t"])):
        r = srv.post("/v1/providers", json={"name": "tw", "kind": "twilio",
                                            "config": dict(good, **{key: value})})
        p = assert_problem(r, 400, "invalid_config", f"config.{key}")
        assert "control characters" in p["detail"]
        assert "t0ken" not in p["detail"]  # a secret is never echoed
    r = srv.post("/v1/providers", json={"name": "tw", "kind": "twilio", "config": good})
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    r = srv.patch(f"/v1/providers/{pid}", json={"config": {"auth_token": "new\u0001token"}})
    assert_problem(r, 400, "invalid_config", "config.auth_token")
    # a body JSON cannot read does not quote the secret it holds either
    r = srv.patch(f"/v1/providers/{pid}", json={"config": {"auth_token": "new\u0000token"}})
    p = assert_problem(r, 400, "invalid_json")
    assert "token" not in p["detail"], p
    r = srv.post("/v1/providers", json={"name": "ck", "kind": "clickatell-platform",
                                        "config": {"api_key": "k\u001bey"}})
    assert_problem(r, 400, "invalid_config", "config.api_key")


# ---- (c) one parser for limit and cursor on every list ---------------------------------

LISTS = ["/v1/messages", "/v1/providers", "/v1/contacts", "/v1/contacts/{contact}/timeline",
         "/v1/optouts", "/v1/groups", "/v1/groups/{group}/members", "/v1/segments",
         "/v1/templates", "/v1/broadcasts", "/v1/webhooks", "/v1/webhooks/{webhook}/deliveries",
         "/v1/error-codes"]


def test_every_list_reads_limit_and_cursor_alike(gw):
    srv = gw.srv
    srv.post("/v1/contacts", json={"phone": "+447400123456"})
    for name in ("g1", "g2", "g3"):
        assert srv.post("/v1/groups", json={"name": name}).status_code == 201
    hook = srv.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/hook",
                                          "events": ["message.status"]})
    ids = {"contact": "%2B447400123456", "group": "g1", "webhook": hook.json().get("id")}
    lists = [p for p in LISTS if hook.status_code == 201 or "{webhook}" not in p]
    for path in lists:
        url = path.format(**ids)
        r = srv.get(url)
        assert r.status_code == 200, (url, r.text)
        body = r.json()
        assert "data" in body and "next_cursor" in body, (url, body)
        for bad in ("abc", "0", "-1", "1.5", "", " 5", "+5", "99999999999"):
            r = srv.get(url, params={"limit": bad})
            assert_problem(r, 400, "invalid_limit", "limit")
        for bad in ("a b", "x" * 129):
            r = srv.get(url, params={"cursor": bad})
            assert_problem(r, 400, "invalid_cursor", "cursor")
        r = srv.get(url, params={"limit": "1"})
        assert r.status_code == 200 and len(r.json()["data"]) <= 1, (url, r.text)
    # the lists held in memory page too
    r = srv.get("/v1/groups", params={"limit": 2}).json()
    assert [g["name"] for g in r["data"]] == ["g1", "g2"] and r["next_cursor"]
    r = srv.get("/v1/groups", params={"limit": 2, "cursor": r["next_cursor"]}).json()
    assert [g["name"] for g in r["data"]] == ["g3"] and r["next_cursor"] is None
    assert_problem(srv.get("/v1/groups", params={"cursor": "grp_nosuchgroup"}), 400,
                   "invalid_cursor", "cursor")
    codes = srv.get("/v1/error-codes").json()["data"]
    page = srv.get("/v1/error-codes", params={"limit": 5}).json()
    rest = srv.get("/v1/error-codes", params={"cursor": page["next_cursor"]}).json()["data"]
    assert page["data"] + rest == codes


# ---- (d) the database files are the owner's only ---------------------------------------


@pytest.mark.sqlite_only  # looks into the SQLite file itself
def test_database_files_are_created_0600(harness):
    import os
    import stat
    srv = harness.start_server()
    srv.key = create_key(srv.db, "admin")
    assert srv.post("/v1/groups", json={"name": "g"}).status_code == 201  # a write: -wal
    for suffix in ("", "-wal", "-shm"):
        path = srv.db + suffix
        wait_for(lambda: os.path.exists(path), what=f"{path} to exist")
        mode = stat.S_IMODE(os.stat(path).st_mode)
        assert mode == 0o600, f"{path} is {oct(mode)}"


# ---- (e) /healthz says whether the store can write --------------------------------------


@pytest.mark.sqlite_only  # looks into the SQLite file itself
def test_healthz_reports_blocked_writes_and_recovers(harness):
    import sqlite3
    srv = harness.start_server()
    health = srv.url + "/healthz"
    assert requests.get(health, timeout=5).status_code == 200
    # Another process takes the database's write lock and keeps it: every write
    # (the health probe's empty transaction included) waits, then fails.
    db = sqlite3.connect(srv.db, timeout=10, isolation_level=None)
    db.execute("BEGIN EXCLUSIVE")
    try:
        last = {}

        def unhealthy():
            last["r"] = requests.get(health, timeout=10)
            return last["r"].status_code == 503
        wait_for(unhealthy, timeout=20, interval=0.2, what="/healthz to say 503")
        p = assert_problem(last["r"], 503, "store_not_writable")
        assert "write" in p["detail"], p
    finally:
        db.execute("ROLLBACK")
        db.close()
    wait_for(lambda: requests.get(health, timeout=10).status_code == 200, timeout=20,
             interval=0.2, what="/healthz to recover")
