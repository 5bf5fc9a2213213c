// The Apps page (admin) in a real browser against real `smsgate serve`: an app
// created with its Account SID and auth token shown once with copy buttons
// (the pair works on the Twilio-compatible API, a hostile name stays text),
// gone from the page once dismissed; a new token (the old one refused); the
// app removed after confirmation (its credentials refused); a viewer kept out.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { createUser, launchBrowser, screenshot, signIn, startGateway, withCheckedPage } from './harness.js';

const ADMIN = { email: 'apps-admin@example.org', password: 'correct horse battery staple' };
const VIEWER = { email: 'apps-viewer@example.org', password: 'correct horse battery staple' };
const HOSTILE = '<img src=x onerror=alert(1)>';

let gw;
let browser;

before(async () => {
  gw = await startGateway('apps');
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

const withPage = (fn, allow) => withCheckedPage(browser, fn, allow);
const skip = () => (gw.sessions ? false : 'needs sessions (POST /v1/session) for real users');

/** A request to the Twilio-compatible list with these credentials: its status. */
async function twilioList(sid, token) {
  const auth = Buffer.from(`${sid}:${token}`).toString('base64');
  const r = await fetch(`${gw.url}/2010-04-01/Accounts/${sid}/Messages.json`, {
    headers: { Authorization: `Basic ${auth}` },
  });
  return r.status;
}

/** A Clickatell-style send with this API key (CiviCRM's "==" appended) to a
 * number that is not one: 400 when the key is right (the number is refused),
 * 401 when it is not. */
async function clickatellSend(apiKey) {
  const r = await fetch(`${gw.url}/messages/http/send?to=12&text=x&apiKey=${apiKey}==`);
  return r.status;
}

test('apps: created with its credentials shown once, given a new token, removed', async (t) => {
  if (skip()) return t.skip(skip());
  await withPage(async ({ page }) => {
    await signIn(gw, page, ADMIN);
    await page.getByRole('navigation').getByRole('link', { name: 'Apps' }).click();
    await page.getByRole('heading', { level: 1, name: 'Apps' }).waitFor();
    await page.getByText('There is no app.').waitFor();

    // A refusal is shown beside its field.
    await page.getByLabel('Name', { exact: true }).fill('crm');
    await page.getByLabel('Status callback URL (optional)').fill('ftp://example.org/x');
    await page.getByRole('button', { name: 'Create app' }).click();
    await page.locator('#app-status-callback-error').waitFor();
    assert.equal(await page.locator('.error-summary a[href="#app-status-callback"]').count(), 1);

    await page.getByLabel('Name', { exact: true }).fill(HOSTILE);
    await page.getByLabel('Status callback URL (optional)').fill('');
    await page.getByLabel('Callback method').selectOption('GET');
    await page.getByLabel('Numbers (optional)').fill('+1 415 555 2671');
    await page.getByRole('button', { name: 'Create app' }).click();
    const tokenBox = page.getByLabel('Auth token');
    await tokenBox.waitFor();
    const sid = await page.getByLabel('Account SID').inputValue();
    const token = await tokenBox.inputValue();
    assert.match(sid, /^AC[0-9a-f]{32}$/);
    assert.match(token, /^[0-9a-f]{32}$/);
    assert.match(await page.locator('.secret__warning').innerText(), /shown only this once/);
    await page.getByRole('button', { name: 'Copy auth token' }).waitFor();
    await page.getByRole('button', { name: 'Copy account sid' }).waitFor();
    await screenshot(page, 'app-created');
    assert.equal(await twilioList(sid, token), 200, 'the shown credentials work');
    const apiKey = await page.getByLabel('API key').inputValue();
    assert.match(apiKey, /^[0-9a-f]{32}$/);
    assert.match(await page.getByLabel('API ID').inputValue(), /^[1-9][0-9]{6}$/);
    assert.equal(await clickatellSend(apiKey), 400, 'the shown API key works');

    const created = await page.evaluate(async () => (await (await fetch('/v1/apps')).json()).data);
    assert.equal(created.find((a) => a.account_sid === sid)?.callback_method, 'GET');

    const row = page.locator('tbody tr', { hasText: 'onerror' });
    assert.equal(await row.locator('td').first().innerText(), HOSTILE);
    assert.equal(await row.locator('td').nth(1).innerText(), sid);
    assert.equal(await row.locator('td').nth(3).innerText(), '+14155552671');

    // A number is one app's: a second app is refused beside the field.
    await page.getByLabel('Name', { exact: true }).fill('second');
    await page.getByLabel('Numbers (optional)').fill('+14155552671');
    await page.getByRole('button', { name: 'Create app' }).click();
    await page.locator('#app-numbers-error').waitFor();
    assert.match(await page.locator('#app-numbers-error').innerText(), /\+14155552671/);
    await page.getByLabel('Name', { exact: true }).fill('');
    await page.getByLabel('Numbers (optional)').fill('');
    assert.equal(await page.locator('img').count(), 0);

    await page.getByRole('button', { name: 'I have copied them' }).click();
    await tokenBox.waitFor({ state: 'detached' });
    assert.ok(!(await page.content()).includes(token));
    await page.reload();
    await row.waitFor();
    assert.ok(!(await page.content()).includes(token));

    // A new token: shown once, the old one refused.
    await row.getByRole('button', { name: `New token for ${HOSTILE}` }).click();
    await row.getByRole('button', { name: 'Yes, new token' }).click();
    await tokenBox.waitFor();
    const token2 = await tokenBox.inputValue();
    assert.notEqual(token2, token);
    assert.equal(await twilioList(sid, token), 401, 'the old token is refused');
    assert.equal(await twilioList(sid, token2), 200, 'the new token works');
    const apiKey2 = await page.getByLabel('API key').inputValue();
    assert.match(apiKey2, /^[0-9a-f]{32}$/);
    assert.notEqual(apiKey2, apiKey);
    assert.equal(await clickatellSend(apiKey), 401, 'the old API key is refused');
    assert.equal(await clickatellSend(apiKey2), 400, 'the new API key works');

    await row.getByRole('button', { name: `Remove ${HOSTILE}` }).click();
    await row.getByRole('button', { name: 'Yes, remove this app' }).click();
    await page.getByText('is removed').waitFor();
    // The message follows the list's reload; waited for (bounded), in case a render lags.
    await page.locator('tbody tr', { hasText: 'onerror' }).waitFor({ state: 'detached', timeout: 5000 });
    assert.equal(await twilioList(sid, token2), 401, 'a removed app is refused');
  }, (text, url) => /\/v1\/apps$/.test(url) && /status of (400|409)/.test(text));
});

test('apps: a viewer does not see the page and is told so at its address', async (t) => {
  if (skip()) return t.skip(skip());
  await withPage(async ({ page }) => {
    await signIn(gw, page, VIEWER);
    const nav = page.getByRole('navigation');
    await nav.getByRole('link', { name: 'Dashboard' }).waitFor();
    assert.equal(await nav.getByRole('link', { name: 'Apps', exact: true }).count(), 0);
    await page.goto(`${gw.url}/console/apps`);
    await page.getByRole('heading', { level: 1, name: 'Apps' }).waitFor();
    await page.getByText('You are not allowed to see this page.').waitFor();
    assert.equal(await page.locator('form').count(), 0, 'no write controls');
  });
});
