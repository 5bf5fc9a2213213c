/* Keyword rules (/v1/keywords): which rule an inbound message matches. Pure: no
 * I/O, no allocation.
 *
 * Folding is the consent keywords' (core/keywords.h): ASCII case, white space
 * around the message and runs of it inside, and trailing punctuation (. ! ? , ; :)
 * are ignored. A rule's keyword is one or more words, or for "glob" a pattern
 * where '*' is any run of characters (none included) and '?' one character,
 * compared with the folded message. */
#ifndef SG_CORE_KEYWORD_MATCH_H
#define SG_CORE_KEYWORD_MATCH_H

#include <stdbool.h>
#include <stddef.h>

#define SG_KW_KEYWORD_MAX 64 /* bytes of a rule's keyword */

typedef enum sg_kw_match {
    SG_KW_EXACT = 0,  /* the whole folded message is the keyword */
    SG_KW_FIRST_WORD, /* the message's first word(s) are the keyword; the rest is passed on */
    SG_KW_GLOB,       /* the whole folded message matches the pattern */
} sg_kw_match;

/* "exact", "first_word", "glob" -> *out; false for anything else. */
bool sg_kw_match_parse(const char *name, sg_kw_match *out);
const char *sg_kw_match_name(sg_kw_match m);

/* Fold a rule's keyword as it is stored (upper case, one space between words, no
 * surrounding space or trailing punctuation) into out (cap bytes). False when it
 * is empty after folding, does not fit, or holds a control character. */
bool sg_kw_fold_keyword(const char *keyword, char *out, size_t cap);

/* A rule as the matcher sees it (borrowed strings). keyword is folded
 * (sg_kw_fold_keyword); to is "" for any receiving number, else an E.164 number
 * compared with the message's normalised To. */
typedef struct sg_kw_rule_view {
    const char *keyword;
    sg_kw_match match;
    const char *to;
    long priority;
} sg_kw_rule_view;

/* Whether body (len bytes) matches keyword with m. For SG_KW_FIRST_WORD,
 * *rest / *rest_len (if rest is not NULL) get the text after the keyword with
 * its surrounding white space and trailing punctuation removed, pointing into
 * body ("JOIN  news!" -> "news"); "" for the other kinds. Bodies longer than
 * 1600 bytes never match. */
bool sg_kw_match_one(const char *keyword, sg_kw_match m, const char *body, size_t len,
                     const char **rest, size_t *rest_len);

/* The rule of rules[0..n) that body, received on `to`, matches: the one with the
 * highest priority, the earliest in the array among equal priorities. -1 when
 * none matches. rest as for sg_kw_match_one. */
long sg_kw_match_best(const sg_kw_rule_view *rules, size_t n, const char *body, size_t len,
                      const char *to, const char **rest, size_t *rest_len);

#endif
