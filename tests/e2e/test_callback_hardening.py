"""Who may see and use a provider's callback URLs (issue 11 items 4, 6 and 12).

- A callback URL that carries a secret is a credential: shown to admin keys only;
  a provider's secrets and a base_url's userinfo are shown to nobody.
- A Twilio provider configured with an API key is called back too: signed (and
  checked) when it also has the account's auth token, on secret URLs otherwise.
- Status reports for unknown messages are kept for a while, at most 1,000 per
  provider, whoever posts them.
"""
import re
import sqlite3
import urllib.parse

import requests

import pytest

from conftest import (ACCOUNT_SID, AUTH_TOKEN, FROM, assert_problem, create_key, run_cli,
                      wait_for)
from test_clickatell import legacy_provider, start_clickatell_sim
from test_twoway import inbound_params, status_params, twilio_signature

MOBILE = "+447400123456"
SK = "SK" + "c3" * 16
SK_SECRET = "api-key-secret-9f8e"
USERINFO = "proxyuser:pr0xy-pa55word"


def secret_of(url):
    """The secret path segment of .../callbacks/<id>/<secret>/<what>."""
    parts = urllib.parse.urlsplit(url).path.split("/")
    assert len(parts) == 5 and parts[1] == "callbacks", url
    return parts[3]


def post_form(url, params, signature=None):
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if signature:
        headers["X-Twilio-Signature"] = signature
    return requests.post(url, data=urllib.parse.urlencode(params), headers=headers, timeout=10)


# ---- item 4: callback secrets for admins only, userinfo for nobody ----------------------


def test_viewer_sees_no_callback_secret_and_nobody_sees_userinfo(harness):
    url = start_clickatell_sim(harness)
    srv = harness.start_server()
    srv.key = create_key(srv.db, "admin")
    viewer = create_key(srv.db, "viewer")
    sender = create_key(srv.db, "sender")
    host = urllib.parse.urlsplit(url).netloc
    answers = []
    p = legacy_provider(srv, f"http://{USERINFO}@{host}")
    answers.append(srv.get("/v1/providers").text)
    secret = secret_of(p["callback_urls"]["status"])
    assert p["callback_auth"] == "url_secret" and p["callback_urls_masked"] is False
    assert p["config"]["base_url"] == f"http://****@{host}"

    # an admin is shown the URLs to paste into Clickatell's portal
    for r in (srv.get("/v1/providers"), srv.get(f"/v1/providers/{p['id']}")):
        assert r.status_code == 200 and secret in r.text
    # a viewer (and a sender) is not: the secret is "****"
    for key in (viewer, sender):
        listing = srv.get("/v1/providers", key=key)
        one = srv.get(f"/v1/providers/{p['id']}", key=key)
        for r in (listing, one):
            assert r.status_code == 200, r.text
            assert secret not in r.text
            answers.append(r.text)
        shown = one.json()
        assert shown["callback_urls_masked"] is True
        assert shown["callback_urls"]["status"].endswith(f"/callbacks/{p['id']}/****/status")
        assert listing.json()["data"][0]["callback_urls"] == shown["callback_urls"]
    # with the masked URL a viewer can move nothing
    r = requests.get(srv.url + f"/callbacks/{p['id']}/****/status",
                     params={"api_id": "3512345", "apiMsgId": "a" * 32, "status": "004"},
                     timeout=5)
    assert_problem(r, 403, "forbidden")

    # patch (an admin's answer) and the test endpoint (a sender's)
    r = srv.patch(f"/v1/providers/{p['id']}", json={"title": "edited"})
    assert r.status_code == 200 and secret in r.text
    answers.append(r.text)
    r = srv.post(f"/v1/providers/{p['id']}/test", json={"to": MOBILE}, key=sender)
    assert r.status_code == 202, r.text
    assert secret not in r.text
    answers.append(r.text)
    # the CLI is an admin's: callback URLs whole, userinfo still masked
    for args in (("provider", "show", "ck"), ("provider", "list")):
        cp = run_cli(*args, "--db", srv.db, "--log-level", "warn", check=True)
        answers.append(cp.stdout + cp.stderr)
    assert secret in answers[-2]
    for text in answers:
        assert "pr0xy-pa55word" not in text and "proxyuser" not in text
        assert "simulator-password" not in text


def test_twilio_signed_provider_urls_carry_no_secret(gw):
    """A signed provider's URLs are not credentials: everyone sees them."""
    r = gw.srv.get(f"/v1/providers/{gw.provider['id']}", key=gw.viewer)
    shown = r.json()
    assert shown["callback_auth"] == "signature"
    assert shown["callback_urls_masked"] is False
    assert shown["callback_urls"] == gw.provider["callback_urls"]
    assert shown["callback_urls"]["status"].endswith(f"/callbacks/{gw.provider['id']}/status")


# ---- item 6: Twilio with an API key ------------------------------------------------------


def api_key_provider(srv, sim, name, auth_token=None):
    config = {"account_sid": ACCOUNT_SID, "api_key_sid": SK, "api_key_secret": SK_SECRET,
              "from": FROM, "base_url": sim.url, "mps": 1000}
    if auth_token:
        config["auth_token"] = auth_token
    r = srv.post("/v1/providers", json={"name": name, "kind": "twilio", "config": config})
    assert r.status_code == 201, r.text
    assert SK_SECRET not in r.text and AUTH_TOKEN not in r.text
    return r.json()


def test_api_key_with_auth_token_gets_signed_callbacks(harness):
    sim = harness.start_sim("--api-key-sid", SK, "--api-key-secret", SK_SECRET, callbacks=True)
    srv = harness.start_server()
    srv.key = create_key(srv.db, "admin")
    p = api_key_provider(srv, sim, "keyed", auth_token=AUTH_TOKEN)
    assert p["callback_auth"] == "signature"
    assert p["callback_urls"]["status"] == f"{srv.url}/callbacks/{p['id']}/status"
    m = srv.send(MOBILE, "signed with the auth token", provider="keyed")
    done = wait_for(lambda: (lambda x: x if x["status"] == "delivered" else None)(
        srv.message(m["id"])), what="the delivery report")
    assert [e["status"] for e in done["events"]] == ["queued", "sending", "sent", "delivered"]
    assert sim.messages(to=MOBILE)[0]["credential_sid"] == SK
    # a signature made with another token is still refused
    url = p["callback_urls"]["inbound"]
    params = inbound_params("STOP")
    r = post_form(url, params, twilio_signature("another-token", url, params))
    assert_problem(r, 403, "forbidden")


def test_api_key_without_auth_token_uses_secret_urls(harness):
    sim = harness.start_sim("--api-key-sid", SK, "--api-key-secret", SK_SECRET, callbacks=True)
    srv = harness.start_server()
    srv.key = create_key(srv.db, "admin")
    p = api_key_provider(srv, sim, "keyonly")
    assert p["callback_auth"] == "url_secret"
    status_url = p["callback_urls"]["status"]
    secret = secret_of(status_url)
    assert len(secret) >= 32
    # the StatusCallback given to Twilio is the secret URL: reports arrive
    m = srv.send(MOBILE, "reported on the secret URL", provider="keyonly")
    done = wait_for(lambda: (lambda x: x if x["status"] == "delivered" else None)(
        srv.message(m["id"])), what="the delivery report")
    assert sim.messages(to=MOBILE)[0]["status_callback"] == status_url
    assert done["status"] == "delivered"

    # the plain URL cannot be checked without an auth token: refused, even signed
    plain = f"{srv.url}/callbacks/{p['id']}/inbound"
    params = inbound_params("STOP", sid="SM" + "a1" * 16)
    r = post_form(plain, params, twilio_signature(AUTH_TOKEN, plain, params))
    assert_problem(r, 403, "forbidden")
    # a wrong secret is refused
    bad = p["callback_urls"]["inbound"].replace(secret, "0" * len(secret))
    assert_problem(post_form(bad, params), 403, "forbidden")
    assert srv.get("/v1/optouts").json()["data"] == []
    # the secret URL takes an (unsignable) inbound STOP
    r = post_form(p["callback_urls"]["inbound"], params)
    assert r.status_code == 200, r.text
    assert "<Response" in r.text
    assert [o["phone"] for o in srv.get("/v1/optouts").json()["data"]] == [MOBILE]
    # and a status report for an unknown message
    r = post_form(status_url, status_params("SM" + "9" * 32, "delivered"))
    assert r.status_code == 200, r.text


# ---- item 12: early reports bounded per provider ----------------------------------------


@pytest.mark.sqlite_only  # looks into the SQLite file itself
def test_early_reports_are_bounded_per_provider(harness):
    url = start_clickatell_sim(harness)
    srv = harness.start_server()
    srv.key = create_key(srv.db, "admin")
    p = legacy_provider(srv, url)
    status_url = p["callback_urls"]["status"]
    n = 1050
    with requests.Session() as s:
        for i in range(n):
            r = s.get(status_url, params={"api_id": "3512345", "apiMsgId": "%032x" % i,
                                          "status": "004"}, timeout=10)
            assert r.status_code == 200, r.text
    db = sqlite3.connect(f"file:{srv.db}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT provider_message_id FROM early_reports WHERE provider_id = ? "
                          "ORDER BY id", (p["id"],)).fetchall()
    finally:
        db.close()
    # the newest 1,000 are kept, the oldest dropped and counted
    assert len(rows) == 1000
    assert rows[0][0] == "%032x" % (n - 1000) and rows[-1][0] == "%032x" % (n - 1)
    m = re.search(r"^smsgate_early_reports_dropped_total (\d+)$", srv.metrics(), re.M)
    assert m and int(m.group(1)) == n - 1000
    assert "early_reports_dropped" in srv.proc.stderr() + srv.proc.stdout()
