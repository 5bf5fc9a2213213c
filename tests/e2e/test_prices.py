"""Provider prices (issue 12): PUT a text/csv list, GET it back as JSON or CSV,
line-numbered refusals, the CLI, and the estimated cost in /v1/stats."""
from conftest import assert_problem, create_key, run_cli

CSV = "country,price,currency\nGB,0.04,GBP\nke,0.0075,usd\nUS,0.0079,USD\n"


def _put(srv, body, ctype="text/csv", provider="sim", **kw):
    return srv.request("PUT", f"/v1/providers/{provider}/prices", data=body.encode(),
                       headers={"Content-Type": ctype}, **kw)


def test_prices_round_trip_json_and_csv(gw):
    srv = gw.srv
    r = _put(srv, CSV)
    assert r.status_code == 200, r.text
    assert r.json()["data"] == [
        {"country": "GB", "price": "0.04", "currency": "GBP"},
        {"country": "KE", "price": "0.0075", "currency": "USD"},
        {"country": "US", "price": "0.0079", "currency": "USD"},
    ], r.json()
    r = srv.get("/v1/providers/sim/prices", key=gw.viewer)
    assert r.status_code == 200 and r.json()["provider_id"] == gw.provider["id"], r.text
    assert [p["country"] for p in r.json()["data"]] == ["GB", "KE", "US"]
    r = srv.get(f"/v1/providers/{gw.provider['id']}/prices", headers={"Accept": "text/csv"})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv"), r.text
    assert r.text == ("country,price,currency\r\nGB,0.04,GBP\r\nKE,0.0075,USD\r\n"
                      "US,0.0079,USD\r\n"), r.text
    # The CSV read back is a valid list itself; PUT replaces the whole list.
    assert _put(srv, r.text).status_code == 200
    r = _put(srv, "FR,0.07,EUR\n")
    assert [p["country"] for p in r.json()["data"]] == ["FR"], r.text
    assert _put(srv, "").json()["data"] == []
    # Audited, with the count and never the list.
    audit = srv.get("/v1/audit", params={"action": "provider.prices"}).json()["data"]
    assert audit and audit[0]["subject"] == gw.provider["id"], audit


def test_bad_price_lists_are_refused_by_line(gw):
    srv = gw.srv
    bad = "country,price,currency\nUK,0.04,GBP\nGB,-1,GBP\nDE,0.05,EURO\nIT,1,EUR\nIT,2,EUR\n"
    r = _put(srv, bad)
    p = assert_problem(r, 400, "invalid_prices", "country")
    assert p["detail"].startswith("line 2: 'UK' is not an ISO 3166 alpha-2"), p
    assert [(e["line"], e["field"]) for e in p["errors"]] == [
        (2, "country"), (3, "price"), (4, "currency"), (6, "country")], p["errors"]
    assert srv.get("/v1/providers/sim/prices").json()["data"] == []  # nothing stored
    r = _put(srv, "GB,1,GBP,extra\n")
    p = assert_problem(r, 400, "invalid_prices")
    assert p["errors"] == [{"line": 1, "field": None, "detail": p["errors"][0]["detail"]}], p
    assert "3 fields" in p["errors"][0]["detail"], p
    assert_problem(_put(srv, '{"GB": 1}', ctype="application/json"), 415,
                   "unsupported_media_type")
    assert_problem(_put(srv, "GB,1,GBP\n" * 10000), 413, "body_too_large")
    assert_problem(_put(srv, CSV, provider="nope"), 404, "not_found")
    assert_problem(_put(srv, CSV, key=gw.viewer), 403)


def test_prices_cli_set_and_show(gw, tmp_path):
    db = gw.srv.db
    f = tmp_path / "prices.csv"
    f.write_text(CSV)
    cp = run_cli("provider", "prices", "set", "sim", str(f), "--db", db)
    assert cp.returncode == 0 and cp.stdout.strip() == "3 prices set", (cp.stdout, cp.stderr)
    cp = run_cli("provider", "prices", "show", "sim", "--db", db)
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout.splitlines() == ["country,price,currency", "GB,0.04,GBP", "KE,0.0075,USD",
                                      "US,0.0079,USD"], cp.stdout
    cp = run_cli("provider", "prices", "show", "sim", "--json", "--db", db)
    assert '"price": "0.0075"' in cp.stdout, cp.stdout
    # From stdin; a refused list is one line naming the file's line, exit 1.
    bad = tmp_path / "bad.csv"
    bad.write_text("GB,0.04,GBP\nXX,1,USD\nYY,1,USD\n")
    cp = run_cli("provider", "prices", "set", "sim", str(bad), "--db", db)
    assert cp.returncode == 1, cp
    assert cp.stderr.strip() == (f"smsgate: {bad}:2: country: 'XX' is not an ISO 3166 alpha-2 "
                                 "country code such as GB (and 1 more problem)"), cp.stderr
    assert run_cli("provider", "prices", "show", "nope", "--db", db).returncode == 1
    cp = run_cli("provider", "prices", "set", "sim", "--db", db)
    assert cp.returncode == 2 and len(cp.stderr.strip().splitlines()) == 1, cp.stderr
    cp = run_cli("provider", "show", "sim", "extra", "--db", db)
    assert cp.returncode == 2, cp


def test_stats_show_the_estimated_cost_per_provider(gw):
    srv = gw.srv
    assert _put(srv, "GB,0.04,GBP\nKE,0.0075,USD\n").status_code == 200
    ids = [srv.send("+447400123401", "one")["id"], srv.send("+447400123402", "two")["id"],
           srv.send("+254712345678", "three")["id"],
           srv.send("+33612345678", "no price for France")["id"],
           srv.send("+447400123403", "x" * 200)["id"]]  # 2 segments
    done = srv.wait_final(ids)
    assert all(m["status"] == "sent" for m in done.values()), done
    r = srv.get("/v1/stats")
    assert r.status_code == 200, r.text
    costs = {c["currency"]: c for c in r.json()["costs"]}
    pid = gw.provider["id"]
    assert costs["GBP"] == {"provider_id": pid, "currency": "GBP", "amount": "0.16",
                            "messages": 3, "segments": 4}, costs
    assert costs["USD"]["amount"] == "0.0075" and costs["USD"]["messages"] == 1, costs
    assert costs[None] == {"provider_id": pid, "currency": None, "amount": None,
                           "messages": 1, "segments": 1}, costs
    # A period with nothing in it has no costs.
    r = srv.get("/v1/stats", params={"to": "2001-01-01T00:00:00Z"})
    assert r.json()["costs"] == [], r.json()
