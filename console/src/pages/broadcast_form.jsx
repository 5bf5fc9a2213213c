// New broadcast (/broadcasts/new, senders and admins): everything POST
// /v1/broadcasts takes — name; audience (a group or a segment, chosen by
// name); the text or a template; provider and sender; start time (local);
// rate; quiet hours and their fallback time zone; click tracking; draft. The
// API's problem `field` is shown beside that field; on success the
// broadcast's own page opens.
import { useEffect, useState } from 'preact/hooks';

import { api } from '../api.js';
import { ErrorSummary, Field, PageTitle } from '../components.jsx';
import { can } from '../contacts_logic.js';
import { broadcastBody } from '../broadcasts_logic.js';
import { Link, navigate } from '../router.jsx';

/** The input id of each API field. */
const IDS = {
  name: 'bc-name', group: 'bc-audience', segment: 'bc-audience', body: 'bc-body', template_id: 'bc-template',
  external_template_id: 'bc-template', provider: 'bc-provider', from: 'bc-from', send_at: 'bc-send-at',
  rate: 'bc-rate', quiet_hours: 'bc-quiet', timezone: 'bc-timezone', track_clicks: 'bc-track', draft: 'bc-draft',
};

const EMPTY = {
  name: '', audienceKind: 'group', audience: '', textKind: 'body', body: '', template: '', provider: '', from: '',
  sendAt: '', rate: '', quietHours: '', timezone: '', trackClicks: false, draft: false,
};

/** The names of a list endpoint's rows (up to 1000; the choices of a select). */
async function names(path) {
  try {
    return ((await api.get(`${path}?limit=1000`)).data ?? []).map((r) => r.name);
  } catch {
    return [];
  }
}

export function BroadcastForm({ session }) {
  const [f, setF] = useState(EMPTY);
  const [lists, setLists] = useState({ groups: [], segments: [], templates: [], providers: [] });
  const [fieldErrors, setFieldErrors] = useState({});
  const [summary, setSummary] = useState([]);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    Promise.all([names('/v1/groups'), names('/v1/segments'), names('/v1/templates'),
      api.get('/v1/providers').then((r) => r.data ?? [], () => [])]).then(([groups, segments, templates, providers]) =>
      setLists({ groups, segments, templates, providers }));
  }, []);

  if (!can(session, 'sender')) {
    return (
      <>
        <PageTitle>New broadcast</PageTitle>
        <div class="notice">
          <p class="notice__title">{`Your role (${session.user.role}) cannot create broadcasts.`}</p>
          <p>
            Ask an administrator for the sender role. <Link to="/broadcasts">Back to the broadcasts</Link>.
          </p>
        </div>
      </>
    );
  }

  const set = (k) => (e) => {
    const t = e.currentTarget;
    setF({ ...f, [k]: t.type === 'checkbox' ? t.checked : t.value });
  };
  const showErrors = (fe, fallback) => {
    setFieldErrors(fe);
    const list = Object.entries(fe).map(([k, text]) => ({ field: IDS[k], text }));
    setSummary(list.length ? list : [{ text: fallback }]);
  };

  const submit = async (e) => {
    e.preventDefault();
    const { body, errors } = broadcastBody(f);
    if (Object.keys(errors).length) return showErrors(errors, '');
    setBusy(true);
    try {
      const b = await api.post('/v1/broadcasts', body);
      navigate(`/broadcasts/${b.id}`);
    } catch (err) {
      showErrors(err.fieldErrors ?? {}, err.detail || err.title);
      setBusy(false);
    }
  };

  const audiences = f.audienceKind === 'segment' ? lists.segments : lists.groups;
  const fe = fieldErrors;
  const def = lists.providers.find((p) => p.default);
  const audienceError = fe.group ?? fe.segment;
  return (
    <>
      <PageTitle>New broadcast</PageTitle>
      <p class="back">
        <Link to="/broadcasts">Back to the broadcasts</Link>
      </p>
      <ErrorSummary errors={summary} />
      <form class="form form--wide" noValidate onSubmit={submit}>
        <Field id="bc-name" label="Name" hint="For you, e.g. November sale. Recipients do not see it." value={f.name}
          error={fe.name} onInput={set('name')} />

        <fieldset class="fieldset">
          <legend class="label">Audience</legend>
          <Radios name="bc-audience-kind" value={f.audienceKind}
            onChange={(v) => setF({ ...f, audienceKind: v, audience: '' })}
            options={[['group', 'A group', 'A fixed list of contacts.'], ['segment', 'A segment',
              'A saved filter, evaluated when the broadcast starts.']]} />
          <Select id="bc-audience" label={f.audienceKind === 'segment' ? 'Segment' : 'Group'} value={f.audience}
            error={audienceError} onChange={set('audience')}
            hint={audiences.length ? 'Opted-out contacts and fixed-line numbers are skipped.'
              : `There is no ${f.audienceKind} yet: create one on the ${f.audienceKind === 'segment' ? 'Segments' : 'Groups'} page first.`}
            options={[['', `Choose a ${f.audienceKind}`], ...audiences.map((n) => [n, n])]} />
        </fieldset>

        <fieldset class="fieldset">
          <legend class="label">Message</legend>
          <Radios name="bc-text-kind" value={f.textKind} onChange={(v) => setF({ ...f, textKind: v })}
            options={[['body', 'Write the text', null], ['template', 'Use a template',
              "The template's text is copied when the broadcast is created."]]} />
          {f.textKind === 'body' ? (
            <div class={fe.body ? 'field field--error' : 'field'}>
              <label class="label" for="bc-body">
                Text
              </label>
              <p class="hint" id="bc-body-hint">
                {'Merge fields such as {{first_name|there}} or {{attributes.city}} are filled in for each contact.'}
              </p>
              {fe.body && <FieldError id="bc-body" text={fe.body} />}
              <textarea id="bc-body" class="input textarea" rows={4} value={f.body} onInput={set('body')}
                aria-invalid={fe.body ? 'true' : undefined}
                aria-describedby={`bc-body-hint${fe.body ? ' bc-body-error' : ''}`} />
            </div>
          ) : (
            <Select id="bc-template" label="Template" value={f.template} error={fe.template_id ?? fe.external_template_id}
              onChange={set('template')}
              hint={lists.templates.length ? null : 'There is no template yet: create one on the Templates page.'}
              options={[['', 'Choose a template'], ...lists.templates.map((n) => [n, n])]} />
          )}
        </fieldset>

        <Select id="bc-provider" label="Provider" value={f.provider} error={fe.provider} onChange={set('provider')}
          options={[['', def ? `Default (${def.name})` : 'Default'], ...lists.providers.map((p) => [p.name, p.name])]} />
        <Field id="bc-from" label="Sender (optional)" hint="The From number or name; empty: the provider's own."
          value={f.from} error={fe.from} onInput={set('from')} />
        <Field id="bc-send-at" label="Start (optional)" type="datetime-local" value={f.sendAt} error={fe.send_at}
          hint={`Your local time (${Intl.DateTimeFormat().resolvedOptions().timeZone}). Empty: as soon as it is created.`}
          onInput={set('sendAt')} />
        <Field id="bc-rate" label="Messages per second (optional)" inputMode="decimal" value={f.rate} error={fe.rate}
          hint="For example 20, or 0.5 for one every two seconds. Empty: as fast as the provider takes them."
          onInput={set('rate')} />
        <Field id="bc-quiet" label="Quiet hours (optional)" value={f.quietHours} error={fe.quiet_hours}
          hint="Nobody is messaged in this window of their local time, e.g. 21:00-08:00. Held messages go out when it ends."
          onInput={set('quietHours')} />
        <Field id="bc-timezone" label="Time zone for quiet hours (optional)" value={f.timezone} error={fe.timezone}
          hint="Used for a contact whose zone is unknown, e.g. Europe/London. Empty: UTC." onInput={set('timezone')} />
        <Check id="bc-track" label="Track clicks" checked={f.trackClicks} error={fe.track_clicks}
          hint="Each link becomes a short link per recipient, counted when opened (needs the server's public URL)."
          onChange={set('trackClicks')} />
        <Check id="bc-draft" label="Save as a draft" checked={f.draft} error={fe.draft}
          hint="It starts only when you choose Send now on its page." onChange={set('draft')} />
        <button type="submit" class="button" disabled={busy}>
          {f.draft ? 'Save draft' : 'Create broadcast'}
        </button>
      </form>
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

/** Radio buttons: options [[value, label, hint|null]]. */
function Radios({ name, value, options, onChange }) {
  return (
    <div class="choice">
      {options.map(([v, label, hint]) => (
        <div class="radio" key={v}>
          <input type="radio" id={`${name}-${v}`} name={name} value={v} checked={value === v}
            aria-describedby={hint ? `${name}-${v}-hint` : undefined} onChange={() => onChange(v)} />
          <label for={`${name}-${v}`}>{label}</label>
          {hint && (
            <p class="hint radio__hint" id={`${name}-${v}-hint`}>
              {hint}
            </p>
          )}
        </div>
      ))}
    </div>
  );
}

/** A labelled select: options [[value, text]]. */
function Select({ id, label, hint, error, options, ...select }) {
  const described = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(' ');
  return (
    <div class={error ? 'field field--error' : 'field'}>
      <label class="label" for={id}>
        {label}
      </label>
      {hint && (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {error && <FieldError id={id} text={error} />}
      <select class="input" id={id} name={id} aria-invalid={error ? 'true' : undefined}
        aria-describedby={described || undefined} {...select}>
        {options.map(([v, text]) => (
          <option key={v} value={v}>
            {text}
          </option>
        ))}
      </select>
    </div>
  );
}

/** A checkbox with its hint and error. */
function Check({ id, label, hint, error, ...input }) {
  const described = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(' ');
  return (
    <div class={error ? 'field field--error checkbox' : 'field checkbox'}>
      <input type="checkbox" id={id} name={id} aria-invalid={error ? 'true' : undefined}
        aria-describedby={described || undefined} {...input} />
      <label for={id}>{label}</label>
      {hint && (
        <p class="hint checkbox__hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {error && (
        <p class="field-error" id={`${id}-error`}>
          <span class="visually-hidden">Error: </span>
          {error}
        </p>
      )}
    </div>
  );
}
