// Apps (admin): the app accounts of the Twilio-compatible API (GET /v1/apps;
// docs/compat.md). Create one (POST /v1/apps: its Account SID and auth token
// are in that answer, and the token only there, so both are shown once with
// copy buttons and forgotten when dismissed), give one a new token (POST
// /v1/apps/{id}/rotate, shown the same way), remove one after confirmation
// (DELETE /v1/apps/{id}). An app may own numbers: messages to them go to its
// inbound URL (docs/compat.md, "Numbers an app owns").
import { useEffect, useState } from 'preact/hooks';

import { api } from '../api.js';
import { ErrorSummary, Field, LoadError, PageTitle } from '../components.jsx';
import { formatDateTime } from '../format.js';
import { Confirm } from './contact_parts.jsx';
import { SelectField, formErrors } from './admin_parts.jsx';

const APP_ROLES = ['sender', 'viewer'];
const CALLBACK_METHODS = ['POST', 'GET'];

export function Apps() {
  const [rows, setRows] = useState(null);
  const [error, setError] = useState(null);
  const [message, setMessage] = useState(null);
  const [shown, setShown] = useState(null); // an answer holding auth_token, and why
  const [confirming, setConfirming] = useState(null); // { id, action }

  const load = async () => {
    try {
      setRows((await api.get('/v1/apps')).data);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    load();
  }, []);

  const act = async (a, action) => {
    setConfirming(null);
    setMessage(null);
    try {
      if (action === 'remove') {
        await api.del(`/v1/apps/${encodeURIComponent(a.id)}`);
        setShown(null);
      } else {
        setShown({ app: await api.post(`/v1/apps/${encodeURIComponent(a.id)}/rotate`, {}), rotated: true });
      }
      setError(null);
      await load();
      // After the reload, so that the message never stands beside the removed row.
      if (action === 'remove') setMessage(`${a.name} is removed: its credentials are refused from now on.`);
    } catch (e) {
      setError(e);
    }
  };

  return (
    <>
      <PageTitle>Apps</PageTitle>
      <p class="lead">
        Applications written for Twilio send through smsgate with an app's Account SID and auth token, and
        smsgate's address as their base URL (see docs/compat.md).
      </p>
      {error && <LoadError error={error} />}
      {message && (
        <p class="notice" role="status">
          {message}
        </p>
      )}
      {shown && <Credentials shown={shown} onDone={() => setShown(null)} />}
      {!rows && !error && <p class="loading">Loading…</p>}
      {rows && rows.length === 0 && <p class="empty">There is no app.</p>}
      {rows && rows.length > 0 && (
        <div class="table-wrap" role="region" aria-label="Apps table" tabIndex={0}>
          <table class="table">
            <caption class="visually-hidden">Apps</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Account SID</th>
                <th scope="col">Role</th>
                <th scope="col">Numbers</th>
                <th scope="col">Token since</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((a) => (
                <tr key={a.id}>
                  <td>{a.name}</td>
                  <td>
                    <code>{a.account_sid}</code>
                  </td>
                  <td>{a.role}</td>
                  <td>{a.numbers?.length ? a.numbers.join(', ') : '—'}</td>
                  <td>{formatDateTime(a.token_rotated_at)}</td>
                  <td>
                    {confirming?.id === a.id ? (
                      <Confirm
                        question={confirming.action === 'remove'
                          ? `Remove ${a.name}? Applications using it stop working.`
                          : `Give ${a.name} a new token? The current one stops working at once.`}
                        confirmLabel={confirming.action === 'remove' ? 'Yes, remove this app' : 'Yes, new token'}
                        onConfirm={() => act(a, confirming.action)} onCancel={() => setConfirming(null)} />
                    ) : (
                      <>
                        <button type="button" class="button button--ghost"
                          onClick={() => setConfirming({ id: a.id, action: 'rotate' })}>
                          New token<span class="visually-hidden"> for {a.name}</span>
                        </button>{' '}
                        <button type="button" class="button button--ghost"
                          onClick={() => setConfirming({ id: a.id, action: 'remove' })}>
                          Remove<span class="visually-hidden"> {a.name}</span>
                        </button>
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <CreateApp
        onCreated={async (a) => {
          setMessage(null);
          setError(null);
          setShown({ app: a, rotated: false });
          await load();
        }}
      />
    </>
  );
}

function CopyRow({ id, label, value }) {
  const [copied, setCopied] = useState(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied('Copied.');
    } catch {
      setCopied(`Could not copy: select the ${label.toLowerCase()} and copy it by hand.`);
    }
  };
  return (
    <div class="field">
      <label class="label" for={id}>
        {label}
      </label>
      <input id={id} class="input secret__text" readOnly value={value} onFocus={(e) => e.currentTarget.select()} />
      <p>
        <button type="button" class="button" onClick={copy}>
          Copy {label.toLowerCase()}
        </button>
      </p>
      {copied && <p role="status">{copied}</p>}
    </div>
  );
}

/** The app's Account SID and auth token (and its Clickatell-style API ID and key), this once. */
function Credentials({ shown, onDone }) {
  const a = shown.app;
  return (
    <section class="notice secret" aria-labelledby="app-credentials-title">
      <h2 id="app-credentials-title" class="notice__title">
        {shown.rotated ? `New token for ${a.name}` : `New app: ${a.name}`}
      </h2>
      <p class="secret__warning">
        <strong>Copy the auth token now. It is shown only this once:</strong> smsgate cannot show it again. If it is
        lost, give the app a new token.
      </p>
      <CopyRow id="app-account-sid" label="Account SID" value={a.account_sid} />
      <CopyRow id="app-auth-token" label="Auth token" value={a.auth_token} />
      {a.api_key && (
        <>
          <p>For Clickatell clients (CiviCRM: put the API key on the <code>api_id=</code> line):</p>
          <CopyRow id="app-api-id" label="API ID" value={a.api_id} />
          <CopyRow id="app-api-key" label="API key" value={a.api_key} />
        </>
      )}
      <p>
        <button type="button" class="button button--ghost" onClick={onDone}>
          I have copied them
        </button>
      </p>
    </section>
  );
}

const IDS = {
  name: 'app-name',
  role: 'app-role',
  status_callback: 'app-status-callback',
  callback_method: 'app-callback-method',
  inbound_url: 'app-inbound-url',
  numbers: 'app-numbers',
};

/** "+1 415…, +44…" (commas, spaces or lines between) as a list of numbers. */
function numberList(text) {
  return text.split(/[\n,]+/).map((n) => n.trim()).filter(Boolean);
}

function CreateApp({ onCreated }) {
  const [name, setName] = useState('');
  const [role, setRole] = useState('sender');
  const [callback, setCallback] = useState('');
  const [method, setMethod] = useState('POST');
  const [inbound, setInbound] = useState('');
  const [numbers, setNumbers] = useState('');
  const [err, setErr] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    try {
      const body = {
        name: name.trim(),
        role,
        callback_method: method,
        ...(callback.trim() ? { status_callback: callback.trim() } : {}),
        ...(inbound.trim() ? { inbound_url: inbound.trim() } : {}),
        ...(numberList(numbers).length ? { numbers: numberList(numbers) } : {}),
      };
      const a = await api.post('/v1/apps', body);
      setErr(null);
      setName('');
      setCallback('');
      setInbound('');
      setNumbers('');
      await onCreated(a);
    } catch (x) {
      setErr(x);
    }
  };
  const fe = err?.fieldErrors ?? {};
  return (
    <section aria-labelledby="create-app-title">
      <h2 id="create-app-title">Create an app</h2>
      <form class="form" onSubmit={submit} noValidate>
        <ErrorSummary errors={formErrors(err, IDS)} />
        <Field id="app-name" label="Name" hint="The application, e.g. CRM." value={name} error={fe.name}
          onInput={(e) => setName(e.currentTarget.value)} />
        <SelectField id="app-role" label="Role" hint="A sender sends and reads its messages; a viewer only reads them."
          options={APP_ROLES} value={role} error={fe.role}
          onChange={(e) => setRole(e.currentTarget.value)} />
        <Field id="app-status-callback" label="Status callback URL (optional)"
          hint="Where delivery reports go when a message names none." value={callback} error={fe.status_callback}
          onInput={(e) => setCallback(e.currentTarget.value)} />
        <SelectField id="app-callback-method" label="Callback method"
          hint="How delivery reports are sent: POST (Twilio clients), or GET or POST as a Clickatell client such as CiviCRM is set up to take them."
          options={CALLBACK_METHODS} value={method} error={fe.callback_method}
          onChange={(e) => setMethod(e.currentTarget.value)} />
        <Field id="app-inbound-url" label="Inbound URL (optional)"
          hint="Where replies to its messages, and messages to its numbers, are posted (Twilio's format)."
          value={inbound} error={fe.inbound_url} onInput={(e) => setInbound(e.currentTarget.value)} />
        <Field id="app-numbers" label="Numbers (optional)"
          hint="Numbers the app owns, separated by commas, e.g. +14155552671. A number belongs to one app."
          value={numbers} error={fe.numbers} onInput={(e) => setNumbers(e.currentTarget.value)} />
        <button type="submit" class="button">Create app</button>
      </form>
    </section>
  );
}
