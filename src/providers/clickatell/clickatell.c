/* The Clickatell drivers (providers.md B.1-B.3), sans-I/O: config validation
 * (including CiviCRM's "API Parameters" text), the send request of the legacy
 * HTTP API and of the Platform REST API, and the classification of their
 * answers. Nothing here opens a socket. */
#include "providers/clickatell/clickatell.h"
#include "providers/config_fields.h"

#include "core/gsm7.h"
#include "util/buf.h"
#include "util/form.h"
#include "util/utf8.h"

#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LEGACY_BASE_URL   "https://api.clickatell.com"
#define PLATFORM_BASE_URL "https://platform.clickatell.com"
#define SECRET_MAX        128
#define USERNAME_MAX      128
#define API_ID_MAX        32
#define SENDERS_MAX       100
#define CLIMSGID_MAX      32   /* Clickatell: up to 32 characters */
#define MSISDN_MAX        15   /* digits of an international number */
#define SENDER_MAX        16   /* "+" and 15 digits, or 11 letters */
#define ERRCODE_DIGITS    4
/* Form or JSON fields, a 1600-character body as UCS-2 hex (8 hex digits per
 * character at worst) or percent-encoded UTF-8 (12 bytes at worst): ample. */
#define REQUEST_BODY_MAX (64 * 1024)

typedef enum ckt_kind {
    KIND_LEGACY = 0,
    KIND_PLATFORM,
} ckt_kind;

typedef struct ckt_cfg {
    ckt_kind kind;
    char **from; /* n_from senders, normalised ("+27...", "12345" or "MyShop") */
    size_t n_from;
    char *base_url; /* without a trailing '/' */
    double mps;
    char *url; /* precomputed: {base_url}/http/sendmsg or {base_url}/messages */
    /* legacy */
    char *username;
    char *password; /* secret, wiped on free */
    char *api_id;
    bool mo;
    /* platform */
    char *api_key; /* secret, wiped on free */
} ckt_cfg;

/* callback_secret and allow_from are checked by smsgate's callback layer
 * (api/provider_admin.c), not used by the driver. */
static const char *const legacy_keys[] = {
    "username",
    "password",
    "api_id",
    "from",
    "mo",
    "base_url",
    "mps",
    "params",
    "callback_secret",
    "allow_from",
    "retry_for_seconds",
    NULL,
};
#define LEGACY_KEYS_TEXT                                                                           \
    "username, password, api_id, from, mo, base_url, mps, params, callback_secret, allow_from, "   \
    "retry_for_seconds"

static const char *const platform_keys[] = {
    "api_key",         "from",       "base_url",          "mps",
    "callback_secret", "allow_from", "retry_for_seconds", NULL};
#define PLATFORM_KEYS_TEXT                                                                         \
    "api_key, from, base_url, mps, callback_secret, allow_from, retry_for_seconds"

/* ---- small helpers ------------------------------------------------------------------ */

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

/* ---- config: single values ---------------------------------------------------------- */

/* An API ID: 1 to 32 letters and digits (Clickatell's are numbers). */
static bool api_id_valid(const char *s, size_t len)
{
    if (len == 0 || len > API_ID_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (!is_alnum(s[i]))
            return false;
    }
    return true;
}

/* api_id as a string, or as a JSON integer (written back as a string). */
static sg_err get_api_id(json_t *config, char out[API_ID_MAX + 1], bool *found, sg_error *e)
{
    *found = false;
    json_t *v = json_object_get(config, "api_id");
    if (!v)
        return SG_OK;
    if (json_is_integer(v) && json_integer_value(v) > 0) {
        snprintf(out, API_ID_MAX + 1, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        *found = true;
        return SG_OK;
    }
    if (json_is_string(v) && api_id_valid(json_string_value(v), json_string_length(v)) &&
        strlen(json_string_value(v)) == json_string_length(v)) {
        snprintf(out, API_ID_MAX + 1, "%s", json_string_value(v));
        *found = true;
        return SG_OK;
    }
    return sg_error_set(e, SG_ERR_INVALID, "config.api_id",
                        "api_id must be the HTTP API's ID: 1 to %d letters and digits (a number "
                        "such as 3456789)",
                        API_ID_MAX);
}

/* ---- config: senders ---------------------------------------------------------------- */

/* Normalise one sender into out (SENDER_MAX + 1 bytes): "+" and 2 to 15 digits
 * stays; 9 to 15 digits not starting with 0 is an international number written
 * Clickatell's way (no "+") and gets one; 3 to 8 digits is a short code; 1 to 11
 * letters, digits and spaces with at least one letter is an alphanumeric sender
 * ID. Anything else is refused. */
static bool normalise_sender(const char *s, size_t len, char *out)
{
    if (len == 0)
        return false;
    if (s[0] == '+') {
        if (len < 3 || len > 1 + MSISDN_MAX || !all_digits(s + 1, len - 1))
            return false;
        memcpy(out, s, len);
        out[len] = '\0';
        return true;
    }
    if (all_digits(s, len)) {
        if (len >= 3 && len <= 8) {
            memcpy(out, s, len);
            out[len] = '\0';
            return true;
        }
        if (len >= 9 && len <= MSISDN_MAX && s[0] != '0') {
            out[0] = '+';
            memcpy(out + 1, s, len);
            out[len + 1] = '\0';
            return true;
        }
        return false;
    }
    bool letter = false;
    for (size_t i = 0; i < len; i++) {
        if (is_alpha(s[i]))
            letter = true;
        else if (!is_digit(s[i]) && s[i] != ' ')
            return false;
    }
    if (!letter || len > 11)
        return false;
    memcpy(out, s, len);
    out[len] = '\0';
    return true;
}

/* Check one sender (item is its 1-based position) and append its normalised copy
 * to list, refusing duplicates and more than SENDERS_MAX senders. ctx starts the
 * message ("from", or "params line 2 ('from=...')") and field is where errors go. */
static sg_err add_sender(const char *s, size_t len, size_t item, char **list, size_t *n,
                         const char *field, const char *ctx, sg_error *e)
{
    char norm[SENDER_MAX + 1];
    sg_cfg_trim(&s, &len);
    if (len == 0)
        return sg_error_set(e, SG_ERR_INVALID, field,
                            "%s: sender %zu is empty; expected an E.164 number (+27831234567), a "
                            "short code or an alphanumeric sender ID",
                            ctx, item);
    if (*n >= SENDERS_MAX)
        return sg_error_set(e, SG_ERR_INVALID, field, "%s holds more than %d senders", ctx,
                            SENDERS_MAX);
    if (memchr(s, '\0', len) || !normalise_sender(s, len, norm)) {
        char shown[40];
        sg_cfg_copy_text(shown, sizeof shown, s, strnlen(s, len));
        return sg_error_set(e, SG_ERR_INVALID, field,
                            "%s: sender %zu ('%s') is not a phone number (+27831234567, or "
                            "27831234567 as Clickatell writes it), a short code (3 to 8 digits) "
                            "or an alphanumeric sender ID (1 to 11 letters, digits or spaces)",
                            ctx, item, shown);
    }
    for (size_t i = 0; i < *n; i++) {
        if (strcmp(list[i], norm) == 0)
            return sg_error_set(e, SG_ERR_INVALID, field, "%s lists sender '%s' twice", ctx, norm);
    }
    list[*n] = strdup(norm);
    if (!list[*n])
        return sg_error_set(e, SG_ERR_NOMEM, field, "out of memory");
    (*n)++;
    return SG_OK;
}

/* Senders given as one string "a|b|c" (CiviCRM's style); "" or blanks only
 * means none. */
static sg_err add_sender_string(const char *s, size_t len, char **list, size_t *n,
                                const char *field, const char *ctx, sg_error *e)
{
    const char *t = s;
    size_t tlen = len;
    sg_cfg_trim(&t, &tlen);
    if (tlen == 0)
        return SG_OK;
    size_t start = 0, item = 1;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || s[i] == '|') {
            sg_err err = add_sender(s + start, i - start, item++, list, n, field, ctx, e);
            if (err)
                return err;
            start = i + 1;
        }
    }
    return SG_OK;
}

/* from: an array of senders, or one string "a|b|c". */
static sg_err parse_from(json_t *config, char **list, size_t *n, sg_error *e)
{
    json_t *v = json_object_get(config, "from");
    if (!v)
        return SG_OK;
    if (json_is_string(v))
        return add_sender_string(json_string_value(v), json_string_length(v), list, n,
                                 "config.from", "from", e);
    if (json_is_array(v)) {
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item)
        {
            if (!json_is_string(item))
                return sg_error_set(e, SG_ERR_INVALID, "config.from",
                                    "from: sender %zu must be a string", i + 1);
            sg_err err = add_sender(json_string_value(item), json_string_length(item), i + 1, list,
                                    n, "config.from", "from", e);
            if (err)
                return err;
        }
        return SG_OK;
    }
    return sg_error_set(e, SG_ERR_INVALID, "config.from",
                        "from must be an array of senders or one string \"+27...|+27...\"");
}

/* ---- config: base_url, mps ---------------------------------------------------------- */

/* mo: true/false, or 0/1 as the API Parameters text writes it. */
static sg_err parse_mo(json_t *config, int *out, sg_error *e)
{
    json_t *v = json_object_get(config, "mo");
    if (!v)
        return SG_OK;
    if (json_is_boolean(v)) {
        *out = json_is_true(v);
        return SG_OK;
    }
    if (json_is_integer(v) && (json_integer_value(v) == 0 || json_integer_value(v) == 1)) {
        *out = (int)json_integer_value(v);
        return SG_OK;
    }
    return sg_error_set(e, SG_ERR_INVALID, "config.mo",
                        "mo must be true (two-way: replies come back) or false");
}

/* ---- config: the API Parameters text ------------------------------------------------ */

/* What the params text said; has_* tell which lines were present. */
typedef struct params_vals {
    bool has_api_id, has_from, has_mo;
    char api_id[API_ID_MAX + 1];
    char **from; /* SENDERS_MAX slots */
    size_t n_from;
    int mo;
} params_vals;

/* One line of the API Parameters text (sg_cfg_params_parse): api_id, from
 * (several senders separated by '|') or mo (0 or 1). */
enum { PARAM_API_ID, PARAM_FROM, PARAM_MO };
static const char *const param_keys[] = {"api_id", "from", "mo", NULL};

static sg_err params_value(const sg_cfg_param *p, void *ctx, sg_error *e)
{
    static const char *const F = "config.params";
    params_vals *pv = ctx;
    if (p->key == PARAM_API_ID) {
        if (!api_id_valid(p->val, p->vlen))
            return sg_error_set(e, SG_ERR_INVALID, F, "%s: api_id must be 1 to %d letters and digits",
                                p->where, API_ID_MAX);
        memcpy(pv->api_id, p->val, p->vlen);
        pv->api_id[p->vlen] = '\0';
        pv->has_api_id = true;
    } else if (p->key == PARAM_MO) {
        if (p->vlen != 1 || (p->val[0] != '0' && p->val[0] != '1'))
            return sg_error_set(e, SG_ERR_INVALID, F, "%s: mo must be 1 (two-way) or 0", p->where);
        pv->mo = p->val[0] == '1';
        pv->has_mo = true;
    } else {
        sg_err err = add_sender_string(p->val, p->vlen, pv->from, &pv->n_from, F, p->where, e);
        if (err)
            return err;
        if (pv->n_from == 0)
            return sg_error_set(e, SG_ERR_INVALID, F, "%s has no value", p->where);
        pv->has_from = true;
    }
    return SG_OK;
}

/* Parse the API Parameters text of CiviCRM's Clickatell guide: keys api_id,
 * from and mo (config_fields.h has the rules every kind shares). */
static sg_err parse_params(const char *s, size_t len, params_vals *pv, sg_error *e)
{
    return sg_cfg_params_parse(s, len, param_keys, params_value, pv, e);
}

/* ---- config: load / free ------------------------------------------------------------ */

static void wipe_free(char *s)
{
    if (s) {
        sodium_memzero(s, strlen(s));
        free(s);
    }
}

const char *sg_ck_cfg_api_id(const void *vcfg)
{
    return ((const ckt_cfg *)vcfg)->api_id;
}

static void config_free(void *vcfg)
{
    ckt_cfg *c = vcfg;
    if (!c)
        return;
    sg_cfg_free_list(c->from, c->n_from);
    free(c->base_url);
    free(c->url);
    free(c->username);
    wipe_free(c->password);
    free(c->api_id);
    wipe_free(c->api_key);
    free(c);
}

/* Refuse unknown keys (naming the expected ones) and drop keys set to null, so
 * that a PATCH can clear an optional key. */
static bool check_keys(json_t *config, const char *kind, const char *const *known,
                       const char *known_text, sg_error *e)
{
    const char *key;
    json_t *val;
    void *tmp;
    json_object_foreach_safe(config, tmp, key, val)
    {
        size_t k = 0;
        while (known[k] && strcmp(known[k], key) != 0)
            k++;
        if (!known[k]) {
            char field[64];
            sg_cfg_field(field, sizeof field, key);
            sg_error_set(e, SG_ERR_INVALID, field,
                         "unknown key '%.50s' in the %s config (expected: %s)", key, kind,
                         known_text);
            return false;
        }
        if (json_is_null(val))
            json_object_del(config, key);
    }
    return true;
}

/* The fields both kinds share: from (unless c already holds the senders, from a
 * params text), base_url, mps and retry_for_seconds (checked here, read by the
 * dispatcher's registry). What is parsed is c's, even on failure. */
static bool load_common(json_t *config, ckt_cfg *c, const char *dflt_url, sg_error *e)
{
    if (!c->from) {
        c->from = calloc(SENDERS_MAX, sizeof *c->from);
        if (!c->from) {
            sg_error_set(e, SG_ERR_NOMEM, "config", "out of memory");
            return false;
        }
        if (parse_from(config, c->from, &c->n_from, e))
            return false;
    }
    int64_t retry_for;
    if (sg_cfg_base_url(config, dflt_url, &c->base_url, e) ||
        sg_cfg_mps(config, &c->mps, NULL, e) || sg_cfg_retry_for(config, &retry_for, e))
        return false;
    return true;
}

/* Write the normalised config back: from as an array, base_url without a
 * trailing '/', mps with its default. Only called once everything is valid. */
static bool write_common(json_t *config, const ckt_cfg *c)
{
    json_t *from = json_array();
    if (!from)
        return false;
    for (size_t i = 0; i < c->n_from; i++) {
        if (json_array_append_new(from, json_string(c->from[i]))) {
            json_decref(from);
            return false;
        }
    }
    if (json_object_set_new(config, "from", from) ||
        json_object_set_new(config, "base_url", json_string(c->base_url)))
        return false;
    if (!json_object_get(config, "mps") && json_object_set_new(config, "mps", json_integer(1)))
        return false;
    return true;
}

static char *join_url(const char *base, const char *path)
{
    size_t n = strlen(base) + strlen(path) + 1;
    char *u = malloc(n);
    if (u)
        snprintf(u, n, "%s%s", base, path);
    return u;
}

/* Validate and normalise a legacy config in place. A params text is parsed into
 * api_id, from and mo; its lines take precedence over those keys (so that a
 * PATCH with a new params text replaces what an earlier one wrote). Nothing is
 * written back unless the whole config is valid: then api_id is a string, from
 * an array, mo a boolean, base_url and mps are filled in, and params is gone. */
static void *legacy_config_load(json_t *config, sg_error *e)
{
    ckt_cfg *c = NULL;
    params_vals pv = {.mo = -1};

    if (!json_is_object(config)) {
        sg_error_set(e, SG_ERR_INVALID, "config", "the clickatell config must be a JSON object");
        return NULL;
    }
    static const char *const multiline[] = {"params", NULL}; /* the API Parameters text */
    if (!check_keys(config, "clickatell", legacy_keys, LEGACY_KEYS_TEXT, e) ||
        sg_cfg_no_controls(config, multiline, e))
        return NULL;

    pv.from = calloc(SENDERS_MAX, sizeof *pv.from);
    c = calloc(1, sizeof *c);
    if (!pv.from || !c)
        goto nomem;
    c->kind = KIND_LEGACY;

    json_t *params = json_object_get(config, "params");
    if (params) {
        if (!json_is_string(params)) {
            sg_error_set(e, SG_ERR_INVALID, "config.params",
                         "params must be a string: the API Parameters text, one key=value a line");
            goto fail;
        }
        if (parse_params(json_string_value(params), json_string_length(params), &pv, e))
            goto fail;
    }

    const char *username, *password;
    char api_id[API_ID_MAX + 1] = "";
    bool has_api_id = false;
    int mo = 0;
    if (sg_cfg_string(config, "username", 1, USERNAME_MAX, false, &username, e) ||
        sg_cfg_string(config, "password", 1, SECRET_MAX, false, &password, e) ||
        get_api_id(config, api_id, &has_api_id, e) || parse_mo(config, &mo, e))
        goto fail;
    if (pv.has_api_id) {
        snprintf(api_id, sizeof api_id, "%s", pv.api_id);
        has_api_id = true;
    }
    if (pv.has_mo)
        mo = pv.mo;
    if (!username) {
        sg_error_set(e, SG_ERR_INVALID, "config.username",
                     "username is required: the Clickatell account's user name");
        goto fail;
    }
    if (!password) {
        sg_error_set(e, SG_ERR_INVALID, "config.password",
                     "password is required: the Clickatell account's password");
        goto fail;
    }
    if (!has_api_id) {
        sg_error_set(e, SG_ERR_INVALID, "config.api_id",
                     "api_id is required: the ID of the account's HTTP API (or an api_id= line "
                     "in params)");
        goto fail;
    }

    if (pv.has_from) { /* the params text's senders replace the from key */
        c->from = pv.from;
        c->n_from = pv.n_from;
        pv.from = NULL;
        pv.n_from = 0;
    }
    if (!load_common(config, c, LEGACY_BASE_URL, e))
        goto fail;
    c->mo = mo == 1;
    c->username = strdup(username);
    c->password = strdup(password);
    c->api_id = strdup(api_id);
    c->url = join_url(c->base_url, "/http/sendmsg");
    if (!c->username || !c->password || !c->api_id || !c->url)
        goto nomem;

    /* Everything is valid: write the normalised form back. */
    if (!write_common(config, c) || json_object_set_new(config, "api_id", json_string(api_id)) ||
        json_object_set_new(config, "mo", json_boolean(c->mo)))
        goto nomem;
    json_object_del(config, "params");
    free(pv.from);
    return c;

nomem:
    sg_error_set(e, SG_ERR_NOMEM, "config", "out of memory");
fail:
    sg_cfg_free_list(pv.from, pv.n_from);
    config_free(c);
    return NULL;
}

/* An API key goes into a header as it is: printable ASCII without spaces. */
static bool api_key_valid(const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
            return false;
    }
    return true;
}

static void *platform_config_load(json_t *config, sg_error *e)
{
    ckt_cfg *c = NULL;
    if (!json_is_object(config)) {
        sg_error_set(e, SG_ERR_INVALID, "config",
                     "the clickatell-platform config must be a JSON object");
        return NULL;
    }
    if (!check_keys(config, "clickatell-platform", platform_keys, PLATFORM_KEYS_TEXT, e) ||
        sg_cfg_no_controls(config, NULL, e))
        return NULL;
    const char *api_key;
    if (sg_cfg_string(config, "api_key", 1, SECRET_MAX, false, &api_key, e))
        return NULL;
    if (!api_key) {
        sg_error_set(e, SG_ERR_INVALID, "config.api_key",
                     "api_key is required: the API key of the Clickatell integration");
        return NULL;
    }
    if (!api_key_valid(api_key)) {
        sg_error_set(e, SG_ERR_INVALID, "config.api_key",
                     "api_key must be printable ASCII without spaces");
        return NULL;
    }
    c = calloc(1, sizeof *c);
    if (!c)
        goto nomem;
    c->kind = KIND_PLATFORM;
    if (!load_common(config, c, PLATFORM_BASE_URL, e))
        goto fail;
    c->api_key = strdup(api_key);
    c->url = join_url(c->base_url, "/messages");
    if (!c->api_key || !c->url)
        goto nomem;
    if (!write_common(config, c))
        goto nomem;
    return c;

nomem:
    sg_error_set(e, SG_ERR_NOMEM, "config", "out of memory");
fail:
    config_free(c);
    return NULL;
}

static size_t senders(const void *vcfg, const char *const **out)
{
    const ckt_cfg *c = vcfg;
    *out = (const char *const *)c->from;
    return c->n_from;
}

/* ---- send: text encodings ----------------------------------------------------------- */

/* The legacy API reads text as ISO-8859-1 unless unicode=1. Returns 1 with a
 * new string in *out, 0 when a character is not in ISO-8859-1 (the Greek
 * capitals and the euro sign of GSM-7), -1 out of memory. */
static int to_latin1(const char *utf8, size_t len, char **out)
{
    char *o = malloc(len + 1);
    if (!o)
        return -1;
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        i += sg_utf8_next(utf8 + i, len - i, &cp); /* sg_sms_analyze checked it */
        if (cp > 0xFF) {
            free(o);
            return 0;
        }
        o[n++] = (char)cp;
    }
    o[n] = '\0';
    *out = o;
    return 1;
}

/* The UTF-16BE code units of the text as upper-case hex, 4 digits a unit, a
 * surrogate pair for a character beyond the BMP; *segments gets the UCS-2
 * segment count (70 in one part, else parts of 67 units that never split a
 * pair), the same rule as sg_sms_analyze. NULL when out of memory. */
static char *to_ucs2_hex(const char *utf8, size_t len, unsigned *segments)
{
    static const char hex[] = "0123456789ABCDEF";
    char *o = malloc(len * 8 + 1);
    if (!o)
        return NULL;
    size_t n = 0, units = 0;
    unsigned parts = 0, fill = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp, u[2];
        i += sg_utf8_next(utf8 + i, len - i, &cp); /* sg_sms_analyze checked it */
        size_t k = 1;
        if (cp > 0xFFFF) {
            u[0] = 0xD800 + ((cp - 0x10000) >> 10);
            u[1] = 0xDC00 + ((cp - 0x10000) & 0x3FF);
            k = 2;
        } else {
            u[0] = cp;
        }
        for (size_t j = 0; j < k; j++) {
            for (int shift = 12; shift >= 0; shift -= 4)
                o[n++] = hex[(u[j] >> shift) & 0xF];
        }
        units += k;
        if (parts == 0 || fill + k > 67) {
            parts++;
            fill = (unsigned)k;
        } else {
            fill += (unsigned)k;
        }
    }
    o[n] = '\0';
    *segments = units == 0 ? 0 : units <= 70 ? 1 : parts;
    return o;
}

/* "+27831234567" or "27831234567" → "27831234567" (Clickatell's to). */
static bool msisdn_digits(const char *s, char out[MSISDN_MAX + 1])
{
    if (!s)
        return false;
    if (*s == '+')
        s++;
    size_t len = strnlen(s, MSISDN_MAX + 1);
    if (len < 2 || len > MSISDN_MAX || !all_digits(s, len))
        return false;
    memcpy(out, s, len + 1);
    return true;
}

/* A sender as Clickatell wants it: a number without its "+", else as it is. */
static bool sender_param(const char *s, char out[SENDER_MAX + 1])
{
    size_t len = strnlen(s, SENDER_MAX + 1);
    if (len == 0 || len > SENDER_MAX)
        return false;
    if (s[0] == '+') {
        s++;
        len--;
    }
    for (size_t i = 0; i < len; i++) {
        if (!is_alnum(s[i]) && s[i] != ' ')
            return false;
    }
    memcpy(out, s, len);
    out[len] = '\0';
    return true;
}

/* The checks both kinds make before building anything. */
static sg_err check_message(const sg_prov_message *m, char to[MSISDN_MAX + 1],
                            char from[SENDER_MAX + 1], sg_sms_info *info, sg_error *e)
{
    if (!m->to || !*m->to)
        return sg_error_set(e, SG_ERR_INVALID, "to", "the message has no recipient");
    if (!msisdn_digits(m->to, to))
        return sg_error_set(e, SG_ERR_INVALID, "to",
                            "Clickatell needs the recipient as an international number "
                            "(+27831234567)");
    from[0] = '\0';
    if (m->from && !sender_param(m->from, from))
        return sg_error_set(e, SG_ERR_INVALID, "from",
                            "the sender must be a phone number, a short code or an "
                            "alphanumeric sender ID");
    if (!m->body)
        return sg_error_set(e, SG_ERR_INVALID, "body", "the message has no body");
    if (sg_sms_analyze(m->body, strlen(m->body), info) == SG_TEXT_INVALID_UTF8)
        return sg_error_set(e, SG_ERR_INVALID, "body", "the body is not valid UTF-8");
    if (info->chars == 0)
        return sg_error_set(e, SG_ERR_INVALID, "body",
                            "the body is empty (Clickatell refuses empty messages)");
    if (m->id) {
        size_t len = strnlen(m->id, CLIMSGID_MAX + 1);
        bool ok = len > 0 && len <= CLIMSGID_MAX;
        for (size_t i = 0; ok && i < len; i++)
            ok = is_alnum(m->id[i]) || m->id[i] == '_' || m->id[i] == '-';
        if (!ok)
            return sg_error_set(e, SG_ERR_INVALID, "id",
                                "the message id does not fit Clickatell's client message ID "
                                "(1 to %d letters, digits, '_' or '-')",
                                CLIMSGID_MAX);
    }
    return SG_OK;
}

/* ---- send: legacy ------------------------------------------------------------------- */

/* POST {base_url}/http/sendmsg, form-encoded: user, password, api_id, to, text,
 * from, mo, callback=3 (intermediate and final statuses), climsgid, concat and,
 * for a UCS-2 message, unicode=1 with text as UTF-16BE hex. A GSM-7 message is
 * sent as ISO-8859-1 (the API's default); one holding a GSM-7 character that
 * ISO-8859-1 lacks (Greek capitals, the euro sign) goes as UCS-2 instead, with
 * its segment count recomputed for UCS-2. */
static sg_err legacy_build_send(const ckt_cfg *c, const sg_prov_message *m, sg_prov_request *req,
                                sg_error *e)
{
    char to[MSISDN_MAX + 1], from[SENDER_MAX + 1], concat[16];
    sg_sms_info info;
    sg_buf b;
    char *text = NULL;
    sg_err err = check_message(m, to, from, &info, e);
    if (err)
        return err;

    size_t len = strlen(m->body);
    bool ucs2 = info.encoding == SG_ENC_UCS2;
    unsigned parts = info.segments;
    if (!ucs2) {
        int r = to_latin1(m->body, len, &text);
        if (r < 0)
            return sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory");
        ucs2 = r == 0;
    }
    if (ucs2 && !(text = to_ucs2_hex(m->body, len, &parts)))
        return sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory");
    snprintf(concat, sizeof concat, "%u", parts);

    sg_buf_init(&b, REQUEST_BODY_MAX);
    err = sg_form_add(&b, "user", c->username);
    if (!err)
        err = sg_form_add(&b, "password", c->password);
    if (!err)
        err = sg_form_add(&b, "api_id", c->api_id);
    if (!err)
        err = sg_form_add(&b, "to", to);
    if (!err)
        err = sg_form_add(&b, "text", text);
    if (!err && from[0])
        err = sg_form_add(&b, "from", from);
    if (!err && c->mo)
        err = sg_form_add(&b, "mo", "1");
    if (!err)
        err = sg_form_add(&b, "callback", "3");
    if (!err && m->id)
        err = sg_form_add(&b, "climsgid", m->id);
    if (!err)
        err = sg_form_add(&b, "concat", concat);
    if (!err && ucs2)
        err = sg_form_add(&b, "unicode", "1");
    free(text);
    if (err == SG_ERR_TOO_LARGE) {
        sg_error_set(e, err, "body", "the clickatell request would exceed %d bytes",
                     REQUEST_BODY_MAX);
        goto out;
    }
    if (err)
        goto nomem;

    req->method = "POST";
    req->body_len = b.len;
    req->body = sg_buf_steal(&b);
    req->url = strdup(c->url);
    if (!req->body || !req->url)
        goto nomem;
    if (sg_prov_request_add_header(req, "Content-Type", "application/x-www-form-urlencoded"))
        goto nomem;
    return SG_OK;

nomem:
    err = sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory building the clickatell request");
out:
    /* the form body holds the password */
    if (b.data)
        sodium_memzero(b.data, b.len);
    sg_buf_free(&b);
    if (req->body)
        sodium_memzero(req->body, req->body_len);
    sg_prov_request_free(req);
    return err;
}

/* ---- send: platform ----------------------------------------------------------------- */

/* POST {base_url}/messages with the raw API key as Authorization and the JSON
 * {"content", "to": ["<digits>"], "from"?, "clientMessageId"?, "charset": "UTF-8"};
 * Clickatell picks the encoding and the parts itself. */
static sg_err platform_build_send(const ckt_cfg *c, const sg_prov_message *m, sg_prov_request *req,
                                  sg_error *e)
{
    char to[MSISDN_MAX + 1], from[SENDER_MAX + 1];
    sg_sms_info info;
    sg_err err = check_message(m, to, from, &info, e);
    if (err)
        return err;

    char *dump = NULL;
    json_t *o = json_pack("{s:s, s:[s]}", "content", m->body, "to", to);
    if (!o)
        goto nomem;
    if (from[0] && json_object_set_new(o, "from", json_string(from)))
        goto nomem;
    if (m->id && json_object_set_new(o, "clientMessageId", json_string(m->id)))
        goto nomem;
    if (json_object_set_new(o, "charset", json_string("UTF-8")))
        goto nomem;
    dump = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    o = NULL;
    if (!dump)
        goto nomem;
    size_t len = strlen(dump);
    if (len > REQUEST_BODY_MAX) {
        free(dump);
        return sg_error_set(e, SG_ERR_TOO_LARGE, "body",
                            "the clickatell-platform request would exceed %d bytes",
                            REQUEST_BODY_MAX);
    }
    req->method = "POST";
    req->body = dump;
    req->body_len = len;
    req->url = strdup(c->url);
    if (!req->url || sg_prov_request_add_header(req, "Authorization", c->api_key) ||
        sg_prov_request_add_header(req, "Content-Type", "application/json") ||
        sg_prov_request_add_header(req, "Accept", "application/json"))
        goto nomem;
    return SG_OK;

nomem:
    json_decref(o);
    sg_prov_request_free(req);
    return sg_error_set(e, SG_ERR_NOMEM, NULL,
                        "out of memory building the clickatell-platform request");
}

static sg_err build_send(const void *vcfg, const sg_prov_message *m, sg_prov_request *req,
                         sg_error *e)
{
    const ckt_cfg *c = vcfg;
    memset(req, 0, sizeof *req);
    return c->kind == KIND_LEGACY ? legacy_build_send(c, m, req, e)
                                  : platform_build_send(c, m, req, e);
}

/* ---- parse_send: shared ------------------------------------------------------------- */

static bool retryable_http(long status)
{
    return status == 429 || status == 408 || (status >= 500 && status < 600);
}

/* The catalogue decides whether an error code is worth retrying; a code it does
 * not know is permanent (a retry loop on an unknown refusal helps nobody). */
static bool code_temporary(const char *code)
{
    const sg_errcode *ec =
        code[0] ? sg_errcode_in(sg_clickatell_errors, SG_CLICKATELL_CATALOGUE, code) : NULL;
    return ec && ec->cls == SG_ERRCLASS_TEMPORARY;
}

static void set_error_message_default(sg_prov_result *res, long http_status, const char *what)
{
    const sg_errcode *ec =
        res->error_code[0]
            ? sg_errcode_in(sg_clickatell_errors, SG_CLICKATELL_CATALOGUE, res->error_code)
            : NULL;
    if (ec)
        snprintf(res->error_message, sizeof res->error_message, "%s", ec->title);
    else
        snprintf(res->error_message, sizeof res->error_message, "[HTTP %ld] %s", http_status, what);
}

/* ---- parse_send: legacy ------------------------------------------------------------- */

/* The first non-blank line of the answer. */
static void first_line(const char *body, size_t len, const char **line, size_t *llen)
{
    size_t pos = 0;
    while (pos < len) {
        const char *nl = body ? memchr(body + pos, '\n', len - pos) : NULL;
        size_t end = nl ? (size_t)(nl - body) : len;
        const char *l = body + pos;
        size_t n = end - pos;
        sg_cfg_trim(&l, &n);
        if (n) {
            *line = l;
            *llen = n;
            return;
        }
        pos = end + 1;
    }
    *line = NULL;
    *llen = 0;
}

/* "ID: <apimsgid>" (maybe followed by " To: <msisdn>") and "ERR: NNN, text"
 * (providers.md B.1). The ERR code is zero-padded to 3 digits, as Clickatell
 * writes it and as the catalogue lists it. */
static void legacy_classify(long http_status, const char *body, size_t len, sg_prov_result *res)
{
    const char *line;
    size_t llen;
    first_line(body, len, &line, &llen);
    bool ok = http_status >= 200 && http_status < 300;

    if (line && llen > 3 && strncasecmp(line, "ID:", 3) == 0) {
        const char *id = line + 3;
        size_t n = llen - 3;
        sg_cfg_trim(&id, &n);
        size_t idlen = 0;
        while (idlen < n && is_alnum(id[idlen]))
            idlen++;
        bool well_formed = idlen > 0 && idlen < sizeof res->message_id &&
                           (idlen == n || id[idlen] == ' ' || id[idlen] == '\t');
        if (ok && well_formed) {
            res->outcome = SG_SEND_ACCEPTED;
            memcpy(res->message_id, id, idlen);
            res->message_id[idlen] = '\0';
            return;
        }
        if (ok) {
            res->outcome = SG_SEND_PERMANENT;
            snprintf(res->error_message, sizeof res->error_message,
                     "[HTTP %ld] Clickatell's message ID could not be read; the outcome is "
                     "unknown and the message is not retried to avoid sending it twice",
                     http_status);
            return;
        }
    }

    if (line && llen > 4 && strncasecmp(line, "ERR:", 4) == 0) {
        const char *p = line + 4;
        size_t n = llen - 4;
        sg_cfg_trim(&p, &n);
        size_t digits = 0;
        while (digits < n && is_digit(p[digits]))
            digits++;
        if (digits > 0 && digits <= ERRCODE_DIGITS) {
            unsigned code = 0;
            for (size_t i = 0; i < digits; i++)
                code = code * 10 + (unsigned)(p[i] - '0');
            snprintf(res->error_code, sizeof res->error_code, "%03u", code);
            p += digits;
            n -= digits;
            sg_cfg_trim(&p, &n);
            if (n && *p == ',') {
                p++;
                n--;
                sg_cfg_trim(&p, &n);
            }
            if (n)
                sg_cfg_copy_text(res->error_message, sizeof res->error_message, p, n);
            else
                set_error_message_default(res, http_status, "Clickatell refused the message");
            res->outcome = retryable_http(http_status) || code_temporary(res->error_code)
                               ? SG_SEND_RETRYABLE
                               : SG_SEND_PERMANENT;
            /* 122: the recipient opted out of messages from this account. */
            res->opted_out = strcmp(res->error_code, "122") == 0;
            return;
        }
    }

    if (ok) {
        /* Clickatell may well have taken the message, but without an ID nothing
         * can be tracked; retrying could send it twice. */
        res->outcome = SG_SEND_PERMANENT;
        snprintf(res->error_message, sizeof res->error_message,
                 "[HTTP %ld] Clickatell's answer has neither 'ID:' nor 'ERR:'; the outcome is "
                 "unknown and the message is not retried to avoid sending it twice",
                 http_status);
        return;
    }
    res->outcome = retryable_http(http_status) ? SG_SEND_RETRYABLE : SG_SEND_PERMANENT;
    snprintf(res->error_message, sizeof res->error_message,
             "[HTTP %ld] Clickatell answered without 'ID:' or 'ERR:'", http_status);
}

/* ---- parse_send: platform ----------------------------------------------------------- */

/* A code given as a JSON integer or a string of digits; -1 if neither. */
static long json_code(json_t *v)
{
    if (json_is_integer(v)) {
        json_int_t n = json_integer_value(v);
        return n >= 0 && n <= 999999 ? (long)n : -1;
    }
    if (json_is_string(v)) {
        size_t len = json_string_length(v);
        const char *s = json_string_value(v);
        if (len == 0 || len > 6 || !all_digits(s, len))
            return -1;
        return strtol(s, NULL, 10);
    }
    return -1;
}

static const char *json_text(json_t *v, size_t *len)
{
    if (!json_is_string(v) || json_string_length(v) == 0)
        return NULL;
    *len = json_string_length(v);
    return json_string_value(v);
}

/* Read an error from o, in any of the shapes seen (providers.md B.2, B.3):
 * "error": {"code", "description"} (One API), "error": "text" with "errorCode"
 * and "errorDescription" beside it (Platform REST). Returns false when o holds
 * no error at all. */
static bool read_error(json_t *o, long *code, const char **desc, size_t *dlen)
{
    *code = -1;
    *desc = NULL;
    if (!json_is_object(o))
        return false;
    json_t *err = json_object_get(o, "error");
    if (json_is_object(err)) {
        *code = json_code(json_object_get(err, "code"));
        *desc = json_text(json_object_get(err, "description"), dlen);
        if (!*desc)
            *desc = json_text(json_object_get(err, "message"), dlen);
    }
    if (*code < 0)
        *code = json_code(json_object_get(o, "errorCode"));
    if (!*desc)
        *desc = json_text(json_object_get(o, "errorDescription"), dlen);
    if (json_is_string(err)) {
        /* a bare number as "error" is a code; any other text a description */
        if (*code < 0 && json_code(err) >= 0)
            *code = json_code(err);
        else if (!*desc)
            *desc = json_text(err, dlen);
    }
    return *code >= 0 || *desc != NULL;
}

/* Fill res from an error found in o (or only from the HTTP status). */
static void platform_error(json_t *o, long http_status, const char *what, sg_prov_result *res)
{
    long code;
    const char *desc;
    size_t dlen = 0;
    read_error(o, &code, &desc, &dlen);
    if (code >= 0)
        snprintf(res->error_code, sizeof res->error_code, "platform-%lu",
                 (unsigned long)code % 1000000UL); /* json_code bounds it */
    if (desc)
        sg_cfg_copy_text(res->error_message, sizeof res->error_message, desc, dlen);
    else
        set_error_message_default(res, http_status, what);
    res->outcome = retryable_http(http_status) || code_temporary(res->error_code)
                       ? SG_SEND_RETRYABLE
                       : SG_SEND_PERMANENT;
    /* 26: the recipient opted out. */
    res->opted_out = code == 26;
}

static void platform_classify(long http_status, const char *body, size_t len, sg_prov_result *res)
{
    json_t *root = len ? json_loadb(body, len, 0, NULL) : NULL;
    if (root && !json_is_object(root)) {
        json_decref(root);
        root = NULL;
    }
    json_t *msgs = json_object_get(root, "messages");
    json_t *m0 = json_is_array(msgs) ? json_array_get(msgs, 0) : NULL;
    if (!json_is_object(m0))
        m0 = NULL;
    long code;
    const char *desc;
    size_t dlen;

    if (http_status >= 200 && http_status < 300) {
        json_t *accepted = json_object_get(m0, "accepted");
        json_t *id = json_object_get(m0, "apiMessageId");
        if (json_is_true(accepted)) {
            size_t idlen = json_is_string(id) ? json_string_length(id) : 0;
            const char *ids = idlen ? json_string_value(id) : "";
            bool ok = idlen > 0 && idlen < sizeof res->message_id;
            for (size_t i = 0; ok && i < idlen; i++)
                ok = is_alnum(ids[i]) || ids[i] == '-' || ids[i] == '_';
            if (ok) {
                res->outcome = SG_SEND_ACCEPTED;
                memcpy(res->message_id, ids, idlen);
                res->message_id[idlen] = '\0';
            } else {
                res->outcome = SG_SEND_PERMANENT;
                snprintf(res->error_message, sizeof res->error_message,
                         "[HTTP %ld] Clickatell accepted the message without a readable "
                         "apiMessageId; it is not retried to avoid sending it twice",
                         http_status);
            }
        } else if (m0 && json_is_false(accepted)) {
            platform_error(m0, http_status, "Clickatell did not accept the message", res);
        } else if (read_error(root, &code, &desc, &dlen)) {
            platform_error(root, http_status, "Clickatell did not accept the message", res);
        } else {
            res->outcome = SG_SEND_PERMANENT;
            snprintf(res->error_message, sizeof res->error_message,
                     "[HTTP %ld] Clickatell's answer has no accepted message; the outcome is "
                     "unknown and the message is not retried to avoid sending it twice",
                     http_status);
        }
        json_decref(root);
        return;
    }

    /* A top-level error first; a 400 may carry only the message-level one. */
    const char *what = root ? "Clickatell refused the request" : "Clickatell's answer is not JSON";
    if (read_error(root, &code, &desc, &dlen))
        platform_error(root, http_status, what, res);
    else
        platform_error(m0, http_status, what, res);
    json_decref(root);
}

static void legacy_parse_send(const void *vcfg, long http_status, const char *body, size_t len,
                              sg_prov_result *res)
{
    memset(res, 0, sizeof *res);
    legacy_classify(http_status, body, len, res);
}

static void platform_parse_send(const void *vcfg, long http_status, const char *body, size_t len,
                                sg_prov_result *res)
{
    memset(res, 0, sizeof *res);
    platform_classify(http_status, body, len, res);
}

#define KEY_FROM                                                                                   \
    {                                                                                              \
        .key = "from", .metavar = "SENDERS", .label = "From number(s)",                            \
        .help =                                                                                    \
            "The sender pool, '+27...|27...|MyOrg' (numbers with or without '+', short codes, "    \
            "sender IDs)."                                                                         \
    }
#define KEY_MPS                                                                                    \
    {                                                                                              \
        .key = "mps", .metavar = "N", .label = "Messages per second",                              \
        .help = "Sends per second per sender.", .type = SG_CONFIG_NUMBER, .def = "1"               \
    }
#define KEY_CALLBACK                                                                               \
    {.key = "callback_secret",                                                                     \
     .metavar = "SECRET",                                                                          \
     .label = "Callback secret",                                                                   \
     .help = "The secret in the callback URLs (16 to 128 letters and digits); made up when not "   \
             "given.",                                                                             \
     .flags = SG_CONFIG_SECRET | SG_CONFIG_ADVANCED},                                              \
    {                                                                                              \
        .key = "allow_from", .metavar = "CIDR,...", .label = "Allowed callback networks",          \
        .help = "The networks (CIDR) callbacks may come from; any when not given.",                \
        .type = SG_CONFIG_LIST, .flags = SG_CONFIG_ADVANCED                                        \
    }

static const sg_config_key legacy_config_keys[] = {
    {.key = "username",
     .metavar = "NAME",
     .label = "Username",
     .help = "The Clickatell account's user name.",
     .flags = SG_CONFIG_REQUIRED},
    {.key = "password",
     .metavar = "SECRET",
     .label = "Password",
     .help = "The Clickatell account's password.",
     .flags = SG_CONFIG_REQUIRED | SG_CONFIG_SECRET},
    {.key = "api_id",
     .metavar = "ID",
     .label = "API ID",
     .help = "The ID of the account's HTTP API.",
     .one_of = "api_id:api_id"},
    KEY_FROM,
    {.key = "mo",
     .metavar = "true|false",
     .label = "Two-way (replies)",
     .help = "Replies to the senders come back to smsgate.",
     .type = SG_CONFIG_BOOL,
     .def = "false"},
    {.key = "params",
     .metavar = "TEXT",
     .label = "API Parameters",
     .help = "CiviCRM's API Parameters text: api_id=, from= and mo= lines.",
     .flags = SG_CONFIG_MULTILINE,
     .one_of = "api_id:params"},
    {.key = "base_url",
     .metavar = "URL",
     .label = "API base URL",
     .help = "Where the Clickatell HTTP API answers; a simulator's address when testing.",
     .flags = SG_CONFIG_ADVANCED,
     .def = LEGACY_BASE_URL},
    KEY_MPS,
    KEY_CALLBACK,
    {.key = NULL},
};

static const sg_config_key platform_config_keys[] = {
    {.key = "api_key",
     .metavar = "KEY",
     .label = "API key",
     .help = "The API key of the Clickatell integration.",
     .flags = SG_CONFIG_REQUIRED | SG_CONFIG_SECRET},
    KEY_FROM,
    {.key = "base_url",
     .metavar = "URL",
     .label = "API base URL",
     .help = "Where the Clickatell Platform API answers; a simulator's address when testing.",
     .flags = SG_CONFIG_ADVANCED,
     .def = PLATFORM_BASE_URL},
    KEY_MPS,
    KEY_CALLBACK,
    {.key = NULL},
};

const sg_provider_kind sg_clickatell_kind = {
    .name = "clickatell",
    .label = "Clickatell HTTP",
    .description = "Clickatell's legacy HTTP API (user, password and API ID; the CiviCRM "
                   "extension's API Parameters text), with delivery callbacks and replies.",
    .errors = sg_clickatell_errors,
    .sim = &sg_clickatell_sim_kind,
    .url_secret = true,
    .config_load = legacy_config_load,
    .config_free = config_free,
    .senders = senders,
    .build_send = build_send,
    .parse_send = legacy_parse_send,
    .config_keys = legacy_config_keys,
    .callback_read = sg_ck_cb_read_legacy,
    .parse_status_cb = sg_ck_cb_status_legacy,
    .parse_inbound_cb = sg_ck_cb_inbound_legacy,
    .callback_answer_type = "text/plain",
    .callback_answer = "OK\n",
};

const sg_provider_kind sg_clickatell_platform_kind = {
    .name = "clickatell-platform",
    .label = "Clickatell Platform",
    .description = "Clickatell's Platform REST API (an integration's API key), with delivery "
                   "callbacks and replies.",
    .errors = sg_clickatell_errors,
    .sim = &sg_clickatell_sim_kind,
    .url_secret = true,
    .config_load = platform_config_load,
    .config_free = config_free,
    .senders = senders,
    .build_send = build_send,
    .parse_send = platform_parse_send,
    .config_keys = platform_config_keys,
    .callback_read = sg_ck_cb_read_platform,
    .parse_status_cb = sg_ck_cb_status_platform,
    .parse_inbound_cb = sg_ck_cb_inbound_platform,
    .callback_answer_type = "text/plain",
    .callback_answer = "OK\n",
};
