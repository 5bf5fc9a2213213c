/* libFuzzer driver for the message template renderer (src/core/template.c):
 * templates come from customers, values from recipient lists.
 *
 * Input: byte 0 picks out's maximum (255: 1 MiB, else 2 + 8 * byte); the rest is
 * split at NUL bytes into the template, then the values. A field's value is the
 * value whose index is a hash of the field's name modulo (number of values + 1);
 * the extra index means "absent" (NULL). Empty values are "" (also absent).
 *
 * Contracts checked, beyond ASan/UBSan (template.h):
 *  - check returns SG_OK or SG_ERR_INVALID with code "syntax" / "unknown_field",
 *    the error strings terminated and the offset inside the template; "" on OK;
 *  - check and render agree: if check fails, render fails with the same return,
 *    code, field and offset; if check passes, render succeeds or fails only with
 *    missing_field (SG_ERR_INVALID) or too_large (SG_ERR_TOO_LARGE);
 *  - sg_template_fields agrees with check and, on success, reports exactly the
 *    fields render looks up (render asks for every field when it succeeds);
 *  - out.len never exceeds out.max; on error out holds exactly what it held
 *    before; on success it holds the old content followed by the rendering;
 *  - the same rendering with a 1 MiB maximum succeeds or fails with
 *    missing_field only, and a small maximum fails with too_large exactly when
 *    that rendering does not fit;
 *  - a template without "{{" renders to itself. */
#include "fuzz_common.h"

#include "core/template.h"

#define BIG_MAX  (1u << 20)
#define PREFIX   "P:"
#define N_VALUES 16

typedef struct values {
    const char *v[N_VALUES];
    size_t n;
    size_t calls;
} values;

static const char *lookup(void *user, const char *name)
{
    values *vs = user;
    vs->calls++;
    FUZZ_CHECK(strlen(name) <= SG_TPL_NAME_MAX, "name of %zu bytes", strlen(name));
    uint32_t h = 2166136261u;
    for (const char *p = name; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    size_t i = h % (vs->n + 1);
    return i < vs->n ? vs->v[i] : NULL;
}

static void count_field(void *user, const char *name, bool has_default)
{
    (void)name;
    (void)has_default;
    (*(size_t *)user)++;
}

static bool terminated(const sg_tpl_error *e)
{
    return FUZZ_TERMINATED(e->code) && FUZZ_TERMINATED(e->field) && FUZZ_TERMINATED(e->detail);
}

/* Render into a buffer holding PREFIX with the given maximum; checks the buffer
 * contracts and returns the rendering (malloc'd, without the prefix) or NULL. */
static char *render(const char *tpl, values *vs, size_t max, sg_err *rc, sg_tpl_error *err)
{
    sg_buf out;
    sg_buf_init(&out, max);
    FUZZ_CHECK(sg_buf_append_str(&out, PREFIX) == SG_OK, "prefix");
    memset(err, 0xA5, sizeof *err);
    vs->calls = 0;
    *rc = sg_template_render(tpl, lookup, vs, &out, err);
    FUZZ_CHECK(terminated(err), "render error strings not terminated");
    FUZZ_CHECK(out.len <= out.max, "out.len %zu > max %zu", out.len, out.max);
    FUZZ_CHECK(out.data && strlen(out.data) == out.len, "out not terminated at len");
    FUZZ_CHECK(memcmp(out.data, PREFIX, strlen(PREFIX)) == 0, "prefix overwritten");
    char *result = NULL;
    if (*rc == SG_OK) {
        FUZZ_CHECK(err->code[0] == '\0', "OK with code '%s'", err->code);
        result = fuzz_cstr((const uint8_t *)out.data + strlen(PREFIX), out.len - strlen(PREFIX));
    } else {
        FUZZ_CHECK(out.len == strlen(PREFIX), "error %s left %zu bytes", err->code, out.len);
    }
    sg_buf_free(&out);
    return result;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t max = data[0] == 255 ? BIG_MAX : 2 + 8 * (size_t)data[0];
    char *copy = fuzz_cstr(data + 1, size - 1);
    size_t len = size - 1;

    /* The template is up to the first NUL; each further NUL ends a value. */
    const char *tpl = copy;
    values vs = {.n = 0};
    for (size_t i = strlen(tpl); i < len && vs.n < N_VALUES;) {
        const char *v = copy + i + 1;
        vs.v[vs.n++] = v;
        i += 1 + strlen(v);
    }
    size_t tpl_len = strlen(tpl);

    sg_tpl_error cerr;
    memset(&cerr, 0xA5, sizeof cerr);
    sg_err crc = sg_template_check(tpl, &cerr);
    FUZZ_CHECK(terminated(&cerr), "check error strings not terminated");
    if (crc == SG_OK) {
        FUZZ_CHECK(cerr.code[0] == '\0', "OK with code '%s'", cerr.code);
    } else {
        FUZZ_CHECK(crc == SG_ERR_INVALID, "check returned %d", (int)crc);
        FUZZ_CHECK(strcmp(cerr.code, "syntax") == 0 || strcmp(cerr.code, "unknown_field") == 0,
                   "check code '%s'", cerr.code);
        FUZZ_CHECK(cerr.offset < tpl_len, "offset %zu in a template of %zu", cerr.offset, tpl_len);
        FUZZ_CHECK(cerr.detail[0] != '\0', "no detail");
    }

    size_t n_fields = 0;
    sg_tpl_error ferr;
    sg_err frc = sg_template_fields(tpl, count_field, &n_fields, &ferr);
    FUZZ_CHECK(frc == crc && strcmp(ferr.code, cerr.code) == 0 && ferr.offset == cerr.offset,
               "fields says %d %s@%zu, check %d %s@%zu", (int)frc, ferr.code, ferr.offset, (int)crc,
               cerr.code, cerr.offset);

    sg_err rc;
    sg_tpl_error rerr;
    char *small = render(tpl, &vs, max, &rc, &rerr);
    if (crc != SG_OK) {
        FUZZ_CHECK(rc == crc && strcmp(rerr.code, cerr.code) == 0 &&
                       strcmp(rerr.field, cerr.field) == 0 && rerr.offset == cerr.offset,
                   "check %s '%s'@%zu but render %d %s '%s'@%zu", cerr.code, cerr.field,
                   cerr.offset, (int)rc, rerr.code, rerr.field, rerr.offset);
        goto out;
    }
    FUZZ_CHECK(rc == SG_OK || (rc == SG_ERR_INVALID && strcmp(rerr.code, "missing_field") == 0) ||
                   (rc == SG_ERR_TOO_LARGE && strcmp(rerr.code, "too_large") == 0),
               "valid template, render %d '%s'", (int)rc, rerr.code);
    if (rc == SG_OK)
        FUZZ_CHECK(vs.calls == n_fields, "%zu lookups for %zu fields", vs.calls, n_fields);
    if (rc != SG_OK)
        FUZZ_CHECK(rerr.offset <= tpl_len, "offset %zu in a template of %zu", rerr.offset, tpl_len);

    /* The same rendering with room to spare. */
    sg_err big_rc;
    sg_tpl_error big_err;
    char *big = render(tpl, &vs, BIG_MAX, &big_rc, &big_err);
    FUZZ_CHECK(big_rc == SG_OK ||
                   (big_rc == SG_ERR_INVALID && strcmp(big_err.code, "missing_field") == 0),
               "1 MiB render %d '%s'", (int)big_rc, big_err.code);
    if (big_rc == SG_OK) {
        bool fits = strlen(PREFIX) + strlen(big) <= max;
        if (fits)
            FUZZ_CHECK(rc == SG_OK && strcmp(small, big) == 0, "fits in %zu but render %d '%s'",
                       max, (int)rc, rerr.code);
        else if (rc == SG_OK)
            FUZZ_CHECK(false, "%zu bytes rendered under a max of %zu", strlen(big), max);
        if (!strstr(tpl, "{{"))
            FUZZ_CHECK(strcmp(big, tpl) == 0, "a template without fields changed");
    } else if (rc == SG_OK) {
        FUZZ_CHECK(false, "small render OK but 1 MiB render %s", big_err.code);
    }
    free(big);

out:
    free(small);
    free(copy);
    return 0;
}
