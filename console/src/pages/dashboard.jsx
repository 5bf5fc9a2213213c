// Dashboard (first part): queue depth from /metrics and the message counts of
// today, the last 7 and the last 30 days from GET /v1/stats, days counted in
// the browser's time zone.
import { useEffect, useState } from 'preact/hooks';

import { api } from '../api.js';
import { LoadError, PageTitle } from '../components.jsx';
import { formatCount, formatRate, localDayStart, parseMetric } from '../format.js';
import { shownDeliveryRate } from '../stats_logic.js';

const PERIODS = [
  { key: 'today', label: 'Today', daysBack: 0 },
  { key: 'd7', label: 'Last 7 days', daysBack: 6 },
  { key: 'd30', label: 'Last 30 days', daysBack: 29 },
];

const FIGURES = [
  ['sent', 'Sent'],
  ['delivered', 'Delivered'],
  ['failed', 'Failed'],
  ['replied', 'Replies'],
  ['opted_out', 'Opt-outs'],
];

const QUEUE = [
  ['scheduled', 'Scheduled'],
  ['queued', 'Queued'],
  ['sending', 'Sending'],
];

async function loadAll(now) {
  const stats = await Promise.all(
    PERIODS.map((p) => api.get(`/v1/stats?from=${encodeURIComponent(localDayStart(now, p.daysBack))}`)),
  );
  const metrics = await api.text('/metrics');
  return { stats, queue: parseMetric(metrics, 'smsgate_queue_depth', 'status') };
}

export function Dashboard() {
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    loadAll(new Date()).then(setData, setError);
  }, []);
  return (
    <>
      <PageTitle>Dashboard</PageTitle>
      {error && <LoadError error={error} />}
      {!data && !error && <p class="loading">Loading…</p>}
      {data && (
        <>
          <section aria-labelledby="queue-title" class="section">
            <h2 id="queue-title">Queue</h2>
            <dl class="figures">
              {QUEUE.map(([k, label]) => (
                <div class="figure" key={k}>
                  <dt>{label}</dt>
                  <dd data-figure={`queue-${k}`}>{formatCount(data.queue[k] ?? 0)}</dd>
                </div>
              ))}
            </dl>
          </section>
          {PERIODS.map((p, i) => (
            <section aria-labelledby={`stats-${p.key}`} class="section" key={p.key}>
              <h2 id={`stats-${p.key}`}>{p.label}</h2>
              <dl class="figures">
                {FIGURES.map(([k, label]) => (
                  <div class="figure" key={k}>
                    <dt>{label}</dt>
                    <dd data-figure={`${p.key}-${k}`}>{formatCount(data.stats[i][k])}</dd>
                  </div>
                ))}
                <div class="figure">
                  <dt>Delivery rate</dt>
                  <dd data-figure={`${p.key}-delivery_rate`}>{formatRate(shownDeliveryRate(data.stats[i]))}</dd>
                </div>
              </dl>
            </section>
          ))}
        </>
      )}
    </>
  );
}
