#include "core/keywords.h"

#include <stdio.h>
#include <string.h>

/* Every keyword smsgate recognises, in its canonical spelling (upper case, one
 * space between words), with the kind it triggers. Matching compares the
 * normalised body with these strings, so a new keyword is one new row. The list
 * follows Twilio's defaults (providers.md A.10) plus the two-word spellings
 * people actually send ("STOP ALL", "OPT OUT"). "OPT-OUT" is deliberately not
 * here: the header promises whole-keyword matches only, and a hyphenated form is
 * not one of Twilio's keywords. */
static const struct keyword {
    const char *keyword;
    sg_keyword_kind kind;
} keywords[] = {
    /* clang-format off */
    {"STOP", SG_KEYWORD_OPT_OUT},
    {"STOPALL", SG_KEYWORD_OPT_OUT},
    {"STOP ALL", SG_KEYWORD_OPT_OUT},
    {"STOP STOP", SG_KEYWORD_OPT_OUT},
    {"UNSUBSCRIBE", SG_KEYWORD_OPT_OUT},
    {"CANCEL", SG_KEYWORD_OPT_OUT},
    {"END", SG_KEYWORD_OPT_OUT},
    {"QUIT", SG_KEYWORD_OPT_OUT},
    {"REVOKE", SG_KEYWORD_OPT_OUT},
    {"OPTOUT", SG_KEYWORD_OPT_OUT},
    {"OPT OUT", SG_KEYWORD_OPT_OUT},
    {"START", SG_KEYWORD_OPT_IN},
    {"UNSTOP", SG_KEYWORD_OPT_IN},
    {"YES", SG_KEYWORD_OPT_IN},
    {"HELP", SG_KEYWORD_HELP},
    {"INFO", SG_KEYWORD_HELP},
    /* clang-format on */
};

/* What each kind is called in the API and what it answers by default. */
static const struct kind_info {
    const char *name;
    const char *reply;
} kinds[] = {
    [SG_KEYWORD_NONE] = {"none", NULL},
    [SG_KEYWORD_OPT_OUT] = {"opt_out", "You have been unsubscribed and will receive no more "
                                       "messages. Reply START to resubscribe."},
    [SG_KEYWORD_OPT_IN] = {"opt_in", "You have been resubscribed. Reply STOP to unsubscribe."},
    [SG_KEYWORD_HELP] = {"help", "Reply STOP to unsubscribe, START to resubscribe."},
};

#define N_KEYWORDS (sizeof keywords / sizeof keywords[0])
#define N_KINDS    (sizeof kinds / sizeof kinds[0])

/* The longest canonical keyword is "UNSUBSCRIBE" (11 bytes); the normalised body
 * is built in a buffer one byte longer than that, so anything that normalises to
 * more is rejected as soon as it overflows. */
#define NORM_MAX 16

/* A keyword message is a word or two. The raw body may carry white space and
 * punctuation around it, but a body longer than this is not a keyword however
 * it is padded; rejecting it up front bounds the work for the 1600-character
 * bodies every inbound message can carry. */
#define RAW_MAX 64

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static int is_trailing_punct(unsigned char c)
{
    return c == '.' || c == '!' || c == '?' || c == ',' || c == ';' || c == ':';
}

/* Normalise body into out (NORM_MAX bytes): trim, collapse inner white space to
 * one ' ', fold a-z to A-Z. Bytes >= 0x80 are copied as they are, so no
 * non-ASCII text can ever equal a keyword. False when the result is empty or
 * longer than any keyword. */
static int normalise(const unsigned char *s, size_t len, char out[NORM_MAX])
{
    size_t start = 0, end = len;
    while (start < end && is_space(s[start]))
        start++;
    while (end > start && (is_space(s[end - 1]) || is_trailing_punct(s[end - 1])))
        end--;
    if (start == end)
        return 0;
    size_t o = 0;
    for (size_t i = start; i < end; i++) {
        unsigned char c = s[i];
        if (c == '\0') /* a NUL would end the comparison early: "STOP\0x" is not STOP */
            return 0;
        if (is_space(c)) {
            /* start and end are not space, so a run always has a word after it */
            if (out[o - 1] == ' ')
                continue;
            c = ' ';
        } else if (c >= 'a' && c <= 'z') {
            c = (unsigned char)(c - 'a' + 'A');
        }
        if (o + 1 >= NORM_MAX)
            return 0;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return 1;
}

sg_keyword_kind sg_keyword_classify(const char *body, size_t len, const char **matched)
{
    return sg_keyword_classify_with(NULL, body, len, matched);
}

sg_keyword_kind sg_keyword_classify_with(const sg_keyword_extra *x, const char *body, size_t len,
                                         const char **matched)
{
    if (matched)
        *matched = NULL;
    if (!body || len == 0 || len > RAW_MAX)
        return SG_KEYWORD_NONE;
    char norm[NORM_MAX];
    if (!normalise((const unsigned char *)body, len, norm))
        return SG_KEYWORD_NONE;
    for (size_t i = 0; i < N_KEYWORDS; i++) {
        if (strcmp(norm, keywords[i].keyword) == 0) {
            if (matched)
                *matched = keywords[i].keyword;
            return keywords[i].kind;
        }
    }
    for (size_t i = 0; x && i < x->n; i++) {
        if (strcmp(norm, x->words[i]) == 0) {
            if (matched)
                *matched = x->words[i];
            return x->kinds[i];
        }
    }
    return SG_KEYWORD_NONE;
}

/* A word of an extra list: ASCII letters, digits and spaces only, so that it is
 * something a person can text and normalise() can fold. */
static bool word_chars_ok(const char *w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)w[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              is_space(c)))
            return false;
    }
    return true;
}

/* Add one word (n bytes) to x; false with why. */
static bool extra_add_one(sg_keyword_extra *x, sg_keyword_kind kind, const char *w, size_t n,
                          char *why, size_t cap)
{
    char norm[NORM_MAX];
    if (n > RAW_MAX || !word_chars_ok(w, n) || !normalise((const unsigned char *)w, n, norm) ||
        strlen(norm) >= SG_KEYWORD_WORD_MAX) {
        snprintf(why, cap, "\"%.*s\" is not a keyword: 1 to %d ASCII letters, digits and spaces",
                 (int)(n > 40 ? 40 : n), w, SG_KEYWORD_WORD_MAX - 1);
        return false;
    }
    const char *known = NULL;
    sg_keyword_kind was = sg_keyword_classify_with(x, norm, strlen(norm), &known);
    if (was == kind)
        return true; /* a default, or listed twice: nothing to add */
    if (was != SG_KEYWORD_NONE) {
        snprintf(why, cap, "%s is already a keyword of kind %s", norm, sg_keyword_kind_name(was));
        return false;
    }
    if (x->n >= SG_KEYWORD_EXTRA_MAX) {
        snprintf(why, cap, "at most %d extra keywords", SG_KEYWORD_EXTRA_MAX);
        return false;
    }
    memcpy(x->words[x->n], norm, strlen(norm) + 1);
    x->kinds[x->n++] = kind;
    return true;
}

bool sg_keyword_extra_add(sg_keyword_extra *x, sg_keyword_kind kind, const char *csv, char *why,
                          size_t cap)
{
    for (const char *s = csv; s && *s;) {
        const char *comma = strchr(s, ',');
        size_t n = comma ? (size_t)(comma - s) : strlen(s);
        if (!extra_add_one(x, kind, s, n, why, cap))
            return false;
        s += n + (comma ? 1 : 0);
    }
    return true;
}

const char *sg_keyword_default_reply(sg_keyword_kind kind)
{
    return (unsigned)kind < N_KINDS ? kinds[kind].reply : NULL;
}

const char *sg_keyword_kind_name(sg_keyword_kind kind)
{
    return (unsigned)kind < N_KINDS ? kinds[kind].name : "none";
}
