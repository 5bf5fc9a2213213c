"""GET /v1/provider-kinds and `smsgate provider kinds` (issue 12, part 1): every kind
described by its table row, the fields a console's provider form is built from."""
import json

from conftest import ACCOUNT_SID, AUTH_TOKEN, assert_problem, create_key, run_cli

KINDS = ["twilio", "clickatell", "clickatell-platform"]
FIELD_KEYS = {"key", "label", "type", "required", "secret", "advanced", "help"}


def fields_of(kind):
    return {f["key"]: f for f in kind["fields"]}


def test_every_kind_is_described(gw):
    r = gw.srv.get("/v1/provider-kinds", key=gw.viewer)
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert [k["name"] for k in data] == KINDS
    for k in data:
        assert k["label"] and k["description"], k
        assert k["callback_auth"] in ("signature", "url_secret", "signature_or_url_secret"), k
        assert k["fields"], k
        for f in k["fields"]:
            assert FIELD_KEYS <= set(f), f
            assert f["label"] and f["help"], f
            assert f["type"] in ("string", "number", "boolean", "list"), f
    by = {k["name"]: k for k in data}
    assert by["twilio"]["label"] == "Twilio"
    assert by["twilio"]["callback_auth"] == "signature_or_url_secret"
    assert by["clickatell"]["callback_auth"] == "url_secret"


def test_twilio_fields_labels_secrets_and_groups(gw):
    tw = fields_of(gw.srv.get("/v1/provider-kinds/twilio").json())
    labels = {k: f["label"] for k, f in tw.items()}
    assert labels["account_sid"] == "Account SID"
    assert labels["auth_token"] == "Auth Token"
    assert labels["api_key_sid"] == "API Key SID"
    assert labels["api_key_secret"] == "API Key Secret"
    assert labels["from"] == "From number(s)"
    assert labels["messaging_service_sid"] == "Messaging Service SID"
    assert labels["mps"] == "Messages per second"
    assert labels["base_url"] == "API base URL"
    assert {k for k, f in tw.items() if f["secret"]} == {"auth_token", "api_key_secret",
                                                          "callback_secret"}
    assert {k for k, f in tw.items() if f["required"]} == {"account_sid"}
    # the Auth Token, or the API key SID with its secret
    assert tw["auth_token"]["one_of"] == {"group": "credentials", "option": "auth_token"}
    assert tw["api_key_sid"]["one_of"] == {"group": "credentials", "option": "api_key"}
    assert tw["api_key_secret"]["one_of"] == {"group": "credentials", "option": "api_key"}
    assert tw["from"]["one_of"]["group"] == tw["messaging_service_sid"]["one_of"]["group"]
    assert "one_of" not in tw["account_sid"]
    assert tw["base_url"]["advanced"] and tw["base_url"]["default"] == "https://api.twilio.com"
    assert tw["mps"]["type"] == "number" and tw["mps"]["default"] == 1
    assert not tw["account_sid"]["advanced"]
    assert tw["allow_from"]["type"] == "list"
    # the options every kind takes come last, marked common
    keys = [f["key"] for f in gw.srv.get("/v1/provider-kinds/twilio").json()["fields"]]
    assert keys[-3:] == ["retry_for_seconds", "require_template_id", "status_callback_url"]
    assert all(tw[k].get("common") is True for k in keys[-3:])
    assert "common" not in tw["account_sid"]
    assert tw["retry_for_seconds"]["default"] == 86400


def test_clickatell_fields(gw):
    ck = fields_of(gw.srv.get("/v1/provider-kinds/clickatell").json())
    assert ck["username"]["label"] == "Username" and ck["username"]["required"]
    assert ck["password"]["label"] == "Password" and ck["password"]["secret"]
    assert ck["api_id"]["label"] == "API ID"
    assert ck["params"]["label"] == "API Parameters"
    assert ck["api_id"]["one_of"]["group"] == ck["params"]["one_of"]["group"]
    assert ck["mo"]["type"] == "boolean" and ck["mo"]["default"] is False
    # the API Parameters box takes lines: the one field flagged multiline
    assert {k for k, f in ck.items() if f.get("multiline")} == {"params"}
    assert ck["params"]["multiline"] is True and "multiline" not in ck["api_id"]
    pf = fields_of(gw.srv.get("/v1/provider-kinds/clickatell-platform").json())
    assert pf["api_key"]["label"] == "API key"
    assert pf["api_key"]["required"] and pf["api_key"]["secret"]
    assert {k for k, f in pf.items() if f["secret"]} == {"api_key", "callback_secret"}


def test_fields_flagged_secret_are_the_ones_masked(gw):
    """The description's secret flags are what the API seals and masks."""
    tw = fields_of(gw.srv.get("/v1/provider-kinds/twilio").json())
    config = {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN, "from": "+15005550006",
              "callback_secret": "abcdefghijklmnop1234"}
    r = gw.srv.post("/v1/providers", json={"name": "tw2", "kind": "twilio", "config": config})
    assert r.status_code == 201, r.text
    shown = r.json()["config"]
    for key, value in config.items():
        if tw[key]["secret"]:
            assert shown[key] != value, (key, shown)
        else:
            assert shown[key] in (value, [value]), (key, shown)


def test_one_kind_and_unknown_kind(gw):
    listed = gw.srv.get("/v1/provider-kinds").json()["data"]
    for k in listed:
        r = gw.srv.get(f"/v1/provider-kinds/{k['name']}", key=gw.viewer)
        assert r.status_code == 200 and r.json() == k
    assert_problem(gw.srv.get("/v1/provider-kinds/nosuchkind"), 404, "not_found")
    assert_problem(gw.srv.get("/v1/provider-kinds/Twilio"), 404, "not_found")


def test_authentication_required(gw):
    for path in ("/v1/provider-kinds", "/v1/provider-kinds/twilio"):
        r = gw.srv.get(path, key="")
        assert_problem(r, 401, "unauthorized")
        for key in (gw.viewer, gw.sender, gw.admin):
            assert gw.srv.get(path, key=key).status_code == 200


def test_cli_lists_the_same_kinds(gw):
    cp = run_cli("provider", "kinds", "--json")
    assert cp.returncode == 0, cp.stderr
    assert json.loads(cp.stdout) == gw.srv.get("/v1/provider-kinds").json()
    cp = run_cli("provider", "kinds", "clickatell-platform", "--json")
    assert cp.returncode == 0, cp.stderr
    assert json.loads(cp.stdout) == gw.srv.get("/v1/provider-kinds/clickatell-platform").json()
    cp = run_cli("provider", "kinds")
    assert cp.returncode == 0, cp.stderr
    for text in ("Account SID", "API Key Secret", "API Parameters", "clickatell-platform"):
        assert text in cp.stdout, text
    cp = run_cli("provider", "kinds", "nosuchkind")
    assert cp.returncode == 1 and "nosuchkind" in cp.stderr and cp.stdout == ""


def test_simulators_come_from_the_kinds(gw):
    cp = run_cli("simulate", "--help")
    assert cp.returncode == 0, cp.stderr
    listed = [line.split()[0] for line in cp.stdout.split("kinds:")[1].splitlines()
              if line.startswith("  ")]
    assert listed == ["twilio", "clickatell", "inject"]
    cp = run_cli("simulate", "clickatell-platform")
    assert cp.returncode == 2 and "unknown kind" in cp.stderr
