"""The audit log's remaining gaps (issue 13): removals of contacts, groups,
segments and templates through the API, and the CLI's writes to admin state
(providers, keys, opt-outs) with the actor "cli" and no source address, as the
CLI's user commands already were. Never a secret or a phone number in a detail."""
import json

from conftest import ACCOUNT_SID, create_key, run_cli

from test_audit_actions import audited, rows_by, start


def test_api_removals_are_audited_with_the_name(harness):
    srv = start(harness)
    c = srv.post("/v1/contacts", json={"phone": "+447400123456", "first_name": "Del"}).json()
    g = srv.post("/v1/groups", json={"name": "old group"}).json()
    s = srv.post("/v1/segments", json={"name": "old segment", "filter": 'first_name = "x"'})
    assert s.status_code == 201, s.text
    s = s.json()
    t = srv.post("/v1/templates", json={"name": "old template", "body": "Hi {{first_name}}"})
    assert t.status_code == 201, t.text
    t = t.json()
    for path in (f"/v1/contacts/{c['id']}", f"/v1/groups/{g['id']}", f"/v1/segments/{s['id']}",
                 f"/v1/templates/{t['id']}"):
        assert srv.delete(path).status_code == 204, path
        assert srv.delete(path).status_code == 404, path  # refused: no second entry
    assert audited(srv, "contact.") == rows_by(srv, [("contact.delete", c["id"])])
    assert audited(srv, "group.") == rows_by(srv, [("group.delete", g["id"])])
    assert audited(srv, "segment.") == rows_by(srv, [("segment.delete", s["id"])])
    assert audited(srv, "template.") == rows_by(srv, [("template.delete", t["id"])])
    entries = {a["action"]: a for a in srv.get("/v1/audit").json()["data"]}
    assert entries["group.delete"]["detail"] == {"name": "old group"}
    assert entries["template.delete"]["detail"] == {"name": "old template"}
    assert entries["contact.delete"]["detail"] is None  # the id, never the number
    assert "+447400123456" not in json.dumps(entries["contact.delete"])


def cli_entries(srv, prefix):
    """(action, actor, subject, source, detail) of the entries whose action starts
    with prefix, oldest first."""
    r = srv.get("/v1/audit", params={"limit": 1000})
    assert r.status_code == 200, r.text
    return [(a["action"], a["actor"], a["subject"], a["source"], a["detail"])
            for a in reversed(r.json()["data"]) if a["action"].startswith(prefix)]


def test_cli_admin_writes_are_audited_as_cli(harness):
    srv = start(harness)
    db = srv.db
    token = "cli-audit-t0ken-0123456789abcdef"
    cp = run_cli("provider", "add", "--db", db, "--name", "tw", "--kind", "twilio",
                 "--account-sid", ACCOUNT_SID, "--auth-token", token, "--from", "+15550001111",
                 "--log-level", "warn")
    assert cp.returncode == 0, cp.stderr
    pid = json.loads(cp.stdout)["id"]
    cp = run_cli("provider", "edit", "tw", "--db", db, "--title", "Main", "--log-level", "warn")
    assert cp.returncode == 0, cp.stderr
    cp = run_cli("provider", "edit", "tw", "--db", db, "--default", "--log-level", "warn")
    assert cp.returncode == 0, cp.stderr
    cp = run_cli("provider", "remove", "tw", "--db", db, "--log-level", "warn")
    assert cp.returncode == 0, cp.stderr
    assert run_cli("provider", "remove", "tw", "--db", db).returncode != 0  # no entry

    provider = cli_entries(srv, "provider.")
    assert [(a, actor, subj, src) for a, actor, subj, src, _ in provider] == [
        ("provider.create", "cli", pid, None), ("provider.update", "cli", pid, None),
        ("provider.set_default", "cli", pid, None), ("provider.delete", "cli", pid, None)]
    assert provider[0][4]["kind"] == "twilio"
    assert token not in json.dumps(provider)

    cp = run_cli("key", "create", "--db", db, "--role", "sender", "--name", "ops")
    assert cp.returncode == 0, cp.stderr
    key = cp.stdout.strip().splitlines()[-1]
    kid = "key_" + key.split("_")[1]
    assert run_cli("key", "edit", kid, "--db", db, "--daily-quota", "10").returncode == 0
    assert run_cli("key", "revoke", kid, "--db", db).returncode == 0
    assert run_cli("key", "revoke", kid, "--db", db).returncode != 0  # no entry
    # the first entry is the test's own admin key, made by the CLI too
    keys = [e for e in cli_entries(srv, "key.") if e[1] == "cli"][1:]
    assert [(a, subj, src) for a, _, subj, src, _ in keys] == [
        ("key.create", kid, None), ("key.update", kid, None), ("key.revoke", kid, None)]
    assert keys[0][4] == {"name": "ops", "role": "sender"}
    assert key not in json.dumps(keys) and key.split("_", 2)[2] not in json.dumps(keys)

    assert run_cli("optout", "add", "+447400123457", "--db", db).returncode == 0
    assert run_cli("optout", "add", "+447400123457", "--db", db).returncode == 0  # no change
    assert run_cli("optout", "remove", "+447400123457", "--db", db).returncode == 0
    assert [e[:4] for e in cli_entries(srv, "optout.")] == [
        ("optout.add", "cli", "+447400123457", None),
        ("optout.remove", "cli", "+447400123457", None)]
