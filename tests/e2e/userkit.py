"""Helpers for the console's users and sessions (test_users.py, test_sessions.py)."""
import subprocess

import requests

from conftest import BIN, clean_env

HEX64 = set("0123456789abcdef")


def user_cli(*args, password=None, timeout=30):
    """`smsgate user ARGS...` with the password on stdin (for --password-stdin)."""
    return subprocess.run(
        [BIN, "user", *map(str, args)],
        input=None if password is None else password + "\n",
        stdin=subprocess.DEVNULL if password is None else None,
        capture_output=True, text=True, timeout=timeout, env=clean_env())


def create_user(db, email, role, password):
    cp = user_cli("create", "--email", email, "--role", role, "--password-stdin", "--db", db,
                  "--log-level", "warn", password=password)
    assert cp.returncode == 0, cp.stderr
    uid = cp.stdout.strip()
    assert uid.startswith("usr_"), cp.stdout
    return uid


def sign_in(srv, email, password, session=None):
    """POST /v1/session; returns (requests.Session holding the cookie, response)."""
    s = session or requests.Session()
    r = s.post(srv.url + "/v1/session", json={"email": email, "password": password}, timeout=30)
    return s, r


def signed_in(srv, email, password):
    """A requests.Session signed in as email, and its CSRF token."""
    s, r = sign_in(srv, email, password)
    assert r.status_code == 200, r.text
    return s, r.json()["csrf_token"]


def set_cookie_attrs(r):
    """The Set-Cookie header of r split into (name, value, {attribute: value})."""
    raw = r.headers.get("Set-Cookie")
    assert raw, f"no Set-Cookie in {dict(r.headers)}"
    parts = [p.strip() for p in raw.split(";")]
    name, _, value = parts[0].partition("=")
    attrs = {}
    for p in parts[1:]:
        k, _, v = p.partition("=")
        attrs[k.lower()] = v
    return name, value, attrs
