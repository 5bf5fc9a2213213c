// Pieces the Contacts, contact and Opt-outs pages share: the attribute rows
// editor, an inline confirmation (a real panel with two buttons, not
// window.confirm: keyboard and screen-reader friendly), the contact form.
import { useEffect, useRef, useState } from 'preact/hooks';

import { ErrorSummary, Field } from '../components.jsx';
import { attributesToRows, rowsToAttributes } from '../contacts_logic.js';

/** Key/value rows; each input labelled ("Attribute name 2", "Value 2"). */
export function AttributeRows({ rows, onChange, idPrefix }) {
  const set = (i, part, value) => onChange(rows.map((r, j) => (j === i ? { ...r, [part]: value } : r)));
  return (
    <fieldset class="fieldset">
      <legend class="label">Attributes</legend>
      <p class="hint">Extra fields of the contact, e.g. city or member number. Leave a row empty to drop it.</p>
      {rows.map((r, i) => (
        <div class="attr-row" key={i}>
          <div>
            <label class="label label--small" for={`${idPrefix}-key-${i}`}>
              Attribute name {i + 1}
            </label>
            <input class="input" id={`${idPrefix}-key-${i}`} value={r.key}
              onInput={(e) => set(i, 'key', e.currentTarget.value)} />
          </div>
          <div>
            <label class="label label--small" for={`${idPrefix}-value-${i}`}>
              Value {i + 1}
            </label>
            <input class="input" id={`${idPrefix}-value-${i}`} value={r.value}
              onInput={(e) => set(i, 'value', e.currentTarget.value)} />
          </div>
          <button type="button" class="button button--ghost attr-row__remove"
            onClick={() => onChange(rows.filter((_, j) => j !== i))}>
            Remove<span class="visually-hidden"> attribute {i + 1}</span>
          </button>
        </div>
      ))}
      <button type="button" class="button button--ghost" onClick={() => onChange([...rows, { key: '', value: '' }])}>
        Add attribute
      </button>
    </fieldset>
  );
}

/** "Are you sure" panel: the question, a confirm button (danger) and Cancel.
 * The confirm button takes focus when the panel appears. */
export function Confirm({ question, confirmLabel, onConfirm, onCancel, busy }) {
  const ref = useRef(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <div class="confirm" role="alertdialog" aria-label={confirmLabel}>
      <p class="confirm__question">{question}</p>
      <button type="button" class="button button--danger" ref={ref} disabled={busy} onClick={onConfirm}>
        {confirmLabel}
      </button>{' '}
      <button type="button" class="button button--ghost" onClick={onCancel}>
        Cancel
      </button>
    </div>
  );
}

/** The field ids of the contact form, by API field. */
const FIELD_IDS = { first_name: 'contact-first-name', last_name: 'contact-last-name', phone: 'contact-phone',
  attributes: 'contact-key-0' };

/** The summary entries of an ApiError for this form. */
function errorsOf(err) {
  if (!err) return [];
  const fields = Object.entries(err.fieldErrors);
  if (!fields.length) return [{ text: err.detail }];
  return fields.map(([f, text]) => ({ field: FIELD_IDS[f], text }));
}

/**
 * Create or edit a contact: First name, Last name, Phone, attributes.
 * save(body) does the request and resolves, or throws the ApiError shown here.
 */
export function ContactForm({ contact, submitLabel, save, onCancel }) {
  const [first, setFirst] = useState(contact?.first_name ?? '');
  const [last, setLast] = useState(contact?.last_name ?? '');
  const [phone, setPhone] = useState(contact?.phone ?? '');
  const [rows, setRows] = useState(() => attributesToRows(contact?.attributes));
  const [errors, setErrors] = useState([]);
  const [fieldErrors, setFieldErrors] = useState({});
  const [busy, setBusy] = useState(false);

  const submit = async (e) => {
    e.preventDefault();
    const { attributes, errors: rowErrors } = rowsToAttributes(rows);
    if (rowErrors.length) {
      setErrors(rowErrors.map((r) => ({ field: `contact-key-${r.row}`, text: r.text })));
      setFieldErrors({});
      return;
    }
    setBusy(true);
    try {
      await save({ first_name: first.trim(), last_name: last.trim(), phone: phone.trim(), attributes });
      setErrors([]);
      setFieldErrors({});
    } catch (err) {
      setErrors(errorsOf(err));
      setFieldErrors(err.fieldErrors ?? {});
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="form" onSubmit={submit} noValidate>
      <ErrorSummary errors={errors} />
      <Field id="contact-first-name" label="First name" value={first} error={fieldErrors.first_name}
        autocomplete="off" onInput={(e) => setFirst(e.currentTarget.value)} />
      <Field id="contact-last-name" label="Last name" value={last} error={fieldErrors.last_name}
        autocomplete="off" onInput={(e) => setLast(e.currentTarget.value)} />
      <Field id="contact-phone" label="Phone" type="tel" value={phone} error={fieldErrors.phone}
        hint="In international format, e.g. +447400123456." autocomplete="off"
        onInput={(e) => setPhone(e.currentTarget.value)} />
      <AttributeRows rows={rows} onChange={setRows} idPrefix="contact" />
      <p class="row-actions">
        <button type="submit" class="button" disabled={busy}>
          {submitLabel}
        </button>{' '}
        {onCancel && (
          <button type="button" class="button button--ghost" onClick={onCancel}>
            Cancel
          </button>
        )}
      </p>
    </form>
  );
}
