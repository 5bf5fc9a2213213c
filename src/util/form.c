#include "util/form.h"

#include <stdlib.h>
#include <string.h>

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decode [s, s+len) into a new string; NULL on a bad escape or a NUL byte. */
static char *decode(const char *s, size_t len, sg_err *err)
{
    char *out = malloc(len + 1);
    if (!out) {
        *err = SG_ERR_NOMEM;
        return NULL;
    }
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            int hi = i + 2 < len ? hexval(s[i + 1]) : -1;
            int lo = i + 2 < len ? hexval(s[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                free(out);
                *err = SG_ERR_INVALID;
                return NULL;
            }
            c = (char)(hi * 16 + lo);
            i += 2;
        }
        if (c == '\0') {
            free(out);
            *err = SG_ERR_INVALID;
            return NULL;
        }
        out[o++] = c;
    }
    out[o] = '\0';
    return out;
}

sg_err sg_form_parse(const char *data, size_t len, sg_form *out)
{
    out->pairs = NULL;
    out->n = 0;
    size_t cap = 0;
    size_t pos = 0;
    sg_err err = SG_OK;
    while (pos < len) {
        const char *amp = memchr(data + pos, '&', len - pos);
        size_t end = amp ? (size_t)(amp - data) : len;
        if (end > pos) {
            if (out->n >= SG_FORM_MAX_PAIRS) {
                err = SG_ERR_TOO_LARGE;
                goto fail;
            }
            const char *eq = memchr(data + pos, '=', end - pos);
            size_t klen = eq ? (size_t)(eq - (data + pos)) : end - pos;
            const char *v = eq ? eq + 1 : data + end;
            size_t vlen = eq ? (size_t)(data + end - v) : 0;
            if (out->n == cap) {
                cap = cap ? cap * 2 : 16;
                sg_form_pair *p = realloc(out->pairs, cap * sizeof *p);
                if (!p) {
                    err = SG_ERR_NOMEM;
                    goto fail;
                }
                out->pairs = p;
            }
            char *k = decode(data + pos, klen, &err);
            if (!k)
                goto fail;
            char *val = decode(v, vlen, &err);
            if (!val) {
                free(k);
                goto fail;
            }
            out->pairs[out->n].key = k;
            out->pairs[out->n].value = val;
            out->n++;
        }
        pos = end + 1;
    }
    return SG_OK;
fail:
    sg_form_free(out);
    return err;
}

void sg_form_free(sg_form *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->pairs[i].key);
        free(f->pairs[i].value);
    }
    free(f->pairs);
    f->pairs = NULL;
    f->n = 0;
}

const char *sg_form_get(const sg_form *f, const char *key)
{
    for (size_t i = 0; i < f->n; i++) {
        if (strcmp(f->pairs[i].key, key) == 0)
            return f->pairs[i].value;
    }
    return NULL;
}

sg_err sg_url_encode(sg_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~') {
            sg_err err = sg_buf_append(b, p, 1);
            if (err)
                return err;
        } else {
            char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
            sg_err err = sg_buf_append(b, esc, 3);
            if (err)
                return err;
        }
    }
    return SG_OK;
}

sg_err sg_form_add(sg_buf *b, const char *key, const char *value)
{
    sg_err err = SG_OK;
    if (b->len)
        err = sg_buf_append(b, "&", 1);
    if (!err)
        err = sg_url_encode(b, key);
    if (!err)
        err = sg_buf_append(b, "=", 1);
    if (!err)
        err = sg_url_encode(b, value);
    return err;
}
