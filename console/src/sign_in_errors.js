// What the sign-in page shows for a failed attempt (an ApiError from api.js).
import { formatWait } from './format.js';

const FIELD_IDS = { email: 'email', password: 'password' };

/** The messages to show for a failed sign-in: [{field?, text}] for the
 * summary, and {field: text} for the fields. */
export function signInErrors(err) {
  if (err.status === 429) {
    const wait = err.retryAfter != null ? ` Try again in ${formatWait(err.retryAfter)}.` : ' Try again later.';
    return { summary: [{ text: `Too many sign-in attempts.${wait}` }], fields: {} };
  }
  if (err.status === 404) {
    return { summary: [{ text: 'This smsgate server does not offer sign-in (POST /v1/session is missing).' }], fields: {} };
  }
  const fields = {};
  const summary = [];
  for (const [f, text] of Object.entries(err.fieldErrors)) {
    if (FIELD_IDS[f]) {
      fields[f] = text;
      summary.push({ field: FIELD_IDS[f], text });
    }
  }
  if (!summary.length) summary.push({ text: err.detail || err.title });
  return { summary, fields };
}
