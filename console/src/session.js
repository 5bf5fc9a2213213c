// The signed-in session as the server describes it (GET/POST /v1/session).
import { api } from './api.js';

/** The current session ({user, csrf_token, expires_at}) or null when signed
 * out. A server without sessions (404) counts as signed out. */
export async function loadSession() {
  try {
    const s = await api.get('/v1/session');
    api.setCsrfToken(s.csrf_token);
    return s;
  } catch (e) {
    if (e.status === 401 || e.status === 404) return null;
    throw e;
  }
}

/** Sign in; resolves to the session or throws the ApiError (401, 429, ...). */
export async function signIn(email, password) {
  const s = await api.post('/v1/session', { email, password });
  api.setCsrfToken(s.csrf_token);
  return s;
}

/** Sign out on the server; the local state is dropped even if that fails. */
export async function signOut() {
  try {
    await api.del('/v1/session');
  } finally {
    api.setCsrfToken(null);
  }
}
