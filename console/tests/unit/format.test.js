import assert from 'node:assert/strict';
import { test } from 'node:test';

import { filterErrorCodes, formatCount, formatRate, formatWait, localDayStart, parseMetric } from '../../src/format.js';

test('formatWait reads as a person says it, rounded up to the second', () => {
  const cases = [
    [0, '0 seconds'],
    [1, '1 second'],
    [0.2, '1 second'], // never "0 seconds" while there is a wait
    [59, '59 seconds'],
    [60, '1 minute'],
    [61, '1 minute 1 second'],
    [125, '2 minutes 5 seconds'],
    [900, '15 minutes'],
    [3600, '1 hour'],
    [3780, '1 hour 3 minutes'],
    [7200 + 59, '2 hours'], // seconds dropped past an hour
    [-3, '0 seconds'],
    ['x', '0 seconds'],
  ];
  for (const [s, want] of cases) assert.equal(formatWait(s), want, `formatWait(${JSON.stringify(s)})`);
});

test('formatCount and formatRate: numbers, or a dash when there is none', () => {
  assert.equal(formatCount(1234567, 'en-GB'), '1,234,567');
  assert.equal(formatCount(0, 'en-GB'), '0');
  assert.equal(formatCount(null), '—');
  assert.equal(formatCount(NaN), '—');
  assert.equal(formatRate(0.975, 'en-GB'), '97.5%');
  assert.equal(formatRate(1, 'en-GB'), '100%');
  assert.equal(formatRate(null), '—', 'no messages: no rate');
});

test('localDayStart: the local midnight N days back, as UTC RFC 3339', () => {
  // The expected values are computed in the same (any) local zone.
  const now = new Date(2026, 11, 3, 15, 30, 0); // 3 Dec 2026 15:30 local
  const today = localDayStart(now, 0);
  assert.match(today, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(new Date(today).getTime(), new Date(2026, 11, 3).getTime());
  assert.equal(new Date(localDayStart(now, 6)).getTime(), new Date(2026, 10, 27).getTime());
  assert.equal(new Date(localDayStart(now, 29)).getTime(), new Date(2026, 10, 4).getTime());
});

const CODES = [
  { provider: 'twilio', code: '30007', title: 'Message filtered', meaning: 'Carrier filtered the message as spam', class: 'permanent' },
  { provider: 'twilio', code: '30003', title: 'Unreachable handset', meaning: 'The handset is off or out of coverage', class: 'transient' },
  { provider: 'clickatell', code: '114', title: 'Cannot route message', meaning: 'No route to the network', class: 'permanent' },
  { provider: 'smsgate', code: 'opted_out', title: 'Recipient opted out', meaning: 'The number sent STOP', class: 'permanent' },
];

test('filterErrorCodes matches every word in any column, case-insensitively', () => {
  const codes = (q) => filterErrorCodes(CODES, q).map((r) => r.code);
  assert.deepEqual(codes(''), ['30007', '30003', '114', 'opted_out']);
  assert.deepEqual(codes('   '), ['30007', '30003', '114', 'opted_out']);
  assert.deepEqual(codes('30007'), ['30007']);
  assert.deepEqual(codes('3000'), ['30007', '30003'], 'part of a code');
  assert.deepEqual(codes('TWILIO spam'), ['30007'], 'provider + meaning, any case');
  assert.deepEqual(codes('permanent route'), ['114'], 'class + meaning');
  assert.deepEqual(codes('stop'), ['opted_out']);
  assert.deepEqual(codes('nothing-like-this'), []);
});

test('parseMetric reads one metric by label from Prometheus text', () => {
  const text = [
    '# HELP smsgate_queue_depth Messages waiting, by status.',
    '# TYPE smsgate_queue_depth gauge',
    'smsgate_queue_depth{status="scheduled"} 0',
    'smsgate_queue_depth{status="queued"} 12',
    'smsgate_queue_depth{status="sending"} 3',
    'smsgate_queue_depth_other{status="queued"} 99',
    'smsgate_messages_total{provider="a",status="sent"} 5',
    'smsgate_queue_depth{status="broken"} not-a-number',
  ].join('\n');
  assert.deepEqual(parseMetric(text, 'smsgate_queue_depth', 'status'), { scheduled: 0, queued: 12, sending: 3 });
  assert.deepEqual(parseMetric(text, 'smsgate_messages_total', 'status'), { sent: 5 }, 'label not first');
  assert.deepEqual(parseMetric('', 'smsgate_queue_depth', 'status'), {});
});
