"""Sending: the happy path, text analysis, numbers, scheduling, listing, the CLI,
sender pools."""
import datetime as dt
import re
import time

from conftest import (
    FROM,
    create_key,
    expected_sender,
    make_gateway,
    run_cli,
    wait_for,
)


def iso(ts):
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(s):
    return dt.datetime.strptime(s.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()


def test_send_reaches_provider_and_records_events(gw):
    srv, sim = gw.srv, gw.sim
    to = "+447400123456"
    acc = srv.send(to, "Hello from smsgate")
    assert acc["id"].startswith("msg_")
    assert acc["status"] == "queued"
    assert acc["to"] == to
    assert acc["segments"] == 1
    assert acc["encoding"] == "GSM-7"
    assert acc["provider"] == "sim"

    m = srv.wait_status(acc["id"], "sent")
    assert m["provider_message_id"].startswith("SM")
    assert m["attempts"] == 1
    assert m["from"] == FROM
    assert m["error_code"] is None

    seen = sim.messages(to=to)
    assert len(seen) == 1, seen
    rec = seen[0]
    assert rec["sid"] == m["provider_message_id"]
    assert rec["to"] == to
    assert rec["from"] == FROM
    assert rec["body"] == "Hello from smsgate"
    prov_id = gw.provider["id"]
    assert rec["status_callback"].endswith(f"/callbacks/{prov_id}/status"), rec
    assert rec["status_callback"] == gw.provider["callback_urls"]["status"]

    statuses = [e["status"] for e in m["events"]]
    assert statuses == ["queued", "sending", "sent"], m["events"]
    assert m["provider_message_id"] in (m["events"][-1]["detail"] or "")


def test_segments_and_encoding(gw):
    srv = gw.srv
    a = srv.send("+447400123456", "a" * 160)
    assert (a["segments"], a["encoding"]) == (1, "GSM-7")

    a = srv.send("+447400123456", "b" * 161)
    assert (a["segments"], a["encoding"]) == (2, "GSM-7")

    a = srv.send("+447400123456", "Hello \U0001F600")
    assert a["encoding"] == "UCS-2"
    assert a["segments"] == 1

    # 70 UCS-2 units fit one segment; an emoji is a surrogate pair (2 units).
    a = srv.send("+447400123456", "x" * 68 + "\U0001F600")
    assert (a["segments"], a["encoding"]) == (1, "UCS-2")
    a = srv.send("+447400123456", "x" * 69 + "\U0001F600")
    assert (a["segments"], a["encoding"]) == (2, "UCS-2")

    # '€' is in GSM-7's extension table: it takes two septets.
    a = srv.send("+447400123456", "c" * 159 + "€")
    assert a["encoding"] == "GSM-7"
    assert a["segments"] == 2, a
    a = srv.send("+447400123456", "c" * 158 + "€")
    assert (a["segments"], a["encoding"]) == (1, "GSM-7")

    # The stored message says the same.
    m = srv.message(a["id"])
    assert (m["segments"], m["encoding"]) == (1, "GSM-7")


def test_national_number_with_default_region(harness):
    g = make_gateway(harness, serve_args=("--default-region", "GB"))
    a = g.srv.send("07400 123456", "national")
    assert a["to"] == "+447400123456"
    m = g.srv.wait_status(a["id"], "sent")
    assert m["to"] == "+447400123456"
    assert [r["to"] for r in g.sim.messages(to="+447400123456")] == ["+447400123456"]


def test_national_number_without_region_is_invalid(gw):
    r = gw.srv.post("/v1/messages", json={"to": "07400 123456", "body": "x"})
    assert r.status_code == 400, r.text
    p = r.json()
    assert p["code"] == "invalid_phone"
    assert p["field"] == "to"


def test_scheduled_message_waits_then_sends(gw):
    srv, sim = gw.srv, gw.sim
    to = "+447400123457"
    send_at = int(time.time()) + 3  # whole seconds: at least 2 s ahead
    a = srv.send(to, "later", send_at=iso(send_at))
    assert a["status"] == "scheduled"
    assert a["send_at"] is not None and parse_iso(a["send_at"]) == send_at

    # Before send_at it stays scheduled and the provider sees nothing.
    while time.time() < send_at - 0.5:
        m = srv.message(a["id"])
        assert m["status"] == "scheduled", m
        assert sim.messages(to=to) == []
        time.sleep(0.1)

    m = srv.wait_status(a["id"], "sent", timeout=10)
    assert [e["status"] for e in m["events"]] == ["scheduled", "sending", "sent"]
    rec = sim.messages(to=to)
    assert len(rec) == 1
    # The provider got it no earlier than send_at (same host clock).
    assert parse_iso(rec[0]["created_at"]) >= send_at, (rec[0]["created_at"], send_at)


def test_cancel_scheduled_message_is_never_sent(gw):
    srv, sim = gw.srv, gw.sim
    send_at = iso(int(time.time()) + 2)
    canceled = srv.send("+447400123458", "cancel me", send_at=send_at)
    barrier = srv.send("+447400123459", "barrier", send_at=send_at)
    assert canceled["status"] == "scheduled"

    r = srv.post(f"/v1/messages/{canceled['id']}/cancel")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "canceled"

    # The barrier is due at the same moment: once it is sent, the dispatcher has
    # looked at everything due then.
    srv.wait_status(barrier["id"], "sent", timeout=10)
    m = srv.message(canceled["id"])
    assert m["status"] == "canceled"
    assert [e["status"] for e in m["events"]] == ["scheduled", "canceled"]
    assert sim.messages(to="+447400123458") == []

    # Canceling twice is a conflict: it is no longer scheduled.
    r = srv.post(f"/v1/messages/{canceled['id']}/cancel")
    assert r.status_code == 409, r.text


def test_cancel_sent_message_conflicts(gw):
    srv = gw.srv
    a = srv.send("+447400123460", "already gone")
    srv.wait_status(a["id"], "sent")
    r = srv.post(f"/v1/messages/{a['id']}/cancel")
    assert r.status_code == 409, r.text
    assert r.headers["Content-Type"].startswith("application/problem+json")
    assert r.json()["code"] == "invalid_state"
    assert srv.message(a["id"])["status"] == "sent"


def test_cancel_unknown_message_is_404(gw):
    r = gw.srv.post("/v1/messages/msg_01M81GDTZS1WV7SRN7YMB9KXEJ/cancel")
    assert r.status_code == 404, r.text


def test_list_filters(gw):
    srv = gw.srv
    sent_a = srv.send("+447400123461", "one")
    sent_b = srv.send("+447400123462", "two")
    srv.wait_status(sent_a["id"], "sent")
    srv.wait_status(sent_b["id"], "sent")
    sched = srv.send("+447400123461", "three", send_at=iso(int(time.time()) + 3600))
    assert sched["status"] == "scheduled"

    r = srv.get("/v1/messages", params={"status": "scheduled"})
    assert r.status_code == 200, r.text
    assert [m["id"] for m in r.json()["data"]] == [sched["id"]]

    r = srv.get("/v1/messages", params={"status": "sent"})
    assert {m["id"] for m in r.json()["data"]} == {sent_a["id"], sent_b["id"]}
    assert all(m["status"] == "sent" for m in r.json()["data"])

    r = srv.get("/v1/messages", params={"to": "+447400123461"})
    assert {m["id"] for m in r.json()["data"]} == {sent_a["id"], sched["id"]}

    r = srv.get("/v1/messages", params={"to": "+447400123461", "status": "sent"})
    assert [m["id"] for m in r.json()["data"]] == [sent_a["id"]]

    r = srv.get("/v1/messages", params={"provider": "sim", "to": "+447400123462"})
    assert [m["id"] for m in r.json()["data"]] == [sent_b["id"]]

    r = srv.get("/v1/messages", params={"status": "bogus"})
    assert r.status_code == 400
    assert r.json()["field"] == "status"


def test_list_cursor_paging(gw):
    srv = gw.srv
    ids = []
    for i in range(5):
        ids.append(srv.send(f"+4474001235{i:02d}", f"page {i}")["id"])
        time.sleep(0.003)  # distinct creation milliseconds, so "newest" is well defined
    newest_first = list(reversed(ids))

    seen = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        r = srv.get("/v1/messages", params=params)
        assert r.status_code == 200, r.text
        body = r.json()
        assert len(body["data"]) <= 2
        seen += [m["id"] for m in body["data"]]
        pages += 1
        cursor = body["next_cursor"]
        if not cursor:
            break
        assert pages < 10, "paging does not end"
    assert seen == newest_first
    assert len(set(seen)) == 5
    assert pages == 3


def test_cli_send_is_sent_by_running_server(gw):
    srv, sim = gw.srv, gw.sim
    cp = run_cli("send", "--db", srv.db, "--log-level", "warn", "--to", "+447400123456",
                 "hello from the cli")
    assert cp.returncode == 0, cp.stderr
    mid = cp.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"msg_[0-9A-Z]{26}", mid), cp.stdout
    m = srv.wait_status(mid, "sent")
    assert m["body"] == "hello from the cli"
    recs = [x for x in sim.messages(to="+447400123456") if x["body"] == "hello from the cli"]
    assert len(recs) == 1
    assert recs[0]["sid"] == m["provider_message_id"]


def test_cli_send_rejects_invalid_number(gw):
    cp = run_cli("send", "--db", gw.srv.db, "--log-level", "warn", "--to", "12", "x")
    assert cp.returncode == 1, (cp.returncode, cp.stderr)  # refused, not a usage error (issue 11)
    assert "invalid_phone" in cp.stderr


def test_sender_pool_is_sticky_per_recipient(harness):
    pool = ["+15005550006", "+15017122661"]
    g = make_gateway(harness, provider_kw={"from_": "|".join(pool)})
    assert g.provider["config"]["from"] == pool
    srv, sim = g.srv, g.sim
    recipients = [f"+4474001234{i:02d}" for i in range(8)]
    ids = []
    for _ in range(3):
        for to in recipients:
            ids.append(srv.send(to, "pool")["id"])
    srv.wait_final(ids)
    used = set()
    for to in recipients:
        recs = sim.messages(to=to)
        assert len(recs) == 3, recs
        senders = {r["from"] for r in recs}
        assert len(senders) == 1, f"{to} got several senders: {senders}"
        sender = senders.pop()
        assert sender in pool
        assert sender == expected_sender(to, pool), to
        used.add(sender)
    # Eight recipients spread over both senders.
    assert used == set(pool)
    for mid in ids:
        m = srv.message(mid)
        assert m["status"] == "sent"
        assert m["from"] == expected_sender(m["to"], pool)


def test_concatenated_parts_never_split_a_character(gw):
    srv = gw.srv
    # GSM-7: 153 septets per part, and the two septets of '€' stay together.
    a = srv.send("+447400123456", "a" * 306)
    assert (a["segments"], a["encoding"]) == (2, "GSM-7")
    a = srv.send("+447400123456", "a" * 307)
    assert (a["segments"], a["encoding"]) == (3, "GSM-7")
    a = srv.send("+447400123456", "a" * 152 + "€" + "a" * 152)  # 306 septets, 3 parts
    assert (a["segments"], a["encoding"]) == (3, "GSM-7")
    # UCS-2: 67 units per part; a surrogate pair is never split.
    a = srv.send("+447400123456", "é\u0416" * 67)  # 134 units
    assert (a["segments"], a["encoding"]) == (2, "UCS-2")
    a = srv.send("+447400123456", "\u0416" * 66 + "\U0001F600" + "\u0416" * 66)  # 134 units
    assert (a["segments"], a["encoding"]) == (3, "UCS-2")


def test_body_from_and_metadata_reach_provider_exactly(gw):
    srv, sim = gw.srv, gw.sim
    body = "x&y=z+1 %20 é😀€\nsecond line; 100% [ok]"
    a = srv.send("+447400123463", body, **{"from": "MyShop"}, metadata={"order": 42, "tags": ["a"]})
    assert a["from"] == "MyShop"
    assert a["encoding"] == "UCS-2"
    m = srv.wait_status(a["id"], "sent")
    assert m["body"] == body
    assert m["from"] == "MyShop"
    assert m["metadata"] == {"order": 42, "tags": ["a"]}
    rec = sim.messages(to="+447400123463")
    assert len(rec) == 1
    assert rec[0]["body"] == body
    assert rec[0]["from"] == "MyShop"


def test_send_at_in_the_past_or_with_offset(gw):
    srv = gw.srv
    a = srv.send("+447400123464", "past", send_at="2020-01-01T00:00:00Z")
    assert a["status"] == "queued"
    srv.wait_status(a["id"], "sent")

    # An offset is honoured: local 10:00+02:00 is 08:00Z.
    target = int(time.time()) + 7200
    local = dt.datetime.fromtimestamp(target, dt.timezone(dt.timedelta(hours=2)))
    a = srv.send("+447400123465", "offset", send_at=local.strftime("%Y-%m-%dT%H:%M:%S+02:00"))
    assert a["status"] == "scheduled"
    assert parse_iso(a["send_at"]) == target


def test_rate_limit_per_sender(harness):
    """mps 2: every send goes through, none counts as a failed attempt, and no
    second sees more than the bucket allows (capacity 2 + 2 per second)."""
    g = make_gateway(harness, provider_kw={"mps": 2})
    srv, sim = g.srv, g.sim
    ids = [srv.send(f"+4474001238{i:02d}", "limited")["id"] for i in range(6)]
    done = srv.wait_final(ids, timeout=15)
    assert all(m["status"] == "sent" for m in done.values())
    assert all(srv.message(mid)["attempts"] == 1 for mid in ids)
    recs = sim.messages()
    assert len(recs) == 6
    times = sorted(parse_iso(r["created_at"]) for r in recs)
    for i, t in enumerate(times):
        in_window = [u for u in times[i:] if u < t + 1.0]
        assert len(in_window) <= 4, f"{len(in_window)} sends within 1 s at mps 2: {times}"


def test_running_server_picks_up_provider_edit_from_cli(gw):
    srv, sim = gw.srv, gw.sim
    cp = run_cli("provider", "edit", "sim", "--db", srv.db, "--log-level", "warn",
                 "--from", "+15017122661")
    assert cp.returncode == 0, cp.stderr

    def sent_with_new_sender():
        a = srv.send("+447400123466", "after edit")
        m = srv.wait_status(a["id"], "sent")
        return m["from"] == "+15017122661"

    # Documented: a running server picks changes up within a second.
    wait_for(sent_with_new_sender, timeout=5, interval=0.2, what="the edited sender to be used")
    assert sim.messages(to="+447400123466")[-1]["from"] == "+15017122661"


def test_restart_keeps_keys_providers_and_messages(harness):
    g = make_gateway(harness)
    srv = g.srv
    a = srv.send("+447400123467", "before restart")
    srv.wait_status(a["id"], "sent")
    assert srv.proc.stop() == 0
    srv2 = harness.restart(srv)
    # Keys, the provider (its sealed secret too) and the history survive.
    m = srv2.message(a["id"])
    assert m["status"] == "sent"
    assert [e["status"] for e in m["events"]] == ["queued", "sending", "sent"]
    assert srv2.get("/v1/messages", key=g.viewer).status_code == 200
    b = srv2.send("+447400123468", "after restart")
    srv2.wait_status(b["id"], "sent")
    assert len(g.sim.messages(to="+447400123468")) == 1
