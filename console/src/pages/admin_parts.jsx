// Pieces shared by the admin pages (Users, API keys, Audit log): a labelled
// select beside Field, the summary entries of a form's ApiError, and the
// "not allowed" state a page shows to a role below its own.
import { PageTitle } from '../components.jsx';

export const ROLES = ['admin', 'sender', 'viewer'];

/** A labelled <select> with its error, as Field is for inputs. */
export function SelectField({ id, label, hint, error, options, ...select }) {
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
      {error && (
        <p class="field-error" id={`${id}-error`}>
          <span class="visually-hidden">Error: </span>
          {error}
        </p>
      )}
      <select class="input" id={id} name={id} aria-invalid={error ? 'true' : undefined}
        aria-describedby={described || undefined} {...select}>
        {options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </div>
  );
}

/** The error summary entries of an ApiError for a form whose API fields map
 * to input ids by `ids`; a problem naming no known field is one plain entry. */
export function formErrors(err, ids) {
  if (!err) return [];
  const f = Object.entries(err.fieldErrors).filter(([k]) => ids[k]);
  return f.length ? f.map(([k, text]) => ({ field: ids[k], text })) : [{ text: err.detail }];
}

/** What a signed-in user below a page's role sees at its address. */
export function NotAllowed({ page }) {
  return (
    <>
      <PageTitle>{page.label}</PageTitle>
      <div class="notice notice--error" role="alert">
        <p class="notice__title">You are not allowed to see this page.</p>
        <p>{`Only users with the ${page.role} role can open ${page.label}. Ask an admin if you need it.`}</p>
      </div>
    </>
  );
}
