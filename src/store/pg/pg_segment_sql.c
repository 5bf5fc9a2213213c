/* The PostgreSQL backend, segment filters as SQL (the emitter beside SQLite's
 * in sqlite_audience.c) and audience counts. The tree of core/segment_filter.h
 * becomes a WHERE clause over "contacts c" built from fixed fragments; every
 * value (strings, numbers, times, attribute keys, group names) is a parameter
 * ($n with an explicit cast), never spliced into the text.
 *
 * What each test means is core/segment_filter.h's: a test on a missing value is
 * false (each comparison is wrapped in coalesce(..., false)), strings compare
 * ignoring ASCII case only (lower() under COLLATE "C" folds A-Z alone, and "C"
 * orders by bytes), a number compares only with a value that spells one. An
 * attribute is read from the contact's attributes as JSON: its text, or 1 / 0
 * for true / false, and a JSON number compares with a string as on SQLite
 * (where json_extract gives a number: never equal to a string, sorted before
 * every one). */
#include "core/segment_filter.h"
#include "store/pg/pg_store.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static sg_err compile_node(const sg_seg_node *n, int64_t now, sg_buf *sql, pg_params *p);

/* ---- parameters ---------------------------------------------------------------------- */

/* text: borrowed (from the tree, which outlives the statement). */
static sg_err param_text(pg_params *p, const char *text)
{
    if (p->n >= PG_PARAMS_MAX)
        return SG_ERR_TOO_LARGE;
    p->v[p->n++] = text;
    return SG_OK;
}

static sg_err param_own(pg_params *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A number's text, kept in p. */
static sg_err param_own(pg_params *p, const char *fmt, ...)
{
    if (p->n >= PG_PARAMS_MAX)
        return SG_ERR_TOO_LARGE;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->own[p->n], sizeof p->own[p->n], fmt, ap);
    va_end(ap);
    p->v[p->n] = p->own[p->n];
    p->n++;
    return SG_OK;
}

/* ---- fields ---------------------------------------------------------------------------- */

/* The text of an attribute whose key is parameter $k. */
#define ATTR_TEXT                                                                                  \
    "(CASE jsonb_typeof(c.attributes::jsonb -> $%d::text) WHEN 'boolean' THEN "                    \
    "((c.attributes::jsonb -> $%d::text)::boolean)::int::text "                                    \
    "ELSE c.attributes::jsonb ->> $%d::text END)"

/* The SQL text of a text field; an attribute's key is parameter $key. */
static sg_err field_text(const sg_seg_node *n, int key, sg_buf *sql)
{
    switch (n->field) {
    case SG_SEG_FIELD_FIRST_NAME:
        return sg_buf_append_str(sql, "c.first_name");
    case SG_SEG_FIELD_LAST_NAME:
        return sg_buf_append_str(sql, "c.last_name");
    case SG_SEG_FIELD_PHONE:
        return sg_buf_append_str(sql, "c.phone");
    case SG_SEG_FIELD_ATTRIBUTE:
        return sg_buf_printf(sql, ATTR_TEXT, key, key, key);
    case SG_SEG_FIELD_LAST_ACTIVITY:
        return sg_buf_append_str(sql, "c.last_activity_at");
    case SG_SEG_FIELD_CREATED:
        return sg_buf_append_str(sql, "c.created_at");
    }
    return SG_ERR_INVALID;
}

/* The parameter of n's attribute key (bound once per test), or 0. */
static sg_err field_key(const sg_seg_node *n, pg_params *p, int *key)
{
    *key = 0;
    if (n->field != SG_SEG_FIELD_ATTRIBUTE)
        return SG_OK;
    sg_err err = param_text(p, n->attr);
    *key = p->n;
    return err;
}

static const char *const op_sql[] = {
    [SG_SEG_EQ] = "=",  [SG_SEG_NE] = "<>", [SG_SEG_LT] = "<",
    [SG_SEG_LE] = "<=", [SG_SEG_GT] = ">",  [SG_SEG_GE] = ">=",
};

/* A value spelling a number (SQLite's test, written as a pattern): the
 * exponent is bounded so that the cast to numeric cannot overflow. */
#define NUMBER_PATTERN "'^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]{1,3})?$'"

static sg_err compile_number(const sg_seg_node *n, int key, sg_buf *sql, pg_params *p)
{
    sg_err err = sg_buf_append_str(sql, "(CASE WHEN btrim(");
    if (!err)
        err = field_text(n, key, sql);
    if (!err)
        err = sg_buf_append_str(sql, ") ~ " NUMBER_PATTERN " THEN btrim(");
    if (!err)
        err = field_text(n, key, sql);
    if (!err)
        err = param_own(p, "%.17g", n->number);
    return err ? err : sg_buf_printf(sql, ")::numeric END %s $%d::numeric)", op_sql[n->op], p->n);
}

/* The comparison of the field's text with the string. */
static sg_err compile_text_only(const sg_seg_node *n, int key, sg_buf *sql, pg_params *p)
{
    const char *head = n->op == SG_SEG_CONTAINS      ? "(strpos(lower(("
                       : n->op == SG_SEG_STARTS_WITH ? "starts_with(lower(("
                                                     : "(lower((";
    sg_err err = sg_buf_append_str(sql, head);
    if (!err)
        err = field_text(n, key, sql);
    if (!err)
        err = param_text(p, n->text ? n->text : "");
    if (err)
        return err;
    if (n->op == SG_SEG_CONTAINS)
        return sg_buf_printf(sql, ") COLLATE \"C\"), lower($%d::text COLLATE \"C\")) > 0)", p->n);
    if (n->op == SG_SEG_STARTS_WITH)
        return sg_buf_printf(sql, ") COLLATE \"C\"), lower($%d::text COLLATE \"C\"))", p->n);
    return sg_buf_printf(sql, ") COLLATE \"C\") %s lower($%d::text COLLATE \"C\"))", op_sql[n->op],
                         p->n);
}

/* What SQLite answers when an attribute holding a JSON number (or true or
 * false, read as 1 or 0) is compared with a string: a number is never equal to
 * a string and sorts before every one. contains and starts_with read the
 * number as text on both. */
static const char *const number_vs_text[] = {
    [SG_SEG_EQ] = "false", [SG_SEG_NE] = "true",  [SG_SEG_LT] = "true",
    [SG_SEG_LE] = "true",  [SG_SEG_GT] = "false", [SG_SEG_GE] = "false",
};

/* Text ignoring ASCII case: both sides lower-cased under "C". */
static sg_err compile_text(const sg_seg_node *n, int key, sg_buf *sql, pg_params *p)
{
    if (n->field == SG_SEG_FIELD_ATTRIBUTE && n->op <= SG_SEG_GE) {
        sg_err err = sg_buf_printf(sql,
                                   "(CASE WHEN jsonb_typeof(c.attributes::jsonb -> $%d::text) IN "
                                   "('number', 'boolean') THEN %s ELSE ",
                                   key, number_vs_text[n->op]);
        if (!err)
            err = compile_text_only(n, key, sql, p);
        return err ? err : sg_buf_append_str(sql, " END)");
    }
    return compile_text_only(n, key, sql, p);
}

static sg_err compile_cmp(const sg_seg_node *n, sg_buf *sql, pg_params *p)
{
    int key;
    sg_err err = field_key(n, p, &key);
    if (!err)
        err = sg_buf_append_str(sql, "coalesce(");
    bool number = n->is_number && n->op != SG_SEG_CONTAINS && n->op != SG_SEG_STARTS_WITH;
    if (!err)
        err = number ? compile_number(n, key, sql, p) : compile_text(n, key, sql, p);
    return err ? err : sg_buf_append_str(sql, ", false)");
}

static sg_err compile_exists(const sg_seg_node *n, sg_buf *sql, pg_params *p)
{
    bool date = n->field == SG_SEG_FIELD_LAST_ACTIVITY || n->field == SG_SEG_FIELD_CREATED;
    int key;
    sg_err err = field_key(n, p, &key);
    if (!err)
        err = sg_buf_append_str(sql, date ? "(" : "(coalesce(");
    if (!err)
        err = field_text(n, key, sql);
    return err ? err : sg_buf_append_str(sql, date ? " > 0)" : ", '') <> '')");
}

static sg_err compile_time(const sg_seg_node *n, int64_t now, sg_buf *sql, pg_params *p)
{
    const char *col = n->field == SG_SEG_FIELD_CREATED ? "c.created_at" : "c.last_activity_at";
    int64_t at = n->relative ? now - n->seconds * 1000 : n->at_ms;
    sg_err err = param_own(p, "%" PRId64, at);
    if (err)
        return err;
    /* within and after: at or since; before: strictly before */
    return sg_buf_printf(sql, "(%s > 0 AND %s %s $%d::bigint)", col, col,
                         n->time_op == SG_SEG_BEFORE ? "<" : ">=", p->n);
}

/* A run of one operator side by side, "a AND b AND c", nested only where the
 * filter nests. */
static sg_err compile_chain(const sg_seg_node *n, sg_seg_kind kind, int64_t now, sg_buf *sql,
                            pg_params *p)
{
    if (!n || n->kind != kind)
        return compile_node(n, now, sql, p);
    sg_err err = compile_chain(n->left, kind, now, sql, p);
    if (!err)
        err = sg_buf_append_str(sql, kind == SG_SEG_AND ? " AND " : " OR ");
    return err ? err : compile_chain(n->right, kind, now, sql, p);
}

#define OPTED_OUT_SQL "EXISTS (SELECT 1 FROM optouts o WHERE o.phone = c.phone)"

/* Every node compiles to a primary expression (a literal, a call, EXISTS or
 * something in parentheses), so NOT needs no parentheses of its own. */
static sg_err compile_node(const sg_seg_node *n, int64_t now, sg_buf *sql, pg_params *p)
{
    sg_err err;
    switch (n ? n->kind : SG_SEG_TRUE) {
    case SG_SEG_TRUE:
        return sg_buf_append_str(sql, "true");
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
        return sg_buf_append_str(sql, "coalesce(c.mobile, true)");
    case SG_SEG_OPTED_OUT:
        return sg_buf_append_str(sql, OPTED_OUT_SQL);
    case SG_SEG_IN_GROUP:
        err = param_text(p, n->text ? n->text : "");
        return err ? err
                   : sg_buf_printf(sql,
                                   "EXISTS (SELECT 1 FROM group_members gm JOIN groups g ON "
                                   "g.id = gm.group_id WHERE gm.contact_id = c.id AND "
                                   "g.name = $%d::text)",
                                   p->n);
    case SG_SEG_EXISTS:
        return compile_exists(n, sql, p);
    case SG_SEG_CMP:
        return compile_cmp(n, sql, p);
    case SG_SEG_TIME:
        return compile_time(n, now, sql, p);
    }
    return SG_ERR_INVALID;
}

/* ---- audiences ----------------------------------------------------------------------- */

/* The filter text of kind "filter" (id itself) or "segment" (read on c). */
static sg_err filter_text(pg_conn *c, const char *kind, const char *id, char **out, sg_error *e)
{
    if (strcmp(kind, "filter") == 0) {
        *out = strdup(id);
        return *out ? SG_OK : sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory");
    }
    const char *p[] = {id};
    PGresult *r;
    sg_err err = pg_query(c, "SELECT filter FROM segments WHERE id = $1", 1, p, &r, e);
    if (err)
        return err;
    *out = PQntuples(r) == 1 ? pg_col_dup(r, 0, 0) : NULL;
    PQclear(r);
    return *out ? SG_OK : sg_error_set(e, SG_ERR_NOT_FOUND, "segment", "no segment %s", id);
}

sg_err pg_audience_sql(pg_conn *c, const char *kind, const char *id, int64_t now, sg_buf *from,
                       pg_params *p, sg_seg_node **tree, sg_error *e)
{
    *tree = NULL;
    p->n = 0;
    if (strcmp(kind, "group") == 0) {
        sg_err err = param_text(p, id);
        if (!err)
            err = sg_buf_printf(from,
                                "contacts c JOIN group_members gm ON gm.contact_id = c.id "
                                "WHERE gm.group_id = $%d::text",
                                p->n);
        return err ? sg_error_set(e, err, NULL, "audience query too large") : SG_OK;
    }
    char *filter = NULL;
    sg_err err = filter_text(c, kind, id, &filter, e);
    if (err)
        return err;
    sg_seg_error perr = {0};
    err = sg_segment_parse(filter, tree, &perr);
    free(filter);
    if (err)
        return sg_error_set(e, SG_ERR_INVALID, "filter",
                            "the segment's filter no longer parses: %s", perr.detail);
    /* parenthesised: callers append "AND ..." (a broadcast's chunk bounds) */
    err = sg_buf_append_str(from, "contacts c WHERE (");
    if (!err)
        err = compile_node(*tree, now, from, p);
    if (!err)
        err = sg_buf_append_str(from, ")");
    if (err)
        return sg_error_set(e, err == SG_ERR_TOO_LARGE ? SG_ERR_INVALID : err, "filter",
                            "the segment's filter is too large");
    return SG_OK;
}

typedef struct count_arg {
    const char *kind, *id;
    int64_t now;
    sg_audience_count *out;
} count_arg;

static sg_err count_fn(pg_conn *c, void *arg, sg_error *e)
{
    count_arg *a = arg;
    sg_buf from, sql;
    sg_buf_init(&from, 1 << 16);
    sg_buf_init(&sql, 1 << 17);
    pg_params *p = malloc(sizeof *p);
    sg_seg_node *tree = NULL;
    sg_err err = p ? pg_audience_sql(c, a->kind, a->id, a->now, &from, p, &tree, e)
                   : sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory");
    if (!err && sg_buf_printf(&sql,
                              "SELECT count(*), count(*) FILTER (WHERE " OPTED_OUT_SQL
                              "), count(*) FILTER (WHERE NOT " OPTED_OUT_SQL
                              " AND NOT coalesce(c.mobile, true)) FROM %s",
                              sg_buf_cstr(&from)))
        err = sg_error_set(e, SG_ERR_INVALID, "filter", "the segment's filter is too large");
    PGresult *r = NULL;
    if (!err)
        err = pg_query(c, sg_buf_cstr(&sql), p->n, p->v, &r, e);
    if (!err) {
        a->out->matched = pg_col_i64(r, 0, 0);
        a->out->opted_out = pg_col_i64(r, 0, 1);
        a->out->not_mobile = pg_col_i64(r, 0, 2);
        a->out->eligible = a->out->matched - a->out->opted_out - a->out->not_mobile;
        PQclear(r);
    }
    sg_segment_free(tree);
    free(p);
    sg_buf_free(&from);
    sg_buf_free(&sql);
    return err;
}

sg_err pg_audience_count(sg_store *s, const char *kind, const char *id, int64_t now,
                         sg_audience_count *out, sg_error *e)
{
    memset(out, 0, sizeof *out);
    count_arg a = {kind, id, now, out};
    return pg_read_tx(pg_of(s), count_fn, &a, e);
}
