/* The Clickatell-style credentials of apps (store.h; the app_ck block of
 * store/backend.h): an app's api_id and the SHA-256 of its api_key. Read once
 * per request of the Clickatell-compatible endpoints and written by an
 * administrator's create or rotate, so every statement is prepared per call. */
#include "store/backend.h"
#include "store/sqlite/sqlite_internal.h"

#include <stdio.h>
#include <string.h>

static sg_err ck_put_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    (void)s;
    const sg_app_ck *k = arg;
    sqlite3_stmt *st = NULL;
    /* the app's row replaced; another app's api_id or key is a unique violation
     * (SG_ERR_CONFLICT, on which the caller draws another api_id), never a
     * replacement of that app's row as INSERT OR REPLACE would do */
    int rc = sqlite3_prepare_v2(c->db,
                                "INSERT INTO app_ck_credentials (app_id, api_id, api_key_hash) "
                                "VALUES (?1, ?2, ?3) ON CONFLICT (app_id) DO UPDATE SET "
                                "api_id = excluded.api_id, api_key_hash = excluded.api_key_hash",
                                -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sq_bind_text(st, 1, k->app_id);
        sq_bind_text(st, 2, k->api_id);
        sq_bind_text(st, 3, k->api_key_hash);
        rc = sqlite3_step(st);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return sq_db_error(c->db, rc, e, "storing the app's Clickatell credentials");
    return sq_keys_bump(c, e);
}

static sg_err sq_app_ck_put(sg_store *s, const sg_app_ck *c, sg_error *e)
{
    return sq_write_sync(s, ck_put_fn, (void *)c, e);
}

static sg_err sq_app_ck_get(sg_store *s, const char *key, sg_app_ck *out)
{
    conn *c = sq_reader_acquire(s);
    if (!c)
        return SG_ERR_DB;
    sqlite3_stmt *st = NULL;
    sg_err err = SG_ERR_NOT_FOUND;
    int rc = sqlite3_prepare_v2(c->db,
                                "SELECT app_id, api_id, api_key_hash FROM app_ck_credentials "
                                "WHERE app_id = ?1 OR api_id = ?1 OR api_key_hash = ?1",
                                -1, &st, NULL);
    if (rc != SQLITE_OK) {
        err = sq_map_rc(rc);
        goto out;
    }
    sq_bind_text(st, 1, key);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        memset(out, 0, sizeof *out);
        sq_col_copy(st, 0, out->app_id, sizeof out->app_id);
        sq_col_copy(st, 1, out->api_id, sizeof out->api_id);
        sq_col_copy(st, 2, out->api_key_hash, sizeof out->api_key_hash);
        err = SG_OK;
    } else if (rc != SQLITE_DONE) {
        err = sq_map_rc(rc);
    }
out:
    sqlite3_finalize(st);
    sq_reader_release(s, c);
    return err;
}

const sg_store_app_ck_ops sq_app_ck_ops = {
    .app_ck_put = sq_app_ck_put,
    .app_ck_get = sq_app_ck_get,
};
