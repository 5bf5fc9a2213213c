// The Contacts and Opt-outs pages in a real browser against real `smsgate
// serve` and simulator processes: create/edit/delete, a hostile name as text,
// CSV import with rejected rows, a simulated STOP reply, opt-out and opt-in by
// hand, and the viewer role. Screenshots go to build/console-e2e/screenshots/.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  ACCOUNT_SID, AUTH_TOKEN, createUser, launchBrowser, newPage, runCli, screenshot, signIn, startGateway, waitFor, withCheckedPage,
} from './harness.js';

const ADMIN = { email: 'contacts-admin@example.org', password: 'correct horse battery staple' };
const VIEWER = { email: 'contacts-viewer@example.org', password: 'correct horse battery staple' };
const HOSTILE = '<img src=x onerror=alert(1)>';

let gw;
let browser;

before(async () => {
  gw = await startGateway('contacts');
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

/**
 * Sign in as a viewer: through the form with sessions; without them, the
 * harness's pattern (a key added to the page's /v1 requests, GET /v1/session
 * answered) with a viewer key, so the API enforces the viewer's role.
 */
async function signInViewer(page) {
  if (gw.sessions) return signIn(gw, page, VIEWER);
  const kc = runCli(['key', 'create', '--role', 'viewer', '--db', gw.db, '--log-level', 'warn']);
  const key = kc.stdout.trim().split('\n').pop().trim();
  assert.ok(kc.status === 0 && key.startsWith('sgk_'), kc.stderr);
  await page.route(/\/v1\//, async (route) => {
    const req = route.request();
    if (new URL(req.url()).pathname === '/v1/session' && req.method() === 'GET') {
      await route.fulfill({
        status: 200,
        contentType: 'application/json',
        body: JSON.stringify({ user: { id: 'usr_viewer', email: VIEWER.email, role: 'viewer' }, csrf_token: 'test',
          expires_at: new Date(Date.now() + 3600e3).toISOString() }),
      });
      return;
    }
    await route.continue({ headers: { ...req.headers(), authorization: `Bearer ${key}` } });
  });
  await page.goto(gw.url + '/console/');
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

async function createContact(body) {
  const r = await gw.request('POST', '/v1/contacts', body);
  assert.equal(r.status, 201, r.text);
  return r.json;
}

async function openContact(page, id) {
  await page.goto(`${gw.url}/console/contacts/${id}`);
  await page.getByRole('heading', { name: 'Timeline' }).waitFor();
}

const consentOf = (page) => page.locator('dd.consent').innerText();

test('contacts: create with attributes, a field error beside its field, edit, delete after confirmation', async () => {
  await withPage(async ({ page }) => {
    await signIn(gw, page, ADMIN);
    await page.goto(gw.url + '/console/contacts');
    await page.getByRole('heading', { level: 1, name: 'Contacts' }).waitFor();
    await page.getByRole('button', { name: 'Add contact' }).click();
    await page.getByLabel('First name', { exact: true }).fill('Ada');
    await page.getByLabel('Last name', { exact: true }).fill('Lovelace');
    await page.getByLabel('Phone', { exact: true }).fill('12');
    await page.getByRole('button', { name: 'Add attribute' }).click();
    await page.getByLabel('Attribute name 1').fill('city');
    await page.getByLabel('Value 1').fill('London');
    await page.getByRole('button', { name: 'Save contact' }).click();
    // The API's 400 invalid_phone (field phone) beside the field and in the summary.
    await page.locator('#contact-phone-error').waitFor();
    assert.match(await page.locator('#contact-phone-error').innerText(), /not a valid phone number/);
    assert.equal(await page.locator('.error-summary a[href="#contact-phone"]').count(), 1);
    await screenshot(page, 'contacts-add-error');

    await page.getByLabel('Phone', { exact: true }).fill('+447400100001');
    await page.getByRole('button', { name: 'Save contact' }).click();
    await page.getByRole('heading', { level: 1, name: 'Ada Lovelace' }).waitFor();
    assert.match(new URL(page.url()).pathname, /^\/console\/contacts\/ctc_/);
    let c = (await gw.request('GET', '/v1/contacts/%2B447400100001')).json;
    assert.deepEqual(c.attributes, { city: 'London' });
    await screenshot(page, 'contact-page');

    await page.getByRole('button', { name: 'Edit contact' }).click();
    await page.getByLabel('First name', { exact: true }).fill('Augusta');
    await page.getByLabel('Value 1').fill('Paris');
    await page.getByRole('button', { name: 'Add attribute' }).click();
    await page.getByLabel('Attribute name 2').fill('member');
    await page.getByLabel('Value 2').fill('42');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('heading', { level: 1, name: 'Augusta Lovelace' }).waitFor();
    c = (await gw.request('GET', '/v1/contacts/%2B447400100001')).json;
    assert.equal(c.first_name, 'Augusta');
    assert.deepEqual(c.attributes, { city: 'Paris', member: '42' });

    // Removing a row removes the attribute.
    await page.getByRole('button', { name: 'Edit contact' }).click();
    await page.getByRole('button', { name: 'Remove attribute 1' }).click();
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('button', { name: 'Edit contact' }).waitFor();
    c = (await gw.request('GET', '/v1/contacts/%2B447400100001')).json;
    assert.deepEqual(c.attributes, { member: '42' });

    // Delete asks first; Cancel keeps the contact.
    await page.getByRole('button', { name: 'Delete contact' }).click();
    await page.getByRole('button', { name: 'Cancel' }).click();
    assert.equal((await gw.request('GET', '/v1/contacts/%2B447400100001')).status, 200);
    await page.getByRole('button', { name: 'Delete contact' }).click();
    await screenshot(page, 'contact-delete-confirm');
    await page.getByRole('button', { name: 'Yes, delete this contact' }).click();
    await page.getByRole('heading', { level: 1, name: 'Contacts' }).waitFor();
    assert.equal((await gw.request('GET', '/v1/contacts/%2B447400100001')).status, 404);
  }, (text, url) => /\/v1\/contacts$/.test(url) && /status of 400/.test(text));
});

test('a contact named <img src=x onerror=alert(1)> is shown as text, no markup, no dialog', async () => {
  const c = await createContact({ phone: '+447400100002', first_name: HOSTILE, attributes: { note: HOSTILE } });
  await withPage(async ({ page }) => {
    await signIn(gw, page, ADMIN);
    await page.goto(gw.url + '/console/contacts');
    const link = page.getByRole('link', { name: HOSTILE });
    await link.waitFor();
    assert.equal(await link.innerText(), HOSTILE);
    await link.click();
    await page.getByRole('heading', { name: 'Timeline' }).waitFor();
    assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), HOSTILE);
    assert.equal(await page.locator('dd', { hasText: 'onerror' }).count(), 2, 'the name and the attribute, as text');
    assert.equal(await page.locator('img').count(), 0, 'no <img> element was made');
    await page.waitForLoadState('networkidle');
    await screenshot(page, 'contact-hostile-name');
  });
  assert.ok(c.id);
});

test('contacts: the API searches by number or name, the search survives a reload; export is a link to the API', async () => {
  await createContact({ phone: '+447400100005', first_name: 'Findme', last_name: 'Person' });
  await createContact({ phone: '+447400100015', first_name: 'Other', last_name: 'Findmore',
    attributes: { email: 'other@search.example' } });
  const names = (page) => page.locator('tbody tr td:first-child').allInnerTexts();
  await withPage(async ({ page }) => {
    await signIn(gw, page, ADMIN);
    await page.goto(gw.url + '/console/contacts');
    await page.getByRole('link', { name: 'Findme Person' }).waitFor();
    // the start of a number: in number order
    await page.getByLabel('Search contacts').fill('+44 7400 1000');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByText('contacts match “+44 7400 1000”').waitFor();
    assert.equal(new URL(page.url()).searchParams.get('q'), '+44 7400 1000');
    const byNumber = await page.locator('tbody tr td:nth-child(2)').allInnerTexts();
    assert.deepEqual(byNumber, [...byNumber].sort());
    assert.ok(byNumber.includes('+447400100005') && byNumber.includes('+447400100015'));
    // a name, and an email; the search is in the address, so a reload keeps it
    await page.getByLabel('Search contacts').fill('findm');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByText('2 contacts match “findm”').waitFor();
    assert.deepEqual(await names(page), ['Other Findmore', 'Findme Person']);
    await page.reload();
    await page.getByText('2 contacts match “findm”').waitFor();
    assert.equal(await page.getByLabel('Search contacts').inputValue(), 'findm');
    await page.getByLabel('Search contacts').fill('search.example');
    await page.keyboard.press('Enter');
    await page.getByText('1 contact matches “search.example”').waitFor();
    assert.deepEqual(await names(page), ['Other Findmore']);
    // a search smsgate refuses (too long): its words beside the field
    await page.getByLabel('Search contacts').fill('x'.repeat(65));
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.locator('#contact-search-error', { hasText: 'at most 64 bytes' }).waitFor();
    assert.equal(await page.getByLabel('Search contacts').getAttribute('aria-invalid'), 'true');
    await page.getByRole('button', { name: 'Clear search' }).click();
    await page.getByText(/contacts listed/).waitFor();
    assert.equal(new URL(page.url()).search, '');
    await screenshot(page, 'contacts-search');
    const exp = page.getByRole('link', { name: 'Export contacts (CSV)' });
    assert.equal(await exp.getAttribute('href'), '/v1/contacts/export');
  }, (text, url) => /\/v1\/contacts\?.*q=xxxx/.test(url) && /status of 400/.test(text));
  const r = await fetch(gw.url + '/v1/contacts/export', { headers: { Authorization: `Bearer ${gw.key}` } });
  assert.equal(r.status, 200);
  assert.match(await r.text(), /\+447400100005,Findme,Person/);
});

test('a STOP reply through the simulator shows the contact opted out on its page', async () => {
  const c = await createContact({ phone: '+447400100006', first_name: 'Stop', last_name: 'Sender' });
  const providers = (await gw.request('GET', '/v1/providers')).json.data;
  const inbound = providers[0].callback_urls.inbound;
  const r = runCli(['simulate', 'inject', '--to-url', inbound, '--from', '+447400100006', '--to', '+15005550006',
    '--body', 'STOP', '--auth-token', AUTH_TOKEN, '--account-sid', ACCOUNT_SID]);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  await waitFor(async () => (await gw.request('GET', `/v1/contacts/${c.id}`)).json?.opted_out, 'the opt-out');
  await withPage(async ({ page }) => {
    await signIn(gw, page, ADMIN);
    await openContact(page, c.id);
    assert.equal(await consentOf(page), 'Opted out');
    const timeline = page.locator('.timeline');
    await timeline.getByText('Reply', { exact: true }).waitFor();
    await timeline.getByText('STOP', { exact: true }).waitFor();
    await timeline.getByText('Opted out', { exact: true }).waitFor();
    assert.match(await timeline.innerText(), /subscribed → opted_out by a reply/);
    await screenshot(page, 'contact-opted-out-by-stop');
  });
});

test('opt-out by hand then opt-in, on the contact page and on the Opt-outs page', async () => {
  const c = await createContact({ phone: '+447400100007', first_name: 'Hand', last_name: 'Made' });
  await withPage(async ({ page }) => {
    await signIn(gw, page, ADMIN);
    await openContact(page, c.id);
    assert.equal(await consentOf(page), 'Subscribed');
    await page.getByLabel('Reason (optional)').fill('asked on the phone');
    await page.getByRole('button', { name: 'Opt out', exact: true }).click();
    await page.locator('dd.consent', { hasText: 'Opted out' }).waitFor();
    await page.locator('.timeline').getByText('Opted out', { exact: true }).waitFor();
    assert.equal((await gw.request('GET', `/v1/contacts/${c.id}`)).json.opted_out, true);

    // The Opt-outs page lists it; search finds it; opt in after confirmation.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Opt-outs' }).click();
    await page.getByRole('heading', { level: 1, name: 'Opt-outs' }).waitFor();
    await page.getByLabel('Search opt-outs').fill('100007');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByText('1 opt-out matches “100007”').waitFor();
    assert.equal(new URL(page.url()).searchParams.get('q'), '100007');
    const row = page.locator('tbody tr', { hasText: '+447400100007' });
    await row.waitFor();
    assert.match(await row.innerText(), /By hand\s+asked on the phone/);
    await screenshot(page, 'opt-outs');
    await row.getByRole('button', { name: 'Opt in +447400100007' }).click();
    await row.getByRole('button', { name: 'Yes, opt back in' }).click();
    await page.getByText('+447400100007 is opted back in.').waitFor();
    await waitFor(async () => (await page.locator('tbody tr', { hasText: '+447400100007' }).count()) === 0, 'the row to go');
    assert.equal((await gw.request('GET', `/v1/contacts/${c.id}`)).json.opted_out, false);

    // Add a number by hand on the Opt-outs page, then opt it in from its contact page.
    await page.getByRole('button', { name: 'Clear search' }).click();
    await page.getByLabel('Phone', { exact: true }).fill('+447400100007');
    await page.getByRole('button', { name: 'Opt out', exact: true }).click();
    await page.getByText('+447400100007 is opted out.').waitFor();
    await page.locator('tbody tr', { hasText: '+447400100007' }).waitFor();
    await openContact(page, c.id);
    assert.equal(await consentOf(page), 'Opted out');
    await page.getByRole('button', { name: 'Opt in', exact: true }).click();
    await page.getByRole('button', { name: 'Yes, opt back in' }).click();
    await page.locator('dd.consent', { hasText: 'Subscribed' }).waitFor();
    await page.locator('.timeline').getByText('Opted in', { exact: true }).first().waitFor();
    assert.equal((await gw.request('GET', `/v1/contacts/${c.id}`)).json.opted_out, false);
    await screenshot(page, 'contact-opted-in');
  });
});

test('a viewer sees contacts and opt-outs with no write controls', async () => {
  const c = await createContact({ phone: '+447400100008', first_name: 'Viewed', attributes: { city: 'York' } });
  await gw.request('POST', '/v1/optouts', { phone: '+447400100008', reason: 'test' });
  await withPage(async ({ page }) => {
    await signInViewer(page);
    await page.goto(gw.url + '/console/contacts');
    await page.getByRole('link', { name: 'Viewed' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Add contact' }).count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Import contacts (CSV)' }).count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Import', exact: true }).count(), 0);
    assert.equal(await page.getByLabel('CSV file', { exact: true }).count(), 0);
    await page.getByRole('link', { name: 'Export contacts (CSV)' }).waitFor();
    await openContact(page, c.id);
    assert.equal(await consentOf(page), 'Opted out');
    for (const name of ['Edit contact', 'Delete contact', 'Opt out', 'Opt in']) {
      assert.equal(await page.getByRole('button', { name, exact: true }).count(), 0, name);
    }
    await page.goto(gw.url + '/console/opt-outs');
    await page.locator('tbody tr', { hasText: '+447400100008' }).waitFor();
    assert.equal(await page.getByRole('heading', { name: 'Opt out a number' }).count(), 0);
    assert.equal(await page.getByRole('button', { name: /Opt (in|out)/ }).count(), 0);
    await screenshot(page, 'opt-outs-viewer');
  });
});

test('360 px wide: the contact form and a contact with a long attribute need no sideways scrolling', async () => {
  const c = await createContact({ phone: '+447400100009', first_name: 'Narrow',
    attributes: { ['a_very_long_attribute_name_without_spaces_'.repeat(2)]: 'x'.repeat(80) } });
  const p = await newPage(browser, { viewport: { width: 360, height: 740 } });
  try {
    const { page } = p;
    await signIn(gw, page, ADMIN);
    const noSideways = () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
    await openContact(page, c.id);
    assert.ok(await noSideways(), 'contact page fits');
    await page.getByRole('button', { name: 'Edit contact' }).click();
    await page.getByLabel('Value 1').waitFor();
    assert.ok(await noSideways(), 'edit form fits');
    await screenshot(page, 'contact-360');
    await page.goto(gw.url + '/console/opt-outs');
    await page.getByRole('heading', { level: 1, name: 'Opt-outs' }).waitFor();
    assert.ok(await noSideways(), 'opt-outs page fits');
    assert.deepEqual(p.problems, []);
  } finally {
    await p.context.close();
  }
});

// Last: the 400 contacts it adds push later ones past the list's first page
// (the list is in the order the contacts were made).
test('CSV import: progress to the end, the rejected rows listed with their line numbers', async () => {
  const good = Array.from({ length: 400 }, (_, i) => `+4474002${String(i).padStart(5, '0')},Row,${i},Leeds`);
  const csv = [
    'phone,first_name,last_name,city', // line 1
    '+447400100003,Grace,Hopper,Arlington', // line 2
    'not-a-phone,Bad,Number,X', // line 3
    ',No,Phone,X', // line 4
    '+447400100004,Too,Many,Fields,Here', // line 5
    ...good, // lines 6..405
  ].join('\n') + '\n';
  await withPage(async ({ page }) => {
    await signIn(gw, page, ADMIN);
    await page.goto(gw.url + '/console/contacts');
    await page.getByRole('button', { name: 'Import contacts (CSV)' }).click();
    await page.getByRole('heading', { level: 2, name: 'Import contacts from a CSV file' }).waitFor();
    await page.getByLabel('CSV file', { exact: true }).setInputFiles({ name: 'people.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByText('Import finished: 100%').waitFor();
    assert.equal(await page.locator('#import-progress').evaluate((el) => el.value), 100);
    await page.getByText('401 new contacts, 0 contacts updated, 3 rows rejected.').waitFor();
    const rejected = page.getByRole('table', { name: 'Rejected rows' });
    const lines = await rejected.locator('tbody tr td:first-child').allInnerTexts();
    assert.deepEqual(lines, ['3', '4', '5']);
    const codes = await rejected.locator('tbody tr td:nth-child(2)').allInnerTexts();
    assert.deepEqual(codes, ['invalid_phone', 'missing_phone', 'bad_row']);
    assert.match(await rejected.locator('tbody tr').nth(2).innerText(), /5 fields where the header has 4/);
    await screenshot(page, 'contacts-import');
    // The list was reloaded: now a full first page, with more to show.
    await page.getByText('50 contacts listed (more below)').waitFor();
  });
  const c = (await gw.request('GET', '/v1/contacts/%2B447400100003')).json;
  assert.deepEqual(c.attributes, { city: 'Arlington' });
});

test('CSV import: the bar follows the import job while the upload is still going on', async () => {
  const csv = 'phone,first_name\n' + Array.from({ length: 50 }, (_, i) => `+4474003${String(i).padStart(5, '0')},Job${i}`).join('\n') + '\n';
  let jobId = null;
  await withPage(async ({ page }) => {
    await signIn(gw, page, ADMIN);
    // Hold the upload in the browser, and answer the job's readings with a job
    // half-way through (the server's own side is tests/e2e/test_import_jobs.py).
    let release;
    const released = new Promise((r) => { release = r; });
    await page.route(/\/v1\/contacts\/import\?job=/, async (route) => {
      jobId = new URL(route.request().url()).searchParams.get('job');
      await released;
      await route.continue();
    });
    await page.route(/\/v1\/contacts\/imports\/imp_/, async (route) => {
      const half = { id: jobId, status: 'importing', size: csv.length, bytes: Math.ceil(csv.length / 2), rows: 25,
        imported: 20, updated: 0, rejected_count: 0, rejected: null, error: null };
      await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(half) });
    });
    await page.goto(gw.url + '/console/contacts');
    await page.getByRole('button', { name: 'Import contacts (CSV)' }).click();
    await page.getByLabel('CSV file', { exact: true }).setInputFiles({ name: 'job.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByText('Importing… 50%').waitFor();
    assert.equal(await page.locator('#import-progress').evaluate((el) => el.value), 50);
    assert.match(await page.getByRole('status').filter({ hasText: 'Importing' }).innerText(), /25 rows read/);
    assert.ok(jobId?.startsWith('imp_'), `the upload names its job (${jobId})`);
    release();
    await page.getByText('Import finished: 100% (50 rows read)').waitFor();
    await page.getByText('50 new contacts, 0 contacts updated, 0 rows rejected.').waitFor();
  });
  const job = (await gw.request('GET', `/v1/contacts/imports/${jobId}`)).json;
  assert.equal(job.status, 'done');
  assert.equal(job.imported, 50);
});

