#include "compat/twilio_api.h"
#include "api/app_accounts.h"
#include "api/auth.h"
#include "api/common.h"
#include "api/handlers.h"
#include "compat/auth_throttle.h"
#include "compat/twilio_wire.h"
#include "core/signin.h"
#include "util/log.h"
#include "util/time.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PAGE_DEFAULT 50
#define PAGE_MAX     1000
#define DAY_MS       86400000LL
#define ANSWER_MAX   65536 /* a created message's resource: a body escaped 6 times over fits */

/* The authenticated app of a request: first member a caller, so that
 * sg_auth_caller (the send limits, the audit actor) reads it as any caller. */
typedef struct compat_user {
    sg_caller caller;
    sg_app_account account;
    char account_sid[SG_ACCOUNT_SID_MAX];
} compat_user;

static const compat_user *user_of(const sg_http_req *req)
{
    return sg_http_user(req);
}

/* Answer with Twilio's error body. */
static void tw_error(sg_http_req *req, int http_status, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void tw_error(sg_http_req *req, int http_status, int code, const char *fmt, ...)
{
    char message[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    sg_http_respond_json(req, http_status, sg_tw_error_json(http_status, code, message));
}

/* The user and password of a Basic Authorization header into user and pass;
 * false when it is not one. */
static bool basic_credentials(const char *h, char *user, size_t ucap, char *pass, size_t pcap)
{
    if (!h || strncasecmp(h, "Basic ", 6) != 0)
        return false;
    const char *b64 = h + 6;
    while (*b64 == ' ')
        b64++;
    unsigned char raw[256];
    size_t len = 0;
    if (sodium_base642bin(raw, sizeof raw - 1, b64, strlen(b64), NULL, &len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0)
        return false;
    raw[len] = '\0';
    char *colon = memchr(raw, ':', len);
    bool ok = colon && strlen((char *)raw) == len && (size_t)(colon - (char *)raw) < ucap &&
              strlen(colon + 1) < pcap;
    if (ok) {
        *colon = '\0';
        snprintf(user, ucap, "%s", (char *)raw);
        snprintf(pass, pcap, "%s", colon + 1);
    }
    sodium_memzero(raw, sizeof raw);
    return ok;
}

/* ---- apps read recently -------------------------------------------------------------- */

/* Apps are remembered for a while so that a busy client costs no store read per
 * request, as API keys are (api/auth.c): direct-mapped by id, dropped whole when
 * the store's keys generation moves (every app change moves it; polled at most
 * once a second), an app changed through this server's API dropped at once
 * (sg_compat_twilio_forget). A token that does not match the remembered app is
 * checked against the store before it is refused (it may have been rotated by
 * another process a moment ago). */
#define CACHE_SLOTS        64
#define CACHE_TTL_MS       30000
#define GENERATION_POLL_MS 1000

typedef struct cached_app {
    sg_app_account acct;
    int64_t expires;
} cached_app;

static cached_app cache[CACHE_SLOTS];
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t generation_seen = -1;       /* under cache_lock */
static _Atomic int64_t generation_checked; /* monotonic ms of the last poll */

static cached_app *cache_slot(const char *id)
{
    size_t h = 5381;
    for (; *id; id++)
        h = h * 33 + (unsigned char)*id;
    return &cache[h % CACHE_SLOTS];
}

static void poll_generation(sg_app *app)
{
    int64_t now = sg_time_mono_ms();
    int64_t last = atomic_load(&generation_checked);
    int64_t gen;
    if (now - last < GENERATION_POLL_MS ||
        !atomic_compare_exchange_strong(&generation_checked, &last, now) ||
        sg_store_keys_generation(app->store, &gen) != SG_OK)
        return;
    pthread_mutex_lock(&cache_lock);
    if (gen != generation_seen) {
        memset(cache, 0, sizeof cache);
        generation_seen = gen;
    }
    pthread_mutex_unlock(&cache_lock);
}

static bool cache_get(const char *id, sg_app_account *out, int64_t *gen)
{
    cached_app *c = cache_slot(id);
    pthread_mutex_lock(&cache_lock);
    bool hit = strcmp(c->acct.id, id) == 0 && c->expires > sg_time_mono_ms();
    if (hit)
        *out = c->acct;
    *gen = generation_seen;
    pthread_mutex_unlock(&cache_lock);
    return hit;
}

/* Remember a, read from the store while the generation was gen (not if the
 * cache was dropped since: the read may predate the change that dropped it). */
static void cache_put(const sg_app_account *a, int64_t gen)
{
    cached_app *c = cache_slot(a->id);
    pthread_mutex_lock(&cache_lock);
    if (gen == generation_seen) {
        c->acct = *a;
        c->expires = sg_time_mono_ms() + CACHE_TTL_MS;
    }
    pthread_mutex_unlock(&cache_lock);
}

void sg_compat_twilio_forget(const char *app_id)
{
    cached_app *c = cache_slot(app_id);
    pthread_mutex_lock(&cache_lock);
    if (strcmp(c->acct.id, app_id) == 0)
        memset(c, 0, sizeof *c);
    pthread_mutex_unlock(&cache_lock);
}

/* The app the path's Account SID names, from the apps read recently or the
 * store; with fresh, always from the store. */
static bool app_of_sid(sg_app *app, const char *path_sid, bool fresh, sg_app_account *out)
{
    char id[SG_ID_MAX];
    int64_t gen;
    if (!sg_app_account_id_of_sid(path_sid, id))
        return false;
    poll_generation(app);
    if (cache_get(id, out, &gen) && !fresh)
        return true;
    if (sg_store_app_get(app->store, id, out) != SG_OK)
        return false;
    cache_put(out, gen);
    return true;
}

/* Whether an API key of the app ("SK…" user, its secret as the password)
 * authenticates: keys are read from the store each time (a key is for
 * occasional use; the Account SID is the hot path). */
static bool app_key_ok(sg_app *app, const sg_app_account *acct, const char *user,
                       const char *pass)
{
    char id[SG_ID_MAX];
    sg_app_key k;
    return sg_app_key_id_of_sid(user, id) && sg_store_app_key_get(app->store, id, &k) == SG_OK &&
           strcmp(k.app_id, acct->id) == 0 && sg_app_key_secret_ok(&k, pass);
}

/* The app the credentials name: the user is the path's Account SID and the
 * password its token, or the user is an API key of that app and the password
 * the key's secret. */
static bool app_of_credentials(sg_app *app, const char *path_sid, const char *user,
                               const char *pass, sg_app_account *out)
{
    if (strncmp(user, "SK", 2) == 0)
        return app_of_sid(app, path_sid, false, out) && app_key_ok(app, out, user, pass);
    if (strcmp(user, path_sid) != 0 || !app_of_sid(app, path_sid, false, out))
        return false;
    if (sg_app_account_token_ok(out, pass))
        return true;
    /* rotated by another process a moment ago? */
    return app_of_sid(app, path_sid, true, out) && sg_app_account_token_ok(out, pass);
}

static void user_free(void *p)
{
    sodium_memzero(p, sizeof(compat_user));
    free(p);
}

sg_http_result sg_compat_twilio_authenticate(sg_http_req *req, const sg_route *route,
                                             sg_app *app)
{
    char address[64], user[80] = "", pass[80] = "";
    sg_http_client_ip(req, address);
    int64_t now = sg_time_mono_ms();
    int64_t wait = sg_compat_throttle_wait(address, now);
    if (wait > 0) {
        char secs[24];
        snprintf(secs, sizeof secs, "%lld", (long long)sg_throttle_retry_after_s(wait));
        sg_http_add_header(req, "Retry-After", secs);
        tw_error(req, 429, 20429, "Too Many Requests: too many failed authentications from this "
                                  "address");
        return SG_HTTP_DONE;
    }
    compat_user *u = calloc(1, sizeof *u);
    bool ok = u && basic_credentials(sg_http_header(req, "Authorization"), user, sizeof user,
                                     pass, sizeof pass) &&
              app_of_credentials(app, sg_http_param(req, 0), user, pass, &u->account);
    sodium_memzero(pass, sizeof pass);
    if (!ok) {
        free(u);
        sg_compat_throttle_fail(address, now);
        sg_log(SG_LOG_INFO, "compat_auth_failed", "client=%s", address);
        sg_http_add_header(req, "WWW-Authenticate", "Basic realm=\"Twilio API\"");
        tw_error(req, 401, 20003, "Authenticate");
        return SG_HTTP_DONE;
    }
    sg_app_account_caller(&u->account, &u->caller);
    sg_app_account_sid(u->account.id, u->account_sid);
    if ((int)u->caller.role < route->tag) {
        tw_error(req, 403, 20403, "this app has the role '%s'; this request needs '%s'",
                 sg_role_name(u->caller.role), sg_role_name((sg_role)route->tag));
        user_free(u);
        return SG_HTTP_DONE;
    }
    sg_http_set_user(req, u, user_free);
    return SG_HTTP_PENDING;
}

/* ---- create ------------------------------------------------------------------------- */

typedef struct create_ctx {
    const compat_user *who;
    const char *status_callback;   /* borrowed from the form, may be NULL */
    const char *messaging_service; /* borrowed from the form, may be NULL */
} create_ctx;

static bool tag_message(sg_message *m, void *arg)
{
    const create_ctx *c = arg;
    snprintf(m->app_id, sizeof m->app_id, "%s", c->who->account.id);
    const char *cb = c->status_callback ? c->status_callback : NULL;
    if (cb && !(m->app_status_callback = strdup(cb)))
        return false;
    return true;
}

/* The created Message resource, written as text (a JSON string answer is sent
 * as it is): building it as a jansson tree and dumping it was a fifth of the
 * compatible create's cost (docs/performance.md). NULL: out of memory. */
static json_t *answer_created(const sg_message *m, void *arg)
{
    const create_ctx *c = arg;
    sg_buf b;
    sg_buf_init(&b, ANSWER_MAX);
    json_t *j = NULL;
    if (sg_tw_message_write(&b, m, c->who->account_sid, c->messaging_service) == SG_OK)
        j = json_stringn_nocheck(b.data, b.len);
    sg_buf_free(&b);
    return j;
}

static void refuse_created(sg_http_req *req, const sg_reject *rej, void *arg)
{
    (void)arg;
    int status, code;
    sg_tw_error_of(rej->code, rej->field, &status, &code);
    tw_error(req, status, code, "%s", rej->detail);
}

/* The form of the request's body into f; false after answering. */
static bool body_form(sg_http_req *req, sg_form *f)
{
    size_t len = 0;
    const char *body = sg_http_body(req, &len);
    if (sg_form_parse(body ? body : "", body ? len : 0, f) == SG_OK)
        return true;
    tw_error(req, 400, 21620, "the body must be application/x-www-form-urlencoded");
    return false;
}

/* The message's StatusCallback: a URL smsgate may call; false after answering. */
static bool callback_allowed(sg_http_req *req, sg_app *app, const char *url)
{
    const char *why = "";
    int rc = url ? sg_api_url_check(app->outbound, url, &why) : SG_URL_OK;
    if (rc == SG_URL_MALFORMED)
        tw_error(req, 400, 21609, "StatusCallback must be an http:// or https:// URL with a host");
    else if (rc == SG_URL_REFUSED)
        tw_error(req, 400, 21609, "smsgate does not call this StatusCallback: its host is a %s",
                 why);
    return rc == SG_URL_OK;
}

sg_http_result sg_compat_twilio_create(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    const compat_user *who = user_of(req);
    sg_form f;
    if (!body_form(req, &f))
        return SG_HTTP_DONE;
    create_ctx c = {.who = who};
    sg_tw_fail fail;
    json_t *obj = sg_tw_create_request(&f, &c.status_callback, &c.messaging_service, &fail);
    sg_http_result res = SG_HTTP_DONE;
    if (!obj) {
        tw_error(req, fail.http_status, fail.code, "%s", fail.message);
    } else if (!callback_allowed(req, app, c.status_callback)) {
        json_decref(obj);
    } else {
        if (who->account.provider_id[0])
            json_object_set_new(obj, "provider", json_string(who->account.provider_id));
        sg_api_send_hooks h = {.tag = tag_message,
                               .answer = answer_created,
                               .status = 201,
                               .refuse = refuse_created,
                               .arg = &c};
        res = sg_api_send_one_hooked(req, app, obj, &h);
    }
    sg_form_free(&f);
    return res;
}

/* ---- one message ---------------------------------------------------------------------- */

/* The app's message named by the path's second parameter ("SM….json") into m;
 * false after answering 404. */
static bool path_message(sg_http_req *req, sg_app *app, sg_message *m)
{
    const compat_user *who = user_of(req);
    const char *seg = sg_http_param(req, 1);
    char sid[SG_TW_SID_MAX] = "", id[SG_ID_MAX], owner[SG_ID_MAX], cb[512];
    size_t len = strlen(seg);
    if (len > 5 && strcmp(seg + len - 5, ".json") == 0 && len - 5 < sizeof sid)
        memcpy(sid, seg, len - 5), sid[len - 5] = '\0';
    bool ok = sg_tw_message_id(sid, id) &&
              sg_store_app_message_owner(app->store, id, owner, cb) == SG_OK &&
              strcmp(owner, who->account.id) == 0 && sg_store_message_get(app->store, id, m) == SG_OK;
    if (!ok)
        tw_error(req, 404, 20404, "The requested resource /" SG_TW_API_VERSION
                                  "/Accounts/%s/Messages/%.40s was not found",
                 who->account_sid, seg);
    return ok;
}

sg_http_result sg_compat_twilio_fetch(sg_http_req *req, void *ctx)
{
    sg_message m;
    if (!path_message(req, ctx, &m))
        return SG_HTTP_DONE;
    sg_http_respond_json(req, 200, sg_tw_message_json(&m, user_of(req)->account_sid));
    sg_message_free(&m);
    return SG_HTTP_DONE;
}

/* POST …/Messages/{sid}.json: Status=canceled cancels a scheduled message. */
sg_http_result sg_compat_twilio_update(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    sg_form f;
    sg_message m, now;
    if (!body_form(req, &f))
        return SG_HTTP_DONE;
    const char *status = sg_form_get(&f, "Status");
    bool cancel = status && strcmp(status, "canceled") == 0;
    sg_form_free(&f);
    if (!path_message(req, app, &m))
        return SG_HTTP_DONE;
    sg_error e = {0};
    if (!cancel) {
        tw_error(req, 400, 21620, "smsgate changes a message only with Status=canceled");
    } else if (m.status != SG_STATUS_SCHEDULED) {
        tw_error(req, 400, 21620, "the message is %s: only a scheduled message can be canceled",
                 sg_status_name(m.status));
    } else if (sg_store_message_cancel(app->store, m.id, &now, &e) != SG_OK) {
        tw_error(req, 400, 21620, "the message can no longer be canceled: %s", e.message);
        sg_message_free(&now);
    } else {
        sg_http_respond_json(req, 200, sg_tw_message_json(&now, user_of(req)->account_sid));
        sg_message_free(&now);
    }
    sg_message_free(&m);
    return SG_HTTP_DONE;
}

/* DELETE …/Messages/{sid}.json: the app stops seeing a finished message, whose
 * body is blanked; it stays in smsgate's statistics. */
sg_http_result sg_compat_twilio_delete(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    sg_message m;
    if (!path_message(req, app, &m))
        return SG_HTTP_DONE;
    sg_error e = {0};
    bool pending = m.status == SG_STATUS_SCHEDULED || m.status == SG_STATUS_QUEUED ||
                   m.status == SG_STATUS_SENDING;
    if (pending) {
        tw_error(req, 400, 20009, "Cannot delete message because delivery has not been "
                                  "completed (it is %s)",
                 sg_status_name(m.status));
    } else {
        sg_err err = sg_store_app_message_forget(app->store, user_of(req)->account.id, m.id, &e);
        if (err)
            tw_error(req, err == SG_ERR_NOT_FOUND ? 404 : 503, err == SG_ERR_NOT_FOUND ? 20404 : 20500,
                     "%s", e.message);
        else
            sg_http_respond(req, 204, NULL, "", 0);
    }
    sg_message_free(&m);
    return SG_HTTP_DONE;
}

/* ---- list ----------------------------------------------------------------------------- */

typedef struct list_args {
    sg_app_message_filter f;
    char to[SG_PHONE_MAX + 1], from[SG_FROM_MAX];
    char before[SG_ID_MAX];
    size_t page;
} list_args;

/* A query value with a '+' that arrived unencoded (a space) put back. */
static const char *plus_fixed(const char *v, char *buf, size_t cap)
{
    if (v && v[0] == ' ') {
        snprintf(buf, cap, "+%s", v + 1);
        return buf;
    }
    return v;
}

/* YYYY-MM-DD into the ms of its midnight UTC; false otherwise. */
static bool read_day(const char *s, int64_t *ms)
{
    char buf[32];
    if (!s || strlen(s) != 10)
        return false;
    snprintf(buf, sizeof buf, "%sT00:00:00Z", s);
    return sg_time_parse(buf, ms);
}

/* The query into a; false after answering 400. */
static bool list_parse(sg_http_req *req, list_args *a)
{
    memset(a, 0, sizeof *a);
    a->f.app_id = user_of(req)->account.id;
    a->f.limit = PAGE_DEFAULT;
    char fix[64];
    const char *to = plus_fixed(sg_http_query(req, "To"), fix, sizeof fix);
    if (to) {
        snprintf(a->to, sizeof a->to, "%.*s", (int)sizeof a->to - 1, to);
        a->f.to = a->to;
    }
    const char *from = plus_fixed(sg_http_query(req, "From"), fix, sizeof fix);
    if (from) {
        snprintf(a->from, sizeof a->from, "%.*s", (int)sizeof a->from - 1, from);
        a->f.from = a->from;
    }
    static const char *const days[] = {"DateSent", "DateSent>", "DateSent<"};
    for (size_t i = 0; i < 3; i++) {
        const char *v = sg_http_query(req, days[i]);
        int64_t ms;
        if (v && !read_day(v, &ms)) {
            tw_error(req, 400, 20001, "%s must be a date such as 2026-12-01", days[i]);
            return false;
        }
        if (v && i != 2)
            a->f.created_from = ms;
        if (v && i != 1)
            a->f.created_until = ms + DAY_MS;
    }
    const char *size = sg_http_query(req, "PageSize");
    if (size) {
        size_t n = strspn(size, "0123456789");
        long v = n && n <= 4 && !size[n] ? strtol(size, NULL, 10) : 0;
        if (v < 1 || v > PAGE_MAX) {
            tw_error(req, 400, 20001, "PageSize must be from 1 to %d", PAGE_MAX);
            return false;
        }
        a->f.limit = (size_t)v;
    }
    const char *page = sg_http_query(req, "Page");
    if (page && strspn(page, "0123456789") == strlen(page) && strlen(page) <= 6)
        a->page = (size_t)strtol(page, NULL, 10);
    const char *token = sg_http_query(req, "PageToken");
    if (token) {
        if (strncmp(token, "PA", 2) != 0 || !sg_tw_message_id(token + 2, a->before)) {
            tw_error(req, 400, 20001, "PageToken is not one smsgate gave");
            return false;
        }
        a->f.before_id = a->before;
    }
    return true;
}

/* The list's own URI for page (with PageToken when token is not ""). */
static json_t *page_uri(const list_args *a, const char *account_sid, size_t page,
                        const char *token)
{
    sg_buf b;
    sg_buf_init(&b, 2048);
    sg_buf_printf(&b, "/" SG_TW_API_VERSION "/Accounts/%s/Messages.json?", account_sid);
    sg_buf q;
    sg_buf_init(&q, 1024);
    if (a->f.to)
        sg_form_add(&q, "To", a->f.to);
    if (a->f.from)
        sg_form_add(&q, "From", a->f.from);
    char num[24];
    snprintf(num, sizeof num, "%zu", a->f.limit);
    sg_form_add(&q, "PageSize", num);
    snprintf(num, sizeof num, "%zu", page);
    sg_form_add(&q, "Page", num);
    if (token[0])
        sg_form_add(&q, "PageToken", token);
    sg_buf_append(&b, sg_buf_cstr(&q), q.len);
    json_t *j = json_string(sg_buf_cstr(&b));
    sg_buf_free(&q);
    sg_buf_free(&b);
    return j;
}

sg_http_result sg_compat_twilio_list(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    const compat_user *who = user_of(req);
    list_args a;
    if (!list_parse(req, &a))
        return SG_HTTP_DONE;
    char(*ids)[SG_ID_MAX] = NULL;
    size_t n = 0;
    bool more = false;
    sg_err err = sg_store_app_message_ids(app->store, &a.f, &ids, &n, &more);
    if (err) {
        tw_error(req, 503, 20500, "cannot list the messages: %s", sg_strerror(err));
        return SG_HTTP_DONE;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        sg_message m;
        if (sg_store_message_get(app->store, ids[i], &m) != SG_OK)
            continue;
        json_array_append_new(list, sg_tw_message_json(&m, who->account_sid));
        sg_message_free(&m);
    }
    char token[SG_TW_SID_MAX + 2] = "";
    char sid[SG_TW_SID_MAX];
    if (more && n && sg_tw_message_sid(ids[n - 1], sid))
        snprintf(token, sizeof token, "PA%s", sid);
    free(ids);
    size_t start = a.page * a.f.limit;
    json_t *resp = json_object();
    json_object_set_new(resp, "messages", list);
    json_object_set_new(resp, "end", json_integer((json_int_t)(n ? start + n - 1 : start)));
    json_object_set_new(resp, "first_page_uri", page_uri(&a, who->account_sid, 0, ""));
    json_object_set_new(resp, "next_page_uri",
                        token[0] ? page_uri(&a, who->account_sid, a.page + 1, token)
                                 : json_null());
    json_object_set_new(resp, "page", json_integer((json_int_t)a.page));
    json_object_set_new(resp, "page_size", json_integer((json_int_t)a.f.limit));
    json_object_set_new(resp, "previous_page_uri", json_null());
    json_object_set_new(resp, "start", json_integer((json_int_t)start));
    json_object_set_new(resp, "uri", page_uri(&a, who->account_sid, a.page,
                                              a.f.before_id ? sg_http_query(req, "PageToken") : ""));
    sg_http_respond_json(req, 200, resp);
    return SG_HTTP_DONE;
}
