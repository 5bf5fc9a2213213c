// WCAG 2.1 AA contrast of the console's palette (src/style.css), computed from
// the stylesheet itself: 4.5:1 for text, 3:1 for input edges and focus.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

const css = readFileSync(new URL('../../src/style.css', import.meta.url), 'utf8');

function colour(name) {
  const m = new RegExp(`--${name}:\\s*(#[0-9a-fA-F]{6})`).exec(css);
  assert.ok(m, `--${name} is defined as #rrggbb`);
  return m[1];
}

function luminance(hex) {
  const c = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
  const lin = c.map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
  return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2];
}

export function ratio(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

test('the contrast formula matches known values', () => {
  assert.equal(ratio('#000000', '#ffffff').toFixed(1), '21.0');
  assert.equal(ratio('#ffffff', '#ffffff').toFixed(1), '1.0');
  assert.equal(ratio('#767676', '#ffffff').toFixed(2), '4.54'); // the classic AA grey
});

test('every text colour on every background it is used on meets AA', () => {
  const white = '#ffffff';
  const pairs = [
    // [foreground, background, minimum, where]
    ['text', 'bg', 4.5, 'body text'],
    ['text', 'panel', 4.5, 'text on panels, table heads, figures'],
    ['muted', 'bg', 4.5, 'hints, counts'],
    ['muted', 'panel', 4.5, 'figure labels'],
    ['link', 'bg', 4.5, 'links'],
    ['link', 'panel', 4.5, 'navigation links'],
    ['error', 'bg', 4.5, 'error messages'],
    [white, 'brand', 4.5, 'header text, primary button'],
    ['brand', 'bg', 4.5, 'secondary button text'],
    ['focus-text', 'focus', 4.5, 'a focused link'],
    ['border', 'bg', 3, 'input edges'],
    ['focus-text', 'bg', 3, 'the focus ring edge'],
  ];
  const get = (x) => (x.startsWith('#') ? x : colour(x));
  for (const [fg, bg, min, where] of pairs) {
    const r = ratio(get(fg), get(bg));
    assert.ok(r >= min, `${where}: ${fg} on ${bg} is ${r.toFixed(2)}:1, needs ${min}:1`);
  }
});
