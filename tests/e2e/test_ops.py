"""Operations: health, metrics, signals, the command line, the demo."""
import re
import shlex
import signal
import time

import pytest
import requests

from conftest import free_port, run_cli, wait_for, Proc, Server


def metric_value(text, name, labels=None):
    """The value of one sample in Prometheus text, or None."""
    lab = ""
    if labels:
        lab = "{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}"
    pat = re.compile(r"^" + re.escape(name + lab) + r" (\S+)$", re.M)
    m = pat.search(text)
    return float(m.group(1)) if m else None


def test_healthz(gw):
    r = requests.get(gw.srv.url + "/healthz", timeout=5)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.json() == {"status": "ok"}


def test_metrics(gw):
    srv = gw.srv
    text = srv.metrics()
    assert metric_value(text, "smsgate_queue_depth", {"status": "queued"}) is not None

    ids = [srv.send(f"+4474001237{i:02d}", "metrics")["id"] for i in range(3)]
    r = srv.post("/v1/messages/batch", json={"messages": [
        {"to": "+447400123710", "body": "m"}, {"to": "+442079460000", "body": "fixed"}]})
    ids += [a["id"] for a in r.json()["accepted"]]
    # An idempotent replay is not a second acceptance.
    for _ in range(2):
        r = srv.post("/v1/messages", json={"to": "+447400123712", "body": "once"},
                     headers={"Idempotency-Key": "metrics-1"})
        assert r.status_code == 202
    ids.append(r.json()["id"])
    srv.wait_final(ids)
    later = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
    sched = srv.send("+447400123711", "later", send_at=later)
    assert sched["status"] == "scheduled"

    r = requests.get(srv.url + "/metrics", timeout=5)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/plain")
    text = r.text
    # 3 + 1 (batch) + 1 (idempotent) sent and the scheduled one; the rejected batch
    # row and the replay are not counted.
    assert metric_value(text, "smsgate_messages_accepted_total", {"provider": "sim"}) == 6
    assert metric_value(text, "smsgate_messages_sent_total", {"provider": "sim"}) == 5
    assert metric_value(text, "smsgate_messages_failed_total", {"provider": "sim"}) == 0
    assert "# TYPE smsgate_messages_sent_total counter" in text
    assert metric_value(text, "smsgate_queue_depth", {"status": "scheduled"}) == 1
    assert metric_value(text, "smsgate_queue_depth", {"status": "queued"}) == 0
    assert "# TYPE smsgate_queue_depth gauge" in text
    assert "# TYPE smsgate_http_request_duration_seconds histogram" in text
    buckets = re.findall(r'^smsgate_http_request_duration_seconds_bucket\{le="([^"]+)"\} (\d+)$',
                         text, re.M)
    assert buckets and buckets[-1][0] == "+Inf"
    counts = [int(c) for _, c in buckets]
    assert counts == sorted(counts), "histogram buckets must be cumulative"
    assert counts[-1] == metric_value(text, "smsgate_http_request_duration_seconds_count")
    assert counts[-1] >= 6
    assert metric_value(text, "smsgate_http_request_duration_seconds_sum") is not None
    # Every sample line is "name{labels} value" or "name value".
    for line in text.splitlines():
        if line and not line.startswith("#"):
            assert re.fullmatch(r'[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? \S+', line), line


def test_sigterm_exits_zero(gw):
    srv = gw.srv
    srv.send("+447400123456", "before stop")
    srv.proc.signal(signal.SIGTERM)
    assert srv.proc.wait(timeout=15) == 0, srv.proc.describe()


def test_sigint_exits_zero(harness):
    srv = harness.start_server()
    srv.proc.signal(signal.SIGINT)
    assert srv.proc.wait(timeout=15) == 0, srv.proc.describe()


def test_help_exits_zero():
    for args in (["--help"], ["serve", "--help"], ["send", "--help"], ["migrate", "--help"],
                 ["key", "--help"], ["provider", "--help"], ["simulate", "twilio", "--help"]):
        cp = run_cli(*args)
        assert cp.returncode == 0, (args, cp.stderr)
        assert "usage" in cp.stdout.lower(), (args, cp.stdout)
    cp = run_cli("serve", "--help")
    for flag in ("--listen", "--db", "--max-body", "--lease", "--demo"):
        assert flag in cp.stdout


def test_unknown_command_exits_2_with_one_line():
    cp = run_cli("frobnicate")
    assert cp.returncode == 2
    assert len(cp.stderr.strip().splitlines()) == 1, cp.stderr
    assert "frobnicate" in cp.stderr
    assert cp.stdout == ""


def test_unknown_flag_exits_2_with_one_line(tmp_path):
    for args in (["serve", "--no-such-flag"], ["send", "--bogus", "x"],
                 ["migrate", "--db", str(tmp_path / "x.db"), "--what"]):
        cp = run_cli(*args)
        assert cp.returncode == 2, (args, cp.returncode, cp.stderr)
        assert len(cp.stderr.strip().splitlines()) == 1, (args, cp.stderr)
        assert "--" in cp.stderr


def test_no_command_exits_2():
    cp = run_cli()
    assert cp.returncode == 2
    assert cp.stderr


def test_migrate_twice(tmp_path):
    db = str(tmp_path / "m.db")
    cp1 = run_cli("migrate", "--db", db)
    assert cp1.returncode == 0, cp1.stderr
    cp2 = run_cli("migrate", "--db", db)
    assert cp2.returncode == 0, cp2.stderr
    v1 = re.search(r"schema version (\d+)", cp1.stdout)
    v2 = re.search(r"schema version (\d+)", cp2.stdout)
    assert v1 and v2 and v1.group(1) == v2.group(1)
    assert "(0 migrations applied)" in cp2.stdout, cp2.stdout


def test_key_create_bogus_role_exits_2(tmp_path):
    db = str(tmp_path / "k.db")
    cp = run_cli("key", "create", "--role", "bogus", "--db", db)
    assert cp.returncode == 2, cp.stderr
    assert cp.stdout == ""
    cp = run_cli("key", "create", "--db", db)  # no role at all
    assert cp.returncode == 2
    cp = run_cli("key", "create", "--role", "viewer", "--db", db)
    assert cp.returncode == 0
    assert re.fullmatch(r"sgk_[0-9A-Z]{26}_[0-9a-f]{64}", cp.stdout.strip().splitlines()[-1])


def test_serve_refuses_bad_flags(tmp_path):
    cp = run_cli("serve", "--db", str(tmp_path / "s.db"), "--listen", "127.0.0.1:1",
                 "--max-body", "10")
    assert cp.returncode == 2
    cp = run_cli("serve", "--db", str(tmp_path / "s.db"), "--listen", "nonsense")
    assert cp.returncode != 0


def test_demo_prints_a_working_send_command(harness):
    port = free_port()
    db = harness.tmp / "demo.db"
    proc = harness.track(Proc(["serve", "--demo", "--db", db, "--listen", f"127.0.0.1:{port}",
                               "--poll-ms", "50", "--log-level", "warn"],
                              harness.logs, "demo"))
    srv = Server(proc, port, str(db), [])

    def printed():
        if not proc.alive():
            raise AssertionError("demo exited:\n" + proc.describe())
        out = proc.stdout()
        return out if "Press Ctrl-C" in out else None

    out = wait_for(printed, timeout=10, what="the demo instructions")
    key = re.search(r"admin key\s+(sgk_\S+)", out).group(1)
    assert f"export SMSGATE_KEY={key}" in out
    assert f"http://127.0.0.1:{port}" in out

    # Find the printed "send a message" curl command and run it with requests.
    lines = out.splitlines()
    start = next(i for i, l in enumerate(lines) if "curl" in l and "/v1/messages " in l + " "
                 and "-X POST" in l)
    cmd_lines = []
    for line in lines[start:]:
        cmd_lines.append(line.strip().rstrip("\\"))
        if not line.rstrip().endswith("\\"):
            break
    argv = shlex.split(" ".join(cmd_lines))
    assert argv[0] == "curl"
    url = next(a for a in argv if a.startswith("http"))
    assert url == f"http://127.0.0.1:{port}/v1/messages"
    headers = {}
    for i, a in enumerate(argv):
        if a == "-H":
            k, v = argv[i + 1].split(":", 1)
            headers[k.strip()] = v.strip().replace("$SMSGATE_KEY", key)
        if a == "-d":
            data = argv[i + 1]
    assert headers["Authorization"] == f"Bearer {key}"
    r = requests.post(url, data=data, headers=headers, timeout=5)
    assert r.status_code == 202, r.text
    srv.key = key
    m = srv.wait_status(r.json()["id"], "sent")
    assert m["provider"] == "twilio-sim"
    assert m["provider_message_id"].startswith("SM")

    # The printed list command finds it.
    r = requests.get(f"http://127.0.0.1:{port}/v1/messages?limit=1",
                     headers={"Authorization": f"Bearer {key}"}, timeout=5)
    assert r.json()["data"][0]["id"] == m["id"]

    # SIGTERM stops the demo and its simulator cleanly.
    sim_url = re.search(r"Twilio simulator on (http://\S+)", out).group(1)
    assert requests.get(sim_url + "/sim/stats", timeout=5).json()["accepted"] == 1
    proc.signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0, proc.describe()

    def sim_gone():
        try:
            requests.get(sim_url + "/sim/stats", timeout=1)
            return False
        except requests.ConnectionError:
            return True

    wait_for(sim_gone, timeout=5, what="the demo's simulator to stop")


def test_serve_logs_to_stderr_only(gw):
    gw.srv.send("+447400123456", "log me")
    assert gw.srv.proc.stdout() == ""
    assert "listening" in gw.srv.proc.stderr()


def test_port_in_use_exits_1(gw):
    cp = run_cli("serve", "--db", str(gw.h.tmp / "other.db"), "--listen",
                 f"127.0.0.1:{gw.srv.port}", "--log-level", "warn", timeout=15)
    assert cp.returncode == 1, (cp.returncode, cp.stderr)
    assert len(cp.stderr.strip().splitlines()) == 1, cp.stderr
    assert "cannot listen" in cp.stderr
    # The running server is unaffected.
    assert requests.get(gw.srv.url + "/healthz", timeout=5).status_code == 200


def test_db_from_environment(tmp_path):
    from conftest import clean_env

    db = tmp_path / "env.db"
    cp = run_cli("key", "create", "--role", "admin", env=clean_env({"SMSGATE_DB": str(db)}))
    assert cp.returncode == 0, cp.stderr
    assert db.exists()
    cp = run_cli("migrate", env=clean_env({"SMSGATE_DB": str(db)}))
    assert cp.returncode == 0 and str(db) in cp.stdout
    # A flag beats the environment.
    other = tmp_path / "flag.db"
    cp = run_cli("migrate", "--db", other, env=clean_env({"SMSGATE_DB": str(db)}))
    assert cp.returncode == 0 and other.exists()


def test_public_url_sets_callback_urls(harness):
    from conftest import make_gateway

    g = make_gateway(harness, serve_args=("--public-url", "https://sms.example.com/"))
    pid = g.provider["id"]
    assert g.provider["callback_urls"] == {
        "status": f"https://sms.example.com/callbacks/{pid}/status",
        "inbound": f"https://sms.example.com/callbacks/{pid}/inbound",
    }
    a = g.srv.send("+447400123456", "callback url")
    g.srv.wait_status(a["id"], "sent")
    assert g.sim.messages()[0]["status_callback"] == \
        f"https://sms.example.com/callbacks/{pid}/status"


def test_cli_provider_test_queues_through_provider(gw):
    cp = run_cli("provider", "test", "sim", "--to", "+447400123457", "--db", gw.srv.db,
                 "--log-level", "warn", "--no-wait")
    assert cp.returncode == 0, cp.stderr
    mid = cp.stdout.strip().splitlines()[-1]
    m = gw.srv.wait_status(mid, "sent")
    assert m["provider"] == "sim"
    assert [r["sid"] for r in gw.sim.messages(to="+447400123457")] == [m["provider_message_id"]]


@pytest.mark.sqlite_only  # the key file beside the database
def test_master_key_file_is_private(gw):
    import os
    import stat

    st = os.stat(gw.srv.db + ".key")
    assert stat.S_IMODE(st.st_mode) == 0o600


def test_demo_twice_on_the_same_db(harness):
    """The second demo run re-registers the (new) simulator and still works."""
    db = harness.tmp / "demo.db"
    for run in range(2):
        port = free_port()
        proc = harness.track(Proc(["serve", "--demo", "--db", db, "--listen",
                                   f"127.0.0.1:{port}", "--poll-ms", "50", "--log-level",
                                   "warn"], harness.logs, "demo"))
        out = wait_for(lambda: proc.alive() and "Press Ctrl-C" in proc.stdout()
                       and proc.stdout(), timeout=10, what="the demo instructions")
        key = re.search(r"admin key\s+(sgk_\S+)", out).group(1)
        srv = Server(proc, port, str(db), [])
        srv.key = key
        a = srv.send("+447400123456", f"demo run {run}")
        m = srv.wait_status(a["id"], "sent")
        assert m["provider"] == "twilio-sim"
        provs = srv.get("/v1/providers").json()["data"]
        assert [p["name"] for p in provs] == ["twilio-sim"]
        proc.signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0, proc.describe()
