#include "api/auth.h"
#include "api/app.h"
#include "api/session.h"
#include "http/problem.h"
#include "util/crypto.h"
#include "util/log.h"
#include "util/time.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_PREFIX  "sgk_"
#define ID_BODY_LEN 26

static const char *const role_names[] = {"public", "viewer", "sender", "admin"};

bool sg_role_parse(const char *name, sg_role *out)
{
    for (int i = SG_ROLE_VIEWER; i <= SG_ROLE_ADMIN; i++) {
        if (strcmp(name, role_names[i]) == 0) {
            *out = (sg_role)i;
            return true;
        }
    }
    return false;
}

const char *sg_role_name(sg_role role)
{
    return role >= SG_ROLE_PUBLIC && role <= SG_ROLE_ADMIN ? role_names[role] : "unknown";
}

sg_err sg_key_create(sg_store *s, sg_role role, const char *name, char out[SG_KEY_TEXT_MAX],
                     sg_api_key *row, sg_error *e)
{
    memset(row, 0, sizeof *row);
    row->created_at = sg_time_now_ms();
    sg_id_new("key", row->created_at, row->id);
    snprintf(row->name, sizeof row->name, "%s", name && *name ? name : "unnamed");
    snprintf(row->role, sizeof row->role, "%s", sg_role_name(role));
    char secret[65];
    sg_random_hex(secret, 32);
    sg_sha256_hex(secret, strlen(secret), row->secret_hash);
    snprintf(out, SG_KEY_TEXT_MAX, KEY_PREFIX "%s_%s", row->id + 4, secret);
    sodium_memzero(secret, sizeof secret);
    return sg_store_key_insert(s, row, e);
}

void sg_key_prefix(const char *id, char out[SG_KEY_PREFIX_MAX])
{
    snprintf(out, SG_KEY_PREFIX_MAX, KEY_PREFIX "%s_", strncmp(id, "key_", 4) == 0 ? id + 4 : id);
}

/* Split "sgk_<26>_<secret>" into a key id and the secret; false if malformed. */
static bool parse_key(const char *text, char id[SG_ID_MAX], const char **secret)
{
    size_t pl = strlen(KEY_PREFIX);
    if (strncmp(text, KEY_PREFIX, pl) != 0 || strlen(text) < pl + ID_BODY_LEN + 2 ||
        text[pl + ID_BODY_LEN] != '_')
        return false;
    snprintf(id, SG_ID_MAX, "key_%.*s", ID_BODY_LEN, text + pl);
    *secret = text + pl + ID_BODY_LEN + 1;
    return sg_id_valid("key", id) && strlen(*secret) == 64;
}

/* Verified keys are remembered for a short while so that a busy client does not
 * cost a database read per request. Direct-mapped by key id; process-wide.
 *
 * Revocation: at most once a second a request reads the store's keys
 * generation (sg_store_keys_generation); when it has moved (a key was revoked,
 * by this server, another one or the CLI) the whole cache is dropped, so a
 * revoked key stops working within about a second on every server. This
 * server's own revocations also drop the key at once (sg_auth_forget).
 *
 * A key's send limits (countries, daily quota) are part of its record here, read
 * with it and dropped with it: a change of limits bumps the generation too.
 *
 * Last use: remembered here and written to the store by a queued write (never
 * waited for) at most once a minute per key. */
#define CACHE_SLOTS        64
#define CACHE_TTL_MS       30000
#define GENERATION_POLL_MS 1000
#define LAST_USED_FLUSH_MS 60000

typedef struct cached_key {
    char id[SG_ID_MAX];
    char hash[SG_SHA256_HEX_LEN];
    sg_caller who; /* role and send limits; key_id unused */
    int64_t expires;
    int64_t flushed_at; /* monotonic ms of the last last-use write; 0 = none */
} cached_key;

static cached_key cache[CACHE_SLOTS];
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t generation_seen = -1;   /* under cache_lock */
static _Atomic int64_t generation_checked; /* monotonic ms of the last poll */

static size_t cache_slot(const char *id)
{
    size_t h = 5381;
    for (; *id; id++)
        h = h * 33 + (unsigned char)*id;
    return h % CACHE_SLOTS;
}

static bool cache_get(const char *id, char hash[SG_SHA256_HEX_LEN], sg_caller *who)
{
    bool hit = false;
    cached_key *c = &cache[cache_slot(id)];
    pthread_mutex_lock(&cache_lock);
    if (strcmp(c->id, id) == 0 && c->expires > sg_time_mono_ms()) {
        memcpy(hash, c->hash, SG_SHA256_HEX_LEN);
        *who = c->who;
        hit = true;
    }
    pthread_mutex_unlock(&cache_lock);
    return hit;
}

static int64_t generation_now(void)
{
    pthread_mutex_lock(&cache_lock);
    int64_t g = generation_seen;
    pthread_mutex_unlock(&cache_lock);
    return g;
}

/* Remember a key read from the store while the generation was gen: not if the
 * cache was dropped since (the read may predate the revocation that dropped it). */
static void cache_put(const char *id, const char *hash, const sg_caller *who, int64_t gen)
{
    cached_key *c = &cache[cache_slot(id)];
    pthread_mutex_lock(&cache_lock);
    if (gen != generation_seen) {
        pthread_mutex_unlock(&cache_lock);
        return;
    }
    if (strcmp(c->id, id) != 0)
        c->flushed_at = 0;
    snprintf(c->id, sizeof c->id, "%s", id);
    snprintf(c->hash, sizeof c->hash, "%s", hash);
    c->who = *who;
    c->expires = sg_time_mono_ms() + CACHE_TTL_MS;
    pthread_mutex_unlock(&cache_lock);
}

void sg_auth_forget(const char *id)
{
    cached_key *c = &cache[cache_slot(id)];
    pthread_mutex_lock(&cache_lock);
    if (strcmp(c->id, id) == 0)
        memset(c, 0, sizeof *c);
    pthread_mutex_unlock(&cache_lock);
}

/* At most once a second (one request wins the poll; the others go on): drop
 * every cached key if the store's keys generation has moved. */
static void poll_generation(sg_app *app)
{
    int64_t now = sg_time_mono_ms();
    int64_t last = atomic_load(&generation_checked);
    if (now - last < GENERATION_POLL_MS ||
        !atomic_compare_exchange_strong(&generation_checked, &last, now))
        return;
    int64_t gen;
    if (sg_store_keys_generation(app->store, &gen) != SG_OK)
        return; /* the cache's TTL still bounds how long a revoked key lives */
    pthread_mutex_lock(&cache_lock);
    if (gen != generation_seen) {
        memset(cache, 0, sizeof cache);
        generation_seen = gen;
    }
    pthread_mutex_unlock(&cache_lock);
}

/* The key was just used: queue a write of its last use if none was queued for
 * it in the last minute. */
static void note_use(sg_app *app, const char *id)
{
    cached_key *c = &cache[cache_slot(id)];
    int64_t now = sg_time_mono_ms();
    bool flush = false;
    pthread_mutex_lock(&cache_lock);
    if (strcmp(c->id, id) == 0 && (!c->flushed_at || now - c->flushed_at >= LAST_USED_FLUSH_MS)) {
        c->flushed_at = now;
        flush = true;
    }
    pthread_mutex_unlock(&cache_lock);
    if (flush)
        sg_store_key_touch(app->store, id, sg_time_now_ms());
}

/* Role and send limits of a key row into who. A stored country list that no
 * longer parses (a region libphonenumber dropped) is logged and read as empty:
 * the deployment's list still applies. */
static void caller_of(const sg_api_key *key, sg_caller *who)
{
    memset(who, 0, sizeof *who);
    snprintf(who->key_id, sizeof who->key_id, "%s", key->id);
    who->role = SG_ROLE_VIEWER;
    sg_role_parse(key->role, &who->role);
    char bad[16];
    if (!sg_country_set_parse(key->countries, &who->countries, bad)) {
        sg_log(SG_LOG_WARN, "key_countries_invalid", "key=%s item=\"%s\"", key->id, bad);
        memset(&who->countries, 0, sizeof who->countries);
    }
    who->daily_quota = key->daily_quota > 0 ? key->daily_quota : 0;
}

/* Look a key up (cache, then store) and check its secret in constant time; who
 * gets its role and send limits. */
static sg_err verify_key(sg_app *app, const char *id, const char *secret, sg_caller *who)
{
    poll_generation(app);
    char stored[SG_SHA256_HEX_LEN];
    if (!cache_get(id, stored, who)) {
        int64_t gen = generation_now();
        sg_api_key key;
        sg_err err = sg_store_key_get(app->store, id, &key);
        if (err)
            return err;
        if (strlen(key.secret_hash) != 64)
            return SG_ERR_NOT_FOUND;
        memcpy(stored, key.secret_hash, 64); /* length checked just above */
        stored[64] = '\0';
        caller_of(&key, who);
        cache_put(id, stored, who, gen);
    }
    char hash[SG_SHA256_HEX_LEN];
    sg_sha256_hex(secret, strlen(secret), hash);
    if (!sg_ct_equal(hash, stored, 64))
        return SG_ERR_NOT_FOUND;
    note_use(app, id);
    return SG_OK;
}

static void caller_free(void *p)
{
    free(p);
}

sg_http_result sg_auth_before(sg_http_req *req, const sg_route *route, void *ctx)
{
    sg_app *app = ctx;
    if (route->tag == SG_ROLE_PUBLIC)
        return SG_HTTP_PENDING;
    const char *h = sg_http_header(req, "Authorization");
    if (!h && sg_session_cookie_sent(req))
        return sg_session_authenticate(req, route, app);
    if (!h || strncasecmp(h, "Bearer ", 7) != 0) {
        sg_http_add_header(req, "WWW-Authenticate", "Bearer");
        sg_http_problem(req, 401, "unauthorized", NULL,
                        "send an API key as 'Authorization: Bearer <key>' (create one with "
                        "'smsgate key create')");
        return SG_HTTP_DONE;
    }
    const char *text = h + 7;
    while (*text == ' ')
        text++;
    char id[SG_ID_MAX];
    const char *secret;
    sg_caller who = {.role = SG_ROLE_VIEWER};
    sg_err err = SG_ERR_NOT_FOUND;
    if (parse_key(text, id, &secret))
        err = verify_key(app, id, secret, &who);
    if (err == SG_ERR_NOT_FOUND) {
        sg_http_add_header(req, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
        sg_http_problem(req, 401, "unauthorized", NULL, "the API key is not valid");
        return SG_HTTP_DONE;
    }
    if (err) {
        sg_http_problem(req, 503, "store_error", NULL, "cannot check the API key: %s",
                        sg_strerror(err));
        return SG_HTTP_DONE;
    }
    if ((int)who.role < route->tag) {
        sg_http_problem(req, 403, "forbidden", NULL,
                        "this API key has the role '%s'; this request needs '%s'",
                        sg_role_name(who.role), sg_role_name((sg_role)route->tag));
        return SG_HTTP_DONE;
    }
    sg_caller *c = malloc(sizeof *c);
    if (!c) {
        sg_http_problem(req, 500, "internal", NULL, "out of memory");
        return SG_HTTP_DONE;
    }
    *c = who;
    snprintf(c->key_id, sizeof c->key_id, "%s", id);
    sg_http_set_user(req, c, caller_free);
    return SG_HTTP_PENDING;
}

const sg_caller *sg_auth_caller(const sg_http_req *req)
{
    return sg_http_user(req);
}

const char *sg_auth_actor(const sg_caller *c)
{
    if (!c)
        return "unknown";
    return c->email[0] ? c->email : c->key_id;
}
