"""Errors: authentication, roles, routing, request validation, batches and
idempotency. Every error must be an RFC 9457 problem with a stable code."""
import json

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
    # Just under the limit still works (and the limit is on bytes, not characters).
    ok = json.dumps({"to": MOBILE, "body": "z" * 1500})
    assert len(ok) < 4096
    r = g.srv.post("/v1/messages", data=ok, headers={"Content-Type": "application/json"})
    assert r.status_code == 202, r.text


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
    ]
    r = srv.post("/v1/messages/batch", json={"messages": rows})
    assert r.status_code == 202, r.text
    body = r.json()
    assert [a["index"] for a in body["accepted"]] == [0, 1, 3]
    assert all(a["id"].startswith("msg_") for a in body["accepted"])
    assert len({a["id"] for a in body["accepted"]}) == 3
    rej = {x["index"]: x for x in body["rejected"]}
    assert sorted(rej) == [2, 4]
    assert rej[2]["code"] == "invalid_phone"
    assert rej[4]["code"] == "not_mobile"
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
