"""What the console's Groups, Segments and Templates pages need from the API:
renaming a group (PATCH /v1/groups/{id}, audited as group.rename, and `smsgate
group rename`), counting a filter that is not saved (POST /v1/segments/count, and
`smsgate segment count --filter`), and previewing a body that is not saved (POST
/v1/templates/preview). Viewers count and preview but cannot rename."""
from conftest import assert_problem, create_key, run_cli


def start(harness):
    srv = harness.start_server()
    srv.key = create_key(srv.db, "admin")
    srv.key_id = "key_" + srv.key.split("_")[1]
    srv.viewer = create_key(srv.db, "viewer")
    return srv


def import_csv(srv, text):
    r = srv.post("/v1/contacts/import", data=text.encode(),
                 headers={"Content-Type": "text/csv"})
    assert r.status_code == 200, r.text
    return r.json()


def test_group_rename_is_audited_and_refuses_a_taken_name(harness):
    srv = start(harness)
    gid = srv.post("/v1/groups", json={"name": "VIP"}).json()["id"]
    assert srv.post("/v1/groups", json={"name": "Staff"}).status_code == 201
    r = srv.patch(f"/v1/groups/{gid}", json={"name": "Gold"})
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "Gold" and r.json()["id"] == gid
    assert srv.get("/v1/groups/Gold").json()["id"] == gid
    assert_problem(srv.get("/v1/groups/VIP"), 404, "not_found")

    assert_problem(srv.patch(f"/v1/groups/{gid}", json={"name": "Staff"}), 409, "name_taken",
                   "name")
    assert_problem(srv.patch(f"/v1/groups/{gid}", json={"name": ""}), 400, "invalid_request",
                   "name")
    assert_problem(srv.patch(f"/v1/groups/{gid}", json={}), 400, "invalid_request", "name")
    assert_problem(srv.patch(f"/v1/groups/{gid}", json={"name": "X", "members": 3}), 400,
                   "invalid_request", "members")
    assert_problem(srv.patch("/v1/groups/grp_nope", json={"name": "X"}), 404, "not_found")
    assert_problem(srv.patch(f"/v1/groups/{gid}", json={"name": "Viewer's"}, key=srv.viewer),
                   403, "forbidden")

    r = srv.get("/v1/audit", params={"action": "group.rename"})
    entries = r.json()["data"]
    assert [(a["actor"], a["subject"], a["source"], a["detail"]) for a in entries] == [
        (srv.key_id, gid, "127.0.0.1", {"from": "VIP", "to": "Gold"})]


def test_group_rename_cli(harness):
    srv = start(harness)
    gid = srv.post("/v1/groups", json={"name": "VIP"}).json()["id"]
    assert srv.post("/v1/groups", json={"name": "Staff"}).status_code == 201
    cp = run_cli("group", "rename", "VIP", "Staff", "--db", srv.db)
    assert cp.returncode == 1 and "a group named Staff exists" in cp.stderr, cp.stderr
    cp = run_cli("group", "rename", "VIP", "Gold", "--db", srv.db)
    assert cp.returncode == 0, cp.stderr
    assert srv.get("/v1/groups/Gold").json()["id"] == gid
    cp = run_cli("group", "rename", "VIP", "--db", srv.db)
    assert cp.returncode == 2, cp.stderr
    entry = srv.get("/v1/audit", params={"action": "group.rename"}).json()["data"][0]
    assert (entry["actor"], entry["detail"]) == ("cli", {"from": "VIP", "to": "Gold"})


def test_count_an_unsaved_filter(harness):
    srv = start(harness)
    import_csv(srv, "phone,first_name,city\n+447400000001,Ann,Leeds\n+447400000002,Bo,York\n"
                    "+447400000003,Cy,Leeds\n")
    assert srv.post("/v1/optouts", json={"phone": "+447400000003"}).status_code == 201
    r = srv.post("/v1/segments/count",
                 json={"filter": 'ATTRIBUTES.city="Leeds"'}, key=srv.viewer)
    assert r.status_code == 200, r.text
    assert r.json() == {"matched": 2, "eligible": 1,
                        "skipped": {"opted_out": 1, "not_mobile": 0},
                        "filter": 'attributes.city = "Leeds"'}
    r = srv.post("/v1/segments/count", json={"filter": ""})
    assert r.json()["matched"] == 3
    # nothing was saved
    assert srv.get("/v1/segments").json()["data"] == []

    r = srv.post("/v1/segments/count", json={"filter": 'attributes.city "Leeds"'})
    assert_problem(r, 400, "invalid_filter", "filter")
    assert "at 16" in r.json()["detail"]
    assert_problem(srv.post("/v1/segments/count", json={}), 400, "invalid_filter", "filter")
    assert_problem(srv.post("/v1/segments/count", json={"filter": "mobile", "name": "x"}), 400,
                   "invalid_request", "name")
    deep = "(" * 17 + "mobile" + ")" * 17
    assert_problem(srv.post("/v1/segments/count", json={"filter": deep}), 400,
                   "filter_too_complex", "filter")

    cp = run_cli("segment", "count", "--filter", 'attributes.city = "Leeds"', "--db", srv.db)
    assert cp.returncode == 0, cp.stderr
    assert "matched       2" in cp.stdout and "eligible      1" in cp.stdout, cp.stdout
    cp = run_cli("segment", "count", "--filter", "mobile and", "--db", srv.db)
    assert cp.returncode == 1 and "filter:" in cp.stderr, cp.stderr
    cp = run_cli("segment", "count", "--db", srv.db)
    assert cp.returncode == 2, cp.stderr


def test_preview_an_unsaved_body(harness):
    srv = start(harness)
    import_csv(srv, "phone,first_name,city\n+447400000001,Zoë,Leeds\n")
    r = srv.post("/v1/templates/preview", key=srv.viewer,
                 json={"body": "Hi {{first_name|there}} from {{city}}"})
    assert r.status_code == 200, r.text
    assert r.json()["text"] == "Hi [first_name] from [attributes.city]"
    assert r.json()["encoding"] == "GSM-7"

    r = srv.post("/v1/templates/preview",
                 json={"body": "Hi {{first_name}} from {{city}}", "contact_id": "+447400000001"})
    assert r.status_code == 200, r.text
    j = r.json()
    assert j["text"] == "Hi Zoë from Leeds"
    assert (j["encoding"], j["segments"], j["characters"]) == ("UCS-2", 1, 17)
    assert j["ucs2_characters"][0]["char"] == "ë"

    assert_problem(srv.post("/v1/templates/preview",
                            json={"body": "{{nope.x}}"}), 400, "invalid_template", "body")
    assert_problem(srv.post("/v1/templates/preview", json={"body": ""}), 400,
                   "invalid_template", "body")
    assert_problem(srv.post("/v1/templates/preview",
                            json={"body": "Hi {{last_name}}", "contact_id": "+447400000001"}),
                   422, "missing_field", "last_name")
    assert_problem(srv.post("/v1/templates/preview",
                            json={"body": "Hi", "contact_id": "+447400000099"}),
                   404, "not_found", "contact_id")
    assert_problem(srv.post("/v1/templates/preview", json={"body": "Hi", "contact_id": 5}),
                   400, "invalid_request", "contact_id")
    assert srv.get("/v1/templates").json()["data"] == []
