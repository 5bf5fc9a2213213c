#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/status.h"

#include <string.h>

#define S(x) SG_STATUS_##x

static void test_names_roundtrip(void **state)
{
    const char *names[] = {"scheduled",   "queued", "sending",  "sent",    "delivered",
                           "undelivered", "failed", "canceled", "received"};
    assert_int_equal(sizeof names / sizeof names[0], SG_STATUS__COUNT);
    for (int i = 0; i < SG_STATUS__COUNT; i++) {
        assert_string_equal(sg_status_name((sg_status)i), names[i]);
        sg_status s = (sg_status)-1;
        assert_true(sg_status_parse(names[i], &s));
        assert_int_equal(s, i);
    }
    assert_null(sg_status_name(SG_STATUS__COUNT));
    assert_null(sg_status_name((sg_status)-1));
    sg_status s;
    assert_false(sg_status_parse("Delivered", &s));
    assert_false(sg_status_parse("cancelled", &s));
    assert_false(sg_status_parse("", &s));
    assert_false(sg_status_parse(NULL, &s));
}

static void test_final(void **state)
{
    assert_false(sg_status_is_final(S(SCHEDULED)));
    assert_false(sg_status_is_final(S(QUEUED)));
    assert_false(sg_status_is_final(S(SENDING)));
    assert_false(sg_status_is_final(S(SENT)));
    assert_true(sg_status_is_final(S(DELIVERED)));
    assert_true(sg_status_is_final(S(UNDELIVERED)));
    assert_true(sg_status_is_final(S(FAILED)));
    assert_true(sg_status_is_final(S(CANCELED)));
    assert_true(sg_status_is_final(S(RECEIVED)));
}

static void test_forward(void **state)
{
    assert_true(sg_status_may_move(S(SCHEDULED), S(QUEUED)));
    assert_true(sg_status_may_move(S(QUEUED), S(SENDING)));
    assert_true(sg_status_may_move(S(SENDING), S(SENT)));
    assert_true(sg_status_may_move(S(SENT), S(DELIVERED)));
    assert_true(sg_status_may_move(S(SENT), S(UNDELIVERED)));
    assert_true(sg_status_may_move(S(SENT), S(FAILED)));
    /* Skipping steps is forward too (a late or lost callback). */
    assert_true(sg_status_may_move(S(QUEUED), S(DELIVERED)));
    assert_true(sg_status_may_move(S(SENDING), S(FAILED)));
    assert_true(sg_status_may_move(S(QUEUED), S(SENT)));
}

static void test_backward_refused(void **state)
{
    assert_false(sg_status_may_move(S(DELIVERED), S(SENT)));
    assert_false(sg_status_may_move(S(SENT), S(QUEUED)));
    assert_false(sg_status_may_move(S(SENT), S(SENDING)));
    assert_false(sg_status_may_move(S(QUEUED), S(SCHEDULED)));
    assert_false(sg_status_may_move(S(SENDING), S(SCHEDULED)));
    for (int i = 0; i < SG_STATUS__COUNT; i++)
        assert_false(sg_status_may_move((sg_status)i, (sg_status)i));
}

static void test_sending_back_to_queued(void **state)
{
    assert_true(sg_status_may_move(S(SENDING), S(QUEUED)));
}

static void test_finals_never_move(void **state)
{
    const sg_status finals[] = {S(DELIVERED), S(UNDELIVERED), S(FAILED), S(CANCELED), S(RECEIVED)};
    for (size_t f = 0; f < sizeof finals / sizeof finals[0]; f++)
        for (int to = 0; to < SG_STATUS__COUNT; to++)
            assert_false(sg_status_may_move(finals[f], (sg_status)to));
}

static void test_canceled_and_received(void **state)
{
    for (int from = 0; from < SG_STATUS__COUNT; from++) {
        bool want = from == S(SCHEDULED) || from == S(QUEUED);
        assert_int_equal(sg_status_may_move((sg_status)from, S(CANCELED)), want);
        /* Nothing outbound becomes "received". */
        assert_false(sg_status_may_move((sg_status)from, S(RECEIVED)));
    }
    assert_false(sg_status_may_move(S(CANCELED), S(QUEUED)));
    assert_false(sg_status_may_move(S(SCHEDULED), SG_STATUS__COUNT));
    assert_false(sg_status_may_move(SG_STATUS__COUNT, S(QUEUED)));
}

/* Callbacks arrive duplicated and out of order; applying each update that
 * may_move allows must still end on the furthest status. */
static sg_status apply_all(const sg_status *moves, size_t n, sg_status start)
{
    sg_status cur = start;
    for (size_t i = 0; i < n; i++)
        if (sg_status_may_move(cur, moves[i]))
            cur = moves[i];
    return cur;
}

/* Every permutation of moves[k..n), each tried from start. */
static size_t permute(sg_status *moves, size_t k, size_t n, sg_status start, sg_status want)
{
    if (k == n) {
        assert_int_equal(apply_all(moves, n, start), want);
        return 1;
    }
    size_t count = 0;
    for (size_t i = k; i < n; i++) {
        sg_status t = moves[k];
        moves[k] = moves[i];
        moves[i] = t;
        count += permute(moves, k + 1, n, start, want);
        moves[i] = moves[k];
        moves[k] = t;
    }
    return count;
}

static void test_shuffled_sequences(void **state)
{
    sg_status five[] = {S(QUEUED), S(SENDING), S(SENT), S(DELIVERED), S(QUEUED)};
    assert_int_equal(permute(five, 0, 5, S(SCHEDULED), S(DELIVERED)), 120);
    sg_status failed[] = {S(SENDING), S(QUEUED), S(SENT), S(FAILED), S(SENDING)};
    assert_int_equal(permute(failed, 0, 5, S(QUEUED), S(FAILED)), 120);
    /* Without a final update, the furthest is "sent". */
    sg_status no_final[] = {S(SENT), S(QUEUED), S(SENDING), S(SENDING), S(QUEUED)};
    assert_int_equal(permute(no_final, 0, 5, S(QUEUED), S(SENT)), 120);

    /* Longer runs with many duplicates, shuffled by a fixed-seed LCG. */
    sg_status many[24];
    const sg_status kinds[4] = {S(QUEUED), S(SENDING), S(SENT), S(UNDELIVERED)};
    for (size_t i = 0; i < 24; i++)
        many[i] = kinds[i % 4];
    uint32_t seed = 12345;
    for (int round = 0; round < 1000; round++) {
        for (size_t i = 23; i > 0; i--) {
            seed = seed * 1664525u + 1013904223u;
            size_t j = (seed >> 8) % (i + 1);
            sg_status t = many[i];
            many[i] = many[j];
            many[j] = t;
        }
        assert_int_equal(apply_all(many, 24, S(SCHEDULED)), S(UNDELIVERED));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_roundtrip),
        cmocka_unit_test(test_final),
        cmocka_unit_test(test_forward),
        cmocka_unit_test(test_backward_refused),
        cmocka_unit_test(test_sending_back_to_queued),
        cmocka_unit_test(test_finals_never_move),
        cmocka_unit_test(test_canceled_and_received),
        cmocka_unit_test(test_shuffled_sequences),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
