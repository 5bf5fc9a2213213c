#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/csv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every callback is written down as one line of text, "LINE:f1|f2|f3" for a good
 * record and "LINE!reason" for a bad one, with CR, LF, '|' and '\' escaped, so a
 * whole input's callbacks compare as one string. */
typedef struct rec_log {
    char text[1 << 18];
    size_t len;
    size_t calls;
    size_t stop_after; /* ask to stop on this call (1-based); 0 = never */
    size_t lines_seen; /* sg_csv_lines during the last call */
    sg_csv *p;
} rec_log;

static void put(rec_log *l, const char *s, size_t n)
{
    assert_true(l->len + n < sizeof l->text);
    memcpy(l->text + l->len, s, n);
    l->len += n;
    l->text[l->len] = '\0';
}

static int on_record(void *user, size_t line, const char *const *fields, const size_t *lens,
                     size_t n, const char *error)
{
    rec_log *l = user;
    char head[64];
    int hn = snprintf(head, sizeof head, "%zu%c", line, error ? '!' : ':');
    put(l, head, (size_t)hn);
    if (error) {
        assert_null(fields);
        assert_null(lens);
        assert_int_equal(n, 0);
        put(l, error, strlen(error));
    } else {
        assert_true(n >= 1);
        for (size_t i = 0; i < n; i++) {
            assert_int_equal(strlen(fields[i]), lens[i]);
            if (i)
                put(l, "|", 1);
            for (size_t k = 0; k < lens[i]; k++) {
                char c = fields[i][k];
                if (c == '\n')
                    put(l, "\\n", 2);
                else if (c == '\r')
                    put(l, "\\r", 2);
                else if (c == '|' || c == '\\')
                    put(l, "\\", 1), put(l, &c, 1);
                else
                    put(l, &c, 1);
            }
        }
    }
    put(l, "\n", 1);
    l->calls++;
    if (l->p)
        l->lines_seen = sg_csv_lines(l->p);
    return l->stop_after && l->calls == l->stop_after;
}

/* Read in[0..n) in chunks of `chunk` bytes (0: all at once) into l; returns the
 * reader's line count after sg_csv_finish. */
static size_t read_all(const char *in, size_t n, size_t chunk, const sg_csv_limits *lim,
                       rec_log *l)
{
    memset(l, 0, sizeof *l);
    sg_csv *p;
    assert_int_equal(sg_csv_new(lim, on_record, l, &p), SG_OK);
    l->p = p;
    if (!chunk)
        chunk = n ? n : 1;
    for (size_t off = 0; off < n; off += chunk) {
        size_t k = n - off < chunk ? n - off : chunk;
        assert_int_equal(sg_csv_feed(p, in + off, k), SG_OK);
    }
    assert_int_equal(sg_csv_finish(p), SG_OK);
    size_t lines = sg_csv_lines(p);
    sg_csv_free(p);
    return lines;
}

/* The callbacks for in[0..n) must be `want`, whole and in every chunk size 1..7. */
static void expect_n(const char *in, size_t n, const sg_csv_limits *lim, const char *want)
{
    rec_log l;
    for (size_t chunk = 0; chunk <= 7; chunk++) {
        read_all(in, n, chunk, lim, &l);
        if (strcmp(l.text, want) != 0)
            fail_msg("chunk %zu: input \"%s\"\n got:\n%s want:\n%s", chunk, in, l.text, want);
    }
}

static void expect(const char *in, const char *want)
{
    expect_n(in, strlen(in), NULL, want);
}

static void expect_lim(const char *in, size_t field, size_t fields, size_t record,
                       const char *want)
{
    sg_csv_limits lim = {field, fields, record};
    expect_n(in, strlen(in), &lim, want);
}

static void test_simple(void **state)
{
    (void)state;
    expect("", "");
    expect("phone,first_name,last_name,city\n+447700900123,Ann,Lee,Leeds\n",
           "1:phone|first_name|last_name|city\n2:+447700900123|Ann|Lee|Leeds\n");
    expect("a\n", "1:a\n");
    expect(",\n", "1:|\n");
    expect("a,,b,\n", "1:a||b|\n");
    expect(",,", "1:||\n");
    /* nothing is trimmed */
    expect(" a , b \n   \n", "1: a | b \n2:   \n");
    /* a later row may have a different number of fields: the caller decides */
    expect("a,b\nc\nd,e,f\n", "1:a|b\n2:c\n3:d|e|f\n");
}

static void test_quotes(void **state)
{
    (void)state;
    expect("\"a,b\",c\n", "1:a,b|c\n");
    expect("\"\",\"\"\n", "1:|\n");
    expect("\"\"\n", "1:\n"); /* one empty field: not a blank line */
    expect("\"say \"\"hi\"\"\",x\n", "1:say \"hi\"|x\n");
    expect("\"\"\"\"\n", "1:\"\n");
    expect("\"a\"\"\"\"b\"\n", "1:a\"\"b\n");
    expect("x,\"\",\"\"\"\"", "1:x||\"\n");
    expect("\"Dublin, \"\"Ireland\"\"\"\r\n", "1:Dublin, \"Ireland\"\n");
}

static void test_embedded_newlines(void **state)
{
    (void)state;
    expect("1,\"two\nlines\"\n2,x\n", "1:1|two\\nlines\n3:2|x\n");
    expect("1,\"a\r\nb\r\nc\"\r\n2,x\r\n", "1:1|a\\r\\nb\\r\\nc\n4:2|x\n");
    expect("\"a\rb\"\r3\n", "1:a\\rb\n3:3\n");
    expect("\"\n\n\n\"\n\nz\n", "1:\\n\\n\\n\n6:z\n");
    /* a blank line inside quotes is content, not a skipped line */
    expect("\"a\n\nb\",c\nd\n", "1:a\\n\\nb|c\n4:d\n");
}

static void test_line_endings(void **state)
{
    (void)state;
    expect("a,b\nc,d\n", "1:a|b\n2:c|d\n");
    expect("a,b\r\nc,d\r\n", "1:a|b\n2:c|d\n");
    expect("a,b\rc,d\r", "1:a|b\n2:c|d\n");
    expect("a\r\nb\rc\nd\n\re", "1:a\n2:b\n3:c\n4:d\n6:e\n");
    expect("\"q\"\r\n\"r\"\rs", "1:q\n2:r\n3:s\n");
    /* LF CR is two line breaks, the second a blank line */
    expect("a\n\rb\n", "1:a\n3:b\n");
}

static void test_bom(void **state)
{
    (void)state;
    expect("\xEF\xBB\xBFphone,name\n1,a\n", "1:phone|name\n2:1|a\n");
    expect("\xEF\xBB\xBF", "");
    expect("\xEF\xBB\xBF\n\na", "3:a\n");
    expect("\xEF\xBB\xBF\"q,r\"", "1:q,r\n");
    /* only at the very start: a second one is the character U+FEFF */
    expect("\xEF\xBB\xBF\xEF\xBB\xBFx\n", "1:\xEF\xBB\xBFx\n");
    expect("a\n\xEF\xBB\xBF" "b\n", "1:a\n2:\xEF\xBB\xBF" "b\n");
    /* the start of a BOM that is not one is data */
    expect("\xEF\xBB", "1!invalid_utf8\n");
    expect("\xEF\xBBx\ny\n", "1!invalid_utf8\n2:y\n");
    expect("\xEF\n", "1!invalid_utf8\n");
    expect("\xEF\xBB\xBE\n", "1:\xEF\xBB\xBE\n"); /* U+FEFE, a near miss */
    expect("\xC3\xA9,\n", "1:\xC3\xA9|\n");
}

static void test_no_trailing_newline(void **state)
{
    (void)state;
    expect("a,b", "1:a|b\n");
    expect("a,b\nc", "1:a|b\n2:c\n");
    expect("a,b\n\"c\"", "1:a|b\n2:c\n");
    expect("a,", "1:a|\n");
    expect("a\n\n", "1:a\n");
}

static void test_blank_lines(void **state)
{
    (void)state;
    expect("\n\n\na\n\n\nb\n\n", "4:a\n7:b\n");
    expect("\r\n\r\na\r\n\r\n", "3:a\n");
    expect("\r\r\na", "3:a\n");
    expect("\n", "");
}

static void test_errors(void **state)
{
    (void)state;
    expect("a,\"b\n", "1!unterminated_quote\n");
    expect("ok\n\"open\nx,y\nz\n", "1:ok\n2!unterminated_quote\n");
    expect("ok\nx,\"", "1:ok\n2!unterminated_quote\n");
    expect("a\"b,c\nd\n", "1!quote_in_unquoted_field\n2:d\n");
    expect("a, \"b\"\n", "1!quote_in_unquoted_field\n");
    expect("\"a\"b,c\nd\n", "1!text_after_closing_quote\n2:d\n");
    expect("\"a\" ,c\n", "1!text_after_closing_quote\n");
    expect("a,b\xC0\x80\nc\n", "1!invalid_utf8\n2:c\n");
    expect_n("nul\0here\nnext\n", 14, NULL, "1!nul_byte\n2:next\n");
    expect_n("\"q\0\"\nnext\n", 10, NULL, "1!nul_byte\n2:next\n");
    expect_n("\"q\"\0\nnext\n", 10, NULL, "1!nul_byte\n2:next\n");
    expect_n("\0", 1, NULL, "1!nul_byte\n");
    expect_lim("abcde\nabcd\n", 4, 0, 0, "1!field_too_long\n2:abcd\n");
    expect_lim("a,b,c\na,b\n", 0, 2, 0, "1!too_many_fields\n2:a|b\n");
    expect_lim("ab,cd\nab,c\n", 0, 0, 4, "1!record_too_long\n2:ab|c\n");
}

static void test_utf8(void **state)
{
    (void)state;
    /* well-formed: 2, 3 and 4 bytes, the ends of the ranges */
    expect("\xC2\x80,\xDF\xBF,\xE0\xA0\x80,\xED\x9F\xBF,\xEE\x80\x80,\xEF\xBF\xBF\n",
           "1:\xC2\x80|\xDF\xBF|\xE0\xA0\x80|\xED\x9F\xBF|\xEE\x80\x80|\xEF\xBF\xBF\n");
    expect("\xF0\x90\x80\x80,\xF4\x8F\xBF\xBF,M\xC3\xBCller\n",
           "1:\xF0\x90\x80\x80|\xF4\x8F\xBF\xBF|M\xC3\xBCller\n");
    expect("\"\xE2\x82\xAC\"\"\n\xF0\x9F\x98\x80\"\n", "1:\xE2\x82\xAC\"\\n\xF0\x9F\x98\x80\n");
    const char *bad[] = {
        "\xC0\x80",         /* overlong NUL */
        "\xC1\xBF",         /* overlong */
        "\xE0\x80\x80",     /* overlong */
        "\xE0\x9F\xBF",     /* overlong */
        "\xF0\x80\x80\x80", /* overlong */
        "\xF0\x8F\xBF\xBF", /* overlong */
        "\xED\xA0\x80",     /* surrogate D800 */
        "\xED\xBF\xBF",     /* surrogate DFFF */
        "\xF4\x90\x80\x80", /* above U+10FFFF */
        "\xF5\x80\x80\x80", /* never a lead byte */
        "\xFF",
        "\x80",         /* a continuation byte alone */
        "abc\xC3",      /* truncated at the end */
        "\xE2\x82",     /* truncated */
        "\xE2\x82x",    /* cut by ASCII */
        "\xF0\x9F\x98", /* truncated */
        "12345678\xA9", /* after an ASCII run of 8 */
        NULL,
    };
    for (int i = 0; bad[i]; i++) {
        char in[64];
        snprintf(in, sizeof in, "ok\nx,%s,y\nok2\n", bad[i]);
        expect(in, "1:ok\n2!invalid_utf8\n3:ok2\n");
    }
    /* a sequence cut by a comma or a quote is two bad halves */
    expect("\xC3,\xA9\n", "1!invalid_utf8\n");
    expect("\"\xC3\"\"\xA9\"\n", "1!invalid_utf8\n");
}

/* A record's line is where it starts; after a bad one the next starts on the next
 * line, whichever reason. */
static void test_recovery(void **state)
{
    (void)state;
    expect("h1,h2\n"
           "x\"y,1\n"           /* 2: quote in unquoted */
           "ok,2\n"             /* 3 */
           "\"z\"w,3\n"         /* 4: text after closing quote */
           "\"multi\nline\",4\n" /* 5-6 */
           "bad\xFF,5\n"        /* 7 */
           "last,6",            /* 8 */
           "1:h1|h2\n2!quote_in_unquoted_field\n3:ok|2\n4!text_after_closing_quote\n"
           "5:multi\\nline|4\n7!invalid_utf8\n8:last|6\n");
    /* skipping ignores quotes: the rest of the line is dropped however it looks */
    expect("a\"b,\"c\nd\n", "1!quote_in_unquoted_field\n2:d\n");
    /* the skip ends at CR, CRLF or LF */
    expect("a\"\r\nb\ra\"\rc\n", "1!quote_in_unquoted_field\n2:b\n3!quote_in_unquoted_field\n4:c\n");
    /* a problem inside a quoted field that spans lines: the rest of it is read as
     * records of their own (documented in csv.h) */
    expect_lim("\"abcdef\nx\",y\nz\n", 4, 0, 0,
               "1!field_too_long\n2!quote_in_unquoted_field\n3:z\n");
    /* a bad record at the end with nothing after it */
    expect("a\n\"b\"c", "1:a\n2!text_after_closing_quote\n");
    /* two bad ones in a row */
    expect("a\"\nb\"\nc\n", "1!quote_in_unquoted_field\n2!quote_in_unquoted_field\n3:c\n");
}

static void test_limits(void **state)
{
    (void)state;
    /* exactly at a limit is fine, one past it is not */
    expect_lim("abcd,\"ab\"\"\"\n", 4, 0, 0, "1:abcd|ab\"\n");
    expect_lim("\"abcde\"\n", 4, 0, 0, "1!field_too_long\n");
    expect_lim("\"abc\"\"\"\"\"\n", 4, 0, 0, "1!field_too_long\n");
    expect_lim("a,b,c\n", 0, 3, 0, "1:a|b|c\n");
    expect_lim(",,,\n", 0, 3, 0, "1!too_many_fields\n");
    expect_lim("a,b\n", 0, 1, 0, "1!too_many_fields\n");
    expect_lim("\"a\",b\n", 0, 0, 5, "1:a|b\n"); /* 5 bytes as written */
    expect_lim("\"a\",bc\n", 0, 0, 5, "1!record_too_long\n");
    expect_lim("\"\"\"\"\n", 0, 0, 4, "1:\"\n");
    expect_lim("\"\"\"\"\n", 0, 0, 3, "1!record_too_long\n");
    expect_lim(",,\n", 0, 0, 2, "1:||\n");
    expect_lim(",,,\n", 0, 0, 2, "1!record_too_long\n");
    /* a line break inside quotes counts; the record's own line break does not */
    expect_lim("\"a\r\nb\"\r\n", 0, 0, 6, "1:a\\r\\nb\n");
    expect_lim("\"a\r\nb\"\r\n", 0, 0, 5, "1!record_too_long\n");
    expect_lim("\"a\r\nb\"\r\nok\n", 0, 0, 3, "1!record_too_long\n2!quote_in_unquoted_field\n3:ok\n");
    /* the LF of a CRLF inside quotes is the byte too many */
    expect_lim("\"abc\r\nd\"\nok\n", 4, 0, 0, "1!field_too_long\n2!quote_in_unquoted_field\n3:ok\n");
    expect_lim("\"abcd\r\nd\"\nok\n", 4, 0, 0, "1!field_too_long\n2!quote_in_unquoted_field\n3:ok\n");
    /* the limit crossed at the earlier byte is the reason, in any chunking */
    expect_lim("abcdefgh\n", 5, 0, 6, "1!field_too_long\n");
    expect_lim("abcdefgh\n", 6, 0, 5, "1!record_too_long\n");
    expect_lim("abcdefgh\n", 5, 0, 5, "1!field_too_long\n");
    expect_lim("ab,cdefgh\n", 5, 0, 6, "1!record_too_long\n");
}

/* The default limits, checked with generated input (too long for expect()). */
static void test_default_limits(void **state)
{
    (void)state;
    rec_log l;
    size_t cap = 300000;
    char *in = malloc(cap);
    assert_non_null(in);

    memset(in, 'x', 4096);
    memcpy(in + 4096, "\nx", 2);
    read_all(in, 4098, 0, NULL, &l);
    assert_int_equal(l.calls, 2);
    in[4096] = 'x';
    memcpy(in + 4097, "\nok", 3);
    read_all(in, 4100, 0, NULL, &l);
    assert_string_equal(l.text, "1!field_too_long\n2:ok\n");

    size_t n = 0;
    for (int i = 0; i < 256; i++)
        in[n++] = ',';
    in[n++] = '\n';
    read_all(in, n, 0, NULL, &l);
    assert_string_equal(l.text, "1!too_many_fields\n");
    read_all(in + 1, n - 1, 0, NULL, &l); /* 256 fields */
    assert_int_equal(l.calls, 1);
    assert_int_equal(l.text[1], ':');

    /* 16 fields of 4096 bytes and 15 commas is 65551 > 65536 */
    n = 0;
    for (int f = 0; f < 16; f++) {
        if (f)
            in[n++] = ',';
        memset(in + n, 'y', f == 15 ? 4096 - 15 : 4096);
        n += f == 15 ? 4096 - 15 : 4096;
    }
    assert_int_equal(n, 65536);
    in[n] = '\n';
    read_all(in, n + 1, 0, NULL, &l);
    assert_int_equal(l.calls, 1);
    assert_int_equal(l.text[1], ':');
    in[n - 1] = ',';
    in[n] = 'z';
    in[n + 1] = '\n';
    read_all(in, n + 2, 4000, NULL, &l);
    assert_string_equal(l.text, "1!record_too_long\n");
    free(in);

    /* nonsense limits are refused */
    sg_csv *p = (sg_csv *)&l;
    sg_csv_limits lim = {(size_t)SG_CSV_LIMIT_MAX + 1, 0, 0};
    assert_int_equal(sg_csv_new(&lim, on_record, &l, &p), SG_ERR_INVALID);
    assert_null(p);
    lim = (sg_csv_limits){0, 0, SIZE_MAX};
    assert_int_equal(sg_csv_new(&lim, on_record, &l, &p), SG_ERR_INVALID);
    assert_int_equal(sg_csv_new(NULL, NULL, &l, &p), SG_ERR_INVALID);
    assert_int_equal(sg_csv_new(NULL, on_record, &l, NULL), SG_ERR_INVALID);
}

/* One input with a bit of everything, read whole, in every chunk size 1..7, and
 * cut at every single position: the callbacks never change. */
static void test_chunking(void **state)
{
    (void)state;
    static const char in[] = "\xEF\xBB\xBFphone,first_name,last_name,city\r\n"
                             "+447700900123,\"Ann, Jr\",\"O\"\"Neil\",Leeds\r\n"
                             "\r\n"
                             "+33612345678,\"multi\r\nline\rnote\",M\xC3\xBCller,\"\"\n"
                             "bad\"row,x\n"
                             "\"unfinished\" tail,y\r"
                             "+15555550100,\xF0\x9F\x98\x80,,\n"
                             "toolong_toolong_toolong,z\n"
                             "\xED\xA0\x80,w\n"
                             "a,b,c,d,e,f\n"
                             "last,\"open";
    static const char want[] = "1:phone|first_name|last_name|city\n"
                               "2:+447700900123|Ann, Jr|O\"Neil|Leeds\n"
                               "4:+33612345678|multi\\r\\nline\\rnote|M\xC3\xBCller|\n"
                               "7!quote_in_unquoted_field\n"
                               "8!text_after_closing_quote\n"
                               "9:+15555550100|\xF0\x9F\x98\x80||\n"
                               "10!field_too_long\n"
                               "11!invalid_utf8\n"
                               "12!too_many_fields\n"
                               "13!unterminated_quote\n";
    sg_csv_limits lim = {16, 5, 200};
    size_t n = sizeof in - 1;
    expect_n(in, n, &lim, want);

    rec_log l;
    for (size_t cut = 0; cut <= n; cut++) {
        memset(&l, 0, sizeof l);
        sg_csv *p;
        assert_int_equal(sg_csv_new(&lim, on_record, &l, &p), SG_OK);
        assert_int_equal(sg_csv_feed(p, in, cut), SG_OK);
        assert_int_equal(sg_csv_feed(p, in + cut, 0), SG_OK);
        assert_int_equal(sg_csv_feed(p, in + cut, n - cut), SG_OK);
        assert_int_equal(sg_csv_finish(p), SG_OK);
        assert_int_equal(sg_csv_lines(p), 13);
        sg_csv_free(p);
        assert_string_equal(l.text, want);
    }
}

static void test_lines(void **state)
{
    (void)state;
    rec_log l;
    assert_int_equal(read_all("", 0, 0, NULL, &l), 0);
    assert_int_equal(read_all("\xEF\xBB\xBF", 3, 1, NULL, &l), 0);
    assert_int_equal(read_all("a", 1, 0, NULL, &l), 1);
    assert_int_equal(read_all("a\n", 2, 0, NULL, &l), 1);
    assert_int_equal(read_all("a\r\nb\r\n", 6, 1, NULL, &l), 2);
    assert_int_equal(read_all("a\r\nb", 4, 1, NULL, &l), 2);
    assert_int_equal(read_all("\n\n\r", 3, 1, NULL, &l), 3);
    assert_int_equal(read_all("\"a\nb\"\nc", 7, 0, NULL, &l), 3);
    assert_int_equal(read_all("\"a\n", 3, 0, NULL, &l), 1);

    /* during a callback, the record's own line break has been counted */
    memset(&l, 0, sizeof l);
    sg_csv *p;
    assert_int_equal(sg_csv_new(NULL, on_record, &l, &p), SG_OK);
    l.p = p;
    assert_int_equal(sg_csv_feed(p, "a\r\n\"b\nc\"\n", 9), SG_OK);
    assert_int_equal(l.calls, 2);
    assert_int_equal(l.lines_seen, 3);
    assert_int_equal(sg_csv_lines(p), 3);
    assert_int_equal(sg_csv_feed(p, "d", 1), SG_OK);
    assert_int_equal(sg_csv_lines(p), 3);
    assert_int_equal(sg_csv_finish(p), SG_OK);
    assert_int_equal(sg_csv_lines(p), 4);
    sg_csv_free(p);
    assert_int_equal(sg_csv_lines(NULL), 0);
}

static void test_stop(void **state)
{
    (void)state;
    rec_log l;
    memset(&l, 0, sizeof l);
    l.stop_after = 2;
    sg_csv *p;
    assert_int_equal(sg_csv_new(NULL, on_record, &l, &p), SG_OK);
    assert_int_equal(sg_csv_feed(p, "a\nb\"\nc\nd\n", 9), SG_CSV_STOPPED);
    assert_string_equal(l.text, "1:a\n2!quote_in_unquoted_field\n");
    assert_int_equal(sg_csv_feed(p, "e\n", 2), SG_CSV_STOPPED);
    assert_int_equal(sg_csv_finish(p), SG_CSV_STOPPED);
    assert_int_equal(l.calls, 2);
    sg_csv_free(p);

    /* stopping on the last record, delivered by finish */
    memset(&l, 0, sizeof l);
    l.stop_after = 1;
    assert_int_equal(sg_csv_new(NULL, on_record, &l, &p), SG_OK);
    assert_int_equal(sg_csv_feed(p, "a", 1), SG_OK);
    assert_int_equal(sg_csv_finish(p), SG_CSV_STOPPED);
    sg_csv_free(p);

    /* after finish the reader takes nothing more */
    memset(&l, 0, sizeof l);
    assert_int_equal(sg_csv_new(NULL, on_record, &l, &p), SG_OK);
    assert_int_equal(sg_csv_finish(p), SG_OK);
    assert_int_equal(sg_csv_feed(p, "a\n", 2), SG_CSV_STOPPED);
    assert_int_equal(sg_csv_finish(p), SG_CSV_STOPPED);
    assert_int_equal(l.calls, 0);
    sg_csv_free(p);

    assert_int_equal(sg_csv_feed(NULL, "a", 1), SG_ERR_INVALID);
    assert_int_equal(sg_csv_finish(NULL), SG_ERR_INVALID);
    assert_int_equal(sg_csv_new(NULL, on_record, &l, &p), SG_OK);
    assert_int_equal(sg_csv_feed(p, NULL, 1), SG_ERR_INVALID);
    assert_int_equal(sg_csv_feed(p, NULL, 0), SG_OK);
    sg_csv_free(p);
    sg_csv_free(NULL);
}

/* Memory is bounded by the record, not the input: many records in one reader. */
static int count_only(void *user, size_t line, const char *const *fields, const size_t *lens,
                      size_t n, const char *error)
{
    size_t *count = user;
    (void)line;
    (void)fields;
    (void)lens;
    if (!error && n == 4)
        ++*count;
    return 0;
}

static void test_many_records(void **state)
{
    (void)state;
    size_t count = 0;
    sg_csv *p;
    assert_int_equal(sg_csv_new(NULL, count_only, &count, &p), SG_OK);
    char row[64];
    for (int i = 0; i < 100000; i++) {
        int n = snprintf(row, sizeof row, "+4477009%05d,First%d,Last,City\n", i, i);
        assert_int_equal(sg_csv_feed(p, row, (size_t)n), SG_OK);
    }
    assert_int_equal(sg_csv_finish(p), SG_OK);
    assert_int_equal(count, 100000);
    assert_int_equal(sg_csv_lines(p), 100000);
    sg_csv_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple),          cmocka_unit_test(test_quotes),
        cmocka_unit_test(test_embedded_newlines), cmocka_unit_test(test_line_endings),
        cmocka_unit_test(test_bom),             cmocka_unit_test(test_no_trailing_newline),
        cmocka_unit_test(test_blank_lines),     cmocka_unit_test(test_errors),
        cmocka_unit_test(test_utf8),            cmocka_unit_test(test_recovery),
        cmocka_unit_test(test_limits),          cmocka_unit_test(test_default_limits),
        cmocka_unit_test(test_chunking),        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_stop),            cmocka_unit_test(test_many_records),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
