// Pieces of the Broadcasts pages: the stacked progress bar, the chart by
// status and the failures-by-error-code table. Bars are SVG shapes sized by
// attributes (the CSP forbids style=); each carries its figure as text too.
import { formatCount } from '../format.js';
import { chartBars, failureRows, progressSegments } from '../broadcasts_logic.js';

/** The progress of p (broadcasts_logic.js progress()): a progressbar with
 * the share handled, its coloured parts, and a legend with the counts. */
export function ProgressBar({ p, label, compact }) {
  const segs = progressSegments(p, 100);
  const text = `${formatCount(p.handled)} of ${formatCount(p.total)} recipients handled (${p.percent}%)`;
  return (
    <div class="bprogress">
      <div role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={p.percent}
        aria-valuetext={text} class="bprogress__bar">
        <svg viewBox="0 0 100 4" preserveAspectRatio="none" width="100%" height="100%" aria-hidden="true" focusable="false">
          <rect x="0" y="0" width="100" height="4" class="seg seg--track" />
          {segs.map((s) => (
            <rect key={s.key} x={s.x} y="0" width={s.width} height="4" class={`seg seg--${s.key}`} />
          ))}
        </svg>
      </div>
      <p class="bprogress__text">{text}</p>
      {!compact && (
        <ul class="legend">
          {segs.map((s) => (
            <li key={s.key} class="legend__item">
              <svg width="12" height="12" aria-hidden="true" focusable="false">
                <rect width="12" height="12" class={`seg seg--${s.key}`} />
              </svg>{' '}
              {s.label}: <span data-figure={`progress-${s.key}`}>{formatCount(s.count)}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** The stats by status as horizontal bars: a table (label, bar, count) that
 * reads as figures without the picture. */
export function StatusChart({ stats }) {
  const bars = chartBars(stats, 100);
  return (
    <div class="table-wrap" role="region" aria-label="Messages by status" tabIndex={0}>
      <table class="chart">
        <caption class="visually-hidden">Messages by status</caption>
        <thead>
          <tr>
            <th scope="col">Status</th>
            <th scope="col">
              <span class="visually-hidden">Bar</span>
            </th>
            <th scope="col">Messages</th>
          </tr>
        </thead>
        <tbody>
          {bars.map((b) => (
            <tr key={b.key}>
              <th scope="row">{b.label}</th>
              <td class="chart__bar">
                <svg viewBox="0 0 100 6" preserveAspectRatio="none" width="100%" height="16" aria-hidden="true"
                  focusable="false">
                  <rect x="0" y="0" width={b.width} height="6" class={`seg seg--${b.key}`} />
                </svg>
              </td>
              <td class="chart__count" data-figure={`stats-${b.key}`}>
                {formatCount(b.count)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Failed and undelivered messages by error code, with the catalogue's words. */
export function FailuresTable({ stats }) {
  const rows = failureRows(stats);
  if (!rows.length) return <p class="empty">No message failed.</p>;
  return (
    <div class="table-wrap" role="region" aria-label="Failures by error code" tabIndex={0}>
      <table class="table">
        <caption class="visually-hidden">Failures by error code</caption>
        <thead>
          <tr>
            <th scope="col">Error code</th>
            <th scope="col">Messages</th>
            <th scope="col">Description</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.code}>
              <td>
                <code>{r.code}</code>
              </td>
              <td>{formatCount(r.count)}</td>
              <td>{r.description}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
