#include "core/keyword_match.h"

#include <string.h>

/* The longest inbound body smsgate stores is 1600 bytes (ten segments); a
 * longer one is not folded at all, which bounds the work and the buffer. */
#define BODY_MAX 1600

static const char *const match_names[] = {
    [SG_KW_EXACT] = "exact",
    [SG_KW_FIRST_WORD] = "first_word",
    [SG_KW_GLOB] = "glob",
};
#define N_MATCH (sizeof match_names / sizeof *match_names)

bool sg_kw_match_parse(const char *name, sg_kw_match *out)
{
    for (size_t i = 0; name && i < N_MATCH; i++) {
        if (strcmp(name, match_names[i]) == 0) {
            *out = (sg_kw_match)i;
            return true;
        }
    }
    return false;
}

const char *sg_kw_match_name(sg_kw_match m)
{
    return (unsigned)m < N_MATCH ? match_names[m] : "exact";
}

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static bool is_trailing_punct(unsigned char c)
{
    return c == '.' || c == '!' || c == '?' || c == ',' || c == ';' || c == ':';
}

/* s[*start..*end) without surrounding white space and trailing punctuation. */
static void trim(const unsigned char *s, size_t *start, size_t *end)
{
    while (*start < *end && is_space(s[*start]))
        (*start)++;
    while (*end > *start && (is_space(s[*end - 1]) || is_trailing_punct(s[*end - 1])))
        (*end)--;
}

/* Fold s (len bytes) into out (cap bytes): trimmed, inner white space runs as one
 * ' ', a-z as A-Z, other bytes as they are. False when empty, too long for out, or
 * holding a NUL or another control character. */
static bool fold(const unsigned char *s, size_t len, char *out, size_t cap)
{
    size_t start = 0, end = len, o = 0;
    trim(s, &start, &end);
    if (start == end)
        return false;
    for (size_t i = start; i < end; i++) {
        unsigned char c = s[i];
        if (is_space(c)) {
            if (out[o - 1] == ' ') /* start and end are not space: o > 0 here */
                continue;
            c = ' ';
        } else if (c < 0x20 || c == 0x7f) {
            return false;
        } else if (c >= 'a' && c <= 'z') {
            c = (unsigned char)(c - 'a' + 'A');
        }
        if (o + 1 >= cap)
            return false;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return true;
}

bool sg_kw_fold_keyword(const char *keyword, char *out, size_t cap)
{
    return keyword && fold((const unsigned char *)keyword, strlen(keyword), out, cap);
}

/* '*' any run, '?' one byte; the classic two-pointer walk that returns to the last
 * '*' on a mismatch, so it is O(len(p) * len(s)) at worst, never exponential. */
static bool glob(const char *p, const char *s)
{
    const char *star = NULL, *resume = NULL;
    while (*s) {
        if (*p == '*') {
            star = p++;
            resume = s;
        } else if (*p == '?' || *p == *s) {
            p++;
            s++;
        } else if (star) {
            p = star + 1;
            s = ++resume;
        } else {
            return false;
        }
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}

/* The words after the first `words` words of body, trimmed (see the header). */
static void rest_after(const char *body, size_t len, size_t words, const char **rest,
                       size_t *rest_len)
{
    const unsigned char *s = (const unsigned char *)body;
    size_t i = 0;
    for (size_t w = 0; w < words; w++) {
        while (i < len && is_space(s[i]))
            i++;
        while (i < len && !is_space(s[i]))
            i++;
    }
    size_t end = len;
    trim(s, &i, &end);
    *rest = body + i;
    *rest_len = end - i;
}

static size_t count_words(const char *folded)
{
    size_t n = 1;
    for (const char *c = folded; *c; c++)
        n += *c == ' ';
    return n;
}

bool sg_kw_match_one(const char *keyword, sg_kw_match m, const char *body, size_t len,
                     const char **rest, size_t *rest_len)
{
    if (rest) {
        *rest = "";
        *rest_len = 0;
    }
    char folded[BODY_MAX + 1];
    if (!keyword || !keyword[0] || !body || len > BODY_MAX ||
        !fold((const unsigned char *)body, len, folded, sizeof folded))
        return false;
    if (m == SG_KW_GLOB)
        return glob(keyword, folded);
    if (m == SG_KW_EXACT)
        return strcmp(folded, keyword) == 0;
    size_t k = strlen(keyword);
    if (strncmp(folded, keyword, k) != 0 || (folded[k] != '\0' && folded[k] != ' '))
        return false;
    if (rest)
        rest_after(body, len, count_words(keyword), rest, rest_len);
    return true;
}

long sg_kw_match_best(const sg_kw_rule_view *rules, size_t n, const char *body, size_t len,
                      const char *to, const char **rest, size_t *rest_len)
{
    long best = -1;
    for (size_t i = 0; i < n; i++) {
        const sg_kw_rule_view *r = &rules[i];
        if (best >= 0 && r->priority <= rules[best].priority)
            continue; /* cannot win: checked before the (costlier) match */
        if (r->to && r->to[0] && (!to || strcmp(r->to, to) != 0))
            continue;
        if (sg_kw_match_one(r->keyword, r->match, body, len, NULL, NULL))
            best = (long)i;
    }
    if (best >= 0)
        sg_kw_match_one(rules[best].keyword, rules[best].match, body, len, rest, rest_len);
    else if (rest) {
        *rest = "";
        *rest_len = 0;
    }
    return best;
}
