"""Issue 11, items 15, 17 and 18: segment filters past their bounds, broadcasts whose
audience cannot be computed or is empty, last activity from messages sent before a
contact existed (docs/broadcasts.md's example), and stats that add up."""
import datetime
import re
import sqlite3

import requests

import pytest

from conftest import assert_problem, create_key, free_port, run_cli, wait_for

def uk_mobile(i):
    return f"+4474009{i:05d}"


def import_csv(srv, rows, header="phone,first_name,last_name,city", **params):
    text = header + "\n" + "\n".join(rows) + "\n"
    r = srv.post("/v1/contacts/import", data=text.encode(), params=params,
                 headers={"Content-Type": "text/csv"}, timeout=60)
    assert r.status_code == 200, r.text
    return r.json()


def wait_broadcast(srv, bid, statuses=("done",), timeout=30):
    last = {}

    def check():
        last["b"] = srv.get(f"/v1/broadcasts/{bid}").json()
        return last["b"]["status"] in statuses
    try:
        wait_for(check, timeout=timeout, what=f"broadcast {bid} to be {statuses}")
    except AssertionError as e:
        raise AssertionError(f"{e}; last seen: {last.get('b')}") from None
    return last["b"]


# ---- item 15: filters past their bounds ------------------------------------------------

NUM = "attributes.n >= 1"  # the costliest test to compile (four paths and a number)


def nested(depth):
    """depth levels of '(' with the operator changing at every level (what costs
    SQLite's parser most), two tests per level."""
    ops = ["and", "or"]
    return "".join(f"{NUM} {ops[i % 2]} (" for i in range(depth)) + NUM + ")" * depth


def test_filter_bounds_are_checked_when_saved(gw):
    srv = gw.srv
    import_csv(srv, [f"{uk_mobile(i)},N{i},,{i + 1}" for i in range(3)],
               header="phone,first_name,last_name,n")
    # The report's filter: 127 and-ed tests validated, then count answered 500.
    r = srv.post("/v1/segments", json={"name": "big", "filter": " and ".join(["mobile"] * 127)})
    p = assert_problem(r, 400, "filter_too_complex", "filter")
    assert "at most 64 tests" in p["detail"]
    # At the bounds, the costliest filters compile and count: 64 numeric tests, 16
    # levels of alternating nesting (with 31 more tests beside them), 16 nots.
    at_bounds = {
        "tests": " and ".join([NUM] * 64),
        "depth": nested(16) + " and " + " and ".join([NUM] * 31),
        "nots": "not " * 16 + NUM,
        "not-parens": "not (" * 8 + NUM + ")" * 8,
    }
    for name, text in at_bounds.items():
        r = srv.post("/v1/segments", json={"name": name, "filter": text})
        assert r.status_code == 201, f"{name}: {r.text}"
        c = srv.get(f"/v1/segments/{name}/count")
        assert c.status_code == 200, f"{name}: {c.text}"
    assert srv.get("/v1/segments/tests/count").json()["matched"] == 3
    # One past each bound: 400 filter_too_complex, on create and on update.
    past = {
        "tests": " and ".join([NUM] * 65),
        "depth": nested(17),
        "nots": "not " * 17 + NUM,
    }
    for name, text in past.items():
        r = srv.post("/v1/segments", json={"name": name + "+1", "filter": text})
        assert_problem(r, 400, "filter_too_complex", "filter")
        r = srv.patch(f"/v1/segments/{name}", json={"filter": text})
        assert_problem(r, 400, "filter_too_complex", "filter")
    # a syntax error keeps its own code
    assert_problem(srv.post("/v1/segments", json={"name": "bad", "filter": "mobile and"}),
                   400, "invalid_filter", "filter")
    # a broadcast to the deepest segment is sent
    r = srv.post("/v1/broadcasts", json={"name": "deep", "segment": "depth", "body": "hi"})
    assert r.status_code == 201, r.text
    b = wait_broadcast(srv, r.json()["id"])
    assert b["counts"]["recipients"] == 3 and b["error"] is None


@pytest.mark.sqlite_only  # looks into the SQLite file itself
def test_broadcast_whose_audience_cannot_be_computed_fails_once(gw):
    srv = gw.srv
    import_csv(srv, [f"{uk_mobile(i)},N{i},," for i in range(2)])
    r = srv.post("/v1/segments", json={"name": "old", "filter": "mobile"})
    assert r.status_code == 201, r.text
    # A filter saved by an older version, before the bounds were checked.
    with sqlite3.connect(srv.db, timeout=10) as db:
        db.execute("UPDATE segments SET filter = ? WHERE name = 'old'",
                   (" and ".join(["mobile"] * 127),))
    c = srv.get("/v1/segments/old/count")
    assert_problem(c, 422, "filter_too_complex", "filter")
    r = srv.post("/v1/broadcasts", json={"name": "stuck", "segment": "old", "body": "hi"})
    assert r.status_code == 201, r.text
    bid = r.json()["id"]
    b = wait_broadcast(srv, bid, statuses=("failed",))
    assert "at most 64 tests" in b["error"], b
    assert b["finished_at"] is not None
    # It is not tried again: once the broadcaster has finished another broadcast
    # after it, the failure has still been logged once.
    assert srv.post("/v1/groups", json={"name": "nobody-yet"}).status_code == 201
    r = srv.post("/v1/broadcasts", json={"name": "after", "group": "nobody-yet", "body": "x"})
    assert r.status_code == 201, r.text
    wait_broadcast(srv, r.json()["id"])
    log = srv.proc.stderr() + srv.proc.stdout()
    assert len(re.findall(rf"broadcast_failed\b.*{bid}", log)) == 1, log[-3000:]
    assert not re.findall(rf"broadcast_materialize_failed.*{bid}", log)
    # the CLI says so and exits 1
    cp = run_cli("broadcast", "show", bid, "--watch", "--db", srv.db)
    assert cp.returncode == 1, cp
    assert "failed" in cp.stderr and "at most 64 tests" in cp.stderr


# ---- item 17: empty audiences, last activity, the docs' example -----------------------


def test_broadcast_to_an_empty_audience_is_done_with_no_recipients(gw):
    srv = gw.srv
    assert srv.post("/v1/groups", json={"name": "empty"}).status_code == 201
    r = srv.post("/v1/segments", json={"name": "nobody", "filter": 'phone = "+10"'})
    assert r.status_code == 201
    for audience in ({"group": "empty"}, {"segment": "nobody"}):
        r = srv.post("/v1/broadcasts", json={"name": "void", "body": "hi", **audience})
        assert r.status_code == 201, r.text
        bid = r.json()["id"]
        b = wait_broadcast(srv, bid)
        assert b["counts"]["recipients"] == 0 and b["counts"]["sent"] == 0
        assert b["started_at"] is not None and b["finished_at"] is not None
        cp = run_cli("broadcast", "show", bid, "--watch", "--db", srv.db, timeout=20)
        assert cp.returncode == 0, cp
        assert "recipients 0" in cp.stdout


def test_docs_broadcast_example_segment_matches(gw):
    """docs/broadcasts.md: messages reach a number before it is a contact; the
    import, the segment "attributes.city = "London" and last_activity within 90d",
    its count and the broadcast to it."""
    srv = gw.srv
    ann, bob = "+447400123456", "+447400123457"
    m = srv.send(ann, body="your code is 1234")
    srv.wait_status(m["id"])
    csv = ["phone,first_name,last_name,city,timezone",
           "+447400123456,Ann,Lee,London,",
           "07400 123457,Bob,,Leeds,",
           "+14155552671,Cat,,San Francisco,America/Los_Angeles",
           "not a number,Dan,,Hull,"]
    r = srv.post("/v1/contacts/import", data=("\n".join(csv) + "\n").encode(),
                 params={"group": "customers", "default_region": "GB"},
                 headers={"Content-Type": "text/csv"})
    assert r.json()["imported"] == 3, r.text
    c = srv.get(f"/v1/contacts/{ann}").json()
    assert c["last_activity_at"] is not None, c
    assert srv.get(f"/v1/contacts/{bob}").json()["last_activity_at"] is None
    r = srv.post("/v1/segments", json={
        "name": "london-active",
        "filter": 'attributes.city = "London" and last_activity within 90d'})
    assert r.status_code == 201, r.text
    count = srv.get("/v1/segments/london-active/count").json()
    assert count == {"matched": 1, "eligible": 1, "skipped": {"opted_out": 0, "not_mobile": 0}}
    # a message sent to a contact is activity too
    m = srv.send(bob, body="hello Bob")
    srv.wait_status(m["id"])
    assert srv.get(f"/v1/contacts/{bob}").json()["last_activity_at"] is not None
    r = srv.post("/v1/broadcasts", json={"name": "November sale", "segment": "london-active",
                                         "body": "Hi {{first_name|there}}"})
    assert r.status_code == 201, r.text
    b = wait_broadcast(srv, r.json()["id"])
    assert b["counts"]["recipients"] == 1 and b["counts"]["sent"] == 1


@pytest.mark.sqlite_only  # looks into the SQLite file itself
def test_send_moves_an_existing_contacts_last_activity_without_a_trigger(gw):
    """Migration 12 dropped the trigger messages_activity_on_send (it ran on every
    status update of every message); the writer's own statement that records a
    send now moves the contact's last activity, to the message's creation time,
    and only once the provider accepted it."""
    srv = gw.srv
    ann, bob = uk_mobile(901), uk_mobile(902)
    import_csv(srv, [f"{ann},Ann,,Leeds", f"{bob},Bob,,Hull"])
    with sqlite3.connect(srv.db) as db:
        triggers = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")]
    assert "messages_activity_on_send" not in triggers, triggers
    assert srv.get(f"/v1/contacts/{ann}").json()["last_activity_at"] is None
    m = srv.send(ann, body="hello Ann")
    srv.wait_status(m["id"])
    msg = srv.get(f"/v1/messages/{m['id']}").json()
    assert msg["status"] in ("sent", "delivered"), msg
    assert srv.get(f"/v1/contacts/{ann}").json()["last_activity_at"] == msg["created_at"]
    # a message that is never accepted is no activity
    later = (datetime.datetime.now(datetime.timezone.utc)
             + datetime.timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    r = srv.post("/v1/messages", json={"to": bob, "body": "later", "send_at": later})
    assert r.status_code == 202, r.text
    assert srv.post(f"/v1/messages/{r.json()['id']}/cancel").status_code in (200, 202)
    assert srv.get(f"/v1/contacts/{bob}").json()["last_activity_at"] is None


# ---- item 18: stats that add up ---------------------------------------------------------

FIGURES = ("recipients", "pending", "queued", "sent", "delivered", "undelivered", "failed",
           "canceled", "replied", "opted_out", "clicked")


def figures(row):
    out = {k: row[k] for k in FIGURES}
    out.update({"skipped." + k: v for k, v in row["skipped"].items()})
    fails = {}
    for f in row["failures"]:
        fails[f["code"]] = fails.get(f["code"], 0) + f["count"]
    out["failures"] = fails
    return out


def add(a, b):
    out = dict(a)
    for k, v in b.items():
        if k == "failures":
            f = dict(out.get("failures", {}))
            for code, n in v.items():
                f[code] = f.get(code, 0) + n
            out["failures"] = f
        else:
            out[k] = out.get(k, 0) + v
    return out


def test_stats_agree_everywhere(harness):
    failing = uk_mobile(3)
    # the public URL is the server's own: status callbacks and clicks reach it
    sim = harness.start_sim("--failed-numbers", failing, "--sent-delay-ms", "0",
                            "--delivered-delay-ms", "0", callbacks=True)
    port = free_port()
    srv = harness.start_server("--public-url", f"http://127.0.0.1:{port}", port=port)
    srv.key = create_key(srv.db, "admin")
    srv.add_provider(sim.url)
    rows = [f"{uk_mobile(i)},N{i},,C" for i in range(4)] + ["+442079460000,Fixed,,C"]
    import_csv(srv, rows, group="five")
    srv.post("/v1/optouts", json={"phone": uk_mobile(0)})   # skipped: opted out
    # 5 recipients: 1 opted out, 1 landline, 3 messages (one fails)
    r = srv.post("/v1/broadcasts", json={"name": "b", "group": "five", "track_clicks": True,
                                         "body": "Hi {{first_name}} https://shop.example.com/x"})
    assert r.status_code == 201, r.text
    bid = r.json()["id"]
    wait_broadcast(srv, bid)
    # a message of no broadcast, failing too, and one that is sent
    m1 = srv.send(failing, body="direct")
    m2 = srv.send(uk_mobile(5), body="direct")
    last = {}

    def settled():
        last["t"] = srv.get("/v1/stats").json()
        return (last["t"]["failed"], last["t"]["delivered"]) == (2, 3)
    try:
        wait_for(settled, timeout=20, what="every status callback")
    except AssertionError as e:
        raise AssertionError(f"{e}: {last.get('t')}") from None
    # opt-outs after messages: one broadcast recipient, one direct recipient
    srv.post("/v1/optouts", json={"phone": uk_mobile(1)})
    srv.post("/v1/optouts", json={"phone": uk_mobile(5)})
    # one click on three sent... of the broadcast
    body = sim.messages(to=uk_mobile(2))[0]["body"]
    code = body.split("/l/")[1]
    assert requests.get(f"{srv.url}/l/{code}", allow_redirects=False,
                        timeout=5).status_code == 302

    total_r = srv.get("/v1/stats")
    total = figures(total_r.json())
    assert total["recipients"] == 7 and total["skipped.opted_out"] == 1
    assert total["skipped.not_mobile"] == 1 and total["failed"] == 2
    assert total["opted_out"] == 2 and total["clicked"] == 1
    assert total["failures"] and sum(total["failures"].values()) == 2
    for by in ("day", "provider", "broadcast"):
        data = srv.get("/v1/stats", params={"group_by": by}).json()["data"]
        s = {}
        for row in data:
            s = add(s, figures(row))
        assert s == total, f"group_by={by}: {s} != {total}"

    own = srv.get(f"/v1/broadcasts/{bid}/stats")
    rows = srv.get("/v1/stats", params={"group_by": "broadcast"}).json()["data"]
    row = next(x for x in rows if x["broadcast_id"] == bid)
    assert figures(own.json()) == figures(row)
    assert own.json()["recipients"] == 5
    assert own.json()["skipped"] == {"opted_out": 1, "not_mobile": 1, "invalid": 0}
    none = next(x for x in rows if x["broadcast_id"] is None)
    assert none["recipients"] == 2 and none["failed"] == 1 and none["opted_out"] == 1

    detail = srv.get(f"/v1/broadcasts/{bid}").json()
    listed = next(x for x in srv.get("/v1/broadcasts").json()["data"] if x["id"] == bid)
    assert listed["status"] == detail["status"] == "done"
    assert listed["counts"] == detail["counts"]

    # rates: 4 decimals at most, in the JSON text itself
    for text in (total_r.text, own.text):
        for name in ("click_through_rate", "delivery_rate"):
            m = re.search(rf'"{name}":\s*([0-9.eE+-]+|null)', text)
            assert m, text
            assert m.group(1) == "null" or re.fullmatch(r"\d+(\.\d{1,4})?", m.group(1)), \
                f"{name} is {m.group(1)}"
    assert own.json()["click_through_rate"] == 0.5  # 1 of 2 sent

    # the CLI's rows add up too, with the same total
    out = run_cli("stats", "--by", "broadcast", "--db", srv.db).stdout.splitlines()
    tot = next(x for x in out if x.startswith("total")).split()
    assert tot[1:3] == ["7", "3"], out
    assert any(x.startswith("(none)") for x in out), out
