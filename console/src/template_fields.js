// The template editor's merge fields (src/core/template.h): the fixed names,
// then the custom attributes seen on contacts; what a click inserts, and where
// the caret goes after it.

export const FIXED_FIELDS = ['first_name', 'last_name', 'phone'];
const KEY = /^[A-Za-z0-9_]{1,64}$/;

/**
 * The merge fields to offer: {name, label, token} for the fixed names, then
 * each attribute key seen on `contacts` (sorted, once, only the keys a
 * template can name). token is what is inserted: "{{first_name}}", and a key
 * in its short form "{{city}}" unless it collides with a fixed name.
 */
export function mergeFields(contacts = []) {
  const keys = new Set();
  for (const c of contacts) {
    const a = c?.attributes;
    if (a && typeof a === 'object' && !Array.isArray(a)) for (const k of Object.keys(a)) if (KEY.test(k)) keys.add(k);
  }
  const fixed = FIXED_FIELDS.map((name) => ({ name, label: name, token: `{{${name}}}` }));
  const custom = [...keys].sort().map((k) => {
    const short = !FIXED_FIELDS.includes(k) && k !== 'attributes';
    return { name: `attributes.${k}`, label: k, token: short ? `{{${k}}}` : `{{attributes.${k}}}` };
  });
  return [...fixed, ...custom];
}

/**
 * Insert token into body in place of the selection [start, end) (a caret when
 * equal; clamped to the body): {body, caret} with the caret after the token.
 */
export function insertAt(body, start, end, token) {
  const s = String(body ?? '');
  const a = Math.max(0, Math.min(s.length, Number.isInteger(start) ? start : s.length));
  const b = Math.max(a, Math.min(s.length, Number.isInteger(end) ? end : a));
  return { body: s.slice(0, a) + token + s.slice(b), caret: a + token.length };
}
