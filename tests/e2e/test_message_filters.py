"""GET /v1/messages filtered by error code and by creation time (the console's
Messages page filters): ?error_code=, ?since=, ?until=."""
import time
from datetime import datetime, timezone

import json

from conftest import assert_problem, run_cli

FAILS = "+15005550009"  # the simulator refuses this To with 21614


def ids(srv, query):
    r = srv.get("/v1/messages?" + query)
    assert r.status_code == 200, r.text
    return [m["id"] for m in r.json()["data"]]


def iso(ms):
    return datetime.fromtimestamp(ms / 1000, timezone.utc).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")


def test_error_code_filter_keeps_only_that_code(gw):
    srv = gw.srv
    ok = srv.send("+447400123456")["id"]
    bad = srv.send(FAILS)["id"]
    srv.wait_status(bad, "failed")
    srv.wait_status(ok, "sent")
    assert ids(srv, "error_code=21614") == [bad]
    assert ids(srv, "error_code=30008") == []
    assert set(ids(srv, "")) == {ok, bad}
    # with the other filters and paging
    assert ids(srv, "error_code=21614&status=failed&limit=1") == [bad]
    assert ids(srv, "error_code=21614&status=sent") == []


def test_since_and_until_bound_the_creation_time(gw):
    srv = gw.srv
    later = iso(time.time() * 1000 + 86_400_000)  # scheduled: nothing else happens to them
    first = srv.send("+447400123456", send_at=later)
    time.sleep(0.02)  # creation times are in ms: make the two differ
    second = srv.send("+447400123456", send_at=later)
    t2 = srv.message(second["id"])["created_at"]
    ms2 = int(datetime.fromisoformat(t2.replace("Z", "+00:00")).timestamp() * 1000)
    assert ids(srv, "since=" + iso(ms2)) == [second["id"]]
    assert ids(srv, "until=" + iso(ms2)) == [first["id"]]
    assert ids(srv, f"since={iso(ms2 - 60_000)}&until={iso(ms2 + 1)}") == [second["id"], first["id"]]
    assert ids(srv, "since=2099-01-01") == []
    assert set(ids(srv, "until=2099-01-01")) == {first["id"], second["id"]}
    # an offset, encoded as the console's URLSearchParams does
    assert ids(srv, "since=2099-01-01T01%3A00%3A00%2B01%3A00") == []


def test_bad_filter_values_are_400_with_their_field(gw):
    srv = gw.srv
    for q, field in (("since=yesterday", "since"), ("until=2026-13-01", "until"),
                     ("since=", "since"), ("error_code=", "error_code"),
                     ("error_code=" + "x" * 65, "error_code"), ("error_code=a%20b", "error_code")):
        r = srv.get("/v1/messages?" + q)
        assert_problem(r, 400, "invalid_request")
        assert r.json()["field"] == field, q


def cli_ids(srv, *args, rc=0):
    cp = run_cli("message", "list", "--json", "--db", srv.db, "--log-level", "warn", *args)
    assert cp.returncode == rc, (args, cp.returncode, cp.stderr)
    return [m["id"] for m in json.loads(cp.stdout)["data"]] if rc == 0 else cp.stderr


def test_cli_message_list_has_the_same_filters(gw):
    srv = gw.srv
    ok = srv.send("+447400123456")["id"]
    bad = srv.send(FAILS)["id"]
    srv.wait_status(bad, "failed")
    srv.wait_status(ok, "sent")
    assert cli_ids(srv, "--error-code", "21614") == [bad]
    assert cli_ids(srv, "--since", "2099-01-01") == []
    assert set(cli_ids(srv, "--until", "2099-01-01")) == {ok, bad}
    assert "--since" in cli_ids(srv, "--since", "yesterday", rc=2)
