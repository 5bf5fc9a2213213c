// Formatting and small pure helpers the pages share. Dates are shown in the
// browser's time zone; numbers with the browser's grouping.

/** "1,234" for 1234; "—" for a value that is not a finite number. */
export function formatCount(n, locale) {
  if (typeof n !== 'number' || !Number.isFinite(n)) return '—';
  return new Intl.NumberFormat(locale).format(n);
}

/** "97.5%" for 0.975; "—" when there is no rate (null: nothing to divide). */
export function formatRate(r, locale) {
  if (typeof r !== 'number' || !Number.isFinite(r)) return '—';
  return new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 }).format(r);
}

/**
 * A wait in words, rounded up to what a person reads: "45 seconds",
 * "1 minute", "2 minutes 5 seconds", "1 hour 3 minutes".
 * @param {number} seconds
 */
export function formatWait(seconds) {
  let s = Math.max(0, Math.ceil(Number(seconds) || 0));
  const unit = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (s < 60) return unit(s, 'second');
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  if (h > 0) return m > 0 ? `${unit(h, 'hour')} ${unit(m, 'minute')}` : unit(h, 'hour');
  return s > 0 ? `${unit(m, 'minute')} ${unit(s, 'second')}` : unit(m, 'minute');
}

/** A time (RFC 3339 text or ms) in the browser's zone, e.g. "3 Dec 2026, 14:05". */
export function formatDateTime(t, locale, timeZone) {
  const d = t instanceof Date ? t : new Date(t);
  if (Number.isNaN(d.getTime())) return '—';
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone }).format(d);
}

/**
 * The start of the local day `daysBack` days before `now`, as RFC 3339 UTC
 * text: the `from` of "today" (0), "last 7 days" (6), ... for GET /v1/stats.
 * @param {Date} now
 * @param {number} daysBack
 */
export function localDayStart(now, daysBack = 0) {
  const d = new Date(now.getFullYear(), now.getMonth(), now.getDate() - daysBack);
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The error codes whose provider, code, title or meaning contain every word of
 * query (case-insensitive); all of them for an empty query.
 * @param {{provider:string, code:string, title:string, meaning:string, class?:string}[]} rows
 * @param {string} query
 */
export function filterErrorCodes(rows, query) {
  const words = String(query || '').toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return rows;
  return rows.filter((r) => {
    const hay = [r.provider, r.code, r.title, r.meaning, r.class].join('\n').toLowerCase();
    return words.every((w) => hay.includes(w));
  });
}

/**
 * Samples of one metric from Prometheus text format, keyed by one label's
 * value: parseMetric(text, 'smsgate_queue_depth', 'status') →
 * {scheduled: 0, queued: 3, sending: 1}. Lines of other metrics, comments and
 * malformed lines are skipped.
 */
export function parseMetric(text, name, label) {
  const out = {};
  const re = new RegExp(`^${name}\\{([^}]*)\\}\\s+(\\S+)`);
  for (const line of String(text).split('\n')) {
    const m = re.exec(line);
    if (!m) continue;
    const lm = new RegExp(`(?:^|,)${label}="([^"]*)"`).exec(m[1]);
    const v = Number(m[2]);
    if (lm && Number.isFinite(v)) out[lm[1]] = v;
  }
  return out;
}
