// Pure helpers of the Send and Messages pages: the statuses, which are final
// or cancelable, the list's query string from its filters, and the schedule
// field's local time as the API's UTC time.

export const STATUSES = [
  'scheduled', 'queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'canceled', 'received',
];
const FINAL = new Set(['delivered', 'undelivered', 'failed', 'canceled', 'received']);
const CANCELABLE = new Set(['scheduled', 'queued']);

/** A status no later event changes (the page stops polling). */
export const isFinal = (status) => FINAL.has(status);

/** The API cancels only scheduled and queued messages. */
export const isCancelable = (status) => CANCELABLE.has(status);

/** Roles that may send and cancel (the API's sender role and above). */
export const canWrite = (role) => role === 'sender' || role === 'admin';

/**
 * A <input type="datetime-local"> value ("2026-12-03T15:30", the browser's
 * zone) as RFC 3339 UTC ("2026-12-03T14:30:00.000Z"); "" → null; a value the
 * browser cannot read → undefined (the caller says so beside the field).
 * @param {string} value
 */
export function localToIso(value) {
  if (!value) return null;
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(value)) return undefined;
  const d = new Date(value); // no zone in the text: read as local time
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/**
 * The local day "2026-12-03" (an <input type="date"> value) as the UTC time its
 * start (or, with end=true, the next day's start) is in the browser's zone.
 * @param {string} day
 * @param {boolean} end
 */
export function localDayToIso(day, end = false) {
  const m = /^(\d{4})-(\d\d)-(\d\d)$/.exec(day || '');
  if (!m) return null;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + (end ? 1 : 0));
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/**
 * GET /v1/messages's path for the filters ({status, provider, error_code, to,
 * since_day, until_day}: empty ones left out), a page size and a cursor.
 */
export function messagesQuery(filters, limit, cursor) {
  const q = new URLSearchParams();
  const f = filters || {};
  for (const k of ['status', 'provider', 'error_code', 'to']) {
    const v = (f[k] ?? '').trim();
    if (v) q.set(k, v);
  }
  const since = localDayToIso(f.since_day);
  const until = localDayToIso(f.until_day, true);
  if (since) q.set('since', since);
  if (until) q.set('until', until);
  if (limit) q.set('limit', String(limit));
  if (cursor) q.set('cursor', cursor);
  const s = q.toString();
  return s ? `/v1/messages?${s}` : '/v1/messages';
}

/**
 * The error catalogue's row for a message's error code: the row of the
 * provider kind that sent it, else smsgate's own, else any with that code.
 * @param {{provider:string, code:string}[]} rows
 * @param {string|null} code
 * @param {string|null} kind
 */
export function findErrorCode(rows, code, kind) {
  if (!code || !Array.isArray(rows)) return null;
  const same = rows.filter((r) => r.code === code);
  return same.find((r) => r.provider === kind) ?? same.find((r) => r.provider === 'smsgate') ?? same[0] ?? null;
}
