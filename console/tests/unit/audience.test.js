import assert from 'node:assert/strict';
import { test } from 'node:test';

import { splitContacts } from '../../src/group_members.js';
import { pageFor } from '../../src/pages.js';
import {
  errorOffset, filterToRows, newRow, quote, rowAt, rowToTest, rowsToFilter, tokenize,
} from '../../src/segment_rows.js';
import { insertAt, mergeFields } from '../../src/template_fields.js';

const row = (field, op, value = '', key = '') => ({ field, key, op, value });

test('rows → filter text: each kind of row, numbers as numbers, strings quoted and escaped', () => {
  assert.equal(rowToTest(row('first_name', '=', 'Ann')), 'first_name = "Ann"');
  assert.equal(rowToTest(row('attribute', '>=', ' 18 ', 'age')), 'attributes.age >= 18');
  assert.equal(rowToTest(row('attribute', '=', '-3.5', 'n')), 'attributes.n = -3.5');
  assert.equal(rowToTest(row('phone', 'starts_with', '+44')), 'phone starts_with "+44"');
  // contains always takes a string, even digits
  assert.equal(rowToTest(row('phone', 'contains', '123')), 'phone contains "123"');
  assert.equal(rowToTest(row('last_name', '=', 'say "hi" \\ bye')), 'last_name = "say \\"hi\\" \\\\ bye"');
  assert.equal(rowToTest(row('attribute', 'exists', '', 'city')), 'attributes.city exists');
  assert.equal(rowToTest(row('first_name', 'not_exists')), 'not first_name exists');
  assert.equal(rowToTest(row('mobile', 'is')), 'mobile');
  assert.equal(rowToTest(row('opted_out', 'is_not')), 'not opted_out');
  assert.equal(rowToTest(row('group', 'in', 'VIP "A"')), 'in group "VIP \\"A\\""');
  assert.equal(rowToTest(row('group', 'not_in', 'Staff')), 'not in group "Staff"');
  assert.equal(rowToTest(row('last_activity', 'within', ' 30d ')), 'last_activity within 30d');
  assert.equal(rowToTest(row('created', 'before', '2026-01-31')), 'created before 2026-01-31');
  assert.equal(quote('<img src=x onerror=alert(1)>'), '"<img src=x onerror=alert(1)>"');
  assert.deepEqual(newRow('group'), { field: 'group', key: '', op: 'in', value: '' });
});

test('rows joined by and / or, with each row\'s place in the text; no rows is every contact', () => {
  const rows = [row('mobile', 'is'), row('opted_out', 'is_not'), row('attribute', '=', 'Leeds', 'city')];
  const f = rowsToFilter(rows, 'and');
  assert.equal(f.text, 'mobile and not opted_out and attributes.city = "Leeds"');
  assert.deepEqual(f.spans, [{ start: 0, end: 6 }, { start: 11, end: 24 }, { start: 29, end: 54 }]);
  assert.equal(rowsToFilter(rows.slice(0, 2), 'or').text, 'mobile or not opted_out');
  assert.deepEqual(rowsToFilter([]), { text: '', spans: [] });
});

test('an API error\'s "at N" (UTF-8 bytes) is put beside its row', () => {
  const rows = [row('first_name', '=', 'Zoë'), row('created', 'before', '2026-02-30')];
  const f = rowsToFilter(rows);
  assert.equal(f.text, 'first_name = "Zoë" and created before 2026-02-30');
  // the API counts bytes: ë is two, so the date at index 38 is at byte 39
  const detail = "'2026-02-30' is not a calendar date at 39 (see docs/segments.md)";
  const at = errorOffset(detail, f.text);
  assert.equal(f.text.slice(at, at + 10), '2026-02-30');
  assert.equal(rowAt(f.spans, at), 1);
  assert.equal(rowAt(f.spans, 3), 0);
  // the end of the filter belongs to the last row
  assert.equal(rowAt(f.spans, f.text.length), 1);
  assert.equal(errorOffset('no position here', f.text), null);
  assert.equal(rowAt([], 3), null);
});

test('filter text → rows: the canonical forms the API gives back, any case, and back to the same text', () => {
  const texts = [
    'mobile and not opted_out and attributes.city = "Leeds"',
    'in group "VIP" or attributes.spend >= 500',
    'last_activity within 30d and created before 2026-01-31',
    'not in group "Staff" and first_name exists and not last_name exists',
    'phone starts_with "+44" and first_name contains "an"',
    'attributes.note = "say \\"hi\\""',
    'first_name != "Ann"',
  ];
  for (const t of texts) {
    const r = filterToRows(t);
    assert.ok(r, t);
    assert.equal(rowsToFilter(r.rows, r.join).text, t);
  }
  const r = filterToRows('MOBILE AND Attributes.City="Leeds"');
  assert.deepEqual(r, { join: 'and', rows: [row('mobile', 'is'), row('attribute', '=', 'Leeds', 'City')] });
  assert.deepEqual(filterToRows('  '), { join: 'and', rows: [] });
  assert.equal(filterToRows('in group "<img src=x onerror=alert(1)>"').rows[0].value, '<img src=x onerror=alert(1)>');
});

test('filter text rows cannot say exactly is left to the text editor (null)', () => {
  for (const t of [
    'mobile and (opted_out or phone exists)', // parentheses
    'mobile and opted_out or phone exists', // mixed and/or
    'not first_name = "Ann"', // a negated comparison
    'attributes.code = "42"', // a string that reads as a number would come back a number
    'first_name contains 42', // refused by the API anyway
    'first_name = "unclosed',
    'first_name = "bad \\n escape"',
    'mobile opted_out',
    'not last_activity within 30d',
    'attributes. = "x"',
  ]) {
    assert.equal(filterToRows(t), null, t);
  }
  assert.equal(tokenize('a ! b'), null);
});

test('merge fields: the fixed names, then attribute keys seen on contacts, short unless they collide', () => {
  const fields = mergeFields([
    { attributes: { city: 'Leeds', 'bad key': 1 } },
    { attributes: { phone: 'x', city: 'York', age: 3 } },
    { attributes: null },
    {},
  ]);
  assert.deepEqual(fields.map((f) => f.token), [
    '{{first_name}}', '{{last_name}}', '{{phone}}', '{{age}}', '{{city}}', '{{attributes.phone}}',
  ]);
  assert.deepEqual(mergeFields().map((f) => f.name), ['first_name', 'last_name', 'phone']);
});

test('inserting a field replaces the selection and puts the caret after it', () => {
  assert.deepEqual(insertAt('Hi !', 3, 3, '{{first_name}}'), { body: 'Hi {{first_name}}!', caret: 17 });
  assert.deepEqual(insertAt('Hi you!', 3, 6, '{{first_name}}'), { body: 'Hi {{first_name}}!', caret: 17 });
  // no caret known (the box never had focus): at the end
  assert.deepEqual(insertAt('Hi ', undefined, undefined, '{{x}}'), { body: 'Hi {{x}}', caret: 8 });
  assert.deepEqual(insertAt('ab', 9, 1, '{{x}}'), { body: 'ab{{x}}', caret: 7 });
});

test('/groups/<id>, /segments/new and /templates/<id> belong to their pages', () => {
  assert.equal(pageFor('/groups/grp_1').label, 'Groups');
  assert.equal(pageFor('/segments/new').label, 'Segments');
  assert.equal(pageFor('/templates/tpl_1').label, 'Templates');
});

test('the phone numbers box: one per line or comma-separated, blanks and repeats dropped', () => {
  assert.deepEqual(splitContacts(' +447400200001\n\n+447400200002, ctc_1;+447400200001 \n'),
    ['+447400200001', '+447400200002', 'ctc_1']);
  assert.deepEqual(splitContacts(''), []);
});
