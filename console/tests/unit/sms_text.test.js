// The Send page's counter (src/sms_text.js) against the server's rules in
// src/core/gsm7.c: the same alphabet, the same counts, the same segments.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { GSM7, MAX_CHARS, UCS2, analyzeSms, describeChar, gsm7Septets, markUcs2 } from '../../src/sms_text.js';

// gsm7.c's latin1_septets table, row by row (16 code points a row), and its
// high_septets: the whole GSM-7 alphabet as the server sees it.
const LATIN1 = [
  [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2, 1, 0, 0],
  [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
  [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
  [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
  [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
  [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 1],
  [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
  [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 0],
  [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
  [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
  [0, 1, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0],
  [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
  [0, 0, 0, 0, 1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0],
  [0, 1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 0, 1],
  [1, 0, 0, 0, 1, 1, 1, 0, 1, 1, 0, 0, 1, 0, 0, 0],
  [0, 1, 1, 0, 0, 0, 1, 0, 1, 1, 0, 0, 1, 0, 0, 0],
].flat();
const HIGH = new Map([
  [0x0393, 1], [0x0394, 1], [0x0398, 1], [0x039b, 1], [0x039e, 1],
  [0x03a0, 1], [0x03a3, 1], [0x03a6, 1], [0x03a8, 1], [0x03a9, 1], [0x20ac, 2],
]);

test('every code point of the BMP has the server\'s septet count', () => {
  for (let cp = 0; cp < 0x10000; cp++) {
    const want = cp < 256 ? LATIN1[cp] : HIGH.get(cp) ?? 0;
    assert.equal(gsm7Septets(cp), want, `U+${cp.toString(16)}`);
  }
  assert.equal(gsm7Septets(0x1f600), 0, 'an emoji is not GSM');
});

test('ESC, backquote, DEL and NUL are not GSM characters (the server refuses them as GSM)', () => {
  for (const c of ['\x1b', '`', '\x7f', '\0', '\t']) assert.equal(analyzeSms(`a${c}`).encoding, UCS2, JSON.stringify(c));
});

test('empty body: no characters, no segments, GSM-7', () => {
  assert.deepEqual(analyzeSms(''), {
    encoding: GSM7, chars: 0, units: 0, segments: 0, perSegment: 160, tooLong: false, ucs2: [],
  });
});

test('GSM-7: 160 characters in one segment, 161 in two, 153 a part after that', () => {
  const cases = [[1, 1], [160, 1], [161, 2], [306, 2], [307, 3], [459, 3], [460, 4], [1530, 10], [1531, 11]];
  for (const [n, segs] of cases) {
    const r = analyzeSms('a'.repeat(n));
    assert.equal(r.encoding, GSM7);
    assert.equal(r.chars, n);
    assert.equal(r.units, n);
    assert.equal(r.segments, segs, `${n} chars`);
  }
  assert.equal(analyzeSms('a'.repeat(160)).perSegment, 160);
  assert.equal(analyzeSms('a'.repeat(161)).perSegment, 153);
});

test('extension characters count 2 septets and are never split across parts', () => {
  const euro = analyzeSms('€');
  assert.deepEqual([euro.encoding, euro.chars, euro.units, euro.segments], [GSM7, 1, 2, 1]);
  for (const c of '\f^{}\\[~]|€') assert.equal(analyzeSms(c).units, 2, JSON.stringify(c));
  // 80 € = 160 septets: one part; 81 = 162: two parts of 76 + 5... packed by 153.
  assert.equal(analyzeSms('€'.repeat(80)).segments, 1);
  assert.equal(analyzeSms('€'.repeat(81)).segments, 2);
  // 152 septets then € (2): 154 > 153, so € opens part 2; total 154 + 7 = 161 → 2 parts.
  assert.equal(analyzeSms('a'.repeat(152) + '€' + 'a'.repeat(7)).segments, 2);
  // 152 + € + 151 a = 305 septets, but € moved to part 2: 152 | 2+151 = 153 → 2 parts.
  assert.equal(analyzeSms('a'.repeat(152) + '€' + 'a'.repeat(151)).segments, 2);
  // one more a does not fit: 3 parts, though 306 septets would fit 2 × 153.
  const r = analyzeSms('a'.repeat(152) + '€' + 'a'.repeat(152));
  assert.equal(r.units, 306);
  assert.equal(r.segments, 3);
});

test('UCS-2: 70 in one segment, 71 in two, 67 a part after that', () => {
  const cases = [[1, 1], [70, 1], [71, 2], [134, 2], [135, 3]];
  for (const [n, segs] of cases) {
    const r = analyzeSms('ł'.repeat(n));
    assert.equal(r.encoding, UCS2);
    assert.equal(r.units, n);
    assert.equal(r.segments, segs, `${n} chars`);
  }
  assert.equal(analyzeSms('ł'.repeat(71)).perSegment, 67);
});

test('one character outside GSM-7 makes the whole body UCS-2, extension characters then count 1', () => {
  const r = analyzeSms('€ł');
  assert.deepEqual([r.encoding, r.chars, r.units, r.segments], [UCS2, 2, 2, 1]);
  assert.deepEqual(r.ucs2, [{ index: 1, char: 'ł' }]);
  assert.equal(analyzeSms('a'.repeat(159) + 'ł').segments, 3, '160 UCS-2 units: 67 + 67 + 26');
});

test('an emoji is one character, two UCS-2 units, and its pair is never split', () => {
  const r = analyzeSms('hi 😀');
  assert.deepEqual([r.encoding, r.chars, r.units, r.segments], [UCS2, 4, 5, 1]);
  assert.deepEqual(r.ucs2, [{ index: 3, char: '😀' }]);
  assert.equal(analyzeSms('😀'.repeat(35)).segments, 1, '70 units');
  assert.equal(analyzeSms('😀'.repeat(36)).segments, 2, '72 units');
  // 66 units then an emoji: 68 > 67, so it opens part 2; 66 | 2 + 65 = 67 → 2 parts.
  assert.equal(analyzeSms('ł'.repeat(66) + '😀' + 'ł'.repeat(65)).segments, 2);
  assert.equal(analyzeSms('ł'.repeat(66) + '😀' + 'ł'.repeat(66)).segments, 3);
});

test('every character forcing UCS-2 is listed with its position in characters', () => {
  assert.deepEqual(analyzeSms('😀ał`').ucs2, [
    { index: 0, char: '😀' }, { index: 2, char: 'ł' }, { index: 3, char: '`' },
  ]);
});

test('more than 1600 characters is too long (the API refuses it)', () => {
  assert.equal(analyzeSms('a'.repeat(MAX_CHARS)).tooLong, false);
  assert.equal(analyzeSms('a'.repeat(MAX_CHARS + 1)).tooLong, true);
  assert.equal(analyzeSms('😀'.repeat(MAX_CHARS)).tooLong, false, 'characters, not units');
});

test('markUcs2 cuts the body into plain runs and one run per UCS-2 character', () => {
  assert.deepEqual(markUcs2('zał😀x'), [
    { text: 'za', ucs2: false }, { text: 'ł', ucs2: true }, { text: '😀', ucs2: true }, { text: 'x', ucs2: false },
  ]);
  assert.deepEqual(markUcs2('plain €'), [{ text: 'plain €', ucs2: false }]);
  assert.deepEqual(markUcs2(''), []);
  assert.equal(markUcs2('ł😀ab').map((r) => r.text).join(''), 'ł😀ab');
});

test('describeChar names the code point, and shows only visible characters', () => {
  assert.equal(describeChar('ł'), 'ł (U+0142)');
  assert.equal(describeChar('😀'), '😀 (U+1F600)');
  assert.equal(describeChar('\t'), '(U+0009)');
});
