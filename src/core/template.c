#include "core/template.h"
#include "util/utf8.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* The fixed field names; attributes.KEY is checked apart because its KEY varies.
 * A new recipient column is one new row. */
static const char *const plain_fields[] = {
    "first_name",
    "last_name",
    "phone",
};

#define N_PLAIN_FIELDS (sizeof plain_fields / sizeof plain_fields[0])

static const char attr_prefix[] = "attributes.";
#define ATTR_PREFIX_LEN (sizeof attr_prefix - 1)

/* One parsed "{{...}}": pointers into the template, nothing copied. */
typedef struct field {
    size_t offset; /* of the "{{" */
    const char *name;
    size_t name_len;
    const char *def; /* the default, when has_default */
    size_t def_len;
    bool has_default;
    const char *end; /* just past the closing "}}" */
} field;

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* A field name is scanned as a run of anything that is not white space, a
 * control character or one of the delimiters, so that "{{first-name}}" or
 * "{{prénom}}" is reported as an unknown field by name rather than as a stray
 * character; only names that pass known_field() are ever used. */
static bool is_name_byte(unsigned char c)
{
    return c > 0x20 && c != 0x7F && c != '|' && c != '{' && c != '}';
}

static bool is_key_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* Copy at most cap-1 bytes of s[0..len) into dst and terminate it; a cut never
 * splits a UTF-8 sequence, so the field name in an error stays printable. */
static void copy_cut(char *dst, size_t cap, const char *s, size_t len)
{
    len = sg_utf8_trim_len(s, len, cap - 1);
    memcpy(dst, s, len);
    dst[len] = '\0';
}

static sg_err fail(sg_tpl_error *e, sg_err rc, const char *code, const char *name, size_t name_len,
                   size_t offset, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

/* Fill e (never NULL here) and return rc. */
static sg_err fail(sg_tpl_error *e, sg_err rc, const char *code, const char *name, size_t name_len,
                   size_t offset, const char *fmt, ...)
{
    memset(e, 0, sizeof *e);
    snprintf(e->code, sizeof e->code, "%s", code);
    if (name)
        copy_cut(e->field, sizeof e->field, name, name_len);
    e->offset = offset;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->detail, sizeof e->detail, fmt, ap);
    va_end(ap);
    return rc;
}

/* A syntax error at p, naming the byte found there. */
static sg_err unexpected(sg_tpl_error *e, const char *tpl, const char *p, const char *expected)
{
    unsigned char c = (unsigned char)*p;
    if (c > 0x20 && c < 0x7F)
        return fail(e, SG_ERR_INVALID, "syntax", NULL, 0, (size_t)(p - tpl),
                    "unexpected '%c' in a field: expected %s", c, expected);
    return fail(e, SG_ERR_INVALID, "syntax", NULL, 0, (size_t)(p - tpl),
                "unexpected byte 0x%02X in a field: expected %s", c, expected);
}

static bool is_plain_field(const char *name, size_t len)
{
    for (size_t i = 0; i < N_PLAIN_FIELDS; i++)
        if (strlen(plain_fields[i]) == len && memcmp(plain_fields[i], name, len) == 0)
            return true;
    return false;
}

/* A bare name that is not a built-in field: an attribute's KEY ("{{city}}" for
 * an imported column city), except the word "attributes" itself. */
static bool is_bare_attribute(const char *name, size_t len)
{
    if (len == 0 || len > SG_TPL_ATTR_KEY_MAX || is_plain_field(name, len) ||
        (len == ATTR_PREFIX_LEN - 1 && memcmp(name, attr_prefix, len) == 0))
        return false;
    for (size_t i = 0; i < len; i++)
        if (!is_key_byte((unsigned char)name[i]))
            return false;
    return true;
}

/* The name a known field is looked up and reported by, into out
 * (SG_TPL_NAME_MAX + 1 bytes): "attributes.city" for "{{city}}", else as written. */
static void canonical_name(const field *f, char *out)
{
    size_t at = 0;
    if (is_bare_attribute(f->name, f->name_len)) {
        memcpy(out, attr_prefix, ATTR_PREFIX_LEN);
        at = ATTR_PREFIX_LEN;
    }
    memcpy(out + at, f->name, f->name_len);
    out[at + f->name_len] = '\0';
}

static sg_err check_name(const field *f, sg_tpl_error *e)
{
    if (is_plain_field(f->name, f->name_len) || is_bare_attribute(f->name, f->name_len))
        return SG_OK;

    if (f->name_len > ATTR_PREFIX_LEN && memcmp(f->name, attr_prefix, ATTR_PREFIX_LEN) == 0) {
        const char *key = f->name + ATTR_PREFIX_LEN;
        size_t key_len = f->name_len - ATTR_PREFIX_LEN;
        bool ok = key_len <= SG_TPL_ATTR_KEY_MAX;
        for (size_t i = 0; ok && i < key_len; i++)
            ok = is_key_byte((unsigned char)key[i]);
        if (ok)
            return SG_OK;
        return fail(e, SG_ERR_INVALID, "unknown_field", f->name, f->name_len, f->offset,
                    "an attribute key is 1 to %d letters, digits or '_'", SG_TPL_ATTR_KEY_MAX);
    }
    return fail(e, SG_ERR_INVALID, "unknown_field", f->name, f->name_len, f->offset,
                "the fields are first_name, last_name, phone and attributes.KEY (or KEY "
                "alone: 1 to %d letters, digits or '_')",
                SG_TPL_ATTR_KEY_MAX);
}

/* Parse the field whose "{{" is at open. Fills f, or returns SG_ERR_INVALID with
 * e filled ("syntax" or "unknown_field"). Never reads past the template's NUL. */
static sg_err parse_field(const char *tpl, const char *open, field *f, sg_tpl_error *e)
{
    *f = (field){.offset = (size_t)(open - tpl)};
    const char *p = open + 2;
    while (is_blank(*p))
        p++;
    f->name = p;
    while (is_name_byte((unsigned char)*p))
        p++;
    f->name_len = (size_t)(p - f->name);
    while (is_blank(*p))
        p++;

    if (*p == '|') {
        f->has_default = true;
        f->def = ++p;
        for (;;) {
            if (*p == '\0')
                return fail(e, SG_ERR_INVALID, "syntax", NULL, 0, f->offset,
                            "the field has no closing '}}'");
            if (p[0] == '}' && p[1] == '}')
                break;
            if (p[0] == '{' && p[1] == '{')
                return fail(e, SG_ERR_INVALID, "syntax", NULL, 0, (size_t)(p - tpl),
                            "a default may not contain '{{' (fields do not nest)");
            p++;
        }
        f->def_len = (size_t)(p - f->def);
    } else if (*p == '\0' || (p[0] == '}' && p[1] == '\0')) {
        return fail(e, SG_ERR_INVALID, "syntax", NULL, 0, f->offset,
                    "the field has no closing '}}'");
    } else if (!(p[0] == '}' && p[1] == '}')) {
        return unexpected(e, tpl, p,
                          f->name_len ? "'}}' or '|' after the field name" : "a field name");
    }
    f->end = p + 2;

    if (f->name_len == 0)
        return fail(e, SG_ERR_INVALID, "syntax", NULL, 0, f->offset, "the field has no name");
    return check_name(f, e);
}

/* Append and translate a failure into the template's vocabulary. */
static sg_err append(sg_buf *out, const char *s, size_t len, const field *f, size_t offset,
                     sg_tpl_error *e)
{
    sg_err rc = sg_buf_append(out, s, len);
    if (rc == SG_OK)
        return SG_OK;
    const char *name = f ? f->name : NULL;
    size_t name_len = f ? f->name_len : 0;
    if (rc == SG_ERR_TOO_LARGE)
        return fail(e, rc, "too_large", name, name_len, offset,
                    "the message would be longer than %zu bytes", out->max);
    return fail(e, rc, "nomem", name, name_len, offset, "out of memory");
}

/* The one walk behind check, fields and render (out NULL: check only).
 *
 * Literal text between fields is appended in one piece. A template error ends
 * the walk at once; a missing value or an output that no longer fits is
 * remembered as pending and the walk goes on parsing (without appending) so that
 * a template error further on still wins: render then fails exactly when check
 * does, with the same code. */
static sg_err walk(const char *tpl, sg_tpl_lookup lookup, void *lookup_user, sg_buf *out,
                   sg_tpl_field_fn visit, void *visit_user, sg_tpl_error *err)
{
    sg_tpl_error scratch;
    sg_tpl_error *e = err ? err : &scratch;
    memset(e, 0, sizeof *e);
    if (!tpl)
        return fail(e, SG_ERR_INVALID, "syntax", NULL, 0, 0, "no template");

    size_t start = out ? out->len : 0;
    sg_err rc = SG_OK;      /* a template error: stop */
    sg_err pending = SG_OK; /* missing_field, too_large, nomem: keep parsing */
    char name[SG_TPL_NAME_MAX + 1];

    for (const char *p = tpl;;) {
        const char *open = strstr(p, "{{");
        size_t lit = open ? (size_t)(open - p) : strlen(p);
        if (out && pending == SG_OK && lit > 0)
            pending = append(out, p, lit, NULL, (size_t)(p - tpl), e);
        if (!open)
            break;

        field f;
        rc = parse_field(tpl, open, &f, e);
        if (rc)
            break;
        p = f.end;
        /* check_name() bounds a known name to SG_TPL_NAME_MAX bytes, with the
         * "attributes." a bare attribute name gets. */
        canonical_name(&f, name);
        if (visit)
            visit(visit_user, name, f.has_default);
        if (!out || pending)
            continue;

        const char *value = lookup ? lookup(lookup_user, name) : NULL;
        if (value && *value)
            pending = append(out, value, strlen(value), &f, f.offset, e);
        else if (f.has_default)
            pending = f.def_len ? append(out, f.def, f.def_len, &f, f.offset, e) : SG_OK;
        else
            pending = fail(e, SG_ERR_INVALID, "missing_field", f.name, f.name_len, f.offset,
                           "no value for %s and the field has no default", name);
    }

    if (rc == SG_OK)
        rc = pending;
    if (rc && out) {
        out->len = start;
        if (out->data)
            out->data[start] = '\0';
    }
    return rc;
}

sg_err sg_template_check(const char *tpl, sg_tpl_error *err)
{
    return walk(tpl, NULL, NULL, NULL, NULL, NULL, err);
}

sg_err sg_template_fields(const char *tpl, sg_tpl_field_fn fn, void *user, sg_tpl_error *err)
{
    return walk(tpl, NULL, NULL, NULL, fn, user, err);
}

sg_err sg_template_render(const char *tpl, sg_tpl_lookup fn, void *user, sg_buf *out,
                          sg_tpl_error *err)
{
    return walk(tpl, fn, user, out, NULL, NULL, err);
}
