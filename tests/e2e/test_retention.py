"""Issue 11, item 25: message bodies purged after a retention age, and a contact's
erasure (GDPR) that removes its messages' bodies and numbers, audited."""
import datetime
import json
import urllib.parse

from conftest import assert_problem, make_gateway, wait_for
from test_twoway import inbound_params, post_webhook

MOBILE = "+447400123456"
OTHER = "+447400123457"


def test_erase_contact_removes_bodies_and_numbers_keeps_stats_and_audits(harness):
    gw = make_gateway(harness)
    srv = gw.srv
    out = srv.send(MOBILE, body="your code is 123456", metadata={"user": "ada"})["id"]
    srv.wait_status(out, "sent")
    keep = srv.send(OTHER, body="someone else")["id"]
    srv.wait_status(keep, "sent")
    r = post_webhook(gw, "inbound", inbound_params("my address is 1 Main St"))
    assert r.status_code == 200, r.text
    contact = srv.get(f"/v1/contacts/{urllib.parse.quote(MOBILE)}").json()
    inbound = [t["message"]["id"] for t in
               srv.get(f"/v1/contacts/{contact['id']}/timeline").json()["data"]
               if t["message"]["direction"] == "inbound"][0]
    before = srv.get("/v1/stats").json()

    # a viewer or sender cannot erase; a bad flag is refused
    assert_problem(srv.delete(f"/v1/contacts/{contact['id']}?erase=true", key=gw.sender), 403)
    assert_problem(srv.delete(f"/v1/contacts/{contact['id']}?erase=yes"), 400, "invalid_request",
                   "erase")

    r = srv.delete(f"/v1/contacts/{contact['id']}?erase=true")
    assert r.status_code == 200, r.text
    j = r.json()
    assert j["erased"] is True and j["counts"]["messages"] == 2, j

    assert srv.get(f"/v1/contacts/{contact['id']}").status_code == 404
    m = srv.message(out)
    assert m["body"] == "" and m["to"] == "redacted" and m["metadata"] is None, m
    assert m["status"] == "sent" and m["segments"] == 1
    assert all(e["detail"] is None for e in m["events"]), m["events"]
    i = srv.message(inbound)
    assert i["body"] == "" and i["from"] == "redacted", i
    assert srv.message(keep)["body"] == "someone else"
    # nothing anywhere in the API answers still holds the number or the texts
    listing = srv.get("/v1/messages", params={"limit": 100}).text
    for secret in (MOBILE, "123456", "1 Main St"):
        assert secret not in listing
    assert srv.get("/v1/messages", params={"to": MOBILE}).json()["data"] == []

    # statistics are unchanged
    after = srv.get("/v1/stats").json()
    for k in ("recipients", "sent", "replied"):
        assert after[k] == before[k], (k, before, after)

    # the audit: who, when, what; never the number
    audit = srv.get("/v1/audit").json()["data"]
    erasures = [x for x in audit if x["action"] == "contact.erase"]  # the set-up is audited too
    assert len(erasures) == 1, audit
    a = erasures[0]
    assert a["action"] == "contact.erase" and a["subject"] == contact["id"]
    assert a["actor"].startswith("key_") and a["at"]
    assert a["detail"]["messages"] == 2
    assert MOBILE not in json.dumps(audit)
    assert_problem(srv.get("/v1/audit", key=gw.viewer), 403)
    log = srv.proc.stderr()
    assert "contact_erased" in log and f"contact={contact['id']}" in log
    erased_line = [x for x in log.splitlines() if "contact_erased" in x][0]
    assert MOBILE not in erased_line

    # erasing again: the contact is gone
    assert_problem(srv.delete(f"/v1/contacts/{contact['id']}?erase=true"), 404)


def test_retention_blanks_old_bodies_and_keeps_new_ones(harness):
    gw = make_gateway(harness, serve_args=("--retain-bodies-seconds", "2",
                                           "--retention-tick-ms", "100"))
    srv = gw.srv
    old = srv.send(MOBILE, body="old secret", metadata={"k": "v"})["id"]
    srv.wait_status(old, "sent")
    later = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=300))
    scheduled = srv.send(OTHER, body="later",
                         send_at=later.strftime("%Y-%m-%dT%H:%M:%SZ"))["id"]

    wait_for(lambda: srv.message(old)["body"] == "", timeout=10, what="the old body to go")
    m = srv.message(old)
    assert m["status"] == "sent" and m["to"] == MOBILE and m["metadata"] is None, m
    assert m["segments"] == 1 and m["created_at"]
    fresh = srv.send(MOBILE, body="new text")["id"]
    srv.wait_status(fresh, "sent")
    assert srv.message(fresh)["body"] == "new text"
    # a message still to be sent keeps its body whatever its age
    assert srv.message(scheduled)["body"] == "later"
    assert srv.get("/v1/stats").json()["sent"] >= 2
    assert "bodies_purged" in srv.proc.stderr()
