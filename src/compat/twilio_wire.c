#include "compat/twilio_wire.h"
#include "util/time.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MORE_INFO "https://www.twilio.com/docs/errors/"

bool sg_tw_message_sid(const char *msg_id, char out[SG_TW_SID_MAX])
{
    char hex[33];
    if (!sg_id_to_hex("msg", msg_id, hex))
        return false;
    snprintf(out, SG_TW_SID_MAX, "SM%s", hex);
    return true;
}

bool sg_tw_message_id(const char *sid, char out[SG_ID_MAX])
{
    return sid && strncmp(sid, "SM", 2) == 0 && sg_id_from_hex("msg", sid + 2, out);
}

/* v (0..99) as two digits at p; returns the end. */
static char *two_digits(char *p, int v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
    return p + 2;
}

void sg_tw_date(int64_t ms, char out[SG_TW_DATE_MAX])
{
    static const char *const days[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
    int64_t day = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
    int64_t rem = secs - day * 86400;
    int64_t y;
    int m, d;
    sg_civil_from_days(day, &y, &m, &d);
    const char *wd = days[((day % 7) + 7) % 7], *mon = months[m - 1];
    if (y < 0 || y > 9999) {
        snprintf(out, SG_TW_DATE_MAX, "%s, %02d %s %04lld %02d:%02d:%02d +0000", wd, d, mon,
                 (long long)y, (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
        return;
    }
    /* by hand, not snprintf: every created message's answer has two dates */
    char *p = out;
    memcpy(p, wd, 3), p += 3, *p++ = ',', *p++ = ' ';
    p = two_digits(p, d), *p++ = ' ';
    memcpy(p, mon, 3), p += 3, *p++ = ' ';
    p = two_digits(two_digits(p, (int)(y / 100)), (int)(y % 100)), *p++ = ' ';
    p = two_digits(p, (int)(rem / 3600)), *p++ = ':';
    p = two_digits(p, (int)(rem / 60 % 60)), *p++ = ':';
    p = two_digits(p, (int)(rem % 60));
    memcpy(p, " +0000", 7);
}

int sg_tw_error_code(const char *code)
{
    if (!code || !code[0])
        return 0;
    size_t n = strspn(code, "0123456789");
    if (code[n] == '\0' && n <= 9)
        return (int)strtol(code, NULL, 10);
    static const struct {
        const char *word;
        int code;
    } words[] = {{"opted_out", 21610}, {"expired", 30001}};
    for (size_t i = 0; i < sizeof words / sizeof *words; i++) {
        if (strcmp(code, words[i].word) == 0)
            return words[i].code;
    }
    return 30008;
}

static json_t *date_or_null(int64_t ms)
{
    char buf[SG_TW_DATE_MAX];
    if (ms <= 0)
        return json_null();
    sg_tw_date(ms, buf);
    return json_string(buf);
}

/* When the provider took the message: only known once it was sent. */
static int64_t date_sent(const sg_message *m)
{
    bool sent = m->status == SG_STATUS_SENT || m->status == SG_STATUS_DELIVERED ||
                m->status == SG_STATUS_UNDELIVERED;
    return sent ? m->updated_at : 0;
}

json_t *sg_tw_message_json(const sg_message *m, const char *account_sid)
{
    char sid[SG_TW_SID_MAX] = "", uri[128], media[128], segments[16];
    sg_tw_message_sid(m->id, sid);
    snprintf(uri, sizeof uri, "/" SG_TW_API_VERSION "/Accounts/%s/Messages/%s.json", account_sid,
             sid);
    snprintf(media, sizeof media, "/" SG_TW_API_VERSION "/Accounts/%s/Messages/%s/Media.json",
             account_sid, sid);
    snprintf(segments, sizeof segments, "%u", m->segments);
    int ec = sg_tw_error_code(m->error_code);
    bool inbound = strcmp(m->direction, "inbound") == 0;
    json_t *j = json_object();
    json_object_set_new(j, "account_sid", json_string(account_sid));
    json_object_set_new(j, "api_version", json_string(SG_TW_API_VERSION));
    json_object_set_new(j, "body", json_string(m->body ? m->body : ""));
    json_object_set_new(j, "date_created", date_or_null(m->created_at));
    json_object_set_new(j, "date_sent", date_or_null(date_sent(m)));
    json_object_set_new(j, "date_updated", date_or_null(m->updated_at));
    json_object_set_new(j, "direction", json_string(inbound ? "inbound" : "outbound-api"));
    json_object_set_new(j, "error_code", ec ? json_integer(ec) : json_null());
    json_object_set_new(j, "error_message",
                        ec && m->error_message ? json_string(m->error_message) : json_null());
    json_object_set_new(j, "from", m->from[0] ? json_string(m->from) : json_null());
    json_object_set_new(j, "messaging_service_sid", json_null());
    json_object_set_new(j, "num_media", json_string("0"));
    json_object_set_new(j, "num_segments", json_string(segments));
    json_object_set_new(j, "price", json_null());
    json_object_set_new(j, "price_unit", json_null());
    json_object_set_new(j, "sid", json_string(sid));
    json_object_set_new(j, "status", json_string(sg_status_name(m->status)));
    json_object_set_new(j, "subresource_uris", json_pack("{s:s}", "media", media));
    json_object_set_new(j, "to", json_string(m->to));
    json_object_set_new(j, "uri", json_string(uri));
    return j;
}

/* s as a quoted JSON string, escaped as json_dumps escapes without
 * JSON_ENSURE_ASCII: '"', '\\' and the control characters below 0x20 (\b \f \n
 * \r \t by name, the others as \u00XX); every other byte as it is. */
static sg_err put_string(sg_buf *b, const char *s)
{
    static const char *const named[0x20] = {['\b'] = "\\b", ['\f'] = "\\f", ['\n'] = "\\n",
                                            ['\r'] = "\\r", ['\t'] = "\\t"};
    sg_err e = sg_buf_append(b, "\"", 1);
    const char *run = s;
    for (; !e && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        char esc[8];
        const char *x = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : named[c];
        if (!x) {
            snprintf(esc, sizeof esc, "\\u%04X", c);
            x = esc;
        }
        e = sg_buf_append(b, run, (size_t)(s - run));
        if (!e)
            e = sg_buf_append_str(b, x);
        run = s + 1;
    }
    if (!e)
        e = sg_buf_append(b, run, (size_t)(s - run));
    if (!e)
        e = sg_buf_append(b, "\"", 1);
    return e;
}

/* One member of the resource: a string (escaped), else raw JSON text, else null. */
typedef struct tw_member {
    const char *key;
    const char *str;
    const char *raw;
} tw_member;

static sg_err put_members(sg_buf *b, const tw_member *mb, size_t n)
{
    sg_err e = sg_buf_append(b, "{", 1);
    for (size_t i = 0; i < n && !e; i++) {
        e = i ? sg_buf_append(b, ",\"", 2) : sg_buf_append(b, "\"", 1);
        if (!e)
            e = sg_buf_append_str(b, mb[i].key);
        if (!e)
            e = sg_buf_append(b, "\":", 2);
        if (!e)
            e = mb[i].str ? put_string(b, mb[i].str)
                          : sg_buf_append_str(b, mb[i].raw ? mb[i].raw : "null");
    }
    if (!e)
        e = sg_buf_append(b, "}", 1);
    return e;
}

/* ms as a date, or NULL (null) when unknown. */
static const char *date_text(int64_t ms, char buf[SG_TW_DATE_MAX])
{
    if (ms <= 0)
        return NULL;
    sg_tw_date(ms, buf);
    return buf;
}

sg_err sg_tw_message_write(sg_buf *b, const sg_message *m, const char *account_sid,
                           const char *messaging_service)
{
    char sid[SG_TW_SID_MAX] = "", uri[128], media[160], segments[16], ec_text[16];
    char created[SG_TW_DATE_MAX], sent[SG_TW_DATE_MAX], updated[SG_TW_DATE_MAX];
    sg_tw_message_sid(m->id, sid);
    snprintf(uri, sizeof uri, "/" SG_TW_API_VERSION "/Accounts/%s/Messages/%s.json", account_sid,
             sid);
    snprintf(media, sizeof media,
             "{\"media\":\"/" SG_TW_API_VERSION "/Accounts/%s/Messages/%s/Media.json\"}",
             account_sid, sid);
    snprintf(segments, sizeof segments, "%u", m->segments);
    int ec = sg_tw_error_code(m->error_code);
    snprintf(ec_text, sizeof ec_text, "%d", ec);
    bool inbound = strcmp(m->direction, "inbound") == 0;
    const char *status = messaging_service && m->status == SG_STATUS_QUEUED
                             ? "accepted"
                             : sg_status_name(m->status);
    const tw_member mb[] = {
        {"account_sid", account_sid, NULL},
        {"api_version", SG_TW_API_VERSION, NULL},
        {"body", m->body ? m->body : "", NULL},
        {"date_created", date_text(m->created_at, created), NULL},
        {"date_sent", date_text(date_sent(m), sent), NULL},
        {"date_updated", date_text(m->updated_at, updated), NULL},
        {"direction", inbound ? "inbound" : "outbound-api", NULL},
        {"error_code", NULL, ec ? ec_text : NULL},
        {"error_message", ec && m->error_message ? m->error_message : NULL, NULL},
        {"from", m->from[0] ? m->from : NULL, NULL},
        {"messaging_service_sid", messaging_service, NULL},
        {"num_media", "0", NULL},
        {"num_segments", segments, NULL},
        {"price", NULL, NULL},
        {"price_unit", NULL, NULL},
        {"sid", sid, NULL},
        {"status", status, NULL},
        {"subresource_uris", NULL, media},
        {"to", m->to, NULL},
        {"uri", uri, NULL},
    };
    return put_members(b, mb, sizeof mb / sizeof *mb);
}

json_t *sg_tw_error_json(int http_status, int code, const char *message)
{
    char more[64];
    snprintf(more, sizeof more, MORE_INFO "%d", code);
    return json_pack("{s:i, s:s, s:s, s:i}", "code", code, "message", message, "more_info", more,
                     "status", http_status);
}

/* smsgate's refusals by problem code (and field, when the code alone is too
 * broad), and what they are to a Twilio client. */
static const struct {
    const char *problem;
    const char *field; /* NULL: any */
    int http_status;
    int code;
} refusals[] = {
    {"invalid_phone", NULL, 400, 21211},
    {"not_mobile", NULL, 400, 21614},
    {"opted_out", NULL, 400, 21610},
    {"invalid_body", NULL, 400, 21602},
    {"body_too_long", NULL, 400, 21617},
    {"invalid_request", "from", 400, 21212},
    {"country_not_allowed", NULL, 400, 21408},
    {"daily_quota_exceeded", NULL, 429, 20429},
    {"unknown_provider", NULL, 400, 21606},
    {"no_default_provider", NULL, 400, 21606},
    {"provider_inactive", NULL, 400, 21606},
};

void sg_tw_error_of(const char *problem_code, const char *field, int *http_status, int *code)
{
    for (size_t i = 0; i < sizeof refusals / sizeof *refusals; i++) {
        if (strcmp(problem_code, refusals[i].problem) == 0 &&
            (!refusals[i].field || (field && strcmp(field, refusals[i].field) == 0))) {
            *http_status = refusals[i].http_status;
            *code = refusals[i].code;
            return;
        }
    }
    *http_status = 400;
    *code = 21620;
}

static json_t *fail_at(sg_tw_fail *fail, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static json_t *fail_at(sg_tw_fail *fail, int code, const char *fmt, ...)
{
    fail->http_status = 400;
    fail->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(fail->message, sizeof fail->message, fmt, ap);
    va_end(ap);
    return NULL;
}

/* "true"/"false" (any case), as the SDKs send booleans. */
static bool read_bool(const char *s, bool *out)
{
    if (strcasecmp(s, "true") == 0)
        *out = true;
    else if (strcasecmp(s, "false") == 0)
        *out = false;
    else
        return false;
    return true;
}

/* Copy the form's value of key (when present) into obj as a string member name. */
static void copy_text(json_t *obj, const sg_form *f, const char *key, const char *name)
{
    const char *v = sg_form_get(f, key);
    if (v)
        json_object_set_new(obj, name, json_string(v));
}

/* SendAt (ISO 8601) with ScheduleType=fixed into obj's send_at; false with
 * *fail on a bad pair. */
static bool schedule(json_t *obj, const sg_form *f, sg_tw_fail *fail)
{
    const char *at = sg_form_get(f, "SendAt"), *type = sg_form_get(f, "ScheduleType");
    int64_t ms;
    if (!at && !type)
        return true;
    if (!type || strcmp(type, "fixed") != 0) {
        fail_at(fail, 35111, "ScheduleType must be 'fixed' to schedule with SendAt");
        return false;
    }
    if (!at || !sg_time_parse(at, &ms)) {
        fail_at(fail, 35114, "SendAt must be an ISO 8601 time such as 2026-12-01T09:00:00Z");
        return false;
    }
    json_object_set_new(obj, "send_at", json_string(at));
    return true;
}

json_t *sg_tw_create_request(const sg_form *f, const char **status_callback,
                             const char **messaging_service, sg_tw_fail *fail)
{
    *status_callback = sg_form_get(f, "StatusCallback");
    *messaging_service = sg_form_get(f, "MessagingServiceSid");
    if (*status_callback && !(*status_callback)[0])
        *status_callback = NULL;
    json_t *obj = json_object();
    copy_text(obj, f, "To", "to");
    copy_text(obj, f, "From", "from");
    copy_text(obj, f, "Body", "body");
    if (!schedule(obj, f, fail))
        goto refuse;
    const char *validity = sg_form_get(f, "ValidityPeriod");
    if (validity) {
        size_t n = strspn(validity, "0123456789");
        long v = n && n <= 6 && !validity[n] ? strtol(validity, NULL, 10) : 0;
        if (v < 1 || v > 36000) {
            fail_at(fail, 21623, "ValidityPeriod must be a whole number of seconds from 1 to "
                                 "36000");
            goto refuse;
        }
        json_object_set_new(obj, "validity_seconds", json_integer(v));
    }
    const char *shorten = sg_form_get(f, "ShortenUrls");
    bool on = false;
    if (shorten && !read_bool(shorten, &on)) {
        fail_at(fail, 21620, "ShortenUrls must be true or false");
        goto refuse;
    }
    if (on)
        json_object_set_new(obj, "track_clicks", json_true());
    if (*status_callback && strlen(*status_callback) >= SG_TW_URL_MAX) {
        fail_at(fail, 21609, "StatusCallback is longer than %d bytes", SG_TW_URL_MAX - 1);
        goto refuse;
    }
    return obj;
refuse:
    json_decref(obj);
    return NULL;
}

/* The element <name ...>…</name> in [p, end): the text between into *text and
 * *text_len; false when absent or empty (<name/>). */
static bool element(const char *p, const char *end, const char *name, const char **text,
                    size_t *text_len)
{
    size_t n = strlen(name);
    for (; p + n + 1 < end; p++) {
        if (p[0] != '<' || memcmp(p + 1, name, n) != 0 || (p[n + 1] != '>' && p[n + 1] != ' '))
            continue;
        const char *open_end = memchr(p, '>', (size_t)(end - p));
        if (!open_end || open_end[-1] == '/')
            return false;
        const char *q = open_end + 1;
        for (; q + n + 2 < end + 1; q++) {
            if (q[0] == '<' && q[1] == '/' && (size_t)(end - q) >= n + 3 &&
                memcmp(q + 2, name, n) == 0 && q[n + 2] == '>') {
                *text = open_end + 1;
                *text_len = (size_t)(q - *text);
                return *text_len > 0;
            }
        }
        return false;
    }
    return false;
}

/* Decode the XML entities of [p, p + len) into out (cap bytes). */
static void unescape(const char *p, size_t len, char *out, size_t cap)
{
    static const struct {
        const char *ent;
        char c;
    } named[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    size_t o = 0;
    for (size_t i = 0; i < len && o + 1 < cap;) {
        size_t k = 0, n = 0;
        while (p[i] == '&' && k < sizeof named / sizeof *named &&
               !(len - i >= (n = strlen(named[k].ent)) && memcmp(p + i, named[k].ent, n) == 0))
            k++;
        if (p[i] == '&' && k < sizeof named / sizeof *named) {
            out[o++] = named[k].c;
            i += n;
            continue;
        }
        if (p[i] == '&' && i + 3 < len && p[i + 1] == '#') {
            bool hex = p[i + 2] == 'x';
            size_t j = i + 2 + hex;
            long v = 0;
            for (; j < len && j < i + 8; j++) {
                int d = hex ? sg_hex_value(p[j]) : p[j] >= '0' && p[j] <= '9' ? p[j] - '0' : -1;
                if (d < 0)
                    break;
                v = v * (hex ? 16 : 10) + d;
            }
            if (j < len && p[j] == ';' && v > 0 && v < 128) {
                out[o++] = (char)v;
                i = j + 1;
                continue;
            }
        }
        out[o++] = p[i++];
    }
    out[o] = '\0';
}

bool sg_tw_twiml_message(const char *xml, size_t len, char *out, size_t cap)
{
    const char *text, *body;
    size_t text_len, body_len;
    if (cap == 0 || !element(xml, xml + len, "Message", &text, &text_len))
        return false;
    if (element(text, text + text_len, "Body", &body, &body_len)) {
        text = body;
        text_len = body_len;
    }
    unescape(text, text_len, out, cap);
    return out[0] != '\0';
}
