"""`smsgate serve` and the other commands on PostgreSQL (issue 14, section 2):
the master key they need (SMSGATE_MASTER_KEY or --master-key-file; a key that
differs from the database's is refused before anything is sealed with it),
what a store subject not ported yet answers, and the password never shown.
Real PostgreSQL: the run's cluster, a fresh database per test (`pg_db`)."""
import os

import requests

from conftest import AUTH_TOKEN, FROM, assert_problem, clean_env, run_cli, wait_for

KEY_A = "ab" * 32
KEY_B = "cd" * 32
NEEDS_KEY = ("smsgate: a PostgreSQL database needs the master key that seals its provider "
             "and app secrets, the same on every node: set SMSGATE_MASTER_KEY or pass "
             "--master-key-file FILE (docs/postgresql.md)\n")
WRONG_KEY = ("smsgate: the master key is not the one this database's secrets are sealed "
             "with (its check value differs): give every node the same key "
             "(SMSGATE_MASTER_KEY or --master-key-file; docs/postgresql.md)\n")


def env_without_key(**extra):
    env = {k: v for k, v in clean_env().items() if k != "SMSGATE_MASTER_KEY"}
    env.update(extra)
    return env


def provider_add(db, env, *extra):
    return run_cli("provider", "add", "--db", db, "--log-level", "warn", "--name", "sim",
                   "--kind", "twilio", "--account-sid", "AC" + "0123456789abcdef" * 2,
                   "--auth-token", AUTH_TOKEN, "--from", FROM, *extra, env=env)


def test_every_command_needs_the_master_key(pg_db, tmp_path):
    """No file beside a PostgreSQL database: without SMSGATE_MASTER_KEY or
    --master-key-file every command fails in one line (exit 1), serve before it
    listens, and nothing is written (no key file either)."""
    for command in (["key", "create", "--role", "admin"], ["message", "list"],
                    ["serve", "--listen", "127.0.0.1:0"]):
        cp = run_cli(*command, "--db", pg_db.url, env=env_without_key())
        assert cp.returncode == 1, cp.stderr
        assert cp.stderr == NEEDS_KEY, cp.stderr
        assert cp.stdout == ""
    # Refused before connecting: not even the schema was created.
    assert pg_db.psql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").strip() == "0"


def test_a_different_master_key_is_refused(pg_db, tmp_path):
    """The first command records the key's check value; a node with another
    key is refused in one line before it seals anything (provider add writes
    no provider), the same key from --master-key-file is accepted."""
    assert create_key_with(pg_db.url, KEY_A).startswith("sgk_")
    cp = provider_add(pg_db.url, env_without_key(SMSGATE_MASTER_KEY=KEY_B))
    assert cp.returncode == 1 and cp.stderr == WRONG_KEY, cp.stderr
    assert pg_db.psql("SELECT count(*) FROM providers").strip() == "0"
    cp = run_cli("serve", "--db", pg_db.url, "--listen", "127.0.0.1:0",
                 env=env_without_key(SMSGATE_MASTER_KEY=KEY_B))
    assert cp.returncode == 1 and cp.stderr == WRONG_KEY, cp.stderr
    check = pg_db.psql("SELECT check_value FROM master_key_check").strip()
    assert len(check) == 64 and KEY_A not in check and KEY_B not in check

    key_file = tmp_path / "master.key"
    key_file.write_text(KEY_A + "\n")
    key_file.chmod(0o600)
    cp = provider_add(pg_db.url, env_without_key(), "--master-key-file", str(key_file))
    assert cp.returncode == 0, cp.stderr
    # The flag wins over the environment (here a wrong key).
    cp = run_cli("provider", "list", "--db", pg_db.url, "--master-key-file", str(key_file),
                 env=env_without_key(SMSGATE_MASTER_KEY=KEY_B))
    assert cp.returncode == 0, cp.stderr
    assert "sim" in cp.stdout


def create_key_with(db, master_key):
    cp = run_cli("key", "create", "--role", "admin", "--db", db, "--log-level", "warn",
                 env=env_without_key(SMSGATE_MASTER_KEY=master_key))
    assert cp.returncode == 0, cp.stderr
    return cp.stdout.strip().splitlines()[-1].strip()


def test_master_key_file_overrides_the_file_beside_sqlite(harness, tmp_path):
    """On SQLite --master-key-file replaces DB.key (which is then not created);
    a missing file is one line, exit 1, and is not created."""
    db = str(tmp_path / "k.db")
    key_file = tmp_path / "master.key"
    cp = run_cli("key", "create", "--role", "admin", "--db", db, "--master-key-file",
                 str(key_file), "--log-level", "warn")
    assert cp.returncode == 1, cp.stderr
    assert cp.stderr.startswith(f"smsgate: cannot open key file {key_file}: "), cp.stderr
    assert len(cp.stderr.splitlines()) == 1, cp.stderr
    key_file.write_text(KEY_A + "\n")
    key_file.chmod(0o600)
    env = env_without_key(SMSGATE_MASTER_KEY_FILE=str(key_file))
    assert provider_add(db, env).returncode == 0
    assert not os.path.exists(db + ".key")
    sim = harness.start_sim()
    srv = harness.start_server(db=db, env=env)
    cp = run_cli("key", "create", "--role", "admin", "--db", db, env=env, check=True)
    srv.key = cp.stdout.strip().splitlines()[-1].strip()
    r = srv.patch("/v1/providers/sim", json={"config": {"base_url": sim.url}})
    assert r.status_code == 200 and "problem" not in r.json(), r.text
    m = srv.send("+447400123456", "sealed with the key file")
    srv.wait_status(m["id"], "sent")
    assert not os.path.exists(db + ".key")


def test_serve_on_postgres_sends_and_names_what_is_not_ported(harness, pg_db):
    """serve on PostgreSQL accepts and sends; an endpoint whose store subject is
    not ported yet answers 501 not_implemented (problem+json) instead of a
    crash or a hang; the log names the database without its password."""
    env = env_without_key(SMSGATE_MASTER_KEY=KEY_A)
    sim = harness.start_sim()
    srv = harness.start_server(db=pg_db.url, env=env)
    cp = run_cli("key", "create", "--role", "admin", "--db", pg_db.url, "--log-level", "warn",
                 env=env, check=True)
    srv.key = cp.stdout.strip().splitlines()[-1].strip()
    srv.add_provider(sim.url)
    m = srv.send("+447400123456", "over PostgreSQL")
    srv.wait_status(m["id"], "sent")
    assert len(sim.messages(to="+447400123456")) == 1
    r = srv.get("/v1/broadcasts")
    if r.status_code != 200:  # until broadcasts are ported
        p = assert_problem(r, 501, "not_implemented")
        assert "docs/postgresql.md" in p["detail"]
    assert requests.get(srv.url + "/healthz", timeout=5).status_code == 200
    log = srv.proc.stderr() + srv.proc.stdout()
    password = pg_db.cluster.password
    assert password not in log
    assert f'db="database {pg_db.name} on 127.0.0.1:' in log


def pg_gateway(harness, pg_db, *serve_args):
    """A simulator and `serve` on pg_db (key A), an admin key, provider 'sim'."""
    env = env_without_key(SMSGATE_MASTER_KEY=KEY_A)
    sim = harness.start_sim()
    srv = harness.start_server(*serve_args, db=pg_db.url, env=env)
    cp = run_cli("key", "create", "--role", "admin", "--db", pg_db.url, "--log-level", "warn",
                 env=env, check=True)
    srv.key = cp.stdout.strip().splitlines()[-1].strip()
    srv.add_provider(sim.url)
    return sim, srv, env


def cli_send(pg_db, env, to):
    cp = run_cli("send", "--db", pg_db.url, "--to", to, "--log-level", "warn",
                 "queued by another process", env=env)
    assert cp.returncode == 0, cp.stderr


def test_a_message_queued_elsewhere_wakes_the_dispatcher(harness, pg_db):
    """`smsgate send` (another process) commits a message; its NOTIFY wakes the
    serving node's dispatcher, which otherwise would look only after its
    --poll-ms of 10 minutes: the message reaches the simulator."""
    sim, srv, env = pg_gateway(harness, pg_db, "--poll-ms", "600000")
    wait_for(lambda: "event=pg_listen " in srv.proc.stderr() + srv.proc.stdout(),
             what="LISTEN in effect")
    cli_send(pg_db, env, "+447400123401")
    wait_for(lambda: sim.messages(to="+447400123401"), timeout=20, what="the woken send")


def test_without_listen_the_dispatcher_polls_every_second(harness, pg_db):
    """--db-listen names a server that does not answer: LISTEN is unavailable
    (logged once), and the fallback poll (about every second) still finds what
    another process queued despite the 10-minute --poll-ms."""
    sim, srv, env = pg_gateway(harness, pg_db, "--poll-ms", "600000", "--db-listen",
                               "postgres://nobody@127.0.0.1:1/none")
    log = lambda: srv.proc.stderr() + srv.proc.stdout()  # noqa: E731
    wait_for(lambda: "event=pg_listen_unavailable" in log(), what="LISTEN unavailable")
    cli_send(pg_db, env, "+447400123402")
    wait_for(lambda: sim.messages(to="+447400123402"), timeout=20, what="the polled send")
    assert log().count("event=pg_listen_unavailable") == 1
