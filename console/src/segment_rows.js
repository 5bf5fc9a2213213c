// The segment editor's rows (attribute / operator / value) and the filter text
// of the API (docs/segments.md) both ways. Rows cover a flat filter: tests
// joined all by "and" or all by "or", each optionally negated where the
// language allows it simply (mobile, opted_out, in group, exists). Anything
// else (parentheses, mixed and/or, a string that looks like a number) is
// edited as text: filterToRows answers null for it, never a lossy guess.

/** The attributes a row can test, in the editor's order. kind picks the
 * operators; `key` rows name a custom attribute. */
export const FIELDS = [
  { id: 'first_name', label: 'First name', kind: 'text' },
  { id: 'last_name', label: 'Last name', kind: 'text' },
  { id: 'phone', label: 'Phone', kind: 'text' },
  { id: 'attribute', label: 'Custom attribute', kind: 'text', key: true },
  { id: 'mobile', label: 'Mobile number', kind: 'flag' },
  { id: 'opted_out', label: 'Opted out', kind: 'flag' },
  { id: 'group', label: 'Group', kind: 'group' },
  { id: 'last_activity', label: 'Last activity', kind: 'date' },
  { id: 'created', label: 'Created', kind: 'date' },
];

/** The operators of each kind: id (what rows hold), label, and whether a
 * value is typed. */
export const OPERATORS = {
  text: [
    { id: '=', label: 'is', value: true },
    { id: '!=', label: 'is not', value: true },
    { id: 'contains', label: 'contains', value: true },
    { id: 'starts_with', label: 'starts with', value: true },
    { id: '<', label: 'is less than', value: true },
    { id: '<=', label: 'is at most', value: true },
    { id: '>', label: 'is more than', value: true },
    { id: '>=', label: 'is at least', value: true },
    { id: 'exists', label: 'has a value', value: false },
    { id: 'not_exists', label: 'has no value', value: false },
  ],
  flag: [
    { id: 'is', label: 'yes', value: false },
    { id: 'is_not', label: 'no', value: false },
  ],
  group: [
    { id: 'in', label: 'is a member of', value: true },
    { id: 'not_in', label: 'is not a member of', value: true },
  ],
  date: [
    { id: 'within', label: 'within the last', value: true },
    { id: 'before', label: 'before', value: true },
    { id: 'after', label: 'on or after', value: true },
  ],
};

/** A hint for the value of a row's kind and operator. */
export function valueHint(kind, op) {
  if (kind === 'date') {
    return op === 'within' ? 'A duration: 30d, 2w, 12h, 90m.' : 'A date (2026-01-31) or a duration back from now (30d).';
  }
  if (kind === 'group') return 'The group\u2019s exact name.';
  if (op === 'contains' || op === 'starts_with') return 'Text.';
  return 'Text, or a number (42, -3.5) to compare as a number.';
}

const NUMBER = /^-?\d+(\.\d+)?$/;
const KEY = /^[A-Za-z0-9_]{1,64}$/;
const TEXT_FIELDS = ['first_name', 'last_name', 'phone'];
const DATE_FIELDS = ['last_activity', 'created'];

export const fieldOf = (id) => FIELDS.find((f) => f.id === id) ?? FIELDS[0];

/** A new row for field id, with its first operator. */
export function newRow(id = 'first_name') {
  const f = fieldOf(id);
  return { field: f.id, key: '', op: OPERATORS[f.kind][0].id, value: '' };
}

/** A string literal of the filter language: only \" and \\ are escaped. */
export function quote(s) {
  return '"' + String(s).replace(/[\\"]/g, (c) => '\\' + c) + '"';
}

function fieldName(row) {
  return row.field === 'attribute' ? `attributes.${String(row.key ?? '').trim()}` : row.field;
}

/** One row as a test of the filter language. */
export function rowToTest(row) {
  const f = fieldOf(row.field);
  const value = String(row.value ?? '').trim();
  switch (f.kind) {
    case 'flag':
      return row.op === 'is_not' ? `not ${f.id}` : f.id;
    case 'group':
      return `${row.op === 'not_in' ? 'not ' : ''}in group ${quote(row.value ?? '')}`;
    case 'date':
      return `${f.id} ${row.op} ${value}`;
    default:
      if (row.op === 'exists') return `${fieldName(row)} exists`;
      if (row.op === 'not_exists') return `not ${fieldName(row)} exists`;
      if (row.op !== 'contains' && row.op !== 'starts_with' && NUMBER.test(value)) {
        return `${fieldName(row)} ${row.op} ${value}`;
      }
      return `${fieldName(row)} ${row.op} ${quote(row.value ?? '')}`;
  }
}

/**
 * Rows joined by "and" or "or" as filter text, with where each row's test
 * starts and ends in it (to put the API's "… at 27" beside its row).
 * No rows: "" (every contact).
 * @returns {{text: string, spans: {start: number, end: number}[]}}
 */
export function rowsToFilter(rows, join = 'and') {
  let text = '';
  const spans = [];
  rows.forEach((r, i) => {
    if (i) text += ` ${join} `;
    const t = rowToTest(r);
    spans.push({ start: text.length, end: text.length + t.length });
    text += t;
  });
  return { text, spans };
}

/** The byte offset an API filter error ends with ("… at 27"), or null. The
 * API counts UTF-8 bytes; the text is turned back into a string index. */
export function errorOffset(detail, text) {
  const m = /\bat (\d+)(?:\D*)$/.exec(String(detail ?? ''));
  if (!m) return null;
  const bytes = Number(m[1]);
  const enc = new TextEncoder();
  let used = 0;
  let i = 0;
  for (const c of String(text ?? '')) {
    if (used >= bytes) break;
    used += enc.encode(c).length;
    i += c.length;
  }
  return i;
}

/** The index of the row an error at string index `at` belongs to (the end of
 * the filter belongs to the last row), or null. */
export function rowAt(spans, at) {
  if (at == null || !spans.length) return null;
  for (let i = 0; i < spans.length; i++) if (at <= spans[i].end) return i;
  return spans.length - 1;
}

/** Tokens: {t: 'str'|'word'|'op'|'(' |')', v}; null for text the language
 * would not read (an unclosed string, an unknown escape). */
export function tokenize(text) {
  const out = [];
  const s = String(text ?? '');
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')') {
      out.push({ t: c, v: c });
      i++;
    } else if (c === '"') {
      let v = '';
      i++;
      for (;;) {
        if (i >= s.length) return null;
        if (s[i] === '"') break;
        if (s[i] === '\\') {
          if (s[i + 1] !== '"' && s[i + 1] !== '\\') return null;
          v += s[i + 1];
          i += 2;
        } else {
          v += s[i++];
        }
      }
      i++;
      out.push({ t: 'str', v });
    } else if (/[!<>=]/.test(c)) {
      const two = s.slice(i, i + 2);
      const op = ['!=', '<=', '>='].includes(two) ? two : c;
      if (op === '!') return null;
      out.push({ t: 'op', v: op });
      i += op.length;
    } else {
      const m = /^[^\s()"!<>=]+/.exec(s.slice(i));
      out.push({ t: 'word', v: m[0] });
      i += m[0].length;
    }
  }
  return out;
}

const lower = (tok) => (tok && tok.t === 'word' ? tok.v.toLowerCase() : null);

/** One test from toks at i: {row, next} or null. */
function parseTest(toks, i) {
  let neg = false;
  if (lower(toks[i]) === 'not') {
    neg = true;
    i++;
  }
  const w = lower(toks[i]);
  if (w === 'mobile' || w === 'opted_out') return { row: { field: w, key: '', op: neg ? 'is_not' : 'is', value: '' }, next: i + 1 };
  if (w === 'in') {
    if (lower(toks[i + 1]) !== 'group' || toks[i + 2]?.t !== 'str') return null;
    return { row: { field: 'group', key: '', op: neg ? 'not_in' : 'in', value: toks[i + 2].v }, next: i + 3 };
  }
  if (w && DATE_FIELDS.includes(w)) {
    const op = lower(toks[i + 1]);
    if (neg || !['within', 'before', 'after'].includes(op) || toks[i + 2]?.t !== 'word') return null;
    return { row: { field: w, key: '', op, value: toks[i + 2].v }, next: i + 3 };
  }
  let field = null;
  let key = '';
  if (w && TEXT_FIELDS.includes(w)) field = w;
  else if (w && w.startsWith('attributes.') && KEY.test(toks[i].v.slice(11))) {
    field = 'attribute';
    key = toks[i].v.slice(11);
  }
  if (!field) return null;
  const op = toks[i + 1];
  if (lower(op) === 'exists') return { row: { field, key, op: neg ? 'not_exists' : 'exists', value: '' }, next: i + 2 };
  if (neg) return null;
  const opId = op?.t === 'op' ? op.v : ['contains', 'starts_with'].includes(lower(op)) ? lower(op) : null;
  const val = toks[i + 2];
  if (!opId || !val) return null;
  const text = opId === 'contains' || opId === 'starts_with';
  if (val.t === 'str') {
    // a string that reads as a number would come back as a number
    if (!text && NUMBER.test(val.v.trim())) return null;
    return { row: { field, key, op: opId, value: val.v }, next: i + 3 };
  }
  if (val.t === 'word' && NUMBER.test(val.v) && !text) return { row: { field, key, op: opId, value: val.v }, next: i + 3 };
  return null;
}

/**
 * Filter text as rows: {join, rows}, or null when the filter is more than
 * rows can say (edit it as text then). "" (every contact) is no rows.
 */
export function filterToRows(text) {
  const toks = tokenize(text);
  if (!toks) return null;
  if (!toks.length) return { join: 'and', rows: [] };
  const rows = [];
  let join = null;
  let i = 0;
  for (;;) {
    const r = parseTest(toks, i);
    if (!r) return null;
    rows.push(r.row);
    i = r.next;
    if (i === toks.length) break;
    const j = lower(toks[i]);
    if (j !== 'and' && j !== 'or') return null;
    if (join && j !== join) return null;
    join = j;
    i++;
  }
  return { join: join ?? 'and', rows };
}
