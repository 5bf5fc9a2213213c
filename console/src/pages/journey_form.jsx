// The journey editor (/journeys/new, /journeys/<id>/edit): name, what starts
// it, and the steps as a structured editor (one fieldset per step, its fields
// by type; a reply step's answers as rows). The API checks everything (missing
// targets, unreachable steps, loops without a wait); its problem is shown in the
// summary and beside the field it names. Saving an edit makes a new version:
// contacts already on their way keep theirs.
import { useEffect, useState } from 'preact/hooks';

import { api } from '../api.js';
import { ErrorSummary, Field, LoadError, PageTitle } from '../components.jsx';
import { fieldId, formToBody, journeyToForm, STEP_TYPES, stepSpec, TRIGGERS, triggerSpec } from '../journeys_logic.js';
import { Link, navigate } from '../router.jsx';

export function JourneyForm({ id }) {
  const [journey, setJourney] = useState(id ? null : undefined);
  const [error, setError] = useState(null);
  useEffect(() => {
    if (id) api.get(`/v1/journeys/${encodeURIComponent(id)}`).then(setJourney, setError);
  }, [id]);
  if (error) return <LoadError error={error} />;
  if (journey === null) return <p class="loading">Loading…</p>;
  return <Editor journey={journey} />;
}

function Editor({ journey }) {
  const [form, setForm] = useState(() => journeyToForm(journey));
  const [errors, setErrors] = useState([]);
  const [fieldErrors, setFieldErrors] = useState({});
  const set = (k, v) => setForm((f) => ({ ...f, [k]: v }));
  const setStep = (i, k, v) =>
    setForm((f) => ({
      ...f,
      steps: f.steps.map((s, j) => (j !== i ? s : k === 'type' ? { id: s.id, type: v, branches: [] } : { ...s, [k]: v })),
    }));
  const stepIdsErrors = {};
  for (const [k, text] of Object.entries(fieldErrors)) stepIdsErrors[fieldId(k)] = text;

  const submit = async (e) => {
    e.preventDefault();
    try {
      const body = formToBody(form);
      const saved = journey
        ? await api.patch(`/v1/journeys/${encodeURIComponent(journey.id)}`, body)
        : await api.post('/v1/journeys', body);
      navigate(`/journeys/${encodeURIComponent(saved.id)}`);
    } catch (err) {
      const f = Object.entries(err.fieldErrors ?? {});
      setErrors(f.length ? f.map(([k, text]) => ({ field: fieldId(k), text })) : [{ text: err.detail }]);
      setFieldErrors(err.fieldErrors ?? {});
    }
  };
  const trig = triggerSpec(form.trigger);
  const title = journey ? `Edit ${journey.name}` : 'New journey';
  return (
    <>
      <PageTitle>{title}</PageTitle>
      {journey && (
        <p class="hint">Saving makes version {journey.version + 1}: contacts already on their way finish version {journey.version}.</p>
      )}
      <form class="form" onSubmit={submit} noValidate>
        <ErrorSummary errors={errors} />
        <Field id="jy-name" label="Name" value={form.name} error={stepIdsErrors['jy-name']}
          onInput={(e) => set('name', e.currentTarget.value)} />
        <fieldset class="fieldset">
          <legend class="label">Who starts it</legend>
          {TRIGGERS.map((t) => (
            <div class="radio" key={t.type}>
              <input type="radio" id={`jy-trigger-${t.type}`} name="jy-trigger" value={t.type} checked={form.trigger === t.type}
                onChange={() => set('trigger', t.type)} />
              <label for={`jy-trigger-${t.type}`}>{t.label}</label>
            </div>
          ))}
        </fieldset>
        {trig.field && (
          <Field id="jy-trigger-value" label={trig.field.label} hint={trig.field.hint} value={form.triggerValue}
            error={stepIdsErrors['jy-trigger-value']} onInput={(e) => set('triggerValue', e.currentTarget.value)} />
        )}
        <div class="field">
          <label class="label" for="jy-reentry">
            Can a contact go through it again?
          </label>
          <select id="jy-reentry" class="input" value={form.reentry} onChange={(e) => set('reentry', e.currentTarget.value)}>
            <option value="never">No, once only</option>
            <option value="after_exit">Yes, after they finished it</option>
          </select>
        </div>
        <Field id="jy-quiet_hours" label="Quiet hours (optional)" hint="No text is sent in this window of the contact’s local time, e.g. 21:00-08:00."
          value={form.quiet_hours} error={stepIdsErrors['jy-quiet_hours']} onInput={(e) => set('quiet_hours', e.currentTarget.value)} />
        <h2>Steps</h2>
        <p class="hint">Every contact starts at the first step and goes down the list unless a step says where to go next.</p>
        {form.steps.map((s, i) => (
          <StepEditor key={i} index={i} step={s} errors={stepIdsErrors} onChange={(k, v) => setStep(i, k, v)}
            onRemove={form.steps.length > 1 ? () => set('steps', form.steps.filter((_, j) => j !== i)) : null} />
        ))}
        <button type="button" id="jy-add-step" class="button button--ghost"
          onClick={() => set('steps', [...form.steps, { id: `step${form.steps.length + 1}`, type: 'send', branches: [] }])}>
          Add a step
        </button>
        <div class="form__buttons">
          <button type="submit" class="button">
            Save journey
          </button>{' '}
          <Link to={journey ? `/journeys/${encodeURIComponent(journey.id)}` : '/journeys'} class="button button--ghost">
            Cancel
          </Link>
        </div>
      </form>
    </>
  );
}

function StepEditor({ index, step, errors, onChange, onRemove }) {
  const spec = stepSpec(step.type);
  const n = index + 1;
  const pre = `jy-step-${index}`;
  const setBranch = (b, k, v) => onChange('branches', step.branches.map((x, j) => (j === b ? { ...x, [k]: v } : x)));
  // A problem the API names by a field this step's editor has no input for.
  const shown = new Set([`${pre}-id`, `${pre}-type`, ...spec.fields.map((f) => `${pre}-${f.name}`)]);
  if (spec.branches) step.branches.forEach((_, j) => shown.add(`${pre}-branch-${j}-match`).add(`${pre}-branch-${j}-next`));
  const other = Object.entries(errors).filter(([k]) => k.startsWith(`${pre}-`) && !shown.has(k));
  return (
    <fieldset class="fieldset" id={other.length ? other[0][0] : undefined} tabIndex={other.length ? -1 : undefined}>
      <legend class="label">{`Step ${n}`}</legend>
      {other.map(([k, text]) => (
        <p class="field-error" key={k}>
          <span class="visually-hidden">Error: </span>
          {text}
        </p>
      ))}
      <Field id={`${pre}-id`} label={`Step ${n} id`} hint="A short name other steps use to come here, e.g. ask."
        value={step.id} error={errors[`${pre}-id`]} onInput={(e) => onChange('id', e.currentTarget.value)} />
      <div class={errors[`${pre}-type`] ? 'field field--error' : 'field'}>
        <label class="label" for={`${pre}-type`}>
          {`Step ${n}: what happens`}
        </label>
        {errors[`${pre}-type`] && (
          <p class="field-error" id={`${pre}-type-error`}>
            <span class="visually-hidden">Error: </span>
            {errors[`${pre}-type`]}
          </p>
        )}
        <select id={`${pre}-type`} class="input" value={spec.type} onChange={(e) => onChange('type', e.currentTarget.value)}>
          {STEP_TYPES.map((t) => (
            <option key={t.type} value={t.type}>
              {t.label}
            </option>
          ))}
        </select>
      </div>
      {spec.branches && (
        <fieldset class="fieldset">
          <legend class="label">{`Step ${n}: answers and where they go`}</legend>
          <p class="hint">A pattern: * is any text, ? one character. YES* matches “Yes please”.</p>
          {step.branches.map((b, j) => (
            <div key={j}>
              <Field id={`${pre}-branch-${j}-match`} label={`Answer ${j + 1}`} value={b.match}
                error={errors[`${pre}-branch-${j}-match`]} onInput={(e) => setBranch(j, 'match', e.currentTarget.value)} />
              <Field id={`${pre}-branch-${j}-next`} label={`Answer ${j + 1} goes to step`} value={b.next}
                error={errors[`${pre}-branch-${j}-next`]} onInput={(e) => setBranch(j, 'next', e.currentTarget.value)} />
            </div>
          ))}
          <button type="button" class="button button--ghost"
            onClick={() => onChange('branches', [...step.branches, { match: '', next: '' }])}>
            {`Add an answer to step ${n}`}
          </button>
        </fieldset>
      )}
      {spec.fields.map((f) => (
        <Field key={f.name} id={`${pre}-${f.name}`} label={`Step ${n}: ${f.label}`} hint={f.hint}
          inputMode={f.numeric ? 'numeric' : undefined} value={step[f.name] ?? ''} error={errors[`${pre}-${f.name}`]}
          onInput={(e) => onChange(f.name, e.currentTarget.value)} />
      ))}
      {onRemove && (
        <button type="button" class="button button--ghost" onClick={onRemove}>
          {`Remove step ${n}`}
        </button>
      )}
    </fieldset>
  );
}
