// Broadcasts: the cursor-paged list (GET /v1/broadcasts) with each one's
// status and progress (refreshed while one runs), "New broadcast" for senders (/broadcasts/new,
// broadcast_form.jsx) and a broadcast's own page (/broadcasts/<id>,
// broadcast.jsx: live progress, pause/resume/cancel, stats).
import { useEffect, useState } from 'preact/hooks';

import { api } from '../api.js';
import { LoadError, PageTitle } from '../components.jsx';
import { can } from '../contacts_logic.js';
import { formatDateTime } from '../format.js';
import { listNeedsRefresh, progress } from '../broadcasts_logic.js';
import { Link } from '../router.jsx';
import { BroadcastPage } from './broadcast.jsx';
import { ProgressBar } from './broadcast_parts.jsx';
import { BroadcastForm } from './broadcast_form.jsx';

const PAGE_SIZE = 50;
const REFRESH_MS = 2000;

export function Broadcasts({ session, path }) {
  const rest = path && path.startsWith('/broadcasts/') ? decodeURIComponent(path.slice('/broadcasts/'.length)) : null;
  if (rest === 'new') return <BroadcastForm session={session} />;
  if (rest) return <BroadcastPage key={rest} id={rest} session={session} />;
  return <BroadcastList session={session} />;
}

function BroadcastList({ session }) {
  const [rows, setRows] = useState(null);
  const [next, setNext] = useState(null);
  const [error, setError] = useState(null);

  const load = async (cursor) => {
    try {
      const r = await api.get(`/v1/broadcasts?limit=${PAGE_SIZE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      setRows((old) => (cursor && old ? [...old, ...r.data] : r.data));
      setNext(r.next_cursor);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    load(null);
  }, []);
  // Running broadcasts move: the rows loaded so far are asked for again.
  useEffect(() => {
    if (!listNeedsRefresh(rows, Date.now())) return undefined;
    const t = setTimeout(async () => {
      try {
        const r = await api.get(`/v1/broadcasts?limit=${Math.min(500, Math.max(PAGE_SIZE, rows.length))}`);
        setRows(r.data);
        setNext(r.next_cursor);
      } catch (e) {
        setError(e);
      }
    }, REFRESH_MS);
    return () => clearTimeout(t);
  }, [rows]);

  return (
    <>
      <PageTitle>Broadcasts</PageTitle>
      <p class="lead">
        A broadcast sends one message to every contact of a group or segment, at the pace you choose, once per
        contact.
      </p>
      {can(session, 'sender') && (
        <p class="row-actions">
          <Link to="/broadcasts/new" class="button">
            New broadcast
          </Link>
        </p>
      )}
      {error && <LoadError error={error} />}
      {!rows && !error && <p class="loading">Loading…</p>}
      {rows && rows.length === 0 && (
        <p class="empty">
          No broadcasts yet.{' '}
          {can(session, 'sender')
            ? 'Choose "New broadcast" to send to a group or segment.'
            : 'A sender or an admin can create one.'}
        </p>
      )}
      {rows && rows.length > 0 && (
        <div class="table-wrap" role="region" aria-label="Broadcasts table" tabIndex={0}>
          <table class="table">
            <caption class="visually-hidden">Broadcasts</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Status</th>
                <th scope="col">Progress</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((b) => (
                <tr key={b.id}>
                  <td>
                    <Link to={`/broadcasts/${b.id}`}>{b.name}</Link>
                  </td>
                  <td>
                    <span class={`status status--${b.status}`}>{b.status}</span>
                  </td>
                  <td class="cell-progress">
                    <ProgressBar p={progress(b.counts)} label={`Progress of ${b.name}`} compact />
                  </td>
                  <td>{formatDateTime(b.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {next && (
        <p class="pager">
          <button type="button" class="button button--ghost" onClick={() => load(next)}>
            Show more broadcasts
          </button>
        </p>
      )}
    </>
  );
}
