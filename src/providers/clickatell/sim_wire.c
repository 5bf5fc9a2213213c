/* Clickatell's wire formats for the simulator (sim/clickatell_wire.h). */
#include "providers/clickatell/sim_wire.h"
#include "util/form.h"

#include "core/gsm7.h"
#include "util/buf.h"
#include "util/crypto.h"
#include "util/utf8.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

bool sg_ck_method_parse(const char *s, sg_ck_method *out)
{
    if (strcasecmp(s, "GET") == 0)
        *out = SG_CK_GET;
    else if (strcasecmp(s, "POST") == 0)
        *out = SG_CK_POST;
    else if (strcasecmp(s, "JSON") == 0)
        *out = SG_CK_JSON;
    else
        return false;
    return true;
}

const char *sg_ck_method_name(sg_ck_method m)
{
    return m == SG_CK_POST ? "POST" : m == SG_CK_JSON ? "JSON" : "GET";
}

void sg_ck_new_id(char out[SG_CK_ID_LEN + 1])
{
    sg_random_hex(out, SG_CK_ID_LEN / 2);
    out[SG_CK_ID_LEN] = '\0';
}

typedef struct code_text {
    int code;
    const char *text;
} code_text;

static const code_text legacy_errors[] = {
    {1, "Authentication failed"},
    {2, "Unknown username or password"},
    {3, "Session ID expired"},
    {4, "Account frozen"},
    {5, "Missing session ID"},
    {7, "IP Lockdown violation"},
    {101, "Invalid or missing parameters"},
    {102, "Invalid user data header"},
    {103, "Unknown API message ID"},
    {104, "Unknown client message ID"},
    {105, "Invalid destination address"},
    {106, "Invalid source address"},
    {107, "Empty message"},
    {108, "Invalid or missing API ID"},
    {109, "Missing message ID"},
    {110, "Error with email message"},
    {111, "Invalid protocol"},
    {112, "Invalid message type"},
    {113, "Maximum message parts exceeded"},
    {114, "Cannot route message"},
    {115, "Message expired"},
    {116, "Invalid Unicode data"},
    {120, "Invalid delivery time"},
    {121, "Destination mobile number blocked"},
    {122, "Destination mobile opted out"},
    {123, "Invalid Sender ID"},
    {128, "Number delisted"},
    {130, "Maximum MT limit exceeded"},
    {201, "Invalid batch ID"},
    {202, "No batch template"},
    {301, "No credit left"},
    {302, "Max allowed credit"},
    {901, "Internal error"},
    {0, NULL},
};

static const code_text platform_errors[] = {
    {1, "Invalid or missing integration API Key"},
    {19, "Internal error, please retry"},
    {21, "Payload malformed"},
    {22, "Maximum messages per request exceeded"},
    {23, "Invalid or missing parameter"},
    {24, "Maximum content size exceeded"},
    {25, "Invalid recipient"},
    {26, "Recipient opted out"},
    {27, "Recipient not available on channel"},
    {28, "Recipient not available on sandbox"},
    {42, "HTTP method not supported"},
    {101, "Destination does not support two-way messaging"},
    {0, NULL},
};

static const char *lookup(const code_text *t, int code)
{
    for (size_t i = 0; t[i].text; i++) {
        if (t[i].code == code)
            return t[i].text;
    }
    return NULL;
}

const char *sg_ck_error_text(int code)
{
    return lookup(legacy_errors, code);
}

const char *sg_ck_platform_error_text(int code)
{
    return lookup(platform_errors, code);
}

const char *sg_ck_status_name(int code)
{
    switch (code) {
    case 3:
        return "DELIVERED_TO_GATEWAY";
    case 4:
        return "RECEIVED_BY_RECIPIENT";
    case 7:
        return "ERROR_DELIVERING_MESSAGE";
    default:
        return "UNKNOWN";
    }
}

const char *sg_ck_status_description(int code)
{
    switch (code) {
    case 3:
        return "Delivered to gateway";
    case 4:
        return "Received by recipient";
    case 7:
        return "Error delivering message";
    default:
        return "Message unknown";
    }
}

bool sg_ck_msisdn_ok(const char *s)
{
    size_t len = strlen(s);
    if (len < 2 || len > 15 || s[0] < '1' || s[0] > '9')
        return false;
    for (size_t i = 1; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
    }
    return true;
}

/* ---- text --------------------------------------------------------------------------- */

/* The next code point of a NUL-terminated string of valid UTF-8 (checked by
 * the caller), moving *pp past it. */
static uint32_t next_cp(const char **pp)
{
    uint32_t cp;
    *pp += sg_utf8_next(*pp, strnlen(*pp, SG_UTF8_MAX), &cp);
    return cp;
}

static bool valid_utf8(const char *s)
{
    return sg_utf8_valid(s, strlen(s));
}

char *sg_ck_ucs2_hex_decode(const char *hex, bool *bad)
{
    size_t len = strlen(hex);
    *bad = true;
    if (len == 0 || len % 4 != 0)
        return NULL;
    size_t units = len / 4;
    uint16_t *u = malloc(units * sizeof *u);
    char *out = malloc(units * 3 + 1); /* a pair (2 units) gives 4 bytes, 1 unit <= 3 */
    if (!u || !out) {
        free(u);
        free(out);
        *bad = false;
        return NULL;
    }
    bool ok = true;
    for (size_t i = 0; i < units && ok; i++) {
        int v = 0;
        for (int k = 0; k < 4 && ok; k++) {
            int h = sg_hex_value(hex[4 * i + (size_t)k]);
            ok = h >= 0;
            v = v * 16 + h;
        }
        u[i] = (uint16_t)v;
    }
    size_t n = 0;
    for (size_t i = 0; i < units && ok; i++) {
        uint32_t cp = u[i];
        if (cp == 0) {
            ok = false;
        } else if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (i + 1 < units && u[i + 1] >= 0xDC00 && u[i + 1] <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (u[i + 1] - 0xDC00);
                i++;
            } else {
                ok = false;
            }
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            ok = false;
        }
        if (ok)
            n += sg_utf8_encode(cp, out + n);
    }
    free(u);
    if (!ok) {
        free(out);
        return NULL;
    }
    out[n] = '\0';
    *bad = false;
    return out;
}

char *sg_ck_text_decode(const char *raw, bool utf8, bool *bad)
{
    *bad = utf8 && !valid_utf8(raw);
    if (utf8)
        return *bad ? NULL : strdup(raw);
    size_t len = strlen(raw);
    char *out = malloc(len * 2 + 1);
    if (!out)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += sg_utf8_encode((unsigned char)raw[i], out + n);
    out[n] = '\0';
    return out;
}

unsigned sg_ck_parts(const char *utf8, bool ucs2)
{
    const char *p = utf8;
    size_t total = 0;
    unsigned single = ucs2 ? 70 : 160, per_part = ucs2 ? 67 : 153;
    /* First pass: the total, to know whether it fits in one part. */
    while (*p) {
        uint32_t cp = next_cp(&p);
        int w = ucs2 ? (cp > 0xFFFF ? 2 : 1) : sg_gsm7_septets(cp);
        total += (size_t)(w ? w : 1);
    }
    if (total == 0)
        return 0;
    if (total <= single)
        return 1;
    unsigned parts = 1;
    size_t used = 0;
    p = utf8;
    while (*p) {
        uint32_t cp = next_cp(&p);
        int w = ucs2 ? (cp > 0xFFFF ? 2 : 1) : sg_gsm7_septets(cp);
        size_t width = (size_t)(w ? w : 1);
        if (used + width > per_part) {
            parts++;
            used = 0;
        }
        used += width;
    }
    return parts;
}

/* ---- requests ----------------------------------------------------------------------- */

void sg_ck_request_free(sg_ck_request *r)
{
    free(r->url);
    free(r->body);
    r->url = r->body = NULL;
}

typedef struct field {
    const char *key;
    const char *value;
    bool number; /* a JSON number in the JSON variant */
} field;

/* fields as m sends them to url. */
static bool fields_request(sg_ck_method m, const char *url, const field *f, size_t n,
                           const char *user_agent, sg_ck_request *r)
{
    memset(r, 0, sizeof *r);
    r->http.user_agent = user_agent;
    if (m == SG_CK_JSON) {
        json_t *o = json_object();
        for (size_t i = 0; o && i < n; i++) {
            json_t *v;
            if (f[i].number)
                v = strchr(f[i].value, '.') ? json_real(strtod(f[i].value, NULL))
                                            : json_integer(strtoll(f[i].value, NULL, 10));
            else
                v = json_string(f[i].value);
            if (!v || json_object_set_new(o, f[i].key, v) != 0) {
                json_decref(o);
                o = NULL;
            }
        }
        r->body = o ? json_dumps(o, JSON_COMPACT) : NULL;
        json_decref(o);
        r->url = strdup(url);
        r->http.method = "POST";
        r->http.content_type = "application/json";
    } else {
        sg_buf b;
        sg_buf_init(&b, 64 * 1024);
        sg_err err = SG_OK;
        for (size_t i = 0; i < n && !err; i++)
            err = sg_sim_form_add(&b, f[i].key, f[i].value);
        char *form = err ? NULL : sg_buf_steal(&b);
        sg_buf_free(&b);
        if (m == SG_CK_POST) {
            r->body = form;
            r->url = strdup(url);
            r->http.method = "POST";
            r->http.content_type = "application/x-www-form-urlencoded";
        } else if (form) {
            size_t len = strlen(url) + 1 + strlen(form) + 1;
            r->url = malloc(len);
            if (r->url)
                snprintf(r->url, len, "%s%c%s", url, strchr(url, '?') ? '&' : '?', form);
            free(form);
            r->http.method = "GET";
        }
    }
    if (!r->url || (m != SG_CK_GET && !r->body)) {
        sg_ck_request_free(r);
        return false;
    }
    return true;
}

static bool json_request(json_t *o, const char *url, sg_ck_request *r)
{
    memset(r, 0, sizeof *r);
    r->http.method = "POST";
    r->http.content_type = "application/json";
    r->http.user_agent = SG_CK_USER_AGENT;
    r->body = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    r->url = strdup(url);
    if (!r->url || !r->body) {
        sg_ck_request_free(r);
        return false;
    }
    return true;
}

bool sg_ck_legacy_status_request(const sg_ck_legacy_status *p, sg_ck_method m, const char *url,
                                 sg_ck_request *r)
{
    char ts[32], status[16], charge[32];
    snprintf(ts, sizeof ts, "%lld", (long long)p->timestamp_s);
    snprintf(status, sizeof status, "%03d", p->status);
    snprintf(charge, sizeof charge, "%.1f", p->charge);
    const field f[] = {
        {"api_id", p->api_id, false},
        {"apiMsgId", p->api_msg_id, false},
        {"cliMsgId", p->cli_msg_id, false},
        {"to", p->to, false},
        {"timestamp", ts, true},
        {"from", p->from, false},
        {"status", status, false},
        {"charge", charge, true},
    };
    return fields_request(m, url, f, sizeof f / sizeof f[0], SG_CK_USER_AGENT, r);
}

static json_t *string_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

bool sg_ck_platform_status_request(const sg_ck_platform_status *p, const char *url,
                                   sg_ck_request *r)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:o, s:s, s:o, s:i, s:s, s:s, s:I}", "integrationName",
                          p->integration_name, "messageId", p->message_id, "requestId",
                          p->request_id, "clientMessageId", string_or_null(p->client_message_id),
                          "to", p->to, "from", string_or_null(p->from), "statusCode",
                          p->status_code, "status", sg_ck_status_name(p->status_code),
                          "statusDescription", sg_ck_status_description(p->status_code),
                          "timestamp", (json_int_t)p->timestamp_ms);
    return json_request(o, url, r);
}

/* The legacy MO timestamp: "yyyy-mm-dd hh:mm:ss" in GMT+2 (B.1). */
static void mo_timestamp(char out[64])
{
    time_t t = time(NULL) + 2 * 3600;
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(out, 64, "%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* text in charset: for form delivery (bytes) or for JSON (characters). */
static char *encode_text(const char *text, const char *charset, bool json, char *why, size_t cap)
{
    bool latin1_ok = true;
    for (const char *p = text; *p;) {
        if (next_cp(&p) > 0xFF)
            latin1_ok = false;
    }
    if (strcasecmp(charset, "UTF-8") == 0)
        return strdup(text);
    if (strcasecmp(charset, "ISO-8859-1") == 0) {
        if (!latin1_ok) {
            snprintf(why, cap, "the text has characters outside ISO-8859-1 (use UTF-16BE)");
            return NULL;
        }
        if (json)
            return strdup(text);
        char *out = malloc(strlen(text) + 1);
        size_t n = 0;
        for (const char *p = text; out && *p;)
            out[n++] = (char)next_cp(&p);
        if (out)
            out[n] = '\0';
        return out;
    }
    if (strcasecmp(charset, "UTF-16BE") == 0 || strcasecmp(charset, "UCS-2") == 0) {
        static const char hex[] = "0123456789ABCDEF";
        char *out = malloc(strlen(text) * 8 + 1); /* a 4-byte char: 2 units, 8 digits */
        size_t n = 0;
        for (const char *p = text; out && *p;) {
            uint32_t cp = next_cp(&p);
            uint16_t units[2];
            int k = 0;
            if (cp > 0xFFFF) {
                cp -= 0x10000;
                units[k++] = (uint16_t)(0xD800 + (cp >> 10));
                units[k++] = (uint16_t)(0xDC00 + (cp & 0x3FF));
            } else {
                units[k++] = (uint16_t)cp;
            }
            for (int x = 0; x < k; x++) {
                for (int shift = 12; shift >= 0; shift -= 4)
                    out[n++] = hex[(units[x] >> shift) & 15];
            }
        }
        if (out)
            out[n] = '\0';
        return out;
    }
    snprintf(why, cap, "unknown charset '%.40s' (ISO-8859-1, UTF-8, UTF-16BE or UCS-2)", charset);
    return NULL;
}

bool sg_ck_reply_request(const sg_ck_reply *p, char id[SG_CK_ID_LEN + 1], sg_ck_request *r,
                         char *why, size_t cap)
{
    memset(r, 0, sizeof *r);
    why[0] = '\0';
    if (!valid_utf8(p->text)) {
        snprintf(why, cap, "the text is not valid UTF-8");
        return false;
    }
    bool latin1_ok = true;
    for (const char *q = p->text; *q;) {
        if (next_cp(&q) > 0xFF)
            latin1_ok = false;
    }
    const char *charset = p->charset    ? p->charset
                          : p->platform ? "UTF-8"
                          : latin1_ok   ? "ISO-8859-1"
                                        : "UTF-16BE";
    bool json = p->platform || p->method == SG_CK_JSON;
    char *text = encode_text(p->text, charset, json, why, cap);
    if (!text) {
        if (!why[0])
            snprintf(why, cap, "out of memory");
        return false;
    }
    sg_ck_new_id(id);
    char ts[64];
    bool ok;
    if (p->platform) {
        json_t *o = json_object();
        if (o) {
            json_object_set_new(o, "integrationName", json_string(p->integration_name));
            json_object_set_new(o, "messageId", string_or_null(p->message_id));
            json_object_set_new(o, "replyMessageId", json_string(id));
            json_object_set_new(o, "fromNumber", json_string(p->from));
            json_object_set_new(o, "toNumber", json_string(p->to));
            if (p->timestamp) {
                json_object_set_new(o, "timestamp", json_string(p->timestamp));
            } else {
                struct timespec now;
                clock_gettime(CLOCK_REALTIME, &now);
                json_object_set_new(
                    o, "timestamp",
                    json_integer((json_int_t)now.tv_sec * 1000 + now.tv_nsec / 1000000));
            }
            json_object_set_new(o, "text", json_string(text));
            json_object_set_new(o, "charset", json_string(charset));
            json_object_set_new(o, "udh", json_string(p->udh ? p->udh : ""));
            json_object_set_new(o, "network", json_string(p->network ? p->network : ""));
            json_object_set_new(o, "keyword", json_string(p->keyword ? p->keyword : ""));
        }
        ok = json_request(o, p->url, r);
    } else {
        if (!p->timestamp)
            mo_timestamp(ts);
        field f[10] = {
            {"api_id", p->api_id, false},
            {"moMsgId", id, false},
            {"from", p->from, false},
            {"to", p->to, false},
            {"timestamp", p->timestamp ? p->timestamp : ts, false},
            {"text", text, false},
            {"charset", charset, false},
        };
        size_t n = 7;
        if (p->udh)
            f[n++] = (field){"udh", p->udh, false};
        if (p->network)
            f[n++] = (field){"network", p->network, false};
        if (p->keyword)
            f[n++] = (field){"keyword", p->keyword, false};
        ok = fields_request(p->method, p->url, f, n, SG_CK_USER_AGENT_MO, r);
    }
    free(text);
    if (!ok)
        snprintf(why, cap, "out of memory");
    return ok;
}
