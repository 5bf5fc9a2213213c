"""The web console as files: smsgate serves the embedded build under /console/
(issue 13). What a browser does with them is in console/tests/e2e/."""
import re

import pytest
import requests

from conftest import assert_problem


def assets_of(index_html):
    """The /console/assets/... files index.html loads."""
    return re.findall(r'(?:src|href)="(/console/assets/[^"]+)"', index_html)


@pytest.fixture
def srv(harness):
    return harness.start_server()


def test_root_redirects_to_console(srv):
    r = requests.get(srv.url + "/", allow_redirects=False, timeout=10)
    assert r.status_code == 302, r.text
    assert r.headers["Location"] == "/console/"
    r = requests.get(srv.url + "/console", allow_redirects=False, timeout=10)
    assert r.status_code == 302 and r.headers["Location"] == "/console/"


def test_index_for_console_and_its_client_routes(srv):
    index = requests.get(srv.url + "/console/", timeout=10)
    assert index.status_code == 200
    assert index.headers["Content-Type"] == "text/html; charset=utf-8"
    assert '<div id="app">' in index.text
    csp = index.headers.get("Content-Security-Policy", "")
    assert "script-src 'self'" in csp and "style-src 'self'" in csp, csp
    assert "frame-ancestors 'none'" in csp, csp
    assert index.headers["Cache-Control"] == "no-cache"
    # Client-side routes get the same document, so a reload lands in the app.
    for path in ("/console/error-codes", "/console/sign-in", "/console/messages/msg_x",
                 "/console/a/b/c/d"):
        r = requests.get(srv.url + path, timeout=10)
        assert r.status_code == 200, path
        assert r.text == index.text, path
    # No inline script or style for the CSP to refuse.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", index.text), index.text
    assert "<style" not in index.text and " style=" not in index.text


def test_assets_types_cache_etag_304_and_head(srv):
    index = requests.get(srv.url + "/console/", timeout=10).text
    assets = assets_of(index)
    assert any(a.endswith(".js") for a in assets), index
    assert any(a.endswith(".css") for a in assets), index
    types = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
    for a in assets:
        r = requests.get(srv.url + a, timeout=10)
        assert r.status_code == 200, a
        assert r.headers["Content-Type"] == types[a[a.rindex("."):]], a
        assert r.headers["Cache-Control"] == "public, max-age=31536000, immutable", a
        etag = r.headers["ETag"]
        assert re.fullmatch(r'"[0-9a-f]{24}"', etag), etag
        again = requests.get(srv.url + a, headers={"If-None-Match": etag}, timeout=10)
        assert again.status_code == 304, a
        assert again.content == b""
        assert again.headers["ETag"] == etag
        weak = requests.get(srv.url + a, headers={"If-None-Match": f'"x", W/{etag}'}, timeout=10)
        assert weak.status_code == 304, a
        stale = requests.get(srv.url + a, headers={"If-None-Match": '"0000"'}, timeout=10)
        assert stale.status_code == 200 and stale.content == r.content
        head = requests.head(srv.url + a, timeout=10)
        assert head.status_code == 200 and head.content == b""
        assert head.headers["Content-Type"] == r.headers["Content-Type"]
        assert int(head.headers["Content-Length"]) == len(r.content)
    svg = requests.get(srv.url + "/console/favicon.svg", timeout=10)
    assert svg.status_code == 200 and svg.headers["Content-Type"] == "image/svg+xml"


def test_missing_file_is_404_not_the_app(srv):
    for path in ("/console/assets/nope.js", "/console/nope.css", "/console/x/y.png"):
        r = requests.get(srv.url + path, timeout=10)
        assert_problem(r, 404, "not_found")


def test_console_never_shadows_the_root_endpoints(srv):
    # The API, callbacks, links, health and metrics keep their own answers.
    assert requests.get(srv.url + "/healthz", timeout=10).json()["status"] == "ok"
    assert "smsgate_queue_depth" in requests.get(srv.url + "/metrics", timeout=10).text
    assert_problem(requests.get(srv.url + "/v1/messages", timeout=10), 401)
    assert_problem(requests.get(srv.url + "/v1/nope", timeout=10), 404, "not_found")
    assert requests.get(srv.url + "/l/nope", timeout=10).status_code == 404
    for path in ("/2010-04-01/Accounts", "/http/sendmsg", "/messages", "/callbacks/x/status",
                 "/consolex", "/v1/console/"):
        r = requests.get(srv.url + path, allow_redirects=False, timeout=10)
        # (the legacy Clickatell API refuses in its body, with 200, as Clickatell does)
        legacy_refusal = r.status_code == 200 and r.text.startswith("ERR: 001")
        assert r.status_code in (401, 404, 405) or legacy_refusal, (path, r.status_code)
        assert "text/html" not in r.headers.get("Content-Type", ""), path
    # Only GET (and HEAD) are served there.
    r = requests.post(srv.url + "/console/", timeout=10)
    assert_problem(r, 405, "method_not_allowed")
