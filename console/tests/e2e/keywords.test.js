// The Keywords page in a real browser against real `smsgate serve` and simulator
// processes: add a JOIN rule with the structured action editor, see it listed
// by priority, the API's refusal (an opt-out keyword) beside its field, edit a
// rule's priority (the order changes), delete after confirmation; a viewer sees
// the list without the buttons. Screenshots: build/console-e2e/.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { createUser, launchBrowser, screenshot, signIn, startGateway, withCheckedPage } from './harness.js';

const ADMIN = { email: 'keywords-admin@example.org', password: 'correct horse battery staple' };
const VIEWER = { email: 'keywords-viewer@example.org', password: 'correct horse battery staple', role: 'viewer' };

let gw;
let browser;

before(async () => {
  gw = await startGateway('keywords');
  createUser(gw.db, ADMIN.email, ADMIN.password, 'admin');
  createUser(gw.db, VIEWER.email, VIEWER.password, 'viewer');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await gw?.stop();
});

const refusedPost = (text, where) => /\/v1\/keywords$/.test(where) && /status of 4\d\d/.test(text);

test('add a JOIN rule with its actions; an opt-out keyword is refused beside the field; edit; delete', async () => {
  await withCheckedPage(browser, async ({ page }) => {
    await signIn(gw, page, ADMIN);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Keywords' }).click();
    await page.getByRole('heading', { level: 1, name: 'Keywords' }).waitFor();
    await page.getByText('No keyword rule yet.').waitFor();

    // refused: STOP belongs to the opt-out keywords
    await page.getByRole('button', { name: 'Add a rule' }).click();
    await page.getByLabel('Keyword', { exact: true }).fill('stop');
    await page.getByLabel('Action 1: Reply text').fill('hi');
    await page.getByRole('button', { name: 'Save rule' }).click();
    const summary = page.getByRole('alert').filter({ hasText: 'There is a problem' });
    await summary.waitFor();
    assert.match(await summary.innerText(), /opt-out keyword/);
    assert.equal(await page.getByLabel('Keyword', { exact: true }).getAttribute('aria-invalid'), 'true');

    // JOIN news: first word, add to the group {{rest}} with two replies, then a webhook
    await page.getByLabel('Keyword', { exact: true }).fill('join');
    await page.getByLabel('The first word').check();
    await page.getByLabel('Action 1 type').selectOption('add_to_group');
    await page.getByLabel('Action 1: Group').fill('{{rest}}');
    await page.getByLabel('Action 1: Reply when joined (optional)').fill('You joined {{rest}}.');
    await page.getByLabel('Action 1: Reply when already a member (optional)').fill('Already on {{rest}}.');
    await page.getByRole('button', { name: 'Add an action' }).click();
    await page.getByLabel('Action 2 type').selectOption('webhook');
    await page.getByRole('button', { name: 'Save rule' }).click();
    await page.getByRole('status').filter({ hasText: 'The rule JOIN is saved.' }).waitFor();
    const join = page.getByRole('row', { name: /JOIN/ });
    assert.match(await join.innerText(), /The first word/);
    assert.match(await join.innerText(), /Add to group: \{\{rest\}\}; Tell my application/);
    const stored = (await gw.request('GET', '/v1/keywords')).json.data;
    assert.deepEqual(stored[0].actions, [
      { type: 'add_to_group', group: '{{rest}}', reply: 'You joined {{rest}}.', reply_already: 'Already on {{rest}}.' },
      { type: 'webhook' },
    ]);

    // a second rule through the API, tried first; editing JOIN's priority puts it first
    const r = await gw.request('POST', '/v1/keywords', { keyword: 'WIN*', match: 'glob', priority: 5, actions: [{ type: 'webhook' }] });
    assert.equal(r.status, 201, r.text);
    await page.reload();
    await page.getByRole('row', { name: /WIN\*/ }).waitFor();
    const order = async () => (await page.getByRole('row').allInnerTexts()).slice(1).map((t) => t.split('\t')[1]);
    assert.deepEqual(await order(), ['WIN*', 'JOIN']);
    await page.getByRole('button', { name: 'Edit JOIN' }).click();
    assert.equal(await page.getByLabel('Action 1: Group').inputValue(), '{{rest}}');
    await page.getByLabel('Priority').fill('9');
    await page.getByRole('button', { name: 'Save rule' }).click();
    await page.getByRole('status').filter({ hasText: 'The rule JOIN is saved.' }).waitFor();
    assert.deepEqual(await order(), ['JOIN', 'WIN*']);
    await screenshot(page, 'keywords');

    await page.getByRole('button', { name: 'Delete WIN*' }).click();
    await page.getByRole('button', { name: 'Yes, delete it' }).click();
    await page.getByRole('status').filter({ hasText: 'The rule WIN* is deleted.' }).waitFor();
    assert.deepEqual(await order(), ['JOIN']);
  }, refusedPost);
});

test('viewer: the rules listed, no add, edit or delete', async () => {
  await withCheckedPage(browser, async ({ page }) => {
    await signIn(gw, page, VIEWER);
    await page.goto(gw.url + '/console/keywords');
    await page.getByRole('row', { name: /JOIN/ }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Add a rule' }).count(), 0);
    assert.equal(await page.getByRole('button', { name: /^Edit/ }).count(), 0);
    assert.equal(await page.getByRole('button', { name: /^Delete/ }).count(), 0);
  });
});
