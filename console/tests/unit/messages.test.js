import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  STATUSES, canWrite, findErrorCode, isCancelable, isFinal, localDayToIso, localToIso, messagesQuery,
} from '../../src/messages.js';

test('final and cancelable statuses', () => {
  assert.deepEqual(STATUSES.filter(isFinal), ['delivered', 'undelivered', 'failed', 'canceled', 'received']);
  assert.deepEqual(STATUSES.filter(isCancelable), ['scheduled', 'queued']);
  assert.equal(canWrite('viewer'), false);
  assert.equal(canWrite('sender'), true);
  assert.equal(canWrite('admin'), true);
  assert.equal(canWrite(undefined), false);
});

test('the schedule field: local time → UTC ISO, empty → null, junk → undefined', () => {
  const iso = localToIso('2026-12-03T15:30');
  assert.equal(iso, new Date(2026, 11, 3, 15, 30).toISOString());
  assert.match(iso, /Z$/);
  assert.equal(localToIso(''), null);
  assert.equal(localToIso('tomorrow'), undefined);
  assert.equal(localToIso('2026-13-45T99:99'), undefined);
});

test('a local day → the UTC time of its start, or of the next day\'s start', () => {
  assert.equal(localDayToIso('2026-12-03'), new Date(2026, 11, 3).toISOString());
  assert.equal(localDayToIso('2026-12-31', true), new Date(2027, 0, 1).toISOString());
  assert.equal(localDayToIso(''), null);
  assert.equal(localDayToIso('3/12/2026'), null);
});

test('messagesQuery: only the filters given, encoded, with limit and cursor', () => {
  assert.equal(messagesQuery({}, 0, null), '/v1/messages');
  assert.equal(
    messagesQuery({ status: 'failed', to: ' +447400123456 ', provider: '', error_code: '30008' }, 10, 'msg_01X'),
    '/v1/messages?status=failed&error_code=30008&to=%2B447400123456&limit=10&cursor=msg_01X',
  );
  const q = new URL('http://x' + messagesQuery({ since_day: '2026-12-01', until_day: '2026-12-02' }, 50));
  assert.equal(q.searchParams.get('since'), new Date(2026, 11, 1).toISOString());
  assert.equal(q.searchParams.get('until'), new Date(2026, 11, 3).toISOString());
});

test('findErrorCode prefers the sending kind, then smsgate, then any', () => {
  const rows = [
    { provider: 'clickatell', code: '001', title: 'c' },
    { provider: 'twilio', code: '30008', title: 'Unknown error' },
    { provider: 'smsgate', code: 'expired', title: 'Expired' },
    { provider: 'smsgate', code: '30008', title: 'own' },
  ];
  assert.equal(findErrorCode(rows, '30008', 'twilio').title, 'Unknown error');
  assert.equal(findErrorCode(rows, '30008', 'clickatell').title, 'own');
  assert.equal(findErrorCode(rows, '001', null).title, 'c');
  assert.equal(findErrorCode(rows, 'nope', 'twilio'), null);
  assert.equal(findErrorCode(rows, null, 'twilio'), null);
});
