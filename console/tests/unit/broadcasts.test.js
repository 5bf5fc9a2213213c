// The Broadcasts and Webhooks pages' pure logic: state → allowed actions (the
// API's transition table), progress arithmetic, the chart's bars, failures,
// the create form's body, when the page polls, and the webhook helpers.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import {
  allowedActions, audienceText, broadcastBody, chartBars, failureRows, isFinished, LATE_REPORTS_MS, listNeedsRefresh, progress,
  progressSegments, shouldPoll, STATUSES,
} from '../../src/broadcasts_logic.js';
import { pageFor } from '../../src/pages.js';
import { deliveriesPath, deliveryOutcome, eventLabel, EVENTS, webhookBody } from '../../src/webhooks_logic.js';

test('each status allows the actions the API accepts from it (src/api/broadcasts.c), and no other', () => {
  const expected = {
    draft: ['send', 'cancel'],
    scheduled: ['pause', 'cancel'],
    sending: ['pause', 'cancel'],
    paused: ['resume', 'cancel'],
    done: [],
    canceled: [],
    failed: [],
  };
  for (const s of STATUSES) {
    assert.deepEqual(allowedActions(s).map((a) => a.action), expected[s], `status ${s}`);
  }
  assert.deepEqual(allowedActions('no-such-status'), [], 'an unknown status allows nothing');
  assert.deepEqual(STATUSES.filter(isFinished), ['done', 'canceled', 'failed']);
});

test('progress: every recipient counted once; percent whole, 100 only when nothing waits', () => {
  const running = progress({
    recipients: 10, pending: 3, queued: 2, sent: 3, delivered: 2, undelivered: 1, failed: 1, canceled: 0,
    skipped: { opted_out: 1, not_mobile: 0, invalid: 0 },
  });
  assert.deepEqual(running, {
    total: 10, handled: 5, percent: 50, waiting: 5, sent: 3, delivered: 2, undelivered: 1, failed: 1, canceled: 0,
    skipped: 1,
  });
  // 199 of 200 handled rounds down to 99, not up to 100.
  assert.equal(progress({ recipients: 200, queued: 1, sent: 199 }).percent, 99);
  // 1 waiting of 1000: floor gives 99 already; the cap keeps it below 100 for larger totals too.
  assert.equal(progress({ recipients: 100000, queued: 1, sent: 99999 }).percent, 99);
  assert.equal(progress({ recipients: 4, sent: 3, skipped: { not_mobile: 1 } }).percent, 100);
  // An empty audience is done: 0 of 0 is complete, not a division by zero.
  assert.deepEqual(progress({ recipients: 0 }).percent, 100);
  // A broadcast's first answer has only recipients, pending, queued and skipped.
  assert.equal(progress({ recipients: 5, pending: 5, queued: 0, skipped: {} }).percent, 0);
  // Missing, negative or non-number figures count as 0; recipients never below the parts.
  const odd = progress({ recipients: 1, sent: 2, failed: -1, queued: 'x' });
  assert.equal(odd.total, 2);
  assert.equal(odd.failed, 0);
  assert.equal(progress(null).total, 0);
});

test('progress segments: in order, zero parts left out, widths add up to the bar', () => {
  const p = progress({
    recipients: 7, queued: 2, sent: 3, delivered: 1, undelivered: 1, failed: 1, skipped: { opted_out: 1 },
  });
  const segs = progressSegments(p, 100);
  assert.deepEqual(segs.map((s) => [s.key, s.count]), [
    ['delivered', 1], ['sent', 1], ['undelivered', 1], ['failed', 1], ['skipped', 1], ['waiting', 2],
  ]);
  assert.equal(segs[0].x, 0);
  for (let i = 1; i < segs.length; i++) assert.equal(segs[i].x, Math.round((segs[i - 1].x + segs[i - 1].width) * 100) / 100, `segment ${segs[i].key} starts where the one before ends`);
  const end = segs.at(-1).x + segs.at(-1).width;
  assert.ok(Math.abs(end - 100) < 0.02, `the last segment ends at 100 (${end})`);
  assert.deepEqual(progressSegments(progress({ recipients: 0 })), [], 'nothing to draw for no recipients');
});

test('chart bars: each figure by status, scaled to the largest, a non-zero one never invisible', () => {
  const bars = chartBars({ queued: 0, sent: 1000, delivered: 500, failed: 1, replied: 2 }, 100);
  const by = Object.fromEntries(bars.map((b) => [b.key, b]));
  assert.deepEqual(bars.map((b) => b.key), [
    'queued', 'sent', 'delivered', 'undelivered', 'failed', 'canceled', 'replied', 'opted_out', 'clicked',
  ]);
  assert.equal(by.sent.width, 100);
  assert.equal(by.delivered.width, 50);
  assert.equal(by.failed.width, 1, '1 of 1000 is drawn 1 unit wide, not 0.1');
  assert.equal(by.queued.width, 0);
  assert.equal(by.delivered.label, 'Delivered');
  assert.ok(chartBars(null).every((b) => b.width === 0 && b.count === 0));
});

test('failures: most first, then by code; a code outside the catalogue says so', () => {
  const rows = failureRows({
    failures: [
      { code: '30006', count: 1, description: 'Landline or unreachable carrier' },
      { code: '30003', count: 4, description: 'Unreachable destination handset' },
      { code: '21211', count: 1, description: null },
    ],
  });
  assert.deepEqual(rows, [
    { code: '30003', count: 4, description: 'Unreachable destination handset' },
    { code: '21211', count: 1, description: 'Not in the error catalogue' },
    { code: '30006', count: 1, description: 'Landline or unreachable carrier' },
  ]);
  assert.deepEqual(failureRows({}), []);
});

test('the create form as the body of POST /v1/broadcasts: empty options left out, a bad rate or time refused here', () => {
  const min = broadcastBody({ name: ' Sale ', audienceKind: 'group', audience: 'customers', textKind: 'body', body: 'Hi' });
  assert.deepEqual(min, { body: { name: 'Sale', group: 'customers', body: 'Hi' }, errors: {} });

  const full = broadcastBody({
    name: 'N', audienceKind: 'segment', audience: 'london', textKind: 'template', template: 'sale', provider: 'sim',
    from: ' +15005550006 ', sendAt: '2026-12-03T15:30', rate: '0.5', quietHours: '21:00-08:00',
    timezone: 'Europe/London', trackClicks: true, draft: true,
  });
  assert.deepEqual(full.errors, {});
  assert.deepEqual(Object.keys(full.body).sort(), [
    'draft', 'from', 'name', 'provider', 'quiet_hours', 'rate', 'segment', 'send_at', 'template_id', 'timezone',
    'track_clicks',
  ]);
  assert.equal(full.body.rate, 0.5);
  assert.equal(full.body.from, '+15005550006');
  assert.equal(full.body.send_at, new Date('2026-12-03T15:30').toISOString(), 'the local time sent as UTC');
  assert.equal(full.body.body, undefined, 'a template broadcast sends no body');

  for (const rate of ['fast', '1e3', '-2', '20/s']) {
    assert.ok(broadcastBody({ name: 'N', rate }).errors.rate, `rate '${rate}' is refused`);
  }
  assert.ok(broadcastBody({ name: 'N', sendAt: 'tomorrow' }).errors.send_at);
  // A checkbox left unticked sends nothing: the API's default (false) applies.
  assert.equal('track_clicks' in min.body, false);
});

test('polling: while running; after it finished only while sent messages await a report, and not for ever', () => {
  const finished = '2026-12-03T12:00:00.000Z';
  const at = Date.parse(finished);
  assert.equal(shouldPoll({ status: 'sending', counts: {} }, at), true);
  assert.equal(shouldPoll({ status: 'paused', counts: {} }, at), true);
  const awaiting = { status: 'done', finished_at: finished, counts: { recipients: 2, sent: 2, delivered: 1 } };
  assert.equal(shouldPoll(awaiting, at + 1000), true);
  assert.equal(shouldPoll(awaiting, at + LATE_REPORTS_MS), false);
  const reported = { status: 'done', finished_at: finished, counts: { recipients: 2, sent: 2, delivered: 1, undelivered: 1 } };
  assert.equal(shouldPoll(reported, at + 1000), false);
  assert.equal(shouldPoll({ status: 'canceled', counts: {} }, at), false);
  assert.equal(shouldPoll(null, at), false);
});

test('the list refreshes while a broadcast sends or is about to start, not for drafts, pauses or later starts', () => {
  const now = Date.parse('2026-12-03T12:00:00Z');
  const row = (status, sendAt = '2026-12-03T11:00:00Z') => ({ status, send_at: sendAt });
  assert.equal(listNeedsRefresh([row('done'), row('sending')], now), true);
  assert.equal(listNeedsRefresh([row('scheduled')], now), true, 'its start has come');
  assert.equal(listNeedsRefresh([row('scheduled', '2026-12-04T09:00:00Z')], now), false, 'starts tomorrow');
  assert.equal(listNeedsRefresh([row('draft'), row('paused'), row('done'), row('canceled'), row('failed')], now), false);
  assert.equal(listNeedsRefresh(null, now), false);
});

test('audience in words by the name the API gave, else by id', () => {
  const b = { audience: { kind: 'group', id: 'grp_1' } };
  assert.equal(audienceText(b, { grp_1: 'customers' }), 'group customers');
  assert.equal(audienceText(b), 'group grp_1');
});

test('webhooks: checked events in the API order, URL trimmed; outcomes and paths', () => {
  assert.deepEqual(EVENTS.map((e) => e.type), ['message.status', 'message.received', 'contact.opted_out', 'contact.opted_in',
    'message.matched']);
  assert.deepEqual(webhookBody({ url: ' https://crm.example.com/h ', events: { 'contact.opted_in': true, 'message.status': true, 'message.received': false } }),
    { url: 'https://crm.example.com/h', events: ['message.status', 'contact.opted_in'] });
  assert.deepEqual(webhookBody({}), { url: '', events: [] });
  assert.equal(eventLabel('message.received'), 'Reply received');
  assert.equal(eventLabel('future.event'), 'future.event');
  assert.equal(deliveryOutcome({ state: 'delivered', last_status: 200 }), 'Delivered (HTTP 200)');
  assert.equal(deliveryOutcome({ state: 'pending', last_status: null, last_error: 'Timeout' }), 'Waiting to retry');
  assert.equal(deliveryOutcome({ state: 'dead', last_status: 500 }), 'Given up (HTTP 500)');
  assert.equal(deliveriesPath('whk_1', 50, null), '/v1/webhooks/whk_1/deliveries?limit=50');
  assert.equal(deliveriesPath('whk_1', 50, 17), '/v1/webhooks/whk_1/deliveries?limit=50&cursor=17');
});

test('/broadcasts/new, /broadcasts/<id> and /webhooks/<id> are routed to their pages, which are built', () => {
  assert.equal(pageFor('/broadcasts/new').path, '/broadcasts');
  assert.equal(pageFor('/broadcasts/brd_01').path, '/broadcasts');
  assert.equal(pageFor('/webhooks/whk_01').path, '/webhooks');
  assert.equal(pageFor('/broadcasts').built, true);
  assert.equal(pageFor('/webhooks').built, true);
});

test('every progress and chart colour is 3:1 or more on white and on the bar\'s track (WCAG 1.4.11)', () => {
  const css = readFileSync(new URL('../../src/style.css', import.meta.url), 'utf8');
  const lum = (hex) => [1, 3, 5]
    .map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
    .map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4))
    .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  const ratio = (a, b) => {
    const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
  const track = /\.seg--track \{ fill: (#[0-9a-f]{6}); \}/.exec(css)[1];
  const fills = [...css.matchAll(/\.seg--([a-z_]+)(?:, \.seg--[a-z_]+)* \{ fill: (#[0-9a-f]{6}); \}/g)]
    .filter((m) => m[1] !== 'track');
  assert.ok(fills.length >= 10, `the segment colours are found (${fills.length})`);
  for (const [, name, hex] of fills) {
    assert.ok(ratio(hex, '#ffffff') >= 3, `.seg--${name} ${hex} on white: ${ratio(hex, '#ffffff').toFixed(2)}`);
    assert.ok(ratio(hex, track) >= 3, `.seg--${name} ${hex} on the track ${track}: ${ratio(hex, track).toFixed(2)}`);
  }
});
