// The search of the Contacts and Opt-outs lists: the API does the matching
// (GET /v1/contacts?q=, GET /v1/optouts?q=; docs/api.md has the rules), and
// the search lives in the console's own address (?q=...) so that a reload, a
// bookmark or a shared link shows the same list.

/** The search in a location's query string ("?q=ada" → "ada"), trimmed. */
export function searchOf(locationSearch) {
  return (new URLSearchParams(locationSearch ?? '').get('q') ?? '').trim();
}

/**
 * The console address of a list with its search: ("/console/contacts", "ada")
 * → "/console/contacts?q=ada"; no search → the path alone.
 */
export function addressWithSearch(pathname, q) {
  const s = String(q ?? '').trim();
  return s ? `${pathname}?${new URLSearchParams({ q: s })}` : pathname;
}

/**
 * The API path of one page of a list: listPath('/v1/contacts', {q, limit,
 * cursor}); empty values are left out.
 */
export function listPath(base, { q, limit, cursor } = {}) {
  const p = new URLSearchParams();
  if (limit) p.set('limit', String(limit));
  const s = String(q ?? '').trim();
  if (s) p.set('q', s);
  if (cursor) p.set('cursor', cursor);
  const qs = p.toString();
  return qs ? `${base}?${qs}` : base;
}

/** The count line of a list: "3 contacts listed (more below)", or with a
 * search "2 contacts match “ada”". */
export function countLine(n, noun, q, more) {
  const words = `${n} ${noun}${n === 1 ? '' : 's'}`;
  const tail = more ? ' (more below)' : '';
  return q ? `${words} ${n === 1 ? 'matches' : 'match'} “${q}”${tail}` : `${words} listed${tail}`;
}
