import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  attributesToRows, can, contactName, filterRows, importProgress, importSummary, phoneSegment, rowsToAttributes,
  timelineEntry, uploadPercent,
} from '../../src/contacts_logic.js';
import { pageFor } from '../../src/pages.js';

test('attributes → rows → attributes keeps strings, and other JSON values while unchanged', () => {
  const attrs = { city: 'Leeds', member: 42, vip: true, tags: ['a', 'b'] };
  const rows = attributesToRows(attrs);
  assert.deepEqual(rows.map((r) => [r.key, r.value]), [
    ['city', 'Leeds'], ['member', '42'], ['vip', 'true'], ['tags', '["a","b"]'],
  ]);
  assert.deepEqual(rowsToAttributes(rows), { attributes: attrs, errors: [] });
  // An edited non-string value is saved as the text typed.
  rows[1] = { ...rows[1], value: '43' };
  assert.deepEqual(rowsToAttributes(rows).attributes.member, '43');
  assert.deepEqual(attributesToRows(null), []);
  assert.deepEqual(attributesToRows([1]), []);
});

test('rows → attributes: names trimmed, empty rows dropped, a value without a name and a name twice refused', () => {
  const ok = rowsToAttributes([{ key: ' city ', value: 'York' }, { key: '', value: '' }, { key: 'note', value: '' }]);
  assert.deepEqual(ok, { attributes: { city: 'York', note: '' }, errors: [] });
  const bad = rowsToAttributes([{ key: 'a', value: '1' }, { key: '', value: 'x' }, { key: 'a ', value: '2' }]);
  assert.deepEqual(bad.errors, [
    { row: 1, text: 'Attribute 2 has a value but no name' },
    { row: 2, text: 'The attribute name "a" is used twice' },
  ]);
  // Markup in a name or value is kept as it was typed (rendered as text).
  assert.deepEqual(rowsToAttributes([{ key: '<b>', value: '<img src=x>' }]).attributes, { '<b>': '<img src=x>' });
});

test('the import answer in words, rejected rows sorted by line, a note when only the first are listed', () => {
  const s = importSummary({
    imported: 1, updated: 2, rejected_count: 3,
    rejected: [
      { line: 5, code: 'bad_row', detail: '5 fields where the header has 4' },
      { line: 3, code: 'invalid_phone', detail: 'x' },
    ],
  });
  assert.equal(s.headline, '1 new contact, 2 contacts updated, 3 rows rejected.');
  assert.deepEqual(s.rows.map((r) => r.line), [3, 5]);
  assert.equal(s.more, 'Only the first 2 rejected rows are listed.');
  const none = importSummary({ imported: 0, updated: 0, rejected_count: 0, rejected: [] });
  assert.equal(none.headline, '0 new contacts, 0 contacts updated, 0 rows rejected.');
  assert.equal(none.more, null);
  assert.equal(importSummary(null).headline, '0 new contacts, 0 contacts updated, 0 rows rejected.');
});

test('upload percentage is whole, bounded, and null when the size is unknown', () => {
  assert.equal(uploadPercent(0, 200), 0);
  assert.equal(uploadPercent(199, 200), 99);
  assert.equal(uploadPercent(300, 200), 100);
  assert.equal(uploadPercent(5, 0), null);
  assert.equal(uploadPercent(5, NaN), null);
});

test('timeline items in words: sent, reply, opted out by a reply, opted in by hand, click', () => {
  assert.deepEqual(timelineEntry({ type: 'message', message: { direction: 'outbound', body: 'Hi', status: 'failed',
    error_code: '30008' } }), { kind: 'Sent', text: 'Hi', detail: 'failed (30008)' });
  assert.deepEqual(timelineEntry({ type: 'message', message: { direction: 'inbound', body: 'STOP', from: '+44' } }),
    { kind: 'Reply', text: 'STOP', detail: 'from +44' });
  assert.equal(timelineEntry({ type: 'consent', consent: { old: 'subscribed', new: 'opted_out', source: 'keyword' } }).text,
    'subscribed → opted_out by a reply');
  assert.equal(timelineEntry({ type: 'consent', consent: { old: 'opted_out', new: 'subscribed', source: 'api' } }).kind,
    'Opted in');
  assert.equal(timelineEntry({ type: 'click', click: { url: 'https://e.org' } }).text, 'https://e.org');
  assert.deepEqual(timelineEntry({ type: 'keyword', keyword: { rule_id: 'kwr_1', keyword: 'JOIN', message_id: 'msg_1' } }),
    { kind: 'Keyword', text: 'matched the rule JOIN', detail: 'kwr_1' });
  assert.equal(timelineEntry({ type: 'later' }).kind, 'later');
});

test('roles, names and path segments', () => {
  const as = (role) => ({ user: { role } });
  assert.equal(can(as('viewer'), 'sender'), false);
  assert.equal(can(as('sender'), 'sender'), true);
  assert.equal(can(as('sender'), 'admin'), false);
  assert.equal(can(as('admin'), 'admin'), true);
  assert.equal(can(null, 'viewer'), false);
  assert.equal(contactName({ first_name: 'Ada', last_name: 'Lovelace', phone: '+44' }), 'Ada Lovelace');
  assert.equal(contactName({ first_name: '', last_name: '', phone: '+447400123456' }), '+447400123456');
  const rows = [{ phone: '+441', reason: 'asked' }, { phone: '+442', reason: 'Complaint' }];
  assert.deepEqual(filterRows(rows, 'complaint +44', ['phone', 'reason']), [rows[1]]);
  assert.equal(filterRows(rows, '  ', ['phone']), rows);
  assert.equal(phoneSegment('+447400123456'), '%2B447400123456');
});

test('a path below a page belongs to it: /contacts/<id> is the Contacts page', () => {
  assert.equal(pageFor('/contacts/ctc_1').label, 'Contacts');
  assert.equal(pageFor('/contacts').label, 'Contacts');
  assert.equal(pageFor('/contactsx'), null);
  assert.equal(pageFor('/no/such/page'), null);
});

test('import progress follows the server\'s bytes, not the upload; 100% only when done', () => {
  assert.deepEqual(importProgress(null, 1000, 0), { percent: 0, text: 'Importing… 0% (sent 0%, 0 rows read)' });
  // the browser has sent the whole file; the server has read 40% of it
  assert.deepEqual(importProgress({ status: 'importing', bytes: 400, rows: 120 }, 1000, 100),
    { percent: 40, text: 'Importing… 40% (file sent, 120 rows read)' });
  assert.equal(importProgress({ status: 'importing', bytes: 1000, rows: 300 }, 1000, 100).percent, 99);
  assert.deepEqual(importProgress({ status: 'done', rows: 1 }, 1000, 100),
    { percent: 100, text: 'Import finished: 100% (1 row read)' });
  assert.equal(importProgress({ status: 'importing', bytes: 10 }, 0, 50).percent, 0);
});
