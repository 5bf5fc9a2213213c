// A provider's Health and Prices sections (issue 12) in a real browser against
// real `smsgate serve`: the circuit breaker's badge and line in words after a
// provider that cannot be reached trips it (serve's default breaker: 5 failures
// in a row), and the prices pasted as CSV (refused line by line, then saved and
// shown as a table); a viewer sees the table without the form.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, test } from 'node:test';

import {
  ACCOUNT_SID, AUTH_TOKEN, createUser, launchBrowser, screenshot, signIn, startGateway, waitFor, withCheckedPage,
} from './harness.js';

const ADMIN = { email: 'routing-admin@example.org', password: 'correct horse battery staple' };
const VIEWER = { email: 'routing-viewer@example.org', password: 'correct horse battery staple', role: 'viewer' };

let gw;
let browser;

/** A loopback port nothing listens on (bound, then closed). */
function closedPort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

before(async () => {
  gw = await startGateway('routing');
  if (gw.sessions) {
    createUser(gw.db, ADMIN.email, ADMIN.password, 'admin');
    createUser(gw.db, VIEWER.email, VIEWER.password, 'viewer');
  }
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await gw?.stop();
});

/** The 400 of a refused price list is logged by the browser: expected. */
const allowPrices400 = (text, where) => /\/prices$/.test(where) && /status of 400/.test(text);

test('health: a provider that cannot be reached shows "Paused" with why and what happens next', async () => {
  const port = await closedPort();
  const r = await gw.request('POST', '/v1/providers', {
    name: 'down', kind: 'twilio',
    config: { account_sid: ACCOUNT_SID, auth_token: AUTH_TOKEN, from: '+15005550006', base_url: `http://127.0.0.1:${port}` },
  });
  assert.equal(r.status, 201, r.text);
  for (let i = 0; i < 5; i++) {
    const m = await gw.request('POST', '/v1/messages', { to: `+4474001230${i}0`, body: `to a dead provider ${i}`, provider: 'down' });
    assert.equal(m.status, 202, m.text);
  }
  await waitFor(async () => (await gw.request('GET', '/v1/providers/down/health')).json?.state === 'open', 'the breaker to open');

  await withCheckedPage(browser, async ({ page }) => {
    await signIn(gw, page, ADMIN);
    await page.goto(gw.url + '/console/providers/down');
    const badge = page.getByTestId('breaker-badge');
    await badge.waitFor();
    assert.equal(await badge.getAttribute('data-state'), 'open');
    assert.equal((await badge.textContent()).trim(), 'Paused: provider failing');
    const line = await page.getByTestId('breaker-line').textContent();
    assert.match(line, /^Paused since .*: 5 sends in a row failed\. Its messages go to the next provider of their route, or wait where there is none \(they are not failed\)\. A test send goes at /);
    await page.getByRole('list', { name: 'Recent provider events' }).getByText('Paused').waitFor();
    await screenshot(page, 'provider-health-open');

    // A provider that works reads "Sending".
    await page.goto(gw.url + '/console/providers/sim');
    await page.getByTestId('breaker-badge').waitFor();
    assert.equal(await page.getByTestId('breaker-badge').getAttribute('data-state'), 'closed');
    assert.equal((await page.getByTestId('breaker-line').textContent()).trim(), 'Sending normally.');
  });
});

test('prices: a bad CSV is refused line by line, a good one is saved and shown; a viewer only reads', async (t) => {
  await withCheckedPage(browser, async ({ page }) => {
    await signIn(gw, page, ADMIN);
    await page.goto(gw.url + '/console/providers/sim');
    await page.getByRole('heading', { name: 'Prices' }).waitFor();
    await page.getByText('No prices yet.').waitFor();
    const box = page.getByLabel('Replace the prices (CSV)');
    await box.fill('country,price,currency\nUK,0.04,GBP\nKE,free,USD\n');
    await page.getByRole('button', { name: 'Save prices' }).click();
    const summary = page.getByRole('alert');
    await summary.getByText('The prices were not saved').waitFor();
    await summary.getByRole('link', { name: /^Line 2 \(country\): 'UK' is not an ISO 3166 alpha-2/ }).waitFor();
    await summary.getByRole('link', { name: /^Line 3 \(price\): 'free' is not a price/ }).waitFor();
    await box.fill('GB,0.04,GBP\nke,0.0075,usd\n');
    await page.getByRole('button', { name: 'Save prices' }).click();
    await page.getByText('2 prices saved.').waitFor();
    const cells = await page.getByTestId('prices-table').locator('tbody tr').allTextContents();
    assert.deepEqual(cells, ['GB0.04GBP', 'KE0.0075USD']);
    await screenshot(page, 'provider-prices');
  }, allowPrices400);
  const saved = await gw.request('GET', '/v1/providers/sim/prices');
  assert.deepEqual(saved.json.data.map((p) => p.country), ['GB', 'KE']);

  if (!gw.sessions) return t.skip('needs sessions for a viewer');
  await withCheckedPage(browser, async ({ page }) => {
    await signIn(gw, page, VIEWER);
    await page.goto(gw.url + '/console/providers/sim');
    await page.getByTestId('prices-table').waitFor();
    assert.equal(await page.getByLabel('Replace the prices (CSV)').count(), 0, 'no form for a viewer');
    assert.equal(await page.getByTestId('breaker-badge').getAttribute('data-state'), 'closed');
  });
});
