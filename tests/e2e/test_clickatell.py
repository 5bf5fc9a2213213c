"""Clickatell, step 1: sending through the legacy HTTP API and the Platform API,
against `smsgate simulate clickatell` (callbacks come with the next step)."""
import re

import pytest

from conftest import Proc, assert_problem, create_key, wait_for

MOBILE = "+447400123456"


def start_clickatell_sim(h, *extra):
    args = ["simulate", "clickatell", "--listen", "127.0.0.1:0", "--callbacks", "off",
            "--log-level", "warn", *extra]
    proc = h.track(Proc(args, h.logs, "clickatell-sim"))

    def ready():
        if not proc.alive():
            raise AssertionError("simulator exited early:\n" + proc.describe())
        m = re.search(r"^listening (http://\S+)$", proc.stdout(), re.M)
        return m.group(1) if m else None

    return wait_for(ready, what="the Clickatell simulator to listen")


def sim_messages(url, to=None):
    import requests
    r = requests.get(url + "/sim/messages", params={"to": to} if to else None, timeout=5)
    r.raise_for_status()
    return r.json()["messages"]


@pytest.fixture
def ck(harness):
    url = start_clickatell_sim(harness)
    srv = harness.start_server()
    srv.key = create_key(srv.db, "admin")
    return url, srv


def test_legacy_api_from_civicrm_api_parameters(ck):
    url, srv = ck
    r = srv.post("/v1/providers", json={
        "name": "clickatell", "kind": "clickatell",
        "config": {"username": "simulator", "password": "simulator-password",
                   "params": "api_id=3512345\nfrom=447400000001|447400000002\nmo=1",
                   "base_url": url, "mps": 100}})
    assert r.status_code == 201, r.text
    p = r.json()
    assert p["config"]["api_id"] == "3512345"
    assert p["config"]["password"].startswith("\u2022\u2022\u2022\u2022")
    assert "simulator-password" not in r.text
    m = srv.send(MOBILE, "Hello from CiviCRM's guide", provider="clickatell")
    done = srv.wait_status(m["id"], "sent")
    assert re.fullmatch(r"[0-9a-f]{32}", done["provider_message_id"]), done
    seen = sim_messages(url, to="447400123456")
    assert len(seen) == 1 and seen[0]["text"] == "Hello from CiviCRM's guide", seen


def test_legacy_unicode_and_errors(ck):
    url, srv = ck
    srv.post("/v1/providers", json={
        "name": "ck", "kind": "clickatell",
        "config": {"username": "simulator", "password": "simulator-password",
                   "api_id": "3512345", "from": "447400000001", "base_url": url, "mps": 100}})
    m = srv.send(MOBILE, "Hi \U0001F600 \u20ac", provider="ck")
    assert m["encoding"] == "UCS-2"
    srv.wait_status(m["id"], "sent")
    assert [x["text"] for x in sim_messages(url, to="447400123456")] == ["Hi \U0001F600 \u20ac"]
    # a number ending 0000 cannot be routed: ERR: 114, permanent
    bad = srv.send("+447400120000", "no route", provider="ck")
    done = srv.wait_status(bad["id"], "failed")
    assert done["error_code"] == "114" and done["attempts"] == 1, done


def test_legacy_wrong_password_fails_with_001(ck):
    url, srv = ck
    srv.post("/v1/providers", json={
        "name": "ck", "kind": "clickatell",
        "config": {"username": "simulator", "password": "wrong-password-1234",
                   "api_id": "3512345", "from": "447400000001", "base_url": url}})
    m = srv.send(MOBILE, "x", provider="ck")
    done = srv.wait_status(m["id"], "failed")
    assert done["error_code"] == "001", done


def test_platform_api(ck):
    url, srv = ck
    r = srv.post("/v1/providers", json={
        "name": "platform", "kind": "clickatell-platform",
        "config": {"api_key": "simulator-api-key", "from": "447400000001", "base_url": url,
                   "mps": 100}})
    assert r.status_code == 201, r.text
    assert "simulator-api-key" not in r.text
    m = srv.send(MOBILE, "Platform hello", provider="platform")
    done = srv.wait_status(m["id"], "sent")
    assert done["provider_message_id"], done
    seen = sim_messages(url, to="447400123456")
    assert [x["text"] for x in seen] == ["Platform hello"], seen


def test_platform_wrong_key_fails(ck):
    url, srv = ck
    srv.post("/v1/providers", json={
        "name": "platform", "kind": "clickatell-platform",
        "config": {"api_key": "not-the-key-0000", "base_url": url, "from": "447400000001"}})
    m = srv.send(MOBILE, "x", provider="platform")
    done = srv.wait_status(m["id"], "failed")
    assert done["error_message"], done
    assert done["attempts"] == 1


def test_bad_api_parameters_line_is_named(ck):
    url, srv = ck
    r = srv.post("/v1/providers", json={
        "name": "ck", "kind": "clickatell",
        "config": {"username": "u", "password": "p4ssw0rd-xyz",
                   "params": "api_id=3512345\nfrom 447400000001\nmo=1", "base_url": url}})
    assert_problem(r, 400, "invalid_config", "config.params")
    assert "line 2" in r.json()["detail"]
