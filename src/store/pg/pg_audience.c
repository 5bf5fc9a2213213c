/* The PostgreSQL backend, audiences: contacts at scale (import upserts,
 * export), groups, segments, templates, tracked links and clicks. A segment's
 * filter is compiled to SQL by pg_segment_sql.c (audience counts are there
 * too). The same rules as store/sqlite/sqlite_audience.c. */
#include "store/pg/pg_store.h"
#include "util/id.h"
#include "util/time.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whether r (a DELETE or UPDATE) changed a row; clears r. */
static bool changed_rows(PGresult *r)
{
    bool changed = strcmp(PQcmdTuples(r), "0") != 0;
    PQclear(r);
    return changed;
}

/* Run one statement of n parameters; SG_ERR_NOT_FOUND ("no WHAT ID") when it
 * changed nothing. */
static sg_err change_one(pg_conn *c, const char *sql, int n, const char *const *p, const char *what,
                         sg_error *e)
{
    PGresult *r;
    sg_err err = pg_query(c, sql, n, p, &r, e);
    if (err)
        return err;
    return changed_rows(r) ? SG_OK
                           : sg_error_set(e, SG_ERR_NOT_FOUND, NULL, "no %s %s", what, p[0]);
}

/* ---- import and export ------------------------------------------------------------ */

/* An update merges the row's attributes into the stored ones as SQLite's
 * json_patch does at the top level: keys set to null are removed. */
#define SQL_UPSERT                                                                                 \
    "INSERT INTO contacts (id, phone, first_name, last_name, attributes, created_at, "             \
    "updated_at, mobile) VALUES ($1, $2, coalesce($3::text, ''), coalesce($4::text, ''), "         \
    "coalesce($5::text, '{}'), $6::bigint, $6::bigint, $7::boolean) "                              \
    "ON CONFLICT (phone) DO UPDATE SET first_name = coalesce($3, contacts.first_name), "           \
    "last_name = coalesce($4, contacts.last_name), "                                               \
    "attributes = CASE WHEN $5::text IS NULL THEN contacts.attributes ELSE "                       \
    "((contacts.attributes::jsonb || $5::jsonb) - ARRAY(SELECT k FROM jsonb_each($5::jsonb) "      \
    "AS x(k, v) WHERE v = 'null'::jsonb))::text END, "                                             \
    "mobile = $7::boolean, updated_at = $6::bigint RETURNING id"

#define SQL_MEMBER_ADD                                                                             \
    "INSERT INTO group_members (group_id, contact_id, added_at) VALUES ($1, $2, $3::bigint) "      \
    "ON CONFLICT DO NOTHING"

typedef struct upsert_arg {
    sg_contact_upsert *rows;
    size_t n;
    const char *group_id;
} upsert_arg;

static sg_err upsert_row(pg_conn *c, sg_contact_upsert *row, const char *group_id, int64_t now,
                         sg_error *e)
{
    char id[SG_ID_MAX], at[24];
    sg_id_new("ctc", now, id);
    const char *p[] = {id,
                       row->phone,
                       row->first_name,
                       row->last_name,
                       row->attributes,
                       pg_i64(at, now),
                       row->mobile ? "t" : "f"};
    PGresult *r;
    sg_err err = pg_query(c, SQL_UPSERT, 7, p, &r, e);
    if (err)
        return err;
    pg_col_copy(r, 0, 0, row->id, sizeof row->id);
    PQclear(r);
    /* RETURNING gives our new id back only for an insert */
    row->created = strcmp(row->id, id) == 0;
    if (!group_id)
        return SG_OK;
    const char *m[] = {group_id, row->id, at};
    return pg_query(c, SQL_MEMBER_ADD, 3, m, NULL, e);
}

static sg_err upsert_fn(pg_conn *c, void *arg, sg_error *e)
{
    upsert_arg *a = arg;
    int64_t now = sg_time_now_ms();
    sg_err err = SG_OK;
    for (size_t i = 0; !err && i < a->n; i++)
        err = upsert_row(c, &a->rows[i], a->group_id, now, e);
    return err;
}

static sg_err pg_contacts_upsert(sg_store *s, sg_contact_upsert *rows, size_t n,
                                 const char *group_id, sg_error *e)
{
    upsert_arg a = {rows, n, group_id};
    return pg_write(pg_of(s), upsert_fn, &a, e);
}

typedef struct upsert_job {
    pg_job base;
    sg_upsert_req *req;
} upsert_job;

static sg_err upsert_run(pg_conn *c, pg_job *j)
{
    sg_upsert_req *r = ((upsert_job *)j)->req;
    upsert_arg a = {r->rows, r->n, r->group_id};
    return upsert_fn(c, &a, &j->error);
}

static void upsert_complete(pg_job *j)
{
    upsert_job *uj = (upsert_job *)j;
    sg_upsert_req *r = uj->req;
    r->err = j->err;
    r->error = j->error;
    if (r->err && !r->error.message[0])
        sg_error_set(&r->error, r->err, NULL, "%s", sg_strerror(r->err));
    free(uj);
    r->done(r);
}

static sg_err pg_contacts_upsert_submit(sg_store *s, sg_upsert_req *r)
{
    upsert_job *j = calloc(1, sizeof *j);
    if (!j)
        return SG_ERR_NOMEM;
    j->base.run = upsert_run;
    j->base.complete = upsert_complete;
    j->req = r;
    sg_err err = pg_submit(pg_of(s), &j->base);
    if (err)
        free(j);
    return err;
}

#define EXPORT_PAGE 1000

/* Pages of EXPORT_PAGE contacts in id order from the cursor on. */
static sg_err pg_contacts_each(sg_store *s, const char *group_id,
                               int (*fn)(void *user, const sg_contact *c), void *user)
{
    char cursor[SG_ID_MAX] = "", lim[24];
    for (;;) {
        const char *p[] = {cursor, group_id, pg_i64(lim, EXPORT_PAGE)};
        PGresult *r;
        sg_err err = pg_read(pg_of(s),
                             "SELECT " PG_CONTACT_COLS " FROM contacts c WHERE c.id > $1 AND "
                             "($2::text IS NULL OR EXISTS (SELECT 1 FROM group_members m "
                             "WHERE m.group_id = $2 AND m.contact_id = c.id)) "
                             "ORDER BY c.id LIMIT $3::bigint",
                             3, p, &r, NULL);
        if (err)
            return err;
        int rows = PQntuples(r), stop = 0;
        for (int i = 0; !stop && i < rows; i++) {
            sg_contact ct;
            pg_contact_row(r, i, &ct);
            snprintf(cursor, sizeof cursor, "%s", ct.id);
            stop = fn(user, &ct);
            sg_contact_free(&ct);
        }
        PQclear(r);
        if (stop || rows < EXPORT_PAGE)
            return SG_OK;
    }
}

/* ---- groups ------------------------------------------------------------------------- */

#define GROUP_SELECT                                                                               \
    "SELECT g.id, g.name, g.created_at, (SELECT count(*) FROM group_members m "                    \
    "WHERE m.group_id = g.id) FROM groups g "

static void group_row(const PGresult *r, int i, void *out)
{
    sg_group *g = out;
    memset(g, 0, sizeof *g);
    pg_col_copy(r, i, 0, g->id, sizeof g->id);
    pg_col_copy(r, i, 1, g->name, sizeof g->name);
    g->created_at = pg_col_i64(r, i, 2);
    g->members = pg_col_i64(r, i, 3);
}

static sg_err group_create_fn(pg_conn *c, void *arg, sg_error *e)
{
    const sg_group *g = arg;
    char at[24];
    const char *p[] = {g->id, g->name, pg_i64(at, g->created_at)};
    sg_err err = pg_query(
        c, "INSERT INTO groups (id, name, created_at) VALUES ($1, $2, $3::bigint)", 3, p, NULL, e);
    return err == SG_ERR_CONFLICT
               ? sg_error_set(e, err, "name", "a group named %s exists already", g->name)
               : err;
}

static sg_err pg_group_create(sg_store *s, const sg_group *g, sg_error *e)
{
    return pg_write(pg_of(s), group_create_fn, (void *)g, e);
}

/* The id of the row of table (groups) whose id or name is id_or_name. */
static sg_err find_group(pg_conn *c, const char *id_or_name, char id[SG_ID_MAX], sg_error *e)
{
    const char *p[] = {id_or_name};
    PGresult *r;
    sg_err err = pg_query(c, "SELECT id FROM groups WHERE id = $1 OR name = $1", 1, p, &r, e);
    if (err)
        return err;
    err = PQntuples(r) > 0 ? SG_OK : SG_ERR_NOT_FOUND;
    if (!err)
        pg_col_copy(r, 0, 0, id, SG_ID_MAX);
    PQclear(r);
    return err;
}

typedef struct ensure_arg {
    const char *name;
    char *id;
} ensure_arg;

/* Another node may create the same group meanwhile: the insert then waits for
 * it and does nothing, and the second look finds its row. */
static sg_err group_ensure_fn(pg_conn *c, void *arg, sg_error *e)
{
    ensure_arg *a = arg;
    sg_err err = find_group(c, a->name, a->id, e);
    if (err != SG_ERR_NOT_FOUND)
        return err;
    int64_t now = sg_time_now_ms();
    char id[SG_ID_MAX], at[24];
    sg_id_new("grp", now, id);
    const char *p[] = {id, a->name, pg_i64(at, now)};
    err = pg_query(c,
                   "INSERT INTO groups (id, name, created_at) VALUES ($1, $2, $3::bigint) "
                   "ON CONFLICT (name) DO NOTHING",
                   3, p, NULL, e);
    if (!err && (err = find_group(c, a->name, a->id, e)) == SG_ERR_NOT_FOUND)
        return sg_error_set(e, SG_ERR_DB, NULL, "the group %s could not be created", a->name);
    return err;
}

static sg_err pg_group_ensure(sg_store *s, const char *name, char id[SG_ID_MAX], sg_error *e)
{
    ensure_arg a = {name, id};
    return pg_write(pg_of(s), group_ensure_fn, &a, e);
}

static sg_err pg_group_get(sg_store *s, const char *id_or_name, sg_group *out)
{
    memset(out, 0, sizeof *out);
    const char *p[] = {id_or_name};
    sg_group *rows;
    size_t n;
    sg_err err = pg_read_rows(pg_of(s), GROUP_SELECT "WHERE g.id = $1 OR g.name = $1", 1, p,
                              sizeof *rows, group_row, (void **)&rows, &n);
    if (err)
        return err;
    if (n > 0)
        *out = rows[0];
    free(rows);
    return n > 0 ? SG_OK : SG_ERR_NOT_FOUND;
}

static sg_err pg_group_list(sg_store *s, sg_group **out, size_t *n)
{
    return pg_read_rows(pg_of(s), GROUP_SELECT "ORDER BY g.name", 0, NULL, sizeof **out, group_row,
                        (void **)out, n);
}

static sg_err group_delete_fn(pg_conn *c, void *arg, sg_error *e)
{
    const char *p[] = {arg};
    sg_err err = change_one(c, "DELETE FROM groups WHERE id = $1", 1, p, "group", e);
    return err ? err : pg_query(c, "DELETE FROM group_members WHERE group_id = $1", 1, p, NULL, e);
}

static sg_err pg_group_delete(sg_store *s, const char *id, sg_error *e)
{
    return pg_write(pg_of(s), group_delete_fn, (void *)id, e);
}

typedef struct rename_arg {
    const char *id;
    const char *name;
} rename_arg;

static sg_err group_rename_fn(pg_conn *c, void *arg, sg_error *e)
{
    rename_arg *a = arg;
    const char *p[] = {a->id, a->name};
    sg_err err = change_one(c, "UPDATE groups SET name = $2 WHERE id = $1", 2, p, "group", e);
    return err == SG_ERR_CONFLICT
               ? sg_error_set(e, err, "name", "a group named %s exists already", a->name)
               : err;
}

static sg_err pg_group_rename(sg_store *s, const char *id, const char *name, sg_error *e)
{
    rename_arg a = {id, name};
    return pg_write(pg_of(s), group_rename_fn, &a, e);
}

typedef struct members_arg {
    const char *group_id;
    const char *const *contacts;
    size_t n;
    bool add;
    size_t changed, unknown;
} members_arg;

/* Add or remove contact i (by id or phone); the first unknown one fails all. */
static sg_err member_change(pg_conn *c, members_arg *a, size_t i, const char *at, sg_error *e)
{
    const char *q[] = {a->contacts[i]};
    PGresult *r;
    sg_err err = pg_query(c, "SELECT id FROM contacts WHERE id = $1 OR phone = $1", 1, q, &r, e);
    if (err)
        return err;
    char id[SG_ID_MAX] = "";
    bool found = PQntuples(r) > 0;
    if (found)
        pg_col_copy(r, 0, 0, id, sizeof id);
    PQclear(r);
    if (!found) {
        a->unknown = i;
        return sg_error_set(e, SG_ERR_NOT_FOUND, "contacts", "no contact %s", a->contacts[i]);
    }
    const char *p[] = {a->group_id, id, at};
    err = pg_query(c,
                   a->add ? SQL_MEMBER_ADD
                          : "DELETE FROM group_members WHERE group_id = $1 AND contact_id = $2",
                   a->add ? 3 : 2, p, &r, e);
    if (!err && changed_rows(r))
        a->changed++;
    return err;
}

static sg_err members_fn(pg_conn *c, void *arg, sg_error *e)
{
    members_arg *a = arg;
    char at[24];
    pg_i64(at, sg_time_now_ms());
    sg_err err = SG_OK;
    for (size_t i = 0; !err && i < a->n; i++)
        err = member_change(c, a, i, at, e);
    return err;
}

static sg_err pg_group_members(sg_store *s, const char *group_id, const char *const *contacts,
                               size_t n, bool add, size_t *changed, size_t *unknown, sg_error *e)
{
    members_arg a = {group_id, contacts, n, add, 0, SIZE_MAX};
    sg_err err = pg_write(pg_of(s), members_fn, &a, e);
    if (changed)
        *changed = err ? 0 : a.changed;
    if (unknown)
        *unknown = a.unknown;
    return err;
}

static void contact_item(const PGresult *r, int i, void *out)
{
    pg_contact_row(r, i, out);
}

static sg_err pg_group_contacts(sg_store *s, const char *group_id, const char *cursor, size_t limit,
                                sg_contact **out, size_t *n, bool *has_more)
{
    *has_more = false;
    char lim[24];
    const char *p[] = {group_id, cursor && *cursor ? cursor : NULL,
                       pg_i64(lim, (int64_t)limit + 1)};
    sg_err err = pg_read_rows(pg_of(s),
                              "SELECT " PG_CONTACT_COLS " FROM group_members m JOIN contacts c ON "
                              "c.id = m.contact_id WHERE m.group_id = $1 AND ($2::text IS NULL "
                              "OR m.contact_id < $2) ORDER BY m.contact_id DESC LIMIT $3::bigint",
                              3, p, sizeof **out, contact_item, (void **)out, n);
    if (!err && *n > limit) {
        sg_contact_free(&(*out)[limit]);
        *n = limit;
        *has_more = true;
    }
    return err;
}

/* ---- segments ------------------------------------------------------------------------- */

#define SEGMENT_SELECT "SELECT id, name, filter, created_at, updated_at FROM segments "

static void segment_row(const PGresult *r, int i, void *out)
{
    sg_segment *g = out;
    memset(g, 0, sizeof *g);
    pg_col_copy(r, i, 0, g->id, sizeof g->id);
    pg_col_copy(r, i, 1, g->name, sizeof g->name);
    g->filter = pg_col_dup(r, i, 2);
    g->created_at = pg_col_i64(r, i, 3);
    g->updated_at = pg_col_i64(r, i, 4);
}

static sg_err segment_write(pg_conn *c, const sg_segment *g, bool insert, sg_error *e)
{
    char created[24], updated[24];
    const char *p[] = {g->id, g->name, g->filter ? g->filter : "", pg_i64(updated, g->updated_at),
                       pg_i64(created, g->created_at)};
    sg_err err =
        insert ? pg_query(c,
                          "INSERT INTO segments (id, name, filter, updated_at, created_at) "
                          "VALUES ($1, $2, $3, $4::bigint, $5::bigint)",
                          5, p, NULL, e)
               : change_one(c,
                            "UPDATE segments SET name = $2, filter = $3, updated_at = $4::bigint "
                            "WHERE id = $1",
                            4, p, "segment", e);
    return err == SG_ERR_CONFLICT
               ? sg_error_set(e, err, "name", "a segment named %s exists already", g->name)
               : err;
}

static sg_err segment_insert_fn(pg_conn *c, void *arg, sg_error *e)
{
    return segment_write(c, arg, true, e);
}

static sg_err segment_update_fn(pg_conn *c, void *arg, sg_error *e)
{
    return segment_write(c, arg, false, e);
}

static sg_err pg_segment_create(sg_store *s, const sg_segment *g, sg_error *e)
{
    return pg_write(pg_of(s), segment_insert_fn, (void *)g, e);
}

static sg_err pg_segment_update(sg_store *s, const sg_segment *g, sg_error *e)
{
    return pg_write(pg_of(s), segment_update_fn, (void *)g, e);
}

static sg_err pg_segment_get(sg_store *s, const char *id_or_name, sg_segment *out)
{
    memset(out, 0, sizeof *out);
    const char *p[] = {id_or_name};
    sg_segment *rows;
    size_t n;
    sg_err err = pg_read_rows(pg_of(s), SEGMENT_SELECT "WHERE id = $1 OR name = $1", 1, p,
                              sizeof *rows, segment_row, (void **)&rows, &n);
    if (err)
        return err;
    for (size_t i = 1; i < n; i++)
        sg_segment_row_free(&rows[i]);
    if (n > 0)
        *out = rows[0];
    free(rows);
    return n > 0 ? SG_OK : SG_ERR_NOT_FOUND;
}

static sg_err pg_segment_list(sg_store *s, sg_segment **out, size_t *n)
{
    return pg_read_rows(pg_of(s), SEGMENT_SELECT "ORDER BY name", 0, NULL, sizeof **out,
                        segment_row, (void **)out, n);
}

static sg_err segment_delete_fn(pg_conn *c, void *arg, sg_error *e)
{
    const char *p[] = {arg};
    return change_one(c, "DELETE FROM segments WHERE id = $1", 1, p, "segment", e);
}

static sg_err pg_segment_delete(sg_store *s, const char *id, sg_error *e)
{
    return pg_write(pg_of(s), segment_delete_fn, (void *)id, e);
}

/* ---- templates ----------------------------------------------------------------------- */

#define TEMPLATE_SELECT                                                                            \
    "SELECT id, name, body, created_at, updated_at, external_template_id FROM templates "

static void template_row(const PGresult *r, int i, void *out)
{
    sg_template *t = out;
    memset(t, 0, sizeof *t);
    pg_col_copy(r, i, 0, t->id, sizeof t->id);
    pg_col_copy(r, i, 1, t->name, sizeof t->name);
    t->body = pg_col_dup(r, i, 2);
    t->created_at = pg_col_i64(r, i, 3);
    t->updated_at = pg_col_i64(r, i, 4);
    pg_col_copy(r, i, 5, t->external_template_id, sizeof t->external_template_id);
}

static sg_err template_write(pg_conn *c, const sg_template *t, bool insert, sg_error *e)
{
    char created[24], updated[24];
    const char *p[] = {t->id,
                       t->name,
                       t->body ? t->body : "",
                       pg_i64(updated, t->updated_at),
                       t->external_template_id,
                       pg_i64(created, t->created_at)};
    sg_err err = insert ? pg_query(c,
                                   "INSERT INTO templates (id, name, body, updated_at, "
                                   "external_template_id, created_at) VALUES ($1, $2, $3, "
                                   "$4::bigint, $5, $6::bigint)",
                                   6, p, NULL, e)
                        : change_one(c,
                                     "UPDATE templates SET name = $2, body = $3, updated_at = "
                                     "$4::bigint, external_template_id = $5 WHERE id = $1",
                                     5, p, "template", e);
    return err == SG_ERR_CONFLICT
               ? sg_error_set(e, err, "name", "a template named %s exists already", t->name)
               : err;
}

static sg_err template_insert_fn(pg_conn *c, void *arg, sg_error *e)
{
    return template_write(c, arg, true, e);
}

static sg_err template_update_fn(pg_conn *c, void *arg, sg_error *e)
{
    return template_write(c, arg, false, e);
}

static sg_err pg_template_create(sg_store *s, const sg_template *t, sg_error *e)
{
    return pg_write(pg_of(s), template_insert_fn, (void *)t, e);
}

static sg_err pg_template_update(sg_store *s, const sg_template *t, sg_error *e)
{
    return pg_write(pg_of(s), template_update_fn, (void *)t, e);
}

static sg_err pg_template_get(sg_store *s, const char *id_or_name, sg_template *out)
{
    memset(out, 0, sizeof *out);
    const char *p[] = {id_or_name};
    sg_template *rows;
    size_t n;
    sg_err err = pg_read_rows(pg_of(s), TEMPLATE_SELECT "WHERE id = $1 OR name = $1", 1, p,
                              sizeof *rows, template_row, (void **)&rows, &n);
    if (err)
        return err;
    for (size_t i = 1; i < n; i++)
        sg_template_row_free(&rows[i]);
    if (n > 0)
        *out = rows[0];
    free(rows);
    return n > 0 ? SG_OK : SG_ERR_NOT_FOUND;
}

static sg_err pg_template_list(sg_store *s, sg_template **out, size_t *n)
{
    return pg_read_rows(pg_of(s), TEMPLATE_SELECT "ORDER BY name", 0, NULL, sizeof **out,
                        template_row, (void **)out, n);
}

static sg_err template_delete_fn(pg_conn *c, void *arg, sg_error *e)
{
    const char *p[] = {arg};
    return change_one(c, "DELETE FROM templates WHERE id = $1", 1, p, "template", e);
}

static sg_err pg_template_delete(sg_store *s, const char *id, sg_error *e)
{
    return pg_write(pg_of(s), template_delete_fn, (void *)id, e);
}

/* ---- tracked links and clicks ------------------------------------------------------------ */

#define LINK_SQL "SELECT code, url, message_id, contact_id, broadcast_id FROM links WHERE code = $1"

static void link_row(const PGresult *r, int i, void *out)
{
    sg_link *l = out;
    memset(l, 0, sizeof *l);
    pg_col_copy(r, i, 0, l->code, sizeof l->code);
    l->url = pg_col_dup(r, i, 1);
    pg_col_copy(r, i, 2, l->message_id, sizeof l->message_id);
    pg_col_copy(r, i, 3, l->contact_id, sizeof l->contact_id);
    pg_col_copy(r, i, 4, l->broadcast_id, sizeof l->broadcast_id);
}

static sg_err pg_link_get(sg_store *s, const char *code, sg_link *out)
{
    memset(out, 0, sizeof *out);
    const char *p[] = {code};
    PGresult *r;
    sg_err err = pg_read(pg_of(s), LINK_SQL, 1, p, &r, NULL);
    if (err)
        return err;
    err = PQntuples(r) == 1 ? SG_OK : SG_ERR_NOT_FOUND;
    if (!err)
        link_row(r, 0, out);
    PQclear(r);
    return err;
}

typedef struct click_arg {
    const char *code;
    int64_t at;
    const char *user_agent;
} click_arg;

/* The click, and activity for its contact: by id when the link knows it, else
 * by the number its message went to. */
static sg_err click_fn(pg_conn *c, void *arg, sg_error *e)
{
    click_arg *a = arg;
    const char *q[] = {a->code};
    PGresult *r;
    sg_err err = pg_query(c, LINK_SQL, 1, q, &r, e);
    if (err)
        return err;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return sg_error_set(e, SG_ERR_NOT_FOUND, NULL, "no such link");
    }
    sg_link l;
    link_row(r, 0, &l);
    PQclear(r);
    char at[24];
    const char *p[] = {l.code,         l.message_id,      l.contact_id,
                       l.broadcast_id, pg_i64(at, a->at), a->user_agent ? a->user_agent : ""};
    err = pg_query(c,
                   "INSERT INTO clicks (code, message_id, contact_id, broadcast_id, at, "
                   "user_agent) VALUES ($1, $2, $3, $4, $5::bigint, left($6, 256))",
                   6, p, NULL, e);
    const char *u[] = {l.message_id, l.contact_id, at};
    if (!err)
        err = pg_query(c,
                       "UPDATE contacts SET last_activity_at = greatest(last_activity_at, "
                       "$3::bigint) WHERE id = $2 OR phone = (SELECT to_number FROM messages "
                       "WHERE id = $1)",
                       3, u, NULL, e);
    sg_link_free(&l);
    return err;
}

static sg_err pg_click(sg_store *s, const char *code, int64_t at, const char *user_agent,
                       sg_error *e)
{
    click_arg a = {code, at, user_agent};
    return pg_write(pg_of(s), click_fn, &a, e);
}

const sg_store_audience_ops pg_audience_ops = {
    .contacts_upsert = pg_contacts_upsert,
    .contacts_upsert_submit = pg_contacts_upsert_submit,
    .contacts_each = pg_contacts_each,
    .group_create = pg_group_create,
    .group_ensure = pg_group_ensure,
    .group_get = pg_group_get,
    .group_list = pg_group_list,
    .group_delete = pg_group_delete,
    .group_rename = pg_group_rename,
    .group_members = pg_group_members,
    .group_contacts = pg_group_contacts,
    .segment_create = pg_segment_create,
    .segment_update = pg_segment_update,
    .segment_get = pg_segment_get,
    .segment_list = pg_segment_list,
    .segment_delete = pg_segment_delete,
    .audience_count = pg_audience_count,
    .template_create = pg_template_create,
    .template_update = pg_template_update,
    .template_get = pg_template_get,
    .template_list = pg_template_list,
    .template_delete = pg_template_delete,
    .link_get = pg_link_get,
    .click = pg_click,
};
