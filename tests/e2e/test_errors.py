"""Errors: authentication, roles, routing, request validation, batches and
idempotency. Every error must be an RFC 9457 problem with a stable code."""
import concurrent.futures
import json
import time

import pytest
import requests

from conftest import assert_problem, make_gateway, wait_for

MOBILE = "+447400123456"
FIXED = "+442079460000"


# ---- authentication and roles ------------------------------------------------------------


def test_401_without_key(gw):
    r = requests.get(gw.srv.url + "/v1/messages", timeout=5)
    assert_problem(r, 401, "unauthorized")
    assert r.headers.get("WWW-Authenticate", "").startswith("Bearer")
    r = requests.post(gw.srv.url + "/v1/messages", json={"to": MOBILE, "body": "x"}, timeout=5)
    assert_problem(r, 401, "unauthorized")


def test_401_with_wrong_scheme(gw):
    r = gw.srv.get("/v1/messages", headers={"Authorization": f"Basic {gw.admin}"})
    assert_problem(r, 401, "unauthorized")


def test_401_with_garbage_key(gw):
    for bad in ("garbage", "sgk_", "sgk_short_key", "x" * 500):
        r = gw.srv.get("/v1/messages", key=bad)
        assert_problem(r, 401, "unauthorized")


def test_401_with_well_formed_unknown_key(gw):
    # Same shape as a real key: sgk_<26 base32>_<64 hex>.
    unknown = "sgk_01M81GDTZS1WV7SRN7YMB9KXEJ_" + "ab" * 32
    r = gw.srv.get("/v1/messages", key=unknown)
    assert_problem(r, 401, "unauthorized")


def test_401_with_real_key_id_and_wrong_secret(gw):
    # The id part of a real key with someone else's secret.
    prefix = gw.admin[: len("sgk_") + 26 + 1]
    forged = prefix + ("0" * 64 if not gw.admin.endswith("0" * 64) else "1" * 64)
    # Use the real key first, so anything remembered about it is warm.
    assert gw.srv.get("/v1/messages", key=gw.admin).status_code == 200
    r = gw.srv.get("/v1/messages", key=forged)
    assert_problem(r, 401, "unauthorized")
    r = gw.srv.post("/v1/messages", key=forged, json={"to": MOBILE, "body": "x"})
    assert_problem(r, 401, "unauthorized")


def test_403_viewer_cannot_send(gw):
    r = gw.srv.post("/v1/messages", key=gw.viewer, json={"to": MOBILE, "body": "x"})
    assert_problem(r, 403, "forbidden")
    # ...but can read.
    assert gw.srv.get("/v1/messages", key=gw.viewer).status_code == 200


def test_403_sender_cannot_create_provider(gw):
    r = gw.srv.post("/v1/providers", key=gw.sender,
                    json={"name": "x", "kind": "twilio", "config": {}})
    assert_problem(r, 403, "forbidden")
    # ...but can send.
    r = gw.srv.post("/v1/messages", key=gw.sender, json={"to": MOBILE, "body": "x"})
    assert r.status_code == 202, r.text


# ---- routing ---------------------------------------------------------------------------


def test_404_unknown_message(gw):
    r = gw.srv.get("/v1/messages/msg_01M81GDTZS1WV7SRN7YMB9KXEJ")
    assert_problem(r, 404, "not_found")
    r = gw.srv.get("/v1/messages/not-an-id")
    assert_problem(r, 404, "not_found")


def test_404_unknown_path(gw):
    r = gw.srv.get("/v1/nothing-here")
    assert_problem(r, 404, "not_found")
    r = requests.get(gw.srv.url + "/nope", timeout=5)
    assert_problem(r, 404, "not_found")


def test_405_wrong_method(gw):
    r = gw.srv.delete("/v1/messages")
    assert_problem(r, 405, "method_not_allowed")
    r = gw.srv.request("PUT", "/v1/messages/batch", json={})
    assert_problem(r, 405, "method_not_allowed")
    r = gw.srv.post("/healthz")
    assert_problem(r, 405, "method_not_allowed")


def test_413_body_over_max_body(harness):
    g = make_gateway(harness, serve_args=("--max-body", "4096"))
    big = json.dumps({"to": MOBILE, "body": "y" * 5000})
    r = g.srv.post("/v1/messages", data=big, headers={"Content-Type": "application/json"})
    assert_problem(r, 413, "body_too_large")
    # The limit itself is allowed; one byte more is not.
    pre, post = '{"to": "%s", "body": "x", "metadata": {"k": "' % MOBILE, '"}}'
    exact = pre + "v" * (4096 - len(pre) - len(post)) + post
    assert len(exact) == 4096
    r = g.srv.post("/v1/messages", data=exact, headers={"Content-Type": "application/json"})
    assert r.status_code == 202, r.text
    over = exact[:-len(post)] + "v" + post
    assert len(over) == 4097
    r = g.srv.post("/v1/messages", data=over, headers={"Content-Type": "application/json"})
    assert_problem(r, 413, "body_too_large")


def test_413_chunked_body_over_max_body(harness):
    g = make_gateway(harness, serve_args=("--max-body", "4096"))

    def gen():
        yield b'{"to": "+447400123456", "body": "'
        for _ in range(10):
            yield b"w" * 1000
        yield b'"}'

    r = g.srv.post("/v1/messages", data=gen(), headers={"Content-Type": "application/json"})
    assert_problem(r, 413, "body_too_large")


# ---- request validation -------------------------------------------------------------------


def test_400_invalid_json(gw):
    r = gw.srv.post("/v1/messages", data="{not json",
                    headers={"Content-Type": "application/json"})
    assert_problem(r, 400, "invalid_json")
    r = gw.srv.post("/v1/messages", data="", headers={"Content-Type": "application/json"})
    assert_problem(r, 400, "invalid_json")


def test_415_form_content_type(gw):
    r = gw.srv.post("/v1/messages", data={"to": MOBILE, "body": "x"})
    assert r.request.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    assert_problem(r, 415, "unsupported_media_type")


def test_415_other_content_types(gw):
    data = json.dumps({"to": MOBILE, "body": "x"})
    for ct in ("text/plain", "multipart/form-data; boundary=x"):
        r = gw.srv.post("/v1/messages", data=data, headers={"Content-Type": ct})
        assert_problem(r, 415, "unsupported_media_type")
    # Parameters on application/json are fine.
    r = gw.srv.post("/v1/messages", data=data,
                    headers={"Content-Type": "application/json; charset=utf-8"})
    assert r.status_code == 202, r.text


def test_415_for_media_types_that_merely_start_with_json(gw):
    """Regression (issue 2 review): src/api/common.c (sg_api_json_body) compares only the first 16
    characters of Content-Type with "application/json", so "application/jsonx"
    or "application/json-seq" bodies are parsed as JSON and accepted (202)."""
    data = json.dumps({"to": MOBILE, "body": "x"})
    for ct in ("application/jsonx", "application/json-seq", "application/json+zip"):
        r = gw.srv.post("/v1/messages", data=data, headers={"Content-Type": ct})
        assert_problem(r, 415, "unsupported_media_type")
    assert gw.srv.get("/v1/messages").json()["data"] == []


def test_400_invalid_phone(gw):
    for bad in ("not a number", "+44", "+4474001234567890123", "+447400ABCDEF"):
        r = gw.srv.post("/v1/messages", json={"to": bad, "body": "x"})
        assert_problem(r, 400, "invalid_phone", field="to")
    r = gw.srv.post("/v1/messages", json={"body": "x"})
    assert_problem(r, 400, "invalid_phone", field="to")


def test_422_not_mobile(gw):
    r = gw.srv.post("/v1/messages", json={"to": FIXED, "body": "x"})
    assert_problem(r, 422, "not_mobile", field="to")


def test_400_body_too_long(gw):
    r = gw.srv.post("/v1/messages", json={"to": MOBILE, "body": "a" * 1601})
    assert_problem(r, 400, "body_too_long", field="body")
    r = gw.srv.post("/v1/messages", json={"to": MOBILE, "body": "a" * 1600})
    assert r.status_code == 202, r.text


def test_400_missing_body(gw):
    r = gw.srv.post("/v1/messages", json={"to": MOBILE})
    assert_problem(r, 400, "invalid_body", field="body")
    r = gw.srv.post("/v1/messages", json={"to": MOBILE, "body": ""})
    assert_problem(r, 400, "invalid_body", field="body")


def test_400_unknown_field(gw):
    r = gw.srv.post("/v1/messages", json={"to": MOBILE, "body": "x", "colour": "blue"})
    p = assert_problem(r, 400, "invalid_request", field="colour")
    assert "colour" in p["detail"]


def test_400_invalid_send_at(gw):
    r = gw.srv.post("/v1/messages", json={"to": MOBILE, "body": "x", "send_at": "tomorrow"})
    assert_problem(r, 400, "invalid_time", field="send_at")


def test_422_unknown_provider(gw):
    r = gw.srv.post("/v1/messages", json={"to": MOBILE, "body": "x", "provider": "nope"})
    assert_problem(r, 422, "unknown_provider", field="provider")


def test_422_no_default_provider(harness):
    srv = harness.start_server()
    from conftest import create_key

    srv.key = create_key(srv.db, "admin")
    r = srv.post("/v1/messages", json={"to": MOBILE, "body": "x"})
    assert_problem(r, 422, "no_default_provider")


def test_nothing_stored_for_rejected_requests(gw):
    gw.srv.post("/v1/messages", json={"to": FIXED, "body": "x"})
    gw.srv.post("/v1/messages", json={"to": MOBILE, "body": "a" * 1601})
    gw.srv.post("/v1/messages", json={"to": MOBILE, "body": "x", "provider": "nope"})
    r = gw.srv.get("/v1/messages")
    assert r.json()["data"] == []


# ---- batch -------------------------------------------------------------------------------


def test_batch_accepts_good_rows_and_rejects_bad(gw):
    srv, sim = gw.srv, gw.sim
    rows = [
        {"to": "+447400123401", "body": "batch 0"},
        {"to": "+447400123402", "body": "batch 1"},
        {"to": "not a number", "body": "batch 2"},
        {"to": "+447400123403", "body": "batch 3"},
        {"to": FIXED, "body": "batch 4"},
        "not an object",
    ]
    r = srv.post("/v1/messages/batch", json={"messages": rows})
    assert r.status_code == 202, r.text
    body = r.json()
    assert [a["index"] for a in body["accepted"]] == [0, 1, 3]
    assert all(a["id"].startswith("msg_") for a in body["accepted"])
    assert len({a["id"] for a in body["accepted"]}) == 3
    rej = {x["index"]: x for x in body["rejected"]}
    assert sorted(rej) == [2, 4, 5]
    assert rej[2]["code"] == "invalid_phone"
    assert rej[2]["field"] == "to"
    assert rej[4]["code"] == "not_mobile"
    assert rej[5]["code"] == "invalid_request"
    assert all(x["detail"] for x in body["rejected"])

    done = srv.wait_final([a["id"] for a in body["accepted"]])
    assert all(m["status"] == "sent" for m in done.values())
    for a in body["accepted"]:
        to = rows[a["index"]]["to"]
        assert len(sim.messages(to=to)) == 1
        assert done[a["id"]]["body"] == rows[a["index"]]["body"]
    assert sim.messages(to=FIXED) == []
    assert len(srv.get("/v1/messages").json()["data"]) == 3


def test_batch_over_1000_rows_is_400(gw):
    rows = [{"to": MOBILE, "body": f"n{i}"} for i in range(1001)]
    r = gw.srv.post("/v1/messages/batch", json={"messages": rows})
    assert_problem(r, 400, "invalid_request", field="messages")
    assert gw.srv.get("/v1/messages").json()["data"] == []


def test_batch_empty_or_missing_is_400(gw):
    r = gw.srv.post("/v1/messages/batch", json={"messages": []})
    assert_problem(r, 400, "invalid_request", field="messages")
    r = gw.srv.post("/v1/messages/batch", json={})
    assert_problem(r, 400, "invalid_request", field="messages")


# ---- idempotency -------------------------------------------------------------------------


def test_idempotent_retry_returns_same_message(gw):
    srv, sim = gw.srv, gw.sim
    to = "+447400123470"
    payload = {"to": to, "body": "only once"}
    h = {"Idempotency-Key": "order-1234"}
    r1 = srv.post("/v1/messages", json=payload, headers=h)
    assert r1.status_code == 202, r1.text
    r2 = srv.post("/v1/messages", json=payload, headers=h)
    assert r2.status_code == 202, r2.text
    assert r2.json()["id"] == r1.json()["id"]
    assert r2.json() == r1.json()
    assert r2.headers.get("Idempotent-Replayed") == "true"

    srv.wait_status(r1.json()["id"], "sent")
    listed = srv.get("/v1/messages", params={"to": to}).json()["data"]
    assert [m["id"] for m in listed] == [r1.json()["id"]]
    assert len(sim.messages(to=to)) == 1

    # A replay after the send still answers the original 202.
    r3 = srv.post("/v1/messages", json=payload, headers=h)
    assert r3.status_code == 202 and r3.json()["id"] == r1.json()["id"]
    assert len(srv.get("/v1/messages", params={"to": to}).json()["data"]) == 1


def test_idempotency_key_with_other_body_conflicts(gw):
    srv = gw.srv
    h = {"Idempotency-Key": "order-5678"}
    r1 = srv.post("/v1/messages", json={"to": "+447400123471", "body": "first"}, headers=h)
    assert r1.status_code == 202
    r2 = srv.post("/v1/messages", json={"to": "+447400123471", "body": "second"}, headers=h)
    assert_problem(r2, 409, "idempotency_conflict")
    assert len(srv.get("/v1/messages").json()["data"]) == 1


def test_idempotency_key_is_per_api_key(gw):
    srv, sim = gw.srv, gw.sim
    to = "+447400123472"
    payload = {"to": to, "body": "same key, two callers"}
    h = {"Idempotency-Key": "shared-key"}
    r1 = srv.post("/v1/messages", json=payload, headers=h, key=gw.admin)
    r2 = srv.post("/v1/messages", json=payload, headers=h, key=gw.sender)
    assert r1.status_code == 202 and r2.status_code == 202, (r1.text, r2.text)
    assert r1.json()["id"] != r2.json()["id"]
    assert r2.headers.get("Idempotent-Replayed") is None
    srv.wait_final([r1.json()["id"], r2.json()["id"]])
    assert len(sim.messages(to=to)) == 2


def test_idempotent_batch_replay(gw):
    srv = gw.srv
    rows = {"messages": [{"to": "+447400123473", "body": "b"}, {"to": FIXED, "body": "b"}]}
    h = {"Idempotency-Key": "batch-1"}
    r1 = srv.post("/v1/messages/batch", json=rows, headers=h)
    r2 = srv.post("/v1/messages/batch", json=rows, headers=h)
    assert r1.status_code == r2.status_code == 202
    assert r1.json() == r2.json()
    assert len(srv.get("/v1/messages").json()["data"]) == 1


def test_invalid_idempotency_key(gw):
    r = gw.srv.post("/v1/messages", json={"to": MOBILE, "body": "x"},
                    headers={"Idempotency-Key": "x" * 300})
    assert_problem(r, 400, "invalid_request", field="Idempotency-Key")


def test_idempotency_under_concurrent_retries(gw):
    srv, sim = gw.srv, gw.sim
    to = "+447400123474"

    def post(_):
        r = requests.post(srv.url + "/v1/messages", json={"to": to, "body": "race"},
                          headers={"Authorization": f"Bearer {gw.admin}",
                                   "Idempotency-Key": "race-1"}, timeout=10)
        return r.status_code, r.json().get("id")

    with concurrent.futures.ThreadPoolExecutor(16) as ex:
        results = list(ex.map(post, range(32)))
    assert {s for s, _ in results} == {202}, results
    ids = {i for _, i in results}
    assert len(ids) == 1, ids
    srv.wait_status(ids.pop(), "sent")
    assert len(srv.get("/v1/messages", params={"to": to}).json()["data"]) == 1
    assert len(sim.messages(to=to)) == 1


def test_idempotency_survives_restart(harness):
    g = make_gateway(harness)
    payload = {"to": "+447400123475", "body": "durable"}
    h = {"Idempotency-Key": "durable-1"}
    r1 = g.srv.post("/v1/messages", json=payload, headers=h)
    assert r1.status_code == 202
    g.srv.wait_status(r1.json()["id"], "sent")
    assert g.srv.proc.stop() == 0
    srv2 = harness.restart(g.srv)
    r2 = srv2.post("/v1/messages", json=payload, headers=h)
    assert r2.status_code == 202, r2.text
    assert r2.json()["id"] == r1.json()["id"]
    r3 = srv2.post("/v1/messages", json={**payload, "body": "other"}, headers=h)
    assert_problem(r3, 409, "idempotency_conflict")
    assert len(g.sim.messages(to="+447400123475")) == 1


def test_idempotency_key_on_cancel(gw):
    """Regression (issue 2 review): DESIGN "Interfaces" says an Idempotency-Key on any POST makes
    a retry safe. POST /v1/messages/{id}/cancel ignores the header: retrying a
    successful cancel with the same key answers 409 invalid_state instead of
    replaying the 200."""
    srv = gw.srv
    later = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
    a = srv.send("+447400123476", "x", send_at=later)
    h = {"Idempotency-Key": "cancel-1"}
    r1 = srv.post(f"/v1/messages/{a['id']}/cancel", headers=h)
    assert r1.status_code == 200, r1.text
    r2 = srv.post(f"/v1/messages/{a['id']}/cancel", headers=h)
    assert r2.status_code == 200, f"retry of the same cancel: {r2.status_code} {r2.text}"
    assert r2.json()["status"] == "canceled"


def test_idempotency_key_on_provider_create(gw):
    """Regression (issue 2 review): POST /v1/providers ignores Idempotency-Key: retrying the same
    create with the same key answers 409 conflict (name taken) instead of replaying
    the 201, and the same key with another body is not an idempotency_conflict."""
    srv = gw.srv
    body = {"name": "idem", "kind": "twilio",
            "config": {"account_sid": gw.provider["config"]["account_sid"],
                       "auth_token": "some-token-1234", "from": ["+15005550006"],
                       "base_url": gw.sim.url}}
    h = {"Idempotency-Key": "prov-1"}
    r1 = srv.post("/v1/providers", json=body, headers=h)
    assert r1.status_code == 201, r1.text
    r2 = srv.post("/v1/providers", json=body, headers=h)
    assert r2.status_code == 201, f"retry of the same create: {r2.status_code} {r2.text}"
    assert r2.json()["id"] == r1.json()["id"]
    r3 = srv.post("/v1/providers", json={**body, "name": "idem2"}, headers=h)
    assert_problem(r3, 409, "idempotency_conflict")


@pytest.mark.parametrize("sender", [" ", "   ", "12", "Shop!", "TwelveChars1", "+"])
def test_400_for_senders_no_network_accepts(gw, sender):
    r = gw.srv.post("/v1/messages", json={"to": "+447400123456", "body": "hi", "from": sender})
    assert_problem(r, 400, "invalid_request", "from")


@pytest.mark.parametrize("sender", ["Shop", "My Shop", "12345", "+15005550006"])
def test_senders_accepted(gw, sender):
    r = gw.srv.post("/v1/messages", json={"to": "+447400123456", "body": "hi", "from": sender})
    assert r.status_code == 202, r.text
    assert r.json()["from"] == sender
