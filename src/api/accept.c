#include "api/accept.h"
#include "dispatch/routing.h"
#include "audience/render.h"
#include "core/backoff.h"
#include "core/gsm7.h"
#include "core/phone.h"
#include "core/template_id.h"
#include "util/time.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool sg_reject_set(sg_reject *r, int status, const char *code, const char *field, const char *fmt,
                   ...)
{
    r->status = status;
    r->code = code;
    snprintf(r->field, sizeof r->field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->detail, sizeof r->detail, fmt, ap);
    va_end(ap);
    return false;
}

static const char *const known_keys[] = {
    "to",         "body",     "from",         "provider",         "send_at",
    "contact_id", "metadata", "track_clicks", "validity_seconds", "external_template_id",
    "failover", NULL};

/* A sender: E.164, a short code, or an alphanumeric sender ID. */
static bool sender_valid(const char *s)
{
    size_t len = strlen(s);
    if (len == 0 || len > 16)
        return false;
    if (s[0] == '+') {
        for (size_t i = 1; i < len; i++) {
            if (s[i] < '0' || s[i] > '9')
                return false;
        }
        return len >= 3;
    }
    /* A short code is digits only; an alphanumeric sender ID is 1-11 letters,
     * digits and inner spaces with at least one letter. */
    size_t digits = strspn(s, "0123456789");
    if (digits == len)
        return len >= 3 && len <= 15;
    bool letter = false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        letter = letter || alpha;
        if (!(alpha || (c >= '0' && c <= '9') || c == ' '))
            return false;
    }
    return letter && len <= 11 && s[0] != ' ' && s[len - 1] != ' ';
}

/* validity_seconds: absent or null (no validity period, *out 0), or a whole
 * number of seconds in [SG_VALIDITY_MIN_S, SG_VALIDITY_MAX_S]. */
static bool validity_field(json_t *v, int64_t *out, sg_reject *rej)
{
    *out = 0;
    if (!v || json_is_null(v))
        return true;
    json_int_t n = json_is_integer(v) ? json_integer_value(v) : 0;
    if (n < SG_VALIDITY_MIN_S || n > SG_VALIDITY_MAX_S)
        return sg_reject_set(rej, 400, "invalid_request", "validity_seconds",
                             "'validity_seconds' must be a whole number of seconds from %d to "
                             "%lld (30 days): the message is not sent later than that after it "
                             "is due",
                             SG_VALIDITY_MIN_S, SG_VALIDITY_MAX_S);
    *out = (int64_t)n;
    return true;
}

bool sg_accept_message(const sg_app *app, const sg_provider_set *set, json_t *obj, int64_t now,
                       sg_message *m, const sg_provider **prov, sg_reject *rej)
{
    memset(m, 0, sizeof *m);
    if (!json_is_object(obj))
        return sg_reject_set(rej, 400, "invalid_request", NULL, "a message must be a JSON object");
    const char *key;
    json_t *val;
    json_object_foreach(obj, key, val)
    {
        bool known = false;
        for (int i = 0; known_keys[i]; i++)
            known = known || strcmp(key, known_keys[i]) == 0;
        if (!known)
            return sg_reject_set(rej, 400, "invalid_request", key,
                                 "unknown field '%.64s' (known: to, body, from, provider, send_at, "
                                 "contact_id, metadata, track_clicks, validity_seconds, external_template_id, "
                                 "failover)",
                                 key);
    }

    json_t *to = json_object_get(obj, "to");
    if (!json_is_string(to) || json_string_length(to) == 0)
        return sg_reject_set(rej, 400, "invalid_phone", "to",
                             "'to' is required: the recipient's phone number, e.g. +447400123456");
    sg_phone_type type;
    sg_phone_status ps =
        sg_phone_normalize(json_string_value(to), app->default_region, m->to, &type);
    if (ps == SG_PHONE_BAD_REGION)
        return sg_reject_set(
            rej, 400, "invalid_phone", "to",
            "'%.32s' is not in international format (+...) and no default region is "
            "set (--default-region)",
            json_string_value(to));
    if (ps != SG_PHONE_OK)
        return sg_reject_set(rej, 400, "invalid_phone", "to", "'%.32s' is not a valid phone number",
                             json_string_value(to));
    if (!sg_phone_type_can_sms(type))
        return sg_reject_set(rej, 422, "not_mobile", "to",
                             "%s is a fixed-line number and cannot receive SMS", m->to);
    sg_optout opted;
    if (app->store && sg_store_optout_get(app->store, m->to, &opted) == SG_OK)
        return sg_reject_set(rej, 422, "opted_out", "to",
                             "%s opted out of SMS (%s, source %s); remove the opt-out first",
                             m->to, opted.reason[0] ? opted.reason : "no reason given",
                             opted.source);

    json_t *body = json_object_get(obj, "body");
    if (!json_is_string(body) || json_string_length(body) == 0)
        return sg_reject_set(rej, 400, "invalid_body", "body",
                             "'body' is required: the message text");
    sg_sms_info info;
    sg_text_status ts = sg_sms_analyze(json_string_value(body), json_string_length(body), &info);
    if (ts == SG_TEXT_INVALID_UTF8)
        return sg_reject_set(rej, 400, "invalid_body", "body", "'body' is not valid UTF-8");
    if (ts == SG_TEXT_TOO_LONG)
        return sg_reject_set(rej, 400, "body_too_long", "body",
                             "'body' has more than %d characters", SG_SMS_MAX_CHARS);

    json_t *from = json_object_get(obj, "from");
    if (from && !json_is_null(from)) {
        if (!json_is_string(from) || !sender_valid(json_string_value(from)))
            return sg_reject_set(rej, 400, "invalid_request", "from",
                                 "'from' must be an E.164 number, a short code or an alphanumeric "
                                 "sender ID of at most 11 characters");
        snprintf(m->from, sizeof m->from, "%s", json_string_value(from));
    }

    const sg_provider *p;
    if (!sg_accept_provider(set, obj, m, &p, rej))
        return false;
    if (!p->active)
        return sg_reject_set(rej, 422, "provider_inactive", "provider", "provider '%s' is inactive",
                             p->name);
    if (p->broken)
        return sg_reject_set(rej, 422, "provider_inactive", "provider",
                             "provider '%s' is unusable: %s", p->name, p->broken_reason);

    json_t *tid = json_object_get(obj, "external_template_id");
    if (tid && !json_is_null(tid)) {
        if (!json_is_string(tid) || !sg_template_id_valid(json_string_value(tid)))
            return sg_reject_set(rej, 400, "invalid_template_id", "external_template_id",
                                 "'external_template_id' must be 1 to %d printable ASCII "
                                 "characters without spaces",
                                 SG_TEMPLATE_ID_MAX_LEN);
        snprintf(m->external_template_id, sizeof m->external_template_id, "%s",
                 json_string_value(tid));
    }
    if (p->common.require_template_id && !m->external_template_id[0])
        return sg_reject_set(rej, 400, "template_id_required", "external_template_id",
                             "provider '%s' requires an external template id (e.g. a DLT "
                             "template id): give 'external_template_id'",
                             p->name);

    int64_t send_at = 0;
    json_t *sa = json_object_get(obj, "send_at");
    if (sa && !json_is_null(sa)) {
        if (!json_is_string(sa) || !sg_time_parse(json_string_value(sa), &send_at))
            return sg_reject_set(rej, 400, "invalid_time", "send_at",
                                 "'send_at' must be an RFC 3339 time such as 2026-12-01T09:00:00Z");
        if (send_at > now + SG_SEND_AT_MAX_AHEAD_MS)
            return sg_reject_set(rej, 400, "invalid_time", "send_at",
                                 "'send_at' is more than a year ahead");
    }

    int64_t validity_s = 0;
    if (!validity_field(json_object_get(obj, "validity_seconds"), &validity_s, rej))
        return false;

    json_t *contact = json_object_get(obj, "contact_id");
    if (contact && !json_is_null(contact)) {
        if (!json_is_string(contact) || !sg_id_valid("ctc", json_string_value(contact)))
            return sg_reject_set(rej, 400, "invalid_request", "contact_id",
                                 "'contact_id' must be a contact id (ctc_...)");
        snprintf(m->contact_id, sizeof m->contact_id, "%s", json_string_value(contact));
    }

    json_t *meta = json_object_get(obj, "metadata");
    if (meta && !json_is_null(meta)) {
        if (!json_is_object(meta))
            return sg_reject_set(rej, 400, "invalid_request", "metadata",
                                 "'metadata' must be an object");
        m->metadata = json_dumps(meta, JSON_COMPACT);
        if (!m->metadata || strlen(m->metadata) > SG_METADATA_MAX) {
            sg_message_free(m);
            return sg_reject_set(rej, 400, "invalid_request", "metadata",
                                 "'metadata' is larger than %d bytes", SG_METADATA_MAX);
        }
    }

    json_t *track = json_object_get(obj, "track_clicks");
    if (track && !json_is_boolean(track)) {
        sg_message_free(m);
        return sg_reject_set(rej, 400, "invalid_request", "track_clicks",
                             "'track_clicks' must be true or false");
    }
    if (json_is_true(track)) {
        if (!app->public_url[0]) {
            sg_message_free(m);
            return sg_reject_set(rej, 400, "invalid_request", "track_clicks",
                                 "click tracking needs --public-url (the links point there)");
        }
        /* each URL becomes {public-url}/l/{code}; segments count the short text */
        sg_buf tracked;
        sg_buf_init(&tracked, 16384);
        if (sg_render_links(json_string_value(body), app->public_url, &tracked, &m->links,
                            &m->n_links) != SG_OK ||
            !(m->body = sg_buf_steal(&tracked))) {
            sg_buf_free(&tracked);
            sg_message_free(m);
            return sg_reject_set(rej, 500, "internal", NULL, "out of memory");
        }
        sg_buf_free(&tracked);
        if (sg_sms_analyze(m->body, strlen(m->body), &info) != SG_TEXT_OK) {
            sg_message_free(m);
            return sg_reject_set(rej, 400, "body_too_long", "body",
                                 "'body' has more than %d characters with its links shortened",
                                 SG_SMS_MAX_CHARS);
        }
    } else {
        m->body = strdup(json_string_value(body));
    }
    if (!m->body) {
        sg_message_free(m);
        return sg_reject_set(rej, 500, "internal", NULL, "out of memory");
    }
    sg_id_new("msg", now, m->id);
    snprintf(m->direction, sizeof m->direction, "outbound");
    snprintf(m->provider_id, sizeof m->provider_id, "%s", p->id);
    m->segments = info.segments;
    m->encoding = info.encoding;
    m->send_at = send_at > now ? send_at : 0;
    m->status = send_at > now ? SG_STATUS_SCHEDULED : SG_STATUS_QUEUED;
    m->created_at = m->updated_at = now;
    m->expires_at = sg_validity_expires_at(m->created_at, m->send_at, validity_s);
    *prov = p;
    return true;
}

static json_t *time_json(int64_t ms)
{
    if (ms <= 0)
        return json_null();
    char buf[SG_TIME_STR_MAX];
    sg_time_format(ms, buf, sizeof buf);
    return json_string(buf);
}

static json_t *str_or_null(const char *s)
{
    return s && *s ? json_string(s) : json_null();
}

json_t *sg_message_accepted_json(const sg_message *m, const char *provider_name)
{
    json_t *j = json_object();
    json_object_set_new(j, "id", json_string(m->id));
    json_object_set_new(j, "status", json_string(sg_status_name(m->status)));
    json_object_set_new(j, "to", json_string(m->to));
    json_object_set_new(j, "from", str_or_null(m->from));
    json_object_set_new(j, "provider", str_or_null(provider_name));
    json_object_set_new(j, "provider_id", str_or_null(m->provider_id));
    json_object_set_new(j, "segments", json_integer(m->segments));
    json_object_set_new(j, "encoding", json_string(sg_encoding_name(m->encoding)));
    json_object_set_new(j, "send_at", time_json(m->send_at));
    json_object_set_new(j, "created_at", time_json(m->created_at));
    json_object_set_new(j, "route_id", str_or_null(m->route_id));
    json_object_set_new(j, "failover", json_boolean(m->failover));
    return j;
}

/* "a,b" -> ["a", "b"] (a message's providers tried; NULL: none). */
static json_t *ids_json(const char *csv)
{
    json_t *a = json_array();
    for (const char *p = csv; p && *p;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (n)
            json_array_append_new(a, json_stringn(p, n));
        p += n + (comma ? 1 : 0);
    }
    return a;
}

json_t *sg_message_json(const sg_message *m, const sg_event *ev, size_t n,
                        const char *provider_name)
{
    json_t *j = sg_message_accepted_json(m, provider_name);
    json_object_set_new(j, "direction", json_string(m->direction));
    json_object_set_new(j, "body", json_string(m->body ? m->body : ""));
    json_object_set_new(j, "provider_message_id", str_or_null(m->provider_message_id));
    json_object_set_new(j, "error_code", str_or_null(m->error_code));
    json_object_set_new(j, "error_message", str_or_null(m->error_message));
    json_object_set_new(j, "attempts", json_integer(m->attempts));
    int64_t validity_s = sg_validity_seconds(m->created_at, m->send_at, m->expires_at);
    json_object_set_new(j, "validity_seconds", validity_s ? json_integer(validity_s) : json_null());
    json_object_set_new(j, "expires_at", time_json(m->expires_at));
    json_object_set_new(j, "contact_id", str_or_null(m->contact_id));
    json_object_set_new(j, "external_template_id", str_or_null(m->external_template_id));
    json_t *meta = m->metadata ? json_loads(m->metadata, 0, NULL) : NULL;
    json_object_set_new(j, "metadata", meta ? meta : json_null());
    json_object_set_new(j, "updated_at", time_json(m->updated_at));
    json_object_set_new(j, "providers_tried", ids_json(m->providers_tried));
    if (ev) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++) {
            json_t *e = json_object();
            json_object_set_new(e, "status", json_string(sg_status_name(ev[i].status)));
            json_object_set_new(e, "at", time_json(ev[i].at));
            json_object_set_new(e, "detail", str_or_null(ev[i].detail));
            json_array_append_new(arr, e);
        }
        json_object_set_new(j, "events", arr);
    }
    return j;
}
