import assert from 'node:assert/strict';
import { test } from 'node:test';

import { addressWithSearch, countLine, listPath, searchOf } from '../../src/list_search.js';

test('the search lives in the address: read back trimmed, written encoded, none when empty', () => {
  assert.equal(searchOf('?q=%2B44%207400'), '+44 7400');
  assert.equal(searchOf('?q=+ada+'), 'ada'); // a + in a query string is a space
  assert.equal(searchOf('?other=1'), '');
  assert.equal(searchOf(''), '');
  assert.equal(addressWithSearch('/console/contacts', ' +44 7400 '), '/console/contacts?q=%2B44+7400');
  assert.equal(searchOf(addressWithSearch('/console/contacts', '+44 7400').split('?')[1]), '+44 7400');
  assert.equal(addressWithSearch('/console/contacts', '   '), '/console/contacts');
  assert.equal(addressWithSearch('/console/optouts', '<b>x</b>'), '/console/optouts?q=%3Cb%3Ex%3C%2Fb%3E');
});

test('a page of a list asks the API with limit, q and cursor, leaving out empty ones', () => {
  assert.equal(listPath('/v1/contacts', { limit: 50 }), '/v1/contacts?limit=50');
  assert.equal(listPath('/v1/contacts', { q: ' ada ', limit: 50, cursor: 'ctc_1' }), '/v1/contacts?limit=50&q=ada&cursor=ctc_1');
  assert.equal(listPath('/v1/optouts', { q: '+44', cursor: '+447400123456' }), '/v1/optouts?q=%2B44&cursor=%2B447400123456');
  assert.equal(listPath('/v1/optouts'), '/v1/optouts');
});

test('the count line says listed, or what matched', () => {
  assert.equal(countLine(3, 'contact', '', null), '3 contacts listed');
  assert.equal(countLine(1, 'contact', '', 'c'), '1 contact listed (more below)');
  assert.equal(countLine(1, 'contact', 'ada', null), '1 contact matches “ada”');
  assert.equal(countLine(0, 'opt-out', '+44', null), '0 opt-outs match “+44”');
  assert.equal(countLine(50, 'contact', 'ada', 'x'), '50 contacts match “ada” (more below)');
});
