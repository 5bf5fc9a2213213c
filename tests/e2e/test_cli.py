"""Issue 11 items 21 and 22: the CLI covers the API (message, contact timeline,
optout, webhook), exit codes as the README says (0 ok, 1 failure, 2 usage), no
database created by a command that reads one, `serve --listen` with a bad port,
`provider --help` from the kinds table, the demo's instructions, the Twilio
simulator's --numbers, and the README's CLI block run top to bottom."""
import json
import os
import re
import signal
import subprocess
import time

import pytest

from conftest import (ACCOUNT_SID, AUTH_TOKEN, BIN, REPO, Proc, Server, clean_env, free_port,
                      make_gateway, run_cli, wait_for)


def cli(db, *args, rc=0, **kw):
    cp = run_cli(*args, "--db", db, "--log-level", "warn", **kw)
    assert cp.returncode == rc, (args, cp.returncode, cp.stdout, cp.stderr)
    return cp


# ---- message --------------------------------------------------------------------------


def test_message_list_show_cancel(gw):
    db = gw.srv.db
    a = gw.srv.send("+447400123456", "first one")
    gw.srv.wait_status(a["id"], "sent")
    soon = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 30 * 86400))
    later = gw.srv.send("+447400123457", "for later", send_at=soon)
    cp = cli(db, "message", "list")
    lines = cp.stdout.splitlines()
    assert lines[0].split()[:3] == ["ID", "STATUS", "TO"], cp.stdout
    rows = {l.split()[0]: l.split() for l in lines[1:]}
    assert rows[a["id"]][1] == "sent" and rows[a["id"]][2] == "+447400123456"
    assert rows[later["id"]][1] == "scheduled"
    j = json.loads(cli(db, "message", "list", "--status", "sent", "--json").stdout)
    assert [m["id"] for m in j["data"]] == [a["id"]]
    assert j["data"][0]["provider"] == "sim"
    j = json.loads(cli(db, "message", "list", "--to", "+447400123457", "--json").stdout)
    assert [m["id"] for m in j["data"]] == [later["id"]]

    cp = cli(db, "message", "show", a["id"])
    assert re.search(r"^status\s+sent$", cp.stdout, re.M), cp.stdout
    assert re.search(r"^body\s+first one$", cp.stdout, re.M)
    assert "events:" in cp.stdout and "queued" in cp.stdout
    j = json.loads(cli(db, "message", "show", a["id"], "--json").stdout)
    api = gw.srv.message(a["id"])
    for k in ("id", "status", "to", "body", "provider", "provider_message_id", "events"):
        assert j[k] == api[k], k

    cli(db, "message", "cancel", later["id"])
    assert gw.srv.message(later["id"])["status"] == "canceled"
    cp = cli(db, "message", "cancel", a["id"], rc=1)  # already sent: a failure
    assert "sent" in cp.stderr and len(cp.stderr.strip().splitlines()) == 1
    cp = cli(db, "message", "show", "msg_nope", rc=1)
    assert cp.stderr.strip() == "smsgate: no message msg_nope"
    cli(db, "message", "list", "--status", "bogus", rc=2)
    cli(db, "message", "list", "--limit", "0", rc=2)
    cli(db, "message", "show", rc=2)  # missing ID
    cli(db, "message", "frobnicate", rc=2)


# ---- contact timeline, optout ----------------------------------------------------------


@pytest.mark.pg_not_yet("the timeline")
def test_contact_timeline_and_optouts(gw):
    db = gw.srv.db
    r = gw.srv.post("/v1/contacts", json={"phone": "+447400123456", "first_name": "Ann"})
    assert r.status_code == 201, r.text
    a = gw.srv.send("+447400123456", "hello Ann")
    gw.srv.wait_status(a["id"], "sent")

    cp = cli(db, "optout", "add", "+447400123456", "--reason", "asked by phone")
    assert "opted out +447400123456" in cp.stderr
    cp = cli(db, "optout", "list")
    assert cp.stdout.splitlines()[0].split() == ["PHONE", "SOURCE", "SINCE", "REASON"]
    row = cp.stdout.splitlines()[1].split()
    assert row[:2] == ["+447400123456", "cli"] and "asked by phone" in cp.stdout
    j = json.loads(cli(db, "optout", "list", "--json").stdout)
    assert [(o["phone"], o["source"]) for o in j["data"]] == [("+447400123456", "cli")]
    # the API sees it: a send to the number is refused
    assert gw.srv.get("/v1/optouts").json()["data"][0]["phone"] == "+447400123456"

    cp = cli(db, "contact", "timeline", "+447400123456")
    lines = cp.stdout.splitlines()
    assert lines[0].split() == ["AT", "WHAT", "DETAIL"]
    assert "consent opted_out" in lines[1] and "(cli)" in lines[1], cp.stdout
    assert any(a["id"] in l and "hello Ann" in l for l in lines[2:]), cp.stdout
    j = json.loads(cli(db, "contact", "timeline", "+447400123456", "--json").stdout)
    assert [t["type"] for t in j["data"]] == ["consent", "message"]
    assert j["data"][1]["message"]["id"] == a["id"]

    cli(db, "optout", "remove", "+447400123456")
    assert json.loads(cli(db, "optout", "list", "--json").stdout)["data"] == []
    cp = cli(db, "optout", "remove", "+447400123456", rc=1)
    assert "not opted out" in cp.stderr
    cp = cli(db, "optout", "add", "12", rc=1)  # a refused number is a failure
    assert "not a valid phone number" in cp.stderr
    cli(db, "optout", "add", rc=2)
    cli(db, "contact", "timeline", "+447400999999", rc=1)


# ---- webhook (through the API) -----------------------------------------------------------


def test_webhook_list_create_remove(gw):
    env = clean_env({"SMSGATE_KEY": gw.admin, "SMSGATE_API": gw.srv.url})

    def wh(*args, rc=0):
        cp = run_cli("webhook", *args, env=env)
        assert cp.returncode == rc, (args, cp.returncode, cp.stdout, cp.stderr)
        return cp

    cp = wh("create", "--url", "https://203.0.113.10/hooks/smsgate", "--events",
            "message.status,contact.opted_out")
    created = json.loads(cp.stdout)
    assert created["secret"].startswith("whsec_")
    assert created["events"] == ["message.status", "contact.opted_out"]
    cp = wh("list")
    assert cp.stdout.splitlines()[0].split() == ["ID", "ACTIVE", "URL", "EVENTS"]
    assert created["id"] in cp.stdout and "message.status,contact.opted_out" in cp.stdout
    assert created["secret"] not in cp.stdout
    assert [w["id"] for w in json.loads(wh("list", "--json").stdout)["data"]] == [created["id"]]
    assert json.loads(wh("show", created["id"]).stdout)["url"] == \
        "https://203.0.113.10/hooks/smsgate"
    assert wh("deliveries", created["id"]).stdout.split()[:2] == ["ID", "EVENT"]
    wh("remove", created["id"])
    assert json.loads(wh("list", "--json").stdout)["data"] == []
    cp = wh("remove", created["id"], rc=1)
    assert "no webhook" in cp.stderr
    cp = wh("create", "--url", "ftp://x", "--events", "message.status", rc=1)
    assert "url" in cp.stderr
    wh("create", "--url", "https://203.0.113.10/x", rc=2)  # --events missing
    # a viewer key is refused by the API: a failure, said in one line
    env["SMSGATE_KEY"] = gw.viewer
    cp = wh("create", "--url", "https://203.0.113.10/x", "--events", "message.status", rc=1)
    assert len(cp.stderr.strip().splitlines()) == 1 and "403" in cp.stderr
    # no server there
    env["SMSGATE_API"] = f"http://127.0.0.1:{free_port()}"
    cp = wh("list", rc=1)
    assert "cannot reach the API" in cp.stderr
    del env["SMSGATE_KEY"]
    wh("list", rc=2)


# ---- exit codes, missing databases, serve --listen ---------------------------------------


def test_refused_sends_exit_1(gw):
    db = gw.srv.db
    cp = cli(db, "send", "--to", "12", "x", rc=1)
    assert "invalid_phone" in cp.stderr
    gw.srv.patch("/v1/providers/sim", json={"active": False})
    cp = cli(db, "send", "--to", "+447400123456", "--provider", "sim", "x", rc=1)
    assert len(cp.stderr.strip().splitlines()) == 1
    cp = cli(db, "provider", "test", "sim", "--to", "+447400123456", rc=1)
    assert "inactive" in cp.stderr or "not active" in cp.stderr, cp.stderr
    cli(db, "send", "x", rc=2)  # --to missing: usage
    cli(db, "send", "--to", "+447400123456", "--bogus", "x", rc=2)


@pytest.mark.parametrize("args", [
    ("message", "list"), ("message", "show", "msg_x"), ("contact", "list"),
    ("contact", "timeline", "+447400123456"), ("optout", "list"),
    ("optout", "add", "+447400123456"), ("provider", "list"), ("provider", "show", "x"),
    ("provider", "test", "x", "--to", "+447400123456"), ("send", "--to", "+447400123456", "x"),
    ("group", "list"), ("stats",), ("broadcast", "list"),
])
def test_reading_a_missing_database_creates_nothing(tmp_path, args):
    os.chdir(tmp_path)
    try:
        cp = run_cli(*args)  # the default ./smsgate.db
        assert cp.returncode == 1, (args, cp.returncode, cp.stderr)
        assert cp.stderr.strip() == \
            "smsgate: no database at ./smsgate.db; pass --db or set SMSGATE_DB", cp.stderr
        cp = run_cli(*args, env=clean_env({"SMSGATE_DB": str(tmp_path / "other.db")}))
        assert cp.returncode == 1
        assert f"no database at {tmp_path / 'other.db'}" in cp.stderr
        assert sorted(os.listdir(tmp_path)) == []
    finally:
        os.chdir(REPO)


def test_serve_bad_port_names_it_and_creates_nothing(tmp_path):
    db = tmp_path / "s.db"
    for listen in ("127.0.0.1:99999", "127.0.0.1:-1"):
        cp = run_cli("serve", "--db", db, "--listen", listen)
        assert cp.returncode == 2, cp.stderr
        assert listen.rsplit(":", 1)[1] in cp.stderr and "port" in cp.stderr, cp.stderr
        assert len(cp.stderr.strip().splitlines()) == 1
    assert os.listdir(tmp_path) == []


# ---- provider --help, per-kind flags ------------------------------------------------------


def test_provider_help_lists_every_kind_and_its_flags():
    cp = run_cli("provider", "--help")
    assert cp.returncode == 0
    out = cp.stdout
    kinds = re.findall(r"^  (\S+)$", out.split("kinds (--kind)")[1], re.M)
    assert kinds == ["twilio", "clickatell", "clickatell-platform"], out
    for flag in ("--account-sid", "--auth-token", "--messaging-service-sid", "--username",
                 "--password", "--api-id", "--mo", "--params", "--api-key", "--callback-secret",
                 "--allow-from", "--wait", "--no-wait", "--json"):
        assert flag in out, flag
    assert "(default 1)" in out  # the real default mps
    assert "--mps N" in out and "(default: 0)" not in out


def test_provider_add_with_clickatell_flags(tmp_path):
    db = tmp_path / "c.db"
    cp = run_cli("provider", "add", "--db", db, "--name", "ckt", "--kind", "clickatell",
                 "--username", "me", "--password", "s3cret-pw", "--params",
                 "api_id=3512345\nfrom=27820000000|+27820000001\nmo=1", "--mps", "5",
                 "--log-level", "warn")
    assert cp.returncode == 0, cp.stderr
    c = json.loads(cp.stdout)["config"]
    assert c["username"] == "me" and c["api_id"] == "3512345" and c["mo"] is True
    assert c["from"] == ["+27820000000", "+27820000001"] and c["mps"] == 5
    assert "s3cret-pw" not in cp.stdout
    cp = run_cli("provider", "add", "--db", db, "--name", "x", "--kind", "twilio",
                 "--account-sid", ACCOUNT_SID, "--auth-token", "t0k3n-abcd", "--mps", "fast")
    assert cp.returncode == 2 and "--mps must be a number" in cp.stderr


def test_twilio_provider_takes_civicrm_params(harness):
    """Issue 11 item 20: CiviCRM's API Parameters text and bare international numbers."""
    sim = harness.start_sim("--numbers", "+12345051212,+19875052323")
    srv = harness.start_server()
    from conftest import create_key
    srv.key = create_key(srv.db, "admin")
    r = srv.post("/v1/providers", json={"name": "tw", "kind": "twilio", "default": True, "config": {
        "account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN, "base_url": sim.url,
        "params": "From=12345051212|19875052323\r\nmo=1"}})
    assert r.status_code == 201, r.text
    assert r.json()["config"]["from"] == ["+12345051212", "+19875052323"]
    assert "params" not in r.json()["config"]
    # bare digits in from, through the CLI's per-kind flag
    cp = cli(srv.db, "provider", "edit", "tw", "--from", "12345051212")
    assert json.loads(cp.stdout)["config"]["from"] == ["+12345051212"]
    r = srv.patch("/v1/providers/tw", json={"config": {"params": "api_id=1"}})
    assert r.status_code == 400 and r.json()["field"] == "config.params", r.text


# ---- the simulator's numbers ----------------------------------------------------------------


def test_simulator_numbers_pool(harness):
    pool = ["+15017122661", "+15017122662"]
    g = make_gateway(harness, sim_args=("--numbers", ",".join(pool)),
                     provider_kw={"from_": "|".join(pool)})
    ids = [g.srv.send(f"+4474001234{i:02d}", f"pool {i}")["id"] for i in range(12)]
    done = g.srv.wait_final(ids)
    assert all(m["status"] == "sent" for m in done.values()), done
    used = {m["from"] for m in g.sim.messages()}
    assert used == set(pool), used  # both senders of the pool were used and accepted
    # a sender the simulated account does not own is refused as Twilio does (21606,
    # provider class: retried within the budget, then given up)
    g.srv.patch("/v1/providers/sim", json={"config": {"retry_for_seconds": 0}})
    m = g.srv.send("+447400123499", "not mine", **{"from": "+15005550006"})
    m = g.srv.wait_status(m["id"], "failed")
    assert m["error_code"] == "retry_budget_exhausted" and "21606" in m["error_message"], m


def test_simulator_numbers_flag_is_checked():
    cp = run_cli("simulate", "twilio", "--numbers", "+1500,12345")
    assert cp.returncode == 2 and "--numbers" in cp.stderr


# ---- the demo and the README ------------------------------------------------------------------


def test_demo_prints_the_database_and_the_simulator_token(harness):
    db = harness.tmp / "demo.db"
    port = free_port()
    proc = harness.track(Proc(["serve", "--demo", "--db", db, "--listen", f"127.0.0.1:{port}",
                               "--log-level", "warn"], harness.logs, "demo"))
    out = wait_for(lambda: proc.alive() and "Press Ctrl-C" in proc.stdout() and proc.stdout(),
                   timeout=10, what="the demo instructions")
    assert re.search(rf"^  database\s+{re.escape(str(db))}$", out, re.M), out
    assert "auth token simulator-auth-token" in out
    assert f"SMSGATE_DB={db}" in out
    # the printed inject command works against the demo (it got 403 before)
    inject = re.search(r"simulate inject --to-url (\S+) \\\n\s+--from (\S+) --to (\S+) --body STOP "
                       r"--auth-token (\S+)", out)
    assert inject, out
    url, frm, to, token = inject.groups()
    cp = run_cli("simulate", "inject", "--to-url", url, "--from", frm, "--to", to, "--body",
                 "STOP", "--auth-token", token)
    assert cp.returncode == 0, cp.stderr
    # and the CLI line it prints reads the demo's database
    cp = run_cli("optout", "list", "--db", db, "--log-level", "warn")
    assert cp.returncode == 0 and "+447400123456" in cp.stdout, (cp.stdout, cp.stderr)
    proc.signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0


def readme_cli_blocks():
    text = (REPO / "README.md").read_text()
    section = text.split("\n## CLI\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, re.S)


def test_readme_cli_block_runs_top_to_bottom(harness, tmp_path):
    """The README's CLI ```sh block(s), run in order against a simulator and a server on
    the same database, each command succeeding."""
    blocks = readme_cli_blocks()
    assert blocks, "no ```sh block in the README's CLI section"
    # the README's simulator: its default account and token
    sim = harness.start_sim(account_sid="AC" + "a" * 32, auth_token="simulator-auth-token",
                            callbacks=True)
    db = tmp_path / "smsgate.db"
    srv = harness.start_server(db=db)
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "smsgate").symlink_to(BIN)
    env = clean_env({"PATH": f"{bindir}:{os.environ['PATH']}", "SMSGATE_DB": str(db),
                     "SMSGATE_LOG_LEVEL": "warn", "SIM_URL": sim.url})
    script = "set -eu\n" + "\n".join(blocks).replace("http://127.0.0.1:18091", sim.url)
    cp = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True,
                        text=True, timeout=120)
    assert cp.returncode == 0, f"stdout:\n{cp.stdout}\nstderr:\n{cp.stderr}"
    assert "delivered" in cp.stdout


@pytest.mark.parametrize("args", [
    ("message", "list"), ("message", "show"), ("message", "cancel"), ("contact", "timeline"),
    ("optout", "list"), ("optout", "add"), ("optout", "remove"), ("webhook", "list"),
    ("webhook", "create"), ("webhook", "show"), ("webhook", "remove"), ("webhook", "deliveries"),
])
def test_new_commands_have_help(args):
    cp = run_cli(*args, "--help")
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout.startswith(f"usage: smsgate {' '.join(args)}"), cp.stdout
    top = run_cli(args[0], "--help")
    assert top.returncode == 0 and args[1] in top.stdout
