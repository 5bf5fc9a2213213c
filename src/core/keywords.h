/* Consent keywords in replies (STOP, START, HELP ...): one table of keywords and
 * the reply each kind sends. Pure. */
#ifndef SG_CORE_KEYWORDS_H
#define SG_CORE_KEYWORDS_H

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

/* The default reply texts (a table in keywords.c); NULL for SG_KEYWORD_NONE. */
const char *sg_keyword_default_reply(sg_keyword_kind kind);

/* "opt_out", "opt_in", "help", "none". */
const char *sg_keyword_kind_name(sg_keyword_kind kind);

#endif
