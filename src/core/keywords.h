/* Consent keywords in replies (STOP, START, HELP ...): one table of keywords and
 * the reply each kind sends. Pure. */
#ifndef SG_CORE_KEYWORDS_H
#define SG_CORE_KEYWORDS_H

#include <stdbool.h>
#include <stddef.h>

typedef enum sg_keyword_kind {
    SG_KEYWORD_NONE = 0, /* an ordinary message */
    SG_KEYWORD_OPT_OUT,  /* STOP, STOPALL, STOP ALL, STOP STOP, UNSUBSCRIBE, CANCEL, END,
                            QUIT, REVOKE, OPTOUT, OPT OUT */
    SG_KEYWORD_OPT_IN,   /* START, UNSTOP, YES */
    SG_KEYWORD_HELP,     /* HELP, INFO */
} sg_keyword_kind;

/* Classify a whole message body (UTF-8, len bytes). The body matches only when
 * it is exactly a keyword after folding ASCII case, trimming surrounding white
 * space (spaces, tabs, newlines) and trailing punctuation (. ! ? , ; :), and
 * collapsing runs of inner white space to one space: "Stop.", " stop ", "STOP!",
 * "opt   out" match; "stop sending me these" does not. White space is ASCII only
 * (space, \t, \n, \r, \v, \f) and so is case folding: a no-break space or a
 * full-width STOP (U+FF33 U+FF34 ...) never matches, nor does a body holding a
 * NUL byte. A body longer than 64 bytes is not a keyword however it is padded,
 * and is rejected without being scanned. If matched is not NULL it gets the canonical keyword
 * ("STOP ALL", static storage), or NULL for SG_KEYWORD_NONE. */
sg_keyword_kind sg_keyword_classify(const char *body, size_t len, const char **matched);

/* Keywords a deployment adds to the legal defaults (serve's --opt-out-keywords,
 * --opt-in-keywords, --help-keywords: "ARRET,BAJA"). The defaults stay: a list
 * only adds. Each word is stored normalised (upper case, one space between
 * words) and is at most SG_KEYWORD_WORD_MAX - 1 bytes of ASCII letters, digits and
 * inner spaces. Embedded, no allocation: a zeroed struct is an empty list. */
#define SG_KEYWORD_EXTRA_MAX 32
#define SG_KEYWORD_WORD_MAX  16
typedef struct sg_keyword_extra {
    char words[SG_KEYWORD_EXTRA_MAX][SG_KEYWORD_WORD_MAX];
    sg_keyword_kind kinds[SG_KEYWORD_EXTRA_MAX];
    size_t n;
} sg_keyword_extra;

/* Add the comma-separated words of csv to x as kind. False (x unchanged past the
 * words already added) with a sentence in why (cap bytes) when a word is empty
 * after folding, too long, holds something other than ASCII letters, digits and
 * spaces, is already a keyword of another kind, or the list is full. */
bool sg_keyword_extra_add(sg_keyword_extra *x, sg_keyword_kind kind, const char *csv, char *why,
                          size_t cap);

/* sg_keyword_classify that also knows x's words (x may be NULL). The defaults
 * are looked up first, so an extra word can never change a default's kind. */
sg_keyword_kind sg_keyword_classify_with(const sg_keyword_extra *x, const char *body, size_t len,
                                         const char **matched);

/* The default reply texts (a table in keywords.c); NULL for SG_KEYWORD_NONE. */
const char *sg_keyword_default_reply(sg_keyword_kind kind);

/* "opt_out", "opt_in", "help", "none". */
const char *sg_keyword_kind_name(sg_keyword_kind kind);

#endif
