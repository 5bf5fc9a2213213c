// Contacts: the cursor-paged list with the API's search (GET /v1/contacts?q=,
// the search kept in the page's address), add a contact
// (POST /v1/contacts), CSV import with a progress bar that follows the import's
// job and the rejected rows (POST /v1/contacts/imports, then POST
// /v1/contacts/import?job=) and the export (GET /v1/contacts/export). A
// contact's own page is contact.jsx (/contacts/<id>).
import { useState } from 'preact/hooks';

import { api } from '../api.js';
import { ErrorSummary, LoadError, PageTitle, SearchBox } from '../components.jsx';
import { can, contactName, importProgress, importSummary, uploadPercent } from '../contacts_logic.js';
import { formatDateTime } from '../format.js';
import { countLine } from '../list_search.js';
import { Link, navigate } from '../router.jsx';
import { useSearchedList } from '../searched_list.js';
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
  const list = useSearchedList('/v1/contacts', PAGE_SIZE);
  const { rows, next, error } = list;
  const [adding, setAdding] = useState(false);
  const [importing, setImporting] = useState(false);

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
      {importing && <ImportPanel session={session} onDone={list.reload} onClose={() => setImporting(false)} />}
      <SearchBox id="contact-search" label="Search contacts" value={list.query} applied={list.applied}
        error={list.searchError} onInput={list.setQuery} onSearch={list.search}
        hint="The start of a number (+44 7400), digits anywhere in it, or part of a name or email." />
      {!rows && !error && <p class="loading">Loading…</p>}
      {rows && (
        <>
          <p class="count" role="status">
            {countLine(rows.length, 'contact', list.applied, next)}
          </p>
          {rows.length === 0 ? (
            <p class="empty">
              {list.applied ? 'No contact matches. Check the spelling, or search by another part of the number or name.'
                : 'No contacts yet. Add one, or import a CSV file.'}
            </p>
          ) : (
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
                  {rows.map((c) => (
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
          {next && (
            <p>
              <button type="button" class="button button--ghost" onClick={list.more}>
                Show more contacts
              </button>
            </p>
          )}
        </>
      )}
    </>
  );
}

/** How often the import's job is read while the upload runs (ms). */
const PROGRESS_POLL_MS = 500;

/** CSV import: file, optional group, then a progress bar that follows the
 * import's job (the rows the server has read and stored, which goes on after the
 * browser has sent a large file), and the result with the rejected rows by line
 * number. */
function ImportPanel({ session, onDone, onClose }) {
  const [file, setFile] = useState(null);
  const [group, setGroup] = useState('');
  const [progress, setProgress] = useState(null); // {percent, text}
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
    setProgress(importProgress(null, file.size, 0));
    setPhase('uploading');
    let timer = null;
    try {
      const job = await api.post('/v1/contacts/imports', {});
      let uploaded = 0;
      let last = job;
      const show = () => setProgress(importProgress(last, file.size, uploaded));
      const poll = async () => {
        try {
          last = await api.get(`/v1/contacts/imports/${encodeURIComponent(job.id)}`);
          show();
        } catch {
          // a missed reading: the next one (or the answer) catches up
        }
        timer = setTimeout(poll, PROGRESS_POLL_MS);
      };
      timer = setTimeout(poll, PROGRESS_POLL_MS);
      const q = new URLSearchParams({ job: job.id });
      if (group.trim()) q.set('group', group.trim());
      const r = await uploadCsv(`/v1/contacts/import?${q}`, file, {
        csrf: session?.csrf_token,
        onProgress: (loaded, total) => {
          uploaded = uploadPercent(loaded, total) ?? uploaded;
          show();
        },
      });
      clearTimeout(timer);
      const rows = (r?.imported ?? 0) + (r?.updated ?? 0) + (r?.rejected_count ?? 0);
      setProgress(importProgress({ status: 'done', rows }, file.size, 100));
      setResult(importSummary(r));
      setPhase('done');
      onDone();
    } catch (err) {
      clearTimeout(timer);
      setPhase('idle');
      setProgress(null);
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
      {progress && (
        <div class="progress-wrap">
          <label class="label" for="import-progress">
            Import progress
          </label>
          <progress id="import-progress" class="progress" max="100" value={progress.percent}>
            {progress.percent}%
          </progress>
          <p class="count" role="status">
            {progress.text}
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
