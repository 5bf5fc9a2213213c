// The provider page's circuit breaker and prices in words (src/provider_health.js).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { breakerBadge, breakerEvents, breakerLine, priceErrors } from '../../src/provider_health.js';

const breaker = { failures: 5, error_rate_percent: 50, window_ms: 60000, cooldown_ms: 30000, probes: 1, successes: 2 };
const at = (state, extra = {}) => ({
  state,
  since: '2026-12-03T14:05:07Z',
  next_probe_at: null,
  consecutive_failures: 0,
  breaker,
  events: [],
  ...extra,
});

test('each state has its own badge; an unknown one reads as closed', () => {
  assert.equal(breakerBadge('closed').text, 'Sending');
  assert.equal(breakerBadge('open').text, 'Paused: provider failing');
  assert.match(breakerBadge('open').cls, /badge--bad/);
  assert.equal(breakerBadge('half_open').text, 'Testing recovery');
  assert.equal(breakerBadge('???').text, 'Sending');
});

test('an open breaker says since when, why, that messages wait, and the next probe', () => {
  const line = breakerLine(at('open', { opened_because: 'consecutive', next_probe_at: '2026-12-03T14:05:37Z' }), 'en-GB', 'UTC');
  assert.equal(
    line,
    'Paused since 3 Dec 2026, 14:05:07: 5 sends in a row failed. Its messages go to the next provider of their route, or wait where there is none (they are not failed). A test send goes at 3 Dec 2026, 14:05:37.',
  );
  assert.match(breakerLine(at('open', { opened_because: 'rate' }), 'en-GB', 'UTC'), /at least 50% of the sends in the last 60 s failed/);
  assert.match(breakerLine(at('open', { opened_because: 'probe' }), 'en-GB', 'UTC'), /a test send failed while it was recovering/);
});

test('half-open and closed lines', () => {
  assert.match(breakerLine(at('half_open'), 'en-GB', 'UTC'), /^Testing recovery since 3 Dec 2026, 14:05:07: .*2 successes resume sending/);
  assert.equal(breakerLine(at('closed')), 'Sending normally.');
  assert.equal(breakerLine(at('closed', { consecutive_failures: 1 })), 'Sending normally. 1 recent failure in a row.');
  assert.equal(breakerLine(at('closed', { consecutive_failures: 3 })), 'Sending normally. 3 recent failures in a row.');
});

test('provider events become timeline entries in words', () => {
  const ev = breakerEvents([{ at: '2026-12-03T14:05:07Z', type: 'breaker.open', detail: 'opened after 5 …' },
    { at: '2026-12-03T14:06:07Z', type: 'something.new', detail: 'x' }], 'en-GB', 'UTC');
  assert.deepEqual(ev.map((e) => [e.title, e.when, e.detail]), [
    ['Paused', '3 Dec 2026, 14:05:07', 'opened after 5 …'],
    ['something.new', '3 Dec 2026, 14:06:07', 'x'],
  ]);
  assert.deepEqual(breakerEvents(undefined), []);
});

test('a refused price list is listed line by line for the error summary', () => {
  const err = { detail: 'line 2: …', errors: [{ line: 2, field: 'country', detail: "'UK' is not …" }, { line: 5, field: null, detail: 'a price is 3 fields' }] };
  assert.deepEqual(priceErrors(err), [
    { field: 'prices-csv', text: "Line 2 (country): 'UK' is not …" },
    { field: 'prices-csv', text: 'Line 5: a price is 3 fields' },
  ]);
  assert.deepEqual(priceErrors({ detail: 'no' }), [{ field: 'prices-csv', text: 'no' }]);
});
