// Pieces the Groups, Segments and Templates pages share: the list of named
// things, by name, 100 at a time (the API's cursor), with a search over what is
// listed, the admin's delete after confirmation, and the
// empty state; and the heading + "loading" of a page whose item is loading.
import { useEffect, useState } from 'preact/hooks';

import { api } from '../api.js';
import { LoadError, PageTitle } from '../components.jsx';
import { can, filterRows } from '../contacts_logic.js';
import { Link } from '../router.jsx';
import { Confirm } from './contact_parts.jsx';

const PAGE_SIZE = 100;

/**
 * A list page: title, lead, `top` (a create form or a "New" link, for senders),
 * the search, the count, the table and the empty text (for senders, and for
 * the others). noun: "segment"; path: "/v1/segments"; link(row): the item's
 * route; columns: [{label, cell(row)}] after the name; searchIn: row fields;
 * deleteQuestion(row): admins get Delete on each row when given.
 */
export function NamedList({ session, title, lead, top, noun, path, link, columns, searchIn, empty, deleteQuestion }) {
  const [rows, setRows] = useState(null);
  const [next, setNext] = useState(null);
  const [error, setError] = useState(null);
  const [query, setQuery] = useState('');
  const [deleting, setDeleting] = useState(null);
  const [message, setMessage] = useState(null);
  const load = async (cursor) => {
    try {
      const r = await api.get(`${path}?limit=${PAGE_SIZE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      setRows((old) => (cursor && old ? [...old, ...r.data] : r.data));
      setNext(r.next_cursor);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    load(null);
  }, []);
  const del = async (row) => {
    try {
      await api.del(`${path}/${encodeURIComponent(row.id)}`);
      setDeleting(null);
      setMessage(`The ${noun} ${row.name} is deleted.`);
      await load(null);
    } catch (e) {
      setDeleting(null);
      setError(e);
    }
  };
  const admin = deleteQuestion && can(session, 'admin');
  const sender = can(session, 'sender');
  const shown = rows ? filterRows(rows, query, searchIn) : [];
  return (
    <>
      <PageTitle>{title}</PageTitle>
      <p class="lead">{lead}</p>
      {error && <LoadError error={error} />}
      {message && (
        <p class="notice" role="status">
          {message}
        </p>
      )}
      {sender && top}
      {rows && rows.length > 0 && (
        <form class="search" role="search" onSubmit={(e) => e.preventDefault()}>
          <label class="label" for={`${noun}-search`}>
            {`Search ${noun}s`}
          </label>
          <input id={`${noun}-search`} class="input" type="search" value={query} onInput={(e) => setQuery(e.currentTarget.value)} />
        </form>
      )}
      {!rows && !error && <p class="loading">Loading…</p>}
      {rows && <p class="count" role="status">{`${shown.length} of ${rows.length} ${noun}s listed${next ? ' (more below)' : ''}`}</p>}
      {rows && rows.length === 0 && <p class="empty">{sender ? empty : `No ${noun}s yet. A sender or an admin can create one.`}</p>}
      {shown.length > 0 && (
        <div class="table-wrap" role="region" aria-label={`${title} table`} tabIndex={0}>
          <table class="table">
            <caption class="visually-hidden">{title}</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                {columns.map((c) => (
                  <th scope="col" key={c.label}>
                    {c.label}
                  </th>
                ))}
                {admin && <th scope="col">Action</th>}
              </tr>
            </thead>
            <tbody>
              {shown.map((row) => (
                <tr key={row.id}>
                  <td>
                    <Link to={link(row)}>{row.name}</Link>
                  </td>
                  {columns.map((c) => (
                    <td key={c.label} class={c.class}>
                      {c.cell(row)}
                    </td>
                  ))}
                  {admin && (
                    <td>
                      {deleting?.id === row.id ? (
                        <Confirm question={deleteQuestion(row)} confirmLabel={`Yes, delete this ${noun}`}
                          onConfirm={() => del(row)} onCancel={() => setDeleting(null)} />
                      ) : (
                        <button type="button" class="button button--ghost" onClick={() => setDeleting(row)}>
                          Delete<span class="visually-hidden"> {row.name}</span>
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
          {`Show more ${noun}s`}
        </button>
      )}
    </>
  );
}

/** What an item's page shows until its item is in: its heading, "Loading…"
 * or the error, and the way back to the list. */
export function ItemLoading({ title, error, back, backLabel }) {
  return (
    <>
      <PageTitle>{title}</PageTitle>
      {error ? <LoadError error={error} /> : <p class="loading">Loading…</p>}
      <p>
        <Link to={back}>{backLabel}</Link>
      </p>
    </>
  );
}
