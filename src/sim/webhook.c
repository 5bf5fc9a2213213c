/* Twilio's webhook requests as the simulator sends them: form bodies, signatures
 * and one curl easy handle per POST. */
#include "sim/webhook.h"
#include "sim/common.h"

#include "core/gsm7.h"
#include "util/crypto.h"
#include "util/form.h"
#include "util/http_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static sg_err encode(sg_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    char chunk[96];
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '*') {
            chunk[n++] = (char)c;
        } else if (c == ' ') {
            chunk[n++] = '+';
        } else {
            chunk[n++] = '%';
            chunk[n++] = hex[c >> 4];
            chunk[n++] = hex[c & 15];
        }
        if (n > sizeof chunk - 3) {
            sg_err err = sg_buf_append(b, chunk, n);
            if (err)
                return err;
            n = 0;
        }
    }
    return n ? sg_buf_append(b, chunk, n) : SG_OK;
}

sg_err sg_sim_form_add(sg_buf *b, const char *key, const char *value)
{
    sg_err err = b->len ? sg_buf_append(b, "&", 1) : SG_OK;
    if (!err)
        err = encode(b, key);
    if (!err)
        err = sg_buf_append(b, "=", 1);
    if (!err)
        err = encode(b, value ? value : "");
    return err;
}

bool sg_sim_sign_body(const char *auth_token, const char *url, const char *body,
                      char out[SG_TWILIO_SIG_MAX])
{
    sg_form f;
    out[0] = '\0';
    if (sg_form_parse(body, strlen(body), &f) != SG_OK)
        return false;
    sg_twilio_sign(auth_token, url, &f, out);
    sg_form_free(&f);
    return out[0] != '\0';
}

const char *sg_sim_error_message(int code)
{
    switch (code) {
    case 30003:
        return "Unreachable destination handset";
    case 30005:
        return "Unknown destination handset";
    case 30006:
        return "Landline or unreachable carrier";
    case 30008:
    default:
        return "Unknown error";
    }
}

sg_err sg_sim_status_body(const sg_sim_status_params *p, sg_buf *out)
{
    char code[16], done[64];
    snprintf(code, sizeof code, "%d", p->error_code);
    done[0] = '\0';
    if (p->done_ms > 0 &&
        (strcmp(p->status, "delivered") == 0 || strcmp(p->status, "undelivered") == 0)) {
        time_t t = (time_t)(p->done_ms / 1000);
        struct tm tm;
        gmtime_r(&t, &tm);
        snprintf(done, sizeof done, "%02d%02d%02d%02d%02d", tm.tm_year % 100, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min);
    }
    sg_err err = SG_OK;
#define ADD(k, v)                                                                                  \
    do {                                                                                           \
        if (!err)                                                                                  \
            err = sg_sim_form_add(out, k, v);                                                      \
    } while (0)
    if (p->error_code) {
        ADD("ErrorCode", code);
        ADD("ErrorMessage", sg_sim_error_message(p->error_code));
    }
    ADD("SmsSid", p->message_sid);
    ADD("SmsStatus", p->status);
    ADD("MessageStatus", p->status);
    ADD("To", p->to);
    if (p->messaging_service_sid)
        ADD("MessagingServiceSid", p->messaging_service_sid);
    if (done[0])
        ADD("RawDlrDoneDate", done);
    ADD("MessageSid", p->message_sid);
    ADD("AccountSid", p->account_sid);
    if (p->from)
        ADD("From", p->from);
    ADD("ApiVersion", "2010-04-01");
#undef ADD
    return err;
}

sg_err sg_sim_inbound_body(const sg_sim_inbound_params *p, sg_buf *out)
{
    /* The order of the captured real request in providers.md A.8. */
    const char *keys[] = {"ToCountry",  "ToState",    "SmsMessageSid", "NumMedia",
                          "ToCity",     "FromZip",    "SmsSid",        "FromState",
                          "SmsStatus",  "FromCity",   "Body",          "FromCountry",
                          "To",         "ToZip",      "NumSegments",   "ReferralNumMedia",
                          "MessageSid", "AccountSid", "From",          "ApiVersion"};
    enum { N = sizeof keys / sizeof keys[0] };
    char segments[16] = "1";
    sg_sms_info info;
    if (sg_sms_analyze(p->body, strlen(p->body), &info) != SG_TEXT_INVALID_UTF8)
        snprintf(segments, sizeof segments, "%u", info.segments ? info.segments : 1);
    const char *values[N] = {"",
                             "",
                             p->message_sid,
                             "0",
                             "",
                             "",
                             p->message_sid,
                             "",
                             "received",
                             "",
                             p->body,
                             "",
                             p->to,
                             "",
                             segments,
                             "0",
                             p->message_sid,
                             p->account_sid,
                             p->from,
                             "2010-04-01"};
    bool replaced[64] = {false};
    sg_err err = SG_OK;
    for (size_t i = 0; i < N && !err; i++) {
        const char *v = values[i];
        for (size_t x = 0; x < p->n_extra && x < 64; x++) {
            if (strcmp(p->extra_keys[x], keys[i]) == 0) {
                v = p->extra_values[x];
                replaced[x] = true;
            }
        }
        err = sg_sim_form_add(out, keys[i], v);
    }
    for (size_t x = 0; x < p->n_extra && !err; x++) {
        if (x >= 64 || !replaced[x])
            err = sg_sim_form_add(out, p->extra_keys[x], p->extra_values[x]);
    }
    return err;
}

void sg_sim_new_sid(char out[35])
{
    memcpy(out, "SM", 2);
    sg_random_hex(out + 2, 16);
}

bool sg_sim_request_init(sg_sim_post *p, const sg_sim_http *h, const char *url, char *body)
{
    bool get = strcmp(h->method, "GET") == 0;
    p->method = get ? "GET" : "POST";
    p->body = body;
    p->url = strdup(url);
    if (!p->url || (!get && !p->body))
        return false;
    char ct[160];
    const char *lines[2];
    size_t n = 0;
    if (!get) {
        snprintf(ct, sizeof ct, "Content-Type: %s", h->content_type);
        lines[n++] = ct;
    }
    if (h->header)
        lines[n++] = h->header;
    /* The provider reaches the receiver directly (no proxy); the answer is kept up
     * to SG_SIM_ANSWER_MAX and the rest read and dropped: the receiver's status
     * still counts. */
    sg_http_request r = {
        .method = p->method,
        .url = p->url,
        .headers = lines,
        .n_headers = n,
        .body = get ? NULL : p->body,
        .body_len = get ? 0 : strlen(p->body),
        .connect_timeout_ms = SG_SIM_HTTP_TIMEOUT_MS,
        .timeout_ms = SG_SIM_HTTP_TIMEOUT_MS,
        .user_agent = h->user_agent,
        .no_proxy = true,
        .answer_max = SG_SIM_ANSWER_MAX,
        .answer_overflow = SG_HTTP_OVERFLOW_CUT,
        .detailed_errors = true,
    };
    sg_error e = {0};
    return sg_http_call_init(&p->call, NULL, &r, &e) == SG_OK;
}

bool sg_sim_post_init(sg_sim_post *p, const char *url, char *body, const char *signature)
{
    char sig[SG_TWILIO_SIG_MAX + 64];
    if (signature)
        snprintf(sig, sizeof sig, "X-Twilio-Signature: %s", signature);
    sg_sim_http h = {
        .method = "POST",
        .content_type = "application/x-www-form-urlencoded",
        .user_agent = SG_SIM_USER_AGENT,
        .header = signature ? sig : NULL,
    };
    return sg_sim_request_init(p, &h, url, body);
}

void sg_sim_post_result(sg_sim_post *p, CURLcode rc, sg_sim_result *r)
{
    memset(r, 0, sizeof *r);
    r->body = sg_http_body_data(&p->call.answer);
    r->body_len = sg_http_body_len(&p->call.answer);
    r->truncated = p->call.answer.over;
    r->content_type = "";
    if (rc != CURLE_OK) {
        r->error = sg_http_call_error(&p->call, rc, p->error, sizeof p->error);
        return;
    }
    r->http_status = sg_http_call_status(&p->call);
    r->content_type = sg_http_call_content_type(&p->call);
    if (r->http_status == 0) {
        snprintf(p->error, sizeof p->error, "no HTTP status in the answer");
        r->error = p->error;
    }
}

CURLcode sg_sim_post_perform(sg_sim_post *p)
{
    return sg_http_call_perform(&p->call);
}

void sg_sim_post_free(sg_sim_post *p)
{
    sg_http_call_free(&p->call);
    free(p->url);
    free(p->body);
    memset(p, 0, sizeof *p);
}

int sg_sim_inject_finish(sg_sim_post *p, const char *url, const char *id_name, const char *id)
{
    int rc = SG_SIM_EXIT_FAIL;
    sg_sim_result r;
    sg_sim_post_result(p, sg_sim_post_perform(p), &r);
    if (!r.http_status) {
        fprintf(stderr, "smsgate simulate inject: %s: %s\n", url, r.error);
    } else {
        printf("HTTP %ld content_type=%s %s=%s\n", r.http_status,
               r.content_type[0] ? r.content_type : "-", id_name, id);
        fwrite(r.body, 1, r.body_len, stdout);
        if (r.body_len && r.body[r.body_len - 1] != '\n')
            putchar('\n');
        if (r.truncated)
            fprintf(stderr, "smsgate simulate inject: the answer was cut at %d bytes\n",
                    SG_SIM_ANSWER_MAX);
        rc = r.http_status >= 200 && r.http_status < 300 ? SG_SIM_EXIT_OK : SG_SIM_EXIT_FAIL;
    }
    fflush(stdout);
    sg_sim_post_free(p);
    return rc;
}
