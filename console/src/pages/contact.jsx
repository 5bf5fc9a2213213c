// A contact's page (/contacts/<id>): its fields (GET /v1/contacts/{id}), edit
// (PATCH), delete with confirmation (DELETE, admin), opt-out and opt-in by
// hand (POST /v1/optouts, DELETE /v1/optouts/{phone}, admin) and its timeline
// (GET /v1/contacts/{id}/timeline: messages both ways, consent changes, clicks).
import { useEffect, useState } from 'preact/hooks';

import { api } from '../api.js';
import { ErrorSummary, Field, LoadError, PageTitle } from '../components.jsx';
import { attributesToRows, can, contactName, phoneSegment, timelineEntry } from '../contacts_logic.js';
import { formatDateTime } from '../format.js';
import { Link, navigate } from '../router.jsx';
import { Confirm, ContactForm } from './contact_parts.jsx';

export function ContactPage({ id, session }) {
  const [contact, setContact] = useState(null);
  const [error, setError] = useState(null);
  const [editing, setEditing] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [actionError, setActionError] = useState(null);
  const [timelineKey, setTimelineKey] = useState(0);

  const reload = async () => {
    try {
      setContact(await api.get(`/v1/contacts/${encodeURIComponent(id)}`));
      setTimelineKey((k) => k + 1);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    reload();
  }, [id]);

  if (error) {
    return (
      <>
        <PageTitle>Contact</PageTitle>
        <LoadError error={error} />
        <p>
          <Link to="/contacts">Back to contacts</Link>
        </p>
      </>
    );
  }
  if (!contact) return <p class="loading">Loading…</p>;

  const remove = async () => {
    try {
      await api.del(`/v1/contacts/${encodeURIComponent(contact.id)}`);
      navigate('/contacts');
    } catch (e) {
      setConfirmDelete(false);
      setActionError(e);
    }
  };

  const attrs = attributesToRows(contact.attributes);
  return (
    <>
      <p class="back">
        <Link to="/contacts">Back to contacts</Link>
      </p>
      <PageTitle>{contactName(contact)}</PageTitle>
      {actionError && <LoadError error={actionError} />}
      {editing ? (
        <section aria-labelledby="edit-title">
          <h2 id="edit-title">Edit contact</h2>
          <ContactForm contact={contact} submitLabel="Save changes" onCancel={() => setEditing(false)}
            save={async (body) => {
              setContact(await api.patch(`/v1/contacts/${encodeURIComponent(contact.id)}`, body));
              setEditing(false);
            }} />
        </section>
      ) : (
        <>
          <dl class="summary contact-fields">
            <dt>Phone</dt>
            <dd>{contact.phone}</dd>
            <dt>First name</dt>
            <dd>{contact.first_name || '—'}</dd>
            <dt>Last name</dt>
            <dd>{contact.last_name || '—'}</dd>
            <dt>Consent</dt>
            <dd class="consent">{contact.opted_out ? 'Opted out' : 'Subscribed'}</dd>
            <dt>Mobile</dt>
            <dd>{contact.mobile ? 'Yes' : 'No'}</dd>
            <dt>Added</dt>
            <dd>{formatDateTime(contact.created_at)}</dd>
            <dt>Last activity</dt>
            <dd>{contact.last_activity_at ? formatDateTime(contact.last_activity_at) : '—'}</dd>
            {attrs.flatMap((a) => [
              <dt key={`k-${a.key}`}>{a.key}</dt>,
              <dd key={`v-${a.key}`}>{a.value}</dd>,
            ])}
          </dl>
          <p class="row-actions">
            {can(session, 'sender') && (
              <button type="button" class="button" onClick={() => setEditing(true)}>
                Edit contact
              </button>
            )}{' '}
            {can(session, 'admin') && !confirmDelete && (
              <button type="button" class="button button--danger" onClick={() => setConfirmDelete(true)}>
                Delete contact
              </button>
            )}
          </p>
          {confirmDelete && (
            <Confirm question={`Delete ${contactName(contact)}? Their messages stay in the log.`}
              confirmLabel="Yes, delete this contact" onConfirm={remove} onCancel={() => setConfirmDelete(false)} />
          )}
        </>
      )}
      {can(session, 'admin') && <ConsentPanel contact={contact} onChanged={reload} />}
      <Timeline key={timelineKey} id={contact.id} />
    </>
  );
}

/** Opt out by hand (with a reason) or opt back in (confirmed). */
function ConsentPanel({ contact, onChanged }) {
  const [reason, setReason] = useState('');
  const [confirm, setConfirm] = useState(false);
  const [errors, setErrors] = useState([]);
  const [busy, setBusy] = useState(false);
  const run = async (fn) => {
    setBusy(true);
    try {
      await fn();
      setErrors([]);
      setConfirm(false);
      setReason('');
      await onChanged();
    } catch (e) {
      setErrors([{ text: e.detail }]);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="consent-title">
      <h2 id="consent-title">Consent</h2>
      <ErrorSummary errors={errors} />
      {contact.opted_out ? (
        <>
          <p>This number is opted out: nothing is sent to it until it opts back in (a START reply, or here).</p>
          {confirm ? (
            <Confirm question={`Opt ${contact.phone} back in? Only do this if the person asked to get messages again.`}
              confirmLabel="Yes, opt back in" busy={busy}
              onConfirm={() => run(() => api.del(`/v1/optouts/${phoneSegment(contact.phone)}`))}
              onCancel={() => setConfirm(false)} />
          ) : (
            <button type="button" class="button button--ghost" onClick={() => setConfirm(true)}>
              Opt in
            </button>
          )}
        </>
      ) : (
        <form class="form" onSubmit={(e) => {
          e.preventDefault();
          run(() => api.post('/v1/optouts', { phone: contact.phone, ...(reason.trim() ? { reason: reason.trim() } : {}) }));
        }}>
          <Field id="optout-reason" label="Reason (optional)" hint="E.g. asked by phone call." value={reason}
            onInput={(e) => setReason(e.currentTarget.value)} />
          <button type="submit" class="button button--danger" disabled={busy}>
            Opt out
          </button>
        </form>
      )}
    </section>
  );
}

/** The contact's timeline, newest first, paged by cursor. */
function Timeline({ id }) {
  const [items, setItems] = useState(null);
  const [next, setNext] = useState(null);
  const [error, setError] = useState(null);
  const load = async (cursor) => {
    try {
      const r = await api.get(`/v1/contacts/${encodeURIComponent(id)}/timeline?limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      setItems((old) => (cursor && old ? [...old, ...r.data] : r.data));
      setNext(r.next_cursor);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    load(null);
  }, [id]);
  return (
    <section aria-labelledby="timeline-title">
      <h2 id="timeline-title">Timeline</h2>
      {error && <LoadError error={error} />}
      {!items && !error && <p class="loading">Loading…</p>}
      {items && items.length === 0 && <p class="empty">No messages or consent changes yet.</p>}
      {items && items.length > 0 && (
        <ol class="timeline">
          {items.map((it, i) => {
            const e = timelineEntry(it);
            return (
              <li key={i} class="timeline__item">
                <span class="timeline__kind">{e.kind}</span>{' '}
                <time class="timeline__time" dateTime={it.at}>{formatDateTime(it.at)}</time>
                {e.text && <p class="timeline__text">{e.text}</p>}
                {e.detail && <p class="timeline__detail">{e.detail}</p>}
              </li>
            );
          })}
        </ol>
      )}
      {next && (
        <button type="button" class="button button--ghost" onClick={() => load(next)}>
          Show older
        </button>
      )}
    </section>
  );
}
