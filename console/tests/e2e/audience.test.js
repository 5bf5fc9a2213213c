// The Groups, Segments and Templates pages in a real browser against real
// `smsgate serve` and simulator processes: a group's members (add by phone and
// from a search, remove, rename, delete), the segment filter editor with its
// live count and an error beside its row, the template editor with merge
// fields and its live preview, hostile names as text, and the viewer role
// (no write controls; forced writes refused 403). Screenshots go to
// build/console-e2e/screenshots/.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  createUser, launchBrowser, runCli, screenshot, signIn, startGateway, withCheckedPage,
} from './harness.js';

const ADMIN = { email: 'audience-admin@example.org', password: 'correct horse battery staple' };
const VIEWER = { email: 'audience-viewer@example.org', password: 'correct horse battery staple', role: 'viewer' };
const HOSTILE = '<img src=x onerror=alert(1)>';

let gw;
let browser;

before(async () => {
  gw = await startGateway('audience');
  if (gw.sessions) {
    createUser(gw.db, ADMIN.email, ADMIN.password, 'admin');
    createUser(gw.db, VIEWER.email, VIEWER.password, 'viewer');
  }
  const csv = 'phone,first_name,last_name,city\n+447400200001,Ann,Lee,Leeds\n+447400200002,Bo,Young,York\n'
    + '+447400200003,Cy,Leeds-Hall,Leeds\n+447400200004,Zoë,Hostile,Leeds\n';
  const r = await fetch(`${gw.url}/v1/contacts/import`, {
    method: 'POST', headers: { Authorization: `Bearer ${gw.key}`, 'Content-Type': 'text/csv' }, body: csv,
  });
  assert.equal(r.status, 200, await r.text());
  assert.equal((await gw.request('POST', '/v1/optouts', { phone: '+447400200003' })).status, 201);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await gw?.stop();
});

/** The browser logs every 4xx it was answered; these tests ask for some. */
const expected = (re, status) => (text, where) => re.test(where) && new RegExp(`status of (${status})`).test(text);
const withPage = (fn, allow) => withCheckedPage(browser, fn, allow);

async function signInViewer(page) {
  if (gw.sessions) return signIn(gw, page, VIEWER);
  const kc = runCli(['key', 'create', '--role', 'viewer', '--db', gw.db, '--log-level', 'warn']);
  const key = kc.stdout.trim().split('\n').pop().trim();
  assert.ok(kc.status === 0 && key.startsWith('sgk_'), kc.stderr);
  return signIn({ ...gw, key }, page, VIEWER);
}

test('groups: create (a hostile name as text), add members by phone and from a search, remove, rename, delete', async () => {
  await withPage(async ({ page }) => {
    await signIn(gw, page, ADMIN);
    await page.goto(gw.url + '/console/groups');
    await page.getByRole('heading', { level: 1, name: 'Groups' }).waitFor();
    await page.getByText('No groups yet. Create one above').waitFor();
    await page.getByLabel('Group name').fill(HOSTILE);
    await page.getByRole('button', { name: 'Create group' }).click();
    await page.getByRole('heading', { level: 1, name: HOSTILE }).waitFor();
    assert.match(new URL(page.url()).pathname, /^\/console\/groups\/grp_/);
    await page.getByText('No members yet. Use “Add members” above').waitFor();

    // A number that is not a contact: the API's 422 beside the box; nothing added.
    await page.getByRole('button', { name: 'Add members' }).click();
    await page.getByLabel('Phone numbers').fill('+447400200001\n+447400299999');
    await page.getByRole('button', { name: 'Add to group' }).click();
    await page.locator('#member-phones-error').waitFor();
    assert.match(await page.locator('#member-phones-error').innerText(), /\+447400299999.*is not a contact; nothing was changed/);
    await page.getByLabel('Phone numbers').fill('+447400200001\n+447400200002');
    await page.getByRole('button', { name: 'Add to group' }).click();
    await page.getByText('2 contacts added to the group.').waitFor();
    await page.getByRole('button', { name: 'Add members' }).click();
    await page.getByLabel('Or find a contact').fill('zoë');
    await page.getByRole('button', { name: 'Add Zoë Hostile' }).click();
    await page.getByText('1 contact added to the group.').waitFor();
    await page.getByText('3 members').waitFor();
    assert.equal(await page.getByRole('link', { name: 'Zoë Hostile' }).count(), 1);
    await screenshot(page, 'group-page');

    await page.getByRole('button', { name: 'Remove Bo Young' }).click();
    await page.getByRole('button', { name: 'Yes, remove from group' }).click();
    await page.getByText('Bo Young is removed from the group.').waitFor();
    await page.getByText('2 members').waitFor();
    const gid = new URL(page.url()).pathname.split('/').pop();
    const members = (await gw.request('GET', `/v1/groups/${gid}/members`)).json.data.map((c) => c.phone).sort();
    assert.deepEqual(members, ['+447400200001', '+447400200004']);

    // Rename: a taken name refused beside the field, then a new one.
    assert.equal((await gw.request('POST', '/v1/groups', { name: 'Staff' })).status, 201);
    await page.getByRole('button', { name: 'Rename group' }).click();
    await page.getByLabel('New name').fill('Staff');
    await page.getByRole('button', { name: 'Save name' }).click();
    await page.locator('#rename-name-error').waitFor();
    assert.match(await page.locator('#rename-name-error').innerText(), /a group with that name exists/);
    await page.getByLabel('New name').fill('Leeds friends');
    await page.getByRole('button', { name: 'Save name' }).click();
    await page.getByRole('heading', { level: 1, name: 'Leeds friends' }).waitFor();
    assert.equal((await gw.request('GET', `/v1/groups/${gid}`)).json.name, 'Leeds friends');

    await page.getByRole('link', { name: 'All groups' }).click();
    await page.getByRole('cell', { name: 'Leeds friends' }).waitFor();
    assert.equal(await page.locator('main img').count(), 0, 'no <img> element was made');
    await screenshot(page, 'groups');
    await page.getByRole('link', { name: 'Leeds friends' }).click();
    await page.getByRole('button', { name: 'Delete group' }).click();
    await page.getByRole('button', { name: 'Yes, delete this group' }).click();
    await page.getByRole('heading', { level: 1, name: 'Groups' }).waitFor();
    assert.equal((await gw.request('GET', `/v1/groups/${gid}`)).status, 404);
    // the contacts stay
    assert.equal((await gw.request('GET', '/v1/contacts/%2B447400200001')).status, 200);
  }, (t, u) => expected(/\/members$/, 422)(t, u) || expected(/\/v1\/groups\/grp_/, 409)(t, u));
});

test('segments: rules with a live count, an error beside its row, text and back, save, delete', async () => {
  await withPage(async ({ page }) => {
    await signIn(gw, page, ADMIN);
    await page.goto(gw.url + '/console/segments');
    await page.getByText('No segments yet. Use “New segment”').waitFor();
    await page.getByRole('link', { name: 'New segment' }).click();
    await page.getByRole('heading', { level: 1, name: 'New segment' }).waitFor();
    // No rules: every contact.
    await page.getByTestId('matched').filter({ hasText: '4' }).waitFor();

    await page.getByLabel('Segment name').fill('Leeds people');
    await page.getByRole('button', { name: 'Add rule' }).click();
    await page.getByLabel('Attribute 1', { exact: true }).selectOption('attribute');
    await page.getByLabel('Attribute name 1').fill('city');
    await page.getByLabel('Value 1').fill('leeds');
    // Three match (the text compare ignores case), one of them opted out.
    await page.getByTestId('matched').filter({ hasText: /^3$/ }).waitFor();
    await page.getByTestId('eligible').filter({ hasText: /^2$/ }).waitFor();
    assert.equal(await page.getByTestId('filter-text').innerText(), 'attributes.city = "leeds"');

    await page.getByRole('button', { name: 'Add rule' }).click();
    await page.getByLabel('Attribute 2', { exact: true }).selectOption('created');
    await page.getByLabel('Operator 2').selectOption('before');
    await page.getByLabel('Value 2').fill('2026-02-30');
    // The API's error goes beside the second row.
    await page.locator('#rule-error-1').waitFor();
    assert.match(await page.locator('#rule-error-1').innerText(), /'2026-02-30' is not a calendar date/);
    assert.equal(await page.locator('#rule-error-0').count(), 0);
    await screenshot(page, 'segment-error');
    await page.getByLabel('Operator 2').selectOption('within');
    await page.getByLabel('Value 2').fill('30d');
    await page.getByTestId('matched').filter({ hasText: /^3$/ }).waitFor();
    assert.equal(await page.locator('#rule-error-1').count(), 0);

    await page.getByRole('button', { name: 'Create segment' }).click();
    await page.getByRole('heading', { level: 1, name: 'Segment Leeds people' }).waitFor();
    const sid = new URL(page.url()).pathname.split('/').pop();
    assert.equal((await gw.request('GET', `/v1/segments/${sid}`)).json.filter,
      'attributes.city = "leeds" and created within 30d');
    // The saved filter opens as rows again.
    assert.equal(await page.getByLabel('Value 2').inputValue(), '30d');
    await screenshot(page, 'segment-editor');

    // As text: brackets are more than rows can show; the text is saved as typed.
    await page.getByRole('button', { name: 'Edit as text' }).click();
    await page.getByLabel('Filter', { exact: true }).fill('mobile and (first_name = "Ann" or in group "x")');
    await page.getByRole('button', { name: 'Edit as rows' }).click();
    await page.getByText('This filter uses more than rows can show').waitFor();
    await page.getByLabel('Filter', { exact: true }).fill('first_name = "Ann" or last_name starts_with "Y"');
    await page.getByTestId('matched').filter({ hasText: /^2$/ }).waitFor();
    await page.getByRole('button', { name: 'Edit as rows' }).click();
    assert.equal(await page.getByLabel('Contacts matching').inputValue(), 'or');
    assert.equal(await page.getByLabel('Value 2').inputValue(), 'Y');
    await page.getByLabel('Segment name').fill(HOSTILE);
    await page.getByRole('button', { name: 'Save segment' }).click();
    await page.getByText('Saved. The filter is stored as').waitFor();
    assert.equal((await gw.request('GET', `/v1/segments/${sid}`)).json.name, HOSTILE);

    await page.getByRole('link', { name: 'All segments' }).click();
    await page.getByRole('link', { name: HOSTILE }).waitFor();
    assert.equal(await page.locator('main img').count(), 0, 'no <img> element was made');
    await screenshot(page, 'segments');
    await page.getByRole('button', { name: `Delete ${HOSTILE}` }).click();
    await page.getByRole('button', { name: 'Yes, delete this segment' }).click();
    await page.getByText(`The segment ${HOSTILE} is deleted.`).waitFor();
    assert.equal((await gw.request('GET', `/v1/segments/${sid}`)).status, 404);
  }, expected(/\/v1\/segments\/count$/, 400));
});

test('templates: merge fields inserted at the caret, live preview with segments and encoding, errors beside the body', async () => {
  await withPage(async ({ page }) => {
    await signIn(gw, page, ADMIN);
    await page.goto(gw.url + '/console/templates');
    await page.getByText('No templates yet.').waitFor();
    await page.getByRole('link', { name: 'New template' }).click();
    await page.getByRole('heading', { level: 1, name: 'New template' }).waitFor();
    await page.getByText('Write a message to see it').waitFor();
    await page.getByLabel('Template name').fill('Welcome');
    const body = page.getByLabel('Message', { exact: true });
    await body.fill('Hi , welcome!');
    await body.evaluate((el) => el.setSelectionRange(3, 3));
    // The custom attribute of the imported contacts is offered too.
    await page.getByRole('button', { name: 'Insert {{city}}' }).waitFor();
    await page.getByRole('button', { name: 'Insert {{first_name}}' }).click();
    assert.equal(await body.inputValue(), 'Hi {{first_name}}, welcome!');
    await page.getByTestId('preview-text').filter({ hasText: 'Hi [first_name], welcome!' }).waitFor();
    assert.equal(await page.getByTestId('encoding').innerText(), 'GSM-7');
    assert.equal(await page.getByTestId('segments').innerText(), '1');

    // For a contact: Zoë's ë forces UCS-2, marked in the preview.
    await page.getByLabel('Preview for contact (optional)').fill('+447400200004');
    await page.getByTestId('preview-text').filter({ hasText: 'Hi Zoë, welcome!' }).waitFor();
    assert.equal(await page.getByTestId('encoding').innerText(), 'UCS-2');
    assert.equal(await page.getByTestId('chars').innerText(), '16');
    assert.equal(await page.locator('[data-testid="preview-text"] mark').innerText(), 'ë');
    await screenshot(page, 'template-editor');

    // A field with no value for this contact and no default: said in the preview.
    await body.fill('Hi {{last_name}} from {{team}}');
    await page.getByText(/For this contact: .*attributes\.team/).waitFor();
    // A field that is not a field: the API's error beside the body, and saving is refused.
    await body.fill('Hi {{first name}}');
    await page.locator('#template-body-error').waitFor();
    await page.getByRole('button', { name: 'Create template' }).click();
    await page.locator('.error-summary a[href="#template-body"]').waitFor();
    await body.fill('Hi {{first_name|there}}, 50% off in {{city|your town}} this week.');
    await page.getByLabel('Preview for contact (optional)').fill('');
    await page.getByRole('button', { name: 'Create template' }).click();
    await page.getByRole('heading', { level: 1, name: 'Template Welcome' }).waitFor();
    const tid = new URL(page.url()).pathname.split('/').pop();
    assert.equal((await gw.request('GET', `/v1/templates/${tid}`)).json.body,
      'Hi {{first_name|there}}, 50% off in {{city|your town}} this week.');

    await page.getByLabel('Template name').fill(HOSTILE);
    await page.getByRole('button', { name: 'Save template' }).click();
    await page.getByText('Saved.').waitFor();
    await page.getByRole('link', { name: 'All templates' }).click();
    await page.getByRole('link', { name: HOSTILE }).waitFor();
    assert.equal(await page.locator('main img').count(), 0, 'no <img> element was made');
    await screenshot(page, 'templates');
    await page.getByRole('link', { name: HOSTILE }).click();
    await page.getByRole('button', { name: 'Delete template' }).click();
    await page.getByRole('button', { name: 'Yes, delete this template' }).click();
    await page.getByRole('heading', { level: 1, name: 'Templates' }).waitFor();
    assert.equal((await gw.request('GET', `/v1/templates/${tid}`)).status, 404);
  }, (t, u) => expected(/\/v1\/templates(\/preview)?$/, '400|422')(t, u));
});

test('a viewer sees groups, segments and templates with their count and preview, but no write control; forced writes get 403', async () => {
  const g = (await gw.request('POST', '/v1/groups', { name: 'Viewers see me' })).json;
  const s = (await gw.request('POST', '/v1/segments', { name: 'Leeds', filter: 'attributes.city = "Leeds"' })).json;
  const t = (await gw.request('POST', '/v1/templates', { name: 'Hello', body: 'Hello {{first_name|friend}}' })).json;
  await withPage(async ({ page }) => {
    await signInViewer(page);
    await page.goto(gw.url + '/console/groups');
    await page.getByRole('link', { name: 'Viewers see me' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Create group' }).count(), 0);
    await page.getByRole('link', { name: 'Viewers see me' }).click();
    await page.getByText('No members yet.').waitFor();
    for (const name of ['Add members', 'Rename group', 'Delete group']) {
      assert.equal(await page.getByRole('button', { name }).count(), 0, name);
    }

    await page.goto(`${gw.url}/console/segments`);
    await page.getByRole('link', { name: 'Leeds' }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'New segment' }).count(), 0);
    assert.equal(await page.getByRole('button', { name: /^Delete/ }).count(), 0);
    await page.goto(`${gw.url}/console/segments/${s.id}`);
    await page.getByTestId('matched').filter({ hasText: /^3$/ }).waitFor();
    for (const name of ['Save segment', 'Add rule', 'Delete segment']) {
      assert.equal(await page.getByRole('button', { name }).count(), 0, name);
    }
    assert.equal(await page.getByLabel('Attribute 1', { exact: true }).isDisabled(), true);

    await page.goto(`${gw.url}/console/templates/${t.id}`);
    await page.getByTestId('preview-text').filter({ hasText: 'Hello [first_name]' }).waitFor();
    for (const name of ['Save template', 'Delete template', 'Insert {{first_name}}']) {
      assert.equal(await page.getByRole('button', { name }).count(), 0, name);
    }
    await screenshot(page, 'template-viewer');

    if (gw.sessions) {
      // The API refuses the viewer's forced writes (with a valid CSRF token).
      const answers = await page.evaluate(async ([gid, sid, tid]) => {
        const sess = await (await fetch('/v1/session')).json();
        const h = { 'Content-Type': 'application/json', 'X-CSRF-Token': sess.csrf_token };
        const out = [];
        for (const [method, path, body] of [
          ['POST', '/v1/groups', { name: 'x' }], ['PATCH', `/v1/groups/${gid}`, { name: 'x' }],
          ['POST', `/v1/groups/${gid}/members`, { contacts: ['+447400200001'] }], ['DELETE', `/v1/groups/${gid}`],
          ['PATCH', `/v1/segments/${sid}`, { name: 'x' }], ['DELETE', `/v1/segments/${sid}`],
          ['POST', '/v1/templates', { name: 'x', body: 'y' }], ['DELETE', `/v1/templates/${tid}`],
        ]) {
          const r = await fetch(path, { method, headers: h, body: body ? JSON.stringify(body) : undefined });
          out.push([method, path, r.status, (await r.json()).code]);
        }
        return out;
      }, [g.id, s.id, t.id]);
      for (const a of answers) assert.deepEqual(a.slice(2), [403, 'forbidden'], a.join(' '));
      assert.equal((await gw.request('GET', `/v1/groups/${g.id}`)).json.name, 'Viewers see me');
      assert.equal((await gw.request('GET', `/v1/segments/${s.id}`)).status, 200);
      assert.equal((await gw.request('GET', `/v1/templates/${t.id}`)).status, 200);
    }
  }, expected(/\/v1\/(groups|segments|templates)/, 403));
});

test('360 px wide: a group with members, the segment rows and the template editor fit without sideways scroll', async () => {
  const g = (await gw.request('POST', '/v1/groups', { name: 'Narrow ' + 'x'.repeat(60) })).json;
  assert.equal((await gw.request('POST', `/v1/groups/${g.id}/members`, { contacts: ['+447400200001'] })).status, 200);
  const s = (await gw.request('POST', '/v1/segments', {
    name: 'Narrow', filter: 'attributes.a_rather_long_attribute_name = "Leeds" and last_activity within 30d',
  })).json;
  const t = (await gw.request('POST', '/v1/templates', { name: 'Narrow', body: 'Hi {{first_name|there}} ' + 'ł'.repeat(80) })).json;
  await withPage(async ({ page }) => {
    await page.setViewportSize({ width: 360, height: 740 });
    await signIn(gw, page, ADMIN);
    for (const [path, ready] of [
      [`/groups/${g.id}`, () => page.getByRole('button', { name: 'Remove Ann Lee' }).waitFor()],
      [`/segments/${s.id}`, () => page.getByTestId('matched').waitFor()],
      [`/templates/${t.id}`, () => page.getByTestId('preview-text').waitFor()],
    ]) {
      await page.goto(gw.url + '/console' + path);
      await ready();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${path}: ${overflow}px wider than the screen`);
      await screenshot(page, `narrow-${path.split('/')[1]}-editor`);
    }
  });
});

test('a group\'s members come 50 at a time: "Show more members" follows the API\'s cursor', async () => {
  const rows = Array.from({ length: 55 }, (_, i) => `+4474003${String(i).padStart(5, '0')},Member${i}`);
  const r = await fetch(`${gw.url}/v1/contacts/import?group=Big`, {
    method: 'POST', headers: { Authorization: `Bearer ${gw.key}`, 'Content-Type': 'text/csv' },
    body: 'phone,first_name\n' + rows.join('\n') + '\n',
  });
  assert.equal(r.status, 200, await r.text());
  const g = (await gw.request('GET', '/v1/groups/Big')).json;
  await withPage(async ({ page }) => {
    await signIn(gw, page, ADMIN);
    await page.goto(`${gw.url}/console/groups/${g.id}`);
    await page.getByText('55 members').waitFor();
    const members = page.getByRole('region', { name: 'Members table' }).locator('tbody tr');
    await page.getByRole('button', { name: 'Show more members' }).waitFor();
    assert.equal(await members.count(), 50);
    await page.getByRole('button', { name: 'Show more members' }).click();
    await page.getByRole('button', { name: 'Show more members' }).waitFor({ state: 'detached' });
    assert.equal(await members.count(), 55);
    const names = await members.locator('td:first-child').allInnerTexts();
    assert.equal(new Set(names).size, 55, 'no member twice');
  });
});

test('the groups list comes 100 at a time: "Show more groups" follows the API\'s cursor', async () => {
  for (let i = 0; i < 101; i++) {
    assert.equal((await gw.request('POST', '/v1/groups', { name: `Bulk ${String(i).padStart(3, '0')}` })).status, 201);
  }
  const total = (await gw.request('GET', '/v1/groups?limit=1000')).json.data.length;
  assert.ok(total > 100);
  await withPage(async ({ page }) => {
    await signIn(gw, page, ADMIN);
    await page.goto(`${gw.url}/console/groups`);
    const rows = page.getByRole('region', { name: 'Groups table' }).locator('tbody tr');
    await page.getByText('100 of 100 groups listed (more below)').waitFor();
    assert.equal(await rows.count(), 100);
    await page.getByRole('button', { name: 'Show more groups' }).click();
    await page.getByText(`${total} of ${total} groups listed`, { exact: true }).waitFor();
    assert.equal(await rows.count(), total);
    assert.equal(await page.getByRole('button', { name: 'Show more groups' }).count(), 0);
  });
});
