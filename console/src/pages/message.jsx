// One message (/messages/<id>): its fields, the events timeline, its error
// code with the catalogue's description, and Cancel while it is scheduled or
// queued (senders and admins). The status is followed live until it is final.
import { useEffect, useState } from 'preact/hooks';

import { api } from '../api.js';
import { LoadError, PageTitle } from '../components.jsx';
import { formatDateTime } from '../format.js';
import { canWrite, findErrorCode, isCancelable, isFinal } from '../messages.js';
import { Link } from '../router.jsx';

const POLL_MS = 1000;
const POLL_MAX = 300; // stop following after about five minutes

/** GET /v1/messages/{id}, again every second until the status is final. */
export function useMessage(id) {
  const [message, setMessage] = useState(null);
  const [error, setError] = useState(null);
  const [reload, setReload] = useState(0);
  useEffect(() => {
    let stopped = false;
    let timer = null;
    let polls = 0;
    const load = () =>
      api.get(`/v1/messages/${encodeURIComponent(id)}`).then(
        (m) => {
          if (stopped) return;
          setMessage(m);
          setError(null);
          if (!isFinal(m.status) && ++polls < POLL_MAX) timer = setTimeout(load, POLL_MS);
        },
        (e) => !stopped && setError(e),
      );
    load();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [id, reload]);
  return { message, error, setMessage, reload: () => setReload((n) => n + 1) };
}

/** The status, as a live region (announced when it changes). */
export function MessageStatus({ message }) {
  return (
    <p role="status" aria-live="polite">
      Status: <strong class={`status status--${message.status}`}>{message.status}</strong>
      {message.error_code && ` (error ${message.error_code})`}
    </p>
  );
}

export function Message({ id, session }) {
  const { message, error, setMessage } = useMessage(id);
  const [codes, setCodes] = useState(null);
  const [kind, setKind] = useState(null);
  const [cancelError, setCancelError] = useState(null);
  const [busy, setBusy] = useState(false);
  const code = message?.error_code ?? null;
  const providerId = message?.provider_id ?? null;

  useEffect(() => {
    if (!code || codes) return;
    api.get('/v1/error-codes').then((r) => setCodes(r.data ?? []), () => setCodes([]));
  }, [code]);
  const routeId = message?.route_id ?? null;
  const tried = (message?.providers_tried ?? []).join(',');
  const [routeName, setRouteName] = useState(null);
  const [names, setNames] = useState(null); // provider id -> name, for the providers tried
  useEffect(() => {
    if (!routeId) return;
    api.get(`/v1/routes/${encodeURIComponent(routeId)}`).then((r) => setRouteName(r.name), () => setRouteName(null));
  }, [routeId]);
  useEffect(() => {
    if (!tried) return;
    api.get('/v1/providers').then((r) => setNames(new Map((r.data ?? []).map((p) => [p.id, p.name]))), () => {});
  }, [tried]);
  useEffect(() => {
    if (!providerId) return;
    api.get(`/v1/providers/${encodeURIComponent(providerId)}`).then((p) => setKind(p.kind ?? null), () => {});
  }, [providerId]);

  const cancel = async () => {
    setBusy(true);
    try {
      setMessage(await api.post(`/v1/messages/${encodeURIComponent(id)}/cancel`));
      setCancelError(null);
      const again = await api.get(`/v1/messages/${encodeURIComponent(id)}`);
      setMessage(again);
    } catch (e) {
      setCancelError(e);
    } finally {
      setBusy(false);
    }
  };

  if (error && !message) {
    return (
      <>
        <PageTitle>Message</PageTitle>
        <LoadError error={error} />
        <p>
          <Link to="/messages">Back to the messages</Link>
        </p>
      </>
    );
  }
  if (!message) {
    return (
      <>
        <PageTitle>Message</PageTitle>
        <p class="loading">Loading…</p>
      </>
    );
  }
  const described = findErrorCode(codes, code, kind);
  const row = (label, value) => (
    <div class="detail__row">
      <dt>{label}</dt>
      <dd>{value ?? '—'}</dd>
    </div>
  );
  return (
    <>
      <PageTitle>Message</PageTitle>
      <p>
        <Link to="/messages">Back to the messages</Link>
      </p>
      <MessageStatus message={message} />
      {canWrite(session.user.role) && isCancelable(message.status) && (
        <p>
          <button type="button" class="button" disabled={busy} onClick={cancel}>
            Cancel message
          </button>
        </p>
      )}
      {cancelError && <LoadError error={cancelError} />}
      {code && (
        <section class="notice notice--error" aria-labelledby="error-title">
          <h2 id="error-title" class="notice__title">
            Error {code}
            {described ? `: ${described.title}` : ''}
          </h2>
          {described?.meaning && <p data-testid="error-meaning">{described.meaning}</p>}
          {message.error_message && <p>Provider's answer: {message.error_message}</p>}
        </section>
      )}
      <dl class="detail">
        {row('ID', <code>{message.id}</code>)}
        {row('Direction', message.direction)}
        {row('To', message.to)}
        {row('From', message.from)}
        {row('Provider', message.provider)}
        {row('Route', routeId ? routeName ?? routeId : message.failover === false ? 'None (provider pinned or default)' : null)}
        {row('Providers tried before', tried ? message.providers_tried.map((id) => names?.get(id) ?? id).join(' → ') : null)}
        {row('Provider message ID', message.provider_message_id)}
        {row('Message', <span class="body-text">{message.body}</span>)}
        {row('Segments', `${message.segments} (${message.encoding})`)}
        {row('Attempts', message.attempts)}
        {row('Scheduled for', message.send_at ? formatDateTime(message.send_at) : null)}
        {row('Expires', message.expires_at ? formatDateTime(message.expires_at) : null)}
        {row('Created', formatDateTime(message.created_at))}
        {row('Updated', formatDateTime(message.updated_at))}
      </dl>
      <h2 id="events-title">Events</h2>
      <ol class="timeline" aria-labelledby="events-title">
        {(message.events ?? []).map((e, i) => (
          <li key={i} class="timeline__item">
            <time dateTime={e.at}>{formatDateTime(e.at)}</time> <strong>{e.status}</strong>
            {e.detail && <span class="timeline__detail"> — {e.detail}</span>}
          </li>
        ))}
      </ol>
    </>
  );
}
