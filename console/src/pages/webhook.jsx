// A webhook's page (/webhooks/<id>): its URL and events (GET
// /v1/webhooks/{id}) and its deliveries, newest first, cursor-paged (GET
// …/deliveries): event, outcome, attempts, last error (admins see the
// transport error; the API gives other roles "delivery failed"), times in the
// browser's zone.
import { useEffect, useState } from 'preact/hooks';

import { api } from '../api.js';
import { LoadError, PageTitle } from '../components.jsx';
import { formatDateTime } from '../format.js';
import { Link } from '../router.jsx';
import { deliveriesPath, deliveryOutcome, eventLabel } from '../webhooks_logic.js';

const PAGE_SIZE = 50;

export function WebhookPage({ id }) {
  const [w, setW] = useState(null);
  const [rows, setRows] = useState(null);
  const [next, setNext] = useState(null);
  const [error, setError] = useState(null);

  const loadDeliveries = async (cursor) => {
    try {
      const r = await api.get(deliveriesPath(id, PAGE_SIZE, cursor));
      setRows((old) => (cursor && old ? [...old, ...r.data] : r.data));
      setNext(r.next_cursor);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    api.get(`/v1/webhooks/${encodeURIComponent(id)}`).then(setW, setError);
    loadDeliveries(null);
  }, [id]);

  return (
    <>
      <PageTitle>{w ? `Webhook to ${w.url}` : 'Webhook'}</PageTitle>
      <p class="back">
        <Link to="/webhooks">Back to the webhooks</Link>
      </p>
      {error && <LoadError error={error} />}
      {w && (
        <dl class="detail">
          <div class="detail__row">
            <dt>URL</dt>
            <dd class="mono">{w.url}</dd>
          </div>
          <div class="detail__row">
            <dt>Events</dt>
            <dd>{w.events.map(eventLabel).join(', ')}</dd>
          </div>
          <div class="detail__row">
            <dt>Created</dt>
            <dd>{formatDateTime(w.created_at)}</dd>
          </div>
        </dl>
      )}
      <h2>Deliveries</h2>
      <p class="row-actions">
        <button type="button" class="button button--ghost" onClick={() => loadDeliveries(null)}>
          Refresh deliveries
        </button>
      </p>
      {!rows && !error && <p class="loading">Loading…</p>}
      {rows && rows.length === 0 && (
        <p class="empty">No delivery yet: events are delivered here when they happen (send a message to see one).</p>
      )}
      {rows && rows.length > 0 && (
        <div class="table-wrap" role="region" aria-label="Deliveries table" tabIndex={0}>
          <table class="table">
            <caption class="visually-hidden">Deliveries</caption>
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">Outcome</th>
                <th scope="col">Attempts</th>
                <th scope="col">Last error</th>
                <th scope="col">Created</th>
                <th scope="col">Next attempt</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((d) => (
                <tr key={d.id}>
                  <td>{eventLabel(d.event)}</td>
                  <td>{deliveryOutcome(d)}</td>
                  <td>{d.attempts}</td>
                  <td class="cell-body">{d.last_error ?? '—'}</td>
                  <td>{formatDateTime(d.created_at)}</td>
                  <td>{d.next_attempt_at ? formatDateTime(d.next_attempt_at) : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {next && (
        <p class="pager">
          <button type="button" class="button button--ghost" onClick={() => loadDeliveries(next)}>
            Show older deliveries
          </button>
        </p>
      )}
    </>
  );
}
