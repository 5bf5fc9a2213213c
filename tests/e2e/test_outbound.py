"""Where app webhooks may lead (the outbound policy, docs/webhooks.md) and how one
slow receiver shares the webhook worker with the others.

The suite's servers allow loopback (conftest's LOOPBACK) so that the receivers
here can run on 127.0.0.1; the tests that check the default policy start a
server without it."""
import socket
import threading

import pytest

from conftest import assert_problem, create_key, make_gateway, wait_for
from test_twoway import MOBILE
from test_webhooks import deliveries, receivers, subscribe  # noqa: F401 (fixture)

METADATA_SPELLINGS = [
    "http://169.254.169.254/latest/meta-data/",
    "http://2852039166/latest/meta-data/",
    "http://0xa9fea9fe/",
    "http://0xa9.0xfe.0xa9.0xfe/",
    "http://0251.0376.0251.0376/",
    "http://169.254.43518/",
    "http://[::ffff:169.254.169.254]/",
    "http://[::ffff:a9fe:a9fe]/",
    "http://[fe80::1]/",
    "http://224.0.0.1/",
    "http://0.0.0.0:9/",
    "http://[::]:9/",
]


def test_registration_refuses_disallowed_literals(harness):
    gw = make_gateway(harness)  # loopback allowed, as in every test
    for url in METADATA_SPELLINGS + [
        f"http://127.0.0.1:{gw.srv.port}/v1/messages",  # smsgate itself
        f"http://localhost:{gw.srv.port}/",
        "http://10.0.0.1/hook",  # private networks are not in the allow list
        "http://[::ffff:10.0.0.1]/hook",
        "http://192.168.1.1/hook",
        "http://100.64.0.1/hook",
        "http://[fd00::1]/hook",
    ]:
        r = gw.srv.post("/v1/webhooks", json={"url": url, "events": ["message.status"]})
        p = assert_problem(r, 400, "url_not_allowed", "url")
        assert "outbound-allow" in p["detail"], p
    # malformed URLs, the empty host among them
    for url in ("http:///nohost", "http:/nohost", "https:///", "http://?x=1", "http://#a"):
        r = gw.srv.post("/v1/webhooks", json={"url": url, "events": ["message.status"]})
        assert_problem(r, 400, "invalid_request", "url")
    # allowed: loopback (by the allow list) on another port, public names
    for url in ("http://127.0.0.1:9/hook", "http://localhost:9/hook",
                "https://hooks.example.com/smsgate", "https://93.184.216.34/x"):
        r = gw.srv.post("/v1/webhooks", json={"url": url, "events": ["message.status"]})
        assert r.status_code == 201, (url, r.text)


def test_loopback_refused_by_default(harness):
    sim = harness.start_sim()
    srv = harness.start_server(outbound_allow=None)
    srv.key = create_key(srv.db, "admin")
    r = srv.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/hook",
                                       "events": ["message.status"]})
    p = assert_problem(r, 400, "url_not_allowed", "url")
    assert "loopback" in p["detail"], p
    assert sim  # the simulator is not needed further


@pytest.mark.pg_not_yet("webhook deliveries")
def test_delivery_refused_on_the_resolved_address(harness, receivers):
    """Registered while loopback was allowed, delivered by a server that does not
    allow it: the check at delivery time refuses it and the receiver sees nothing.
    Only an admin reads why."""
    gw = make_gateway(harness)
    rcv = receivers()
    # a name, not a literal: judged when resolved
    url = rcv.url.replace("127.0.0.1", "localhost")
    hook = subscribe(gw, rcv.url, ["message.status"])
    by_name = subscribe(gw, url, ["message.status"])
    gw.srv.proc.stop()
    srv = harness.start_server(db=gw.srv.db, port=gw.srv.port, outbound_allow=None)
    srv.key = gw.admin
    gw.srv = srv
    m = srv.send(MOBILE, "who gets this?")
    srv.wait_status(m["id"], "sent")

    def refused(hook_id):
        def check():
            rows = deliveries(gw, hook_id)["data"]
            rows = [d for d in rows if d["payload"]["data"]["id"] == m["id"]]
            return rows if rows and all(d["attempts"] >= 1 for d in rows) else None
        return check

    for h in (hook, by_name):
        rows = wait_for(refused(h["id"]), timeout=10, what="a refused attempt")
        for d in rows:
            assert d["state"] == "pending" and d["last_status"] is None, d
            assert "outbound policy" in d["last_error"], d
            assert "loopback" in d["last_error"], d
        # a viewer learns that it failed, not why (no port scan through last_error)
        viewer = gw.srv.get(f"/v1/webhooks/{h['id']}/deliveries", key=gw.viewer).json()
        for d in viewer["data"]:
            if d["attempts"]:
                assert d["last_error"] == "delivery failed", d
    assert rcv.seen() == []
    assert "webhook_refused" in srv.proc.stderr() + srv.proc.stdout()


class SilentReceiver:
    """Accepts connections and never answers (a hung application)."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/hook"
        self.conns = []
        self.lock = threading.Lock()
        self.closed = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                if self.closed:
                    c.close()
                    return
                self.conns.append(c)

    def accepted(self):
        with self.lock:
            return len(self.conns)

    def close(self):
        with self.lock:
            self.closed = True
            for c in self.conns:
                c.close()
        self.sock.close()


@pytest.fixture
def silent():
    s = SilentReceiver()
    yield s
    s.close()


@pytest.mark.pg_not_yet("webhook deliveries")
def test_a_hung_receiver_does_not_hold_up_the_others(harness, receivers, silent):
    """150 events to two subscribers, one that never answers. Without a share per
    webhook the hung one's requests take every slot of the worker (64) until they
    time out (10 s) and the other waits; with it the other gets every event while
    the hung one's first requests are still in flight, none of them finished."""
    gw = make_gateway(harness)
    normal = receivers()
    hung = subscribe(gw, silent.url, ["message.status"])
    ok = subscribe(gw, normal.url, ["message.status"])
    n = 150
    tos = [f"+4474001{i:05d}" for i in range(n)]
    r = gw.srv.post("/v1/messages/batch",
                    json={"messages": [{"to": to, "body": "fan-out"} for to in tos]})
    assert r.status_code == 202, r.text
    ids = {a["id"] for a in r.json()["accepted"]}
    assert len(ids) == n

    def all_sent_seen():
        got = {e["data"]["id"] for e in normal.events("message.status")
               if e["data"]["status"] == "sent"}
        return got if got >= ids else None

    wait_for(all_sent_seen, timeout=30, interval=0.1,
             what="every 'sent' event at the answering receiver")
    # the hung receiver holds a few connections, and not one of its deliveries
    # has finished (a finished attempt would mean its requests had timed out)
    assert 1 <= silent.accepted() <= 8, silent.accepted()
    rows = deliveries(gw, hung["id"], limit=1000)["data"]
    assert rows and all(d["attempts"] == 0 and d["state"] == "pending" for d in rows), \
        [d for d in rows if d["attempts"]][:3]
    assert ok["id"] != hung["id"]
    silent.close()  # the worker's requests end now instead of at their timeout
