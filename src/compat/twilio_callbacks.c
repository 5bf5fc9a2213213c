#include "compat/twilio_callbacks.h"
#include "api/accept.h"
#include "api/app_accounts.h"
#include "compat/clickatell_callbacks.h"
#include "dispatch/dispatcher.h"
#include "compat/twilio_wire.h"
#include "core/backoff.h"
#include "core/outbound_policy.h"
#include "providers/twilio/signature.h"
#include "util/crypto.h"
#include "util/http_client.h"
#include "util/log.h"
#include "util/time.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TICK_MS      250
#define CLAIM_MAX    16
#define LEASE_MS     60000
#define TIMEOUT_MS   5000
#define ANSWER_MAX   65536 /* TwiML answers: Twilio takes 64 kB at most */
#define MAX_ATTEMPTS 10

static const sg_backoff retry = {5000, 600000, MAX_ATTEMPTS};

struct sg_tw_callbacks {
    sg_app *app;
    const sg_outbound_policy *policy;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stopping;
};

/* The outbound policy as the request's address hook. */
static const char *policy_check(void *ctx, const struct sockaddr *addr)
{
    sg_outbound_verdict v = sg_outbound_check_sockaddr(ctx, addr);
    return v == SG_OUTBOUND_OK ? NULL : sg_outbound_reason(v);
}

/* A status callback's form, in Twilio's parameters, onto body. */
static sg_err status_form(sg_tw_callbacks *w, const sg_app_callback *cb, const char *account_sid,
                          sg_buf *body, bool *skip)
{
    (void)w;
    *skip = false;
    char sid[SG_TW_SID_MAX] = "", code[16];
    sg_tw_message_sid(cb->message_id, sid);
    int ec = sg_tw_error_code(cb->error_code);
    snprintf(code, sizeof code, "%d", ec);
    sg_err err = sg_form_add(body, "MessageSid", sid);
    err = err ? err : sg_form_add(body, "SmsSid", sid);
    err = err ? err : sg_form_add(body, "MessageStatus", cb->status);
    err = err ? err : sg_form_add(body, "SmsStatus", cb->status);
    if (ec)
        err = err ? err : sg_form_add(body, "ErrorCode", code);
    err = err ? err : sg_form_add(body, "To", cb->to);
    err = err ? err : sg_form_add(body, "From", cb->from);
    err = err ? err : sg_form_add(body, "AccountSid", account_sid);
    return err ? err : sg_form_add(body, "ApiVersion", SG_TW_API_VERSION);
}

/* An inbound message's form, as Twilio posts it to a number's messaging URL,
 * onto body. */
static sg_err inbound_form(sg_tw_callbacks *w, const sg_app_callback *cb, const char *account_sid,
                           sg_buf *body, bool *skip)
{
    sg_message m;
    *skip = false;
    char sid[SG_TW_SID_MAX] = "", segments[16];
    if (sg_store_message_get(w->app->store, cb->message_id, &m) != SG_OK)
        return SG_ERR_NOT_FOUND;
    sg_tw_message_sid(cb->message_id, sid);
    snprintf(segments, sizeof segments, "%u", m.segments ? m.segments : 1);
    sg_err err = sg_form_add(body, "MessageSid", sid);
    err = err ? err : sg_form_add(body, "SmsSid", sid);
    err = err ? err : sg_form_add(body, "SmsMessageSid", sid);
    err = err ? err : sg_form_add(body, "AccountSid", account_sid);
    err = err ? err : sg_form_add(body, "From", cb->from);
    err = err ? err : sg_form_add(body, "To", cb->to);
    err = err ? err : sg_form_add(body, "Body", m.body ? m.body : "");
    err = err ? err : sg_form_add(body, "NumMedia", "0");
    err = err ? err : sg_form_add(body, "NumSegments", segments);
    err = err ? err : sg_form_add(body, "SmsStatus", "received");
    err = err ? err : sg_form_add(body, "ApiVersion", SG_TW_API_VERSION);
    sg_message_free(&m);
    return err;
}

/* Send the TwiML answer's <Message> text back to the inbound message's sender
 * as the app (an ordinary message of the app: opt-outs and limits apply). */
static void send_reply(sg_tw_callbacks *w, const sg_app_account *acct, const sg_app_callback *cb,
                       const char *text);

/* A delivery report in Clickatell's fields (compat/clickatell_callbacks.h). */
static sg_err ck_status_form(sg_tw_callbacks *w, const sg_app_callback *cb,
                             const char *account_sid, sg_buf *body, bool *skip)
{
    (void)account_sid;
    return sg_compat_ck_report_form(w->app->store, cb, body, skip);
}

/* An inbound message in Clickatell's reply-path fields. */
static sg_err ck_inbound_form(sg_tw_callbacks *w, const sg_app_callback *cb,
                              const char *account_sid, sg_buf *body, bool *skip)
{
    (void)account_sid;
    *skip = false;
    return sg_compat_ck_mo_form(w->app->store, cb, body);
}

/* The kinds of callback, by kind and format (tw: Twilio's, ck: Clickatell's):
 * how each builds its form (skip: nothing is due), whether it is signed with
 * X-Twilio-Signature and whether its answer is read (TwiML). */
static const struct {
    const char *kind;
    const char *format;
    sg_err (*form)(sg_tw_callbacks *w, const sg_app_callback *cb, const char *account_sid,
                   sg_buf *body, bool *skip);
    bool signs;
    bool reads_answer;
} kinds[] = {
    {"status", "tw", status_form, true, false},
    {"inbound", "tw", inbound_form, true, true},
    {"status", "ck", ck_status_form, false, false},
    {"inbound", "ck", ck_inbound_form, false, false},
};

/* Send form (signed under token; unsigned when token is NULL) to cb's URL:
 * POSTed, or in the query of a GET (then the signature covers the URL alone). The answer's
 * status into *status (0: none), its body into answer when reads (a TwiML
 * answer), why it failed into why. True on a 2xx answer. */
static bool send_signed(sg_tw_callbacks *w, const sg_app_callback *cb, const char *token,
                        const sg_buf *form, bool reads, sg_buf *answer, int *status, char *why,
                        size_t cap)
{
    bool get = strcmp(cb->method, "GET") == 0;
    sg_buf url;
    sg_buf_init(&url, SG_HTTP_HEADER_LINE_MAX + sizeof cb->url);
    sg_buf_append_str(&url, cb->url);
    if (get) {
        sg_buf_append_str(&url, strchr(cb->url, '?') ? "&" : "?");
        sg_buf_append(&url, sg_buf_cstr(form), form->len);
    }
    sg_form params = {0};
    char sig[SG_TWILIO_SIG_MAX], sig_line[SG_HTTP_HEADER_LINE_MAX];
    bool ok = false;
    sg_http_call call = {0};
    sg_error e = {0};
    *status = 0;
    if (token && !get && sg_form_parse(sg_buf_cstr(form), form->len, &params) != SG_OK) {
        snprintf(why, cap, "cannot read back the form");
        goto out;
    }
    const char *headers[2];
    size_t n_headers = 0;
    if (token) {
        sg_twilio_sign(token, sg_buf_cstr(&url), get ? NULL : &params, sig);
        snprintf(sig_line, sizeof sig_line, "X-Twilio-Signature: %s", sig);
        headers[n_headers++] = sig_line;
    }
    if (!get)
        headers[n_headers++] = "Content-Type: application/x-www-form-urlencoded";
    sg_http_request r = {
        .method = get ? "GET" : "POST", .url = sg_buf_cstr(&url), .headers = headers,
        .n_headers = n_headers, .body = get ? NULL : sg_buf_cstr(form),
        .body_len = get ? 0 : form->len, .connect_timeout_ms = TIMEOUT_MS,
        .timeout_ms = TIMEOUT_MS, .user_agent = "smsgate", .answer_max = ANSWER_MAX,
        .answer_discard = !reads, .answer_overflow = SG_HTTP_OVERFLOW_CUT,
        .addr_check = policy_check, .addr_ctx = (void *)w->policy,
    };
    if (sg_http_call_init(&call, NULL, &r, &e) != SG_OK) {
        snprintf(why, cap, "%s", e.message);
        goto out;
    }
    CURLcode rc = sg_http_call_perform(&call);
    *status = (int)sg_http_call_status(&call);
    sg_http_call_error(&call, rc, why, cap);
    if (rc == CURLE_OK && (*status < 200 || *status >= 300))
        snprintf(why, cap, "answered HTTP %d", *status);
    ok = rc == CURLE_OK && *status >= 200 && *status < 300;
    if (ok && reads)
        sg_buf_append(answer, sg_http_body_data(&call.answer), sg_http_body_len(&call.answer));
out:
    sg_http_call_free(&call);
    sg_form_free(&params);
    sg_buf_free(&url);
    return ok;
}

/* One attempt at cb, and its outcome recorded. */
static void deliver(sg_tw_callbacks *w, const sg_app_callback *cb)
{
    sg_app_account acct;
    char *token = NULL, account_sid[SG_ACCOUNT_SID_MAX], why[256] = "", reply[1601];
    int status = 0;
    bool ok = false;
    unsigned attempts = cb->attempts + 1;
    bool skip = false;
    size_t k = 0;
    while (k < sizeof kinds / sizeof *kinds &&
           (strcmp(kinds[k].kind, cb->kind) != 0 || strcmp(kinds[k].format, cb->format) != 0))
        k++;
    sg_buf body, answer;
    sg_buf_init(&body, 16384);
    sg_buf_init(&answer, ANSWER_MAX);
    if (k == sizeof kinds / sizeof *kinds || sg_store_app_get(w->app->store, cb->app_id, &acct)) {
        snprintf(why, sizeof why, k < sizeof kinds / sizeof *kinds ? "the app is removed"
                                                                  : "unknown kind");
        attempts = MAX_ATTEMPTS; /* nobody to sign for: give up now */
    } else if (kinds[k].signs && sg_app_account_token(w->app, &acct, &token) != SG_OK) {
        snprintf(why, sizeof why, "cannot open the app's token (master key changed?)");
    } else {
        sg_app_account_sid(acct.id, account_sid);
        ok = kinds[k].form(w, cb, account_sid, &body, &skip) == SG_OK &&
             (skip || send_signed(w, cb, token, &body, kinds[k].reads_answer, &answer, &status,
                                  why, sizeof why));
        if (skip) /* the message's callback level does not ask for this status */
            snprintf(why, sizeof why, "not sent: callback level %u does not ask for it",
                     cb->level);
    }
    if (ok && !skip && kinds[k].reads_answer &&
        sg_tw_twiml_message(sg_buf_cstr(&answer), answer.len, reply, sizeof reply))
        send_reply(w, &acct, cb, reply);
    sg_secret_free(token);
    sg_buf_free(&body);
    sg_buf_free(&answer);
    int64_t now = sg_time_now_ms();
    int64_t next = sg_backoff_exhausted(&retry, attempts)
                       ? 0
                       : now + sg_backoff_delay_ms(&retry, attempts, sg_random_u32());
    if (!ok)
        sg_log(SG_LOG_INFO, "app_callback_failed", "id=%lld app=%s attempts=%u error=\"%s\"",
               cb->id, cb->app_id, attempts, why);
    sg_error e = {0};
    if (sg_store_app_callback_done(w->app->store, cb->id, ok, next, attempts, status,
                                   ok && !skip ? "" : why, now, &e) != SG_OK)
        sg_log(SG_LOG_WARN, "app_callback_record_failed", "id=%lld error=\"%s\"", cb->id,
               e.message);
}

/* A message insert waited for (the worker has its own thread to block). */
typedef struct sync_insert {
    sg_insert_req ins;
    pthread_mutex_t m;
    pthread_cond_t cv;
    bool done;
} sync_insert;

static void sync_done(sg_insert_req *r)
{
    sync_insert *si = (sync_insert *)r;
    pthread_mutex_lock(&si->m);
    si->done = true;
    pthread_cond_signal(&si->cv);
    pthread_mutex_unlock(&si->m);
}

static sg_err insert_wait(sg_store *store, sg_message *m)
{
    sync_insert si = {.ins = {.msgs = m, .n = 1, .done = sync_done}};
    pthread_mutex_init(&si.m, NULL);
    pthread_cond_init(&si.cv, NULL);
    sg_err err = sg_store_messages_insert(store, &si.ins);
    if (!err) {
        pthread_mutex_lock(&si.m);
        while (!si.done)
            pthread_cond_wait(&si.cv, &si.m);
        pthread_mutex_unlock(&si.m);
        err = si.ins.err;
    }
    sg_insert_req_clear(&si.ins);
    pthread_cond_destroy(&si.cv);
    pthread_mutex_destroy(&si.m);
    return err;
}

static void send_reply(sg_tw_callbacks *w, const sg_app_account *acct, const sg_app_callback *cb,
                       const char *text)
{
    json_t *obj = json_pack("{s:s, s:s}", "to", cb->from, "body", text);
    if (cb->to[0] == '+')
        json_object_set_new(obj, "from", json_string(cb->to));
    if (acct->provider_id[0])
        json_object_set_new(obj, "provider", json_string(acct->provider_id));
    sg_message m;
    const sg_provider *prov;
    sg_reject rej;
    sg_provider_set *set = sg_registry_get(w->app->registry);
    bool ok = sg_accept_message(w->app, set, obj, sg_time_now_ms(), &m, &prov, &rej);
    sg_registry_release(w->app->registry, set);
    json_decref(obj);
    if (!ok) {
        sg_log(SG_LOG_INFO, "app_reply_refused", "app=%s code=%s detail=\"%s\"", acct->id,
               rej.code, rej.detail);
        return;
    }
    snprintf(m.app_id, sizeof m.app_id, "%s", acct->id);
    sg_err err = insert_wait(w->app->store, &m);
    if (err)
        sg_log(SG_LOG_WARN, "app_reply_failed", "app=%s error=%s", acct->id, sg_strerror(err));
    else if (w->app->dispatcher)
        sg_dispatcher_wake(w->app->dispatcher);
    sg_message_free(&m);
}

static bool stopping(sg_tw_callbacks *w)
{
    pthread_mutex_lock(&w->lock);
    bool s = w->stopping;
    pthread_mutex_unlock(&w->lock);
    return s;
}

/* Wait a tick (or until stopped). */
static void nap(sg_tw_callbacks *w)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += (long)TICK_MS * 1000000L;
    ts.tv_sec += ts.tv_nsec / 1000000000L;
    ts.tv_nsec %= 1000000000L;
    pthread_mutex_lock(&w->lock);
    if (!w->stopping)
        pthread_cond_timedwait(&w->cond, &w->lock, &ts);
    pthread_mutex_unlock(&w->lock);
}

static void *run(void *arg)
{
    sg_tw_callbacks *w = arg;
    while (!stopping(w)) {
        sg_app_callback *due = NULL;
        size_t n = 0;
        if (sg_store_app_callback_claim(w->app->store, sg_time_now_ms(), CLAIM_MAX, LEASE_MS,
                                        &due, &n) != SG_OK)
            n = 0;
        for (size_t i = 0; i < n && !stopping(w); i++)
            deliver(w, &due[i]);
        free(due);
        if (n < CLAIM_MAX)
            nap(w);
    }
    return NULL;
}

sg_err sg_tw_callbacks_start(sg_app *app, const sg_outbound_policy *policy,
                             sg_tw_callbacks **out, sg_error *e)
{
    static const sg_outbound_policy strict;
    sg_tw_callbacks *w = calloc(1, sizeof *w);
    if (!w)
        return sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory");
    w->app = app;
    w->policy = policy ? policy : &strict;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    if (pthread_create(&w->thread, NULL, run, w) != 0) {
        pthread_cond_destroy(&w->cond);
        pthread_mutex_destroy(&w->lock);
        free(w);
        return sg_error_set(e, SG_ERR_IO, NULL, "cannot start the app callbacks thread");
    }
    *out = w;
    return SG_OK;
}

void sg_tw_callbacks_stop(sg_tw_callbacks *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    w->stopping = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->lock);
    free(w);
}
