// The Journeys pages in a real browser against real `smsgate serve` and
// simulator processes: build a three-step journey with the structured step
// editor (a reply step with an answer pointing nowhere is refused, with the
// API's words), switch it on, enrol a number and see the contact go through
// (the first text reaches the simulator, the contact waits for a reply, the
// counts per step move), edit it into version 2; a viewer sees the journey
// and its counts without a button, and forced writes are refused.
// Screenshots: build/console-e2e/.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { createUser, launchBrowser, screenshot, signIn, startGateway, withCheckedPage } from './harness.js';

const ADMIN = { email: 'journeys-admin@example.org', password: 'correct horse battery staple' };
const VIEWER = { email: 'journeys-viewer@example.org', password: 'correct horse battery staple', role: 'viewer' };
const HOSTILE = 'Offers <img src=x onerror=alert(1)>';
const PHONE = '+447400123456';

let gw;
let browser;

before(async () => {
  gw = await startGateway('journeys');
  createUser(gw.db, ADMIN.email, ADMIN.password, 'admin');
  createUser(gw.db, VIEWER.email, VIEWER.password, 'viewer');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await gw?.stop();
});

const refused = (text, where) => /\/v1\/journeys/.test(where) && /status of 4\d\d/.test(text);

async function simMessages(to) {
  const r = await fetch(`${gw.simUrl}/sim/messages?to=${encodeURIComponent(to)}`);
  return (await r.json()).messages;
}

async function until(fn, what, ms = 15000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('journeys: build with the step editor, a wrong target refused, switch on, enrol, follow, edit', async () => {
  await withCheckedPage(browser, async ({ page }) => {
    await signIn(gw, page, ADMIN);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Journeys' }).click();
    await page.getByRole('heading', { level: 1, name: 'Journeys' }).waitFor();
    await page.getByText('No journey yet.').waitFor();
    await page.getByRole('link', { name: 'New journey' }).click();
    await page.getByRole('heading', { level: 1, name: 'New journey' }).waitFor();

    await page.getByLabel('Name', { exact: true }).fill(HOSTILE);
    await page.getByLabel('Step 1 id').fill('ask');
    await page.getByLabel('Step 1: Text').fill('Hi, reply YES for offers');
    await page.getByRole('button', { name: 'Add a step' }).click();
    await page.getByLabel('Step 2 id').fill('answer');
    await page.getByLabel('Step 2: what happens').selectOption('wait_for_reply');
    await page.getByLabel('Step 2: How long to wait, in seconds').fill('3600');
    await page.getByRole('button', { name: 'Add an answer to step 2' }).click();
    await page.getByLabel('Answer 1', { exact: true }).fill('YES*');
    await page.getByLabel('Answer 1 goes to step').fill('nowhere');
    await page.getByRole('button', { name: 'Add a step' }).click();
    await page.getByLabel('Step 3 id').fill('thanks');
    await page.getByLabel('Step 3: Text').fill('Thanks!');
    await page.getByRole('button', { name: 'Save journey' }).click();

    const summary = page.getByRole('alert').filter({ hasText: 'There is a problem' });
    await summary.waitFor();
    assert.match(await summary.innerText(), /no step "nowhere"/);
    await screenshot(page, 'journey-refused');

    await page.getByLabel('Answer 1 goes to step').fill('thanks');
    await page.getByRole('button', { name: 'Save journey' }).click();
    await page.getByRole('heading', { level: 1, name: HOSTILE }).waitFor();
    assert.equal(await page.locator('#journey-state').innerText(), 'Draft (off)');
    assert.equal(await page.locator('img').count(), 0, 'the name is text, not markup');
    const steps = page.getByRole('region', { name: 'Steps table' });
    assert.match(await steps.innerText(), /Wait up to 1 hour for a reply \(YES\* → thanks\)/);

    await page.getByRole('button', { name: 'Switch on' }).click();
    await page.getByRole('status').filter({ hasText: 'Switch on: done.' }).waitFor();
    assert.equal(await page.locator('#journey-state').innerText(), 'On');

    await page.getByLabel('Phone numbers or contact ids').fill(`${PHONE}\n`);
    await page.getByRole('button', { name: 'Enrol', exact: true }).click();
    await page.getByRole('list', { name: 'Enrolment results' }).getByText(`${PHONE}: enrolled`).waitFor();

    // the first text goes out, then the contact waits for a reply (the page refreshes while it is on)
    await until(async () => (await simMessages(PHONE)).some((m) => m.body === 'Hi, reply YES for offers'), 'the first text');
    const people = page.getByRole('region', { name: 'Enrolments table' });
    await people.getByRole('row').filter({ hasText: PHONE }).filter({ hasText: 'A reply' }).waitFor({ timeout: 15000 });
    assert.match(await people.innerText(), /answer/);
    const ask = steps.getByRole('row').filter({ hasText: 'Send “Hi, reply YES for offers”' }).locator('td');
    const cells = async () => (await ask.allInnerTexts()).slice(2, 5).join(' ');
    await until(async () => (await cells()) === '1 1 1', 'entered, finished and sent 1 at the first step');
    await screenshot(page, 'journey-running');

    // the editor opens with the saved steps; saving makes version 2
    await page.getByRole('link', { name: 'Edit' }).click();
    await page.getByText('Saving makes version 2').waitFor();
    assert.equal(await page.getByLabel('Answer 1 goes to step').inputValue(), 'thanks');
    await page.getByLabel('Step 3: Text').fill('Thank you!');
    await page.getByRole('button', { name: 'Save journey' }).click();
    await page.getByRole('heading', { level: 1, name: HOSTILE }).waitFor();
    await page.getByRole('region', { name: 'Steps table' }).getByText('Send “Thank you!”').waitFor();
  }, refused);
});

test('journeys: a viewer sees the journey and its counts, no button; a forced write is refused', async () => {
  await withCheckedPage(browser, async ({ page }) => {
    await signIn(gw, page, VIEWER);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Journeys' }).click();
    await page.getByRole('link', { name: HOSTILE }).click();
    await page.getByRole('heading', { level: 1, name: HOSTILE }).waitFor();
    await page.getByRole('region', { name: 'Steps table' }).waitFor();
    for (const name of ['Pause', 'Archive', 'Switch on', 'Enrol']) assert.equal(await page.getByRole('button', { name }).count(), 0, name);
    assert.equal(await page.getByRole('link', { name: 'Edit' }).count(), 0);
    assert.equal(await page.getByRole('link', { name: 'New journey' }).count(), 0);
    const id = page.url().split('/journeys/')[1];
    assert.ok(gw.sessions, 'this smsgate has console sessions');
    // The API refuses the viewer's forced writes (with a valid CSRF token).
    const answers = await page.evaluate(async (jid) => {
      const sess = await (await fetch('/v1/session')).json();
      const h = { 'Content-Type': 'application/json', 'X-CSRF-Token': sess.csrf_token };
      const out = [];
      for (const [method, path, body] of [
        ['POST', `/v1/journeys/${jid}/pause`, {}], ['POST', `/v1/journeys/${jid}/archive`, {}],
        ['PATCH', `/v1/journeys/${jid}`, { name: 'x' }], ['POST', `/v1/journeys/${jid}/enroll`, { contacts: ['+14155552671'] }],
        ['POST', '/v1/journeys', { name: 'x', trigger: { type: 'api' }, steps: [{ id: 'a', type: 'end' }] }],
      ]) {
        const r = await fetch(path, { method, headers: h, body: JSON.stringify(body) });
        out.push([method, path, r.status, (await r.json()).code]);
      }
      return out;
    }, id);
    for (const a of answers) assert.deepEqual(a.slice(2), [403, 'forbidden'], a.join(' '));
    const j = await gw.request('GET', `/v1/journeys/${id}`);
    assert.equal(j.json.state, 'active');
    assert.equal(j.json.name, HOSTILE);
  }, refused);
});
