/* /v1/webhooks: the organisation's applications subscribe to events (create, list,
 * show, delete) and read each subscription's deliveries. The signing secret is
 * made here, shown in the create answer only, and stored sealed with the master
 * key. POST /v1/webhooks is deliberately not idempotent-replayable: a stored
 * answer would keep the secret in clear. */
#include "api/common.h"
#include "api/auth.h"
#include "api/handlers.h"
#include "core/outbound_policy.h"
#include "http/problem.h"
#include "util/time.h"

#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define URL_MAX         500
#define LIST_MAX        1000
#define SECRET_PREFIX   "whsec_"
#define SECRET_BYTES    32
#define SECRET_TEXT_MAX (sizeof SECRET_PREFIX + 2 * SECRET_BYTES)

/* The events an application can subscribe to, in the order they are stored. */
static const char *const event_names[] = {
    SG_EVENT_MESSAGE_STATUS,
    SG_EVENT_MESSAGE_RECEIVED,
    SG_EVENT_OPTED_OUT,
    SG_EVENT_OPTED_IN,
    SG_EVENT_MESSAGE_MATCHED,
    SG_EVENT_JOURNEY_STEP,
};
#define N_EVENTS (sizeof event_names / sizeof *event_names)

static json_t *time_json(int64_t ms)
{
    char buf[SG_TIME_STR_MAX];
    sg_time_format(ms, buf, sizeof buf);
    return json_string(buf);
}

/* "a,b" -> ["a", "b"]. */
static json_t *events_json(const char *csv)
{
    json_t *a = json_array();
    const char *s = csv;
    while (*s) {
        const char *comma = strchr(s, ',');
        size_t n = comma ? (size_t)(comma - s) : strlen(s);
        if (n)
            json_array_append_new(a, json_stringn(s, n));
        s += n + (comma ? 1 : 0);
    }
    return a;
}

/* A subscription as the API shows it: never with its secret. */
static json_t *webhook_json(const sg_webhook *w)
{
    return json_pack("{s:s, s:s, s:o, s:b, s:o}", "id", w->id, "url", w->url, "events",
                     events_json(w->events), "active", w->active, "created_at",
                     time_json(w->created_at));
}

/* The URL's scheme is http or https, followed by "//" and an authority that is
 * not empty: "http:///nohost", "http:/host" and "http://" are refused, although
 * libcurl's parser would read a host into some of them. */
static bool authority_present(const char *url)
{
    static const char *const schemes[] = {"http://", "https://"};
    for (size_t i = 0; i < sizeof schemes / sizeof *schemes; i++) {
        size_t n = strlen(schemes[i]);
        if (strncasecmp(url, schemes[i], n) == 0)
            return url[n] && !strchr("/?#", url[n]);
    }
    return false;
}

typedef enum url_check {
    URL_OK = 0,
    URL_MALFORMED,
    URL_REFUSED, /* a literal address the outbound policy refuses */
} url_check;

/* An http(s) URL with a host, no spaces or control characters, at most URL_MAX
 * bytes, whose host, when it is an address literal (in any spelling) or
 * localhost, the outbound policy allows; *why names the refusal. Names are
 * judged again on every delivery, after resolution (dispatch/webhooks.c). */
static url_check check_url(const sg_outbound_policy *policy, const char *url, size_t len,
                           const char **why)
{
    if (len == 0 || len > URL_MAX || strlen(url) != len || !authority_present(url))
        return URL_MALFORMED;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)url[i];
        if (c <= ' ' || c == 0x7f)
            return URL_MALFORMED;
    }
    url_check rc = URL_MALFORMED;
    char *scheme = NULL, *host = NULL, *port = NULL;
    CURLU *u = curl_url();
    if (!u || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK)
        goto out;
    if ((strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) || !host[0])
        goto out;
    rc = URL_OK;
    sg_outbound_verdict v;
    if (sg_outbound_check_literal(policy, host, (uint16_t)strtoul(port, NULL, 10), &v) &&
        v != SG_OUTBOUND_OK) {
        *why = sg_outbound_reason(v);
        rc = URL_REFUSED;
    }
out:
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
    return rc;
}

/* Validate "events" into a comma-separated list in table order (duplicates
 * collapse). False after answering. */
static bool parse_events(sg_http_req *req, json_t *v, char *out, size_t cap)
{
    bool want[N_EVENTS] = {false};
    if (!json_is_array(v) || json_array_size(v) == 0) {
        sg_http_problem(req, 400, "invalid_request", "events",
                        "'events' must be a non-empty array of event types (%s, %s, %s, %s)",
                        event_names[0], event_names[1], event_names[2], event_names[3]);
        return false;
    }
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item)
    {
        const char *name = json_string_value(item);
        size_t k = 0;
        while (name && k < N_EVENTS && strcmp(name, event_names[k]) != 0)
            k++;
        if (!name || k == N_EVENTS) {
            sg_http_problem(req, 400, "invalid_request", "events",
                            "unknown event type '%.64s' (known: %s, %s, %s, %s)",
                            name ? name : "(not a string)", event_names[0], event_names[1],
                            event_names[2], event_names[3]);
            return false;
        }
        want[k] = true;
    }
    size_t len = 0;
    out[0] = '\0';
    for (size_t k = 0; k < N_EVENTS; k++) {
        if (want[k])
            len += (size_t)snprintf(out + len, cap - len, "%s%s", len ? "," : "", event_names[k]);
    }
    return true;
}

sg_http_result sg_api_webhooks_create(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    json_t *in = sg_api_json_body(req);
    if (!in)
        return SG_HTTP_DONE;
    sg_webhook w;
    memset(&w, 0, sizeof w);
    char secret[SECRET_TEXT_MAX];
    secret[0] = '\0';
    if (!json_is_object(in)) {
        sg_http_problem(req, 400, "invalid_request", NULL, "a webhook must be a JSON object");
        goto out;
    }
    const char *key;
    json_t *v;
    json_object_foreach(in, key, v)
    {
        if (strcmp(key, "url") != 0 && strcmp(key, "events") != 0) {
            sg_http_problem(req, 400, "invalid_request", key,
                            "unknown field '%.64s' (known: url, events)", key);
            goto out;
        }
    }
    v = json_object_get(in, "url");
    static const sg_outbound_policy strict; /* when the app has none (outside serve) */
    const char *why = "";
    url_check uc = json_is_string(v) ? check_url(app->outbound ? app->outbound : &strict,
                                                 json_string_value(v), json_string_length(v), &why)
                                     : URL_MALFORMED;
    if (uc == URL_MALFORMED) {
        sg_http_problem(req, 400, "invalid_request", "url",
                        "'url' must be an http:// or https:// URL with a host, of at most %d "
                        "bytes",
                        URL_MAX);
        goto out;
    }
    if (uc == URL_REFUSED) {
        sg_http_problem(req, 400, "url_not_allowed", "url",
                        "smsgate does not call this address: its host is a %s (see "
                        "--outbound-allow in docs/webhooks.md)",
                        why);
        goto out;
    }
    snprintf(w.url, sizeof w.url, "%s", json_string_value(v));
    if (!parse_events(req, json_object_get(in, "events"), w.events, sizeof w.events))
        goto out;

    memcpy(secret, SECRET_PREFIX, sizeof SECRET_PREFIX - 1);
    sg_random_hex(secret + sizeof SECRET_PREFIX - 1, SECRET_BYTES);
    if (sg_secret_seal(app->master_key, secret, strlen(secret), &w.secret_sealed) != SG_OK) {
        sg_http_problem(req, 500, "internal", NULL, "cannot seal the webhook's secret");
        goto out;
    }
    w.active = true;
    w.created_at = sg_time_now_ms();
    sg_id_new("whk", w.created_at, w.id);
    sg_error e = {0};
    sg_err err = sg_store_webhook_insert(app->store, &w, &e);
    if (err) {
        sg_api_store_error(req, err, e.message[0] ? e.message : "cannot store the webhook");
        goto out;
    }
    /* the audit's detail: the events only (a URL may carry a token) */
    json_t *d = json_pack("{s:o}", "events", events_json(w.events));
    char *detail = d ? json_dumps(d, JSON_COMPACT) : NULL;
    sg_api_audit(req, app, "webhook.create", w.id, detail);
    free(detail);
    json_decref(d);
    json_t *resp = webhook_json(&w);
    json_object_set_new(resp, "secret", json_string(secret));
    sg_http_respond_json(req, 201, resp);
out:
    sodium_memzero(secret, sizeof secret);
    sg_webhook_free(&w);
    json_decref(in);
    return SG_HTTP_DONE;
}

sg_http_result sg_api_webhooks_list(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    sg_api_page pg;
    if (!sg_api_page_parse(req, 100, 1000, &pg))
        return SG_HTTP_DONE;
    sg_webhook *rows = NULL;
    size_t n = 0;
    sg_err err = sg_store_webhook_list(app->store, &rows, &n);
    if (err) {
        sg_api_store_error(req, err, "cannot list webhooks");
        return SG_HTTP_DONE;
    }
    json_t *data = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(data, webhook_json(&rows[i]));
        sg_webhook_free(&rows[i]);
    }
    free(rows);
    sg_api_respond_page(req, json_pack("{s:o, s:n}", "data", data, "next_cursor"), "id", &pg);
    return SG_HTTP_DONE;
}

/* The webhook in the path; false after answering. */
static bool load_webhook(sg_http_req *req, sg_app *app, sg_webhook *w)
{
    const char *id = sg_http_param(req, 0);
    sg_err err =
        sg_id_valid("whk", id) ? sg_store_webhook_get(app->store, id, w) : SG_ERR_NOT_FOUND;
    if (err == SG_ERR_NOT_FOUND) {
        sg_http_problem(req, 404, "not_found", NULL, "no webhook %.64s", id);
        return false;
    }
    if (err) {
        sg_api_store_error(req, err, "cannot read the webhook");
        return false;
    }
    return true;
}

sg_http_result sg_api_webhooks_get(sg_http_req *req, void *ctx)
{
    sg_webhook w;
    memset(&w, 0, sizeof w);
    if (!load_webhook(req, ctx, &w))
        return SG_HTTP_DONE;
    sg_http_respond_json(req, 200, webhook_json(&w));
    sg_webhook_free(&w);
    return SG_HTTP_DONE;
}

sg_http_result sg_api_webhooks_delete(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    const char *id = sg_http_param(req, 0);
    if (!sg_id_valid("whk", id)) {
        sg_http_problem(req, 404, "not_found", NULL, "no webhook %.64s", id);
        return SG_HTTP_DONE;
    }
    sg_error e = {0};
    sg_err err = sg_store_webhook_delete(app->store, id, &e);
    if (err == SG_ERR_NOT_FOUND)
        sg_http_problem(req, 404, "not_found", NULL, "no webhook %.64s", id);
    else if (err)
        sg_api_store_error(req, err, e.message[0] ? e.message : "cannot delete the webhook");
    else {
        sg_api_audit(req, app, "webhook.delete", id, NULL);
        sg_http_respond(req, 204, NULL, "", 0);
    }
    return SG_HTTP_DONE;
}

/* last_error is for admins: a transport error ("Connection refused", "timed out",
 * a policy refusal) tells whoever reads it what listens where. Other roles see
 * that an attempt failed, not why. */
static json_t *last_error_json(const sg_delivery *d, bool admin)
{
    if (!d->last_error[0])
        return json_null();
    return json_string(admin ? d->last_error : "delivery failed");
}

static json_t *delivery_json(const sg_delivery *d, bool admin)
{
    json_t *payload = d->payload ? json_loads(d->payload, 0, NULL) : NULL;
    if (!payload) /* not JSON (never written so by the store): show it as text */
        payload = d->payload ? json_string(d->payload) : json_null();
    if (!payload)
        payload = json_null();
    bool pending = d->state == SG_DELIVERY_PENDING;
    return json_pack(
        "{s:I, s:s, s:s, s:I, s:o, s:o, s:o, s:o, s:o, s:o}", "id", (json_int_t)d->id, "event",
        d->event, "state", sg_delivery_state_name(d->state), "attempts", (json_int_t)d->attempts,
        "last_status", d->last_status ? json_integer(d->last_status) : json_null(), "last_error",
        last_error_json(d, admin), "next_attempt_at",
        pending ? time_json(d->next_attempt_at) : json_null(), "created_at",
        time_json(d->created_at), "updated_at", time_json(d->updated_at), "payload", payload);
}

/* A cursor is the decimal id of the last delivery of the previous page. */
static bool parse_cursor(const char *s, long long *out)
{
    *out = 0;
    if (!s)
        return true;
    size_t n = strlen(s);
    if (n == 0 || n > 18)
        return false;
    long long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return v > 0;
}

sg_http_result sg_api_webhooks_deliveries(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    size_t limit;
    if (!sg_api_limit(req, 50, LIST_MAX, &limit))
        return SG_HTTP_DONE;
    long long cursor;
    if (!parse_cursor(sg_http_query(req, "cursor"), &cursor)) {
        sg_api_bad_cursor(req);
        return SG_HTTP_DONE;
    }
    sg_webhook w;
    memset(&w, 0, sizeof w);
    if (!load_webhook(req, app, &w))
        return SG_HTTP_DONE;
    sg_delivery *rows = NULL;
    size_t n = 0;
    bool more = false;
    sg_err err = sg_store_delivery_list(app->store, w.id, cursor, limit, &rows, &n, &more);
    sg_webhook_free(&w);
    if (err) {
        sg_api_store_error(req, err, "cannot list deliveries");
        return SG_HTTP_DONE;
    }
    const sg_caller *caller = sg_auth_caller(req);
    bool admin = caller && caller->role >= SG_ROLE_ADMIN;
    json_t *data = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(data, delivery_json(&rows[i], admin));
    char next[24] = "";
    if (more && n)
        snprintf(next, sizeof next, "%lld", rows[n - 1].id);
    sg_deliveries_free(rows, n);
    sg_http_respond_json(req, 200,
                         json_pack("{s:o, s:o}", "data", data, "next_cursor",
                                   next[0] ? json_string(next) : json_null()));
    return SG_HTTP_DONE;
}

int sg_api_url_check(const struct sg_outbound_policy *policy, const char *url, const char **why)
{
    static const sg_outbound_policy strict; /* when the app has none (outside serve) */
    url_check uc = check_url(policy ? policy : &strict, url, strlen(url), why);
    return uc == URL_OK ? SG_URL_OK : uc == URL_REFUSED ? SG_URL_REFUSED : SG_URL_MALFORMED;
}
