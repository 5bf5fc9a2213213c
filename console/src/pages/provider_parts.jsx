// Sections of a provider's page (pages/providers.jsx) for routing: the circuit
// breaker (GET /v1/providers/{id}/health: a badge, a line in words, its recent
// events) and the prices (GET/PUT /v1/providers/{id}/prices: a table, and for
// admins a CSV to paste or upload).
import { useEffect, useState } from 'preact/hooks';

import { api } from '../api.js';
import { ErrorSummary } from '../components.jsx';
import { breakerBadge, breakerEvents, breakerLine, priceErrors } from '../provider_health.js';

const REFRESH_MS = 5000;

export function BreakerHealth({ provider }) {
  const [h, setH] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    let live = true;
    let timer = null;
    const load = () =>
      api.get(`/v1/providers/${encodeURIComponent(provider.id)}/health`).then(
        (v) => live && (setH(v), setError(null)),
        (e) => live && setError(e),
      ).finally(() => {
        if (live) timer = setTimeout(load, REFRESH_MS);
      });
    load();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [provider.id]);
  const badge = h ? breakerBadge(h.state) : null;
  const events = h ? breakerEvents(h.events) : [];
  return (
    <section class="section" aria-labelledby="health-title">
      <h2 id="health-title">Health</h2>
      {error && <p class="notice notice--error">{error.detail}</p>}
      {!h && !error && <p class="loading">Loading…</p>}
      {h && (
        <>
          <p>
            <span class={badge.cls} data-testid="breaker-badge" data-state={h.state}>
              {badge.text}
            </span>
          </p>
          <p data-testid="breaker-line">{breakerLine(h)}</p>
          <p class="hint">
            The circuit breaker runs on each smsgate node: this is the node that answered.
          </p>
          {events.length > 0 && (
            <ol class="timeline" aria-label="Recent provider events">
              {events.map((e) => (
                <li class="timeline__item" key={e.key}>
                  <span class="timeline__kind">{e.title}</span> <span class="hint">{e.when}</span>
                  <p class="timeline__detail">{e.detail}</p>
                </li>
              ))}
            </ol>
          )}
        </>
      )}
    </section>
  );
}

export function Prices({ provider, canEdit }) {
  const path = `/v1/providers/${encodeURIComponent(provider.id)}/prices`;
  const [rows, setRows] = useState(null);
  const [loadError, setLoadError] = useState(null);
  const [csv, setCsv] = useState('');
  const [errors, setErrors] = useState([]);
  const [saved, setSaved] = useState(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    api.get(path).then((v) => setRows(v.data), setLoadError);
  }, [path]);

  const onFile = async (e) => {
    const f = e.currentTarget.files?.[0];
    if (f) setCsv(await f.text());
  };
  const onSubmit = async (e) => {
    e.preventDefault();
    setErrors([]);
    setSaved(null);
    setBusy(true);
    try {
      const v = await api.putText(path, csv);
      setRows(v.data);
      setSaved(v.data.length);
      setCsv('');
    } catch (err) {
      setErrors(priceErrors(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="section" aria-labelledby="prices-title">
      <h2 id="prices-title">Prices</h2>
      <p class="hint">The price of one SMS segment per country: the cheapest routes use it, and the estimated cost of sent messages in the statistics (GET /v1/stats).</p>
      {loadError && <p class="notice notice--error">{loadError.detail}</p>}
      {rows && rows.length === 0 && <p class="empty">No prices yet.</p>}
      {rows && rows.length > 0 && (
        <div class="table-wrap">
          <table class="table table--narrow" data-testid="prices-table">
            <caption class="visually-hidden">Prices of {provider.name}</caption>
            <thead>
              <tr>
                <th scope="col">Country</th>
                <th scope="col">Price per segment</th>
                <th scope="col">Currency</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.country}>
                  <td>{r.country}</td>
                  <td>{r.price}</td>
                  <td>{r.currency}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {canEdit && (
        <form class="form form--wide" onSubmit={onSubmit} noValidate>
          <ErrorSummary title="The prices were not saved" errors={errors} />
          {saved !== null && (
            <div class="notice" role="status">
              <p>{saved} price{saved === 1 ? '' : 's'} saved.</p>
            </div>
          )}
          <div class={errors.length ? 'field field--error' : 'field'}>
            <label class="label" for="prices-csv">
              Replace the prices (CSV)
            </label>
            <p class="hint" id="prices-csv-hint">
              One line per country: country,price,currency — for example GB,0.04,GBP. A first line
              country,price,currency is allowed. Saving replaces every price of this provider.
            </p>
            <textarea class="input textarea" id="prices-csv" rows={6} value={csv}
              aria-describedby="prices-csv-hint" aria-invalid={errors.length ? 'true' : undefined}
              onInput={(e) => setCsv(e.currentTarget.value)} />
          </div>
          <div class="field">
            <label class="label" for="prices-file">
              Or choose a CSV file
            </label>
            <input class="input" type="file" id="prices-file" accept=".csv,text/csv" onChange={onFile} />
          </div>
          <button type="submit" class="button" disabled={busy}>
            Save prices
          </button>
        </form>
      )}
    </section>
  );
}
