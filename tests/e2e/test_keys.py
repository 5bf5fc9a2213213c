"""API keys: create, list and revoke through the API and the CLI; a revocation
reaches a running server within about a second, whoever makes it."""
import re

from conftest import assert_problem, create_key, run_cli, wait_for

SECRET = re.compile(r"sgk_[0-9A-Z]{26}_[0-9a-f]{64}")


def key_id(key):
    return "key_" + key.split("_")[1]


def test_list_shows_keys_without_secrets(gw):
    r = gw.srv.get("/v1/keys")
    assert r.status_code == 200, r.text
    rows = r.json()["data"]
    assert not SECRET.search(r.text), r.text
    by_id = {k["id"]: k for k in rows}
    for key, role in ((gw.admin, "admin"), (gw.sender, "sender"), (gw.viewer, "viewer")):
        k = by_id[key_id(key)]
        assert k["role"] == role
        assert key.startswith(k["prefix"]) and k["prefix"].endswith("_"), k
        assert len(k["prefix"]) == len("sgk_") + 26 + 1
        assert k["created_at"].endswith("Z")
        assert set(k) == {"id", "name", "role", "prefix", "created_at", "last_used_at"}, k
    # the admin key has been used (this request and the provider set-up); the
    # write is queued, so it shows up shortly after
    def used():
        rows = gw.srv.get("/v1/keys").json()["data"]
        return next(k for k in rows if k["id"] == key_id(gw.admin))["last_used_at"]

    assert wait_for(used, timeout=5, what="last_used_at of the admin key").endswith("Z")
    cli = run_cli("key", "list", "--db", gw.srv.db, "--log-level", "warn", check=True)
    assert cli.stdout.splitlines()[0].split()[:3] == ["ID", "ROLE", "PREFIX"]
    for key in (gw.admin, gw.sender, gw.viewer):
        assert key_id(key) in cli.stdout
    assert not SECRET.search(cli.stdout + cli.stderr)


def test_only_admins_list_create_or_revoke(gw):
    target = key_id(gw.viewer)
    for key in (gw.viewer, gw.sender):
        assert_problem(gw.srv.get("/v1/keys", key=key), 403, "forbidden")
        assert_problem(gw.srv.delete(f"/v1/keys/{target}", key=key), 403, "forbidden")
        assert_problem(gw.srv.post("/v1/keys", json={"role": "admin"}, key=key), 403,
                       "forbidden")
    assert_problem(gw.srv.get("/v1/keys", key=""), 401)
    # nothing was revoked by those attempts
    assert gw.srv.get("/v1/messages", key=gw.viewer).status_code == 200


def test_create_through_the_api(gw):
    r = gw.srv.post("/v1/keys", json={"role": "sender", "name": "billing app"})
    assert r.status_code == 201, r.text
    made = r.json()
    assert SECRET.fullmatch(made["key"]) and made["key"].startswith(made["prefix"])
    assert made["role"] == "sender" and made["name"] == "billing app"
    assert made["last_used_at"] is None
    assert gw.srv.get("/v1/messages", key=made["key"]).status_code == 200
    listed = gw.srv.get("/v1/keys").json()
    assert made["id"] in [k["id"] for k in listed["data"]]
    assert made["key"] not in str(listed)
    for body, field in (({"role": "root"}, "role"), ({}, "role"),
                        ({"role": "viewer", "name": 5}, "name"),
                        ({"role": "viewer", "name": "a\nb"}, "name"),
                        ({"role": "viewer", "secret": "x"}, "secret")):
        assert_problem(gw.srv.post("/v1/keys", json=body), 400, "invalid_request", field)


def test_revoke_through_the_api(gw):
    key = create_key(gw.srv.db, "sender")
    assert gw.srv.get("/v1/messages", key=key).status_code == 200  # now in the auth cache
    r = gw.srv.delete(f"/v1/keys/{key_id(key)}")
    assert r.status_code == 204, r.text
    assert_problem(gw.srv.get("/v1/messages", key=key), 401, "unauthorized")
    assert key_id(key) not in [k["id"] for k in gw.srv.get("/v1/keys").json()["data"]]
    assert_problem(gw.srv.delete(f"/v1/keys/{key_id(key)}"), 404, "not_found")
    assert_problem(gw.srv.delete("/v1/keys/key_nonsense"), 404, "not_found")
    # an admin may revoke the key it calls with: the answer goes out, the next
    # request is refused
    own = create_key(gw.srv.db, "admin")
    r = gw.srv.delete(f"/v1/keys/{key_id(own)}", key=own)
    assert r.status_code == 204, r.text
    assert_problem(gw.srv.get("/v1/keys", key=own), 401, "unauthorized")


def test_revoke_through_the_cli_reaches_the_running_server(gw):
    key = create_key(gw.srv.db, "viewer")
    assert gw.srv.get("/v1/messages", key=key).status_code == 200  # cached (30 s)
    cp = run_cli("key", "revoke", key_id(key), "--db", gw.srv.db, "--log-level", "warn")
    assert cp.returncode == 0, cp.stderr
    wait_for(lambda: gw.srv.get("/v1/messages", key=key).status_code == 401, timeout=3,
             interval=0.1, what="the revoked key to get 401")
    # the others keep working
    assert gw.srv.get("/v1/messages", key=gw.viewer).status_code == 200


def test_cli_errors(gw):
    for bad in ("key_01M8XMC99B2RZA90RM0RM20P88", "nonsense"):
        cp = run_cli("key", "revoke", bad, "--db", gw.srv.db, "--log-level", "warn")
        assert cp.returncode == 1, cp
        assert len(cp.stderr.strip().splitlines()) == 1 and "no key" in cp.stderr, cp.stderr
    cp = run_cli("key", "revoke", "--db", gw.srv.db)
    assert cp.returncode == 2, cp
    cp = run_cli("key", "frobnicate", "--db", gw.srv.db)
    assert cp.returncode == 2, cp
