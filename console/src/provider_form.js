// The provider form's logic, built only from a kind's description
// (GET /v1/provider-kinds: fields with key, label, type, required, secret,
// advanced, multiline, help, default, one_of, common). No kind is named here:
// a field or a kind added to the API appears in the form unchanged.
//
// - formModel(kind): the form's layout: {main, advanced}, each a list of items,
//   an item being {type: 'field', field} or {type: 'choice', group, legend,
//   options: [{option, label, fields}]} for a one_of group (shown as a choice of
//   options, each option's fields under it).
// - initialState(kind, provider?): {values, choices} for a new provider (empty
//   text, booleans at their default) or one being edited (its config; secrets
//   empty, to be shown as "unchanged").
// - configPayload(kind, state, initial, editing): the `config` to send.
// - fieldId(key) / errorsFor(err): where a problem's `field` goes in the form.

const CONFIG_PREFIX = 'config.';

/** The id of a config field's input ("account_sid" → "cfg-account_sid"). */
export const fieldId = (key) => `cfg-${key}`;

/** The form's own (non-config) inputs, by the API's field names. */
const TOP_FIELDS = { name: 'name', kind: 'kind', title: 'title', default: 'default', active: 'active' };

/**
 * The form's layout for a kind. A one_of group becomes one choice item, placed
 * where its first field is; it is advanced only when every field in it is.
 * @param {{fields: any[]}} kind
 */
export function formModel(kind) {
  const main = [];
  const advanced = [];
  const groups = new Map();
  for (const f of kind.fields ?? []) {
    if (!f.one_of) {
      (f.advanced ? advanced : main).push({ type: 'field', field: f });
      continue;
    }
    let item = groups.get(f.one_of.group);
    if (!item) {
      item = { type: 'choice', group: f.one_of.group, legend: '', options: [], first: f };
      groups.set(f.one_of.group, item);
      item.slot = { main, advanced };
    }
    let opt = item.options.find((o) => o.option === f.one_of.option);
    if (!opt) {
      opt = { option: f.one_of.option, label: '', fields: [] };
      item.options.push(opt);
    }
    opt.fields.push(f);
  }
  for (const item of groups.values()) {
    for (const o of item.options) o.label = o.fields.map((f) => f.label).join(' + ');
    item.legend = item.options.map((o) => o.label).join(' or ');
    const allAdvanced = item.options.every((o) => o.fields.every((f) => f.advanced));
    const list = allAdvanced ? item.slot.advanced : item.slot.main;
    // Keep the table's order: insert before the first item that came after the
    // group's first field.
    const order = (kind.fields ?? []).indexOf(item.first);
    const at = list.findIndex((x) => (kind.fields ?? []).indexOf(firstField(x)) > order);
    delete item.slot;
    delete item.first;
    if (at < 0) list.push(item);
    else list.splice(at, 0, item);
  }
  return { main, advanced };
}

function firstField(item) {
  return item.type === 'field' ? item.field : item.options[0].fields[0];
}

/** A config value as the text of its input. */
function toText(field, v) {
  if (v === undefined || v === null) return '';
  if (Array.isArray(v)) return v.join(field.type === 'list' ? ', ' : '|');
  return String(v);
}

function hasValue(v) {
  return v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0);
}

/**
 * The starting values. New: text fields empty (their default shown as a
 * placeholder, not sent), booleans at their default. Editing: the provider's
 * config; secrets empty (the form says "unchanged"); the chosen option of a
 * group is the first whose fields the config has.
 * @param {{fields: any[]}} kind
 * @param {any} [provider] the provider as GET /v1/providers/{id} shows it
 */
export function initialState(kind, provider) {
  const config = provider?.config ?? {};
  const values = {};
  for (const f of kind.fields ?? []) {
    if (f.type === 'boolean') values[f.key] = provider && hasValue(config[f.key]) ? !!config[f.key] : !!f.default;
    else values[f.key] = f.secret ? '' : toText(f, config[f.key]);
  }
  const choices = {};
  for (const item of [...formModel(kind).main, ...formModel(kind).advanced]) {
    if (item.type !== 'choice') continue;
    const set = item.options.find((o) => o.fields.some((f) => hasValue(config[f.key])));
    choices[item.group] = (set ?? item.options[0]).option;
  }
  return { values, choices };
}

/** Which fields the chosen options leave out (the other options' fields). */
function unchosen(kind, choices) {
  const out = new Set();
  for (const f of kind.fields ?? []) {
    if (f.one_of && choices[f.one_of.group] !== f.one_of.option) out.add(f.key);
  }
  return out;
}

/** A field's text as the JSON value its type takes. A number that does not
 * read as one is sent as typed, so the API names the field in its answer. */
function fromText(field, text) {
  if (field.type === 'boolean') return !!text;
  const t = String(text).trim();
  if (field.type === 'number') return /^-?\d+(\.\d+)?$/.test(t) ? Number(t) : t;
  if (field.type === 'list')
    return t
      .split(/[,\n]/)
      .map((s) => s.trim())
      .filter(Boolean);
  return field.multiline ? String(text) : t;
}

/**
 * The `config` to send.
 * - Fields of an option not chosen are left out.
 * - Secrets are sent only when typed (on edit an empty secret keeps the stored one).
 * - New provider: every other field that has a value (booleans when not at their default).
 * - Editing: only what changed; a field emptied is sent as null (the API removes it).
 * @param {{fields: any[]}} kind
 * @param {{values: Record<string, any>, choices: Record<string,string>}} state
 * @param {{values: Record<string, any>}} initial the state the form started from
 * @param {boolean} editing
 */
export function configPayload(kind, state, initial, editing) {
  const skip = unchosen(kind, state.choices);
  const config = {};
  for (const f of kind.fields ?? []) {
    if (skip.has(f.key)) continue;
    const v = state.values[f.key];
    if (f.secret) {
      if (typeof v === 'string' && v !== '') config[f.key] = v;
      continue;
    }
    if (f.type === 'boolean') {
      const base = editing ? initial.values[f.key] : !!f.default;
      if (!!v !== !!base) config[f.key] = !!v;
      continue;
    }
    const text = typeof v === 'string' ? v : '';
    if (editing) {
      if (text === initial.values[f.key]) continue;
      config[f.key] = text.trim() === '' ? null : fromText(f, text);
    } else if (text.trim() !== '') {
      config[f.key] = fromText(f, text);
    }
  }
  return config;
}

/**
 * A failed save's errors for the form: `fields` {input id: text} for the error
 * beside each field, and `summary` [{field?: input id, text}] for the list at
 * the top (linking to the field when the form has it).
 * @param {{fieldErrors?: Record<string,string>, detail?: string, title?: string}} err an ApiError
 * @param {{fields: any[]}} [kind]
 */
export function errorsFor(err, kind) {
  const keys = new Set((kind?.fields ?? []).map((f) => f.key));
  const fields = {};
  const summary = [];
  for (const [name, text] of Object.entries(err.fieldErrors ?? {})) {
    let id = null;
    if (name.startsWith(CONFIG_PREFIX)) {
      const key = name.slice(CONFIG_PREFIX.length);
      if (keys.has(key)) id = fieldId(key);
    } else if (name in TOP_FIELDS) {
      id = TOP_FIELDS[name];
    }
    if (id) fields[id] = text;
    summary.push(id ? { field: id, text } : { text });
  }
  if (!summary.length) summary.push({ text: err.detail || err.title || 'The provider was not saved.' });
  return { fields, summary };
}
