/* libFuzzer driver for sg_form_parse (src/util/form.c): the parser for
 * application/x-www-form-urlencoded bodies that providers and clients send.
 *
 * Contracts checked, beyond ASan/UBSan:
 *  - a parse result holds at most SG_FORM_MAX_PAIRS pairs, each key and value a
 *    NUL-terminated string no longer than the input;
 *  - sg_form_get(key) returns the first value given for key;
 *  - round trip: re-encoding the pairs with sg_form_add and parsing the result
 *    gives the same pairs, in the same order. */
#include "fuzz_common.h"

#include "util/buf.h"
#include "util/form.h"

#define ENCODED_MAX (16u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sg_form f;
    sg_err err = sg_form_parse((const char *)data, size, &f);
    if (err) {
        FUZZ_CHECK(err == SG_ERR_INVALID || err == SG_ERR_TOO_LARGE, "unexpected error %d",
                   (int)err);
        FUZZ_CHECK(f.pairs == NULL && f.n == 0, "a failed parse left %zu pairs behind", f.n);
        return 0;
    }
    FUZZ_CHECK(f.n <= SG_FORM_MAX_PAIRS, "%zu pairs", f.n);
    FUZZ_CHECK(f.n == 0 || f.pairs != NULL, "n=%zu without pairs", f.n);

    sg_buf b;
    sg_buf_init(&b, ENCODED_MAX);
    for (size_t i = 0; i < f.n; i++) {
        size_t kl = strlen(f.pairs[i].key), vl = strlen(f.pairs[i].value);
        FUZZ_CHECK(kl + vl <= size, "pair %zu is longer (%zu+%zu) than the input (%zu)", i, kl, vl,
                   size);
        /* The first pair with this key is the one sg_form_get must answer with. */
        size_t first = 0;
        while (strcmp(f.pairs[first].key, f.pairs[i].key) != 0)
            first++;
        FUZZ_CHECK(sg_form_get(&f, f.pairs[i].key) == f.pairs[first].value,
                   "sg_form_get(\"%s\") did not return the first value", f.pairs[i].key);
        sg_err aerr = sg_form_add(&b, f.pairs[i].key, f.pairs[i].value);
        FUZZ_CHECK(aerr == SG_OK, "sg_form_add failed: %d", (int)aerr);
    }

    sg_form g;
    const char *enc = sg_buf_cstr(&b);
    sg_err err2 = sg_form_parse(enc, b.len, &g);
    FUZZ_CHECK(err2 == SG_OK, "re-parse of \"%.200s\" failed: %d", enc, (int)err2);
    FUZZ_CHECK(g.n == f.n, "round trip: %zu pairs became %zu (\"%.200s\")", f.n, g.n, enc);
    for (size_t i = 0; i < f.n; i++) {
        FUZZ_CHECK(strcmp(f.pairs[i].key, g.pairs[i].key) == 0,
                   "round trip: key %zu \"%s\" became \"%s\"", i, f.pairs[i].key, g.pairs[i].key);
        FUZZ_CHECK(strcmp(f.pairs[i].value, g.pairs[i].value) == 0,
                   "round trip: value %zu \"%s\" became \"%s\"", i, f.pairs[i].value,
                   g.pairs[i].value);
    }
    sg_form_free(&g);
    sg_buf_free(&b);
    sg_form_free(&f);
    return 0;
}
