#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/tz.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ZONEINFO "/usr/share/zoneinfo"

/* Expected instants and offsets below were computed with Python's zoneinfo, an
 * independent TZif reader, from this machine's tzdata (2025b). */
#define LONDON_SPRING_2026 1774746000LL /* 2026-03-29T01:00:00Z */
#define LONDON_AUTUMN_2026 1792890000LL /* 2026-10-25T01:00:00Z */

/* ---- helpers ---- */

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static const size_t cap = 1 << 20;
    unsigned char *buf = malloc(cap);
    assert_non_null(buf);
    *len = fread(buf, 1, cap, f);
    fclose(f);
    assert_true(*len > 0 && *len < cap);
    return buf;
}

static sg_tz *load(const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", ZONEINFO, name);
    size_t len;
    unsigned char *data = slurp(path, &len);
    sg_tz *z = NULL;
    assert_int_equal(sg_tz_parse(data, len, &z), SG_OK);
    free(data);
    return z;
}

/* A transition at `at` from offset `before` to offset `after`. */
static void check_switch(const sg_tz *z, int64_t at, int32_t before, int32_t after)
{
    assert_int_equal(sg_tz_offset(z, at - 1), before);
    assert_int_equal(sg_tz_offset(z, at), after);
}

/* A synthetic TZif file: one type per offset (index i), transitions to types,
 * and for version >= 2 a near-empty 32-bit block (as zic -b slim writes) and the
 * footer. Returns the length written to out. */
typedef struct tzif_spec {
    char version; /* 0 (v1), '2', '3', '4' */
    int ntypes;
    int32_t utoff[4];
    int ntrans;
    int64_t at[4];
    unsigned char idx[4];
    const char *footer;
} tzif_spec;

static size_t put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
    return 4;
}

static size_t put_header(unsigned char *p, char version, uint32_t timecnt, uint32_t typecnt,
                         uint32_t charcnt)
{
    memset(p, 0, 44);
    memcpy(p, "TZif", 4);
    p[4] = (unsigned char)version;
    put32(p + 32, timecnt);
    put32(p + 36, typecnt);
    put32(p + 40, charcnt);
    return 44;
}

static size_t build_tzif(const tzif_spec *s, unsigned char *out)
{
    size_t n = 0;
    int tsize = s->version ? 8 : 4;
    if (s->version) {
        n += put_header(out + n, s->version, 0, 1, 1);
        memset(out + n, 0, 7); /* one type: utoff 0, not DST, abbreviation "" */
        n += 7;
    }
    n += put_header(out + n, s->version, (uint32_t)s->ntrans, (uint32_t)s->ntypes, 4);
    for (int i = 0; i < s->ntrans; i++) {
        if (tsize == 8)
            n += put32(out + n, (uint32_t)((uint64_t)s->at[i] >> 32));
        n += put32(out + n, (uint32_t)s->at[i]);
    }
    for (int i = 0; i < s->ntrans; i++)
        out[n++] = s->idx[i];
    for (int i = 0; i < s->ntypes; i++) {
        n += put32(out + n, (uint32_t)s->utoff[i]);
        out[n++] = 0;
        out[n++] = 0;
    }
    memcpy(out + n, "ABC", 4);
    n += 4;
    if (s->version) {
        out[n++] = '\n';
        size_t flen = strlen(s->footer ? s->footer : "");
        memcpy(out + n, s->footer ? s->footer : "", flen);
        n += flen;
        out[n++] = '\n';
    }
    return n;
}

/* A zone with no transitions, only a footer; NULL if it does not parse. */
static sg_tz *footer_zone(const char *footer)
{
    tzif_spec s = {.version = '3', .ntypes = 1, .footer = footer};
    unsigned char buf[512];
    size_t n = build_tzif(&s, buf);
    sg_tz *z = NULL;
    if (sg_tz_parse(buf, n, &z) != SG_OK)
        return NULL;
    return z;
}

/* ---- real files ---- */

static void test_london(void **state)
{
    (void)state;
    sg_tz *z = load("Europe/London");
    assert_int_equal(sg_tz_offset(z, 1768478400), 0);    /* 2026-01-15T12:00Z */
    assert_int_equal(sg_tz_offset(z, 1784116800), 3600); /* 2026-07-15T12:00Z */
    check_switch(z, LONDON_SPRING_2026, 0, 3600);
    check_switch(z, LONDON_AUTUMN_2026, 3600, 0);
    /* 2090 is past the last transition (2037): the footer rule decides. */
    check_switch(z, 3794173200, 0, 3600); /* 2090-03-26T01:00Z */
    check_switch(z, 3812922000, 3600, 0); /* 2090-10-29T01:00Z */
    /* Before the first transition: local mean time, -0:01:15. */
    assert_int_equal(sg_tz_offset(z, -5364662400), -75); /* 1800-01-01 */
    sg_tz_free(z);
}

static void test_new_york(void **state)
{
    (void)state;
    sg_tz *z = load("America/New_York");
    check_switch(z, 1772953200, -18000, -14400); /* 2026-03-08T07:00Z */
    check_switch(z, 1793512800, -14400, -18000); /* 2026-11-01T06:00Z */
    check_switch(z, 3792985200, -18000, -14400); /* 2090-03-12T07:00Z */
    check_switch(z, 3813544800, -14400, -18000); /* 2090-11-05T06:00Z */
    sg_tz_free(z);
}

static void test_kolkata_kathmandu(void **state)
{
    (void)state;
    sg_tz *z = load("Asia/Kolkata");
    assert_int_equal(sg_tz_offset(z, 1768478400), 19800);
    assert_int_equal(sg_tz_offset(z, 3794173200), 19800);  /* 2090, footer "IST-5:30" */
    assert_int_equal(sg_tz_offset(z, -852076800), 23400);  /* 1943-01-01: +06:30 */
    assert_int_equal(sg_tz_offset(z, -5364662400), 21208); /* 1800: LMT, from the 64-bit block */
    sg_tz_free(z);
    z = load("Asia/Kathmandu");
    assert_int_equal(sg_tz_offset(z, 1767225600), 20700); /* 2026: +05:45 */
    assert_int_equal(sg_tz_offset(z, 315532800), 19800);  /* 1980: +05:30 */
    sg_tz_free(z);
}

static void test_lord_howe(void **state)
{
    (void)state;
    sg_tz *z = load("Australia/Lord_Howe");
    assert_int_equal(sg_tz_offset(z, 1768478400), 39600); /* January: DST +11 */
    assert_int_equal(sg_tz_offset(z, 1784116800), 37800); /* July: +10:30 */
    check_switch(z, 1775314800, 39600, 37800);            /* 2026-04-04T15:00Z */
    check_switch(z, 1791041400, 37800, 39600);            /* 2026-10-03T15:30Z */
    check_switch(z, 3794742000, 39600, 37800);            /* 2090-04-01T15:00Z */
    check_switch(z, 3810468600, 37800, 39600);            /* 2090-09-30T15:30Z */
    sg_tz_free(z);
}

static void test_utc_and_extremes(void **state)
{
    (void)state;
    sg_tz *z = load("UTC");
    assert_int_equal(sg_tz_offset(z, 0), 0);
    assert_int_equal(sg_tz_offset(z, INT64_MAX), 0);
    sg_tz_free(z);
    const char *names[] = {"Europe/London", "America/New_York", "Australia/Lord_Howe",
                           "America/Nuuk"};
    const int64_t ts[] = {INT64_MIN,       INT64_MIN + 1, -1000000000000LL,
                          1000000000000LL, INT64_MAX - 1, INT64_MAX};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        z = load(names[i]);
        for (size_t j = 0; j < sizeof ts / sizeof ts[0]; j++) {
            int32_t off = sg_tz_offset(z, ts[j]);
            assert_true(off > -26 * 3600 && off < 26 * 3600);
        }
        sg_tz_free(z);
    }
}

/* ---- footer rules on their own ---- */

static void test_footer_rules(void **state)
{
    (void)state;
    /* The London rule alone gives the same 2026 switches as the file. */
    sg_tz *z = footer_zone("GMT0BST,M3.5.0/1,M10.5.0");
    assert_non_null(z);
    check_switch(z, LONDON_SPRING_2026, 0, 3600);
    check_switch(z, LONDON_AUTUMN_2026, 3600, 0);
    sg_tz_free(z);

    z = footer_zone("<+0530>-5:30");
    assert_non_null(z);
    assert_int_equal(sg_tz_offset(z, 0), 19800);
    assert_int_equal(sg_tz_offset(z, INT64_MIN), 19800);
    sg_tz_free(z);

    z = footer_zone("<+1030>-10:30<+11>-11,M10.1.0,M4.1.0");
    assert_non_null(z);
    check_switch(z, 1775314800, 39600, 37800);
    check_switch(z, 1791041400, 37800, 39600);
    sg_tz_free(z);

    /* Version 3: negative transition times (America/Nuuk since 2023). */
    z = footer_zone("<-02>2<-01>,M3.5.0/-1,M10.5.0/0");
    assert_non_null(z);
    check_switch(z, LONDON_SPRING_2026, -7200, -3600);
    check_switch(z, LONDON_AUTUMN_2026, -3600, -7200);
    sg_tz_free(z);

    /* Version 3: DST all year (RFC 9636's example), also across New Year. */
    z = footer_zone("EST5EDT,0/0,J365/25");
    assert_non_null(z);
    assert_int_equal(sg_tz_offset(z, 1768478400), -14400);
    assert_int_equal(sg_tz_offset(z, 1767243600), -14400); /* 2026-01-01T05:00Z */
    assert_int_equal(sg_tz_offset(z, 1767243599), -14400);
    sg_tz_free(z);

    /* Julian (J60 is always March 1) and zero-based (59 is Feb 29 in a leap year). */
    z = footer_zone("AAA0BBB,J60/0,300/0");
    assert_non_null(z);
    check_switch(z, 1772323200, 0, 3600); /* 2026-03-01T00:00Z */
    sg_tz_free(z);
    z = footer_zone("AAA0BBB,59/0,300/0");
    assert_non_null(z);
    check_switch(z, 1709164800, 0, 3600); /* 2024-02-29T00:00Z */
    check_switch(z, 1772323200, 0, 3600); /* 2026-03-01T00:00Z */
    sg_tz_free(z);

    /* Far from 1970: the 400-year cycle keeps the rule exact. */
    z = footer_zone("GMT0BST,M3.5.0/1,M10.5.0");
    int64_t cycle = 146097LL * 86400;
    check_switch(z, LONDON_SPRING_2026 + 1000 * cycle, 0, 3600);
    check_switch(z, LONDON_SPRING_2026 - 1000 * cycle, 0, 3600);
    sg_tz_free(z);

    const char *bad[] = {"GMT",
                         "GMT0BST",
                         "GMT0BST,M3.5.0",
                         "GM0",
                         "<+05>",
                         "<+05-5:30",
                         "UTC25",
                         "UTC0:60",
                         "X0Y,M13.1.0,M10.5.0",
                         "AAA0BBB,M3.6.0,M10.5.0",
                         "AAA0BBB,M3.5.7,M10.5.0",
                         "AAA0BBB,J0,J365",
                         "AAA0BBB,366,1",
                         "AAA0BBB,M3.5.0/168,M10.5.0",
                         "GMT0BST,M3.5.0/1,M10.5.0x",
                         "GMT0 ",
                         "GMT0BST,,M10.5.0"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        z = footer_zone(bad[i]);
        if (z)
            fail_msg("footer \"%s\" accepted", bad[i]);
    }
}

/* ---- hostile and broken input ---- */

static void test_synthetic_versions(void **state)
{
    (void)state;
    /* Version 1: 32-bit times, no footer; the last type holds after the last change. */
    tzif_spec s = {.version = 0,
                   .ntypes = 2,
                   .utoff = {3600, 7200},
                   .ntrans = 2,
                   .at = {-100, 1000},
                   .idx = {1, 0}};
    unsigned char buf[512];
    size_t n = build_tzif(&s, buf);
    sg_tz *z = NULL;
    assert_int_equal(sg_tz_parse(buf, n, &z), SG_OK);
    assert_int_equal(sg_tz_offset(z, -101), 3600); /* type 0 before the first change */
    assert_int_equal(sg_tz_offset(z, -100), 7200);
    assert_int_equal(sg_tz_offset(z, 999), 7200);
    assert_int_equal(sg_tz_offset(z, INT64_MAX), 3600);
    sg_tz_free(z);

    /* Version 4 with 64-bit times beyond 2038 and an empty footer. */
    s = (tzif_spec){.version = '4',
                    .ntypes = 2,
                    .utoff = {0, -3600},
                    .ntrans = 1,
                    .at = {5000000000LL},
                    .idx = {1},
                    .footer = ""};
    n = build_tzif(&s, buf);
    assert_int_equal(sg_tz_parse(buf, n, &z), SG_OK);
    assert_int_equal(sg_tz_offset(z, 4999999999LL), 0);
    assert_int_equal(sg_tz_offset(z, INT64_MAX), -3600);
    sg_tz_free(z);
}

static void expect_invalid(const unsigned char *buf, size_t n, const char *what)
{
    sg_tz *z = (sg_tz *)(uintptr_t)1;
    sg_err err = sg_tz_parse(buf, n, &z);
    if (err != SG_ERR_INVALID)
        fail_msg("%s: got %s", what, sg_strerror(err));
    assert_null(z);
}

static void test_corrupt(void **state)
{
    (void)state;
    /* Every proper prefix of a real file is refused (the footer's final newline is
     * required), and the whole file is accepted. */
    size_t len;
    unsigned char *real = slurp(ZONEINFO "/Europe/London", &len);
    for (size_t i = 0; i < len; i++) {
        unsigned char *copy = malloc(i ? i : 1); /* exact size, so ASan sees overreads */
        memcpy(copy, real, i);
        expect_invalid(copy, i, "prefix");
        free(copy);
    }
    sg_tz *z = NULL;
    assert_int_equal(sg_tz_parse(real, len, &z), SG_OK);
    sg_tz_free(z);
    free(real);
    expect_invalid(NULL, 0, "NULL");

    tzif_spec good = {.version = '2',
                      .ntypes = 2,
                      .utoff = {0, 3600},
                      .ntrans = 2,
                      .at = {10, 20},
                      .idx = {1, 0},
                      .footer = "GMT0"};
    unsigned char buf[512];
    size_t n = build_tzif(&good, buf);
    size_t v2 = 44 + 7; /* the second header */
    assert_int_equal(sg_tz_parse(buf, n, &z), SG_OK);
    sg_tz_free(z);

    unsigned char bad[512];
#define MUTATE(what, stmt)                                                                         \
    do {                                                                                           \
        memcpy(bad, buf, n);                                                                       \
        stmt;                                                                                      \
        expect_invalid(bad, n, what);                                                              \
    } while (0)
    MUTATE("magic", bad[0] = 'X');
    MUTATE("version 5", bad[4] = bad[v2 + 4] = '5');
    MUTATE("versions differ", bad[v2 + 4] = '3');
    MUTATE("second magic", bad[v2] = 'X');
    MUTATE("typecnt 0", put32(bad + v2 + 36, 0));
    MUTATE("typecnt huge", put32(bad + v2 + 36, 0xffffffffu));
    MUTATE("timecnt huge", put32(bad + v2 + 32, 0xffffffffu));
    MUTATE("timecnt +1", put32(bad + v2 + 32, 3));
    MUTATE("leapcnt", put32(bad + v2 + 28, 1));
    MUTATE("charcnt 0", put32(bad + v2 + 40, 0));
    MUTATE("isstdcnt", put32(bad + v2 + 24, 1));
    MUTATE("v1 timecnt huge", put32(bad + 32, 0x20000000u));
    MUTATE("unsorted", bad[v2 + 44 + 15] = 5); /* second time 20 -> 5 */
    MUTATE("equal times", bad[v2 + 44 + 15] = 10);
    MUTATE("type index", bad[v2 + 44 + 16] = 2);
    MUTATE("utoff 26h", put32(bad + v2 + 44 + 18, 93600)); /* first type */
    MUTATE("utoff min", put32(bad + v2 + 44 + 18, 0x80000000u));
    MUTATE("isdst 2", bad[v2 + 44 + 18 + 4] = 2);
    MUTATE("desigidx", bad[v2 + 44 + 18 + 5] = 4);
    MUTATE("footer start", bad[n - 6] = 'x');
    MUTATE("footer end", bad[n - 1] = 'x');
    MUTATE("footer text", bad[n - 2] = 'x');
#undef MUTATE
}

/* ---- the cache and the directory ---- */

static void test_get(void **state)
{
    (void)state;
    const sg_tz *a = NULL, *b = NULL;
    assert_int_equal(sg_tz_get("Europe/London", &a), SG_OK);
    assert_int_equal(sg_tz_get("Europe/London", &b), SG_OK);
    assert_ptr_equal(a, b);
    check_switch(a, LONDON_SPRING_2026, 0, 3600);
    assert_int_equal(sg_tz_get("Etc/GMT+5", &a), SG_OK);
    assert_int_equal(sg_tz_offset(a, 0), -18000);
    assert_int_equal(sg_tz_get("UTC", &a), SG_OK); /* a symlink */

    const char *unknown[] = {"Nowhere/City", "Europe", "Europe/", "leapseconds",
                             "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        a = (const sg_tz *)(uintptr_t)1;
        assert_int_equal(sg_tz_get(unknown[i], &a), SG_ERR_NOT_FOUND);
        assert_null(a);
    }
    const char *bad[] = {"../etc/passwd",
                         "",
                         "/etc",
                         "Europe/../../etc/passwd",
                         "zone1970.tab",
                         "Europe/London ",
                         "Europe\\London",
                         "Europe/Lon\ndon",
                         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(sg_tz_get(bad[i], &a), SG_ERR_INVALID);
    assert_int_equal(sg_tz_get(NULL, &a), SG_ERR_INVALID);
}

static const char *const thread_names[] = {"Europe/Paris", "Asia/Tokyo", "America/Chicago",
                                           "Africa/Lagos"};

static void *get_all(void *arg)
{
    const sg_tz **got = arg;
    for (int round = 0; round < 50; round++)
        for (size_t i = 0; i < 4; i++)
            if (sg_tz_get(thread_names[i], &got[i]) != SG_OK)
                got[i] = NULL;
    return NULL;
}

static void test_get_threads(void **state)
{
    (void)state;
    enum { N = 8 };
    pthread_t th[N];
    const sg_tz *got[N][4];
    for (int i = 0; i < N; i++)
        assert_int_equal(pthread_create(&th[i], NULL, get_all, got[i]), 0);
    for (int i = 0; i < N; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < N; i++)
        for (int j = 0; j < 4; j++) {
            assert_non_null(got[i][j]);
            assert_ptr_equal(got[i][j], got[0][j]);
        }
}

static void test_zoneinfo_override(void **state)
{
    (void)state;
    char dir[] = "/tmp/sg_tz_test.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char sub[64], file[96];
    snprintf(sub, sizeof sub, "%s/Test", dir);
    snprintf(file, sizeof file, "%s/Zone", sub);
    assert_int_equal(mkdir(sub, 0700), 0);
    tzif_spec s = {.version = '2', .ntypes = 1, .utoff = {12345}, .footer = "<+0325>-3:25:45"};
    unsigned char buf[512];
    size_t n = build_tzif(&s, buf);
    FILE *f = fopen(file, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, n, f), n);
    fclose(f);

    setenv("SG_ZONEINFO", dir, 1);
    const sg_tz *z = NULL;
    assert_int_equal(sg_tz_get("Test/Zone", &z), SG_OK);
    assert_int_equal(sg_tz_offset(z, 0), 12345);
    assert_int_equal(sg_tz_get("Europe/Berlin", &z), SG_ERR_NOT_FOUND);
    unsetenv("SG_ZONEINFO");
    assert_int_equal(sg_tz_get("Test/Zone", &z), SG_ERR_NOT_FOUND);

    unlink(file);
    rmdir(sub);
    rmdir(dir);
}

static void test_for_country(void **state)
{
    (void)state;
    assert_string_equal(sg_tz_for_country("GB"), "Europe/London");
    assert_string_equal(sg_tz_for_country("gb"), "Europe/London");
    assert_string_equal(sg_tz_for_country("FR"), "Europe/Paris");
    assert_string_equal(sg_tz_for_country("IN"), "Asia/Kolkata");
    assert_string_equal(sg_tz_for_country("NP"), "Asia/Kathmandu");
    /* Countries that only appear in a multi-country first column. */
    assert_string_equal(sg_tz_for_country("OM"), "Asia/Dubai");
    assert_string_equal(sg_tz_for_country("IM"), "Europe/London");
    /* Several zones. DE has two because of Busingen (Europe/Zurich). */
    assert_null(sg_tz_for_country("US"));
    assert_null(sg_tz_for_country("AU"));
    assert_null(sg_tz_for_country("DE"));
    /* Not listed, or not a code. */
    assert_null(sg_tz_for_country("XX"));
    assert_null(sg_tz_for_country(""));
    assert_null(sg_tz_for_country("G"));
    assert_null(sg_tz_for_country("GBR"));
    assert_null(sg_tz_for_country("G1"));
    assert_null(sg_tz_for_country(NULL));
    /* Every answer is a zone sg_tz_get can load, and the same string each time. */
    const char *gb = sg_tz_for_country("GB");
    assert_ptr_equal(gb, sg_tz_for_country("GB"));
    for (char a = 'A'; a <= 'Z'; a++)
        for (char b = 'A'; b <= 'Z'; b++) {
            char cc[3] = {a, b, '\0'};
            const char *zone = sg_tz_for_country(cc);
            const sg_tz *z;
            if (zone && sg_tz_get(zone, &z) != SG_OK)
                fail_msg("%s -> %s does not load", cc, zone);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_london),
        cmocka_unit_test(test_new_york),
        cmocka_unit_test(test_kolkata_kathmandu),
        cmocka_unit_test(test_lord_howe),
        cmocka_unit_test(test_utc_and_extremes),
        cmocka_unit_test(test_footer_rules),
        cmocka_unit_test(test_synthetic_versions),
        cmocka_unit_test(test_corrupt),
        /* Before any SG_ZONEINFO change: zone1970.tab is read once, at first use. */
        cmocka_unit_test(test_for_country),
        cmocka_unit_test(test_get),
        cmocka_unit_test(test_get_threads),
        cmocka_unit_test(test_zoneinfo_override),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
