"""Providers: the REST API and the CLI, secrets at rest."""
import json
import time
from pathlib import Path

import pytest

from conftest import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    FROM,
    assert_problem,
    create_key,
    run_cli,
    wait_for,
)

MASK = "\u2022\u2022\u2022\u2022"  # "••••"


def provider_body(sim_url, name="p1", token=AUTH_TOKEN, **over):
    config = {
        "account_sid": ACCOUNT_SID,
        "auth_token": token,
        "from": [FROM],
        "base_url": sim_url,
        "mps": 1000,
    }
    config.update(over.pop("config", {}))
    return {"name": name, "kind": "twilio", "config": config, **over}


def test_create_masks_secrets_and_gives_callback_urls(harness):
    sim = harness.start_sim()
    srv = harness.start_server()
    srv.key = create_key(srv.db, "admin")
    token = "a-very-secret-token-WXYZ"
    r = srv.post("/v1/providers", json=provider_body(sim.url, name="tw", token=token,
                                                    title="Twilio main"))
    assert r.status_code == 201, r.text
    p = r.json()
    assert p["id"].startswith("prv_")
    assert p["name"] == "tw" and p["kind"] == "twilio" and p["title"] == "Twilio main"
    assert p["active"] is True
    assert p["default"] is True  # the first provider becomes the default
    assert p["config"]["auth_token"] == MASK + "WXYZ"
    assert p["config"]["account_sid"] == ACCOUNT_SID
    assert p["config"]["from"] == [FROM]
    assert p["config"]["base_url"] == sim.url
    assert p["callback_urls"] == {
        "status": f"{srv.url}/callbacks/{p['id']}/status",
        "inbound": f"{srv.url}/callbacks/{p['id']}/inbound",
    }
    assert token not in r.text
    # Not in the list or the show either.
    for resp in (srv.get("/v1/providers"), srv.get(f"/v1/providers/{p['id']}"),
                 srv.get("/v1/providers/tw")):
        assert resp.status_code == 200, resp.text
        assert token not in resp.text
        views = resp.json()["data"] if "data" in resp.json() else [resp.json()]
        assert [v["config"]["auth_token"] for v in views] == [MASK + "WXYZ"]


def test_short_secret_is_fully_masked(gw):
    r = gw.srv.post("/v1/providers", json=provider_body(gw.sim.url, name="short", token="abc12"))
    assert r.status_code == 201, r.text
    assert r.json()["config"]["auth_token"] == MASK
    assert "abc12" not in r.text


def test_list_show_patch_delete(gw):
    srv = gw.srv
    r = srv.post("/v1/providers", json=provider_body(gw.sim.url, name="second"))
    assert r.status_code == 201, r.text
    second = r.json()
    assert second["default"] is False  # "sim" is already the default

    r = srv.get("/v1/providers")
    assert r.status_code == 200
    body = r.json()
    assert [p["name"] for p in body["data"]] == ["sim", "second"]
    assert "next_cursor" in body

    # Viewers can read providers.
    assert srv.get("/v1/providers", key=gw.viewer).status_code == 200
    r = srv.get(f"/v1/providers/{second['id']}", key=gw.viewer)
    assert r.status_code == 200 and r.json()["name"] == "second"

    r = srv.patch(f"/v1/providers/{second['id']}", json={"config": {"mps": 5}})
    assert r.status_code == 200, r.text
    assert r.json()["config"]["mps"] == 5
    # The secret survived the config patch.
    assert r.json()["config"]["auth_token"] == MASK + AUTH_TOKEN[-4:]
    assert srv.get("/v1/providers/second").json()["config"]["mps"] == 5

    r = srv.patch("/v1/providers/second", json={"active": False, "title": "off"})
    assert r.status_code == 200, r.text
    assert r.json()["active"] is False and r.json()["title"] == "off"

    r = srv.patch("/v1/providers/second", json={"kind": "twilio"})
    assert_problem(r, 400, "invalid_request", field="kind")
    r = srv.patch("/v1/providers/nope", json={"title": "x"})
    assert_problem(r, 404, "not_found")

    r = srv.delete(f"/v1/providers/{second['id']}")
    assert r.status_code == 204, r.text
    assert_problem(srv.get(f"/v1/providers/{second['id']}"), 404, "not_found")
    assert [p["name"] for p in srv.get("/v1/providers").json()["data"]] == ["sim"]
    assert_problem(srv.delete(f"/v1/providers/{second['id']}"), 404, "not_found")


def test_default_moves_to_new_default_provider(gw):
    srv = gw.srv
    r = srv.post("/v1/providers", json=provider_body(gw.sim.url, name="other", default=True))
    assert r.status_code == 201, r.text
    provs = {p["name"]: p for p in srv.get("/v1/providers").json()["data"]}
    assert provs["other"]["default"] is True
    assert provs["sim"]["default"] is False
    a = srv.send("+447400123456", "to the new default")
    assert a["provider"] == "other"


def test_invalid_config(gw):
    srv = gw.srv
    cases = [
        ({"account_sid": "nope"}, "config.account_sid"),
        ({"mps": -1}, "config.mps"),
        ({"mps": "fast"}, "config.mps"),
        ({"from": ["not a sender!"]}, "config.from"),
        ({"base_url": "ftp://example.com"}, "config.base_url"),
        ({"colour": "blue"}, "config.colour"),
    ]
    for over, field in cases:
        r = srv.post("/v1/providers", json=provider_body(gw.sim.url, name="bad", config=over))
        assert_problem(r, 400, "invalid_config", field=field)
    body = provider_body(gw.sim.url, name="bad")
    del body["config"]["auth_token"]
    assert_problem(srv.post("/v1/providers", json=body), 400, "invalid_config",
                   field="config.auth_token")
    body = provider_body(gw.sim.url, name="bad")
    del body["config"]["from"]
    assert_problem(srv.post("/v1/providers", json=body), 400, "invalid_config",
                   field="config.from")
    # A bad patch is refused and leaves the provider as it was.
    r = srv.patch("/v1/providers/sim", json={"config": {"mps": 0}})
    assert_problem(r, 400, "invalid_config", field="config.mps")
    assert srv.get("/v1/providers/sim").json()["config"]["mps"] == 1000
    # None of them were stored.
    assert [p["name"] for p in srv.get("/v1/providers").json()["data"]] == ["sim"]


def test_invalid_top_level(gw):
    srv = gw.srv
    r = srv.post("/v1/providers", json={**provider_body(gw.sim.url), "kind": "carrier-pigeon"})
    assert_problem(r, 400, "invalid_request", field="kind")
    r = srv.post("/v1/providers", json={**provider_body(gw.sim.url), "name": "Bad Name"})
    assert_problem(r, 400, "invalid_request", field="name")
    r = srv.post("/v1/providers", json={**provider_body(gw.sim.url), "extra": 1})
    assert_problem(r, 400, "invalid_request", field="extra")


def test_duplicate_name_conflicts(gw):
    r = gw.srv.post("/v1/providers", json=provider_body(gw.sim.url, name="sim"))
    assert_problem(r, 409, "conflict")
    r = gw.srv.post("/v1/providers", json=provider_body(gw.sim.url, name="twin"))
    assert r.status_code == 201
    r = gw.srv.patch("/v1/providers/twin", json={"name": "sim"})
    assert_problem(r, 409, "conflict")


def test_inactive_provider_is_never_used(gw):
    srv, sim = gw.srv, gw.sim
    r = srv.post("/v1/providers", json=provider_body(gw.sim.url, name="off", active=False))
    assert r.status_code == 201, r.text
    assert r.json()["active"] is False
    r = srv.post("/v1/messages", json={"to": "+447400123456", "body": "x", "provider": "off"})
    assert_problem(r, 422, "provider_inactive", field="provider")

    # Deactivating the default provider stops sends through it too.
    r = srv.patch("/v1/providers/sim", json={"active": False})
    assert r.status_code == 200, r.text
    r = srv.post("/v1/messages", json={"to": "+447400123456", "body": "x"})
    assert_problem(r, 422, "provider_inactive")
    assert sim.messages() == []


def test_provider_test_endpoint_sends_through_it(gw):
    srv, sim = gw.srv, gw.sim
    to = "+447400123499"
    r = srv.post(f"/v1/providers/{gw.provider['id']}/test", json={"to": to})
    assert r.status_code == 202, r.text
    mid = r.json()["id"]
    assert r.json()["provider"] == "sim"
    m = srv.wait_status(mid, "sent")
    recs = sim.messages(to=to)
    assert len(recs) == 1
    assert recs[0]["sid"] == m["provider_message_id"]
    assert "sim" in recs[0]["body"]  # the default test text names the provider

    r = srv.post("/v1/providers/sim/test", json={"to": to, "body": "custom text"}, key=gw.sender)
    assert r.status_code == 202, r.text
    srv.wait_status(r.json()["id"], "sent")
    assert [x["body"] for x in sim.messages(to=to)][-1] == "custom text"

    assert_problem(srv.post("/v1/providers/nope/test", json={"to": to}), 404, "not_found")
    assert_problem(srv.post("/v1/providers/sim/test", json={"to": to, "x": 1}), 400,
                   "invalid_request")
    assert_problem(srv.post("/v1/providers/sim/test", json={"to": "+442079460000"}), 422,
                   "not_mobile", field="to")
    r = srv.post("/v1/providers/sim/test", json={"to": to}, key=gw.viewer)
    assert_problem(r, 403, "forbidden")


def test_provider_test_unknown_field_names_the_field(gw):
    """Regression (issue 2 review): POST /v1/providers/{id}/test with an unknown field answers a problem
    whose `field` is not the unknown key. src/api/providers.c
    (sg_api_providers_test) calls json_decref(in) and then passes `key`, a string
    owned by `in`, to sg_http_problem: a use after free; the field comes out as
    "type" (the freed memory is reused) or garbage."""
    for _ in range(3):
        r = gw.srv.post("/v1/providers/sim/test", json={"to": "+447400123456", "colour": 1})
        p = assert_problem(r, 400, "invalid_request")
        assert "colour" in p["detail"]
        assert p.get("field") == "colour", p


def _db_files(db):
    db = Path(db)
    return [p for p in db.parent.iterdir()
            if p.name.startswith(db.name) and not p.name.endswith(".key")]


def test_cli_provider_add_list_show_and_secret_at_rest(harness):
    token = "cli-secret-token-QRST-9f8e7d6c"
    sim = harness.start_sim(auth_token=token)
    db = str(harness.tmp / "cli.db")
    cp = run_cli("provider", "add", "--db", db, "--log-level", "warn", "--name", "x",
                 "--kind", "twilio", "--account-sid", ACCOUNT_SID, "--auth-token", token,
                 "--from", "+15005550006|+15017122661", "--base-url", sim.url, "--mps", "500")
    assert cp.returncode == 0, cp.stderr
    added = json.loads(cp.stdout)
    assert added["name"] == "x"
    assert added["config"]["auth_token"] == MASK + token[-4:]
    assert added["config"]["from"] == ["+15005550006", "+15017122661"]
    assert token not in cp.stdout + cp.stderr

    cp = run_cli("provider", "list", "--db", db, "--log-level", "warn")
    assert cp.returncode == 0, cp.stderr
    rows = [line.split() for line in cp.stdout.splitlines()[1:] if line.strip()]
    assert [r[1] for r in rows] == ["x"]
    assert rows[0][0] == added["id"]
    assert rows[0][2] == "twilio"
    assert token not in cp.stdout

    cp = run_cli("provider", "show", "x", "--db", db, "--log-level", "warn")
    assert cp.returncode == 0, cp.stderr
    shown = json.loads(cp.stdout)
    assert shown["id"] == added["id"]
    assert shown["config"]["auth_token"] == MASK + token[-4:]
    assert token not in cp.stdout

    cp = run_cli("provider", "show", "missing", "--db", db, "--log-level", "warn")
    assert cp.returncode != 0
    assert cp.stderr.strip()

    # Duplicate name from the CLI fails.
    cp = run_cli("provider", "add", "--db", db, "--log-level", "warn", "--name", "x",
                 "--kind", "twilio", "--account-sid", ACCOUNT_SID, "--auth-token", token,
                 "--from", FROM, "--base-url", sim.url)
    assert cp.returncode != 0

    # The secret is sealed at rest: not in the database nor its WAL.
    files = _db_files(db)
    assert any(p.name == "cli.db" for p in files), files
    for p in files:
        data = p.read_bytes()
        assert token.encode() not in data, f"auth token in plain text in {p.name}"
        assert token[:16].encode() not in data, f"auth token prefix in {p.name}"

    # A server on that database sends through the CLI-made provider.
    srv = harness.start_server(db=db)
    srv.key = create_key(db, "admin")
    a = srv.send("+447400123456", "via cli provider")
    m = srv.wait_status(a["id"], "sent")
    assert m["provider"] == "x"
    assert [r["sid"] for r in sim.messages(to="+447400123456")] == [m["provider_message_id"]]
    # Still no plain secret after the server ran (it wrote to the db and WAL).
    for p in _db_files(db):
        assert token.encode() not in p.read_bytes(), p.name


@pytest.mark.sqlite_only  # reads the database file
def test_api_created_secret_not_at_rest(gw):
    token = "api-secret-token-MNOP-1a2b3c4d"
    r = gw.srv.post("/v1/providers", json=provider_body(gw.sim.url, name="sealed", token=token))
    assert r.status_code == 201
    for p in _db_files(gw.srv.db):
        assert token.encode() not in p.read_bytes(), p.name


def test_patch_default_moves_the_default(gw):
    srv = gw.srv
    r = srv.post("/v1/providers", json=provider_body(gw.sim.url, name="b"))
    assert r.status_code == 201 and r.json()["default"] is False
    r = srv.patch("/v1/providers/b", json={"default": True})
    assert r.status_code == 200, r.text
    provs = {p["name"]: p["default"] for p in srv.get("/v1/providers").json()["data"]}
    assert provs == {"sim": False, "b": True}
    assert srv.send("+447400123456", "to b")["provider"] == "b"


def test_delete_provider_with_pending_messages_conflicts(gw):
    srv = gw.srv
    r = srv.post("/v1/providers", json=provider_body(gw.sim.url, name="busy"))
    assert r.status_code == 201
    later = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
    a = srv.send("+447400123456", "pending", provider="busy", send_at=later)
    assert_problem(srv.delete("/v1/providers/busy"), 409, "invalid_state")
    assert srv.get("/v1/providers/busy").status_code == 200
    assert srv.post(f"/v1/messages/{a['id']}/cancel").status_code == 200
    assert srv.delete("/v1/providers/busy").status_code == 204


def test_deactivated_provider_holds_queued_messages(gw):
    """Messages already queued for a provider that is then deactivated wait; the
    provider is never called."""
    srv, sim = gw.srv, gw.sim
    due = time.time() + 1.0
    send_at = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(due)) + ".%03dZ" % (
        int(due * 1000) % 1000)
    a = srv.send("+447400123456", "held", send_at=send_at)
    assert a["status"] == "scheduled"
    r = srv.patch("/v1/providers/sim", json={"active": False})
    assert r.status_code == 200 and r.json()["active"] is False

    def held():
        m = srv.message(a["id"])
        return m if any("inactive" in (e["detail"] or "") for e in m["events"]) else None

    m = wait_for(held, timeout=10, what="the dispatcher to hold the message back")
    assert m["status"] == "queued", m
    assert m["attempts"] == 0
    assert sim.messages() == []
    assert sim.stats()["accepted"] == 0


def test_messaging_service_without_senders(harness):
    sim = harness.start_sim()
    srv = harness.start_server()
    srv.key = create_key(srv.db, "admin")
    mg = "MG" + "a1" * 16
    body = provider_body(sim.url, name="svc")
    del body["config"]["from"]
    body["config"]["messaging_service_sid"] = mg
    r = srv.post("/v1/providers", json=body)
    assert r.status_code == 201, r.text
    a = srv.send("+447400123456", "via service")
    m = srv.wait_status(a["id"], "sent")
    rec = sim.messages(to="+447400123456")
    assert len(rec) == 1
    assert rec[0]["messaging_service_sid"] == mg
    assert rec[0].get("from") is None
    assert rec[0]["sid"] == m["provider_message_id"]


def test_api_key_credentials(harness):
    sk = "SK" + "b2" * 16
    secret = "api-key-secret-5678"
    sim = harness.start_sim("--api-key-sid", sk, "--api-key-secret", secret)
    srv = harness.start_server()
    srv.key = create_key(srv.db, "admin")
    body = provider_body(sim.url, name="apikey")
    del body["config"]["auth_token"]
    body["config"].update({"api_key_sid": sk, "api_key_secret": secret})
    r = srv.post("/v1/providers", json=body)
    assert r.status_code == 201, r.text
    assert r.json()["config"]["api_key_secret"] == MASK + secret[-4:]
    assert r.json()["config"]["api_key_sid"] == sk
    assert secret not in r.text
    # Without an auth token Twilio's signatures cannot be checked: secret URLs.
    assert r.json()["callback_auth"] == "url_secret"
    # auth_token beside an API key (Authgear's guide): the key sends, the token
    # checks webhook signatures.
    both = provider_body(sim.url, name="both")
    both["config"].update({"api_key_sid": sk, "api_key_secret": secret})
    r = srv.post("/v1/providers", json=both)
    assert r.status_code == 201, r.text
    assert r.json()["callback_auth"] == "signature"
    assert AUTH_TOKEN not in r.text and secret not in r.text

    a = srv.send("+447400123456", "api key auth")
    srv.wait_status(a["id"], "sent")
    rec = sim.messages(to="+447400123456")
    assert rec[0]["credential_sid"] == sk
    assert rec[0]["account_sid"] == ACCOUNT_SID


def test_cli_provider_add_invalid_value_is_a_usage_error(harness):
    """Regression (issue 2 review): `smsgate provider add` with an invalid flag value exits 1; a usage
    error is exit 2 (DESIGN "Interfaces", and what `smsgate send --to 12` does).
    src/cli/cmd_provider.c fail() returns `rej->status >= 500 ? SG_EXIT_FAIL :
    SG_EXIT_FAIL`: both branches are the same."""
    db = str(harness.tmp / "u.db")
    cp = run_cli("provider", "add", "--db", db, "--log-level", "warn", "--name", "x",
                 "--kind", "twilio", "--account-sid", "not-a-sid", "--auth-token", "t0k3n-abcd",
                 "--from", FROM)
    assert cp.returncode == 2, (cp.returncode, cp.stderr)
    assert "account_sid" in cp.stderr


@pytest.mark.sqlite_only  # PostgreSQL refuses another key (test_pg_serve.py)
def test_wrong_master_key_makes_provider_unusable_until_resealed(harness):
    from conftest import clean_env, make_gateway

    g = make_gateway(harness)
    assert g.srv.proc.stop() == 0
    env = clean_env({"SMSGATE_MASTER_KEY": "ab" * 32})  # not the key in smsgate.db.key
    srv = harness.start_server(db=g.srv.db, env=env)
    srv.key = g.admin
    p = srv.get("/v1/providers/sim").json()
    assert "master key" in p.get("problem", ""), p
    assert "auth_token" not in p["config"]
    r = srv.post("/v1/messages", json={"to": "+447400123456", "body": "x"})
    assert_problem(r, 422, "provider_inactive", field="provider")
    assert g.sim.messages() == []

    # Giving the secret again seals it with the current key: usable again.
    r = srv.patch("/v1/providers/sim", json={"config": {"auth_token": AUTH_TOKEN}})
    assert r.status_code == 200, r.text
    assert "problem" not in r.json()
    a = srv.send("+447400123456", "resealed")
    srv.wait_status(a["id"], "sent")
    assert len(g.sim.messages(to="+447400123456")) == 1
