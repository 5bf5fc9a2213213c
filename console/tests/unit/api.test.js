// The API client: problem+json → ApiError and field errors, CSRF on writes,
// same-origin credentials. A fake fetch records what the client sends.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ApiError, createClient, parseRetryAfter, problemToError } from '../../src/api.js';

function fakeFetch(answers) {
  const calls = [];
  const fn = async (url, init) => {
    calls.push({ url, ...init });
    const a = answers.shift();
    if (a instanceof Error) throw a;
    const headers = new Map(Object.entries(a.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    return {
      status: a.status,
      ok: a.status >= 200 && a.status < 300,
      headers: { get: (k) => headers.get(k.toLowerCase()) ?? null },
      json: async () => (typeof a.body === 'string' ? JSON.parse(a.body) : a.body),
      text: async () => String(a.body),
    };
  };
  return { fn, calls };
}

const problem = (status, body, extra = {}) => ({
  status,
  headers: { 'Content-Type': 'application/problem+json', ...extra },
  body,
});

test('a problem with a field becomes fieldErrors[field] = detail', () => {
  const e = problemToError(400, {
    type: 'about:blank', title: 'Invalid phone number', status: 400,
    detail: 'not a phone number: 12', code: 'invalid_phone', field: 'to',
  });
  assert.ok(e instanceof ApiError);
  assert.equal(e.status, 400);
  assert.equal(e.code, 'invalid_phone');
  assert.equal(e.field, 'to');
  assert.deepEqual(e.fieldErrors, { to: 'not a phone number: 12' });
  assert.equal(e.message, 'not a phone number: 12');
});

test('an errors array gives one entry per field, the first one winning', () => {
  const e = problemToError(422, {
    title: 'Invalid', code: 'invalid_config', detail: 'two fields',
    errors: [{ field: 'account_sid', detail: 'must start with AC' },
      { field: 'auth_token', detail: 'required' },
      { field: 'account_sid', detail: 'second message, ignored' },
      { detail: 'no field: ignored' }],
    field: 'auth_token',
  });
  assert.deepEqual(e.fieldErrors, { account_sid: 'must start with AC', auth_token: 'required' });
});

test('an answer that is not a problem still gives a readable error', () => {
  const cases = [
    // [status, body, code, title] — why
    [502, null, 'http_502', 'Bad gateway'], // a proxy's HTML page: no JSON at all
    [418, null, 'http_418', 'HTTP 418'], // a status without a generic title
    [500, ['not', 'an', 'object'], 'http_500', 'Server error'], // JSON but not an object
    [400, { code: 7, title: null }, 'http_400', 'HTTP 400'], // fields of the wrong type
  ];
  for (const [status, body, code, title] of cases) {
    const e = problemToError(status, body);
    assert.equal(e.code, code, `status ${status} body ${JSON.stringify(body)}`);
    assert.equal(e.title, title, `status ${status} body ${JSON.stringify(body)}`);
    assert.equal(e.detail, title, `detail falls back to the title (status ${status})`);
    assert.deepEqual(e.fieldErrors, {});
  }
});

test('Retry-After: seconds or an HTTP date; null when absent or unreadable', () => {
  const now = Date.parse('2026-12-03T12:00:00Z');
  assert.equal(parseRetryAfter('120', now), 120);
  assert.equal(parseRetryAfter(' 0 ', now), 0);
  assert.equal(parseRetryAfter('Thu, 03 Dec 2026 12:01:30 GMT', now), 90);
  assert.equal(parseRetryAfter('Thu, 03 Dec 2026 11:00:00 GMT', now), 0, 'a past date: no wait');
  assert.equal(parseRetryAfter(null, now), null);
  assert.equal(parseRetryAfter('soon', now), null);
  assert.equal(parseRetryAfter('-5', now), null, 'not delta-seconds');
});

test('429 carries the wait from Retry-After', async () => {
  const { fn } = fakeFetch([problem(429, { code: 'too_many_attempts', title: 'Too many', detail: 'wait' }, { 'Retry-After': '300' })]);
  const c = createClient({ fetch: fn });
  await assert.rejects(c.post('/v1/session', { email: 'a@b', password: 'x' }), (e) => {
    assert.equal(e.status, 429);
    assert.equal(e.code, 'too_many_attempts');
    assert.equal(e.retryAfter, 300);
    return true;
  });
});

test('writes carry X-CSRF-Token once the session gave one; reads never do', async () => {
  const ok = { status: 200, headers: { 'Content-Type': 'application/json' }, body: { ok: true } };
  const { fn, calls } = fakeFetch([ok, ok, ok, ok, { status: 204, headers: {} }]);
  const c = createClient({ fetch: fn });
  await c.post('/v1/x', {});
  c.setCsrfToken('tok123');
  await c.get('/v1/x');
  await c.post('/v1/x', { a: 1 });
  await c.patch('/v1/x', { a: 2 });
  assert.equal(await c.del('/v1/x'), null, '204 answers null');
  assert.equal(calls[0].headers['X-CSRF-Token'], undefined, 'no token yet');
  assert.equal(calls[1].headers['X-CSRF-Token'], undefined, 'GET carries none');
  for (const i of [2, 3, 4]) assert.equal(calls[i].headers['X-CSRF-Token'], 'tok123', calls[i].method);
  for (const call of calls) assert.equal(call.credentials, 'same-origin', call.method);
  assert.equal(calls[2].body, '{"a":1}');
  assert.equal(calls[2].headers['Content-Type'], 'application/json');
  c.setCsrfToken(null);
  assert.equal(c !== null, true);
});

test('a network failure is an ApiError with status 0', async () => {
  const { fn } = fakeFetch([new TypeError('Failed to fetch')]);
  const c = createClient({ fetch: fn });
  await assert.rejects(c.get('/v1/stats'), (e) => e instanceof ApiError && e.status === 0 && e.code === 'network_error');
});

test('a 401 outside /v1/session calls the unauthorized hook; the session\'s own does not', async () => {
  const p401 = problem(401, { code: 'unauthorized', title: 'Authentication required', detail: 'sign in' });
  const { fn } = fakeFetch([p401, p401]);
  const c = createClient({ fetch: fn });
  const seen = [];
  c.setOnUnauthorized((e) => seen.push(e.code));
  await assert.rejects(c.get('/v1/stats'));
  await assert.rejects(c.get('/v1/session'));
  assert.deepEqual(seen, ['unauthorized']);
});

test('text() returns a text body as text (e.g. /metrics)', async () => {
  const { fn, calls } = fakeFetch([{ status: 200, headers: { 'Content-Type': 'text/plain; version=0.0.4' }, body: 'a 1\n' }]);
  const c = createClient({ fetch: fn });
  assert.equal(await c.text('/metrics'), 'a 1\n');
  assert.equal(calls[0].headers.Accept, 'text/plain');
});
