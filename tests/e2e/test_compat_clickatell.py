"""The Clickatell-compatible surface (docs/compat.md): the legacy HTTP API
(/http/sendmsg, /http/querymsg), the platform's HTTP GET (/messages/http/send) as
CiviCRM's Clickatell extension calls it, and the platform's REST POST /messages,
against a real `smsgate serve` and the simulator. The request shapes CiviCRM
sends are recorded in tests/fixtures/civicrm_clickatell/."""
import http.client
import pathlib
import re

import requests

from conftest import run_cli, wait_for

TO = "+447400123456"
TO2 = "+447400123457"
FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "civicrm_clickatell"
API_MSG_ID = re.compile(r"^[0-9a-f]{32}$")


def make_app(gw, name="civicrm", **fields):
    r = gw.srv.post("/v1/apps", json={"name": name, **fields})
    assert r.status_code == 201, r.text
    return r.json()


def fixture_target(name, app):
    """The request line of a recorded fixture with the app's credentials in."""
    line = (FIXTURES / name).read_text().strip()
    method, target = line.split(" ", 1)
    ck = app
    target = (target.replace("{API_KEY}", ck["api_key"]).replace("{API_ID}", ck["api_id"])
              .replace("{USER}", ck["username"]).replace("{PASSWORD}", app["auth_token"]))
    return method, target


def raw_request(gw, method, target, body=None, headers=None):
    """Send target byte for byte (no re-encoding): (status, headers, body text)."""
    c = http.client.HTTPConnection("127.0.0.1", gw.srv.port, timeout=10)
    try:
        c.request(method, target, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, dict(r.getheaders()), r.read().decode("utf-8")
    finally:
        c.close()


def legacy(gw, app, command="sendmsg", method="GET", password=None, **params):
    ck = app
    creds = {"user": ck["username"], "password": password or app["auth_token"],
             "api_id": ck["api_id"]}
    url = f"{gw.srv.url}/http/{command}"
    if method == "GET":
        return requests.get(url, params={**creds, **params}, timeout=10)
    return requests.post(url, data={**creds, **params}, timeout=10)


def sim_bodies(gw):
    return {s["to"]: s["body"] for s in gw.sim.messages()}


def test_app_gets_clickatell_credentials_shown_once(gw):
    app = make_app(gw)
    ck = app
    assert ck["password"] == app["auth_token"]
    assert re.fullmatch(r"[1-9][0-9]{6}", ck["api_id"]), ck
    assert ck["username"] == app["account_sid"]
    assert re.fullmatch(r"[0-9a-f]{32}", ck["api_key"]), ck
    got = gw.srv.get(f"/v1/apps/{app['id']}").json()
    assert ck["api_key"] not in str(got)
    # a rotation gives a new api_key; the old one stops working
    rotated = gw.srv.post(f"/v1/apps/{app['id']}/rotate").json()
    assert rotated["api_key"] != ck["api_key"]
    r = requests.get(f"{gw.srv.url}/messages/http/send",
                     params={"apiKey": ck["api_key"], "to": TO, "text": "x"}, timeout=10)
    assert r.status_code == 401 and r.json()["errorCode"] == 1, r.text
    assert ck["api_key"] not in gw.srv.proc.stderr() + gw.srv.proc.stdout()


def test_civicrm_http_send_with_trailing_equals_and_latin1_text(gw):
    app = make_app(gw)
    method, target = fixture_target("http_send_latin1.txt", app)
    assert "==" in target and "%E9" in target
    status, _, body = raw_request(gw, method, target)
    assert status == 202, body
    import json
    j = json.loads(body)
    assert j["error"] is None
    msg = j["messages"][0]
    assert msg["accepted"] is True and msg["error"] is None and msg["to"] == TO
    assert API_MSG_ID.match(msg["apiMessageId"]), j
    # the Latin-1 text arrives as the right characters
    wait_for(lambda: TO in sim_bodies(gw), what="the CiviCRM message at the simulator")
    assert sim_bodies(gw)[TO] == "Café crème & co"
    # it is an ordinary smsgate message, tagged with the app
    mid = "msg_"  # the apiMessageId is the 128 bits of the message id
    listed = gw.srv.get("/v1/messages", params={"to": TO}).json()["data"]
    assert len(listed) == 1 and listed[0]["id"].startswith(mid)


def test_civicrm_http_send_minimal_shape(gw):
    app = make_app(gw)
    status, _, body = raw_request(gw, *fixture_target("http_send_minimal.txt", app))
    assert status == 202, body
    wait_for(lambda: TO in sim_bodies(gw), what="the message at the simulator")
    assert sim_bodies(gw)[TO] == "Hello from CiviCRM"


def test_http_send_refusals_read_as_clickatell_errors(gw):
    app = make_app(gw)
    key = app["api_key"]
    url = f"{gw.srv.url}/messages/http/send"
    r = requests.get(url, params={"apiKey": "0" * 32 + "==", "to": TO, "text": "x"}, timeout=10)
    assert r.status_code == 401, r.text
    assert r.json()["errorCode"] == 1 and r.json()["error"]
    r = requests.get(url, params={"apiKey": key, "to": "12", "text": "x"}, timeout=10)
    assert r.status_code == 400, r.text
    m = r.json()["messages"][0]
    assert m["accepted"] is False and m["errorCode"] == 25 and m["to"] == "12"
    # opted out: refused with Clickatell's code 26
    gw.srv.post("/v1/optouts", json={"phone": TO})
    r = requests.get(url, params={"apiKey": key, "to": TO, "text": "x"}, timeout=10)
    assert r.status_code == 400 and r.json()["messages"][0]["errorCode"] == 26, r.text
    # one accepted, one refused: 202 with both rows
    r = requests.get(url, params={"apiKey": key, "to": f"{TO2},{TO}", "text": "x"}, timeout=10)
    assert r.status_code == 202, r.text
    rows = r.json()["messages"]
    assert [m["accepted"] for m in rows] == [True, False]


def test_legacy_sendmsg_one_and_many_recipients(gw):
    app = make_app(gw)
    r = legacy(gw, app, to="447400123456", text="hello legacy", climsgid="abc123")
    assert r.status_code == 200 and re.fullmatch(r"ID: [0-9a-f]{32}", r.text), r.text
    r = legacy(gw, app, method="POST", to="447400123457,2783abc", text="two")
    lines = r.text.split("\n")
    assert re.fullmatch(r"ID: [0-9a-f]{32} To: 447400123457", lines[0]), r.text
    assert lines[1] == "ERR: 105, Invalid destination address To: 2783abc", r.text
    wait_for(lambda: TO2 in sim_bodies(gw) and TO in sim_bodies(gw), what="both messages")
    assert sim_bodies(gw)[TO2] == "two"


def test_legacy_sendmsg_civicrm_fixture_unicode_and_concat(gw):
    app = make_app(gw)
    status, _, body = raw_request(gw, *fixture_target("legacy_sendmsg.txt", app))
    assert status == 200 and body.startswith("ID: "), body
    wait_for(lambda: TO in sim_bodies(gw), what="the legacy message")
    assert sim_bodies(gw)[TO] == "Café au lait"
    # unicode=1: UCS-2 hex; bad hex is 116
    r = legacy(gw, app, to="447400123457", text="041F04400438043204350442", unicode="1")
    assert r.text.startswith("ID: "), r.text
    wait_for(lambda: TO2 in sim_bodies(gw), what="the UCS-2 message")
    assert sim_bodies(gw)[TO2] == "Привет"
    assert legacy(gw, app, to="447400123457", text="04", unicode="1").text == \
        "ERR: 116, Invalid Unicode data"
    # more parts than concat allows: 113
    assert legacy(gw, app, to="447400123457", text="x" * 200, concat="1").text == \
        "ERR: 113, Maximum message parts exceeded"
    assert legacy(gw, app, to="447400123457", text="").text == "ERR: 107, Empty message"


def test_legacy_authentication_and_querymsg_sees_only_own_messages(gw):
    app = make_app(gw)
    other = make_app(gw, name="other")
    assert legacy(gw, app, password="0" * 32, to="447400123456", text="x").text == \
        "ERR: 001, Authentication failed"
    r = legacy(gw, app, to="447400123456", text="query me")
    api_msg_id = r.text[4:]
    wait_for(lambda: TO in sim_bodies(gw), what="the message")
    wait_for(lambda: re.fullmatch(r"ID: [0-9a-f]{32} Status: 00[34]",
                                  legacy(gw, app, "querymsg", apimsgid=api_msg_id).text),
             what="querymsg to say sent or delivered")
    assert legacy(gw, other, "querymsg", apimsgid=api_msg_id).text == \
        "ERR: 103, Unknown API message ID"
    # the password and api_key travel in the query: never in the server's log
    logs = gw.srv.proc.stderr() + gw.srv.proc.stdout()
    assert app["auth_token"] not in logs and app["api_key"] not in logs
    assert legacy(gw, app, "querymsg", apimsgid="f" * 32).text == \
        "ERR: 103, Unknown API message ID"


def test_platform_rest_post_messages(gw):
    app = make_app(gw)
    key = app["api_key"]
    r = requests.post(f"{gw.srv.url}/messages", json={"content": "rest hi", "to": ["447400123456"]},
                      headers={"Authorization": key}, timeout=10)
    assert r.status_code == 202, r.text
    m = r.json()["messages"][0]
    assert m["accepted"] is True and API_MSG_ID.match(m["apiMessageId"])
    r = requests.post(f"{gw.srv.url}/messages", data="{", headers={"Authorization": key},
                      timeout=10)
    assert r.status_code == 400 and r.json()["errorCode"] == 21, r.text
    r = requests.post(f"{gw.srv.url}/messages", json={"content": "x", "to": [TO]},
                      headers={"Authorization": "nope"}, timeout=10)
    assert r.status_code == 401 and r.json()["errorCode"] == 1, r.text


def test_failed_authentication_is_throttled_and_counted(gw):
    app = make_app(gw)
    for _ in range(20):
        assert legacy(gw, app, password="0" * 32, to="447400123456", text="x").text == \
            "ERR: 001, Authentication failed"
    r = requests.get(f"{gw.srv.url}/messages/http/send",
                     params={"apiKey": app["api_key"], "to": TO, "text": "x"},
                     timeout=10)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0, r.text
    assert "smsgate_compat_auth_failures_total 20" in gw.srv.metrics()


def test_one_throttle_for_the_twilio_and_clickatell_surfaces(gw):
    """Failures on either surface count in one table per address: 10 on the
    Twilio surface and 10 on the Clickatell one hold the address back on both."""
    app = make_app(gw)
    tw_url = f"{gw.srv.url}/2010-04-01/Accounts/{app['account_sid']}/Messages.json"
    for _ in range(10):
        r = requests.get(tw_url, auth=(app["account_sid"], "0" * 32), timeout=10)
        assert r.status_code == 401, r.text
    for _ in range(10):
        assert legacy(gw, app, password="0" * 32, to="447400123456", text="x").text == \
            "ERR: 001, Authentication failed"
    r = requests.get(tw_url, auth=(app["account_sid"], app["auth_token"]), timeout=10)
    assert r.status_code == 429 and r.json()["code"] == 20429, r.text
    r = legacy(gw, app, to="447400123456", text="x")
    assert r.status_code == 429 and r.text.startswith("ERR: 001"), r.text
    assert "smsgate_compat_auth_failures_total 20" in gw.srv.metrics()


def test_compatible_roots_are_not_shadowed_by_the_console(gw):
    for path in ("/http/sendmsg", "/messages/http/send"):
        r = requests.get(f"{gw.srv.url}{path}", timeout=10)
        assert "text/html" not in r.headers.get("Content-Type", ""), path


def test_cli_app_create_prints_clickatell_credentials(gw):
    cp = run_cli("app", "create", "--name", "cli-ck", "--db", gw.srv.db, "--log-level", "warn")
    assert cp.returncode == 0, cp.stderr
    out = dict(line.split(": ", 1) for line in cp.stdout.strip().split("\n"))
    assert out["username"] == out["account_sid"] and re.fullmatch(r"[0-9a-f]{32}", out["api_key"])
    r = requests.get(f"{gw.srv.url}/messages/http/send",
                     params={"apiKey": out["api_key"] + "==", "to": TO, "text": "from the CLI app"},
                     timeout=10)
    assert r.status_code == 202, r.text
    r = requests.get(f"{gw.srv.url}/http/sendmsg",
                     params={"api_id": out["api_id"], "user": "cli-ck",
                             "password": out["auth_token"], "to": "447400123457", "text": "y"},
                     timeout=10)
    assert r.text.startswith("ID: "), r.text


def test_cli_rotate_prints_new_clickatell_credentials(gw):
    app = make_app(gw, name="rot-ck")
    cp = run_cli("app", "rotate", "rot-ck", "--db", gw.srv.db, "--log-level", "warn")
    assert cp.returncode == 0, cp.stderr
    lines = cp.stdout.strip().split("\n")
    token = lines[-1]  # the token stays alone on the last line
    out = dict(line.split(": ", 1) for line in lines[:-1])
    assert re.fullmatch(r"[0-9a-f]{32}", token) and token != app["auth_token"], cp.stdout
    assert out["username"] == app["account_sid"], cp.stdout
    assert re.fullmatch(r"[0-9a-f]{32}", out["api_key"]) and out["api_key"] != app["api_key"]
    assert re.fullmatch(r"[1-9][0-9]{6}", out["api_id"]), cp.stdout
    send = f"{gw.srv.url}/messages/http/send"
    r = requests.get(send, params={"apiKey": app["api_key"], "to": TO, "text": "x"}, timeout=10)
    assert r.status_code == 401 and r.json()["errorCode"] == 1, r.text
    r = requests.get(send, params={"apiKey": out["api_key"] + "==", "to": TO, "text": "x"},
                     timeout=10)
    assert r.status_code == 202, r.text
    r = requests.get(f"{gw.srv.url}/http/sendmsg",
                     params={"api_id": out["api_id"], "user": out["username"], "password": token,
                             "to": "447400123457", "text": "y"}, timeout=10)
    assert r.text.startswith("ID: "), r.text
    assert out["api_key"] not in cp.stderr


def test_http_auth_session_as_civicrm_legacy_extension_uses_it(gw):
    """CiviCRM's Clickatell extension (v3: authenticate(), then send() with
    formURLPostData) POSTs /http/auth with user, password, api_id, keeps the
    session from "OK: <id>", and sends with session_id in place of them."""
    app = make_app(gw)
    r = requests.post(f"{gw.srv.url}/http/auth", data={
        "user": app["username"], "password": app["auth_token"], "api_id": app["api_id"]},
        timeout=10)
    assert r.status_code == 200 and re.fullmatch(r"OK: [0-9a-f]{32}", r.text), r.text
    session = r.text.split(":", 1)[1].strip()  # as the extension splits it
    r = requests.post(f"{gw.srv.url}/http/sendmsg", data={
        "session_id": session, "from": "+447700900123", "concat": "3", "to": "+447400123456",
        "text": "Caf\xe9 via session".encode("latin-1"), "callback": "3"}, timeout=10)
    assert re.fullmatch(r"ID: [0-9a-f]{32}", r.text), r.text
    api_msg_id = r.text[4:]
    wait_for(lambda: TO in sim_bodies(gw), what="the session's message")
    assert sim_bodies(gw)[TO] == "Café via session"
    r = requests.get(f"{gw.srv.url}/http/querymsg",
                     params={"session_id": session, "apimsgid": api_msg_id}, timeout=10)
    assert r.text.startswith(f"ID: {api_msg_id} Status: "), r.text
    assert requests.get(f"{gw.srv.url}/http/ping", params={"session_id": session},
                        timeout=10).text == "OK: "
    # wrong credentials, an unknown session, no session at all
    r = requests.get(f"{gw.srv.url}/http/auth", params={
        "user": app["username"], "password": "0" * 32, "api_id": app["api_id"]}, timeout=10)
    assert r.text == "ERR: 001, Authentication failed", r.text
    r = requests.get(f"{gw.srv.url}/http/sendmsg",
                     params={"session_id": "f" * 32, "to": "447400123456", "text": "x"}, timeout=10)
    assert r.text == "ERR: 003, Session ID expired", r.text
    assert requests.get(f"{gw.srv.url}/http/ping", timeout=10).text == \
        "ERR: 005, Missing session ID"
    assert "smsgate_compat_auth_failures_total 2" in gw.srv.metrics()
    # a new token ends the app's sessions
    assert gw.srv.post(f"/v1/apps/{app['id']}/rotate").status_code == 200
    r = requests.get(f"{gw.srv.url}/http/ping", params={"session_id": session}, timeout=10)
    assert r.text == "ERR: 003, Session ID expired", r.text
    logs = gw.srv.proc.stderr() + gw.srv.proc.stdout()
    assert session not in logs and app["auth_token"] not in logs
