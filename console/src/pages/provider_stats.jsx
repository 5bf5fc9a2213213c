// A provider's Stats tab (/providers/{id}/stats): its messages sent,
// delivered, undelivered and failed by day, and its most frequent error codes,
// over the last 7, 30 or 90 days (GET /v1/stats?provider=).
import { useEffect, useState } from 'preact/hooks';

import { api } from '../api.js';
import { LoadError } from '../components.jsx';
import { formatCount, formatRate } from '../format.js';
import { PERIODS, dayRows, providerStatsPaths, shownDeliveryRate, topFailures } from '../stats_logic.js';

async function loadStats(providerId, days) {
  const paths = providerStatsPaths(providerId, new Date(), days);
  const [total, byDay] = await Promise.all([api.get(paths.total), api.get(paths.byDay)]);
  return { total, days: dayRows(byDay), failures: topFailures(total.failures, 10) };
}

const FIGURES = [
  ['sent', 'Sent'],
  ['delivered', 'Delivered'],
  ['undelivered', 'Undelivered'],
  ['failed', 'Failed'],
];

export function ProviderStats({ provider }) {
  const [days, setDays] = useState(PERIODS[0].days);
  const [state, setState] = useState({ data: null, error: null });
  useEffect(() => {
    let live = true;
    setState({ data: null, error: null });
    loadStats(provider.id, days).then(
      (data) => live && setState({ data, error: null }),
      (error) => live && setState({ data: null, error }),
    );
    return () => {
      live = false;
    };
  }, [provider.id, days]);
  const { data, error } = state;
  return (
    <section aria-labelledby="provider-stats-title">
      <h2 id="provider-stats-title">Stats</h2>
      <div class="field">
        <label class="label" for="stats-period">
          Period
        </label>
        <select id="stats-period" class="input" value={String(days)} onChange={(e) => setDays(Number(e.currentTarget.value))}>
          {PERIODS.map((p) => (
            <option key={p.days} value={String(p.days)}>
              {p.label}
            </option>
          ))}
        </select>
      </div>
      {error && <LoadError error={error} />}
      {!data && !error && <p class="loading">Loading…</p>}
      {data && (
        <>
          <dl class="figures">
            {FIGURES.map(([k, label]) => (
              <div class="figure" key={k}>
                <dt>{label}</dt>
                <dd data-figure={`provider-${k}`}>{formatCount(data.total[k])}</dd>
              </div>
            ))}
            <div class="figure">
              <dt>Delivery rate</dt>
              <dd data-figure="provider-delivery_rate">{formatRate(shownDeliveryRate(data.total))}</dd>
            </div>
          </dl>
          <h3>By day</h3>
          {data.days.length === 0 ? (
            <p class="empty">No messages through this provider in this period. Send a test SMS from the provider’s page.</p>
          ) : (
            <div class="table-wrap" role="region" aria-label="Messages by day" tabIndex={0}>
              <table class="table">
                <caption class="visually-hidden">Messages by day (UTC days)</caption>
                <thead>
                  <tr>
                    <th scope="col">Day (UTC)</th>
                    {FIGURES.map(([k, label]) => (
                      <th scope="col" key={k}>
                        {label}
                      </th>
                    ))}
                    <th scope="col">Delivery rate</th>
                  </tr>
                </thead>
                <tbody>
                  {data.days.map((d) => (
                    <tr key={d.day}>
                      <td>{d.day}</td>
                      {FIGURES.map(([k]) => (
                        <td key={k}>{formatCount(d[k])}</td>
                      ))}
                      <td>{formatRate(d.rate)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <h3>Top error codes</h3>
          {data.failures.length === 0 ? (
            <p class="empty">No failed or undelivered messages in this period.</p>
          ) : (
            <div class="table-wrap" role="region" aria-label="Top error codes" tabIndex={0}>
              <table class="table">
                <caption class="visually-hidden">Failed and undelivered messages by error code</caption>
                <thead>
                  <tr>
                    <th scope="col">Error code</th>
                    <th scope="col">Messages</th>
                    <th scope="col">Meaning</th>
                  </tr>
                </thead>
                <tbody>
                  {data.failures.map((f) => (
                    <tr key={f.code}>
                      <td>
                        <code>{f.code}</code>
                      </td>
                      <td>{formatCount(f.count)}</td>
                      <td>{f.description ?? '—'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </section>
  );
}
