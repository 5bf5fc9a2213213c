/* dispatch/nodes.c: a sender's mps shared among live nodes, the default node
 * id, start ids; store/rows.c: node ids, alive or dead. */
#include "dispatch/nodes.h"
#include "store/store.h"
#include "util/crypto.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static void test_share_splits_mps_among_live_nodes(void **state)
{
    (void)state;
    /* three nodes together never exceed the account's limit */
    assert_true(sg_nodes_share(30, 3) * 3 <= 30.0 + 1e-9);
    assert_true(sg_nodes_share(30, 3) > 9.99);
    assert_true(sg_nodes_share(10, 1) == 10.0);
    assert_true(sg_nodes_share(10, 0) == 10.0); /* none counted yet: this one */
    assert_true(sg_nodes_share(1, 4) == 0.25);
}

static void test_default_id_from_host_and_listen(void **state)
{
    (void)state;
    char id[SG_NODE_ID_MAX];
    sg_node_id_default(id, "gw-1.example.org", "0.0.0.0:8080");
    assert_string_equal(id, "gw-1.example.org-0.0.0.0:8080");
    assert_true(sg_node_id_valid(id));
    sg_node_id_default(id, "odd host/name", "[::1]:80");
    assert_string_equal(id, "odd-host-name--::1-:80");
    assert_true(sg_node_id_valid(id));
    char longhost[200];
    memset(longhost, 'h', sizeof longhost - 1);
    longhost[sizeof longhost - 1] = '\0';
    sg_node_id_default(id, longhost, "127.0.0.1:1");
    assert_int_equal(strlen(id), SG_NODE_ID_MAX - 1);
    assert_true(sg_node_id_valid(id));
    sg_node_id_default(id, "", "");
    assert_string_equal(id, "node");
}

static void test_node_ids_and_start_ids(void **state)
{
    (void)state;
    assert_true(sg_node_id_valid("a"));
    assert_true(sg_node_id_valid("eu-west_1.gw:8080"));
    assert_false(sg_node_id_valid(""));
    assert_false(sg_node_id_valid(NULL));
    assert_false(sg_node_id_valid("a b"));
    assert_false(sg_node_id_valid("a\"b"));
    char longid[SG_NODE_ID_MAX + 1];
    memset(longid, 'x', SG_NODE_ID_MAX);
    longid[SG_NODE_ID_MAX] = '\0';
    assert_false(sg_node_id_valid(longid));
    char s1[SG_NODE_START_MAX], s2[SG_NODE_START_MAX];
    sg_node_start_id(s1);
    sg_node_start_id(s2);
    assert_int_equal(strlen(s1), 16);
    assert_string_not_equal(s1, s2);
}

static void test_alive(void **state)
{
    (void)state;
    sg_node n = {.heartbeat_at = 1000};
    assert_true(sg_node_alive(&n, 11000, 10000));
    assert_false(sg_node_alive(&n, 11001, 10000));
    n.stopped_at = 1500; /* stopped cleanly: counted out at once */
    assert_false(sg_node_alive(&n, 1600, 10000));
}

int main(void)
{
    sg_crypto_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_share_splits_mps_among_live_nodes),
        cmocka_unit_test(test_default_id_from_host_and_listen),
        cmocka_unit_test(test_node_ids_and_start_ids),
        cmocka_unit_test(test_alive),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
