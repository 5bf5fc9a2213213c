// Small shared pieces: the error summary (GOV.UK pattern: at the top of a form,
// focused when it appears, each item linking to its field), a field with its
// label, hint and error, and the page heading that takes focus on navigation.
import { useEffect, useRef } from 'preact/hooks';

/** Errors: [{field?: id of the input, text}]. Renders nothing when empty. */
export function ErrorSummary({ title = 'There is a problem', errors }) {
  const ref = useRef(null);
  useEffect(() => {
    if (errors.length && ref.current) ref.current.focus();
  }, [errors]);
  if (!errors.length) return null;
  return (
    <div class="error-summary" role="alert" tabIndex={-1} ref={ref} aria-labelledby="error-summary-title">
      <h2 id="error-summary-title" class="error-summary__title">
        {title}
      </h2>
      <ul class="error-summary__list">
        {errors.map((e, i) => (
          <li key={i}>{e.field ? <a href={`#${e.field}`}>{e.text}</a> : e.text}</li>
        ))}
      </ul>
    </div>
  );
}

/** A labelled input. error (text) is shown under the label and linked with
 * aria-describedby, as is the hint. */
export function Field({ id, label, hint, error, ...input }) {
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
      <input
        class="input"
        id={id}
        name={id}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={described || undefined}
        {...input}
      />
    </div>
  );
}

/** The page's h1; focused after a client-side navigation so that screen
 * readers and keyboard users start at the new page. */
export function PageTitle({ children }) {
  const ref = useRef(null);
  useEffect(() => {
    document.title = `${typeof children === 'string' ? children : 'Console'} – smsgate`;
    if (ref.current && document.activeElement !== document.body) ref.current.focus();
  }, [children]);
  return (
    <h1 class="page-title" tabIndex={-1} ref={ref}>
      {children}
    </h1>
  );
}

/** A failed load: the problem's title and detail, as text. */
export function LoadError({ error }) {
  return (
    <div class="notice notice--error" role="alert">
      <p class="notice__title">{error.title}</p>
      <p>{error.detail}</p>
    </div>
  );
}

/**
 * A list's search box (Contacts, Opt-outs): label, hint, the API's complaint
 * about the text beside the field, Search and (when a search is on) Clear.
 * onSearch(text) gets the trimmed text; "" clears.
 */
export function SearchBox({ id, label, hint, value, applied, error, onInput, onSearch }) {
  const described = [`${id}-hint`, error ? `${id}-error` : null].filter(Boolean).join(' ');
  return (
    <form class="search" role="search" onSubmit={(e) => { e.preventDefault(); onSearch(value.trim()); }}>
      <div class={error ? 'field field--error' : 'field'}>
        <label class="label" for={id}>
          {label}
        </label>
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
        {error && (
          <p class="field-error" id={`${id}-error`}>
            <span class="visually-hidden">Error: </span>
            {error}
          </p>
        )}
        <input id={id} class="input" type="search" aria-describedby={described} aria-invalid={error ? 'true' : undefined}
          value={value} onInput={(e) => onInput(e.currentTarget.value)} />
      </div>
      <button type="submit" class="button button--ghost search__button">
        Search
      </button>
      {applied && (
        <button type="button" class="button button--ghost search__button" onClick={() => onSearch('')}>
          Clear search
        </button>
      )}
    </form>
  );
}
