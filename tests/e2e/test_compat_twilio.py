"""App accounts (/v1/apps, `smsgate app`) and the Twilio-compatible Messages API
(docs/compat.md), spoken with plain HTTP. The same surface driven by Twilio's own
Node SDK is tests/compat/twilio_sdk.test.mjs (run from test_compat_sdk.py)."""
import base64
import datetime
import hashlib
import hmac
import re
import urllib.parse

import requests

from conftest import assert_problem, run_cli, wait_for

TO = "+447400123456"
US = "+12015550123"
SID_RE = re.compile(r"^SM[0-9a-f]{32}$")
DATE_RE = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|"
                     r"Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d \+0000$")


def make_app(gw, name="crm", **fields):
    r = gw.srv.post("/v1/apps", json={"name": name, **fields})
    assert r.status_code == 201, r.text
    return r.json()


def basic(sid, token):
    return {"Authorization": "Basic " + base64.b64encode(f"{sid}:{token}".encode()).decode()}


def tw(gw, app, method, path="", token=None, **kw):
    url = f"{gw.srv.url}/2010-04-01/Accounts/{app['account_sid']}/Messages{path}"
    headers = basic(app["account_sid"], token or app["auth_token"])
    return requests.request(method, url, headers=headers, timeout=10, **kw)


def assert_tw_error(r, status, code):
    assert r.status_code == status, r.text
    e = r.json()
    assert set(e) >= {"code", "message", "more_info", "status"}, e
    assert e["status"] == status and isinstance(e["status"], int), e
    assert e["code"] == code and isinstance(e["code"], int), e
    assert e["more_info"] == f"https://www.twilio.com/docs/errors/{code}"
    return e


def test_app_create_shows_the_token_once_and_never_again(gw):
    app = make_app(gw, countries="GB,US", daily_quota=5)
    assert re.fullmatch(r"AC[0-9a-f]{32}", app["account_sid"]), app
    assert re.fullmatch(r"[0-9a-f]{32}", app["auth_token"]), app
    assert app["role"] == "sender" and app["countries"] == ["GB", "US"]
    got = gw.srv.get(f"/v1/apps/{app['id']}").json()
    assert "auth_token" not in got and got["account_sid"] == app["account_sid"]
    listed = gw.srv.get("/v1/apps").json()["data"]
    assert [a["id"] for a in listed] == [app["id"]] and "auth_token" not in listed[0]
    # the token is neither in the audit log nor in the server's log
    audit = gw.srv.get("/v1/audit", params={"action": "app.create"}).json()["data"]
    assert audit and audit[0]["subject"] == app["id"]
    assert app["auth_token"] not in str(audit)
    assert app["auth_token"] not in gw.srv.proc.stderr() + gw.srv.proc.stdout()


def test_app_fields_are_checked(gw):
    assert_problem(gw.srv.post("/v1/apps", json={}), 400, "invalid_request", "name")
    assert_problem(gw.srv.post("/v1/apps", json={"name": "x", "role": "admin"}), 400,
                   "invalid_request", "role")
    assert_problem(gw.srv.post("/v1/apps", json={"name": "x", "status_callback": "ftp://x"}),
                   400, "invalid_request", "status_callback")
    assert_problem(gw.srv.post("/v1/apps", json={"name": "x", "provider": "nope"}), 422,
                   "unknown_provider", "provider")
    assert_problem(gw.srv.post("/v1/apps", json={"name": "x", "countries": "ZZZ"}), 400,
                   "invalid_request", "countries")
    assert_problem(gw.srv.post("/v1/apps", json={"name": "x", "colour": 1}), 400,
                   "invalid_request", "colour")
    make_app(gw)
    assert_problem(gw.srv.post("/v1/apps", json={"name": "crm"}), 409, "name_taken", "name")
    assert_problem(gw.srv.post("/v1/apps", json={"name": "y"}, key=gw.sender), 403, "forbidden")


def test_rotate_edit_remove(gw):
    app = make_app(gw)
    assert tw(gw, app, "GET", ".json").status_code == 200
    r = gw.srv.post(f"/v1/apps/{app['id']}/rotate")
    assert r.status_code == 200, r.text
    new = r.json()["auth_token"]
    assert new != app["auth_token"]
    assert_tw_error(tw(gw, app, "GET", ".json"), 401, 20003)
    assert tw(gw, app, "GET", ".json", token=new).status_code == 200
    r = gw.srv.patch(f"/v1/apps/{app['id']}", json={"role": "viewer", "daily_quota": 3})
    assert r.status_code == 200 and r.json()["role"] == "viewer", r.text
    assert_tw_error(tw(gw, app, "POST", ".json", token=new,
                       data={"To": TO, "From": "+15005550006", "Body": "x"}), 403, 20403)
    assert gw.srv.delete(f"/v1/apps/{app['id']}").status_code == 204
    assert_tw_error(tw(gw, app, "GET", ".json", token=new), 401, 20003)
    actions = [a["action"] for a in gw.srv.get("/v1/audit").json()["data"]]
    for action in ("app.create", "app.rotate", "app.update", "app.remove"):
        assert action in actions, actions


def test_create_fetch_list_with_twilio_types(gw):
    app = make_app(gw)
    r = tw(gw, app, "POST", ".json", data={"To": TO, "From": "+15005550006",
                                           "Body": "hi from a Twilio client", "Foo": "ignored"})
    assert r.status_code == 201, r.text
    m = r.json()
    assert SID_RE.match(m["sid"]), m
    assert m["status"] == "queued" and m["account_sid"] == app["account_sid"]
    assert m["num_segments"] == "1" and m["num_media"] == "0"
    assert m["error_code"] is None and m["price"] is None
    assert m["api_version"] == "2010-04-01" and m["direction"] == "outbound-api"
    assert DATE_RE.match(m["date_created"]), m["date_created"]
    assert m["uri"] == f"/2010-04-01/Accounts/{app['account_sid']}/Messages/{m['sid']}.json"
    # an ordinary smsgate message underneath, sent by the provider
    def sent():
        f = tw(gw, app, "GET", f"/{m['sid']}.json").json()
        return f if f["status"] in ("sent", "delivered") else None
    f = wait_for(sent, what="the message to be sent")
    assert DATE_RE.match(f["date_sent"]), f
    assert any(s["to"] == TO for s in gw.sim.messages())
    page = tw(gw, app, "GET", ".json", params={"To": TO, "PageSize": 1}).json()
    assert [x["sid"] for x in page["messages"]] == [m["sid"]]
    assert page["page_size"] == 1 and page["page"] == 0 and page["start"] == 0


def test_paging_follows_next_page_uri(gw):
    app = make_app(gw)
    sids = []
    for i in range(3):
        r = tw(gw, app, "POST", ".json", data={"To": TO, "Body": f"n{i}"})
        assert r.status_code == 201, r.text
        sids.append(r.json()["sid"])
    seen, url = [], f"/2010-04-01/Accounts/{app['account_sid']}/Messages.json?PageSize=2"
    while url:
        r = requests.get(gw.srv.url + url, headers=basic(app["account_sid"], app["auth_token"]),
                         timeout=10)
        assert r.status_code == 200, r.text
        seen += [x["sid"] for x in r.json()["messages"]]
        url = r.json()["next_page_uri"]
    assert seen == sids[::-1]


def test_an_app_sees_only_its_own_messages(gw):
    a = make_app(gw)
    b = gw.srv.post("/v1/apps", json={"name": "other"}).json()
    sid = tw(gw, a, "POST", ".json", data={"To": TO, "Body": "mine"}).json()["sid"]
    plain = gw.srv.send(TO)  # an API message belongs to no app
    assert_tw_error(tw(gw, b, "GET", f"/{sid}.json"), 404, 20404)
    assert tw(gw, b, "GET", ".json").json()["messages"] == []
    assert [x["sid"] for x in tw(gw, a, "GET", ".json").json()["messages"]] == [sid]
    # b's credentials with a's SID in the path are refused
    r = requests.get(f"{gw.srv.url}/2010-04-01/Accounts/{a['account_sid']}/Messages.json",
                     headers=basic(b["account_sid"], b["auth_token"]), timeout=10)
    assert_tw_error(r, 401, 20003)
    assert plain["id"]


def test_twilio_error_codes(gw):
    app = make_app(gw)
    assert_tw_error(tw(gw, app, "POST", ".json", data={"To": "12", "Body": "x"}), 400, 21211)
    assert_tw_error(tw(gw, app, "POST", ".json", data={"To": TO}), 400, 21602)
    assert_tw_error(tw(gw, app, "POST", ".json", data={"To": TO, "Body": "x" * 1700}), 400, 21617)
    assert_tw_error(tw(gw, app, "POST", ".json", data={"To": TO, "From": "not a sender!",
                                                       "Body": "x"}), 400, 21212)
    assert gw.srv.post("/v1/optouts", json={"phone": TO}).status_code in (200, 201)
    assert_tw_error(tw(gw, app, "POST", ".json", data={"To": TO, "Body": "x"}), 400, 21610)
    assert_tw_error(tw(gw, app, "GET", "/SM" + "0" * 32 + ".json"), 404, 20404)
    assert_tw_error(tw(gw, app, "GET", ".json", token="f" * 32), 401, 20003)


def test_app_limits_apply(gw):
    app = make_app(gw, countries="GB", daily_quota=1)
    assert_tw_error(tw(gw, app, "POST", ".json", data={"To": US, "Body": "x"}), 400, 21408)
    assert tw(gw, app, "POST", ".json", data={"To": TO, "Body": "x"}).status_code == 201
    assert_tw_error(tw(gw, app, "POST", ".json", data={"To": TO, "Body": "x"}), 429, 20429)


def test_cancel_a_scheduled_message_and_delete(gw):
    app = make_app(gw)
    r = tw(gw, app, "POST", ".json", data={"To": TO, "Body": "later", "SendAt":
                                           "2099-01-01T10:00:00Z", "ScheduleType": "fixed"})
    assert_tw_error(r, 400, 21620)  # more than a year ahead: smsgate's own check
    r = tw(gw, app, "POST", ".json", data={"To": TO, "Body": "later", "SendAt": _in_an_hour()})
    assert_tw_error(r, 400, 35111)  # SendAt without ScheduleType=fixed
    r = tw(gw, app, "POST", ".json", data={"To": TO, "Body": "later", "ScheduleType": "fixed",
                                           "SendAt": _in_an_hour()})
    assert r.status_code == 201 and r.json()["status"] == "scheduled", r.text
    sid = r.json()["sid"]
    assert_tw_error(tw(gw, app, "DELETE", f"/{sid}.json"), 400, 20009)
    r = tw(gw, app, "POST", f"/{sid}.json", data={"Status": "canceled"})
    assert r.status_code == 200 and r.json()["status"] == "canceled", r.text
    assert tw(gw, app, "DELETE", f"/{sid}.json").status_code == 204
    assert_tw_error(tw(gw, app, "GET", f"/{sid}.json"), 404, 20404)


def _in_an_hour():
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_failed_authentication_is_throttled_and_counted(gw):
    app = make_app(gw)
    for _ in range(20):
        assert_tw_error(tw(gw, app, "GET", ".json", token="0" * 32), 401, 20003)
    r = tw(gw, app, "GET", ".json")  # even the right token waits now
    assert_tw_error(r, 429, 20429)
    assert int(r.headers["Retry-After"]) > 0
    assert "smsgate_compat_auth_failures_total 20" in gw.srv.metrics()


def test_cli_app_commands(gw):
    db = gw.srv.db
    cp = run_cli("app", "create", "--name", "cli-app", "--countries", "GB", "--db", db,
                 "--log-level", "warn")
    assert cp.returncode == 0, cp.stderr
    lines = dict(l.split(": ", 1) for l in cp.stdout.strip().splitlines() if ": " in l)
    assert re.fullmatch(r"AC[0-9a-f]{32}", lines["account_sid"]), cp.stdout
    assert re.fullmatch(r"[0-9a-f]{32}", lines["auth_token"]), cp.stdout
    app = {"account_sid": lines["account_sid"], "auth_token": lines["auth_token"]}
    assert tw(gw, app, "GET", ".json").status_code == 200
    cp = run_cli("app", "list", "--db", db)
    assert cp.returncode == 0 and "cli-app" in cp.stdout and lines["auth_token"] not in cp.stdout
    cp = run_cli("app", "show", "cli-app", "--db", db)
    assert cp.returncode == 0 and lines["account_sid"] in cp.stdout, cp.stdout + cp.stderr
    cp = run_cli("app", "edit", "cli-app", "--role", "viewer", "--db", db)
    assert cp.returncode == 0, cp.stderr
    cp = run_cli("app", "rotate", "cli-app", "--db", db)
    assert cp.returncode == 0, cp.stderr
    token = cp.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"[0-9a-f]{32}", token) and token != lines["auth_token"]
    assert tw(gw, app, "GET", ".json", token=token).status_code == 200
    cp = run_cli("app", "show", "nope", "--db", db)
    assert cp.returncode == 1 and cp.stderr.count("\n") == 1, cp.stderr
    cp = run_cli("app", "create", "--db", db)
    assert cp.returncode == 2, cp.stderr
    cp = run_cli("app", "remove", "cli-app", "--db", db)
    assert cp.returncode == 0, cp.stderr
    # a running server drops the app it remembers within about a second
    wait_for(lambda: tw(gw, app, "GET", ".json", token=token).status_code == 401, timeout=5,
             what="the removed app to be refused")
    assert_tw_error(tw(gw, app, "GET", ".json", token=token), 401, 20003)


def twilio_signature(token, url, params):
    """X-Twilio-Signature as Twilio computes it (providers.md A.9)."""
    data = url + "".join(k + params[k] for k in sorted(params))
    return base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def test_status_callback_to_the_app_default_is_retried_until_taken(gw):
    from test_webhooks import Receiver
    rcv = Receiver(statuses=(500, 200))
    try:
        app = make_app(gw, status_callback=rcv.url)
        sid = tw(gw, app, "POST", ".json", data={"To": TO, "Body": "x"}).json()["sid"]
        seen = wait_for(lambda: len(rcv.seen()) >= 2 and rcv.seen(), timeout=20,
                        what="the callback, refused once, to be tried again")
        first, second = seen[0], seen[1]
        assert first["status"] == 500 and second["status"] == 200
        assert first["body"] == second["body"], "the same callback again"
        params = dict(urllib.parse.parse_qsl(second["body"].decode()))
        assert params["MessageSid"] == sid and params["MessageStatus"] == "sent", params
        assert second["headers"]["X-Twilio-Signature"] == twilio_signature(
            app["auth_token"], rcv.url, params)
        assert app["auth_token"] not in second["body"].decode()
    finally:
        rcv.close()


def test_no_status_callback_without_a_url(gw):
    from test_webhooks import Receiver
    rcv = Receiver()
    try:
        app = make_app(gw)
        sid = tw(gw, app, "POST", ".json", data={"To": TO, "Body": "x"}).json()["sid"]
        wait_for(lambda: tw(gw, app, "GET", f"/{sid}.json").json()["status"] == "sent",
                 what="the message to be sent")
        other = make_app(gw, name="cb", status_callback=rcv.url)
        tw(gw, other, "POST", ".json", data={"To": TO, "Body": "y"})
        wait_for(lambda: rcv.seen(), what="the other app's callback")
        assert all(sid not in r["body"].decode() for r in rcv.seen())
    finally:
        rcv.close()


def test_api_keys_of_an_app(gw):
    app = make_app(gw)
    other = make_app(gw, name="other")
    r = gw.srv.post(f"/v1/apps/{app['id']}/keys", json={"name": "ci"})
    assert r.status_code == 201, r.text
    k = r.json()
    assert re.fullmatch(r"SK[0-9a-f]{32}", k["sid"]) and re.fullmatch(r"[0-9a-f]{32}", k["secret"])
    listed = gw.srv.get(f"/v1/apps/{app['id']}/keys").json()["data"]
    assert listed == [{"sid": k["sid"], "name": "ci", "created_at": k["created_at"]}]
    url = f"{gw.srv.url}/2010-04-01/Accounts/{app['account_sid']}/Messages.json"
    r = requests.post(url, headers=basic(k["sid"], k["secret"]), data={"To": TO, "Body": "k"},
                      timeout=10)
    assert r.status_code == 201 and r.json()["account_sid"] == app["account_sid"], r.text
    # the key is the app's only: not another app's, not with a wrong secret
    r = requests.get(f"{gw.srv.url}/2010-04-01/Accounts/{other['account_sid']}/Messages.json",
                     headers=basic(k["sid"], k["secret"]), timeout=10)
    assert_tw_error(r, 401, 20003)
    assert_tw_error(requests.get(url, headers=basic(k["sid"], "0" * 32), timeout=10), 401, 20003)
    assert gw.srv.delete(f"/v1/apps/{app['id']}/keys/{k['sid']}").status_code == 204
    assert_tw_error(requests.get(url, headers=basic(k["sid"], k["secret"]), timeout=10), 401, 20003)
    assert_problem(gw.srv.delete(f"/v1/apps/{app['id']}/keys/{k['sid']}"), 404, "not_found")
    actions = [a["action"] for a in gw.srv.get("/v1/audit").json()["data"]]
    assert "app.key_create" in actions and "app.key_revoke" in actions
    assert k["secret"] not in str(gw.srv.get("/v1/audit").json())


class TwimlReceiver:
    """A loopback messaging URL: records each request, answers TwiML with a
    <Message> of `reply` (none when empty)."""

    def __init__(self, reply=""):
        import http.server
        import threading
        self.requests, outer = [], self
        self.reply = reply

        class Handler(http.server.BaseHTTPRequestHandler):
            def answer(self, body):
                outer.requests.append({"path": self.path, "headers": dict(self.headers),
                                       "body": body})
                msg = f"<Message>{outer.reply}</Message>" if outer.reply else ""
                data = f'<?xml version="1.0" encoding="UTF-8"?><Response>{msg}</Response>'.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                self.answer(self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode())

            def do_GET(self):
                self.answer("")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms?app=crm"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def inject_inbound(gw, body, sender=TO):
    r = requests.post(gw.sim.url + "/sim/inbound", json={
        "url": gw.provider["callback_urls"]["inbound"], "from": sender, "to": "+15005550006",
        "body": body}, timeout=10)
    assert r.status_code == 200, r.text


def test_inbound_reply_is_forwarded_signed_and_its_twiml_message_sent(gw):
    rcv = TwimlReceiver(reply="Thanks &amp; bye")
    try:
        app = make_app(gw, inbound_url=rcv.url)
        sid = tw(gw, app, "POST", ".json", data={"To": TO, "Body": "Reply YES"}).json()["sid"]
        wait_for(lambda: tw(gw, app, "GET", f"/{sid}.json").json()["status"] == "sent",
                 what="the app's message to be sent")
        inject_inbound(gw, "YES please")
        got = wait_for(lambda: rcv.requests, what="the inbound message at the app's URL")[0]
        params = dict(urllib.parse.parse_qsl(got["body"]))
        assert params["Body"] == "YES please" and params["From"] == TO, params
        assert params["SmsStatus"] == "received" and params["AccountSid"] == app["account_sid"]
        assert params["MessageSid"] == params["SmsSid"] == params["SmsMessageSid"]
        assert SID_RE.match(params["MessageSid"]) and params["NumMedia"] == "0"
        assert got["headers"]["X-Twilio-Signature"] == twilio_signature(
            app["auth_token"], rcv.url, params)
        # the TwiML <Message> went back to the sender as the app's message
        def reply():
            ms = tw(gw, app, "GET", ".json", params={"To": TO}).json()["messages"]
            return [m for m in ms if m["body"] == "Thanks & bye"]
        wait_for(reply, what="the TwiML reply as the app's message")
        wait_for(lambda: any(s["body"] == "Thanks & bye" for s in gw.sim.messages()),
                 what="the reply at the provider")
    finally:
        rcv.close()


def test_stop_is_handled_by_smsgate_and_still_forwarded(gw):
    rcv = TwimlReceiver(reply="We will miss you")
    try:
        app = make_app(gw, inbound_url=rcv.url, inbound_method="GET")
        tw(gw, app, "POST", ".json", data={"To": TO, "Body": "news"})
        wait_for(lambda: any(s["to"] == TO for s in gw.sim.messages()), what="the app's message")
        inject_inbound(gw, "STOP")
        wait_for(lambda: gw.srv.get("/v1/optouts").json()["data"], what="the opt-out")
        got = wait_for(lambda: rcv.requests, what="STOP forwarded to the app")[0]
        path, _, query = got["path"].partition("?")
        params = dict(urllib.parse.parse_qsl(query))
        assert params["Body"] == "STOP" and params["app"] == "crm", params
        assert got["headers"]["X-Twilio-Signature"] == twilio_signature(
            app["auth_token"], "http://127.0.0.1:%d%s" % (rcv.server.server_address[1],
                                                          got["path"]), {})
        # the app's TwiML answer is refused: the number just opted out
        wait_for(lambda: "app_reply_refused" in gw.srv.proc.stderr() + gw.srv.proc.stdout(),
                 what="the TwiML reply to be refused")
        assert "opted_out" in gw.srv.proc.stderr() + gw.srv.proc.stdout()
        assert not any(s["body"] == "We will miss you" for s in gw.sim.messages())
    finally:
        rcv.close()


# ---- numbers an app owns -------------------------------------------------------------

OWN = "+14155552671"


def inject_to(gw, body, sender, to):
    r = requests.post(gw.sim.url + "/sim/inbound", json={
        "url": gw.provider["callback_urls"]["inbound"], "from": sender, "to": to,
        "body": body}, timeout=10)
    assert r.status_code == 200, r.text


def test_a_message_to_an_app_number_is_forwarded_signed_once(gw):
    rcv = TwimlReceiver()
    try:
        app = make_app(gw, inbound_url=rcv.url, numbers=[OWN])
        assert app["numbers"] == [OWN]
        assert gw.srv.get(f"/v1/apps/{app['id']}").json()["numbers"] == [OWN]
        stranger = "+447400123499"  # a phone the app never texted
        inject_to(gw, "hello there", stranger, OWN)
        got = wait_for(lambda: rcv.requests, what="the message at the app's inbound URL")[0]
        params = dict(urllib.parse.parse_qsl(got["body"]))
        assert params["Body"] == "hello there" and params["From"] == stranger, params
        assert params["To"] == OWN and params["AccountSid"] == app["account_sid"], params
        assert params["SmsStatus"] == "received" and SID_RE.match(params["MessageSid"])
        assert got["headers"]["X-Twilio-Signature"] == twilio_signature(
            app["auth_token"], rcv.url, params)
        # a reply to the app's own message, sent to its number: forwarded once
        sid = tw(gw, app, "POST", ".json", data={"To": TO, "Body": "Reply YES"}).json()["sid"]
        wait_for(lambda: tw(gw, app, "GET", f"/{sid}.json").json()["status"] == "sent",
                 what="the app's message to be sent")
        inject_to(gw, "YES", TO, OWN)
        wait_for(lambda: len(rcv.requests) >= 2, what="the reply at the app's inbound URL")
        inject_to(gw, "last", stranger, OWN)  # anything queued twice arrives before this
        wait_for(lambda: any("Body=last" in q["body"] for q in rcv.requests),
                 what="the last message at the app's inbound URL")
        bodies = [dict(urllib.parse.parse_qsl(q["body"]))["Body"] for q in rcv.requests]
        assert sorted(bodies) == ["YES", "hello there", "last"], bodies
    finally:
        rcv.close()


def test_a_number_belongs_to_one_app(gw):
    a = make_app(gw, "first", numbers=[OWN, "+1 415 555 2672"])
    assert a["numbers"] == [OWN, "+14155552672"]
    r = gw.srv.post("/v1/apps", json={"name": "second", "numbers": ["+14155552672"]})
    assert_problem(r, 409, "number_taken", "numbers")
    assert "+14155552672" in r.json()["detail"]
    b = make_app(gw, "second")
    assert b["numbers"] == []
    r = gw.srv.patch(f"/v1/apps/{b['id']}", json={"numbers": [OWN]})
    assert_problem(r, 409, "number_taken", "numbers")
    assert_problem(gw.srv.post("/v1/apps", json={"name": "x", "numbers": ["12"]}), 400,
                   "invalid_phone", "numbers")
    many = [f"+1415555{i:04d}" for i in range(101)]
    assert_problem(gw.srv.post("/v1/apps", json={"name": "x", "numbers": many}), 400,
                   "invalid_request", "numbers")
    # the CLI: refused while taken, free once the first app gives it up
    db = gw.srv.db
    cp = run_cli("app", "edit", "second", "--number", OWN, "--db", db)
    assert cp.returncode == 1 and OWN in cp.stderr and cp.stderr.count("\n") == 1, cp.stderr
    cp = run_cli("app", "edit", "first", "--no-numbers", "--db", db)
    assert cp.returncode == 0, cp.stderr
    cp = run_cli("app", "edit", "second", "--number", OWN, "--number", "+14155552672",
                 "--db", db)
    assert cp.returncode == 0, cp.stderr
    assert gw.srv.get(f"/v1/apps/{b['id']}").json()["numbers"] == [OWN, "+14155552672"]
    assert gw.srv.get(f"/v1/apps/{a['id']}").json()["numbers"] == []
    cp = run_cli("app", "edit", "second", "--number", "nope", "--db", db)
    assert cp.returncode == 2 and "--number" in cp.stderr, cp.stderr
    audit = gw.srv.get("/v1/audit", params={"action": "app.update"}).json()["data"]
    assert any("numbers" in (e.get("detail") or "") for e in audit), audit
