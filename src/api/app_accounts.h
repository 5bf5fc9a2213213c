/* App accounts (docs/compat.md): what /v1/apps, `smsgate app` and the compatible
 * endpoints share. An app's Account SID is "AC" and the 128 bits of its id in
 * hex, so a SID names the app without a lookup table; its auth token is 32
 * random hex digits, shown once, stored sealed with the master key (smsgate
 * signs the app's callbacks with it) and as a SHA-256 (what requests are
 * checked against, in constant time). */
#ifndef SG_API_APP_ACCOUNTS_H
#define SG_API_APP_ACCOUNTS_H

#include "api/accept.h"
#include "api/app.h"

#include <jansson.h>

#define SG_APP_TOKEN_LEN   32
#define SG_ACCOUNT_SID_MAX 35 /* "AC" + 32 hex + NUL */

/* "AC…" of app id into out (empty when id is not an app id). */
void sg_app_account_sid(const char *app_id, char out[SG_ACCOUNT_SID_MAX]);
/* The app id an Account SID names; false when sid is not "AC" + 32 hex. */
bool sg_app_account_id_of_sid(const char *sid, char id[SG_ID_MAX]);

/* A new app a (id, times, role sender, methods POST) with a fresh token: the
 * token's text (shown once) into token. Nothing is stored. */
sg_err sg_app_account_init(const sg_app *app, sg_app_account *a,
                           char token[SG_APP_TOKEN_LEN + 1], sg_error *e);
/* Give a a new token (sealed, hashed, token_rotated_at = now): its text into
 * token. Nothing is stored. */
sg_err sg_app_account_new_token(const sg_app *app, sg_app_account *a,
                                char token[SG_APP_TOKEN_LEN + 1], sg_error *e);
/* Whether token is a's auth token (constant time over the hashes). */
bool sg_app_account_token_ok(const sg_app_account *a, const char *token);
/* a's auth token in clear into out, for signing (sg_secret_free it). */
sg_err sg_app_account_token(const sg_app *app, const sg_app_account *a, char **out);

/* Apply the fields of in ({"name", "role", "provider", "status_callback",
 * "callback_method", "inbound_url", "inbound_method", "countries", "daily_quota"}; a JSON null
 * clears an optional one) to a. create: "name" is required. False with rej
 * (400 invalid_request / url_not_allowed, 422 unknown_provider; field set) on
 * the first field at fault; a may then be half changed. */
bool sg_app_account_apply(const sg_app *app, sg_app_account *a, json_t *in, bool create,
                          sg_reject *rej);

/* The app as /v1/apps and `smsgate app show --json` show it: never its token. */
json_t *sg_app_account_json(const sg_app_account *a);

/* The app as a caller of the send path: its id for the daily quota's count, its
 * role and send limits (api/send_limits.h), like an API key's. */
struct sg_caller;
void sg_app_account_caller(const sg_app_account *a, struct sg_caller *out);

/* ---- API keys of an app ---------------------------------------------------------- */

#define SG_APP_KEY_SECRET_LEN 32

/* "SK…" of app key id into out (empty when id is not an app key id). */
void sg_app_key_sid(const char *key_id, char out[SG_ACCOUNT_SID_MAX]);
/* The app key id an "SK" + 32 hex SID names; false otherwise. */
bool sg_app_key_id_of_sid(const char *sid, char id[SG_ID_MAX]);
/* A new key of app_id named name (may be NULL): its secret's text (shown once)
 * into secret. Nothing is stored. */
void sg_app_key_init(sg_app_key *k, const char *app_id, const char *name,
                     char secret[SG_APP_KEY_SECRET_LEN + 1]);
/* Whether secret is k's (constant time over the hashes). */
bool sg_app_key_secret_ok(const sg_app_key *k, const char *secret);
/* The key as /v1/apps/{id}/keys shows it: sid, name, created_at; never the secret. */
json_t *sg_app_key_json(const sg_app_key *k);

#endif
