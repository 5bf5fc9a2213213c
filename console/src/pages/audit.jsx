// Audit log (admin): who did what, newest first (GET /v1/audit, cursor-paged),
// times in the browser's zone; filtered by actor and action (the API's own
// filters, exact values).
import { useEffect, useState } from 'preact/hooks';

import { api } from '../api.js';
import { LoadError, PageTitle } from '../components.jsx';
import { formatDateTime } from '../format.js';

/** The actions the API records today (docs/api.md, Audit log): suggestions
 * only, the filter takes any text. */
const ACTIONS = ['user.create', 'user.update', 'user.remove', 'session.sign_in', 'session.sign_in_failed',
  'session.sign_out', 'contact.erase'];

/** The query of GET /v1/audit for these filters and cursor. */
export function auditQuery(filters, cursor) {
  const q = new URLSearchParams({ limit: '50' });
  if (filters.actor.trim()) q.set('actor', filters.actor.trim());
  if (filters.action.trim()) q.set('action', filters.action.trim());
  if (cursor) q.set('cursor', cursor);
  return `/v1/audit?${q}`;
}

export function Audit() {
  const [rows, setRows] = useState(null);
  const [next, setNext] = useState(null);
  const [error, setError] = useState(null);
  const [form, setForm] = useState({ actor: '', action: '' });
  const [filters, setFilters] = useState({ actor: '', action: '' });

  const load = async (f, cursor) => {
    try {
      const r = await api.get(auditQuery(f, cursor));
      setError(null);
      setRows((old) => (cursor && old ? [...old, ...r.data] : r.data));
      setNext(r.next_cursor);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    load(filters, null);
  }, [filters]);

  const filtered = filters.actor.trim() || filters.action.trim();
  return (
    <>
      <PageTitle>Audit log</PageTitle>
      <p class="lead">What admins and users did, newest first, with where the request came from.</p>
      <form class="form audit-filters" role="search" onSubmit={(e) => {
        e.preventDefault();
        setFilters({ ...form });
      }}>
        <div class="field">
          <label class="label" for="audit-actor">Actor</label>
          <p class="hint" id="audit-actor-hint">A user's email, a key id or cli; exact.</p>
          <input id="audit-actor" class="input" aria-describedby="audit-actor-hint" value={form.actor}
            onInput={(e) => setForm({ ...form, actor: e.currentTarget.value })} />
        </div>
        <div class="field">
          <label class="label" for="audit-action">Action</label>
          <p class="hint" id="audit-action-hint">For example user.create; exact.</p>
          <input id="audit-action" class="input" list="audit-actions" aria-describedby="audit-action-hint"
            value={form.action} onInput={(e) => setForm({ ...form, action: e.currentTarget.value })} />
          <datalist id="audit-actions">
            {ACTIONS.map((a) => <option key={a} value={a} />)}
          </datalist>
        </div>
        <button type="submit" class="button">Filter</button>
      </form>
      {error && <LoadError error={error} />}
      {!rows && !error && <p class="loading">Loading…</p>}
      {rows && (
        <>
          <p class="count" role="status">
            {`${rows.length} entries listed${filtered ? ' for these filters' : ''}${next ? ' (more below)' : ''}`}
          </p>
          {rows.length > 0 && (
            <div class="table-wrap" role="region" aria-label="Audit log table" tabIndex={0}>
              <table class="table">
                <caption class="visually-hidden">Audit log</caption>
                <thead>
                  <tr>
                    <th scope="col">Time</th>
                    <th scope="col">Actor</th>
                    <th scope="col">Action</th>
                    <th scope="col">Target</th>
                    <th scope="col">Source address</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((a) => (
                    <tr key={a.id}>
                      <td>
                        <time dateTime={a.at}>{formatDateTime(a.at)}</time>
                      </td>
                      <td>{a.actor}</td>
                      <td>{a.action}</td>
                      <td>{a.subject || '—'}</td>
                      <td>{a.source || '—'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {next && (
            <button type="button" class="button button--ghost" onClick={() => load(filters, next)}>
              Show older entries
            </button>
          )}
        </>
      )}
    </>
  );
}
