#include "compat/clickatell_api.h"
#include "api/accept.h"
#include "api/app_accounts.h"
#include "api/auth.h"
#include "api/handlers.h"
#include "compat/auth_throttle.h"
#include "compat/clickatell_sessions.h"
#include "compat/clickatell_wire.h"
#include "core/gsm7.h"
#include "core/signin.h"
#include "util/buf.h"
#include "util/crypto.h"
#include "util/form.h"
#include "util/log.h"
#include "util/time.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ISSUE_TRIES 8

/* The authenticated app of a request: first member a caller, so that
 * sg_auth_caller (the send limits, the audit actor) reads it as any caller. */
typedef struct ck_user {
    sg_caller caller;
    sg_app_account account;
} ck_user;

static void user_free(void *p)
{
    sodium_memzero(p, sizeof(ck_user));
    free(p);
}

/* ---- credentials -------------------------------------------------------------------- */

sg_err sg_compat_ck_issue(sg_app *app, const char *app_id, const char *account_sid, json_t **out,
                          sg_error *e)
{
    sg_app_ck c = {0};
    char key[33];
    sg_err err = SG_ERR_CONFLICT;
    snprintf(c.app_id, sizeof c.app_id, "%s", app_id);
    sg_random_hex(key, 16);
    sg_sha256_hex(key, 32, c.api_key_hash);
    for (int i = 0; i < ISSUE_TRIES && err == SG_ERR_CONFLICT; i++) {
        snprintf(c.api_id, sizeof c.api_id, "%u", 1000000u + sg_random_u32() % 9000000u);
        err = sg_store_app_ck_put(app->store, &c, e);
    }
    if (!err)
        *out = json_pack("{s:s, s:s, s:s}", "api_id", c.api_id, "username", account_sid,
                         "api_key", key);
    sodium_memzero(key, sizeof key);
    return err;
}

/* The app app_id into u (caller filled); false when it is not there. */
static bool load_app(sg_app *app, const char *app_id, ck_user *u)
{
    if (sg_store_app_get(app->store, app_id, &u->account) != SG_OK)
        return false;
    sg_app_account_caller(&u->account, &u->caller);
    return true;
}

/* The legacy API's credentials: api_id names the app; user is its Account SID
 * or its name; password its auth token (compared in constant time). */
static bool legacy_ok(sg_app *app, const char *api_id, const char *user, const char *password,
                      ck_user *u)
{
    sg_app_ck c;
    char sid[SG_ACCOUNT_SID_MAX];
    if (!api_id || !user || !password || !*api_id ||
        sg_store_app_ck_get(app->store, api_id, &c) != SG_OK || strcmp(c.api_id, api_id) != 0 ||
        !load_app(app, c.app_id, u))
        return false;
    sg_app_account_sid(u->account.id, sid);
    bool user_ok = strcmp(user, sid) == 0 || strcmp(user, u->account.name) == 0;
    return sg_app_account_token_ok(&u->account, password) && user_ok;
}

/* The platform's api_key (trailing '=' ignored): found by its SHA-256. */
static bool api_key_ok(sg_app *app, const char *raw, ck_user *u)
{
    char key[SG_CKC_API_KEY_MAX], hash[SG_SHA256_HEX_LEN];
    sg_app_ck c;
    if (!sg_ckc_api_key(raw, key, sizeof key))
        return false;
    sg_sha256_hex(key, strlen(key), hash);
    sodium_memzero(key, sizeof key);
    return sg_store_app_ck_get(app->store, hash, &c) == SG_OK &&
           sg_ct_equal(c.api_key_hash, hash, 64) && load_app(app, c.app_id, u);
}

/* Whether the client's address may try to authenticate now; otherwise
 * Retry-After is set and *wait_s says how long. */
static bool throttle_allows(sg_http_req *req, char address[64])
{
    sg_http_client_ip(req, address);
    int64_t wait = sg_compat_throttle_wait(address, sg_time_mono_ms());
    if (wait <= 0)
        return true;
    char secs[24];
    snprintf(secs, sizeof secs, "%lld", (long long)sg_throttle_retry_after_s(wait));
    sg_http_add_header(req, "Retry-After", secs);
    return false;
}

static void auth_failed(const char *address)
{
    sg_compat_throttle_fail(address, sg_time_mono_ms());
    sg_log(SG_LOG_INFO, "compat_auth_failed", "client=%s surface=ck", address);
}

/* ---- the legacy API ------------------------------------------------------------------- */

/* A legacy request's parameters: the POST body's form, then the query. */
typedef struct legacy_params {
    sg_form body, query;
} legacy_params;

static bool params_read(sg_http_req *req, legacy_params *p)
{
    memset(p, 0, sizeof *p);
    size_t len = 0;
    const char *body = sg_http_body(req, &len);
    if (sg_http_query_form(req, &p->query) != SG_OK)
        return false;
    return sg_form_parse(body ? body : "", body ? len : 0, &p->body) == SG_OK;
}

static const char *param_n(const legacy_params *p, const char *key, size_t *len)
{
    const char *v = sg_form_get_n(&p->body, key, len);
    return v ? v : sg_form_get_n(&p->query, key, len);
}

static const char *param(const legacy_params *p, const char *key)
{
    size_t len;
    return param_n(p, key, &len);
}

static void params_free(legacy_params *p)
{
    sg_form_free(&p->body);
    sg_form_free(&p->query);
}

/* Answer the legacy way: text/plain, "ERR: NNN, text". */
static void legacy_text(sg_http_req *req, int status, const char *text)
{
    sg_http_respond(req, status, "text/plain; charset=utf-8", text, strlen(text));
}

static void legacy_err(sg_http_req *req, int status, int code)
{
    char line[96];
    snprintf(line, sizeof line, "ERR: %03d, %s", code, sg_ckc_error_text(code));
    legacy_text(req, status, line);
}

/* ---- sessions (/http/auth) ------------------------------------------------------------ */

static sg_ckc_sessions *sessions;
static pthread_once_t sessions_once = PTHREAD_ONCE_INIT;

static void sessions_init(void)
{
    sessions = sg_ckc_sessions_new(0);
}

/* The process's session table (NULL out of memory: no session then). */
static sg_ckc_sessions *session_table(void)
{
    pthread_once(&sessions_once, sessions_init);
    return sessions;
}

/* The app of a live session id into u; a session whose app is gone or whose
 * token was rotated since ends here. */
static bool session_ok(sg_app *app, const char *id, ck_user *u)
{
    sg_ckc_sessions *t = session_table();
    char app_id[SG_ID_MAX];
    int64_t rotated_at = 0;
    if (!t || !sg_ckc_session_use(t, id, sg_time_mono_ms(), app_id, &rotated_at))
        return false;
    if (load_app(app, app_id, u) && u->account.token_rotated_at == rotated_at)
        return true;
    sg_ckc_session_end(t, id);
    return false;
}

/* Authenticate a legacy request into a new user set on req, by its session_id
 * when it has one, else by api_id, user and password; false after answering
 * (ERR: 003 for a session that is not one, ERR: 001, or 429 while throttled). */
static bool legacy_authenticate(sg_http_req *req, sg_app *app, const legacy_params *p)
{
    char address[64];
    if (!throttle_allows(req, address)) {
        legacy_err(req, 429, SG_CKC_ERR_AUTH);
        return false;
    }
    const char *session = param(p, "session_id");
    bool by_session = session && *session;
    ck_user *u = calloc(1, sizeof *u);
    bool ok = u && (by_session ? session_ok(app, session, u)
                               : legacy_ok(app, param(p, "api_id"), param(p, "user"),
                                           param(p, "password"), u));
    if (ok) {
        sg_http_set_user(req, u, user_free);
        return true;
    }
    free(u);
    auth_failed(address);
    legacy_err(req, 200, by_session ? SG_CKC_ERR_SESSION : SG_CKC_ERR_AUTH);
    return false;
}

sg_http_result sg_compat_ck_auth(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    legacy_params p;
    char id[SG_CKC_SESSION_ID_LEN + 1], line[48];
    sg_ckc_sessions *t = session_table();
    if (!params_read(req, &p)) {
        legacy_err(req, 200, SG_CKC_ERR_PARAMS);
    } else if (!t) {
        legacy_err(req, 200, SG_CKC_ERR_INTERNAL);
    } else if (legacy_authenticate(req, app, &p)) {
        const ck_user *who = sg_http_user(req);
        sg_ckc_session_new(t, who->account.id, who->account.token_rotated_at, sg_time_mono_ms(),
                           id);
        snprintf(line, sizeof line, "OK: %s", id);
        legacy_text(req, 200, line);
        sodium_memzero(id, sizeof id);
        sodium_memzero(line, sizeof line);
    }
    params_free(&p);
    return SG_HTTP_DONE;
}

sg_http_result sg_compat_ck_ping(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    legacy_params p;
    if (!params_read(req, &p)) {
        legacy_err(req, 200, SG_CKC_ERR_PARAMS);
    } else {
        const char *session = param(&p, "session_id");
        if (!session || !*session)
            legacy_err(req, 200, SG_CKC_ERR_NO_SESSION);
        else if (legacy_authenticate(req, app, &p))
            legacy_text(req, 200, "OK: ");
    }
    params_free(&p);
    return SG_HTTP_DONE;
}

/* What a send request asks for, read from its parameters. */
typedef struct send_args {
    char *text; /* UTF-8, malloc'd */
    const char *from, *climsgid;
    int level; /* callback level, 0-7 (compat/clickatell_wire.h) */
    sg_ckc_rcpt rcpt[SG_CKC_RCPT_MAX];
    size_t n;
} send_args;

/* Read to, text (unicode), from, climsgid, concat, callback (level_dflt when
 * absent); 0 or a legacy error code. */
static int send_args_read(const legacy_params *p, bool unicode_param, int level_dflt,
                          send_args *a)
{
    size_t len = 0;
    const char *text = param_n(p, "text", &len);
    if (!text) /* CiviCRM sends both; the platform names it content */
        text = param_n(p, "content", &len);
    const char *uni = param(p, "unicode");
    bool bad;
    memset(a, 0, sizeof *a);
    a->n = sg_ckc_recipients(param(p, "to"), a->rcpt, SG_CKC_RCPT_MAX);
    if (a->n == 0 || a->n > SG_CKC_RCPT_MAX)
        return a->n ? SG_CKC_ERR_PARAMS : SG_CKC_ERR_DEST;
    if (!text || len == 0)
        return SG_CKC_ERR_EMPTY;
    int concat = sg_ckc_concat(param(p, "concat"));
    a->level = sg_ckc_callback_level(param(p, "callback"), level_dflt);
    if (concat < 0 || a->level < 0)
        return SG_CKC_ERR_PARAMS;
    a->text = sg_ckc_text(text, len, unicode_param && uni && strcmp(uni, "1") == 0, &bad);
    if (!a->text)
        return bad ? SG_CKC_ERR_UNICODE : SG_CKC_ERR_INTERNAL;
    sg_sms_info info;
    if (sg_sms_analyze(a->text, strlen(a->text), &info) == SG_TEXT_OK &&
        info.segments > (unsigned)(concat ? concat : 1) && param(p, "concat"))
        return SG_CKC_ERR_PARTS;
    a->from = param(p, "from");
    a->climsgid = param(p, "climsgid");
    return 0;
}

/* The accepted messages' array for sg_api_send_many_hooked. */
static json_t *send_requests(const send_args *a)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < a->n; i++)
        json_array_append_new(arr, sg_ckc_message_request(&a->rcpt[i], a->text, a->from,
                                                          a->climsgid));
    return arr;
}

static bool tag_message(sg_message *m, const ck_user *who, int level);

/* The legacy answer being built: one line per recipient. */
typedef struct legacy_answer {
    const ck_user *who;
    const send_args *args;
    sg_buf lines;
} legacy_answer;

static void legacy_row(size_t i, const sg_message *m, const sg_reject *rej, void *arg)
{
    legacy_answer *la = arg;
    char id[SG_CKC_API_MSG_ID_MAX] = "";
    if (la->lines.len)
        sg_buf_printf(&la->lines, "\n");
    if (m) {
        sg_ckc_api_msg_id(m->id, id);
        sg_buf_printf(&la->lines, "ID: %s", id);
    } else {
        int code = sg_ckc_legacy_error_of(rej->code, rej->field);
        sg_buf_printf(&la->lines, "ERR: %03d, %s", code, sg_ckc_error_text(code));
    }
    if (la->args->n > 1)
        sg_buf_printf(&la->lines, " To: %s", la->args->rcpt[i].raw);
}

static json_t *legacy_answer_of(size_t accepted, void *arg)
{
    (void)accepted;
    legacy_answer *la = arg;
    return json_string(sg_buf_cstr(&la->lines));
}

static bool legacy_tag(sg_message *m, void *arg)
{
    const legacy_answer *la = arg;
    return tag_message(m, la->who, la->args->level);
}

sg_http_result sg_compat_ck_sendmsg(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    legacy_params p;
    send_args a = {0};
    sg_http_result res = SG_HTTP_DONE;
    if (!params_read(req, &p)) {
        legacy_err(req, 200, SG_CKC_ERR_PARAMS);
        goto out;
    }
    if (!legacy_authenticate(req, app, &p))
        goto out;
    const ck_user *who = sg_http_user(req);
    if ((int)who->caller.role < SG_ROLE_SENDER) {
        legacy_err(req, 200, SG_CKC_ERR_AUTH);
        goto out;
    }
    int code = send_args_read(&p, true, 0, &a); /* Clickatell's callback=0: no reports */
    if (code) {
        legacy_err(req, 200, code);
        goto out;
    }
    legacy_answer la = {.who = who, .args = &a};
    sg_buf_init(&la.lines, 64 * 1024);
    sg_api_many_hooks h = {.tag = legacy_tag,
                           .row = legacy_row,
                           .answer = legacy_answer_of,
                           .status = 200,
                           .status_none = 200,
                           .content_type = "text/plain; charset=utf-8",
                           .arg = &la};
    res = sg_api_send_many_hooked(req, app, send_requests(&a), &h);
    sg_buf_free(&la.lines);
out:
    free(a.text);
    params_free(&p);
    return res;
}

/* The app's own message named by apimsgid into m; false when it is not one. */
static bool own_message(sg_app *app, const ck_user *who, const char *api_msg_id, sg_message *m)
{
    char id[SG_ID_MAX], owner[SG_ID_MAX], cb[512];
    return sg_ckc_message_id(api_msg_id, id) &&
           sg_store_app_message_owner(app->store, id, owner, cb) == SG_OK &&
           strcmp(owner, who->account.id) == 0 && sg_store_message_get(app->store, id, m) == SG_OK;
}

sg_http_result sg_compat_ck_querymsg(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    legacy_params p;
    sg_message m;
    if (!params_read(req, &p)) {
        legacy_err(req, 200, SG_CKC_ERR_PARAMS);
    } else if (legacy_authenticate(req, app, &p)) {
        const char *id = param(&p, "apimsgid");
        if (!id || !*id) {
            legacy_err(req, 200, SG_CKC_ERR_PARAMS);
        } else if (!own_message(app, sg_http_user(req), id, &m)) {
            legacy_err(req, 200, SG_CKC_ERR_UNKNOWN_ID);
        } else {
            char line[96];
            snprintf(line, sizeof line, "ID: %.32s Status: %03d", id, sg_ckc_status_code(m.status));
            legacy_text(req, 200, line);
            sg_message_free(&m);
        }
    }
    params_free(&p);
    return SG_HTTP_DONE;
}

/* ---- the platform API ----------------------------------------------------------------- */

/* m is who's, reported back in Clickatell's format at callback level level. */
static bool tag_message(sg_message *m, const ck_user *who, int level)
{
    snprintf(m->app_id, sizeof m->app_id, "%s", who->account.id);
    m->app_ck = true;
    m->app_ck_level = (unsigned char)level;
    return true;
}

/* The platform's error body: {"messages": [], "errorCode", "error", "errorDescription"}. */
static void platform_err(sg_http_req *req, int status, int code, const char *why)
{
    const char *text = why ? why : sg_ckc_platform_error_text(code);
    sg_http_respond_json(req, status,
                         json_pack("{s:[], s:i, s:s, s:s}", "messages", "errorCode", code, "error",
                                   text, "errorDescription", text));
}

/* Authenticate by an api_key into a new user set on req; false after answering
 * (401 with code 1, or 429 while throttled). */
static bool platform_authenticate(sg_http_req *req, sg_app *app, const char *raw_key)
{
    char address[64];
    if (!throttle_allows(req, address)) {
        platform_err(req, 429, 43, "Rate limit: too many failed authentications from this address");
        return false;
    }
    ck_user *u = calloc(1, sizeof *u);
    if (u && raw_key && api_key_ok(app, raw_key, u)) {
        if ((int)u->caller.role < SG_ROLE_SENDER) {
            user_free(u);
            platform_err(req, 403, 1, "this app may not send (its role is viewer)");
            return false;
        }
        sg_http_set_user(req, u, user_free);
        return true;
    }
    free(u);
    auth_failed(address);
    platform_err(req, 401, 1, NULL);
    return false;
}

/* The platform answer being built: one row per recipient. */
typedef struct platform_answer {
    const ck_user *who;
    int level;
    const sg_ckc_rcpt *rcpt;
    json_t *rows;
} platform_answer;

static void platform_row(size_t i, const sg_message *m, const sg_reject *rej, void *arg)
{
    platform_answer *pa = arg;
    char id[SG_CKC_API_MSG_ID_MAX] = "";
    json_t *row;
    if (m) {
        sg_ckc_api_msg_id(m->id, id);
        row = json_pack("{s:s, s:b, s:s, s:n, s:n, s:n}", "apiMessageId", id, "accepted", 1, "to",
                        pa->rcpt[i].raw, "errorCode", "error", "errorDescription");
    } else {
        int code = sg_ckc_platform_error_of(rej->code, rej->field);
        row = json_pack("{s:s, s:b, s:s, s:i, s:s, s:s}", "apiMessageId", "", "accepted", 0, "to",
                        pa->rcpt[i].raw, "errorCode", code, "error",
                        sg_ckc_platform_error_text(code), "errorDescription", rej->detail);
    }
    json_array_append_new(pa->rows, row);
}

static json_t *platform_answer_of(size_t accepted, void *arg)
{
    (void)accepted;
    platform_answer *pa = arg;
    return json_pack("{s:O, s:n, s:n, s:n}", "messages", pa->rows, "errorCode", "error",
                     "errorDescription");
}

static bool platform_tag(sg_message *m, void *arg)
{
    const platform_answer *pa = arg;
    return tag_message(m, pa->who, pa->level);
}

/* Send the request's messages with the platform's answer. */
static sg_http_result platform_send(sg_http_req *req, sg_app *app, const sg_ckc_rcpt *rcpt,
                                    int level, json_t *requests)
{
    platform_answer pa = {
        .who = sg_http_user(req), .level = level, .rcpt = rcpt, .rows = json_array()};
    sg_api_many_hooks h = {.tag = platform_tag,
                           .row = platform_row,
                           .answer = platform_answer_of,
                           .status = 202,
                           .status_none = 400,
                           .arg = &pa};
    sg_http_result res = sg_api_send_many_hooked(req, app, requests, &h);
    json_decref(pa.rows);
    return res;
}

/* GET /messages/http/send?apiKey=…&to=…&text=…: CiviCRM's Clickatell extension. */
sg_http_result sg_compat_ck_http_send(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    legacy_params p;
    send_args a = {0};
    sg_http_result res = SG_HTTP_DONE;
    if (!params_read(req, &p)) {
        platform_err(req, 400, 21, NULL);
        goto out;
    }
    if (!platform_authenticate(req, app, param(&p, "apiKey")))
        goto out;
    int code = send_args_read(&p, true, SG_CKC_CALLBACK_ALL, &a);
    if (code) {
        int pcode = code == SG_CKC_ERR_PARTS ? 100 : code == SG_CKC_ERR_DEST ? 25 : 23;
        platform_err(req, 400, pcode, pcode == 100 ? "Maximum message parts exceeded" : NULL);
        goto out;
    }
    res = platform_send(req, app, a.rcpt, a.level, send_requests(&a));
out:
    free(a.text);
    params_free(&p);
    return res;
}

/* POST /messages (JSON) with "Authorization: <api_key>". */
sg_http_result sg_compat_ck_messages(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    const char *auth = sg_http_header(req, "Authorization");
    if (auth && strncasecmp(auth, "Bearer ", 7) == 0)
        auth += 7;
    if (!platform_authenticate(req, app, auth))
        return SG_HTTP_DONE;
    size_t len = 0;
    const char *body = sg_http_body(req, &len);
    sg_ckc_platform_req pr;
    int code;
    char why[128];
    if (!sg_ckc_platform_parse(body, len, &pr, &code, why, sizeof why)) {
        platform_err(req, 400, code, why);
        sg_ckc_platform_free(&pr);
        return SG_HTTP_DONE;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < pr.n_rcpt; i++)
        json_array_append_new(arr, sg_ckc_message_request(&pr.rcpt[i], pr.content, pr.from,
                                                          pr.client_message_id));
    sg_http_result res = platform_send(req, app, pr.rcpt, SG_CKC_CALLBACK_ALL, arr);
    sg_ckc_platform_free(&pr);
    return res;
}
