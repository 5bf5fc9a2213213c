/* The PostgreSQL backend, contacts: writes (with the mobile flag computed from
 * the phone, as on SQLite), reads and the list by id. A contact's opted_out is
 * read from optouts, never stored. The same rules as
 * store/sqlite/sqlite_contacts.c. */
#include "core/phone.h"
#include "store/pg/pg_store.h"
#include "util/id.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONTACT_SELECT "SELECT " PG_CONTACT_COLS " FROM contacts c "

void pg_contact_row(const PGresult *r, int i, sg_contact *c)
{
    memset(c, 0, sizeof *c);
    pg_col_copy(r, i, 0, c->id, sizeof c->id);
    pg_col_copy(r, i, 1, c->phone, sizeof c->phone);
    pg_col_copy(r, i, 2, c->first_name, sizeof c->first_name);
    pg_col_copy(r, i, 3, c->last_name, sizeof c->last_name);
    c->attributes = pg_col_dup(r, i, 4);
    c->created_at = pg_col_i64(r, i, 5);
    c->updated_at = pg_col_i64(r, i, 6);
    c->opted_out = pg_col_bool(r, i, 7);
    c->mobile = pg_col_bool(r, i, 8);
    c->last_activity_at = pg_col_i64(r, i, 9);
}

/* Whether phone can receive SMS as far as its number type tells (a number
 * libphonenumber cannot place counts as able). */
const char *pg_mobile_of(const char *phone)
{
    char e164[SG_PHONE_MAX];
    sg_phone_type type = SG_PHONE_TYPE_UNKNOWN;
    bool ok = sg_phone_normalize(phone, NULL, e164, &type) == SG_PHONE_OK;
    return !ok || sg_phone_type_can_sms(type) ? "t" : "f";
}

typedef struct write_arg {
    const sg_contact *ct;
    bool update;
} write_arg;

static sg_err contact_write_fn(pg_conn *c, void *arg, sg_error *e)
{
    const write_arg *a = arg;
    const sg_contact *ct = a->ct;
    char created[24], updated[24];
    const char *p[] = {ct->id,
                       ct->phone,
                       ct->first_name,
                       ct->last_name,
                       ct->attributes ? ct->attributes : "{}",
                       pg_i64(updated, ct->updated_at),
                       pg_mobile_of(ct->phone),
                       pg_i64(created, ct->created_at)};
    PGresult *r;
    sg_err err = pg_query(c,
                          a->update ? "UPDATE contacts SET phone = $2, first_name = $3, "
                                      "last_name = $4, attributes = $5, updated_at = $6::bigint, "
                                      "mobile = $7::boolean WHERE id = $1"
                                    : "INSERT INTO contacts (id, phone, first_name, last_name, "
                                      "attributes, updated_at, mobile, created_at) VALUES ($1, $2, "
                                      "$3, $4, $5, $6::bigint, $7::boolean, $8::bigint)",
                          a->update ? 7 : 8, p, &r, e);
    if (err == SG_ERR_CONFLICT)
        return sg_error_set(e, err, "phone", "another contact has the phone %s", ct->phone);
    if (err)
        return err;
    bool changed = strcmp(PQcmdTuples(r), "0") != 0;
    PQclear(r);
    if (a->update && !changed)
        return sg_error_set(e, SG_ERR_NOT_FOUND, NULL, "no contact %s", ct->id);
    return SG_OK;
}

static sg_err pg_contact_insert(sg_store *s, const sg_contact *c, sg_error *e)
{
    write_arg a = {c, false};
    return pg_write(pg_of(s), contact_write_fn, &a, e);
}

static sg_err pg_contact_update(sg_store *s, const sg_contact *c, sg_error *e)
{
    write_arg a = {c, true};
    return pg_write(pg_of(s), contact_write_fn, &a, e);
}

/* The contact and its group memberships. */
static sg_err contact_delete_fn(pg_conn *c, void *arg, sg_error *e)
{
    const char *p[] = {arg};
    sg_err err = pg_query(c, "DELETE FROM group_members WHERE contact_id = $1", 1, p, NULL, e);
    PGresult *r;
    if (err || (err = pg_query(c, "DELETE FROM contacts WHERE id = $1", 1, p, &r, e)))
        return err;
    bool changed = strcmp(PQcmdTuples(r), "0") != 0;
    PQclear(r);
    return changed ? SG_OK
                   : sg_error_set(e, SG_ERR_NOT_FOUND, NULL, "no contact %s", (const char *)arg);
}

static sg_err pg_contact_delete(sg_store *s, const char *id, sg_error *e)
{
    return pg_write(pg_of(s), contact_delete_fn, (void *)id, e);
}

static sg_err pg_contact_get(sg_store *s, const char *id_or_phone, sg_contact *out)
{
    const char *p[] = {id_or_phone};
    PGresult *r;
    sg_err err = pg_read(pg_of(s),
                         sg_id_valid("ctc", id_or_phone) ? CONTACT_SELECT "WHERE c.id = $1"
                                                         : CONTACT_SELECT "WHERE c.phone = $1",
                         1, p, &r, NULL);
    if (err)
        return err;
    err = PQntuples(r) == 1 ? SG_OK : SG_ERR_NOT_FOUND;
    if (!err)
        pg_contact_row(r, 0, out);
    PQclear(r);
    return err;
}

static sg_err pg_contact_list(sg_store *s, const char *cursor, size_t limit, sg_contact **out,
                              size_t *n, bool *has_more)
{
    *out = NULL;
    *n = 0;
    *has_more = false;
    char lim[24];
    const char *p[] = {cursor && *cursor ? cursor : NULL, pg_i64(lim, (int64_t)limit + 1)};
    PGresult *r;
    sg_err err = pg_read(pg_of(s),
                         CONTACT_SELECT "WHERE ($1::text IS NULL OR c.id < $1) "
                                        "ORDER BY c.id DESC LIMIT $2::bigint",
                         2, p, &r, NULL);
    if (err)
        return err;
    size_t rows = (size_t)PQntuples(r);
    size_t count = rows > limit ? limit : rows;
    if (count > 0 && !(*out = calloc(count, sizeof **out))) {
        PQclear(r);
        return SG_ERR_NOMEM;
    }
    for (size_t i = 0; i < count; i++)
        pg_contact_row(r, (int)i, &(*out)[i]);
    *n = count;
    *has_more = rows > limit;
    PQclear(r);
    return SG_OK;
}

const sg_store_contacts_ops pg_contacts_ops = {
    .contact_insert = pg_contact_insert,
    .contact_update = pg_contact_update,
    .contact_delete = pg_contact_delete,
    .contact_get = pg_contact_get,
    .contact_list = pg_contact_list,
};
