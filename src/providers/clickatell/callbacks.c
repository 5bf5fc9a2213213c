/* Clickatell's delivery reports and replies (providers.md B.1-B.3), parsed from
 * forms and JSON bodies. The mappings are documented in the header. */
#include "providers/clickatell/callbacks.h"
#include "util/form.h"
#include "util/utf8.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ID_MAX        64 /* apiMsgId, moMsgId, ... (32 hex digits in practice) */
#define API_ID_MAX    32
#define ADDR_MAX      32
#define UDH_MAX       280   /* hex digits: 140 bytes */
#define TEXT_CHARS    1600  /* code points of a reply, as for Twilio's Body */
#define TEXT_IN_MAX   16384 /* bytes of a text before conversion (hex UCS-2 is 4 a unit) */
#define JSON_MAX      65536 /* bytes of a JSON callback body */
#define TS_DIGITS     12    /* unix seconds (or milliseconds: 13) */
#define TS_MS_DIGITS  15
#define CHARGE_MAX    20
#define STATUS_DIGITS 3
#define MS_THRESHOLD  100000000000LL /* a timestamp above this is in milliseconds */

/* ---- status tables ------------------------------------------------------------------ */

/* The legacy codes (and Platform statusCode) and what they mean for a message
 * that smsgate already counts as sent. */
static const struct code_map {
    unsigned code;
    bool has_status;
    sg_status status;
} code_map[] = {
    {1, false, SG_STATUS_SENT},        /* message unknown */
    {2, false, SG_STATUS_SENT},        /* queued */
    {3, true, SG_STATUS_SENT},         /* delivered to gateway */
    {4, true, SG_STATUS_DELIVERED},    /* received by recipient */
    {5, true, SG_STATUS_FAILED},       /* error with message */
    {6, true, SG_STATUS_FAILED},       /* user cancelled delivery */
    {7, true, SG_STATUS_UNDELIVERED},  /* error delivering message */
    {8, true, SG_STATUS_SENT},         /* received by gateway */
    {9, true, SG_STATUS_FAILED},       /* routing error */
    {10, true, SG_STATUS_UNDELIVERED}, /* expired */
    {11, false, SG_STATUS_SENT},       /* queued for later delivery */
    {12, true, SG_STATUS_FAILED},      /* out of credit */
    {14, true, SG_STATUS_FAILED},      /* maximum MT limit exceeded */
};

/* Platform and One API status strings; code is the legacy equivalent (0: none). */
static const struct name_map {
    const char *name;
    bool has_status;
    sg_status status;
    unsigned code;
} name_map[] = {
    {"UNKNOWN", false, SG_STATUS_SENT, 1},
    {"QUEUED", false, SG_STATUS_SENT, 2},
    {"MESSAGE_QUEUED", false, SG_STATUS_SENT, 2},
    {"SCHEDULED", false, SG_STATUS_SENT, 11},
    {"DELIVERED_TO_GATEWAY", true, SG_STATUS_SENT, 3},
    {"RECEIVED_BY_GATEWAY", true, SG_STATUS_SENT, 8},
    {"SENT_TO_SUPPLIER", true, SG_STATUS_SENT, 3},
    {"EMULATED", true, SG_STATUS_SENT, 0},
    {"RECEIVED_BY_RECIPIENT", true, SG_STATUS_DELIVERED, 4},
    {"DEVICE_ACK", true, SG_STATUS_DELIVERED, 4},
    {"READ", true, SG_STATUS_DELIVERED, 0},
    {"ERROR_DELIVERING_MESSAGE", true, SG_STATUS_UNDELIVERED, 7},
    {"DELIVERY_FAILURE", true, SG_STATUS_UNDELIVERED, 7},
    {"MESSAGE_EXPIRED", true, SG_STATUS_UNDELIVERED, 10},
    {"EXPIRED", true, SG_STATUS_UNDELIVERED, 10},
    {"RECIPIENT_DOES_NOT_EXIST", true, SG_STATUS_UNDELIVERED, 0},
    {"ERROR_WITH_MESSAGE", true, SG_STATUS_FAILED, 5},
    {"USER_CANCELLED", true, SG_STATUS_FAILED, 6},
    {"STOPPED_BY_USER", true, SG_STATUS_FAILED, 6},
    {"STOPPED_BY_ADMIN", true, SG_STATUS_FAILED, 6},
    {"ROUTING_ERROR", true, SG_STATUS_FAILED, 9},
    {"OUT_OF_CREDIT", true, SG_STATUS_FAILED, 12},
    {"INSUFFICIENT_ACCOUNT_BALANCE", true, SG_STATUS_FAILED, 12},
    {"MAX_MT_LIMIT_EXCEEDED", true, SG_STATUS_FAILED, 14},
    {"VOLUME_LIMIT", true, SG_STATUS_FAILED, 14},
    {"VOLUME_LIMIT_DAILY", true, SG_STATUS_FAILED, 14},
    {"VOLUME_LIMIT_MONTHLY", true, SG_STATUS_FAILED, 14},
};

/* ---- small helpers ------------------------------------------------------------------ */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool all_digits(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (!is_digit(s[i]))
            return false;
    }
    return true;
}

static bool all_hex(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (sg_hex_value(s[i]) < 0)
            return false;
    }
    return true;
}

/* The value of key, treating an empty value like a missing one. */
static const char *get(const sg_form *params, const char *key)
{
    const char *v = sg_form_get(params, key);
    return v && *v ? v : NULL;
}

/* Copy an optional value into dst, cutting it at a UTF-8 character boundary and
 * turning control characters into spaces (it ends up in logs and JSON). */
static void copy_truncated(char *dst, size_t cap, const char *v, size_t len)
{
    len = sg_utf8_trim_len(v, len, cap - 1);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)v[i];
        dst[i] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
    }
    dst[len] = '\0';
}

/* A message id: 1 to ID_MAX letters, digits, '-' and '_'. */
static bool id_ok(const char *s, size_t len)
{
    if (len == 0 || len > ID_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_')
            return false;
    }
    return true;
}

/* An address as Clickatell writes it: digits ("27831234567"), maybe with "+",
 * or an alphanumeric sender ID; 1 to ADDR_MAX letters, digits, spaces, '+',
 * '.', '-' or '_'. */
static bool addr_ok(const char *s, size_t len)
{
    if (len == 0 || len > ADDR_MAX || s[0] == ' ' || s[len - 1] == ' ')
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!is_alnum(c) && c != ' ' && c != '+' && c != '.' && c != '-' && c != '_')
            return false;
    }
    return true;
}

/* "+" and the digits when s is a phone number of 7 to 15 digits not starting
 * with 0 (after an optional "+"); "" otherwise. */
static void to_e164(const char *s, char *out, size_t cap)
{
    out[0] = '\0';
    if (*s == '+')
        s++;
    size_t len = strlen(s);
    if (len >= 7 && len <= 15 && s[0] != '0' && all_digits(s, len))
        snprintf(out, cap, "+%s", s);
}

/* A timestamp of digits: seconds, or milliseconds above MS_THRESHOLD. */
static int64_t epoch_ms(long long v)
{
    return v > MS_THRESHOLD ? (int64_t)v : (int64_t)v * 1000;
}

static sg_err bad(sg_error *e, const char *field, const char *what)
{
    return sg_error_set(e, SG_ERR_INVALID, field, "%s %s", field, what);
}

/* Copy the id at key into dst; required ones must be present. */
static sg_err take_id(const char *v, const char *field, bool required, char *dst, size_t cap,
                      sg_error *e)
{
    dst[0] = '\0';
    if (!v)
        return required ? bad(e, field, "is missing") : SG_OK;
    size_t len = strnlen(v, ID_MAX + 1);
    if (!id_ok(v, len))
        return sg_error_set(e, SG_ERR_INVALID, field,
                            "%s must be 1 to %d letters, digits, '-' or '_'", field, ID_MAX);
    snprintf(dst, cap, "%s", v);
    return SG_OK;
}

static sg_err take_addr(const char *v, const char *field, bool required, char *dst, size_t cap,
                        sg_error *e)
{
    dst[0] = '\0';
    if (!v)
        return required ? bad(e, field, "is missing") : SG_OK;
    size_t len = strnlen(v, ADDR_MAX + 1);
    if (!addr_ok(v, len))
        return sg_error_set(e, SG_ERR_INVALID, field,
                            "%s must be a phone number or sender ID of 1 to %d letters, digits, "
                            "spaces, '+', '.', '-' or '_'",
                            field, ADDR_MAX);
    snprintf(dst, cap, "%s", v);
    return SG_OK;
}

static sg_err take_api_id(const char *v, char *dst, size_t cap, sg_error *e)
{
    dst[0] = '\0';
    if (!v)
        return SG_OK;
    size_t len = strnlen(v, API_ID_MAX + 1);
    bool ok = len <= API_ID_MAX;
    for (size_t i = 0; ok && i < len; i++)
        ok = is_alnum(v[i]);
    if (!ok)
        return sg_error_set(e, SG_ERR_INVALID, "api_id",
                            "api_id must be 1 to %d letters and digits", API_ID_MAX);
    snprintf(dst, cap, "%s", v);
    return SG_OK;
}

/* ---- status ------------------------------------------------------------------------- */

/* Apply a numeric status (1 to 999) to out: status_code, and the mapping. */
static void apply_code(sg_clickatell_status_cb *out, unsigned code, bool set_status)
{
    snprintf(out->status_code, sizeof out->status_code, "%03u", code);
    if (!set_status)
        return;
    for (size_t i = 0; i < sizeof code_map / sizeof code_map[0]; i++) {
        if (code_map[i].code == code) {
            out->has_status = code_map[i].has_status;
            if (out->has_status)
                out->status = code_map[i].status;
            return;
        }
    }
}

/* error_code for an undelivered or failed report: "status-NNN" of its code. */
static void apply_error_code(sg_clickatell_status_cb *out)
{
    if (out->has_status &&
        (out->status == SG_STATUS_UNDELIVERED || out->status == SG_STATUS_FAILED) &&
        out->status_code[0])
        snprintf(out->error_code, sizeof out->error_code, "status-%s", out->status_code);
}

/* 1 to 3 digits → the code; -1 otherwise. */
static int parse_code(const char *v)
{
    size_t len = strnlen(v, STATUS_DIGITS + 1);
    if (len == 0 || len > STATUS_DIGITS || !all_digits(v, len))
        return -1;
    return (int)strtol(v, NULL, 10);
}

sg_err sg_clickatell_parse_status(const sg_form *params, sg_clickatell_status_cb *out, sg_error *e)
{
    memset(out, 0, sizeof *out);
    sg_err err = take_api_id(get(params, "api_id"), out->api_id, sizeof out->api_id, e);
    if (!err)
        err = take_id(get(params, "apiMsgId"), "apiMsgId", true, out->message_id,
                      sizeof out->message_id, e);
    if (!err)
        err = take_id(get(params, "cliMsgId"), "cliMsgId", false, out->client_message_id,
                      sizeof out->client_message_id, e);
    if (err)
        return err;

    const char *v = get(params, "status");
    if (!v)
        return bad(e, "status", "is missing");
    int code = parse_code(v);
    if (code < 0)
        return sg_error_set(e, SG_ERR_INVALID, "status",
                            "status must be a Clickatell status code of 1 to 3 digits (004)");
    apply_code(out, (unsigned)code, true);
    snprintf(out->status_raw, sizeof out->status_raw, "%s", out->status_code);
    apply_error_code(out);

    err = take_addr(get(params, "from"), "from", false, out->from, sizeof out->from, e);
    if (!err)
        err = take_addr(get(params, "to"), "to", false, out->to, sizeof out->to, e);
    if (err)
        return err;

    if ((v = get(params, "timestamp")) != NULL) {
        size_t len = strnlen(v, TS_MS_DIGITS + 1);
        if (len > TS_MS_DIGITS || !all_digits(v, len))
            return sg_error_set(e, SG_ERR_INVALID, "timestamp",
                                "timestamp must be a unix time in seconds");
        out->timestamp_ms = epoch_ms(strtoll(v, NULL, 10));
    }
    if ((v = get(params, "charge")) != NULL) {
        size_t len = strnlen(v, CHARGE_MAX + 1);
        size_t dots = 0;
        bool ok = len <= CHARGE_MAX && is_digit(v[0]);
        for (size_t i = 0; ok && i < len; i++) {
            if (v[i] == '.')
                dots++;
            else if (!is_digit(v[i]))
                ok = false;
        }
        if (!ok || dots > 1)
            return sg_error_set(e, SG_ERR_INVALID, "charge",
                                "charge must be a decimal number of credits");
        snprintf(out->charge, sizeof out->charge, "%s", v);
    }
    return SG_OK;
}

/* Text of a JSON string or integer into buf; NULL when absent, null or "". A
 * value of any other type, or one with a NUL, sets *wrong. */
static const char *json_scalar(json_t *v, char *buf, size_t cap, bool *wrong)
{
    *wrong = false;
    if (!v || json_is_null(v))
        return NULL;
    if (json_is_integer(v)) {
        snprintf(buf, cap, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return buf;
    }
    if (json_is_string(v)) {
        if (strlen(json_string_value(v)) != json_string_length(v)) {
            *wrong = true;
            return NULL;
        }
        return json_string_length(v) ? json_string_value(v) : NULL;
    }
    *wrong = true;
    return NULL;
}

/* A key that must be a string or a number when present. */
static sg_err json_get(json_t *o, const char *key, char *buf, size_t cap, const char **out,
                       sg_error *e)
{
    bool wrong;
    *out = json_scalar(json_object_get(o, key), buf, cap, &wrong);
    if (wrong)
        return sg_error_set(e, SG_ERR_INVALID, key, "%s must be a string", key);
    return SG_OK;
}

/* A timestamp: a number, or a string of digits; seconds or milliseconds. An
 * ISO date or anything else gives 0 (the time is informative). */
static int64_t json_timestamp(json_t *v)
{
    if (json_is_integer(v) && json_integer_value(v) > 0)
        return epoch_ms((long long)json_integer_value(v));
    if (json_is_real(v) && json_real_value(v) > 0 && json_real_value(v) < 1e15)
        return epoch_ms((long long)json_real_value(v));
    if (json_is_string(v)) {
        size_t len = json_string_length(v);
        const char *s = json_string_value(v);
        if (len > 0 && len <= TS_MS_DIGITS && all_digits(s, len))
            return epoch_ms(strtoll(s, NULL, 10));
    }
    return 0;
}

/* Parse a JSON callback body into an object; with event_key, the One API shape
 * {"event": {event_key: [obj, ...]}} gives its first element. *root must be
 * released by the caller; *obj is borrowed from it. */
static sg_err load_json(const char *json, size_t len, const char *event_key, json_t **root,
                        json_t **obj, bool *from_event, sg_error *e)
{
    *root = NULL;
    *obj = NULL;
    *from_event = false;
    if (len > JSON_MAX)
        return sg_error_set(e, SG_ERR_TOO_LARGE, "body",
                            "the callback body is larger than %d bytes", JSON_MAX);
    json_error_t jerr;
    json_t *r =
        json && len ? json_loadb(json, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr) : NULL;
    if (!json_is_object(r)) {
        json_decref(r);
        return sg_error_set(e, SG_ERR_INVALID, "body", "the callback body is not a JSON object");
    }
    *root = r;
    json_t *event = json_object_get(r, "event");
    if (event) {
        char field[64];
        snprintf(field, sizeof field, "event.%s", event_key);
        json_t *list = json_object_get(event, event_key);
        json_t *first = json_is_array(list) ? json_array_get(list, 0) : NULL;
        if (!json_is_object(first))
            return sg_error_set(e, SG_ERR_INVALID, field,
                                "%s must be a list holding at least one object", field);
        *obj = first;
        *from_event = true;
        return SG_OK;
    }
    *obj = r;
    return SG_OK;
}

static sg_err platform_status(json_t *o, sg_clickatell_status_cb *out, sg_error *e)
{
    char buf[40];
    const char *v;
    memset(out, 0, sizeof *out);

    sg_err err = json_get(o, "messageId", buf, sizeof buf, &v, e);
    if (!err)
        err = take_id(v, "messageId", true, out->message_id, sizeof out->message_id, e);
    if (!err)
        err = json_get(o, "clientMessageId", buf, sizeof buf, &v, e);
    if (!err)
        err = take_id(v, "clientMessageId", false, out->client_message_id,
                      sizeof out->client_message_id, e);
    if (err)
        return err;

    const char *name;
    char name_buf[40];
    int code = -1;
    err = json_get(o, "status", name_buf, sizeof name_buf, &name, e);
    if (err)
        return err;
    err = json_get(o, "statusCode", buf, sizeof buf, &v, e);
    if (err)
        return err;
    if (v && (code = parse_code(v)) < 0)
        return sg_error_set(e, SG_ERR_INVALID, "statusCode",
                            "statusCode must be a status code of 1 to 3 digits");
    /* a number in status is a status code */
    if (name && all_digits(name, strlen(name))) {
        int c = parse_code(name);
        if (c < 0)
            return sg_error_set(e, SG_ERR_INVALID, "status",
                                "status must be a status name or a code of 1 to 3 digits");
        if (code < 0)
            code = c;
        name = NULL;
    }
    if (name) {
        size_t len = strnlen(name, sizeof out->status_raw);
        if (len >= sizeof out->status_raw)
            return bad(e, "status", "is too long");
        for (size_t i = 0; i < len; i++) {
            if (!is_alnum(name[i]) && name[i] != '_' && name[i] != '-' && name[i] != ' ')
                return bad(e, "status", "holds an unexpected character");
        }
        snprintf(out->status_raw, sizeof out->status_raw, "%s", name);
    }
    if (!name && code < 0)
        return sg_error_set(e, SG_ERR_INVALID, "status", "status (or statusCode) is missing");

    const struct name_map *nm = NULL;
    for (size_t i = 0; name && i < sizeof name_map / sizeof name_map[0]; i++) {
        if (strcasecmp(name, name_map[i].name) == 0)
            nm = &name_map[i];
    }
    if (nm) {
        out->has_status = nm->has_status;
        if (nm->has_status)
            out->status = nm->status;
        /* the number Clickatell sent, else the string's legacy equivalent */
        if (code >= 0)
            apply_code(out, (unsigned)code, false);
        else if (nm->code)
            apply_code(out, nm->code, false);
    } else if (code >= 0) {
        apply_code(out, (unsigned)code, true);
    }
    if (!name)
        snprintf(out->status_raw, sizeof out->status_raw, "%s", out->status_code);
    apply_error_code(out);

    json_t *desc = json_object_get(o, "statusDescription");
    if (json_is_string(desc))
        copy_truncated(out->error_message, sizeof out->error_message, json_string_value(desc),
                       strlen(json_string_value(desc)));

    err = json_get(o, "from", buf, sizeof buf, &v, e);
    if (!err)
        err = take_addr(v, "from", false, out->from, sizeof out->from, e);
    if (!err)
        err = json_get(o, "to", buf, sizeof buf, &v, e);
    if (!err)
        err = take_addr(v, "to", false, out->to, sizeof out->to, e);
    if (err)
        return err;
    out->timestamp_ms = json_timestamp(json_object_get(o, "timestamp"));
    return SG_OK;
}

sg_err sg_clickatell_parse_platform_status(const char *json, size_t len,
                                           sg_clickatell_status_cb *out, sg_error *e)
{
    json_t *root, *obj;
    bool from_event;
    memset(out, 0, sizeof *out);
    sg_err err = load_json(json, len, "messageStatusUpdate", &root, &obj, &from_event, e);
    if (!err)
        err = platform_status(obj, out, e);
    json_decref(root);
    return err;
}

/* The form's pairs as a JSON object of strings (the first of a repeated key). */
static json_t *form_object(const sg_form *params)
{
    json_t *o = json_object();
    for (size_t i = 0; o && i < params->n; i++) {
        if (json_object_get(o, params->pairs[i].key))
            continue;
        json_t *s = json_stringn(params->pairs[i].value, params->pairs[i].value_len);
        if (!s)
            s = json_string(""); /* not UTF-8: the parsers treat it as absent */
        /* nocheck: a key that is not UTF-8 is kept as bytes (no parser looks it
         * up) instead of failing the whole callback as if memory ran out. */
        if (json_object_set_new_nocheck(o, params->pairs[i].key, s)) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

sg_err sg_clickatell_parse_platform_status_form(const sg_form *params, sg_clickatell_status_cb *out,
                                                sg_error *e)
{
    memset(out, 0, sizeof *out);
    json_t *o = form_object(params);
    if (!o)
        return sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory");
    sg_err err = platform_status(o, out, e);
    json_decref(o);
    return err;
}

/* ---- text conversion ---------------------------------------------------------------- */

/* A NUL stands for a character we cannot know (a GSM '@' sent as 0x00 by a
 * gateway, say): it becomes U+FFFD, so that the text is kept, never cut short
 * or emptied, and shows that something was there. */
#define NUL_STANDIN 0xFFFDu

/* UTF-8 s of len bytes (valid, maybe with NUL bytes) copied with every NUL
 * replaced by U+FFFD. */
static char *utf8_copy(const char *s, size_t len)
{
    char *o = malloc(len * 3 + 1);
    if (!o)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\0')
            n += sg_utf8_encode(NUL_STANDIN, o + n);
        else
            o[n++] = s[i];
    }
    o[n] = '\0';
    return o;
}

static char *latin1_to_utf8(const char *s, size_t len, long *chars)
{
    char *o = malloc(len * 3 + 1);
    if (!o)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += sg_utf8_encode(s[i] ? (unsigned char)s[i] : NUL_STANDIN, o + n);
    o[n] = '\0';
    *chars = (long)len;
    return o;
}

/* UTF-16BE as hex (4 digits a unit) to UTF-8; a lone surrogate, and U+0000,
 * become U+FFFD. Returns NULL with *bad set when the hex is malformed. */
static char *ucs2hex_to_utf8(const char *s, size_t len, long *chars, bool *bad_hex)
{
    *bad_hex = len % 4 != 0 || !all_hex(s, len);
    if (*bad_hex)
        return NULL;
    size_t units = len / 4;
    char *o = malloc(units * 3 + 1); /* a BMP unit: 3 bytes; a pair (2 units): 4 */
    if (!o)
        return NULL;
    size_t n = 0;
    long count = 0;
    for (size_t i = 0; i < units; i++) {
        const char *h = s + i * 4;
        uint32_t u =
            (uint32_t)(sg_hex_value(h[0]) << 12 | sg_hex_value(h[1]) << 8 | sg_hex_value(h[2]) << 4 | sg_hex_value(h[3]));
        uint32_t cp = u;
        if (u >= 0xD800 && u <= 0xDBFF && i + 1 < units) {
            const char *l = h + 4;
            uint32_t lo = (uint32_t)(sg_hex_value(l[0]) << 12 | sg_hex_value(l[1]) << 8 | sg_hex_value(l[2]) << 4 |
                                     sg_hex_value(l[3]));
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                i++;
            } else {
                cp = 0xFFFD;
            }
        } else if (u >= 0xD800 && u <= 0xDFFF) {
            cp = 0xFFFD;
        }
        n += sg_utf8_encode(cp ? cp : NUL_STANDIN, o + n);
        count++;
    }
    o[n] = '\0';
    *chars = count;
    return o;
}

typedef enum charset_kind {
    CS_NONE = 0, /* absent or unknown: UTF-8 when valid, else ISO-8859-1 */
    CS_LATIN1,
    CS_UTF16,
    CS_UTF8,
} charset_kind;

static charset_kind charset_of(const char *charset)
{
    static const struct {
        const char *name;
        charset_kind kind;
    } names[] = {
        {"ISO-8859-1", CS_LATIN1}, {"ISO_8859-1", CS_LATIN1}, {"ISO8859-1", CS_LATIN1},
        {"Latin1", CS_LATIN1},     {"Latin-1", CS_LATIN1},    {"UTF-16BE", CS_UTF16},
        {"UTF-16", CS_UTF16},      {"UCS-2", CS_UTF16},       {"UCS2", CS_UTF16},
        {"UCS-2BE", CS_UTF16},     {"UTF-8", CS_UTF8},        {"UTF8", CS_UTF8},
    };
    for (size_t i = 0; charset && i < sizeof names / sizeof names[0]; i++) {
        if (strcasecmp(charset, names[i].name) == 0)
            return names[i].kind;
    }
    return CS_NONE;
}

sg_err sg_clickatell_text_to_utf8(const char *text, size_t len, const char *charset, char **out,
                                  sg_error *e)
{
    *out = NULL;
    if (len > TEXT_IN_MAX)
        return sg_error_set(e, SG_ERR_INVALID, "text", "text is longer than %d bytes", TEXT_IN_MAX);
    charset_kind cs = charset_of(charset);
    long chars = 0;
    char *o = NULL;
    if (cs == CS_UTF16) {
        bool bad_hex;
        o = ucs2hex_to_utf8(text, len, &chars, &bad_hex);
        if (bad_hex)
            return sg_error_set(e, SG_ERR_INVALID, "text",
                                "text must be hexadecimal UTF-16BE (4 digits a character) for "
                                "charset %.32s",
                                charset);
    } else if (cs == CS_LATIN1) {
        o = latin1_to_utf8(text, len, &chars);
    } else {
        size_t n = sg_utf8_count(text, len, len);
        if (n == SIZE_MAX && cs == CS_UTF8)
            return sg_error_set(e, SG_ERR_INVALID, "text", "text is not valid UTF-8");
        chars = (long)n;
        o = n == SIZE_MAX ? latin1_to_utf8(text, len, &chars) : utf8_copy(text, len);
    }
    if (!o)
        return sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory");
    if (chars > TEXT_CHARS) {
        free(o);
        return sg_error_set(e, SG_ERR_INVALID, "text", "text is longer than %d characters",
                            TEXT_CHARS);
    }
    *out = o;
    return SG_OK;
}

/* ---- inbound ------------------------------------------------------------------------ */

void sg_clickatell_inbound_free(sg_clickatell_inbound *in)
{
    if (!in)
        return;
    free(in->text);
    in->text = NULL;
}

static sg_err take_udh(const char *v, char *dst, size_t cap, sg_error *e)
{
    dst[0] = '\0';
    if (!v)
        return SG_OK;
    size_t len = strnlen(v, UDH_MAX + 1);
    if (len > UDH_MAX || len % 2 || !all_hex(v, len))
        return sg_error_set(e, SG_ERR_INVALID, "udh", "udh must be at most %d hexadecimal digits",
                            UDH_MAX);
    snprintf(dst, cap, "%s", v);
    return SG_OK;
}

/* A free-form short value (charset, network, keyword): cut to fit, printable. */
static void take_short(const char *v, char *dst, size_t cap)
{
    dst[0] = '\0';
    if (v)
        copy_truncated(dst, cap, v, strlen(v));
}

static sg_err take_timestamp(const char *v, sg_clickatell_inbound *out, sg_error *e)
{
    if (!v)
        return SG_OK;
    size_t len = strnlen(v, sizeof out->timestamp);
    bool ok = len < sizeof out->timestamp;
    for (size_t i = 0; ok && i < len; i++) {
        char c = v[i];
        ok = is_digit(c) || c == '-' || c == ':' || c == ' ' || c == 'T' || c == '+' || c == '.' ||
             c == 'Z';
    }
    if (!ok)
        return sg_error_set(e, SG_ERR_INVALID, "timestamp",
                            "timestamp must be a date and time (2015-02-04 09:30:36) or a unix "
                            "time");
    snprintf(out->timestamp, sizeof out->timestamp, "%s", v);
    if (len <= TS_MS_DIGITS && all_digits(v, len))
        out->timestamp_ms = epoch_ms(strtoll(v, NULL, 10));
    return SG_OK;
}

static void set_e164(sg_clickatell_inbound *out)
{
    to_e164(out->from, out->from_e164, sizeof out->from_e164);
    to_e164(out->to, out->to_e164, sizeof out->to_e164);
}

sg_err sg_clickatell_parse_inbound(const sg_form *params, sg_clickatell_inbound *out, sg_error *e)
{
    memset(out, 0, sizeof *out);
    sg_err err = take_api_id(get(params, "api_id"), out->api_id, sizeof out->api_id, e);
    if (!err)
        err = take_id(get(params, "moMsgId"), "moMsgId", true, out->message_id,
                      sizeof out->message_id, e);
    if (!err)
        err = take_addr(get(params, "from"), "from", true, out->from, sizeof out->from, e);
    if (!err)
        err = take_addr(get(params, "to"), "to", true, out->to, sizeof out->to, e);
    if (!err)
        err = take_timestamp(get(params, "timestamp"), out, e);
    if (!err)
        err = take_udh(get(params, "udh"), out->udh, sizeof out->udh, e);
    if (err)
        return err;
    take_short(get(params, "charset"), out->charset, sizeof out->charset);
    take_short(get(params, "network"), out->network, sizeof out->network);
    set_e164(out);

    size_t tlen;
    const char *text = sg_form_get_n(params, "text", &tlen); /* NUL bytes included */
    if (!text)
        text = "";
    char *utf8;
    err = sg_clickatell_text_to_utf8(text, tlen, out->charset, &utf8, e);
    if (err)
        return err;
    out->text = utf8;
    return SG_OK;
}

/* The Platform's name (fromNumber) or the One API's (from), whichever is there;
 * when neither is, the name of the shape the body has (for the error). */
static const char *pick_key(json_t *o, const char *platform, const char *one_api, bool from_event)
{
    if (json_object_get(o, platform))
        return platform;
    if (json_object_get(o, one_api))
        return one_api;
    return from_event ? one_api : platform;
}

static sg_err platform_reply(json_t *o, bool from_event, sg_clickatell_inbound *out, sg_error *e)
{
    char buf[40], buf2[40];
    const char *v, *reply_id;
    memset(out, 0, sizeof *out);

    /* The reply's own id: replyMessageId (Platform) or messageId (One API), and
     * the MT it answers: messageId (Platform) or relatedMessageId (One API). */
    sg_err err = json_get(o, "replyMessageId", buf2, sizeof buf2, &reply_id, e);
    if (err)
        return err;
    if (reply_id) {
        err = take_id(reply_id, "replyMessageId", true, out->message_id, sizeof out->message_id, e);
        if (!err)
            err = json_get(o, "messageId", buf, sizeof buf, &v, e);
        if (!err)
            err = take_id(v, "messageId", false, out->related_message_id,
                          sizeof out->related_message_id, e);
    } else {
        err = json_get(o, "messageId", buf, sizeof buf, &v, e);
        if (!err)
            err = take_id(v, from_event ? "messageId" : "replyMessageId", true, out->message_id,
                          sizeof out->message_id, e);
        if (!err)
            err = json_get(o, "relatedMessageId", buf, sizeof buf, &v, e);
        if (!err)
            err = take_id(v, "relatedMessageId", false, out->related_message_id,
                          sizeof out->related_message_id, e);
    }
    if (!err)
        err = json_get(o, "relatedClientMessageId", buf, sizeof buf, &v, e);
    if (!err)
        err = take_id(v, "relatedClientMessageId", false, out->related_client_message_id,
                      sizeof out->related_client_message_id, e);
    if (err)
        return err;

    const char *key = pick_key(o, "fromNumber", "from", from_event);
    err = json_get(o, key, buf, sizeof buf, &v, e);
    if (!err)
        err = take_addr(v, key, true, out->from, sizeof out->from, e);
    key = pick_key(o, "toNumber", "to", from_event);
    if (!err)
        err = json_get(o, key, buf, sizeof buf, &v, e);
    if (!err)
        err = take_addr(v, key, false, out->to, sizeof out->to, e);
    if (err)
        return err;
    set_e164(out);

    json_t *ts = json_object_get(o, "timestamp");
    if (json_is_string(ts)) {
        err = take_timestamp(json_string_length(ts) ? json_string_value(ts) : NULL, out, e);
        if (err)
            return err;
    } else if (json_is_integer(ts)) {
        out->timestamp_ms = json_timestamp(ts);
        snprintf(out->timestamp, sizeof out->timestamp, "%" JSON_INTEGER_FORMAT,
                 json_integer_value(ts));
    } else if (json_is_real(ts)) {
        out->timestamp_ms = json_timestamp(ts);
        snprintf(out->timestamp, sizeof out->timestamp, "%.0f", json_real_value(ts));
    }

    err = json_get(o, "udh", buf, sizeof buf, &v, e);
    if (!err)
        err = take_udh(v, out->udh, sizeof out->udh, e);
    if (err)
        return err;
    json_t *cs = json_object_get(o, "charset");
    take_short(json_is_string(cs) ? json_string_value(cs) : NULL, out->charset,
               sizeof out->charset);
    json_t *net = json_object_get(o, "network");
    if (!json_is_string(net))
        net = json_object_get(json_object_get(o, "sms"), "network");
    take_short(json_is_string(net) ? json_string_value(net) : NULL, out->network,
               sizeof out->network);
    json_t *kw = json_object_get(o, "keyword");
    take_short(json_is_string(kw) ? json_string_value(kw) : NULL, out->keyword,
               sizeof out->keyword);

    key = json_object_get(o, "text") ? "text" : "content";
    json_t *t = json_object_get(o, key);
    const char *text = "";
    size_t tlen = 0;
    if (t && !json_is_null(t)) {
        if (!json_is_string(t))
            return sg_error_set(e, SG_ERR_INVALID, key, "%s must be a string", key);
        text = json_string_value(t);
        tlen = json_string_length(t);
    }
    /* A JSON string is Unicode already; only UCS-2 sent as hex needs decoding. */
    const char *charset =
        charset_of(out->charset) == CS_UTF16 && tlen % 4 == 0 && all_hex(text, tlen) ? "UTF-16BE"
                                                                                     : "UTF-8";
    char *utf8;
    err = sg_clickatell_text_to_utf8(text, tlen, charset, &utf8, e);
    if (err) {
        if (e && strcmp(key, "text") != 0)
            snprintf(e->field, sizeof e->field, "%s", key);
        return err;
    }
    out->text = utf8;
    return SG_OK;
}

sg_err sg_clickatell_parse_platform_reply(const char *json, size_t len, sg_clickatell_inbound *out,
                                          sg_error *e)
{
    json_t *root, *obj;
    bool from_event;
    memset(out, 0, sizeof *out);
    sg_err err = load_json(json, len, "moText", &root, &obj, &from_event, e);
    if (!err)
        err = platform_reply(obj, from_event, out, e);
    json_decref(root);
    return err;
}

sg_err sg_clickatell_parse_platform_reply_form(const sg_form *params, sg_clickatell_inbound *out,
                                               sg_error *e)
{
    memset(out, 0, sizeof *out);
    json_t *o = form_object(params);
    if (!o)
        return sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory");
    sg_err err = platform_reply(o, false, out, e);
    json_decref(o);
    return err;
}
