// API keys (admin): the keys that are not revoked (GET /v1/keys), create one
// (POST /v1/keys: its full text is in that answer only, so it is shown once,
// with a copy button and a warning, and forgotten when dismissed), revoke one
// after confirmation (DELETE /v1/keys/{id}; a revoked key leaves the list).
import { useEffect, useState } from 'preact/hooks';

import { api } from '../api.js';
import { ErrorSummary, Field, LoadError, PageTitle } from '../components.jsx';
import { formatDateTime } from '../format.js';
import { Confirm } from './contact_parts.jsx';
import { ROLES, SelectField, formErrors } from './admin_parts.jsx';

export function ApiKeys() {
  const [rows, setRows] = useState(null);
  const [error, setError] = useState(null);
  const [message, setMessage] = useState(null);
  const [created, setCreated] = useState(null); // the POST answer, with its secret
  const [confirming, setConfirming] = useState(null); // key id

  const load = async () => {
    try {
      setRows((await api.get('/v1/keys')).data);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    load();
  }, []);

  const revoke = async (k) => {
    setConfirming(null);
    try {
      await api.del(`/v1/keys/${encodeURIComponent(k.id)}`);
      setError(null);
      await load();
      setMessage(`${k.name || k.id} is revoked: requests with it are refused from now on.`);
    } catch (e) {
      setMessage(null);
      setError(e);
    }
  };

  return (
    <>
      <PageTitle>API keys</PageTitle>
      <p class="lead">Keys let programs use the API. Each has a role, like a user. Revoked keys are not listed.</p>
      {error && <LoadError error={error} />}
      {message && (
        <p class="notice" role="status">
          {message}
        </p>
      )}
      {created && <NewSecret created={created} onDone={() => setCreated(null)} />}
      {!rows && !error && <p class="loading">Loading…</p>}
      {rows && rows.length === 0 && <p class="empty">There is no API key.</p>}
      {rows && rows.length > 0 && (
        <div class="table-wrap" role="region" aria-label="API keys table" tabIndex={0}>
          <table class="table">
            <caption class="visually-hidden">API keys</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Key id</th>
                <th scope="col">Role</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">Action</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((k) => (
                <tr key={k.id}>
                  <td>{k.name || '—'}</td>
                  <td>
                    <code>{k.prefix || k.id}</code>
                  </td>
                  <td>{k.role}</td>
                  <td>{formatDateTime(k.created_at)}</td>
                  <td>{k.last_used_at ? formatDateTime(k.last_used_at) : 'Never'}</td>
                  <td>
                    {confirming === k.id ? (
                      <Confirm question={`Revoke ${k.name || k.id}? Programs using it stop working.`}
                        confirmLabel="Yes, revoke this key" onConfirm={() => revoke(k)} onCancel={() => setConfirming(null)} />
                    ) : (
                      <button type="button" class="button button--ghost" onClick={() => setConfirming(k.id)}>
                        Revoke<span class="visually-hidden"> {k.name || k.id}</span>
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <CreateKey
        onCreated={async (k) => {
          setMessage(null);
          setError(null);
          setCreated(k);
          await load();
        }}
      />
    </>
  );
}

/** The new key's text, this once: a warning, the text, a copy button. */
function NewSecret({ created, onDone }) {
  const [copied, setCopied] = useState(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(created.key);
      setCopied('Copied.');
    } catch {
      setCopied('Could not copy: select the key and copy it by hand.');
    }
  };
  return (
    <section class="notice secret" aria-labelledby="new-key-title">
      <h2 id="new-key-title" class="notice__title">{`New key: ${created.name || created.id}`}</h2>
      <p class="secret__warning">
        <strong>Copy this key now. It is shown only this once:</strong> smsgate keeps only a hash of it and cannot
        show it again. If it is lost, revoke it and create another.
      </p>
      <label class="label" for="new-key-secret">
        The key
      </label>
      <input id="new-key-secret" class="input secret__text" readOnly value={created.key}
        onFocus={(e) => e.currentTarget.select()} />
      <p>
        <button type="button" class="button" onClick={copy}>
          Copy key
        </button>{' '}
        <button type="button" class="button button--ghost" onClick={onDone}>
          I have copied it
        </button>
      </p>
      {copied && <p role="status">{copied}</p>}
    </section>
  );
}

const IDS = { name: 'key-name', role: 'key-role' };

function CreateKey({ onCreated }) {
  const [name, setName] = useState('');
  const [role, setRole] = useState('sender');
  const [err, setErr] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    try {
      const k = await api.post('/v1/keys', { role, ...(name.trim() ? { name: name.trim() } : {}) });
      setErr(null);
      setName('');
      await onCreated(k);
    } catch (x) {
      setErr(x);
    }
  };
  const fe = err?.fieldErrors ?? {};
  return (
    <section aria-labelledby="create-key-title">
      <h2 id="create-key-title">Create a key</h2>
      <form class="form" onSubmit={submit} noValidate>
        <ErrorSummary errors={formErrors(err, IDS)} />
        <Field id="key-name" label="Name (optional)" hint="What uses it, e.g. billing app." value={name}
          error={fe.name} onInput={(e) => setName(e.currentTarget.value)} />
        <SelectField id="key-role" label="Role" options={ROLES} value={role} error={fe.role}
          onChange={(e) => setRole(e.currentTarget.value)} />
        <button type="submit" class="button">Create key</button>
      </form>
    </section>
  );
}
