// Opt-outs: the numbers nothing is sent to (GET /v1/optouts, cursor-paged),
// with who opted them out and when; add one by hand (POST /v1/optouts, admin)
// and opt one back in with confirmation (DELETE /v1/optouts/{phone}, admin).
import { useEffect, useState } from 'preact/hooks';

import { api } from '../api.js';
import { ErrorSummary, Field, LoadError, PageTitle } from '../components.jsx';
import { can, filterRows, phoneSegment } from '../contacts_logic.js';
import { formatDateTime } from '../format.js';
import { Confirm } from './contact_parts.jsx';

const SOURCE = { keyword: 'Reply (STOP)', api: 'By hand', cli: 'Command line', provider: 'Provider' };

export function OptOuts({ session }) {
  const [rows, setRows] = useState(null);
  const [next, setNext] = useState(null);
  const [error, setError] = useState(null);
  const [query, setQuery] = useState('');
  const [confirming, setConfirming] = useState(null); // phone
  const [message, setMessage] = useState(null);
  const admin = can(session, 'admin');

  const load = async (cursor) => {
    try {
      const r = await api.get(`/v1/optouts?limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      setRows((old) => (cursor && old ? [...old, ...r.data] : r.data));
      setNext(r.next_cursor);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    load(null);
  }, []);

  const optIn = async (phone) => {
    try {
      await api.del(`/v1/optouts/${phoneSegment(phone)}`);
      setConfirming(null);
      setMessage(`${phone} is opted back in.`);
      await load(null);
    } catch (e) {
      setConfirming(null);
      setError(e);
    }
  };

  const shown = rows ? filterRows(rows, query, ['phone', 'reason', (r) => SOURCE[r.source] ?? r.source]) : [];
  return (
    <>
      <PageTitle>Opt-outs</PageTitle>
      <p class="lead">Numbers that asked for no more messages (a STOP reply, or added here). Nothing is sent to them.</p>
      {error && <LoadError error={error} />}
      {message && (
        <p class="notice" role="status">
          {message}
        </p>
      )}
      {admin && (
        <AddOptOut
          onAdded={async (phone) => {
            setMessage(`${phone} is opted out.`);
            await load(null);
          }}
        />
      )}
      <form class="search" role="search" onSubmit={(e) => e.preventDefault()}>
        <label class="label" for="optout-search">
          Search opt-outs
        </label>
        <p class="hint" id="optout-search-hint">
          Part of a number, a reason or a source, among the opt-outs listed below.
        </p>
        <input id="optout-search" class="input" type="search" aria-describedby="optout-search-hint" value={query}
          onInput={(e) => setQuery(e.currentTarget.value)} />
      </form>
      {!rows && !error && <p class="loading">Loading…</p>}
      {rows && (
        <>
          <p class="count" role="status">
            {`${shown.length} of ${rows.length} opt-outs listed${next ? ' (more below)' : ''}`}
          </p>
          {rows.length === 0 ? (
            <p class="empty">No number is opted out. A STOP reply adds one here by itself.</p>
          ) : shown.length > 0 && (
            <div class="table-wrap" role="region" aria-label="Opt-outs table" tabIndex={0}>
              <table class="table">
                <caption class="visually-hidden">Opt-outs</caption>
                <thead>
                  <tr>
                    <th scope="col">Phone</th>
                    <th scope="col">Source</th>
                    <th scope="col">Reason</th>
                    <th scope="col">Since</th>
                    {admin && <th scope="col">Action</th>}
                  </tr>
                </thead>
                <tbody>
                  {shown.map((o) => (
                    <tr key={o.phone}>
                      <td>{o.phone}</td>
                      <td>{SOURCE[o.source] ?? o.source}</td>
                      <td>{o.reason || '—'}</td>
                      <td>{formatDateTime(o.created_at)}</td>
                      {admin && (
                        <td>
                          {confirming === o.phone ? (
                            <Confirm question={`Opt ${o.phone} back in?`} confirmLabel="Yes, opt back in"
                              onConfirm={() => optIn(o.phone)} onCancel={() => setConfirming(null)} />
                          ) : (
                            <button type="button" class="button button--ghost" onClick={() => setConfirming(o.phone)}>
                              Opt in<span class="visually-hidden"> {o.phone}</span>
                            </button>
                          )}
                        </td>
                      )}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {next && (
            <button type="button" class="button button--ghost" onClick={() => load(next)}>
              Show more opt-outs
            </button>
          )}
        </>
      )}
    </>
  );
}

function AddOptOut({ onAdded }) {
  const [phone, setPhone] = useState('');
  const [reason, setReason] = useState('');
  const [errors, setErrors] = useState([]);
  const [fieldErrors, setFieldErrors] = useState({});
  const submit = async (e) => {
    e.preventDefault();
    try {
      const o = await api.post('/v1/optouts', { phone: phone.trim(), ...(reason.trim() ? { reason: reason.trim() } : {}) });
      setErrors([]);
      setFieldErrors({});
      setPhone('');
      setReason('');
      await onAdded(o?.phone ?? phone.trim());
    } catch (err) {
      const ids = { phone: 'optout-phone', reason: 'optout-reason' };
      const f = Object.entries(err.fieldErrors);
      setErrors(f.length ? f.map(([k, text]) => ({ field: ids[k], text })) : [{ text: err.detail }]);
      setFieldErrors(err.fieldErrors);
    }
  };
  return (
    <section aria-labelledby="add-optout-title">
      <h2 id="add-optout-title">Opt out a number</h2>
      <form class="form" onSubmit={submit} noValidate>
        <ErrorSummary errors={errors} />
        <Field id="optout-phone" label="Phone" type="tel" hint="In international format, e.g. +447400123456."
          value={phone} error={fieldErrors.phone} onInput={(e) => setPhone(e.currentTarget.value)} />
        <Field id="optout-reason" label="Reason (optional)" value={reason} error={fieldErrors.reason}
          onInput={(e) => setReason(e.currentTarget.value)} />
        <button type="submit" class="button button--danger">
          Opt out
        </button>
      </form>
    </section>
  );
}
