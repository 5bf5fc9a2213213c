/* core/route.c: matching a destination to a route, the order a route's providers
 * are tried in (priority, weighted with a given draw, cheapest with given
 * prices), skipping providers that are not usable, and the failover target. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/route.h"

#include <stdio.h>
#include <string.h>

/* A route over providers "a", "b", "c", ... (ids kept short for the tests). */
static sg_sms_route route_of(const char *countries, const char *const *prefixes, size_t n_prefixes,
                             size_t n_providers, sg_route_strategy strategy)
{
    sg_sms_route r;
    memset(&r, 0, sizeof r);
    snprintf(r.name, sizeof r.name, "test");
    char bad[16];
    assert_true(sg_country_set_parse(countries, &r.countries, bad));
    for (size_t i = 0; i < n_prefixes; i++)
        snprintf(r.prefixes[i], sizeof r.prefixes[i], "%s", prefixes[i]);
    r.n_prefixes = n_prefixes;
    for (size_t i = 0; i < n_providers; i++) {
        snprintf(r.providers[i], sizeof r.providers[i], "%c", (char)('a' + i));
        r.weights[i] = 1;
    }
    r.n_providers = n_providers;
    r.strategy = strategy;
    return r;
}

/* Each row: a destination, its region, whether the route matches, and why. */
typedef struct match_case {
    const char *to, *region;
    bool want;
    const char *why;
} match_case;

static void check_matches(const sg_sms_route *r, const match_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        bool got = sg_route_matches(r, cases[i].to, cases[i].region);
        if (got != cases[i].want)
            fail_msg("row %zu (%s, %s): got %d, want %d: %s", i, cases[i].to,
                     cases[i].region ? cases[i].region : "-", got, cases[i].want, cases[i].why);
    }
}

static void test_match_countries_or_prefixes(void **state)
{
    (void)state;
    const char *const prefixes[] = {"+2547"};
    sg_sms_route r = route_of("GB,IE", prefixes, 1, 1, SG_ROUTE_PRIORITY);
    static const match_case cases[] = {
        {"+447400123456", "GB", true, "country listed"},
        {"+353871234567", "IE", true, "second country listed"},
        {"+254712345678", "KE", true, "prefix +2547 (Kenyan mobile)"},
        {"+254202345678", "KE", false, "Kenyan, not under the prefix"},
        {"+14155552671", "US", false, "neither country nor prefix"},
        {"+447400123456", NULL, false, "region unknown and no prefix matches"},
    };
    check_matches(&r, cases, sizeof cases / sizeof *cases);
}

static void test_match_empty_is_catch_all(void **state)
{
    (void)state;
    sg_sms_route r = route_of("", NULL, 0, 1, SG_ROUTE_PRIORITY);
    static const match_case cases[] = {
        {"+447400123456", "GB", true, "no match given: every destination"},
        {"+8005551234", NULL, true, "even one of no region"},
    };
    check_matches(&r, cases, sizeof cases / sizeof *cases);
}

static void test_find_first_in_order(void **state)
{
    (void)state;
    const char *const kenya[] = {"+254"};
    sg_sms_route routes[3];
    routes[0] = route_of("GB", NULL, 0, 1, SG_ROUTE_PRIORITY);
    routes[1] = route_of("", kenya, 1, 1, SG_ROUTE_PRIORITY);
    routes[2] = route_of("", NULL, 0, 1, SG_ROUTE_PRIORITY);
    snprintf(routes[0].name, sizeof routes[0].name, "uk");
    snprintf(routes[1].name, sizeof routes[1].name, "kenya");
    snprintf(routes[2].name, sizeof routes[2].name, "rest");
    assert_string_equal(sg_routes_find(routes, 3, "+447400123456", "GB")->name, "uk");
    assert_string_equal(sg_routes_find(routes, 3, "+254712345678", "KE")->name, "kenya");
    assert_string_equal(sg_routes_find(routes, 3, "+14155552671", "US")->name, "rest");
    assert_null(sg_routes_find(routes, 2, "+14155552671", "US"));
    assert_true(sg_routes_need_region(routes, 3));
    assert_false(sg_routes_need_region(routes + 1, 2));
}

static void test_prefix_valid(void **state)
{
    (void)state;
    assert_true(sg_route_prefix_valid("+2547"));
    assert_true(sg_route_prefix_valid("+1"));
    assert_true(sg_route_prefix_valid("+123456789012345"));
    assert_false(sg_route_prefix_valid("+1234567890123456")); /* 16 digits */
    assert_false(sg_route_prefix_valid("+"));
    assert_false(sg_route_prefix_valid("2547"));
    assert_false(sg_route_prefix_valid("+25 47"));
    assert_false(sg_route_prefix_valid(NULL));
}

/* The order as one string: "a,b,c". */
static void order_text(const sg_sms_route *r, const char *region, const sg_route_env *env,
                       char *out, size_t cap)
{
    const char *ids[SG_ROUTE_PROVIDERS_MAX];
    size_t n = sg_route_order(r, region, env, ids);
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(out + len, cap - len, "%s%s", i ? "," : "", ids[i]);
}

static bool not_b(const char *id, void *ctx)
{
    (void)ctx;
    return strcmp(id, "b") != 0;
}

static bool none_usable(const char *id, void *ctx)
{
    (void)id;
    (void)ctx;
    return false;
}

static void test_priority_skips_unusable(void **state)
{
    (void)state;
    sg_sms_route r = route_of("", NULL, 0, 3, SG_ROUTE_PRIORITY);
    char got[64];
    order_text(&r, "GB", NULL, got, sizeof got);
    assert_string_equal(got, "a,b,c");
    sg_route_env env = {.usable = not_b};
    order_text(&r, "GB", &env, got, sizeof got);
    assert_string_equal(got, "a,c");
    env.usable = none_usable;
    order_text(&r, "GB", &env, got, sizeof got);
    assert_string_equal(got, "");
}

/* Weights 1, 3 over a, b: draws 0 mod 4 give a, 1..3 give b; the other provider
 * follows as the failover. */
static void test_weighted_deterministic(void **state)
{
    (void)state;
    sg_sms_route r = route_of("", NULL, 0, 2, SG_ROUTE_WEIGHTED);
    r.weights[0] = 1;
    r.weights[1] = 3;
    static const struct {
        uint32_t random;
        const char *want;
    } rows[] = {{0, "a,b"}, {1, "b,a"}, {2, "b,a"}, {3, "b,a"}, {4, "a,b"}, {7, "b,a"}};
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        sg_route_env env = {.random = rows[i].random};
        char got[64];
        order_text(&r, "GB", &env, got, sizeof got);
        if (strcmp(got, rows[i].want) != 0)
            fail_msg("draw %u: got %s, want %s", rows[i].random, got, rows[i].want);
    }
}

/* Over many draws the shares follow the weights (exactly, over a full cycle of
 * the draw modulo the total). */
static void test_weighted_shares(void **state)
{
    (void)state;
    sg_sms_route r = route_of("", NULL, 0, 3, SG_ROUTE_WEIGHTED);
    r.weights[0] = 5;
    r.weights[1] = 0;
    r.weights[2] = 15;
    size_t count[3] = {0};
    for (uint32_t x = 0; x < 2000; x++) {
        sg_route_env env = {.random = x};
        const char *ids[SG_ROUTE_PROVIDERS_MAX];
        assert_int_equal(sg_route_order(&r, "GB", &env, ids), 3);
        count[ids[0][0] - 'a']++;
    }
    assert_int_equal(count[0], 500);
    assert_int_equal(count[1], 0); /* weight 0: only ever a failover */
    assert_int_equal(count[2], 1500);
}

/* An unusable provider's weight does not count: its share goes to the others. */
static void test_weighted_skips_unusable(void **state)
{
    (void)state;
    sg_sms_route r = route_of("", NULL, 0, 3, SG_ROUTE_WEIGHTED);
    r.weights[0] = 1;
    r.weights[1] = 100;
    r.weights[2] = 1;
    sg_route_env env = {.usable = not_b, .random = 1};
    char got[64];
    order_text(&r, "GB", &env, got, sizeof got);
    assert_string_equal(got, "c,a");
}

/* Prices per provider and region: a 0.040 in GB, 0.010 in KE; b 0.030 in GB, none
 * in KE; c 0.050 in GB, 0.008 in KE. */
static bool price_of(const char *id, const char *region, double *price, void *ctx)
{
    (void)ctx;
    static const struct {
        const char *id, *region;
        double price;
    } rows[] = {{"a", "GB", 0.040},
                {"a", "KE", 0.010},
                {"b", "GB", 0.030},
                {"c", "GB", 0.050},
                {"c", "KE", 0.008}};
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        if (strcmp(rows[i].id, id) == 0 && strcmp(rows[i].region, region) == 0) {
            *price = rows[i].price;
            return true;
        }
    }
    return false;
}

static void test_cheapest(void **state)
{
    (void)state;
    sg_sms_route r = route_of("", NULL, 0, 3, SG_ROUTE_CHEAPEST);
    sg_route_env env = {.price = price_of};
    static const struct {
        const char *region, *want, *why;
    } rows[] = {
        {"GB", "b,a,c", "every price known: cheapest first"},
        {"KE", "c,a,b", "b has no KE price: after those with one"},
        {"US", "a,b,c", "no price known: the priority order"},
        {"", "a,b,c", "region unknown: the priority order"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        char got[64];
        order_text(&r, rows[i].region, &env, got, sizeof got);
        if (strcmp(got, rows[i].want) != 0)
            fail_msg("%s: got %s, want %s (%s)", rows[i].region, got, rows[i].want, rows[i].why);
    }
    /* without a price source at all: priority */
    char got[64];
    order_text(&r, "GB", NULL, got, sizeof got);
    assert_string_equal(got, "a,b,c");
    /* the cheapest being unusable: the next cheapest */
    env.usable = not_b;
    order_text(&r, "GB", &env, got, sizeof got);
    assert_string_equal(got, "a,c");
}

static void test_next(void **state)
{
    (void)state;
    sg_sms_route r = route_of("", NULL, 0, 3, SG_ROUTE_PRIORITY);
    static const struct {
        const char *current, *tried, *def, *want, *why;
    } rows[] = {
        {"a", "", "d", "b", "the next in the route's order"},
        {"b", "", "d", "a", "chosen by weight or price: the first not tried"},
        {"b", "a", "d", "c", "a tried already"},
        {"c", "a,b", "d", "d", "every route provider tried: the default"},
        {"d", "a,b,c", "d", NULL, "the default tried last: none"},
        {"c", "a,b", "", NULL, "no default provider: none"},
        {"c", "a,b", "a", NULL, "the default is a route provider tried already"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        const char *got = sg_route_next(&r, rows[i].def, rows[i].current, rows[i].tried, NULL);
        bool same = got && rows[i].want ? strcmp(got, rows[i].want) == 0 : got == rows[i].want;
        if (!same)
            fail_msg("row %zu: got %s, want %s (%s)", i, got ? got : "none",
                     rows[i].want ? rows[i].want : "none", rows[i].why);
    }
    sg_route_env env = {.usable = not_b};
    assert_string_equal(sg_route_next(&r, "d", "a", "", &env), "c"); /* b's breaker open */
    /* no route (a pinned message that may fail over, and no route matched): the default */
    assert_string_equal(sg_route_next(NULL, "d", "a", "", NULL), "d");
    assert_null(sg_route_next(NULL, "a", "a", "", NULL));
}

static void test_id_listed(void **state)
{
    (void)state;
    assert_true(sg_route_id_listed("prv_a,prv_b", "prv_b"));
    assert_true(sg_route_id_listed("prv_a", "prv_a"));
    assert_false(sg_route_id_listed("prv_ab", "prv_a"));
    assert_false(sg_route_id_listed("prv_a,prv_b", "prv_"));
    assert_false(sg_route_id_listed("", "prv_a"));
    assert_false(sg_route_id_listed(NULL, "prv_a"));
}

static void test_names(void **state)
{
    (void)state;
    sg_route_strategy s;
    assert_true(sg_route_strategy_parse("cheapest", &s));
    assert_int_equal(s, SG_ROUTE_CHEAPEST);
    assert_false(sg_route_strategy_parse("fastest", &s));
    assert_string_equal(sg_route_strategy_name(SG_ROUTE_WEIGHTED), "weighted");
    sg_route_on_unknown u;
    assert_true(sg_route_on_unknown_parse("failover", &u));
    assert_int_equal(u, SG_ON_UNKNOWN_FAILOVER);
    assert_false(sg_route_on_unknown_parse("resend", &u));
    assert_string_equal(sg_route_on_unknown_name(SG_ON_UNKNOWN_RETRY), "retry");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match_countries_or_prefixes),
        cmocka_unit_test(test_match_empty_is_catch_all),
        cmocka_unit_test(test_find_first_in_order),
        cmocka_unit_test(test_prefix_valid),
        cmocka_unit_test(test_priority_skips_unusable),
        cmocka_unit_test(test_weighted_deterministic),
        cmocka_unit_test(test_weighted_shares),
        cmocka_unit_test(test_weighted_skips_unusable),
        cmocka_unit_test(test_cheapest),
        cmocka_unit_test(test_next),
        cmocka_unit_test(test_id_listed),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
