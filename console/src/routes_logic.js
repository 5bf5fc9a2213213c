// Pure helpers of the Routes page: a route as form values and back (the request
// body POST/PATCH /v1/routes take), moving a provider in the order, and a
// route's match in words. The API validates every value; these only shape them.

export const STRATEGIES = ['priority', 'weighted', 'cheapest'];
export const ON_UNKNOWN = ['retry', 'failover'];

/** "GB, ie ,," → ["GB", "IE"]; "+2547 +2541" → ["+2547", "+2541"]. */
export function splitList(text, upper = false) {
  return String(text ?? '')
    .split(/[\s,]+/)
    .map((s) => (upper ? s.trim().toUpperCase() : s.trim()))
    .filter(Boolean);
}

/** The empty form, or a stored route's values. */
export function routeToForm(route) {
  if (!route) {
    return { name: '', countries: '', prefixes: '', providers: [], strategy: 'priority', weights: {}, on_unknown: 'retry' };
  }
  const weights = {};
  (route.providers ?? []).forEach((id, i) => {
    weights[id] = String(route.weights?.[i] ?? 1);
  });
  return {
    name: route.name,
    countries: (route.match?.countries ?? []).join(', '),
    prefixes: (route.match?.prefixes ?? []).join(', '),
    providers: [...(route.providers ?? [])],
    strategy: route.strategy ?? 'priority',
    weights,
    on_unknown: route.on_unknown ?? 'retry',
  };
}

/** The request body for the form: weights only for the weighted strategy, as
 * numbers when they read as whole numbers (else as typed, which the API refuses
 * beside the field). */
export function formToBody(form) {
  const body = {
    name: form.name.trim(),
    match: { countries: splitList(form.countries, true), prefixes: splitList(form.prefixes) },
    providers: [...form.providers],
    strategy: form.strategy,
    on_unknown: form.on_unknown,
  };
  if (form.strategy === 'weighted') {
    body.weights = form.providers.map((id) => {
      const t = String(form.weights[id] ?? '1').trim();
      return /^\d+$/.test(t) ? Number(t) : t;
    });
  }
  return body;
}

/** A copy of list with item i moved by delta (-1 up, +1 down), or list itself
 * when it cannot move. */
export function moveItem(list, i, delta) {
  const j = i + delta;
  if (i < 0 || i >= list.length || j < 0 || j >= list.length) return list;
  const out = [...list];
  [out[i], out[j]] = [out[j], out[i]];
  return out;
}

/** A route's match in words. */
export function matchText(route) {
  const c = route.match?.countries ?? [];
  const p = route.match?.prefixes ?? [];
  if (!c.length && !p.length) return 'Every destination';
  const parts = [];
  if (c.length) parts.push(c.join(', '));
  if (p.length) parts.push(`numbers starting ${p.join(', ')}`);
  return parts.join(' or ');
}

/** Provider names for ids, from the provider list ("(removed)" for one gone). */
export function providerNames(ids, providers) {
  const byId = new Map((providers ?? []).map((p) => [p.id, p.name]));
  return ids.map((id) => byId.get(id) ?? '(removed)');
}
