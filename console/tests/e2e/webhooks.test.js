// The Webhooks pages in a real browser against real `smsgate serve` and
// simulator processes, with a receiver on loopback: add a webhook (events by
// checkboxes, the secret shown once), its deliveries (outcome, attempts, last
// error, cursor-paged), the form's errors beside their fields, delete after
// confirmation, and the viewer role. Screenshots: build/console-e2e/.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';

import { createUser, launchBrowser, runCli, screenshot, signIn, startGateway, waitFor, withCheckedPage } from './harness.js';

const ADMIN = { email: 'webhooks-admin@example.org', password: 'correct horse battery staple' };
const VIEWER = { email: 'webhooks-viewer@example.org', password: 'correct horse battery staple', role: 'viewer' };

let gw;
let browser;
let receiver;
let receiverUrl;
const received = [];

before(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ signature: req.headers['smsgate-signature'], body });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${receiver.address().port}/hooks/smsgate`;
  gw = await startGateway('webhooks');
  if (gw.sessions) {
    createUser(gw.db, ADMIN.email, ADMIN.password, 'admin');
    createUser(gw.db, VIEWER.email, VIEWER.password, 'viewer');
  }
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await gw?.stop();
  receiver?.close();
});

const withPage = (fn, allow) => withCheckedPage(browser, fn, allow);

/** n opt-outs by hand through the API: one contact.opted_out event each. */
async function optOut(n, from) {
  for (let i = 0; i < n; i++) {
    const r = await gw.request('POST', '/v1/optouts', { phone: `+4474002${String(from + i).padStart(5, '0')}` });
    assert.ok(r.status === 201 || r.status === 200, r.text);
  }
}

test('add a webhook with events by checkboxes; the secret is shown once; deliveries listed and paged', async () => {
  await withPage(async ({ page }) => {
    await signIn(gw, page, ADMIN);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks' }).click();
    await page.getByRole('heading', { level: 1, name: 'Webhooks' }).waitFor();
    await page.getByText('No webhook yet.').waitFor();
    await page.getByLabel('URL', { exact: true }).fill(receiverUrl);
    await page.getByRole('checkbox', { name: 'Contact opted out' }).check();
    await page.getByRole('checkbox', { name: 'Contact opted in' }).check();
    await page.getByRole('button', { name: 'Add webhook' }).click();

    const secret = page.getByLabel('Signing secret');
    await secret.waitFor();
    const text = await secret.inputValue();
    assert.match(text, /^whsec_[0-9a-f]{64}$/);
    await page.getByRole('button', { name: 'Copy secret' }).click();
    await page.getByRole('status').filter({ hasText: /Copied\.|Could not copy/ }).waitFor();
    const row = page.getByRole('row', { name: new RegExp(receiverUrl.replace(/[.]/g, '\\.')) });
    await row.waitFor();
    assert.match(await row.innerText(), /Contact opted out, Contact opted in/);
    await screenshot(page, 'webhook-secret');
    await page.getByRole('button', { name: 'I have copied it' }).click();
    assert.equal(await page.getByLabel('Signing secret').count(), 0);
    assert.equal((await page.content()).includes(text), false, 'the secret is gone from the page');
    const list = await gw.request('GET', '/v1/webhooks');
    assert.deepEqual(list.json.data[0].events, ['contact.opted_out', 'contact.opted_in']);

    // 51 events: more than one page of deliveries (50).
    await optOut(51, 0);
    await waitFor(() => received.length >= 51, '51 events at the receiver', 60000);
    await row.getByRole('link').click();
    await page.getByRole('heading', { level: 1, name: `Webhook to ${receiverUrl}` }).waitFor();
    const rows = page.getByRole('region', { name: 'Deliveries table' }).locator('tbody tr');
    await waitFor(async () => {
      await page.getByRole('button', { name: 'Refresh deliveries' }).click();
      const first = await rows.first().innerText().catch(() => '');
      return (await rows.count()) === 50 && /Delivered \(HTTP 200\)/.test(first);
    }, 'the first page of delivered deliveries');
    const cells = (await rows.first().locator('td').allInnerTexts()).map((t) => t.trim());
    assert.deepEqual(cells.slice(0, 4), ['Contact opted out', 'Delivered (HTTP 200)', '1', '—']);
    await screenshot(page, 'webhook-deliveries');
    await page.getByRole('button', { name: 'Show older deliveries' }).click();
    await waitFor(async () => (await rows.count()) === 51, 'the 51st delivery on the next page');
    assert.equal(await page.getByRole('button', { name: 'Show older deliveries' }).count(), 0, 'no page after the last');
  });
});

test('a receiver that cannot be reached: the delivery waits to retry, with the error for an admin', async () => {
  // A port that was free a moment ago: nothing listens there.
  const closed = await new Promise((r) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => r(port));
    });
  });
  const w = await gw.request('POST', '/v1/webhooks', { url: `http://127.0.0.1:${closed}/gone`, events: ['contact.opted_out'] });
  assert.equal(w.status, 201, w.text);
  await optOut(1, 100);
  await withPage(async ({ page }) => {
    await signIn(gw, page, ADMIN);
    await page.goto(`${gw.url}/console/webhooks/${w.json.id}`);
    const rows = page.getByRole('region', { name: 'Deliveries table' }).locator('tbody tr');
    await waitFor(async () => {
      await page.getByRole('button', { name: 'Refresh deliveries' }).click();
      return /Waiting to retry/.test(await rows.first().innerText().catch(() => ''));
    }, 'a failed attempt');
    const cells = (await rows.first().locator('td').allInnerTexts()).map((t) => t.trim());
    assert.equal(cells[1], 'Waiting to retry');
    assert.equal(cells[2], '1');
    assert.match(cells[3], /connect/i, `the transport error: ${cells[3]}`);
    assert.notEqual(cells[5], '—', 'the next attempt is shown');
    await screenshot(page, 'webhook-delivery-failed');
  });
});

test('the form shows the API\'s errors beside their fields; delete after confirmation', async () => {
  await withPage(async ({ page }) => {
    await signIn(gw, page, ADMIN);
    await page.goto(gw.url + '/console/webhooks');
    await page.getByRole('heading', { level: 1, name: 'Webhooks' }).waitFor();
    await page.getByLabel('URL', { exact: true }).fill('not a url');
    await page.getByRole('button', { name: 'Add webhook' }).click();
    await page.locator('.error-summary a[href="#webhook-url"]').waitFor();
    assert.match(await page.locator('#webhook-url-error').innerText(), /http:\/\/ or https:\/\//);
    await page.getByLabel('URL', { exact: true }).fill('https://crm.example.com/hooks');
    await page.getByRole('button', { name: 'Add webhook' }).click();
    await page.locator('#webhook-events-error').waitFor();
    assert.match(await page.locator('#webhook-events-error').innerText(), /'events' must be a non-empty array/);
    await page.locator('.error-summary a[href="#webhook-event-message.status"]').click();
    assert.equal(await page.evaluate(() => document.activeElement.id), 'webhook-event-message.status');
    await page.getByRole('checkbox', { name: 'Reply received' }).check();
    await page.getByRole('button', { name: 'Add webhook' }).click();
    await page.getByRole('button', { name: 'I have copied it' }).click();

    const row = page.getByRole('row', { name: /crm\.example\.com/ });
    await row.getByRole('button', { name: /Delete/ }).click();
    await row.getByRole('button', { name: 'Cancel' }).click();
    await row.getByRole('button', { name: /Delete/ }).click();
    await row.getByRole('button', { name: 'Yes, delete this webhook' }).click();
    await page.getByRole('status').filter({ hasText: 'is deleted' }).waitFor();
    // The message follows the list's reload; waited for (bounded), in case a render lags.
    await page.getByRole('row', { name: /crm\.example\.com/ }).first().waitFor({ state: 'detached', timeout: 5000 });
    const list = await gw.request('GET', '/v1/webhooks');
    assert.equal(list.json.data.some((w) => w.url.includes('crm.example.com')), false);
  }, (text, where) => /\/v1\/webhooks$/.test(where) && /status of 400/.test(text));
});

test('viewer: webhooks and deliveries listed, no add form and no delete; the transport error withheld', async () => {
  await withPage(async ({ page }) => {
    if (gw.sessions) await signIn(gw, page, VIEWER);
    else {
      const kc = runCli(['key', 'create', '--role', 'viewer', '--db', gw.db, '--log-level', 'warn']);
      await signIn({ ...gw, key: kc.stdout.trim().split('\n').pop().trim() }, page, VIEWER);
    }
    await page.goto(gw.url + '/console/webhooks');
    await page.getByRole('region', { name: 'Webhooks table' }).waitFor();
    assert.equal(await page.getByRole('button', { name: /Delete/ }).count(), 0);
    assert.equal(await page.getByRole('heading', { name: 'Add a webhook' }).count(), 0);
    assert.equal(await page.locator('form').count(), 0);
    await page.getByRole('link', { name: /\/gone$/ }).click();
    const rows = page.getByRole('region', { name: 'Deliveries table' }).locator('tbody tr');
    await rows.first().waitFor();
    assert.equal((await rows.first().locator('td').nth(3).innerText()).trim(), 'delivery failed');
    await screenshot(page, 'webhooks-viewer');
  });
});
