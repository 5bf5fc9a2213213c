// Pure helpers of the Contacts and Opt-outs pages: attributes as key/value
// rows and back, names, role checks, the import result in words, timeline
// entries in words, and the filter the named lists do over what they loaded.
// (Contacts and opt-outs are searched by the API: list_search.js.)

const RANK = { viewer: 0, sender: 1, admin: 2 };

/** Whether a session's role reaches `role` (the API's rule for that write:
 * contacts are created, edited and imported by senders; deleted, opted out
 * and opted in by admins). */
export function can(session, role) {
  return (RANK[session?.user?.role] ?? -1) >= RANK[role];
}

/**
 * A contact's attributes as editable rows. A value that is not a string (the
 * API keeps any JSON) is shown as its JSON text and remembered, so that saving
 * it unchanged keeps its type.
 * @param {Record<string, unknown>|null|undefined} attrs
 * @returns {{key:string, value:string, original?:unknown}[]}
 */
export function attributesToRows(attrs) {
  if (!attrs || typeof attrs !== 'object' || Array.isArray(attrs)) return [];
  return Object.entries(attrs).map(([key, v]) =>
    typeof v === 'string' ? { key, value: v } : { key, value: JSON.stringify(v), original: v },
  );
}

/**
 * Rows back to the attributes object for POST/PATCH. Rows with neither key nor
 * value are dropped; keys are trimmed. Errors: [{row, text}] for a value with
 * no name and for a name given twice.
 * @param {{key:string, value:string, original?:unknown}[]} rows
 * @returns {{attributes: Record<string, unknown>, errors: {row:number, text:string}[]}}
 */
export function rowsToAttributes(rows) {
  const attributes = {};
  const errors = [];
  rows.forEach((r, i) => {
    const key = String(r.key ?? '').trim();
    const value = String(r.value ?? '');
    if (!key && !value) return;
    if (!key) {
      errors.push({ row: i, text: `Attribute ${i + 1} has a value but no name` });
      return;
    }
    if (Object.prototype.hasOwnProperty.call(attributes, key)) {
      errors.push({ row: i, text: `The attribute name "${key}" is used twice` });
      return;
    }
    const keepType = 'original' in r && JSON.stringify(r.original) === value;
    attributes[key] = keepType ? r.original : value;
  });
  return { attributes, errors };
}

/** "Ada Lovelace", or the phone when the contact has no name. */
export function contactName(c) {
  const name = [c?.first_name, c?.last_name].filter(Boolean).join(' ').trim();
  return name || c?.phone || '';
}

/**
 * The import answer ({imported, updated, rejected_count, rejected: [{line,
 * code, detail}]}) in words: a headline and the rejected rows, sorted by line,
 * with a note when the API listed only the first of them.
 */
export function importSummary(r) {
  const n = (x) => (Number.isFinite(x) ? x : 0);
  const plural = (k, word) => `${k} ${word}${k === 1 ? '' : 's'}`;
  const rejected = Array.isArray(r?.rejected) ? [...r.rejected].sort((a, b) => a.line - b.line) : [];
  const count = Math.max(n(r?.rejected_count), rejected.length);
  const headline =
    `${plural(n(r?.imported), 'new contact')}, ${plural(n(r?.updated), 'contact')} updated, ` +
    `${plural(count, 'row')} rejected.`;
  const more = count > rejected.length ? `Only the first ${rejected.length} rejected rows are listed.` : null;
  return {
    headline,
    rows: rejected.map((x) => ({ line: x.line, code: x.code, detail: x.detail })),
    more,
  };
}

/** Percentage (0..100, whole) of an upload; null when the size is unknown. */
export function uploadPercent(loaded, total) {
  if (!Number.isFinite(total) || total <= 0) return null;
  return Math.min(100, Math.max(0, Math.floor((loaded / total) * 100)));
}

/**
 * The import's progress in figures and words, from its job (GET
 * /v1/contacts/imports/{id}: bytes the server has read and imported, rows) and
 * the browser's upload percent. The bar follows the server (what is imported),
 * not the upload (which finishes first on a large file).
 * @returns {{percent:number, text:string}}
 */
export function importProgress(job, fileSize, uploaded) {
  const up = Number.isFinite(uploaded) ? uploaded : 0;
  const bytes = Number(job?.bytes) || 0;
  const done = job?.status === 'done';
  const percent = done ? 100 : fileSize > 0 ? Math.min(99, Math.floor((bytes / fileSize) * 100)) : 0;
  const rows = Number(job?.rows) || 0;
  const rowsText = `${rows} row${rows === 1 ? '' : 's'} read`;
  if (done) return { percent, text: `Import finished: 100% (${rowsText})` };
  const sending = up < 100 ? `sent ${up}%, ` : 'file sent, ';
  return { percent, text: `Importing… ${percent}% (${sending}${rowsText})` };
}

const CONSENT_SOURCE = {
  keyword: 'by a reply',
  api: 'by hand (API or console)',
  cli: 'by hand (command line)',
  provider: 'by the provider',
};

/**
 * A timeline item of GET /v1/contacts/{id}/timeline in words:
 * {kind: 'Sent'|'Reply'|'Opted out'|'Opted in'|'Consent'|'Click'|'Keyword', text, detail}.
 */
export function timelineEntry(item) {
  if (item?.type === 'message') {
    const m = item.message ?? {};
    const inbound = m.direction === 'inbound';
    return {
      kind: inbound ? 'Reply' : 'Sent',
      text: m.body ?? '',
      detail: inbound ? `from ${m.from ?? ''}` : `${m.status ?? ''}${m.error_code ? ` (${m.error_code})` : ''}`,
    };
  }
  if (item?.type === 'consent') {
    const c = item.consent ?? {};
    const kind = c.new === 'opted_out' ? 'Opted out' : c.new === 'subscribed' ? 'Opted in' : 'Consent';
    const how = CONSENT_SOURCE[c.source] ?? c.source ?? '';
    return { kind, text: `${c.old ?? '?'} → ${c.new ?? '?'} ${how}`.trim(), detail: c.detail ?? '' };
  }
  if (item?.type === 'click') {
    return { kind: 'Click', text: item.click?.url ?? '', detail: '' };
  }
  if (item?.type === 'keyword') {
    return { kind: 'Keyword', text: `matched the rule ${item.keyword?.keyword ?? ''}`, detail: item.keyword?.rule_id ?? '' };
  }
  return { kind: String(item?.type ?? 'Event'), text: '', detail: '' };
}

/** The rows any of whose `fields` contain every word of q (case-insensitive):
 * a filter over what a page has loaded (the Groups, Segments and Templates
 * lists). Contacts and opt-outs are searched by the API instead (list_search.js). */
export function filterRows(rows, q, fields) {
  const words = String(q ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return rows;
  return rows.filter((r) => {
    const hay = fields.map((f) => (typeof f === 'function' ? f(r) : r[f]) ?? '').join(' ').toLowerCase();
    return words.every((w) => hay.includes(w));
  });
}

/** A phone as a path segment (the + written %2B). */
export function phoneSegment(phone) {
  return encodeURIComponent(String(phone ?? ''));
}
