// The console's one client of smsgate's /v1 API, shared by every page.
//
// - Requests go to the same origin with the session cookie (credentials:
//   'same-origin'); the console never holds an API key.
// - Every write (any method but GET/HEAD) carries X-CSRF-Token with the token the
//   session answer gave (POST/GET /v1/session); the server refuses a
//   cookie-authenticated write without it (403 csrf_failed).
// - An answer of 4xx/5xx becomes an ApiError: the problem+json fields (code,
//   title, detail, field) plus fieldErrors ({field: message}) for a form to show
//   beside its fields, and retryAfter (seconds) from a 429's Retry-After.

/** A failed request: an RFC 9457 problem, or a network failure (status 0). */
export class ApiError extends Error {
  /**
   * @param {{status:number, code:string, title:string, detail:string,
   *          field?:string|null, fieldErrors?:Record<string,string>,
   *          retryAfter?:number|null}} p
   */
  constructor(p) {
    super(p.detail || p.title);
    this.name = 'ApiError';
    this.status = p.status;
    this.code = p.code;
    this.title = p.title;
    this.detail = p.detail;
    this.field = p.field ?? null;
    this.fieldErrors = p.fieldErrors ?? {};
    this.retryAfter = p.retryAfter ?? null;
    this.errors = p.errors ?? []; // a problem's `errors` list as sent ([{line?, field?, detail}])
  }
}

const GENERIC_TITLES = {
  0: 'Cannot reach smsgate',
  401: 'Sign-in required',
  403: 'Not allowed',
  404: 'Not found',
  429: 'Too many requests',
  500: 'Server error',
  502: 'Bad gateway',
  503: 'Service unavailable',
};

/**
 * Seconds to wait from a Retry-After header value: delta-seconds or an HTTP
 * date (RFC 9110 §10.2.3); null when absent or unreadable.
 * @param {string|null|undefined} value
 * @param {number} nowMs the current time, for the date form
 */
export function parseRetryAfter(value, nowMs = Date.now()) {
  if (value == null) return null;
  const v = String(value).trim();
  if (/^\d+$/.test(v)) return Number(v);
  // An HTTP date names its day and month ("Thu, 03 Dec 2026 12:00:00 GMT");
  // anything else ("-5", "1.5") is not a wait this client believes.
  if (!/^[A-Za-z]{3}, /.test(v)) return null;
  const t = Date.parse(v);
  if (Number.isNaN(t)) return null;
  return Math.max(0, Math.ceil((t - nowMs) / 1000));
}

/**
 * Turn an error answer into an ApiError. body is the parsed JSON (or null when
 * the answer was not JSON). A problem's `field` becomes fieldErrors[field]; a
 * problem with an `errors` array ([{field, detail}]) gives one entry per field.
 * @param {number} status
 * @param {any} body
 * @param {string|null} retryAfterHeader
 */
export function problemToError(status, body, retryAfterHeader = null) {
  const p = body && typeof body === 'object' && !Array.isArray(body) ? body : {};
  const str = (x) => (typeof x === 'string' ? x : '');
  const title = str(p.title) || GENERIC_TITLES[status] || `HTTP ${status}`;
  const code = str(p.code) || (status === 0 ? 'network_error' : `http_${status}`);
  const detail = str(p.detail) || title;
  const fieldErrors = {};
  if (Array.isArray(p.errors)) {
    for (const e of p.errors) {
      if (e && typeof e.field === 'string' && e.field && !(e.field in fieldErrors))
        fieldErrors[e.field] = str(e.detail) || detail;
    }
  }
  const field = str(p.field) || null;
  if (field && !(field in fieldErrors)) fieldErrors[field] = detail;
  return new ApiError({
    status,
    code,
    title,
    detail,
    field,
    fieldErrors,
    retryAfter: parseRetryAfter(retryAfterHeader),
    errors: Array.isArray(p.errors) ? p.errors.filter((e) => e && typeof e === 'object') : [],
  });
}

const isWrite = (method) => method !== 'GET' && method !== 'HEAD';

/**
 * A client bound to a fetch function (the browser's, or a fake in tests).
 * @param {{fetch?: typeof fetch, base?: string}} opts
 */
export function createClient(opts = {}) {
  const doFetch = opts.fetch ?? ((...a) => globalThis.fetch(...a));
  const base = opts.base ?? '';
  let csrf = null;
  /** @type {null | ((e: ApiError) => void)} */
  let onUnauthorized = null;

  async function request(method, path, body, extraHeaders = {}, raw = null) {
    const headers = { Accept: 'application/json', ...extraHeaders };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (raw) headers['Content-Type'] = raw.type;
    if (isWrite(method) && csrf) headers['X-CSRF-Token'] = csrf;
    let res;
    try {
      res = await doFetch(base + path, {
        method,
        headers,
        credentials: 'same-origin',
        body: raw ? raw.text : body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      throw problemToError(0, { detail: 'The server did not answer. Check that smsgate is running.' });
    }
    const type = (res.headers.get('Content-Type') || '').split(';')[0].trim();
    const isJson = type === 'application/json' || type === 'application/problem+json';
    let parsed = null;
    if (res.status !== 204 && isJson) {
      try {
        parsed = await res.json();
      } catch {
        parsed = null;
      }
    }
    if (res.ok) return res.status === 204 ? null : isJson ? parsed : await res.text();
    const err = problemToError(res.status, parsed, res.headers.get('Retry-After'));
    if (res.status === 401 && onUnauthorized && !path.startsWith('/v1/session')) onUnauthorized(err);
    throw err;
  }

  return {
    get: (path) => request('GET', path),
    /** GET a text resource (e.g. /metrics); throws ApiError like the others. */
    text: (path) => request('GET', path, undefined, { Accept: 'text/plain' }),
    post: (path, body) => request('POST', path, body ?? {}),
    patch: (path, body) => request('PATCH', path, body ?? {}),
    del: (path) => request('DELETE', path),
    /** PUT a text body (e.g. a CSV) with its content type. */
    putText: (path, text, type = 'text/csv') => request('PUT', path, undefined, {}, { text, type }),
    setCsrfToken(token) {
      csrf = token || null;
    },
    /** Called when a request (other than the session's own) answers 401. */
    setOnUnauthorized(fn) {
      onUnauthorized = fn;
    },
  };
}

/** The client the pages share. */
export const api = createClient();
