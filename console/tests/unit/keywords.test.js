// The Keywords page's pure logic: a rule as the form and back as the API's body,
// the API's field names as input ids, and the actions in words.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { actionsSummary, fieldId, formToBody, ruleToForm } from '../../src/keywords_logic.js';

test('a new form is an exact rule with one reply', () => {
  assert.deepEqual(ruleToForm(null), { keyword: '', match: 'exact', to: '', priority: '0', actions: [{ type: 'reply' }] });
});

test('the form as the body: trimmed, to null when empty, only the filled fields of each action type', () => {
  const form = {
    keyword: ' join ', match: 'first_word', to: ' ', priority: '5',
    actions: [
      { type: 'add_to_group', group: '{{rest}}', reply: 'Joined.', reply_already: '', body: 'left over from a reply' },
      { type: 'webhook', group: 'ignored' },
    ],
  };
  assert.deepEqual(formToBody(form), {
    keyword: 'join', match: 'first_word', to: null, priority: 5,
    actions: [{ type: 'add_to_group', group: '{{rest}}', reply: 'Joined.' }, { type: 'webhook' }],
  });
  // a priority that is not a number goes as typed, for the API to refuse beside the field
  assert.equal(formToBody({ ...form, priority: 'high' }).priority, 'high');
});

test('a stored rule round-trips through the form', () => {
  const rule = { id: 'kwr_1', keyword: 'LEAVE', match: 'first_word', to: '+15005550006', priority: -2,
    actions: [{ type: 'remove_from_group', group: 'news', reply_not_member: 'Not a member.' }] };
  const body = formToBody(ruleToForm(rule));
  assert.deepEqual(body, { keyword: 'LEAVE', match: 'first_word', to: '+15005550006', priority: -2, actions: rule.actions });
});

test("the API's fields as input ids, and the actions in words", () => {
  assert.equal(fieldId('keyword'), 'kw-keyword');
  assert.equal(fieldId('actions[1].group'), 'kw-action-1-group');
  assert.equal(fieldId('actions[0].type'), 'kw-action-0-type');
  assert.equal(fieldId('actions[2]'), 'kw-action-2-type');
  assert.equal(fieldId('actions'), 'kw-add-action');
  assert.equal(actionsSummary({ actions: [{ type: 'add_to_group', group: 'news' }, { type: 'webhook' }, { type: 'enroll' }] }),
    'Add to group: news; Tell my application (webhook message.matched); enroll');
});
