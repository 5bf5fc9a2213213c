import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  contactsToEnroll,
  describeStep,
  describeTrigger,
  duration,
  exitReason,
  fieldId,
  formToBody,
  journeyToForm,
  stateActions,
} from '../../src/journeys_logic.js';

const OFFERS = {
  id: 'jny_1',
  name: 'offers',
  state: 'draft',
  version: 2,
  trigger: { type: 'group', group: 'vip' },
  reentry: 'after_exit',
  quiet_hours: '21:00-08:00',
  steps: [
    { id: 'ask', type: 'send', body: 'Reply YES' },
    { id: 'answer', type: 'wait_for_reply', timeout_seconds: 86400, branches: [{ match: 'YES*', next: 'thanks' }], no_reply: 'done' },
    { id: 'thanks', type: 'send', body: 'Thanks', next: 'done' },
    { id: 'nap', type: 'wait', seconds: 172800, until: '10:00' },
    { id: 'done', type: 'end' },
  ],
};

test('a journey from the API goes through the editor and back unchanged', () => {
  const body = formToBody(journeyToForm(OFFERS));
  assert.deepEqual(body, {
    name: 'offers',
    trigger: { type: 'group', group: 'vip' },
    reentry: 'after_exit',
    quiet_hours: '21:00-08:00',
    steps: OFFERS.steps,
  });
});

test('the editor sends numbers as numbers, leaves empty fields out, keeps what is not a number for the API to refuse', () => {
  const form = journeyToForm(null);
  assert.equal(form.steps.length, 1);
  form.name = '  drip ';
  form.steps = [
    { id: ' w ', type: 'wait', seconds: ' 60 ', until: '', next: '' },
    { id: 'r', type: 'wait_for_reply', timeout_seconds: 'a day', branches: [{ match: '', next: 'x' }, { match: 'NO', next: 'w' }] },
  ];
  assert.deepEqual(formToBody(form), {
    name: 'drip',
    trigger: { type: 'api' },
    reentry: 'never',
    steps: [
      { id: 'w', type: 'wait', seconds: 60 },
      { id: 'r', type: 'wait_for_reply', timeout_seconds: 'a day', branches: [{ match: 'NO', next: 'w' }] },
    ],
  });
});

test("the API's field names become the editor's input ids", () => {
  assert.equal(fieldId('name'), 'jy-name');
  assert.equal(fieldId('steps[1].next'), 'jy-step-1-next');
  assert.equal(fieldId('steps[2]'), 'jy-step-2-id');
  assert.equal(fieldId('steps[2].type'), 'jy-step-2-type');
  assert.equal(fieldId('steps[0].branches[1].next'), 'jy-step-0-branch-1-next');
  assert.equal(fieldId('steps'), 'jy-add-step');
  assert.equal(fieldId('trigger.group'), 'jy-trigger-value');
  assert.equal(fieldId('quiet_hours'), 'jy-quiet_hours');
});

test('each state offers only the moves the API allows', () => {
  assert.deepEqual(stateActions('draft').map((a) => a[0]), ['activate', 'archive']);
  assert.deepEqual(stateActions('active').map((a) => a[0]), ['pause', 'archive']);
  assert.deepEqual(stateActions('paused').map((a) => a[0]), ['resume', 'archive']);
  assert.deepEqual(stateActions('archived'), []);
});

test('steps, triggers, waits and exits in words', () => {
  assert.equal(duration(172800), '2 days');
  assert.equal(duration(90), '1 minute 30 seconds');
  assert.equal(duration(0), '0 seconds');
  assert.equal(describeStep(OFFERS.steps[3]), 'Wait 2 days, then until 10:00');
  assert.equal(describeStep(OFFERS.steps[1]), 'Wait up to 1 day for a reply (YES* → thanks)');
  assert.equal(describeStep(OFFERS.steps[0]), 'Send “Reply YES”');
  assert.equal(describeTrigger(OFFERS.trigger), 'A contact is added to the group vip');
  assert.equal(describeTrigger({ type: 'keyword', keyword: 'QUIZ' }), 'A contact texts QUIZ');
  assert.equal(exitReason('opted_out'), 'Opted out');
});

test('the enrol box: one per line or comma-separated, blanks dropped', () => {
  assert.deepEqual(contactsToEnroll(' +447400123456 \n\n+14155552671, ctc_1 ,'), ['+447400123456', '+14155552671', 'ctc_1']);
});
