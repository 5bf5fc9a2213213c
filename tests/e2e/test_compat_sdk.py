"""Twilio's own Node SDK against smsgate (tests/compat/twilio_sdk.test.mjs): a
real smsgate and Twilio simulator here, the SDK's checks there (node:test).
Needs `npm ci` in tests/compat (the Makefile's compat-deps does it)."""
import os
import shutil
import subprocess

import pytest

from conftest import REPO, free_port

COMPAT = REPO / "tests" / "compat"
TO = "+447400123456"
OPTED_OUT = "+447400123457"


def test_twilio_node_sdk(gw):
    node = shutil.which("node")
    if not node or not (COMPAT / "node_modules" / "twilio").is_dir():
        pytest.fail("tests/compat needs Node 20 and `npm ci` (make compat-deps)")
    port = free_port()
    r = gw.srv.post("/v1/apps", json={"name": "sdk",
                                      "inbound_url": f"http://127.0.0.1:{port}/inbound"})
    assert r.status_code == 201, r.text
    app = r.json()
    r = gw.srv.post(f"/v1/apps/{app['id']}/keys", json={"name": "sdk"})
    assert r.status_code == 201, r.text
    key = r.json()
    assert gw.srv.post("/v1/optouts", json={"phone": OPTED_OUT}).status_code in (200, 201)
    env = dict(os.environ, SMSGATE_URL=gw.srv.url, TW_ACCOUNT_SID=app["account_sid"],
               TW_AUTH_TOKEN=app["auth_token"], TW_API_KEY=key["sid"],
               TW_API_SECRET=key["secret"], TW_TO=TO, TW_OPTED_OUT=OPTED_OUT,
               SIM_URL=gw.sim.url, INBOUND_URL=gw.provider["callback_urls"]["inbound"],
               INBOUND_RECEIVER_PORT=str(port))
    cp = subprocess.run([node, "--test", "twilio_sdk.test.mjs"], cwd=COMPAT, env=env,
                        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert cp.returncode == 0, f"node --test failed:\n{cp.stdout[-6000:]}\n{cp.stderr[-3000:]}"
    assert "# fail 0" in cp.stdout and "# pass 9" in cp.stdout, cp.stdout[-3000:]
