// Contacts: search, the cursor-paged list (GET /v1/contacts), add a contact
// (POST /v1/contacts), CSV import with a progress bar and the rejected rows
// (POST /v1/contacts/import) and the export (GET /v1/contacts/export). A
// contact's own page is contact.jsx (/contacts/<id>).
import { useEffect, useState } from 'preact/hooks';

import { api } from '../api.js';
import { ErrorSummary, LoadError, PageTitle } from '../components.jsx';
import { can, contactName, filterRows, importSummary, looksLikePhone, phoneSegment, uploadPercent } from '../contacts_logic.js';
import { formatDateTime } from '../format.js';
import { Link, navigate } from '../router.jsx';
import { uploadCsv } from '../upload.js';
import { ContactPage } from './contact.jsx';
import { ContactForm } from './contact_parts.jsx';

const PAGE_SIZE = 50;

export function Contacts({ session, path }) {
  const id = path && path.startsWith('/contacts/') ? decodeURIComponent(path.slice('/contacts/'.length)) : null;
  if (id) return <ContactPage key={id} id={id} session={session} />;
  return <ContactList session={session} />;
}

function ContactList({ session }) {
  const [rows, setRows] = useState(null);
  const [next, setNext] = useState(null);
  const [error, setError] = useState(null);
  const [query, setQuery] = useState('');
  const [found, setFound] = useState(null); // {query, contact|null} of a phone search
  const [adding, setAdding] = useState(false);
  const [importing, setImporting] = useState(false);

  const load = async (cursor) => {
    try {
      const r = await api.get(`/v1/contacts?limit=${PAGE_SIZE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      setRows((old) => (cursor && old ? [...old, ...r.data] : r.data));
      setNext(r.next_cursor);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    load(null);
  }, []);

  const search = async (e) => {
    e.preventDefault();
    if (!looksLikePhone(query)) {
      setFound(null);
      return;
    }
    try {
      setFound({ query, contact: await api.get(`/v1/contacts/${phoneSegment(query.trim())}`) });
    } catch (err) {
      if (err.status === 404) setFound({ query, contact: null });
      else setError(err);
    }
  };

  const shown = rows ? (found ? (found.contact ? [found.contact] : []) : filterRows(rows, query,
    [(c) => contactName(c), 'phone', 'first_name', 'last_name'])) : [];

  return (
    <>
      <PageTitle>Contacts</PageTitle>
      <p class="lead">The people you send to. Replies and opt-outs show on each contact's page.</p>
      {error && <LoadError error={error} />}
      <p class="row-actions">
        {can(session, 'sender') && !adding && (
          <button type="button" class="button" onClick={() => setAdding(true)}>
            Add contact
          </button>
        )}{' '}
        {can(session, 'sender') && !importing && (
          <button type="button" class="button button--ghost" onClick={() => setImporting(true)}>
            Import contacts (CSV)
          </button>
        )}{' '}
        <a class="button button--ghost" href="/v1/contacts/export" download="contacts.csv">
          Export contacts (CSV)
        </a>
      </p>
      {adding && (
        <section aria-labelledby="add-contact-title">
          <h2 id="add-contact-title">Add a contact</h2>
          <ContactForm submitLabel="Save contact" onCancel={() => setAdding(false)}
            save={async (body) => {
              const c = await api.post('/v1/contacts', body);
              navigate(`/contacts/${c.id}`);
            }} />
        </section>
      )}
      {importing && <ImportPanel session={session} onDone={() => load(null)} onClose={() => setImporting(false)} />}
      <form class="search" role="search" onSubmit={search}>
        <label class="label" for="contact-search">
          Search contacts
        </label>
        <p class="hint" id="contact-search-hint">
          A phone number (then press Search) finds that contact; words filter the names and numbers listed below.
        </p>
        <input id="contact-search" class="input" type="search" aria-describedby="contact-search-hint"
          value={query} onInput={(e) => { setQuery(e.currentTarget.value); setFound(null); }} />
        <button type="submit" class="button button--ghost search__button">
          Search
        </button>
      </form>
      {!rows && !error && <p class="loading">Loading…</p>}
      {rows && (
        <>
          <p class="count" role="status">
            {found
              ? found.contact ? `1 contact with the number ${found.query}` : `No contact has the number ${found.query}.`
              : `${shown.length} of ${rows.length} contacts listed${next ? ' (more below)' : ''}`}
          </p>
          {rows.length === 0 ? (
            <p class="empty">No contacts yet. Add one, or import a CSV file.</p>
          ) : shown.length > 0 && (
            <div class="table-wrap" role="region" aria-label="Contacts table" tabIndex={0}>
              <table class="table">
                <caption class="visually-hidden">Contacts</caption>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Phone</th>
                    <th scope="col">Consent</th>
                    <th scope="col">Last activity</th>
                  </tr>
                </thead>
                <tbody>
                  {shown.map((c) => (
                    <tr key={c.id}>
                      <td>
                        <Link to={`/contacts/${c.id}`}>{contactName(c)}</Link>
                      </td>
                      <td>{c.phone}</td>
                      <td>{c.opted_out ? 'Opted out' : 'Subscribed'}</td>
                      <td>{c.last_activity_at ? formatDateTime(c.last_activity_at) : '—'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {next && !found && (
            <p>
              <button type="button" class="button button--ghost" onClick={() => load(next)}>
                Show more contacts
              </button>
            </p>
          )}
        </>
      )}
    </>
  );
}

/** CSV import: file, optional group, the upload's progress, then the result
 * with the rejected rows by line number. */
function ImportPanel({ session, onDone, onClose }) {
  const [file, setFile] = useState(null);
  const [group, setGroup] = useState('');
  const [percent, setPercent] = useState(null);
  const [phase, setPhase] = useState('idle'); // idle | uploading | done
  const [result, setResult] = useState(null);
  const [errors, setErrors] = useState([]);

  const submit = async (e) => {
    e.preventDefault();
    if (!file) {
      setErrors([{ field: 'import-file', text: 'Choose a CSV file to import' }]);
      return;
    }
    setErrors([]);
    setResult(null);
    setPercent(0);
    setPhase('uploading');
    try {
      const q = group.trim() ? `?group=${encodeURIComponent(group.trim())}` : '';
      const r = await uploadCsv(`/v1/contacts/import${q}`, file, {
        csrf: session?.csrf_token,
        onProgress: (loaded, total) => setPercent((p) => uploadPercent(loaded, total) ?? p),
      });
      setPercent(100);
      setResult(importSummary(r));
      setPhase('done');
      onDone();
    } catch (err) {
      setPhase('idle');
      setPercent(null);
      setErrors([{ field: err.field ? 'import-file' : undefined, text: err.detail }]);
    }
  };

  return (
    <section aria-labelledby="import-title">
      <h2 id="import-title">Import contacts from a CSV file</h2>
      <form class="form" onSubmit={submit} noValidate>
        <ErrorSummary errors={errors} />
        <div class="field">
          <label class="label" for="import-file">
            CSV file
          </label>
          <p class="hint" id="import-file-hint">
            A header row with a <code>phone</code> column; <code>first_name</code> and <code>last_name</code> are
            names, any other column becomes an attribute. Contacts with a known phone are updated.
          </p>
          <input class="input" id="import-file" type="file" accept=".csv,text/csv" aria-describedby="import-file-hint"
            onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)} />
        </div>
        <div class="field">
          <label class="label" for="import-group">
            Add to group (optional)
          </label>
          <input class="input" id="import-group" value={group} onInput={(e) => setGroup(e.currentTarget.value)} />
        </div>
        <p class="actions">
          <button type="submit" class="button" disabled={phase === 'uploading'}>
            Import
          </button>
          <button type="button" class="button button--ghost" onClick={onClose}>
            Close
          </button>
        </p>
      </form>
      {percent !== null && (
        <div class="progress-wrap">
          <label class="label" for="import-progress">
            Import progress
          </label>
          <progress id="import-progress" class="progress" max="100" value={percent ?? undefined}>
            {percent}%
          </progress>
          <p class="count" role="status">
            {phase === 'done' ? 'Import finished: 100%' : `Importing… ${percent ?? 0}%`}
          </p>
        </div>
      )}
      {result && (
        <div class="notice" aria-live="polite">
          <p class="notice__title">{result.headline}</p>
          {result.rows.length > 0 && (
            <div class="table-wrap" role="region" aria-label="Rejected rows" tabIndex={0}>
              <table class="table">
                <caption>Rejected rows</caption>
                <thead>
                  <tr>
                    <th scope="col">Line</th>
                    <th scope="col">Problem</th>
                    <th scope="col">Detail</th>
                  </tr>
                </thead>
                <tbody>
                  {result.rows.map((r) => (
                    <tr key={r.line}>
                      <td>{r.line}</td>
                      <td>
                        <code>{r.code}</code>
                      </td>
                      <td>{r.detail}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {result.more && <p>{result.more}</p>}
        </div>
      )}
    </section>
  );
}
