// Pure helpers of the Keywords page: the action types (as src/api/keywords.c
// takes them) with their fields, a rule as the form's state and back as the
// body of POST/PATCH /v1/keywords, and the API's field names ("actions[1].group")
// as the ids of the form's inputs.

/** The match kinds, with what each means. */
export const MATCHES = [
  { value: 'exact', label: 'The whole message', hint: 'JOIN matches "join!" but not "join news".' },
  { value: 'first_word', label: 'The first word', hint: 'JOIN matches "join news"; "news" is {{rest}}.' },
  { value: 'glob', label: 'A pattern', hint: '* is any text, ? one character: WIN* matches "winner".' },
];

/** The action types, in the order the editor offers them, with their fields. */
export const ACTIONS = [
  { type: 'reply', label: 'Reply', fields: [{ name: 'body', label: 'Reply text', required: true }] },
  {
    type: 'add_to_group', label: 'Add to group', fields: [
      { name: 'group', label: 'Group', required: true, hint: 'A group name, or {{rest}}.' },
      { name: 'reply', label: 'Reply when joined (optional)' },
      { name: 'reply_already', label: 'Reply when already a member (optional)' },
    ],
  },
  {
    type: 'remove_from_group', label: 'Remove from group', fields: [
      { name: 'group', label: 'Group', required: true, hint: 'A group name, or {{rest}}.' },
      { name: 'reply', label: 'Reply when removed (optional)' },
      { name: 'reply_not_member', label: 'Reply when not a member (optional)' },
    ],
  },
  {
    type: 'set_attribute', label: 'Set an attribute', fields: [
      { name: 'name', label: 'Attribute name', required: true },
      { name: 'value', label: 'Value', required: true },
    ],
  },
  { type: 'webhook', label: 'Tell my application (webhook message.matched)', fields: [] },
];

/** The description of an action type (the first one for an unknown type). */
export function actionSpec(type) {
  return ACTIONS.find((a) => a.type === type) ?? ACTIONS[0];
}

/** An empty form; or a rule from the API as the form's state. */
export function ruleToForm(rule) {
  return {
    keyword: rule?.keyword ?? '',
    match: rule?.match ?? 'exact',
    to: rule?.to ?? '',
    priority: rule?.priority != null ? String(rule.priority) : '0',
    actions: (rule?.actions ?? [{ type: 'reply' }]).map((a) => ({ ...a })),
  };
}

/**
 * The form as the body of POST /v1/keywords (or PATCH): keyword and fields
 * trimmed, an empty `to` as null, the priority as a number when it is one
 * (otherwise sent as typed, for the API to refuse beside the field), each
 * action with only its type's fields that are filled in.
 */
export function formToBody(form) {
  const p = String(form.priority ?? '').trim();
  return {
    keyword: String(form.keyword ?? '').trim(),
    match: form.match || 'exact',
    to: String(form.to ?? '').trim() || null,
    priority: /^-?\d+$/.test(p) ? Number(p) : p,
    actions: (form.actions ?? []).map((a) => {
      const out = { type: a.type };
      for (const f of actionSpec(a.type).fields) {
        const v = a[f.name];
        if (typeof v === 'string' && v !== '') out[f.name] = v;
      }
      if (a.type === 'reply' && a.template && !out.body) out.template = a.template;
      return out;
    }),
  };
}

/** The input id of an API field: "keyword" → "kw-keyword", "actions[1].group" → "kw-action-1-group",
 * "actions[2]" or "actions" → the first input of that action or the add button. */
export function fieldId(field) {
  const m = /^actions\[(\d+)\](?:\.(\w+))?$/.exec(field ?? '');
  if (m) return `kw-action-${m[1]}-${m[2] ?? 'type'}`;
  if (field === 'actions') return 'kw-add-action';
  return `kw-${field}`;
}

/** A rule's actions in words, for the list. */
export function actionsSummary(rule) {
  return (rule?.actions ?? [])
    .map((a) => {
      const spec = ACTIONS.find((s) => s.type === a.type);
      if (!spec) return a.type;
      if (a.group) return `${spec.label}: ${a.group}`;
      if (a.name) return `${spec.label}: ${a.name}`;
      return spec.label;
    })
    .join('; ');
}
