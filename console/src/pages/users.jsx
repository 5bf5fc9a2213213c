// Users (admin): the people who sign in to the console (GET /v1/users,
// cursor-paged), add one (POST /v1/users), change a role or set a new password
// (PATCH /v1/users/{id}), remove one after confirmation (DELETE). The API
// refuses to remove or demote the last admin (409 last_admin): its words are
// shown as they come.
import { useEffect, useRef, useState } from 'preact/hooks';

import { api } from '../api.js';
import { ErrorSummary, Field, LoadError, PageTitle } from '../components.jsx';
import { formatDateTime } from '../format.js';
import { Confirm } from './contact_parts.jsx';
import { ROLES, SelectField, formErrors } from './admin_parts.jsx';

/** The API's shortest password, in bytes (docs/api.md, Users). */
export const PASSWORD_MIN = 12;
const PASSWORD_HINT = `At least ${PASSWORD_MIN} characters.`;

export function Users() {
  const [rows, setRows] = useState(null);
  const [next, setNext] = useState(null);
  const [error, setError] = useState(null);
  const [message, setMessage] = useState(null);
  const [editing, setEditing] = useState(null); // {user, what: 'role'|'password'|'remove'}

  const load = async (cursor) => {
    try {
      const r = await api.get(`/v1/users?limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      setRows((old) => (cursor && old ? [...old, ...r.data] : r.data));
      setNext(r.next_cursor);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    load(null);
  }, []);

  const done = async (text) => {
    setEditing(null);
    setError(null);
    setMessage(text);
    await load(null);
  };
  const remove = async (u) => {
    try {
      await api.del(`/v1/users/${encodeURIComponent(u.id)}`);
      await done(`${u.email} is removed.`);
    } catch (e) {
      setEditing(null);
      setMessage(null);
      setError(e);
    }
  };
  const open = (user, what) => {
    setMessage(null);
    setError(null);
    setEditing({ user, what });
  };

  return (
    <>
      <PageTitle>Users</PageTitle>
      <p class="lead">The people who sign in to this console, and what their role lets them do.</p>
      {error && <LoadError error={error} />}
      {message && (
        <p class="notice" role="status">
          {message}
        </p>
      )}
      {!rows && !error && <p class="loading">Loading…</p>}
      {rows && (
        <div class="table-wrap" role="region" aria-label="Users table" tabIndex={0}>
          <table class="table">
            <caption class="visually-hidden">Users</caption>
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">Created</th>
                <th scope="col">Last sign-in</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((u) => (
                <tr key={u.id}>
                  <td>{u.email}</td>
                  <td>{u.role}</td>
                  <td>{formatDateTime(u.created_at)}</td>
                  <td>{u.last_sign_in_at ? formatDateTime(u.last_sign_in_at) : 'Never'}</td>
                  <td class="admin-actions">
                    {editing?.user.id === u.id && editing.what === 'remove' ? (
                      <Confirm question={`Remove ${u.email}? They can no longer sign in.`} confirmLabel="Yes, remove this user"
                        onConfirm={() => remove(u)} onCancel={() => setEditing(null)} />
                    ) : (
                      <>
                        <button type="button" class="button button--ghost" onClick={() => open(u, 'role')}>
                          Change role<span class="visually-hidden"> of {u.email}</span>
                        </button>
                        <button type="button" class="button button--ghost" onClick={() => open(u, 'password')}>
                          Reset password<span class="visually-hidden"> of {u.email}</span>
                        </button>
                        <button type="button" class="button button--ghost" onClick={() => open(u, 'remove')}>
                          Remove<span class="visually-hidden"> {u.email}</span>
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
      {next && (
        <button type="button" class="button button--ghost" onClick={() => load(next)}>
          Show more users
        </button>
      )}
      {editing?.what === 'role' && (
        <ChangeRole key={editing.user.id} user={editing.user} onCancel={() => setEditing(null)}
          onDone={(u) => done(`${u.email} is now ${u.role}.`)} />
      )}
      {editing?.what === 'password' && (
        <ResetPassword key={editing.user.id} user={editing.user} onCancel={() => setEditing(null)}
          onDone={(u) => done(`${u.email} has a new password; their sessions are ended.`)} />
      )}
      <AddUser onAdded={(u) => done(`${u.email} is added as ${u.role}.`)} />
    </>
  );
}

/** A PATCH form for one user: body() is what it sends. Its heading (ref)
 * takes focus when the form opens below the list. */
function useUserForm(user, ids, body, onDone) {
  const [err, setErr] = useState(null);
  const ref = useRef(null);
  useEffect(() => ref.current?.focus(), []);
  const submit = async (e) => {
    e.preventDefault();
    try {
      const u = await api.patch(`/v1/users/${encodeURIComponent(user.id)}`, body());
      setErr(null);
      await onDone(u ?? user);
    } catch (x) {
      setErr(x);
    }
  };
  return { err, errors: formErrors(err, ids), submit, ref };
}

function ChangeRole({ user, onDone, onCancel }) {
  const [role, setRole] = useState(user.role);
  const f = useUserForm(user, { role: 'user-new-role' }, () => ({ role }), onDone);
  return (
    <section aria-labelledby="change-role-title">
      <h2 id="change-role-title" tabIndex={-1} ref={f.ref}>{`Change the role of ${user.email}`}</h2>
      <form class="form" onSubmit={f.submit} noValidate>
        <ErrorSummary errors={f.errors} />
        <SelectField id="user-new-role" label="New role" options={ROLES} value={role}
          error={f.err?.fieldErrors.role} onChange={(e) => setRole(e.currentTarget.value)} />
        <button type="submit" class="button">Save role</button>{' '}
        <button type="button" class="button button--ghost" onClick={onCancel}>Cancel</button>
      </form>
    </section>
  );
}

function ResetPassword({ user, onDone, onCancel }) {
  const [password, setPassword] = useState('');
  const f = useUserForm(user, { password: 'user-new-password' }, () => ({ password }), onDone);
  return (
    <section aria-labelledby="reset-password-title">
      <h2 id="reset-password-title" tabIndex={-1} ref={f.ref}>{`Set a new password for ${user.email}`}</h2>
      <form class="form" onSubmit={f.submit} noValidate>
        <ErrorSummary errors={f.errors} />
        <Field id="user-new-password" label="New password" type="password" autocomplete="new-password"
          hint={`${PASSWORD_HINT} Their sessions end when it is saved.`} minLength={PASSWORD_MIN} value={password}
          error={f.err?.fieldErrors.password} onInput={(e) => setPassword(e.currentTarget.value)} />
        <button type="submit" class="button">Save password</button>{' '}
        <button type="button" class="button button--ghost" onClick={onCancel}>Cancel</button>
      </form>
    </section>
  );
}

const ADD_IDS = { email: 'user-email', role: 'user-role', password: 'user-password' };

function AddUser({ onAdded }) {
  const [email, setEmail] = useState('');
  const [role, setRole] = useState('viewer');
  const [password, setPassword] = useState('');
  const [err, setErr] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    try {
      const u = await api.post('/v1/users', { email: email.trim(), role, password });
      setErr(null);
      setEmail('');
      setPassword('');
      await onAdded(u);
    } catch (x) {
      setErr(x);
    }
  };
  const fe = err?.fieldErrors ?? {};
  return (
    <section aria-labelledby="add-user-title">
      <h2 id="add-user-title">Add a user</h2>
      <form class="form" onSubmit={submit} noValidate>
        <ErrorSummary errors={formErrors(err, ADD_IDS)} />
        <Field id="user-email" label="Email" type="email" autocomplete="off" value={email} error={fe.email}
          onInput={(e) => setEmail(e.currentTarget.value)} />
        <SelectField id="user-role" label="Role" options={ROLES} value={role} error={fe.role}
          hint="admin: everything; sender: send and manage contacts; viewer: read only."
          onChange={(e) => setRole(e.currentTarget.value)} />
        <Field id="user-password" label="Password" type="password" autocomplete="new-password" hint={PASSWORD_HINT}
          minLength={PASSWORD_MIN} value={password} error={fe.password}
          onInput={(e) => setPassword(e.currentTarget.value)} />
        <button type="submit" class="button">Add user</button>
      </form>
    </section>
  );
}
