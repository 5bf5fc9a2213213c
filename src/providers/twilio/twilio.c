/* The Twilio Messages API driver (providers.md A.1-A.4), sans-I/O: config
 * validation, the create-message request, and the classification of Twilio's
 * answer. Nothing here opens a socket. */
#include "providers/twilio/twilio.h"
#include "providers/config_fields.h"

#include "util/buf.h"
#include "util/form.h"
#include "util/time.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_BASE_URL "https://api.twilio.com"
#define SECRET_MAX       128
#define SENDERS_MAX      100
/* To, From, Body (1600 characters, up to 4 bytes each, 3 bytes per encoded byte)
 * and a StatusCallback URL fit with room to spare. */
#define REQUEST_BODY_MAX (64 * 1024)

typedef struct twilio_cfg {
    char *account_sid;
    char *messaging_service_sid; /* NULL when not configured */
    char **from;                 /* n_from senders, normalised */
    size_t n_from;
    char *base_url; /* without a trailing '/' */
    double mps;
    /* An auth_token is given: Twilio's webhook signatures can be checked (with an
     * API key alone they cannot, and the callback URLs carry a secret instead). */
    bool signs;
    char *auth_token; /* checks webhook signatures; NULL without one; wiped on free */
    /* Precomputed once per load: the dispatcher builds thousands of requests a
     * second from one config. */
    char *messages_url;
    char *authorization; /* "Basic ...": holds the secret, wiped on free */
} twilio_cfg;

static const char *const known_keys[] = {
    "account_sid", "auth_token", "api_key_sid", "api_key_secret", "from",
    "messaging_service_sid", "base_url", "mps", "callback_secret", "allow_from",
    "retry_for_seconds", "params", NULL,
};

#define KNOWN_KEYS_TEXT                                                                            \
    "account_sid, auth_token, api_key_sid, api_key_secret, from, messaging_service_sid, "          \
    "base_url, mps, callback_secret, allow_from, retry_for_seconds, params"

/* ---- config ------------------------------------------------------------------------- */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* A Twilio SID: the two-letter prefix and 32 hex digits (providers.md A.1). */
static bool sid_valid(const char *s, const char *prefix)
{
    if (strncmp(s, prefix, 2) != 0 || strlen(s) != 34)
        return false;
    for (size_t i = 2; i < 34; i++) {
        if (sg_hex_value(s[i]) < 0)
            return false;
    }
    return true;
}

/* E.164 ("+" and 2..15 digits), a short code (3..8 digits) or an alphanumeric
 * sender ID (1..11 of [A-Za-z0-9 ] with at least one letter). */
static bool sender_valid(const char *s)
{
    size_t len = strlen(s);
    if (len == 0)
        return false;
    if (s[0] == '+') {
        if (len < 3 || len > 16)
            return false;
        for (size_t i = 1; i < len; i++) {
            if (!is_digit(s[i]))
                return false;
        }
        return true;
    }
    bool all_digits = true, letter = false;
    for (size_t i = 0; i < len; i++) {
        if (is_alpha(s[i]))
            letter = true;
        else if (!is_digit(s[i]) && s[i] != ' ')
            return false;
        if (!is_digit(s[i]))
            all_digits = false;
    }
    if (all_digits)
        return len >= 3 && len <= 8;
    return letter && len <= 11;
}

static sg_err get_sid(json_t *config, const char *key, const char *prefix, const char **out,
                      sg_error *e)
{
    sg_err err = sg_cfg_string(config, key, 0, 4096, true, out, e);
    if (err)
        return err;
    if (*out && !sid_valid(*out, prefix)) {
        char field[64];
        sg_cfg_field(field, sizeof field, key);
        return sg_error_set(e, SG_ERR_INVALID, field,
                            "%s must be '%s' followed by 32 hexadecimal digits", key, prefix);
    }
    return SG_OK;
}

/* Check one sender (item is its 1-based position) and append a trimmed copy to
 * list, refusing duplicates and more than SENDERS_MAX senders. 11 to 15 digits
 * without '+' are an international number written without it
 * (sg_cfg_international). ctx starts the messages ("from", or "params line 2
 * ('from=...')") and field is where errors go. */
static sg_err add_sender(const char *s, size_t len, size_t item, char **list, size_t *n,
                         const char *field, const char *ctx, sg_error *e)
{
    while (len && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    if (len == 0)
        return sg_error_set(e, SG_ERR_INVALID, field,
                            "%s: sender %zu is empty; expected an E.164 number (+15017122661), "
                            "a short code or an alphanumeric sender ID",
                            ctx, item);
    if (*n >= SENDERS_MAX)
        return sg_error_set(e, SG_ERR_INVALID, field, "%s holds more than %d senders", ctx,
                            SENDERS_MAX);
    char plus[24];
    bool intl = sg_cfg_international(s, len, plus, sizeof plus);
    char *copy = intl ? strdup(plus) : strndup(s, len);
    if (!copy)
        return sg_error_set(e, SG_ERR_NOMEM, field, "out of memory");
    if ((!intl && strlen(copy) != len) || !sender_valid(copy)) {
        sg_error_set(e, SG_ERR_INVALID, field,
                     "%s: sender %zu ('%.32s') is not an E.164 number ('+' and 2 to 15 digits, "
                     "or 11 to 15 digits without the '+'), a short code (3 to 8 digits) or an "
                     "alphanumeric sender ID (1 to 11 letters, digits or spaces, at least one "
                     "letter)",
                     ctx, item, copy);
        free(copy);
        return SG_ERR_INVALID;
    }
    for (size_t i = 0; i < *n; i++) {
        if (strcmp(list[i], copy) == 0) {
            sg_error_set(e, SG_ERR_INVALID, field, "%s lists sender '%s' twice", ctx, copy);
            free(copy);
            return SG_ERR_INVALID;
        }
    }
    list[(*n)++] = copy;
    return SG_OK;
}

/* Senders given as one string "a|b|c" (CiviCRM's style); "" or blanks only means
 * none. */
static sg_err add_sender_string(const char *s, size_t len, char **list, size_t *n,
                                const char *field, const char *ctx, sg_error *e)
{
    bool blank = true;
    for (size_t i = 0; i < len; i++) {
        if (s[i] != ' ' && s[i] != '\t')
            blank = false;
    }
    size_t start = 0;
    for (size_t i = 0, item = 1; !blank && i <= len; i++) {
        if (i == len || s[i] == '|') {
            sg_err err = add_sender(s + start, i - start, item++, list, n, field, ctx, e);
            if (err)
                return err;
            start = i + 1;
        }
    }
    return SG_OK;
}

/* from: an array of senders, or one string "a|b|c" (CiviCRM's style). */
static sg_err parse_from(json_t *config, char ***out, size_t *n_out, sg_error *e)
{
    *out = NULL;
    *n_out = 0;
    json_t *v = json_object_get(config, "from");
    if (!v)
        return SG_OK;
    char **list = calloc(SENDERS_MAX, sizeof *list);
    if (!list)
        return sg_error_set(e, SG_ERR_NOMEM, "config.from", "out of memory");
    size_t n = 0;
    sg_err err = SG_OK;
    if (json_is_string(v)) {
        err = add_sender_string(json_string_value(v), json_string_length(v), list, &n,
                                "config.from", "from", e);
        if (err)
            goto fail;
    } else if (json_is_array(v)) {
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item)
        {
            if (!json_is_string(item)) {
                err = sg_error_set(e, SG_ERR_INVALID, "config.from",
                                   "from: sender %zu must be a string", i + 1);
                goto fail;
            }
            err = add_sender(json_string_value(item), json_string_length(item), i + 1, list, &n,
                             "config.from", "from", e);
            if (err)
                goto fail;
        }
    } else {
        err = sg_error_set(e, SG_ERR_INVALID, "config.from",
                           "from must be an array of senders or one string \"+1...|+1...\"");
        goto fail;
    }
    *out = list;
    *n_out = n;
    return SG_OK;
fail:
    sg_cfg_free_list(list, n);
    return err;
}

/* The API Parameters text (config_fields.h): CiviCRM's words, as its Clickatell
 * guide writes them. from= lines name the senders; mo=1 (two-way) is accepted and
 * changes nothing here: Twilio sends replies wherever the number's webhook points. */
enum { PARAM_FROM, PARAM_MO };
static const char *const param_keys[] = {"from", "mo", NULL};

typedef struct params_vals {
    char **from; /* SENDERS_MAX slots */
    size_t n_from;
    bool has_from;
} params_vals;

static sg_err params_value(const sg_cfg_param *p, void *ctx, sg_error *e)
{
    static const char *const F = "config.params";
    params_vals *pv = ctx;
    if (p->key == PARAM_MO) {
        if (p->vlen != 1 || (p->val[0] != '0' && p->val[0] != '1'))
            return sg_error_set(e, SG_ERR_INVALID, F, "%s: mo must be 1 (two-way) or 0", p->where);
        return SG_OK;
    }
    sg_err err = add_sender_string(p->val, p->vlen, pv->from, &pv->n_from, F, p->where, e);
    if (err)
        return err;
    if (pv->n_from == 0)
        return sg_error_set(e, SG_ERR_INVALID, F, "%s has no value", p->where);
    pv->has_from = true;
    return SG_OK;
}

/* A params text in config: its from= line, when there is one, replaces the
 * senders *from / *n_from (so a PATCH with a new text replaces what an earlier
 * one wrote). */
static sg_err parse_params(json_t *config, char ***from, size_t *n_from, sg_error *e)
{
    json_t *params = json_object_get(config, "params");
    if (!params)
        return SG_OK;
    if (!json_is_string(params))
        return sg_error_set(e, SG_ERR_INVALID, "config.params",
                            "params must be a string: the API Parameters text, one key=value a "
                            "line (from=..., mo=1)");
    params_vals pv = {.from = calloc(SENDERS_MAX, sizeof(char *))};
    if (!pv.from)
        return sg_error_set(e, SG_ERR_NOMEM, "config.params", "out of memory");
    sg_err err = sg_cfg_params_parse(json_string_value(params), json_string_length(params),
                                     param_keys, params_value, &pv, e);
    if (err || !pv.has_from) {
        sg_cfg_free_list(pv.from, pv.n_from);
        return err;
    }
    sg_cfg_free_list(*from, *n_from);
    *from = pv.from;
    *n_from = pv.n_from;
    return SG_OK;
}

/* "Basic " + base64(user ":" pass). */
static char *basic_auth(const char *user, const char *pass)
{
    char plain[34 + 1 + SECRET_MAX + 1];
    int n = snprintf(plain, sizeof plain, "%s:%s", user, pass);
    if (n < 0 || (size_t)n >= sizeof plain)
        return NULL;
    size_t b64_len = sodium_base64_ENCODED_LEN((size_t)n, sodium_base64_VARIANT_ORIGINAL);
    char *out = malloc(6 + b64_len);
    if (out) {
        memcpy(out, "Basic ", 6);
        sodium_bin2base64(out + 6, b64_len, (const unsigned char *)plain, (size_t)n,
                          sodium_base64_VARIANT_ORIGINAL);
    }
    sodium_memzero(plain, sizeof plain);
    return out;
}

static void config_free(void *vcfg)
{
    twilio_cfg *c = vcfg;
    if (!c)
        return;
    free(c->account_sid);
    free(c->messaging_service_sid);
    sg_cfg_free_list(c->from, c->n_from);
    free(c->base_url);
    free(c->messages_url);
    if (c->auth_token) {
        sodium_memzero(c->auth_token, strlen(c->auth_token));
        free(c->auth_token);
    }
    if (c->authorization) {
        sodium_memzero(c->authorization, strlen(c->authorization));
        free(c->authorization);
    }
    free(c);
}

/* Validate and normalise config in place. A key whose value is JSON null counts as
 * absent and is removed (so a PATCH can clear an optional key). Nothing is written
 * back unless the whole config is valid: then from becomes an array (a params
 * text's from= line replacing the from key), params is gone, base_url is stored
 * without a trailing '/', and base_url and mps get their defaults. */
static void *config_load(json_t *config, sg_error *e)
{
    twilio_cfg *c = NULL;
    char **from = NULL;
    size_t n_from = 0;
    char *base_url = NULL;
    json_t *from_json = NULL;

    if (!json_is_object(config)) {
        sg_error_set(e, SG_ERR_INVALID, "config", "the twilio config must be a JSON object");
        goto fail;
    }
    static const char *const multiline[] = {"params", NULL}; /* the API Parameters text */
    if (sg_cfg_no_controls(config, multiline, e))
        goto fail;
    const char *key;
    json_t *val;
    void *tmp;
    json_object_foreach_safe(config, tmp, key, val)
    {
        size_t k = 0;
        while (known_keys[k] && strcmp(known_keys[k], key) != 0)
            k++;
        if (!known_keys[k]) {
            char field[64];
            sg_cfg_field(field, sizeof field, key);
            sg_error_set(e, SG_ERR_INVALID, field,
                         "unknown key '%.50s' in the twilio config (expected: " KNOWN_KEYS_TEXT ")",
                         key);
            goto fail;
        }
        if (json_is_null(val))
            json_object_del(config, key);
    }

    const char *account_sid, *auth_token, *api_key_sid, *api_key_secret, *service;
    if (get_sid(config, "account_sid", "AC", &account_sid, e) ||
        sg_cfg_string(config, "auth_token", 1, SECRET_MAX, false, &auth_token, e) ||
        get_sid(config, "api_key_sid", "SK", &api_key_sid, e) ||
        sg_cfg_string(config, "api_key_secret", 1, SECRET_MAX, false, &api_key_secret, e) ||
        get_sid(config, "messaging_service_sid", "MG", &service, e))
        goto fail;
    if (!account_sid) {
        sg_error_set(e, SG_ERR_INVALID, "config.account_sid",
                     "account_sid is required: 'AC' followed by 32 hexadecimal digits");
        goto fail;
    }
    if (!auth_token && !api_key_sid && !api_key_secret) {
        sg_error_set(e, SG_ERR_INVALID, "config.auth_token",
                     "auth_token is required (or api_key_sid with api_key_secret)");
        goto fail;
    }
    if (api_key_sid && !api_key_secret) {
        sg_error_set(e, SG_ERR_INVALID, "config.api_key_secret",
                     "api_key_secret is required with api_key_sid");
        goto fail;
    }
    if (api_key_secret && !api_key_sid) {
        sg_error_set(e, SG_ERR_INVALID, "config.api_key_sid",
                     "api_key_sid ('SK' followed by 32 hexadecimal digits) is required with "
                     "api_key_secret");
        goto fail;
    }

    if (parse_from(config, &from, &n_from, e) || parse_params(config, &from, &n_from, e))
        goto fail;
    if (n_from == 0 && !service) {
        sg_error_set(e, SG_ERR_INVALID, "config.from",
                     "from (one or more sender numbers) or messaging_service_sid is required");
        goto fail;
    }
    if (sg_cfg_base_url(config, DEFAULT_BASE_URL, &base_url, e))
        goto fail;

    double mps;
    bool mps_given;
    int64_t retry_for;
    if (sg_cfg_mps(config, &mps, &mps_given, e) || sg_cfg_retry_for(config, &retry_for, e))
        goto fail;

    c = calloc(1, sizeof *c);
    from_json = json_array();
    if (!c || !from_json)
        goto nomem;
    c->from = from;
    c->n_from = n_from;
    from = NULL;
    c->base_url = base_url;
    base_url = NULL;
    c->mps = mps;
    c->signs = auth_token != NULL;
    c->account_sid = strdup(account_sid);
    c->messaging_service_sid = service ? strdup(service) : NULL;
    c->auth_token = auth_token ? strdup(auth_token) : NULL;
    c->messages_url = malloc(strlen(c->base_url) + 128);
    /* With both, the API key sends (Twilio's advice: it can be revoked alone) and
     * the auth token only checks webhook signatures. */
    c->authorization =
        api_key_sid ? basic_auth(api_key_sid, api_key_secret) : basic_auth(account_sid, auth_token);
    if (!c->account_sid || (service && !c->messaging_service_sid) || !c->messages_url ||
        !c->authorization || (auth_token && !c->auth_token))
        goto nomem;
    snprintf(c->messages_url, strlen(c->base_url) + 128, "%s/2010-04-01/Accounts/%s/Messages.json",
             c->base_url, c->account_sid);
    for (size_t i = 0; i < c->n_from; i++) {
        if (json_array_append_new(from_json, json_string(c->from[i])))
            goto nomem;
    }

    /* Everything is valid: write the normalised form back. */
    if (json_object_set_new(config, "from", from_json)) {
        from_json = NULL;
        goto nomem;
    }
    from_json = NULL;
    if (json_object_set_new(config, "base_url", json_string(c->base_url)))
        goto nomem;
    if (!mps_given && json_object_set_new(config, "mps", json_integer(1)))
        goto nomem;
    json_object_del(config, "params");
    return c;

nomem:
    sg_error_set(e, SG_ERR_NOMEM, "config", "out of memory");
fail:
    sg_cfg_free_list(from, n_from);
    free(base_url);
    json_decref(from_json);
    config_free(c);
    return NULL;
}

static bool callbacks_signed(const void *vcfg)
{
    return ((const twilio_cfg *)vcfg)->signs;
}

const char *sg_twilio_cfg_auth_token(const void *vcfg)
{
    return ((const twilio_cfg *)vcfg)->auth_token;
}

const char *sg_twilio_cfg_service_sid(const void *vcfg)
{
    return ((const twilio_cfg *)vcfg)->messaging_service_sid;
}

static size_t senders(const void *vcfg, const char *const **out)
{
    const twilio_cfg *c = vcfg;
    *out = (const char *const *)c->from;
    return c->n_from;
}

/* ---- send --------------------------------------------------------------------------- */

static sg_err build_send(const void *vcfg, const sg_prov_message *m, sg_prov_request *req,
                         sg_error *e)
{
    const twilio_cfg *c = vcfg;
    sg_buf b;
    sg_err err = SG_OK;

    memset(req, 0, sizeof *req);
    sg_buf_init(&b, REQUEST_BODY_MAX);
    if (!m->to || !*m->to)
        return sg_error_set(e, SG_ERR_INVALID, "to", "the message has no recipient");
    if (!m->body)
        return sg_error_set(e, SG_ERR_INVALID, "body", "the message has no body");
    if (!m->from && !c->messaging_service_sid)
        return sg_error_set(e, SG_ERR_INVALID, "from",
                            "no sender: the message has no from and the twilio provider has no "
                            "messaging_service_sid");

    err = sg_form_add(&b, "To", m->to);
    if (!err)
        err = m->from ? sg_form_add(&b, "From", m->from)
                      : sg_form_add(&b, "MessagingServiceSid", c->messaging_service_sid);
    if (!err)
        err = sg_form_add(&b, "Body", m->body);
    if (!err && m->status_callback)
        err = sg_form_add(&b, "StatusCallback", m->status_callback);
    if (err == SG_ERR_TOO_LARGE) {
        sg_error_set(e, err, "body", "the twilio request would exceed %d bytes", REQUEST_BODY_MAX);
        goto out;
    }
    if (err)
        goto nomem;

    req->method = "POST";
    req->body_len = b.len;
    req->body = sg_buf_steal(&b);
    req->url = strdup(c->messages_url);
    if (!req->body || !req->url)
        goto nomem;
    err = sg_prov_request_add_header(req, "Authorization", c->authorization);
    if (!err)
        err = sg_prov_request_add_header(req, "Content-Type", "application/x-www-form-urlencoded");
    if (!err)
        err = sg_prov_request_add_header(req, "Accept", "application/json");
    if (err)
        goto nomem;
    return SG_OK;

nomem:
    err = sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory building the twilio request");
out:
    sg_buf_free(&b);
    sg_prov_request_free(req);
    return err;
}

/* ---- lookup (after a crash) ------------------------------------------------------- */

/* GET Messages.json?To=...&PageSize=50 (providers.md A.5): newest first. */
static sg_err build_lookup(const void *vcfg, const sg_prov_message *m, int64_t since_ms,
                           sg_prov_request *req, sg_error *e)
{
    const twilio_cfg *c = vcfg;
    memset(req, 0, sizeof *req);
    sg_buf q;
    sg_buf_init(&q, 512);
    sg_err err = sg_form_add(&q, "To", m->to);
    if (!err)
        err = sg_form_add(&q, "PageSize", "50");
    size_t len = strlen(c->messages_url) + q.len + 2;
    req->url = err ? NULL : malloc(len);
    if (req->url)
        snprintf(req->url, len, "%s?%s", c->messages_url, sg_buf_cstr(&q));
    sg_buf_free(&q);
    req->method = "GET";
    if (!req->url || sg_prov_request_add_header(req, "Authorization", c->authorization) ||
        sg_prov_request_add_header(req, "Accept", "application/json")) {
        sg_prov_request_free(req);
        return sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory building the twilio lookup");
    }
    return SG_OK;
}

/* Twilio's dates are RFC 2822 ("Sun, 22 Nov 2026 13:43:42 +0000"); ms or -1. */
static int64_t rfc2822_ms(const char *s)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    char mon[4];
    int day, year, hh, mm, ss;
    if (!s || sscanf(s, "%*3s, %d %3s %d %d:%d:%d", &day, mon, &year, &hh, &mm, &ss) != 6)
        return -1;
    const char *p = strstr(months, mon);
    if (!p || (p - months) % 3 || year < 1970 || year > 9999)
        return -1;
    int month = (int)(p - months) / 3 + 1;
    int64_t days = sg_days_from_civil(year, month, day);
    return ((days * 86400) + hh * 3600 + mm * 60 + ss) * 1000;
}

/* Every message of the page that could be m (same recipient and body, same sender
 * unless either is unknown, created since m with a second of slack for Twilio's
 * whole-second dates), newest first as Twilio lists them. Which one is m, if any,
 * this answer cannot say: the store decides (sg_store_outcome_found). */
static sg_lookup_outcome parse_lookup(const void *vcfg, const sg_prov_message *m, int64_t since_ms,
                                      long http_status, const char *body, size_t len,
                                      sg_lookup_matches *out)
{
    out->n = 0;
    if (http_status != 200)
        return SG_LOOKUP_UNKNOWN;
    json_t *doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
    json_t *list = json_object_get(doc, "messages");
    if (!json_is_array(list)) {
        json_decref(doc);
        return SG_LOOKUP_UNKNOWN;
    }
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item)
    {
        const char *to = json_string_value(json_object_get(item, "to"));
        const char *text = json_string_value(json_object_get(item, "body"));
        const char *from = json_string_value(json_object_get(item, "from"));
        const char *sid = json_string_value(json_object_get(item, "sid"));
        int64_t created = rfc2822_ms(json_string_value(json_object_get(item, "date_created")));
        if (out->n < SG_LOOKUP_MAX && to && text && sid && *sid && strcmp(to, m->to) == 0 &&
            strcmp(text, m->body) == 0 && (!m->from || !from || strcmp(from, m->from) == 0) &&
            created >= since_ms - 1000 && strlen(sid) < sizeof out->ids[0])
            snprintf(out->ids[out->n++], sizeof out->ids[0], "%s", sid);
    }
    json_decref(doc);
    return out->n ? SG_LOOKUP_FOUND : SG_LOOKUP_NOT_FOUND;
}

/* num_segments is a string in Twilio's JSON ("1", "0" via a Messaging Service);
 * an integer is tolerated. Anything else counts as unknown (0). */
static unsigned parse_segments(json_t *v)
{
    if (json_is_integer(v)) {
        json_int_t n = json_integer_value(v);
        return n > 0 && n <= 10000 ? (unsigned)n : 0;
    }
    if (!json_is_string(v))
        return 0;
    const char *s = json_string_value(v);
    unsigned n = 0;
    if (!*s || strlen(s) > 5)
        return 0;
    for (; *s; s++) {
        if (!is_digit(*s))
            return 0;
        n = n * 10 + (unsigned)(*s - '0');
    }
    return n;
}

static void parse_send(const void *vcfg, long http_status, const char *body, size_t len,
                       sg_prov_result *res)
{
    memset(res, 0, sizeof *res);
    json_t *root = len ? json_loadb(body, len, 0, NULL) : NULL;
    if (root && !json_is_object(root)) {
        json_decref(root);
        root = NULL;
    }

    if (http_status >= 200 && http_status < 300) {
        json_t *sid = json_object_get(root, "sid");
        if (json_is_string(sid) && json_string_length(sid) > 0 &&
            json_string_length(sid) < sizeof res->message_id &&
            strlen(json_string_value(sid)) == json_string_length(sid)) {
            res->outcome = SG_SEND_ACCEPTED;
            sg_cfg_copy_text(res->message_id, sizeof res->message_id, json_string_value(sid),
                             json_string_length(sid));
            res->segments = parse_segments(json_object_get(root, "num_segments"));
        } else {
            /* Twilio may well have queued the message, but without a sid nothing can
             * be tracked. Retrying could send it twice, so it fails permanently. */
            res->outcome = SG_SEND_PERMANENT;
            snprintf(res->error_message, sizeof res->error_message,
                     "[HTTP %ld] Twilio's answer has no message sid; the outcome is unknown and "
                     "the message is not retried to avoid sending it twice",
                     http_status);
        }
        json_decref(root);
        return;
    }

    json_t *code = json_object_get(root, "code");
    json_t *message = json_object_get(root, "message");
    json_int_t code_num = 0;
    if (json_is_integer(code)) {
        code_num = json_integer_value(code);
        snprintf(res->error_code, sizeof res->error_code, "%" JSON_INTEGER_FORMAT, code_num);
    } else if (json_is_string(code)) {
        sg_cfg_copy_text(res->error_code, sizeof res->error_code, json_string_value(code),
                         json_string_length(code));
        code_num = strtoll(res->error_code, NULL, 10);
    }
    if (json_is_string(message) && json_string_length(message) > 0)
        sg_cfg_copy_text(res->error_message, sizeof res->error_message, json_string_value(message),
                         json_string_length(message));
    else /* twilio-node's wording for an answer it cannot read */
        snprintf(res->error_message, sizeof res->error_message,
                 "[HTTP %ld] Failed to execute request", http_status);
    json_decref(root);

    /* 429/20429 means the request was not processed (REST concurrency limit), 408
     * that the request timed out before it was read, and 5xx is Twilio's own
     * trouble: all are safe to retry. Every other 4xx is about this message or this
     * account and would fail again. */
    if (http_status == 429 || http_status == 408 || code_num == 20429 ||
        (http_status >= 500 && http_status < 600))
        res->outcome = SG_SEND_RETRYABLE;
    else
        res->outcome = SG_SEND_PERMANENT;
    /* 21610: the recipient replied STOP to this sender; smsgate mirrors it. */
    res->opted_out = code_num == 21610;
}

static const sg_config_key config_keys[] = {
    {.key = "account_sid",
     .metavar = "AC...",
     .label = "Account SID",
     .help = "The account's identifier, on the Twilio console's dashboard.",
     .flags = SG_CONFIG_REQUIRED},
    {.key = "auth_token",
     .metavar = "TOKEN",
     .label = "Auth Token",
     .help = "Sends, and checks the signatures of Twilio's webhooks.",
     .flags = SG_CONFIG_SECRET,
     .one_of = "credentials:auth_token"},
    {.key = "api_key_sid",
     .metavar = "SK...",
     .label = "API Key SID",
     .help = "Sends with an API key instead of the Auth Token (give the Auth Token too to "
             "check webhook signatures).",
     .one_of = "credentials:api_key"},
    {.key = "api_key_secret",
     .metavar = "SECRET",
     .label = "API Key Secret",
     .help = "The API key's secret.",
     .flags = SG_CONFIG_SECRET,
     .one_of = "credentials:api_key"},
    {.key = "from",
     .metavar = "SENDERS",
     .label = "From number(s)",
     .help = "The sender pool, '+1...|+1...' (11 to 15 digits without '+' are an "
             "international number).",
     .one_of = "sender:from"},
    {.key = "messaging_service_sid",
     .metavar = "MG...",
     .label = "Messaging Service SID",
     .help = "A Messaging Service, which picks the sender of messages that name none.",
     .one_of = "sender:messaging_service_sid"},
    {.key = "params",
     .metavar = "TEXT",
     .label = "API Parameters",
     .help = "CiviCRM's API Parameters text: from=...|... and mo=1 lines.",
     .flags = SG_CONFIG_ADVANCED | SG_CONFIG_MULTILINE,
     .one_of = "sender:params"},
    {.key = "base_url",
     .metavar = "URL",
     .label = "API base URL",
     .help = "Where the Twilio API answers; a simulator's address when testing.",
     .flags = SG_CONFIG_ADVANCED,
     .def = DEFAULT_BASE_URL},
    {.key = "mps",
     .metavar = "N",
     .label = "Messages per second",
     .help = "Sends per second per sender.",
     .type = SG_CONFIG_NUMBER,
     .def = "1"},
    {.key = "callback_secret",
     .metavar = "SECRET",
     .label = "Callback secret",
     .help = "The secret in the callback URLs when there is no Auth Token to check "
             "signatures with; made up when not given.",
     .flags = SG_CONFIG_SECRET | SG_CONFIG_ADVANCED},
    {.key = "allow_from",
     .metavar = "CIDR,...",
     .label = "Allowed callback networks",
     .help = "The networks (CIDR) callbacks may come from; any when not given.",
     .type = SG_CONFIG_LIST,
     .flags = SG_CONFIG_ADVANCED},
    {.key = NULL},
};

const sg_provider_kind sg_twilio_kind = {
    .name = "twilio",
    .label = "Twilio",
    .description = "Twilio's Programmable Messaging API (2010-04-01 Messages resource), with "
                   "signed status and incoming-message webhooks.",
    .errors = sg_twilio_errors,
    .sim = &sg_twilio_sim_kind,
    .url_secret = true,
    .callbacks_signed = callbacks_signed,
    .config_load = config_load,
    .config_free = config_free,
    .senders = senders,
    .build_send = build_send,
    .build_lookup = build_lookup,
    .parse_lookup = parse_lookup,
    .parse_send = parse_send,
    .config_keys = config_keys,
    .callback_read = sg_twilio_cb_read,
    .callback_verify = sg_twilio_cb_verify,
    .parse_status_cb = sg_twilio_cb_status,
    .parse_inbound_cb = sg_twilio_cb_inbound,
    .callback_answer_type = "text/xml",
    .callback_answer = SG_TWIML_EMPTY,
};
