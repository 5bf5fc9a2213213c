#include "api/app.h"
#include "core/reply_limit.h"

#include <sodium.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

sg_err sg_app_open(sg_app *app, const char *db, bool migrate, sg_error *e)
{
    sg_err err = sg_store_open(db, &app->store, e);
    if (err)
        return err;
    if (migrate) {
        if ((err = sg_store_migrate(app->store, NULL, e)))
            goto fail;
    } else {
        int current, latest;
        sg_store_schema_version(app->store, &current, &latest);
        if (current < latest) {
            err = sg_error_set(e, SG_ERR_DB, "db",
                               "database %s is at schema version %d, this smsgate needs %d: run "
                               "'smsgate migrate --db %s' (or start 'smsgate serve', which "
                               "migrates)",
                               db, current, latest, db);
            goto fail;
        }
    }
    char key_path[1024];
    const char *file = sg_store_file(db);
    snprintf(key_path, sizeof key_path, "%s.key", file ? file : db);
    if ((err = sg_master_key_load(getenv("SMSGATE_MASTER_KEY"), key_path, app->master_key, e)))
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
