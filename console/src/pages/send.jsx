// Send: one message to a number, through the default provider or a chosen one,
// now or at a scheduled time. The body's counter (characters, segments,
// encoding) is live and marks each character that forces UCS-2; after sending,
// the message's status follows live with a link to its page.
import { useEffect, useMemo, useState } from 'preact/hooks';

import { api } from '../api.js';
import { ErrorSummary, Field, PageTitle } from '../components.jsx';
import { canWrite, localToIso } from '../messages.js';
import { Link } from '../router.jsx';
import { analyzeSms, describeChar, markUcs2 } from '../sms_text.js';
import { MessageStatus, useMessage } from './message.jsx';

const FIELD_IDS = { to: 'to', body: 'body', provider: 'provider', send_at: 'send_at' };

export function Send({ session }) {
  if (!canWrite(session.user.role)) {
    return (
      <>
        <PageTitle>Send</PageTitle>
        <div class="notice">
          <p class="notice__title">Your role ({session.user.role}) cannot send messages.</p>
          <p>
            Ask an administrator for the sender role. You can read every message on the{' '}
            <Link to="/messages">Messages</Link> page.
          </p>
        </div>
      </>
    );
  }
  return <SendForm />;
}

function SendForm() {
  const [to, setTo] = useState('');
  const [provider, setProvider] = useState('');
  const [body, setBody] = useState('');
  const [sendAt, setSendAt] = useState('');
  const [providers, setProviders] = useState([]);
  const [errors, setErrors] = useState([]);
  const [fieldErrors, setFieldErrors] = useState({});
  const [busy, setBusy] = useState(false);
  const [sentId, setSentId] = useState(null);
  const info = useMemo(() => analyzeSms(body), [body]);

  useEffect(() => {
    api.get('/v1/providers').then((r) => setProviders(r.data ?? []), () => setProviders([]));
  }, []);

  const onSubmit = async (e) => {
    e.preventDefault();
    const at = localToIso(sendAt);
    if (at === undefined) {
      const text = 'Enter the date and time to send, or leave it empty to send now';
      setFieldErrors({ send_at: text });
      setErrors([{ field: 'send_at', text }]);
      return;
    }
    const msg = { to: to.trim(), body };
    if (provider) msg.provider = provider;
    if (at) msg.send_at = at;
    setBusy(true);
    try {
      const m = await api.post('/v1/messages', msg);
      setErrors([]);
      setFieldErrors({});
      setSentId(m.id);
    } catch (err) {
      const fe = err.fieldErrors ?? {};
      setFieldErrors(fe);
      const list = Object.entries(fe).map(([f, text]) => ({ field: FIELD_IDS[f], text }));
      setErrors(list.length ? list : [{ text: err.detail || err.title }]);
    } finally {
      setBusy(false);
    }
  };

  const def = providers.find((p) => p.default);
  return (
    <>
      <PageTitle>Send</PageTitle>
      <p class="lead">Send one SMS to a number, now or later.</p>
      <ErrorSummary errors={errors} />
      <form class="form" noValidate onSubmit={onSubmit}>
        <Field
          id="to"
          label="To"
          hint="The mobile number, with its country code: +447400123456"
          type="tel"
          autocomplete="off"
          value={to}
          error={fieldErrors.to}
          onInput={(e) => setTo(e.currentTarget.value)}
        />
        <div class={fieldErrors.provider ? 'field field--error' : 'field'}>
          <label class="label" for="provider">
            Provider
          </label>
          {fieldErrors.provider && <FieldError id="provider" text={fieldErrors.provider} />}
          <select
            id="provider"
            class="input"
            value={provider}
            aria-invalid={fieldErrors.provider ? 'true' : undefined}
            aria-describedby={fieldErrors.provider ? 'provider-error' : undefined}
            onChange={(e) => setProvider(e.currentTarget.value)}
          >
            <option value="">{def ? `Default (${def.name})` : 'Default'}</option>
            {providers.map((p) => (
              <option key={p.id} value={p.name}>
                {p.name}
              </option>
            ))}
          </select>
        </div>
        <div class={fieldErrors.body ? 'field field--error' : 'field'}>
          <label class="label" for="body">
            Message
          </label>
          <p class="hint" id="body-hint">
            160 characters fit one SMS (70 when a character needs Unicode, UCS-2).
          </p>
          {fieldErrors.body && <FieldError id="body" text={fieldErrors.body} />}
          <textarea
            id="body"
            class="input textarea"
            rows={5}
            value={body}
            aria-invalid={fieldErrors.body ? 'true' : undefined}
            aria-describedby={`body-hint body-counter${fieldErrors.body ? ' body-error' : ''}`}
            onInput={(e) => setBody(e.currentTarget.value)}
          />
          <Counter info={info} body={body} />
        </div>
        <Field
          id="send_at"
          label="Schedule (optional)"
          hint={`Your local time (${Intl.DateTimeFormat().resolvedOptions().timeZone}). Empty: send now.`}
          type="datetime-local"
          value={sendAt}
          error={fieldErrors.send_at}
          onInput={(e) => setSendAt(e.currentTarget.value)}
        />
        <button type="submit" class="button" disabled={busy}>
          {sendAt ? 'Schedule message' : 'Send message'}
        </button>
      </form>
      {sentId && <Outcome id={sentId} />}
    </>
  );
}

function FieldError({ id, text }) {
  return (
    <p class="field-error" id={`${id}-error`}>
      <span class="visually-hidden">Error: </span>
      {text}
    </p>
  );
}

/** The live counter, and the characters that force UCS-2 marked in place. */
function Counter({ info, body }) {
  const segWord = info.segments === 1 ? 'segment' : 'segments';
  return (
    <div class="counter">
      <p id="body-counter" class="counter__line" role="status" aria-live="polite">
        <span data-testid="chars">{info.chars}</span> characters ·{' '}
        <span data-testid="segments">{info.segments}</span> {segWord} ·{' '}
        <span data-testid="encoding">{info.encoding}</span>
        {info.encoding === 'GSM-7' && info.units !== info.chars && ` (${info.units} septets)`}
        {info.tooLong && ' · too long: at most 1600 characters'}
      </p>
      {info.ucs2.length > 0 && (
        <div class="counter__ucs2">
          <p class="counter__why">
            UCS-2 because of: {[...new Set(info.ucs2.map((u) => u.char))].map(describeChar).join(', ')}
          </p>
          <p class="counter__preview" aria-label="Preview, UCS-2 characters marked">
            {markUcs2(body).map((r, i) => (r.ucs2 ? <mark key={i} title="forces UCS-2">{r.text}</mark> : r.text))}
          </p>
        </div>
      )}
    </div>
  );
}

/** After sending: the message's status, followed live, and its page. */
function Outcome({ id }) {
  const { message, error } = useMessage(id);
  return (
    <section class="notice" aria-labelledby="outcome-title">
      <h2 id="outcome-title" class="notice__title">
        Message accepted
      </h2>
      {message && <MessageStatus message={message} />}
      {error && <p>{error.detail}</p>}
      <p>
        <Link to={`/messages/${id}`}>View the message {id}</Link>
      </p>
    </section>
  );
}
