"""Contact and opt-out search (GET /v1/contacts?q=, GET /v1/optouts?q=, `smsgate
contact list --search`, `smsgate optout list --search`): a number by its start
(in number order, cursor-paged), digits anywhere, a complete national number,
a phrase of the names or the email attribute (newest first), and precise
refusals of a bad q or a cursor of the other order."""
from conftest import assert_problem, create_key, run_cli

PEOPLE = [
    ("+447400123401", "Ada", "Lovelace", {"email": "ada@analytical.example"}),
    ("+447400123402", "Charles", "Babbage", {"email": "cb@engines.example"}),
    ("+447400123403", "Mary", "Somerville", {}),
    ("+447400999904", "Ada", "Byron", {"email": "byron@poets.example"}),
    ("+14155550105", "Grace", "Hopper", {"email": "GRACE@navy.example", "note": "lovelace fan"}),
    ("+14155550106", "Alan", "Turing", {"note": "ada@analytical.example"}),
]


def start(harness):
    srv = harness.start_server("--default-region", "GB")
    srv.key = create_key(srv.db, "admin")
    ids = {}
    for phone, first, last, attrs in PEOPLE:
        r = srv.post("/v1/contacts", json={"phone": phone, "first_name": first,
                                           "last_name": last, "attributes": attrs})
        assert r.status_code == 201, r.text
        ids[phone] = r.json()["id"]
    return srv, ids


def phones(r):
    assert r.status_code == 200, r.text
    return [c["phone"] for c in r.json()["data"]]


def test_contacts_by_number_prefix_digits_and_national(harness):
    srv, _ = start(harness)
    # the start of an international number, in number order
    assert phones(srv.get("/v1/contacts", params={"q": "+44 7400 1234"})) == [
        "+447400123401", "+447400123402", "+447400123403"]
    assert phones(srv.get("/v1/contacts", params={"q": "0044 7400"})) == [
        "+447400123401", "+447400123402", "+447400123403", "+447400999904"]
    # a complete national number in the default region is that number
    assert phones(srv.get("/v1/contacts", params={"q": "07400 123402"})) == ["+447400123402"]
    # digits anywhere in the number; the trunk 0 of a partial national number dropped
    assert phones(srv.get("/v1/contacts", params={"q": "5550106"})) == ["+14155550106"]
    assert phones(srv.get("/v1/contacts", params={"q": "07400 9"})) == ["+447400999904"]
    assert phones(srv.get("/v1/contacts", params={"q": "+49"})) == []


def test_number_search_pages_in_number_order(harness):
    srv, _ = start(harness)
    seen, cursor = [], None
    for _ in range(5):
        params = {"q": "+44", "limit": 3}
        if cursor:
            params["cursor"] = cursor
        r = srv.get("/v1/contacts", params=params)
        seen += phones(r)
        cursor = r.json()["next_cursor"]
        if not cursor:
            break
    assert seen == ["+447400123401", "+447400123402", "+447400123403", "+447400999904"]
    # a contact id is no cursor for a number search, nor a number for a phrase
    some_id = srv.get("/v1/contacts").json()["data"][0]["id"]
    assert_problem(srv.get("/v1/contacts", params={"q": "+44", "cursor": some_id}), 400,
                   "invalid_cursor")
    assert_problem(srv.get("/v1/contacts", params={"q": "ada", "cursor": "+447400123401"}), 400,
                   "invalid_cursor")


def test_contacts_by_phrase_of_names_or_email(harness):
    srv, ids = start(harness)
    # first name, last name and "first last", without regard to case, newest first
    assert phones(srv.get("/v1/contacts", params={"q": "ADA"})) == [
        "+447400999904", "+447400123401"]
    assert phones(srv.get("/v1/contacts", params={"q": "ada   lovelace"})) == ["+447400123401"]
    assert phones(srv.get("/v1/contacts", params={"q": "bbag"})) == ["+447400123402"]
    # the email attribute, not other attributes ("note" mentions lovelace and ada's email)
    assert phones(srv.get("/v1/contacts", params={"q": "navy.EXAMPLE"})) == ["+14155550105"]
    assert phones(srv.get("/v1/contacts", params={"q": "@analytical"})) == ["+447400123401"]
    assert phones(srv.get("/v1/contacts", params={"q": "lovelace"})) == ["+447400123401"]
    # LIKE's wildcards are plain characters
    assert phones(srv.get("/v1/contacts", params={"q": "a%e"})) == []
    # ".example" is in every email but Mary's and Alan's: paged newest first
    r = srv.get("/v1/contacts", params={"q": ".example", "limit": 2})
    page1 = r.json()
    assert len(page1["data"]) == 2 and page1["next_cursor"] == page1["data"][-1]["id"]
    r = srv.get("/v1/contacts", params={"q": ".example", "limit": 50,
                                        "cursor": page1["next_cursor"]})
    rest = phones(r)
    assert [c["phone"] for c in page1["data"]] + rest == [
        "+14155550105", "+447400999904", "+447400123402", "+447400123401"]
    # only spaces: no search, the whole list
    assert len(phones(srv.get("/v1/contacts", params={"q": "   "}))) == 6


def test_bad_q_is_refused_precisely(harness):
    srv, _ = start(harness)
    assert_problem(srv.get("/v1/contacts", params={"q": "x" * 65}), 400, "invalid_request", "q")
    assert_problem(srv.get("/v1/contacts", params={"q": "a\tb"}), 400, "invalid_request", "q")
    # short phrases and numbers are searches too ("al": Alan, and ada's email analytical)
    assert phones(srv.get("/v1/contacts", params={"q": "Al"})) == ["+14155550106",
                                                                   "+447400123401"]
    assert phones(srv.get("/v1/contacts", params={"q": "5"})) != []
    assert phones(srv.get("/v1/contacts", params={"q": "x" * 64})) == []
    assert_problem(srv.get("/v1/optouts", params={"q": "ada"}), 400, "invalid_request", "q")


def test_optouts_by_number(harness):
    srv, _ = start(harness)
    for phone in ("+447400123401", "+447400999904", "+14155550105"):
        r = srv.post("/v1/optouts", json={"phone": phone})
        assert r.status_code == 201, r.text

    def opted(params):
        r = srv.get("/v1/optouts", params=params)
        assert r.status_code == 200, r.text
        return [o["phone"] for o in r.json()["data"]], r.json()["next_cursor"]

    assert opted({"q": "+447400"}) == (["+447400123401", "+447400999904"], None)
    assert opted({"q": "9999"}) == (["+447400999904"], None)
    assert opted({"q": "+447400", "limit": 1}) == (["+447400123401"], "+447400123401")
    assert opted({"q": "+447400", "limit": 1, "cursor": "+447400123401"}) == (
        ["+447400999904"], None)
    assert_problem(srv.get("/v1/optouts", params={"q": "+44", "cursor": "1.+44"}), 400,
                   "invalid_cursor")


def test_cli_search(harness):
    srv, _ = start(harness)
    srv.post("/v1/optouts", json={"phone": "+447400999904"})
    r = run_cli("contact", "list", "--db", srv.db, "--search", "+44 7400 1234")
    assert r.returncode == 0, r.stderr
    assert [line.split()[1] for line in r.stdout.splitlines()[1:]] == [
        "+447400123401", "+447400123402", "+447400123403"]
    # paged by number past the store's page: --limit 2 stops after two
    r = run_cli("contact", "list", "--db", srv.db, "--search", "+44", "--limit", "2")
    assert [line.split()[1] for line in r.stdout.splitlines()[1:]] == [
        "+447400123401", "+447400123402"]
    assert "more contacts" in r.stderr
    r = run_cli("contact", "list", "--db", srv.db, "--search", "lovelace")
    assert r.returncode == 0, r.stderr
    assert "+447400123401" in r.stdout and "+447400123402" not in r.stdout
    r = run_cli("optout", "list", "--db", srv.db, "--search", "+4474009")
    assert r.returncode == 0, r.stderr
    assert "+447400999904" in r.stdout
    r = run_cli("contact", "list", "--db", srv.db, "--search", "x" * 65)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "--search" in r.stderr, r.stderr
    r = run_cli("optout", "list", "--db", srv.db, "--search", "ada")
    assert r.returncode == 2 and "--search" in r.stderr, r.stderr


def test_phrase_search_follows_edits_imports_and_deletes(harness):
    srv, ids = start(harness)
    ada = ids["+447400123401"]
    r = srv.patch(f"/v1/contacts/{ada}", json={"last_name": "King",
                                               "attributes": {"email": "countess@example.org"}})
    assert r.status_code == 200, r.text
    assert phones(srv.get("/v1/contacts", params={"q": "lovelace"})) == []
    assert phones(srv.get("/v1/contacts", params={"q": "ada king"})) == ["+447400123401"]
    assert phones(srv.get("/v1/contacts", params={"q": "countess@"})) == ["+447400123401"]
    csv = "phone,first_name,email\n+447400123402,Chuck,chuck@import.example\n+447400555507,Emmy,\n"
    r = srv.post("/v1/contacts/import", data=csv, headers={"Content-Type": "text/csv"})
    assert r.status_code == 200, r.text
    assert phones(srv.get("/v1/contacts", params={"q": "chuck babbage"})) == ["+447400123402"]
    assert phones(srv.get("/v1/contacts", params={"q": "import.exam"})) == ["+447400123402"]
    assert phones(srv.get("/v1/contacts", params={"q": "emmy"})) == ["+447400555507"]
    assert srv.delete(f"/v1/contacts/{ada}").status_code == 204
    assert phones(srv.get("/v1/contacts", params={"q": "ada king"})) == []
    # a quote and SQL's LIKE wildcards are plain characters of the phrase
    assert phones(srv.get("/v1/contacts", params={"q": 'ada" OR "b'})) == []
    assert phones(srv.get("/v1/contacts", params={"q": "_mmy"})) == []
    # a name and an email never run into each other
    assert phones(srv.get("/v1/contacts", params={"q": "babbage chuck"})) == []
