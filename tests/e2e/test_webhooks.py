"""App webhooks: smsgate POSTs signed events to the organisation's applications.

A small loopback HTTP server in a thread plays the application. Every
Smsgate-Signature is checked here in Python (hmac + hashlib), independently of
smsgate's C implementation, exactly as docs/webhooks.md tells receivers to."""
import hashlib
import hmac
import http.server
import json
import threading
import time

import pytest

from conftest import assert_problem, make_gateway, wait_for
from test_twoway import MOBILE, inbound_params, post_webhook

EVENTS = ["message.status", "message.received", "contact.opted_out", "contact.opted_in"]
TOLERANCE = 300


# ---- the application's side ------------------------------------------------------------


def verify_signature(secret, header, body, tolerance=TOLERANCE):
    """True if header ("t=...,v1=...[,v1=...]") signs body with secret, recently."""
    items = [p.strip().split("=", 1) for p in header.split(",")]
    if any(len(i) != 2 for i in items):
        return False
    ts = [v for k, v in items if k == "t"]
    sigs = [v for k, v in items if k == "v1"]
    if len(ts) != 1 or not ts[0].isdigit() or not sigs:
        return False
    expected = hmac.new(secret.encode(), ts[0].encode() + b"." + body, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected, s) for s in sigs):
        return False
    return abs(time.time() - int(ts[0])) <= tolerance


class Receiver:
    """A loopback HTTP server recording every request; answers statuses[i] to the
    i-th request (the last one for every request after that)."""

    def __init__(self, statuses=(200,), answer_size=0):
        self.statuses = list(statuses)
        self.answer_size = answer_size
        self.requests = []
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                with outer.lock:
                    i = len(outer.requests)
                    status = outer.statuses[min(i, len(outer.statuses) - 1)]
                    outer.requests.append({"path": self.path, "headers": dict(self.headers),
                                           "body": body, "status": status,
                                           "at": time.time()})
                answer = b'{"ok":true}' if status < 300 else b'{"error":"try later"}'
                if outer.answer_size:
                    answer = b"x" * outer.answer_size
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "/elsewhere")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                try:
                    self.wfile.write(answer)
                except OSError:
                    pass  # smsgate hung up on an over-long answer

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/smsgate"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def seen(self):
        with self.lock:
            return list(self.requests)

    def events(self, event=None):
        """Parsed bodies of the requests answered 2xx (optionally of one event type)."""
        out = []
        for r in self.seen():
            if r["status"] < 300:
                doc = json.loads(r["body"])
                if event is None or doc["type"] == event:
                    out.append(doc)
        return out

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def receivers():
    made = []

    def make(statuses=(200,), answer_size=0):
        r = Receiver(statuses, answer_size)
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()


def subscribe(gw, url, events=EVENTS):
    r = gw.srv.post("/v1/webhooks", json={"url": url, "events": list(events)})
    assert r.status_code == 201, r.text
    hook = r.json()
    assert hook["id"].startswith("whk_") and hook["secret"].startswith("whsec_"), hook
    return hook


def deliveries(gw, hook_id, **params):
    r = gw.srv.get(f"/v1/webhooks/{hook_id}/deliveries", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def assert_well_signed(req, hook):
    h = req["headers"]
    assert h["Content-Type"] == "application/json"
    assert h["User-Agent"] == "smsgate-webhooks/0.1"
    doc = json.loads(req["body"])
    assert h["Smsgate-Event"] == doc["type"]
    assert h["Smsgate-Delivery"].isdigit()
    assert verify_signature(hook["secret"], h["Smsgate-Signature"], req["body"]), h
    # the same header does not cover another body, nor verify with another secret
    assert not verify_signature(hook["secret"], h["Smsgate-Signature"], req["body"] + b" ")
    assert not verify_signature("whsec_" + "0" * 64, h["Smsgate-Signature"], req["body"])
    return doc


# ---- tests ---------------------------------------------------------------------------------


def test_message_status_events_sent_and_delivered(harness, receivers):
    gw = make_gateway(harness, callbacks=True)
    rcv = receivers()
    hook = subscribe(gw, rcv.url, ["message.status"])
    m = gw.srv.send(MOBILE, "tell my app")

    def statuses():
        got = [e["data"]["status"] for e in rcv.events("message.status")
               if e["data"]["id"] == m["id"]]
        return got if {"sent", "delivered"} <= set(got) else None

    got = wait_for(statuses, timeout=10, what="message.status sent and delivered at the receiver")
    assert sorted(got) == ["delivered", "sent"], got
    for req in rcv.seen():
        assert req["path"] == "/hooks/smsgate"
        doc = assert_well_signed(req, hook)
        assert doc["id"].startswith("evt_") and doc["created_at"]
        assert doc["data"]["to"] == MOBILE
        assert doc["data"]["provider_id"] == gw.provider["id"]
    # every delivery is recorded, delivered at the first attempt (the worker
    # records the answer just after the receiver has seen the request)
    def recorded():
        listing = deliveries(gw, hook["id"])
        rows = [d for d in listing["data"] if d["payload"]["data"]["id"] == m["id"]]
        return rows if len(rows) == 2 and all(d["state"] == "delivered" for d in rows) else None

    rows = wait_for(recorded, timeout=5, what="both deliveries recorded as delivered")
    for d in rows:
        assert d["event"] == "message.status" and d["state"] == "delivered"
        assert d["attempts"] == 1 and d["last_status"] == 200 and d["last_error"] is None
        assert d["next_attempt_at"] is None


def test_inbound_stop_and_start_events(gw, receivers):
    rcv = receivers()
    hook = subscribe(gw, rcv.url, ["message.received", "contact.opted_out", "contact.opted_in"])
    r = post_webhook(gw, "inbound", inbound_params("STOP", sid="SM" + "51" * 16))
    assert r.status_code == 200, r.text
    wait_for(lambda: rcv.events("contact.opted_out"), timeout=10, what="contact.opted_out")
    received = wait_for(lambda: rcv.events("message.received"), what="message.received")
    assert received[0]["data"]["body"] == "STOP"
    assert received[0]["data"]["from"] == MOBILE
    out = rcv.events("contact.opted_out")[0]["data"]
    assert out["phone"] == MOBILE and out["source"] == "keyword"

    r = post_webhook(gw, "inbound", inbound_params("START", sid="SM" + "52" * 16))
    assert r.status_code == 200, r.text
    opted_in = wait_for(lambda: rcv.events("contact.opted_in"), timeout=10,
                        what="contact.opted_in")
    assert opted_in[0]["data"]["phone"] == MOBILE
    wait_for(lambda: len(rcv.events("message.received")) == 2, what="the second message.received")
    for req in rcv.seen():
        assert_well_signed(req, hook)
    # message.status was not subscribed to: the confirmations sent made none
    assert not rcv.events("message.status")

    # the deliveries list pages newest first with an opaque cursor
    def all_delivered():
        d = deliveries(gw, hook["id"])["data"]
        return d if len(d) == 4 and all(x["state"] == "delivered" for x in d) else None

    wait_for(all_delivered, what="4 deliveries recorded as delivered")
    seen, cursor = [], None
    for _ in range(10):
        page = deliveries(gw, hook["id"], limit=3, **({"cursor": cursor} if cursor else {}))
        seen += page["data"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    ids = [d["id"] for d in seen]
    assert len(ids) == 4 and ids == sorted(ids, reverse=True), ids
    assert [d["event"] for d in seen][0] == "contact.opted_in"
    r = gw.srv.get(f"/v1/webhooks/{hook['id']}/deliveries", params={"cursor": "x1"})
    assert_problem(r, 400, "invalid_cursor", "cursor")


def test_failing_receiver_gets_the_event_on_retry(harness, receivers):
    gw = make_gateway(harness, serve_args=("--webhook-retry-base-ms", "100"))
    rcv = receivers(statuses=(500, 500, 200))
    hook = subscribe(gw, rcv.url, ["message.received"])
    r = post_webhook(gw, "inbound", inbound_params("are you there?", sid="SM" + "53" * 16))
    assert r.status_code == 200, r.text

    def delivered():
        d = deliveries(gw, hook["id"])["data"]
        return d[0] if d and d[0]["state"] == "delivered" else None

    d = wait_for(delivered, timeout=10, what="the delivery to succeed on a retry")
    assert d["attempts"] >= 3 and d["last_status"] == 200, d
    assert d["payload"]["data"]["body"] == "are you there?"
    reqs = rcv.seen()
    assert [q["status"] for q in reqs] == [500, 500, 200]
    # the same delivery each time, re-signed each time
    assert len({q["headers"]["Smsgate-Delivery"] for q in reqs}) == 1
    assert len({q["body"] for q in reqs}) == 1
    for q in reqs:
        assert_well_signed(q, hook)
    # retries back off: the second gap is not shorter than half the first
    gaps = [b["at"] - a["at"] for a, b in zip(reqs, reqs[1:])]
    assert all(g >= 0.04 for g in gaps), gaps


def test_always_failing_receiver_goes_dead(harness, receivers):
    gw = make_gateway(harness, serve_args=("--webhook-retry-base-ms", "100",
                                           "--webhook-max-age", "1"))
    rcv = receivers(statuses=(503,))
    hook = subscribe(gw, rcv.url, ["message.received"])
    post_webhook(gw, "inbound", inbound_params("nobody home", sid="SM" + "54" * 16))

    def dead():
        d = deliveries(gw, hook["id"])["data"]
        return d[0] if d and d[0]["state"] == "dead" else None

    d = wait_for(dead, timeout=10, what="the delivery to be marked dead")
    assert d["last_status"] == 503 and d["attempts"] >= 2, d
    assert d["next_attempt_at"] is None
    n = len(rcv.seen())
    time.sleep(1.0)
    assert len(rcv.seen()) == n, "a dead delivery was attempted again"


def test_redirect_is_not_followed_and_long_answers_are_cut(harness, receivers):
    gw = make_gateway(harness, serve_args=("--webhook-retry-base-ms", "100"))
    moved = receivers(statuses=(302, 200))
    chatty = receivers(answer_size=512 * 1024)
    hooks = [subscribe(gw, moved.url, ["message.received"]),
             subscribe(gw, chatty.url, ["message.received"])]
    post_webhook(gw, "inbound", inbound_params("hello hooks", sid="SM" + "56" * 16))

    def settled():
        rows = [deliveries(gw, h["id"])["data"] for h in hooks]
        return rows if all(r and r[0]["state"] == "delivered" for r in rows) else None

    first, second = wait_for(settled, timeout=10, what="both deliveries to settle")
    # the 302 counted as a failure, the retry went to the same URL, /elsewhere never
    assert first[0]["attempts"] == 2, first
    assert [(q["path"], q["status"]) for q in moved.seen()] == [("/hooks/smsgate", 302),
                                                                ("/hooks/smsgate", 200)]
    # a 2xx with a body far beyond the bound is still a success, at once
    assert second[0]["attempts"] == 1 and second[0]["last_status"] == 200, second


def test_deleted_webhook_gets_no_more_requests(harness, receivers):
    gw = make_gateway(harness, serve_args=("--webhook-retry-base-ms", "100"))
    rcv = receivers(statuses=(500,))
    hook = subscribe(gw, rcv.url, ["message.received"])
    post_webhook(gw, "inbound", inbound_params("going away", sid="SM" + "57" * 16))
    wait_for(lambda: len(rcv.seen()) >= 2, what="two failed attempts")
    assert gw.srv.delete(f"/v1/webhooks/{hook['id']}").status_code == 204
    # Its pending deliveries are deleted with it; a request already in flight
    # may still land, nothing after that.
    time.sleep(1.5)
    n = len(rcv.seen())
    time.sleep(1.5)
    assert len(rcv.seen()) == n
    assert gw.srv.get(f"/v1/webhooks/{hook['id']}/deliveries").status_code == 404


def test_unreachable_receiver_records_the_transport_error(harness, receivers):
    gw = make_gateway(harness, serve_args=("--webhook-retry-base-ms", "100",
                                           "--webhook-max-age", "1"))
    rcv = receivers()
    url = rcv.url
    rcv.close()  # nothing listens there any more
    hook = subscribe(gw, url, ["message.received"])
    post_webhook(gw, "inbound", inbound_params("into the void", sid="SM" + "55" * 16))

    def dead():
        d = deliveries(gw, hook["id"])["data"]
        return d[0] if d and d[0]["state"] == "dead" else None

    d = wait_for(dead, timeout=10, what="the delivery to an unreachable URL to go dead")
    assert d["last_status"] is None and d["last_error"], d


def test_subscription_api(gw, receivers):
    rcv = receivers()
    r = gw.srv.post("/v1/webhooks", json={"url": rcv.url, "events": ["message.status",
                                                                     "message.status"]})
    assert r.status_code == 201, r.text
    created = r.json()
    secret = created["secret"]
    assert len(secret) == len("whsec_") + 64 and all(c in "0123456789abcdef" for c in secret[6:])
    assert created["events"] == ["message.status"] and created["url"] == rcv.url
    assert created["created_at"].endswith("Z")
    # the secret is shown once
    one = gw.srv.get(f"/v1/webhooks/{created['id']}", key=gw.viewer)
    assert one.status_code == 200, one.text
    assert "secret" not in one.json() and secret not in one.text
    listing = gw.srv.get("/v1/webhooks", key=gw.viewer)
    assert listing.status_code == 200
    assert [w["id"] for w in listing.json()["data"]] == [created["id"]]
    assert secret not in listing.text
    # a second one gets another secret
    other = gw.srv.post("/v1/webhooks", json={"url": rcv.url, "events": EVENTS}).json()
    assert other["secret"] != secret and other["events"] == EVENTS

    # roles
    body = {"url": rcv.url, "events": ["message.status"]}
    assert_problem(gw.srv.post("/v1/webhooks", json=body, key=gw.viewer), 403, "forbidden")
    assert_problem(gw.srv.post("/v1/webhooks", json=body, key=gw.sender), 403, "forbidden")
    assert_problem(gw.srv.delete(f"/v1/webhooks/{created['id']}", key=gw.viewer), 403,
                   "forbidden")
    assert_problem(gw.srv.get("/v1/webhooks", key=""), 401)

    # bad input
    for url in ("ftp://example.com/x", "not a url", "http://", "example.com/hook",
                "javascript:alert(1)", "http://exa mple.com/", "https://example.com/" + "a" * 490,
                42, None):
        r = gw.srv.post("/v1/webhooks", json={"url": url, "events": ["message.status"]})
        assert_problem(r, 400, "invalid_request", "url")
    for events in (["message.sent"], [], "message.status", ["message.status", 7], None):
        r = gw.srv.post("/v1/webhooks", json={"url": rcv.url, "events": events})
        assert_problem(r, 400, "invalid_request", "events")
    r = gw.srv.post("/v1/webhooks", json={"url": rcv.url, "events": EVENTS, "secret": "mine"})
    assert_problem(r, 400, "invalid_request", "secret")
    r = gw.srv.post("/v1/webhooks", data="{", headers={"Content-Type": "application/json"})
    assert_problem(r, 400, "invalid_json")
    r = gw.srv.post("/v1/webhooks", json={"url": "https://example.com/" + "a" * 480,
                                          "events": EVENTS})
    assert r.status_code == 201, r.text  # 500 bytes is allowed

    # delete
    assert gw.srv.delete(f"/v1/webhooks/{created['id']}").status_code == 204
    assert_problem(gw.srv.get(f"/v1/webhooks/{created['id']}"), 404, "not_found")
    assert_problem(gw.srv.delete(f"/v1/webhooks/{created['id']}"), 404, "not_found")
    assert_problem(gw.srv.get(f"/v1/webhooks/{created['id']}/deliveries"), 404, "not_found")
    assert_problem(gw.srv.get("/v1/webhooks/nonsense"), 404, "not_found")
    assert created["id"] not in [w["id"] for w in gw.srv.get("/v1/webhooks").json()["data"]]
