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
                   "api_id": "3512345", "from": "447400000001", "base_url": url, "mps": 100,
                   "retry_for_seconds": 0}})
    m = srv.send(MOBILE, "Hi \U0001F600 \u20ac", provider="ck")
    assert m["encoding"] == "UCS-2"
    srv.wait_status(m["id"], "sent")
    assert [x["text"] for x in sim_messages(url, to="447400123456")] == ["Hi \U0001F600 \u20ac"]
    # a number ending 0000 cannot be routed: ERR: 114, provider class (another
    # provider might route it): retried within the budget, here 0, so given up at once
    bad = srv.send("+447400120000", "no route", provider="ck")
    done = srv.wait_status(bad["id"], "failed")
    assert done["error_code"] == "retry_budget_exhausted" and done["attempts"] == 1, done
    assert "114 Cannot route message" in done["error_message"], done


def test_legacy_wrong_password_fails_with_001(ck):
    url, srv = ck
    srv.post("/v1/providers", json={
        "name": "ck", "kind": "clickatell",
        "config": {"username": "simulator", "password": "wrong-password-1234",
                   "api_id": "3512345", "from": "447400000001", "base_url": url,
                   "retry_for_seconds": 0}})
    m = srv.send(MOBILE, "x", provider="ck")
    done = srv.wait_status(m["id"], "failed")
    # 001 (authentication) is provider class: retried within the budget (0 here)
    assert done["error_code"] == "retry_budget_exhausted", done
    assert done["error_message"].split("last error: ")[-1].startswith("001"), done


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
        "config": {"api_key": "not-the-key-0000", "base_url": url, "from": "447400000001",
                   "retry_for_seconds": 0}})
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


# ---- callbacks (Clickatell does not sign: a secret in the URL) ---------------------------

import requests  # noqa: E402


def sim_config(url, **cfg):
    r = requests.post(url + "/sim/config", json=cfg, timeout=5)
    assert r.status_code == 200, r.text


def legacy_provider(srv, url, **extra):
    config = {"username": "simulator", "password": "simulator-password", "api_id": "3512345",
              "from": "447400000001", "mo": True, "base_url": url, "mps": 100}
    config.update(extra)
    r = srv.post("/v1/providers", json={"name": "ck", "kind": "clickatell", "config": config})
    assert r.status_code == 201, r.text
    return r.json()


def wait_report(srv, mid, status):
    return wait_for(lambda: (lambda m: m if m["status"] == status else None)(srv.message(mid)),
                    what=f"{mid} to become {status}")


@pytest.fixture
def ckcb(harness):
    url = start_clickatell_sim(harness, "--callbacks", "on", "--sent-delay-ms", "20",
                               "--delivered-delay-ms", "50")
    srv = harness.start_server()
    srv.key = create_key(srv.db, "admin")
    return url, srv


@pytest.mark.parametrize("method", ["GET", "POST", "JSON"])
def test_legacy_delivery_report(ckcb, method):
    url, srv = ckcb
    p = legacy_provider(srv, url)
    status_url = p["callback_urls"]["status"]
    secret = status_url.rsplit("/", 2)[1]
    assert len(secret) >= 32 and secret not in p["config"].get("callback_secret", "")
    sim_config(url, callback_url=status_url, callback_method=method)
    m = srv.send(MOBILE, "report back", provider="ck")
    done = wait_report(srv, m["id"], "delivered")
    assert [e["status"] for e in done["events"]] == ["queued", "sending", "sent", "delivered"]


def test_platform_delivery_report(ckcb):
    url, srv = ckcb
    r = srv.post("/v1/providers", json={
        "name": "platform", "kind": "clickatell-platform",
        "config": {"api_key": "simulator-api-key", "from": "447400000001", "base_url": url,
                   "mps": 100}})
    p = r.json()
    sim_config(url, platform_callback_url=p["callback_urls"]["status"])
    m = srv.send(MOBILE, "platform report", provider="platform")
    wait_report(srv, m["id"], "delivered")


def test_undelivered_with_status_code(harness):
    url = start_clickatell_sim(harness, "--callbacks", "on", "--undelivered", "447400123457")
    srv = harness.start_server()
    srv.key = create_key(srv.db, "admin")
    p = legacy_provider(srv, url)
    sim_config(url, callback_url=p["callback_urls"]["status"])
    m = srv.send("+447400123457", "lost", provider="ck")
    done = wait_report(srv, m["id"], "undelivered")
    assert done["error_code"] == "status-007", done
    assert done["error_message"]


def test_wrong_secret_and_wrong_api_id_are_refused(ckcb):
    url, srv = ckcb
    p = legacy_provider(srv, url)
    good = p["callback_urls"]["status"]
    bad = good.replace(good.rsplit("/", 2)[1], "0" * 32)
    r = requests.get(bad, params={"api_id": "3512345", "apiMsgId": "a" * 32, "status": "004"},
                     timeout=5)
    assert_problem(r, 403, "forbidden")
    r = requests.get(good, params={"api_id": "999", "apiMsgId": "a" * 32, "status": "004"},
                     timeout=5)
    assert_problem(r, 403, "forbidden", "api_id")
    r = requests.get(good, params={"api_id": "3512345", "apiMsgId": "a" * 32, "status": "004"},
                     timeout=5)
    assert r.status_code == 200 and r.text == "OK\n"  # unknown message: 200, counted


def test_allow_from_networks(ckcb):
    url, srv = ckcb
    p = legacy_provider(srv, url, allow_from=["196.216.236.0/24"])
    r = requests.get(p["callback_urls"]["status"],
                     params={"api_id": "3512345", "apiMsgId": "a" * 32, "status": "004"},
                     timeout=5)
    assert_problem(r, 403, "forbidden")
    r = srv.patch("/v1/providers/ck", json={"config": {"allow_from": ["127.0.0.0/8"]}})
    assert r.status_code == 200, r.text
    wait_for(lambda: requests.get(p["callback_urls"]["status"], params={
        "api_id": "3512345", "apiMsgId": "a" * 32, "status": "004"}, timeout=5).status_code == 200,
        what="the allow-list change to apply")
    r = srv.post("/v1/providers", json={"name": "ck2", "kind": "clickatell", "config": {
        "username": "u", "password": "p4ssw0rd-xyz", "api_id": "1", "base_url": url,
        "allow_from": ["not-a-network"]}})
    assert_problem(r, 400, "invalid_config", "config.allow_from")


def test_reply_stop_opts_out_everywhere(ckcb):
    url, srv = ckcb
    p = legacy_provider(srv, url)
    sim_config(url, reply_url=p["callback_urls"]["inbound"])
    r = requests.post(url + "/sim/inbound", json={"from": "447400123456", "to": "447400000001",
                                                 "text": "Stop"}, timeout=10)
    assert r.status_code == 200 and r.json()["http_status"] == 200, r.text
    wait_for(lambda: srv.get("/v1/optouts").json()["data"], what="the opt-out")
    # refused for every provider, a Twilio one included
    r = srv.post("/v1/providers", json={"name": "tw", "kind": "twilio", "config": {
        "account_sid": "AC" + "0" * 32, "auth_token": "t0ken-0000", "from": "+15005550006",
        "base_url": url}})
    assert r.status_code == 201, r.text
    srv.send(MOBILE, "x", provider="ck", expect=422)
    srv.send(MOBILE, "x", provider="tw", expect=422)
    contact = srv.get("/v1/contacts/%2B447400123456").json()
    assert contact["opted_out"] is True
    tl = srv.get(f"/v1/contacts/{contact['id']}/timeline").json()["data"]
    inbound = [t for t in tl if t["type"] == "message" and t["message"]["direction"] == "inbound"]
    assert inbound and inbound[0]["message"]["body"] == "Stop"


def test_reply_in_ucs2_is_stored_as_utf8(ckcb):
    url, srv = ckcb
    p = legacy_provider(srv, url)
    sim_config(url, reply_url=p["callback_urls"]["inbound"], callback_method="POST")
    r = requests.post(url + "/sim/inbound", json={"from": "447400123456", "to": "447400000001",
                                                 "text": "Привет 😀", "charset": "UTF-16BE"},
                      timeout=10)
    assert r.json()["http_status"] == 200, r.text
    contact = wait_for(lambda: (lambda c: c if c.status_code == 200 else None)(
        srv.get("/v1/contacts/%2B447400123456")), what="the contact").json()
    tl = srv.get(f"/v1/contacts/{contact['id']}/timeline").json()["data"]
    assert tl[0]["message"]["body"] == "Привет 😀"


def test_server_errors_are_retried_then_sent(harness):
    url = start_clickatell_sim(harness, "--rate-5xx", "0.5", "--seed", "7")
    srv = harness.start_server("--retry-base-ms", "20", "--retry-cap-ms", "100",
                               "--max-attempts", "20")
    srv.key = create_key(srv.db, "admin")
    legacy_provider(srv, url)
    ids = [srv.send(f"+4474001234{i:02d}", "retry me", provider="ck")["id"] for i in range(10)]
    done = srv.wait_final(ids, timeout=20)
    assert all(m["status"] == "sent" for m in done.values()), done
    assert any(m["attempts"] > 1 for m in done.values())
