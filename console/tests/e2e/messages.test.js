// The Send and Messages pages in chromium against real `smsgate serve` and the
// Twilio simulator (with status callbacks, so messages reach delivered).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { allowSessionProbe, createUser, launchBrowser, newPage, screenshot, signIn, startGateway, waitFor } from './harness.js';
import { analyzeSms } from '../../src/sms_text.js';

const ADMIN = { email: 'admin@example.org', password: 'correct horse battery staple' };
const VIEWER = { email: 'viewer@example.org', password: 'correct horse battery staple', role: 'viewer' };
const FAILS = '+15005550009'; // the simulator answers 400 / 21614 for this To (docs/internals/simulator.md)
const XSS = '<img src=x onerror=alert(1)>';

let gw;
let browser;

before(async () => {
  gw = await startGateway('messages', { callbacks: true });
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

async function withPage(user, fn, opts = {}) {
  const p = await newPage(browser, opts);
  // An alert would mean a body was rendered as markup.
  const dialogs = [];
  p.page.on('dialog', (d) => {
    dialogs.push(d.message());
    d.dismiss().catch(() => {});
  });
  try {
    await signIn(gw, p.page, user);
    await fn(p);
    assert.deepEqual(dialogs, [], 'no dialog opened');
    assert.deepEqual(p.problems, [], 'no errors in the browser console');
    assert.deepEqual(await p.cspViolations(), [], 'no CSP violations');
  } finally {
    await p.context.close();
  }
}

const send = (body) => gw.request('POST', '/v1/messages', body);
const counter = (page) => page.locator('#body-counter');
const part = (page, id) => page.getByTestId(id).innerText();

test('the Send page sends a message and follows it to delivered, with a link to its page', async () => {
  await withPage(ADMIN, async ({ page }) => {
    await page.getByRole('link', { name: 'Send', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Send' }).waitFor();
    await page.getByLabel('To', { exact: true }).fill('+447400123456');
    assert.match(await page.getByLabel('Provider').innerText(), /Default \(sim\)/);
    await page.getByLabel('Message', { exact: true }).fill('Your table is ready');
    await screenshot(page, 'send');
    await page.getByRole('button', { name: 'Send message' }).click();
    await page.getByText('Status: delivered').waitFor();
    await screenshot(page, 'send-delivered');
    await page.getByRole('link', { name: /View the message msg_/ }).click();
    await page.getByRole('heading', { level: 1, name: 'Message' }).waitFor();
    await page.getByText('Status: delivered').waitFor();
    const events = await page.locator('.timeline__item').allInnerTexts();
    assert.ok(events.some((e) => /queued/.test(e)), events.join('\n'));
    assert.ok(events.some((e) => /delivered/.test(e)), events.join('\n'));
    assert.equal(await page.locator('[aria-current="page"]').innerText(), 'Messages');
    await screenshot(page, 'message-delivered');
  });
});

test('the counter: GSM-7 with € counting 2, UCS-2 with ł or an emoji, each such character marked', async () => {
  await withPage(ADMIN, async ({ page }) => {
    await page.goto(gw.url + '/console/send');
    const body = page.getByLabel('Message', { exact: true });
    await body.fill('Price: 5€');
    assert.equal(await part(page, 'encoding'), 'GSM-7');
    assert.equal(await part(page, 'chars'), '9');
    assert.match(await counter(page).innerText(), /\(10 septets\)/);
    assert.equal(await page.locator('.counter__preview mark').count(), 0);

    await body.fill('Dzień dobry, Łódź');
    assert.equal(await part(page, 'encoding'), 'UCS-2');
    assert.deepEqual(await page.locator('.counter__preview mark').allInnerTexts(), ['ń', 'Ł', 'ó', 'ź']);

    await body.fill('');
    await body.pressSequentially('zał');
    assert.equal(await part(page, 'encoding'), 'UCS-2', 'live, while typing');
    assert.deepEqual(await page.locator('.counter__preview mark').allInnerTexts(), ['ł']);
    await body.fill('hi 😀');
    assert.equal(await part(page, 'encoding'), 'UCS-2');
    assert.equal(await part(page, 'chars'), '4');
    assert.deepEqual(await page.locator('.counter__preview mark').allInnerTexts(), ['😀']);
    assert.match(await page.locator('.counter__why').innerText(), /U\+1F600/);
    await screenshot(page, 'send-counter-ucs2');

    await body.fill('a'.repeat(161));
    assert.equal(await part(page, 'segments'), '2');
    await body.fill('ł'.repeat(71));
    assert.equal(await part(page, 'segments'), '2');
  });
});

test('the counter agrees with the server on encoding and segments', async () => {
  const bodies = ['Hello', '€'.repeat(80), '€'.repeat(81), 'a'.repeat(152) + '€' + 'a'.repeat(152), 'zał',
    'ł'.repeat(70), 'ł'.repeat(71), '😀'.repeat(36), 'ł'.repeat(66) + '😀' + 'ł'.repeat(66), 'back`quote',
    'a'.repeat(160), 'a'.repeat(161), 'Γειά ΣΑΣ', 'ΓΔΘΛΞΠΣΦΨΩ{}[]~|^\\'];
  for (const b of bodies) {
    const r = await send({ to: '+447400123456', body: b, send_at: new Date(Date.now() + 86400e3).toISOString() });
    assert.equal(r.status, 202, r.text);
    const mine = analyzeSms(b);
    assert.deepEqual([mine.encoding, mine.segments], [r.json.encoding, r.json.segments], JSON.stringify(b));
  }
});

test('a schedule in local time is sent to the API as that moment in UTC', async () => {
  await withPage(ADMIN, async ({ page }) => {
    await page.goto(gw.url + '/console/send');
    await page.getByLabel('To', { exact: true }).fill('+447400123456');
    await page.getByLabel('Message', { exact: true }).fill('see you tomorrow');
    const local = await page.evaluate(() => {
      const d = new Date(Date.now() + 86400e3);
      const p = (n) => String(n).padStart(2, '0');
      return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
    });
    const want = await page.evaluate((v) => new Date(v).toISOString(), local);
    await page.getByLabel('Schedule (optional)').fill(local);
    await page.getByRole('button', { name: 'Schedule message' }).click();
    await page.getByText('Status: scheduled').waitFor();
    const href = await page.getByRole('link', { name: /View the message/ }).getAttribute('href');
    const m = await gw.request('GET', `/v1/messages/${href.split('/').pop()}`);
    assert.equal(new Date(m.json.send_at).toISOString(), want);
  });
});

test('errors from the API are shown beside their fields', async () => {
  await withPage(ADMIN, async ({ page }) => {
    await page.goto(gw.url + '/console/send');
    await page.getByLabel('To', { exact: true }).fill('not a number');
    await page.getByLabel('Message', { exact: true }).fill('hi');
    await page.getByRole('button', { name: 'Send message' }).click();
    const err = page.locator('#to-error');
    await err.waitFor();
    assert.match(await err.innerText(), /not a valid phone number/);
    assert.equal(await page.getByLabel('To', { exact: true }).getAttribute('aria-invalid'), 'true');
    await page.locator('.error-summary a[href="#to"]').waitFor();
    await screenshot(page, 'send-field-error');
  }, { allow: (text, where) => allowSessionProbe(text, where) ||
    (/\/v1\/messages$/.test(where) && /status of 400/.test(text)) });
});

test('a send the provider refuses shows its error code and description on the message page', async () => {
  await withPage(ADMIN, async ({ page }) => {
    await page.goto(gw.url + '/console/send');
    await page.getByLabel('To', { exact: true }).fill(FAILS);
    await page.getByLabel('Message', { exact: true }).fill('This one fails');
    await page.getByRole('button', { name: 'Send message' }).click();
    await page.getByText('Status: failed (error 21614)').waitFor();
    await page.getByRole('link', { name: /View the message/ }).click();
    await page.getByRole('heading', { level: 2, name: /Error 21614: 'To' number is not a valid mobile number/ }).waitFor();
    assert.ok((await page.getByTestId('error-meaning').innerText()).length > 10);
    await screenshot(page, 'message-failed');
  });
});

test('a scheduled message can be canceled from its page', async () => {
  const r = await send({ to: '+447400123456', body: 'later', send_at: new Date(Date.now() + 3600e3).toISOString() });
  assert.equal(r.json.status, 'scheduled');
  await withPage(ADMIN, async ({ page }) => {
    await page.goto(`${gw.url}/console/messages/${r.json.id}`);
    await page.getByText('Status: scheduled').waitFor();
    await page.getByRole('button', { name: 'Cancel message' }).click();
    await page.getByText('Status: canceled').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Cancel message' }).count(), 0);
  });
});

test('filters narrow the list: status=failed shows only failed messages', async () => {
  const ok = await send({ to: '+447400123457', body: 'fine' });
  const bad = await send({ to: FAILS, body: 'refused' });
  await waitFor(async () => (await gw.request('GET', `/v1/messages/${bad.json.id}`)).json?.status === 'failed', 'failed');
  await withPage(ADMIN, async ({ page }) => {
    await page.goto(gw.url + '/console/messages');
    await page.getByRole('heading', { level: 1, name: 'Messages' }).waitFor();
    await page.locator('tbody tr').first().waitFor();
    const all = await page.locator('tbody tr').count();
    await page.getByLabel('Status').selectOption('failed');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByText(/^Page 1: \d+ messages?$/).waitFor();
    const statuses = await page.locator('tbody tr td:nth-child(3)').allInnerTexts();
    assert.ok(statuses.length >= 1 && statuses.length < all, `${statuses.length} of ${all}`);
    assert.ok(statuses.every((s) => s === 'failed'), statuses.join(','));
    assert.equal(await page.locator(`a[href="/console/messages/${ok.json.id}"]`).count(), 0);
    await page.locator(`a[href="/console/messages/${bad.json.id}"]`).waitFor();
    await screenshot(page, 'messages-failed');
    // The number filter too.
    await page.getByLabel('Status').selectOption('');
    await page.getByLabel('Number').fill('+447400123457');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByText('Page 1: 1 message').waitFor();
    // Error code, and days in the browser's zone (today has them; up to yesterday has none).
    await page.getByLabel('Number').fill('');
    await page.getByLabel('Error code').fill('21614');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByText(/^Page 1: \d+ messages?$/).waitFor();
    const codes = await page.locator('tbody tr td:nth-child(5)').allInnerTexts();
    assert.ok(codes.length >= 1 && codes.every((c) => c === '21614'), codes.join(','));
    const day = (offset) => page.evaluate((o) => {
      const d = new Date();
      d.setDate(d.getDate() + o);
      return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
    }, offset);
    await page.getByLabel('Error code').fill('');
    await page.getByLabel('From day').fill(await day(0));
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.locator(`a[href="/console/messages/${ok.json.id}"]`).waitFor();
    await page.getByLabel('From day').fill('');
    await page.getByLabel('To day').fill(await day(-1));
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByText('No message matches these filters.', { exact: false }).waitFor();
  });
});

test('paging: ten a page, Next and Previous through more than one page by cursor', async () => {
  const to = '+447400555000';
  const r = await gw.request('POST', '/v1/messages/batch', {
    messages: Array.from({ length: 30 }, (_, i) => ({ to, body: `paged ${i}` })),
  });
  assert.equal(r.json.accepted.length, 30, r.text);
  await withPage(ADMIN, async ({ page }) => {
    const requests = [];
    page.on('request', (q) => q.url().includes('/v1/messages?') && requests.push(new URL(q.url())));
    await page.goto(gw.url + '/console/messages?limit=10');
    await page.getByLabel('Number').fill(to);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    const seen = [];
    for (let n = 1; n <= 3; n++) {
      await page.getByText(`Page ${n}: 10 messages`).waitFor();
      seen.push(...(await page.locator('tbody td.cell-body').allInnerTexts()));
      if (n < 3) await page.getByRole('button', { name: 'Next' }).click();
    }
    assert.equal(new Set(seen).size, 30, 'three pages, thirty different messages');
    // (A batch's messages share a millisecond, so their order is the ids'.)
    await page.getByRole('button', { name: 'Previous' }).click();
    await page.getByText('Page 2: 10 messages').waitFor();
    assert.deepEqual(await page.locator('tbody td.cell-body').allInnerTexts(), seen.slice(10, 20));
    assert.ok(requests.every((u) => u.searchParams.get('limit') === '10'), 'never more than a page');
    assert.ok(requests.some((u) => u.searchParams.get('cursor')), 'the cursor was used');
    await screenshot(page, 'messages-page-2');
  });
});

test('a hostile body is rendered as text in the list and on the message page', async () => {
  const r = await send({ to: '+447400123458', body: XSS });
  await withPage(ADMIN, async ({ page }) => {
    await page.goto(gw.url + '/console/messages');
    await page.getByRole('cell', { name: XSS }).waitFor();
    await page.goto(`${gw.url}/console/messages/${r.json.id}`);
    await page.locator('.body-text', { hasText: XSS }).waitFor();
    assert.equal(await page.locator('main img').count(), 0, 'no <img> element was made');
  });
});

test('a viewer sees the messages but no Send form and no Cancel', async () => {
  const r = await send({ to: '+447400123459', body: 'view me', send_at: new Date(Date.now() + 3600e3).toISOString() });
  await withPage(VIEWER, async ({ page }) => {
    await page.goto(gw.url + '/console/send');
    await page.getByText('Your role (viewer) cannot send messages.').waitFor();
    assert.equal(await page.getByRole('button', { name: /Send message/ }).count(), 0);
    assert.equal(await page.locator('textarea, input').count(), 0);
    await page.goto(`${gw.url}/console/messages/${r.json.id}`);
    await page.getByText('Status: scheduled').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Cancel message' }).count(), 0);
    await screenshot(page, 'message-viewer');
    if (gw.sessions) {
      // The API refuses the viewer's forced write (with a valid CSRF token), too.
      const status = await page.evaluate(async (id) => {
        const sess = await (await fetch('/v1/session')).json();
        const r = await fetch(`/v1/messages/${id}/cancel`, {
          method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': sess.csrf_token }, body: '{}',
        });
        return [r.status, (await r.json()).code];
      }, r.json.id);
      assert.equal(status[0], 403);
      assert.notEqual(status[1], 'csrf_failed', 'refused for the role, not the token');
      assert.equal((await gw.request('GET', `/v1/messages/${r.json.id}`)).json.status, 'scheduled');
    }
  }, { allow: (text, where) => allowSessionProbe(text, where) ||
    (/\/cancel$/.test(where) && /status of 403/.test(text)) });
});

test('360 px wide: Send (with a long marked body), Messages and a message fit without sideways scroll', async () => {
  const r = await send({ to: FAILS, body: 'ł'.repeat(200) + 'x'.repeat(300) });
  await waitFor(async () => (await gw.request('GET', `/v1/messages/${r.json.id}`)).json?.status === 'failed', 'failed');
  await withPage(ADMIN, async ({ page }) => {
    const fits = async (what) => {
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${what}: ${overflow}px wider than the screen`);
    };
    await page.goto(gw.url + '/console/send');
    await page.getByLabel('Message', { exact: true }).fill('ł'.repeat(100) + 'y'.repeat(200));
    await page.locator('.counter__preview mark').first().waitFor();
    await fits('send');
    await screenshot(page, 'narrow-send');
    await page.goto(gw.url + '/console/messages');
    await page.locator('tbody tr').first().waitFor();
    await fits('messages');
    await screenshot(page, 'narrow-messages');
    await page.goto(`${gw.url}/console/messages/${r.json.id}`);
    await page.getByText('Status: failed').waitFor();
    await fits('message');
    await screenshot(page, 'narrow-message');
  }, { viewport: { width: 360, height: 740 } });
});
