#include "api/app.h"
#include "core/reply_limit.h"

#include <sodium.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The master key: key_file when given (never created), else SMSGATE_MASTER_KEY,
 * else, for a SQLite database only, the file beside it (created at first use).
 * A PostgreSQL database has no file beside it: without either, an error. */
static sg_err load_master_key(const char *db, const char *key_file,
                              uint8_t key[SG_MASTER_KEY_LEN], sg_error *e)
{
    if (key_file && *key_file)
        return sg_master_key_read(key_file, key, e);
    const char *env = getenv("SMSGATE_MASTER_KEY");
    const char *file = sg_store_file(db);
    if (!file && !(env && *env))
        return sg_error_set(e, SG_ERR_CRYPTO, "master-key-file",
                            "a PostgreSQL database needs the master key that seals its provider "
                            "and app secrets, the same on every node: set SMSGATE_MASTER_KEY or "
                            "pass --master-key-file FILE (docs/postgresql.md)");
    char key_path[1024];
    snprintf(key_path, sizeof key_path, "%s.key", file ? file : db);
    return sg_master_key_load(env, key_path, key, e);
}

/* On PostgreSQL, where several nodes seal and open the same secrets: the key
 * must be the one the database's secrets are sealed with (its check value is
 * recorded at first use). On SQLite a different key only makes the secrets
 * unusable until they are given again (docs/providers.md), as before. */
static sg_err check_master_key(sg_app *app, const char *db, sg_error *e)
{
    if (sg_store_file(db))
        return SG_OK;
    char check[SG_SHA256_HEX_LEN];
    sg_master_key_check_value(app->master_key, check);
    bool match = false;
    sg_err err = sg_store_master_key_check(app->store, check, &match, e);
    if (!err && !match)
        err = sg_error_set(e, SG_ERR_CRYPTO, "master-key-file",
                           "the master key is not the one this database's secrets are sealed "
                           "with (its check value differs): give every node the same key "
                           "(SMSGATE_MASTER_KEY or --master-key-file; docs/postgresql.md)");
    return err;
}

sg_err sg_app_open(sg_app *app, const char *db, const char *key_file, bool migrate, sg_error *e)
{
    /* PostgreSQL: no key, no connection (nothing written, no migration logged). */
    bool beside = sg_store_file(db) != NULL;
    sg_err err = beside ? SG_OK : load_master_key(db, key_file, app->master_key, e);
    if (!err)
        err = sg_store_open(db, &app->store, e);
    if (err)
        return err;
    if (migrate) {
        if ((err = sg_store_migrate(app->store, NULL, e)))
            goto fail;
    } else {
        int current, latest;
        sg_store_schema_version(app->store, &current, &latest);
        if (current < latest) {
            char shown[512];
            sg_store_url_display(db, shown, sizeof shown);
            err = sg_error_set(e, SG_ERR_DB, "db",
                               "database %s is at schema version %d, this smsgate needs %d: run "
                               "'smsgate migrate --db %s' (or start 'smsgate serve', which "
                               "migrates)",
                               shown, current, latest, sg_store_url_is_postgres(db) ? "URL" : db);
            goto fail;
        }
    }
    if ((beside && (err = load_master_key(db, key_file, app->master_key, e))) ||
        (err = check_master_key(app, db, e)))
        goto fail;
    if ((err = sg_registry_new(app->store, app->master_key, &app->registry, e)))
        goto fail;
    uint64_t seed;
    randombytes_buf(&seed, sizeof seed);
    app->reply_limit = sg_reply_limit_new(seed);
    if (!app->reply_limit) {
        sg_registry_destroy(app->registry);
        app->registry = NULL;
        err = sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory");
        goto fail;
    }
    return SG_OK;
fail:
    sg_store_close(app->store);
    app->store = NULL;
    return err;
}

void sg_app_close(sg_app *app)
{
    sg_reply_limit_destroy(app->reply_limit);
    app->reply_limit = NULL;
    sg_registry_destroy(app->registry);
    app->registry = NULL;
    sg_store_close(app->store);
    app->store = NULL;
    memset(app->master_key, 0, sizeof app->master_key);
}
