"""Keyword rules (/v1/keywords, issue 16): JOIN/LEAVE lists with playSMS's four
replies, exactly-once actions on a retried inbound, per-list opt-out, a custom
opt-out keyword, and the inbound order (a YES from a number that is not opted out
is not a resubscription). Inbound messages are signed webhooks, as in
test_twoway.py."""
import urllib.parse

from conftest import assert_problem, make_gateway, run_cli, wait_for
from test_twoway import MOBILE, inbound_params, post_webhook

JOIN = {"keyword": "JOIN", "match": "first_word", "actions": [
    {"type": "add_to_group", "group": "{{rest}}",
     "reply": "You joined {{rest}}.", "reply_already": "You are already a member of {{rest}}."}]}
LEAVE = {"keyword": "LEAVE", "match": "first_word", "actions": [
    {"type": "remove_from_group", "group": "{{rest}}",
     "reply": "You left {{rest}}.", "reply_not_member": "You were not in {{rest}}."}]}

_sids = iter(range(1, 10_000))


def inbound(gw, body, sid=None):
    sid = sid or "SM%032x" % next(_sids)
    r = post_webhook(gw, "inbound", inbound_params(body, sid=sid))
    assert r.status_code == 200, r.text
    return sid


def replies(gw, text):
    return [m for m in gw.sim.messages(to=MOBILE) if m["body"] == text]


def wait_reply(gw, text):
    return wait_for(lambda: replies(gw, text), what=f"the reply {text!r}")


def groups_of(gw, phone=MOBILE):
    names = []
    for g in gw.srv.get("/v1/groups").json()["data"]:
        members = gw.srv.get(f"/v1/groups/{g['id']}/members").json()["data"]
        if any(c["phone"] == phone for c in members):
            names.append(g["name"])
    return sorted(names)


def create(gw, rule, expect=201):
    r = gw.srv.post("/v1/keywords", json=rule)
    assert r.status_code == expect, r.text
    return r.json()


def test_join_again_leave_keeps_other_groups(gw):
    create(gw, JOIN)
    create(gw, LEAVE)
    inbound(gw, "JOIN news")
    wait_reply(gw, "You joined news.")
    assert groups_of(gw) == ["news"]
    inbound(gw, "join  sport!")
    wait_reply(gw, "You joined sport.")
    inbound(gw, "Join news")
    wait_reply(gw, "You are already a member of news.")
    inbound(gw, "LEAVE news")
    wait_reply(gw, "You left news.")
    assert groups_of(gw) == ["sport"]  # per-list opt-out: the other list stays
    inbound(gw, "leave news")
    wait_reply(gw, "You were not in news.")
    # not an opt-out: the number still receives messages
    m = gw.srv.send(MOBILE, "sport news")
    gw.srv.wait_status(m["id"], "sent")
    assert len(replies(gw, "You joined news.")) == 1
    # every match is on the contact's timeline
    c = gw.srv.get(f"/v1/contacts/{urllib.parse.quote(MOBILE)}").json()
    tl = gw.srv.get(f"/v1/contacts/{c['id']}/timeline").json()["data"]
    matched = [t["keyword"]["keyword"] for t in tl if t["type"] == "keyword"]
    assert matched == ["LEAVE", "LEAVE", "JOIN", "JOIN", "JOIN"], tl


def test_rule_replies_are_limited_per_number_the_actions_still_run(gw):
    """Anyone who can text the number could make smsgate answer again and again
    at the operator's cost: at most 6 rule replies a number per hour
    (core/reply_limit.h); the joins themselves all happen."""
    create(gw, JOIN)
    lists = [f"list{i}" for i in range(8)]
    for name in lists:
        inbound(gw, f"JOIN {name}")
    wait_for(lambda: groups_of(gw) == sorted(lists), timeout=15, what="the eight joins")
    # the replies are stored with their join, in one transaction: all there now
    out = gw.srv.get("/v1/messages", params={"to": MOBILE, "limit": 100}).json()["data"]
    joined = [m for m in out if m["body"].startswith("You joined ")]
    assert len(joined) == 6, [m["body"] for m in joined]
    wait_for(lambda: len([m for m in gw.sim.messages(to=MOBILE)
                          if m["body"].startswith("You joined ")]) == 6,
             what="six replies at the provider")
    assert "smsgate_consent_replies_limited_total 2" in gw.srv.metrics()


def test_inbound_delivered_twice_runs_its_actions_once(gw):
    create(gw, JOIN)
    sid = inbound(gw, "JOIN news")
    inbound(gw, "JOIN news", sid=sid)  # the provider retried its webhook
    wait_reply(gw, "You joined news.")
    inbound(gw, "hello")  # a later message: the replies before it are all queued
    c = gw.srv.get(f"/v1/contacts/{urllib.parse.quote(MOBILE)}").json()
    tl = gw.srv.get(f"/v1/contacts/{c['id']}/timeline").json()["data"]
    outbound = [t for t in tl if t["type"] == "message" and
                t["message"]["direction"] == "outbound"]
    assert [t["message"]["body"] for t in outbound] == ["You joined news."], tl
    assert len([t for t in tl if t["type"] == "keyword"]) == 1
    assert not replies(gw, "You are already a member of news.")


def test_yes_from_a_number_not_opted_out_is_not_a_resubscription(gw):
    create(gw, {"keyword": "YES", "actions": [
        {"type": "set_attribute", "name": "confirmed", "value": "yes"},
        {"type": "reply", "body": "Thanks, {{phone}} is confirmed."}]})
    inbound(gw, "Yes!")
    wait_reply(gw, f"Thanks, {MOBILE} is confirmed.")
    assert not [m for m in gw.sim.messages(to=MOBILE) if "resubscribed" in m["body"]]
    c = gw.srv.get(f"/v1/contacts/{urllib.parse.quote(MOBILE)}").json()
    assert c["attributes"]["confirmed"] == "yes"
    tl = gw.srv.get(f"/v1/contacts/{c['id']}/timeline").json()["data"]
    assert not [t for t in tl if t["type"] == "consent"]
    # from an opted-out number YES still resubscribes, before any rule
    inbound(gw, "STOP")
    inbound(gw, "YES")
    wait_for(lambda: [m for m in gw.sim.messages(to=MOBILE) if "resubscribed" in m["body"]],
             what="the resubscription")
    assert gw.srv.get("/v1/optouts").json()["data"] == []


def test_yes_without_rules_from_a_subscribed_number_sends_nothing(gw):
    inbound(gw, "YES")
    inbound(gw, "HELP")  # answered: the YES before it was handled first
    wait_for(lambda: [m for m in gw.sim.messages(to=MOBILE) if "Reply STOP" in m["body"]],
             what="the HELP answer")
    assert not [m for m in gw.sim.messages(to=MOBILE) if "resubscribed" in m["body"]]


def test_custom_opt_out_keyword(harness):
    gw = make_gateway(harness, serve_args=("--opt-out-keywords", "ARRET,Baja"))
    inbound(gw, "arrêt")  # not ASCII: not the keyword
    inbound(gw, "Arret.")
    wait_for(lambda: [m for m in gw.sim.messages(to=MOBILE) if "unsubscribed" in m["body"]],
             what="the opt-out confirmation")
    opts = gw.srv.get("/v1/optouts").json()["data"]
    assert [(o["phone"], o["source"]) for o in opts] == [(MOBILE, "keyword")]
    # a rule cannot take a custom opt-out keyword either
    r = gw.srv.post("/v1/keywords", json={"keyword": "baja", "actions": [{"type": "webhook"}]})
    assert_problem(r, 422, "reserved_keyword", "keyword")


def test_bad_extra_keyword_is_a_usage_error(tmp_path):
    r = run_cli("serve", "--db", str(tmp_path / "x.db"), "--opt-in-keywords", "STOP")
    assert r.returncode == 2
    assert "--opt-in-keywords" in r.stderr and "opt_out" in r.stderr


def test_rules_crud_validation_and_audit(gw):
    r = gw.srv.post("/v1/keywords", json={"keyword": "stop", "actions": [{"type": "webhook"}]})
    assert_problem(r, 422, "reserved_keyword", "keyword")
    r = gw.srv.post("/v1/keywords", json={"keyword": "Help!", "actions": [{"type": "webhook"}]})
    assert_problem(r, 422, "reserved_keyword", "keyword")
    r = gw.srv.post("/v1/keywords", json={"keyword": "J", "actions": [{"type": "teleport"}]})
    assert_problem(r, 400, "unknown_action", "actions[0].type")
    assert "add_to_group" in r.json()["detail"] and "enroll" in r.json()["detail"]
    r = gw.srv.post("/v1/keywords", json={"keyword": "J", "actions": [{"type": "enroll"}]})
    assert_problem(r, 400, "invalid_request", "actions[0].journey")
    r = gw.srv.post("/v1/keywords", json={"keyword": "J", "match": "regex",
                                          "actions": [{"type": "webhook"}]})
    assert_problem(r, 400, "invalid_request", "match")
    r = gw.srv.post("/v1/keywords", json={"keyword": "J", "actions": []})
    assert_problem(r, 400, "invalid_request", "actions")
    r = gw.srv.post("/v1/keywords", json={"keyword": "J", "actions": [{"type": "webhook"}] * 9})
    assert_problem(r, 400, "invalid_request", "actions")
    r = gw.srv.post("/v1/keywords", json={"keyword": "J", "actions": [
        {"type": "add_to_group", "reply": "x"}]})
    assert_problem(r, 400, "invalid_request", "actions[0].group")
    r = gw.srv.post("/v1/keywords", json={"keyword": "J", "actions": [
        {"type": "reply", "body": "hi {{first_name"}]})
    assert_problem(r, 400, "invalid_template", "actions[0].body")
    r = gw.srv.post("/v1/keywords", json={"keyword": "J", "to": "nope",
                                          "actions": [{"type": "webhook"}]})
    assert_problem(r, 400, "invalid_phone", "to")
    r = gw.srv.post("/v1/keywords", json={"keyword": "x" * 65, "actions": [{"type": "webhook"}]})
    assert_problem(r, 400, "invalid_request", "keyword")
    low = create(gw, {"keyword": "win*", "match": "glob", "priority": -5,
                      "actions": [{"type": "webhook"}]})
    high = create(gw, {"keyword": " Pizza ", "priority": 10, "actions": [{"type": "webhook"}]})
    assert high["keyword"] == "PIZZA" and high["match"] == "exact" and high["to"] is None
    r = gw.srv.post("/v1/keywords", json={"keyword": "pizza", "actions": [{"type": "webhook"}]})
    assert_problem(r, 409, "conflict", "keyword")
    assert [x["id"] for x in gw.srv.get("/v1/keywords").json()["data"]] == [high["id"], low["id"]]
    r = gw.srv.patch(f"/v1/keywords/{low['id']}", json={"priority": 50})
    assert r.status_code == 200 and r.json()["priority"] == 50
    assert [x["id"] for x in gw.srv.get("/v1/keywords").json()["data"]] == [low["id"], high["id"]]
    r = gw.srv.request("POST", "/v1/keywords", key=gw.viewer,
                       json={"keyword": "J", "actions": [{"type": "webhook"}]})
    assert r.status_code == 403
    assert gw.srv.delete(f"/v1/keywords/{high['id']}").status_code == 204
    assert_problem(gw.srv.get(f"/v1/keywords/{high['id']}"), 404, "not_found")
    actions = [a["action"] for a in gw.srv.get("/v1/audit").json()["data"]]
    for a in ("keyword.create", "keyword.update", "keyword.delete"):
        assert a in actions, actions


def test_matched_webhook_event(gw, tmp_path):
    # the event is queued with the message, for subscribers of message.matched
    r = gw.srv.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/hook",
                                          "events": ["message.matched"]})
    assert r.status_code == 201, r.text
    hook = r.json()
    rule = create(gw, {"keyword": "INFO*", "match": "glob", "actions": [{"type": "webhook"}]})
    inbound(gw, "information please")

    def delivered():
        d = gw.srv.get(f"/v1/webhooks/{hook['id']}/deliveries").json()["data"]
        return d or None
    d = wait_for(delivered, what="the message.matched delivery")
    assert d[0]["event"] == "message.matched", d


def test_cli_add_list_edit_show_remove(tmp_path):
    db = str(tmp_path / "kw.db")
    assert run_cli("migrate", "--db", db).returncode == 0
    r = run_cli("keyword", "add", '{"keyword": "join", "match": "first_word", "actions": '
                '[{"type": "add_to_group", "group": "{{rest}}"}]}', "--db", db)
    assert r.returncode == 0, r.stderr
    import json
    rule = json.loads(r.stdout)
    assert rule["keyword"] == "JOIN"
    r = run_cli("keyword", "add", '{"keyword": "STOP", "actions": [{"type": "webhook"}]}',
                "--db", db)
    assert r.returncode == 1 and "opt-out keyword" in r.stderr and r.stderr.count("\n") == 1
    r = run_cli("keyword", "add", '{"keyword": "x", "actions": [{"type": "enrol"}]}', "--db", db)
    assert r.returncode == 1 and "actions[0].type" in r.stderr
    spec = tmp_path / "edit.json"
    spec.write_text('{"priority": 7}')
    r = run_cli("keyword", "edit", rule["id"], "@" + str(spec), "--db", db)
    assert r.returncode == 0, r.stderr
    r = run_cli("keyword", "list", "--json", "--db", db)
    assert [(x["id"], x["priority"]) for x in json.loads(r.stdout)["data"]] == [(rule["id"], 7)]
    assert run_cli("keyword", "show", rule["id"], "--db", db).returncode == 0
    assert run_cli("keyword", "remove", rule["id"], "--db", db).returncode == 0
    r = run_cli("keyword", "show", rule["id"], "--db", db)
    assert r.returncode == 1 and "no keyword rule" in r.stderr
    assert run_cli("keyword", "bogus", "--db", db).returncode == 2
