// The provider form's logic (src/provider_form.js): a kind's description
// (the shape GET /v1/provider-kinds answers) → the form's layout, its
// starting values, the config sent, and where an API error goes.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { problemToError } from '../../src/api.js';
import { configPayload, errorsFor, fieldId, formModel, initialState } from '../../src/provider_form.js';

const f = (key, extra = {}) => ({
  key, label: key.toUpperCase(), type: 'string', required: false, secret: false, advanced: false, help: `help ${key}`,
  ...extra,
});

// Shaped like Twilio's row, but the logic must not care which kind it is.
const KIND = {
  name: 'acme',
  label: 'Acme SMS',
  fields: [
    f('account_sid', { required: true }),
    f('auth_token', { secret: true, one_of: { group: 'credentials', option: 'auth_token' } }),
    f('api_key_sid', { one_of: { group: 'credentials', option: 'api_key' } }),
    f('api_key_secret', { secret: true, one_of: { group: 'credentials', option: 'api_key' } }),
    f('from', { one_of: { group: 'sender', option: 'from' } }),
    f('params', { advanced: true, multiline: true, one_of: { group: 'sender', option: 'params' } }),
    f('base_url', { advanced: true, default: 'https://api.example.com' }),
    f('mps', { type: 'number', default: 1 }),
    f('allow_from', { type: 'list', advanced: true }),
    f('mo', { type: 'boolean', default: false }),
    f('status_callback_url', { advanced: true, common: true }),
  ],
};

test('formModel: plain fields in order, each one_of group one choice where its first field is', () => {
  const m = formModel(KIND);
  const keys = (items) => items.map((i) => (i.type === 'field' ? i.field.key : `choice:${i.group}`));
  assert.deepEqual(keys(m.main), ['account_sid', 'choice:credentials', 'choice:sender', 'mps', 'mo']);
  assert.deepEqual(keys(m.advanced), ['base_url', 'allow_from', 'status_callback_url']);
  const cred = m.main[1];
  assert.equal(cred.legend, 'AUTH_TOKEN or API_KEY_SID + API_KEY_SECRET');
  assert.deepEqual(cred.options.map((o) => [o.option, o.label, o.fields.map((x) => x.key)]), [
    ['auth_token', 'AUTH_TOKEN', ['auth_token']],
    ['api_key', 'API_KEY_SID + API_KEY_SECRET', ['api_key_sid', 'api_key_secret']],
  ]);
});

test('formModel: a group whose every field is advanced goes behind the disclosure', () => {
  const kind = { fields: [f('a'), f('x', { advanced: true, one_of: { group: 'g', option: 'x' } }),
    f('y', { advanced: true, one_of: { group: 'g', option: 'y' } })] };
  const m = formModel(kind);
  assert.deepEqual(m.main.map((i) => i.field.key), ['a']);
  assert.equal(m.advanced[0].type, 'choice');
  assert.equal(m.advanced[0].group, 'g');
});

test('formModel: a field or kind the console never saw appears (nothing is named)', () => {
  const m = formModel({ fields: [f('brand_new_key', { label: 'Brand new' })] });
  assert.equal(m.main[0].field.label, 'Brand new');
  assert.deepEqual(formModel({ fields: [] }), { main: [], advanced: [] });
});

test('initialState for a new provider: empty text, booleans at their default, first option chosen', () => {
  const s = initialState(KIND, null);
  assert.equal(s.values.base_url, '', 'a default is a placeholder, not a value');
  assert.equal(s.values.mps, '');
  assert.equal(s.values.mo, false);
  assert.deepEqual(s.choices, { credentials: 'auth_token', sender: 'from' });
});

test('initialState when editing: the config as text, secrets empty, the option in use chosen', () => {
  const provider = { config: { account_sid: 'AC1', api_key_sid: 'SK1', api_key_secret: '••••abcd',
    from: ['+15005550006', '+15005550007'], allow_from: ['10.0.0.0/8', '::1/128'], mps: 5, mo: true } };
  const s = initialState(KIND, provider);
  assert.equal(s.values.account_sid, 'AC1');
  assert.equal(s.values.api_key_secret, '', 'a masked secret is never put back in the form');
  assert.equal(s.values.from, '+15005550006|+15005550007');
  assert.equal(s.values.allow_from, '10.0.0.0/8, ::1/128');
  assert.equal(s.values.mps, '5');
  assert.equal(s.values.mo, true);
  assert.deepEqual(s.choices, { credentials: 'api_key', sender: 'from' });
});

test('configPayload (new): values typed, typed as their type; other options and empty fields left out', () => {
  const init = initialState(KIND, null);
  const state = {
    choices: { credentials: 'api_key', sender: 'params' },
    values: { ...init.values, account_sid: ' AC1 ', auth_token: 'left-over', api_key_sid: 'SK1',
      api_key_secret: 's3cret', from: '+1500', params: 'api_id=1\nfrom=2782|2783\nmo=1', mps: '10',
      allow_from: '10.0.0.0/8,\n ::1/128', mo: true },
  };
  assert.deepEqual(configPayload(KIND, state, init, false), {
    account_sid: 'AC1', api_key_sid: 'SK1', api_key_secret: 's3cret',
    params: 'api_id=1\nfrom=2782|2783\nmo=1', mps: 10, allow_from: ['10.0.0.0/8', '::1/128'], mo: true,
  });
});

test('configPayload: a number that is not one is sent as typed, so the API names the field', () => {
  const init = initialState(KIND, null);
  const state = { ...init, values: { ...init.values, account_sid: 'AC1', mps: 'fast' } };
  assert.equal(configPayload(KIND, state, init, false).mps, 'fast');
});

test('configPayload (edit): only changes; an untyped secret is kept (not sent); an emptied field is null', () => {
  const provider = { config: { account_sid: 'AC1', auth_token: '••••abcd', from: ['+1500'], base_url: 'http://sim',
    status_callback_url: 'https://proxy.example/cb', mo: false } };
  const init = initialState(KIND, provider);
  const unchanged = configPayload(KIND, init, init, true);
  assert.deepEqual(unchanged, {}, 'nothing typed, nothing sent (the masked token is never sent back)');
  const state = { ...init, values: { ...init.values, auth_token: 'new-token', status_callback_url: '', mo: true } };
  assert.deepEqual(configPayload(KIND, state, init, true), { auth_token: 'new-token', status_callback_url: null, mo: true });
});

test('errorsFor: a config field error goes beside that field and links from the summary', () => {
  const err = problemToError(400, { code: 'invalid_config', detail: 'account_sid must be AC…', field: 'config.account_sid' });
  const e = errorsFor(err, KIND);
  assert.equal(fieldId('account_sid'), 'cfg-account_sid');
  assert.deepEqual(e.fields, { 'cfg-account_sid': 'account_sid must be AC…' });
  assert.deepEqual(e.summary, [{ field: 'cfg-account_sid', text: 'account_sid must be AC…' }]);
});

test('errorsFor: name goes beside Name; an unknown field or none goes to the top only', () => {
  assert.deepEqual(errorsFor(problemToError(409, { detail: 'taken', field: 'name' }), KIND).fields, { name: 'taken' });
  assert.deepEqual(errorsFor(problemToError(400, { detail: 'long', field: 'title' }), KIND).fields, { title: 'long' });
  const unknown = errorsFor(problemToError(400, { detail: 'odd', field: 'config.nope' }), KIND);
  assert.deepEqual(unknown, { fields: {}, summary: [{ text: 'odd' }] });
  const none = errorsFor(problemToError(503, { detail: 'database busy' }), KIND);
  assert.deepEqual(none, { fields: {}, summary: [{ text: 'database busy' }] });
});
