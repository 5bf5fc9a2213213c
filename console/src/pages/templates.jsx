// Templates: message texts with merge fields (GET /v1/templates), and the
// editor at /templates/new and /templates/<id>: the merge fields a body can use
// (inserted at the caret on click, template_fields.js), a live preview of the
// text as sent (POST /v1/templates/preview, debounced; for a contact when one is
// given) with characters, segments and encoding and the characters forcing
// UCS-2 marked (sms_text.js); save (POST / PATCH, sender), delete (admin).
import { useEffect, useRef, useState } from 'preact/hooks';

import { api } from '../api.js';
import { ErrorSummary, Field, PageTitle } from '../components.jsx';
import { can } from '../contacts_logic.js';
import { formatDateTime } from '../format.js';
import { Link, navigate } from '../router.jsx';
import { describeChar, markUcs2 } from '../sms_text.js';
import { insertAt, mergeFields } from '../template_fields.js';
import { formErrors } from './admin_parts.jsx';
import { ItemLoading, NamedList } from './audience_parts.jsx';
import { Confirm } from './contact_parts.jsx';

const seg = (id) => encodeURIComponent(id);
const PREVIEW_DELAY_MS = 300;

export function Templates({ session, path }) {
  const id = path && path.startsWith('/templates/') ? decodeURIComponent(path.slice('/templates/'.length)) : null;
  if (id) return <TemplateEditor key={id} id={id === 'new' ? null : id} session={session} />;
  return <TemplateList session={session} />;
}

/** The first line of a body, cut to n characters. */
const firstLine = (s, n = 60) => {
  const line = String(s ?? '').split(/\r?\n/)[0];
  return line.length > n || line !== s ? `${[...line].slice(0, n).join('')}…` : line;
};

function TemplateList({ session }) {
  return (
    <NamedList session={session} title="Templates" noun="template" path="/v1/templates"
      lead="Message texts with fields such as a first name, filled in for each contact of a broadcast."
      top={(
        <p class="row-actions">
          <Link to="/templates/new" class="button">
            New template
          </Link>
        </p>
      )}
      link={(r) => `/templates/${r.id}`} searchIn={['name', 'body']}
      columns={[
        { label: 'Text', class: 'cell-text', cell: (r) => firstLine(r.body) },
        { label: 'Changed', cell: (r) => formatDateTime(r.updated_at) },
      ]}
      empty="No templates yet. Use “New template” to write a message with fields like {{first_name}}."
      deleteQuestion={(r) => `Delete the template ${r.name}? Broadcasts already made keep their text.`} />
  );
}

/** The live preview of body (for contact, when given): {report, error},
 * asked again PREVIEW_DELAY_MS after the last change; stale answers dropped. */
function usePreview(body, contact, enabled) {
  const [state, setState] = useState({ report: null, error: null });
  const seq = useRef(0);
  useEffect(() => {
    if (!enabled) return undefined;
    const mine = ++seq.current;
    if (!body) {
      setState({ report: null, error: null });
      return undefined;
    }
    const t = setTimeout(async () => {
      try {
        const req = { body, ...(contact.trim() ? { contact_id: contact.trim() } : {}) };
        const report = await api.post('/v1/templates/preview', req);
        if (mine === seq.current) setState({ report, error: null });
      } catch (e) {
        if (mine === seq.current) setState({ report: null, error: e });
      }
    }, PREVIEW_DELAY_MS);
    return () => clearTimeout(t);
  }, [body, contact, enabled]);
  return state;
}

function TemplateEditor({ id, session }) {
  const [loaded, setLoaded] = useState(id ? null : { name: '', body: '' });
  const [loadError, setLoadError] = useState(null);
  const [name, setName] = useState('');
  const [body, setBody] = useState('');
  const [extId, setExtId] = useState('');
  const [contact, setContact] = useState('');
  const [fields, setFields] = useState(mergeFields());
  const [saveError, setSaveError] = useState(null);
  const [notice, setNotice] = useState(null);
  const [deleting, setDeleting] = useState(false);
  const box = useRef(null);
  const caret = useRef(null); // [start, end] of the body's last selection
  const writer = can(session, 'sender');

  const start = (t) => {
    setLoaded(t);
    setName(t.name);
    setBody(t.body);
    setExtId(t.external_template_id ?? '');
  };
  useEffect(() => {
    if (id) api.get(`/v1/templates/${seg(id)}`).then(start, setLoadError);
    api.get('/v1/contacts?limit=100').then((r) => setFields(mergeFields(r.data)), () => {});
  }, []);

  const preview = usePreview(body, contact, loaded !== null);
  // A save's complaint about the body is old news once the body changes.
  useEffect(() => {
    if (saveError?.fieldErrors.body) setSaveError(null);
  }, [body]);
  const remember = (e) => {
    caret.current = [e.currentTarget.selectionStart, e.currentTarget.selectionEnd];
  };
  const insert = (token) => {
    const [a, b] = caret.current ?? [undefined, undefined];
    const r = insertAt(body, a, b, token);
    setBody(r.body);
    caret.current = [r.caret, r.caret];
    // back to the box, the caret after the field, once the new text is in
    requestAnimationFrame(() => {
      if (!box.current) return;
      box.current.focus();
      box.current.setSelectionRange(r.caret, r.caret);
    });
  };

  const save = async (e) => {
    e.preventDefault();
    try {
      const req = { name: name.trim(), body, external_template_id: extId.trim() || null };
      if (!id && !req.external_template_id) delete req.external_template_id;
      const t = id ? await api.patch(`/v1/templates/${seg(id)}`, req) : await api.post('/v1/templates', req);
      setSaveError(null);
      if (!id) navigate(`/templates/${t.id}`);
      else {
        start(t);
        setNotice('Saved.');
      }
    } catch (x) {
      setSaveError(x);
      setNotice(null);
    }
  };
  const del = async () => {
    try {
      await api.del(`/v1/templates/${seg(id)}`);
      navigate('/templates');
    } catch (x) {
      setDeleting(false);
      setSaveError(x);
    }
  };

  const title = id ? (loaded ? `Template ${loaded.name}` : 'Template') : 'New template';
  if (!loaded) return <ItemLoading title={title} error={loadError} back="/templates" backLabel="All templates" />;
  const summary = formErrors(saveError, {
    name: 'template-name', body: 'template-body', external_template_id: 'template-ext-id',
  });
  // A body error from the preview (syntax, unknown field) shows beside the box
  // before saving, as saving would.
  const pe = preview.error;
  const bodyError = saveError?.fieldErrors.body ?? (pe && pe.status === 400 ? pe.fieldErrors.body : null);
  return (
    <>
      <PageTitle>{title}</PageTitle>
      <p>
        <Link to="/templates">All templates</Link>
      </p>
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      {!writer && <p class="notice">You can look at this template and preview it; a sender or an admin can change it.</p>}
      <div class="editor">
        <form class="form form--wide editor__main" onSubmit={save} noValidate>
          <ErrorSummary errors={summary} />
          <Field id="template-name" label="Template name" value={name} error={saveError?.fieldErrors.name} readOnly={!writer}
            onInput={(e) => setName(e.currentTarget.value)} />
          <div class={bodyError ? 'field field--error' : 'field'}>
            <label class="label" for="template-body">
              Message
            </label>
            <p class="hint" id="template-body-hint">
              {'Fields are written {{first_name}}; a default after a bar is used when a contact has no value: {{first_name|there}}.'}
            </p>
            {bodyError && (
              <p class="field-error" id="template-body-error">
                <span class="visually-hidden">Error: </span>
                {bodyError}
              </p>
            )}
            <textarea id="template-body" class="input textarea" rows={6} value={body} ref={box} readOnly={!writer}
              aria-invalid={bodyError ? 'true' : undefined}
              aria-describedby={`template-body-hint${bodyError ? ' template-body-error' : ''}`}
              onInput={(e) => { setBody(e.currentTarget.value); remember(e); }}
              onSelect={remember} onKeyUp={remember} onClick={remember} />
          </div>
          {writer && (
            <fieldset class="fieldset">
              <legend class="label">Merge fields</legend>
              <p class="hint">Click one to insert it where the cursor is in the message.</p>
              <ul class="merge-fields">
                {fields.map((f) => (
                  <li key={f.name}>
                    <button type="button" class="button button--plain" onClick={() => insert(f.token)}>
                      <span class="visually-hidden">Insert </span>
                      {f.token}
                    </button>
                  </li>
                ))}
              </ul>
              {fields.length === 3 && <p class="hint">Custom attributes appear here once contacts have them.</p>}
            </fieldset>
          )}
          <Field id="template-ext-id" label="Registered template ID (optional)" value={extId} readOnly={!writer}
            hint="Only where a regulator registers message templates (e.g. India's DLT)." error={saveError?.fieldErrors.external_template_id}
            onInput={(e) => setExtId(e.currentTarget.value)} />
          {writer && (
            <button type="submit" class="button">
              {id ? 'Save template' : 'Create template'}
            </button>
          )}
        </form>
        <section class="editor__side" aria-labelledby="preview-title">
          <h2 id="preview-title">Preview</h2>
          <Field id="preview-contact" label="Preview for contact (optional)" value={contact} error={pe?.status === 404 ? pe.detail : null}
            hint="A phone number or contact id. Without one, fields show as [first_name]." onInput={(e) => setContact(e.currentTarget.value)} />
          <Preview preview={preview} body={body} />
        </section>
      </div>
      {id && can(session, 'admin') && (
        deleting ? (
          <Confirm question={`Delete the template ${loaded.name}? Broadcasts already made keep their text.`}
            confirmLabel="Yes, delete this template" onConfirm={del} onCancel={() => setDeleting(false)} />
        ) : (
          <p>
            <button type="button" class="button button--ghost" onClick={() => setDeleting(true)}>
              Delete template
            </button>
          </p>
        )
      )}
    </>
  );
}

function Preview({ preview, body }) {
  const { report, error } = preview;
  if (!body) return <p class="empty">Write a message to see it as it will be sent.</p>;
  if (error && error.status !== 404) {
    return (
      <div class="notice notice--error" role="status">
        <p>{error.status === 422 ? `For this contact: ${error.detail}` : error.detail}</p>
      </div>
    );
  }
  if (!report) return <p class="loading">Previewing…</p>;
  const segWord = report.segments === 1 ? 'segment' : 'segments';
  const ucs2 = [...new Set((report.ucs2_characters ?? []).map((u) => u.char))];
  return (
    <div class="counter">
      <p class="counter__preview" data-testid="preview-text" aria-label="The message as sent, UCS-2 characters marked">
        {markUcs2(report.text).map((r, i) => (r.ucs2 ? <mark key={i} title="forces UCS-2">{r.text}</mark> : r.text))}
      </p>
      <p id="preview-counter" class="counter__line" role="status" aria-live="polite">
        <span data-testid="chars">{report.characters}</span> characters ·{' '}
        <span data-testid="segments">{report.segments}</span> {segWord} ·{' '}
        <span data-testid="encoding">{report.encoding}</span>
        {report.too_long && ' · too long: at most 1600 characters'}
      </p>
      {ucs2.length > 0 && (
        <p class="counter__why">
          UCS-2 because of: {ucs2.map(describeChar).join(', ')}
          {report.gsm7_segments != null && ` (with look-alikes instead: ${report.gsm7_segments} ${report.gsm7_segments === 1 ? 'segment' : 'segments'})`}
        </p>
      )}
    </div>
  );
}
