import assert from 'node:assert/strict';
import { test } from 'node:test';

import { dayRows, providerStatsPaths, shownDeliveryRate, topFailures } from '../../src/stats_logic.js';

test('the delivery rate reads "—" until a message has a final delivery report', () => {
  assert.equal(shownDeliveryRate({ sent: 5, delivered: 0, undelivered: 0, delivery_rate: 0 }), null);
  assert.equal(shownDeliveryRate({ sent: 0, delivered: 0, undelivered: 0, delivery_rate: null }), null);
  assert.equal(shownDeliveryRate({ sent: 4, delivered: 0, undelivered: 2, delivery_rate: 0 }), 0);
  assert.equal(shownDeliveryRate({ sent: 4, delivered: 3, undelivered: 1, delivery_rate: 0.75 }), 0.75);
  assert.equal(shownDeliveryRate(null), null);
});

test('a provider\'s stats ask for its total and its days from local midnight', () => {
  const now = new Date(2026, 11, 3, 15, 30); // local time
  const p = providerStatsPaths('prv_1', now, 7);
  const total = new URL(p.total, 'http://x');
  const byDay = new URL(p.byDay, 'http://x');
  assert.equal(total.pathname, '/v1/stats');
  assert.equal(total.searchParams.get('provider'), 'prv_1');
  assert.equal(total.searchParams.get('group_by'), null);
  assert.equal(byDay.searchParams.get('group_by'), 'day');
  const from = new Date(total.searchParams.get('from'));
  assert.deepEqual([from.getFullYear(), from.getMonth(), from.getDate(), from.getHours()], [2026, 10, 27, 0]);
  assert.equal(byDay.searchParams.get('from'), total.searchParams.get('from'));
});

test('days newest first with their figures; failures most frequent first', () => {
  const rows = dayRows({ data: [
    { day: '2026-12-01', sent: 2, delivered: 1, undelivered: 1, failed: 0, delivery_rate: 0.5 },
    { day: '2026-12-03', sent: 3, delivered: 0, undelivered: 0, failed: 1, delivery_rate: 0 },
    { day: null, sent: 9 },
  ] });
  assert.deepEqual(rows.map((r) => [r.day, r.sent, r.failed, r.rate]), [
    ['2026-12-03', 3, 1, null], ['2026-12-01', 2, 0, 0.5]]);
  assert.deepEqual(dayRows(null), []);
  const f = topFailures([{ code: '30003', count: 1 }, { code: '21211', count: 4 }, { code: '21610', count: 1 }], 2);
  assert.deepEqual(f.map((x) => x.code), ['21211', '21610']);
  assert.deepEqual(topFailures(undefined), []);
});
