// Pure helpers of the Journeys pages: the step and trigger types (as
// src/core/journey.c takes them) with their fields, a journey as the editor's
// state and back as the body of POST/PATCH /v1/journeys, the API's field names
// ("steps[1].next") as the ids of the editor's inputs, which moves a state
// allows, and steps, waits and exits in words.

/** The triggers, with the field each needs. */
export const TRIGGERS = [
  { type: 'api', label: 'When my application or a person enrols them', hint: 'Enrol contacts on the journey page, with the API or with a keyword rule.' },
  { type: 'group', label: 'When a contact is added to a group', field: { name: 'group', label: 'Group', hint: 'The group’s name. Members added before the journey is switched on are not enrolled.' } },
  { type: 'keyword', label: 'When a contact texts a keyword', field: { name: 'keyword', label: 'Keyword', hint: 'The first word or words of the message, e.g. QUIZ.' } },
];

const NEXT = { name: 'next', label: 'Then go to step (optional)', hint: 'A step id; empty for the step below.' };

/** The step types, in the order the editor offers them, with their fields. */
export const STEP_TYPES = [
  { type: 'send', label: 'Send a text', fields: [
    { name: 'body', label: 'Text', hint: 'Merge fields such as {{first_name|there}} are filled in for each contact.', multiline: true },
    NEXT] },
  { type: 'wait', label: 'Wait', fields: [
    { name: 'seconds', label: 'Wait this many seconds (optional)', hint: '3600 is an hour, 86400 a day.', numeric: true },
    { name: 'until', label: 'Then wait until this time of day (optional)', hint: 'HH:MM in the contact’s time zone, e.g. 10:00.' },
    NEXT] },
  { type: 'wait_for_reply', label: 'Wait for a reply', fields: [
    { name: 'timeout_seconds', label: 'How long to wait, in seconds', hint: '86400 is a day.', numeric: true },
    { name: 'any_reply', label: 'Any other reply goes to step (optional)', hint: 'Empty: other replies are not taken by the journey.' },
    { name: 'no_reply', label: 'No reply in time goes to step (optional)', hint: 'Empty: the step below.' }],
    branches: true },
  { type: 'branch', label: 'Check the contact', fields: [
    { name: 'condition', label: 'Condition', hint: 'A segment filter, e.g. attributes.city = "London".' },
    { name: 'then', label: 'When it matches, go to step (optional)' },
    { name: 'else', label: 'Otherwise go to step (optional)' }] },
  { type: 'add_to_group', label: 'Add to a group', fields: [{ name: 'group', label: 'Group' }, NEXT] },
  { type: 'remove_from_group', label: 'Remove from a group', fields: [{ name: 'group', label: 'Group' }, NEXT] },
  { type: 'set_attribute', label: 'Set an attribute', fields: [{ name: 'name', label: 'Attribute name' }, { name: 'value', label: 'Value' }, NEXT] },
  { type: 'webhook', label: 'Tell my application (webhook journey.step)', fields: [{ name: 'event', label: 'Event name (optional)' }, NEXT] },
  { type: 'end', label: 'End the journey', fields: [] },
];

/** The description of a step type (the first one for an unknown type). */
export function stepSpec(type) {
  return STEP_TYPES.find((s) => s.type === type) ?? STEP_TYPES[0];
}

/** The description of a trigger type (the first one for an unknown type). */
export function triggerSpec(type) {
  return TRIGGERS.find((t) => t.type === type) ?? TRIGGERS[0];
}

const asText = (v) => (v == null ? '' : String(v));

/** An empty journey (one send step); or a journey from the API as the editor's state (every value a string). */
export function journeyToForm(j) {
  const steps = (j?.steps ?? [{ id: 'first', type: 'send' }]).map((s) => {
    const out = { id: asText(s.id), type: s.type ?? 'send' };
    for (const f of stepSpec(out.type).fields) out[f.name] = asText(s[f.name]);
    if (s.template && !s.body) out.template = s.template;
    out.branches = (s.branches ?? []).map((b) => ({ match: asText(b.match), next: asText(b.next) }));
    return out;
  });
  const trigger = j?.trigger ?? { type: 'api' };
  return {
    name: j?.name ?? '',
    trigger: trigger.type ?? 'api',
    triggerValue: asText(trigger.group ?? trigger.keyword),
    reentry: j?.reentry ?? 'never',
    quiet_hours: asText(j?.quiet_hours),
    provider: asText(j?.provider),
    steps,
  };
}

/** A field's text as a number when it is one (otherwise as typed, for the API to refuse beside the field). */
function numberOrText(v) {
  const t = v.trim();
  return /^\d+$/.test(t) ? Number(t) : t;
}

/**
 * The editor's state as the body of POST /v1/journeys (or PATCH): each step
 * with only its type's fields that are filled in, numbers as numbers, the
 * branches that have a pattern, empty optional fields left out.
 */
export function formToBody(form) {
  const spec = triggerSpec(form.trigger);
  const trigger = { type: spec.type };
  if (spec.field) trigger[spec.field.name] = asText(form.triggerValue).trim();
  const body = {
    name: asText(form.name).trim(),
    trigger,
    reentry: form.reentry === 'after_exit' ? 'after_exit' : 'never',
    steps: (form.steps ?? []).map((s) => {
      const out = { id: asText(s.id).trim(), type: s.type };
      const st = stepSpec(s.type);
      for (const f of st.fields) {
        const v = asText(s[f.name]);
        if (v.trim() === '') continue;
        out[f.name] = f.numeric ? numberOrText(v) : f.multiline ? v : v.trim();
      }
      if (s.type === 'send' && s.template && !out.body) out.template = s.template;
      if (st.branches) {
        const branches = (s.branches ?? [])
          .filter((b) => asText(b.match).trim() !== '')
          .map((b) => ({ match: asText(b.match).trim(), next: asText(b.next).trim() }));
        if (branches.length) out.branches = branches;
      }
      return out;
    }),
  };
  if (asText(form.quiet_hours).trim()) body.quiet_hours = form.quiet_hours.trim();
  if (asText(form.provider).trim()) body.provider = form.provider.trim();
  return body;
}

/**
 * The input id of an API field: "name" → "jy-name", "trigger.group" → "jy-trigger-value",
 * "steps[1].next" → "jy-step-1-next", "steps[1].branches[0].match" → "jy-step-1-branch-0-match",
 * "steps[2]" → that step's id input, "steps" → the add button.
 */
export function fieldId(field) {
  const f = field ?? '';
  let m = /^steps\[(\d+)\]\.branches\[(\d+)\](?:\.(\w+))?$/.exec(f);
  if (m) return `jy-step-${m[1]}-branch-${m[2]}-${m[3] ?? 'match'}`;
  m = /^steps\[(\d+)\](?:\.(\w+))?$/.exec(f);
  if (m) return `jy-step-${m[1]}-${m[2] === 'type' ? 'type' : m[2] ?? 'id'}`;
  if (f === 'steps') return 'jy-add-step';
  if (f.startsWith('trigger')) return f === 'trigger.type' ? 'jy-trigger-api' : 'jy-trigger-value';
  return `jy-${f.replace(/[^a-z_]/g, '')}`;
}

/** The moves a journey in this state allows, as [action, button label]. */
export function stateActions(state) {
  switch (state) {
    case 'draft':
      return [['activate', 'Switch on'], ['archive', 'Archive']];
    case 'active':
      return [['pause', 'Pause'], ['archive', 'Archive']];
    case 'paused':
      return [['resume', 'Resume'], ['archive', 'Archive']];
    default:
      return [];
  }
}

/** A journey's state in words. */
export function stateLabel(state) {
  return { draft: 'Draft (off)', active: 'On', paused: 'Paused', archived: 'Archived' }[state] ?? state;
}

/** Seconds in words: 90 → "1 minute 30 seconds", 172800 → "2 days". */
export function duration(seconds) {
  let s = Math.max(0, Math.floor(Number(seconds) || 0));
  const parts = [];
  for (const [n, unit] of [[86400, 'day'], [3600, 'hour'], [60, 'minute'], [1, 'second']]) {
    const k = Math.floor(s / n);
    s -= k * n;
    if (k) parts.push(`${k} ${unit}${k === 1 ? '' : 's'}`);
  }
  return parts.length ? parts.slice(0, 2).join(' ') : '0 seconds';
}

/** A step in words, for the journey page. */
export function describeStep(step) {
  switch (step?.type) {
    case 'send':
      return step.body ? `Send “${step.body}”` : `Send the template ${step.template ?? ''}`.trim();
    case 'wait': {
      const parts = [];
      if (step.seconds) parts.push(duration(step.seconds));
      if (step.until) parts.push(`until ${step.until}`);
      return `Wait ${parts.join(', then ')}`;
    }
    case 'wait_for_reply': {
      const b = (step.branches ?? []).map((x) => `${x.match} → ${x.next}`);
      return `Wait up to ${duration(step.timeout_seconds)} for a reply${b.length ? ` (${b.join('; ')})` : ''}`;
    }
    case 'branch':
      return `If ${step.condition}`;
    case 'add_to_group':
      return `Add to the group ${step.group}`;
    case 'remove_from_group':
      return `Remove from the group ${step.group}`;
    case 'set_attribute':
      return `Set ${step.name} to “${step.value}”`;
    case 'webhook':
      return 'Tell my application';
    case 'end':
      return 'End';
    default:
      return step?.type ?? '';
  }
}

/** A trigger in words. */
export function describeTrigger(trigger) {
  if (trigger?.type === 'group') return `A contact is added to the group ${trigger.group}`;
  if (trigger?.type === 'keyword') return `A contact texts ${trigger.keyword}`;
  return 'Contacts are enrolled by hand, by the API or by a keyword rule';
}

/** Why an enrolment ended, in words. */
export function exitReason(reason) {
  return {
    completed: 'Finished',
    opted_out: 'Opted out',
    max_steps: 'Too many steps',
    max_age: 'Too old (30 days)',
    archived: 'Journey archived',
  }[reason] ?? reason ?? '';
}

/** The contacts typed in the enrol box: one per line or separated by commas, blanks dropped. */
export function contactsToEnroll(text) {
  return String(text ?? '')
    .split(/[\n,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}
