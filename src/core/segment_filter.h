/* Segment filters: the small language a saved contact segment is written in
 * ("mobile and not opted_out and attributes.city = \"Leeds\""), parsed into an
 * AST. Pure: the SQLite store compiles the AST to SQL with bound parameters; this
 * module knows nothing of SQL. The user-facing reference is docs/segments.md.
 *
 *   filter    := or                       (empty or blank text: all contacts)
 *   or        := and ( "or" and )*
 *   and       := unary ( "and" unary )*
 *   unary     := "not" unary | "(" or ")" | test
 *   test      := "mobile" | "opted_out" | "in" "group" STRING
 *              | field op value | field "exists"
 *              | datefield "within" DURATION
 *              | datefield ( "before" | "after" ) ( DATE | DURATION )
 *   field     := "first_name" | "last_name" | "phone" | "attributes." KEY
 *   datefield := "last_activity" | "created"
 *   op        := "=" | "!=" | "<" | "<=" | ">" | ">=" | "contains" | "starts_with"
 *   value     := STRING | NUMBER
 *
 * Keywords and field names are matched without regard to ASCII case; an
 * attribute KEY ([A-Za-z0-9_]{1,64}) is kept exactly as written. Tokens are
 * separated by ASCII white space, which is needed only between two words or
 * numbers ("not(mobile)", "attributes.age>=18" are fine). STRING is
 * double-quoted UTF-8 with the escapes \" and \\ only, at most 256 bytes once
 * unescaped, and holds no control character (U+0000-U+001F, U+007F). NUMBER is
 * an optional '-', digits, and an optional '.' and digits. DURATION is digits
 * and a lower-case unit m, h, d or w, at most 36500 days. DATE is YYYY-MM-DD, a
 * real Gregorian date from 1970-01-01 to 9999-12-31, meaning 00:00 UTC that day.
 *
 * Meaning, which the store's compiler must follow. Every test is true or false,
 * never unknown: a test on a missing value (a contact never active, an attribute
 * that is not set) is false, whatever its operator (!= included), and "not"
 * turns it into true. "mobile": the number is a mobile number or its type is not
 * known. "exists": the field is present and not "". A comparison with a NUMBER
 * reads the field as a number (a value that is not one never matches); with a
 * STRING it compares UTF-8 text ignoring ASCII case only (a-z = A-Z, é != É),
 * for = != < <= > >= contains and starts_with alike. Group names match exactly.
 * For a date field:
 *   within D   value >= now - D
 *   before D   value <  now - D        before DATE  value <  DATE 00:00 UTC
 *   after D    value >= now - D        after DATE   value >= DATE 00:00 UTC
 *
 * Bounds: at most 4096 bytes of text, and of canonical text (see
 * sg_segment_format); "(" and "not" nested at most 16 deep; at most 64 tests;
 * at most 256 nodes. Long and/or chains are left-deep, so an AST can be up to
 * 256 nodes tall even though its nesting is bounded. The bounds are what the
 * store promises to evaluate: a filter within them always compiles (SQLite's
 * parser stack holds about 100 pending symbols, and each level of nesting and
 * each test costs some), so a filter that would not is refused here, when it
 * is saved, rather than when a broadcast needs it. */
#ifndef SG_CORE_SEGMENT_FILTER_H
#define SG_CORE_SEGMENT_FILTER_H

#include "util/buf.h"
#include "util/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SG_SEGMENT_TEXT_MAX     4096 /* bytes of filter text, raw or canonical */
#define SG_SEGMENT_DEPTH_MAX    16   /* "(" and "not" around any point */
#define SG_SEGMENT_TERMS_MAX    64   /* tests (the leaves) in one AST */
#define SG_SEGMENT_NODES_MAX    256  /* nodes in one AST */
#define SG_SEGMENT_STRING_MAX   256  /* bytes of a STRING, unescaped */
#define SG_SEGMENT_KEY_MAX      64   /* bytes of an attribute key */
#define SG_SEGMENT_DURATION_MAX ((int64_t)36500 * 86400) /* seconds */

typedef enum sg_seg_kind {
    SG_SEG_TRUE,      /* all contacts: only ever the whole AST, for an empty filter */
    SG_SEG_AND,       /* left and right */
    SG_SEG_OR,        /* left or right */
    SG_SEG_NOT,       /* not left */
    SG_SEG_MOBILE,    /* the number is a mobile number */
    SG_SEG_OPTED_OUT, /* the number has opted out */
    SG_SEG_IN_GROUP,  /* member of the group named text */
    SG_SEG_CMP,       /* field op value */
    SG_SEG_EXISTS,    /* field is present and not empty */
    SG_SEG_TIME,      /* field (a date field) time_op a duration or a date */
} sg_seg_kind;

typedef enum sg_seg_field {
    SG_SEG_FIELD_FIRST_NAME,
    SG_SEG_FIELD_LAST_NAME,
    SG_SEG_FIELD_PHONE,
    SG_SEG_FIELD_ATTRIBUTE, /* attr holds the key */
    SG_SEG_FIELD_LAST_ACTIVITY,
    SG_SEG_FIELD_CREATED,
} sg_seg_field;

typedef enum sg_seg_op {
    SG_SEG_EQ,
    SG_SEG_NE,
    SG_SEG_LT,
    SG_SEG_LE,
    SG_SEG_GT,
    SG_SEG_GE,
    SG_SEG_CONTAINS,    /* value is always a string */
    SG_SEG_STARTS_WITH, /* value is always a string */
} sg_seg_op;

typedef enum sg_seg_time_op {
    SG_SEG_WITHIN, /* always relative */
    SG_SEG_BEFORE,
    SG_SEG_AFTER,
} sg_seg_time_op;

/* One node. Only the members its kind names are set; the parser zeroes the rest
 * (NULL pointers, "" attr). Each node owns its children and its text. */
typedef struct sg_seg_node {
    sg_seg_kind kind;
    struct sg_seg_node *left, *right;  /* AND/OR: both; NOT: left */
    sg_seg_field field;                /* CMP, EXISTS: a text field; TIME: a date field */
    char attr[SG_SEGMENT_KEY_MAX + 1]; /* SG_SEG_FIELD_ATTRIBUTE: the key */
    sg_seg_op op;                      /* CMP */
    bool is_number;                    /* CMP: the value is number, else text */
    double number;                     /* finite; never -0 */
    char *text;             /* CMP string value, IN_GROUP group name: NUL-terminated UTF-8 */
    sg_seg_time_op time_op; /* TIME */
    bool relative;          /* TIME: seconds (before now) rather than at_ms */
    int64_t seconds;        /* relative: 0..SG_SEGMENT_DURATION_MAX, a whole number of minutes */
    int64_t at_ms;          /* absolute: UTC ms of 00:00 on the date */
} sg_seg_node;

typedef struct sg_seg_error {
    size_t offset;    /* bytes from the start of the text, <= its length */
    char detail[160]; /* e.g. "expected an operator after attributes.city at 17" */
    bool too_complex; /* a bound was passed (length, nesting, tests, nodes), not the syntax */
} sg_seg_error;

/* Parse text into *out, a tree the caller frees with sg_segment_free. Empty or
 * blank text gives a single SG_SEG_TRUE node, so on SG_OK *out is never NULL.
 * SG_ERR_INVALID for any input error, bounds included (NULL text too); err (if
 * not NULL) then gets the byte offset of the fault and a sentence that ends with
 * " at <offset>", and too_complex tells a filter past one of the bounds from
 * one that is malformed. SG_ERR_NOMEM if an allocation failed. On error *out
 * is NULL. */
sg_err sg_segment_parse(const char *text, sg_seg_node **out, sg_seg_error *err);

/* Free a tree from sg_segment_parse (or built alike with malloc); NULL is fine.
 * Iterative, so any height is safe. */
void sg_segment_free(sg_seg_node *n);

/* Append the canonical text of n to out: lower-case keywords, one space between
 * words and around operators ("not (a or b) and c", "attributes.age >= 18"), only
 * the parentheses the tree needs (and/or chains group from the left), strings
 * re-escaped, numbers in their shortest exact decimal form ("1.50" -> "1.5"),
 * durations in the largest unit that divides them ("14d" -> "2w", "0d"), dates
 * as YYYY-MM-DD. SG_SEG_TRUE (or n == NULL) is "". sg_segment_parse of the
 * result gives a tree equal to n (sg_segment_equal), and for every tree that
 * sg_segment_parse returns the result is at most SG_SEGMENT_TEXT_MAX bytes.
 * SG_ERR_INVALID if n is not a tree the parser could have produced (a member out
 * of range, a bad string or key, TRUE below the root, taller than
 * SG_SEGMENT_NODES_MAX); SG_ERR_TOO_LARGE or SG_ERR_NOMEM from out. On error out
 * is left as it was. */
sg_err sg_segment_format(const sg_seg_node *n, sg_buf *out);

/* True if a and b mean the same by construction: the same shape, kinds and
 * members (only those each kind uses). NULL equals NULL and a TRUE node. */
bool sg_segment_equal(const sg_seg_node *a, const sg_seg_node *b);

#endif
