// The Broadcasts pages in a real browser against real `smsgate serve` and
// Twilio simulator processes (status callbacks on; one number ends
// undelivered 30003, one failed 30008): a broadcast to a group created in the
// browser, its progress followed to done and its stats with failures by error
// code; the create form's errors beside their fields; send / pause / resume /
// cancel in the states that allow them and a 409 shown in the API's words;
// the viewer role; a hostile name as text. Screenshots: build/console-e2e/.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  createUser, launchBrowser, newPage, runCli, screenshot, signIn, startGateway, waitFor, withCheckedPage,
} from './harness.js';

const ADMIN = { email: 'broadcasts-admin@example.org', password: 'correct horse battery staple' };
const VIEWER = { email: 'broadcasts-viewer@example.org', password: 'correct horse battery staple', role: 'viewer' };
const HOSTILE = '<img src=x onerror=alert(1)>';
const UNDELIVERED = '+447400100001';
const FAILED = '+447400100002';
const GOOD = ['+447400100003', '+447400100004', '+447400100005'];

let gw;
let browser;

before(async () => {
  gw = await startGateway('broadcasts', {
    callbacks: true,
    simArgs: ['--undelivered', UNDELIVERED, '--failed-numbers', FAILED, '--sent-delay-ms', '0', '--delivered-delay-ms', '0'],
  });
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

/** A group of contacts made through the API: {id, name}. */
async function makeGroup(name, phones) {
  const g = await gw.request('POST', '/v1/groups', { name });
  assert.equal(g.status, 201, g.text);
  const ids = [];
  for (const [i, phone] of phones.entries()) {
    const c = await gw.request('POST', '/v1/contacts', { phone, first_name: `Person${i}` });
    assert.ok(c.status === 201 || c.status === 200, c.text);
    ids.push(c.json.id);
  }
  const m = await gw.request('POST', `/v1/groups/${g.json.id}/members`, { contacts: ids });
  assert.equal(m.status, 200, m.text);
  return g.json;
}

/** A broadcast made through the API. */
async function makeBroadcast(body) {
  const r = await gw.request('POST', '/v1/broadcasts', body);
  assert.equal(r.status, 201, r.text);
  return r.json;
}

const figure = (page, name) => page.locator(`[data-figure="${name}"]`).innerText();

test('a broadcast to a group, created in the browser: progress to done, stats by status and failures by error code', async () => {
  await makeGroup('customers', [...GOOD, UNDELIVERED, FAILED]);
  await withPage(async ({ page }) => {
    await signIn(gw, page, ADMIN);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Broadcasts' }).click();
    await page.getByRole('heading', { level: 1, name: 'Broadcasts' }).waitFor();
    await page.getByText('No broadcasts yet.').waitFor();
    await page.getByRole('link', { name: 'New broadcast' }).click();
    await page.getByRole('heading', { level: 1, name: 'New broadcast' }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('November sale');
    await page.getByRole('radio', { name: 'A group' }).check();
    await page.getByLabel('Group', { exact: true }).selectOption('customers');
    await page.getByLabel('Text', { exact: true }).fill('Hi {{first_name|there}}, 20% off today');
    await page.getByLabel('Messages per second (optional)').fill('10');
    await screenshot(page, 'broadcast-new');
    await page.getByRole('button', { name: 'Create broadcast' }).click();

    await page.getByRole('heading', { level: 1, name: 'November sale' }).waitFor();
    assert.match(new URL(page.url()).pathname, /^\/console\/broadcasts\/brd_/);
    // The progress bar only moves forward, and reaches 100 with the status done.
    const bar = page.getByRole('progressbar', { name: 'Broadcast progress' });
    const seen = [];
    await waitFor(async () => {
      seen.push(Number(await bar.getAttribute('aria-valuenow')));
      return (await page.getByTestId('broadcast-status').innerText()) === 'done';
    }, 'the broadcast to be done', 30000);
    await waitFor(async () => Number(await bar.getAttribute('aria-valuenow')) === 100, 'the bar at 100');
    assert.deepEqual(seen, [...seen].sort((a, b) => a - b), `progress never goes back: ${seen.join(',')}`);
    assert.match(await bar.getAttribute('aria-valuetext'), /^5 of 5 recipients handled \(100%\)$/);
    assert.equal(await page.getByRole('button', { name: 'Pause' }).count(), 0, 'a done broadcast has no Pause');
    assert.equal(await page.getByRole('button', { name: 'Cancel broadcast' }).count(), 0);

    // The delivery reports arrive after done: the page keeps polling for them.
    await waitFor(async () => (await figure(page, 'stats-delivered')) === '3', 'three delivered in the stats');
    assert.equal(await figure(page, 'recipients'), '5');
    assert.equal(await figure(page, 'sent'), '4');
    assert.equal(await figure(page, 'delivered'), '3');
    assert.equal(await figure(page, 'failed'), '2', 'failed + undelivered');
    assert.equal(await figure(page, 'stats-sent'), '4');
    assert.equal(await figure(page, 'stats-undelivered'), '1');
    assert.equal(await figure(page, 'stats-failed'), '1');
    assert.equal(await figure(page, 'delivery_rate'), '75%');
    const failures = page.getByRole('region', { name: 'Failures by error code' });
    await failures.getByRole('row', { name: /30003/ }).waitFor();
    const rows = await failures.locator('tbody tr').allInnerTexts();
    assert.deepEqual(rows.map((r) => r.split('\t').map((c) => c.trim())), [
      ['30003', '1', 'Unreachable destination handset'],
      ['30008', '1', 'Unknown error'],
    ]);
    await screenshot(page, 'broadcast-stats');

    await page.getByRole('link', { name: 'Back to the broadcasts' }).click();
    const row = page.getByRole('row', { name: /November sale/ });
    await row.waitFor();
    assert.match(await row.innerText(), /done/);
    assert.equal(await row.getByRole('progressbar').getAttribute('aria-valuenow'), '100');
    await screenshot(page, 'broadcasts');
  });
});

test('a draft from a template to a segment, created in the browser, keeps the template\'s text and waits', async () => {
  const t = await gw.request('POST', '/v1/templates', { name: 'welcome', body: 'Welcome {{first_name|friend}}!' });
  assert.equal(t.status, 201, t.text);
  const sg = await gw.request('POST', '/v1/segments', { name: 'members', filter: 'in group "customers"' });
  assert.equal(sg.status, 201, sg.text);
  await withPage(async ({ page }) => {
    await signIn(gw, page, ADMIN);
    await page.goto(gw.url + '/console/broadcasts/new');
    await page.getByLabel('Name', { exact: true }).fill('Welcome draft');
    await page.getByRole('radio', { name: 'A segment' }).check();
    await page.getByLabel('Segment', { exact: true }).selectOption('members');
    await page.getByRole('radio', { name: 'Use a template' }).check();
    await page.getByLabel('Template', { exact: true }).selectOption('welcome');
    await page.getByRole('checkbox', { name: 'Save as a draft' }).check();
    await page.getByRole('button', { name: 'Save draft' }).click();
    await page.getByRole('heading', { level: 1, name: 'Welcome draft' }).waitFor();
    assert.equal(await page.getByTestId('broadcast-status').innerText(), 'draft');
    const settings = page.locator('dl.detail');
    await settings.getByText('segment members').waitFor();
    await settings.getByText('Welcome {{first_name|friend}}!').waitFor();
    const id = new URL(page.url()).pathname.split('/').pop();
    const b = (await gw.request('GET', `/v1/broadcasts/${id}`)).json;
    assert.equal(b.status, 'draft');
    assert.equal(b.template_id, t.json.id);
    assert.deepEqual(b.audience, { kind: 'segment', id: sg.json.id });
  });
});

test('the create form shows the API\'s errors beside their fields', async () => {
  await withPage(async ({ page }) => {
    await signIn(gw, page, ADMIN);
    await page.goto(gw.url + '/console/broadcasts/new');
    await page.getByRole('heading', { level: 1, name: 'New broadcast' }).waitFor();
    await page.getByLabel('Text', { exact: true }).fill('Hello');
    await page.getByRole('button', { name: 'Create broadcast' }).click();
    await page.locator('.error-summary a[href="#bc-name"]').waitFor();
    assert.match(await page.locator('#bc-name-error').innerText(), /'name' must be a string/);

    await page.getByLabel('Name', { exact: true }).fill('No audience');
    await page.getByRole('button', { name: 'Create broadcast' }).click();
    await page.locator('#bc-audience-error').waitFor();
    assert.match(await page.locator('#bc-audience-error').innerText(), /no group/);

    // Checked in the browser before asking: a rate that is not a number.
    await page.getByLabel('Messages per second (optional)').fill('fast');
    await page.getByRole('button', { name: 'Create broadcast' }).click();
    await page.locator('#bc-rate-error').waitFor();
    await page.getByLabel('Messages per second (optional)').fill('');
    await page.getByLabel('Quiet hours (optional)', { exact: true }).fill('late');
    await page.getByLabel('Group', { exact: true }).selectOption('customers');
    await page.getByRole('button', { name: 'Create broadcast' }).click();
    await page.locator('#bc-quiet-error').waitFor();
    assert.match(await page.locator('#bc-quiet-error').innerText(), /21:00-08:00/);
    await screenshot(page, 'broadcast-new-errors');
  }, (text, where) => /\/v1\/broadcasts$/.test(where) && /status of (400|422)/.test(text));
});

test('send, pause, resume and cancel appear only in the states that allow them; a 409 is shown in the API\'s words', async () => {
  await makeGroup('later', ['+447400100006']);
  const tomorrow = new Date(Date.now() + 86400e3).toISOString();
  const b = await makeBroadcast({ name: 'Later', group: 'later', body: 'Tomorrow', send_at: tomorrow, draft: true });
  await withPage(async ({ page }) => {
    await signIn(gw, page, ADMIN);
    await page.goto(`${gw.url}/console/broadcasts/${b.id}`);
    await page.getByRole('heading', { level: 1, name: 'Later' }).waitFor();
    const status = page.getByTestId('broadcast-status');
    const buttons = async () => (await page.locator('.row-actions button').allInnerTexts()).map((t) => t.trim());
    const expect = async (s, labels) => {
      await waitFor(async () => (await status.innerText()) === s, `status ${s}`);
      await waitFor(async () => JSON.stringify(await buttons()) === JSON.stringify(labels), `buttons ${labels}`);
    };
    await expect('draft', ['Send now', 'Cancel broadcast']);
    await page.getByRole('button', { name: 'Send now' }).click();
    await expect('scheduled', ['Pause', 'Cancel broadcast']);
    await page.getByRole('button', { name: 'Pause' }).click();
    await expect('paused', ['Resume', 'Cancel broadcast']);
    await page.getByRole('status').filter({ hasText: 'Paused: no more messages go out until you resume it.' }).waitFor();
    await screenshot(page, 'broadcast-paused');
    await page.getByRole('button', { name: 'Resume' }).click();
    await expect('scheduled', ['Pause', 'Cancel broadcast']);
    await page.getByRole('button', { name: 'Cancel broadcast' }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Yes, cancel the broadcast' });
    await confirm.getByRole('button', { name: 'Cancel', exact: true }).click();
    assert.equal(await status.innerText(), 'scheduled', 'Cancel in the confirmation changes nothing');
    await page.getByRole('button', { name: 'Cancel broadcast' }).click();
    await page.getByRole('button', { name: 'Yes, cancel the broadcast' }).click();
    await expect('canceled', []);
    assert.equal((await gw.request('GET', `/v1/broadcasts/${b.id}`)).json.status, 'canceled');
  });

  // Someone else cancels while this page still shows a draft: the page's
  // (stale) Send now gets the API's 409, shown as such.
  const d = await makeBroadcast({ name: 'Stale', group: 'later', body: 'x', send_at: tomorrow, draft: true });
  await withPage(async ({ page }) => {
    await signIn(gw, page, ADMIN);
    const draft = await gw.request('GET', `/v1/broadcasts/${d.id}`);
    await page.route(`**/v1/broadcasts/${d.id}`, (route) =>
      route.request().method() === 'GET'
        ? route.fulfill({ status: 200, contentType: 'application/json', body: draft.text })
        : route.continue());
    await page.goto(`${gw.url}/console/broadcasts/${d.id}`);
    await page.getByRole('button', { name: 'Send now' }).waitFor();
    assert.equal((await gw.request('POST', `/v1/broadcasts/${d.id}/cancel`)).status, 200);
    await page.getByRole('button', { name: 'Send now' }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'Not possible in this state' });
    await alert.waitFor();
    assert.match(await alert.innerText(), /a canceled broadcast cannot be sent/);
    await screenshot(page, 'broadcast-invalid-state');
  }, (text, where) => /\/send$/.test(where) && /status of 409/.test(text));
});

test('a poll answered after an action\'s own reload does not bring the old status back', async () => {
  const tomorrow = new Date(Date.now() + 86400e3).toISOString();
  await makeGroup('polled', ['+447400100008']);
  const b = await makeBroadcast({ name: 'Polled', group: 'polled', body: 'x', send_at: tomorrow });
  await withPage(async ({ page }) => {
    await signIn(gw, page, ADMIN);
    // Every GET of the broadcast is held here until the test lets it go.
    const held = [];
    let holding = true;
    await page.route(`**/v1/broadcasts/${b.id}`, (route) =>
      holding && route.request().method() === 'GET' ? held.push(route) : route.continue());
    const next = async (what) => {
      await waitFor(() => held.length >= 1, what);
      return held.shift();
    };
    await page.goto(`${gw.url}/console/broadcasts/${b.id}`);
    await (await next('the first load')).continue();
    await page.getByRole('button', { name: 'Pause' }).waitFor();
    const poll = await next('a poll of the scheduled broadcast');
    const before = await gw.request('GET', `/v1/broadcasts/${b.id}`); // what it answers, asked before the pause
    await page.getByRole('button', { name: 'Pause' }).click();
    const reload = await next('the load after Pause');
    await reload.continue(); // "paused"
    await page.getByRole('button', { name: 'Resume' }).waitFor();
    // The older question answers last, with what was true when it was asked.
    await poll.fulfill({ status: 200, contentType: 'application/json', body: before.text });
    await next('the poll after both'); // held: the page shows what the two answers left
    assert.equal(await page.getByTestId('broadcast-status').innerText(), 'paused');
    assert.equal(await page.getByRole('button', { name: 'Resume' }).count(), 1);
    holding = false;
    for (const r of held.splice(0)) await r.continue();
  });
});

test('viewer: broadcasts listed with no write control; a hostile name is text', async () => {
  await makeGroup('viewers', ['+447400100007']);
  const b = await makeBroadcast({ name: HOSTILE, group: 'viewers', body: HOSTILE, draft: true });
  await withPage(async ({ page }) => {
    await signInViewer(page);
    await page.goto(gw.url + '/console/broadcasts');
    await page.getByRole('link', { name: HOSTILE }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'New broadcast' }).count(), 0);
    await page.getByRole('link', { name: HOSTILE }).click();
    await page.getByRole('heading', { level: 1, name: HOSTILE }).waitFor();
    assert.equal(await page.getByTestId('broadcast-status').innerText(), 'draft');
    assert.equal(await page.locator('.row-actions button').count(), 0, 'no Send now / Cancel for a viewer');
    assert.equal(await page.locator('img[src="x"]').count(), 0, 'the name is not markup');
    await page.goto(gw.url + '/console/broadcasts/new');
    await page.getByText('Your role (viewer) cannot create broadcasts.').waitFor();
    assert.equal(await page.locator('form').count(), 0);
    await screenshot(page, 'broadcasts-viewer');
  });
  // The API refuses the viewer's forced write too (the console shows only
  // what the API enforces).
  const kc = runCli(['key', 'create', '--role', 'viewer', '--db', gw.db, '--log-level', 'warn']);
  const key = kc.stdout.trim().split('\n').pop().trim();
  const r = await fetch(`${gw.url}/v1/broadcasts/${b.id}/send`, { method: 'POST', headers: { Authorization: `Bearer ${key}` } });
  assert.equal(r.status, 403);
});

test('360 px wide: the broadcasts list, the form, a broadcast\'s page and the webhooks page need no sideways scrolling', async () => {
  const list = (await gw.request('GET', '/v1/broadcasts')).json.data;
  const done = list.find((b) => b.name === 'November sale') ?? list[0];
  const p = await newPage(browser, { viewport: { width: 360, height: 740 } });
  try {
    const { page } = p;
    await signIn(gw, page, ADMIN);
    const noSideways = () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
    for (const [path, heading] of [['/broadcasts', 'Broadcasts'], ['/broadcasts/new', 'New broadcast'],
      [`/broadcasts/${done.id}`, done.name], ['/webhooks', 'Webhooks']]) {
      await page.goto(gw.url + '/console' + path);
      await page.getByRole('heading', { level: 1, name: heading }).waitFor();
      await page.waitForLoadState('networkidle');
      assert.ok(await noSideways(), `${path} fits 360 px`);
    }
    await page.goto(`${gw.url}/console/broadcasts/${done.id}`);
    await page.getByRole('heading', { level: 2, name: 'Stats' }).waitFor();
    await screenshot(page, 'broadcast-360');
    assert.deepEqual(p.problems, []);
  } finally {
    await p.context.close();
  }
});

/** Sign in as the viewer: through the form with sessions, else a viewer key
 * added to the page's /v1 requests (harness.js's pattern). */
async function signInViewer(page) {
  if (gw.sessions) return signIn(gw, page, VIEWER);
  const kc = runCli(['key', 'create', '--role', 'viewer', '--db', gw.db, '--log-level', 'warn']);
  const key = kc.stdout.trim().split('\n').pop().trim();
  await signIn({ ...gw, key }, page, VIEWER);
}
