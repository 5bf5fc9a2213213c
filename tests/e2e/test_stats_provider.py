"""GET /v1/stats?provider= (the console's provider Stats tab): one provider's
messages only, by day or in total, with its failures by error code; an unknown
provider is refused by name."""
from conftest import assert_problem


def test_stats_of_one_provider(gw):
    srv = gw.srv
    other = srv.add_provider(gw.sim.url, name="other", default=False)
    ok = srv.send("+447400123456")
    bad = srv.send("+15005550001")  # the simulator refuses it: 21211
    via_other = srv.send("+447400123457", provider="other")
    srv.wait_final([ok["id"], bad["id"], via_other["id"]])

    r = srv.get("/v1/stats", params={"provider": "sim"})
    assert r.status_code == 200, r.text
    st = r.json()
    assert (st["sent"], st["failed"], st["provider_id"]) == (1, 1, gw.provider["id"])
    assert [(f["code"], f["count"]) for f in st["failures"]] == [("21211", 1)]
    assert st["failures"][0]["description"]

    r = srv.get("/v1/stats", params={"provider": other["id"], "group_by": "day"})
    assert r.status_code == 200, r.text
    days = r.json()["data"]
    assert len(days) == 1 and (days[0]["sent"], days[0]["failed"]) == (1, 0)
    assert days[0]["failures"] == []

    everything = srv.get("/v1/stats").json()
    assert (everything["sent"], everything["failed"]) == (2, 1) and "provider_id" not in everything

    assert_problem(srv.get("/v1/stats", params={"provider": "nope"}), 422, "unknown_provider",
                   "provider")


def test_cli_stats_of_one_provider(gw):
    from conftest import run_cli
    srv = gw.srv
    srv.add_provider(gw.sim.url, name="other", default=False)
    done = [srv.send("+15005550001")["id"], srv.send("+447400123457", provider="other")["id"]]
    srv.wait_final(done)
    cp = run_cli("stats", "--db", srv.db, "--provider", "sim")
    assert cp.returncode == 0, cp.stderr
    total = next(line.split() for line in cp.stdout.splitlines() if line.startswith("total"))
    assert total[2:6] == ["0", "0", "0", "1"]  # sent, delivered, undelivered, failed
    assert "21211" in cp.stdout
    cp = run_cli("stats", "--db", srv.db, "--provider", "other")
    total = next(line.split() for line in cp.stdout.splitlines() if line.startswith("total"))
    assert total[2] == "1" and total[5] == "0" and "21211" not in cp.stdout
    cp = run_cli("stats", "--db", srv.db, "--provider", "nope")
    assert cp.returncode == 1 and cp.stderr.strip() == "smsgate: no provider named 'nope'"
