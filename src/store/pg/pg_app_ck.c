/* The PostgreSQL backend, the Clickatell-style credentials of apps (store.h;
 * the app_ck block of store/backend.h): an app's api_id and the SHA-256 of its
 * api_key, both unique. The same rules as store/sqlite/sqlite_app_ck.c: a put
 * replaces the app's credentials and moves the keys generation, so every node's
 * auth cache forgets the old key within a second. */
#include "store/pg/pg_store.h"

#include <stdio.h>
#include <string.h>

static sg_err ck_put_fn(pg_conn *c, void *arg, sg_error *e)
{
    const sg_app_ck *k = arg;
    const char *p[] = {k->app_id, k->api_id, k->api_key_hash};
    /* SQLite's INSERT OR REPLACE: the app's row replaced; another app's api_id
     * or key is a unique violation (SG_ERR_CONFLICT) */
    sg_err err = pg_query(c,
                          "INSERT INTO app_ck_credentials (app_id, api_id, api_key_hash) "
                          "VALUES ($1, $2, $3) ON CONFLICT (app_id) DO UPDATE SET "
                          "api_id = excluded.api_id, api_key_hash = excluded.api_key_hash",
                          3, p, NULL, e);
    if (err)
        return err;
    return pg_query(c, "UPDATE meta SET value = value + 1 WHERE key = 'keys_generation'", 0, NULL,
                    NULL, e);
}

static sg_err pg_app_ck_put(sg_store *s, const sg_app_ck *c, sg_error *e)
{
    return pg_write(pg_of(s), ck_put_fn, (void *)c, e);
}

static sg_err pg_app_ck_get(sg_store *s, const char *key, sg_app_ck *out)
{
    const char *p[] = {key};
    PGresult *r;
    sg_err err = pg_read(pg_of(s),
                         "SELECT app_id, api_id, api_key_hash FROM app_ck_credentials "
                         "WHERE app_id = $1 OR api_id = $1 OR api_key_hash = $1 LIMIT 1",
                         1, p, &r, NULL);
    if (err)
        return err;
    err = PQntuples(r) == 1 ? SG_OK : SG_ERR_NOT_FOUND;
    if (!err) {
        memset(out, 0, sizeof *out);
        pg_col_copy(r, 0, 0, out->app_id, sizeof out->app_id);
        pg_col_copy(r, 0, 1, out->api_id, sizeof out->api_id);
        pg_col_copy(r, 0, 2, out->api_key_hash, sizeof out->api_key_hash);
    }
    PQclear(r);
    return err;
}

const sg_store_app_ck_ops pg_app_ck_ops = {
    .app_ck_put = pg_app_ck_put,
    .app_ck_get = pg_app_ck_get,
};
