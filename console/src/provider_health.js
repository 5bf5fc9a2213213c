// A provider's circuit breaker and prices in words (pure, unit tested):
// GET /v1/providers/{id}/health and GET /v1/providers/{id}/prices answers
// turned into what the provider page shows.
/** A time with its seconds (a cool-down is seconds long), in the browser's zone. */
function formatTime(t, locale, timeZone) {
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) return '—';
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'medium', timeZone }).format(d);
}

const BADGES = {
  closed: { text: 'Sending', cls: 'badge badge--ok' },
  open: { text: 'Paused: provider failing', cls: 'badge badge--bad' },
  half_open: { text: 'Testing recovery', cls: 'badge badge--warn' },
};

/** The badge of a breaker state: {text, cls}. */
export function breakerBadge(state) {
  return BADGES[state] ?? BADGES.closed;
}

const BECAUSE = {
  consecutive: (b) => `${b.failures} sends in a row failed`,
  rate: (b) => `at least ${b.error_rate_percent}% of the sends in the last ${Math.round(b.window_ms / 1000)} s failed`,
  probe: () => 'a test send failed while it was recovering',
};

/**
 * One line in words about the breaker (h: the health answer). Times are shown
 * in the browser's zone unless locale/timeZone say otherwise.
 */
export function breakerLine(h, locale, timeZone) {
  const at = (t) => formatTime(t, locale, timeZone);
  if (h.state === 'open') {
    const why = BECAUSE[h.opened_because]?.(h.breaker ?? {}) ?? 'the provider failed';
    const next = h.next_probe_at ? ` A test send goes at ${at(h.next_probe_at)}.` : '';
    return `Paused since ${at(h.since)}: ${why}. Its messages go to the next provider of their route, or wait where there is none (they are not failed).${next}`;
  }
  if (h.state === 'half_open')
    return `Testing recovery since ${at(h.since)}: a few messages go through; ${h.breaker?.successes ?? 'some'} successes resume sending, one failure pauses again.`;
  const f = h.consecutive_failures
    ? ` ${h.consecutive_failures} recent failure${h.consecutive_failures === 1 ? '' : 's'} in a row.`
    : '';
  return `Sending normally.${f}`;
}

const EVENT_WORDS = {
  'breaker.open': 'Paused',
  'breaker.half_open': 'Testing recovery',
  'breaker.closed': 'Sending again',
};

/** The provider's events as timeline entries: [{key, title, when, detail}]. */
export function breakerEvents(events, locale, timeZone) {
  return (events ?? []).map((e, i) => ({
    key: `${e.at}-${i}`,
    title: EVENT_WORDS[e.type] ?? e.type,
    when: formatTime(e.at, locale, timeZone),
    detail: e.detail,
  }));
}

/** A problem+json answer of PUT …/prices as error-summary entries ("Line 3: …"). */
export function priceErrors(err) {
  const lines = err?.errors;
  if (!Array.isArray(lines) || !lines.length) return [{ field: 'prices-csv', text: err?.detail ?? 'The prices were refused.' }];
  const out = lines.map((e) => ({
    field: 'prices-csv',
    text: `Line ${e.line}${e.field ? ` (${e.field})` : ''}: ${e.detail}`,
  }));
  return out;
}
