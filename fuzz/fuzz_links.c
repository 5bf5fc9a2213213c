/* libFuzzer driver for sg_links_next and sg_links_rewrite (src/core/links.c): the
 * click-tracking link finder, run on SMS bodies from the API.
 *
 * Contracts checked, beyond ASan/UBSan (links.h):
 *  - the URLs sg_links_next finds are in order and do not overlap; each is
 *    1..SG_LINKS_MAX_URL bytes, starts with http://, https:// or www. (any case)
 *    at a word boundary, has more than that prefix, holds no ASCII whitespace,
 *    control, < > or ", and does not end in . , ; : ! ? ';
 *  - links-identity: with a callback that appends the URL unchanged, the output
 *    equals the input and the count is the number of URLs found;
 *  - links-replaced: with a callback that appends "<>", the output is
 *    len - sum(URL lengths) + 2 * count bytes and the finder finds no URL in it;
 *  - links-rollback: a callback error, or out's maximum reached, is returned, out
 *    is left as it was on entry and the count is 0. */
#include "fuzz_common.h"

#include "core/links.h"

typedef struct counter {
    size_t calls;
    size_t bytes;   /* sum of the URL lengths */
    size_t fail_at; /* call number that fails (SIZE_MAX: none) */
} counter;

static sg_err same(void *user, const char *url, size_t len, sg_buf *out)
{
    counter *c = user;
    if (c->calls++ == c->fail_at)
        return SG_ERR_CONFLICT;
    c->bytes += len;
    return sg_buf_append(out, url, len);
}

static sg_err angle(void *user, const char *url, size_t len, sg_buf *out)
{
    (void)url;
    counter *c = user;
    c->calls++;
    c->bytes += len;
    return sg_buf_append(out, "<>", 2);
}

static bool is_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool ascii_stop(unsigned char c)
{
    return c <= 0x20 || c == 0x7F || c == '<' || c == '>' || c == '"';
}

static size_t prefix_len(const char *u, size_t n)
{
    static const char *const prefixes[] = {"https://", "http://", "www."};
    for (size_t k = 0; k < 3; k++) {
        size_t p = strlen(prefixes[k]);
        size_t i = 0;
        while (i < p && i < n) {
            char ch = u[i] >= 'A' && u[i] <= 'Z' ? (char)(u[i] - 'A' + 'a') : u[i];
            if (ch != prefixes[k][i])
                break;
            i++;
        }
        if (i == p)
            return p;
    }
    return 0;
}

/* Checks every URL sg_links_next finds in text[0..len); returns how many. */
static size_t check_urls(const char *text, size_t len, size_t *bytes)
{
    size_t n = 0, from = 0, start, ulen;
    *bytes = 0;
    while (sg_links_next(text, len, from, &start, &ulen)) {
        FUZZ_CHECK(start >= from && ulen >= 1 && ulen <= SG_LINKS_MAX_URL && start + ulen <= len,
                   "from=%zu start=%zu ulen=%zu len=%zu", from, start, ulen, len);
        const char *u = text + start;
        size_t p = prefix_len(u, ulen);
        FUZZ_CHECK(p > 0 && ulen > p, "URL at %zu (%zu bytes) without prefix or host", start, ulen);
        if (start > 0) {
            unsigned char b = (unsigned char)text[start - 1];
            FUZZ_CHECK(!is_alnum(b) && !memchr(".@/-", b, 4), "URL at %zu after 0x%02x", start, b);
        }
        for (size_t i = 0; i < ulen; i++)
            FUZZ_CHECK(!ascii_stop((unsigned char)u[i]), "URL at %zu holds 0x%02x at %zu", start,
                       (unsigned char)u[i], i);
        FUZZ_CHECK(!memchr(".,;:!?'", u[ulen - 1], 7), "URL at %zu ends in '%c'", start,
                   u[ulen - 1]);
        n++;
        *bytes += ulen;
        from = start + ulen;
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_exact_copy(data, size);

    size_t bytes, found = check_urls(text, size, &bytes);

    sg_buf out;
    sg_buf_init(&out, size + 16);
    counter c = {0, 0, SIZE_MAX};
    size_t count = 12345;
    sg_err err = sg_links_rewrite(text, size, same, &c, &out, &count);
    FUZZ_CHECK(err == SG_OK, "identity rewrite: %s", sg_strerror(err));
    if (fuzz_check_enabled("links-identity")) {
        FUZZ_CHECK(count == found && c.calls == found && c.bytes == bytes,
                   "count=%zu calls=%zu found=%zu", count, c.calls, found);
        FUZZ_CHECK(out.len == size && (size == 0 || memcmp(out.data, text, size) == 0),
                   "identity output differs (%zu bytes for %zu)", out.len, size);
    }

    sg_buf_free(&out);
    sg_buf_init(&out, size + 16); /* "<>" is never longer than a URL */
    c = (counter){0, 0, SIZE_MAX};
    err = sg_links_rewrite(text, size, angle, &c, &out, &count);
    FUZZ_CHECK(err == SG_OK, "<> rewrite: %s", sg_strerror(err));
    if (fuzz_check_enabled("links-replaced")) {
        FUZZ_CHECK(count == found && c.calls == found && c.bytes == bytes,
                   "count=%zu calls=%zu found=%zu", count, c.calls, found);
        FUZZ_CHECK(out.len == size - bytes + 2 * count, "output %zu bytes, expected %zu", out.len,
                   size - bytes + 2 * count);
        size_t s, l;
        FUZZ_CHECK(!sg_links_next(out.data, out.len, 0, &s, &l),
                   "URL left after replacing: at %zu, %zu bytes: %.*s", s, l, (int)l, out.data + s);
    }
    sg_buf_free(&out);

    if (fuzz_check_enabled("links-rollback")) {
        /* A callback that fails on one URL (picked from the input). */
        if (found) {
            sg_buf_init(&out, size + 16);
            sg_buf_append_str(&out, "pre");
            c = (counter){0, 0, (size ? data[0] : 0) % found};
            err = sg_links_rewrite(text, size, same, &c, &out, &count);
            FUZZ_CHECK(err == SG_ERR_CONFLICT && c.calls == c.fail_at + 1 && count == 0,
                       "failing callback: %s after %zu calls, count %zu", sg_strerror(err), c.calls,
                       count);
            FUZZ_CHECK(out.len == 3 && strcmp(out.data, "pre") == 0, "out not restored: %zu",
                       out.len);
            sg_buf_free(&out);
        }
        /* An out too small for the result. */
        if (size) {
            size_t max = 2 + data[size - 1] % (size + 1);
            sg_buf_init(&out, max);
            sg_buf_append_str(&out, "pr");
            c = (counter){0, 0, SIZE_MAX};
            err = sg_links_rewrite(text, size, same, &c, &out, &count);
            if (2 + size <= max) {
                FUZZ_CHECK(err == SG_OK && out.len == 2 + size, "fits but %s", sg_strerror(err));
            } else {
                FUZZ_CHECK(err == SG_ERR_TOO_LARGE && count == 0, "too large but %s, count %zu",
                           sg_strerror(err), count);
                FUZZ_CHECK(out.len == 2 && strcmp(out.data, "pr") == 0, "out not restored: %zu",
                           out.len);
            }
            sg_buf_free(&out);
        }
    }
    free(text);
    return 0;
}
