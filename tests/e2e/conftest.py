"""End-to-end fixtures for smsgate: real processes on loopback.

Every process is started in its own session (so a leftover child, such as the
simulator `serve --demo` forks, can be killed with its group), logs to files
under the test's tmp_path, and is always stopped in teardown.
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
BIN = os.environ.get("SMSGATE_BIN") or str(REPO / "build" / "src" / "smsgate")

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "sim-auth-token-7f3e9a1c5b"
FROM = "+15005550006"  # Twilio's "valid From" magic number

READY_TIMEOUT = 10.0
LOOPBACK = "127.0.0.0/8,::1/128"  # --outbound-allow for the tests' loopback receivers
FINAL = ("sent", "failed", "canceled", "delivered", "undelivered")
STOP_TIMEOUT = 10.0


# ---- helpers --------------------------------------------------------------------------


def wait_for(predicate, timeout=10.0, interval=0.02, what="condition"):
    """Poll predicate until it returns a truthy value; return it. Bounded."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while True:
        try:
            v = predicate()
            if v:
                return v
        except (requests.RequestException, ValueError, KeyError) as e:
            last_exc = e
        if time.monotonic() >= deadline:
            raise AssertionError(
                f"timed out after {timeout}s waiting for {what}"
                + (f" (last error: {last_exc!r})" if last_exc else "")
            )
        time.sleep(interval)


# What the current test's backend adds to every smsgate process it starts (on
# PostgreSQL: SMSGATE_MASTER_KEY, which has no file beside the database there).
# Set and cleared by the `harness` fixture.
BACKEND_ENV = {}


def clean_env(extra=None):
    """The environment without any SMSGATE_* setting from the caller's shell
    (but with the test backend's, BACKEND_ENV)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMSGATE_")}
    env.update(BACKEND_ENV)
    if extra:
        env.update(extra)
    return env


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def run_cli(*args, check=False, timeout=20, env=None):
    """Run `smsgate ARGS...` to completion; returns CompletedProcess (text)."""
    cp = subprocess.run(
        [BIN, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env or clean_env(),
        stdin=subprocess.DEVNULL,
    )
    if check and cp.returncode != 0:
        raise AssertionError(
            f"smsgate {' '.join(map(str, args))} exited {cp.returncode}\n"
            f"stdout: {cp.stdout}\nstderr: {cp.stderr}"
        )
    return cp


def create_key(db, role):
    cp = run_cli("key", "create", "--role", role, "--db", db, "--log-level", "warn", check=True)
    key = cp.stdout.strip().splitlines()[-1].strip()
    assert key.startswith("sgk_"), cp.stdout
    return key


def auth(key):
    return {"Authorization": f"Bearer {key}"}


def fnv1a64(s):
    h = 0xCBF29CE484222325
    for b in s.encode():
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def expected_sender(to, senders):
    """The pool member smsgate picks for `to` (FNV-1a 64 modulo the pool size)."""
    if len(senders) <= 1:
        return senders[0]
    return senders[fnv1a64(to) % len(senders)]


def assert_problem(r, status, code=None, field=None):
    """r is an RFC 9457 problem with the given status/code/field."""
    assert r.status_code == status, f"expected {status}, got {r.status_code}: {r.text}"
    ct = r.headers.get("Content-Type", "")
    assert ct.split(";")[0].strip() == "application/problem+json", f"content type {ct!r}"
    p = r.json()
    for k in ("type", "title", "status", "detail", "code"):
        assert k in p, f"problem lacks {k!r}: {p}"
    assert isinstance(p["type"], str) and p["type"]
    assert isinstance(p["title"], str) and p["title"]
    assert isinstance(p["detail"], str)
    assert p["status"] == status, p
    if code is not None:
        assert p["code"] == code, p
    if field is not None:
        assert p.get("field") == field, p
    return p


# ---- processes ------------------------------------------------------------------------


class Proc:
    """A started smsgate process with its output in files."""

    def __init__(self, args, log_dir, name, env=None):
        self.args = [BIN, *map(str, args)]
        self.name = name
        log_dir = Path(log_dir)
        log_dir.mkdir(parents=True, exist_ok=True)
        n = 0
        while (log_dir / f"{name}.{n}.stdout").exists():
            n += 1
        self.stdout_path = log_dir / f"{name}.{n}.stdout"
        self.stderr_path = log_dir / f"{name}.{n}.stderr"
        self._out = open(self.stdout_path, "wb")
        self._err = open(self.stderr_path, "wb")
        self.popen = subprocess.Popen(
            self.args,
            stdout=self._out,
            stderr=self._err,
            stdin=subprocess.DEVNULL,
            env=env or clean_env(),
            start_new_session=True,
        )

    @property
    def pid(self):
        return self.popen.pid

    def alive(self):
        return self.popen.poll() is None

    def stdout(self):
        return self.stdout_path.read_text(errors="replace")

    def stderr(self):
        return self.stderr_path.read_text(errors="replace")

    def signal(self, sig):
        if self.alive():
            self.popen.send_signal(sig)

    def wait(self, timeout=STOP_TIMEOUT):
        return self.popen.wait(timeout=timeout)

    def stop(self, timeout=STOP_TIMEOUT):
        """SIGTERM, wait, then SIGKILL the whole group. Returns the exit code."""
        if self.alive():
            try:
                self.popen.terminate()
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        self._kill_group()
        rc = self.popen.wait(timeout=5)
        self._close()
        return rc

    def kill9(self):
        """SIGKILL this process only (children, if any, are left to stop())."""
        if self.alive():
            os.kill(self.pid, signal.SIGKILL)
        return self.popen.wait(timeout=5)

    def _kill_group(self):
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def _close(self):
        for f in (self._out, self._err):
            try:
                f.close()
            except Exception:
                pass

    def describe(self):
        return (
            f"{' '.join(self.args)}\n--- stdout ---\n{self.stdout()[-3000:]}"
            f"\n--- stderr ---\n{self.stderr()[-3000:]}"
        )


class Sim:
    """`smsgate simulate twilio` on a free loopback port."""

    def __init__(self, proc, url):
        self.proc = proc
        self.url = url
        self.port = int(url.rsplit(":", 1)[1])

    def messages(self, to=None):
        params = {"to": to} if to else None
        r = requests.get(f"{self.url}/sim/messages", params=params, timeout=5)
        r.raise_for_status()
        return r.json()["messages"]

    def stats(self):
        r = requests.get(f"{self.url}/sim/stats", timeout=5)
        r.raise_for_status()
        return r.json()

    def clear(self):
        requests.delete(f"{self.url}/sim/messages", timeout=5).raise_for_status()


class Server:
    """`smsgate serve` plus helpers for its API."""

    def __init__(self, proc, port, db, flags):
        self.proc = proc
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.db = db
        self.flags = flags
        self.key = None  # default key for the helpers (admin)

    # raw HTTP
    def request(self, method, path, key=None, **kw):
        headers = dict(kw.pop("headers", None) or {})
        k = key if key is not None else self.key
        if k:
            headers.setdefault("Authorization", f"Bearer {k}")
        kw.setdefault("timeout", 10)
        return requests.request(method, self.url + path, headers=headers, **kw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, json=None, **kw):
        return self.request("POST", path, json=json, **kw)

    def patch(self, path, json=None, **kw):
        return self.request("PATCH", path, json=json, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    # API helpers
    def send(self, to, body="hello from the e2e tests", expect=202, **fields):
        r = self.post("/v1/messages", json={"to": to, "body": body, **fields})
        assert r.status_code == expect, f"send: {r.status_code} {r.text}"
        return r.json()

    def message(self, mid):
        r = self.get(f"/v1/messages/{mid}")
        assert r.status_code == 200, r.text
        return r.json()

    def wait_status(self, mid, statuses=("sent",), timeout=10.0):
        if isinstance(statuses, str):
            statuses = (statuses,)
        last = {}

        def check():
            m = self.message(mid)
            last["m"] = m
            if m["status"] in statuses:
                return m
            if m["status"] in FINAL:
                raise AssertionError(
                    f"{mid} reached final status {m['status']!r}, expected {statuses}: "
                    f"{json.dumps(m)}")
            return None

        try:
            return wait_for(check, timeout=timeout, what=f"{mid} to reach {statuses}")
        except AssertionError as e:
            raise AssertionError(f"{e}; last seen: {json.dumps(last.get('m'))}") from None

    def wait_final(self, ids, timeout=15.0, final=FINAL):
        """Wait until every id is in a final status; returns {id: message}."""
        pending = set(ids)
        done = {}

        def check():
            for mid in list(pending):
                m = self.message(mid)
                if m["status"] in final:
                    done[mid] = m
                    pending.discard(mid)
            return not pending

        wait_for(check, timeout=timeout, interval=0.05,
                 what=f"{len(pending)} of {len(ids)} messages to reach a final status")
        return done

    def add_provider(self, sim_url=None, name="sim", default=True, mps=1000, from_=FROM,
                     account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, base_url=None, **extra):
        config = {
            "account_sid": account_sid,
            "auth_token": auth_token,
            "from": from_,
            "base_url": base_url or sim_url,
            "mps": mps,
        }
        body = {"name": name, "kind": "twilio", "config": config}
        if default is not None:
            body["default"] = default
        body.update(extra)
        r = self.post("/v1/providers", json=body)
        assert r.status_code == 201, f"create provider: {r.status_code} {r.text}"
        return r.json()

    def metrics(self):
        r = requests.get(self.url + "/metrics", timeout=5)
        assert r.status_code == 200, r.text
        return r.text


class Harness:
    """Starts processes for one test and stops them all in teardown. On the
    postgres backend (pg_db set) a server started without db= uses that
    database instead of tmp/smsgate.db."""

    def __init__(self, tmp_path, backend="sqlite", pg_db=None):
        self.tmp = Path(tmp_path)
        self.logs = self.tmp / "logs"
        self.procs = []
        self.backend = backend
        self.pg_db = pg_db

    @property
    def db(self):
        """The test's default database: a SQLite file or a PostgreSQL URL."""
        return self.pg_db.url if self.pg_db else str(self.tmp / "smsgate.db")

    def track(self, proc):
        self.procs.append(proc)
        return proc

    def start_sim(self, *extra, account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, callbacks=False):
        """Status callbacks are off unless asked for: most tests watch for "sent"."""
        args = ["simulate", "twilio", "--listen", "127.0.0.1:0", "--account-sid", account_sid,
                "--auth-token", auth_token, "--log-level", "warn", *extra]
        if not callbacks and "--callbacks" not in extra:
            args += ["--callbacks", "off"]
        proc = self.track(Proc(args, self.logs, "sim"))

        def ready():
            if not proc.alive():
                raise AssertionError("simulator exited early:\n" + proc.describe())
            m = re.search(r"^listening (http://\S+)$", proc.stdout(), re.M)
            return m.group(1) if m else None

        url = wait_for(ready, timeout=READY_TIMEOUT, what="the simulator to listen")
        sim = Sim(proc, url)
        wait_for(lambda: sim.stats() is not None, timeout=READY_TIMEOUT, what="simulator stats")
        return sim

    def start_server(self, *extra, db=None, port=None, fast=True, env=None,
                     outbound_allow=LOOPBACK):
        """Start `smsgate serve`; waits until /healthz answers 200. The test
        receivers run on loopback, so it is allowed as a webhook destination
        unless outbound_allow says otherwise (None: smsgate's strict default)."""
        db = str(db or self.db)
        flags = list(extra)
        if outbound_allow and "--outbound-allow" not in flags:
            flags += ["--outbound-allow", outbound_allow]
        if fast:
            defaults = {"--poll-ms": "50", "--retry-base-ms": "50", "--lease": "2",
                        "--request-timeout-ms": "1500",
                        "--log-level": "info",
                        # circuit breakers off unless a test sets them (test_breakers.py):
                        # the retry tests count every attempt at a failing provider
                        "--breaker-failures": "0", "--breaker-error-rate": "0"}
            for k, v in defaults.items():
                if k not in flags:
                    flags += [k, v]
        attempts = 0
        while True:
            attempts += 1
            p = port or free_port()
            args = ["serve", "--db", db, "--listen", f"127.0.0.1:{p}", *flags]
            proc = self.track(Proc(args, self.logs, "serve", env=env))
            srv = Server(proc, p, db, flags)
            try:
                self.wait_healthy(srv)
                return srv
            except AssertionError:
                if (not proc.alive() and "cannot listen" in proc.stderr() and port is None
                        and attempts < 3):
                    continue  # lost the port race: try another
                raise

    def wait_healthy(self, srv):
        def healthy():
            if not srv.proc.alive():
                raise AssertionError("smsgate serve exited early:\n" + srv.proc.describe())
            try:
                return requests.get(srv.url + "/healthz", timeout=1).status_code == 200
            except requests.RequestException:
                return False

        wait_for(healthy, timeout=READY_TIMEOUT, what="smsgate serve /healthz")

    def restart(self, srv, *extra):
        """Start a new server on the same db and port (the old one must be gone)."""
        flags = list(srv.flags) + list(extra)
        new = self.start_server(*flags, db=srv.db, port=srv.port, fast=False)
        new.key = srv.key
        return new

    def teardown(self):
        for p in reversed(self.procs):
            try:
                p.stop()
            except Exception as e:  # keep stopping the others
                print(f"teardown: {p.name}: {e!r}", file=sys.stderr)


# ---- backends (issue 14) ----------------------------------------------------------------
# A test that starts `smsgate serve` through the harness (harness, gw) runs on
# SQLite and, when its file is listed in pg_ready.txt, on PostgreSQL too (ids
# [sqlite] and [postgres]); a test about SQLite's file is marked sqlite_only, a
# test that needs a store subject not ported yet pg_not_yet("subject") (skipped
# on PostgreSQL, saying which; remove the mark when the subject lands).
# SMSGATE_E2E_BACKENDS=sqlite (or postgres) runs one half only.

# SMSGATE_E2E_PG_READY=FILE reads another list; "all" takes every file (to find
# which pass on PostgreSQL).
PG_READY = REPO / "tests" / "e2e" / "pg_ready.txt"


def _pg_ready_files():
    other = os.environ.get("SMSGATE_E2E_PG_READY")
    if other == "all":
        return {p.name for p in (REPO / "tests" / "e2e").glob("test_*.py")}
    try:
        lines = Path(other or PG_READY).read_text().splitlines()
    except OSError:
        return set()
    return {ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")}


def _backends_wanted():
    v = os.environ.get("SMSGATE_E2E_BACKENDS", "sqlite,postgres")
    return [b for b in ("sqlite", "postgres") if b in v.split(",")]


def pytest_configure(config):
    config.addinivalue_line("markers", "sqlite_only: about SQLite's file; not run on PostgreSQL")
    config.addinivalue_line("markers", "pg_not_yet(subject): skipped on PostgreSQL until the "
                                       "store subject is ported")


def pytest_generate_tests(metafunc):
    if "backend" not in metafunc.fixturenames:
        return
    wanted = _backends_wanted()
    backends = ["sqlite"] if "sqlite" in wanted else []
    name = os.path.basename(str(metafunc.definition.fspath))
    if ("postgres" in wanted and name in _pg_ready_files()
            and not metafunc.definition.get_closest_marker("sqlite_only")):
        not_yet = metafunc.definition.get_closest_marker("pg_not_yet")
        backends.append(pytest.param("postgres", marks=pytest.mark.skip(
            reason=f"PostgreSQL: {not_yet.args[0]} not ported yet")) if not_yet else "postgres")
    if backends != ["sqlite"]:  # files on SQLite only keep their test ids
        metafunc.parametrize("backend", backends, indirect=True)
    elif not backends:
        metafunc.parametrize("backend", [pytest.param("sqlite", marks=pytest.mark.skip(
            reason="SMSGATE_E2E_BACKENDS leaves SQLite out"))], indirect=True)


@pytest.fixture
def backend(request):
    """sqlite or postgres: where the harness's server keeps its data."""
    return getattr(request, "param", "sqlite")


@pytest.fixture
def harness(tmp_path, backend, request):
    pg_db = None
    if backend == "postgres":
        pg_db = request.getfixturevalue("pg_cluster").fresh_db()
        BACKEND_ENV["SMSGATE_MASTER_KEY"] = os.urandom(32).hex()
    h = Harness(tmp_path, backend, pg_db)
    try:
        yield h
    finally:
        h.teardown()
        BACKEND_ENV.clear()
        if pg_db:
            pg_db.drop()


class Gateway:
    """A simulator, a server with a default provider pointing at it, and keys."""

    def __init__(self, h, sim, srv, admin, sender, viewer, provider):
        self.h = h
        self.sim = sim
        self.srv = srv
        self.admin = admin
        self.sender = sender
        self.viewer = viewer
        self.provider = provider


def make_gateway(h, sim_args=(), serve_args=(), provider_kw=None, callbacks=False):
    sim = h.start_sim(*sim_args, callbacks=callbacks)
    srv = h.start_server(*serve_args)
    admin = create_key(srv.db, "admin")
    sender = create_key(srv.db, "sender")
    viewer = create_key(srv.db, "viewer")
    srv.key = admin
    provider = srv.add_provider(sim.url, **(provider_kw or {}))
    return Gateway(h, sim, srv, admin, sender, viewer, provider)


@pytest.fixture
def gw(harness):
    """The usual set-up: fast server, simulator, admin key, default provider 'sim'."""
    return make_gateway(harness)


# ---- PostgreSQL (issue 14) -------------------------------------------------------------
# One cluster per test run (tests/pgcluster.py): the one `make test` started
# (SMSGATE_TEST_PG), else one started here at the first test that asks for it
# and stopped at the end of the session. Each test gets a fresh database.

sys.path.insert(0, str(REPO / "tests"))
import pgcluster  # noqa: E402


@pytest.fixture(scope="session")
def pg_cluster():
    value = os.environ.get(pgcluster.ENV)
    if value:
        yield pgcluster.Cluster.from_env(value, os.environ.get(pgcluster.ENV_DATA))
        return
    cluster = pgcluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def pg_db(pg_cluster):
    """A fresh, empty PostgreSQL database: .url (postgres://...), .psql(sql)."""
    db = pg_cluster.fresh_db()
    try:
        yield db
    finally:
        db.drop()
