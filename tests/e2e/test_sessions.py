"""Console sessions against a real server: sign-in and its cookie, the cookie as
API authentication with the user's role, CSRF, sign-out and expiry, throttling of
failed sign-ins, the security headers, and passwords kept out of logs and answers."""
import threading

import requests

from conftest import assert_problem, create_key, wait_for
from userkit import HEX64, create_user, set_cookie_attrs, sign_in, signed_in

ADMIN = ("Ann.Admin@example.org", "admin-password-0001")
SENDER = ("sam@example.org", "sender-password-0002")
VIEWER = ("vic@example.org", "viewer-password-0003")
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


def start(harness, *flags):
    srv = harness.start_server(*flags)
    srv.key = create_key(srv.db, "admin")
    for (email, pw), role in ((ADMIN, "admin"), (SENDER, "sender"), (VIEWER, "viewer")):
        create_user(srv.db, email, role, pw)
    return srv


def contact(n):
    return {"phone": f"+4474001234{n:02d}", "first_name": "Pat"}


def test_sign_in_sets_a_strict_http_only_cookie(harness):
    srv = start(harness)
    s, r = sign_in(srv, "ann.admin@EXAMPLE.org", ADMIN[1])  # the email in any case
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"user", "csrf_token", "expires_at"}, body
    assert body["user"]["email"] == ADMIN[0] and body["user"]["role"] == "admin"
    assert body["user"]["id"].startswith("usr_")
    assert len(body["csrf_token"]) == 64 and set(body["csrf_token"]) <= HEX64
    assert body["expires_at"].endswith("Z")
    name, value, attrs = set_cookie_attrs(r)
    assert name == "sg_session"
    assert len(value) == 64 and set(value) <= HEX64, value
    assert "httponly" in attrs and attrs.get("samesite") == "Strict" and attrs.get("path") == "/"
    assert "secure" not in attrs  # plain http public URL
    assert value not in r.text and value != body["csrf_token"]
    # the cookie authenticates GET /v1/session and the API
    g = s.get(srv.url + "/v1/session", timeout=10)
    assert g.status_code == 200, g.text
    assert g.json()["user"] == body["user"] and g.json()["csrf_token"] == body["csrf_token"]
    assert s.get(srv.url + "/v1/messages", timeout=10).status_code == 200
    # without any cookie: 401
    assert_problem(requests.get(srv.url + "/v1/session", timeout=10), 401, "unauthorized")


def test_secure_cookie_behind_an_https_public_url(harness):
    srv = start(harness, "--public-url", "https://sms.example.org")
    _, r = sign_in(srv, *ADMIN)
    assert r.status_code == 200, r.text
    _, _, attrs = set_cookie_attrs(r)
    assert "secure" in attrs and "httponly" in attrs and attrs.get("samesite") == "Strict"


def test_wrong_password_and_unknown_email_get_the_same_answer(harness):
    srv = start(harness)
    _, wrong = sign_in(srv, ADMIN[0], "not-the-password-at-all")
    _, unknown = sign_in(srv, "nobody@example.org", ADMIN[1])
    _, garbage = sign_in(srv, "not an email", ADMIN[1])
    answers = [assert_problem(r, 401, "invalid_credentials") for r in (wrong, unknown, garbage)]
    assert answers[0] == answers[1] == answers[2]
    for r in (wrong, unknown, garbage):
        assert "Set-Cookie" not in r.headers
    # malformed bodies are 400 with the field at fault
    r = requests.post(srv.url + "/v1/session", json={"email": ADMIN[0]}, timeout=10)
    assert_problem(r, 400, "invalid_request", "password")
    r = requests.post(srv.url + "/v1/session", json={**dict(zip(("email", "password"), ADMIN)),
                                                     "remember": True}, timeout=10)
    assert_problem(r, 400, "invalid_request", "remember")


def test_session_id_changes_at_every_sign_in(harness):
    srv = start(harness)
    s, first = sign_in(srv, *ADMIN)
    old = s.cookies.get("sg_session")
    # signing in again from the same browser (sending the old cookie)
    s, second = sign_in(srv, *ADMIN, session=s)
    assert second.status_code == 200
    new = s.cookies.get("sg_session")
    assert new and old and new != old
    assert second.json()["csrf_token"] != first.json()["csrf_token"]
    # the old id is gone server-side, the new one works
    r = requests.get(srv.url + "/v1/session", cookies={"sg_session": old}, timeout=10)
    assert_problem(r, 401, "unauthorized")
    assert s.get(srv.url + "/v1/session", timeout=10).status_code == 200


def test_sign_out_ends_the_session_server_side(harness):
    srv = start(harness)
    s, token = signed_in(srv, *ADMIN)
    cookie = s.cookies.get("sg_session")
    # sign-out is a cookie-authenticated write: the token is needed
    assert_problem(s.delete(srv.url + "/v1/session", timeout=10), 403, "csrf_failed")
    r = s.delete(srv.url + "/v1/session", headers={"X-CSRF-Token": token}, timeout=10)
    assert r.status_code == 204, r.text
    name, value, attrs = set_cookie_attrs(r)
    assert name == "sg_session" and value == "" and attrs.get("max-age") == "0"
    # replaying the old cookie does not work anywhere
    for path in ("/v1/session", "/v1/messages"):
        r = requests.get(srv.url + path, cookies={"sg_session": cookie}, timeout=10)
        assert_problem(r, 401, "unauthorized")
    audit = srv.get("/v1/audit", params={"action": "session.sign_out"}).json()["data"]
    assert [(a["actor"], a["source"]) for a in audit] == [(ADMIN[0], "127.0.0.1")]


def test_idle_session_expires(harness):
    srv = start(harness, "--session-idle", "2")
    s, _ = signed_in(srv, *ADMIN)
    assert s.get(srv.url + "/v1/session", timeout=10).status_code == 200
    # every use restarts the idle clock: look less often than the idle time
    wait_for(lambda: s.get(srv.url + "/v1/session", timeout=10).status_code == 401, timeout=20,
             interval=3, what="the idle session to end")
    assert_problem(s.get(srv.url + "/v1/messages", timeout=10), 401, "unauthorized")


def test_absolute_expiry_ends_a_session_in_use(harness):
    srv = start(harness, "--session-max", "2")
    s, _ = signed_in(srv, *ADMIN)
    # used all the time, it still ends
    wait_for(lambda: s.get(srv.url + "/v1/session", timeout=10).status_code == 401, timeout=15,
             interval=0.2, what="the session to reach its absolute expiry")


def test_cookie_writes_need_the_csrf_token(harness):
    srv = start(harness)
    s, token = signed_in(srv, *ADMIN)
    url = srv.url + "/v1/contacts"
    assert_problem(s.post(url, json=contact(1), timeout=10), 403, "csrf_failed")
    assert_problem(s.post(url, json=contact(1), headers={"X-CSRF-Token": "0" * 64}, timeout=10),
                   403, "csrf_failed")
    assert_problem(s.post(url, json=contact(1), headers={"X-CSRF-Token": token[:-1]},
                          timeout=10), 403, "csrf_failed")
    r = s.post(url, json=contact(1), headers={"X-CSRF-Token": token}, timeout=10)
    assert r.status_code == 201, r.text
    # reads need no token; Bearer-key writes are unaffected
    assert s.get(url, timeout=10).status_code == 200
    assert srv.post("/v1/contacts", json=contact(2)).status_code == 201


def test_a_session_has_its_users_role(harness):
    srv = start(harness)
    viewer, vt = signed_in(srv, *VIEWER)
    sender, st = signed_in(srv, *SENDER)
    admin, at = signed_in(srv, *ADMIN)
    # a viewer reads but changes nothing, whatever the route
    assert viewer.get(srv.url + "/v1/messages", timeout=10).status_code == 200
    writes = [("POST", "/v1/messages", {"to": "+447400123456", "body": "hi"}),
              ("POST", "/v1/contacts", contact(3)),
              ("POST", "/v1/users", {"email": "x@example.org", "role": "admin",
                                     "password": "long-enough-password"}),
              ("DELETE", "/v1/optouts/+447400123456", None),
              ("POST", "/v1/keys", {"role": "admin"})]
    for method, path, body in writes:
        r = viewer.request(method, srv.url + path, json=body, headers={"X-CSRF-Token": vt},
                           timeout=10)
        assert_problem(r, 403, "forbidden")
    # a sender writes contacts but may not manage users or read the audit log
    r = sender.post(srv.url + "/v1/contacts", json=contact(4), headers={"X-CSRF-Token": st},
                    timeout=10)
    assert r.status_code == 201, r.text
    assert_problem(sender.get(srv.url + "/v1/users", timeout=10), 403, "forbidden")
    assert_problem(sender.get(srv.url + "/v1/audit", timeout=10), 403, "forbidden")
    assert admin.get(srv.url + "/v1/users", timeout=10).status_code == 200
    # a role change applies to a session at once
    uid = viewer.get(srv.url + "/v1/session", timeout=10).json()["user"]["id"]
    r = admin.patch(srv.url + f"/v1/users/{uid}", json={"role": "sender"},
                    headers={"X-CSRF-Token": at}, timeout=10)
    assert r.status_code == 200, r.text
    r = viewer.post(srv.url + "/v1/contacts", json=contact(5), headers={"X-CSRF-Token": vt},
                    timeout=10)
    assert r.status_code == 201, r.text


def test_failed_sign_ins_are_throttled_per_account(harness):
    srv = start(harness)
    for _ in range(5):
        assert_problem(sign_in(srv, ADMIN[0], "wrong-password-xx")[1], 401, "invalid_credentials")
    # locked: even the right password is refused, with Retry-After
    _, r = sign_in(srv, ADMIN[0].upper(), ADMIN[1])
    assert_problem(r, 429, "too_many_attempts")
    assert int(r.headers["Retry-After"]) > 0
    assert "Set-Cookie" not in r.headers
    # another account from the same address is not locked
    assert sign_in(srv, *SENDER)[1].status_code == 200


def test_a_success_resets_the_accounts_counter(harness):
    srv = start(harness)
    for _ in range(2):
        for _ in range(4):
            assert sign_in(srv, ADMIN[0], "wrong-password-yy")[1].status_code == 401
        assert sign_in(srv, *ADMIN)[1].status_code == 200


def test_failed_sign_ins_are_throttled_per_address(harness):
    srv = start(harness)
    # 20 failures, each for a different (unknown) account: no account locks
    for i in range(20):
        _, r = sign_in(srv, f"guess{i}@example.org", "wrong-password-zz")
        assert_problem(r, 401, "invalid_credentials")
    _, r = sign_in(srv, *ADMIN)
    assert_problem(r, 429, "too_many_attempts")
    assert int(r.headers["Retry-After"]) > 0
    # Bearer-key requests are not affected
    assert srv.get("/v1/messages").status_code == 200


def test_security_headers_on_every_answer(harness):
    srv = start(harness)
    s, _ = signed_in(srv, *ADMIN)
    answers = [requests.get(srv.url + "/healthz", timeout=10),
               requests.get(srv.url + "/no/such/path", timeout=10),
               requests.get(srv.url + "/v1/messages", timeout=10),
               srv.get("/v1/messages"),
               s.get(srv.url + "/v1/session", timeout=10),
               sign_in(srv, ADMIN[0], "wrong-password-ww")[1]]
    for r in answers:
        assert r.headers.get("Content-Security-Policy") == CSP, (r.url, r.status_code)
        assert r.headers.get("X-Content-Type-Options") == "nosniff"
        assert r.headers.get("Referrer-Policy") == "no-referrer"
        assert r.headers.get("X-Frame-Options") == "DENY"
    # the console's pages keep their own (stricter) policy: one policy, never two
    r = requests.get(srv.url + "/console/", timeout=10)
    csp = r.headers.get("Content-Security-Policy", "")
    assert csp.count("default-src") == 1, csp
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp, csp
    assert r.headers.get("X-Frame-Options") == "DENY"
    assert r.headers.get("X-Content-Type-Options") == "nosniff"


def test_passwords_never_in_logs_or_answers(harness):
    srv = start(harness, "--log-level", "debug")
    secret_new = "brand-new-secret-Quokka-42"
    s, token = signed_in(srv, *ADMIN)
    texts = []
    texts.append(sign_in(srv, ADMIN[0], "Wrong-Secret-Wombat-77")[1].text)
    r = s.post(srv.url + "/v1/users", json={"email": "new@example.org", "role": "viewer",
                                            "password": secret_new},
               headers={"X-CSRF-Token": token}, timeout=30)
    assert r.status_code == 201, r.text
    texts.append(r.text)
    uid = r.json()["id"]
    r = s.patch(srv.url + f"/v1/users/{uid}", json={"password": "Changed-Secret-Numbat-9"},
                headers={"X-CSRF-Token": token}, timeout=30)
    assert r.status_code == 200, r.text
    texts.append(r.text)
    texts.append(s.get(srv.url + "/v1/users", timeout=10).text)
    texts.append(s.get(srv.url + "/v1/audit", timeout=10).text)
    _, r = sign_in(srv, "new@example.org", "Changed-Secret-Numbat-9")
    assert r.status_code == 200
    texts.append(r.text)
    srv.proc.stop()
    logs = srv.proc.stdout() + srv.proc.stderr()
    assert "signed_in" in logs and "sign_in_failed" in logs  # the log did record them
    for secret in (ADMIN[1], "Wrong-Secret-Wombat-77", secret_new, "Changed-Secret-Numbat-9"):
        assert secret not in logs
        for t in texts:
            assert secret not in t
    for t in texts:
        assert "argon2" not in t and "password_hash" not in t


def test_sign_ins_beyond_the_password_queue_get_503_busy(harness):
    srv = start(harness, "--password-workers", "1", "--password-queue", "1")
    n = 12
    barrier = threading.Barrier(n)
    answers = [None] * n

    def attempt(i):
        barrier.wait()
        answers[i] = sign_in(srv, f"someone{i}@example.org", "wrong-password-bb")[1]

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    codes = sorted(r.status_code for r in answers)
    assert set(codes) <= {401, 503}, codes
    busy = [r for r in answers if r.status_code == 503]
    assert busy, f"one worker and a queue of one took all of {n} at once: {codes}"
    for r in busy:
        assert_problem(r, 503, "busy")
        assert r.headers.get("Retry-After") == "1"
    # the API itself was never held up, and the server still signs people in
    assert srv.get("/v1/messages").status_code == 200
    assert sign_in(srv, *ADMIN)[1].status_code == 200
