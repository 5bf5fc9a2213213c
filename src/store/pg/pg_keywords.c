/* The PostgreSQL backend, keyword rules (issue 16): the rules' CRUD, with the
 * same rules as store/sqlite/sqlite_keywords.c. A matched rule's actions (and
 * its row in keyword_matches) belong to the inbound message's own write, which
 * this backend does not build yet (pg_unsupported.c). */
#include "store/pg/pg_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RULE_SELECT                                                                                \
    "SELECT id, keyword, match, to_number, priority, actions, created_at, updated_at "             \
    "FROM keyword_rules "

static void rule_row(const PGresult *r, int i, void *out)
{
    sg_keyword_rule *k = out;
    memset(k, 0, sizeof *k);
    pg_col_copy(r, i, 0, k->id, sizeof k->id);
    pg_col_copy(r, i, 1, k->keyword, sizeof k->keyword);
    pg_col_copy(r, i, 2, k->match, sizeof k->match);
    pg_col_copy(r, i, 3, k->to, sizeof k->to);
    k->priority = (long)pg_col_i64(r, i, 4);
    k->actions = pg_col_dup(r, i, 5);
    k->created_at = pg_col_i64(r, i, 6);
    k->updated_at = pg_col_i64(r, i, 7);
}

static sg_err rule_write(pg_conn *c, const sg_keyword_rule *k, bool insert, sg_error *e)
{
    char priority[24], updated[24], created[24];
    const char *p[] = {k->id,
                       k->keyword,
                       k->match,
                       k->to,
                       pg_i64(priority, k->priority),
                       k->actions ? k->actions : "[]",
                       pg_i64(updated, k->updated_at),
                       pg_i64(created, k->created_at)};
    PGresult *r;
    sg_err err = pg_query(c,
                          insert ? "INSERT INTO keyword_rules (id, keyword, match, to_number, "
                                   "priority, actions, updated_at, created_at) VALUES ($1, $2, "
                                   "$3, $4, $5::bigint, $6, $7::bigint, $8::bigint)"
                                 : "UPDATE keyword_rules SET keyword = $2, match = $3, "
                                   "to_number = $4, priority = $5::bigint, actions = $6, "
                                   "updated_at = $7::bigint WHERE id = $1",
                          insert ? 8 : 7, p, &r, e);
    if (err == SG_ERR_CONFLICT)
        return sg_error_set(e, err, "keyword", "a rule for %s (%s%s%s) exists already", k->keyword,
                            k->match, k->to[0] ? ", to " : "", k->to);
    if (err)
        return err;
    bool changed = strcmp(PQcmdTuples(r), "0") != 0;
    PQclear(r);
    return changed ? SG_OK : sg_error_set(e, SG_ERR_NOT_FOUND, NULL, "no keyword rule %s", k->id);
}

static sg_err rule_insert_fn(pg_conn *c, void *arg, sg_error *e)
{
    return rule_write(c, arg, true, e);
}

static sg_err rule_update_fn(pg_conn *c, void *arg, sg_error *e)
{
    return rule_write(c, arg, false, e);
}

static sg_err pg_keyword_rule_create(sg_store *s, const sg_keyword_rule *r, sg_error *e)
{
    return pg_write(pg_of(s), rule_insert_fn, (void *)r, e);
}

static sg_err pg_keyword_rule_update(sg_store *s, const sg_keyword_rule *r, sg_error *e)
{
    return pg_write(pg_of(s), rule_update_fn, (void *)r, e);
}

static sg_err rule_delete_fn(pg_conn *c, void *arg, sg_error *e)
{
    const char *p[] = {arg};
    PGresult *r;
    sg_err err = pg_query(c, "DELETE FROM keyword_rules WHERE id = $1", 1, p, &r, e);
    if (err)
        return err;
    bool changed = strcmp(PQcmdTuples(r), "0") != 0;
    PQclear(r);
    return changed
               ? SG_OK
               : sg_error_set(e, SG_ERR_NOT_FOUND, NULL, "no keyword rule %s", (const char *)arg);
}

static sg_err pg_keyword_rule_delete(sg_store *s, const char *id, sg_error *e)
{
    return pg_write(pg_of(s), rule_delete_fn, (void *)id, e);
}

static sg_err pg_keyword_rule_get(sg_store *s, const char *id, sg_keyword_rule *out)
{
    memset(out, 0, sizeof *out);
    const char *p[] = {id};
    sg_keyword_rule *rows;
    size_t n;
    sg_err err = pg_read_rows(pg_of(s), RULE_SELECT "WHERE id = $1", 1, p, sizeof *rows, rule_row,
                              (void **)&rows, &n);
    if (err)
        return err;
    if (n > 0)
        *out = rows[0];
    free(rows);
    return n > 0 ? SG_OK : SG_ERR_NOT_FOUND;
}

/* The order rules are tried in; the API keeps them under SG_KEYWORD_RULES_MAX. */
static sg_err pg_keyword_rule_list(sg_store *s, sg_keyword_rule **out, size_t *n)
{
    char lim[24];
    const char *p[] = {pg_i64(lim, SG_KEYWORD_RULES_MAX)};
    return pg_read_rows(pg_of(s),
                        RULE_SELECT "ORDER BY priority DESC, created_at, id LIMIT $1::bigint", 1, p,
                        sizeof **out, rule_row, (void **)out, n);
}

const sg_store_keywords_ops pg_keywords_ops = {
    .keyword_rule_create = pg_keyword_rule_create,
    .keyword_rule_update = pg_keyword_rule_update,
    .keyword_rule_delete = pg_keyword_rule_delete,
    .keyword_rule_get = pg_keyword_rule_get,
    .keyword_rule_list = pg_keyword_rule_list,
};
