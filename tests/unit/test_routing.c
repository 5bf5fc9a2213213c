/* dispatch/routing.c and api/accept_route.c over a provider set built by hand:
 * which provider a message is accepted for (pinned by "provider" or by a "from"
 * one provider owns, else its route, the default provider last), the route
 * event, and failover's flags. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "api/accept.h"
#include "dispatch/routing.h"

#include <stdio.h>
#include <string.h>

/* Each provider's sender pool: the cfg pointer is its list, NULL-ended. */
static size_t fake_senders(const void *cfg, const char *const **out)
{
    const char *const *list = cfg;
    size_t n = 0;
    while (list && list[n])
        n++;
    *out = list;
    return n;
}

static const sg_provider_kind fake_kind = {.name = "fake", .senders = fake_senders};

static const char *const pool_a[] = {"+15005550006", NULL};
static const char *const pool_b[] = {"+15005550006", "+15017122661", NULL};
static const char *const pool_c[] = {NULL};

typedef struct fixture {
    sg_provider items[3];
    sg_sms_route routes[2];
    sg_provider_set set;
} fixture;

/* Providers a, b (default), c; route "uk" (GB: a then b), route "ke" (+2547: c). */
static void fixture_init(fixture *f)
{
    memset(f, 0, sizeof *f);
    const char *names[3] = {"a", "b", "c"};
    const char *const *pools[3] = {pool_a, pool_b, pool_c};
    for (int i = 0; i < 3; i++) {
        snprintf(f->items[i].id, sizeof f->items[i].id, "prv_%s", names[i]);
        snprintf(f->items[i].name, sizeof f->items[i].name, "%s", names[i]);
        f->items[i].active = true;
        f->items[i].kind = &fake_kind;
        f->items[i].cfg = (void *)pools[i];
    }
    f->items[1].is_default = true;
    char bad[16];
    sg_sms_route *uk = &f->routes[0], *ke = &f->routes[1];
    snprintf(uk->id, sizeof uk->id, "rte_uk");
    snprintf(uk->name, sizeof uk->name, "uk");
    assert_true(sg_country_set_parse("GB", &uk->countries, bad));
    snprintf(uk->providers[0], SG_ID_MAX, "prv_a");
    snprintf(uk->providers[1], SG_ID_MAX, "prv_b");
    uk->n_providers = 2;
    snprintf(ke->id, sizeof ke->id, "rte_ke");
    snprintf(ke->name, sizeof ke->name, "ke");
    snprintf(ke->prefixes[0], SG_ROUTE_PREFIX_MAX, "+2547");
    ke->n_prefixes = 1;
    snprintf(ke->providers[0], SG_ID_MAX, "prv_c");
    ke->n_providers = 1;
    f->set.items = f->items;
    f->set.n = 3;
    f->set.routes = f->routes;
    f->set.n_routes = 2;
}

/* Accept a message to `to` with the fields of json (text) over f's set. */
static bool accept(fixture *f, const char *to, const char *from, const char *json, sg_message *m,
                   const sg_provider **p, sg_reject *rej)
{
    sg_message_free(m); /* the previous call's route event */
    memset(m, 0, sizeof *m);
    snprintf(m->to, sizeof m->to, "%s", to);
    snprintf(m->from, sizeof m->from, "%s", from ? from : "");
    json_t *obj = json_loads(json, 0, NULL);
    assert_non_null(obj);
    bool ok = sg_accept_provider(&f->set, obj, m, p, rej);
    json_decref(obj);
    return ok;
}

static void test_route_chooses(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    sg_message m = {0};
    const sg_provider *p;
    sg_reject rej;
    assert_true(accept(&f, "+447400123456", NULL, "{}", &m, &p, &rej));
    assert_string_equal(p->name, "a");
    assert_string_equal(m.route_id, "rte_uk");
    assert_true(m.failover);
    assert_string_equal(m.route_event, "route uk (priority): a");
    assert_true(accept(&f, "+254712345678", NULL, "{}", &m, &p, &rej));
    assert_string_equal(p->name, "c");
    assert_string_equal(m.route_id, "rte_ke");
    /* no route: the default provider, no route, nothing to fail over to */
    assert_true(accept(&f, "+14155552671", NULL, "{}", &m, &p, &rej));
    assert_string_equal(p->name, "b");
    assert_string_equal(m.route_id, "");
    assert_false(m.failover);
    assert_null(m.route_event);
    sg_message_free(&m);
}

static void test_unusable_skipped_then_default(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    sg_message m = {0};
    const sg_provider *p;
    sg_reject rej;
    f.items[0].active = false; /* a is skipped: b, the route's next */
    assert_true(accept(&f, "+447400123456", NULL, "{}", &m, &p, &rej));
    assert_string_equal(p->name, "b");
    f.items[2].broken = true; /* ke's only provider unusable: the default */
    assert_true(accept(&f, "+254712345678", NULL, "{}", &m, &p, &rej));
    assert_string_equal(p->name, "b");
    assert_string_equal(m.route_event, "route ke (priority): no provider of the route is usable; "
                                       "the default, b");
    sg_message_free(&m);
}

static void test_pinned_by_provider(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    sg_message m = {0};
    const sg_provider *p;
    sg_reject rej;
    assert_true(accept(&f, "+447400123456", NULL, "{\"provider\": \"c\"}", &m, &p, &rej));
    assert_string_equal(p->name, "c");
    assert_false(m.failover);
    assert_string_equal(m.route_id, "");
    assert_string_equal(m.route_event, "provider c pinned by the message");
    /* "failover": true: the destination's route is followed on failure */
    assert_true(accept(&f, "+447400123456", NULL, "{\"provider\": \"c\", \"failover\": true}", &m,
                       &p, &rej));
    assert_string_equal(p->name, "c");
    assert_true(m.failover);
    assert_string_equal(m.route_id, "rte_uk");
    /* unknown provider, bad failover value: refused with the field */
    assert_false(accept(&f, "+447400123456", NULL, "{\"provider\": \"zz\"}", &m, &p, &rej));
    assert_int_equal(rej.status, 422);
    assert_string_equal(rej.field, "provider");
    assert_false(accept(&f, "+447400123456", NULL, "{\"failover\": 1}", &m, &p, &rej));
    assert_int_equal(rej.status, 400);
    assert_string_equal(rej.field, "failover");
    sg_message_free(&m);
}

static void test_pinned_by_sender(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    sg_message m = {0};
    const sg_provider *p;
    sg_reject rej;
    /* only b owns +15017122661: pinned to b although the UK route starts with a */
    assert_true(accept(&f, "+447400123456", "+15017122661", "{}", &m, &p, &rej));
    assert_string_equal(p->name, "b");
    assert_false(m.failover);
    assert_string_equal(m.route_event, "provider b pinned by the message's sender +15017122661");
    /* a and b both own +15005550006: it pins neither, the route chooses */
    assert_true(accept(&f, "+447400123456", "+15005550006", "{}", &m, &p, &rej));
    assert_string_equal(p->name, "a");
    assert_true(m.failover);
    assert_null(sg_routing_sender_owner(&f.set, "+15005550006"));
    assert_null(sg_routing_sender_owner(&f.set, "+19999999999"));
    sg_message_free(&m);
}

static void test_no_provider_at_all(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    f.items[1].is_default = false;
    sg_message m = {0};
    const sg_provider *p;
    sg_reject rej;
    assert_false(accept(&f, "+14155552671", NULL, "{}", &m, &p, &rej));
    assert_int_equal(rej.status, 422);
    assert_string_equal(rej.code, "no_default_provider");
    sg_message_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_route_chooses),
        cmocka_unit_test(test_unusable_skipped_then_default),
        cmocka_unit_test(test_pinned_by_provider),
        cmocka_unit_test(test_pinned_by_sender),
        cmocka_unit_test(test_no_provider_at_all),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
