"""Callbacks in Clickatell's format (docs/compat.md section 6): a message sent
through a Clickatell-compatible endpoint is reported to its app's callback URL in
the legacy API's fields, and a reply to it reaches the app's inbound URL in the
reply path's fields, against a loopback stand-in for CiviCRM's callback page that
tells the two apart as CiviCRM does (a 'status' parameter or not) and checks the
exact fields recorded in tests/fixtures/civicrm_clickatell/callbacks.json."""
import http.server
import json
import pathlib
import re
import threading
import time
import urllib.parse

import requests

from conftest import make_gateway, wait_for
from test_compat_clickatell import fixture_target, make_app, raw_request

TO = "+447400123456"
FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "civicrm_clickatell"
EXPECT = json.loads((FIXTURES / "callbacks.json").read_text())


class CiviCRM:
    """civicrm/sms/callback on loopback: every request's parameters (query and
    form body together, as PHP's $_REQUEST), split into delivery reports and
    inbound messages as CiviCRM splits them."""

    def __init__(self):
        self.reports, self.inbound, self.methods = [], [], []
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def take(self, body):
                path, _, query = self.path.partition("?")
                params = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
                params.update(urllib.parse.parse_qsl(body, keep_blank_values=True))
                assert params.pop("provider") == "org.civicrm.sms.clickatell"
                with outer.lock:
                    outer.methods.append(self.command)
                    (outer.reports if "status" in params else outer.inbound).append(params)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                self.take(self.rfile.read(n).decode("utf-8"))

            def do_GET(self):
                self.take("")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = (f"http://127.0.0.1:{self.server.server_address[1]}"
                    + EXPECT["callback_url_path"])
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def reports_of(self, api_msg_id):
        with self.lock:
            return [r for r in self.reports if r.get("apiMsgId") == api_msg_id]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def delivering_gateway(harness):
    """The simulator reports sent, then delivered, at once."""
    return make_gateway(harness, callbacks=True,
                        sim_args=("--sent-delay-ms", "0", "--delivered-delay-ms", "0"))


def assert_report(r, api_msg_id, app, to):
    assert sorted(r) == sorted(EXPECT["report_fields"]), r
    assert r["apiMsgId"] == api_msg_id and r["api_id"] == app["api_id"], r
    assert r["status"] in EXPECT["report_statuses"], r
    assert r["to"] == to.lstrip("+") and r["charge"] == "0", r
    assert abs(int(r["timestamp"]) - time.time()) < 120, r


def test_civicrm_legacy_send_is_reported_and_its_reply_forwarded(harness):
    gw = delivering_gateway(harness)
    civi = CiviCRM()
    try:
        app = make_app(gw, status_callback=civi.url, inbound_url=civi.url)
        # CiviCRM's legacy shape (callback=3: intermediate and final statuses)
        status, _, body = raw_request(gw, *fixture_target("legacy_sendmsg.txt", app))
        assert status == 200 and body.startswith("ID: "), body
        api_msg_id = body.split(":", 1)[1].strip()  # as CiviCRM's send() keeps it
        got = wait_for(lambda: len(civi.reports_of(api_msg_id)) >= 2 and civi.reports_of(api_msg_id),
                       timeout=20, what="the sent and delivered reports")
        assert [r["status"] for r in got] == ["003", "004"], got
        for r in got:
            assert_report(r, api_msg_id, app, TO)
            assert r["from"] == "447700900123" and r["cliMsgId"] == "", r
        assert set(civi.methods) == {"POST"}
        # a reply: the reply path's fields, no status
        r = requests.post(gw.sim.url + "/sim/inbound", json={
            "url": gw.provider["callback_urls"]["inbound"], "from": TO, "to": "+447700900123",
            "body": "Oui, merci"}, timeout=10)
        assert r.status_code == 200, r.text
        mo = wait_for(lambda: civi.inbound, what="the reply at CiviCRM's callback")[0]
        assert sorted(mo) == sorted(EXPECT["inbound_fields"]), mo
        assert mo["from"] == "447400123456" and mo["to"] == "447700900123", mo
        assert mo["text"] == "Oui, merci" and mo["charset"] == "UTF-8", mo
        assert re.fullmatch(r"[0-9a-f]{32}", mo["moMsgId"]) and mo["api_id"] == app["api_id"]
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", mo["timestamp"]), mo
    finally:
        civi.close()


def test_platform_send_is_reported_and_twilio_surface_keeps_twilio_format(harness):
    gw = delivering_gateway(harness)
    civi = CiviCRM()
    try:
        app = make_app(gw, status_callback=civi.url)
        status, _, body = raw_request(gw, *fixture_target("http_send_latin1.txt", app))
        assert status == 202, body
        api_msg_id = json.loads(body)["messages"][0]["apiMessageId"]
        got = wait_for(lambda: len(civi.reports_of(api_msg_id)) >= 2 and civi.reports_of(api_msg_id),
                       timeout=20, what="the platform message's reports")
        assert [r["status"] for r in got] == ["003", "004"], got
        assert_report(got[0], api_msg_id, app, TO)
        # POST /messages with a clientMessageId: echoed as cliMsgId
        r = requests.post(f"{gw.srv.url}/messages", headers={"Authorization": app["api_key"]},
                          json={"content": "rest", "to": ["447400123457"],
                                "clientMessageId": "civi-42"}, timeout=10)
        assert r.status_code == 202, r.text
        rest_id = r.json()["messages"][0]["apiMessageId"]
        rest = wait_for(lambda: civi.reports_of(rest_id), timeout=20, what="the REST report")
        assert rest[0]["cliMsgId"] == "civi-42" and rest[0]["to"] == "447400123457", rest
        # the same app sending through the Twilio surface is called back as Twilio calls back
        tw = requests.post(f"{gw.srv.url}/2010-04-01/Accounts/{app['account_sid']}/Messages.json",
                           auth=(app["account_sid"], app["auth_token"]),
                           data={"To": "+447400123458", "Body": "tw"}, timeout=10)
        assert tw.status_code == 201, tw.text
        sid = tw.json()["sid"]
        twilio = wait_for(lambda: [r for r in civi.inbound if r.get("MessageSid") == sid],
                          timeout=20, what="the Twilio-format callback")
        assert twilio[0]["AccountSid"] == app["account_sid"], twilio
    finally:
        civi.close()


def test_callback_level_and_get_method(harness):
    gw = delivering_gateway(harness)
    civi = CiviCRM()
    try:
        app = make_app(gw, status_callback=civi.url, callback_method="GET")
        assert gw.srv.get(f"/v1/apps/{app['id']}").json()["callback_method"] == "GET"
        url = f"{gw.srv.url}/http/sendmsg"
        creds = {"api_id": app["api_id"], "user": app["username"], "password": app["auth_token"]}
        # no callback parameter: Clickatell's callback=0, no reports at all
        quiet = requests.get(url, params={**creds, "to": "447400123456", "text": "a"}, timeout=10)
        quiet_id = quiet.text[4:]
        # callback=2: final statuses only
        final = requests.get(url, params={**creds, "to": "447400123457", "text": "b",
                                          "callback": "2", "climsgid": "c7"}, timeout=10)
        final_id = final.text[4:]
        got = wait_for(lambda: civi.reports_of(final_id), timeout=20, what="the final report")
        query = {**creds, "apimsgid": quiet_id}
        wait_for(lambda: requests.get(f"{gw.srv.url}/http/querymsg", params=query,
                                      timeout=10).text.endswith("Status: 004"),
                 what="the quiet message to be delivered")
        assert [r["status"] for r in civi.reports_of(final_id)] == ["004"], got
        assert got[0]["cliMsgId"] == "c7" and set(civi.methods) == {"GET"}
        assert civi.reports_of(quiet_id) == []
        # a level that is not 0-7 is refused as Clickatell refuses it
        bad = requests.get(url, params={**creds, "to": "447400123457", "text": "c",
                                        "callback": "9"}, timeout=10)
        assert bad.text == "ERR: 101, Invalid or missing parameters", bad.text
        r = gw.srv.patch(f"/v1/apps/{app['id']}", json={"callback_method": "PUT"})
        assert r.status_code == 400 and r.json()["field"] == "callback_method", r.text
    finally:
        civi.close()

