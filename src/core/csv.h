/* A streaming CSV reader for contact import (POST /v1/contacts/import and
 * `smsgate contact import FILE.csv`). Pure: bytes go in with sg_csv_feed, records
 * come out through a callback; no I/O, no global state. Memory is bounded by the
 * limits below (one record buffer of at most max_record + 1 bytes and two arrays
 * of at most max_fields entries), never by the size of the input.
 *
 * The format is RFC 4180 plus what real files contain:
 *  - a UTF-8 byte order mark at the very start of the input is skipped (one
 *    anywhere else is kept as the character U+FEFF);
 *  - a record ends at LF, CRLF or a lone CR; each of these counts as one line;
 *  - a field that starts with '"' is quoted: it may hold commas, line breaks
 *    (kept byte for byte, CRLF included) and "" for one '"'; line breaks inside
 *    quotes still advance the line counter;
 *  - a blank line (a line break with nothing before it) is skipped and not
 *    reported; a line holding only spaces or only "" is a record of one field;
 *  - nothing is trimmed: spaces around fields and quotes are kept, so ` "x"` is
 *    an unquoted field holding a quote (an error, see below);
 *  - the last record needs no line break.
 *
 * A bad record is reported once, through the callback, with the line where it
 * starts and one reason (below). The first problem met in byte order wins (when
 * one byte crosses both, field_too_long before record_too_long), except
 * invalid_utf8, which is checked when a record is otherwise complete. Afterwards
 * the reader resynchronises:
 *  - unterminated_quote is only known at the end of the input: everything from
 *    the opening quote's record to the end is that one bad record;
 *  - for every other reason the reader skips to the end of the physical line where
 *    the problem was found, ignoring quotes while it skips, and reads the next line
 *    as a new record. So after a problem inside a quoted field that spans lines
 *    (a NUL, a field over the limit), the rest of that field's lines are read as
 *    records of their own, and will usually be reported as bad too;
 *  - invalid_utf8 is found at the end of a record, so no skipping is needed.
 * Records after a bad one are read normally.
 *
 * Not thread-safe: one reader per import. */
#ifndef SG_CORE_CSV_H
#define SG_CORE_CSV_H

#include "util/err.h"

#include <stddef.h>

typedef struct sg_csv sg_csv;

#define SG_CSV_DEFAULT_MAX_FIELD  4096  /* bytes in one field, after unquoting */
#define SG_CSV_DEFAULT_MAX_FIELDS 256   /* fields in one record */
#define SG_CSV_DEFAULT_MAX_RECORD 65536 /* bytes of one record as written, quotes,
                                         * commas and inner line breaks included,
                                         * its final line break not */
#define SG_CSV_LIMIT_MAX (1u << 30)     /* no limit may be set above this */

/* A limit of 0 takes the default. A field of exactly max_field bytes, a record of
 * exactly max_fields fields or max_record bytes is accepted. */
typedef struct sg_csv_limits {
    size_t max_field;
    size_t max_fields;
    size_t max_record;
} sg_csv_limits;

/* The reasons a record is bad, as passed to the callback (static strings; compare
 * with strcmp or against these macros' text). */
#define SG_CSV_UNTERMINATED_QUOTE      "unterminated_quote"      /* '"' never closed */
#define SG_CSV_QUOTE_IN_UNQUOTED_FIELD "quote_in_unquoted_field" /* a"b, or ` "b"` (space first) */
#define SG_CSV_TEXT_AFTER_CLOSING_QUOTE "text_after_closing_quote" /* "a"b or "a" , */
#define SG_CSV_FIELD_TOO_LONG          "field_too_long"
#define SG_CSV_TOO_MANY_FIELDS         "too_many_fields"
#define SG_CSV_RECORD_TOO_LONG         "record_too_long"
#define SG_CSV_INVALID_UTF8            "invalid_utf8" /* ill-formed, overlong, surrogate, > U+10FFFF */
#define SG_CSV_NUL_BYTE                "nul_byte"

/* sg_csv_feed and sg_csv_finish return this once the callback has asked to stop,
 * and on every call after sg_csv_finish: the reader is in the wrong state to go on. */
#define SG_CSV_STOPPED SG_ERR_CONFLICT

/* Called once per record, header row included (the caller decides what the first
 * record means). line is the 1-based line where the record starts.
 *
 * A good record: error is NULL, n >= 1, fields[i] is NUL-terminated and lens[i] is
 * its length (no field holds a NUL byte), all of it valid UTF-8.
 * A bad record: error is one of the SG_CSV_* reasons above, fields and lens are
 * NULL and n is 0.
 *
 * fields, lens and the bytes they point to belong to the reader and are valid only
 * during the call; copy what you keep. The callback may call sg_csv_lines but not
 * feed, finish or free the same reader. Return 0 to go on, anything else to stop:
 * the feed or finish call under way then returns SG_CSV_STOPPED at once, without
 * reading further. */
typedef int (*sg_csv_record_fn)(void *user, size_t line, const char *const *fields,
                                const size_t *lens, size_t n, const char *error);

/* Make a reader. lim may be NULL (all defaults). SG_ERR_INVALID if fn or out is
 * NULL or a limit is above SG_CSV_LIMIT_MAX; SG_ERR_NOMEM. The caller owns *out
 * and frees it with sg_csv_free. */
sg_err sg_csv_new(const sg_csv_limits *lim, sg_csv_record_fn fn, void *user, sg_csv **out);

/* Read len more bytes of input (data may be NULL when len is 0), calling fn for
 * each record completed by them. The input may be cut anywhere: any chunking, down
 * to one byte at a time, gives the same callbacks with the same arguments. Bytes
 * are not kept beyond the current record. Returns SG_OK (bad records are not a
 * failure of the call), SG_CSV_STOPPED, SG_ERR_INVALID for a NULL p or data, or
 * SG_ERR_NOMEM; after SG_ERR_NOMEM the reader is unusable and every later call
 * returns SG_ERR_NOMEM. */
sg_err sg_csv_feed(sg_csv *p, const char *data, size_t len);

/* End of input: the last record is delivered even without a line break; an open
 * quote is reported as unterminated_quote. Returns as sg_csv_feed does; a second
 * call returns SG_CSV_STOPPED. */
sg_err sg_csv_finish(sg_csv *p);

/* Free the reader (NULL is fine). */
void sg_csv_free(sg_csv *p);

/* Lines consumed so far, for progress reports: the number of line breaks read
 * (CRLF counts once). After sg_csv_finish, a last line without a line break counts
 * too, so the answer is then the number of lines in the input. */
size_t sg_csv_lines(const sg_csv *p);

#endif
