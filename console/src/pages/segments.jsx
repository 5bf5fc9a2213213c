// Segments: saved filters over contacts (GET /v1/segments), and the editor at
// /segments/new and /segments/<id>: the filter as rows (attribute / operator /
// value, segment_rows.js) or as text (docs/segments.md), a live count of the
// contacts it matches while editing (POST /v1/segments/count, debounced), the
// API's errors beside the row or box at fault; save (POST / PATCH, sender),
// delete after confirmation (DELETE, admin).
import { useEffect, useRef, useState } from 'preact/hooks';

import { api } from '../api.js';
import { ErrorSummary, Field, PageTitle } from '../components.jsx';
import { can } from '../contacts_logic.js';
import { formatCount, formatDateTime } from '../format.js';
import { Link, navigate } from '../router.jsx';
import {
  FIELDS, OPERATORS, errorOffset, fieldOf, filterToRows, newRow, rowAt, rowsToFilter, valueHint,
} from '../segment_rows.js';
import { formErrors } from './admin_parts.jsx';
import { ItemLoading, NamedList } from './audience_parts.jsx';
import { Confirm } from './contact_parts.jsx';

const seg = (id) => encodeURIComponent(id);
const COUNT_DELAY_MS = 300;

export function Segments({ session, path }) {
  const id = path && path.startsWith('/segments/') ? decodeURIComponent(path.slice('/segments/'.length)) : null;
  if (id) return <SegmentEditor key={id} id={id === 'new' ? null : id} session={session} />;
  return <SegmentList session={session} />;
}

function SegmentList({ session }) {
  return (
    <NamedList session={session} title="Segments" noun="segment" path="/v1/segments"
      lead="Saved filters: who they match is worked out each time a broadcast uses them."
      top={(
        <p class="row-actions">
          <Link to="/segments/new" class="button">
            New segment
          </Link>
        </p>
      )}
      link={(r) => `/segments/${r.id}`} searchIn={['name', 'filter']}
      columns={[
        { label: 'Filter', cell: (r) => <code class="filter-text">{r.filter || 'every contact'}</code> },
        { label: 'Changed', cell: (r) => formatDateTime(r.updated_at) },
      ]}
      empty="No segments yet. Use “New segment” to pick contacts by their fields, groups or activity."
      deleteQuestion={(r) => `Delete the segment ${r.name}? The contacts stay.`} />
  );
}

/** The live count of a filter: {count, error} for the text, asked again
 * COUNT_DELAY_MS after the last change; answers to older texts are dropped. */
function useLiveCount(text, enabled) {
  const [state, setState] = useState({ count: null, error: null, busy: false });
  const seq = useRef(0);
  useEffect(() => {
    if (!enabled) return undefined;
    const mine = ++seq.current;
    setState((s) => ({ ...s, busy: true }));
    const t = setTimeout(async () => {
      try {
        const count = await api.post('/v1/segments/count', { filter: text });
        if (mine === seq.current) setState({ count, error: null, busy: false });
      } catch (e) {
        if (mine === seq.current) setState({ count: null, error: e, busy: false });
      }
    }, COUNT_DELAY_MS);
    return () => clearTimeout(t);
  }, [text, enabled]);
  return state;
}

function SegmentEditor({ id, session }) {
  const [loaded, setLoaded] = useState(id ? null : { name: '', filter: '' });
  const [loadError, setLoadError] = useState(null);
  const [name, setName] = useState('');
  const [mode, setMode] = useState('rows'); // 'rows' | 'text'
  const [join, setJoin] = useState('and');
  const [rows, setRows] = useState([]);
  const [text, setText] = useState('');
  const [saveError, setSaveError] = useState(null);
  const [notice, setNotice] = useState(null);
  const [deleting, setDeleting] = useState(false);
  const writer = can(session, 'sender');

  const start = (s) => {
    setLoaded(s);
    setName(s.name);
    const r = filterToRows(s.filter);
    if (r) {
      setMode('rows');
      setJoin(r.join);
      setRows(r.rows);
    } else {
      setMode('text');
    }
    setText(s.filter);
  };
  useEffect(() => {
    if (id) api.get(`/v1/segments/${seg(id)}`).then(start, setLoadError);
    else start({ name: '', filter: '' });
  }, []);

  const built = rowsToFilter(rows, join);
  const filter = mode === 'rows' ? built.text : text;
  const live = useLiveCount(filter, loaded !== null);
  // A save's complaint about the filter is old news once the filter changes.
  useEffect(() => {
    if (saveError?.fieldErrors.filter) setSaveError(null);
  }, [filter]);

  // The filter's error (from the count, or from saving) beside its row, or
  // beside the text box.
  const filterError = saveError?.fieldErrors.filter ?? live.error?.fieldErrors.filter ?? null;
  const errorRow = filterError && mode === 'rows' ? rowAt(built.spans, errorOffset(filterError, built.text)) : null;

  const toText = () => {
    setText(built.text);
    setMode('text');
    setNotice(null);
  };
  const toRows = () => {
    const r = filterToRows(text);
    if (!r) {
      setNotice('This filter uses more than rows can show (brackets, “and” mixed with “or”, “not” before a comparison). Keep editing it as text.');
      return;
    }
    setJoin(r.join);
    setRows(r.rows);
    setMode('rows');
    setNotice(null);
  };

  const save = async (e) => {
    e.preventDefault();
    try {
      const body = { name: name.trim(), filter };
      const s = id ? await api.patch(`/v1/segments/${seg(id)}`, body) : await api.post('/v1/segments', body);
      setSaveError(null);
      if (!id) navigate(`/segments/${s.id}`);
      else {
        start(s);
        setNotice(`Saved. The filter is stored as: ${s.filter || 'every contact'}`);
      }
    } catch (x) {
      setSaveError(x);
    }
  };
  const del = async () => {
    try {
      await api.del(`/v1/segments/${seg(id)}`);
      navigate('/segments');
    } catch (x) {
      setDeleting(false);
      setSaveError(x);
    }
  };

  const title = id ? (loaded ? `Segment ${loaded.name}` : 'Segment') : 'New segment';
  if (!loaded) return <ItemLoading title={title} error={loadError} back="/segments" backLabel="All segments" />;
  const summary = formErrors(saveError, {
    name: 'segment-name', filter: mode === 'rows' ? `rule-field-${errorRow ?? 0}` : 'segment-filter',
  });
  return (
    <>
      <PageTitle>{title}</PageTitle>
      <p>
        <Link to="/segments">All segments</Link>
      </p>
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      {!writer && <p class="notice">You can look at this segment and its count; a sender or an admin can change it.</p>}
      <form class="form form--wide" onSubmit={save} noValidate>
        <ErrorSummary errors={summary} />
        <Field id="segment-name" label="Segment name" value={name} error={saveError?.fieldErrors.name} readOnly={!writer}
          onInput={(e) => setName(e.currentTarget.value)} />
        {mode === 'rows' ? (
          <RuleRows rows={rows} join={join} setRows={setRows} setJoin={setJoin} errorRow={errorRow} error={filterError}
            readOnly={!writer} />
        ) : (
          <div class={filterError ? 'field field--error' : 'field'}>
            <label class="label" for="segment-filter">
              Filter
            </label>
            <p class="hint" id="segment-filter-hint">
              In the filter language, e.g. mobile and attributes.city = "Leeds". Empty: every contact.
            </p>
            {filterError && (
              <p class="field-error" id="segment-filter-error">
                <span class="visually-hidden">Error: </span>
                {filterError}
              </p>
            )}
            <textarea id="segment-filter" class="input textarea" rows={4} value={text} readOnly={!writer}
              aria-invalid={filterError ? 'true' : undefined}
              aria-describedby={`segment-filter-hint${filterError ? ' segment-filter-error' : ''}`}
              onInput={(e) => setText(e.currentTarget.value)} />
          </div>
        )}
        <p class="row-actions">
          {mode === 'rows' ? (
            <button type="button" class="button button--ghost" onClick={toText}>
              Edit as text
            </button>
          ) : (
            <button type="button" class="button button--ghost" onClick={toRows}>
              Edit as rows
            </button>
          )}
        </p>
        {mode === 'rows' && (
          <p class="hint">
            As text: <code class="filter-text" data-testid="filter-text">{built.text || '(every contact)'}</code>
          </p>
        )}
        <LiveCount live={live} />
        {writer && (
          <button type="submit" class="button">
            {id ? 'Save segment' : 'Create segment'}
          </button>
        )}
      </form>
      {id && can(session, 'admin') && (
        deleting ? (
          <Confirm question={`Delete the segment ${loaded.name}? The contacts stay.`} confirmLabel="Yes, delete this segment"
            onConfirm={del} onCancel={() => setDeleting(false)} />
        ) : (
          <p>
            <button type="button" class="button button--ghost" onClick={() => setDeleting(true)}>
              Delete segment
            </button>
          </p>
        )
      )}
    </>
  );
}

function LiveCount({ live }) {
  const c = live.count;
  return (
    <div class="live-count" role="status" aria-live="polite">
      {live.error && !live.error.fieldErrors.filter && <p>{live.error.detail}</p>}
      {live.error && live.error.fieldErrors.filter && <p>Fix the filter to see who it matches.</p>}
      {!live.error && c && (
        <p>
          <strong data-testid="matched">{formatCount(c.matched)}</strong> {c.matched === 1 ? 'contact matches' : 'contacts match'} now
          {' · '}
          <span data-testid="eligible">{formatCount(c.eligible)}</span> would receive a broadcast
          {c.skipped.opted_out + c.skipped.not_mobile > 0 &&
            ` (${formatCount(c.skipped.opted_out)} opted out, ${formatCount(c.skipped.not_mobile)} not mobile)`}
          {live.busy && ' · counting…'}
        </p>
      )}
      {!live.error && !c && <p>Counting…</p>}
    </div>
  );
}

/** The rows editor: "Contacts matching all / any of these", then per row an
 * attribute, an operator and a value, each labelled with its row number. */
function RuleRows({ rows, join, setRows, setJoin, errorRow, error, readOnly }) {
  const set = (i, patch) => setRows(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const setField = (i, id) => {
    const kind = fieldOf(id).kind;
    const keepOp = fieldOf(rows[i].field).kind === kind;
    set(i, { field: id, op: keepOp ? rows[i].op : OPERATORS[kind][0].id });
  };
  return (
    <fieldset class="fieldset">
      <legend class="label">Who is in the segment</legend>
      <div class="field">
        <label class="label label--small" for="segment-join">
          Contacts matching
        </label>
        <select id="segment-join" class="input input--narrow" value={join} disabled={readOnly}
          onChange={(e) => setJoin(e.currentTarget.value)}>
          <option value="and">all of these rules</option>
          <option value="or">any of these rules</option>
        </select>
      </div>
      {rows.length === 0 && <p class="hint">No rules: every contact is in the segment. Add a rule to narrow it down.</p>}
      {rows.map((r, i) => {
        const f = fieldOf(r.field);
        const op = OPERATORS[f.kind].find((o) => o.id === r.op) ?? OPERATORS[f.kind][0];
        const bad = errorRow === i;
        return (
          <div class={bad ? 'rule-row rule-row--error' : 'rule-row'} key={i}>
            {bad && (
              <p class="field-error rule-row__error" id={`rule-error-${i}`}>
                <span class="visually-hidden">Error: </span>
                {error}
              </p>
            )}
            <div>
              <label class="label label--small" for={`rule-field-${i}`}>
                Attribute {i + 1}
              </label>
              <select id={`rule-field-${i}`} class="input" value={r.field} disabled={readOnly}
                aria-describedby={bad ? `rule-error-${i}` : undefined} onChange={(e) => setField(i, e.currentTarget.value)}>
                {FIELDS.map((x) => (
                  <option key={x.id} value={x.id}>
                    {x.label}
                  </option>
                ))}
              </select>
            </div>
            {f.key && (
              <div>
                <label class="label label--small" for={`rule-key-${i}`}>
                  Attribute name {i + 1}
                </label>
                <input id={`rule-key-${i}`} class="input" value={r.key} readOnly={readOnly}
                  onInput={(e) => set(i, { key: e.currentTarget.value })} />
              </div>
            )}
            <div>
              <label class="label label--small" for={`rule-op-${i}`}>
                Operator {i + 1}
              </label>
              <select id={`rule-op-${i}`} class="input" value={op.id} disabled={readOnly}
                onChange={(e) => set(i, { op: e.currentTarget.value })}>
                {OPERATORS[f.kind].map((o) => (
                  <option key={o.id} value={o.id}>
                    {o.label}
                  </option>
                ))}
              </select>
            </div>
            {op.value && (
              <div>
                <label class="label label--small" for={`rule-value-${i}`}>
                  Value {i + 1}
                </label>
                <input id={`rule-value-${i}`} class="input" value={r.value} readOnly={readOnly}
                  aria-describedby={`rule-value-hint-${i}`} aria-invalid={bad ? 'true' : undefined}
                  onInput={(e) => set(i, { value: e.currentTarget.value })} />
                <p class="hint hint--small" id={`rule-value-hint-${i}`}>
                  {valueHint(f.kind, op.id)}
                </p>
              </div>
            )}
            {!readOnly && (
              <button type="button" class="button button--ghost rule-row__remove" onClick={() => setRows(rows.filter((_, j) => j !== i))}>
                Remove<span class="visually-hidden"> rule {i + 1}</span>
              </button>
            )}
          </div>
        );
      })}
      {error && errorRow === null && (
        <p class="field-error">
          <span class="visually-hidden">Error: </span>
          {error}
        </p>
      )}
      {!readOnly && (
        <button type="button" class="button button--ghost" onClick={() => setRows([...rows, newRow()])}>
          Add rule
        </button>
      )}
    </fieldset>
  );
}
