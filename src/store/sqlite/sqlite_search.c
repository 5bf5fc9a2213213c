/* The SQLite backend, search: contacts by number or by a phrase of their names
 * or email, opt-outs by number (core/search.h says what a search box's text
 * means). Read-only; every statement prepared, the text bound.
 *
 * A number's prefix is a range of the phone index ("+4477" is [+4477, +4478)),
 * read in number order from the cursor on, so a page costs its rows whatever the
 * table's size. A phrase is looked for in contact_search (migration 15: each
 * contact's "first last" and email, lower-cased, some 50 bytes, in contact id
 * order), read newest first until the page is full; digits anywhere in the
 * number read the phone index the same way. docs/api.md gives the costs measured
 * on a million contacts. */
#include "store/sqlite/sqlite_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ?1 cursor (a phone or NULL), ?2 ?3 the range, ?4 digits the number contains,
 * ?5 the page size plus one. */
static const char contact_phone_sql[] =
    "SELECT " SQ_CONTACT_COLS " FROM contacts c WHERE (?1 IS NULL OR c.phone > ?1) "
    "AND c.phone >= ?2 AND c.phone < ?3 AND instr(c.phone, ?4) > 0 ORDER BY c.phone LIMIT ?5";

/* ?1 cursor (a contact id or NULL), ?2 the phrase (lower-cased), ?3 the page
 * size plus one. contact_search is read in its key's order, newest first. */
static const char contact_phrase_sql[] =
    "SELECT " SQ_CONTACT_COLS " FROM contact_search s JOIN contacts c ON c.id = s.contact_id "
    "WHERE (?1 IS NULL OR s.contact_id < ?1) AND instr(s.text, ?2) > 0 "
    "ORDER BY s.contact_id DESC LIMIT ?3";

static const char optout_phone_sql[] =
    "SELECT phone, source, reason, message_id, created_at FROM optouts WHERE "
    "(?1 IS NULL OR phone > ?1) AND phone >= ?2 AND phone < ?3 AND instr(phone, ?4) > 0 "
    "ORDER BY phone LIMIT ?5";

typedef struct phone_args {
    const char *cursor;
    char low[SG_SEARCH_MAX + 2], high[SG_SEARCH_MAX + 2];
    const char *digits;
    size_t limit;
} phone_args;

/* The range of numbers a phone search reads: a prefix's own (its last character
 * raised by one: "+4477" up to "+4478", "+449" up to "+44:"), or every number
 * (all start with "+", and "," follows "+") when the digits may be anywhere. */
static void phone_range(const sg_search *q, const char *cursor, size_t limit, phone_args *a)
{
    memset(a, 0, sizeof *a);
    a->cursor = cursor && *cursor ? cursor : NULL;
    a->limit = limit;
    if (q->kind == SG_SEARCH_PHONE_PREFIX) {
        size_t len = strlen(q->text);
        snprintf(a->low, sizeof a->low, "%s", q->text);
        snprintf(a->high, sizeof a->high, "%s", q->text);
        a->high[len - 1]++;
        a->digits = q->text;
    } else {
        snprintf(a->low, sizeof a->low, "+");
        snprintf(a->high, sizeof a->high, ",");
        a->digits = q->text;
    }
}

static void bind_phone(sqlite3_stmt *st, const void *arg)
{
    const phone_args *a = arg;
    if (a->cursor)
        sq_bind_text(st, 1, a->cursor);
    sq_bind_text(st, 2, a->low);
    sq_bind_text(st, 3, a->high);
    sq_bind_text(st, 4, a->digits);
    sqlite3_bind_int64(st, 5, (int64_t)a->limit + 1);
}

typedef struct phrase_args {
    const char *cursor;
    const char *text;
    size_t limit;
} phrase_args;

static void bind_phrase(sqlite3_stmt *st, const void *arg)
{
    const phrase_args *a = arg;
    if (a->cursor)
        sq_bind_text(st, 1, a->cursor);
    sq_bind_text(st, 2, a->text);
    sqlite3_bind_int64(st, 3, (int64_t)a->limit + 1);
}

static void contact_drop(void *c)
{
    sg_contact_free(c);
}

static sg_err sq_contact_search(sg_store *s, const sg_search *q, const char *cursor, size_t limit,
                                sg_contact **out, size_t *n, bool *has_more)
{
    *has_more = false;
    sg_err err;
    if (sg_search_is_phone(q)) {
        phone_args a;
        phone_range(q, cursor, limit, &a);
        err = sq_read_rows_sql(s, S_CONTACT_SEARCH_PHONE, contact_phone_sql, bind_phone, &a,
                               sq_contact_row, contact_drop, sizeof **out, limit + 1, (void **)out,
                               n);
    } else {
        phrase_args a = {cursor && *cursor ? cursor : NULL, q->text, limit};
        err = sq_read_rows_sql(s, S_CONTACT_SEARCH_PHRASE, contact_phrase_sql, bind_phrase, &a,
                               sq_contact_row, contact_drop, sizeof **out, limit + 1, (void **)out,
                               n);
    }
    if (!err)
        sq_page_trim(*out, sizeof **out, n, limit, contact_drop, has_more);
    return err;
}

static sg_err sq_optout_search(sg_store *s, const sg_search *q, const char *cursor, size_t limit,
                               sg_optout **out, size_t *n, bool *has_more)
{
    *out = NULL;
    *n = 0;
    *has_more = false;
    if (!sg_search_is_phone(q))
        return SG_OK;
    phone_args a;
    phone_range(q, cursor, limit, &a);
    sg_err err = sq_read_rows_sql(s, S_OPTOUT_SEARCH, optout_phone_sql, bind_phone, &a,
                                  sq_optout_row, NULL, sizeof **out, limit + 1, (void **)out, n);
    if (!err)
        sq_page_trim(*out, sizeof **out, n, limit, NULL, has_more);
    return err;
}

const sg_store_search_ops sq_search_ops = {
    .contact_search = sq_contact_search,
    .optout_search = sq_optout_search,
};
