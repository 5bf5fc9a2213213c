// The Providers pages in a real browser against real `smsgate serve` and
// `smsgate simulate twilio` (with status callbacks, so a test SMS reaches
// "delivered"): add Twilio with an Auth Token and with an API key, Clickatell
// from CiviCRM's API Parameters text, errors beside their fields, test SMS to
// delivered and to a number the simulator refuses, edit with secrets kept,
// custom status callback URL, delete (refused while messages wait), the viewer
// role, a hostile display name shown as text, the empty list.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  ACCOUNT_SID, AUTH_TOKEN, allowSessionProbe, createUser, launchBrowser, newPage, screenshot, signIn, startGateway,
} from './harness.js';

const ADMIN = { email: 'admin@example.org', password: 'correct horse battery staple' };
const VIEWER = { email: 'viewer@example.org', password: 'another long pass phrase', role: 'viewer' };
const DELIVERED_TO = '+447400123456';
const REFUSED_TO = '+15005550001'; // the simulator answers 21211 (docs/internals/simulator.md)

let gw;
let browser;

before(async () => {
  gw = await startGateway('providers', { callbacks: true });
  if (gw.sessions) {
    createUser(gw.db, ADMIN.email, ADMIN.password);
    createUser(gw.db, VIEWER.email, VIEWER.password, 'viewer');
  }
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await gw?.stop();
});

/** A signed-in page; fails on any browser error or CSP violation, except the
 * browser's own log line for an answer the test provokes (`expect`: statuses). */
async function withPage(user, fn, expect = []) {
  const allow = (text, where) =>
    allowSessionProbe(text, where) ||
    (new URL(where || 'about:blank').pathname.startsWith('/v1/providers') &&
      expect.some((s) => text.includes(`status of ${s} `)));
  const p = await newPage(browser, { allow });
  try {
    await signIn(gw, p.page, user);
    await fn(p);
    assert.deepEqual(p.problems, [], 'no errors in the browser console');
    assert.deepEqual(await p.cspViolations(), [], 'no CSP violations');
  } finally {
    await p.context.close();
  }
}

const providerByName = async (name) => (await gw.request('GET', `/v1/providers/${name}`)).json;

async function openNewForm(page, kindLabel) {
  await page.goto(gw.url + '/console/providers');
  await page.getByRole('link', { name: 'Add provider' }).click();
  await page.getByRole('heading', { level: 1, name: 'Add provider' }).waitFor();
  await page.getByRole('radio', { name: kindLabel, exact: true }).check();
}

async function openAdvanced(page) {
  await page.getByText('Advanced settings').click();
}

async function addTwilioWithToken(page, name) {
  await openNewForm(page, 'Twilio');
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByRole('textbox', { name: 'Account SID' }).fill(ACCOUNT_SID);
  assert.ok(await page.getByRole('radio', { name: 'Auth Token', exact: true }).isChecked(), 'Auth Token is the first option');
  const token = page.locator('#cfg-auth_token');
  assert.equal(await token.getAttribute('type'), 'password', 'a secret is a password input');
  await token.fill(AUTH_TOKEN);
  await page.getByRole('textbox', { name: 'From number(s)' }).fill('+15005550006');
  await openAdvanced(page);
  await page.getByRole('textbox', { name: 'API base URL (optional)' }).fill(gw.simUrl);
  await page.getByRole('button', { name: 'Add provider' }).click();
  await page.getByText('Provider saved').waitFor();
}

test('add a Twilio provider with an Auth Token: saved, then its callback URLs with copy buttons', async () => {
  await withPage(ADMIN, async ({ page, context }) => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: gw.url });
    await openNewForm(page, 'Twilio');
    // The form comes from GET /v1/provider-kinds: the kind's labels and help.
    await page.getByRole('textbox', { name: 'Account SID' }).waitFor();
    await page.getByText("The account's identifier, on the Twilio console's dashboard.").waitFor();
    assert.equal(await page.getByRole('textbox', { name: 'API base URL (optional)' }).isVisible(), false,
      'advanced fields are folded away');
    await screenshot(page, 'providers-new-twilio');
    await addTwilioWithToken(page, 'twilio-main');
    const p = await providerByName('twilio-main');
    assert.equal(p.kind, 'twilio');
    assert.equal(p.config.account_sid, ACCOUNT_SID);
    assert.match(p.config.auth_token, /^•+/, 'the token was stored (and is masked)');
    assert.equal(p.config.base_url, gw.simUrl);
    assert.equal(new URL(page.url()).pathname, `/console/providers/${p.id}`);
    await page.getByRole('heading', { level: 1, name: 'twilio-main' }).waitFor();
    for (const [label, url] of [['Status callback URL', p.callback_urls.status],
      ['Incoming messages URL', p.callback_urls.inbound]]) {
      assert.equal(await page.getByRole('textbox', { name: label, exact: true }).inputValue(), url);
    }
    await page.getByText('Delivery reports (status callbacks)', { exact: false }).waitFor();
    await page.getByRole('button', { name: 'Copy inbound URL' }).click();
    await page.getByText('Copied.').waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), p.callback_urls.inbound);
    await screenshot(page, 'provider-saved');
  });
});

test('Send test SMS: the live outcome goes queued → sent → delivered on the same panel', async () => {
  await withPage(ADMIN, async ({ page }) => {
    const p = await providerByName('twilio-main');
    await page.goto(`${gw.url}/console/providers/${p.id}`);
    await page.getByRole('heading', { level: 2, name: 'Send test SMS' }).waitFor();
    await page.getByLabel('Mobile number').fill(DELIVERED_TO);
    await page.getByLabel('Message', { exact: true }).fill('Hello from the console test');
    await page.getByRole('button', { name: 'Send test SMS' }).click();
    await page.locator('[data-testid=test-outcome] [data-status=delivered]').waitFor({ timeout: 30000 });
    const outcome = await page.getByTestId('test-outcome').innerText();
    assert.match(outcome, /Delivered/);
    assert.match(outcome, /Queued/);
    assert.match(outcome, /Sent to the provider/);
    await screenshot(page, 'provider-test-delivered');
    const sent = await (await fetch(`${gw.simUrl}/sim/messages?to=${encodeURIComponent(DELIVERED_TO)}`)).json();
    assert.equal(sent.messages.at(-1).body, 'Hello from the console test');
  });
});

test('Send test SMS to a number the simulator refuses: failed, with the error code and its description', async () => {
  await withPage(ADMIN, async ({ page }) => {
    const p = await providerByName('twilio-main');
    const codes = (await gw.request('GET', '/v1/error-codes?provider=twilio')).json.data;
    const entry = codes.find((c) => c.code === '21211');
    assert.ok(entry, 'the catalogue has 21211');
    await page.goto(`${gw.url}/console/providers/${p.id}`);
    // A number smsgate itself refuses: the API's answer beside the field.
    await page.getByLabel('Mobile number').fill('12');
    await page.getByRole('button', { name: 'Send test SMS' }).click();
    await page.locator('#test-to-error').waitFor();
    assert.equal(await page.getByTestId('test-outcome').count(), 0, 'nothing was sent');
    await page.getByLabel('Mobile number').fill(REFUSED_TO);
    await page.getByRole('button', { name: 'Send test SMS' }).click();
    await page.locator('[data-testid=test-outcome] [data-status=failed]').waitFor({ timeout: 30000 });
    const err = page.getByTestId('test-error');
    await err.getByText(entry.title, { exact: false }).waitFor();
    const text = await err.innerText();
    assert.match(text, /21211/);
    assert.ok(text.includes(entry.meaning), text);
    await screenshot(page, 'provider-test-failed');
  }, [400]);
});

test('the Stats tab: the provider\'s messages by day and its top error codes, at its own address', async () => {
  await withPage(ADMIN, async ({ page }) => {
    const p = await providerByName('twilio-main');
    const total = (await gw.request('GET', `/v1/stats?provider=${p.id}`)).json;
    assert.ok(total.failed >= 1 && total.delivered >= 1, JSON.stringify(total)); // the tests above
    await page.goto(`${gw.url}/console/providers/${p.id}`);
    const tabs = page.getByRole('navigation', { name: 'Provider sections' });
    assert.equal(await tabs.getByRole('link', { name: 'Overview' }).getAttribute('aria-current'), 'page');
    await tabs.getByRole('link', { name: 'Stats' }).click();
    await page.getByRole('heading', { level: 2, name: 'Stats' }).waitFor();
    assert.ok(page.url().endsWith(`/console/providers/${p.id}/stats`), page.url());
    assert.equal(await tabs.getByRole('link', { name: 'Stats' }).getAttribute('aria-current'), 'page');
    assert.equal(await page.locator('[data-figure="provider-failed"]').innerText(), String(total.failed));
    assert.equal(await page.locator('[data-figure="provider-delivered"]').innerText(), String(total.delivered));
    const days = page.getByRole('region', { name: 'Messages by day' });
    assert.equal(await days.locator('tbody tr').count(), 1, 'one day of messages');
    const codes = page.getByRole('region', { name: 'Top error codes' });
    const row = codes.locator('tbody tr', { hasText: '21211' });
    await row.waitFor();
    assert.match(await row.innerText(), /21211\s+1\s+\S/);
    assert.equal(await page.getByRole('button', { name: 'Send test SMS' }).count(), 0, 'the Overview is not shown');
    await screenshot(page, 'provider-stats');
    await page.getByLabel('Period').selectOption({ label: 'Last 30 days' });
    await page.getByRole('region', { name: 'Messages by day' }).waitFor();
    await page.reload();
    await page.getByRole('heading', { level: 2, name: 'Stats' }).waitFor();
    await tabs.getByRole('link', { name: 'Overview' }).click();
    await page.getByRole('button', { name: 'Send test SMS' }).waitFor();
  });
});

test('the list: name, kind label, default, active and sent today', async () => {
  await withPage(ADMIN, async ({ page }) => {
    await page.goto(gw.url + '/console/providers');
    const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: 'twilio-main', exact: true }) });
    await row.waitFor();
    const cells = await row.getByRole('cell').allInnerTexts();
    // twilio-main is not the default (the harness's "sim" was first); one
    // message accepted by the provider today (the refused one was not).
    assert.deepEqual(cells, ['twilio-main', 'Twilio', 'No', 'Yes', '1']);
    const sim = await page.getByRole('row').filter({ has: page.getByRole('link', { name: 'sim', exact: true }) })
      .getByRole('cell').allInnerTexts();
    assert.deepEqual(sim.slice(1, 4), ['Twilio', 'Yes', 'Yes']);
    assert.deepEqual(await page.getByRole('columnheader').allInnerTexts(),
      ['Name', 'Kind', 'Default', 'Active', 'Sent today']);
    await screenshot(page, 'providers-list');
  });
});

test('add a Twilio provider with an API Key SID and Secret instead of the Auth Token', async () => {
  await withPage(ADMIN, async ({ page }) => {
    await openNewForm(page, 'Twilio');
    await page.getByLabel('Name', { exact: true }).fill('twilio-apikey');
    await page.getByRole('textbox', { name: 'Account SID' }).fill(ACCOUNT_SID);
    await page.getByRole('radio', { name: 'API Key SID + API Key Secret' }).check();
    assert.equal(await page.locator('#cfg-auth_token').count(), 0, 'the other option is hidden');
    await page.getByRole('textbox', { name: 'API Key SID' }).fill('SK' + 'fedcba9876543210'.repeat(2));
    assert.equal(await page.locator('#cfg-api_key_secret').getAttribute('type'), 'password');
    await page.locator('#cfg-api_key_secret').fill('api-key-secret-value-1234');
    await page.getByRole('textbox', { name: 'From number(s)' }).fill('+15005550006');
    await screenshot(page, 'providers-new-twilio-apikey');
    await page.getByRole('button', { name: 'Add provider' }).click();
    await page.getByText('Provider saved').waitFor();
    const p = await providerByName('twilio-apikey');
    assert.equal(p.config.api_key_sid, 'SK' + 'fedcba9876543210'.repeat(2));
    assert.match(p.config.api_key_secret, /^•+1234$/);
    assert.equal(p.config.auth_token, undefined);
    // No Auth Token to check signatures with: the URLs carry a secret.
    assert.equal(p.callback_auth, 'url_secret');
    await page.getByText('These URLs carry a secret: keep them private.').waitFor();
  });
});

test('add a Clickatell HTTP provider from CiviCRM\'s API Parameters text', async () => {
  await withPage(ADMIN, async ({ page }) => {
    await openNewForm(page, 'Clickatell HTTP');
    await page.getByLabel('Name', { exact: true }).fill('clickatell');
    await page.getByRole('textbox', { name: 'Username' }).fill('civi');
    await page.locator('#cfg-password').fill('clickatell-password');
    await page.getByRole('radio', { name: 'API Parameters' }).check();
    const box = page.getByRole('textbox', { name: 'API Parameters' });
    assert.equal(await box.evaluate((el) => el.tagName), 'TEXTAREA', 'a multiline field is a text box');
    await box.fill('api_id=3456789\nfrom=27820000000|27820000001\nmo=1');
    await screenshot(page, 'providers-new-clickatell');
    await page.getByRole('button', { name: 'Add provider' }).click();
    await page.getByText('Provider saved').waitFor();
    const p = await providerByName('clickatell');
    assert.equal(p.kind, 'clickatell');
    assert.equal(p.config.api_id, '3456789');
    assert.deepEqual(p.config.from, ['+27820000000', '+27820000001']);
    assert.equal(p.config.mo, true);
    assert.equal(p.callback_auth, 'url_secret');
    await page.getByRole('textbox', { name: 'Incoming messages URL' }).waitFor();
  });
});

test('errors from the API: a bad Account SID beside its field, linked from the summary; a bad name beside Name', async () => {
  await withPage(ADMIN, async ({ page }) => {
    await openNewForm(page, 'Twilio');
    await page.getByLabel('Name', { exact: true }).fill('twilio-bad');
    await page.getByRole('textbox', { name: 'Account SID' }).fill('AC123');
    await page.locator('#cfg-auth_token').fill(AUTH_TOKEN);
    await page.getByRole('textbox', { name: 'From number(s)' }).fill('+15005550006');
    await page.getByRole('button', { name: 'Add provider' }).click();
    const beside = page.locator('#cfg-account_sid-error');
    await beside.waitFor();
    assert.match(await beside.innerText(), /account_sid must be 'AC' followed by 32 hexadecimal digits/);
    assert.equal(await page.locator('#cfg-account_sid').getAttribute('aria-invalid'), 'true');
    const link = page.getByRole('alert').getByRole('link', { name: /account_sid must be/ });
    assert.equal(await link.getAttribute('href'), '#cfg-account_sid');
    await screenshot(page, 'providers-field-error');

    await page.getByRole('textbox', { name: 'Account SID' }).fill(ACCOUNT_SID);
    await page.getByLabel('Name', { exact: true }).fill('Bad Name');
    await page.getByRole('button', { name: 'Add provider' }).click();
    await page.locator('#name-error').getByText("'name' must be").waitFor();
    assert.equal(await page.locator('#cfg-account_sid-error').count(), 0, 'the fixed field has no error');
    assert.equal((await gw.request('GET', '/v1/providers/twilio-bad')).status, 404, 'nothing was saved');
  }, [400]);
});

test('edit: secrets show as unchanged and are kept; a custom status callback URL set and the default restored', async () => {
  await withPage(ADMIN, async ({ page }) => {
    const before = await providerByName('twilio-main');
    await page.goto(`${gw.url}/console/providers/${before.id}`);
    await page.getByRole('link', { name: 'Edit provider' }).click();
    await page.getByRole('heading', { level: 1, name: 'Edit provider' }).waitFor();
    const token = page.locator('#cfg-auth_token');
    assert.equal(await token.inputValue(), '', 'the masked secret is not put in the form');
    assert.equal(await token.getAttribute('placeholder'), 'unchanged');
    assert.equal(await page.getByRole('textbox', { name: 'Account SID' }).inputValue(), ACCOUNT_SID);
    await page.getByRole('textbox', { name: 'Messages per second (optional)' }).fill('5');
    await page.getByLabel('Display name (optional)').fill('Twilio – main account');
    await screenshot(page, 'provider-edit');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('heading', { level: 1, name: 'Twilio – main account' }).waitFor();
    const after = await providerByName('twilio-main');
    assert.equal(after.config.mps, 5);
    assert.equal(after.config.auth_token, before.config.auth_token, 'the token is kept');

    const custom = 'https://proxy.example.org/smsgate/status';
    await page.getByLabel('Custom status callback URL').fill(custom);
    await page.getByRole('button', { name: 'Use this URL' }).click();
    await page.getByTestId('custom-status-url').getByText(custom).waitFor();
    assert.equal((await providerByName('twilio-main')).config.status_callback_url, custom);
    await screenshot(page, 'provider-custom-callback');
    await page.getByRole('button', { name: 'Restore smsgate’s own' }).click();
    await page.getByText('The provider is given smsgate’s own status callback URL').waitFor();
    assert.equal((await providerByName('twilio-main')).config.status_callback_url, undefined);

    await page.getByLabel('Custom status callback URL').fill('not a url');
    await page.getByRole('button', { name: 'Use this URL' }).click();
    await page.locator('#status-callback-url-error').waitFor();
  }, [400]);
});

test('360 px wide: the provider page and its form fit without sideways scroll', async () => {
  const p = await newPage(browser, { viewport: { width: 360, height: 740 } });
  try {
    await signIn(gw, p.page, ADMIN);
    const id = (await providerByName('twilio-main')).id;
    for (const path of [`/console/providers/${id}`, `/console/providers/${id}/edit`, '/console/providers']) {
      await p.page.goto(gw.url + path);
      await p.page.getByRole('heading', { level: 1 }).waitFor();
      await p.page.locator('main .loading').waitFor({ state: 'detached' });
      const wide = await p.page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(wide <= 360, `${path}: ${wide}px wide`);
    }
    await screenshot(p.page, 'providers-list-360');
    assert.deepEqual(p.problems, []);
  } finally {
    await p.context.close();
  }
});

test('a display name typed as markup is shown as text, in the list and on its page', async () => {
  const hostile = '<img src=x onerror=alert(1)>';
  const r = await gw.request('POST', '/v1/providers', {
    name: 'hostile', kind: 'twilio', title: hostile,
    config: { account_sid: ACCOUNT_SID, auth_token: AUTH_TOKEN, from: '+15005550006', base_url: gw.simUrl },
  });
  assert.equal(r.status, 201, r.text);
  await withPage(ADMIN, async ({ page }) => {
    let dialogs = 0;
    page.on('dialog', (d) => {
      dialogs++;
      d.dismiss();
    });
    await page.goto(gw.url + '/console/providers');
    await page.getByRole('link', { name: hostile, exact: true }).click();
    await page.getByRole('heading', { level: 1, name: hostile }).waitFor();
    assert.equal(await page.locator('main img').count(), 0, 'no element was made from the name');
    assert.equal(dialogs, 0);
    await screenshot(page, 'provider-hostile-name');
  });
});

test('delete: refused clearly while messages wait, then done after confirming', async () => {
  const r = await gw.request('POST', '/v1/providers', {
    name: 'to-delete', kind: 'twilio',
    config: { account_sid: ACCOUNT_SID, auth_token: AUTH_TOKEN, from: '+15005550006', base_url: gw.simUrl },
  });
  assert.equal(r.status, 201, r.text);
  const m = await gw.request('POST', '/v1/messages', {
    to: '+447400123457', body: 'later', provider: 'to-delete',
    send_at: new Date(Date.now() + 86400e3).toISOString(),
  });
  assert.equal(m.status, 202, m.text);
  await withPage(ADMIN, async ({ page }) => {
    await page.goto(`${gw.url}/console/providers/${r.json.id}`);
    await page.getByRole('button', { name: 'Delete provider' }).click();
    await page.getByText('Delete to-delete? Its settings are removed').waitFor();
    await page.getByRole('button', { name: 'Yes, delete it' }).click();
    await page.getByTestId('delete-error').getByText('still has messages waiting to be sent').waitFor();
    await screenshot(page, 'provider-delete-refused');
    assert.equal((await gw.request('GET', '/v1/providers/to-delete')).status, 200);

    assert.equal((await gw.request('POST', `/v1/messages/${m.json.id}/cancel`)).status, 200);
    await page.getByRole('button', { name: 'Delete provider' }).click();
    await page.getByRole('button', { name: 'Cancel' }).click();
    assert.equal((await gw.request('GET', '/v1/providers/to-delete')).status, 200, 'Cancel keeps it');
    await page.getByRole('button', { name: 'Delete provider' }).click();
    await page.getByRole('button', { name: 'Yes, delete it' }).click();
    await page.getByRole('heading', { level: 1, name: 'Providers' }).waitFor();
    assert.equal((await gw.request('GET', '/v1/providers/to-delete')).status, 404);
  }, [409]);
});

test('a viewer sees the providers and their callback URLs but no write controls', async () => {
  await withPage(VIEWER, async ({ page }) => {
    await page.goto(gw.url + '/console/providers');
    await page.getByRole('link', { name: 'sim', exact: true }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Add provider' }).count(), 0);
    await page.getByRole('link', { name: 'sim', exact: true }).click();
    await page.getByRole('heading', { level: 2, name: 'Callback URLs' }).waitFor();
    for (const name of ['Edit provider', 'Delete provider', 'Send test SMS', 'Use this URL']) {
      assert.equal(await page.getByRole('button', { name }).count(), 0, name);
      assert.equal(await page.getByRole('link', { name }).count(), 0, name);
    }
    await page.goto(gw.url + '/console/providers/new');
    await page.getByText('Only an administrator can add or change providers.').waitFor();
    await screenshot(page, 'providers-viewer');
  });
});

test('with no providers the list says what to do next', async () => {
  // Last: removes every provider (none has waiting messages by now).
  for (const p of (await gw.request('GET', '/v1/providers')).json.data) {
    const d = await gw.request('DELETE', `/v1/providers/${p.id}`);
    assert.equal(d.status, 204, d.text);
  }
  await withPage(ADMIN, async ({ page }) => {
    await page.goto(gw.url + '/console/providers');
    const empty = page.getByTestId('providers-empty');
    await empty.waitFor();
    assert.match(await empty.innerText(), /No providers yet\. Choose “Add provider”/);
    await screenshot(page, 'providers-empty');
  });
});
