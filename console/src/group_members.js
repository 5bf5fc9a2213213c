// The group page's "Phone numbers" box: what it sends as POST
// /v1/groups/{id}/members {"contacts": [...]}.

/** Phone numbers or contact ids typed one per line, or separated by commas or
 * semicolons; blanks dropped, each trimmed, the first of a repeat kept. */
export function splitContacts(text) {
  return [...new Set(String(text ?? '').split(/[\n,;]+/).map((s) => s.trim()).filter(Boolean))];
}
