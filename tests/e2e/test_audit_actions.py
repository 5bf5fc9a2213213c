"""Every admin write of the API is in the audit log (GET /v1/audit): providers,
API keys, webhooks, opt-outs and broadcasts, each with who (the key id), what
(the action), on what (the id or phone number) and from where (the client
address); never a provider's or key's or webhook's secret."""
from conftest import create_key

SECRET_TOKEN = "tok-audit-s3cr3t-0123456789abcdef"


def start(harness):
    srv = harness.start_server()
    srv.key = create_key(srv.db, "admin")
    srv.key_id = "key_" + srv.key.split("_")[1]
    return srv


def audited(srv, prefix):
    """(action, actor, subject, source) of the entries whose action starts with
    prefix, oldest first."""
    r = srv.get("/v1/audit", params={"limit": 1000})
    assert r.status_code == 200, r.text
    return [(a["action"], a["actor"], a["subject"], a["source"])
            for a in reversed(r.json()["data"]) if a["action"].startswith(prefix)]


def rows_by(srv, actions):
    """The expected rows: each (action, subject) by the server's admin key from loopback."""
    return [(action, srv.key_id, subject, "127.0.0.1") for action, subject in actions]


def test_provider_writes_are_audited_without_secrets(harness):
    srv = start(harness)
    body = {"name": "tw", "kind": "twilio",
            "config": {"account_sid": "AC" + "1" * 32, "auth_token": SECRET_TOKEN,
                       "from": "+15550001111", "base_url": "http://127.0.0.1:9"}}
    r = srv.post("/v1/providers", json=body)
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    other = srv.post("/v1/providers", json={**body, "name": "tw2"})
    assert other.status_code == 201, other.text
    r = srv.patch(f"/v1/providers/{pid}",
                  json={"title": "Main", "config": {"auth_token": SECRET_TOKEN + "-new"}})
    assert r.status_code == 200, r.text
    r = srv.patch(f"/v1/providers/{other.json()['id']}", json={"default": True})
    assert r.status_code == 200, r.text
    # removed by its name: the entry still names the provider's id
    assert srv.delete("/v1/providers/tw").status_code == 204
    # refused writes leave no entry
    assert srv.delete("/v1/providers/tw").status_code == 404
    assert srv.post("/v1/providers", json={"name": "bad", "kind": "nope"}).status_code >= 400

    assert audited(srv, "provider.") == rows_by(srv, [
        ("provider.create", pid), ("provider.create", other.json()["id"]),
        ("provider.update", pid), ("provider.set_default", other.json()["id"]),
        ("provider.delete", pid)])
    r = srv.get("/v1/audit", params={"action": "provider.create"})
    first = r.json()["data"][-1]
    assert first["detail"]["kind"] == "twilio"
    assert sorted(first["detail"]["fields"]) == ["config", "kind", "name"]
    update = srv.get("/v1/audit", params={"action": "provider.update"}).json()["data"][0]
    assert sorted(update["detail"]["fields"]) == ["config", "title"]
    # the token is nowhere in the log, not even in part
    text = srv.get("/v1/audit", params={"limit": 1000}).text
    assert SECRET_TOKEN[:12] not in text and "s3cr3t" not in text


def test_key_writes_are_audited_without_the_key(harness):
    srv = start(harness)
    r = srv.post("/v1/keys", json={"role": "sender", "name": "shop"})
    assert r.status_code == 201, r.text
    made = r.json()
    assert srv.delete(f"/v1/keys/{made['id']}").status_code == 204
    assert srv.delete(f"/v1/keys/{made['id']}").status_code == 404
    # the admin key the test started with was made by the CLI (actor "cli")
    assert [e for e in audited(srv, "key.") if e[1] != "cli"] == rows_by(
        srv, [("key.create", made["id"]), ("key.revoke", made["id"])])
    entry = srv.get("/v1/audit", params={"action": "key.create"}).json()["data"][0]
    assert entry["detail"] == {"name": "shop", "role": "sender"}
    text = srv.get("/v1/audit").text
    assert made["key"] not in text and made["key"].split("_")[-1][-16:] not in text


def test_webhook_writes_are_audited_without_the_secret(harness):
    srv = start(harness)
    r = srv.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/hook?token=abc123xyz",
                                       "events": ["message.status"]})
    assert r.status_code == 201, r.text
    hook = r.json()
    assert srv.delete(f"/v1/webhooks/{hook['id']}").status_code == 204
    assert audited(srv, "webhook.") == rows_by(srv, [("webhook.create", hook["id"]),
                                                      ("webhook.delete", hook["id"])])
    entry = srv.get("/v1/audit", params={"action": "webhook.create"}).json()["data"][0]
    assert entry["detail"] == {"events": ["message.status"]}
    text = srv.get("/v1/audit").text
    assert hook["secret"] not in text and "abc123xyz" not in text


def test_optout_writes_are_audited(harness):
    srv = start(harness)
    phone = "+447911123456"
    assert srv.post("/v1/optouts", json={"phone": phone}).status_code == 201
    assert srv.post("/v1/optouts", json={"phone": phone}).status_code == 200  # no change
    assert srv.delete(f"/v1/optouts/{phone}").status_code == 204
    assert srv.delete(f"/v1/optouts/{phone}").status_code == 404
    assert audited(srv, "optout.") == rows_by(srv, [("optout.add", phone),
                                                     ("optout.remove", phone)])


def test_broadcast_writes_are_audited(harness):
    srv = start(harness)
    srv.add_provider("http://127.0.0.1:9")
    assert srv.post("/v1/groups", json={"name": "g"}).status_code == 201
    # far in the future, so it stays scheduled while the test pauses and resumes it
    r = srv.post("/v1/broadcasts", json={"name": "later", "body": "x", "group": "g",
                                         "send_at": "2999-01-01T09:00:00Z"})
    assert r.status_code == 201, r.text
    bid = r.json()["id"]
    assert srv.post(f"/v1/broadcasts/{bid}/pause").json()["status"] == "paused"
    assert srv.post(f"/v1/broadcasts/{bid}/resume").json()["status"] == "scheduled"
    assert srv.post(f"/v1/broadcasts/{bid}/cancel").json()["status"] == "canceled"
    assert srv.post(f"/v1/broadcasts/{bid}/cancel").status_code == 409  # no entry
    r = srv.post("/v1/broadcasts", json={"name": "d", "body": "x", "group": "g", "draft": True,
                                         "send_at": "2999-01-01T09:00:00Z"})
    draft = r.json()["id"]
    assert srv.post(f"/v1/broadcasts/{draft}/send").json()["status"] == "scheduled"
    assert audited(srv, "broadcast.") == rows_by(srv, [
        ("broadcast.create", bid), ("broadcast.pause", bid), ("broadcast.resume", bid),
        ("broadcast.cancel", bid), ("broadcast.create", draft), ("broadcast.send", draft)])


def test_a_signed_in_user_is_the_actor(harness):
    from userkit import create_user, signed_in
    srv = start(harness)
    pw = "a-long-enough-password"
    create_user(srv.db, "ann@example.org", "admin", pw)
    s, token = signed_in(srv, "ann@example.org", pw)
    r = s.post(srv.url + "/v1/optouts", json={"phone": "+447911123457"},
               headers={"X-CSRF-Token": token}, timeout=10)
    assert r.status_code == 201, r.text
    assert audited(srv, "optout.") == [("optout.add", "ann@example.org", "+447911123457",
                                        "127.0.0.1")]
