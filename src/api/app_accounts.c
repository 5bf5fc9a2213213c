#include "api/app_accounts.h"
#include "api/auth.h"
#include "api/common.h"
#include "api/handlers.h"
#include "core/country_set.h"
#include "core/phone.h"
#include "util/crypto.h"
#include "util/log.h"
#include "util/time.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SID_PREFIX "AC"

void sg_app_account_sid(const char *app_id, char out[SG_ACCOUNT_SID_MAX])
{
    char hex[33];
    if (!sg_id_to_hex("app", app_id, hex)) {
        out[0] = '\0';
        return;
    }
    snprintf(out, SG_ACCOUNT_SID_MAX, SID_PREFIX "%s", hex);
}

bool sg_app_account_id_of_sid(const char *sid, char id[SG_ID_MAX])
{
    return sid && strncmp(sid, SID_PREFIX, 2) == 0 && sg_id_from_hex("app", sid + 2, id);
}

sg_err sg_app_account_new_token(const sg_app *app, sg_app_account *a,
                                char token[SG_APP_TOKEN_LEN + 1], sg_error *e)
{
    sg_random_hex(token, SG_APP_TOKEN_LEN / 2);
    char *sealed = NULL;
    sg_err err = sg_secret_seal(app->master_key, token, SG_APP_TOKEN_LEN, &sealed);
    if (err || strlen(sealed) >= sizeof a->token_sealed) {
        free(sealed);
        sodium_memzero(token, SG_APP_TOKEN_LEN + 1);
        return sg_error_set(e, err ? err : SG_ERR_CRYPTO, NULL, "cannot seal the app's token");
    }
    snprintf(a->token_sealed, sizeof a->token_sealed, "%s", sealed);
    free(sealed);
    sg_sha256_hex(token, SG_APP_TOKEN_LEN, a->token_hash);
    a->token_rotated_at = sg_time_now_ms();
    return SG_OK;
}

sg_err sg_app_account_init(const sg_app *app, sg_app_account *a,
                           char token[SG_APP_TOKEN_LEN + 1], sg_error *e)
{
    memset(a, 0, sizeof *a);
    a->created_at = a->updated_at = sg_time_now_ms();
    sg_id_new("app", a->created_at, a->id);
    snprintf(a->role, sizeof a->role, "sender");
    snprintf(a->inbound_method, sizeof a->inbound_method, "POST");
    snprintf(a->callback_method, sizeof a->callback_method, "POST");
    return sg_app_account_new_token(app, a, token, e);
}

bool sg_app_account_token_ok(const sg_app_account *a, const char *token)
{
    if (!token || strlen(a->token_hash) != 64)
        return false;
    char hash[SG_SHA256_HEX_LEN];
    sg_sha256_hex(token, strlen(token), hash);
    return sg_ct_equal(hash, a->token_hash, 64);
}

sg_err sg_app_account_token(const sg_app *app, const sg_app_account *a, char **out)
{
    return sg_secret_open(app->master_key, a->token_sealed, out);
}

/* ---- fields -------------------------------------------------------------------- */

/* A string field (or null when clearable) of at most cap - 1 bytes without
 * control characters into dst. False with rej. */
static bool take_text(json_t *v, const char *field, char *dst, size_t cap, sg_reject *rej)
{
    if (json_is_null(v)) {
        dst[0] = '\0';
        return true;
    }
    const char *s = json_string_value(v);
    size_t len = s ? json_string_length(v) : 0;
    bool ok = s && len < cap && strlen(s) == len;
    for (size_t i = 0; ok && i < len; i++)
        ok = (unsigned char)s[i] >= ' ' && s[i] != 0x7f;
    if (!ok)
        return sg_reject_set(rej, 400, "invalid_request", field,
                             "'%s' must be a string of at most %zu bytes without control "
                             "characters",
                             field, cap - 1);
    snprintf(dst, cap, "%s", s);
    return true;
}

static bool take_name(const sg_app *app, sg_app_account *a, json_t *v, sg_reject *rej)
{
    (void)app;
    if (!take_text(v, "name", a->name, sizeof a->name, rej))
        return false;
    if (!a->name[0])
        return sg_reject_set(rej, 400, "invalid_request", "name", "'name' must not be empty");
    return true;
}

static bool take_role(const sg_app *app, sg_app_account *a, json_t *v, sg_reject *rej)
{
    (void)app;
    const char *s = json_string_value(v);
    if (!s || (strcmp(s, "sender") != 0 && strcmp(s, "viewer") != 0))
        return sg_reject_set(rej, 400, "invalid_request", "role",
                             "'role' must be sender (send and read its messages) or viewer "
                             "(read them only)");
    snprintf(a->role, sizeof a->role, "%s", s);
    return true;
}

static bool take_provider(const sg_app *app, sg_app_account *a, json_t *v, sg_reject *rej)
{
    if (json_is_null(v)) {
        a->provider_id[0] = '\0';
        return true;
    }
    const char *s = json_string_value(v);
    sg_provider_row p;
    if (!s || !*s || strlen(s) > 64)
        return sg_reject_set(rej, 400, "invalid_request", "provider",
                             "'provider' must be a provider's name or id, or null");
    if (sg_store_provider_get(app->store, s, &p) != SG_OK)
        return sg_reject_set(rej, 422, "unknown_provider", "provider",
                             "no provider named '%.64s'", s);
    snprintf(a->provider_id, sizeof a->provider_id, "%s", p.id);
    sg_provider_row_free(&p);
    return true;
}

/* A URL smsgate will call for the app: checked as webhook URLs are. */
static bool take_url(const sg_app *app, json_t *v, const char *field, char *dst, size_t cap,
                     sg_reject *rej)
{
    if (!take_text(v, field, dst, cap, rej))
        return false;
    if (!dst[0])
        return true;
    const char *why = "";
    int rc = sg_api_url_check(app->outbound, dst, &why);
    if (rc == SG_URL_MALFORMED)
        return sg_reject_set(rej, 400, "invalid_request", field,
                             "'%s' must be an http:// or https:// URL with a host", field);
    if (rc == SG_URL_REFUSED)
        return sg_reject_set(rej, 400, "url_not_allowed", field,
                             "smsgate does not call this address: its host is a %s (see "
                             "--outbound-allow in docs/webhooks.md)",
                             why);
    return true;
}

static bool take_status_callback(const sg_app *app, sg_app_account *a, json_t *v,
                                 sg_reject *rej)
{
    return take_url(app, v, "status_callback", a->status_callback, sizeof a->status_callback,
                    rej);
}

static bool take_inbound_url(const sg_app *app, sg_app_account *a, json_t *v, sg_reject *rej)
{
    return take_url(app, v, "inbound_url", a->inbound_url, sizeof a->inbound_url, rej);
}

/* POST or GET (null: POST) into dst (8 bytes). */
static bool take_method(json_t *v, const char *field, char dst[8], sg_reject *rej)
{
    const char *s = json_is_null(v) ? "POST" : json_string_value(v);
    if (!s || (strcmp(s, "POST") != 0 && strcmp(s, "GET") != 0))
        return sg_reject_set(rej, 400, "invalid_request", field, "'%s' must be POST or GET",
                             field);
    snprintf(dst, 8, "%s", s);
    return true;
}

static bool take_inbound_method(const sg_app *app, sg_app_account *a, json_t *v,
                                sg_reject *rej)
{
    (void)app;
    return take_method(v, "inbound_method", a->inbound_method, rej);
}

static bool take_callback_method(const sg_app *app, sg_app_account *a, json_t *v,
                                 sg_reject *rej)
{
    (void)app;
    return take_method(v, "callback_method", a->callback_method, rej);
}

/* "GB,IE", or ["GB", "IE"], or null (any country the deployment allows). */
static bool take_countries(const sg_app *app, sg_app_account *a, json_t *v, sg_reject *rej)
{
    (void)app;
    char text[SG_COUNTRY_TEXT_MAX] = "";
    size_t len = 0, i;
    json_t *item;
    bool ok = json_is_null(v) || json_is_string(v) || json_is_array(v);
    if (json_is_string(v))
        snprintf(text, sizeof text, "%s", json_string_value(v));
    json_array_foreach(v, i, item)
    {
        ok = ok && json_is_string(item) && len + json_string_length(item) + 2 < sizeof text;
        if (ok)
            len += (size_t)snprintf(text + len, sizeof text - len, "%s%s", len ? "," : "",
                                    json_string_value(item));
    }
    sg_country_set set;
    char bad[16] = "";
    if (!ok || !sg_country_set_parse(text, &set, bad))
        return sg_reject_set(rej, 400, "invalid_request", "countries",
                             "'countries' must list two-letter regions such as \"GB,IE\"%s%s",
                             bad[0] ? ": not a region: " : "", bad);
    sg_country_set_format(&set, a->countries, sizeof a->countries);
    return true;
}

static bool take_daily_quota(const sg_app *app, sg_app_account *a, json_t *v, sg_reject *rej)
{
    (void)app;
    if (json_is_null(v)) {
        a->daily_quota = 0;
        return true;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        json_integer_value(v) > 1000000000)
        return sg_reject_set(rej, 400, "invalid_request", "daily_quota",
                             "'daily_quota' must be a whole number of messages per UTC day "
                             "(0: no quota)");
    a->daily_quota = (int64_t)json_integer_value(v);
    return true;
}

static int number_cmp(const void *x, const void *y)
{
    return strcmp(x, y);
}

/* "numbers": E.164 numbers (null or [] for none), at most SG_APP_NUMBERS_MAX,
 * kept sorted without repeats. */
static bool take_numbers(const sg_app *app, sg_app_account *a, json_t *v, sg_reject *rej)
{
    if (!json_is_null(v) && !json_is_array(v))
        return sg_reject_set(rej, 400, "invalid_request", "numbers",
                             "'numbers' must be an array of phone numbers");
    if (json_array_size(v) > SG_APP_NUMBERS_MAX)
        return sg_reject_set(rej, 400, "invalid_request", "numbers",
                             "an app owns at most %d numbers", SG_APP_NUMBERS_MAX);
    a->n_numbers = 0;
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item)
    {
        const char *s = json_string_value(item);
        if (!s || sg_phone_normalize(s, app->default_region, a->numbers[a->n_numbers], NULL) !=
                      SG_PHONE_OK)
            return sg_reject_set(rej, 400, "invalid_phone", "numbers",
                                 "'%.32s' is not a valid phone number", s ? s : "");
        a->n_numbers++;
    }
    qsort(a->numbers, a->n_numbers, sizeof a->numbers[0], number_cmp);
    size_t kept = 0;
    for (i = 0; i < a->n_numbers; i++)
        if (kept == 0 || strcmp(a->numbers[kept - 1], a->numbers[i]) != 0)
            memmove(a->numbers[kept++], a->numbers[i], sizeof a->numbers[0]);
    a->n_numbers = kept;
    a->numbers_set = true;
    return true;
}

typedef struct field_rule {
    const char *name;
    bool (*take)(const sg_app *app, sg_app_account *a, json_t *v, sg_reject *rej);
} field_rule;

static const field_rule fields[] = {
    {"name", take_name},
    {"role", take_role},
    {"provider", take_provider},
    {"status_callback", take_status_callback},
    {"inbound_url", take_inbound_url},
    {"inbound_method", take_inbound_method},
    {"callback_method", take_callback_method},
    {"countries", take_countries},
    {"daily_quota", take_daily_quota},
    {"numbers", take_numbers},
};
#define N_FIELDS (sizeof fields / sizeof fields[0])

bool sg_app_account_apply(const sg_app *app, sg_app_account *a, json_t *in, bool create,
                          sg_reject *rej)
{
    if (!json_is_object(in))
        return sg_reject_set(rej, 400, "invalid_request", "", "an app must be a JSON object");
    const char *key;
    json_t *v;
    json_object_foreach(in, key, v)
    {
        size_t k = 0;
        while (k < N_FIELDS && strcmp(key, fields[k].name) != 0)
            k++;
        if (k == N_FIELDS)
            return sg_reject_set(rej, 400, "invalid_request", key,
                                 "unknown field '%.64s' (known: name, role, provider, "
                                 "status_callback, callback_method, inbound_url, "
                                 "inbound_method, countries, daily_quota, numbers)",
                                 key);
    }
    if (create && !json_object_get(in, "name"))
        return sg_reject_set(rej, 400, "invalid_request", "name", "'name' is required");
    for (size_t k = 0; k < N_FIELDS; k++) {
        v = json_object_get(in, fields[k].name);
        if (v && !fields[k].take(app, a, v, rej))
            return false;
    }
    return true;
}

static json_t *opt_text(const char *s)
{
    return s[0] ? json_string(s) : json_null();
}

json_t *sg_app_account_json(const sg_app_account *a)
{
    char sid[SG_ACCOUNT_SID_MAX];
    sg_app_account_sid(a->id, sid);
    json_t *countries = json_array();
    for (const char *p = a->countries; *p;) {
        size_t len = strcspn(p, ",");
        if (len)
            json_array_append_new(countries, json_stringn(p, len));
        p += len + (p[len] == ',');
    }
    json_t *numbers = json_array();
    for (size_t i = 0; i < a->n_numbers && i < SG_APP_NUMBERS_MAX; i++)
        json_array_append_new(numbers, json_string(a->numbers[i]));
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:o, s:s, s:o, s:I, s:o, s:o, s:o}",
                     "id", a->id, "name", a->name, "role", a->role, "account_sid", sid,
                     "provider", opt_text(a->provider_id), "status_callback",
                     opt_text(a->status_callback), "callback_method",
                     a->callback_method[0] ? a->callback_method : "POST", "inbound_url", opt_text(a->inbound_url), "inbound_method",
                     a->inbound_method, "countries", countries, "daily_quota",
                     (json_int_t)a->daily_quota, "created_at", sg_api_time_json(a->created_at),
                     "updated_at", sg_api_time_json(a->updated_at), "token_rotated_at",
                     sg_api_time_json(a->token_rotated_at));
    json_object_set_new(j, "numbers", numbers);
    return j;
}

void sg_app_account_caller(const sg_app_account *a, sg_caller *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->key_id, sizeof out->key_id, "%s", a->id);
    out->role = SG_ROLE_VIEWER;
    sg_role_parse(a->role, &out->role);
    char bad[16];
    if (!sg_country_set_parse(a->countries, &out->countries, bad)) {
        sg_log(SG_LOG_WARN, "app_countries_invalid", "app=%s item=\"%s\"", a->id, bad);
        memset(&out->countries, 0, sizeof out->countries);
    }
    out->daily_quota = a->daily_quota > 0 ? a->daily_quota : 0;
}

/* ---- API keys of an app ---------------------------------------------------------- */

void sg_app_key_sid(const char *key_id, char out[SG_ACCOUNT_SID_MAX])
{
    char hex[33];
    if (!sg_id_to_hex("apk", key_id, hex)) {
        out[0] = '\0';
        return;
    }
    snprintf(out, SG_ACCOUNT_SID_MAX, "SK%s", hex);
}

bool sg_app_key_id_of_sid(const char *sid, char id[SG_ID_MAX])
{
    return sid && strncmp(sid, "SK", 2) == 0 && sg_id_from_hex("apk", sid + 2, id);
}

void sg_app_key_init(sg_app_key *k, const char *app_id, const char *name,
                     char secret[SG_APP_KEY_SECRET_LEN + 1])
{
    memset(k, 0, sizeof *k);
    k->created_at = sg_time_now_ms();
    sg_id_new("apk", k->created_at, k->id);
    snprintf(k->app_id, sizeof k->app_id, "%s", app_id);
    snprintf(k->name, sizeof k->name, "%s", name ? name : "");
    sg_random_hex(secret, SG_APP_KEY_SECRET_LEN / 2);
    sg_sha256_hex(secret, SG_APP_KEY_SECRET_LEN, k->secret_hash);
}

bool sg_app_key_secret_ok(const sg_app_key *k, const char *secret)
{
    if (!secret || strlen(k->secret_hash) != 64)
        return false;
    char hash[SG_SHA256_HEX_LEN];
    sg_sha256_hex(secret, strlen(secret), hash);
    return sg_ct_equal(hash, k->secret_hash, 64);
}

json_t *sg_app_key_json(const sg_app_key *k)
{
    char sid[SG_ACCOUNT_SID_MAX];
    sg_app_key_sid(k->id, sid);
    return json_pack("{s:s, s:s, s:o}", "sid", sid, "name", k->name, "created_at",
                     sg_api_time_json(k->created_at));
}
