#include "core/links.h"

#include <string.h>

static bool is_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* The byte before a URL may not be one that makes it the middle of a word, a
 * host name ("a.www.x.org"), an address ("user@www.x.org") or a path. */
static bool at_boundary(const char *body, size_t i)
{
    if (i == 0)
        return true;
    unsigned char c = (unsigned char)body[i - 1];
    return !is_alnum(c) && c != '.' && c != '@' && c != '/' && c != '-';
}

/* Case-insensitive ASCII comparison of s[0..n) with the lower-case literal lit
 * (no locale: strncasecmp would depend on it). */
static bool starts_with(const char *s, size_t n, const char *lit)
{
    size_t k = strlen(lit);
    if (n < k)
        return false;
    for (size_t i = 0; i < k; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c - 'A' + 'a');
        if (c != (unsigned char)lit[i])
            return false;
    }
    return true;
}

/* The length of the URL prefix that starts body[i], or 0 for none. */
static size_t prefix_at(const char *body, size_t len, size_t i)
{
    static const char *const prefixes[] = {"https://", "http://", "www."};
    for (size_t k = 0; k < sizeof prefixes / sizeof prefixes[0]; k++)
        if (starts_with(body + i, len - i, prefixes[k]))
            return strlen(prefixes[k]);
    return 0;
}

/* True if a character that ends a URL starts at s[0] (n > 0 bytes left): ASCII
 * whitespace and controls, < > ", and the UTF-8 encodings of the C1 controls and
 * the Unicode spaces listed in links.h. Their lead bytes (C2, E1, E2, E3) are
 * never continuation bytes, so checking at every byte finds them all. */
static bool stops_at(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c <= 0x20 || c == 0x7F || c == '<' || c == '>' || c == '"')
        return true;
    if (c < 0x80 || n < 2)
        return false;
    if (c == 0xC2) /* U+0080..U+009F (C1 controls, NEL), U+00A0 */
        return s[1] >= 0x80 && s[1] <= 0xA0;
    if (n < 3)
        return false;
    if (c == 0xE1) /* U+1680 */
        return s[1] == 0x9A && s[2] == 0x80;
    if (c == 0xE2 && s[1] == 0x80) /* U+2000..U+200A, U+2028, U+2029, U+202F */
        return (s[2] >= 0x80 && s[2] <= 0x8A) || s[2] == 0xA8 || s[2] == 0xA9 || s[2] == 0xAF;
    if (c == 0xE2 && s[1] == 0x81) /* U+205F */
        return s[2] == 0x9F;
    if (c == 0xE3) /* U+3000 */
        return s[1] == 0x80 && s[2] == 0x80;
    return false;
}

/* Drop trailing punctuation from u[0..n), never going below keep bytes (the
 * prefix). A closing bracket goes only while the URL has more of it than of its
 * opening partner; the counts are kept as bytes go, so this is linear. */
static size_t trim(const char *u, size_t n, size_t keep)
{
    static const char open[] = "([{", close[] = ")]}";
    size_t opens[3] = {0, 0, 0}, closes[3] = {0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        for (int k = 0; k < 3; k++) {
            opens[k] += u[i] == open[k];
            closes[k] += u[i] == close[k];
        }
    }
    while (n > keep) {
        char c = u[n - 1];
        const char *b = c ? strchr(close, c) : NULL;
        if (b) {
            int k = (int)(b - close);
            if (closes[k] <= opens[k])
                break;
            closes[k]--;
        } else if (!c || !strchr(".,;:!?'", c)) {
            break;
        }
        n--;
    }
    return n;
}

bool sg_links_next(const char *body, size_t len, size_t from, size_t *start, size_t *ulen)
{
    size_t i = from;
    while (i < len) {
        char c = body[i];
        size_t plen = 0;
        if (c == 'h' || c == 'H' || c == 'w' || c == 'W')
            plen = prefix_at(body, len, i);
        if (!plen || !at_boundary(body, i)) {
            i++;
            continue;
        }
        size_t end = i + plen;
        while (end < len && !stops_at((const unsigned char *)body + end, len - end))
            end++;
        size_t n = trim(body + i, end - i, plen);
        if (n > plen && n <= SG_LINKS_MAX_URL) {
            *start = i;
            *ulen = n;
            return true;
        }
        /* Too long, or nothing after the prefix but punctuation: the whole run is
         * left alone, including anything inside it that looks like a URL. */
        i = end;
    }
    return false;
}

sg_err sg_links_rewrite(const char *body, size_t len, sg_link_fn fn, void *user, sg_buf *out,
                        size_t *count)
{
    if (count)
        *count = 0;
    if (!fn || !out || (!body && len))
        return SG_ERR_INVALID;
    if (!len) /* body may be NULL: no pointer arithmetic on it */
        return sg_buf_append(out, "", 0);

    size_t entry = out->len, n = 0, pos = 0, start, ulen;
    sg_err err;
    while (sg_links_next(body, len, pos, &start, &ulen)) {
        err = sg_buf_append(out, body + pos, start - pos);
        if (err)
            goto out;
        err = fn(user, body + start, ulen, out);
        if (err)
            goto out;
        n++;
        pos = start + ulen;
    }
    err = sg_buf_append(out, body + pos, len - pos);
out:
    if (err) {
        /* sg_buf has no truncate; this is its own invariant (NUL after len). */
        if (out->data && out->len > entry) {
            out->len = entry;
            out->data[entry] = '\0';
        }
        return err;
    }
    if (count)
        *count = n;
    return SG_OK;
}
