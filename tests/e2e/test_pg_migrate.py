"""`smsgate migrate` on PostgreSQL (issue 14, section 2): the schema created and
upgraded by versioned migrations equivalent to SQLite's, every way of naming
the database, a server that is down or comes up late, concurrent migrators
(the other commands on PostgreSQL: test_pg_serve.py).
Real PostgreSQL: the run's cluster (conftest.py `pg_cluster`), a fresh database
per test (`pg_db`)."""
import sqlite3
import subprocess
import time
import urllib.parse

import pytest

from conftest import BIN, clean_env, free_port, run_cli, wait_for

LATEST = 24  # migrations in src/store/sqlite/migrations.c and src/store/pg/pg_migrations.c

# SQLite's declared types and the PostgreSQL types that may stand for them
# (src/store/pg/pg_migrations.c: 64-bit integers, 0/1 flags as booleans).
TYPE_CLASSES = {
    "INTEGER": {"bigint", "integer", "boolean"},
    "TEXT": {"text"},
    "REAL": {"double precision"},
}
# SQLite's `email ... COLLATE NOCASE UNIQUE` is an index on lower(email) there.
PG_ONLY_INDEXES = {"users_email"}


def migrate(*args, env=None):
    return run_cli("migrate", *args, env=env, timeout=60)


def sqlite_schema(path):
    con = sqlite3.connect(path)
    tables = [r[0] for r in con.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    cols = {}
    for t in tables:
        for _cid, name, typ, notnull, _dflt, pk in con.execute(f'PRAGMA table_info("{t}")'):
            cols[(t, name)] = (typ.upper(), bool(notnull or pk))
    indexes = {r[0] for r in con.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")}
    triggers = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    versions = [r[0] for r in con.execute("SELECT version FROM schema_migrations ORDER BY 1")]
    con.close()
    return set(tables), cols, indexes, triggers, versions


def pg_rows(db, sql):
    return [line.split("|") for line in db.psql(sql).splitlines() if line]


def pg_schema(db):
    tables = {r[0] for r in pg_rows(
        db, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")}
    cols = {(t, c): (typ, nullable == "NO") for t, c, typ, nullable in pg_rows(
        db, "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns"
            " WHERE table_schema = 'public'")}
    indexes = {r[0] for r in pg_rows(
        db, "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'"
            " AND indexname NOT LIKE '%\\_pkey' AND indexname NOT LIKE '%\\_key'")}
    triggers = {r[0] for r in pg_rows(
        db, "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")}
    versions = [int(r[0]) for r in pg_rows(db, "SELECT version FROM schema_migrations ORDER BY 1")]
    return tables, cols, indexes, triggers, versions


def test_migrate_creates_the_schema_and_is_safe_to_run_again(pg_db):
    cp = migrate("--db", pg_db.url)
    assert cp.returncode == 0, cp.stderr
    assert f"database {pg_db.name} on 127.0.0.1:" in cp.stdout
    assert f"schema version {LATEST} ({LATEST} migrations applied)" in cp.stdout
    password = urllib.parse.urlsplit(pg_db.url).password
    assert password not in cp.stdout + cp.stderr, "the URL's password was echoed"
    assert "NOTICE" not in cp.stderr
    cp = migrate("--db", pg_db.url)
    assert cp.returncode == 0, cp.stderr
    assert f"schema version {LATEST} (0 migrations applied)" in cp.stdout
    assert pg_rows(pg_db, "SELECT count(*) FROM schema_migrations") == [[str(LATEST)]]


def test_schema_is_the_same_as_sqlite(pg_db, tmp_path):
    """Table by table, column by column (type class and NOT NULL), the same index
    and trigger names and the same versions as the SQLite schema: a migration
    added to one backend and not the other fails here."""
    lite = tmp_path / "lite.db"
    assert migrate("--db", lite).returncode == 0
    assert migrate("--db", pg_db.url).returncode == 0
    s_tables, s_cols, s_idx, s_trg, s_ver = sqlite_schema(lite)
    p_tables, p_cols, p_idx, p_trg, p_ver = pg_schema(pg_db)
    assert p_tables == s_tables
    assert set(p_cols) == set(s_cols), (
        f"only in PostgreSQL: {sorted(set(p_cols) - set(s_cols))}; "
        f"only in SQLite: {sorted(set(s_cols) - set(p_cols))}")
    for key, (s_type, s_notnull) in sorted(s_cols.items()):
        p_type, p_notnull = p_cols[key]
        assert p_type in TYPE_CLASSES[s_type], f"{key}: {p_type} for SQLite {s_type}"
        assert p_notnull == s_notnull, f"{key}: NOT NULL {p_notnull} on PostgreSQL"
    assert p_idx - PG_ONLY_INDEXES == s_idx
    # Text compares as bytes, as SQLite's BINARY, whatever the database's collation.
    assert pg_rows(pg_db, "SELECT table_name, column_name FROM information_schema.columns"
                          " WHERE table_schema = 'public' AND data_type = 'text'"
                          " AND collation_name IS DISTINCT FROM 'C'"
                          " AND table_name <> 'schema_migrations'") == []
    assert p_trg == s_trg
    assert p_ver == s_ver == list(range(1, LATEST + 1))


def test_migrate_upgrades_an_older_schema(pg_db):
    """A database one version behind gets the last migration only, in the same
    shape as a new one."""
    assert migrate("--db", pg_db.url).returncode == 0
    pg_db.psql("DROP TABLE app_numbers;"
               f" DELETE FROM schema_migrations WHERE version = {LATEST}")
    cp = migrate("--db", pg_db.url)
    assert cp.returncode == 0, cp.stderr
    assert f"schema version {LATEST} (1 migration applied)" in cp.stdout
    assert pg_rows(pg_db, "SELECT count(*) FROM app_numbers") == [["0"]]


def test_a_newer_schema_is_refused(pg_db):
    assert migrate("--db", pg_db.url).returncode == 0
    pg_db.psql("INSERT INTO schema_migrations VALUES (99, 'from the future', 0)")
    cp = migrate("--db", pg_db.url)
    assert cp.returncode == 1
    assert "schema version 99 is newer than this smsgate" in cp.stderr
    assert len(cp.stderr.strip().splitlines()) == 1


def test_a_failed_migration_changes_nothing(pg_db):
    """All pending migrations run in one transaction: one that fails leaves the
    database as it was (a table in the way of migration 13)."""
    pg_db.psql("CREATE TABLE sessions (x int)")
    cp = migrate("--db", pg_db.url)
    assert cp.returncode == 1
    assert "migration 13" in cp.stderr and "sessions" in cp.stderr
    assert pg_rows(pg_db, "SELECT count(*) FROM information_schema.tables"
                          " WHERE table_schema = 'public'") == [["1"]]


@pytest.mark.parametrize("form", ["postgres", "postgresql", "keywords", "env", "env-keywords"])
def test_every_way_of_naming_the_database(pg_db, form):
    u = urllib.parse.urlsplit(pg_db.url)
    keywords = (f"host=127.0.0.1 port={u.port} dbname={pg_db.name} user=postgres "
                f"password={u.password}")
    if form == "postgres":
        args, env = ["--db", pg_db.url], None
    elif form == "postgresql":
        args, env = ["--db", "postgresql" + pg_db.url[len("postgres"):]], None
    elif form == "keywords":
        args, env = ["--db", keywords], None
    elif form == "env":
        args, env = [], clean_env({"SMSGATE_DB": pg_db.url})
    else:
        args, env = [], clean_env({"SMSGATE_DB": keywords})
    cp = migrate(*args, env=env)
    assert cp.returncode == 0, cp.stderr
    assert f"database {pg_db.name} on 127.0.0.1:{u.port}" in cp.stdout
    assert pg_rows(pg_db, "SELECT max(version) FROM schema_migrations") == [[str(LATEST)]]


def test_wrong_password_fails_at_once(pg_db):
    bad = pg_db.url.replace(urllib.parse.urlsplit(pg_db.url).password, "not-the-password")
    cp = migrate("--db", bad, "--db-wait", "30")
    assert cp.returncode == 1
    assert "password authentication failed" in cp.stderr
    assert "pg_connect_retry" not in cp.stderr, "an authentication failure was retried"
    assert "not-the-password" not in cp.stderr


def test_no_server_is_a_clear_error_after_retries():
    url = f"postgres://smsgate:secret-pw@127.0.0.1:{free_port()}/smsgate"
    cp = migrate("--db", url, "--db-wait", "1")
    assert cp.returncode == 1
    last = cp.stderr.strip().splitlines()[-1]
    assert last.startswith("smsgate: migration failed: PostgreSQL is not answering "
                           "(database smsgate on 127.0.0.1:"), last
    assert "attempts over" in last and "Connection refused" in last
    assert "pg_connect_retry" in cp.stderr
    assert "secret-pw" not in cp.stderr


def test_a_server_that_comes_up_late_is_waited_for(pg_cluster, pg_db):
    """Stop the cluster, start migrate, start the cluster once migrate has
    retried: migrate connects and succeeds."""
    if not pg_cluster.datadir:
        pytest.fail("the test cluster's data directory is unknown (SMSGATE_TEST_PG_DATA)")
    stopped = pg_cluster.pg_ctl("stop", "-m", "fast")
    assert stopped.returncode == 0, stopped.stderr
    proc = None
    try:
        proc = subprocess.Popen([BIN, "migrate", "--db", pg_db.url, "--db-wait", "60"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=clean_env())
        err_lines = []

        def retried():
            line = proc.stderr.readline()
            err_lines.append(line)
            return "pg_connect_retry" in line

        wait_for(retried, timeout=20, what="a connection retry")
    finally:
        started = pg_cluster.start_server()
        assert started.returncode == 0, started.stderr
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, "".join(err_lines) + err
    assert f"schema version {LATEST} ({LATEST} migrations applied)" in out


def test_concurrent_migrators_apply_each_migration_once(pg_db):
    """Three nodes starting at once on a new database: each migration runs once,
    the others wait for it and find nothing to do."""
    procs = [subprocess.Popen([BIN, "migrate", "--db", pg_db.url], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=clean_env())
             for _ in range(3)]
    outs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [e for _, e in outs]
    applied = sorted(int(out.split("(")[1].split()[0]) for out, _ in outs)
    assert applied == [0, 0, LATEST]
    assert pg_rows(pg_db, "SELECT count(*) FROM schema_migrations") == [[str(LATEST)]]
