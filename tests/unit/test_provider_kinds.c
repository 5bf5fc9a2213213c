/* The kinds table (providers/provider.h): every kind describes its config keys
 * (config_keys, from which `smsgate provider --help` and the CLI's per-kind flags
 * are made), and every key it describes is one its config_load knows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "providers/provider.h"

#include <stdio.h>
#include <string.h>

/* A value of the key's type that is surely wrong in content but not in kind. */
static json_t *sample(const sg_config_key *k)
{
    switch (k->type) {
    case SG_CONFIG_NUMBER:
        return json_integer(1);
    case SG_CONFIG_BOOL:
        return json_true();
    case SG_CONFIG_LIST:
        return json_array();
    default:
        return json_string("x");
    }
}

static void test_described_keys_are_known(void **state)
{
    (void)state;
    size_t kinds = 0;
    for (const sg_provider_kind *const *k = sg_provider_kinds(); *k; k++, kinds++) {
        const sg_config_key *keys = (*k)->config_keys;
        if (!keys || !keys[0].key)
            fail_msg("kind %s describes no config keys", (*k)->name);
        for (const sg_config_key *c = keys; c->key; c++) {
            if (!c->metavar || !c->help || !c->help[0])
                fail_msg("kind %s key %s lacks a metavar or help", (*k)->name, c->key);
            json_t *config = json_pack("{s:o}", c->key, sample(c));
            sg_error e;
            sg_error_clear(&e);
            void *cfg = (*k)->config_load(config, &e);
            /* incomplete on purpose: refused, but never as an unknown key */
            if (cfg)
                (*k)->config_free(cfg);
            else if (strstr(e.message, "unknown key"))
                fail_msg("kind %s: described key %s is refused: %s", (*k)->name, c->key,
                         e.message);
            json_decref(config);
        }
    }
    assert_true(kinds >= 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_described_keys_are_known),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
