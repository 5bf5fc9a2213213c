"""The api.twilio.com proxy recipe (docs/compat.md, contrib/nginx/) run on loopback:
contrib/nginx/make-local-ca makes a throwaway CA and a certificate for
api.twilio.com, Debian's nginx runs contrib/nginx/api.twilio.com.conf as an
unprivileged single process with its own prefix and temp dirs (no system config
touched), and clients that trust only that CA reach smsgate's Twilio-compatible
surface through it as https://api.twilio.com: curl with --resolve, and Twilio's
own Node SDK (tests/compat/twilio_proxy.mjs)."""
import json
import os
import shutil
import socket
import subprocess

import pytest

from conftest import REPO, free_port, make_gateway, wait_for

CONTRIB = REPO / "contrib" / "nginx"
COMPAT = REPO / "tests" / "compat"
HOST = "api.twilio.com"
TO = "+447400123456"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)

pytestmark = pytest.mark.skipif(
    NGINX is None, reason="nginx is not installed (scripts/install-deps installs it; CI has it)")


def render(conf, port, cert_dir, upstream_port):
    """The shipped server block with its listen lines, certificate directory and
    upstream put on this test's; each must be found exactly once."""
    swaps = [
        ("    listen 443 ssl;\n", f"    listen 127.0.0.1:{port} ssl;\n"),
        ("    listen [::]:443 ssl;\n", ""),
        ("    server 127.0.0.1:8080;\n", f"    server 127.0.0.1:{upstream_port};\n"),
    ]
    for old, new in swaps:
        assert conf.count(old) == 1, f"api.twilio.com.conf no longer has {old.strip()!r} once"
        conf = conf.replace(old, new)
    assert conf.count("/etc/smsgate/twilio-proxy/") == 2, "the two certificate paths moved"
    return conf.replace("/etc/smsgate/twilio-proxy/", f"{cert_dir}/")


class Nginx:
    """nginx in the foreground, one process (master_process off: it stays the user
    who started it), everything under its own prefix."""

    def __init__(self, tmp, server_block):
        self.prefix = tmp / "nginx"
        self.prefix.mkdir()
        (self.prefix / "api.twilio.com.conf").write_text(server_block)
        p = self.prefix
        (p / "nginx.conf").write_text(f"""
daemon off;
master_process off;
worker_processes 1;
pid {p}/nginx.pid;
error_log {p}/error.log info;
events {{ worker_connections 256; }}
http {{
    access_log {p}/access.log;
    client_body_temp_path {p}/client_body;
    proxy_temp_path {p}/proxy;
    fastcgi_temp_path {p}/fastcgi;
    uwsgi_temp_path {p}/uwsgi;
    scgi_temp_path {p}/scgi;
    include {p}/api.twilio.com.conf;
}}
""")
        check = subprocess.run([NGINX, "-t", "-p", f"{p}/", "-c", f"{p}/nginx.conf", "-e",
                                f"{p}/error.log"], capture_output=True, text=True, timeout=20)
        assert check.returncode == 0, f"nginx -t:\n{check.stderr}"
        self.out = open(p / "stdout.log", "wb")
        self.popen = subprocess.Popen([NGINX, "-p", f"{p}/", "-c", f"{p}/nginx.conf", "-e",
                                       f"{p}/error.log"], stdout=self.out,
                                      stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                      start_new_session=True)

    def wait_listening(self, port):
        def up():
            if self.popen.poll() is not None:
                raise AssertionError("nginx exited:\n" + (self.prefix / "error.log").read_text())
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", port)) == 0
        wait_for(up, timeout=10, what="nginx to listen")

    def stop(self):
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=5)
        self.out.close()


@pytest.fixture
def proxy(harness):
    """A gateway started as the recipe says (--trusted-proxy for nginx's address),
    an app, the CA and certificate, and nginx in front on a free port."""
    gw = make_gateway(harness, serve_args=("--trusted-proxy", "127.0.0.1/32"))
    r = gw.srv.post("/v1/apps", json={"name": "civicrm"})
    assert r.status_code == 201, r.text
    certs = harness.tmp / "certs"
    made = subprocess.run([str(CONTRIB / "make-local-ca"), str(certs)], capture_output=True,
                          text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    port = free_port()
    conf = render((CONTRIB / "api.twilio.com.conf").read_text(), port, certs, gw.srv.port)
    ngx = Nginx(harness.tmp, conf)
    try:
        ngx.wait_listening(port)
        yield gw, r.json(), certs, port
    finally:
        ngx.stop()


def curl(port, certs, app, path, *args, token=None, cacert=True):
    """curl https://api.twilio.com:PORT/… resolved to loopback, trusting only the
    test CA; returns (exit status, HTTP status, body)."""
    cmd = ["curl", "-sS", "--max-time", "20", "--resolve", f"{HOST}:{port}:127.0.0.1",
           "-u", f"{app['account_sid']}:{token or app['auth_token']}",
           "-w", "\n%{http_code}", *args, f"https://{HOST}:{port}{path}"]
    if cacert:
        cmd[2:2] = ["--cacert", str(certs / "ca.crt")]
    cp = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    body, _, status = cp.stdout.rpartition("\n")
    return cp.returncode, status, body if cp.returncode == 0 else cp.stderr


def messages_path(app, rest=".json"):
    return f"/2010-04-01/Accounts/{app['account_sid']}/Messages{rest}"


def test_curl_creates_a_message_through_the_proxy_that_reaches_the_simulator(proxy):
    gw, app, certs, port = proxy
    rc, status, body = curl(port, certs, app, messages_path(app), "--data-urlencode", f"To={TO}",
                            "--data-urlencode", "Body=through api.twilio.com")
    assert (rc, status) == (0, "201"), body
    m = json.loads(body)
    assert m["status"] == "queued" and m["account_sid"] == app["account_sid"], m
    # the resource uri is relative: appended to https://api.twilio.com it names the message
    assert m["uri"] == messages_path(app, f"/{m['sid']}.json"), m
    rc, status, body = curl(port, certs, app, m["uri"])
    assert (rc, status) == (0, "200"), body
    assert json.loads(body)["sid"] == m["sid"]
    sent = wait_for(lambda: gw.sim.messages(to=TO), what="the message at the simulator")
    assert sent[0]["body"] == "through api.twilio.com", sent


def test_only_the_ca_the_host_trusts_makes_the_certificate_good(proxy):
    _, app, certs, port = proxy
    rc, _, err = curl(port, certs, app, messages_path(app), cacert=False)
    assert rc == 60, f"curl without the test CA: exit {rc}: {err}"  # 60: peer certificate not trusted


def test_the_proxy_answers_only_twilios_messages_api(proxy):
    gw, app, certs, port = proxy
    rc, status, body = curl(port, certs, app, "/v1/messages", "-H",
                            f"Authorization: Bearer {gw.admin}")
    assert (rc, status) == (0, "404"), body
    assert json.loads(body)["code"] == 20404


def test_failed_authentication_is_counted_against_the_client_not_the_proxy(proxy):
    """nginx sets X-Forwarded-For to the address it got the request from and smsgate
    believes it from nginx (--trusted-proxy 127.0.0.1/32): a failure from 127.0.0.2
    is 127.0.0.2's, not the proxy's. An application on the proxy's own host
    (127.0.0.1, trusted) cannot pass a forged X-Forwarded-For through: nginx
    replaces it rather than appending to it."""
    gw, app, certs, port = proxy

    def failure_logged(n):
        lines = [ln for ln in gw.srv.proc.stderr().splitlines() if "compat_auth_failed" in ln]
        return lines[n - 1] if len(lines) >= n else None

    for n, source, client in ((1, "127.0.0.2", "127.0.0.2"), (2, "127.0.0.1", "127.0.0.1")):
        rc, status, body = curl(port, certs, app, messages_path(app), "--interface", source,
                                "-H", "X-Forwarded-For: 203.0.113.9", token="0" * 32)
        assert (rc, status) == (0, "401"), body
        assert json.loads(body)["code"] == 20003
        line = wait_for(lambda: failure_logged(n), what=f"compat_auth_failed line {n}")
        assert f"client={client}" in line and "203.0.113.9" not in line, (source, line)


def test_twilio_node_sdk_left_on_api_twilio_com_sends_through_the_proxy(proxy):
    gw, app, certs, port = proxy
    node = shutil.which("node")
    if not node or not (COMPAT / "node_modules" / "twilio").is_dir():
        pytest.fail("tests/compat needs Node 20 and `npm ci` (make compat-deps)")
    env = dict(os.environ, NODE_EXTRA_CA_CERTS=str(certs / "ca.crt"), PROXY_PORT=str(port),
               TW_ACCOUNT_SID=app["account_sid"], TW_AUTH_TOKEN=app["auth_token"], TW_TO=TO)
    env.pop("HTTP_PROXY", None)
    env.pop("TWILIO_CA_BUNDLE", None)
    cp = subprocess.run([node, "twilio_proxy.mjs"], cwd=COMPAT, env=env, capture_output=True,
                        text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert cp.returncode == 0, f"{cp.stdout}\n{cp.stderr}"
    out = json.loads(cp.stdout.strip().splitlines()[-1])
    assert out["created"]["status"] == "queued", out
    assert out["fetched"] == {"sid": out["created"]["sid"], "body": "via the proxy", "to": TO}, out
    assert out["refused"] == {"status": 401, "code": 20003}, out
    sent = wait_for(lambda: gw.sim.messages(to=TO), what="the SDK's message at the simulator")
    assert sent[0]["body"] == "via the proxy", sent
