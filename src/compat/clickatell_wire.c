#include "compat/clickatell_wire.h"
#include "providers/clickatell/sim_wire.h"
#include "util/form.h"
#include "util/id.h"
#include "util/utf8.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct {
    int code;
    const char *text;
} legacy_errors[] = {
    {SG_CKC_ERR_AUTH, "Authentication failed"},
    {SG_CKC_ERR_SESSION, "Session ID expired"},
    {SG_CKC_ERR_NO_SESSION, "Missing session ID"},
    {SG_CKC_ERR_PARAMS, "Invalid or missing parameters"},
    {SG_CKC_ERR_UNKNOWN_ID, "Unknown API message ID"},
    {SG_CKC_ERR_DEST, "Invalid destination address"},
    {SG_CKC_ERR_EMPTY, "Empty message"},
    {SG_CKC_ERR_API_ID, "Invalid or missing API ID"},
    {SG_CKC_ERR_PARTS, "Maximum message parts exceeded"},
    {SG_CKC_ERR_ROUTE, "Cannot route message"},
    {SG_CKC_ERR_UNICODE, "Invalid Unicode data"},
    {121, "Destination mobile number blocked"},
    {SG_CKC_ERR_OPTED_OUT, "Destination mobile opted out"},
    {SG_CKC_ERR_SENDER, "Invalid Sender ID"},
    {SG_CKC_ERR_LIMIT, "Maximum MT limit exceeded"},
    {SG_CKC_ERR_INTERNAL, "Internal error"},
};

const char *sg_ckc_error_text(int code)
{
    for (size_t i = 0; i < sizeof legacy_errors / sizeof *legacy_errors; i++) {
        if (legacy_errors[i].code == code)
            return legacy_errors[i].text;
    }
    return "Internal error";
}

bool sg_ckc_api_key(const char *raw, char *out, size_t cap)
{
    if (!raw)
        return false;
    while (*raw == ' ')
        raw++;
    size_t len = strlen(raw);
    while (len && (raw[len - 1] == '=' || raw[len - 1] == ' '))
        len--;
    if (len == 0 || len >= cap)
        return false;
    memcpy(out, raw, len);
    out[len] = '\0';
    return true;
}

char *sg_ckc_text(const char *raw, size_t len, bool unicode, bool *bad)
{
    *bad = false;
    if (memchr(raw, '\0', len)) {
        *bad = true;
        return NULL;
    }
    char *s = malloc(len + 1); /* raw need not be NUL-terminated */
    if (!s)
        return NULL;
    memcpy(s, raw, len);
    s[len] = '\0';
    if (!unicode && sg_utf8_valid(s, len))
        return s;
    char *out = unicode ? sg_ck_ucs2_hex_decode(s, bad) : sg_ck_text_decode(s, false, bad);
    free(s);
    return out;
}

/* One recipient of text [p, p + len) into r. */
static void rcpt_of(const char *p, size_t len, sg_ckc_rcpt *r)
{
    snprintf(r->raw, sizeof r->raw, "%.*s", (int)(len < sizeof r->raw ? len : sizeof r->raw - 1),
             p);
    const char *d = r->raw;
    bool digits = strspn(d + (d[0] == '+'), "0123456789") == strlen(d + (d[0] == '+')) &&
                  d[d[0] == '+'] != '\0';
    if (!digits) {
        snprintf(r->to, sizeof r->to, "%s", r->raw);
        return;
    }
    if (d[0] == '+')
        d++;
    else if (strncmp(d, "00", 2) == 0)
        d += 2;
    snprintf(r->to, sizeof r->to, "+%.20s", d);
}

size_t sg_ckc_recipients(const char *to, sg_ckc_rcpt *out, size_t max)
{
    size_t n = 0;
    const char *p = to ? to : "";
    while (*p) {
        size_t len = strcspn(p, ",");
        const char *s = p, *e = p + len;
        while (s < e && isspace((unsigned char)*s))
            s++;
        while (e > s && isspace((unsigned char)e[-1]))
            e--;
        if (e > s) {
            if (n == max)
                return max + 1;
            rcpt_of(s, (size_t)(e - s), &out[n++]);
        }
        p += len + (p[len] == ',');
    }
    return n;
}

int sg_ckc_concat(const char *s)
{
    if (!s || !*s)
        return 0;
    size_t n = strspn(s, "0123456789");
    if (n == 0 || n > 2 || s[n])
        return -1;
    int v = atoi(s);
    return v >= 1 ? v : -1;
}

json_t *sg_ckc_message_request(const sg_ckc_rcpt *r, const char *text, const char *from,
                               const char *climsgid)
{
    json_t *o = json_pack("{s:s, s:s}", "to", r->to, "body", text);
    if (o && from && *from)
        json_object_set_new(o, "from", json_string(from));
    if (o && climsgid && *climsgid)
        json_object_set_new(o, "metadata", json_pack("{s:s}", "climsgid", climsgid));
    return o;
}

/* smsgate's refusals by problem code (and field, when the code alone is too
 * broad), and what they are to a Clickatell client. */
static const struct {
    const char *problem;
    const char *field; /* NULL: any */
    int legacy;
    int platform;
} refusals[] = {
    {"invalid_phone", NULL, SG_CKC_ERR_DEST, 25},
    {"not_mobile", NULL, SG_CKC_ERR_DEST, 25},
    {"opted_out", NULL, SG_CKC_ERR_OPTED_OUT, 26},
    {"invalid_body", NULL, SG_CKC_ERR_EMPTY, 23},
    {"body_too_long", NULL, SG_CKC_ERR_PARTS, 24},
    {"invalid_request", "from", SG_CKC_ERR_SENDER, 23},
    {"country_not_allowed", NULL, 121, 27},
    {"daily_quota_exceeded", NULL, SG_CKC_ERR_LIMIT, 43},
    {"unknown_provider", NULL, SG_CKC_ERR_ROUTE, 27},
    {"no_default_provider", NULL, SG_CKC_ERR_ROUTE, 27},
    {"provider_inactive", NULL, SG_CKC_ERR_ROUTE, 27},
    {"internal", NULL, SG_CKC_ERR_INTERNAL, 18},
};

static int refusal_index(const char *problem_code, const char *field)
{
    for (size_t i = 0; i < sizeof refusals / sizeof *refusals; i++) {
        if (strcmp(problem_code, refusals[i].problem) == 0 &&
            (!refusals[i].field || (field && strcmp(field, refusals[i].field) == 0)))
            return (int)i;
    }
    return -1;
}

int sg_ckc_legacy_error_of(const char *problem_code, const char *field)
{
    int i = refusal_index(problem_code, field);
    return i < 0 ? SG_CKC_ERR_PARAMS : refusals[i].legacy;
}

int sg_ckc_platform_error_of(const char *problem_code, const char *field)
{
    int i = refusal_index(problem_code, field);
    return i < 0 ? 23 : refusals[i].platform;
}

static const struct {
    int code;
    const char *text;
} platform_errors[] = {
    {1, "Invalid or missing integration API Key"},
    {18, "Internal error"},
    {21, "Payload malformed"},
    {22, "Max messages per request exceeded"},
    {23, "Invalid or missing parameter"},
    {24, "Max content size exceeded"},
    {25, "Invalid recipient"},
    {26, "Recipient opted out"},
    {27, "Recipient not available on channel"},
    {41, "Resource does not exist"},
    {43, "Rate limit"},
};

const char *sg_ckc_platform_error_text(int code)
{
    for (size_t i = 0; i < sizeof platform_errors / sizeof *platform_errors; i++) {
        if (platform_errors[i].code == code)
            return platform_errors[i].text;
    }
    return "Internal error";
}

static const struct {
    sg_status st;
    int code;
} statuses[] = {
    {SG_STATUS_QUEUED, 2},    {SG_STATUS_SENDING, 2},     {SG_STATUS_SCHEDULED, 11},
    {SG_STATUS_SENT, 3},      {SG_STATUS_DELIVERED, 4},   {SG_STATUS_FAILED, 7},
    {SG_STATUS_UNDELIVERED, 7}, {SG_STATUS_CANCELED, 6},
};

int sg_ckc_status_code(sg_status st)
{
    for (size_t i = 0; i < sizeof statuses / sizeof *statuses; i++) {
        if (statuses[i].st == st)
            return statuses[i].code;
    }
    return 1;
}

/* ---- callbacks to the app ----------------------------------------------------------- */

int sg_ckc_callback_level(const char *s, int dflt)
{
    if (!s || !*s)
        return dflt;
    return s[0] >= '0' && s[0] <= '7' && s[1] == '\0' ? s[0] - '0' : -1;
}

#define LEVEL_INTERMEDIATE 1
#define LEVEL_FINAL        2
#define LEVEL_ERROR        4

/* Which report a status gives and which levels ask for it. */
static const struct {
    sg_status st;
    int code;
    int levels;
} reports[] = {
    {SG_STATUS_SENT, 3, LEVEL_INTERMEDIATE},
    {SG_STATUS_DELIVERED, 4, LEVEL_FINAL},
    {SG_STATUS_CANCELED, 6, LEVEL_FINAL},
    {SG_STATUS_FAILED, 7, LEVEL_FINAL | LEVEL_ERROR},
    {SG_STATUS_UNDELIVERED, 7, LEVEL_FINAL | LEVEL_ERROR},
};

int sg_ckc_report_status(sg_status st, const char *error_code, int level)
{
    for (size_t i = 0; i < sizeof reports / sizeof *reports; i++) {
        if (reports[i].st != st)
            continue;
        if (!(reports[i].levels & level))
            return 0;
        bool expired = error_code && strcmp(error_code, "expired") == 0;
        return reports[i].code == 7 && expired ? 10 : reports[i].code;
    }
    return 0;
}

/* A number as Clickatell writes it: without its leading '+'. */
static const char *ck_number(const char *n)
{
    return n ? n + (n[0] == '+') : "";
}

sg_err sg_ckc_report_form(const sg_ckc_report *r, sg_buf *body)
{
    char ts[24], status[8];
    snprintf(ts, sizeof ts, "%lld", (long long)(r->at_ms / 1000));
    snprintf(status, sizeof status, "%03d", r->status % 1000);
    sg_err err = sg_form_add(body, "api_id", r->api_id ? r->api_id : "");
    err = err ? err : sg_form_add(body, "apiMsgId", r->api_msg_id ? r->api_msg_id : "");
    err = err ? err : sg_form_add(body, "cliMsgId", r->cli_msg_id ? r->cli_msg_id : "");
    err = err ? err : sg_form_add(body, "to", ck_number(r->to));
    err = err ? err : sg_form_add(body, "timestamp", ts);
    err = err ? err : sg_form_add(body, "from", ck_number(r->from));
    err = err ? err : sg_form_add(body, "status", status);
    return err ? err : sg_form_add(body, "charge", "0");
}

sg_err sg_ckc_mo_form(const sg_ckc_mo *r, sg_buf *body)
{
    char ts[32] = "";
    time_t secs = (time_t)(r->at_ms / 1000);
    struct tm tm;
    if (gmtime_r(&secs, &tm))
        strftime(ts, sizeof ts, "%Y-%m-%d %H:%M:%S", &tm);
    sg_err err = sg_form_add(body, "api_id", r->api_id ? r->api_id : "");
    err = err ? err : sg_form_add(body, "moMsgId", r->mo_msg_id ? r->mo_msg_id : "");
    err = err ? err : sg_form_add(body, "from", ck_number(r->from));
    err = err ? err : sg_form_add(body, "to", ck_number(r->to));
    err = err ? err : sg_form_add(body, "timestamp", ts);
    err = err ? err : sg_form_add(body, "text", r->text ? r->text : "");
    return err ? err : sg_form_add(body, "charset", "UTF-8");
}

bool sg_ckc_api_msg_id(const char *msg_id, char out[SG_CKC_API_MSG_ID_MAX])
{
    return sg_id_to_hex("msg", msg_id, out);
}

bool sg_ckc_message_id(const char *api_msg_id, char out[SG_ID_MAX])
{
    return api_msg_id && strlen(api_msg_id) == 32 && sg_id_from_hex("msg", api_msg_id, out);
}

/* ---- the platform's POST /messages --------------------------------------------------- */

static bool platform_fail(int *code, int c, char *why, size_t cap, const char *text)
{
    *code = c;
    snprintf(why, cap, "%s", text);
    return false;
}

/* "to" as an array of strings or one string: into r (rcpt malloc'd). */
static bool platform_rcpts(json_t *to, sg_ckc_platform_req *r, int *code, char *why, size_t cap)
{
    size_t n = json_is_array(to) ? json_array_size(to) : json_is_string(to) ? 1 : 0;
    if (n == 0)
        return platform_fail(code, 23, why, cap, "Invalid or missing parameter: to");
    if (n > SG_CKC_RCPT_MAX)
        return platform_fail(code, 22, why, cap, "Max messages per request exceeded");
    r->rcpt = calloc(n, sizeof *r->rcpt);
    if (!r->rcpt)
        return platform_fail(code, 18, why, cap, "Internal error");
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_is_array(to) ? json_array_get(to, i) : to;
        const char *s = json_string_value(v);
        if (!s || !*s)
            return platform_fail(code, 23, why, cap, "Invalid or missing parameter: to");
        size_t got = sg_ckc_recipients(s, &r->rcpt[r->n_rcpt], 1);
        if (got != 1)
            return platform_fail(code, 23, why, cap, "Invalid or missing parameter: to");
        r->n_rcpt++;
    }
    return true;
}

static const char *opt_string(json_t *root, const char *key)
{
    json_t *v = json_object_get(root, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

bool sg_ckc_platform_parse(const char *body, size_t len, sg_ckc_platform_req *out, int *code,
                           char *why, size_t cap)
{
    memset(out, 0, sizeof *out);
    out->root = body ? json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL) : NULL;
    if (!json_is_object(out->root))
        return platform_fail(code, 21, why, cap, "Payload malformed");
    out->content = opt_string(out->root, "content");
    if (!out->content || !*out->content)
        return platform_fail(code, 23, why, cap, "Invalid or missing parameter: content");
    out->from = opt_string(out->root, "from");
    out->client_message_id = opt_string(out->root, "clientMessageId");
    return platform_rcpts(json_object_get(out->root, "to"), out, code, why, cap);
}

void sg_ckc_platform_free(sg_ckc_platform_req *r)
{
    json_decref(r->root);
    free(r->rcpt);
    memset(r, 0, sizeof *r);
}
