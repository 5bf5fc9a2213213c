/* What the text of a search box means (GET /v1/contacts?q=, GET /v1/optouts?q=,
 * `smsgate contact list --search`, `smsgate optout list --search`): a number or
 * a phrase. Pure: no store, no HTTP; the store turns an sg_search into a query.
 *
 * The rules (docs/api.md, "Searching contacts and opt-outs"):
 *  - Text made only of digits, spaces and "+-().", with at least one digit, is a
 *    number. With a leading "+" (or "00") it is the start of an international
 *    number: "+44 7700" finds every number that starts with +447700 (the
 *    store's index on the phone answers it). A complete national number
 *    ("07700 900123") read in the default region is that number. Any other
 *    digits ("7700 900") are found anywhere in the number; a leading 0 (a
 *    national trunk prefix) is dropped first, so "07700 9" finds +4477009...
 *  - Anything else is a phrase: a contact whose "first_name last_name" or whose
 *    "email" attribute contains it, ASCII letters without regard to case and
 *    runs of spaces read as one.
 *  - At most SG_SEARCH_MAX bytes after trimming; no control characters. */
#ifndef SG_CORE_SEARCH_H
#define SG_CORE_SEARCH_H

#include <stdbool.h>

#define SG_SEARCH_MAX 64

typedef enum sg_search_kind {
    SG_SEARCH_PHONE_PREFIX, /* text: "+" and digits; numbers that start with it */
    SG_SEARCH_PHONE_DIGITS, /* text: digits; numbers that contain them */
    SG_SEARCH_PHRASE,       /* text: lower-cased; names or email that contain it */
} sg_search_kind;

typedef struct sg_search {
    sg_search_kind kind;
    char text[SG_SEARCH_MAX + 1];
} sg_search;

typedef enum sg_search_status {
    SG_SEARCH_OK = 0,
    SG_SEARCH_EMPTY,     /* nothing but spaces: no search (list everything) */
    SG_SEARCH_TOO_LONG,  /* more than SG_SEARCH_MAX bytes */
    SG_SEARCH_CONTROL,   /* a control character (a tab, a newline, NUL-like bytes) */
} sg_search_status;

/* Read q (NUL-terminated, any bytes) with default_region (may be NULL or "")
 * for complete national numbers. *out is written only on SG_SEARCH_OK. */
sg_search_status sg_search_parse(const char *q, const char *default_region, sg_search *out);

/* Whether a search is by number (the phone kinds): such searches list in
 * number order, a phrase newest first. */
bool sg_search_is_phone(const sg_search *s);

#endif
