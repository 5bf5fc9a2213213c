// Providers: the list (/providers), add (/providers/new), a provider's page
// (/providers/{id}: health, callback URLs, custom status callback, test SMS,
// prices, delete; its Stats tab /providers/{id}/stats is provider_stats.jsx)
// and edit (/providers/{id}/edit). The form is built from GET
// /v1/provider-kinds (provider_form.js): no kind is named here.
import { useEffect, useRef, useState } from 'preact/hooks';

import { api } from '../api.js';
import { ErrorSummary, Field, LoadError, PageTitle } from '../components.jsx';
import { formatCount, formatDateTime, localDayStart } from '../format.js';
import { configPayload, errorsFor, fieldId, formModel, initialState } from '../provider_form.js';
import { Link, navigate } from '../router.jsx';
import { ProviderStats } from './provider_stats.jsx';
import { BreakerHealth, Prices } from './provider_parts.jsx';

const canAdmin = (session) => session.user.role === 'admin';
const canSend = (session) => session.user.role === 'admin' || session.user.role === 'sender';

export function Providers({ session, path }) {
  const rest = path.slice('/providers'.length).split('/').filter(Boolean);
  if (rest.length === 0) return <ProviderList session={session} />;
  if (rest[0] === 'new') return <ProviderForm session={session} />;
  if (rest[1] === 'edit') return <ProviderForm session={session} id={decodeURIComponent(rest[0])} />;
  return <ProviderPage session={session} id={decodeURIComponent(rest[0])} tab={rest[1] === 'stats' ? 'stats' : 'overview'} />;
}

/** Run load() once per change of deps: [data, error, reload]. */
function useLoad(load, deps) {
  const [state, setState] = useState({ data: null, error: null });
  const [n, setN] = useState(0);
  useEffect(() => {
    let live = true;
    setState({ data: null, error: null });
    load().then(
      (data) => live && setState({ data, error: null }),
      (error) => live && setState({ data: null, error }),
    );
    return () => {
      live = false;
    };
  }, [...deps, n]);
  return [state.data, state.error, () => setN(n + 1)];
}

const kindsById = (kinds) => Object.fromEntries(kinds.map((k) => [k.name, k]));

// ---- the list ---------------------------------------------------------------

async function loadList() {
  const from = encodeURIComponent(localDayStart(new Date()));
  const [providers, kinds, today] = await Promise.all([
    api.get('/v1/providers?limit=1000'),
    api.get('/v1/provider-kinds'),
    // Sent today: GET /v1/stats grouped by provider (one query); the list
    // still shows without it.
    api.get(`/v1/stats?from=${from}&group_by=provider`).catch(() => null),
  ]);
  const sent = {};
  for (const row of today?.data ?? []) if (row.provider_id) sent[row.provider_id] = row.sent;
  return { providers: providers.data, kinds: kindsById(kinds.data), sent, haveSent: !!today };
}

function ProviderList({ session }) {
  const [data, error] = useLoad(loadList, []);
  return (
    <>
      <PageTitle>Providers</PageTitle>
      <p class="lead">The SMS services smsgate sends through. Messages go through the default one unless a send names another.</p>
      {canAdmin(session) && (
        <p>
          <Link to="/providers/new" class="button">
            Add provider
          </Link>
        </p>
      )}
      {error && <LoadError error={error} />}
      {!data && !error && <p class="loading">Loading…</p>}
      {data && data.providers.length === 0 && (
        <p class="empty" data-testid="providers-empty">
          No providers yet.{' '}
          {canAdmin(session)
            ? 'Choose “Add provider”, pick your SMS service (Twilio or Clickatell), paste the details from its console, then send a test SMS from the provider’s page.'
            : 'Ask an administrator to add one.'}
        </p>
      )}
      {data && data.providers.length > 0 && (
        <div class="table-wrap" role="region" aria-label="Providers table" tabIndex={0}>
          <table class="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Kind</th>
                <th scope="col">Default</th>
                <th scope="col">Active</th>
                {data.haveSent && <th scope="col">Sent today</th>}
              </tr>
            </thead>
            <tbody>
              {data.providers.map((p) => (
                <tr key={p.id}>
                  <td>
                    <Link to={`/providers/${p.id}`}>{p.title || p.name}</Link>
                    {p.title && <span class="muted"> ({p.name})</span>}
                  </td>
                  <td>{data.kinds[p.kind]?.label ?? p.kind}</td>
                  <td>{p.default ? 'Yes' : 'No'}</td>
                  <td>{p.active ? 'Yes' : 'No'}</td>
                  {data.haveSent && <td>{formatCount(data.sent[p.id] ?? 0)}</td>}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

// ---- add / edit ----------------------------------------------------------------

async function loadForm(id) {
  const [kinds, provider] = await Promise.all([
    api.get('/v1/provider-kinds'),
    id ? api.get(`/v1/providers/${encodeURIComponent(id)}`) : Promise.resolve(null),
  ]);
  return { kinds: kinds.data, provider };
}

/** The provider saved last, so its page says so. */
let justSaved = null;

function ProviderForm({ session, id }) {
  const [data, error] = useLoad(() => loadForm(id), [id]);
  const title = id ? 'Edit provider' : 'Add provider';
  if (!canAdmin(session))
    return (
      <>
        <PageTitle>{title}</PageTitle>
        <p>Only an administrator can add or change providers.</p>
      </>
    );
  return (
    <>
      <PageTitle>{title}</PageTitle>
      {error && <LoadError error={error} />}
      {!data && !error && <p class="loading">Loading…</p>}
      {data && <ProviderFormBody kinds={data.kinds} provider={data.provider} />}
    </>
  );
}

function ProviderFormBody({ kinds, provider }) {
  const editing = !!provider;
  const [kindName, setKindName] = useState(provider?.kind ?? null);
  const kind = kinds.find((k) => k.name === kindName) ?? null;
  const [name, setName] = useState(provider?.name ?? '');
  const [title, setTitle] = useState(provider?.title ?? '');
  const [isDefault, setDefault] = useState(provider?.default ?? false);
  const [active, setActive] = useState(provider?.active ?? true);
  const [initial, setInitial] = useState(() => (kind ? initialState(kind, provider) : null));
  const [state, setState] = useState(initial);
  const [errors, setErrors] = useState({ fields: {}, summary: [] });
  const [busy, setBusy] = useState(false);

  const chooseKind = (k) => {
    setKindName(k.name);
    const s = initialState(k, null);
    setInitial(s);
    setState(s);
    setErrors({ fields: {}, summary: [] });
  };

  const onSubmit = async (e) => {
    e.preventDefault();
    if (!kind) {
      setErrors({ fields: { kind: 'Choose the kind of provider' }, summary: [{ field: 'kind', text: 'Choose the kind of provider' }] });
      return;
    }
    setBusy(true);
    const config = configPayload(kind, state, initial, editing);
    try {
      const body = editing
        ? { name, title, default: isDefault, active, config }
        : { name, title, kind: kind.name, default: isDefault, active, config };
      const saved = editing
        ? await api.patch(`/v1/providers/${encodeURIComponent(provider.id)}`, body)
        : await api.post('/v1/providers', body);
      justSaved = saved.id;
      navigate(`/providers/${saved.id}`);
    } catch (err) {
      setErrors(errorsFor(err, kind));
    } finally {
      setBusy(false);
    }
  };

  const setValue = (key, v) => setState((s) => ({ ...s, values: { ...s.values, [key]: v } }));
  const setChoice = (group, option) => setState((s) => ({ ...s, choices: { ...s.choices, [group]: option } }));
  const model = kind ? formModel(kind) : null;
  const ctx = { state, setValue, setChoice, errors: errors.fields, editing };

  return (
    <form class="form form--wide" onSubmit={onSubmit} noValidate>
      <ErrorSummary errors={errors.summary} />
      {editing ? (
        <p class="lead">
          {kind?.label ?? provider.kind}: secrets are kept unless you type a new one.
        </p>
      ) : (
        <fieldset class={errors.fields.kind ? 'fieldset field--error' : 'fieldset'} id="kind" tabIndex={-1}>
          <legend class="label">Kind of provider</legend>
          <p class="hint">The SMS service whose account you have.</p>
          {errors.fields.kind && <p class="field-error">{errors.fields.kind}</p>}
          {kinds.map((k) => (
            <div class="radio" key={k.name}>
              <input
                type="radio"
                id={`kind-${k.name}`}
                name="kind"
                checked={kindName === k.name}
                onChange={() => chooseKind(k)}
                aria-describedby={`kind-${k.name}-hint`}
              />
              <label for={`kind-${k.name}`}>{k.label}</label>
              <p class="hint radio__hint" id={`kind-${k.name}-hint`}>
                {k.description}
              </p>
            </div>
          ))}
        </fieldset>
      )}
      {kind && (
        <>
          <Field
            id="name"
            label="Name"
            hint="Lower-case letters a-z, digits, - and _ (for example twilio-uk); sends through the API can name it."
            error={errors.fields.name}
            value={name}
            autocomplete="off"
            spellcheck={false}
            onInput={(e) => setName(e.currentTarget.value)}
          />
          <Field
            id="title"
            label="Display name (optional)"
            hint="How the console shows it, in any words (for example Twilio – UK numbers)."
            error={errors.fields.title}
            value={title}
            autocomplete="off"
            onInput={(e) => setTitle(e.currentTarget.value)}
          />
          {model.main.map((item) => (
            <FormItem key={itemKey(item)} item={item} ctx={ctx} />
          ))}
          <Checkbox id="default" label="Default provider" hint="Messages that name no provider go through it." checked={isDefault}
            error={errors.fields.default} onChange={setDefault} />
          <Checkbox id="active" label="Active" hint="An inactive provider sends nothing." checked={active}
            error={errors.fields.active} onChange={setActive} />
          {model.advanced.length > 0 && (
            <details class="advanced" open={model.advanced.some((i) => itemHasError(i, errors.fields))}>
              <summary>Advanced settings</summary>
              {model.advanced.map((item) => (
                <FormItem key={itemKey(item)} item={item} ctx={ctx} />
              ))}
            </details>
          )}
          <p class="actions">
            <button type="submit" class="button" disabled={busy}>
              {editing ? 'Save changes' : 'Add provider'}
            </button>{' '}
            <Link to={editing ? `/providers/${provider.id}` : '/providers'}>Cancel</Link>
          </p>
        </>
      )}
    </form>
  );
}

const itemKey = (item) => (item.type === 'field' ? item.field.key : `group-${item.group}`);

function itemHasError(item, fields) {
  const keys = item.type === 'field' ? [item.field.key] : item.options.flatMap((o) => o.fields.map((f) => f.key));
  return keys.some((k) => fields[fieldId(k)]);
}

function FormItem({ item, ctx }) {
  if (item.type === 'field') return <ConfigField field={item.field} ctx={ctx} optional={!item.field.required} />;
  const chosen = ctx.state.choices[item.group];
  const option = item.options.find((o) => o.option === chosen) ?? item.options[0];
  return (
    <fieldset class="fieldset choice" id={`group-${item.group}`}>
      <legend class="label">{item.legend}</legend>
      <p class="hint">Give one of these.</p>
      <div class="choice__options">
        {item.options.map((o) => {
          const id = `choice-${item.group}-${o.option}`;
          return (
            <div class="radio" key={o.option}>
              <input
                type="radio"
                id={id}
                name={`choice-${item.group}`}
                checked={o.option === option.option}
                onChange={() => ctx.setChoice(item.group, o.option)}
              />
              <label for={id}>{o.label}</label>
            </div>
          );
        })}
      </div>
      {option.fields.map((f) => (
        <ConfigField key={f.key} field={f} ctx={ctx} optional={false} />
      ))}
    </fieldset>
  );
}

function helpOf(field, editing) {
  let hint = field.help || '';
  if (field.secret && editing) hint += ' Leave it empty to keep the one stored.';
  if (!field.secret && field.default !== undefined && field.type !== 'boolean') hint += ` Default: ${field.default}.`;
  return hint.trim();
}

function ConfigField({ field, ctx, optional }) {
  const id = fieldId(field.key);
  const error = ctx.errors[id];
  const label = optional ? `${field.label} (optional)` : field.label;
  const hint = helpOf(field, ctx.editing);
  const value = ctx.state.values[field.key];
  if (field.type === 'boolean')
    return <Checkbox id={id} label={field.label} hint={field.help} checked={!!value} error={error}
      onChange={(v) => ctx.setValue(field.key, v)} />;
  if (field.multiline)
    return (
      <div class={error ? 'field field--error' : 'field'}>
        <label class="label" for={id}>
          {label}
        </label>
        {hint && <p class="hint" id={`${id}-hint`}>{hint}</p>}
        {error && <p class="field-error" id={`${id}-error`}><span class="visually-hidden">Error: </span>{error}</p>}
        <textarea
          class="input textarea"
          id={id}
          name={id}
          rows={4}
          aria-invalid={error ? 'true' : undefined}
          aria-describedby={[hint && `${id}-hint`, error && `${id}-error`].filter(Boolean).join(' ') || undefined}
          value={value}
          onInput={(e) => ctx.setValue(field.key, e.currentTarget.value)}
        />
      </div>
    );
  return (
    <Field
      id={id}
      label={label}
      hint={hint}
      error={error}
      type={field.secret ? 'password' : 'text'}
      inputmode={field.type === 'number' ? 'numeric' : undefined}
      autocomplete={field.secret ? 'new-password' : 'off'}
      placeholder={field.secret && ctx.editing ? 'unchanged' : undefined}
      spellcheck={false}
      value={value}
      onInput={(e) => ctx.setValue(field.key, e.currentTarget.value)}
    />
  );
}

function Checkbox({ id, label, hint, checked, error, onChange }) {
  return (
    <div class={error ? 'field checkbox field--error' : 'field checkbox'}>
      {error && <p class="field-error" id={`${id}-error`}><span class="visually-hidden">Error: </span>{error}</p>}
      <input
        type="checkbox"
        id={id}
        name={id}
        checked={checked}
        aria-describedby={[hint && `${id}-hint`, error && `${id}-error`].filter(Boolean).join(' ') || undefined}
        onChange={(e) => onChange(e.currentTarget.checked)}
      />
      <label for={id}>{label}</label>
      {hint && <p class="hint checkbox__hint" id={`${id}-hint`}>{hint}</p>}
    </div>
  );
}

// ---- a provider's page ---------------------------------------------------------

async function loadProvider(id) {
  const [provider, kinds] = await Promise.all([
    api.get(`/v1/providers/${encodeURIComponent(id)}`),
    api.get('/v1/provider-kinds'),
  ]);
  return { provider, kind: kindsById(kinds.data)[provider.kind] ?? null };
}

/** The provider page's tabs: links (each tab has its address, so a reload or a
 * bookmark keeps it), the current one marked for assistive technology. */
function ProviderTabs({ provider, tab }) {
  const tabs = [['overview', 'Overview', `/providers/${provider.id}`], ['stats', 'Stats', `/providers/${provider.id}/stats`]];
  return (
    <nav class="tabs" aria-label="Provider sections">
      {tabs.map(([key, label, to]) => (
        <Link key={key} to={to} class={key === tab ? 'tabs__tab tabs__tab--current' : 'tabs__tab'}
          aria-current={key === tab ? 'page' : undefined}>
          {label}
        </Link>
      ))}
    </nav>
  );
}

function ProviderPage({ session, id, tab }) {
  const [data, error, reload] = useLoad(() => loadProvider(id), [id]);
  const [saved] = useState(() => {
    const s = justSaved === id;
    justSaved = null;
    return s;
  });
  if (error)
    return (
      <>
        <PageTitle>Provider</PageTitle>
        <LoadError error={error} />
        <p><Link to="/providers">All providers</Link></p>
      </>
    );
  if (!data) return <p class="loading">Loading…</p>;
  const { provider, kind } = data;
  return (
    <>
      <PageTitle>{provider.title || provider.name}</PageTitle>
      {saved && (
        <div class="notice notice--success" role="status">
          <p class="notice__title">Provider saved</p>
          <p>Now paste the callback URLs below into the provider’s console, then send a test SMS.</p>
        </div>
      )}
      <dl class="summary">
        <dt>Name</dt>
        <dd>{provider.name}</dd>
        <dt>Kind</dt>
        <dd>{kind?.label ?? provider.kind}</dd>
        <dt>Default</dt>
        <dd>{provider.default ? 'Yes' : 'No'}</dd>
        <dt>Active</dt>
        <dd>{provider.active ? 'Yes' : 'No'}</dd>
        <dt>Changed</dt>
        <dd>{formatDateTime(provider.updated_at)}</dd>
      </dl>
      <p>
        <Link to="/providers">All providers</Link>
        {canAdmin(session) && (
          <>
            {' · '}
            <Link to={`/providers/${provider.id}/edit`}>Edit provider</Link>
          </>
        )}
      </p>
      <ProviderTabs provider={provider} tab={tab} />
      {tab === 'stats' ? (
        <ProviderStats provider={provider} />
      ) : (
        <>
          <BreakerHealth provider={provider} />
          <CallbackUrls provider={provider} session={session} onChanged={reload} />
          {canSend(session) && <TestSms provider={provider} kind={kind} />}
          <Prices provider={provider} canEdit={canAdmin(session)} />
          {canAdmin(session) && <DeleteProvider provider={provider} />}
        </>
      )}
    </>
  );
}

const CALLBACK_LINES = {
  status:
    'Delivery reports (status callbacks): smsgate gives this URL with each message where the provider takes one; otherwise paste it where the provider’s console asks for a delivery report or callback URL.',
  inbound:
    'Replies (incoming messages): paste it where the provider’s console asks for the URL of incoming messages for your numbers.',
};

function CallbackUrls({ provider, session, onChanged }) {
  const urls = provider.callback_urls ?? {};
  const [copied, setCopied] = useState(null);
  const copy = async (which) => {
    try {
      await navigator.clipboard.writeText(urls[which]);
      setCopied(which);
    } catch {
      // No clipboard (a plain-http page): select the text so Ctrl+C copies it.
      document.getElementById(`callback-${which}`)?.select();
      setCopied(null);
    }
  };
  return (
    <section class="section" aria-labelledby="callbacks-title">
      <h2 id="callbacks-title">Callback URLs</h2>
      <p class="hint">
        {provider.callback_auth === 'signature'
          ? 'smsgate checks the provider’s signature on each callback.'
          : 'These URLs carry a secret: keep them private.'}
        {provider.callback_urls_masked ? ' The secret is hidden: only an administrator sees it.' : ''}
      </p>
      {Object.keys(urls).map((which) => (
        <div class="field" key={which}>
          <label class="label" for={`callback-${which}`}>
            {which === 'status' ? 'Status callback URL' : which === 'inbound' ? 'Incoming messages URL' : which}
          </label>
          <p class="hint" id={`callback-${which}-hint`}>
            {CALLBACK_LINES[which] ?? ''}
          </p>
          <div class="copy-row">
            <input class="input" id={`callback-${which}`} readOnly value={urls[which]} aria-describedby={`callback-${which}-hint`} />
            <button type="button" class="button button--plain" onClick={() => copy(which)}>
              Copy<span class="visually-hidden"> {which} URL</span>
            </button>
          </div>
          {copied === which && <p class="copied" role="status">Copied.</p>}
        </div>
      ))}
      {canAdmin(session) && <CustomStatusUrl provider={provider} onChanged={onChanged} />}
    </section>
  );
}

function CustomStatusUrl({ provider, onChanged }) {
  const current = provider.config?.status_callback_url ?? null;
  const [url, setUrl] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const save = async (value) => {
    setBusy(true);
    setError(null);
    try {
      await api.patch(`/v1/providers/${encodeURIComponent(provider.id)}`, { config: { status_callback_url: value } });
      setUrl('');
      onChanged();
    } catch (err) {
      setError(err.fieldErrors['config.status_callback_url'] ?? err.detail);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="custom-callback">
      <h3>A status callback URL of your own</h3>
      {current ? (
        <p data-testid="custom-status-url">
          The provider is given <span class="mono">{current}</span> instead of smsgate’s own.{' '}
          <button type="button" class="button button--plain" disabled={busy} onClick={() => save(null)}>
            Restore smsgate’s own
          </button>
        </p>
      ) : (
        <p>The provider is given smsgate’s own status callback URL (above).</p>
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          save(url.trim());
        }}
        noValidate
      >
        <Field
          id="status-callback-url"
          label="Custom status callback URL"
          hint="Only when something in front of smsgate (a proxy) must receive the delivery reports."
          error={error}
          type="url"
          value={url}
          onInput={(e) => setUrl(e.currentTarget.value)}
        />
        <button type="submit" class="button button--plain" disabled={busy}>
          Use this URL
        </button>
      </form>
    </div>
  );
}

// ---- send test SMS ---------------------------------------------------------------

const FINAL = new Set(['delivered', 'failed', 'undelivered', 'canceled']);
const POLL_MS = 500;
const POLL_FOR_MS = 120000;

/** The catalogue entry of a failure code: the provider's own, else smsgate's. */
async function describeCode(kindName, code) {
  for (const provider of [kindName, 'smsgate']) {
    const r = await api.get(`/v1/error-codes?provider=${encodeURIComponent(provider)}`).catch(() => null);
    const row = r?.data?.find((x) => x.code === code);
    if (row) return row;
  }
  return null;
}

function TestSms({ provider, kind }) {
  const [to, setTo] = useState('');
  const [body, setBody] = useState('Test message from smsgate');
  const [errors, setErrors] = useState({});
  const [top, setTop] = useState(null);
  const [message, setMessage] = useState(null);
  const [code, setCode] = useState(null);
  const [busy, setBusy] = useState(false);
  const timer = useRef(null);
  useEffect(() => () => clearTimeout(timer.current), []);

  const poll = (id, until) => {
    timer.current = setTimeout(async () => {
      let m;
      try {
        m = await api.get(`/v1/messages/${encodeURIComponent(id)}`);
      } catch (err) {
        setTop(err.detail);
        setBusy(false);
        return;
      }
      setMessage(m);
      if (FINAL.has(m.status) || Date.now() > until) {
        setBusy(false);
        if (m.error_code) setCode(await describeCode(provider.kind, m.error_code));
        return;
      }
      poll(id, until);
    }, POLL_MS);
  };

  const onSubmit = async (e) => {
    e.preventDefault();
    clearTimeout(timer.current);
    setErrors({});
    setTop(null);
    setMessage(null);
    setCode(null);
    setBusy(true);
    try {
      const m = await api.post(`/v1/providers/${encodeURIComponent(provider.id)}/test`, { to: to.trim(), body });
      setMessage(m);
      poll(m.id, Date.now() + POLL_FOR_MS);
    } catch (err) {
      const f = {};
      if (err.fieldErrors.to) f.to = err.fieldErrors.to;
      if (err.fieldErrors.body) f.body = err.fieldErrors.body;
      setErrors(f);
      if (!f.to && !f.body) setTop(err.detail);
      setBusy(false);
    }
  };

  return (
    <section class="section" aria-labelledby="test-title">
      <h2 id="test-title">Send test SMS</h2>
      <form class="form" onSubmit={onSubmit} noValidate>
        {top && (
          <div class="notice notice--error" role="alert">
            <p>{top}</p>
          </div>
        )}
        <Field
          id="test-to"
          label="Mobile number"
          hint="In international format: + then the country code, then the number (UK +44 7400 123456, US +1 201 555 0123)."
          error={errors.to}
          type="tel"
          autocomplete="tel"
          value={to}
          onInput={(e) => setTo(e.currentTarget.value)}
        />
        <div class={errors.body ? 'field field--error' : 'field'}>
          <label class="label" for="test-body">
            Message
          </label>
          {errors.body && <p class="field-error" id="test-body-error">{errors.body}</p>}
          <textarea class="input textarea" id="test-body" rows={3} value={body}
            aria-describedby={errors.body ? 'test-body-error' : undefined}
            onInput={(e) => setBody(e.currentTarget.value)} />
        </div>
        <button type="submit" class="button" disabled={busy}>
          Send test SMS
        </button>
      </form>
      {message && <TestOutcome message={message} code={code} busy={busy} kind={kind} />}
    </section>
  );
}

const STATUS_WORDS = {
  scheduled: 'Scheduled',
  queued: 'Queued',
  sending: 'Sending',
  sent: 'Sent to the provider',
  delivered: 'Delivered',
  undelivered: 'Not delivered',
  failed: 'Failed',
  canceled: 'Canceled',
};

function TestOutcome({ message, code, busy }) {
  const bad = message.status === 'failed' || message.status === 'undelivered' || message.status === 'canceled';
  return (
    <div class={bad ? 'notice notice--error outcome' : 'notice outcome'} data-testid="test-outcome">
      <p class="notice__title" role="status" aria-live="polite" data-status={message.status}>
        {STATUS_WORDS[message.status] ?? message.status}
        {busy && !FINAL.has(message.status) ? ' …' : ''}
      </p>
      {message.events?.length > 0 && (
        <ol class="events">
          {message.events.map((ev, i) => (
            <li key={i}>
              {STATUS_WORDS[ev.status] ?? ev.status} <span class="muted">{formatDateTime(ev.at)}</span>
              {ev.detail ? <span class="muted"> — {ev.detail}</span> : null}
            </li>
          ))}
        </ol>
      )}
      {message.error_code && (
        <p data-testid="test-error">
          Error code <strong>{message.error_code}</strong>
          {code ? `: ${code.title}. ${code.meaning}` : message.error_message ? `: ${message.error_message}` : ''}
        </p>
      )}
      {!busy && message.status === 'sent' && (
        <p>The provider took the message; no delivery report has arrived yet. Check the status callback URL above.</p>
      )}
    </div>
  );
}

// ---- delete ------------------------------------------------------------------------

function DeleteProvider({ provider }) {
  const [asking, setAsking] = useState(false);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.del(`/v1/providers/${encodeURIComponent(provider.id)}`);
      navigate('/providers');
    } catch (err) {
      setError(
        err.status === 409
          ? `${provider.name} still has messages waiting to be sent, so it cannot be deleted. Untick “Active” on its edit page instead, or wait until they are sent. (${err.detail})`
          : err.detail,
      );
      setAsking(false);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="section" aria-labelledby="delete-title">
      <h2 id="delete-title">Delete provider</h2>
      {error && (
        <div class="notice notice--error" role="alert" data-testid="delete-error">
          <p>{error}</p>
        </div>
      )}
      {asking ? (
        <div class="confirm" role="group" aria-labelledby="confirm-text">
          <p id="confirm-text">
            Delete <strong>{provider.name}</strong>? Its settings are removed; this cannot be undone.
          </p>
          <button type="button" class="button button--danger" disabled={busy} onClick={confirm}>
            Yes, delete it
          </button>{' '}
          <button type="button" class="button button--plain" onClick={() => setAsking(false)}>
            Cancel
          </button>
        </div>
      ) : (
        <button type="button" class="button button--danger" onClick={() => setAsking(true)}>
          Delete provider
        </button>
      )}
    </section>
  );
}
