// The Nodes page in a real browser against real `smsgate serve` and simulator
// processes: a viewer sees this node alive (marked as the node answering) and
// a node that stopped heartbeating as dead (written into the nodes table as a
// crashed serve would leave it). Screenshots: build/console-e2e/.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, test } from 'node:test';

import { createUser, launchBrowser, screenshot, signIn, startGateway, withCheckedPage } from './harness.js';

const VIEWER = { email: 'nodes-viewer@example.org', password: 'correct horse battery staple', role: 'viewer' };

let gw;
let browser;

before(async () => {
  gw = await startGateway('nodes');
  createUser(gw.db, VIEWER.email, VIEWER.password, 'viewer');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await gw?.stop();
});

/** A node whose last heartbeat was a minute ago (it died), in the database. */
function addDeadNode(db, id) {
  const at = Date.now() - 60_000;
  const py = 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1], timeout=10); ' +
    "c.execute(\"INSERT INTO nodes (id, start_id, listen, started_at, heartbeat_at) VALUES (?, 'dead0001', '10.0.0.9:8080', ?, ?)\", (sys.argv[2], int(sys.argv[3]), int(sys.argv[3]))); c.commit()";
  const r = spawnSync('python3', ['-c', py, db, id, String(at)], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

test('a viewer sees this node alive and a dead one, with their heartbeats', async () => {
  const api = await gw.request('GET', '/v1/nodes');
  assert.equal(api.status, 200, api.text);
  const self = api.json.this_node;
  addDeadNode(gw.db, 'gw-dead');
  await withCheckedPage(browser, async ({ page }) => {
    await signIn(gw, page, VIEWER);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Nodes' }).click();
    await page.getByRole('heading', { level: 1, name: 'Nodes' }).waitFor();
    await page.getByRole('status').filter({ hasText: '1 of 2 nodes alive' }).waitFor();
    const mine = page.getByRole('row', { name: new RegExp(self.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) });
    assert.match(await mine.innerText(), /\(this node\)/);
    assert.match(await mine.innerText(), /Alive/);
    const dead = page.getByRole('row', { name: /gw-dead/ });
    assert.match(await dead.innerText(), /Dead/);
    assert.match(await dead.innerText(), /(1 min|6\d s) ago/);
    assert.match(await dead.innerText(), /10\.0\.0\.9:8080/);
    await screenshot(page, 'nodes');
  });
});
