// Opt-outs: the numbers nothing is sent to (GET /v1/optouts, cursor-paged,
// searched by number with ?q= kept in the page's address),
// with who opted them out and when; add one by hand (POST /v1/optouts, admin)
// and opt one back in with confirmation (DELETE /v1/optouts/{phone}, admin).
import { useState } from 'preact/hooks';

import { api } from '../api.js';
import { ErrorSummary, Field, LoadError, PageTitle, SearchBox } from '../components.jsx';
import { can, phoneSegment } from '../contacts_logic.js';
import { formatDateTime } from '../format.js';
import { countLine } from '../list_search.js';
import { useSearchedList } from '../searched_list.js';
import { Confirm } from './contact_parts.jsx';

const SOURCE = { keyword: 'Reply (STOP)', api: 'By hand', cli: 'Command line', provider: 'Provider' };

export function OptOuts({ session }) {
  const list = useSearchedList('/v1/optouts', 50);
  const { rows, next, error } = list;
  const [confirming, setConfirming] = useState(null); // phone
  const [message, setMessage] = useState(null);
  const [actionError, setActionError] = useState(null);
  const admin = can(session, 'admin');

  const optIn = async (phone) => {
    try {
      await api.del(`/v1/optouts/${phoneSegment(phone)}`);
      setConfirming(null);
      setMessage(`${phone} is opted back in.`);
      await list.reload();
    } catch (e) {
      setConfirming(null);
      setActionError(e);
    }
  };

  return (
    <>
      <PageTitle>Opt-outs</PageTitle>
      <p class="lead">Numbers that asked for no more messages (a STOP reply, or added here). Nothing is sent to them.</p>
      {(error || actionError) && <LoadError error={error || actionError} />}
      {message && (
        <p class="notice" role="status">
          {message}
        </p>
      )}
      {admin && (
        <AddOptOut
          onAdded={async (phone) => {
            setMessage(`${phone} is opted out.`);
            await list.reload();
          }}
        />
      )}
      <SearchBox id="optout-search" label="Search opt-outs" value={list.query} applied={list.applied}
        error={list.searchError} onInput={list.setQuery} onSearch={list.search}
        hint="The start of a number (+44 7400) or digits anywhere in it." />
      {!rows && !error && <p class="loading">Loading…</p>}
      {rows && (
        <>
          <p class="count" role="status">
            {countLine(rows.length, 'opt-out', list.applied, next)}
          </p>
          {rows.length === 0 ? (
            <p class="empty">
              {list.applied ? 'No opted-out number matches.' : 'No number is opted out. A STOP reply adds one here by itself.'}
            </p>
          ) : (
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
                  {rows.map((o) => (
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
            <button type="button" class="button button--ghost" onClick={list.more}>
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
