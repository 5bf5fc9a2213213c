// Messages: the log, newest first, filtered by status, provider, error code,
// number and day (the browser's days), one page at a time with the API's
// cursor ("Next" asks for the page after the last row; "Previous" goes back
// to a cursor already seen) — never the whole log.
import { useEffect, useState } from 'preact/hooks';

import { api } from '../api.js';
import { ErrorSummary, Field, LoadError, PageTitle } from '../components.jsx';
import { formatDateTime } from '../format.js';
import { STATUSES, messagesQuery } from '../messages.js';
import { Link } from '../router.jsx';
import { Message } from './message.jsx';

export const PAGE_SIZE = 25;
const EMPTY = { status: '', provider: '', error_code: '', to: '', since_day: '', until_day: '' };
const FIELD_IDS = { status: 'f-status', provider: 'f-provider', error_code: 'f-error_code', to: 'f-to',
  since: 'f-since_day', until: 'f-until_day' };

/** The page size: ?limit=N in the console's own address (1..1000), else 25. */
function pageSize() {
  const n = Number(new URLSearchParams(window.location.search).get('limit'));
  return Number.isInteger(n) && n >= 1 && n <= 1000 ? n : PAGE_SIZE;
}

/** /messages is the log; /messages/<id> one message's page. */
export function MessagesRoute({ session, path }) {
  const m = /^\/messages\/([^/]+)$/.exec(path);
  if (m) return <Message key={m[1]} id={decodeURIComponent(m[1])} session={session} />;
  return path === '/messages' ? <Messages /> : <NotFound />;
}

function NotFound() {
  return (
    <>
      <PageTitle>Page not found</PageTitle>
      <p>
        There is no console page at this address. <Link to="/messages">Go to the messages</Link>.
      </p>
    </>
  );
}

export function Messages() {
  const [draft, setDraft] = useState(EMPTY);
  const [filters, setFilters] = useState(EMPTY);
  const [cursors, setCursors] = useState([null]); // the cursor of each page seen
  const [loaded, setResult] = useState(null); // {answer, cursors} of the last answer
  const [error, setError] = useState(null);
  const [providers, setProviders] = useState([]);
  const [limit] = useState(pageSize);
  const page = cursors.length - 1;

  useEffect(() => {
    api.get('/v1/providers').then((r) => setProviders(r.data ?? []), () => setProviders([]));
  }, []);
  useEffect(() => {
    let stale = false;
    api.get(messagesQuery(filters, limit, cursors[page])).then(
      (r) => !stale && (setResult({ answer: r, cursors }), setError(null)),
      (e) => !stale && (setError(e), setResult(null)),
    );
    return () => {
      stale = true;
    };
  }, [filters, cursors]);

  const set = (k) => (e) => setDraft({ ...draft, [k]: e.currentTarget.value });
  const apply = (e) => {
    e.preventDefault();
    setFilters({ ...draft });
    setCursors([null]);
  };
  const clear = () => {
    setDraft(EMPTY);
    setFilters(EMPTY);
    setCursors([null]);
  };
  const fe = error?.fieldErrors ?? {};
  const fieldError = (k) => fe[k === 'since_day' ? 'since' : k === 'until_day' ? 'until' : k];
  const summary = error && Object.keys(fe).length
    ? Object.entries(fe).map(([f, text]) => ({ field: FIELD_IDS[f], text }))
    : [];
  // Only the answer for the page asked for (never the previous page's rows
  // under the new page's number while it loads).
  const result = loaded && loaded.cursors === cursors ? loaded.answer : null;
  const rows = result?.data ?? [];

  return (
    <>
      <PageTitle>Messages</PageTitle>
      <p class="lead">Every message sent and received, newest first. Times are in your zone.</p>
      <ErrorSummary errors={summary} />
      <form class="filters" aria-label="Filter messages" onSubmit={apply}>
        <div class={fieldError('status') ? 'field field--error' : 'field'}>
          <label class="label" for="f-status">
            Status
          </label>
          <select id="f-status" class="input" value={draft.status} onChange={set('status')}>
            <option value="">Any status</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <div class={fieldError('provider') ? 'field field--error' : 'field'}>
          <label class="label" for="f-provider">
            Provider
          </label>
          <select id="f-provider" class="input" value={draft.provider} onChange={set('provider')}>
            <option value="">Any provider</option>
            {providers.map((p) => (
              <option key={p.id} value={p.name}>
                {p.name}
              </option>
            ))}
          </select>
        </div>
        <Field id="f-error_code" label="Error code" value={draft.error_code} error={fieldError('error_code')}
          onInput={set('error_code')} />
        <Field id="f-to" label="Number" type="tel" value={draft.to} error={fieldError('to')} onInput={set('to')} />
        <Field id="f-since_day" label="From day" type="date" value={draft.since_day} error={fieldError('since_day')}
          onInput={set('since_day')} />
        <Field id="f-until_day" label="To day" type="date" value={draft.until_day} error={fieldError('until_day')}
          onInput={set('until_day')} />
        <div class="filters__actions">
          <button type="submit" class="button">
            Apply filters
          </button>{' '}
          <button type="button" class="button button--plain" onClick={clear}>
            Clear filters
          </button>
        </div>
      </form>
      {error && !summary.length && <LoadError error={error} />}
      {!result && !error && <p class="loading">Loading…</p>}
      {result && (
        <>
          <p class="count" role="status">
            Page {page + 1}: {rows.length} {rows.length === 1 ? 'message' : 'messages'}
          </p>
          {rows.length === 0 ? (
            <p class="empty">
              {page === 0 && filters === EMPTY ? (
                <>
                  No messages yet. <Link to="/send">Send one</Link>.
                </>
              ) : (
                'No message matches these filters. Clear a filter to see more.'
              )}
            </p>
          ) : (
            <div class="table-wrap" role="region" aria-label="Messages table" tabIndex={0}>
              <table class="table">
                <caption class="visually-hidden">Messages</caption>
                <thead>
                  <tr>
                    <th scope="col">Created</th>
                    <th scope="col">Number</th>
                    <th scope="col">Status</th>
                    <th scope="col">Provider</th>
                    <th scope="col">Error</th>
                    <th scope="col">Message</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((m) => (
                    <tr key={m.id}>
                      <td>
                        <Link to={`/messages/${m.id}`}>{formatDateTime(m.created_at)}</Link>
                      </td>
                      <td>{m.direction === 'inbound' ? m.from : m.to}</td>
                      <td>{m.status}</td>
                      <td>{m.provider ?? '—'}</td>
                      <td>{m.error_code ?? ''}</td>
                      <td class="cell-body">{m.body}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <nav class="pager" aria-label="Pages">
            <button type="button" class="button button--plain" disabled={page === 0}
              onClick={() => setCursors(cursors.slice(0, -1))}>
              Previous
            </button>{' '}
            <button type="button" class="button button--plain" disabled={!result.next_cursor}
              onClick={() => setCursors([...cursors, result.next_cursor])}>
              Next
            </button>
          </nav>
        </>
      )}
    </>
  );
}
