/* The SQLite backend, audiences: contacts at scale (import upserts, export),
 * groups, segments (their filters compiled to SQL with bound parameters),
 * templates, tracked links and clicks. */
#include "core/phone.h"
#include "core/segment_filter.h"
#include "store/sqlite/sqlite_internal.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/time.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- contact facts ----------------------------------------------------------------- */

void sq_bind_phone_facts(sqlite3_stmt *st, int i, const char *phone)
{
    char e164[SG_PHONE_MAX];
    sg_phone_type type = SG_PHONE_TYPE_UNKNOWN;
    bool ok = sg_phone_normalize(phone, NULL, e164, &type) == SG_PHONE_OK;
    sqlite3_bind_int(st, i, !ok || sg_phone_type_can_sms(type));
}

sg_err sq_contact_memberships_delete(conn *c, const char *contact_id, sg_error *e)
{
    sqlite3_stmt *st =
        sq_stmt_sql(c, S_GROUP_MEMBERS_DELETE, "DELETE FROM group_members WHERE contact_id = ?1");
    if (st)
        sq_bind_text(st, 1, contact_id);
    return sq_step_done(c, st, e, "removing the contact from its groups");
}

sg_err sq_contacts_backfill(conn *c, sg_error *e)
{
    for (;;) {
        sqlite3_stmt *st =
            sq_stmt_sql(c, S_CONTACT_MOBILE_NULL,
                        "SELECT id, phone FROM contacts WHERE mobile IS NULL LIMIT 500");
        if (!st)
            return sq_db_error(c->db, SQLITE_ERROR, e, "preparing");
        char ids[500][SG_ID_MAX], phones[500][SG_PHONE_MAX];
        size_t n = 0;
        while (n < 500 && sqlite3_step(st) == SQLITE_ROW) {
            sq_col_copy(st, 0, ids[n], sizeof ids[n]);
            sq_col_copy(st, 1, phones[n], sizeof phones[n]);
            n++;
        }
        sqlite3_reset(st);
        if (n == 0)
            return SG_OK;
        for (size_t i = 0; i < n; i++) {
            st = sq_stmt_sql(c, S_CONTACT_SET_MOBILE,
                             "UPDATE contacts SET mobile = ?2 WHERE id = ?1");
            if (st) {
                sq_bind_text(st, 1, ids[i]);
                sq_bind_phone_facts(st, 2, phones[i]);
            }
            sg_err err = sq_step_done(c, st, e, "computing the mobile flag");
            if (err)
                return err;
        }
    }
}

sg_err sq_contact_activity(conn *c, const char *phone, const char *contact_id, int64_t at,
                           sg_error *e)
{
    sqlite3_stmt *st =
        sq_stmt_sql(c, S_CONTACT_ACTIVITY,
                    "UPDATE contacts SET last_activity_at = max(last_activity_at, ?3) "
                    "WHERE (?1 IS NOT NULL AND phone = ?1) OR id = ?2");
    if (st) {
        sq_bind_text(st, 1, phone && *phone ? phone : NULL);
        sq_bind_text(st, 2, contact_id ? contact_id : "");
        sqlite3_bind_int64(st, 3, at);
    }
    return sq_step_done(c, st, e, "recording the contact's activity");
}

/* ---- import and export ----------------------------------------------------------------- */

typedef struct upsert_arg {
    sg_contact_upsert *rows;
    size_t n;
    const char *group_id;
} upsert_arg;

static sg_err upsert_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    upsert_arg *a = arg;
    int64_t now = sg_time_now_ms();
    for (size_t i = 0; i < a->n; i++) {
        sg_contact_upsert *r = &a->rows[i];
        char id[SG_ID_MAX];
        sg_id_new("ctc", now, id);
        /* RETURNING tells an insert (our new id comes back) from an update. */
        sqlite3_stmt *st = sq_stmt_sql(
            c, S_CONTACT_UPSERT,
            "INSERT INTO contacts (id, phone, first_name, last_name, attributes, created_at, "
            "updated_at, mobile) VALUES (?1, ?2, coalesce(?3, ''), coalesce(?4, ''), "
            "coalesce(?5, '{}'), ?6, ?6, ?7) "
            "ON CONFLICT (phone) DO UPDATE SET first_name = coalesce(?3, first_name), "
            "last_name = coalesce(?4, last_name), "
            "attributes = CASE WHEN ?5 IS NULL THEN attributes ELSE json_patch(attributes, ?5) "
            "END, "
            "mobile = ?7, updated_at = ?6 RETURNING id");
        if (!st)
            return sq_db_error(c->db, SQLITE_ERROR, e, "preparing");
        sq_bind_text(st, 1, id);
        sq_bind_text(st, 2, r->phone);
        sq_bind_text(st, 3, r->first_name);
        sq_bind_text(st, 4, r->last_name);
        sq_bind_text(st, 5, r->attributes);
        sqlite3_bind_int64(st, 6, now);
        sqlite3_bind_int(st, 7, r->mobile);
        int rc = sqlite3_step(st);
        if (rc != SQLITE_ROW) {
            sqlite3_reset(st);
            return sq_db_error(c->db, rc, e, "importing a contact");
        }
        sq_col_copy(st, 0, r->id, sizeof r->id);
        sqlite3_step(st);
        sqlite3_reset(st);
        r->created = strcmp(r->id, id) == 0;
        if (a->group_id) {
            st = sq_stmt_sql(c, S_MEMBER_ADD,
                             "INSERT OR IGNORE INTO group_members (group_id, contact_id, added_at) "
                             "VALUES (?1, ?2, ?3)");
            if (st) {
                sq_bind_text(st, 1, a->group_id);
                sq_bind_text(st, 2, r->id);
                sqlite3_bind_int64(st, 3, now);
            }
            sg_err err = sq_step_done(c, st, e, "adding to the group");
            if (err)
                return err;
        }
    }
    return SG_OK;
}

static sg_err sq_contacts_upsert(sg_store *s, sg_contact_upsert *rows, size_t n,
                                 const char *group_id, sg_error *e)
{
    upsert_arg a = {rows, n, group_id};
    return sq_write_sync(s, upsert_fn, &a, e);
}

typedef struct upsert_job {
    job base;
    sg_upsert_req *req;
} upsert_job;

static sg_err upsert_run(sg_store *s, conn *c, job *j)
{
    sg_upsert_req *r = ((upsert_job *)j)->req;
    upsert_arg a = {r->rows, r->n, r->group_id};
    return upsert_fn(s, c, &a, &j->error);
}

static void upsert_complete(job *j)
{
    upsert_job *uj = (upsert_job *)j;
    sg_upsert_req *r = uj->req;
    r->err = j->err;
    r->error = j->error;
    free(uj);
    r->done(r);
}

static sg_err sq_contacts_upsert_submit(sg_store *s, sg_upsert_req *r)
{
    upsert_job *j = calloc(1, sizeof *j);
    if (!j)
        return SG_ERR_NOMEM;
    j->base.run = upsert_run;
    j->base.complete = upsert_complete;
    j->req = r;
    sg_err err = sq_submit(s, &j->base);
    if (err)
        free(j);
    return err;
}

static sg_err sq_contacts_each(sg_store *s, const char *group_id,
                               int (*fn)(void *user, const sg_contact *c), void *user)
{
    char cursor[SG_ID_MAX] = "";
    for (;;) {
        conn *c = sq_reader_acquire(s);
        if (!c)
            return SG_ERR_DB;
        sqlite3_stmt *st = sq_stmt_sql(
            c, S_CONTACT_EXPORT,
            "SELECT " SQ_CONTACT_COLS " FROM contacts c WHERE c.id > ?1 AND (?2 IS NULL OR "
            "EXISTS (SELECT 1 FROM group_members m WHERE m.group_id = ?2 AND m.contact_id = c.id)) "
            "ORDER BY c.id LIMIT 1000");
        if (!st) {
            sq_reader_release(s, c);
            return SG_ERR_DB;
        }
        sq_bind_text(st, 1, cursor);
        sq_bind_text(st, 2, group_id);
        size_t got = 0;
        int stop = 0, rc;
        while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
            sg_contact ct;
            sq_contact_row(st, &ct);
            snprintf(cursor, sizeof cursor, "%s", ct.id);
            stop = fn(user, &ct);
            sg_contact_free(&ct);
            got++;
        }
        sqlite3_reset(st);
        sq_reader_release(s, c);
        if (stop || got < 1000)
            return SG_OK;
    }
}

/* ---- groups -------------------------------------------------------------------------------- */

#define GROUP_COLS                                                                                 \
    "g.id, g.name, g.created_at, (SELECT count(*) FROM group_members m WHERE m.group_id = g.id)"

static void group_row(sqlite3_stmt *st, void *out)
{
    sg_group *g = out;
    sq_col_copy(st, 0, g->id, sizeof g->id);
    sq_col_copy(st, 1, g->name, sizeof g->name);
    g->created_at = sqlite3_column_int64(st, 2);
    g->members = sqlite3_column_int64(st, 3);
}

static sg_err group_insert(conn *c, const sg_group *g, sg_error *e)
{
    sqlite3_stmt *st = sq_stmt_sql(c, S_GROUP_INSERT,
                                   "INSERT INTO groups (id, name, created_at) VALUES (?1, ?2, ?3)");
    if (st) {
        sq_bind_text(st, 1, g->id);
        sq_bind_text(st, 2, g->name);
        sqlite3_bind_int64(st, 3, g->created_at);
    }
    return sq_step_done(c, st, e, "creating the group");
}

static sg_err group_create_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    return group_insert(c, arg, e);
}

static sg_err sq_group_create(sg_store *s, const sg_group *g, sg_error *e)
{
    return sq_write_sync(s, group_create_fn, (void *)g, e);
}

/* A row by id or name from a table with those columns (writer or reader side). */
static sg_err find_id(conn *c, int slot, const char *sql, const char *id_or_name,
                      char id[SG_ID_MAX])
{
    sqlite3_stmt *st = sq_stmt_sql(c, slot, sql);
    if (!st)
        return SG_ERR_DB;
    sq_bind_text(st, 1, id_or_name);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        sq_col_copy(st, 0, id, SG_ID_MAX);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? SG_OK : rc == SQLITE_DONE ? SG_ERR_NOT_FOUND : sq_map_rc(rc);
}

typedef struct ensure_arg {
    const char *name;
    char *id;
} ensure_arg;

static sg_err group_ensure_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    ensure_arg *a = arg;
    sg_err err = find_id(c, S_GROUP_GET,
                         "SELECT " GROUP_COLS " FROM groups g WHERE g.id = ?1 OR "
                         "g.name = ?1",
                         a->name, a->id);
    if (err != SG_ERR_NOT_FOUND)
        return err;
    sg_group g = {.created_at = sg_time_now_ms()};
    sg_id_new("grp", g.created_at, g.id);
    snprintf(g.name, sizeof g.name, "%s", a->name);
    memcpy(a->id, g.id, SG_ID_MAX);
    return group_insert(c, &g, e);
}

static sg_err sq_group_ensure(sg_store *s, const char *name, char id[SG_ID_MAX], sg_error *e)
{
    ensure_arg a = {name, id};
    return sq_write_sync(s, group_ensure_fn, &a, e);
}

static sg_err sq_group_get(sg_store *s, const char *id_or_name, sg_group *out)
{
    memset(out, 0, sizeof *out);
    return sq_read_one_sql(s, S_GROUP_GET,
                           "SELECT " GROUP_COLS " FROM groups g WHERE g.id = ?1 OR g.name = ?1",
                           id_or_name, group_row, out);
}

static sg_err sq_group_list(sg_store *s, sg_group **out, size_t *n)
{
    return sq_read_rows_sql(s, S_GROUP_LIST, "SELECT " GROUP_COLS " FROM groups g ORDER BY g.name",
                            NULL, NULL, group_row, NULL, sizeof **out, 0, (void **)out, n);
}

static sg_err group_delete_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    sqlite3_stmt *st = sq_stmt_sql(c, S_GROUP_DELETE, "DELETE FROM groups WHERE id = ?1");
    if (st)
        sq_bind_text(st, 1, arg);
    sg_err err = sq_step_done(c, st, e, "deleting the group");
    if (!err && sqlite3_changes(c->db) == 0)
        return sg_error_set(e, SG_ERR_NOT_FOUND, NULL, "no group %s", (const char *)arg);
    if (!err)
        err = sq_exec(c->db,
                      "DELETE FROM group_members WHERE group_id NOT IN (SELECT id FROM groups)", e);
    return err;
}

static sg_err sq_group_delete(sg_store *s, const char *id, sg_error *e)
{
    return sq_write_sync(s, group_delete_fn, (void *)id, e);
}

typedef struct rename_arg {
    const char *id;
    const char *name;
} rename_arg;

/* A one-off statement (renames are rare): no slot of its own. */
static sg_err group_rename_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    rename_arg *a = arg;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(c->db, "UPDATE groups SET name = ?2 WHERE id = ?1", -1, &st, NULL) !=
        SQLITE_OK) {
        sqlite3_finalize(st);
        return sq_db_error(c->db, SQLITE_ERROR, e, "renaming the group");
    }
    sq_bind_text(st, 1, a->id);
    sq_bind_text(st, 2, a->name);
    sg_err err = sq_step_done(c, st, e, "renaming the group");
    sqlite3_finalize(st);
    if (!err && sqlite3_changes(c->db) == 0)
        return sg_error_set(e, SG_ERR_NOT_FOUND, NULL, "no group %s", a->id);
    return err;
}

static sg_err sq_group_rename(sg_store *s, const char *id, const char *name, sg_error *e)
{
    rename_arg a = {id, name};
    return sq_write_sync(s, group_rename_fn, &a, e);
}

typedef struct members_arg {
    const char *group_id;
    const char *const *contacts;
    size_t n;
    bool add;
    size_t changed, unknown;
} members_arg;

static sg_err members_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    members_arg *a = arg;
    int64_t now = sg_time_now_ms();
    for (size_t i = 0; i < a->n; i++) {
        char id[SG_ID_MAX];
        sg_err err =
            find_id(c, S_CONTACT_FIND, "SELECT id FROM contacts WHERE id = ?1 OR phone = ?1",
                    a->contacts[i], id);
        if (err == SG_ERR_NOT_FOUND) {
            a->unknown = i;
            return sg_error_set(e, SG_ERR_NOT_FOUND, "contacts", "no contact %s", a->contacts[i]);
        }
        if (err)
            return sq_db_error(c->db, SQLITE_ERROR, e, "finding the contact");
        sqlite3_stmt *st =
            a->add
                ? sq_stmt_sql(c, S_MEMBER_ADD,
                              "INSERT OR IGNORE INTO group_members (group_id, contact_id, "
                              "added_at) VALUES (?1, ?2, ?3)")
                : sq_stmt_sql(c, S_MEMBER_REMOVE,
                              "DELETE FROM group_members WHERE group_id = ?1 AND contact_id = ?2");
        if (st) {
            sq_bind_text(st, 1, a->group_id);
            sq_bind_text(st, 2, id);
            if (a->add)
                sqlite3_bind_int64(st, 3, now);
        }
        err = sq_step_done(c, st, e, "changing the group's members");
        if (err)
            return err;
        a->changed += (size_t)sqlite3_changes(c->db);
    }
    return SG_OK;
}

static sg_err sq_group_members(sg_store *s, const char *group_id, const char *const *contacts,
                               size_t n, bool add, size_t *changed, size_t *unknown, sg_error *e)
{
    members_arg a = {group_id, contacts, n, add, 0, SIZE_MAX};
    sg_err err = sq_write_sync(s, members_fn, &a, e);
    if (changed)
        *changed = err ? 0 : a.changed;
    if (unknown)
        *unknown = a.unknown;
    return err;
}

static sg_err sq_group_contacts(sg_store *s, const char *group_id, const char *cursor, size_t limit,
                                sg_contact **out, size_t *n, bool *has_more)
{
    *out = NULL;
    *n = 0;
    *has_more = false;
    sg_contact *rows = calloc(limit + 1, sizeof *rows);
    if (!rows)
        return SG_ERR_NOMEM;
    conn *c = sq_reader_acquire(s);
    if (!c) {
        free(rows);
        return SG_ERR_DB;
    }
    sqlite3_stmt *st = sq_stmt_sql(
        c, S_GROUP_CONTACTS,
        "SELECT " SQ_CONTACT_COLS " FROM group_members m JOIN contacts c ON "
        "c.id = m.contact_id WHERE m.group_id = ?1 AND (?2 IS NULL OR m.contact_id < ?2) "
        "ORDER BY m.contact_id DESC LIMIT ?3");
    size_t count = 0;
    if (st) {
        sq_bind_text(st, 1, group_id);
        sq_bind_text(st, 2, cursor && *cursor ? cursor : NULL);
        sqlite3_bind_int64(st, 3, (int64_t)limit + 1);
        while (count < limit + 1 && sqlite3_step(st) == SQLITE_ROW)
            sq_contact_row(st, &rows[count++]);
        sqlite3_reset(st);
    }
    sq_reader_release(s, c);
    if (!st) {
        free(rows);
        return SG_ERR_DB;
    }
    if (count > limit) {
        sg_contact_free(&rows[limit]);
        count = limit;
        *has_more = true;
    }
    *out = rows;
    *n = count;
    return SG_OK;
}

/* ---- segments ---------------------------------------------------------------------------- */

static void segment_row(sqlite3_stmt *st, void *out)
{
    sg_segment *g = out;
    sq_col_copy(st, 0, g->id, sizeof g->id);
    sq_col_copy(st, 1, g->name, sizeof g->name);
    g->filter = sq_col_dup(st, 2);
    g->created_at = sqlite3_column_int64(st, 3);
    g->updated_at = sqlite3_column_int64(st, 4);
}

static void segment_drop(void *g)
{
    sg_segment_row_free(g);
}

static sg_err segment_write(conn *c, const sg_segment *g, bool insert, sg_error *e)
{
    sqlite3_stmt *st =
        insert ? sq_stmt_sql(c, S_SEGMENT_INSERT,
                             "INSERT INTO segments (id, name, filter, created_at, updated_at) "
                             "VALUES (?1, ?2, ?3, ?4, ?5)")
               : sq_stmt_sql(c, S_SEGMENT_UPDATE,
                             "UPDATE segments SET name = ?2, filter = ?3, updated_at = ?5 "
                             "WHERE id = ?1");
    if (st) {
        sq_bind_text(st, 1, g->id);
        sq_bind_text(st, 2, g->name);
        sq_bind_text(st, 3, g->filter ? g->filter : "");
        sqlite3_bind_int64(st, 4, g->created_at);
        sqlite3_bind_int64(st, 5, g->updated_at);
    }
    sg_err err = sq_step_done(c, st, e, "saving the segment");
    if (!err && !insert && sqlite3_changes(c->db) == 0)
        return sg_error_set(e, SG_ERR_NOT_FOUND, NULL, "no segment %s", g->id);
    return err;
}

static sg_err segment_insert_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    return segment_write(c, arg, true, e);
}

static sg_err segment_update_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    return segment_write(c, arg, false, e);
}

static sg_err sq_segment_create(sg_store *s, const sg_segment *g, sg_error *e)
{
    return sq_write_sync(s, segment_insert_fn, (void *)g, e);
}

static sg_err sq_segment_update(sg_store *s, const sg_segment *g, sg_error *e)
{
    return sq_write_sync(s, segment_update_fn, (void *)g, e);
}

static sg_err sq_segment_get(sg_store *s, const char *id_or_name, sg_segment *out)
{
    memset(out, 0, sizeof *out);
    return sq_read_one_sql(s, S_SEGMENT_GET,
                           "SELECT id, name, filter, created_at, updated_at FROM segments "
                           "WHERE id = ?1 OR name = ?1",
                           id_or_name, segment_row, out);
}

static sg_err sq_segment_list(sg_store *s, sg_segment **out, size_t *n)
{
    return sq_read_rows_sql(
        s, S_SEGMENT_LIST,
        "SELECT id, name, filter, created_at, updated_at FROM segments ORDER BY name", NULL, NULL,
        segment_row, segment_drop, sizeof **out, 0, (void **)out, n);
}

static sg_err delete_by_id(conn *c, int slot, const char *sql, const char *id, const char *what,
                           sg_error *e)
{
    sqlite3_stmt *st = sq_stmt_sql(c, slot, sql);
    if (st)
        sq_bind_text(st, 1, id);
    sg_err err = sq_step_done(c, st, e, "deleting");
    if (!err && sqlite3_changes(c->db) == 0)
        return sg_error_set(e, SG_ERR_NOT_FOUND, NULL, "no %s %s", what, id);
    return err;
}

static sg_err segment_delete_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    return delete_by_id(c, S_SEGMENT_DELETE, "DELETE FROM segments WHERE id = ?1", arg, "segment",
                        e);
}

static sg_err sq_segment_delete(sg_store *s, const char *id, sg_error *e)
{
    return sq_write_sync(s, segment_delete_fn, (void *)id, e);
}

/* ---- segment filters as SQL ---------------------------------------------------------------- */

static sg_err compile_node(const sg_seg_node *n, int64_t now, sg_buf *sql, sq_params *p);

static sg_err param_text(sq_params *p, const char *text)
{
    if (p->n >= SQ_PARAMS_MAX)
        return SG_ERR_TOO_LARGE;
    p->v[p->n].kind = SQ_PARAM_TEXT;
    p->v[p->n].text = text;
    p->n++;
    return SG_OK;
}

static sg_err param_number(sq_params *p, double number)
{
    if (p->n >= SQ_PARAMS_MAX)
        return SG_ERR_TOO_LARGE;
    p->v[p->n].kind = SQ_PARAM_REAL;
    p->v[p->n].real = number;
    p->n++;
    return SG_OK;
}

static sg_err param_int(sq_params *p, int64_t v)
{
    if (p->n >= SQ_PARAMS_MAX)
        return SG_ERR_TOO_LARGE;
    p->v[p->n].kind = SQ_PARAM_INT;
    p->v[p->n].integer = v;
    p->n++;
    return SG_OK;
}

/* The SQL expression of a text field; attribute paths are bound as parameters. */
static sg_err field_expr(const sg_seg_node *n, sg_buf *sql, sq_params *p)
{
    switch (n->field) {
    case SG_SEG_FIELD_FIRST_NAME:
        return sg_buf_append_str(sql, "c.first_name");
    case SG_SEG_FIELD_LAST_NAME:
        return sg_buf_append_str(sql, "c.last_name");
    case SG_SEG_FIELD_PHONE:
        return sg_buf_append_str(sql, "c.phone");
    case SG_SEG_FIELD_ATTRIBUTE: {
        /* '$."key"': keys are [A-Za-z0-9_] (the parser checks), quoted anyway */
        if (p->n_paths >= SQ_PARAMS_MAX)
            return SG_ERR_TOO_LARGE;
        char *path = p->paths[p->n_paths++];
        snprintf(path, SQ_PATH_MAX, "$.\"%s\"", n->attr);
        sg_err err = param_text(p, path);
        return err ? err : sg_buf_printf(sql, "json_extract(c.attributes, ?%zu)", p->n);
    }
    case SG_SEG_FIELD_LAST_ACTIVITY:
        return sg_buf_append_str(sql, "c.last_activity_at");
    case SG_SEG_FIELD_CREATED:
        return sg_buf_append_str(sql, "c.created_at");
    }
    return SG_ERR_INVALID;
}

static const char *op_sql(sg_seg_op op)
{
    switch (op) {
    case SG_SEG_EQ:
        return "=";
    case SG_SEG_NE:
        return "!=";
    case SG_SEG_LT:
        return "<";
    case SG_SEG_LE:
        return "<=";
    case SG_SEG_GT:
        return ">";
    case SG_SEG_GE:
        return ">=";
    default:
        return "=";
    }
}

/* Every test is wrapped in coalesce(..., 0) so that a missing attribute makes it
 * false (not NULL): "not attributes.city = ..." then includes contacts without a
 * city, as a reader expects. */
static sg_err compile_cmp(const sg_seg_node *n, sg_buf *sql, sq_params *p)
{
    sg_err err = sg_buf_append_str(sql, "coalesce(((");
    if (n->is_number && n->op != SG_SEG_CONTAINS && n->op != SG_SEG_STARTS_WITH) {
        /* only values that are numbers (or text spelling one) compare as numbers */
        if (!err)
            err = sg_buf_append_str(sql, "(typeof(");
        if (!err)
            err = field_expr(n, sql, p);
        if (!err)
            err = sg_buf_append_str(sql, ") IN ('integer', 'real') OR (trim(");
        if (!err)
            err = field_expr(n, sql, p);
        if (!err)
            err = sg_buf_append_str(sql, ") != '' AND trim(");
        if (!err)
            err = field_expr(n, sql, p);
        if (!err)
            err = sg_buf_append_str(sql, ") NOT GLOB '*[^0-9.eE+-]*')) AND (CAST(");
        if (!err)
            err = field_expr(n, sql, p);
        if (!err)
            err = param_number(p, n->number);
        if (!err)
            err = sg_buf_printf(sql, " AS REAL) %s ?%zu)", op_sql(n->op), p->n);
    } else if (n->op == SG_SEG_CONTAINS) {
        if (!err)
            err = sg_buf_append_str(sql, "instr(lower(");
        if (!err)
            err = field_expr(n, sql, p);
        if (!err)
            err = param_text(p, n->text ? n->text : "");
        if (!err)
            err = sg_buf_printf(sql, "), lower(?%zu)) > 0", p->n);
    } else if (n->op == SG_SEG_STARTS_WITH) {
        if (!err)
            err = sg_buf_append_str(sql, "substr(lower(");
        if (!err)
            err = field_expr(n, sql, p);
        if (!err)
            err = param_text(p, n->text ? n->text : "");
        if (!err)
            err = sg_buf_printf(sql, "), 1, length(?%zu)) = lower(?%zu)", p->n, p->n);
    } else {
        if (!err)
            err = field_expr(n, sql, p);
        if (!err)
            err = param_text(p, n->text ? n->text : "");
        if (!err)
            err = sg_buf_printf(sql, " %s ?%zu COLLATE NOCASE", op_sql(n->op), p->n);
    }
    return err ? err : sg_buf_append_str(sql, ")), 0)");
}

static sg_err compile_time(const sg_seg_node *n, int64_t now, sg_buf *sql, sq_params *p)
{
    const char *col = n->field == SG_SEG_FIELD_CREATED ? "c.created_at" : "c.last_activity_at";
    int64_t at = n->relative ? now - n->seconds * 1000 : n->at_ms;
    sg_err err = param_int(p, at);
    if (err)
        return err;
    switch (n->time_op) {
    case SG_SEG_WITHIN:
        return sg_buf_printf(sql, "(%s > 0 AND %s >= ?%zu)", col, col, p->n);
    case SG_SEG_BEFORE:
        return sg_buf_printf(sql, "(%s > 0 AND %s < ?%zu)", col, col, p->n);
    case SG_SEG_AFTER:
        return sg_buf_printf(sql, "(%s > 0 AND %s >= ?%zu)", col, col, p->n);
    }
    return SG_ERR_INVALID;
}

/* The operands of a run of one operator (a and b and (c and d)) side by side,
 * "a AND b AND c AND d": SQLite's parser keeps every open parenthesis on a
 * stack of about 100 symbols, so the SQL nests only where the filter does. */
static sg_err compile_chain(const sg_seg_node *n, sg_seg_kind kind, int64_t now, sg_buf *sql,
                            sq_params *p)
{
    if (!n || n->kind != kind)
        return compile_node(n, now, sql, p);
    sg_err err = compile_chain(n->left, kind, now, sql, p);
    if (!err)
        err = sg_buf_append_str(sql, kind == SG_SEG_AND ? " AND " : " OR ");
    return err ? err : compile_chain(n->right, kind, now, sql, p);
}

/* Every node compiles to a primary expression (a literal, a call, EXISTS or
 * something in parentheses) or to NOT and one, so NOT needs no parentheses of
 * its own. */
static sg_err compile_node(const sg_seg_node *n, int64_t now, sg_buf *sql, sq_params *p)
{
    if (!n)
        return sg_buf_append_str(sql, "1");
    sg_err err = SG_OK;
    switch (n->kind) {
    case SG_SEG_TRUE:
        return sg_buf_append_str(sql, "1");
    case SG_SEG_AND:
    case SG_SEG_OR:
        err = sg_buf_append_str(sql, "(");
        if (!err)
            err = compile_chain(n, n->kind, now, sql, p);
        return err ? err : sg_buf_append_str(sql, ")");
    case SG_SEG_NOT:
        err = sg_buf_append_str(sql, "NOT ");
        return err ? err : compile_node(n->left, now, sql, p);
    case SG_SEG_MOBILE:
        return sg_buf_append_str(sql, "(coalesce(c.mobile, 1) = 1)");
    case SG_SEG_OPTED_OUT:
        return sg_buf_append_str(sql, "EXISTS (SELECT 1 FROM optouts o WHERE o.phone = c.phone)");
    case SG_SEG_IN_GROUP:
        err = param_text(p, n->text ? n->text : "");
        return err ? err
                   : sg_buf_printf(
                         sql,
                         "EXISTS (SELECT 1 FROM group_members gm JOIN groups g ON "
                         "g.id = gm.group_id WHERE gm.contact_id = c.id AND g.name = ?%zu)",
                         p->n);
    case SG_SEG_EXISTS:
        if (n->field == SG_SEG_FIELD_LAST_ACTIVITY || n->field == SG_SEG_FIELD_CREATED) {
            err = sg_buf_append_str(sql, "(");
            if (!err)
                err = field_expr(n, sql, p);
            return err ? err : sg_buf_append_str(sql, " > 0)");
        }
        err = sg_buf_append_str(sql, "(coalesce(");
        if (!err)
            err = field_expr(n, sql, p);
        return err ? err : sg_buf_append_str(sql, ", '') != '')");
    case SG_SEG_CMP:
        return compile_cmp(n, sql, p);
    case SG_SEG_TIME:
        return compile_time(n, now, sql, p);
    }
    return SG_ERR_INVALID;
}

sg_err sq_audience_sql(conn *c, const char *kind, const char *id, int64_t now, sg_buf *from,
                       sq_params *p, sg_seg_node **tree, sg_error *e)
{
    *tree = NULL;
    p->n = 0;
    p->n_paths = 0;
    if (strcmp(kind, "group") == 0) {
        sg_err err = param_text(p, id);
        if (!err)
            err = sg_buf_printf(from,
                                "contacts c JOIN group_members gm ON gm.contact_id = c.id "
                                "WHERE gm.group_id = ?%zu",
                                p->n);
        return err ? sg_error_set(e, err, NULL, "audience query too large") : SG_OK;
    }
    /* "filter": id is the text of an unsaved filter; "segment": its filter, read
     * on this connection. */
    char *filter = NULL;
    if (strcmp(kind, "filter") == 0) {
        filter = strdup(id);
        if (!filter)
            return sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory");
    } else {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(c->db, "SELECT filter FROM segments WHERE id = ?1", -1, &st, NULL) !=
            SQLITE_OK)
            return sq_db_error(c->db, SQLITE_ERROR, e, "reading the segment");
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW)
            filter = sq_col_dup(st, 0);
        sqlite3_finalize(st);
        if (!filter)
            return sg_error_set(e, SG_ERR_NOT_FOUND, "segment", "no segment %s", id);
    }
    sg_seg_error perr = {0};
    sg_err err = sg_segment_parse(filter, tree, &perr);
    free(filter);
    if (err)
        return sg_error_set(e, SG_ERR_INVALID, "filter",
                            "the segment's filter no longer parses: %s", perr.detail);
    err = sg_buf_append_str(from, "contacts c WHERE ");
    if (!err)
        err = compile_node(*tree, now, from, p);
    if (err)
        return sg_error_set(e, err == SG_ERR_TOO_LARGE ? SG_ERR_INVALID : err, "filter",
                            "the segment's filter is too large");
    return SG_OK;
}

sg_err sq_audience_prepare(conn *c, const char *sql, sqlite3_stmt **st, sg_error *e,
                           const char *what)
{
    *st = NULL;
    int rc = sqlite3_prepare_v2(c->db, sql, -1, st, NULL);
    if (rc == SQLITE_OK)
        return SG_OK;
    if (sqlite3_errcode(c->db) == SQLITE_ERROR)
        return sg_error_set(e, SG_ERR_INVALID, "filter",
                            "the audience's filter cannot be evaluated (%s): simplify it",
                            sqlite3_errmsg(c->db));
    return sq_db_error(c->db, rc, e, what);
}

void sq_params_bind(sqlite3_stmt *st, const sq_params *p)
{
    for (size_t i = 0; i < p->n; i++) {
        const sq_param *v = &p->v[i];
        if (v->kind == SQ_PARAM_TEXT)
            sqlite3_bind_text(st, (int)i + 1, v->text, -1, SQLITE_STATIC);
        else if (v->kind == SQ_PARAM_REAL)
            sqlite3_bind_double(st, (int)i + 1, v->real);
        else
            sqlite3_bind_int64(st, (int)i + 1, v->integer);
    }
}

static sg_err sq_audience_count(sg_store *s, const char *kind, const char *id, int64_t now,
                                sg_audience_count *out, sg_error *e)
{
    memset(out, 0, sizeof *out);
    conn *c = sq_reader_acquire(s);
    if (!c)
        return sg_error_set(e, SG_ERR_DB, NULL, "no database connection");
    sg_buf from, sql;
    sg_buf_init(&from, 1 << 16);
    sg_buf_init(&sql, 1 << 17);
    sq_params p;
    sg_seg_node *tree = NULL;
    sg_err err = sq_audience_sql(c, kind, id, now, &from, &p, &tree, e);
    if (!err)
        err = sg_buf_printf(
            &sql,
            "SELECT count(*), "
            "coalesce(sum(EXISTS (SELECT 1 FROM optouts o WHERE o.phone = c.phone)), 0), "
            "coalesce(sum(NOT EXISTS (SELECT 1 FROM optouts o WHERE o.phone = c.phone) "
            "AND coalesce(c.mobile, 1) = 0), 0) FROM %s",
            sg_buf_cstr(&from));
    sqlite3_stmt *st = NULL;
    if (!err)
        err = sq_audience_prepare(c, sg_buf_cstr(&sql), &st, e, "preparing the audience count");
    if (!err) {
        sq_params_bind(st, &p);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            out->matched = sqlite3_column_int64(st, 0);
            out->opted_out = sqlite3_column_int64(st, 1);
            out->not_mobile = sqlite3_column_int64(st, 2);
            out->eligible = out->matched - out->opted_out - out->not_mobile;
        } else {
            err = sq_db_error(c->db, rc, e, "counting the audience");
        }
    }
    sqlite3_finalize(st);
    sq_reader_release(s, c);
    sg_segment_free(tree);
    sg_buf_free(&from);
    sg_buf_free(&sql);
    return err;
}

/* ---- templates ------------------------------------------------------------------------------ */

static void template_row(sqlite3_stmt *st, void *out)
{
    sg_template *t = out;
    sq_col_copy(st, 0, t->id, sizeof t->id);
    sq_col_copy(st, 1, t->name, sizeof t->name);
    t->body = sq_col_dup(st, 2);
    t->created_at = sqlite3_column_int64(st, 3);
    t->updated_at = sqlite3_column_int64(st, 4);
    sq_col_copy(st, 5, t->external_template_id, sizeof t->external_template_id);
}

static void template_drop(void *t)
{
    sg_template_row_free(t);
}

static sg_err template_write(conn *c, const sg_template *t, bool insert, sg_error *e)
{
    sqlite3_stmt *st =
        insert ? sq_stmt_sql(c, S_TEMPLATE_INSERT,
                             "INSERT INTO templates (id, name, body, created_at, updated_at, "
                             "external_template_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
               : sq_stmt_sql(c, S_TEMPLATE_UPDATE,
                             "UPDATE templates SET name = ?2, body = ?3, updated_at = ?5, "
                             "external_template_id = ?6 WHERE id = ?1");
    if (st) {
        sq_bind_text(st, 1, t->id);
        sq_bind_text(st, 2, t->name);
        sq_bind_text(st, 3, t->body ? t->body : "");
        sqlite3_bind_int64(st, 4, t->created_at);
        sqlite3_bind_int64(st, 5, t->updated_at);
        sq_bind_text(st, 6, t->external_template_id);
    }
    sg_err err = sq_step_done(c, st, e, "saving the template");
    if (!err && !insert && sqlite3_changes(c->db) == 0)
        return sg_error_set(e, SG_ERR_NOT_FOUND, NULL, "no template %s", t->id);
    return err;
}

static sg_err template_insert_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    return template_write(c, arg, true, e);
}

static sg_err template_update_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    return template_write(c, arg, false, e);
}

static sg_err sq_template_create(sg_store *s, const sg_template *t, sg_error *e)
{
    return sq_write_sync(s, template_insert_fn, (void *)t, e);
}

static sg_err sq_template_update(sg_store *s, const sg_template *t, sg_error *e)
{
    return sq_write_sync(s, template_update_fn, (void *)t, e);
}

static sg_err sq_template_get(sg_store *s, const char *id_or_name, sg_template *out)
{
    memset(out, 0, sizeof *out);
    return sq_read_one_sql(s, S_TEMPLATE_GET,
                           "SELECT id, name, body, created_at, updated_at, external_template_id "
                           "FROM templates WHERE id = ?1 OR name = ?1",
                           id_or_name, template_row, out);
}

static sg_err sq_template_list(sg_store *s, sg_template **out, size_t *n)
{
    return sq_read_rows_sql(
        s, S_TEMPLATE_LIST,
        "SELECT id, name, body, created_at, updated_at, external_template_id FROM templates "
        "ORDER BY name",
        NULL, NULL, template_row, template_drop, sizeof **out, 0, (void **)out, n);
}

static sg_err template_delete_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    return delete_by_id(c, S_TEMPLATE_DELETE, "DELETE FROM templates WHERE id = ?1", arg,
                        "template", e);
}

static sg_err sq_template_delete(sg_store *s, const char *id, sg_error *e)
{
    return sq_write_sync(s, template_delete_fn, (void *)id, e);
}

/* ---- tracked links and clicks ------------------------------------------------------------------
 */

sg_err sq_link_insert(conn *c, const sg_link *l, const sg_message *m, sg_error *e)
{
    sqlite3_stmt *st = sq_stmt_sql(c, S_LINK_INSERT,
                                   "INSERT INTO links (code, url, message_id, contact_id, "
                                   "broadcast_id) VALUES (?1, ?2, ?3, ?4, ?5)");
    if (st) {
        sq_bind_text(st, 1, l->code);
        sq_bind_text(st, 2, l->url);
        sq_bind_text(st, 3, m->id);
        sq_bind_text(st, 4, m->contact_id);
        sq_bind_text(st, 5, m->broadcast_id);
    }
    return sq_step_done(c, st, e, "storing a tracked link");
}

static void link_row(sqlite3_stmt *st, void *out)
{
    sg_link *l = out;
    sq_col_copy(st, 0, l->code, sizeof l->code);
    l->url = sq_col_dup(st, 1);
    sq_col_copy(st, 2, l->message_id, sizeof l->message_id);
    sq_col_copy(st, 3, l->contact_id, sizeof l->contact_id);
    sq_col_copy(st, 4, l->broadcast_id, sizeof l->broadcast_id);
}

#define LINK_SQL "SELECT code, url, message_id, contact_id, broadcast_id FROM links WHERE code = ?1"

static sg_err sq_link_get(sg_store *s, const char *code, sg_link *out)
{
    memset(out, 0, sizeof *out);
    return sq_read_one_sql(s, S_LINK_GET, LINK_SQL, code, link_row, out);
}

typedef struct click_arg {
    const char *code;
    int64_t at;
    const char *user_agent;
} click_arg;

static sg_err click_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    click_arg *a = arg;
    sqlite3_stmt *st = sq_stmt_sql(c, S_LINK_GET, LINK_SQL);
    if (!st)
        return sq_db_error(c->db, SQLITE_ERROR, e, "preparing");
    sq_bind_text(st, 1, a->code);
    sg_link l = {0};
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        link_row(st, &l);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW)
        return sg_error_set(e, SG_ERR_NOT_FOUND, NULL, "no such link");
    st = sq_stmt_sql(c, S_CLICK_INSERT,
                     "INSERT INTO clicks (code, message_id, contact_id, broadcast_id, at, "
                     "user_agent) VALUES (?1, ?2, ?3, ?4, ?5, substr(?6, 1, 256))");
    if (st) {
        sq_bind_text(st, 1, l.code);
        sq_bind_text(st, 2, l.message_id);
        sq_bind_text(st, 3, l.contact_id);
        sq_bind_text(st, 4, l.broadcast_id);
        sqlite3_bind_int64(st, 5, a->at);
        sq_bind_text(st, 6, a->user_agent ? a->user_agent : "");
    }
    sg_err err = sq_step_done(c, st, e, "recording the click");
    if (!err) {
        /* the contact: by id when the link knows it, else by the message's number */
        sg_message m;
        memset(&m, 0, sizeof m);
        sqlite3_stmt *q = NULL;
        char phone[SG_PHONE_MAX] = "";
        if (sqlite3_prepare_v2(c->db, "SELECT to_number FROM messages WHERE id = ?1", -1, &q,
                               NULL) == SQLITE_OK) {
            sqlite3_bind_text(q, 1, l.message_id, -1, SQLITE_STATIC);
            if (sqlite3_step(q) == SQLITE_ROW)
                sq_col_copy(q, 0, phone, sizeof phone);
        }
        sqlite3_finalize(q);
        err = sq_contact_activity(c, phone, l.contact_id, a->at, e);
    }
    sg_link_free(&l);
    return err;
}

static sg_err sq_click(sg_store *s, const char *code, int64_t at, const char *user_agent,
                       sg_error *e)
{
    click_arg a = {code, at, user_agent};
    return sq_write_sync(s, click_fn, &a, e);
}

const sg_store_audience_ops sq_audience_ops = {
    .contacts_upsert = sq_contacts_upsert,
    .contacts_upsert_submit = sq_contacts_upsert_submit,
    .contacts_each = sq_contacts_each,
    .group_create = sq_group_create,
    .group_ensure = sq_group_ensure,
    .group_get = sq_group_get,
    .group_list = sq_group_list,
    .group_delete = sq_group_delete,
    .group_rename = sq_group_rename,
    .group_members = sq_group_members,
    .group_contacts = sq_group_contacts,
    .segment_create = sq_segment_create,
    .segment_update = sq_segment_update,
    .segment_get = sq_segment_get,
    .segment_list = sq_segment_list,
    .segment_delete = sq_segment_delete,
    .audience_count = sq_audience_count,
    .template_create = sq_template_create,
    .template_update = sq_template_update,
    .template_get = sq_template_get,
    .template_list = sq_template_list,
    .template_delete = sq_template_delete,
    .link_get = sq_link_get,
    .click = sq_click,
};
