/* The PostgreSQL backend, search: contacts by number or by a phrase of their
 * names or email, opt-outs by number (core/search.h says what a search box's
 * text means). Read-only; the text is always a parameter. The same rules and
 * costs as store/sqlite/sqlite_search.c: a number's prefix is a range of the
 * phone's index (COLLATE "C", so byte order), read in number order from the
 * cursor on; a phrase is looked for in contact_search (migration 15, kept by
 * its trigger), newest first until the page is full. */
#include "store/pg/pg_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* $1 cursor (a phone or NULL), $2 $3 the range, $4 digits the number
 * contains, $5 the page size plus one. */
static const char contact_phone_sql[] =
    "SELECT " PG_CONTACT_COLS " FROM contacts c WHERE ($1::text IS NULL OR c.phone > $1) "
    "AND c.phone >= $2 AND c.phone < $3 AND strpos(c.phone, $4) > 0 ORDER BY c.phone "
    "LIMIT $5::bigint";

/* $1 cursor (a contact id or NULL), $2 the phrase (lower-cased), $3 the page
 * size plus one. */
static const char contact_phrase_sql[] =
    "SELECT " PG_CONTACT_COLS " FROM contact_search s JOIN contacts c ON c.id = s.contact_id "
    "WHERE ($1::text IS NULL OR s.contact_id < $1) AND strpos(s.text, $2) > 0 "
    "ORDER BY s.contact_id DESC LIMIT $3::bigint";

static const char optout_phone_sql[] =
    "SELECT phone, source, reason, message_id, created_at FROM optouts WHERE "
    "($1::text IS NULL OR phone > $1) AND phone >= $2 AND phone < $3 AND strpos(phone, $4) > 0 "
    "ORDER BY phone LIMIT $5::bigint";

typedef struct phone_args {
    char low[SG_SEARCH_MAX + 2], high[SG_SEARCH_MAX + 2], limit[24];
    const char *p[5];
} phone_args;

/* The parameters of a phone search: the range of numbers it reads is a
 * prefix's own (its last character raised by one: "+4477" up to "+4478"), or
 * every number (all start with "+", and "," follows "+") when the digits may
 * be anywhere (as sqlite_search.c). */
static void phone_params(const sg_search *q, const char *cursor, size_t limit, phone_args *a)
{
    memset(a, 0, sizeof *a);
    bool prefix = q->kind == SG_SEARCH_PHONE_PREFIX;
    snprintf(a->low, sizeof a->low, "%s", prefix ? q->text : "+");
    snprintf(a->high, sizeof a->high, "%s", prefix ? q->text : ",");
    if (prefix)
        a->high[strlen(a->high) - 1]++;
    a->p[0] = cursor && *cursor ? cursor : NULL;
    a->p[1] = a->low;
    a->p[2] = a->high;
    a->p[3] = q->text;
    a->p[4] = pg_i64(a->limit, (int64_t)limit + 1);
}

static void contact_item(const PGresult *r, int i, void *out)
{
    pg_contact_row(r, i, out);
}

static sg_err pg_contact_search(sg_store *s, const sg_search *q, const char *cursor, size_t limit,
                                sg_contact **out, size_t *n, bool *has_more)
{
    *has_more = false;
    sg_err err;
    if (sg_search_is_phone(q)) {
        phone_args a;
        phone_params(q, cursor, limit, &a);
        err = pg_read_rows(pg_of(s), contact_phone_sql, 5, a.p, sizeof **out, contact_item,
                           (void **)out, n);
    } else {
        char lim[24];
        const char *p[] = {cursor && *cursor ? cursor : NULL, q->text,
                           pg_i64(lim, (int64_t)limit + 1)};
        err = pg_read_rows(pg_of(s), contact_phrase_sql, 3, p, sizeof **out, contact_item,
                           (void **)out, n);
    }
    if (!err && *n > limit) {
        sg_contact_free(&(*out)[limit]);
        *n = limit;
        *has_more = true;
    }
    return err;
}

static void optout_item(const PGresult *r, int i, void *out)
{
    sg_optout *o = out;
    pg_col_copy(r, i, 0, o->phone, sizeof o->phone);
    pg_col_copy(r, i, 1, o->source, sizeof o->source);
    pg_col_copy(r, i, 2, o->reason, sizeof o->reason);
    pg_col_copy(r, i, 3, o->message_id, sizeof o->message_id);
    o->created_at = pg_col_i64(r, i, 4);
}

static sg_err pg_optout_search(sg_store *s, const sg_search *q, const char *cursor, size_t limit,
                               sg_optout **out, size_t *n, bool *has_more)
{
    *out = NULL;
    *n = 0;
    *has_more = false;
    if (!sg_search_is_phone(q))
        return SG_OK;
    phone_args a;
    phone_params(q, cursor, limit, &a);
    sg_err err = pg_read_rows(pg_of(s), optout_phone_sql, 5, a.p, sizeof **out, optout_item,
                              (void **)out, n);
    if (!err && *n > limit) {
        *n = limit;
        *has_more = true;
    }
    return err;
}

const sg_store_search_ops pg_search_ops = {
    .contact_search = pg_contact_search,
    .optout_search = pg_optout_search,
};
