"""Contacts at scale, groups, segments, templates, broadcasts, stats and click
tracking, through real processes: smsgate serve and the Twilio simulator."""
import collections
import random

import pytest
import requests

from conftest import assert_problem, make_gateway, run_cli, wait_for

PUBLIC = "https://sms.example.org"


def uk_mobile(i):
    return f"+4474001{i:05d}"


def csv_of(rows, header="phone,first_name,last_name,city"):
    return header + "\n" + "\n".join(rows) + "\n"


def import_csv(srv, text, group=None, key=None, **params):
    if group:
        params["group"] = group
    return srv.post("/v1/contacts/import", data=text.encode(), params=params, key=key,
                    headers={"Content-Type": "text/csv"}, timeout=120)


@pytest.fixture
def gw_public(harness):
    return make_gateway(harness, serve_args=("--public-url", PUBLIC))


def wait_broadcast(srv, bid, statuses=("done",), timeout=60):
    last = {}

    def done():
        last["b"] = srv.get(f"/v1/broadcasts/{bid}").json()
        return last["b"]["status"] in statuses
    try:
        wait_for(done, timeout=timeout, what=f"broadcast {bid} to be {statuses}")
    except AssertionError as e:
        raise AssertionError(f"{e}; last seen: {last.get('b')}") from None
    return last["b"]


def test_import_reports_bad_rows_with_line_numbers(gw):
    srv = gw.srv
    text = ("phone,first_name,last_name,city\n"
            "+447400123456,Ann,Lee,London\n"
            "not a number,Bob,,Leeds\n"
            "07400 123457,Cat,,\"York, North\"\n"       # national: needs a region
            ",Dan,,Hull\n"
            "\"+447400123458\",\"Eve \"\"E\"\"\",,\"multi\nline\"\n"
            "+442079460000,Fixed,,London\n"
            "+447400123459,Too,Many,Fields,Here\n")
    r = import_csv(srv, text, group="first")
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["imported"] == 3
    assert out["updated"] == 0
    rejected = {x["line"]: x["code"] for x in out["rejected"]}
    assert rejected == {3: "invalid_phone", 4: "invalid_phone", 5: "missing_phone",
                        9: "bad_row"}
    assert out["rejected_count"] == 4
    c = srv.get("/v1/contacts/+447400123458").json()
    assert c["first_name"] == 'Eve "E"'
    assert c["attributes"] == {"city": "multi\nline"}
    fixed = srv.get("/v1/contacts/+442079460000").json()
    assert fixed["mobile"] is False
    g = srv.get("/v1/groups/first").json()
    assert g["members"] == 3

    # the same file with a default region: the national number is read too,
    # and the others are updates, not duplicates
    r = import_csv(srv, text, group="first", default_region="GB")
    out = r.json()
    assert (out["imported"], out["updated"]) == (1, 3)
    assert srv.get("/v1/contacts/+447400123457").json()["attributes"] == {"city": "York, North"}


def test_import_never_resets_an_opt_out(gw):
    srv = gw.srv
    assert srv.post("/v1/optouts", json={"phone": "+447400123456"}).status_code in (200, 201)
    r = import_csv(srv, csv_of(["+447400123456,Ann,Lee,London"]))
    assert r.status_code == 200, r.text
    assert srv.get("/v1/contacts/+447400123456").json()["opted_out"] is True


def test_import_refuses_bad_input(gw):
    srv = gw.srv
    r = import_csv(srv, "name,city\nAnn,London\n")
    assert_problem(r, 400, "invalid_csv", "header")
    r = srv.post("/v1/contacts/import", data=b"phone\n+447400123456\n",
                 headers={"Content-Type": "application/json"})
    assert_problem(r, 415)
    r = import_csv(srv, csv_of(["+447400123456,A,B,C"]), key=gw.viewer)
    assert_problem(r, 403)
    r = import_csv(srv, "")
    assert_problem(r, 400, "invalid_csv")
    assert srv.get("/v1/contacts").json()["data"] == []


def test_export_streams_every_contact(gw):
    srv = gw.srv
    rows = [f"{uk_mobile(i)},N{i},,City{i % 3}" for i in range(1200)]
    assert import_csv(srv, csv_of(rows), group="all").json()["imported"] == 1200
    r = srv.get("/v1/contacts/export", params={"group": "all"})
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/csv")
    lines = r.text.strip().split("\r\n")
    assert lines[0] == "id,phone,first_name,last_name,mobile,opted_out,attributes"
    assert len(lines) == 1201
    assert {ln.split(",")[1] for ln in lines[1:]} == {uk_mobile(i) for i in range(1200)}


def test_groups_and_members(gw):
    srv = gw.srv
    import_csv(srv, csv_of([f"{uk_mobile(i)},N{i},,X" for i in range(5)]))
    g = srv.post("/v1/groups", json={"name": "vip"})
    assert g.status_code == 201, g.text
    gid = g.json()["id"]
    assert_problem(srv.post("/v1/groups", json={"name": "vip"}), 409, "name_taken")
    ann = srv.get(f"/v1/contacts/{uk_mobile(0)}").json()
    r = srv.post(f"/v1/groups/{gid}/members", json={"contacts": [ann["id"], uk_mobile(1)]})
    assert r.json() == {"added": 2}
    r = srv.post(f"/v1/groups/{gid}/members", json={"contacts": [uk_mobile(1), "+447400999999"]})
    assert_problem(r, 422, "unknown_contact", "contacts")
    assert srv.get(f"/v1/groups/{gid}").json()["members"] == 2
    members = srv.get(f"/v1/groups/{gid}/members").json()["data"]
    assert {m["phone"] for m in members} == {uk_mobile(0), uk_mobile(1)}
    r = srv.post(f"/v1/groups/{gid}/members/remove", json={"contacts": [uk_mobile(0)]})
    assert r.json() == {"removed": 1}
    assert srv.get("/v1/groups/vip/count").json()["eligible"] == 1


def test_segment_count_and_bad_filters(gw):
    srv = gw.srv
    rows = [f"{uk_mobile(i)},N{i},,{'London' if i % 2 else 'Leeds'}" for i in range(10)]
    rows.append("+442079460000,Landline,,London")
    import_csv(srv, csv_of(rows))
    srv.post("/v1/optouts", json={"phone": uk_mobile(1)})
    r = srv.post("/v1/segments", json={"name": "londoners",
                                       "filter": 'attributes.city = "london"'})
    assert r.status_code == 201, r.text
    count = srv.get(f"/v1/segments/{r.json()['id']}/count").json()
    # 5 mobiles in London (one opted out) and the landline
    assert count == {"matched": 6, "eligible": 4, "skipped": {"opted_out": 1, "not_mobile": 1}}
    r = srv.post("/v1/segments", json={"name": "others",
                                       "filter": 'mobile and not attributes.city = "London"'})
    assert srv.get(f"/v1/segments/{r.json()['id']}/count").json()["matched"] == 5
    r = srv.post("/v1/segments", json={"name": "bad", "filter": "attributes.city =="})
    assert_problem(r, 400, "invalid_filter", "filter")
    r = srv.post("/v1/segments", json={"name": "bad", "filter": "in group"})
    assert_problem(r, 400, "invalid_filter", "filter")


def test_template_preview(gw):
    srv = gw.srv
    import_csv(srv, csv_of(["+447400123456,Ann,Lee,London", "+447400123457,,,"]))
    r = srv.post("/v1/templates", json={"name": "hi",
                                        "body": "Hi {{first_name|there}} \u2013 see you in "
                                                "{{attributes.city}}"})
    assert r.status_code == 201, r.text
    tid = r.json()["id"]
    ann = srv.get("/v1/contacts/+447400123456").json()
    p = srv.post(f"/v1/templates/{tid}/preview", json={"contact_id": ann["id"]}).json()
    assert p["text"] == "Hi Ann \u2013 see you in London"
    assert p["encoding"] == "UCS-2"
    assert p["segments"] == 1
    assert p["ucs2_characters"] == [{"char": "\u2013", "codepoint": "U+2013", "offset": 7,
                                     "gsm7_lookalike": "-"}]
    assert p["gsm7_text"] == "Hi Ann - see you in London"
    # no city and no default: an error at preview, not a blank at send
    r = srv.post(f"/v1/templates/{tid}/preview", json={"contact_id": "+447400123457"})
    assert_problem(r, 422, "missing_field", "attributes.city")
    r = srv.post("/v1/templates", json={"name": "bad", "body": "Hi {{nick-name}}"})
    assert_problem(r, 400, "invalid_template", "body")


def test_template_bare_attribute_name(gw):
    """Issue 11: {{city}} for an imported column city, as {{attributes.city}}."""
    srv = gw.srv
    import_csv(srv, csv_of(["+447400123456,Ann,Lee,London", "+447400123457,,,"]))
    r = srv.post("/v1/templates", json={"name": "bare", "body": "Hi {{first_name}} in {{city}}"})
    assert r.status_code == 201, r.text
    tid = r.json()["id"]
    p = srv.post(f"/v1/templates/{tid}/preview", json={"contact_id": "+447400123456"})
    assert p.status_code == 200, p.text
    assert p.json()["text"] == "Hi Ann in London"
    r = srv.post("/v1/templates", json={"name": "bare2", "body": "Hi {{ city |friend}}"})
    p = srv.post(f"/v1/templates/{r.json()['id']}/preview", json={"contact_id": "+447400123457"})
    assert p.json()["text"] == "Hi friend"
    # no value, no default: named by its full name
    r = srv.post(f"/v1/templates/{tid}/preview", json={"contact_id": "+447400123457"})
    assert_problem(r, 422, "missing_field")


def test_broadcast_to_a_group_once_per_contact(gw):
    srv, sim = gw.srv, gw.sim
    rows = [f"{uk_mobile(i)},N{i},,City" for i in range(40)]
    rows.append("+442079460000,Fixed,,City")
    import_csv(srv, csv_of(rows), group="club")
    srv.post("/v1/optouts", json={"phone": uk_mobile(3)})
    r = srv.post("/v1/broadcasts", json={"name": "news", "body": "Hello {{first_name}}!",
                                         "group": "club", "rate": 200})
    assert r.status_code == 201, r.text
    b = wait_broadcast(srv, r.json()["id"])
    c = b["counts"]
    assert c["recipients"] == 41
    assert c["skipped"] == {"opted_out": 1, "not_mobile": 1, "invalid": 0}
    assert c["sent"] == 39
    sent = collections.Counter(m["to"] for m in sim.messages())
    assert len(sent) == 39 and set(sent.values()) == {1}
    assert uk_mobile(3) not in sent and "+442079460000" not in sent
    one = sim.messages(to=uk_mobile(7))[0]
    assert one["body"] == "Hello N7!"
    stats = srv.get(f"/v1/broadcasts/{b['id']}/stats").json()
    assert stats["sent"] == 39 and stats["recipients"] == 41 and stats["failed"] == 0
    # a second run over the same audience is a new broadcast; the first stays done
    assert_problem(srv.post(f"/v1/broadcasts/{b['id']}/pause"), 409, "invalid_state")


def test_broadcast_draft_pause_resume_cancel(gw):
    srv, sim = gw.srv, gw.sim
    import_csv(srv, csv_of([f"{uk_mobile(i)},N{i},,C" for i in range(30)]), group="g")
    r = srv.post("/v1/broadcasts", json={"name": "d", "body": "x", "group": "g", "draft": True,
                                         "rate": 10})
    bid = r.json()["id"]
    assert r.json()["status"] == "draft"
    assert srv.post(f"/v1/broadcasts/{bid}/send").json()["status"] == "scheduled"
    wait_for(lambda: len(sim.messages()) >= 3, what="the broadcast to start")
    assert srv.post(f"/v1/broadcasts/{bid}/pause").json()["status"] == "paused"
    wait_for(lambda: srv.get(f"/v1/broadcasts/{bid}").json()["counts"]["queued"] == 0
             or True)
    n = len(sim.messages())
    import time
    time.sleep(1.0)
    paused_count = len(sim.messages())
    assert paused_count - n <= 3  # at most what was already queued
    assert srv.post(f"/v1/broadcasts/{bid}/resume").json()["status"] == "sending"
    wait_for(lambda: len(sim.messages()) > paused_count + 2, what="sending to resume")
    b = srv.post(f"/v1/broadcasts/{bid}/cancel").json()
    assert b["status"] == "canceled"
    time.sleep(0.6)
    final = len(sim.messages())
    time.sleep(0.6)
    assert len(sim.messages()) == final < 30
    assert_problem(srv.post(f"/v1/broadcasts/{bid}/resume"), 409, "invalid_state")


def test_broadcast_errors(gw):
    srv = gw.srv
    assert_problem(srv.post("/v1/broadcasts", json={"name": "x", "body": "x", "group": "nope"}),
                   422, "unknown_group", "group")
    srv.post("/v1/groups", json={"name": "g"})
    assert_problem(srv.post("/v1/broadcasts", json={"name": "x", "group": "g"}), 400,
                   field="body")
    assert_problem(srv.post("/v1/broadcasts", json={"name": "x", "body": "x", "group": "g",
                                                    "quiet_hours": "21-8"}),
                   400, field="quiet_hours")
    assert_problem(srv.post("/v1/broadcasts", json={"name": "x", "body": "x", "group": "g",
                                                    "timezone": "Mars/Olympus"}),
                   400, field="timezone")
    assert_problem(srv.post("/v1/broadcasts", json={"name": "x", "body": "x", "group": "g",
                                                    "provider": "nope"}),
                   422, "unknown_provider", "provider")
    assert_problem(srv.post("/v1/broadcasts", json={"name": "x", "body": "Hi {{nick.name}}",
                                                    "group": "g"}),
                   400, "invalid_template")


def test_quiet_hours_hold_messages_in_the_recipients_zone(gw):
    srv, sim = gw.srv, gw.sim
    import_csv(srv, csv_of([f"{uk_mobile(i)},N{i},,C" for i in range(5)]), group="q")
    # a window covering every hour but this one... simpler: the whole day but one
    # minute that is long past, so every recipient is held
    r = srv.post("/v1/broadcasts", json={"name": "q", "body": "x", "group": "q",
                                         "quiet_hours": "00:00-23:59"})
    bid = r.json()["id"]
    import time
    time.sleep(1.5)
    b = srv.get(f"/v1/broadcasts/{bid}").json()
    import datetime
    now = datetime.datetime.now(datetime.timezone.utc)
    if (now.hour, now.minute) != (23, 59):
        assert b["status"] == "sending"
        assert b["counts"]["pending"] == 5
        assert sim.messages() == []
    srv.post(f"/v1/broadcasts/{bid}/cancel")


def test_click_tracking_redirects_and_counts(gw_public):
    gw = gw_public
    srv, sim = gw.srv, gw.sim
    import_csv(srv, csv_of(["+447400123456,Ann,,C", "+447400123457,Bob,,C"]), group="c")
    r = srv.post("/v1/broadcasts", json={"name": "c", "group": "c", "track_clicks": True,
                                         "body": "Hi {{first_name}}, see https://shop.example.com/sale?x=1."})
    bid = r.json()["id"]
    wait_broadcast(srv, bid)
    body = sim.messages(to="+447400123456")[0]["body"]
    assert body.startswith("Hi Ann, see " + PUBLIC + "/l/") and body.endswith(".")
    code = body.split("/l/")[1].rstrip(".")
    assert len(code) == 10
    other = sim.messages(to="+447400123457")[0]["body"].split("/l/")[1].rstrip(".")
    assert other != code
    r = requests.get(f"{srv.url}/l/{code}", allow_redirects=False,
                     headers={"User-Agent": "e2e-phone"}, timeout=5)
    assert r.status_code == 302
    assert r.headers["Location"] == "https://shop.example.com/sale?x=1"
    assert requests.get(f"{srv.url}/l/ZZZZZZZZZZ", allow_redirects=False,
                        timeout=5).status_code == 404
    stats = srv.get(f"/v1/broadcasts/{bid}/stats").json()
    assert stats["clicked"] == 1 and stats["sent"] == 2
    assert stats["click_through_rate"] == 0.5
    timeline = srv.get("/v1/contacts/+447400123456/timeline").json()["data"]
    assert timeline[0]["type"] == "click"
    assert timeline[0]["click"]["url"] == "https://shop.example.com/sale?x=1"
    assert srv.get("/v1/stats").json()["clicked"] == 1


def test_stats_by_provider_and_day(gw):
    srv = gw.srv
    for i in range(3):
        srv.send(uk_mobile(i))
    srv.send("+447400123456", body="x")
    wait_for(lambda: srv.get("/v1/stats").json()["sent"] == 4, what="4 sent")
    total = srv.get("/v1/stats").json()
    assert total["recipients"] == 4 and total["failed"] == 0
    by = srv.get("/v1/stats", params={"group_by": "provider"}).json()
    assert by["data"][0]["provider_id"] == gw.provider["id"]
    assert by["data"][0]["sent"] == 4
    day = srv.get("/v1/stats", params={"group_by": "day"}).json()["data"]
    assert len(day) == 1 and day[0]["sent"] == 4
    assert_problem(srv.get("/v1/stats", params={"group_by": "week"}), 400, field="group_by")
    assert_problem(srv.get("/v1/stats", params={"from": "yesterday"}), 400, field="from")


def test_broadcast_survives_kill_9_exactly_once(harness):
    gw = make_gateway(harness)
    srv, sim = gw.srv, gw.sim
    n = 2000
    rows = [f"{uk_mobile(i)},N{i},,C" for i in range(n)]
    rows += ["not-a-phone,X,,C", "+442079460000,Fixed,,C"]
    out = import_csv(srv, csv_of(rows), group="big").json()
    assert out["imported"] == n + 1 and out["rejected_count"] == 1
    for i in random.Random(5).sample(range(n), 25):
        srv.post("/v1/optouts", json={"phone": uk_mobile(i)})
    r = srv.post("/v1/broadcasts", json={"name": "big", "body": "Hi {{first_name}}",
                                         "group": "big", "rate": 400})
    bid = r.json()["id"]
    wait_for(lambda: len(sim.messages()) >= n // 3, timeout=60, what="a third sent")
    srv.proc.kill9()
    srv2 = harness.restart(srv)
    srv2.key = gw.admin
    b = wait_broadcast(srv2, bid, timeout=120)
    got = collections.Counter(m["to"] for m in sim.messages())
    eligible = n - 25
    assert b["counts"]["skipped"]["opted_out"] == 25
    assert b["counts"]["skipped"]["not_mobile"] == 1
    assert len(got) == eligible  # every eligible contact reached
    # Exactly once, counted at the simulator: a send that was in flight at the kill
    # is looked up at the provider (Twilio's message list) before it is sent again.
    dupes = {to: c for to, c in got.items() if c > 1}
    assert not dupes
    stats = srv2.get(f"/v1/broadcasts/{bid}/stats").json()
    assert stats["sent"] == eligible
    assert stats["recipients"] == n + 1


def test_cli_import_broadcast_and_stats(gw, tmp_path):
    srv, sim = gw.srv, gw.sim
    f = tmp_path / "c.csv"
    f.write_text(csv_of([f"{uk_mobile(i)},N{i},,C" for i in range(50)] + ["bad,X,,C"]))
    r = run_cli("contact", "import", str(f), "--db", srv.db, "--group", "cli")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "imported 50, updated 0, rejected 1",
        "line 52: invalid_phone: 'bad' is not a valid phone number"]
    assert r.stderr == ""  # a small file and no terminal: no progress lines
    # '-' reads standard input
    import subprocess
    from conftest import BIN, clean_env
    r = subprocess.run([BIN, "contact", "import", "-", "--db", srv.db], input=f.read_text(),
                       capture_output=True, text=True, timeout=20, env=clean_env())
    assert r.returncode == 0 and r.stdout.startswith("imported 0, updated 50, rejected 1\n")
    r = run_cli("broadcast", "create", "--db", srv.db, "--name", "cli", "--group", "cli",
                "--body", "Hi {{first_name}}")
    assert r.returncode == 0, r.stderr
    bid = r.stdout.strip().split()[-1]
    assert bid.startswith("brd_") and "50 eligible" in r.stderr
    wait_broadcast(srv, bid)  # the running server picked it up
    assert len(sim.messages()) == 50
    assert sim.messages(to=uk_mobile(7))[0]["body"] == "Hi N7"
    r = run_cli("broadcast", "show", bid, "--db", srv.db)
    assert r.returncode == 0, r.stderr
    assert "status        done" in r.stdout.splitlines()
    assert ("recipients 50: pending 0, queued 0, sent 50, delivered 0, undelivered 0, "
            "failed 0, canceled 0") in r.stdout
    assert "skipped 0: opted_out 0, not_mobile 0, invalid 0" in r.stdout
    assert "failures by error code: none" in r.stdout
    # --watch off a terminal on a finished broadcast: no waiting, just the counts
    r = run_cli("broadcast", "show", bid, "--watch", "--db", srv.db)
    assert r.returncode == 0 and "sent 50" in r.stdout
    r = run_cli("broadcast", "list", "--db", srv.db)
    row = next(line.split() for line in r.stdout.splitlines() if line.startswith(bid))
    assert row[1:5] == ["done", "50", "50", "0"]
    r = run_cli("stats", "--db", srv.db, "--by", "broadcast")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split()[:4] == ["BROADCAST", "RECIPIENTS", "SENT", "DELIVERED"]
    row = next(line.split() for line in lines if line.startswith(bid))
    assert row[1:3] == ["50", "50"] and row[-2:] == ["0.0%", "0.0%"]
    assert any(line.split()[:3] == ["total", "50", "50"] for line in lines)
    assert lines[-1] == "failures by error code: none"
    r = run_cli("stats", "--db", srv.db, "--by", "day", "--from", "2000-01-01")
    assert r.returncode == 0 and len([x for x in r.stdout.splitlines() if x[:2] == "20"]) == 1
    r = run_cli("contact", "export", "--db", srv.db, "--group", "cli")
    assert r.returncode == 0
    out = r.stdout.strip().splitlines()
    assert out[0] == "id,phone,first_name,last_name,mobile,opted_out,attributes"
    assert len(out) == 51
    assert {line.split(",")[1] for line in out[1:]} == {uk_mobile(i) for i in range(50)}
    # a finished broadcast cannot be paused: one line, exit 1
    r = run_cli("broadcast", "pause", bid, "--db", srv.db)
    assert r.returncode == 1
    assert r.stderr == "smsgate: a done broadcast cannot be paused\n"
    r = run_cli("contact", "import", str(tmp_path / "missing.csv"), "--db", srv.db)
    assert r.returncode == 1 and "missing.csv" in r.stderr
    assert r.stderr.startswith("smsgate: cannot open ") and r.stderr.count("\n") == 1
    bad = tmp_path / "bad.csv"
    bad.write_text("name,city\nAnn,Leeds\n")
    r = run_cli("contact", "import", str(bad), "--db", srv.db)
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr == f'smsgate: {bad}: the header row (line 1) has no "phone" column\n'


def cli(srv, *args, rc=0, **kw):
    """Run a CLI command on the server's database; check its exit code."""
    r = run_cli(*args, "--db", srv.db, **kw)
    assert r.returncode == rc, f"smsgate {' '.join(map(str, args))}: exit {r.returncode}\n" \
                               f"stdout: {r.stdout}\nstderr: {r.stderr}"
    return r


def fields(text):
    """The "label   value" lines of a show command as a dict."""
    out = {}
    for line in text.splitlines():
        if len(line) > 14 and line[13] == " " and line[:13].strip():
            out[line[:13].strip()] = line[14:]
    return out


def test_cli_groups_segments_templates(gw, tmp_path):
    srv, sim = gw.srv, gw.sim
    rows = [f"{uk_mobile(i)},N{i},,{'London' if i % 2 else 'Leeds'}" for i in range(10)]
    rows += ["07400 100099,Nat,,Leeds", "+442079460000,Landline,,London", "+447400100098,,,"]
    f = tmp_path / "c.csv"
    f.write_text(csv_of(rows))
    r = cli(srv, "contact", "import", f, "--default-region", "GB")
    assert r.stdout == "imported 13, updated 0, rejected 0\n"
    c = fields(cli(srv, "contact", "show", "07400 100099", "--default-region", "gb").stdout)
    assert c["phone"] == "+447400100099" and c["first name"] == "Nat"
    assert c["attributes"] == '{"city":"Leeds"}'
    srv.post("/v1/optouts", json={"phone": uk_mobile(1)})

    # groups
    gid = cli(srv, "group", "create", "vip").stdout.strip()
    assert gid.startswith("grp_")
    r = cli(srv, "group", "create", "vip", rc=1)
    assert r.stderr == "smsgate: a group named vip exists\n"
    ann = srv.get(f"/v1/contacts/{uk_mobile(0)}").json()["id"]
    r = cli(srv, "group", "add", "vip", ann, uk_mobile(1), uk_mobile(2))
    assert r.stderr == "added 3 contacts to group vip (3 members)\n"
    r = cli(srv, "group", "add", "vip", uk_mobile(3), "+447400999999", rc=1)
    assert r.stderr == "smsgate: +447400999999 is not a contact; nothing was changed\n"
    r = cli(srv, "group", "remove", "vip", uk_mobile(2))
    assert r.stderr == "removed 1 contact from group vip (2 members)\n"
    g = fields(cli(srv, "group", "show", "vip").stdout)
    assert g["id"] == gid and g["members"] == "2" and g["eligible"] == "1"
    assert g["skipped"] == "1 (opted_out 1, not_mobile 0)"
    assert srv.get("/v1/groups/vip/count").json()["eligible"] == 1
    r = cli(srv, "group", "list")
    assert [line.split()[1:] for line in r.stdout.splitlines() if line.startswith(gid)] == \
        [["2", "vip"]]

    # segments: the canonical filter is stored; counts agree with the API
    r = cli(srv, "segment", "create", "londoners", "--filter", 'ATTRIBUTES.city="london"')
    sid = r.stdout.strip()
    assert r.stderr == 'created segment londoners: attributes.city = "london"\n'
    assert srv.get(f"/v1/segments/{sid}").json()["filter"] == 'attributes.city = "london"'
    n = fields(cli(srv, "segment", "count", "londoners").stdout)
    api = srv.get(f"/v1/segments/{sid}/count").json()
    assert api == {"matched": 6, "eligible": 4, "skipped": {"opted_out": 1, "not_mobile": 1}}
    assert n == {"matched": "6", "eligible": "4", "skipped": "2 (opted_out 1, not_mobile 1)"}
    r = cli(srv, "segment", "create", "bad", "--filter", "attributes.city ==", rc=1)
    assert r.stderr.startswith("smsgate: filter: ") and r.stderr.count("\n") == 1
    assert "bad" not in cli(srv, "segment", "list").stdout
    assert fields(cli(srv, "segment", "show", sid).stdout)["name"] == "londoners"

    # templates: preview shows the encoding and the look-alikes
    body = "Hi {{first_name|there}} \u2013 see you in {{attributes.city}}"
    tid = cli(srv, "template", "create", "hi", "--body", body).stdout.strip()
    assert tid.startswith("tpl_")
    t = fields(cli(srv, "template", "show", "hi").stdout)
    assert t["body"] == body and t["fields"] == "first_name (default), attributes.city"
    p = cli(srv, "template", "preview", "hi", "--contact", uk_mobile(3)).stdout
    pf = fields(p)
    assert pf["text"] == "Hi N3 \u2013 see you in London"
    assert pf["encoding"] == "UCS-2" and pf["segments"] == "1"
    assert pf["ucs-2"] == "\u2013  U+2013  at byte 6  GSM-7 look-alike: -"
    assert pf["as gsm-7"] == "Hi N3 - see you in London"
    r = cli(srv, "template", "preview", "hi", "--contact", "+447400100098", rc=1)
    assert r.stderr.startswith("smsgate: cannot render hi for +447400100098: ")
    assert r.stderr.count("\n") == 1
    r = cli(srv, "template", "create", "bad", "--body", "Hi {{nick-name}}", rc=1)
    assert r.stderr.startswith("smsgate: body: ") and r.stderr.count("\n") == 1

    # a draft broadcast from the template to the segment, then sent
    r = cli(srv, "broadcast", "create", "--name", "seg", "--segment", "londoners",
            "--template", "hi", "--draft", "--rate", "100")
    bid = r.stdout.strip().split()[-1]
    assert srv.get(f"/v1/broadcasts/{bid}").json()["status"] == "draft"
    r = cli(srv, "broadcast", "resume", bid, rc=1)
    assert r.stderr == "smsgate: a draft broadcast cannot be resumed\n"
    r = cli(srv, "broadcast", "send", bid)
    assert r.stderr == f"broadcast {bid} is scheduled\n"
    # --watch off a terminal follows it to the end, with plain lines on stderr
    r = cli(srv, "broadcast", "show", bid, "--watch", timeout=60)
    assert fields(r.stdout)["status"] == "done"
    assert "\r" not in r.stderr
    assert "recipients 6: pending 0, queued 0, sent 4," in r.stdout
    assert "skipped 2: opted_out 1, not_mobile 1, invalid 0" in r.stdout
    got = {m["to"]: m["body"] for m in sim.messages()}
    assert got == {uk_mobile(i): f"Hi N{i} \u2013 see you in London" for i in (3, 5, 7, 9)}
    r = cli(srv, "broadcast", "cancel", bid, rc=1)
    assert r.stderr == "smsgate: a done broadcast cannot be canceled\n"

    # deletes
    for kind, name in (("template", "hi"), ("segment", "londoners"), ("group", "vip")):
        assert cli(srv, kind, "delete", name).stderr == f"deleted {kind} {name}\n"
        r = cli(srv, kind, "show", name, rc=1)
        assert r.stderr == f"smsgate: no {kind} {name}\n"


def test_cli_pause_resume_cancel(gw, tmp_path):
    srv, sim = gw.srv, gw.sim
    f = tmp_path / "c.csv"
    f.write_text(csv_of([f"{uk_mobile(i)},N{i},,C" for i in range(40)]))
    cli(srv, "contact", "import", f, "--group", "g")
    bid = cli(srv, "broadcast", "create", "--name", "slow", "--group", "g", "--body", "x",
              "--rate", "10").stdout.strip()
    wait_for(lambda: len(sim.messages()) >= 3, what="the broadcast to start")
    assert cli(srv, "broadcast", "pause", bid).stderr == f"broadcast {bid} is paused\n"
    assert cli(srv, "broadcast", "pause", bid, rc=1).stderr == \
        "smsgate: a paused broadcast cannot be paused\n"
    assert cli(srv, "broadcast", "resume", bid).stderr == f"broadcast {bid} is sending\n"
    assert cli(srv, "broadcast", "cancel", bid).stderr == f"broadcast {bid} is canceled\n"
    b = srv.get(f"/v1/broadcasts/{bid}").json()
    assert b["status"] == "canceled"
    assert "status        canceled" in cli(srv, "broadcast", "show", bid, "--watch").stdout


# (arguments, exit code, what the one line on stderr must hold)
CLI_ERRORS = [
    # the command line itself is wrong: exit 2 and a usage line
    (("group",), 2, "usage: smsgate group create|list|show|add|remove|delete"),
    (("group", "frobnicate"), 2, "unknown group command 'frobnicate' (usage: "),
    (("segment", "create"), 2, "missing argument (usage: smsgate segment create NAME"),
    (("segment", "create", "x"), 2, "needs --filter TEXT"),
    (("template", "create", "x", "--bogus"), 2, "unknown option '--bogus'"),
    (("template", "preview", "hi"), 2, "see 'smsgate template preview --help'"),
    (("contact", "import"), 2, "missing argument (usage: smsgate contact import"),
    (("contact", "list", "--limit", "0"), 2, "--limit must be between 1"),
    (("contact", "list", "--limit", "many"), 2, "must be a whole number"),
    (("broadcast", "show"), 2, "missing argument (usage: smsgate broadcast show ID"),
    (("broadcast", "create", "--name", "x", "--group", "g"), 2,
     "give either --body TEXT or --template NAME (see 'smsgate broadcast create --help')"),
    (("broadcast", "create", "--name", "x", "--body", "x", "--group", "g", "--segment", "s"), 2,
     "give either --group NAME or --segment NAME"),
    (("broadcast", "create", "--name", "x", "--body", "x", "--group", "g", "--rate", "0"), 2,
     "--rate must be"),
    (("broadcast", "create", "--name", "x", "--body", "x", "--group", "g",
      "--quiet-hours", "21-8"), 2, "--quiet-hours must look like 21:00-08:00"),
    (("broadcast", "create", "--name", "x", "--body", "x", "--group", "g",
      "--timezone", "Mars/Olympus"), 2, "--timezone must be a zone"),
    (("broadcast", "create", "--name", "x", "--body", "x", "--group", "g",
      "--send-at", "tomorrow"), 2, "--send-at must be an RFC 3339 time"),
    (("stats", "--by", "week"), 2, "--by must be day, provider or broadcast"),
    (("stats", "--from", "yesterday"), 2, "--from must be a date"),
    # well formed, but what it names or carries is refused: exit 1
    (("broadcast", "create", "--name", "x", "--body", "x", "--group", "nope"), 1,
     "smsgate: no group nope"),
    (("broadcast", "create", "--name", "x", "--body", "x", "--segment", "nope"), 1,
     "smsgate: no segment nope"),
    (("broadcast", "create", "--name", "x", "--template", "nope", "--group", "g"), 1,
     "smsgate: no template nope"),
    (("broadcast", "create", "--name", "x", "--body", "x", "--group", "g",
      "--provider", "nope"), 1, "smsgate: no provider nope"),
    (("broadcast", "create", "--name", "x", "--body", "Hi {{nick.name}}", "--group", "g"), 1,
     "smsgate: body: "),
    (("broadcast", "show", "brd_nope"), 1, "smsgate: no broadcast brd_nope"),
    (("broadcast", "cancel", "brd_nope"), 1, "smsgate: no broadcast brd_nope"),
    (("segment", "count", "nope"), 1, "smsgate: no segment nope"),
    (("group", "add", "g", "not-a-phone"), 1, "neither a contact id nor a phone number"),
    (("contact", "show", "+447400999999"), 1, "smsgate: no contact +447400999999"),
    (("template", "preview", "nope", "--contact", "+447400999999"), 1,
     "smsgate: no template nope"),
]


def test_cli_usage_and_input_errors(gw):
    srv = gw.srv
    cli(srv, "group", "create", "g")
    for args, code, expect in CLI_ERRORS:
        r = run_cli(*args, "--db", srv.db)
        what = f"smsgate {' '.join(args)}: exit {r.returncode}, stderr {r.stderr!r}"
        assert r.returncode == code, what
        assert r.stdout == "", what
        assert r.stderr.startswith("smsgate: ") and r.stderr.count("\n") == 1, what
        assert expect in r.stderr, what
    # --help on every command and verb: exit 0, the synopsis on stdout
    for args in (("contact", "--help"), ("contact", "import", "--help"),
                 ("group", "add", "--help"), ("segment", "count", "-h"),
                 ("template", "preview", "--help"), ("broadcast", "create", "--help"),
                 ("broadcast", "--help"), ("stats", "--help")):
        r = run_cli(*args)
        assert r.returncode == 0 and r.stdout.startswith("usage: smsgate "), args
    assert "--track-clicks" in run_cli("broadcast", "create", "--help").stdout


def test_cli_stats_failures_by_error_code(harness, tmp_path):
    gw = make_gateway(harness, callbacks=True,
                      sim_args=("--undelivered", uk_mobile(1), "--failed-numbers", uk_mobile(2),
                                "--sent-delay-ms", "0", "--delivered-delay-ms", "0"))
    srv = gw.srv
    f = tmp_path / "c.csv"
    f.write_text(csv_of([f"{uk_mobile(i)},N{i},,C" for i in range(6)]))
    cli(srv, "contact", "import", f, "--group", "g")
    bid = cli(srv, "broadcast", "create", "--name", "b", "--group", "g",
              "--body", "Hi").stdout.strip()
    wait_broadcast(srv, bid)

    def final():
        api = srv.get(f"/v1/broadcasts/{bid}/stats").json()
        return (api["sent"], api["delivered"], api["undelivered"], api["failed"]) == (5, 4, 1, 1)
    # The simulator calls back at once: a report that beats the send's own commit is
    # kept and applied when the outcome lands.
    wait_for(final, timeout=20, what="every status callback")
    failures = ["failures by error code:",
                "  30003             1  Unreachable destination handset",
                "  30008             1  Unknown error"]
    out = cli(srv, "broadcast", "show", bid).stdout.splitlines()
    assert ("recipients 6: pending 0, queued 0, sent 5, delivered 4, undelivered 1, "
            "failed 1, canceled 0") in out
    assert "replied 0, opted_out 0, clicked 0; delivery rate 80.0%, CTR 0.0%" in out
    assert out[-3:] == failures
    out = cli(srv, "stats").stdout.splitlines()
    assert out[1].split() == ["total", "6", "5", "4", "1", "1", "0", "0", "0", "80.0%", "0.0%"]
    assert out[-3:] == failures
    out = cli(srv, "stats", "--by", "provider").stdout.splitlines()
    assert out[1].split()[:3] == ["sim", "6", "5"]
    assert out[-2].split()[:3] == ["sim", "30003", "1"]
    assert out[-1].split()[:3] == ["sim", "30008", "1"] and out[-1].endswith("Unknown error")


def test_click_tracking_on_a_single_message(gw_public):
    srv, sim = gw_public.srv, gw_public.sim
    r = srv.send("+447400123456", body="Track www.example.org/a and https://example.org/b",
                 track_clicks=True)
    m = srv.wait_status(r["id"])
    assert m["body"].count(PUBLIC + "/l/") == 2
    body = sim.messages(to="+447400123456")[0]["body"]
    codes = [part.split()[0] for part in body.split("/l/")[1:]]
    got = requests.get(f"{srv.url}/l/{codes[0]}", allow_redirects=False, timeout=5)
    assert got.status_code == 302 and got.headers["Location"] == "https://www.example.org/a"
    head = requests.head(f"{srv.url}/l/{codes[1]}", allow_redirects=False, timeout=5)
    assert head.status_code == 302 and head.headers["Location"] == "https://example.org/b"
    assert srv.get("/v1/stats").json()["clicked"] == 1  # HEAD is not a click
    r = srv.post("/v1/messages", json={"to": "+447400123456", "body": "x",
                                       "track_clicks": "yes"})
    assert_problem(r, 400, "invalid_request", "track_clicks")



def test_reports_that_beat_the_send_commit_are_kept(harness):
    # The simulator calls back the moment it answers 201, often before smsgate has
    # committed the send's outcome: such reports wait and apply when it lands.
    gw = make_gateway(harness, callbacks=True,
                      sim_args=("--sent-delay-ms", "0", "--delivered-delay-ms", "0"))
    srv = gw.srv
    ids = [srv.send(uk_mobile(i))["id"] for i in range(150)]
    wait_for(lambda: all(srv.message(i)["status"] == "delivered" for i in ids), timeout=30,
             what="every message delivered")
    total = srv.get("/v1/stats").json()
    assert total["delivered"] == 150 and total["sent"] == 150
