import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';

import { BUDGET_BYTES, measure } from '../../scripts/budget.js';
import { PAGES, pageFor, pagesFor } from '../../src/pages.js';
import { href, routePath } from '../../src/paths.js';
import { signInErrors } from '../../src/sign_in_errors.js';
import { problemToError } from '../../src/api.js';

test('routePath and href map browser paths to routes and back', () => {
  const cases = [
    ['/console/', '/'],
    ['/console', '/'],
    ['/console/error-codes', '/error-codes'],
    ['/console/error-codes/', '/error-codes'],
    ['/console/messages/msg_1', '/messages/msg_1'],
    ['/v1/messages', '/'], // outside the console: its home
    ['/consolex/y', '/'], // a prefix that is not the console's
  ];
  for (const [p, want] of cases) assert.equal(routePath(p), want, p);
  assert.equal(href('/'), '/console/');
  assert.equal(href('/error-codes'), '/console/error-codes');
  for (const page of PAGES) assert.equal(routePath(href(page.path)), page.path, page.label);
});

test('the navigation lists every page of issue 13, admin-only pages for admins only', () => {
  const labels = (role) => pagesFor(role).map((p) => p.label);
  for (const want of ['Dashboard', 'Providers', 'Send', 'Messages', 'Contacts', 'Groups', 'Segments',
    'Templates', 'Broadcasts', 'Opt-outs', 'Webhooks', 'API keys', 'Users', 'Audit log', 'Error codes'])
    assert.ok(labels('admin').includes(want), want);
  assert.ok(!labels('viewer').includes('Users'));
  assert.ok(!labels('sender').includes('API keys'));
  assert.ok(labels('admin').includes('Apps') && !labels('sender').includes('Apps'));
  assert.ok(labels('viewer').includes('Error codes'));
  assert.deepEqual(pagesFor('nobody'), [], 'an unknown role sees nothing');
  assert.equal(pageFor('/error-codes').label, 'Error codes');
  assert.equal(pageFor('/nope'), null);
  assert.equal(pageFor('/providers/new').path, '/providers');
  assert.equal(pageFor('/providers-x'), null);
  assert.equal(new Set(PAGES.map((p) => p.path)).size, PAGES.length, 'paths are unique');
});

test('sign-in errors: the wait after 429, field errors beside fields, otherwise the detail', () => {
  const wait = signInErrors(problemToError(429, { code: 'too_many_attempts', detail: 'slow down' }, '125'));
  assert.deepEqual(wait.summary, [{ text: 'Too many sign-in attempts. Try again in 2 minutes 5 seconds.' }]);
  const noWait = signInErrors(problemToError(429, { code: 'too_many_attempts' }));
  assert.deepEqual(noWait.summary, [{ text: 'Too many sign-in attempts. Try again later.' }]);
  const bad = signInErrors(problemToError(401, { code: 'invalid_credentials', detail: 'wrong email or password' }));
  assert.deepEqual(bad, { summary: [{ text: 'wrong email or password' }], fields: {} });
  const field = signInErrors(problemToError(400, { code: 'invalid_request', field: 'email', detail: 'email is required' }));
  assert.deepEqual(field, { summary: [{ field: 'email', text: 'email is required' }], fields: { email: 'email is required' } });
  const other = signInErrors(problemToError(400, { code: 'invalid_request', field: 'remember', detail: 'no such field' }));
  assert.deepEqual(other.fields, {}, 'a field the form does not have goes to the summary only');
  assert.deepEqual(other.summary, [{ text: 'no such field' }]);
  assert.match(signInErrors(problemToError(404, null)).summary[0].text, /does not offer sign-in/);
});

test('the budget counts gzipped JS and CSS only and fails past 200 KB', () => {
  const small = measure([
    { name: 'assets/a.js', data: Buffer.from('x'.repeat(10000)) },
    { name: 'assets/a.css', data: Buffer.from('y'.repeat(10000)) },
    { name: 'index.html', data: Buffer.alloc(500000, 7) },
  ]);
  assert.equal(small.files.length, 2, 'HTML is not counted');
  assert.ok(small.total > 0 && small.total < 1000, `repetitive text compresses: ${small.total}`);
  assert.equal(small.over, false);
  // Random bytes do not compress: 210 KB of them are over the budget.
  const random = randomBytes(210 * 1024);
  const big = measure([{ name: 'assets/big.js', data: random }]);
  assert.ok(big.total > BUDGET_BYTES, `${big.total}`);
  assert.equal(big.over, true);
  assert.equal(measure([{ name: 'a.js', data: random }], 10 * 1024 * 1024).over, false, 'a larger budget');
});

test('scripts/size.mjs prints the total and exits 1 past the budget', async () => {
  const { mkdtempSync, mkdirSync, writeFileSync, rmSync } = await import('node:fs');
  const { spawnSync } = await import('node:child_process');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const script = new URL('../../scripts/size.mjs', import.meta.url).pathname;
  const dir = mkdtempSync(join(tmpdir(), 'sg-size-'));
  try {
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'assets', 'small.js'), 'export const a = 1;\n');
    let r = spawnSync(process.execPath, [script, dir], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /console: JS\+CSS \d+\.\d KB gzipped \(budget 200\.0 KB\)/);
    writeFileSync(join(dir, 'assets', 'big.js'), randomBytes(210 * 1024));
    r = spawnSync(process.execPath, [script, dir], { encoding: 'utf8' });
    assert.equal(r.status, 1, 'over budget fails the build');
    assert.match(r.stderr, /over the 200\.0 KB budget/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
