#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/links.h"

#include <stdlib.h>
#include <string.h>

/* Wraps each URL in [ ] so a test sees exactly what was matched. */
static sg_err bracket(void *user, const char *url, size_t len, sg_buf *out)
{
    (void)user;
    sg_err err = sg_buf_append(out, "[", 1);
    if (!err)
        err = sg_buf_append(out, url, len);
    if (!err)
        err = sg_buf_append(out, "]", 1);
    return err;
}

static char *last; /* rw_n's result, freed by the next call and at the end */

/* body rewritten with bracket(). */
static const char *rw_n(const char *body, size_t *count)
{
    free(last);
    sg_buf out;
    sg_buf_init(&out, 1 << 20);
    assert_int_equal(sg_links_rewrite(body, strlen(body), bracket, NULL, &out, count), SG_OK);
    last = sg_buf_steal(&out);
    return last;
}

static const char *rw(const char *body)
{
    return rw_n(body, NULL);
}

/* A URL of n bytes: "https://x.org/" followed by 'a's. */
static char *long_url(size_t n)
{
    char *s = malloc(n + 1);
    assert_non_null(s);
    memset(s, 'a', n);
    memcpy(s, "https://x.org/", 14);
    s[n] = '\0';
    return s;
}

static void test_plain(void **state)
{
    (void)state;
    assert_string_equal(rw("https://example.org"), "[https://example.org]");
    assert_string_equal(rw("Your code: see http://example.org/p?q=1&r=2#frag now"),
                        "Your code: see [http://example.org/p?q=1&r=2#frag] now");
    assert_string_equal(rw("https://x.org:8080/a/b.html"), "[https://x.org:8080/a/b.html]");
    assert_string_equal(rw("no links here"), "no links here");
    assert_string_equal(rw(""), "");
    /* the URL ends at whitespace, < > " and control characters */
    assert_string_equal(rw("<https://x.org>"), "<[https://x.org]>");
    assert_string_equal(rw("\"https://x.org\""), "\"[https://x.org]\"");
    assert_string_equal(rw("https://x.org\tb"), "[https://x.org]\tb");
    assert_string_equal(rw("https://x.org\r\nb"), "[https://x.org]\r\nb");
    assert_string_equal(rw("https://x.org\001b"), "[https://x.org]\001b");
    assert_string_equal(rw("https://x.org\x7f"), "[https://x.org]\x7f");
    /* a word boundary is needed before the scheme too */
    assert_string_equal(rw("xhttps://x.org"), "xhttps://x.org");
    assert_string_equal(rw("url=https://x.org"), "url=[https://x.org]");
}

static void test_several(void **state)
{
    (void)state;
    size_t count = 99;
    assert_string_equal(rw_n("a https://a.org b www.b.org c http://c.org/x", &count),
                        "a [https://a.org] b [www.b.org] c [http://c.org/x]");
    assert_int_equal(count, 3);
    assert_string_equal(rw_n("https://a.org\nhttps://b.org", &count),
                        "[https://a.org]\n[https://b.org]");
    assert_int_equal(count, 2);
    /* a URL inside another is part of it */
    assert_string_equal(rw_n("https://a.org/?u=https://b.org", &count),
                        "[https://a.org/?u=https://b.org]");
    assert_int_equal(count, 1);
    assert_string_equal(rw_n("nothing", &count), "nothing");
    assert_int_equal(count, 0);
}

static void test_next(void **state)
{
    (void)state;
    const char *b = "see https://a.org, and (www.b.org).";
    size_t start, ulen;
    assert_true(sg_links_next(b, strlen(b), 0, &start, &ulen));
    assert_int_equal(start, 4);
    assert_int_equal(ulen, strlen("https://a.org"));
    assert_true(sg_links_next(b, strlen(b), start + ulen, &start, &ulen));
    assert_int_equal(start, 24);
    assert_int_equal(ulen, strlen("www.b.org"));
    assert_false(sg_links_next(b, strlen(b), start + ulen, &start, &ulen));
    assert_false(sg_links_next(b, strlen(b), strlen(b) + 5, &start, &ulen));
    assert_false(sg_links_next(NULL, 0, 0, &start, &ulen));
    /* by length, not by NUL */
    assert_true(sg_links_next("x https://a.org", 11, 0, &start, &ulen));
    assert_int_equal(ulen, 9); /* "https://a" */
}

static void test_punctuation(void **state)
{
    (void)state;
    assert_string_equal(rw("Go to https://x.org/a."), "Go to [https://x.org/a].");
    assert_string_equal(rw("https://x.org/a?!"), "[https://x.org/a]?!");
    assert_string_equal(rw("https://x.org/a, then"), "[https://x.org/a], then");
    assert_string_equal(rw("https://x.org/a,b;c"), "[https://x.org/a,b;c]");
    assert_string_equal(rw("'https://x.org/a'"), "'[https://x.org/a]'");
    assert_string_equal(rw("https://x.org/a:"), "[https://x.org/a]:");
    assert_string_equal(rw("https://x.org/a;.:,!?'..."), "[https://x.org/a];.:,!?'...");
    assert_string_equal(rw("https://x.org/?q=a."), "[https://x.org/?q=a].");
    /* other punctuation stays */
    assert_string_equal(rw("https://x.org/a/#-_*~="), "[https://x.org/a/#-_*~=]");
}

static void test_brackets(void **state)
{
    (void)state;
    assert_string_equal(rw("(see https://x.org/a_(b))"), "(see [https://x.org/a_(b)])");
    assert_string_equal(rw("(https://x.org/a)"), "([https://x.org/a])");
    assert_string_equal(rw("(https://x.org/a)."), "([https://x.org/a]).");
    assert_string_equal(rw("https://x.org/a_(b)"), "[https://x.org/a_(b)]");
    assert_string_equal(rw("https://x.org/a_(b)."), "[https://x.org/a_(b)].");
    assert_string_equal(rw("https://x.org/a)))"), "[https://x.org/a])))");
    assert_string_equal(rw("[https://x.org/a[1]]"), "[[https://x.org/a[1]]]");
    assert_string_equal(rw("{https://x.org/{a}}"), "{[https://x.org/{a}]}");
    /* each kind of bracket is counted on its own */
    assert_string_equal(rw("https://x.org/(a]"), "[https://x.org/(a]]");
    assert_string_equal(rw("https://x.org/a("), "[https://x.org/a(]");
    assert_string_equal(rw("(https://x.org/a).)"), "([https://x.org/a]).)");
}

static void test_www(void **state)
{
    (void)state;
    assert_string_equal(rw("visit www.example.com today"), "visit [www.example.com] today");
    assert_string_equal(rw("Www.Example.com/A"), "[Www.Example.com/A]");
    assert_string_equal(rw("WWW.EXAMPLE.COM."), "[WWW.EXAMPLE.COM].");
    assert_string_equal(rw("(www.x.org)"), "([www.x.org])");
    assert_string_equal(rw("www."), "www.");
    assert_string_equal(rw("www.."), "www..");
    assert_string_equal(rw("www.!"), "www.!");
    assert_string_equal(rw("www x"), "www x");
    assert_string_equal(rw("wwwx.org"), "wwwx.org");
    /* not at a word boundary */
    assert_string_equal(rw("a.www.x.org"), "a.www.x.org");
    assert_string_equal(rw("x-www.y.org"), "x-www.y.org");
    assert_string_equal(rw("awww.x.org"), "awww.x.org");
    assert_string_equal(rw("1www.x.org"), "1www.x.org");
    assert_string_equal(rw("/www.x.org"), "/www.x.org");
}

static void test_scheme_case(void **state)
{
    (void)state;
    assert_string_equal(rw("HTTPS://X.ORG/Path"), "[HTTPS://X.ORG/Path]");
    assert_string_equal(rw("HtTp://x.org"), "[HtTp://x.org]");
    assert_string_equal(rw("ftp://x.org"), "ftp://x.org");
    assert_string_equal(rw("https:/x.org"), "https:/x.org");
    assert_string_equal(rw("https//x.org"), "https//x.org");
}

static void test_utf8(void **state)
{
    (void)state;
    assert_string_equal(rw("Привет https://x.org/путь?q=ü пока"),
                        "Привет [https://x.org/путь?q=ü] пока");
    assert_string_equal(rw("😀 https://x.org 👍"), "😀 [https://x.org] 👍");
    /* UTF-8 before the URL is not a letter for the word boundary */
    assert_string_equal(rw("😀https://x.org"), "😀[https://x.org]");
    assert_string_equal(rw("日本www.x.jp"), "日本[www.x.jp]");
    assert_string_equal(rw("https://例え.jp/パス。"), "[https://例え.jp/パス。]");
    /* non-whitespace UTF-8 right after a URL is part of it */
    assert_string_equal(rw("https://x.org😀"), "[https://x.org😀]");
    /* Unicode spaces and C1 controls end a URL */
    assert_string_equal(rw("https://x.org\u00a0next"), "[https://x.org]\u00a0next");
    assert_string_equal(rw("https://x.org\u3000次"), "[https://x.org]\u3000次");
    assert_string_equal(rw("https://x.org\u2009b"), "[https://x.org]\u2009b");
    assert_string_equal(rw("https://x.org\u2028b"), "[https://x.org]\u2028b");
    assert_string_equal(rw("https://x.org\302\205b"), "[https://x.org]\302\205b");
    /* but U+2010 (hyphen, same lead bytes E2 80) does not */
    assert_string_equal(rw("https://x.org\u2010b"), "[https://x.org\u2010b]");
    /* punctuation is trimmed before the UTF-8 text that follows a space */
    assert_string_equal(rw("Lien: https://x.org/é. Merci"), "Lien: [https://x.org/é]. Merci");
}

static void test_email(void **state)
{
    (void)state;
    assert_string_equal(rw("user@www.example.com"), "user@www.example.com");
    assert_string_equal(rw("mail bob@example.com now"), "mail bob@example.com now");
    assert_string_equal(rw("mailto:bob@www.x.org"), "mailto:bob@www.x.org");
    assert_string_equal(rw("u@http://x.org"), "u@http://x.org");
}

static void test_bare_scheme(void **state)
{
    (void)state;
    assert_string_equal(rw("http://"), "http://");
    assert_string_equal(rw("https://"), "https://");
    assert_string_equal(rw("http:// x.org"), "http:// x.org");
    assert_string_equal(rw("see http://."), "see http://.");
    assert_string_equal(rw("(http://)"), "(http://)");
    assert_string_equal(rw("http:"), "http:");
    assert_string_equal(rw("http://\"x\""), "http://\"x\"");
    /* one character is enough */
    assert_string_equal(rw("http://x"), "[http://x]");
    assert_string_equal(rw("http://http://"), "[http://http://]");
    /* bare scheme, then a real URL */
    size_t count;
    assert_string_equal(rw_n("http:// https://x.org", &count), "http:// [https://x.org]");
    assert_int_equal(count, 1);
}

static void test_long(void **state)
{
    (void)state;
    char *u = long_url(SG_LINKS_MAX_URL);
    size_t count;
    sg_buf want;
    sg_buf_init(&want, 1 << 20);

    /* exactly the maximum: replaced */
    sg_buf_printf(&want, "[%s]", u);
    assert_string_equal(rw_n(u, &count), sg_buf_cstr(&want));
    assert_int_equal(count, 1);
    /* the maximum plus trailing punctuation: still replaced */
    sg_buf_reset(&want);
    sg_buf_printf(&want, "%s).", u);
    char *b = sg_buf_steal(&want);
    sg_buf_printf(&want, "[%s]).", u);
    assert_string_equal(rw_n(b, &count), sg_buf_cstr(&want));
    assert_int_equal(count, 1);
    free(b);
    free(u);

    /* one byte more: left as it is, with whatever is inside it */
    u = long_url(SG_LINKS_MAX_URL + 1);
    memcpy(u + 100, "(www.y.org)", 11);
    assert_string_equal(rw_n(u, &count), u);
    assert_int_equal(count, 0);
    /* but the next URL is still replaced */
    sg_buf_reset(&want);
    sg_buf_printf(&want, "%s www.y.org", u);
    b = sg_buf_steal(&want);
    sg_buf_printf(&want, "%s [www.y.org]", u);
    assert_string_equal(rw_n(b, &count), sg_buf_cstr(&want));
    assert_int_equal(count, 1);
    free(b);
    free(u);

    /* a very long run of closing brackets is trimmed in linear time */
    u = long_url(200000);
    memset(u + 20, ')', 200000 - 20);
    sg_buf_reset(&want);
    sg_buf_append(&want, "[", 1);
    sg_buf_append(&want, u, 20);
    sg_buf_append(&want, "]", 1);
    sg_buf_append(&want, u + 20, 200000 - 20);
    assert_string_equal(rw_n(u, &count), sg_buf_cstr(&want));
    free(u);
    sg_buf_free(&want);
}

/* Fails on the URL numbered *(int *)user (0 = the first), brackets the others. */
static sg_err fail_nth(void *user, const char *url, size_t len, sg_buf *out)
{
    int *n = user;
    if ((*n)-- == 0)
        return SG_ERR_CONFLICT;
    return bracket(NULL, url, len, out);
}

static void test_callback_error(void **state)
{
    (void)state;
    const char *body = "a https://a.org b https://b.org c https://c.org d";
    sg_buf out;
    sg_buf_init(&out, 4096);
    sg_buf_append_str(&out, "kept:");
    int n = 1;
    size_t count = 99;
    assert_int_equal(sg_links_rewrite(body, strlen(body), fail_nth, &n, &out, &count),
                     SG_ERR_CONFLICT);
    assert_int_equal(n, -1); /* called for the first two URLs only */
    assert_int_equal(count, 0);
    assert_string_equal(sg_buf_cstr(&out), "kept:"); /* out as on entry */

    n = 100;
    assert_int_equal(sg_links_rewrite(body, strlen(body), fail_nth, &n, &out, &count), SG_OK);
    assert_int_equal(count, 3);
    assert_string_equal(sg_buf_cstr(&out),
                        "kept:a [https://a.org] b [https://b.org] c [https://c.org] d");
    /* count may be NULL */
    sg_buf_reset(&out);
    assert_int_equal(sg_links_rewrite(body, strlen(body), bracket, NULL, &out, NULL), SG_OK);
    assert_int_equal(sg_links_rewrite(body, strlen(body), NULL, NULL, &out, &count),
                     SG_ERR_INVALID);
    assert_int_equal(sg_links_rewrite(NULL, 3, bracket, NULL, &out, &count), SG_ERR_INVALID);
    sg_buf_reset(&out);
    assert_int_equal(sg_links_rewrite(NULL, 0, bracket, NULL, &out, &count), SG_OK);
    assert_int_equal(count, 0);
    assert_string_equal(sg_buf_cstr(&out), "");
    sg_buf_free(&out);
}

static void test_too_large(void **state)
{
    (void)state;
    const char *body = "a https://a.org b";
    size_t count = 99;
    sg_buf out;

    /* the text around the URL does not fit */
    sg_buf_init(&out, 8);
    assert_int_equal(sg_links_rewrite(body, strlen(body), bracket, NULL, &out, &count),
                     SG_ERR_TOO_LARGE);
    assert_int_equal(count, 0);
    assert_int_equal(out.len, 0);
    assert_string_equal(sg_buf_cstr(&out), "");
    sg_buf_free(&out);

    /* the replacement does not fit: one byte short of the result */
    size_t need = strlen("a [https://a.org] b");
    sg_buf_init(&out, need - 1);
    assert_int_equal(sg_links_rewrite(body, strlen(body), bracket, NULL, &out, &count),
                     SG_ERR_TOO_LARGE);
    assert_int_equal(out.len, 0);
    sg_buf_free(&out);

    /* exactly enough */
    sg_buf_init(&out, need);
    assert_int_equal(sg_links_rewrite(body, strlen(body), bracket, NULL, &out, &count), SG_OK);
    assert_string_equal(sg_buf_cstr(&out), "a [https://a.org] b");
    assert_int_equal(count, 1);
    sg_buf_free(&out);

    /* a body without URLs that does not fit */
    sg_buf_init(&out, 3);
    sg_buf_append_str(&out, "ab");
    assert_int_equal(sg_links_rewrite("cd", 2, bracket, NULL, &out, &count), SG_ERR_TOO_LARGE);
    assert_string_equal(sg_buf_cstr(&out), "ab");
    sg_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain),       cmocka_unit_test(test_several),
        cmocka_unit_test(test_next),        cmocka_unit_test(test_punctuation),
        cmocka_unit_test(test_brackets),    cmocka_unit_test(test_www),
        cmocka_unit_test(test_scheme_case), cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_email),       cmocka_unit_test(test_bare_scheme),
        cmocka_unit_test(test_long),        cmocka_unit_test(test_callback_error),
        cmocka_unit_test(test_too_large),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    free(last);
    return failed;
}
