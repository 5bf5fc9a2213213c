"""Routes between providers (/v1/routes, `smsgate route`): CRUD, validation,
order, audit (docs/routing.md)."""
import json

from conftest import assert_problem, run_cli


def add_second(gw, name="backup", default=False):
    return gw.srv.add_provider(gw.sim.url, name=name, default=default)


def test_route_crud_and_order(gw):
    srv = gw.srv
    add_second(gw)
    r = srv.post("/v1/routes", json={"name": "uk", "match": {"countries": ["gb", "IE"]},
                                     "providers": ["sim", "backup"]})
    assert r.status_code == 201, r.text
    uk = r.json()
    assert uk["id"].startswith("rte_")
    assert uk["match"] == {"countries": ["GB", "IE"], "prefixes": []}
    assert uk["provider_names"] == ["sim", "backup"]
    assert uk["providers"][0] == gw.provider["id"]  # stored by id
    assert uk["strategy"] == "priority" and uk["on_unknown"] == "retry"
    assert uk["weights"] is None and uk["position"] == 1

    r = srv.post("/v1/routes", json={"name": "kenya", "match": {"prefixes": ["+2547"]},
                                     "providers": ["backup", "sim"], "strategy": "weighted",
                                     "weights": [3, 1], "on_unknown": "failover"})
    assert r.status_code == 201, r.text
    assert r.json()["position"] == 2 and r.json()["weights"] == [3, 1]
    # a route put first moves the others down
    r = srv.post("/v1/routes", json={"name": "all", "providers": ["sim"], "position": 1})
    assert r.status_code == 201, r.text
    names = [x["name"] for x in srv.get("/v1/routes").json()["data"]]
    assert names == ["all", "uk", "kenya"]
    assert [x["position"] for x in srv.get("/v1/routes").json()["data"]] == [1, 2, 3]

    # move, edit, rename a provider (the route keeps it by id)
    r = srv.patch("/v1/routes/all", json={"position": 3, "strategy": "cheapest"})
    assert r.status_code == 200, r.text
    assert r.json()["strategy"] == "cheapest" and r.json()["position"] == 3
    assert [x["name"] for x in srv.get("/v1/routes").json()["data"]] == ["uk", "kenya", "all"]
    r = srv.patch(f"/v1/providers/{gw.provider['id']}", json={"name": "primary"})
    assert r.status_code == 200, r.text
    assert srv.get(f"/v1/routes/{uk['id']}").json()["provider_names"] == ["primary", "backup"]

    # a weighted route keeps its weights when only its match changes
    r = srv.patch("/v1/routes/kenya", json={"match": {"prefixes": ["+2547", "+2541"]}})
    assert r.status_code == 200 and r.json()["weights"] == [3, 1], r.text

    r = srv.delete("/v1/routes/uk")
    assert r.status_code == 204, r.text
    assert_problem(srv.get("/v1/routes/uk"), 404, "not_found")
    assert [x["position"] for x in srv.get("/v1/routes").json()["data"]] == [1, 2]

    # every write is audited with the caller
    actions = [a["action"] for a in srv.get("/v1/audit?limit=50").json()["data"]]
    for action in ("route.create", "route.update", "route.delete"):
        assert action in actions, actions

    # a viewer reads, but does not write
    assert srv.get("/v1/routes", key=gw.viewer).status_code == 200
    assert_problem(srv.post("/v1/routes", key=gw.viewer, json={"name": "x", "providers": ["backup"]}), 403)


def test_route_validation_names_the_field(gw):
    srv = gw.srv
    cases = [
        ({"providers": ["sim"]}, 400, "invalid_request", "name"),
        ({"name": "Bad Name", "providers": ["sim"]}, 400, "invalid_request", "name"),
        ({"name": "a"}, 400, "invalid_request", "providers"),
        ({"name": "a", "providers": []}, 400, "invalid_request", "providers"),
        ({"name": "a", "providers": ["nope"]}, 422, "unknown_provider", "providers"),
        ({"name": "a", "providers": ["sim", "sim"]}, 400, "invalid_request", "providers"),
        ({"name": "a", "providers": ["sim"], "match": {"countries": ["XX"]}}, 400,
         "invalid_request", "match.countries"),
        ({"name": "a", "providers": ["sim"], "match": {"prefixes": ["2547"]}}, 400,
         "invalid_request", "match.prefixes"),
        ({"name": "a", "providers": ["sim"], "match": {"regions": ["GB"]}}, 400,
         "invalid_request", "match"),
        ({"name": "a", "providers": ["sim"], "strategy": "fastest"}, 400, "invalid_request",
         "strategy"),
        ({"name": "a", "providers": ["sim"], "weights": [1]}, 400, "invalid_request", "weights"),
        ({"name": "a", "providers": ["sim"], "strategy": "weighted", "weights": [1, 2]}, 400,
         "invalid_request", "weights"),
        ({"name": "a", "providers": ["sim"], "strategy": "weighted", "weights": [0]}, 400,
         "invalid_request", "weights"),
        ({"name": "a", "providers": ["sim"], "on_unknown": "resend"}, 400, "invalid_request",
         "on_unknown"),
        ({"name": "a", "providers": ["sim"], "position": 0}, 400, "invalid_request", "position"),
        ({"name": "a", "providers": ["sim"], "colour": "red"}, 400, "invalid_request", "colour"),
    ]
    for body, status, code, field in cases:
        r = srv.post("/v1/routes", json=body)
        try:
            assert_problem(r, status, code, field)
        except AssertionError as e:
            raise AssertionError(f"{json.dumps(body)}: {e}") from None
    assert srv.post("/v1/routes", json={"name": "a", "providers": ["sim"]}).status_code == 201
    assert_problem(srv.post("/v1/routes", json={"name": "a", "providers": ["sim"]}), 409,
                   "conflict", "name")
    assert_problem(srv.patch("/v1/routes/nope", json={"strategy": "priority"}), 404, "not_found")
    assert srv.get("/v1/routes").json()["data"][0]["name"] == "a"


def test_route_cli(gw):
    db = gw.srv.db
    add_second(gw)
    cp = run_cli("route", "add", "--db", db, "--name", "uk", "--countries", "GB,IE",
                 "--providers", "sim,backup", check=True)
    assert json.loads(cp.stdout)["provider_names"] == ["sim", "backup"]
    cp = run_cli("route", "add", "--db", db, "--name", "ke", "--prefixes", "+2547",
                 "--providers", "backup", "--position", "1", check=True)
    cp = run_cli("route", "list", "--db", db, check=True)
    lines = cp.stdout.splitlines()
    assert lines[1].split()[:2] == ["1", "ke"] and lines[2].split()[:2] == ["2", "uk"], cp.stdout
    cp = run_cli("route", "edit", "uk", "--db", db, "--prefixes", "+353", check=True)
    route = json.loads(cp.stdout)
    assert route["match"] == {"countries": ["GB", "IE"], "prefixes": ["+353"]}
    cp = run_cli("route", "show", "uk", "--db", db, check=True)
    assert json.loads(cp.stdout)["name"] == "uk"
    # bad input: one line, the field, usage exit 2; unknown provider: failure exit 1
    cp = run_cli("route", "add", "--db", db, "--name", "x", "--providers", "sim",
                 "--strategy", "fastest")
    assert cp.returncode == 2 and cp.stderr.startswith("smsgate: strategy: "), cp.stderr
    assert len(cp.stderr.strip().splitlines()) == 1
    cp = run_cli("route", "add", "--db", db, "--name", "x", "--providers", "ghost")
    assert cp.returncode == 1 and "providers: no provider named 'ghost'" in cp.stderr, cp.stderr
    cp = run_cli("route", "remove", "ke", "--db", db, check=True)
    cp = run_cli("route", "show", "ke", "--db", db)
    assert cp.returncode == 1 and "no route" in cp.stderr
    # the server sees routes the CLI wrote
    assert [x["name"] for x in gw.srv.get("/v1/routes").json()["data"]] == ["uk"]
    actions = [a["action"] for a in gw.srv.get("/v1/audit?actor=cli").json()["data"]]
    assert "route.create" in actions and "route.delete" in actions, actions
