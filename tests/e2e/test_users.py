"""Console users through /v1/users and `smsgate user`: create, list, show, change,
remove; validation; only admins; the last admin is kept; changes are audited
(GET /v1/audit and `smsgate audit`) with who, what, when and from where."""
import json
import os
import pty
import re
import select
import signal
import subprocess
import time

import requests

from conftest import (BIN, Proc, assert_problem, clean_env, create_key, free_port, run_cli,
                      wait_for)
from userkit import create_user, sign_in, signed_in, user_cli

PW = "a-long-enough-password"
USER_KEYS = {"id", "email", "role", "created_at", "updated_at", "last_sign_in_at"}


def start(harness):
    srv = harness.start_server()
    srv.key = create_key(srv.db, "admin")
    return srv


def test_crud_through_the_api(harness):
    srv = start(harness)
    r = srv.post("/v1/users", json={"email": "Jo@Example.org", "role": "sender", "password": PW})
    assert r.status_code == 201, r.text
    u = r.json()
    assert set(u) == USER_KEYS, u
    assert u["id"].startswith("usr_") and u["email"] == "Jo@Example.org" and u["role"] == "sender"
    assert u["last_sign_in_at"] is None
    # the email is unique in any case
    r = srv.post("/v1/users", json={"email": "jo@example.ORG", "role": "viewer", "password": PW})
    assert_problem(r, 409, "conflict", "email")
    listed = srv.get("/v1/users").json()
    assert [x["id"] for x in listed["data"]] == [u["id"]] and listed["next_cursor"] is None
    assert srv.get(f"/v1/users/{u['id']}").json() == u
    # a role change
    r = srv.patch(f"/v1/users/{u['id']}", json={"role": "viewer"})
    assert r.status_code == 200 and r.json()["role"] == "viewer", r.text
    # a password change: the new one signs in, the old one no longer does
    assert sign_in(srv, "jo@example.org", PW)[1].status_code == 200
    r = srv.patch(f"/v1/users/{u['id']}", json={"password": "another-long-password"})
    assert r.status_code == 200, r.text
    assert set(r.json()) == USER_KEYS
    assert_problem(sign_in(srv, "jo@example.org", PW)[1], 401, "invalid_credentials")
    assert sign_in(srv, "jo@example.org", "another-long-password")[1].status_code == 200
    assert srv.get(f"/v1/users/{u['id']}").json()["last_sign_in_at"].endswith("Z")
    r = srv.delete(f"/v1/users/{u['id']}")
    assert r.status_code == 204, r.text
    assert_problem(srv.get(f"/v1/users/{u['id']}"), 404, "not_found")
    assert_problem(srv.delete(f"/v1/users/{u['id']}"), 404, "not_found")
    assert_problem(sign_in(srv, "jo@example.org", "another-long-password")[1], 401,
                   "invalid_credentials")


def test_bad_input_names_the_field(harness):
    srv = start(harness)
    ok = {"email": "kim@example.org", "role": "viewer", "password": PW}
    rows = [({**ok, "password": "short"}, "password"),
            ({**ok, "password": "x" * 1025}, "password"),
            ({**ok, "role": "owner"}, "role"),
            ({**ok, "email": "kim.example.org"}, "email"),
            ({**ok, "email": "kim@"}, "email"),
            ({k: v for k, v in ok.items() if k != "password"}, "password"),
            ({**ok, "password_hash": "x"}, "password_hash")]
    for body, field in rows:
        assert_problem(srv.post("/v1/users", json=body), 400, "invalid_request", field)
    assert srv.post("/v1/users", json={**ok, "password": "x" * 1024}).status_code == 201
    uid = srv.get("/v1/users").json()["data"][0]["id"]
    assert_problem(srv.patch(f"/v1/users/{uid}", json={}), 400, "invalid_request")
    assert_problem(srv.patch(f"/v1/users/{uid}", json={"email": "new@example.org"}), 400,
                   "invalid_request", "email")
    assert_problem(srv.patch(f"/v1/users/{uid}", json={"password": "short"}), 400,
                   "invalid_request", "password")
    assert_problem(srv.patch("/v1/users/usr_nosuch", json={"role": "admin"}), 404, "not_found")


def test_only_admins_manage_users(harness):
    srv = start(harness)
    for role in ("sender", "viewer"):
        key = create_key(srv.db, role)
        assert_problem(srv.get("/v1/users", key=key), 403, "forbidden")
        assert_problem(srv.post("/v1/users", key=key, json={"email": "a@example.org",
                                                           "role": "admin", "password": PW}),
                       403, "forbidden")
    assert_problem(srv.get("/v1/users", key=""), 401, "unauthorized")
    assert srv.get("/v1/users").json()["data"] == []


def test_the_last_admin_is_kept(harness):
    srv = start(harness)
    a = srv.post("/v1/users", json={"email": "a1@example.org", "role": "admin",
                                    "password": PW}).json()
    assert_problem(srv.delete(f"/v1/users/{a['id']}"), 409, "last_admin")
    assert_problem(srv.patch(f"/v1/users/{a['id']}", json={"role": "viewer"}), 409, "last_admin",
                   "role")
    # an admin signed in cannot remove themselves as the last admin either
    s, token = signed_in(srv, "a1@example.org", PW)
    r = s.delete(srv.url + f"/v1/users/{a['id']}", headers={"X-CSRF-Token": token}, timeout=10)
    assert_problem(r, 409, "last_admin")
    # with a second admin, the first may be demoted, then the second is the last
    b = srv.post("/v1/users", json={"email": "a2@example.org", "role": "admin",
                                    "password": PW}).json()
    assert srv.patch(f"/v1/users/{a['id']}", json={"role": "sender"}).status_code == 200
    assert_problem(srv.delete(f"/v1/users/{b['id']}"), 409, "last_admin")
    cp = user_cli("remove", "a2@example.org", "--db", srv.db, "--log-level", "warn")
    assert cp.returncode == 1 and "last admin" in cp.stderr, cp.stderr
    assert srv.get(f"/v1/users/{b['id']}").status_code == 200


def test_the_cli(harness):
    srv = start(harness)
    db = srv.db
    uid = create_user(db, "cli@example.org", "admin", PW)
    cp = user_cli("list", "--db", db, "--log-level", "warn")
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout.splitlines()[0].split() == ["ID", "ROLE", "CREATED", "LAST_SIGN_IN", "EMAIL"]
    assert uid in cp.stdout and "cli@example.org" in cp.stdout
    cp = user_cli("list", "--json", "--db", db, "--log-level", "warn")
    rows = json.loads(cp.stdout)
    assert [(u["id"], u["role"]) for u in rows] == [(uid, "admin")]
    assert set(rows[0]) == USER_KEYS
    assert PW not in cp.stdout + cp.stderr
    # the user signs in to the running server
    assert sign_in(srv, "CLI@example.org", PW)[1].status_code == 200
    cp = user_cli("passwd", "cli@example.org", "--password-stdin", "--db", db, "--log-level",
                  "warn", password="changed-by-the-cli")
    assert cp.returncode == 0, cp.stderr
    assert "changed-by-the-cli" not in cp.stdout + cp.stderr
    assert sign_in(srv, "cli@example.org", "changed-by-the-cli")[1].status_code == 200
    other = create_user(db, "gone@example.org", "viewer", PW)
    cp = user_cli("remove", other, "--db", db, "--log-level", "warn")
    assert cp.returncode == 0, cp.stderr
    assert_problem(srv.get(f"/v1/users/{other}"), 404)
    # refusals: exit 1 with one line
    cases = [
        (("create", "--email", "cli@EXAMPLE.org", "--role", "viewer", "--password-stdin"), PW),
        (("create", "--email", "new@example.org", "--role", "viewer", "--password-stdin"),
         "short"),
        (("remove", "nobody@example.org"), None),
        (("passwd", "nobody@example.org", "--password-stdin"), PW),
    ]
    for args, pw in cases:
        cp = user_cli(*args, "--db", db, "--log-level", "warn", password=pw)
        assert cp.returncode == 1, (args, cp.returncode, cp.stderr)
        assert len(cp.stderr.strip().splitlines()) == 1, cp.stderr
        assert PW not in cp.stderr


def test_cli_usage_errors_and_help(harness):
    db = str(harness.tmp / "u.db")
    usage = [
        ("create", "--role", "admin", "--password-stdin"),                    # no --email
        ("create", "--email", "x@example.org", "--role", "boss", "--password-stdin"),
        ("create", "--email", "not-an-address", "--role", "admin", "--password-stdin"),
        ("create", "--email", "x@example.org", "--role", "admin"),            # no terminal
        ("remove",),
        ("passwd", "a", "b"),
        ("frobnicate",),
    ]
    for args in usage:
        cp = user_cli(*args, "--db", db, password=PW if "--password-stdin" in args else None)
        assert cp.returncode == 2, (args, cp.returncode, cp.stderr)
    for verb in ("create", "list", "remove", "passwd"):
        cp = user_cli(verb, "--help")
        assert cp.returncode == 0 and "usage: smsgate user " + verb in cp.stdout, cp.stdout
    cp = run_cli("audit", "--help")
    assert cp.returncode == 0 and "usage: smsgate audit" in cp.stdout
    assert run_cli("audit", "--since", "yesterday", "--db", db).returncode == 2


def test_changes_and_sign_ins_are_audited(harness):
    srv = start(harness)
    key_id = "key_" + srv.key.split("_")[1]
    create_user(srv.db, "boss@example.org", "admin", PW)            # by the CLI
    r = srv.post("/v1/users", json={"email": "ed@example.org", "role": "viewer", "password": PW})
    uid = r.json()["id"]                                               # by a key
    s, token = signed_in(srv, "boss@example.org", PW)                 # a sign-in
    h = {"X-CSRF-Token": token}
    assert s.patch(srv.url + f"/v1/users/{uid}", json={"role": "sender", "password": PW + "x"},
                   headers=h, timeout=30).status_code == 200          # by a user
    assert s.delete(srv.url + f"/v1/users/{uid}", headers=h, timeout=10).status_code == 204
    assert sign_in(srv, "boss@example.org", "wrong-password-aa")[1].status_code == 401
    assert s.delete(srv.url + "/v1/session", headers=h, timeout=10).status_code == 204

    rows = srv.get("/v1/audit").json()["data"]
    got = [(a["action"], a["actor"], a["subject"], a["source"]) for a in reversed(rows)]
    assert got == [
        ("key.create", "cli", key_id, None),                          # the test's key
        ("user.create", "cli", "boss@example.org", None),
        ("user.create", key_id, "ed@example.org", "127.0.0.1"),
        ("session.sign_in", "boss@example.org", "boss@example.org", "127.0.0.1"),
        ("user.update", "boss@example.org", "ed@example.org", "127.0.0.1"),
        ("user.remove", "boss@example.org", "ed@example.org", "127.0.0.1"),
        ("session.sign_in_failed", "boss@example.org", "boss@example.org", "127.0.0.1"),
        ("session.sign_out", "boss@example.org", "boss@example.org", "127.0.0.1"),
    ], got
    update = next(a for a in rows if a["action"] == "user.update")
    assert update["detail"] == {"role": "sender", "password_changed": True}
    assert all(a["at"].endswith("Z") for a in rows)
    assert PW not in json.dumps(rows)

    # filters
    by_user = srv.get("/v1/audit", params={"actor": "boss@example.org"}).json()["data"]
    assert {a["actor"] for a in by_user} == {"boss@example.org"} and len(by_user) == 5
    creates = srv.get("/v1/audit", params={"action": "user.create"}).json()["data"]
    assert [a["subject"] for a in creates] == ["ed@example.org", "boss@example.org"]
    since = rows[2]["at"]
    assert [a["id"] for a in srv.get("/v1/audit", params={"since": since}).json()["data"]] == \
        [a["id"] for a in rows if a["at"] >= since]
    assert srv.get("/v1/audit", params={"since": "2999-01-01T00:00:00Z"}).json()["data"] == []
    assert_problem(srv.get("/v1/audit", params={"since": "soon"}), 400, "invalid_time", "since")
    # cursor paging walks every row once
    seen, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = srv.get("/v1/audit", params=params).json()
        seen += [a["id"] for a in page["data"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [a["id"] for a in rows]
    assert_problem(srv.get("/v1/audit", params={"cursor": "abc"}), 400, "invalid_cursor")

    # the CLI shows the same log
    cp = run_cli("audit", "--json", "--db", srv.db, "--log-level", "warn", check=True)
    assert [a["id"] for a in json.loads(cp.stdout)] == [a["id"] for a in rows]
    cp = run_cli("audit", "--action", "user.remove", "--db", srv.db, "--log-level", "warn",
                 check=True)
    lines = cp.stdout.splitlines()
    assert lines[0].split() == ["AT", "ACTION", "ACTOR", "SOURCE", "SUBJECT"]
    assert len(lines) == 2 and "user.remove" in lines[1] and "ed@example.org" in lines[1]


def test_a_password_change_ends_the_users_sessions(harness):
    srv = start(harness)
    create_user(srv.db, "pat@example.org", "sender", PW)
    s, _ = signed_in(srv, "pat@example.org", PW)
    assert s.get(srv.url + "/v1/session", timeout=10).status_code == 200
    uid = s.get(srv.url + "/v1/session", timeout=10).json()["user"]["id"]
    assert srv.patch(f"/v1/users/{uid}", json={"password": PW + "-new"}).status_code == 200
    assert_problem(s.get(srv.url + "/v1/session", timeout=10), 401, "unauthorized")
    # a removal too
    s, _ = signed_in(srv, "pat@example.org", PW + "-new")
    assert srv.delete(f"/v1/users/{uid}").status_code == 204
    assert_problem(requests.get(srv.url + "/v1/messages", cookies=s.cookies, timeout=10), 401)


def test_the_demo_prints_a_console_login(harness):
    db = harness.tmp / "demo.db"
    logins = []
    for _ in range(2):  # a second start on the same database gives a new password
        port = free_port()
        proc = harness.track(Proc(["serve", "--demo", "--db", db, "--listen",
                                   f"127.0.0.1:{port}", "--log-level", "warn"], harness.logs,
                                  "demo"))
        out = wait_for(lambda: proc.alive() and "Press Ctrl-C" in proc.stdout() and proc.stdout(),
                       timeout=15, what="the demo instructions")
        assert re.search(rf"^  console\s+http://127\.0\.0\.1:{port}/console/$", out, re.M), out
        m = re.search(r"^  sign in\s+(\S+@\S+) / (\S+)$", out, re.M)
        assert m, out
        email, password = m.groups()
        assert len(password) >= 12
        srv = type("S", (), {"url": f"http://127.0.0.1:{port}"})
        _, r = sign_in(srv, email, password)
        assert r.status_code == 200 and r.json()["user"]["role"] == "admin", r.text
        assert password not in proc.stderr()
        logins.append((email, password))
        proc.signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    assert logins[0][0] == logins[1][0] and logins[0][1] != logins[1][1]


def run_on_a_terminal(args, lines, timeout=30):
    """Run `smsgate ARGS` with a pseudo-terminal as stdin, stdout and stderr,
    answering each prompt ending in ': ' with the next of lines. Returns (exit
    code, everything the terminal showed)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([BIN, *map(str, args)], stdin=slave, stdout=slave, stderr=slave,
                            env=clean_env(), start_new_session=True)
    os.close(slave)
    shown, pending, answered_at = b"", list(lines), -1
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            shown += chunk
            # a prompt is answered once it is shown (the program flushes what was
            # typed before it), and only once
            if pending and shown.endswith(b": ") and len(shown) > answered_at:
                answered_at = len(shown)
                os.write(master, pending.pop(0).encode() + b"\n")
        elif proc.poll() is not None:
            break
    rc = proc.wait(timeout=10)
    os.close(master)
    return rc, shown.decode(errors="replace")


def test_the_cli_asks_twice_without_echo_on_a_terminal(harness):
    db = str(harness.tmp / "tty.db")
    secret = "typed-on-a-terminal-77"
    rc, shown = run_on_a_terminal(["user", "create", "--email", "tty@example.org", "--role",
                                   "admin", "--db", db, "--log-level", "warn"], [secret, secret])
    assert rc == 0, shown
    assert "Password: " in shown and "Password again: " in shown
    assert secret not in shown  # never echoed
    srv = harness.start_server(db=db)
    assert sign_in(srv, "tty@example.org", secret)[1].status_code == 200
    # two different answers: refused, nothing changed
    rc, shown = run_on_a_terminal(["user", "passwd", "tty@example.org", "--db", db,
                                   "--log-level", "warn"], ["first-answer-xxxx", "second-answer-yy"])
    assert rc == 1 and "differ" in shown, shown
    assert "first-answer-xxxx" not in shown and "second-answer-yy" not in shown
    assert sign_in(srv, "tty@example.org", secret)[1].status_code == 200


def test_the_user_list_is_cursor_paged(harness):
    srv = start(harness)
    made = [srv.post("/v1/users", json={"email": f"p{i}@example.org", "role": "viewer",
                                        "password": PW}).json()["id"] for i in range(3)]
    page = srv.get("/v1/users", params={"limit": 2}).json()
    assert [u["id"] for u in page["data"]] == made[:2] and page["next_cursor"]
    rest = srv.get("/v1/users", params={"limit": 2, "cursor": page["next_cursor"]}).json()
    assert [u["id"] for u in rest["data"]] == made[2:] and rest["next_cursor"] is None
    assert_problem(srv.get("/v1/users", params={"limit": 0}), 400, "invalid_limit", "limit")
