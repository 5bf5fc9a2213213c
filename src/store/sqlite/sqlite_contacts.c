/* The SQLite backend, contacts: row helpers, writes, reads and the list. */
#include "store/sqlite/sqlite_internal.h"

#include <jansson.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SQL_CONTACT_INSERT                                                                         \
    "INSERT INTO contacts (id, phone, first_name, last_name, attributes, "                         \
    "created_at, updated_at, mobile) "                                                             \
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
#define SQL_CONTACT_UPDATE                                                                         \
    "UPDATE contacts SET phone = ?2, first_name = ?3, last_name = ?4, "                            \
    "attributes = ?5, updated_at = ?7, mobile = ?8 WHERE id = ?1"
#define SQL_CONTACT_DELETE "DELETE FROM contacts WHERE id = ?1"
#define SQL_CONTACT_GET_ID                                                                         \
    "SELECT c.id, c.phone, c.first_name, c.last_name, c.attributes, "                              \
    "c.created_at, c.updated_at, EXISTS (SELECT 1 FROM optouts o WHERE "                           \
    "o.phone = c.phone), coalesce(c.mobile, 1), c.last_activity_at FROM "                          \
    "contacts c WHERE c.id = ?1"
#define SQL_CONTACT_GET_PHONE                                                                      \
    "SELECT c.id, c.phone, c.first_name, c.last_name, c.attributes, "                              \
    "c.created_at, c.updated_at, EXISTS (SELECT 1 FROM optouts o WHERE "                           \
    "o.phone = c.phone), coalesce(c.mobile, 1), c.last_activity_at FROM "                          \
    "contacts c WHERE c.phone = ?1"
#define SQL_CONTACT_LIST                                                                           \
    "SELECT c.id, c.phone, c.first_name, c.last_name, c.attributes, "                              \
    "c.created_at, c.updated_at, EXISTS (SELECT 1 FROM optouts o WHERE "                           \
    "o.phone = c.phone), coalesce(c.mobile, 1), c.last_activity_at FROM "                          \
    "contacts c WHERE (?1 IS NULL OR c.id < ?1) "                                                  \
    "ORDER BY c.id DESC LIMIT ?2"

/* ---- contacts ---------------------------------------------------------------------- */

void sq_contact_row(sqlite3_stmt *st, void *out)
{
    sg_contact *c = out;
    memset(c, 0, sizeof *c);
    sq_col_copy(st, 0, c->id, sizeof c->id);
    sq_col_copy(st, 1, c->phone, sizeof c->phone);
    sq_col_copy(st, 2, c->first_name, sizeof c->first_name);
    sq_col_copy(st, 3, c->last_name, sizeof c->last_name);
    c->attributes = sq_col_dup(st, 4);
    c->created_at = sqlite3_column_int64(st, 5);
    c->updated_at = sqlite3_column_int64(st, 6);
    c->opted_out = sqlite3_column_int(st, 7) != 0;
    c->mobile = sqlite3_column_int(st, 8) != 0;
    c->last_activity_at = sqlite3_column_int64(st, 9);
}

static sg_err contact_write_fn(conn *c, const sg_contact *ct, int q, sg_error *e)
{
    sqlite3_stmt *st =
        sq_stmt_sql(c, q, q == S_CONTACT_UPDATE ? SQL_CONTACT_UPDATE : SQL_CONTACT_INSERT);
    if (st) {
        sq_bind_text(st, 1, ct->id);
        sq_bind_text(st, 2, ct->phone);
        sq_bind_text(st, 3, ct->first_name);
        sq_bind_text(st, 4, ct->last_name);
        sq_bind_text(st, 5, ct->attributes ? ct->attributes : "{}");
        sqlite3_bind_int64(st, 6, ct->created_at);
        sqlite3_bind_int64(st, 7, ct->updated_at);
        sq_bind_phone_facts(st, 8, ct->phone);
    }
    sg_err err = sq_step_done(c, st, e, "saving contact");
    if (err == SG_ERR_CONFLICT)
        return sg_error_set(e, err, "phone", "another contact has the phone %s", ct->phone);
    if (!err && q == S_CONTACT_UPDATE && sqlite3_changes(c->db) == 0)
        return sg_error_set(e, SG_ERR_NOT_FOUND, NULL, "no contact %s", ct->id);
    return err;
}

static sg_err contact_insert_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    return contact_write_fn(c, arg, S_CONTACT_INSERT, e);
}

static sg_err contact_update_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    return contact_write_fn(c, arg, S_CONTACT_UPDATE, e);
}

static sg_err contact_delete_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    sg_err gerr = sq_contact_memberships_delete(c, arg, e);
    if (gerr)
        return gerr;
    sqlite3_stmt *st = sq_stmt_sql(c, S_CONTACT_DELETE, SQL_CONTACT_DELETE);
    if (st)
        sq_bind_text(st, 1, arg);
    sg_err err = sq_step_done(c, st, e, "deleting contact");
    if (!err && sqlite3_changes(c->db) == 0)
        return sg_error_set(e, SG_ERR_NOT_FOUND, NULL, "no contact %s", (const char *)arg);
    return err;
}

static sg_err sq_contact_insert(sg_store *s, const sg_contact *c, sg_error *e)
{
    return sq_write_sync(s, contact_insert_fn, (void *)c, e);
}

static sg_err sq_contact_update(sg_store *s, const sg_contact *c, sg_error *e)
{
    return sq_write_sync(s, contact_update_fn, (void *)c, e);
}

static sg_err sq_contact_delete(sg_store *s, const char *id, sg_error *e)
{
    return sq_write_sync(s, contact_delete_fn, (void *)id, e);
}

static sg_err sq_contact_get(sg_store *s, const char *id_or_phone, sg_contact *out)
{
    if (sg_id_valid("ctc", id_or_phone))
        return sq_read_one_sql(s, S_CONTACT_GET_ID, SQL_CONTACT_GET_ID, id_or_phone, sq_contact_row,
                               out);
    return sq_read_one_sql(s, S_CONTACT_GET_PHONE, SQL_CONTACT_GET_PHONE, id_or_phone,
                           sq_contact_row, out);
}

static void bind_contact_page(sqlite3_stmt *st, const void *arg)
{
    const sq_page_args *a = arg;
    sq_bind_text(st, 1, a->text);
    sqlite3_bind_int64(st, 2, (int64_t)a->limit + 1);
}

static void contact_drop(void *c)
{
    sg_contact_free(c);
}

static sg_err sq_contact_list(sg_store *s, const char *cursor, size_t limit, sg_contact **out,
                              size_t *n, bool *has_more)
{
    *has_more = false;
    sq_page_args a = {.text = cursor, .limit = limit};
    sg_err err =
        sq_read_rows_sql(s, S_CONTACT_LIST, SQL_CONTACT_LIST, bind_contact_page, &a, sq_contact_row,
                         contact_drop, sizeof **out, limit + 1, (void **)out, n);
    if (!err)
        sq_page_trim(*out, sizeof **out, n, limit, contact_drop, has_more);
    return err;
}

const sg_store_contacts_ops sq_contacts_ops = {
    .contact_insert = sq_contact_insert,
    .contact_update = sq_contact_update,
    .contact_delete = sq_contact_delete,
    .contact_get = sq_contact_get,
    .contact_list = sq_contact_list,
};
