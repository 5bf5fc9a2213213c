"""The HTTP edge against hostile or broken clients (issue 11, items 8, 9, 13, 14):
authentication before the body, bounded unauthenticated bodies, per-address
connection limits, a deadline for request headers, X-Forwarded-For from trusted
proxies only, problem+json for every refusal, and no secret in the logs.

Raw sockets where `requests` cannot say it (a body that never comes, headers
that trickle)."""
import re
import socket
import time

import pytest
import requests

from conftest import assert_problem, create_key, wait_for

SECRET_MARK = "s3cr3tZZ"  # must never reach a log


# ---- raw HTTP ---------------------------------------------------------------------------


def connect(srv, timeout=5):
    return socket.create_connection(("127.0.0.1", srv.port), timeout=timeout)


def read_answer(s, timeout=5):
    """Read one HTTP answer: (status, headers dict lower-cased, body bytes). Raises
    socket.timeout if none comes; status is None if the server closed without one."""
    s.settimeout(timeout)
    buf = b""
    while True:
        try:
            chunk = s.recv(65536)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            break
        buf += chunk
        head, sep, body = buf.partition(b"\r\n\r\n")
        if sep:
            m = re.search(rb"(?im)^content-length:\s*(\d+)", head)
            if m and len(body) >= int(m.group(1)):
                break
    if not buf:
        return None, {}, b""
    head, _, body = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in
               (line.split(":", 1) for line in lines[1:] if ":" in line)}
    return status, headers, body


def raw_request(srv, head, body=b"", timeout=5):
    with connect(srv, timeout) as s:
        s.sendall(head.encode("latin-1") if isinstance(head, str) else head)
        if body:
            s.sendall(body)
        return read_answer(s, timeout)


def assert_raw_problem(answer, status, code):
    got, headers, body = answer
    assert got == status, f"expected {status}, got {got}: {body[:300]!r}"
    assert headers.get("content-type") == "application/problem+json", headers
    import json
    p = json.loads(body)
    assert p["status"] == status and p["code"] == code, p
    return p


def closed_without_answer(s, timeout=5):
    """True if the server closes s (EOF or reset) without sending anything."""
    s.settimeout(timeout)
    try:
        return s.recv(1024) == b""
    except (ConnectionResetError, BrokenPipeError):
        return True


# ---- 14: problem+json for every refusal -----------------------------------------------


def test_invalid_utf8_in_path_and_query_is_400_problem(gw):
    srv = gw.srv
    for path in ("/v1/messages/%FF%FE", "/v1/messages?status=%C3%28", "/nowhere/%80"):
        for key in (gw.admin, ""):  # with a key and without
            r = requests.get(srv.url + path, headers={"Authorization": f"Bearer {key}"}
                             if key else {}, timeout=5)
            assert_problem(r, 400, "invalid_utf8")


def test_too_many_query_parameters_get_an_answer(gw):
    srv = gw.srv
    query = "&".join(f"k{i}=v{i}" for i in range(300))
    r = srv.get("/v1/messages?" + query)
    assert_problem(r, 400, "too_many_parameters")
    # Thousands of short ones: more than libmicrohttpd could hold.
    r = srv.get("/v1/messages?" + "&".join("k" for _ in range(2000)))  # 4 KiB
    assert_problem(r, 400, "too_many_parameters")
    r = srv.get("/v1/messages?" + "&".join(f"key{i}=value{i}" for i in range(400)))
    assert_problem(r, 414, "uri_too_long")  # 5 KiB, more than 256 as well
    # 250 still get their ordinary answer.
    r = srv.get("/v1/messages?limit=1&" + "&".join(f"k{i}=v" for i in range(248)))
    assert r.status_code == 200, r.text


def test_unknown_paths_and_methods_are_problems(gw):
    srv = gw.srv
    assert_problem(requests.get(srv.url + "/nowhere", timeout=5), 404, "not_found")
    assert_problem(requests.get(srv.url + "/v1/nothing/here", timeout=5), 404, "not_found")
    assert_problem(requests.put(srv.url + "/v1/messages", data=b"x" * 1000, timeout=5), 405,
                   "method_not_allowed")


def test_oversized_header_and_uri_are_problems(gw):
    srv = gw.srv
    r = srv.get("/v1/messages", headers={"X-Padding": "a" * 20000})
    assert_problem(r, 431, "header_too_large")
    r = srv.get("/v1/messages/" + "m" * 2000)  # the path alone: longer than 1 KiB
    assert_problem(r, 414, "uri_too_long")
    # The server is fine afterwards.
    assert srv.get("/v1/messages?limit=1").status_code == 200


# ---- 8: authentication before the body --------------------------------------------------


def test_bad_key_gets_401_before_the_body(gw):
    srv = gw.srv
    for length in (100_000_000, 1000):  # over the body limit, and under it
        head = (f"POST /v1/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sgk_bad\r\n"
                f"Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n")
        with connect(srv) as s:
            s.sendall(head.encode())
            status, headers, body = read_answer(s)  # no body is ever sent
            assert status == 401, (status, body)
            assert headers["content-type"] == "application/problem+json"


def test_no_credential_gets_401_before_the_body(gw):
    srv = gw.srv
    head = ("POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n")
    with connect(srv) as s:
        s.sendall(head.encode())
        assert_raw_problem(read_answer(s), 401, "unauthorized")


def test_good_key_still_reads_the_body(gw):
    srv = gw.srv
    m = srv.send("+447400123456", "after the headers")
    assert m["status"] == "queued"


def test_callback_bodies_have_a_small_limit(gw):
    srv = gw.srv
    r = requests.post(srv.url + "/callbacks/sim/status", data=b"a" * (65 * 1024), timeout=5)
    assert_problem(r, 413, "body_too_large")
    # An unauthenticated request to a public route without its own limit: the
    # small default, not --max-body.
    r = requests.post(srv.url + "/healthz", data=b"a" * (100 * 1024), timeout=5)
    assert r.status_code in (405, 413), r.text


def test_unauthenticated_bodies_share_a_budget(harness):
    srv = harness.start_server("--unauth-budget", "100000")
    head = ("POST /callbacks/nobody/status HTTP/1.1\r\nHost: x\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 60000\r\n\r\n")
    holder = connect(srv)
    try:
        holder.sendall(head.encode() + b"a" * 50000)  # and the rest never comes

        def busy():
            with connect(srv) as s:
                s.sendall(head.encode())
                try:
                    status, headers, body = read_answer(s, timeout=0.5)
                except socket.timeout:
                    return None  # the holder's bytes are not in yet: try again
                if status == 503:
                    assert headers.get("retry-after") == "5", headers
                    assert_raw_problem((status, headers, body), 503, "server_busy")
                    return True
                return None

        wait_for(busy, timeout=10, what="a 503 while another body holds the budget")
        assert "limit=unauthenticated_bodies" in srv.proc.stderr()
    finally:
        holder.close()
    # Once the holder is gone its bytes are given back.
    small = b"MessageSid=SM1"
    wait_for(lambda: raw_request(srv, head.replace("60000", str(len(small))), small)[0]
             not in (None, 503), what="the budget to be given back")


# ---- 9: connection limits ------------------------------------------------------------------


def get_on(s, path="/healthz", extra=""):
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n{extra}\r\n".encode())
    return read_answer(s)


def test_connections_per_address_are_limited(harness):
    srv = harness.start_server("--max-conn-per-ip", "3")
    held = []

    def one_more():
        # A connection the start-up probe closed may still be counted for a
        # moment: then this one is refused, and we try again.
        s = connect(srv)
        try:
            if get_on(s)[0] == 200:  # accepted and answered, kept alive
                held.append(s)
                return True
        except (ConnectionResetError, BrokenPipeError):
            pass
        s.close()
        return False

    try:
        for _ in range(3):
            wait_for(one_more, what="a connection under the limit to be served")
        extra = connect(srv)
        try:
            extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        except (ConnectionResetError, BrokenPipeError):
            pass
        assert closed_without_answer(extra)
        extra.close()
        wait_for(lambda: "limit=max_conn_per_ip client=127.0.0.1" in srv.proc.stderr(),
                 what="the limit's log line")
    finally:
        held.pop().close()
    # One slot is free again: a fresh client is served.
    wait_for(lambda: requests.get(srv.url + "/healthz", timeout=2).status_code == 200,
             what="a fresh connection to be served")
    for s in held:
        s.close()


def test_trusted_proxy_is_exempt_and_names_the_client(harness):
    srv = harness.start_server("--max-conn-per-ip", "2", "--trusted-proxy", "127.0.0.1/32",
                               "--log-level", "debug")
    held = [connect(srv) for _ in range(4)]
    try:
        for i, s in enumerate(held):
            status, _, _ = get_on(s, extra=f"X-Forwarded-For: 6.6.6.6, 198.51.100.{i}\r\n")
            assert status == 200
    finally:
        for s in held:
            s.close()
    # A request is logged when it ends, just after its answer has gone.
    wait_for(lambda: all(f"client=198.51.100.{i}" in srv.proc.stderr() for i in range(4)),
             what="each request logged with its forwarded client")
    assert "client=6.6.6.6" not in srv.proc.stderr()  # what the client wrote itself is not believed


def clickatell_with_allow_from(srv, networks):
    r = srv.post("/v1/providers", json={"name": "ck", "kind": "clickatell", "config": {
        "username": "u", "password": "p4ssw0rd-xyz", "api_id": "3512345",
        "base_url": "http://127.0.0.1:9", "allow_from": networks}})
    assert r.status_code == 201, r.text
    return r.json()["callback_urls"]["status"]


REPORT = {"api_id": "3512345", "apiMsgId": "a" * 32, "status": "004"}


def test_callback_allow_list_sees_the_forwarded_client(harness):
    srv = harness.start_server("--trusted-proxy", "127.0.0.0/8")
    srv.key = create_key(srv.db, "admin")
    url = clickatell_with_allow_from(srv, ["196.216.236.0/24"])
    r = requests.get(url, params=REPORT, headers={"X-Forwarded-For": "196.216.236.5"}, timeout=5)
    assert r.status_code == 200, r.text
    # What a client writes left of the proxy's own hop is not believed.
    r = requests.get(url, params=REPORT, timeout=5,
                     headers={"X-Forwarded-For": "196.216.236.5, 203.0.113.50"})
    assert_problem(r, 403, "forbidden")


def test_callback_allow_list_ignores_forwarding_from_untrusted_peers(harness):
    srv = harness.start_server()
    srv.key = create_key(srv.db, "admin")
    url = clickatell_with_allow_from(srv, ["196.216.236.0/24"])
    r = requests.get(url, params=REPORT, headers={"X-Forwarded-For": "196.216.236.5"}, timeout=5)
    assert_problem(r, 403, "forbidden")


def test_forwarded_header_ignored_without_trusted_proxy(harness):
    srv = harness.start_server("--log-level", "debug")
    r = requests.get(srv.url + "/healthz", headers={"X-Forwarded-For": "198.51.100.9"}, timeout=5)
    assert r.status_code == 200
    wait_for(lambda: "path=/healthz status=200" in srv.proc.stderr(), what="the request log")
    err = srv.proc.stderr()
    assert "client=198.51.100.9" not in err and "client=127.0.0.1" in err


def test_header_deadline_closes_a_trickling_connection(harness):
    # 4 s: time enough for the request line to be read on a loaded machine (only
    # a request that has begun is reported), far less than the idle timeout.
    srv = harness.start_server("--header-timeout", "4")
    idle = connect(srv)  # sends nothing at all: closed as well, without a log line
    s = connect(srv)
    try:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        s.settimeout(0.2)
        closed = False
        deadline = time.monotonic() + 25  # the idle timeout (30 s) never comes
        while time.monotonic() < deadline and not closed:
            try:
                s.sendall(b"X-Slow: a\r\n")  # a byte every 0.2 s: never idle
                closed = s.recv(1024) == b""
            except socket.timeout:
                continue
            except (ConnectionResetError, BrokenPipeError):
                closed = True
        assert closed, "the trickling connection was not closed:\n" + srv.proc.stderr()[-2000:]
        assert closed_without_answer(idle, timeout=10), (
            "the idle connection was not closed:\n" + srv.proc.stderr()[-2000:])
    finally:
        s.close()
        idle.close()
    wait_for(lambda: "limit=header_timeout" in srv.proc.stderr(), timeout=15,
             what="the deadline's log line in:\n" + srv.proc.stderr()[-2000:])
    assert requests.get(srv.url + "/healthz", timeout=15).status_code == 200


# ---- 13: no secrets in debug logs ----------------------------------------------------------


def test_debug_logs_never_show_secrets_or_phone_numbers(harness):
    srv = harness.start_server("--log-level", "debug")
    srv.key = create_key(srv.db, "admin")
    phone = "+447400123456"
    paths = [
        f"/callbacks/someprovider/{SECRET_MARK}abcdef0123456789/status",
        f"/callbacks/someprovider/{SECRET_MARK}abcdef0123456789/inbound",
        f"/callbacks/someprovider/{SECRET_MARK}abcdef0123456789/nothing",
        f"/callbacks/someprovider/status?secret={SECRET_MARK}",
        f"/v1/{SECRET_MARK}",
    ]
    for p in paths:
        requests.get(srv.url + p, timeout=5)
        requests.post(srv.url + p, data={"x": SECRET_MARK}, timeout=5)
    r = srv.post("/v1/optouts", json={"phone": phone})
    assert r.status_code in (200, 201), r.text
    r = srv.delete("/v1/optouts/" + phone.replace("+", "%2B"))
    assert r.status_code in (200, 204), r.text
    requests.get(srv.url + "/v1/messages", headers={"Authorization": f"Bearer {SECRET_MARK}"},
                 timeout=5)
    # A real Clickatell provider's callback URLs, secret and all.
    r = srv.post("/v1/providers", json={"name": "ck", "kind": "clickatell", "config": {
        "username": "u", "password": "p4ssw0rd-xyz", "api_id": "3512345",
        "base_url": "http://127.0.0.1:9", "mo": True}})
    assert r.status_code == 201, r.text
    urls = r.json()["callback_urls"]
    real_secret = urls["status"].rsplit("/", 2)[1]
    assert len(real_secret) >= 32
    report = {"api_id": "3512345", "apiMsgId": "a" * 32, "status": "004"}
    assert requests.get(urls["status"], params=report, timeout=5).status_code == 200
    assert requests.get(urls["status"], params={**report, "api_id": "1"},
                        timeout=5).status_code == 403
    requests.post(urls["inbound"], data={"api_id": "3512345", "from": "447400123456",
                                         "to": "447400000001", "text": "STOP"}, timeout=5)
    requests.get(srv.url + "/metrics", timeout=5)  # the last one, logged as path=/metrics
    total = 2 * len(paths) + 3 + 1 + 3 + 1  # every request above, each logged when it ends
    wait_for(lambda: "path=/metrics" in srv.proc.stderr()
             and srv.proc.stderr().count("event=http_request") >= total + 1,
             what="every request to be logged")  # + at least one start-up probe
    err = srv.proc.stderr()
    for secret in (SECRET_MARK, real_secret, "p4ssw0rd-xyz"):
        assert secret not in err, [l for l in err.splitlines() if secret in l]
    assert "7400123456" not in err, [l for l in err.splitlines() if "7400123456" in l]
    assert "path=/callbacks/someprovider/[redacted]/status" in err
    assert "path=/v1/optouts/+44********56" in err
