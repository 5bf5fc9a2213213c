"""Journeys (/v1/journeys, issue 16): a reply branch with a timeout where each
contact gets exactly the right texts once, kill -9 with messages in flight and
waits pending (no step twice, none skipped), STOP mid-journey, a YES answering a
journey rather than resubscribing, JOIN through a keyword rule's enroll action,
the group trigger, validation naming the step, states, roles and audit. Inbound
messages are signed webhooks, as in test_twoway.py."""
import collections
import signal
import urllib.parse

import json

from conftest import assert_problem, run_cli, wait_for
from test_twoway import MOBILE, inbound_params, post_webhook

_sids = iter(range(1, 10_000))


def phones(n, base=500):
    return [f"+447400123{base + i:03d}" for i in range(n)]


def inbound(gw, body, frm=MOBILE):
    sid = "SM%032x" % (0xA000 + next(_sids))
    r = post_webhook(gw, "inbound", inbound_params(body, sid=sid, frm=frm))
    assert r.status_code == 200, r.text


def create(srv, doc, expect=201):
    r = srv.post("/v1/journeys", json=doc)
    assert r.status_code == expect, r.text
    return r.json()


def activate(srv, j):
    r = srv.post(f"/v1/journeys/{j['id']}/activate")
    assert r.status_code == 200, r.text
    return r.json()


def enroll(srv, j, contacts):
    r = srv.post(f"/v1/journeys/{j['id']}/enroll", json={"contacts": contacts})
    assert r.status_code == 200, r.text
    return r.json()


def enrollments(srv, j):
    r = srv.get(f"/v1/journeys/{j['id']}/enrollments?limit=1000")
    assert r.status_code == 200, r.text
    return r.json()["data"]


def texts(sim, to):
    return [m["body"] for m in sim.messages(to=to)]


def stored_texts(srv, to):
    """The outbound messages smsgate queued to `to` (not what reached the provider:
    a send in flight at a crash may reach it twice, as test_crash.py explains)."""
    q = urllib.parse.quote(to)
    data = srv.get(f"/v1/messages?to={q}&limit=100").json()["data"]
    return sorted(m["body"] for m in data if m["direction"] == "outbound")


def all_exited(srv, j, n):
    es = enrollments(srv, j)
    return es if len(es) == n and all(e["state"] == "exited" for e in es) else None


ASK = {
    "name": "offers",
    "trigger": {"type": "api"},
    "steps": [
        {"id": "ask", "type": "send", "body": "Hi {{phone}}, reply YES for offers"},
        {"id": "answer", "type": "wait_for_reply", "timeout_seconds": 2,
         "branches": [{"match": "YES*", "next": "thanks"}], "no_reply": "nudge"},
        {"id": "thanks", "type": "send", "body": "Thanks! Offers are on their way.",
         "next": "done"},
        {"id": "nudge", "type": "send", "body": "Last chance: reply YES"},
        {"id": "done", "type": "end"},
    ],
}


def test_reply_branch_and_timeout_each_text_once(gw):
    j = activate(gw.srv, create(gw.srv, ASK))
    people = [MOBILE] + phones(3)
    res = enroll(gw.srv, j, people)
    assert res["enrolled"] == 4, res
    yes = people[:2]
    wait_for(lambda: all(e["waiting"] == "reply" for e in enrollments(gw.srv, j)),
             what="every enrolment waiting for its reply")
    inbound(gw, "Yes please", frm=yes[0])
    inbound(gw, "yes!", frm=yes[1])
    wait_for(lambda: all_exited(gw.srv, j, 4), timeout=15, what="every enrolment to end")
    wait_for(lambda: all(len(texts(gw.sim, p)) == 2 for p in people), what="the second texts")
    for p in yes:
        assert texts(gw.sim, p) == [f"Hi {p}, reply YES for offers",
                                    "Thanks! Offers are on their way."], p
    for p in people[2:]:
        assert texts(gw.sim, p) == [f"Hi {p}, reply YES for offers", "Last chance: reply YES"], p
    # a YES from a number that never opted out answers the journey: no resubscription
    assert not [m for m in gw.sim.messages() if "resubscribed" in m["body"]]
    assert gw.srv.get("/v1/optouts").json()["data"] == []
    stats = gw.srv.get(f"/v1/journeys/{j['id']}/stats").json()
    by = {s["step"]: s for s in stats["steps"]}
    assert [s["step"] for s in stats["steps"]] == ["ask", "answer", "thanks", "nudge", "done"]
    assert by["ask"]["sent"] == 4 and by["ask"]["entered"] == 4
    assert by["answer"]["replied"] == 2 and by["answer"]["completed"] == 4
    assert by["thanks"]["sent"] == 2 and by["nudge"]["sent"] == 2
    assert {(x["step"], x["reason"]): x["count"] for x in stats["exits"]} == {
        ("done", "completed"): 4}, stats
    es = enrollments(gw.srv, j)
    assert {e["step"] for e in es} == {"done"} and {e["exit_reason"] for e in es} == {"completed"}
    # enter, each step and the exit are on the contact's timeline
    c = gw.srv.get(f"/v1/contacts/{urllib.parse.quote(yes[0])}").json()
    tl = gw.srv.get(f"/v1/contacts/{c['id']}/timeline?limit=100").json()["data"]
    events = [(t["journey"]["event"], t["journey"]["step"], t["journey"]["reason"])
              for t in reversed(tl) if t["type"] == "journey"]
    assert events == [("enter", "ask", None), ("step", "answer", None), ("step", "thanks", None),
                      ("step", "done", None), ("exit", "done", "completed")], events


def test_stop_mid_journey_ends_it(gw):
    j = activate(gw.srv, create(gw.srv, {
        "name": "drip", "trigger": {"type": "api"},
        "steps": [{"id": "one", "type": "send", "body": "first"},
                  {"id": "pause", "type": "wait", "seconds": 2},
                  {"id": "two", "type": "send", "body": "second"}]}))
    witness = phones(1, base=700)[0]
    enroll(gw.srv, j, [MOBILE, witness])
    wait_for(lambda: texts(gw.sim, MOBILE) == ["first"], what="the first text")
    inbound(gw, "STOP")
    wait_for(lambda: [e for e in enrollments(gw.srv, j)
                      if e["phone"] == MOBILE and e["exit_reason"] == "opted_out"],
             what="the STOP to end the enrolment")
    # the witness, enrolled at the same time, gets its second text; the STOP does not
    wait_for(lambda: texts(gw.sim, witness) == ["first", "second"], what="the witness's text")
    wait_for(lambda: all_exited(gw.srv, j, 2), what="both enrolments to end")
    assert [t for t in texts(gw.sim, MOBILE) if t != "first"] == [
        t for t in texts(gw.sim, MOBILE) if "unsubscribed" in t]
    stats = gw.srv.get(f"/v1/journeys/{j['id']}/stats").json()
    assert ("pause", "opted_out") in {(x["step"], x["reason"]) for x in stats["exits"]}, stats
    # an opted-out number is never enrolled again
    res = enroll(gw.srv, j, [MOBILE])
    assert res["results"][0]["result"] == "opted_out"


KILL = {
    "name": "crash",
    "trigger": {"type": "api"},
    "steps": [
        {"id": "one", "type": "send", "body": "one"},
        {"id": "w", "type": "wait", "seconds": 2},
        {"id": "two", "type": "send", "body": "two"},
        {"id": "r", "type": "wait_for_reply", "timeout_seconds": 1},
        {"id": "three", "type": "send", "body": "three"},
    ],
}


def test_kill9_mid_journey_no_step_twice_none_skipped(harness):
    sim = harness.start_sim("--latency-ms", "200")
    srv = harness.start_server("--lease", "2", "--poll-ms", "50")
    from conftest import create_key
    srv.key = create_key(srv.db, "admin")
    srv.add_provider(sim.url)
    j = activate(srv, create(srv, KILL))
    people = phones(30, base=800)
    enroll(srv, j, people)
    # crash with sends in flight (each takes 200 ms at the provider) and waits pending
    wait_for(lambda: sim.stats()["accepted"] >= 3, timeout=10, interval=0.005,
             what="the first sends to reach the simulator")
    srv.proc.kill9()
    assert srv.proc.popen.returncode == -signal.SIGKILL
    srv2 = harness.restart(srv)
    wait_for(lambda: all_exited(srv2, j, len(people)), timeout=60,
             what="every enrolment to finish after the restart")
    for p in people:
        assert stored_texts(srv2, p) == ["one", "three", "two"], p
    wait_for(lambda: all(set(texts(sim, p)) == {"one", "two", "three"} for p in people),
             timeout=30, what="every text to reach the provider")
    counts = collections.Counter(
        (e["step"], e["exit_reason"]) for e in enrollments(srv2, j))
    assert counts == {("three", "completed"): len(people)}, counts
    stats = srv2.get(f"/v1/journeys/{j['id']}/stats").json()
    by = {s["step"]: s for s in stats["steps"]}
    for step in ("one", "two", "three"):
        assert by[step]["sent"] == len(people), by[step]
        assert by[step]["entered"] == len(people), by[step]


def test_join_keyword_rule_enrolls(gw):
    j = activate(gw.srv, create(gw.srv, {
        "name": "welcome", "trigger": {"type": "api"},
        "steps": [{"id": "hi", "type": "send", "body": "Welcome to the club"}]}))
    r = gw.srv.post("/v1/keywords", json={"keyword": "JOIN", "actions": [
        {"type": "enroll", "journey": j["id"]}]})
    assert r.status_code == 201, r.text
    r = gw.srv.post("/v1/keywords", json={"keyword": "J2", "actions": [
        {"type": "enroll", "journey": "jny_nope"}]})
    assert_problem(r, 422, "unknown_journey", "actions[0].journey")
    inbound(gw, "join")
    wait_for(lambda: texts(gw.sim, MOBILE) == ["Welcome to the club"], what="the welcome")
    inbound(gw, "JOIN")  # reentry "never": not a second time
    wait_for(lambda: all_exited(gw.srv, j, 1), what="the enrolment to end")
    # a journey with a keyword trigger enrols by itself
    k = activate(gw.srv, create(gw.srv, {
        "name": "quiz", "trigger": {"type": "keyword", "keyword": "quiz"},
        "steps": [{"id": "q", "type": "send", "body": "Question 1"}]}))
    inbound(gw, "Quiz now")
    wait_for(lambda: "Question 1" in texts(gw.sim, MOBILE), what="the quiz")
    assert texts(gw.sim, MOBILE).count("Welcome to the club") == 1
    assert len(enrollments(gw.srv, k)) == 1


def test_group_trigger_enrolls_members_added_later(gw):
    g = gw.srv.post("/v1/groups", json={"name": "news"})
    assert g.status_code == 201, g.text
    gid = g.json()["id"]
    early, late = phones(2, base=900)
    for p in (early, late):
        c = gw.srv.post("/v1/contacts", json={"phone": p})
        assert c.status_code == 201, c.text
    r = gw.srv.post(f"/v1/groups/{gid}/members", json={"contacts": [early]})
    assert r.status_code in (200, 201), r.text
    j = activate(gw.srv, create(gw.srv, {
        "name": "news welcome", "trigger": {"type": "group", "group": "news"},
        "steps": [{"id": "hi", "type": "send", "body": "Welcome to the news"}]}))
    r = gw.srv.post(f"/v1/groups/{gid}/members", json={"contacts": [late]})
    assert r.status_code in (200, 201), r.text
    wait_for(lambda: texts(gw.sim, late) == ["Welcome to the news"], what="the welcome")
    wait_for(lambda: all_exited(gw.srv, j, 1), what="the enrolment to end")
    assert texts(gw.sim, early) == []  # a member before activation is not enrolled


def test_validation_states_roles_and_audit(gw):
    bad = {"name": "x", "trigger": {"type": "api"}, "steps": [
        {"id": "a", "type": "send", "body": "x", "next": "missing"}]}
    assert_problem(gw.srv.post("/v1/journeys", json=bad), 400, "invalid_journey",
                   "steps[0].next")
    loop = {"name": "x", "trigger": {"type": "api"}, "steps": [
        {"id": "a", "type": "send", "body": "x"},
        {"id": "b", "type": "add_to_group", "group": "g", "next": "a"}]}
    r = gw.srv.post("/v1/journeys", json=loop)
    assert_problem(r, 400, "invalid_journey", "steps[1].next")
    assert 'step "b"' in r.json()["detail"]
    assert_problem(gw.srv.post("/v1/journeys", json={**ASK, "colour": "red"}), 400,
                   "unknown_field", "colour")
    j = create(gw.srv, ASK)
    assert j["state"] == "draft" and j["version"] == 1 and j["reentry"] == "never"
    r = gw.srv.post(f"/v1/journeys/{j['id']}/enroll", json={"contacts": [MOBILE]})
    assert_problem(r, 409, "invalid_state")
    assert_problem(gw.srv.post(f"/v1/journeys/{j['id']}/pause"), 409, "invalid_state", "state")
    r = gw.srv.request("POST", f"/v1/journeys/{j['id']}/activate", key=gw.viewer)
    assert r.status_code == 403
    r = gw.srv.request("POST", "/v1/journeys", key=gw.viewer, json=ASK)
    assert r.status_code == 403
    assert gw.srv.request("GET", f"/v1/journeys/{j['id']}", key=gw.viewer).status_code == 200
    activate(gw.srv, j)
    assert_problem(gw.srv.post(f"/v1/journeys/{j['id']}/activate"), 409, "invalid_state")
    enroll(gw.srv, j, [MOBILE])
    r = gw.srv.patch(f"/v1/journeys/{j['id']}", json={"name": "offers v2"})
    assert r.status_code == 200 and r.json()["version"] == 2 and r.json()["name"] == "offers v2"
    assert enrollments(gw.srv, j)[0]["version"] == 1  # the enrolment keeps its version
    r = gw.srv.patch(f"/v1/journeys/{j['id']}", json={"steps": [{"id": "a", "type": "nope"}]})
    assert_problem(r, 400, "invalid_journey", "steps[0].type")
    r = gw.srv.post(f"/v1/journeys/{j['id']}/enroll", json={"contacts": ["not a phone"]})
    assert_problem(r, 400, "invalid_contact", "contacts[0]")
    assert gw.srv.post(f"/v1/journeys/{j['id']}/pause").json()["state"] == "paused"
    assert gw.srv.post(f"/v1/journeys/{j['id']}/resume").json()["state"] == "active"
    assert gw.srv.post(f"/v1/journeys/{j['id']}/archive").json()["state"] == "archived"
    wait_for(lambda: all_exited(gw.srv, j, 1), what="archiving to end the enrolment")
    assert enrollments(gw.srv, j)[0]["exit_reason"] == "archived"
    assert [x["id"] for x in gw.srv.get("/v1/journeys?state=archived").json()["data"]] == [j["id"]]
    actions = [a["action"] for a in gw.srv.get("/v1/audit").json()["data"]]
    for a in ("journey.create", "journey.activate", "journey.enroll", "journey.update",
              "journey.pause", "journey.resume", "journey.archive"):
        assert a in actions, actions


def test_cli_create_activate_enroll_stats(tmp_path):
    db = str(tmp_path / "j.db")
    assert run_cli("migrate", "--db", db).returncode == 0
    f = tmp_path / "offers.json"
    f.write_text(json.dumps(ASK))
    r = run_cli("journey", "create", str(f), "--db", db)
    assert r.returncode == 0, r.stderr
    j = json.loads(r.stdout)
    assert j["state"] == "draft" and j["name"] == "offers"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**ASK, "steps": [{"id": "a", "type": "send", "body": "x",
                                                  "next": "zz"}]}))
    r = run_cli("journey", "create", str(bad), "--db", db)
    assert r.returncode == 1 and r.stderr.count("\n") == 1
    assert 'steps[0].next: step "a": there is no step "zz"' in r.stderr
    r = run_cli("journey", "create", str(tmp_path / "missing.json"), "--db", db)
    assert r.returncode == 1 and "missing.json" in r.stderr
    r = run_cli("journey", "enroll", j["id"], MOBILE, "--db", db)
    assert r.returncode == 1 and "draft" in r.stderr
    assert run_cli("journey", "activate", j["id"], "--db", db).returncode == 0
    r = run_cli("journey", "activate", j["id"], "--db", db)
    assert r.returncode == 1 and "it cannot activate" in r.stderr
    r = run_cli("journey", "enroll", j["id"], MOBILE, "+447400123999", "--db", db)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [f"{MOBILE} enrolled", "+447400123999 enrolled"]
    r = run_cli("journey", "enroll", j["id"], "nope", "--db", db)
    assert r.returncode == 1 and "neither a contact id nor a phone number" in r.stderr
    r = run_cli("journey", "edit", j["id"], '{"name": "offers v2"}', "--db", db)
    assert r.returncode == 0 and json.loads(r.stdout)["version"] == 2, r.stderr
    r = run_cli("journey", "list", "--json", "--db", db)
    assert [(x["name"], x["state"]) for x in json.loads(r.stdout)["data"]] == [
        ("offers v2", "active")]
    r = run_cli("journey", "stats", j["id"], "--db", db)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["steps"][0] == {
        "step": "ask", "type": "send", "entered": 2, "completed": 0, "sent": 0, "delivered": 0,
        "replied": 0, "exited": 0}
    assert run_cli("journey", "archive", j["id"], "--db", db).returncode == 0
    r = run_cli("journey", "show", j["id"], "--db", db)
    assert json.loads(r.stdout)["state"] == "archived"
    assert run_cli("journey", "bogus", "--db", db).returncode == 2
    assert run_cli("journey", "show", "--db", db).returncode == 2


def test_branch_condition_group_and_attribute_steps(gw):
    gold, std = phones(2, base=600)
    for p, attrs in ((gold, {"tier": "gold"}), (std, {})):
        r = gw.srv.post("/v1/contacts", json={"phone": p, "attributes": attrs})
        assert r.status_code == 201, r.text
    j = activate(gw.srv, create(gw.srv, {
        "name": "tiers", "trigger": {"type": "api"},
        "steps": [
            {"id": "which", "type": "branch", "condition": 'attributes.tier = "gold"',
             "then": "vip", "else": "std"},
            {"id": "vip", "type": "add_to_group", "group": "vip"},
            {"id": "mark", "type": "set_attribute", "name": "seen", "value": "yes"},
            {"id": "hi-gold", "type": "send", "body": "Gold offer", "next": "done"},
            {"id": "std", "type": "send", "body": "Standard offer"},
            {"id": "done", "type": "end"}]}))
    enroll(gw.srv, j, [gold, std])
    wait_for(lambda: all_exited(gw.srv, j, 2), what="both enrolments to end")
    wait_for(lambda: texts(gw.sim, gold) and texts(gw.sim, std), what="both texts")
    assert texts(gw.sim, gold) == ["Gold offer"] and texts(gw.sim, std) == ["Standard offer"]
    c = gw.srv.get(f"/v1/contacts/{urllib.parse.quote(gold)}").json()
    assert c["attributes"] == {"tier": "gold", "seen": "yes"}, c
    assert gw.srv.get(f"/v1/contacts/{urllib.parse.quote(std)}").json()["attributes"] == {}
    groups = gw.srv.get("/v1/groups").json()["data"]
    vip = [g for g in groups if g["name"] == "vip"]
    assert vip, groups
    members = gw.srv.get(f"/v1/groups/{vip[0]['id']}/members").json()["data"]
    assert [m["phone"] for m in members] == [gold]


def test_quiet_hours_defer_a_send_to_the_end_of_the_window(gw):
    # the contact's zone is its number's country (GB: Europe/London); a window from
    # an hour ago to two hours from now, London time, holds now whatever the date
    import datetime
    import zoneinfo
    now = datetime.datetime.now(zoneinfo.ZoneInfo("Europe/London"))
    start = (now - datetime.timedelta(hours=1)).strftime("%H:00")
    end = (now + datetime.timedelta(hours=2)).strftime("%H:00")
    j = activate(gw.srv, create(gw.srv, {
        "name": "quiet", "trigger": {"type": "api"}, "quiet_hours": f"{start}-{end}",
        "steps": [{"id": "hi", "type": "send", "body": "not at night"}]}))
    enroll(gw.srv, j, [MOBILE])

    later = (now + datetime.timedelta(minutes=30)).astimezone(datetime.timezone.utc)

    def deferred():  # the end of the window is at least an hour away
        es = enrollments(gw.srv, j)
        return es if es and es[0]["due_at"] and es[0]["due_at"] > later.strftime(
            "%Y-%m-%dT%H:%M:%S") else None
    es = wait_for(deferred, what="the send to be deferred")
    due = datetime.datetime.fromisoformat(es[0]["due_at"].replace("Z", "+00:00"))
    assert due.astimezone(zoneinfo.ZoneInfo("Europe/London")).strftime("%H:%M") == end
    assert es[0]["step"] == "hi" and es[0]["state"] == "active"
    assert texts(gw.sim, MOBILE) == []


def test_webhook_step_queues_journey_step_event(gw):
    r = gw.srv.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/hook",
                                          "events": ["journey.step"]})
    assert r.status_code == 201, r.text
    hook = r.json()
    j = activate(gw.srv, create(gw.srv, {
        "name": "crm", "trigger": {"type": "api"},
        "steps": [{"id": "tell", "type": "webhook", "event": "signed_up"}]}))
    enroll(gw.srv, j, [MOBILE])

    def delivered():
        d = gw.srv.get(f"/v1/webhooks/{hook['id']}/deliveries").json()["data"]
        return d or None
    d = wait_for(delivered, what="the journey.step delivery")
    assert [x["event"] for x in d] == ["journey.step"], d
    wait_for(lambda: all_exited(gw.srv, j, 1), what="the enrolment to end")
