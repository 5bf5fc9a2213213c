// Webhooks: the subscriptions (GET /v1/webhooks), create one (admin: URL and
// events by checkboxes; the signing secret is in the create answer only, so it
// is shown once with a copy button and forgotten when dismissed), delete one
// (admin, after confirmation), and a webhook's page (/webhooks/<id>) with its
// deliveries, newest first, cursor-paged.
import { useEffect, useState } from 'preact/hooks';

import { api } from '../api.js';
import { ErrorSummary, Field, LoadError, PageTitle } from '../components.jsx';
import { can } from '../contacts_logic.js';
import { formatDateTime } from '../format.js';
import { Link } from '../router.jsx';
import { EVENTS, eventLabel, webhookBody } from '../webhooks_logic.js';
import { Confirm } from './contact_parts.jsx';
import { WebhookPage } from './webhook.jsx';

export function Webhooks({ session, path }) {
  const id = path && path.startsWith('/webhooks/') ? decodeURIComponent(path.slice('/webhooks/'.length)) : null;
  if (id) return <WebhookPage key={id} id={id} session={session} />;
  return <WebhookList session={session} />;
}

function WebhookList({ session }) {
  const [rows, setRows] = useState(null);
  const [error, setError] = useState(null);
  const [message, setMessage] = useState(null);
  const [created, setCreated] = useState(null); // the POST answer, with its secret
  const [confirming, setConfirming] = useState(null); // webhook id
  const admin = can(session, 'admin');

  const load = async () => {
    try {
      setRows((await api.get('/v1/webhooks?limit=1000')).data);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    load();
  }, []);

  const remove = async (w) => {
    setConfirming(null);
    try {
      await api.del(`/v1/webhooks/${encodeURIComponent(w.id)}`);
      setError(null);
      await load();
      setMessage(`The webhook to ${w.url} is deleted: deliveries still waiting are given up.`);
    } catch (e) {
      setMessage(null);
      setError(e);
    }
  };

  return (
    <>
      <PageTitle>Webhooks</PageTitle>
      <p class="lead">
        smsgate tells your own applications what happens (a status, a reply, an opt-out) by POSTing a signed JSON
        event to their URL.
      </p>
      {error && <LoadError error={error} />}
      {message && (
        <p class="notice" role="status">
          {message}
        </p>
      )}
      {created && <NewSecret created={created} onDone={() => setCreated(null)} />}
      {!rows && !error && <p class="loading">Loading…</p>}
      {rows && rows.length === 0 && (
        <p class="empty">
          {admin ? 'No webhook yet. Add one below with the URL of your application.' : 'No webhook yet. An admin can add one.'}
        </p>
      )}
      {rows && rows.length > 0 && (
        <div class="table-wrap" role="region" aria-label="Webhooks table" tabIndex={0}>
          <table class="table">
            <caption class="visually-hidden">Webhooks</caption>
            <thead>
              <tr>
                <th scope="col">URL</th>
                <th scope="col">Events</th>
                <th scope="col">Created</th>
                {admin && <th scope="col">Action</th>}
              </tr>
            </thead>
            <tbody>
              {rows.map((w) => (
                <tr key={w.id}>
                  <td class="mono">
                    <Link to={`/webhooks/${w.id}`}>{w.url}</Link>
                  </td>
                  <td>{w.events.map(eventLabel).join(', ')}</td>
                  <td>{formatDateTime(w.created_at)}</td>
                  {admin && (
                    <td>
                      {confirming === w.id ? (
                        <Confirm question={`Delete the webhook to ${w.url}? Its application gets no more events.`}
                          confirmLabel="Yes, delete this webhook" onConfirm={() => remove(w)}
                          onCancel={() => setConfirming(null)} />
                      ) : (
                        <button type="button" class="button button--ghost" onClick={() => setConfirming(w.id)}>
                          Delete<span class="visually-hidden"> the webhook to {w.url}</span>
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
      {admin && (
        <CreateWebhook
          onCreated={async (w) => {
            setMessage(null);
            setError(null);
            setCreated(w);
            await load();
          }}
        />
      )}
    </>
  );
}

/** The new webhook's signing secret, this once: a warning, the text, a copy button. */
function NewSecret({ created, onDone }) {
  const [copied, setCopied] = useState(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(created.secret);
      setCopied('Copied.');
    } catch {
      setCopied('Could not copy: select the secret and copy it by hand.');
    }
  };
  return (
    <section class="notice secret" aria-labelledby="new-webhook-title">
      <h2 id="new-webhook-title" class="notice__title">
        Webhook added
      </h2>
      <p class="secret__warning">
        <strong>Copy the signing secret now. It is shown only this once:</strong> your application checks each
        event's Smsgate-Signature with it. smsgate cannot show it again; if it is lost, add a new webhook and delete
        this one.
      </p>
      <label class="label" for="new-webhook-secret">
        Signing secret
      </label>
      <input id="new-webhook-secret" class="input secret__text" readOnly value={created.secret}
        onFocus={(e) => e.currentTarget.select()} />
      <p>
        <button type="button" class="button" onClick={copy}>
          Copy secret
        </button>{' '}
        <button type="button" class="button button--ghost" onClick={onDone}>
          I have copied it
        </button>
      </p>
      {copied && <p role="status">{copied}</p>}
    </section>
  );
}

const IDS = { url: 'webhook-url', events: `webhook-event-${EVENTS[0].type}` };

function CreateWebhook({ onCreated }) {
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState({});
  const [err, setErr] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    try {
      const w = await api.post('/v1/webhooks', webhookBody({ url, events }));
      setErr(null);
      setUrl('');
      setEvents({});
      await onCreated(w);
    } catch (x) {
      setErr(x);
    } finally {
      setBusy(false);
    }
  };
  const fe = err?.fieldErrors ?? {};
  const summary = !err ? [] : Object.keys(fe).length
    ? Object.entries(fe).map(([k, text]) => ({ field: IDS[k], text }))
    : [{ text: err.detail }];
  return (
    <section aria-labelledby="create-webhook-title">
      <h2 id="create-webhook-title">Add a webhook</h2>
      <form class="form form--wide" onSubmit={submit} noValidate>
        <ErrorSummary errors={summary} />
        <Field id="webhook-url" label="URL" type="url" value={url} error={fe.url}
          hint="Where smsgate POSTs the events, e.g. https://crm.example.com/hooks/smsgate"
          onInput={(e) => setUrl(e.currentTarget.value)} />
        <fieldset class={fe.events ? 'fieldset field--error' : 'fieldset'} aria-describedby={fe.events ? 'webhook-events-error' : undefined}>
          <legend class="label">Events</legend>
          {fe.events && (
            <p class="field-error" id="webhook-events-error">
              <span class="visually-hidden">Error: </span>
              {fe.events}
            </p>
          )}
          {EVENTS.map((ev) => (
            <div class="checkbox" key={ev.type}>
              <input type="checkbox" id={`webhook-event-${ev.type}`} checked={!!events[ev.type]}
                aria-describedby={`webhook-event-${ev.type}-hint`}
                onChange={(e) => setEvents({ ...events, [ev.type]: e.currentTarget.checked })} />
              <label for={`webhook-event-${ev.type}`}>{ev.label}</label>
              <p class="hint checkbox__hint" id={`webhook-event-${ev.type}-hint`}>
                <code>{ev.type}</code> · {ev.hint}
              </p>
            </div>
          ))}
        </fieldset>
        <button type="submit" class="button" disabled={busy}>
          Add webhook
        </button>
      </form>
    </section>
  );
}
