#include "providers/twilio/callbacks.h"
#include "util/utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SID_MAX      64   /* Twilio SIDs are 34 characters; leave room for new formats */
#define ADDR_MAX     63   /* From / To */
#define BODY_MAX     1600 /* characters (code points), as Twilio itself */
#define ERRCODE_MAX  10   /* digits */
#define COUNT_DIGITS 9    /* NumSegments / NumMedia: fits an unsigned */
#define E164_DIGITS  15
#define ALNUM_ID_MAX 11 /* alphanumeric sender IDs */
#define CHANNEL_MAX  16 /* "whatsapp", "messenger", "rcs", ... */

/* Twilio's statuses and what they mean for an smsgate message (see the header
 * for why the early ones change nothing; their status column is unused). */
static const struct status_map {
    const char *twilio;
    bool has_status;
    sg_status status;
} status_map[] = {
    {"accepted", false, SG_STATUS_SENT},
    {"queued", false, SG_STATUS_SENT},
    {"scheduled", false, SG_STATUS_SENT},
    {"sending", false, SG_STATUS_SENT},
    {"sent", true, SG_STATUS_SENT},
    {"delivered", true, SG_STATUS_DELIVERED},
    {"read", true, SG_STATUS_DELIVERED},
    {"partially_delivered", true, SG_STATUS_DELIVERED},
    {"undelivered", true, SG_STATUS_UNDELIVERED},
    {"failed", true, SG_STATUS_FAILED},
    {"canceled", true, SG_STATUS_CANCELED},
};

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_alnum(char c)
{
    return is_digit(c) || is_alpha(c);
}

static bool all_digits(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (!is_digit(s[i]))
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

/* The value of the first of two keys that is present and not empty; *used gets
 * the key it came from (for error messages), or the first key if neither. */
static const char *get_either(const sg_form *params, const char *key, const char *legacy,
                              const char **used)
{
    const char *v = get(params, key);
    *used = key;
    if (!v && (v = get(params, legacy)) != NULL)
        *used = legacy;
    return v;
}

/* A message SID: SM or MM, then letters and digits, at most SID_MAX in all. */
static bool message_sid_ok(const char *s)
{
    size_t len = strnlen(s, SID_MAX + 1);
    if (len < 3 || len > SID_MAX || (s[0] != 'S' && s[0] != 'M') || s[1] != 'M')
        return false;
    for (size_t i = 2; i < len; i++) {
        if (!is_alnum(s[i]))
            return false;
    }
    return true;
}

/* What Twilio puts in From and To: an E.164 number ("+14155550100"), a short
 * code or national number (digits only), a channel address ("whatsapp:+1...",
 * "messenger:1234"), or an alphanumeric sender ID ("ACME Bank") on inbound
 * messages from such senders. Anything else (spaces around, control bytes,
 * markup) is refused. */
static bool address_ok(const char *s)
{
    size_t len = strnlen(s, ADDR_MAX + 1);
    if (len == 0 || len > ADDR_MAX)
        return false;
    if (s[0] == '+')
        return len >= 3 && len - 1 <= E164_DIGITS && all_digits(s + 1, len - 1);
    if (all_digits(s, len))
        return len >= 3 && len <= E164_DIGITS;
    const char *colon = memchr(s, ':', len);
    if (colon) {
        size_t plen = (size_t)(colon - s);
        if (plen == 0 || plen > CHANNEL_MAX || !(s[0] >= 'a' && s[0] <= 'z') || colon[1] == '\0')
            return false;
        for (size_t i = 0; i < plen; i++) {
            char c = s[i];
            if (!((c >= 'a' && c <= 'z') || is_digit(c) || c == '-' || c == '_'))
                return false;
        }
        for (const char *p = colon + 1; *p; p++) {
            if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
                return false;
        }
        return true;
    }
    if (len > ALNUM_ID_MAX || s[0] == ' ' || s[len - 1] == ' ')
        return false;
    bool letter = false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        letter = letter || is_alpha(c);
        if (!(is_alnum(c) || c == ' ' || c == '.' || c == '-' || c == '_' || c == '&'))
            return false;
    }
    return letter;
}

/* Copy an optional value into dst, cutting it at a UTF-8 character boundary
 * when it does not fit (ErrorMessage is for humans; a cut one is still useful). */
static void copy_truncated(char *dst, size_t cap, const char *v)
{
    size_t len = sg_utf8_trim_len(v, strnlen(v, cap), cap - 1);
    memcpy(dst, v, len);
    dst[len] = '\0';
}

/* A decimal count: absent or empty gives dflt; otherwise 1 to COUNT_DIGITS
 * digits, or SG_ERR_INVALID naming key. */
static sg_err parse_count(const sg_form *params, const char *key, unsigned dflt, unsigned *out,
                          sg_error *e)
{
    const char *v = get(params, key);
    if (!v) {
        *out = dflt;
        return SG_OK;
    }
    size_t len = strnlen(v, COUNT_DIGITS + 1);
    if (len > COUNT_DIGITS || !all_digits(v, len))
        return sg_error_set(e, SG_ERR_INVALID, key, "%s must be a number", key);
    unsigned long n = strtoul(v, NULL, 10);
    *out = (unsigned)n;
    return SG_OK;
}

static sg_err parse_address(const sg_form *params, const char *key, bool required, char *dst,
                            size_t cap, sg_error *e)
{
    const char *v = get(params, key);
    if (!v) {
        dst[0] = '\0';
        return required ? sg_error_set(e, SG_ERR_INVALID, key, "%s is missing", key) : SG_OK;
    }
    if (!address_ok(v))
        return sg_error_set(e, SG_ERR_INVALID, key, "%s is not a phone number or channel address",
                            key);
    snprintf(dst, cap, "%s", v);
    return SG_OK;
}

static sg_err parse_message_sid(const char *v, const char *key, char *dst, size_t cap, sg_error *e)
{
    if (!v)
        return sg_error_set(e, SG_ERR_INVALID, key, "%s is missing", key);
    if (!message_sid_ok(v))
        return sg_error_set(e, SG_ERR_INVALID, key,
                            "%s must start with SM or MM and hold at most %d letters and digits",
                            key, SID_MAX);
    snprintf(dst, cap, "%s", v);
    return SG_OK;
}

sg_err sg_twilio_parse_status(const sg_form *params, sg_twilio_status_cb *out, sg_error *e)
{
    memset(out, 0, sizeof *out);
    const char *key;
    const char *v = get_either(params, "MessageSid", "SmsSid", &key);
    sg_err err = parse_message_sid(v, key, out->message_sid, sizeof out->message_sid, e);
    if (err)
        return err;

    v = get_either(params, "MessageStatus", "SmsStatus", &key);
    if (!v)
        return sg_error_set(e, SG_ERR_INVALID, key, "%s is missing", key);
    size_t len = strnlen(v, sizeof out->status_raw);
    if (len >= sizeof out->status_raw)
        return sg_error_set(e, SG_ERR_INVALID, key, "%s is too long", key);
    for (size_t i = 0; i < len; i++) {
        if (!is_alpha(v[i]) && v[i] != '_' && v[i] != '-')
            return sg_error_set(e, SG_ERR_INVALID, key, "%s holds an unexpected character", key);
    }
    snprintf(out->status_raw, sizeof out->status_raw, "%s", v);
    for (size_t i = 0; i < sizeof status_map / sizeof status_map[0]; i++) {
        if (strcasecmp(v, status_map[i].twilio) == 0) {
            out->has_status = status_map[i].has_status;
            if (out->has_status)
                out->status = status_map[i].status;
            break;
        }
    }

    if ((v = get(params, "ErrorCode")) != NULL) {
        len = strnlen(v, ERRCODE_MAX + 1);
        if (len > ERRCODE_MAX || !all_digits(v, len))
            return sg_error_set(e, SG_ERR_INVALID, "ErrorCode",
                                "ErrorCode must be at most %d digits", ERRCODE_MAX);
        snprintf(out->error_code, sizeof out->error_code, "%s", v);
    }
    if ((v = get(params, "ErrorMessage")) != NULL)
        copy_truncated(out->error_message, sizeof out->error_message, v);

    err = parse_address(params, "From", false, out->from, sizeof out->from, e);
    if (!err)
        err = parse_address(params, "To", false, out->to, sizeof out->to, e);
    if (err)
        return err;

    /* A carrier passthrough ("YYMMDDhhmm"): kept when it looks like one, ignored
     * otherwise, since a malformed optional field must not cost us the status. */
    if ((v = get(params, "RawDlrDoneDate")) != NULL) {
        len = strnlen(v, sizeof out->raw_dlr_done_date);
        if (len < sizeof out->raw_dlr_done_date && all_digits(v, len))
            snprintf(out->raw_dlr_done_date, sizeof out->raw_dlr_done_date, "%s", v);
    }
    return SG_OK;
}

sg_err sg_twilio_parse_inbound(const sg_form *params, sg_twilio_inbound *out, sg_error *e)
{
    memset(out, 0, sizeof *out);
    sg_err err = parse_message_sid(get(params, "MessageSid"), "MessageSid", out->message_sid,
                                   sizeof out->message_sid, e);
    if (err)
        return err;

    const char *v = get(params, "AccountSid");
    if (v) {
        size_t len = strnlen(v, sizeof out->account_sid);
        bool ok = len >= 3 && len < sizeof out->account_sid && v[0] == 'A' && v[1] == 'C';
        for (size_t i = 2; ok && i < len; i++)
            ok = is_alnum(v[i]);
        if (!ok)
            return sg_error_set(e, SG_ERR_INVALID, "AccountSid",
                                "AccountSid must start with AC and hold only letters and digits");
        snprintf(out->account_sid, sizeof out->account_sid, "%s", v);
    }

    /* Present when the number written to belongs to a Messaging Service. */
    v = get(params, "MessagingServiceSid");
    if (v) {
        size_t len = strnlen(v, sizeof out->messaging_service_sid);
        bool ok = len >= 3 && len < sizeof out->messaging_service_sid && v[0] == 'M' && v[1] == 'G';
        for (size_t i = 2; ok && i < len; i++)
            ok = is_alnum(v[i]);
        if (!ok)
            return sg_error_set(e, SG_ERR_INVALID, "MessagingServiceSid",
                                "MessagingServiceSid must start with MG and hold only letters "
                                "and digits");
        snprintf(out->messaging_service_sid, sizeof out->messaging_service_sid, "%s", v);
    }

    err = parse_address(params, "From", true, out->from, sizeof out->from, e);
    if (!err)
        err = parse_address(params, "To", true, out->to, sizeof out->to, e);
    if (!err)
        err = parse_count(params, "NumSegments", 1, &out->segments, e);
    if (!err)
        err = parse_count(params, "NumMedia", 0, &out->num_media, e);
    if (err)
        return err;

    v = sg_form_get(params, "Body");
    if (!v)
        v = "";
    size_t chars = sg_utf8_count(v, strlen(v), BODY_MAX);
    if (chars == SIZE_MAX)
        return sg_error_set(e, SG_ERR_INVALID, "Body", "Body is not valid UTF-8");
    if (chars > BODY_MAX)
        return sg_error_set(e, SG_ERR_INVALID, "Body", "Body is longer than %d characters",
                            BODY_MAX);
    out->body = strdup(v);
    if (!out->body)
        return sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory");
    return SG_OK;
}

void sg_twilio_inbound_free(sg_twilio_inbound *in)
{
    if (!in)
        return;
    free(in->body);
    in->body = NULL;
}

/* Append s to out with the five XML special characters escaped. C0 control
 * characters other than tab, LF and CR cannot appear in XML 1.0 at all, and the
 * text must be UTF-8: either is SG_ERR_INVALID. */
static sg_err append_xml_text(sg_buf *out, const char *s)
{
    if (!sg_utf8_valid(s, strlen(s)))
        return SG_ERR_INVALID;
    const char *run = s;
    sg_err err = SG_OK;
    for (const char *p = s; *p && !err; p++) {
        const char *esc;
        switch (*p) {
        case '&':
            esc = "&amp;";
            break;
        case '<':
            esc = "&lt;";
            break;
        case '>':
            esc = "&gt;";
            break;
        case '"':
            esc = "&quot;";
            break;
        case '\'':
            esc = "&apos;";
            break;
        default:
            if ((unsigned char)*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
                return SG_ERR_INVALID;
            continue;
        }
        err = sg_buf_append(out, run, (size_t)(p - run));
        if (!err)
            err = sg_buf_append_str(out, esc);
        run = p + 1;
    }
    if (!err)
        err = sg_buf_append_str(out, run);
    return err;
}

sg_err sg_twiml_response(const char *reply, sg_buf *out)
{
    size_t mark = out->len;
    sg_err err = sg_buf_append_str(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    if (!err && !reply)
        err = sg_buf_append_str(out, "<Response/>");
    if (!err && reply) {
        err = sg_buf_append_str(out, "<Response><Message>");
        if (!err)
            err = append_xml_text(out, reply);
        if (!err)
            err = sg_buf_append_str(out, "</Message></Response>");
    }
    if (err) { /* leave out as it was */
        out->len = mark;
        if (out->data)
            out->data[mark] = '\0';
    }
    return err;
}
