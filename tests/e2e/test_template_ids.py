"""Issue 11, item 23: external template ids (India's DLT) and a provider's
status-callback URL override, as CleverTap's provider form has them."""
from conftest import assert_problem, make_gateway, run_cli, wait_for

TO = "+447400123456"
DLT = "1107161234567890123"


def test_template_id_required_stored_and_passed_by_broadcasts(harness):
    gw = make_gateway(harness)
    srv = gw.srv
    pid = gw.provider["id"]
    # a provider that does not require one sends as before, and stores one given
    m = srv.send(TO, external_template_id=DLT)
    assert srv.message(m["id"])["external_template_id"] == DLT
    assert srv.message(srv.send(TO)["id"])["external_template_id"] is None

    # malformed ids are refused
    for bad in ("", "has space", "x" * 65, 12345, "caf\u00e9"):
        r = srv.post("/v1/messages", json={"to": TO, "body": "hi", "external_template_id": bad})
        assert_problem(r, 400, "invalid_template_id", "external_template_id")

    # require_template_id: a generic option, accepted by the kind's config
    r = srv.patch(f"/v1/providers/{pid}", json={"config": {"require_template_id": True}})
    assert r.status_code == 200, r.text
    assert r.json()["config"]["require_template_id"] is True
    r = srv.patch(f"/v1/providers/{pid}", json={"config": {"require_template_id": "yes"}})
    assert_problem(r, 400, "invalid_config", "config.require_template_id")

    r = srv.post("/v1/messages", json={"to": TO, "body": "no id"})
    p = assert_problem(r, 400, "template_id_required", "external_template_id")
    assert "sim" in p["detail"]
    # batch items are refused one by one
    r = srv.post("/v1/messages/batch", json={"messages": [
        {"to": TO, "body": "one"}, {"to": TO, "body": "two", "external_template_id": DLT}]})
    assert r.status_code == 202, r.text
    j = r.json()
    assert [x["index"] for x in j["rejected"]] == [0]
    assert j["rejected"][0]["code"] == "template_id_required"
    assert len(j["accepted"]) == 1
    ok = j["accepted"][0]["id"]
    srv.wait_status(ok, "sent")
    assert srv.message(ok)["external_template_id"] == DLT

    # the CLI: refused without --template-id, stored with it
    cp = run_cli("send", "--db", srv.db, "--to", TO, "no id", "--log-level", "warn")
    assert cp.returncode != 0 and "template_id_required" in cp.stderr, cp.stderr
    cp = run_cli("send", "--db", srv.db, "--to", TO, "--template-id", DLT, "with id",
                 "--log-level", "warn", check=True)
    assert srv.message(cp.stdout.strip())["external_template_id"] == DLT

    # templates carry one; a broadcast of a template without one is refused at creation,
    # with one each message carries it
    r = srv.post("/v1/contacts", json={"phone": TO, "first_name": "Ada"})
    assert r.status_code == 201, r.text
    r = srv.post("/v1/groups", json={"name": "g"})
    assert r.status_code == 201, r.text
    gid = r.json()["id"]
    r = srv.post(f"/v1/groups/{gid}/members", json={"contacts": [TO]})
    assert r.status_code in (200, 201), r.text
    r = srv.post("/v1/templates", json={"name": "plain", "body": "Hi {{first_name}}"})
    assert r.status_code == 201 and r.json()["external_template_id"] is None, r.text
    r = srv.post("/v1/broadcasts", json={"name": "b0", "template_id": "plain", "group": "g"})
    assert_problem(r, 400, "template_id_required", "external_template_id")
    r = srv.post("/v1/templates", json={"name": "dlt", "body": "Code {{first_name}}",
                                        "external_template_id": DLT})
    assert r.status_code == 201 and r.json()["external_template_id"] == DLT, r.text
    tid = r.json()["id"]
    r = srv.patch(f"/v1/templates/{tid}", json={"external_template_id": "bad id"})
    assert_problem(r, 400, "invalid_template_id", "external_template_id")
    r = srv.post("/v1/broadcasts", json={"name": "b1", "template_id": "dlt", "group": "g"})
    assert r.status_code == 201, r.text
    bid = r.json()["id"]
    assert r.json()["external_template_id"] == DLT

    def broadcast_message():
        rows = srv.get("/v1/messages", params={"limit": 50}).json()["data"]
        mine = [x for x in rows if x["body"].startswith("Code ")]
        return mine[0] if mine else None

    bm = wait_for(broadcast_message, what=f"a message of broadcast {bid}")
    assert bm["external_template_id"] == DLT

    # removing the requirement restores plain sends
    r = srv.patch(f"/v1/providers/{pid}", json={"config": {"require_template_id": None}})
    assert r.status_code == 200 and "require_template_id" not in r.json()["config"], r.text
    srv.send(TO, body="no id again")


def test_status_callback_url_override_and_restore(harness):
    gw = make_gateway(harness)
    srv, sim = gw.srv, gw.sim
    pid = gw.provider["id"]
    default = f"{srv.url}/callbacks/{pid}/status"

    def callback_of(mid):
        srv.wait_status(mid, "sent")
        sent = [x for x in sim.messages(TO) if x["body"] == mid]
        return sent[0]["status_callback"] if sent else None

    m = srv.send(TO, body="first")["id"]
    srv.wait_status(m, "sent")
    assert sim.messages(TO)[-1]["status_callback"] == default

    proxy = "https://proxy.example.com/smsgate/status?x=1"
    for bad in ("ftp://x/y", "http://", "http:///nohost", "https://a b/c", 7):
        r = srv.patch(f"/v1/providers/{pid}", json={"config": {"status_callback_url": bad}})
        assert_problem(r, 400, "invalid_config", "config.status_callback_url")
    r = srv.patch(f"/v1/providers/{pid}", json={"config": {"status_callback_url": proxy}})
    assert r.status_code == 200, r.text
    assert r.json()["config"]["status_callback_url"] == proxy

    def sent_with(body):
        mid = srv.send(TO, body=body)["id"]
        srv.wait_status(mid, "sent")
        rows = [x for x in sim.messages(TO) if x["body"] == body]
        assert len(rows) == 1, rows
        return rows[0]["status_callback"]

    # the registry reloads within its poll interval; the answer is exact once it has
    assert wait_for(lambda: sent_with(f"probe-{__import__('time').monotonic()}") == proxy,
                    what="the override to reach the dispatcher")
    assert sent_with("with override") == proxy

    r = srv.patch(f"/v1/providers/{pid}", json={"config": {"status_callback_url": None}})
    assert r.status_code == 200 and "status_callback_url" not in r.json()["config"], r.text
    assert wait_for(lambda: sent_with(f"probe-{__import__('time').monotonic()}") == default,
                    what="the default to come back")
    assert sent_with("default again") == default


def test_reports_through_a_proxy_at_the_override_are_accepted(harness):
    """Twilio signs the URL it was given: the override. A proxy forwards the report
    to smsgate's own status URL unchanged; smsgate accepts that signature."""
    import http.server
    import threading

    import requests

    gw = make_gateway(harness, callbacks=True)
    srv = gw.srv
    pid = gw.provider["id"]
    target = f"{srv.url}/callbacks/{pid}/status"
    forwarded = []

    class Proxy(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            headers = {k: v for k, v in self.headers.items()
                       if k.lower() in ("content-type", "x-twilio-signature")}
            r = requests.post(target, data=body, headers=headers, timeout=5)
            forwarded.append(r.status_code)
            self.send_response(r.status_code)
            self.send_header("Content-Length", str(len(r.content)))
            self.end_headers()
            self.wfile.write(r.content)

        def log_message(self, *a):
            pass

    proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    t = threading.Thread(target=proxy.serve_forever, daemon=True)
    t.start()
    try:
        override = f"http://127.0.0.1:{proxy.server_address[1]}/edge/sms-status"
        r = srv.patch(f"/v1/providers/{pid}", json={"config": {"status_callback_url": override}})
        assert r.status_code == 200, r.text

        def delivered_via_proxy():
            mid = srv.send(TO, body=f"via proxy {len(forwarded)}")["id"]
            m = wait_for(lambda: (lambda m: m if m["status"] in ("delivered", "undelivered",
                                                                  "failed") else None)(
                srv.message(mid)), what=f"{mid} to get its report")
            return m["status"] == "delivered" and forwarded and set(forwarded) == {200}

        assert wait_for(delivered_via_proxy, what="a report through the proxy")
    finally:
        proxy.shutdown()
