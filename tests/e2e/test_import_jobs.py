"""Import progress (POST /v1/contacts/imports, the upload with ?job=, GET
/v1/contacts/imports/{id}): the job shows what the node reading the upload has
done while the upload is still going on, then the result with the rejected rows
by line; a job takes one upload; the synchronous answer is unchanged."""
import threading

import requests

from conftest import assert_problem, create_key, wait_for

ROWS = 6000


def start(harness):
    srv = harness.start_server()
    srv.key = create_key(srv.db, "sender")
    return srv


def new_job(srv):
    r = srv.post("/v1/contacts/imports")
    assert r.status_code == 201, r.text
    job = r.json()
    assert job["status"] == "waiting" and job["id"].startswith("imp_")
    return job["id"]


def test_progress_while_the_upload_goes_on_then_the_result(harness):
    srv = start(harness)
    jid = new_job(srv)
    head = "phone,first_name\n+447400000001,One\nnot-a-phone,Bad\n"
    rows = "".join(f"+4474001{i:05d},Row{i}\n" for i in range(ROWS))
    half = len(rows) // 2
    seen = {}

    def body():
        yield (head + rows[:half]).encode()
        # the upload is paused half-way: the job already shows the rows read
        def progressed():
            j = srv.get(f"/v1/contacts/imports/{jid}").json()
            return j if j["status"] == "importing" and j["rows"] >= 1000 else None
        seen["mid"] = wait_for(progressed, timeout=20, what="progress in the job")
        yield rows[half:].encode()

    r = requests.post(srv.url + f"/v1/contacts/import?job={jid}", data=body(), timeout=60,
                      headers={"Authorization": f"Bearer {srv.key}", "Content-Type": "text/csv"})
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["job_id"] == jid and answer["imported"] == ROWS + 1
    mid = seen["mid"]
    assert 0 < mid["bytes"] < len(head) + len(rows) and mid["rejected"] is None
    assert mid["rows"] < ROWS + 2

    job = srv.get(f"/v1/contacts/imports/{jid}").json()
    assert job["status"] == "done" and job["error"] is None
    assert (job["imported"], job["updated"], job["rejected_count"]) == (ROWS + 1, 0, 1)
    assert job["rows"] == ROWS + 2 and job["bytes"] == len(head) + len(rows)
    assert [(x["line"], x["code"]) for x in job["rejected"]] == [(3, "invalid_phone")]
    assert job["rejected"] == answer["rejected"]


def test_a_job_takes_one_upload_and_unknown_ones_are_refused(harness):
    srv = start(harness)
    jid = new_job(srv)
    csv = {"data": "phone\n+447400000009\n", "headers": {"Content-Type": "text/csv"}}
    assert srv.post(f"/v1/contacts/import?job={jid}", **csv).status_code == 200
    assert_problem(srv.post(f"/v1/contacts/import?job={jid}", **csv), 409, "invalid_state", "job")
    assert_problem(srv.post("/v1/contacts/import?job=imp_nope", **csv), 404, "not_found", "job")
    assert_problem(srv.get("/v1/contacts/imports/imp_nope"), 404, "not_found")
    # without a job the import answers as it always did
    r = srv.post("/v1/contacts/import", **csv)
    assert r.status_code == 200 and "job_id" not in r.json() and r.json()["updated"] == 1


def test_a_failed_import_says_why_in_its_job(harness):
    srv = start(harness)
    jid = new_job(srv)
    r = srv.post(f"/v1/contacts/import?job={jid}", data="name,city\nAda,Leeds\n",
                 headers={"Content-Type": "text/csv"})
    assert_problem(r, 400, "invalid_csv", "header")
    job = srv.get(f"/v1/contacts/imports/{jid}").json()
    assert job["status"] == "failed" and "phone" in job["error"]


def test_an_upload_cut_short_fails_its_job(harness):
    srv = start(harness)
    jid = new_job(srv)
    go_on = threading.Event()

    def body():
        yield b"phone\n+447400000011\n"
        go_on.wait(20)
        raise IOError("the client gives up")  # requests drops the connection

    def upload():
        try:
            requests.post(srv.url + f"/v1/contacts/import?job={jid}", data=body(), timeout=30,
                          headers={"Authorization": f"Bearer {srv.key}",
                                   "Content-Type": "text/csv"})
        except Exception:
            pass

    t = threading.Thread(target=upload)
    t.start()
    wait_for(lambda: srv.get(f"/v1/contacts/imports/{jid}").json()["status"] == "importing",
             timeout=10, what="the upload to start")
    go_on.set()
    t.join(30)
    job = wait_for(lambda: (lambda j: j if j["status"] == "failed" else None)(
        srv.get(f"/v1/contacts/imports/{jid}").json()), timeout=15, what="the job to fail")
    assert "ended before the end of the file" in job["error"]
