// Groups: static lists of contacts (GET /v1/groups), create one (POST, sender),
// and a group's page (/groups/<id>): its members, cursor-paged (GET
// /v1/groups/{id}/members), add members by phone or from a contact search
// (POST …/members), remove one (POST …/members/remove), rename (PATCH, sender)
// and delete after confirmation (DELETE, admin).
import { useEffect, useRef, useState } from 'preact/hooks';

import { api } from '../api.js';
import { ErrorSummary, Field, LoadError, PageTitle } from '../components.jsx';
import { can, contactName, filterRows } from '../contacts_logic.js';
import { formatCount, formatDateTime } from '../format.js';
import { Link, navigate } from '../router.jsx';
import { splitContacts } from '../group_members.js';
import { formErrors } from './admin_parts.jsx';
import { ItemLoading, NamedList } from './audience_parts.jsx';
import { Confirm } from './contact_parts.jsx';

const seg = (id) => encodeURIComponent(id);

export function Groups({ session, path }) {
  const id = path && path.startsWith('/groups/') ? decodeURIComponent(path.slice('/groups/'.length)) : null;
  if (id) return <GroupPage key={id} id={id} session={session} />;
  return <GroupList session={session} />;
}

function GroupList({ session }) {
  return (
    <NamedList session={session} title="Groups" noun="group" path="/v1/groups"
      lead="Lists of contacts you pick by hand. A broadcast can go to a group." top={<CreateGroup />}
      link={(r) => `/groups/${r.id}`} searchIn={['name']}
      columns={[
        { label: 'Members', cell: (r) => formatCount(r.members) },
        { label: 'Created', cell: (r) => formatDateTime(r.created_at) },
      ]}
      empty="No groups yet. Create one above, then add contacts to it on its page (or import a CSV file into it from Contacts)." />
  );
}

function CreateGroup() {
  const [name, setName] = useState('');
  const [err, setErr] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    try {
      const g = await api.post('/v1/groups', { name: name.trim() });
      navigate(`/groups/${g.id}`);
    } catch (x) {
      setErr(x);
    }
  };
  return (
    <section aria-labelledby="create-group-title">
      <h2 id="create-group-title">Create a group</h2>
      <form class="form" onSubmit={submit} noValidate>
        <ErrorSummary errors={formErrors(err, { name: 'group-name' })} />
        <Field id="group-name" label="Group name" value={name} error={err?.fieldErrors.name}
          onInput={(e) => setName(e.currentTarget.value)} />
        <button type="submit" class="button">
          Create group
        </button>
      </form>
    </section>
  );
}

const PAGE_SIZE = 50;

function GroupPage({ id, session }) {
  const [group, setGroup] = useState(null);
  const [members, setMembers] = useState(null);
  const [next, setNext] = useState(null);
  const [error, setError] = useState(null);
  const [message, setMessage] = useState(null);
  const [mode, setMode] = useState(null); // 'rename' | 'delete' | 'add'
  const [removing, setRemoving] = useState(null); // contact
  const sender = can(session, 'sender');

  const loadGroup = async () => {
    try {
      setGroup(await api.get(`/v1/groups/${seg(id)}`));
    } catch (e) {
      setError(e);
    }
  };
  const loadMembers = async (cursor) => {
    try {
      const r = await api.get(`/v1/groups/${seg(id)}/members?limit=${PAGE_SIZE}${cursor ? `&cursor=${seg(cursor)}` : ''}`);
      setMembers((old) => (cursor && old ? [...old, ...r.data] : r.data));
      setNext(r.next_cursor);
    } catch (e) {
      setError(e);
    }
  };
  const reload = async (text) => {
    setMode(null);
    setRemoving(null);
    setError(null);
    setMessage(text);
    await Promise.all([loadGroup(), loadMembers(null)]);
  };
  useEffect(() => {
    loadGroup();
    loadMembers(null);
  }, []);

  const remove = async (c) => {
    try {
      await api.post(`/v1/groups/${seg(id)}/members/remove`, { contacts: [c.id] });
      await reload(`${contactName(c)} is removed from the group.`);
    } catch (e) {
      setRemoving(null);
      setError(e);
    }
  };
  const del = async () => {
    try {
      await api.del(`/v1/groups/${seg(id)}`);
      navigate('/groups');
    } catch (e) {
      setMode(null);
      setError(e);
    }
  };

  if (!group) return <ItemLoading title="Group" error={error} back="/groups" backLabel="All groups" />;
  return (
    <>
      <PageTitle>{group.name}</PageTitle>
      <p>
        <Link to="/groups">All groups</Link>
      </p>
      <p class="lead">{`${formatCount(group.members)} ${group.members === 1 ? 'member' : 'members'} · created ${formatDateTime(group.created_at)}`}</p>
      {error && <LoadError error={error} />}
      {message && (
        <p class="notice" role="status">
          {message}
        </p>
      )}
      <p class="row-actions">
        {sender && mode !== 'add' && (
          <button type="button" class="button" onClick={() => { setMessage(null); setMode('add'); }}>
            Add members
          </button>
        )}
        {sender && mode !== 'rename' && (
          <button type="button" class="button button--ghost" onClick={() => { setMessage(null); setMode('rename'); }}>
            Rename group
          </button>
        )}
        {can(session, 'admin') && mode !== 'delete' && (
          <button type="button" class="button button--ghost" onClick={() => { setMessage(null); setMode('delete'); }}>
            Delete group
          </button>
        )}
      </p>
      {mode === 'delete' && (
        <Confirm question={`Delete the group ${group.name}? Its contacts stay; broadcasts already made keep their recipients.`}
          confirmLabel="Yes, delete this group" onConfirm={del} onCancel={() => setMode(null)} />
      )}
      {mode === 'rename' && (
        <RenameGroup group={group} onCancel={() => setMode(null)} onDone={(g) => reload(`The group is now called ${g.name}.`)} />
      )}
      {mode === 'add' && (
        <AddMembers group={group} onCancel={() => setMode(null)}
          onDone={(added) => reload(`${added} ${added === 1 ? 'contact' : 'contacts'} added to the group.`)} />
      )}
      <h2>Members</h2>
      {!members && <p class="loading">Loading…</p>}
      {members && members.length === 0 && (
        <p class="empty">
          {sender
            ? 'No members yet. Use “Add members” above, or import a CSV file into this group from Contacts.'
            : 'No members yet.'}
        </p>
      )}
      {members && members.length > 0 && (
        <div class="table-wrap" role="region" aria-label="Members table" tabIndex={0}>
          <table class="table">
            <caption class="visually-hidden">Members of {group.name}</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Phone</th>
                <th scope="col">Opted out</th>
                {sender && <th scope="col">Action</th>}
              </tr>
            </thead>
            <tbody>
              {members.map((c) => (
                <tr key={c.id}>
                  <td>
                    <Link to={`/contacts/${c.id}`}>{contactName(c)}</Link>
                  </td>
                  <td>{c.phone}</td>
                  <td>{c.opted_out ? 'Yes' : 'No'}</td>
                  {sender && (
                    <td>
                      {removing?.id === c.id ? (
                        <Confirm question={`Remove ${contactName(c)} from ${group.name}? The contact stays.`}
                          confirmLabel="Yes, remove from group" onConfirm={() => remove(c)} onCancel={() => setRemoving(null)} />
                      ) : (
                        <button type="button" class="button button--ghost" onClick={() => { setMessage(null); setRemoving(c); }}>
                          Remove<span class="visually-hidden"> {contactName(c)}</span>
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
        <button type="button" class="button button--ghost" onClick={() => loadMembers(next)}>
          Show more members
        </button>
      )}
    </>
  );
}

/** A section that takes focus when it opens below the buttons. */
function useFocusOnOpen() {
  const ref = useRef(null);
  useEffect(() => ref.current?.focus(), []);
  return ref;
}

function RenameGroup({ group, onCancel, onDone }) {
  const [name, setName] = useState(group.name);
  const [err, setErr] = useState(null);
  const ref = useFocusOnOpen();
  const submit = async (e) => {
    e.preventDefault();
    try {
      await onDone(await api.patch(`/v1/groups/${seg(group.id)}`, { name: name.trim() }));
    } catch (x) {
      setErr(x);
    }
  };
  return (
    <section aria-labelledby="rename-group-title">
      <h2 id="rename-group-title" tabIndex={-1} ref={ref}>
        Rename the group
      </h2>
      <form class="form" onSubmit={submit} noValidate>
        <ErrorSummary errors={formErrors(err, { name: 'rename-name' })} />
        <Field id="rename-name" label="New name" value={name} error={err?.fieldErrors.name}
          onInput={(e) => setName(e.currentTarget.value)} />
        <button type="submit" class="button">
          Save name
        </button>{' '}
        <button type="button" class="button button--ghost" onClick={onCancel}>
          Cancel
        </button>
      </form>
    </section>
  );
}

function AddMembers({ group, onCancel, onDone }) {
  const [text, setText] = useState('');
  const [err, setErr] = useState(null);
  const [contacts, setContacts] = useState(null);
  const [query, setQuery] = useState('');
  const ref = useFocusOnOpen();
  useEffect(() => {
    api.get('/v1/contacts?limit=200').then((r) => setContacts(r.data), () => setContacts([]));
  }, []);
  const add = async (list) => {
    try {
      const r = await api.post(`/v1/groups/${seg(group.id)}/members`, { contacts: list });
      await onDone(r.added);
    } catch (x) {
      setErr(x);
    }
  };
  const submit = (e) => {
    e.preventDefault();
    add(splitContacts(text));
  };
  const matches = contacts && query.trim() ? filterRows(contacts, query, [(c) => contactName(c), 'phone']).slice(0, 10) : [];
  return (
    <section aria-labelledby="add-members-title">
      <h2 id="add-members-title" tabIndex={-1} ref={ref}>
        Add members
      </h2>
      <form class="form" onSubmit={submit} noValidate>
        <ErrorSummary errors={formErrors(err, { contacts: 'member-phones' })} />
        <div class={err?.fieldErrors.contacts ? 'field field--error' : 'field'}>
          <label class="label" for="member-phones">
            Phone numbers
          </label>
          <p class="hint" id="member-phones-hint">
            One per line, of people who are already contacts (e.g. +447400123456). Up to 1000 at a time; if one is not a
            contact, nothing is added.
          </p>
          {err?.fieldErrors.contacts && (
            <p class="field-error" id="member-phones-error">
              <span class="visually-hidden">Error: </span>
              {err.fieldErrors.contacts}
            </p>
          )}
          <textarea id="member-phones" class="input textarea" rows={4} value={text}
            aria-invalid={err?.fieldErrors.contacts ? 'true' : undefined}
            aria-describedby={`member-phones-hint${err?.fieldErrors.contacts ? ' member-phones-error' : ''}`}
            onInput={(e) => setText(e.currentTarget.value)} />
        </div>
        <button type="submit" class="button">
          Add to group
        </button>{' '}
        <button type="button" class="button button--ghost" onClick={onCancel}>
          Cancel
        </button>
      </form>
      <form class="search" role="search" onSubmit={(e) => e.preventDefault()}>
        <label class="label" for="member-search">
          Or find a contact
        </label>
        <p class="hint" id="member-search-hint">
          A name or part of a number, among the newest 200 contacts.
        </p>
        <input id="member-search" class="input" type="search" aria-describedby="member-search-hint" value={query}
          onInput={(e) => setQuery(e.currentTarget.value)} />
      </form>
      {query.trim() && contacts && (
        matches.length === 0 ? (
          <p class="empty" role="status">No contact matches. Type the phone number above instead.</p>
        ) : (
          <ul class="pick-list">
            {matches.map((c) => (
              <li key={c.id}>
                <span>{`${contactName(c)} (${c.phone})`}</span>{' '}
                <button type="button" class="button button--ghost" onClick={() => add([c.id])}>
                  Add<span class="visually-hidden"> {contactName(c)}</span>
                </button>
              </li>
            ))}
          </ul>
        )
      )}
    </section>
  );
}
