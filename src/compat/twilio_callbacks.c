#include "compat/twilio_callbacks.h"
#include "api/app_accounts.h"
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
#define ANSWER_MAX   4096
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

/* The callback's form, in Twilio's parameters, onto body. */
static sg_err callback_form(const sg_app_callback *cb, const char *account_sid, sg_buf *body)
{
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

/* POST body to cb's URL signed under token; the answer's status into *status
 * (0: none) and why it failed into why. True on a 2xx answer. */
static bool post_signed(sg_tw_callbacks *w, const sg_app_callback *cb, const char *token,
                        const sg_buf *body, int *status, char *why, size_t cap)
{
    sg_form params;
    char sig[SG_TWILIO_SIG_MAX], sig_line[SG_HTTP_HEADER_LINE_MAX];
    if (sg_form_parse(sg_buf_cstr(body), body->len, &params) != SG_OK) {
        snprintf(why, cap, "cannot read back the form");
        return false;
    }
    sg_twilio_sign(token, cb->url, &params, sig);
    sg_form_free(&params);
    snprintf(sig_line, sizeof sig_line, "X-Twilio-Signature: %s", sig);
    const char *headers[] = {"Content-Type: application/x-www-form-urlencoded", sig_line};
    sg_http_request r = {
        .method = "POST", .url = cb->url, .headers = headers, .n_headers = 2,
        .body = sg_buf_cstr(body), .body_len = body->len, .connect_timeout_ms = TIMEOUT_MS,
        .timeout_ms = TIMEOUT_MS, .user_agent = "smsgate", .answer_max = ANSWER_MAX,
        .answer_discard = true, .answer_overflow = SG_HTTP_OVERFLOW_CUT,
        .addr_check = policy_check, .addr_ctx = (void *)w->policy,
    };
    sg_http_call call = {0};
    sg_error e = {0};
    *status = 0;
    if (sg_http_call_init(&call, NULL, &r, &e) != SG_OK) {
        snprintf(why, cap, "%s", e.message);
        sg_http_call_free(&call);
        return false;
    }
    CURLcode rc = sg_http_call_perform(&call);
    *status = (int)sg_http_call_status(&call);
    sg_http_call_error(&call, rc, why, cap);
    if (rc == CURLE_OK && (*status < 200 || *status >= 300))
        snprintf(why, cap, "answered HTTP %d", *status);
    sg_http_call_free(&call);
    return rc == CURLE_OK && *status >= 200 && *status < 300;
}

/* One attempt at cb, and its outcome recorded. */
static void deliver(sg_tw_callbacks *w, const sg_app_callback *cb)
{
    sg_app_account acct;
    char *token = NULL, account_sid[SG_ACCOUNT_SID_MAX], why[256] = "";
    int status = 0;
    bool ok = false;
    unsigned attempts = cb->attempts + 1;
    sg_buf body;
    sg_buf_init(&body, 8192);
    if (sg_store_app_get(w->app->store, cb->app_id, &acct) != SG_OK) {
        snprintf(why, sizeof why, "the app is removed");
        attempts = MAX_ATTEMPTS; /* nobody to sign for: give up now */
    } else if (sg_app_account_token(w->app, &acct, &token) != SG_OK) {
        snprintf(why, sizeof why, "cannot open the app's token (master key changed?)");
    } else {
        sg_app_account_sid(acct.id, account_sid);
        ok = callback_form(cb, account_sid, &body) == SG_OK &&
             post_signed(w, cb, token, &body, &status, why, sizeof why);
    }
    sg_secret_free(token);
    sg_buf_free(&body);
    int64_t now = sg_time_now_ms();
    int64_t next = sg_backoff_exhausted(&retry, attempts)
                       ? 0
                       : now + sg_backoff_delay_ms(&retry, attempts, sg_random_u32());
    if (!ok)
        sg_log(SG_LOG_INFO, "app_callback_failed", "id=%lld app=%s attempts=%u error=\"%s\"",
               cb->id, cb->app_id, attempts, why);
    sg_error e = {0};
    if (sg_store_app_callback_done(w->app->store, cb->id, ok, next, attempts, status, ok ? "" : why,
                                   now, &e) != SG_OK)
        sg_log(SG_LOG_WARN, "app_callback_record_failed", "id=%lld error=\"%s\"", cb->id,
               e.message);
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
