// Pure helpers of the pages that show GET /v1/stats: the delivery rate as it
// should read, the provider Stats tab's requests and rows.
import { localDayStart } from './format.js';

/**
 * The delivery rate to show for a stats row, or null ("—"): the API's
 * delivery_rate (delivered / sent) only once some message has a final delivery
 * report (delivered or undelivered). Messages still awaiting their report would
 * otherwise read as "0%" on a day nothing has finished yet.
 */
export function shownDeliveryRate(row) {
  const finished = (Number(row?.delivered) || 0) + (Number(row?.undelivered) || 0);
  if (finished === 0) return null;
  return typeof row.delivery_rate === 'number' ? row.delivery_rate : null;
}

/** The periods of the Stats tab: the last N days, today included. */
export const PERIODS = [
  { days: 7, label: 'Last 7 days' },
  { days: 30, label: 'Last 30 days' },
  { days: 90, label: 'Last 90 days' },
];

/**
 * The two requests of a provider's Stats tab: the total and the figures by
 * day, of the last `days` days (local midnight on), for that provider only.
 */
export function providerStatsPaths(providerId, now, days) {
  const q = new URLSearchParams({ provider: providerId, from: localDayStart(now, days - 1) });
  const byDay = new URLSearchParams(q);
  byDay.set('group_by', 'day');
  return { total: `/v1/stats?${q}`, byDay: `/v1/stats?${byDay}` };
}

/** The by-day answer as table rows, newest day first; days without messages are
 * not listed (the API has no row for them). */
export function dayRows(answer) {
  const data = Array.isArray(answer?.data) ? answer.data : [];
  return data
    .filter((d) => typeof d.day === 'string')
    .map((d) => ({
      day: d.day,
      sent: d.sent ?? 0,
      delivered: d.delivered ?? 0,
      undelivered: d.undelivered ?? 0,
      failed: d.failed ?? 0,
      rate: shownDeliveryRate(d),
    }))
    .sort((a, b) => (a.day < b.day ? 1 : a.day > b.day ? -1 : 0));
}

/** The `limit` most frequent failures ({code, count, description}), most first,
 * then by code. */
export function topFailures(failures, limit = 10) {
  const list = Array.isArray(failures) ? [...failures] : [];
  list.sort((a, b) => (b.count ?? 0) - (a.count ?? 0) || String(a.code).localeCompare(String(b.code)));
  return list.slice(0, limit);
}
