/* The Twilio simulator: libmicrohttpd with a 4-thread epoll pool, a delay queue
 * for --latency-ms (suspended connections resumed by one timer thread, so many
 * delayed requests are in flight at once; sim/common.h), a bounded ring of
 * accepted messages, and atomic counters. Per request the work is O(1): parse the
 * form, validate, build one JSON answer, append to the ring. */
#include "providers/twilio/sim.h"
#include "providers/twilio/twilio.h"

#include "core/gsm7.h"
#include "sim/common.h"
#include "sim/sender.h"
#include "sim/webhook.h"
#include "util/buf.h"
#include "util/crypto.h"
#include "util/form.h"
#include "util/log.h"
#include "util/options.h"
#include "util/time.h"

#include <jansson.h>
#include <microhttpd.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { EXIT_OK = SG_SIM_EXIT_OK, EXIT_FAIL = SG_SIM_EXIT_FAIL, EXIT_USAGE = SG_SIM_EXIT_USAGE };

#define BODY_MAX          (64 * 1024) /* request bodies; larger ones get 413 */
#define LATENCY_MAX_MS    600000
#define API_PREFIX        "/2010-04-01/Accounts/"
#define ERRORS_URL        "https://www.twilio.com/docs/errors/"
#define DELAY_MAX_MS      600000 /* --sent-delay-ms, --delivered-delay-ms */
#define INBOUND_EXTRA_MAX 32     /* "params" of POST /sim/inbound */

/* ---- accepted messages -------------------------------------------------------------- */

void sg_sim_message_ref(sg_sim_message *m)
{
    atomic_fetch_add_explicit(&m->refs, 1, memory_order_relaxed);
}

void sg_sim_message_unref(sg_sim_message *m)
{
    if (m && atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) == 1)
        free(m);
}

/* One allocation holding the struct and its strings; refs starts at 1. */
static sg_sim_message *message_new(const char *to, const char *from, const char *service,
                                   const char *body, const char *callback)
{
    const char *src[5] = {to, from, service, body, callback};
    size_t len[5], total = sizeof(sg_sim_message);
    for (int i = 0; i < 5; i++) {
        len[i] = src[i] ? strlen(src[i]) + 1 : 0;
        total += len[i];
    }
    sg_sim_message *m = calloc(1, total);
    if (!m)
        return NULL;
    atomic_init(&m->refs, 1);
    char *p = (char *)(m + 1);
    const char **dst[5] = {&m->to, &m->from, &m->messaging_service_sid, &m->body,
                           &m->status_callback};
    for (int i = 0; i < 5; i++) {
        if (!src[i])
            continue;
        memcpy(p, src[i], len[i]);
        *dst[i] = p;
        p += len[i];
    }
    return m;
}

static void message_ref_item(void *m)
{
    sg_sim_message_ref(m);
}

static void message_unref_item(void *m)
{
    sg_sim_message_unref(m);
}

/* ---- the simulator ------------------------------------------------------------------ */

typedef enum auth_kind { AUTH_NONE = 0, AUTH_TOKEN, AUTH_API_KEY } auth_kind;

struct sg_twilio_sim {
    char account_sid[35];
    char *auth_token;
    char api_key_sid[35]; /* "" when no API key is accepted */
    char *api_key_secret;
    unsigned latency_ms, send_latency_ms;
    double rate_429, rate_5xx;
    uint64_t seed;
    atomic_uint_fast64_t draws; /* failure-injection draws so far */

    atomic_uint_fast64_t accepted, rejected, injected_429, injected_5xx, unauthorized;

    /* status callbacks: the outcome of each accepted message is decided here */
    bool no_callbacks;
    char **undelivered; /* To numbers */
    size_t n_undelivered;
    char **failed;
    size_t n_failed;
    char **numbers; /* the account's own senders; none: any From */
    size_t n_numbers;
    double undelivered_rate;
    sg_sim_sender *sender;

    sg_sim_ring records; /* the last SG_TWILIO_SIM_MAX_RECORDS accepted messages */
    sg_sim_delays delays;
    struct MHD_Daemon *daemon;
    uint16_t port;
};

/* A uniform number in [0, 1): splitmix64 over seed and the draw's index, so a
 * given seed and request order give the same failures. */
static double next_uniform(sg_twilio_sim *s)
{
    return sg_sim_uniform(s->seed, atomic_fetch_add(&s->draws, 1) + 1);
}

typedef enum route {
    ROUTE_NOT_FOUND = 0,
    ROUTE_MESSAGES,      /* /2010-04-01/Accounts/{sid}/Messages.json */
    ROUTE_SIM_MESSAGES,  /* /sim/messages */
    ROUTE_SIM_STATS,     /* /sim/stats */
    ROUTE_SIM_CALLBACKS, /* /sim/callbacks */
    ROUTE_SIM_INBOUND,   /* /sim/inbound */
} route;

/* Per-request state, from the first call of the access handler to completion. */
typedef struct request {
    route route;
    char path_sid[64]; /* the {AccountSid} of the path, ROUTE_MESSAGES only */
    sg_buf body;
    bool too_large;
    bool answered; /* a response is queued: ignore the rest of the upload */
    bool delayed;  /* suspended: the answer waits in pending */
    struct MHD_Response *pending;
    unsigned pending_status;
    /* POST /sim/inbound, while the webhook is in flight */
    struct MHD_Connection *conn;
    char inbound_sid[35];
    char inbound_signature[SG_TWILIO_SIG_MAX + 96]; /* "" when unsigned */
} request;

/* An answer under construction: status and a malloc'd body. */
typedef struct answer {
    unsigned status;
    char *body;
    size_t len;
    const char *content_type;
    const char *header, *header_value; /* one extra header (Allow, WWW-Authenticate) or NULL */
} answer;

static void answer_json(answer *a, unsigned status, json_t *doc)
{
    a->status = status;
    a->content_type = "application/json";
    a->body = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!a->body) { /* out of memory, or a bug: say so in Twilio's shape */
        a->status = 500;
        a->body = strdup("{\"code\":20500,\"message\":\"Internal Server Error\","
                         "\"more_info\":\"" ERRORS_URL "20500\",\"status\":500}");
    }
    a->len = a->body ? strlen(a->body) : 0;
}

/* Twilio's error JSON (A.4). code 0 means "no code": code and more_info are null. */
static void answer_error(answer *a, unsigned status, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void answer_error(answer *a, unsigned status, int code, const char *fmt, ...)
{
    char message[512], more[96];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    snprintf(more, sizeof more, ERRORS_URL "%d", code);
    answer_json(a, status,
                json_pack("{s:o, s:s, s:o, s:i}", "code", code ? json_integer(code) : json_null(),
                          "message", message, "more_info", code ? json_string(more) : json_null(),
                          "status", (int)status));
}

/* Echo of client input inside an error message: printable ASCII only, bounded,
 * so the JSON stays valid whatever was sent. */
static const char *echo(const char *s, char *buf, size_t cap)
{
    return sg_sim_echo(s, buf, cap);
}

static bool is_e164(const char *s)
{
    size_t len = strlen(s);
    if (len < 3 || len > 16 || s[0] != '+' || s[1] < '1' || s[1] > '9')
        return false;
    for (size_t i = 2; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
    }
    return true;
}

static bool sid_valid(const char *s, const char *prefix)
{
    if (strncmp(s, prefix, 2) != 0 || strlen(s) != 34)
        return false;
    for (size_t i = 2; i < 34; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return false;
    }
    return true;
}

static bool secret_equal(const char *given, size_t given_len, const char *expected)
{
    size_t len = strlen(expected);
    return given_len == len && sg_ct_equal(given, expected, len);
}

/* Check "Authorization: Basic base64(user:pass)"; on success copy the user (an
 * AC or SK sid) into user. */
static auth_kind check_auth(const sg_twilio_sim *s, struct MHD_Connection *conn, char user[35])
{
    const char *h =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (!h || strncasecmp(h, "Basic ", 6) != 0)
        return AUTH_NONE;
    h += 6;
    while (*h == ' ')
        h++;
    char plain[512];
    size_t len = 0;
    size_t hlen = strlen(h);
    if (hlen > 680 || sodium_base642bin((unsigned char *)plain, sizeof plain - 1, h, hlen, NULL,
                                        &len, NULL, sodium_base64_VARIANT_ORIGINAL) != 0)
        return AUTH_NONE;
    plain[len] = '\0';
    char *colon = memchr(plain, ':', len);
    auth_kind kind = AUTH_NONE;
    if (colon) {
        size_t ulen = (size_t)(colon - plain);
        const char *pass = colon + 1;
        size_t plen = len - ulen - 1;
        if (ulen == 34 && memcmp(plain, s->account_sid, 34) == 0 &&
            secret_equal(pass, plen, s->auth_token))
            kind = AUTH_TOKEN;
        else if (s->api_key_sid[0] && ulen == 34 && memcmp(plain, s->api_key_sid, 34) == 0 &&
                 secret_equal(pass, plen, s->api_key_secret))
            kind = AUTH_API_KEY;
        if (kind) {
            memcpy(user, plain, 34);
            user[34] = '\0';
        }
    }
    sodium_memzero(plain, sizeof plain);
    return kind;
}

/* RFC 2822 in GMT as Twilio writes it: "Thu, 24 Aug 2023 05:01:45 +0000". */
static void rfc2822(int64_t ms, char out[40])
{
    static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(out, 40, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday % 7], tm.tm_mday,
             months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static const char *nonempty(const char *s)
{
    return s && *s ? s : NULL;
}

/* The Message resource of A.3 for an accepted message. */
static json_t *message_resource(const sg_sim_message *m)
{
    char date[40], uri[160], media[160];
    rfc2822(m->created_ms, date);
    snprintf(uri, sizeof uri, API_PREFIX "%s/Messages/%s.json", m->account_sid, m->sid);
    snprintf(media, sizeof media, API_PREFIX "%s/Messages/%s/Media.json", m->account_sid, m->sid);
    char segments[16];
    snprintf(segments, sizeof segments, "%u", m->segments);
    return json_pack(
        "{s:s, s:s, s:s, s:s, s:n, s:s, s:s, s:n, s:n, s:s?, s:s?, s:s, s:s, s:n, "
        "s:s, s:s, s:s, s:{s:s}, s:s, s:s}",
        "account_sid", m->account_sid, "api_version", "2010-04-01", "body", m->body, "date_created",
        date, "date_sent", "date_updated", date, "direction", "outbound-api", "error_code",
        "error_message", "from", m->from, "messaging_service_sid", m->messaging_service_sid,
        "num_media", "0", "num_segments", segments, "price", "price_unit", "USD", "sid", m->sid,
        "status", m->status, "subresource_uris", "media", media, "to", m->to, "uri", uri);
}

/* A To/From magic number of the test credentials (A.12). */
typedef struct magic {
    const char *number;
    int code;
    const char *format; /* one %s: the number */
} magic;

static const magic from_magic[] = {
    {"+15005550001", 21212,
     "The 'From' number %s is not a valid phone number, shortcode, or alphanumeric sender ID."},
    {"+15005550007", 21606,
     "The 'From' phone number provided (%s) is not a valid message-capable Twilio phone number "
     "for this destination/account."},
    {"+15005550008", 21611,
     "This 'From' number (%s) has exceeded the maximum number of queued messages."},
    {NULL, 0, NULL},
};

static const magic to_magic[] = {
    {"+15005550001", 21211, "The 'To' number %s is not a valid phone number."},
    {"+15005550002", 21612,
     "The 'To' phone number: %s, is not currently reachable using the 'From' phone number via "
     "SMS."},
    {"+15005550003", 21408,
     "Permission to send an SMS has not been enabled for the region indicated by the 'To' "
     "number: %s."},
    {"+15005550004", 21610, "Attempt to send to unsubscribed recipient %s."},
    {"+15005550009", 21614, "The 'To' number %s is not a valid mobile number."},
    /* The simulator's own: a code no catalogue lists, for smsgate's unknown-error
     * path (docs/routing.md). Twilio has no such number. */
    {"+15005559999", 29999, "Simulated error for %s: a code smsgate's catalogue does not list."},
    {NULL, 0, NULL},
};

static const magic *magic_find(const magic *table, const char *number)
{
    for (size_t i = 0; number && table[i].number; i++) {
        if (strcmp(table[i].number, number) == 0)
            return &table[i];
    }
    return NULL;
}

/* The validation of a create-message request, in Twilio's order. Returns true and
 * fills *out when the message is accepted; else fills a with the error answer. */
static bool number_listed(char *const *list, size_t n, const char *number);

/* The validation of a create-message request, in Twilio's order, for the sim's
 * account (credential is who authenticated). */
static bool validate(const sg_twilio_sim *s, const sg_form *f, const char *credential,
                     sg_sim_message **out, answer *a)
{
    char shown[80];
    const char *to = nonempty(sg_form_get(f, "To"));
    const char *from = nonempty(sg_form_get(f, "From"));
    const char *service = nonempty(sg_form_get(f, "MessagingServiceSid"));
    const char *body = nonempty(sg_form_get(f, "Body"));
    const char *callback = nonempty(sg_form_get(f, "StatusCallback"));
    const magic *mg;
    sg_sms_info info;

    if (!to) {
        answer_error(a, 400, 21604, "A 'To' phone number is required.");
        return false;
    }
    if (!is_e164(to)) {
        answer_error(a, 400, 21211, "The 'To' number %s is not a valid phone number.",
                     echo(to, shown, 40));
        return false;
    }
    if (!from && !service) {
        answer_error(a, 400, 21603, "A 'From' phone number is required.");
        return false;
    }
    if (service && !sid_valid(service, "MG")) {
        answer_error(a, 400, 21701, "The Messaging Service Sid %s is invalid.",
                     echo(service, shown, 40));
        return false;
    }
    if ((mg = magic_find(from_magic, from))) {
        answer_error(a, 400, mg->code, mg->format, from);
        return false;
    }
    if (from && (strlen(from) > 64 || sg_sms_analyze(from, strlen(from), &info) != SG_TEXT_OK)) {
        answer_error(a, 400, 21212,
                     "The 'From' number %s is not a valid phone number, shortcode, or "
                     "alphanumeric sender ID.",
                     echo(from, shown, 40));
        return false;
    }
    if (from && s->n_numbers && !number_listed(s->numbers, s->n_numbers, from)) {
        answer_error(a, 400, 21606,
                     "The 'From' phone number provided (%s) is not a valid message-capable "
                     "Twilio phone number for this account.",
                     echo(from, shown, 40));
        return false;
    }
    if (!body) {
        answer_error(a, 400, 21602, "Message body is required.");
        return false;
    }
    sg_text_status ts = sg_sms_analyze(body, strlen(body), &info);
    if (ts == SG_TEXT_TOO_LONG) {
        answer_error(a, 400, 21617,
                     "The concatenated message body exceeds the 1600 character limit.");
        return false;
    }
    if (ts != SG_TEXT_OK) {
        /* Twilio would mangle it; refusing keeps the answer valid JSON. */
        answer_error(a, 400, 21602, "Message body is required to be valid UTF-8.");
        return false;
    }
    if (callback &&
        ((strncmp(callback, "http://", 7) != 0 && strncmp(callback, "https://", 8) != 0) ||
         strlen(callback) > 2048 ||
         sg_sms_analyze(callback, strlen(callback), &(sg_sms_info){0}) == SG_TEXT_INVALID_UTF8)) {
        answer_error(a, 400, 21609, "The StatusCallback URL %s is not a valid URL.",
                     echo(callback, shown, 60));
        return false;
    }
    if ((mg = magic_find(to_magic, to))) {
        answer_error(a, 400, mg->code, mg->format, to);
        return false;
    }

    sg_sim_message *m = message_new(to, from, service, body, callback);
    if (!m) {
        answer_error(a, 500, 20500, "Internal Server Error");
        return false;
    }
    memcpy(m->sid, "SM", 2);
    sg_random_hex(m->sid + 2, 16);
    snprintf(m->account_sid, sizeof m->account_sid, "%s", s->account_sid);
    snprintf(m->credential_sid, sizeof m->credential_sid, "%s", credential);
    /* With a Messaging Service choosing the sender, Twilio answers "accepted" and
     * cannot count segments yet (A.3, A.6). */
    m->status = from ? "queued" : "accepted";
    m->segments = from ? info.segments : 0;
    m->created_ms = sg_time_now_ms();
    *out = m;
    return true;
}

static bool number_listed(char *const *list, size_t n, const char *number)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(list[i], number) == 0)
            return true;
    }
    return false;
}

/* How an accepted message ends: --failed-numbers, then --undelivered, then a draw
 * against --undelivered-rate (only then is the seeded generator used). */
static sg_sim_outcome outcome_of(sg_twilio_sim *s, const char *to)
{
    if (number_listed(s->failed, s->n_failed, to))
        return SG_SIM_OUTCOME_FAILED;
    if (number_listed(s->undelivered, s->n_undelivered, to))
        return SG_SIM_OUTCOME_UNDELIVERED;
    if (s->undelivered_rate > 0 && next_uniform(s) < s->undelivered_rate)
        return SG_SIM_OUTCOME_UNDELIVERED;
    return SG_SIM_OUTCOME_DELIVERED;
}

static bool message_to_matches(const void *item, const void *ctx);

/* GET /2010-04-01/Accounts/{sid}/Messages.json?To=&PageSize= (A.5): the account's
 * messages, newest first, To filtered; one page (the paging links are not
 * followed by smsgate, so none are given beyond "end"). */
static void list_resources(sg_twilio_sim *s, struct MHD_Connection *conn, answer *a)
{
    char to_buf[64] = "";
    const char *to = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "To");
    if (to) {
        snprintf(to_buf, sizeof to_buf, "%s", to);
        if (to_buf[0] == ' ')
            to_buf[0] = '+';
    }
    const char *ps = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "PageSize");
    long page = ps ? strtol(ps, NULL, 10) : 50;
    if (page < 1 || page > 1000)
        page = 50;
    void **copy;
    size_t n;
    uint64_t total;
    if (!sg_sim_ring_snapshot(&s->records, to ? message_to_matches : NULL, to_buf, &copy, &n,
                              &total)) {
        answer_json(a, 500, NULL);
        return;
    }
    json_t *items = json_array();
    size_t shown = 0;
    for (size_t i = n; i-- > 0;) {
        if (shown < (size_t)page) {
            json_array_append_new(items, message_resource(copy[i]));
            shown++;
        }
        sg_sim_message_unref(copy[i]);
    }
    free(copy);
    answer_json(a, 200, json_pack("{s:o, s:i, s:i, s:i, s:n}", "messages", items, "page", 0,
                                  "page_size", (int)page, "end", (int)shown ? (int)shown - 1 : 0,
                                  "next_page_uri"));
}

/* POST /2010-04-01/Accounts/{sid}/Messages.json */
static void handle_create(sg_twilio_sim *s, struct MHD_Connection *conn, request *r,
                          const char *method, answer *a)
{
    char shown[80];
    char credential[35];
    bool list = strcmp(method, "GET") == 0;
    if (strcmp(method, "POST") != 0 && !list) {
        atomic_fetch_add(&s->rejected, 1);
        a->header = MHD_HTTP_HEADER_ALLOW;
        a->header_value = "GET, POST";
        answer_error(a, 405, 20004, "Method not allowed");
        return;
    }
    if (!check_auth(s, conn, credential)) {
        atomic_fetch_add(&s->unauthorized, 1);
        a->header = MHD_HTTP_HEADER_WWW_AUTHENTICATE;
        a->header_value = "Basic realm=\"Twilio API\"";
        answer_error(a, 401, 20003, "Authenticate");
        return;
    }
    if (strcmp(r->path_sid, s->account_sid) != 0) {
        atomic_fetch_add(&s->rejected, 1);
        answer_error(a, 404, 20404,
                     "The requested resource " API_PREFIX "%s/Messages.json was not found",
                     echo(r->path_sid, shown, 40));
        return;
    }
    if (list) {
        list_resources(s, conn, a);
        return;
    }
    if (r->too_large) {
        atomic_fetch_add(&s->rejected, 1);
        answer_error(a, 413, 0, "The request body is larger than %d bytes.", BODY_MAX);
        return;
    }
    if (s->rate_429 > 0 || s->rate_5xx > 0) {
        double u = next_uniform(s);
        if (u < s->rate_429) {
            atomic_fetch_add(&s->injected_429, 1);
            answer_error(a, 429, 20429, "Too Many Requests");
            return;
        }
        if (u < s->rate_429 + s->rate_5xx) {
            atomic_fetch_add(&s->injected_5xx, 1);
            /* Half JSON from the API, half an HTML page from a load balancer: the
             * driver must cope with both. */
            if (next_uniform(s) < 0.5) {
                answer_error(a, 500, 20500, "Internal Server Error");
            } else {
                static const char html[] =
                    "<html>\n<head><title>503 Service Unavailable</title></head>\n<body>\n"
                    "<center><h1>503 Service Unavailable</h1></center>\n</body>\n</html>\n";
                a->status = 503;
                a->content_type = "text/html";
                a->body = strdup(html);
                a->len = a->body ? strlen(html) : 0;
            }
            return;
        }
    }

    sg_form form;
    if (sg_form_parse(sg_buf_cstr(&r->body), r->body.len, &form) != SG_OK) {
        atomic_fetch_add(&s->rejected, 1);
        answer_error(a, 400, 0, "The request body is not valid application/x-www-form-urlencoded.");
        return;
    }
    sg_sim_message *m = NULL;
    bool ok = validate(s, &form, credential, &m, a);
    sg_form_free(&form);
    if (!ok) {
        atomic_fetch_add(&s->rejected, 1);
        return;
    }
    answer_json(a, 201, message_resource(m));
    if (a->status != 201) {
        sg_sim_message_unref(m);
        return;
    }
    atomic_fetch_add(&s->accepted, 1);
    sg_log(SG_LOG_INFO, "sim_accept", "sid=%s to=%s", m->sid, m->to);
    /* The sender takes its own reference (before the store could evict m); the
     * first callback is planned from when the (possibly delayed) answer leaves. */
    if (m->status_callback && !s->no_callbacks)
        sg_sim_sender_schedule(s->sender, m, outcome_of(s, m->to), s->latency_ms);
    /* The store takes over our reference. */
    sg_sim_ring_add(&s->records, m);
}

static json_t *message_record(const sg_sim_message *m)
{
    char date[40], created[SG_TIME_STR_MAX];
    rfc2822(m->created_ms, date);
    sg_time_format(m->created_ms, created, sizeof created);
    return json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?, s:s, s:s?, s:i, s:s, s:s, s:s}", "sid",
                     m->sid, "account_sid", m->account_sid, "credential_sid", m->credential_sid,
                     "to", m->to, "from", m->from, "messaging_service_sid",
                     m->messaging_service_sid, "body", m->body, "status_callback",
                     m->status_callback, "num_segments", (int)m->segments, "status", m->status,
                     "date_created", date, "created_at", created);
}

static bool message_to_matches(const void *item, const void *ctx)
{
    return strcmp(((const sg_sim_message *)item)->to, ctx) == 0;
}

/* GET /sim/messages[?to=+44...]: references are taken under the lock and the JSON
 * is built outside it, so inspection never stalls the API threads for long. */
static void list_messages(sg_twilio_sim *s, struct MHD_Connection *conn, answer *a)
{
    char to_buf[64] = "";
    const char *to = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "to");
    if (to) {
        /* An unencoded '+' in a query string may arrive as a space. */
        snprintf(to_buf, sizeof to_buf, "%s", to);
        if (to_buf[0] == ' ')
            to_buf[0] = '+';
    }
    void **copy;
    size_t n;
    uint64_t total;
    if (!sg_sim_ring_snapshot(&s->records, to ? message_to_matches : NULL, to_buf, &copy, &n,
                              &total)) {
        answer_json(a, 500, NULL);
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(list, message_record(copy[i]));
        sg_sim_message_unref(copy[i]);
    }
    free(copy);
    answer_json(a, 200, json_pack("{s:o, s:I}", "messages", list, "total", (json_int_t)total));
}

static void handle_sim(sg_twilio_sim *s, struct MHD_Connection *conn, request *r,
                       const char *method, answer *a)
{
    if (r->route == ROUTE_SIM_MESSAGES && strcmp(method, "GET") == 0) {
        list_messages(s, conn, a);
    } else if (r->route == ROUTE_SIM_MESSAGES && strcmp(method, "DELETE") == 0) {
        sg_sim_ring_clear(&s->records);
        answer_json(a, 200, json_pack("{s:b}", "cleared", 1));
    } else if (r->route == ROUTE_SIM_STATS && strcmp(method, "GET") == 0) {
        answer_json(a, 200,
                    json_pack("{s:I, s:I, s:I, s:I, s:I}", "accepted",
                              (json_int_t)atomic_load(&s->accepted), "rejected",
                              (json_int_t)atomic_load(&s->rejected), "injected_429",
                              (json_int_t)atomic_load(&s->injected_429), "injected_5xx",
                              (json_int_t)atomic_load(&s->injected_5xx), "unauthorized",
                              (json_int_t)atomic_load(&s->unauthorized)));
    } else if (r->route == ROUTE_SIM_CALLBACKS && strcmp(method, "GET") == 0) {
        const char *sid = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "message_sid");
        answer_json(a, 200, sg_sim_sender_records(s->sender, sid && *sid ? sid : NULL));
    } else if (r->route == ROUTE_SIM_CALLBACKS && strcmp(method, "DELETE") == 0) {
        sg_sim_sender_clear(s->sender);
        answer_json(a, 200, json_pack("{s:b}", "cleared", 1));
    } else if (r->route == ROUTE_SIM_STATS && strcmp(method, "DELETE") == 0) {
        atomic_store(&s->accepted, 0);
        atomic_store(&s->rejected, 0);
        atomic_store(&s->injected_429, 0);
        atomic_store(&s->injected_5xx, 0);
        atomic_store(&s->unauthorized, 0);
        answer_json(a, 200, json_pack("{s:b}", "cleared", 1));
    } else {
        a->header = MHD_HTTP_HEADER_ALLOW;
        a->header_value = "GET, DELETE";
        answer_error(a, 405, 20004, "Method not allowed");
    }
}

static route route_of(const char *url, char path_sid[64])
{
    if (strcmp(url, "/sim/messages") == 0)
        return ROUTE_SIM_MESSAGES;
    if (strcmp(url, "/sim/stats") == 0)
        return ROUTE_SIM_STATS;
    if (strcmp(url, "/sim/callbacks") == 0)
        return ROUTE_SIM_CALLBACKS;
    if (strcmp(url, "/sim/inbound") == 0)
        return ROUTE_SIM_INBOUND;
    size_t plen = strlen(API_PREFIX);
    if (strncmp(url, API_PREFIX, plen) != 0)
        return ROUTE_NOT_FOUND;
    const char *sid = url + plen;
    const char *slash = strchr(sid, '/');
    if (!slash || slash == sid || (size_t)(slash - sid) >= 64 ||
        strcmp(slash, "/Messages.json") != 0)
        return ROUTE_NOT_FOUND;
    memcpy(path_sid, sid, (size_t)(slash - sid));
    path_sid[slash - sid] = '\0';
    return ROUTE_MESSAGES;
}

static struct MHD_Response *make_response(answer *a)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(a->len, a->body, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(a->body);
        return NULL;
    }
    a->body = NULL;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, a->content_type);
    if (a->header)
        MHD_add_response_header(resp, a->header, a->header_value);
    return resp;
}

static enum MHD_Result queue(struct MHD_Connection *conn, unsigned status,
                             struct MHD_Response *resp)
{
    if (!resp)
        return MHD_NO;
    enum MHD_Result ret = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* ---- POST /sim/inbound -------------------------------------------------------------- */

/* A string member of doc: absent is fine unless required; no NUL bytes, at most max
 * bytes. On a bad value a gets the 400 and false is returned. */
static bool json_text(json_t *doc, const char *key, bool required, size_t max, const char **out,
                      answer *a)
{
    json_t *v = json_object_get(doc, key);
    *out = NULL;
    if (!v || json_is_null(v)) {
        if (required)
            answer_error(a, 400, 0, "'%s' is required.", key);
        return !required;
    }
    if (!json_is_string(v) || json_string_length(v) != strlen(json_string_value(v)) ||
        json_string_length(v) > max) {
        answer_error(a, 400, 0, "'%s' must be a string of at most %zu bytes without NUL.", key,
                     max);
        return false;
    }
    *out = json_string_value(v);
    return true;
}

static void inbound_suspend(void *ctx)
{
    request *r = ctx;
    MHD_suspend_connection(r->conn);
}

/* From the sender's thread: the webhook finished (or the simulator stops). */
static void inbound_done(void *ctx, const sg_sim_result *res)
{
    request *r = ctx;
    answer a = {0};
    json_t *sig = r->inbound_signature[0] ? json_string(r->inbound_signature) : json_null();
    if (res->http_status) {
        answer_json(&a, 200,
                    json_pack("{s:s, s:I, s:o, s:o, s:b, s:o, s:n}", "message_sid", r->inbound_sid,
                              "http_status", (json_int_t)res->http_status, "content_type",
                              res->content_type[0] ? json_string(res->content_type) : json_null(),
                              "body", sg_sim_json_text(res->body, res->body_len), "truncated",
                              res->truncated, "signature", sig, "error"));
    } else {
        answer_json(&a, 502,
                    json_pack("{s:s, s:n, s:n, s:n, s:b, s:o, s:s}", "message_sid", r->inbound_sid,
                              "http_status", "content_type", "body", "truncated", 0, "signature",
                              sig, "error", res->error ? res->error : "transport error"));
    }
    r->pending = make_response(&a);
    r->pending_status = a.status;
    MHD_resume_connection(r->conn);
}

/* POST /sim/inbound: validate, build and sign the A.8 webhook, hand it to the
 * sender and suspend the connection until it is answered. True when suspended;
 * otherwise a holds the answer. */
static bool handle_inbound(sg_twilio_sim *s, struct MHD_Connection *conn, request *r, answer *a)
{
    json_error_t jerr;
    json_t *doc = json_loadb(sg_buf_cstr(&r->body), r->body.len, 0, &jerr);
    sg_buf_free(&r->body);
    if (r->too_large) {
        json_decref(doc);
        answer_error(a, 413, 0, "The request body is larger than %d bytes.", BODY_MAX);
        return false;
    }
    if (!doc) {
        answer_error(a, 400, 0, "The body is not JSON: %s.", jerr.text);
        return false;
    }
    if (!json_is_object(doc)) {
        json_decref(doc);
        answer_error(a, 400, 0,
                     "The body must be a JSON object: {\"url\",\"from\",\"to\",\"body\"}.");
        return false;
    }
    const char *url, *from, *to, *text, *token, *signature, *account;
    bool ok = json_text(doc, "url", true, SG_SIM_URL_MAX, &url, a) &&
              json_text(doc, "from", true, 64, &from, a) &&
              json_text(doc, "to", true, 64, &to, a) &&
              json_text(doc, "body", false, BODY_MAX, &text, a) &&
              json_text(doc, "auth_token", false, 128, &token, a) &&
              json_text(doc, "signature", false, 128, &signature, a) &&
              json_text(doc, "account_sid", false, 34, &account, a);
    json_t *unsigned_v = json_object_get(doc, "unsigned");
    json_t *extra = json_object_get(doc, "params");
    if (ok && strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
        answer_error(a, 400, 0, "'url' must be an http:// or https:// URL.");
        ok = false;
    }
    if (ok && (!*from || !*to)) {
        answer_error(a, 400, 0, "'from' and 'to' must not be empty.");
        ok = false;
    }
    sg_sms_info info;
    if (ok && text && sg_sms_analyze(text, strlen(text), &info) == SG_TEXT_TOO_LONG) {
        answer_error(a, 400, 0, "'body' is longer than %d characters.", SG_SMS_MAX_CHARS);
        ok = false;
    }
    if (ok && account && !sid_valid(account, "AC")) {
        answer_error(a, 400, 0, "'account_sid' must be 'AC' followed by 32 hex digits.");
        ok = false;
    }
    if (ok && token && !*token) {
        answer_error(a, 400, 0, "'auth_token' must not be empty.");
        ok = false;
    }
    if (ok && unsigned_v && !json_is_boolean(unsigned_v)) {
        answer_error(a, 400, 0, "'unsigned' must be true or false.");
        ok = false;
    }
    bool no_signature = json_is_true(unsigned_v);
    if (ok && no_signature && signature) {
        answer_error(a, 400, 0, "'unsigned' and 'signature' do not go together.");
        ok = false;
    }
    const char *keys[INBOUND_EXTRA_MAX], *values[INBOUND_EXTRA_MAX];
    size_t n_extra = 0;
    if (ok && extra && !json_is_null(extra)) {
        const char *k;
        json_t *v;
        if (!json_is_object(extra) || json_object_size(extra) > INBOUND_EXTRA_MAX) {
            answer_error(a, 400, 0, "'params' must be an object of at most %d strings.",
                         INBOUND_EXTRA_MAX);
            ok = false;
        } else {
            json_object_foreach(extra, k, v)
            {
                if (!*k || !json_is_string(v) ||
                    json_string_length(v) != strlen(json_string_value(v))) {
                    answer_error(a, 400, 0, "'params' must map names to strings without NUL.");
                    ok = false;
                    break;
                }
                keys[n_extra] = k;
                values[n_extra++] = json_string_value(v);
            }
        }
    }
    if (!ok) {
        json_decref(doc);
        return false;
    }

    sg_sim_new_sid(r->inbound_sid);
    sg_sim_inbound_params p = {
        .message_sid = r->inbound_sid,
        .account_sid = account ? account : s->account_sid,
        .from = from,
        .to = to,
        .body = text ? text : "",
        .extra_keys = keys,
        .extra_values = values,
        .n_extra = n_extra,
    };
    sg_buf body;
    sg_buf_init(&body, 4 * BODY_MAX);
    char computed[SG_TWILIO_SIG_MAX];
    ok = sg_sim_inbound_body(&p, &body) == SG_OK;
    if (ok && !no_signature && !signature)
        ok = sg_sim_sign_body(token ? token : s->auth_token, url, sg_buf_cstr(&body), computed);
    if (!ok) {
        sg_buf_free(&body);
        json_decref(doc);
        answer_error(a, 500, 20500, "Internal Server Error");
        return false;
    }
    snprintf(r->inbound_signature, sizeof r->inbound_signature, "%s",
             no_signature ? ""
             : signature  ? signature
                          : computed);
    char *form = sg_buf_steal(&body);
    sg_buf_free(&body);
    r->conn = conn;
    r->delayed = true;
    bool queued =
        form && sg_sim_sender_post(s->sender, url, form, no_signature ? NULL : r->inbound_signature,
                                   inbound_suspend, inbound_done, r);
    json_decref(doc);
    if (queued) {
        sg_log(SG_LOG_INFO, "sim_inbound", "sid=%s", r->inbound_sid);
        return true;
    }
    r->delayed = false;
    answer_error(a, 503, 0, "The simulator is stopping or has too many requests in flight.");
    return false;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_size, void **con_cls)
{
    sg_twilio_sim *s = cls;
    request *r = *con_cls;
    answer a = {0};

    if (!r) {
        r = calloc(1, sizeof *r);
        if (!r)
            return MHD_NO;
        sg_buf_init(&r->body, BODY_MAX);
        r->route = route_of(url, r->path_sid);
        *con_cls = r;
        const char *cl =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > BODY_MAX)
            r->too_large = true;
        /* Refuse an oversized upload before reading it (curl waits for the 100 Continue
         * this prevents). */
        if (r->too_large && r->route == ROUTE_MESSAGES) {
            atomic_fetch_add(&s->rejected, 1);
            answer_error(&a, 413, 0, "The request body is larger than %d bytes.", BODY_MAX);
            r->answered = true;
            return queue(conn, a.status, make_response(&a));
        }
        return MHD_YES;
    }
    if (r->answered) {
        *upload_size = 0;
        return MHD_YES;
    }
    if (*upload_size) {
        if (!r->too_large && sg_buf_append(&r->body, upload_data, *upload_size) != SG_OK)
            r->too_large = true;
        *upload_size = 0;
        return MHD_YES;
    }
    if (r->delayed) { /* resumed by the delay thread */
        struct MHD_Response *resp = r->pending;
        r->pending = NULL;
        r->delayed = false;
        r->answered = true;
        return queue(conn, r->pending_status, resp);
    }

    switch (r->route) {
    case ROUTE_MESSAGES:
        handle_create(s, conn, r, method, &a);
        break;
    case ROUTE_SIM_MESSAGES:
    case ROUTE_SIM_STATS:
    case ROUTE_SIM_CALLBACKS:
        handle_sim(s, conn, r, method, &a);
        break;
    case ROUTE_SIM_INBOUND:
        if (strcmp(method, "POST") != 0) {
            a.header = MHD_HTTP_HEADER_ALLOW;
            a.header_value = "POST";
            answer_error(&a, 405, 20004, "Method not allowed");
        } else if (handle_inbound(s, conn, r, &a)) {
            return MHD_YES; /* suspended until the webhook is answered */
        }
        break;
    default: {
        char shown[200];
        answer_error(&a, 404, 20404, "The requested resource %s was not found",
                     echo(url, shown, sizeof shown));
    }
    }
    sg_buf_free(&r->body);
    struct MHD_Response *resp = make_response(&a);
    unsigned delay = s->latency_ms + (strcmp(method, "POST") == 0 ? s->send_latency_ms : 0);
    if (resp && r->route == ROUTE_MESSAGES && delay) {
        r->pending = resp;
        r->pending_status = a.status;
        r->delayed = true;
        if (sg_sim_delays_add(&s->delays, conn, delay))
            return MHD_YES;
        r->pending = NULL;
        r->delayed = false;
    }
    r->answered = true;
    return queue(conn, a.status, resp);
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    request *r = *con_cls;
    if (!r)
        return;
    if (r->pending)
        MHD_destroy_response(r->pending);
    sg_buf_free(&r->body);
    free(r);
    *con_cls = NULL;
}

static void free_list(char **list, size_t n)
{
    for (size_t i = 0; list && i < n; i++)
        free(list[i]);
    free(list);
}

/* A copy of n strings; NULL only on out of memory (an empty list gives a valid
 * pointer). */
static char **copy_list(const char *const *src, size_t n)
{
    char **list = calloc(n ? n : 1, sizeof *list);
    for (size_t i = 0; list && i < n; i++) {
        if (!(list[i] = strdup(src[i]))) {
            free_list(list, i);
            return NULL;
        }
    }
    return list;
}

void sg_twilio_sim_destroy(sg_twilio_sim *s)
{
    if (!s)
        return;
    /* Resume every suspended request first: MHD must not stop with suspended
     * connections. The sender answers the inbound webhooks it still holds (and
     * drops pending callbacks); new requests are then answered without delay. */
    sg_sim_sender_stop(s->sender);
    sg_sim_delays_free(&s->delays);
    if (s->daemon)
        MHD_stop_daemon(s->daemon);
    sg_sim_sender_free(s->sender);
    free_list(s->undelivered, s->n_undelivered);
    free_list(s->failed, s->n_failed);
    free_list(s->numbers, s->n_numbers);
    sg_sim_ring_free(&s->records);
    if (s->auth_token) {
        sodium_memzero(s->auth_token, strlen(s->auth_token));
        free(s->auth_token);
    }
    if (s->api_key_secret) {
        sodium_memzero(s->api_key_secret, strlen(s->api_key_secret));
        free(s->api_key_secret);
    }
    free(s);
}

sg_err sg_twilio_sim_new(const sg_twilio_sim_options *o, const struct sockaddr *addr,
                         sg_twilio_sim **out, sg_error *e)
{
    *out = NULL;
    sg_twilio_sim *s = calloc(1, sizeof *s);
    if (!s)
        return sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory");
    snprintf(s->account_sid, sizeof s->account_sid, "%s", o->account_sid);
    snprintf(s->api_key_sid, sizeof s->api_key_sid, "%s", o->api_key_sid ? o->api_key_sid : "");
    s->auth_token = strdup(o->auth_token);
    s->api_key_secret = strdup(o->api_key_secret ? o->api_key_secret : "");
    s->latency_ms = o->latency_ms;
    s->send_latency_ms = o->send_latency_ms;
    s->rate_429 = o->rate_429;
    s->rate_5xx = o->rate_5xx;
    s->seed = o->seed;
    s->no_callbacks = o->no_callbacks;
    s->undelivered_rate = o->undelivered_rate;
    s->undelivered = copy_list(o->undelivered_numbers, o->n_undelivered);
    s->n_undelivered = s->undelivered ? o->n_undelivered : 0;
    s->failed = copy_list(o->failed_numbers, o->n_failed);
    s->n_failed = s->failed ? o->n_failed : 0;
    s->numbers = copy_list(o->numbers, o->n_numbers);
    s->n_numbers = s->numbers ? o->n_numbers : 0;
    atomic_init(&s->draws, 0);
    atomic_init(&s->accepted, 0);
    atomic_init(&s->rejected, 0);
    atomic_init(&s->injected_429, 0);
    atomic_init(&s->injected_5xx, 0);
    atomic_init(&s->unauthorized, 0);
    bool ring_ok = sg_sim_ring_init(&s->records, SG_TWILIO_SIM_MAX_RECORDS, message_ref_item,
                                    message_unref_item);
    bool delays_ok = sg_sim_delays_init(&s->delays, SG_SIM_CONNECTIONS_MAX);
    if (!s->auth_token || !s->api_key_secret || !ring_ok || !delays_ok || !s->undelivered ||
        !s->failed) {
        sg_twilio_sim_destroy(s);
        return sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory");
    }
    /* Callbacks are signed with the account's auth token, also for messages sent
     * with an API key (A.9). */
    sg_sim_sender_options so = {
        .auth_token = o->auth_token,
        .sent_delay_ms = o->sent_delay_ms,
        .delivered_delay_ms = o->delivered_delay_ms,
        .duplicate = o->duplicate_callbacks,
        .reorder = o->reorder_callbacks,
    };
    if (!(s->sender = sg_sim_sender_new(&so, e))) {
        sg_twilio_sim_destroy(s);
        return e ? e->err : SG_ERR_INTERNAL;
    }
    if (!sg_sim_delays_start(&s->delays)) {
        sg_twilio_sim_destroy(s);
        return sg_error_set(e, SG_ERR_INTERNAL, NULL, "cannot start the delay thread");
    }

    s->daemon = sg_sim_start_daemon(addr, handle, s, completed, &s->port);
    if (!s->daemon) {
        sg_twilio_sim_destroy(s);
        return sg_error_set(e, SG_ERR_IO, NULL, "cannot listen (is the port already taken?)");
    }
    *out = s;
    return SG_OK;
}

uint16_t sg_twilio_sim_port(const sg_twilio_sim *s)
{
    return s->port;
}

/* ---- command line ------------------------------------------------------------------- */

#define CMD "smsgate simulate twilio"

/* The command line as given; checked and turned into sg_twilio_sim_options by
 * check_args, with one error line per bad value. */
typedef struct sim_args {
    const char *listen, *account_sid, *auth_token, *api_key_sid, *api_key_secret;
    const char *latency_ms, *send_latency_ms, *rate_429, *rate_5xx, *seed, *log_level;
    const char *callbacks, *sent_delay_ms, *delivered_delay_ms, *undelivered_rate;
    sg_opt_list numbers, undelivered, failed;
    bool duplicate, reorder;
} sim_args;

#define A(field) offsetof(sim_args, field)
#define MAX_MS   SG_OPT_TEXT_OF(LATENCY_MAX_MS)
static const sg_opt sim_opts[] = {
    {"listen", NULL, SG_TWILIO_SIM_DEFAULT_LISTEN, SG_OPT_ARG, A(listen), 0, "ADDR:PORT",
     "loopback address to listen on (127.0.0.0/8 or [::1]);\nport 0 picks a free port"},
    {"account-sid", NULL, SG_TWILIO_SIM_DEFAULT_ACCOUNT_SID, SG_OPT_ARG, A(account_sid), 0, "AC...",
     "the account that exists"},
    {"auth-token", NULL, SG_TWILIO_SIM_DEFAULT_AUTH_TOKEN, SG_OPT_ARG, A(auth_token), 0, "TOKEN",
     "its auth token; also signs every webhook"},
    {"api-key-sid", NULL, NULL, SG_OPT_ARG, A(api_key_sid), 0, "SK...",
     "also accept this API key (default: none)"},
    {"api-key-secret", NULL, NULL, SG_OPT_ARG, A(api_key_secret), 0, "SECRET",
     "the API key's secret (default: none)"},
    {"latency-ms", NULL, "0", SG_OPT_ARG, A(latency_ms), 0, "N",
     "delay before each API answer, 0.." MAX_MS},
    {"send-latency-ms", NULL, "0", SG_OPT_ARG, A(send_latency_ms), 0, "N",
     "more delay before answers to sends only (not to\nlookups), 0.." MAX_MS},
    {"rate-429", NULL, "0", SG_OPT_ARG, A(rate_429), 0, "P",
     "probability 0..1 of answering 429 / 20429"},
    {"rate-5xx", NULL, "0", SG_OPT_ARG, A(rate_5xx), 0, "P",
     "probability 0..1 of answering 500 or 503"},
    {"seed", NULL, NULL, SG_OPT_ARG, A(seed), 0, "N",
     "seed for --rate-* and --undelivered-rate, for\nrepeatable runs (default: random)"},
    {"numbers", NULL, NULL, SG_OPT_LIST, A(numbers), 0, "LIST",
     "comma-separated numbers the account owns: a From\noutside them gets 21606 (default: any "
     "From)"},
    {"log-level", NULL, "info", SG_OPT_ARG, A(log_level), 0, "LEVEL",
     "error|warn|info|debug; info logs each accepted\nmessage and callback, use warn for "
     "benchmarks"},
    SG_OPT_HEADING("status callbacks (POSTed, signed, to each message's StatusCallback URL):"),
    {"callbacks", NULL, "on", SG_OPT_ARG, A(callbacks), 0, "on|off", "send them"},
    {"sent-delay-ms", NULL, SG_OPT_TEXT_OF(SG_TWILIO_SIM_DEFAULT_SENT_DELAY_MS), SG_OPT_ARG,
     A(sent_delay_ms), 0, "N", "from the API's answer to 'sent', 0.." MAX_MS},
    {"delivered-delay-ms", NULL, SG_OPT_TEXT_OF(SG_TWILIO_SIM_DEFAULT_DELIVERED_DELAY_MS),
     SG_OPT_ARG, A(delivered_delay_ms), 0, "N", "from 'sent' to 'delivered', 0.." MAX_MS},
    {"undelivered", NULL, NULL, SG_OPT_LIST, A(undelivered), 0, "LIST",
     "comma-separated To numbers that end 'undelivered'\n(ErrorCode 30003)"},
    {"failed-numbers", NULL, NULL, SG_OPT_LIST, A(failed), 0, "LIST",
     "comma-separated To numbers that end 'failed'\n(ErrorCode 30008, no 'sent' first)"},
    {"undelivered-rate", NULL, "0", SG_OPT_ARG, A(undelivered_rate), 0, "P",
     "probability 0..1 that any other message ends\n'undelivered' 30003"},
    {"duplicate-callbacks", NULL, NULL, SG_OPT_BOOL, A(duplicate), 0, NULL,
     "send every callback twice"},
    {"reorder-callbacks", NULL, NULL, SG_OPT_BOOL, A(reorder), 0, NULL,
     "send the final status before 'sent'"},
    SG_OPT_HEADING("Lists may be given in one flag, comma-separated, or by repeating the flag."),
    SG_OPT_END,
};
#undef A

static const sg_cmd_spec sim_spec = {
    CMD " [options]",
    "A stand-in for api.twilio.com on loopback:\n"
    "  POST /2010-04-01/Accounts/{AccountSid}/Messages.json\n"
    "with Basic auth, Twilio's test magic numbers and error codes and failure\n"
    "injection. Accepted messages with a StatusCallback get signed status callbacks\n"
    "(sent, then delivered). For tests: GET/DELETE /sim/messages, /sim/stats and\n"
    "/sim/callbacks; POST /sim/inbound sends a signed incoming-message webhook\n"
    "(docs/internals/simulator.md).\n"
    "Prints 'listening http://ADDR:PORT' on stdout once ready; stops on SIGINT or\n"
    "SIGTERM. Exit status: 0 after a signal, 1 when it cannot listen, 2 on a usage\n"
    "error.",
    sim_opts,
    0,
    0,
};

static bool e164_number(const char *s)
{
    return is_e164(s);
}

#define E164_WHAT "is not an E.164 number (+ and 2-15 digits)"

/* A whole number 0..max into *out, or the usage error. */
static int check_ms(const char *flag, const char *text, uint64_t max, unsigned *out)
{
    uint64_t v;
    if (!sg_sim_parse_u64(text, max, &v))
        return sg_opts_usage_error(CMD, "%s must be a whole number 0..%llu", flag,
                                   (unsigned long long)max);
    *out = (unsigned)v;
    return 0;
}

static int check_probability(const char *flag, const char *text, double *out)
{
    if (!sg_sim_parse_probability(text, out))
        return sg_opts_usage_error(CMD, "%s must be a probability between 0 and 1", flag);
    return 0;
}

static int check_credentials(const sim_args *a, sg_twilio_sim_options *o)
{
    if (!sid_valid(a->account_sid, "AC"))
        return sg_opts_usage_error(CMD, "--account-sid must be 'AC' followed by 32 hex digits");
    if (!*a->auth_token || strlen(a->auth_token) > 128)
        return sg_opts_usage_error(CMD, "--auth-token must be 1 to 128 characters");
    if (a->api_key_sid && !sid_valid(a->api_key_sid, "SK"))
        return sg_opts_usage_error(CMD, "--api-key-sid must be 'SK' followed by 32 hex digits");
    if (a->api_key_secret && (!*a->api_key_secret || strlen(a->api_key_secret) > 128))
        return sg_opts_usage_error(CMD, "--api-key-secret must be 1 to 128 characters");
    if (!a->api_key_sid != !a->api_key_secret)
        return sg_opts_usage_error(CMD, "--api-key-sid and --api-key-secret go together");
    o->account_sid = a->account_sid;
    o->auth_token = a->auth_token;
    o->api_key_sid = a->api_key_sid;
    o->api_key_secret = a->api_key_secret;
    return 0;
}

static int check_failures(const sim_args *a, sg_twilio_sim_options *o)
{
    int rc = check_ms("--latency-ms", a->latency_ms, LATENCY_MAX_MS, &o->latency_ms);
    if (!rc)
        rc = check_ms("--send-latency-ms", a->send_latency_ms, LATENCY_MAX_MS,
                      &o->send_latency_ms);
    if (!rc)
        rc = check_probability("--rate-429", a->rate_429, &o->rate_429);
    if (!rc)
        rc = check_probability("--rate-5xx", a->rate_5xx, &o->rate_5xx);
    if (!rc)
        rc = check_probability("--undelivered-rate", a->undelivered_rate, &o->undelivered_rate);
    if (!rc && o->rate_429 + o->rate_5xx > 1.0)
        rc = sg_opts_usage_error(CMD, "--rate-429 plus --rate-5xx must not exceed 1");
    if (!rc && a->seed && !sg_sim_parse_u64(a->seed, UINT64_MAX, &o->seed))
        rc = sg_opts_usage_error(CMD, "--seed must be a whole number");
    if (!rc && !a->seed)
        o->seed = ((uint64_t)sg_random_u32() << 32) | sg_random_u32();
    return rc;
}

static int check_callbacks(const sim_args *a, sg_twilio_sim_options *o)
{
    if (strcmp(a->callbacks, "on") != 0 && strcmp(a->callbacks, "off") != 0)
        return sg_opts_usage_error(CMD, "--callbacks must be on or off");
    o->no_callbacks = strcmp(a->callbacks, "off") == 0;
    o->duplicate_callbacks = a->duplicate;
    o->reorder_callbacks = a->reorder;
    int rc = check_ms("--sent-delay-ms", a->sent_delay_ms, DELAY_MAX_MS, &o->sent_delay_ms);
    if (!rc)
        rc = check_ms("--delivered-delay-ms", a->delivered_delay_ms, DELAY_MAX_MS,
                      &o->delivered_delay_ms);
    return rc;
}

/* The numbers of each occurrence of a list flag, into l. */
static int check_list(const char *flag, const sg_opt_list *given, sg_sim_number_list *l)
{
    char why[160];
    for (size_t i = 0; i < given->n; i++) {
        if (!sg_sim_number_list_add(l, flag, given->items[i], e164_number, E164_WHAT, why,
                                    sizeof why))
            return sg_opts_usage_error(CMD, "%s", why);
    }
    return 0;
}

static int check_args(const sim_args *a, sg_twilio_sim_options *o, sg_sim_number_list *undelivered,
                      sg_sim_number_list *failed, sg_sim_number_list *numbers, sg_log_level *level)
{
    int rc = check_credentials(a, o);
    if (!rc)
        rc = check_failures(a, o);
    if (!rc)
        rc = check_callbacks(a, o);
    if (!rc)
        rc = check_list("--undelivered", &a->undelivered, undelivered);
    if (!rc)
        rc = check_list("--failed-numbers", &a->failed, failed);
    if (!rc)
        rc = check_list("--numbers", &a->numbers, numbers);
    if (!rc && !sg_log_level_parse(a->log_level, level))
        rc = sg_opts_usage_error(CMD, "--log-level must be error, warn, info or debug");
    o->undelivered_numbers = undelivered->numbers;
    o->n_undelivered = undelivered->n;
    o->failed_numbers = failed->numbers;
    o->n_failed = failed->n;
    o->numbers = numbers->numbers;
    o->n_numbers = numbers->n;
    return rc;
}

static int sim_main(int argc, char **argv, sg_sim_number_list *undelivered,
                    sg_sim_number_list *failed, sg_sim_number_list *numbers);

int sg_twilio_sim_main(int argc, char **argv)
{
    sg_sim_number_list undelivered = {0}, failed = {0}, numbers = {0};
    int rc = sim_main(argc, argv, &undelivered, &failed, &numbers);
    sg_sim_number_list_free(&undelivered);
    sg_sim_number_list_free(&failed);
    sg_sim_number_list_free(&numbers);
    return rc;
}

static int sim_main(int argc, char **argv, sg_sim_number_list *undelivered,
                    sg_sim_number_list *failed, sg_sim_number_list *numbers)
{
    sim_args a = {0};
    char **rest = NULL;
    size_t n_rest = 0;
    int rc = sg_opts_parse_cmd(CMD, &sim_spec, &a, argc, argv, &rest, &n_rest);
    free(rest);
    if (rc)
        return rc == SG_OPTS_HELP ? EXIT_OK : rc;
    sg_twilio_sim_options o = {0};
    sg_log_level level = SG_LOG_INFO;
    rc = check_args(&a, &o, undelivered, failed, numbers, &level);
    if (rc)
        return rc;
    const char *listen = a.listen;
    char why[160];
    struct sockaddr_storage addr;
    if (!sg_sim_parse_listen(listen, "127.0.0.1:18091", &addr, why, sizeof why))
        return sg_opts_usage_error(CMD, "%s", why);
    sg_log_set_level(level);

    /* Signals are taken by sg_sim_wait_signal below; every thread started from
     * here on inherits the mask. */
    sigset_t sigs;
    sg_sim_block_signals(&sigs);
    sg_sim_raise_fd_limit();
    curl_global_init(CURL_GLOBAL_DEFAULT);

    sg_twilio_sim *sim;
    sg_error e;
    sg_error_clear(&e);
    if (sg_twilio_sim_new(&o, (struct sockaddr *)&addr, &sim, &e) != SG_OK) {
        fprintf(stderr, "smsgate simulate twilio: %s: %s\n", listen, e.message);
        curl_global_cleanup();
        return EXIT_FAIL;
    }
    sg_sim_print_listening(&addr, sg_twilio_sim_port(sim));
    sg_log(SG_LOG_INFO, "sim_listen",
           "kind=twilio port=%u account_sid=%s api_key=%s latency_ms=%u rate_429=%g rate_5xx=%g "
           "seed=%llu callbacks=%s sent_delay_ms=%u delivered_delay_ms=%u undelivered=%zu "
           "failed=%zu undelivered_rate=%g duplicate=%d reorder=%d",
           sg_twilio_sim_port(sim), o.account_sid, o.api_key_sid ? o.api_key_sid : "none",
           o.latency_ms, o.rate_429, o.rate_5xx, (unsigned long long)o.seed,
           o.no_callbacks ? "off" : "on", o.sent_delay_ms, o.delivered_delay_ms, o.n_undelivered,
           o.n_failed, o.undelivered_rate, o.duplicate_callbacks, o.reorder_callbacks);

    sg_sim_wait_signal(&sigs);
    sg_twilio_sim_destroy(sim);
    curl_global_cleanup();
    return EXIT_OK;
}

/* The kind's simulator registration (sg_twilio_kind.sim). */
const sg_kind_sim sg_twilio_sim_kind = {
    .name = "twilio",
    .summary = "api.twilio.com's Messages API (2010-04-01), status callbacks",
    .main = sg_twilio_sim_main,
};
