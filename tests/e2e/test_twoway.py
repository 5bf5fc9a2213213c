"""Two-way messaging: delivery reports, inbound messages, contacts, opt-outs.

Provider webhooks are signed here in Python exactly as providers.md A.9 says
(independently of smsgate's C implementation), or by the simulator."""
import base64
import hashlib
import hmac
import re
import urllib.parse

import pytest
import requests

from conftest import (ACCOUNT_SID, AUTH_TOKEN, FROM, assert_problem, make_gateway, wait_for)

MOBILE = "+447400123456"


def twilio_signature(token, url, params):
    data = url + "".join(k + v for k, v in sorted(params.items()))
    return base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def post_webhook(gw, kind, params, token=AUTH_TOKEN, signature=None, unsigned=False):
    path = f"/callbacks/{gw.provider['id']}/{kind}"
    url = gw.provider["callback_urls"][kind]
    assert url.endswith(path)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if not unsigned:
        headers["X-Twilio-Signature"] = signature or twilio_signature(token, url, params)
    body = urllib.parse.urlencode(params)  # spaces as '+', as Twilio sends them
    return requests.post(gw.srv.url + path, data=body, headers=headers, timeout=10)


def status_params(sid, status, **extra):
    p = {"MessageSid": sid, "SmsSid": sid, "MessageStatus": status, "SmsStatus": status,
         "AccountSid": "AC" + "0123456789abcdef" * 2, "From": FROM, "To": MOBILE,
         "ApiVersion": "2010-04-01"}
    p.update(extra)
    return p


def inbound_params(body, sid="SM" + "ab" * 16, frm=MOBILE):
    return {"MessageSid": sid, "SmsSid": sid, "SmsMessageSid": sid,
            "AccountSid": "AC" + "0123456789abcdef" * 2, "From": frm, "To": FROM,
            "Body": body, "NumMedia": "0", "NumSegments": "1", "SmsStatus": "received",
            "ApiVersion": "2010-04-01", "ToCountry": "US", "FromCountry": "GB"}


def sent_message(gw, to=MOBILE):
    m = gw.srv.send(to, "two-way test")
    return gw.srv.wait_status(m["id"], "sent")


def wait_report(gw, mid, status, timeout=10):
    """Wait for a status a delivery report sets ("sent" is not final here)."""
    return wait_for(lambda: (lambda m: m if m["status"] == status else None)(gw.srv.message(mid)),
                    timeout=timeout, what=f"{mid} to become {status}")


def callback_metric(gw, kind, result):
    m = re.search(r'^smsgate_callbacks_total\{kind="%s",result="%s"\} (\d+)$' % (kind, result),
                  gw.srv.metrics(), re.M)
    return int(m.group(1)) if m else None


# ---- delivery reports ------------------------------------------------------------------


def test_delivered_through_simulator_callbacks(harness):
    gw = make_gateway(harness, callbacks=True)
    m = gw.srv.send(MOBILE, "deliver me")
    done = wait_report(gw, m["id"], "delivered")
    statuses = [e["status"] for e in done["events"]]
    assert statuses == ["queued", "sending", "sent", "delivered"], done["events"]
    assert callback_metric(gw, "status", "applied") >= 1


def test_undelivered_with_error_code_from_the_catalogue(harness):
    gw = make_gateway(harness, sim_args=("--undelivered", "+447400123457"), callbacks=True)
    m = gw.srv.send("+447400123457", "will not arrive")
    done = wait_report(gw, m["id"], "undelivered")
    assert done["error_code"] == "30003"
    assert "Unreachable" in done["error_message"], done
    codes = gw.srv.get("/v1/error-codes").json()["data"]
    entry = next(c for c in codes if c["code"] == "30003")
    assert entry["provider"] == "twilio" and entry["class"] == "temporary"


def test_forged_and_unsigned_status_callbacks_are_refused(gw):
    m = sent_message(gw)
    sid = m["provider_message_id"]
    r = post_webhook(gw, "status", status_params(sid, "delivered"), token="not-the-token")
    assert_problem(r, 403, "forbidden")
    r = post_webhook(gw, "status", status_params(sid, "delivered"), unsigned=True)
    assert_problem(r, 403, "forbidden")
    # a valid signature over other parameters does not cover these
    good = twilio_signature(AUTH_TOKEN, gw.provider["callback_urls"]["status"],
                            status_params(sid, "failed"))
    r = post_webhook(gw, "status", status_params(sid, "delivered"), signature=good)
    assert_problem(r, 403, "forbidden")
    after = gw.srv.message(m["id"])
    assert after["status"] == "sent"
    assert [e["status"] for e in after["events"]] == ["queued", "sending", "sent"]
    assert callback_metric(gw, "status", "forbidden") == 3


def test_duplicate_and_out_of_order_callbacks_change_nothing(gw):
    m = sent_message(gw)
    sid = m["provider_message_id"]
    for status in ("delivered", "delivered", "sent", "sending", "undelivered"):
        r = post_webhook(gw, "status", status_params(sid, status))
        assert r.status_code == 200, r.text
        assert r.headers["Content-Type"].startswith("text/xml")
    after = gw.srv.message(m["id"])
    assert after["status"] == "delivered"
    assert [e["status"] for e in after["events"]] == ["queued", "sending", "sent", "delivered"]


def test_callback_for_unknown_message_is_200_and_counted(gw):
    r = post_webhook(gw, "status", status_params("SM" + "9" * 32, "delivered"))
    assert r.status_code == 200
    assert callback_metric(gw, "status", "unknown") == 1


def test_unknown_params_and_plus_or_percent20_spaces_verify(gw):
    m = sent_message(gw)
    sid = m["provider_message_id"]
    params = status_params(sid, "undelivered", ErrorCode="30005",
                           ErrorMessage="Unknown destination handset", SomethingNew="a b")
    url = gw.provider["callback_urls"]["status"]
    sig = twilio_signature(AUTH_TOKEN, url, params)
    body = urllib.parse.urlencode(params, quote_via=urllib.parse.quote)  # spaces as %20
    r = requests.post(gw.srv.url + f"/callbacks/{gw.provider['id']}/status", data=body,
                      headers={"Content-Type": "application/x-www-form-urlencoded",
                               "X-Twilio-Signature": sig}, timeout=10)
    assert r.status_code == 200, r.text
    after = gw.srv.message(m["id"])
    assert after["status"] == "undelivered"
    assert after["error_code"] == "30005"
    assert after["error_message"] == "Unknown destination handset"


def test_callback_to_unknown_provider_is_404(gw):
    r = requests.post(gw.srv.url + "/callbacks/prv_00000000000000000000000000/status",
                      data="a=b", headers={"Content-Type": "application/x-www-form-urlencoded"},
                      timeout=10)
    assert_problem(r, 404, "not_found")


# ---- inbound, contacts, opt-out ----------------------------------------------------


def test_inbound_creates_contact_and_timeline(gw):
    out = sent_message(gw)
    r = post_webhook(gw, "inbound", inbound_params("Hello back!"))
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("text/xml")
    assert "<Response" in r.text
    c = gw.srv.get(f"/v1/contacts/{urllib.parse.quote(MOBILE)}")
    assert c.status_code == 200, c.text
    contact = c.json()
    assert contact["phone"] == MOBILE and contact["opted_out"] is False
    tl = gw.srv.get(f"/v1/contacts/{contact['id']}/timeline").json()["data"]
    kinds = [(t["type"], t["message"]["direction"]) for t in tl]
    assert kinds == [("message", "inbound"), ("message", "outbound")], tl
    assert tl[0]["message"]["body"] == "Hello back!"
    assert tl[0]["message"]["status"] == "received"
    assert tl[1]["message"]["id"] == out["id"]
    # the same webhook again (Twilio retried) adds nothing
    post_webhook(gw, "inbound", inbound_params("Hello back!"))
    assert len(gw.srv.get(f"/v1/contacts/{contact['id']}/timeline").json()["data"]) == 2


def test_stop_opts_out_confirms_and_blocks(gw):
    scheduled = gw.srv.send(MOBILE, "later", send_at=_soon(3600))
    r = post_webhook(gw, "inbound", inbound_params("Stop."))
    assert r.status_code == 200, r.text
    # the confirmation is queued and sent, although the number is now opted out
    def confirmed():
        return [m for m in gw.sim.messages(to=MOBILE) if "unsubscribed" in m["body"]]
    wait_for(confirmed, what="the STOP confirmation at the simulator")
    # sending again is refused
    r = gw.srv.post("/v1/messages", json={"to": MOBILE, "body": "hello?"})
    assert_problem(r, 422, "opted_out", "to")
    # batch: a rejected row
    r = gw.srv.post("/v1/messages/batch", json={"messages": [
        {"to": MOBILE, "body": "x"}, {"to": "+447400123458", "body": "y"}]})
    assert r.status_code == 202
    assert [x["code"] for x in r.json()["rejected"]] == ["opted_out"]
    # listed with its source
    opts = gw.srv.get("/v1/optouts").json()["data"]
    assert [(o["phone"], o["source"]) for o in opts] == [(MOBILE, "keyword")]
    contact = gw.srv.get(f"/v1/contacts/{urllib.parse.quote(MOBILE)}").json()
    assert contact["opted_out"] is True
    tl = gw.srv.get(f"/v1/contacts/{contact['id']}/timeline").json()["data"]
    consent = [t for t in tl if t["type"] == "consent"]
    assert consent and consent[0]["consent"]["new"] == "opted_out"
    assert consent[0]["consent"]["source"] == "keyword"
    assert scheduled["status"] == "scheduled"


def test_message_queued_before_stop_is_never_dispatched(gw):
    hold = gw.srv.send(MOBILE, "queued before STOP", send_at=_soon(2))
    assert hold["status"] == "scheduled"
    r = post_webhook(gw, "inbound", inbound_params("STOP", sid="SM" + "cd" * 16))
    assert r.status_code == 200
    done = gw.srv.wait_status(hold["id"], "failed", timeout=15)
    assert done["error_code"] == "opted_out"
    assert not [m for m in gw.sim.messages(to=MOBILE) if m["body"] == "queued before STOP"]


def _soon(seconds):
    import datetime
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_start_resubscribes(gw):
    post_webhook(gw, "inbound", inbound_params("stop", sid="SM" + "01" * 16))
    gw.srv.send(MOBILE, "x", expect=422)
    r = post_webhook(gw, "inbound", inbound_params("START", sid="SM" + "02" * 16))
    assert r.status_code == 200
    wait_for(lambda: [m for m in gw.sim.messages(to=MOBILE) if "resubscribed" in m["body"]],
             what="the START confirmation")
    m = gw.srv.send(MOBILE, "welcome back")
    gw.srv.wait_status(m["id"], "sent")
    assert gw.srv.get("/v1/optouts").json()["data"] == []


def test_help_answers_without_consent_change(gw):
    post_webhook(gw, "inbound", inbound_params("help", sid="SM" + "03" * 16))
    wait_for(lambda: [m for m in gw.sim.messages(to=MOBILE) if "Reply STOP" in m["body"]],
             what="the HELP answer")
    gw.srv.send(MOBILE, "still subscribed")


def test_stop_sending_me_these_is_not_a_keyword(gw):
    post_webhook(gw, "inbound", inbound_params("stop sending me these", sid="SM" + "04" * 16))
    gw.srv.send(MOBILE, "not opted out")
    assert gw.srv.get("/v1/optouts").json()["data"] == []


def test_forged_inbound_changes_nothing(gw):
    r = post_webhook(gw, "inbound", inbound_params("STOP"), token="wrong")
    assert_problem(r, 403, "forbidden")
    assert gw.srv.get("/v1/optouts").json()["data"] == []
    assert gw.srv.get(f"/v1/contacts/{urllib.parse.quote(MOBILE)}").status_code == 404


def test_provider_21610_marks_opted_out(gw):
    m = gw.srv.send("+15005550004", "blocked by Twilio")
    done = gw.srv.wait_status(m["id"], "failed")
    assert done["error_code"] == "21610"
    opts = gw.srv.get("/v1/optouts").json()["data"]
    assert [(o["phone"], o["source"]) for o in opts] == [("+15005550004", "provider")]


def test_optouts_by_hand(gw):
    r = gw.srv.post("/v1/optouts", json={"phone": "+447400123459", "reason": "asked by phone"})
    assert r.status_code == 201, r.text
    assert r.json()["source"] == "api"
    gw.srv.send("+447400123459", "x", expect=422)
    r = gw.srv.post("/v1/optouts", json={"phone": "+447400123459"}, key=gw.sender)
    assert_problem(r, 403, "forbidden")
    r = gw.srv.delete("/v1/optouts/%2B447400123459")
    assert r.status_code == 204, r.text
    gw.srv.send("+447400123459", "x")
    r = gw.srv.delete("/v1/optouts/%2B447400123459")
    assert_problem(r, 404, "not_found")


def test_contacts_crud(gw):
    r = gw.srv.post("/v1/contacts", json={"phone": "+447400123460", "first_name": "Ada",
                                          "last_name": "Lovelace", "attributes": {"tier": "gold"}})
    assert r.status_code == 201, r.text
    c = r.json()
    assert c["id"].startswith("ctc_") and c["mobile"] is True and c["opted_out"] is False
    r = gw.srv.post("/v1/contacts", json={"phone": "+44 7400 123460"})
    assert_problem(r, 409, "conflict", "phone")
    r = gw.srv.post("/v1/contacts", json={"phone": "12"})
    assert_problem(r, 400, "invalid_phone", "phone")
    r = gw.srv.patch(f"/v1/contacts/{c['id']}", json={"first_name": "Augusta"})
    assert r.status_code == 200 and r.json()["first_name"] == "Augusta"
    assert r.json()["attributes"] == {"tier": "gold"}
    listing = gw.srv.get("/v1/contacts").json()
    assert [x["id"] for x in listing["data"]] == [c["id"]]
    assert gw.srv.delete(f"/v1/contacts/{c['id']}").status_code == 204
    assert gw.srv.get(f"/v1/contacts/{c['id']}").status_code == 404


def test_inbound_through_simulator_inject(harness):
    gw = make_gateway(harness)
    r = requests.post(gw.sim.url + "/sim/inbound", json={
        "url": gw.provider["callback_urls"]["inbound"], "from": MOBILE, "to": FROM,
        "body": "STOP"}, timeout=10)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["http_status"] == 200 and "<Response" in answer["body"]
    wait_for(lambda: gw.srv.get("/v1/optouts").json()["data"], what="the opt-out")


def test_reply_texts_are_configurable(harness):
    gw = make_gateway(harness, serve_args=("--reply-stop", "Bye from Example Charity",
                                           "--reply-help", "-"))
    post_webhook(gw, "inbound", inbound_params("help", sid="SM" + "05" * 16))
    post_webhook(gw, "inbound", inbound_params("STOP", sid="SM" + "06" * 16))
    wait_for(lambda: [m for m in gw.sim.messages(to=MOBILE)
                      if m["body"] == "Bye from Example Charity"], what="the custom STOP reply")
    # '-' means no reply to HELP: only the STOP reply reached the provider
    assert [m["body"] for m in gw.sim.messages(to=MOBILE)] == ["Bye from Example Charity"]


# ---- consent confirmations: who they come from, how often (issue 11 item 5) -------------


def consent_replies(gw, to=MOBILE):
    """The outbound messages smsgate stored to `to` (replies, since no test here sends)."""
    r = gw.srv.get("/v1/messages", params={"to": to, "limit": 100})
    assert r.status_code == 200, r.text
    return [m for m in r.json()["data"] if m["direction"] == "outbound"]


def limited_metric(gw):
    m = re.search(r"^smsgate_consent_replies_limited_total (\d+)$", gw.srv.metrics(), re.M)
    return int(m.group(1)) if m else None


def test_stop_written_to_a_forged_sender_is_confirmed_from_the_real_one(gw):
    """A forged inbound To=PAYPAL must not make smsgate send "from PAYPAL"."""
    params = inbound_params("STOP", sid="SM" + "e1" * 16)
    params["To"] = "PAYPAL"
    r = post_webhook(gw, "inbound", params)
    assert r.status_code == 200, r.text
    got = wait_for(lambda: [m for m in gw.sim.messages(to=MOBILE) if "unsubscribed" in m["body"]],
                   what="the STOP confirmation at the simulator")
    assert [m["from"] for m in got] == [FROM], got
    # the sender picked from the pool is stored with the send's outcome, which may
    # land just after the simulator has the message
    wait_for(lambda: [m["from"] for m in consent_replies(gw)] == [FROM],
             what="the stored confirmation's sender")
    # the number the reply came to, when it is the provider's, is kept
    r = post_webhook(gw, "inbound", inbound_params("START", sid="SM" + "e2" * 16))
    assert r.status_code == 200, r.text
    got = wait_for(lambda: [m for m in gw.sim.messages(to=MOBILE) if "resubscribed" in m["body"]],
                   what="the START confirmation")
    assert [m["from"] for m in got] == [FROM], got
    assert "PAYPAL" not in [m["from"] for m in gw.sim.messages()]


def test_messaging_service_reply_uses_the_service(harness):
    mg = "MG" + "4d" * 16
    gw = make_gateway(harness)
    r = gw.srv.post("/v1/providers", json={"name": "svc", "kind": "twilio", "default": True,
                                           "config": {"account_sid": ACCOUNT_SID,
                                                      "auth_token": AUTH_TOKEN,
                                                      "messaging_service_sid": mg,
                                                      "base_url": gw.sim.url, "mps": 1000}})
    assert r.status_code == 201, r.text
    gw.provider = r.json()
    # Twilio names the service the number belongs to: the reply comes from that number
    params = inbound_params("HELP", sid="SM" + "e3" * 16)
    params["MessagingServiceSid"] = mg
    assert post_webhook(gw, "inbound", params).status_code == 200
    assert [m["from"] for m in consent_replies(gw)] == [FROM]
    # a To the service does not vouch for: the service picks the sender
    params = inbound_params("STOP", sid="SM" + "e4" * 16)
    params["To"] = "PAYPAL"
    assert post_webhook(gw, "inbound", params).status_code == 200
    got = wait_for(lambda: [m for m in gw.sim.messages(to=MOBILE) if "unsubscribed" in m["body"]],
                   what="the STOP confirmation")
    assert got[0].get("from") in (None, ""), got
    assert got[0]["messaging_service_sid"] == mg


def test_repeated_help_gets_one_reply(gw):
    """SMS pumping: HELP five times from one number is answered once (one reply per
    keyword kind per number per 10 minutes); another number still gets its own."""
    for i in range(5):
        r = post_webhook(gw, "inbound", inbound_params("HELP", sid="SM%032d" % i))
        assert r.status_code == 200, r.text
    assert len(consent_replies(gw)) == 1
    assert limited_metric(gw) == 4
    wait_for(lambda: [m for m in gw.sim.messages(to=MOBILE) if "Reply STOP" in m["body"]],
             what="the one HELP answer")
    other = "+447400123499"
    r = post_webhook(gw, "inbound", inbound_params("HELP", sid="SM" + "f0" * 16, frm=other))
    assert r.status_code == 200
    assert len(consent_replies(gw, to=other)) == 1
    assert len(consent_replies(gw)) == 1
