"""PostgreSQL down at start and restarted while serving (issue 14, section 2):
serve waits for a server that is not up yet (logging each attempt on one
line), requests meanwhile answer 503 problem+json promptly (never a hang,
never a 202 without a commit), smsgate reconnects by itself, and every
message it answered 202 for reaches the simulator.

These tests stop and start PostgreSQL: they get a cluster of their own
(tests/pgcluster.py start()), so that no other test loses its server."""
import threading

import pytest
import requests

import pgcluster
from conftest import Proc, assert_problem, clean_env, free_port, run_cli, wait_for

KEY = "ef" * 32


@pytest.fixture(scope="module")
def own_cluster():
    cluster = pgcluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def own_db(own_cluster):
    db = own_cluster.fresh_db()
    try:
        yield db
    finally:
        if own_cluster.datadir and _running(own_cluster):
            db.drop()


def _running(cluster):
    try:
        cluster.psql("SELECT 1")
        return True
    except (RuntimeError, OSError):
        return False


def env():
    return {**{k: v for k, v in clean_env().items() if k != "SMSGATE_MASTER_KEY"},
            "SMSGATE_MASTER_KEY": KEY}


def admin_key(db_url):
    cp = run_cli("key", "create", "--role", "admin", "--db", db_url, "--log-level", "warn",
                 env=env(), check=True)
    return cp.stdout.strip().splitlines()[-1].strip()


class Load:
    """Sends from a thread, one request at a time, until stopped; sorts every
    answer: 202 (the number it went to), 503 problem+json, anything else
    (a failure, a timeout included: a request must never hang)."""

    def __init__(self, srv):
        self.srv = srv
        self.accepted = []
        self.unavailable = 0
        self.wrong = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.n = 0

    def run(self):
        while not self.stopping.is_set():
            self.n += 1
            to = f"+4474009{self.n:05d}"
            try:
                r = self.srv.post("/v1/messages", json={"to": to, "body": "under restart"},
                                  timeout=8)
            except requests.RequestException as e:
                self.wrong.append(f"{to}: {e!r}")
                continue
            if r.status_code == 202:
                self.accepted.append(to)
            elif (r.status_code == 503 and r.headers.get("Content-Type", "").startswith(
                    "application/problem+json")):
                self.unavailable += 1
            else:
                self.wrong.append(f"{to}: {r.status_code} {r.text[:200]}")

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.stopping.set()
        self.thread.join(timeout=30)


def test_restart_under_load_loses_nothing(harness, own_cluster, own_db):
    sim = harness.start_sim()
    srv = harness.start_server(db=own_db.url, env=env())
    srv.key = admin_key(own_db.url)
    srv.add_provider(sim.url)
    load = Load(srv).start()
    try:
        wait_for(lambda: len(load.accepted) >= 20, timeout=30, what="20 messages accepted")
        own_cluster.stop_server("fast")
        try:
            for _ in range(3):  # while it is down: 503 at once, nothing accepted
                r = srv.post("/v1/messages", json={"to": "+447400999999", "body": "down"},
                             timeout=8)
                assert_problem(r, 503, "store_unavailable")
                assert r.headers.get("Retry-After") == "1"
            r = requests.get(srv.url + "/healthz", timeout=8)
            assert r.status_code == 503, r.text
        finally:
            started = own_cluster.start_server()
            assert started.returncode == 0, started.stderr
        before = len(load.accepted)
        wait_for(lambda: len(load.accepted) >= before + 20, timeout=30,
                 what="20 more messages accepted after the restart")
    finally:
        load.stop()
    assert load.wrong == [], load.wrong[:5]
    accepted = set(load.accepted)

    def all_sent():
        got = {m["to"] for m in sim.messages()}
        return accepted <= got

    wait_for(all_sent, timeout=60, interval=0.5, what="every accepted message at the simulator")
    assert "+447400999999" not in {m["to"] for m in sim.messages()}
    log = srv.proc.stderr() + srv.proc.stdout()
    assert own_cluster.password not in log
    # Logged when the error changes, not at every poll of the outage.
    assert log.count("event=claim_failed") <= 4, log.count("event=claim_failed")
    assert "event=claim_recovered" in log


def test_serve_waits_for_a_server_that_is_not_up_yet(harness, own_cluster, own_db):
    """PostgreSQL down when serve starts: it retries with back-off, one log line
    per attempt (pg_connect_retry), and serves once the server is up."""
    own_db_url = own_db.url
    own_cluster.stop_server("fast")
    try:
        proc = harness.track(Proc(
            ["serve", "--db", own_db_url, "--listen", f"127.0.0.1:{free_port()}",
             "--db-wait", "60"], harness.logs, "serve", env=env()))
        wait_for(lambda: "event=pg_connect_retry" in proc.stderr() + proc.stdout(),
                 timeout=20, what="a connection retry logged")
        assert proc.alive(), proc.describe()
    finally:
        started = own_cluster.start_server()
        assert started.returncode == 0, started.stderr
    wait_for(lambda: "event=listening" in proc.stderr() + proc.stdout(), timeout=30,
             what="serve listening after the server came up")
    lines = [ln for ln in (proc.stderr() + proc.stdout()).splitlines()
             if "pg_connect_retry" in ln]
    assert lines and all(ln.count("event=") == 1 for ln in lines)
    assert own_cluster.password not in proc.stderr() + proc.stdout()


def test_serve_gives_up_after_db_wait(own_cluster, own_db):
    """With the server down for longer than --db-wait: one line naming the
    server (not its password), exit 1."""
    own_cluster.stop_server("fast")
    try:
        cp = run_cli("serve", "--db", own_db.url, "--listen", f"127.0.0.1:{free_port()}",
                     "--db-wait", "1",
                     "--log-level", "error", env=env(), timeout=30)
    finally:
        started = own_cluster.start_server()
        assert started.returncode == 0, started.stderr
    assert cp.returncode == 1, cp.stderr
    assert cp.stderr.startswith("smsgate: PostgreSQL is not answering (database "), cp.stderr
    assert len(cp.stderr.splitlines()) == 1, cp.stderr
    assert own_cluster.password not in cp.stderr
