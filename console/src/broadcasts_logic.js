// Pure helpers of the Broadcasts pages: which buttons a status allows (the
// API's transition table, src/api/broadcasts.c), the progress arithmetic of a
// broadcast's counts, the stats chart's bars, the failures table, and the
// create form's fields as the body of POST /v1/broadcasts.

import { localToIso } from './messages.js';

/** Every status a broadcast can have, in lifecycle order. */
export const STATUSES = ['draft', 'scheduled', 'sending', 'paused', 'done', 'canceled', 'failed'];

/** The statuses no action changes any more: the page stops polling. */
const FINISHED = new Set(['done', 'canceled', 'failed']);
export const isFinished = (status) => FINISHED.has(status);

/**
 * The actions (POST /v1/broadcasts/{id}/<action>) and the statuses the API
 * accepts each from; any other status answers 409 invalid_state. Resume goes
 * back to sending (or scheduled, if it had not started).
 */
export const ACTIONS = [
  { action: 'send', label: 'Send now', from: ['draft'], done: 'Scheduled: it starts at its start time.' },
  { action: 'pause', label: 'Pause', from: ['scheduled', 'sending'],
    done: 'Paused: no more messages go out until you resume it.' },
  { action: 'resume', label: 'Resume', from: ['paused'], done: 'Resumed.' },
  { action: 'cancel', label: 'Cancel broadcast', from: ['draft', 'scheduled', 'sending', 'paused'], danger: true,
    done: 'Canceled: the messages not sent yet are canceled.' },
];

/** The actions a broadcast in `status` allows, in ACTIONS order. */
export function allowedActions(status) {
  return ACTIONS.filter((a) => a.from.includes(status));
}

const num = (v) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0);

/**
 * The progress of a broadcast from its counts (GET /v1/broadcasts/{id}'s
 * `counts`, or its stats): every recipient is in exactly one of
 *   waiting  – pending (no message yet) or queued (a message not yet sent),
 *   sent     – accepted by the provider (delivered and undelivered included),
 *   failed   – refused before sending,
 *   canceled – the message was canceled,
 *   skipped  – opted out, not a mobile number, or the text could not be made.
 * handled = everything but waiting; percent = handled / recipients (0 to 100,
 * whole; 100 only when nothing waits; 0 of 0 recipients is 100).
 */
export function progress(counts) {
  const c = counts || {};
  const sk = c.skipped || {};
  const skipped = num(sk.opted_out) + num(sk.not_mobile) + num(sk.invalid);
  const waiting = num(c.pending) + num(c.queued);
  const parts = {
    waiting,
    sent: num(c.sent),
    delivered: num(c.delivered),
    undelivered: num(c.undelivered),
    failed: num(c.failed),
    canceled: num(c.canceled),
    skipped,
  };
  const total = Math.max(num(c.recipients), waiting + parts.sent + parts.failed + parts.canceled + skipped);
  const handled = total - waiting;
  let percent = total === 0 ? 100 : Math.floor((handled / total) * 100);
  if (waiting > 0 && percent === 100) percent = 99;
  return { total, handled, percent, ...parts };
}

/**
 * The stacked progress bar's segments, in order, each {key, label, count,
 * x, width} on a bar of `width` units (SVG attributes: the CSP forbids style=).
 * Segments of 0 are left out; the widths add up to `width` when total > 0.
 */
export function progressSegments(p, width = 100) {
  const rows = [
    ['delivered', 'Delivered', p.delivered],
    ['sent', 'Sent, not delivered yet', Math.max(0, p.sent - p.delivered - p.undelivered)],
    ['undelivered', 'Undelivered', p.undelivered],
    ['failed', 'Failed', p.failed],
    ['canceled', 'Canceled', p.canceled],
    ['skipped', 'Skipped', p.skipped],
    ['waiting', 'Waiting', p.waiting],
  ];
  const out = [];
  let x = 0;
  let acc = 0;
  for (const [key, label, count] of rows) {
    if (!count || !p.total) continue;
    acc += count;
    const end = Math.round((acc / p.total) * width * 100) / 100;
    out.push({ key, label, count, x, width: Math.round((end - x) * 100) / 100 });
    x = end;
  }
  return out;
}

/** The stats chart's rows: one horizontal bar per figure of /stats. */
const CHART = [
  ['queued', 'Queued'],
  ['sent', 'Sent'],
  ['delivered', 'Delivered'],
  ['undelivered', 'Undelivered'],
  ['failed', 'Failed'],
  ['canceled', 'Canceled'],
  ['replied', 'Replied'],
  ['opted_out', 'Opted out'],
  ['clicked', 'Clicked'],
];

/**
 * The bars of the stats chart by status: [{key, label, count, width}] with
 * width the share of the largest count on a scale of `scale` units (a bar of
 * a count above 0 is at least 1 unit wide, so it is seen).
 */
export function chartBars(stats, scale = 100) {
  const s = stats || {};
  const rows = CHART.map(([key, label]) => ({ key, label, count: num(s[key]) }));
  const max = Math.max(0, ...rows.map((r) => r.count));
  return rows.map((r) => ({
    ...r,
    width: max === 0 || r.count === 0 ? 0 : Math.max(1, Math.round((r.count / max) * scale * 100) / 100),
  }));
}

/**
 * The failures by error code, most first (then by code), each with the
 * catalogue's description or a sentence saying there is none.
 */
export function failureRows(stats) {
  const list = Array.isArray(stats?.failures) ? stats.failures : [];
  return list
    .map((f) => ({
      code: String(f.code ?? 'unknown'),
      count: num(f.count),
      description: typeof f.description === 'string' && f.description ? f.description : 'Not in the error catalogue',
    }))
    .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code));
}

/**
 * The create form ({name, audienceKind: 'group'|'segment', audience,
 * textKind: 'body'|'template', body, template, provider, from, sendAt
 * (datetime-local), rate, quietHours, timezone, trackClicks, draft}) as the
 * body of POST /v1/broadcasts. Empty optional fields are left out, so the
 * API's defaults apply. errors: {field: text} for what the browser can tell
 * before asking (an unreadable time or rate); the API checks the rest.
 */
export function broadcastBody(form) {
  const f = form || {};
  const body = { name: (f.name ?? '').trim() };
  const errors = {};
  body[f.audienceKind === 'segment' ? 'segment' : 'group'] = f.audience ?? '';
  if (f.textKind === 'template') body.template_id = f.template ?? '';
  else body.body = f.body ?? '';
  const opt = (key, v) => {
    const t = (v ?? '').trim();
    if (t) body[key] = t;
  };
  opt('provider', f.provider);
  opt('from', f.from);
  opt('quiet_hours', f.quietHours);
  opt('timezone', f.timezone);
  if (f.sendAt) {
    const at = localToIso(f.sendAt);
    if (at) body.send_at = at;
    else errors.send_at = 'Enter the start as a date and time';
  }
  const rate = String(f.rate ?? '').trim();
  if (rate) {
    const r = Number(rate);
    if (Number.isFinite(r) && /^\d*\.?\d+$/.test(rate)) body.rate = r;
    else errors.rate = 'Enter the rate as a number of messages per second, such as 20 or 0.5';
  }
  if (f.trackClicks) body.track_clicks = true;
  if (f.draft) body.draft = true;
  return { body, errors };
}

/** The audience in words: "group customers" (by the name the list gave). */
export function audienceText(b, names) {
  const kind = b?.audience?.kind ?? '';
  const id = b?.audience?.id ?? '';
  const name = names?.[id] ?? id;
  return kind ? `${kind} ${name}` : name;
}

/** How long after a broadcast finished its page keeps polling for the
 * delivery reports of messages still "sent" (a provider may report late, or
 * never). */
export const LATE_REPORTS_MS = 2 * 60 * 1000;

/**
 * Whether the broadcast's page polls again: while it is not finished, and for
 * LATE_REPORTS_MS after it finished while some sent message has no delivery
 * report yet.
 */
export function shouldPoll(b, nowMs) {
  if (!b) return false;
  if (!isFinished(b.status)) return true;
  const p = progress(b.counts);
  const unreported = p.sent - p.delivered - p.undelivered;
  const finished = Date.parse(b.finished_at ?? '');
  return unreported > 0 && Number.isFinite(finished) && nowMs - finished < LATE_REPORTS_MS;
}

/**
 * Whether the broadcasts list refreshes itself: while one of its rows is
 * sending, or scheduled with its start already come (it starts within a
 * tick). Drafts, paused ones and those scheduled for later change only by
 * someone's action.
 */
export function listNeedsRefresh(rows, nowMs) {
  return (rows ?? []).some((b) => b.status === 'sending' || (b.status === 'scheduled' && Date.parse(b.send_at) <= nowMs));
}
