"""What --db names: a SQLite file as a plain path or as sqlite:PATH (the same file,
the master key beside it), and a PostgreSQL URL, which goes to that backend and
never becomes a file (store/store.c, docs/internals/store.md, docs/postgresql.md;
tests/e2e/test_pg_migrate.py has the rest)."""
import os

from conftest import REPO, run_cli


def test_sqlite_prefix_names_the_same_file(tmp_path):
    os.chdir(tmp_path)
    try:
        db = tmp_path / "a.db"
        cp = run_cli("migrate", "--db", f"sqlite:{db}", "--log-level", "warn")
        assert cp.returncode == 0, cp.stderr
        cp = run_cli("key", "create", "--role", "admin", "--db", f"sqlite:{db}",
                     "--log-level", "warn")
        assert cp.returncode == 0, cp.stderr
        # the file and its key file, never a file named after the URL
        assert sorted(os.listdir(tmp_path)) == ["a.db", "a.db.key"], os.listdir(tmp_path)
        # the plain path reads the same database, with the same key file
        cp = run_cli("key", "list", "--db", db, "--log-level", "warn")
        assert cp.returncode == 0, cp.stderr
        assert "admin" in cp.stdout, cp.stdout
        assert sorted(os.listdir(tmp_path)) == ["a.db", "a.db.key"]
        # a missing file behind the prefix is missing too
        cp = run_cli("message", "list", "--db", f"sqlite:{tmp_path / 'b.db'}")
        assert cp.returncode == 1, cp.stderr
        assert "no database at" in cp.stderr, cp.stderr
        assert sorted(os.listdir(tmp_path)) == ["a.db", "a.db.key"]
    finally:
        os.chdir(REPO)


def test_postgres_url_fails_in_one_line_without_a_server(tmp_path):
    os.chdir(tmp_path)
    try:
        for url in ("postgres://sg@127.0.0.1:1/sg", "postgresql://sg@127.0.0.1:1/sg"):
            cp = run_cli("migrate", "--db", url, "--db-wait", "0")
            assert cp.returncode == 1, cp.stderr
            assert cp.stderr.startswith(
                "smsgate: migration failed: PostgreSQL is not answering "
                "(database sg on 127.0.0.1:1 as sg; 1 attempt over"), cp.stderr
            assert len(cp.stderr.strip().splitlines()) == 1, cp.stderr
        cp = run_cli("migrate", "--db", "sqlite:")
        assert cp.returncode == 1, cp.stderr
        assert cp.stderr.strip() == "smsgate: no database given after sqlite:", cp.stderr
        assert os.listdir(tmp_path) == []
    finally:
        os.chdir(REPO)
