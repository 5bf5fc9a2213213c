// A cursor-paged list of /v1 that follows the search in the console's address
// (?q=): the Contacts and Opt-outs pages. The API does the matching.
import { useEffect, useState } from 'preact/hooks';

import { api } from './api.js';
import { addressWithSearch, listPath, searchOf } from './list_search.js';

/**
 * {rows, next, error, searchError, query, setQuery, applied, search, more, reload}
 * for GET base?q=&limit=&cursor=. search(text) applies a search (and writes it
 * into the address, replacing the entry: a reload keeps it); more() loads the
 * next page; reload() the first again.
 */
export function useSearchedList(base, pageSize) {
  const [applied, setApplied] = useState(() => searchOf(window.location.search));
  const [query, setQuery] = useState(applied);
  const [rows, setRows] = useState(null);
  const [next, setNext] = useState(null);
  const [error, setError] = useState(null);
  const [searchError, setSearchError] = useState(null);

  const load = async (cursor, q) => {
    try {
      const r = await api.get(listPath(base, { q, limit: pageSize, cursor }));
      setRows((old) => (cursor && old ? [...old, ...r.data] : r.data));
      setNext(r.next_cursor);
      setError(null);
      setSearchError(null);
    } catch (e) {
      if (e.fieldErrors?.q) {
        setSearchError(e.fieldErrors.q);
        setRows([]);
        setNext(null);
      } else setError(e);
    }
  };
  useEffect(() => {
    load(null, applied);
  }, [applied]);

  const search = (text) => {
    const q = String(text ?? '').trim();
    window.history.replaceState(null, '', addressWithSearch(window.location.pathname, q));
    setQuery(q);
    setRows(null);
    if (q === applied) load(null, q);
    else setApplied(q);
  };
  return {
    rows, next, error, searchError, query, setQuery, applied, search,
    more: () => load(next, applied),
    reload: () => load(null, applied),
  };
}
