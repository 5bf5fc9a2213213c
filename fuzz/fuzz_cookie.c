/* libFuzzer driver for the Cookie header reader (src/core/signin.c), which reads
 * every request that carries a session cookie. The input is the header's text;
 * a byte from its hash picks the buffer size (1..80).
 *
 * Contracts checked, beyond ASan/UBSan (signin.h):
 *  - a value found is NUL-terminated within the buffer, not empty, and holds no
 *    ';' (it never runs into the next cookie);
 *  - named check `cookie-model`: found or not, and the value, are what a slow
 *    model of the rules in signin.c (below) gives. */
#include "fuzz_common.h"

#include "core/signin.h"

#define NAME "sg_session"

/* The model: split on ';', trim blanks on the left of each pair and on the
 * right of its value, match the name before the first '=', unquote "…". */
static bool model(const char *h, size_t cap, char *out)
{
    const char *p = h;
    while (1) {
        while (*p == ' ' || *p == '\t')
            p++;
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        if (eq && (size_t)(eq - p) == strlen(NAME) && strncmp(p, NAME, strlen(NAME)) == 0) {
            const char *v = eq + 1;
            size_t vl = len - (size_t)(v - p);
            while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
                vl--;
            if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"')
                v++, vl -= 2;
            if (vl == 0 || vl >= cap)
                return false;
            memcpy(out, v, vl);
            out[vl] = '\0';
            return true;
        }
        if (!end)
            return false;
        p = end + 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *h = malloc(size + 1);
    if (!h)
        return 0;
    memcpy(h, data, size);
    h[size] = '\0';
    uint8_t mix = 0;
    for (size_t i = 0; i < size; i++)
        mix = (uint8_t)(mix * 31 + data[i]);
    size_t cap = 1 + mix % 80;
    char *out = malloc(cap), want[128];
    bool got = sg_cookie_get(h, NAME, out, cap);
    if (got) {
        size_t n = strnlen(out, cap);
        FUZZ_CHECK(n < cap && n > 0, "value of %zu bytes in a buffer of %zu", n, cap);
        FUZZ_CHECK(!strchr(out, ';'), "value runs into the next cookie");
    }
    if (fuzz_check_enabled("cookie-model")) {
        bool exp = model(h, cap, want);
        FUZZ_CHECK(got == exp, "found=%d, model says %d", got, exp);
        FUZZ_CHECK(!got || strcmp(out, want) == 0, "value '%s', model '%s'", out, want);
    }
    free(out);
    free(h);
    return 0;
}
