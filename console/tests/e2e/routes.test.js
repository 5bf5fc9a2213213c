// The Routes page in a real browser against real `smsgate serve`: a route
// refused beside its field (a bad country), created with two providers chosen
// from the provider list and reordered, listed in order, edited (weighted, with
// weights), moved before another route, deleted after confirmation; a viewer
// sees the list without the write controls.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  ACCOUNT_SID, AUTH_TOKEN, createUser, launchBrowser, screenshot, signIn, startGateway, withCheckedPage,
} from './harness.js';

const ADMIN = { email: 'routes-admin@example.org', password: 'correct horse battery staple' };
const VIEWER = { email: 'routes-viewer@example.org', password: 'correct horse battery staple', role: 'viewer' };

let gw;
let browser;

before(async () => {
  gw = await startGateway('routes');
  const p = await gw.request('POST', '/v1/providers', {
    name: 'backup', kind: 'twilio',
    config: { account_sid: ACCOUNT_SID, auth_token: AUTH_TOKEN, from: '+15005550006', base_url: gw.simUrl, mps: 10 },
  });
  if (p.status !== 201) throw new Error(`backup provider: ${p.status} ${p.text}`);
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

// The browser logs the 400 the test asks for on purpose.
const allow400 = (text, where) => /\/v1\/routes/.test(where) && /status of 400/.test(text);

test('routes: refused beside the field, created with providers in order, edited, moved, deleted', async () => {
  await withCheckedPage(browser, async ({ page }) => {
    await signIn(gw, page, ADMIN);
    await page.getByRole('navigation').getByRole('link', { name: 'Routes' }).click();
    await page.getByRole('heading', { level: 1, name: 'Routes' }).waitFor();
    await page.getByText('There is no route').waitFor();

    await page.getByRole('button', { name: 'Add a route' }).click();
    await page.getByLabel('Name').fill('uk');
    await page.getByLabel('Countries (optional)').fill('GB, XX');
    await page.getByLabel('Add a provider').selectOption({ label: 'sim' });
    await page.getByRole('button', { name: 'Add provider' }).click();
    await page.getByLabel('Add a provider').selectOption({ label: 'backup' });
    await page.getByRole('button', { name: 'Add provider' }).click();
    // backup first: move it up
    await page.getByRole('button', { name: 'Up backup' }).click();
    await page.getByRole('button', { name: 'Create route' }).click();
    await page.locator('#route-countries-error').waitFor();
    assert.match(await page.locator('#route-countries-error').innerText(), /XX.*not a country code/);
    assert.equal(await page.locator('.error-summary a[href="#route-countries"]').count(), 1);

    await page.getByLabel('Countries (optional)').fill('GB, ie');
    await page.getByRole('button', { name: 'Create route' }).click();
    await page.getByText('uk is created.').waitFor();
    const stored = (await gw.request('GET', '/v1/routes/uk')).json;
    assert.deepEqual(stored.provider_names, ['backup', 'sim']);
    assert.deepEqual(stored.match.countries, ['GB', 'IE']);
    const row = page.locator('tbody tr', { hasText: 'uk' });
    assert.deepEqual(await row.locator('td').allInnerTexts().then((t) => t.slice(0, 5)),
      ['1', 'uk', 'GB, IE', 'backup → sim', 'priority']);
    await screenshot(page, 'routes');

    // edit: weighted with weights
    await row.getByRole('button', { name: 'Edit uk' }).click();
    await page.getByLabel('Strategy').selectOption('weighted');
    await page.getByLabel('Weight of backup').fill('3');
    await page.getByLabel('Weight of sim').fill('1');
    await page.getByRole('button', { name: 'Save route' }).click();
    await page.getByText('uk is saved.').waitFor();
    const edited = (await gw.request('GET', '/v1/routes/uk')).json;
    assert.equal(edited.strategy, 'weighted');
    assert.deepEqual(edited.weights, [3, 1]);

    // a second route (created through the API), moved before uk from the page
    const r = await gw.request('POST', '/v1/routes', { name: 'kenya', match: { prefixes: ['+2547'] }, providers: ['sim'] });
    assert.equal(r.status, 201, r.text);
    await page.reload();
    await page.locator('tbody tr', { hasText: 'kenya' }).getByRole('button', { name: 'Up kenya' }).click();
    await page.getByText('kenya is now evaluated earlier.').waitFor();
    const order = (await gw.request('GET', '/v1/routes')).json.data.map((x) => x.name);
    assert.deepEqual(order, ['kenya', 'uk']);

    await page.locator('tbody tr', { hasText: 'kenya' }).getByRole('button', { name: 'Delete kenya' }).click();
    await page.getByRole('button', { name: 'Yes, delete this route' }).click();
    await page.getByText('kenya is deleted.').waitFor();
    assert.deepEqual((await gw.request('GET', '/v1/routes')).json.data.map((x) => x.name), ['uk']);
  }, allow400);
});

test('routes: a viewer sees the list without write controls', async (t) => {
  if (!gw.sessions) return t.skip('needs sessions for a viewer');
  await withCheckedPage(browser, async ({ page }) => {
    await signIn(gw, page, VIEWER);
    await page.getByRole('navigation').getByRole('link', { name: 'Routes' }).click();
    await page.getByRole('heading', { level: 1, name: 'Routes' }).waitFor();
    await page.locator('tbody tr', { hasText: 'uk' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Add a route' }).count(), 0);
    assert.equal(await page.getByRole('button', { name: /^Edit/ }).count(), 0);
  });
});
