// Keywords: the rules that answer inbound messages (GET /v1/keywords, in the
// order they are tried), create and edit with the actions as a structured
// editor (one fieldset per action, its fields by type), delete after
// confirmation (admin). The API checks everything; its problems are shown in
// the error summary and beside the field they name.
import { useEffect, useState } from 'preact/hooks';

import { api } from '../api.js';
import { ErrorSummary, Field, LoadError, PageTitle } from '../components.jsx';
import { can } from '../contacts_logic.js';
import { ACTIONS, actionSpec, actionsSummary, fieldId, formToBody, MATCHES, ruleToForm } from '../keywords_logic.js';
import { Confirm } from './contact_parts.jsx';

const MATCH_LABEL = Object.fromEntries(MATCHES.map((m) => [m.value, m.label]));

export function Keywords({ session }) {
  const [rules, setRules] = useState(null);
  const [error, setError] = useState(null);
  const [editing, setEditing] = useState(null); // null, 'new' or a rule
  const [confirming, setConfirming] = useState(null); // rule id
  const [message, setMessage] = useState(null);
  const admin = can(session, 'admin');

  const load = async () => {
    try {
      setRules((await api.get('/v1/keywords?limit=500')).data);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    load();
  }, []);

  const remove = async (rule) => {
    try {
      await api.del(`/v1/keywords/${rule.id}`);
      setConfirming(null);
      setMessage(`The rule ${rule.keyword} is deleted.`);
      await load();
    } catch (e) {
      setConfirming(null);
      setError(e);
    }
  };

  return (
    <>
      <PageTitle>Keywords</PageTitle>
      <p class="lead">
        Rules that answer replies: JOIN news adds the sender to a group, a word or pattern sends an answer. STOP and HELP
        are always handled first and cannot be used here; START and YES resubscribe only numbers that opted out.
      </p>
      {error && <LoadError error={error} />}
      {message && (
        <p class="notice" role="status">
          {message}
        </p>
      )}
      {admin && !editing && (
        <button type="button" class="button" onClick={() => { setMessage(null); setEditing('new'); }}>
          Add a rule
        </button>
      )}
      {admin && editing && (
        <RuleForm
          rule={editing === 'new' ? null : editing}
          onCancel={() => setEditing(null)}
          onSaved={async (r) => {
            setEditing(null);
            setMessage(`The rule ${r.keyword} is saved.`);
            await load();
          }}
        />
      )}
      {!rules && !error && <p class="loading">Loading…</p>}
      {rules && rules.length === 0 && <p class="empty">No keyword rule yet.</p>}
      {rules && rules.length > 0 && (
        <div class="table-wrap" role="region" aria-label="Keyword rules table" tabIndex={0}>
          <table class="table">
            <caption class="visually-hidden">Keyword rules, in the order they are tried</caption>
            <thead>
              <tr>
                <th scope="col">Priority</th>
                <th scope="col">Keyword</th>
                <th scope="col">Matches</th>
                <th scope="col">To</th>
                <th scope="col">Actions</th>
                {admin && <th scope="col">Change</th>}
              </tr>
            </thead>
            <tbody>
              {rules.map((r) => (
                <tr key={r.id}>
                  <td>{r.priority}</td>
                  <td>{r.keyword}</td>
                  <td>{MATCH_LABEL[r.match] ?? r.match}</td>
                  <td>{r.to ?? 'Any number'}</td>
                  <td>{actionsSummary(r)}</td>
                  {admin && (
                    <td>
                      {confirming === r.id ? (
                        <Confirm question={`Delete the rule ${r.keyword}?`} confirmLabel="Yes, delete it"
                          onConfirm={() => remove(r)} onCancel={() => setConfirming(null)} />
                      ) : (
                        <>
                          <button type="button" class="button button--ghost" onClick={() => { setMessage(null); setEditing(r); }}>
                            Edit<span class="visually-hidden"> {r.keyword}</span>
                          </button>{' '}
                          <button type="button" class="button button--ghost" onClick={() => setConfirming(r.id)}>
                            Delete<span class="visually-hidden"> {r.keyword}</span>
                          </button>
                        </>
                      )}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

function RuleForm({ rule, onCancel, onSaved }) {
  const [form, setForm] = useState(() => ruleToForm(rule));
  const [errors, setErrors] = useState([]);
  const [fieldErrors, setFieldErrors] = useState({});
  const set = (k, v) => setForm((f) => ({ ...f, [k]: v }));
  const setAction = (i, k, v) =>
    setForm((f) => ({ ...f, actions: f.actions.map((a, j) => (j === i ? (k === 'type' ? { type: v } : { ...a, [k]: v }) : a)) }));

  const submit = async (e) => {
    e.preventDefault();
    try {
      const body = formToBody(form);
      const saved = rule ? await api.patch(`/v1/keywords/${rule.id}`, body) : await api.post('/v1/keywords', body);
      await onSaved(saved);
    } catch (err) {
      const f = Object.entries(err.fieldErrors ?? {});
      setErrors(f.length ? f.map(([k, text]) => ({ field: fieldId(k), text })) : [{ text: err.detail }]);
      setFieldErrors(err.fieldErrors ?? {});
    }
  };
  const title = rule ? `Edit the rule ${rule.keyword}` : 'Add a rule';
  return (
    <section aria-labelledby="kw-form-title">
      <h2 id="kw-form-title">{title}</h2>
      <form class="form" onSubmit={submit} noValidate>
        <ErrorSummary errors={errors} />
        <Field id="kw-keyword" label="Keyword" hint="A word or words (JOIN), or a pattern (WIN*). Case does not matter."
          value={form.keyword} error={fieldErrors.keyword} onInput={(e) => set('keyword', e.currentTarget.value)} />
        <fieldset class="fieldset">
          <legend class="label">What must match</legend>
          {MATCHES.map((m) => (
            <div class="radio" key={m.value}>
              <input type="radio" id={`kw-match-${m.value}`} name="kw-match" value={m.value} checked={form.match === m.value}
                aria-describedby={`kw-match-${m.value}-hint`} onChange={() => set('match', m.value)} />
              <label for={`kw-match-${m.value}`}>{m.label}</label>
              <p class="hint radio__hint" id={`kw-match-${m.value}-hint`}>
                {m.hint}
              </p>
            </div>
          ))}
        </fieldset>
        <Field id="kw-to" label="Only on this number (optional)" hint="One of your numbers in international format; empty for any."
          value={form.to} error={fieldErrors.to} onInput={(e) => set('to', e.currentTarget.value)} />
        <Field id="kw-priority" label="Priority" hint="Higher is tried first (-1000 to 1000)." inputMode="numeric"
          value={form.priority} error={fieldErrors.priority} onInput={(e) => set('priority', e.currentTarget.value)} />
        <h3>Actions</h3>
        <p class="hint">Run in order. Texts may use merge fields such as {'{{first_name|there}}'} and {'{{rest}}'}.</p>
        {form.actions.map((a, i) => (
          <ActionEditor key={i} index={i} action={a} errors={fieldErrors} onChange={(k, v) => setAction(i, k, v)}
            onRemove={form.actions.length > 1 ? () => set('actions', form.actions.filter((_, j) => j !== i)) : null} />
        ))}
        {fieldErrors.actions && (
          <p class="field-error">
            <span class="visually-hidden">Error: </span>
            {fieldErrors.actions}
          </p>
        )}
        <button type="button" id="kw-add-action" class="button button--ghost"
          onClick={() => set('actions', [...form.actions, { type: 'reply' }])}>
          Add an action
        </button>
        <div class="form__buttons">
          <button type="submit" class="button">
            Save rule
          </button>{' '}
          <button type="button" class="button button--ghost" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </form>
    </section>
  );
}

function ActionEditor({ index, action, errors, onChange, onRemove }) {
  const spec = actionSpec(action.type);
  const typeId = `kw-action-${index}-type`;
  const typeError = errors[`actions[${index}].type`] ?? errors[`actions[${index}]`];
  return (
    <fieldset class="fieldset">
      <legend class="label">{`Action ${index + 1}`}</legend>
      <div class={typeError ? 'field field--error' : 'field'}>
        <label class="label" for={typeId}>
          {`Action ${index + 1} type`}
        </label>
        {typeError && (
          <p class="field-error" id={`${typeId}-error`}>
            <span class="visually-hidden">Error: </span>
            {typeError}
          </p>
        )}
        <select id={typeId} class="input" value={spec.type} onChange={(e) => onChange('type', e.currentTarget.value)}>
          {ACTIONS.map((t) => (
            <option key={t.type} value={t.type}>
              {t.label}
            </option>
          ))}
        </select>
      </div>
      {spec.fields.map((f) => (
        <Field key={f.name} id={`kw-action-${index}-${f.name}`} label={`Action ${index + 1}: ${f.label}`} hint={f.hint}
          value={action[f.name] ?? ''} error={errors[`actions[${index}].${f.name}`]}
          onInput={(e) => onChange(f.name, e.currentTarget.value)} />
      ))}
      {onRemove && (
        <button type="button" class="button button--ghost" onClick={onRemove}>
          {`Remove action ${index + 1}`}
        </button>
      )}
    </fieldset>
  );
}
