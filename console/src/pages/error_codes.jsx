// Error codes: the catalogue of GET /v1/error-codes (smsgate's own and each
// provider's), searchable by any word of its provider, code, title or meaning.
import { useEffect, useMemo, useState } from 'preact/hooks';

import { api } from '../api.js';
import { LoadError, PageTitle } from '../components.jsx';
import { filterErrorCodes, formatCount } from '../format.js';

export function ErrorCodes() {
  const [rows, setRows] = useState(null);
  const [error, setError] = useState(null);
  const [query, setQuery] = useState('');
  useEffect(() => {
    api.get('/v1/error-codes').then((r) => setRows(r.data), setError);
  }, []);
  const shown = useMemo(() => (rows ? filterErrorCodes(rows, query) : []), [rows, query]);
  return (
    <>
      <PageTitle>Error codes</PageTitle>
      <p class="lead">What each failure code means, from smsgate and from each provider.</p>
      {error && <LoadError error={error} />}
      {!rows && !error && <p class="loading">Loading…</p>}
      {rows && (
        <>
          <form class="search" role="search" onSubmit={(e) => e.preventDefault()}>
            <label class="label" for="error-search">
              Search error codes
            </label>
            <p class="hint" id="error-search-hint">
              A code (30007), a provider (twilio) or words of its meaning.
            </p>
            <input
              id="error-search"
              class="input"
              type="search"
              aria-describedby="error-search-hint"
              value={query}
              onInput={(e) => setQuery(e.currentTarget.value)}
            />
          </form>
          <p class="count" role="status">
            {shown.length === rows.length
              ? `${formatCount(rows.length)} codes`
              : `${formatCount(shown.length)} of ${formatCount(rows.length)} codes match`}
          </p>
          {shown.length === 0 ? (
            <p class="empty">No code matches. Try fewer words, or a part of the code.</p>
          ) : (
            <div class="table-wrap" role="region" aria-label="Error codes table" tabIndex={0}>
              <table class="table">
                <caption class="visually-hidden">Error codes</caption>
                <thead>
                  <tr>
                    <th scope="col">Provider</th>
                    <th scope="col">Code</th>
                    <th scope="col">Title</th>
                    <th scope="col">Meaning</th>
                    <th scope="col">Class</th>
                  </tr>
                </thead>
                <tbody>
                  {shown.map((r) => (
                    <tr key={`${r.provider}:${r.code}`}>
                      <td>{r.provider}</td>
                      <td>
                        <code>{r.code}</code>
                      </td>
                      <td>{r.title}</td>
                      <td>{r.meaning}</td>
                      <td>{r.class}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </>
  );
}
