import assert from 'node:assert/strict';
import { test } from 'node:test';

import { formToBody, matchText, moveItem, providerNames, routeToForm, splitList } from '../../src/routes_logic.js';
import { pageFor } from '../../src/pages.js';

const ROUTE = {
  id: 'rte_1', name: 'kenya', match: { countries: ['KE'], prefixes: ['+2547'] },
  providers: ['prv_a', 'prv_b'], strategy: 'weighted', weights: [3, 1], on_unknown: 'failover',
};

test('a route → form → body keeps every field; weights only when weighted', () => {
  const form = routeToForm(ROUTE);
  assert.deepEqual(form.weights, { prv_a: '3', prv_b: '1' });
  assert.deepEqual(formToBody(form), {
    name: 'kenya', match: { countries: ['KE'], prefixes: ['+2547'] }, providers: ['prv_a', 'prv_b'],
    strategy: 'weighted', on_unknown: 'failover', weights: [3, 1],
  });
  assert.equal('weights' in formToBody({ ...form, strategy: 'priority' }), false);
  // a weight that is not a whole number goes as typed: the API refuses it beside the field
  assert.deepEqual(formToBody({ ...form, weights: { prv_a: 'x', prv_b: ' 2 ' } }).weights, ['x', 2]);
  assert.deepEqual(routeToForm(null).providers, []);
});

test('lists: commas or spaces, countries upper-cased, blanks dropped', () => {
  assert.deepEqual(splitList('gb, IE,,', true), ['GB', 'IE']);
  assert.deepEqual(splitList('+2547 +2541'), ['+2547', '+2541']);
  assert.deepEqual(splitList(''), []);
});

test('moving a provider up or down, and not past the ends', () => {
  const l = ['a', 'b', 'c'];
  assert.deepEqual(moveItem(l, 2, -1), ['a', 'c', 'b']);
  assert.deepEqual(moveItem(l, 0, 1), ['b', 'a', 'c']);
  assert.equal(moveItem(l, 0, -1), l);
  assert.equal(moveItem(l, 2, 1), l);
});

test('a match and providers in words; the Routes page is routed', () => {
  assert.equal(matchText(ROUTE), 'KE or numbers starting +2547');
  assert.equal(matchText({ match: { countries: [], prefixes: [] } }), 'Every destination');
  assert.deepEqual(providerNames(['prv_a', 'prv_x'], [{ id: 'prv_a', name: 'twilio' }]), ['twilio', '(removed)']);
  assert.equal(pageFor('/routes').label, 'Routes');
});
