// Pure helpers of the Webhooks pages: the event types an application can
// subscribe to (as src/api/webhooks.c lists them), the checked boxes as the
// body of POST /v1/webhooks, and a delivery's state in words.

/** The event types, in the API's order, with what each tells. */
export const EVENTS = [
  { type: 'message.status', label: 'Message status changed', hint: 'Queued, sent, delivered, failed…' },
  { type: 'message.received', label: 'Reply received', hint: 'An inbound SMS to one of your numbers.' },
  { type: 'contact.opted_out', label: 'Contact opted out', hint: 'STOP, or an opt-out by hand or through the API.' },
  { type: 'contact.opted_in', label: 'Contact opted in', hint: 'START, or an opt-in by hand or through the API.' },
  { type: 'message.matched', label: 'Keyword rule matched', hint: 'A reply matched a keyword rule with a webhook action.' },
];

/**
 * The create form ({url, events: {type: checked}}) as the body of POST
 * /v1/webhooks: the URL trimmed, the checked types in EVENTS order.
 */
export function webhookBody(form) {
  const checked = form?.events ?? {};
  return { url: String(form?.url ?? '').trim(), events: EVENTS.filter((e) => checked[e.type]).map((e) => e.type) };
}

/** The label of an event type ("message.status" → "Message status changed"),
 * or the type itself for one this console does not know. */
export function eventLabel(type) {
  return EVENTS.find((e) => e.type === type)?.label ?? String(type);
}

const STATES = { pending: 'Waiting to retry', delivered: 'Delivered', dead: 'Given up' };

/**
 * A delivery's outcome in words: its state and the last attempt's HTTP status
 * when the receiver answered ("Delivered (HTTP 200)", "Waiting to retry (HTTP
 * 500)", "Given up" — why is in last_error).
 */
export function deliveryOutcome(d) {
  const state = STATES[d?.state] ?? String(d?.state ?? '');
  return d?.last_status ? `${state} (HTTP ${d.last_status})` : state;
}

/** GET …/deliveries's path for a page size and the cursor of the page before. */
export function deliveriesPath(id, limit, cursor) {
  const q = new URLSearchParams({ limit: String(limit) });
  if (cursor) q.set('cursor', String(cursor));
  return `/v1/webhooks/${encodeURIComponent(id)}/deliveries?${q}`;
}
