"""A throwaway PostgreSQL cluster for the tests (issue 14, section 4).

One cluster per test run: Debian's initdb and pg_ctl (package `postgresql`) in a
temporary directory, as an unprivileged user (the `postgres` user the package
creates when we are root, since PostgreSQL refuses to run as root; else the
caller), listening on 127.0.0.1 on a port of its own and on a Unix socket in
that directory. Nothing is turned off: fsync and synchronous_commit keep their
production defaults, so a commit the tests see is durable as it would be in
production. Only the memory is small (shared_buffers) because the machine is
shared.

The superuser `postgres` has a random password and TCP connections must give it
(scram-sha-256): the URLs the tests hand to smsgate carry a real password.

Used by scripts/pg-test-cluster (`run -- CMD`: start, run CMD with
SMSGATE_TEST_PG set, stop even when CMD fails) and by tests/e2e/conftest.py
(which reuses SMSGATE_TEST_PG when it is set, else starts its own cluster).
Every test gets a fresh database: CREATE DATABASE ... TEMPLATE sg_template.
"""
import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse

ENV = "SMSGATE_TEST_PG"  # postgres://postgres:PW@127.0.0.1:PORT/postgres
ENV_DATA = "SMSGATE_TEST_PG_DATA"  # its data directory (for tests that stop and start it)
TEMPLATE = "sg_template"
START_TIMEOUT = 60


def _bindir():
    d = os.environ.get("PG_BINDIR")
    if d:
        return d
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    if not found:
        raise RuntimeError("no PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb): "
                           "install the Debian package `postgresql` (scripts/install-deps)")
    return os.path.dirname(found[-1])


def _free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _as_server_user(argv):
    """argv run as the unprivileged user that owns the cluster."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *argv]
    return argv


class Cluster:
    """A running cluster; url() names a database in it."""

    def __init__(self, port, password, datadir=None, owned=False):
        self.port = port
        self.password = password
        self.datadir = datadir
        self.owned = owned  # started by this process: stop() stops it

    @classmethod
    def from_env(cls, value, datadir=None):
        u = urllib.parse.urlsplit(value)
        return cls(u.port, urllib.parse.unquote(u.password or ""), datadir or None)

    def env(self):
        """The variables that hand this cluster to a child process."""
        return {ENV: self.url("postgres"), ENV_DATA: self.datadir or ""}

    def url(self, db, user="postgres", password=None):
        pw = urllib.parse.quote(self.password if password is None else password, safe="")
        return f"postgres://{user}:{pw}@127.0.0.1:{self.port}/{db}"

    def psql(self, sql, db="postgres", check=True):
        """Run sql through psql over TCP; returns stdout (unaligned, tuples only)."""
        env = dict(os.environ, PGPASSWORD=self.password, PGCONNECT_TIMEOUT="10")
        cp = subprocess.run(
            [os.path.join(_bindir(), "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
             "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", db, "-c", sql],
            capture_output=True, text=True, env=env, timeout=60)
        if check and cp.returncode != 0:
            raise RuntimeError(f"psql failed ({sql!r}): {cp.stderr.strip()}")
        return cp.stdout

    def create_db(self, name, template=TEMPLATE):
        self.psql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return self.url(name)

    def drop_db(self, name):
        self.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', check=False)

    def fresh_db(self):
        """A new, empty database (from the template): a Database."""
        name = "t_" + secrets.token_hex(6)
        self.create_db(name)
        return Database(self, name)

    def pg_ctl(self, *args):
        """pg_ctl on the cluster's data directory (only for a cluster this process owns)."""
        if not self.datadir:
            raise RuntimeError("this cluster was started elsewhere (SMSGATE_TEST_PG)")
        return subprocess.run(
            _as_server_user([os.path.join(_bindir(), "pg_ctl"), "-D", self.datadir, "-w",
                             "-t", str(START_TIMEOUT), *args]),
            capture_output=True, text=True, timeout=START_TIMEOUT + 10)

    def start_server(self):
        """pg_ctl start (waits until it accepts connections)."""
        return self.pg_ctl("start", "-l", os.path.join(os.path.dirname(self.datadir),
                                                       "server.log"))

    def stop_server(self, mode="fast"):
        """pg_ctl stop -m MODE (fast: sessions are ended, as a restart does;
        immediate: as a crash). Raises when it fails. Only for a cluster whose
        data directory this process knows: give a test that stops the server a
        cluster of its own (start()), so that it disturbs no other test."""
        cp = self.pg_ctl("stop", "-m", mode)
        if cp.returncode != 0:
            raise RuntimeError(f"pg_ctl stop failed: {cp.stderr.strip()}")

    def restart_server(self, mode="fast"):
        """Stop (as stop_server) and start again; raises when either fails."""
        self.stop_server(mode)
        cp = self.start_server()
        if cp.returncode != 0:
            raise RuntimeError(f"pg_ctl start failed: {cp.stderr.strip()}")

    def stop(self):
        if not self.owned or not self.datadir:
            return
        top = os.path.dirname(self.datadir)
        try:
            if os.path.exists(os.path.join(self.datadir, "postmaster.pid")):
                cp = self.pg_ctl("stop", "-m", "fast")
                if cp.returncode != 0:
                    self.pg_ctl("stop", "-m", "immediate")
        finally:
            shutil.rmtree(top, ignore_errors=True)
            self.owned = False


class Database:
    """One database of a cluster: its URL and psql in it."""

    def __init__(self, cluster, name):
        self.cluster = cluster
        self.name = name
        self.url = cluster.url(name)

    def psql(self, sql, check=True):
        return self.cluster.psql(sql, db=self.name, check=check)

    def drop(self):
        self.cluster.drop_db(self.name)


def start():
    """initdb + pg_ctl start in a new temporary directory; returns a Cluster
    whose template database exists. Raises RuntimeError with the server's log
    when it does not come up (and leaves nothing behind)."""
    bindir = _bindir()
    top = tempfile.mkdtemp(prefix="sgpg-")
    datadir = os.path.join(top, "data")
    password = secrets.token_hex(12)
    pwfile = os.path.join(top, "pw")
    with open(pwfile, "w") as f:
        f.write(password + "\n")
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        os.chown(top, pw.pw_uid, pw.pw_gid)
        os.chown(pwfile, pw.pw_uid, pw.pw_gid)
    os.chmod(pwfile, 0o600)
    cluster = Cluster(_free_port(), password, datadir, owned=True)
    try:
        cp = subprocess.run(
            _as_server_user([os.path.join(bindir, "initdb"), "-D", datadir, "-U", "postgres",
                             "--pwfile", pwfile, "--auth-local=trust",
                             "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8"]),
            capture_output=True, text=True, timeout=120)
        if cp.returncode != 0:
            raise RuntimeError(f"initdb failed: {cp.stderr.strip()}")
        # In postgresql.conf, so that a test may stop and start the server again.
        with open(os.path.join(datadir, "postgresql.conf"), "a") as f:
            f.write(f"\n# tests/pgcluster.py\nlisten_addresses = '127.0.0.1'\n"
                    f"port = {cluster.port}\nunix_socket_directories = '{top}'\n"
                    f"shared_buffers = 32MB\nmax_connections = 200\n")
        cp = cluster.start_server()
        if cp.returncode != 0:
            log = ""
            try:
                with open(os.path.join(top, "server.log")) as f:
                    log = f.read()[-2000:]
            except OSError:
                pass
            raise RuntimeError(f"pg_ctl start failed: {cp.stderr.strip()} {log}")
        cluster.psql(f'CREATE DATABASE "{TEMPLATE}"')
        return cluster
    except BaseException:
        cluster.stop()
        shutil.rmtree(top, ignore_errors=True)
        raise


def wait_ready(cluster, timeout=30.0):
    deadline = time.monotonic() + timeout
    while True:
        try:
            cluster.psql("SELECT 1")
            return
        except RuntimeError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _create_db_from_url(url):
    """`pgcluster.py create-db URL`: create the database URL names (from the
    template) in the cluster of SMSGATE_TEST_PG (SMSGATE_TEST_DB_PREPARE of the
    store conformance suite)."""
    cluster = Cluster.from_env(os.environ[ENV])
    name = urllib.parse.urlsplit(url).path.lstrip("/")
    cluster.create_db(name)


if __name__ == "__main__":
    import sys
    if len(sys.argv) == 3 and sys.argv[1] == "create-db":
        _create_db_from_url(sys.argv[2])
    else:
        sys.stderr.write("usage: pgcluster.py create-db URL\n")
        sys.exit(2)
