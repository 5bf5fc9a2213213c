// The admin pages (Users, API keys, Audit log) in a real browser against real
// `smsgate serve`: add a user (a hostile email refused beside its field),
// change its role, the last admin's removal refused with the API's words, a
// key created with its secret shown once (a hostile name as text) and revoked,
// the audit log listing the user's creation, and a viewer kept out.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  createUser, launchBrowser, screenshot, signIn, startGateway, withCheckedPage,
} from './harness.js';

const ADMIN = { email: 'admin-pages@example.org', password: 'correct horse battery staple' };
const VIEWER = { email: 'admin-pages-viewer@example.org', password: 'correct horse battery staple' };
const HOSTILE = '<img src=x onerror=alert(1)>';
const NEW_USER = 'new-sender@example.org';

let gw;
let browser;

before(async () => {
  gw = await startGateway('admin');
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

/** A fresh page checked for browser errors (harness.js: withCheckedPage). */
const withPage = (fn, allow) => withCheckedPage(browser, fn, allow);

const skip = () => (gw.sessions ? false : 'needs sessions (POST /v1/session) for real users');

test('users: a hostile email refused beside its field, a user added and listed, its role changed, its password reset', async (t) => {
  if (skip()) return t.skip(skip());
  await withPage(async ({ page }) => {
    await signIn(gw, page, ADMIN);
    await page.getByRole('navigation').getByRole('link', { name: 'Users' }).click();
    await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
    assert.match(await page.locator('#user-password-hint').innerText(), /At least 12 characters/);

    await page.getByLabel('Email', { exact: true }).fill(`${HOSTILE}@example.org`);
    await page.getByLabel('Role', { exact: true }).selectOption('sender');
    await page.getByLabel('Password', { exact: true }).fill('long enough password');
    await page.getByRole('button', { name: 'Add user' }).click();
    await page.locator('#user-email-error').waitFor();
    assert.match(await page.locator('#user-email-error').innerText(), /must be an address/);
    assert.equal(await page.locator('.error-summary a[href="#user-email"]').count(), 1);
    assert.equal(await page.locator('img').count(), 0);

    await page.getByLabel('Email', { exact: true }).fill(NEW_USER);
    await page.getByRole('button', { name: 'Add user' }).click();
    await page.getByText(`${NEW_USER} is added as sender.`).waitFor();
    const row = page.locator('tbody tr', { hasText: NEW_USER });
    assert.deepEqual((await row.locator('td').allInnerTexts()).slice(1, 2), ['sender']);
    assert.equal(await row.locator('td').nth(3).innerText(), 'Never');
    await screenshot(page, 'users');

    await row.getByRole('button', { name: `Change role of ${NEW_USER}` }).click();
    // The form is focused by an effect after it renders: wait for it (bounded), then check.
    await page.waitForFunction(() => document.activeElement?.id === 'change-role-title', null,
      { timeout: 5000 }).catch(() => {});
    assert.equal(await page.evaluate(() => document.activeElement.id), 'change-role-title', 'the form takes focus');
    await page.getByLabel('New role').selectOption('viewer');
    await page.getByRole('button', { name: 'Save role' }).click();
    await page.getByText(`${NEW_USER} is now viewer.`).waitFor();
    const u = (await gw.request('GET', `/v1/users/${encodeURIComponent(NEW_USER)}`)).json;
    assert.equal(u.role, 'viewer');

    // Reset password: too short is refused beside the field, then a long one is saved.
    await page.locator('tbody tr', { hasText: NEW_USER }).getByRole('button', { name: `Reset password of ${NEW_USER}` }).click();
    await page.getByLabel('New password', { exact: true }).fill('short');
    await page.getByRole('button', { name: 'Save password' }).click();
    await page.locator('#user-new-password-error').waitFor();
    await page.getByLabel('New password', { exact: true }).fill('another long password');
    await page.getByRole('button', { name: 'Save password' }).click();
    await page.getByText(`${NEW_USER} has a new password`).waitFor();
  }, (text, url) => /\/v1\/users(\/usr_\w+)?$/.test(url) && /status of 400/.test(text));
});

test('users: removing the last admin is refused with the API\'s words; the admin stays', async (t) => {
  if (skip()) return t.skip(skip());
  await withPage(async ({ page }) => {
    await signIn(gw, page, ADMIN);
    await page.goto(gw.url + '/console/users');
    const row = page.locator('tbody tr', { hasText: ADMIN.email });
    await row.getByRole('button', { name: `Remove ${ADMIN.email}` }).click();
    await row.getByRole('button', { name: 'Yes, remove this user' }).click();
    const alert = page.locator('.notice--error');
    await alert.waitFor();
    assert.match(await alert.innerText(), /last admin/);
    assert.match(await alert.innerText(), /make another user admin first/);
    await screenshot(page, 'users-last-admin');
    assert.equal((await gw.request('GET', `/v1/users/${encodeURIComponent(ADMIN.email)}`)).status, 200);
  }, (text, url) => /\/v1\/users\/usr_/.test(url) && /status of 409/.test(text));
});

test('api keys: created with its secret shown once (hostile name as text), then revoked', async (t) => {
  if (skip()) return t.skip(skip());
  await withPage(async ({ page }) => {
    await signIn(gw, page, ADMIN);
    await page.getByRole('navigation').getByRole('link', { name: 'API keys' }).click();
    await page.getByRole('heading', { level: 1, name: 'API keys' }).waitFor();
    await page.getByLabel('Name (optional)').fill(HOSTILE);
    await page.getByLabel('Role', { exact: true }).selectOption('viewer');
    await page.getByRole('button', { name: 'Create key' }).click();
    const secretBox = page.getByLabel('The key');
    await secretBox.waitFor();
    const secret = await secretBox.inputValue();
    assert.match(secret, /^sgk_[0-9A-Z]{26}_[0-9a-f]{64}$/);
    assert.match(await page.locator('.secret__warning').innerText(), /shown only this once/);
    await page.getByRole('button', { name: 'Copy key' }).waitFor();
    await screenshot(page, 'api-key-created');
    const use = () => fetch(gw.url + '/v1/stats', { headers: { Authorization: `Bearer ${secret}` } });
    assert.equal((await use()).status, 200, 'the shown key works');

    // The name is text, not markup.
    const row = page.locator('tbody tr', { hasText: 'onerror' });
    assert.equal(await row.locator('td').first().innerText(), HOSTILE);
    assert.equal(await page.locator('img').count(), 0);

    // Dismissed, the secret is gone from the page, and a reload does not bring it back.
    await page.getByRole('button', { name: 'I have copied it' }).click();
    await secretBox.waitFor({ state: 'detached' });
    assert.ok(!(await page.content()).includes(secret.slice(-64)));
    await page.reload();
    await row.waitFor();
    assert.ok(!(await page.content()).includes(secret.slice(-64)));

    await row.getByRole('button', { name: `Revoke ${HOSTILE}` }).click();
    await row.getByRole('button', { name: 'Yes, revoke this key' }).click();
    await page.getByText('is revoked').waitFor();
    // The message follows the list's reload; waited for (bounded), in case a render lags.
    await page.locator('tbody tr', { hasText: 'onerror' }).waitFor({ state: 'detached', timeout: 5000 });
    assert.equal((await use()).status, 401, 'the revoked key is refused');
  });
});

test('audit log: lists the user creation with actor, target and source; filters by action', async (t) => {
  if (skip()) return t.skip(skip());
  const email = 'audited@example.org';
  const r = await gw.request('POST', '/v1/users', { email, role: 'viewer', password: 'long enough password' });
  assert.equal(r.status, 201, r.text);
  await withPage(async ({ page }) => {
    await signIn(gw, page, ADMIN);
    await page.getByRole('navigation').getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor();
    const row = page.locator('tbody tr', { hasText: email });
    await row.waitFor();
    const cells = await row.locator('td').allInnerTexts();
    assert.equal(cells[2], 'user.create');
    assert.equal(cells[3], email);
    assert.match(cells[4], /127\.0\.0\.1/);
    assert.ok(await page.locator('tbody tr', { hasText: 'session.sign_in' }).count() >= 1);

    await page.getByLabel('Action').fill('user.create');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByText('for these filters').waitFor();
    // The filtered list replaces the first one: waited for (bounded) before it is read.
    await page.locator('tbody tr', { hasText: 'session.sign_in' }).first().waitFor({ state: 'detached', timeout: 5000 });
    const actions = await page.locator('tbody tr td:nth-child(3)').allInnerTexts();
    assert.ok(actions.length >= 1);
    assert.deepEqual([...new Set(actions)], ['user.create']);
    await screenshot(page, 'audit');
  });
});

test('a viewer sees no admin pages in the navigation and "not allowed" at their addresses', async (t) => {
  if (skip()) return t.skip(skip());
  await withPage(async ({ page }) => {
    await signIn(gw, page, VIEWER);
    const nav = page.getByRole('navigation');
    await nav.getByRole('link', { name: 'Dashboard' }).waitFor();
    for (const name of ['Users', 'API keys', 'Audit log'])
      assert.equal(await nav.getByRole('link', { name, exact: true }).count(), 0, `${name} not in the navigation`);
    for (const [path, label] of [['users', 'Users'], ['api-keys', 'API keys'], ['audit', 'Audit log']]) {
      await page.goto(`${gw.url}/console/${path}`);
      await page.getByRole('heading', { level: 1, name: label }).waitFor();
      await page.getByText('You are not allowed to see this page.').waitFor();
      assert.equal(await page.locator('form').count(), 0, 'no write controls');
    }
    await screenshot(page, 'admin-viewer-not-allowed');
  });
});
