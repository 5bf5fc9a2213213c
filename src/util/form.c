#include "util/form.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

int sg_hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decode [s, s+len) into a new string of *out_len bytes; NULL on a bad escape,
 * or on a NUL byte unless keep_nul. */
static char *decode(const char *s, size_t len, bool keep_nul, size_t *out_len, sg_err *err)
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
            int hi = i + 2 < len ? sg_hex_value(s[i + 1]) : -1;
            int lo = i + 2 < len ? sg_hex_value(s[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                free(out);
                *err = SG_ERR_INVALID;
                return NULL;
            }
            c = (char)(hi * 16 + lo);
            i += 2;
        }
        if (c == '\0' && !keep_nul) {
            free(out);
            *err = SG_ERR_INVALID;
            return NULL;
        }
        out[o++] = c;
    }
    out[o] = '\0';
    if (out_len)
        *out_len = o;
    return out;
}

static sg_err parse(const char *data, size_t len, bool keep_nul, sg_form *out)
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
            char *k = decode(data + pos, klen, false, NULL, &err);
            if (!k)
                goto fail;
            size_t val_len = 0;
            char *val = decode(v, vlen, keep_nul, &val_len, &err);
            if (!val) {
                free(k);
                goto fail;
            }
            out->pairs[out->n].key = k;
            out->pairs[out->n].value = val;
            out->pairs[out->n].value_len = val_len;
            out->n++;
        }
        pos = end + 1;
    }
    return SG_OK;
fail:
    sg_form_free(out);
    return err;
}

sg_err sg_form_parse(const char *data, size_t len, sg_form *out)
{
    return parse(data, len, false, out);
}

sg_err sg_form_parse_keep_nul(const char *data, size_t len, sg_form *out)
{
    return parse(data, len, true, out);
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

const char *sg_form_get_n(const sg_form *f, const char *key, size_t *len)
{
    for (size_t i = 0; i < f->n; i++) {
        if (strcmp(f->pairs[i].key, key) == 0) {
            *len = f->pairs[i].value_len;
            return f->pairs[i].value;
        }
    }
    *len = 0;
    return NULL;
}

/* Percent-encode n bytes of s onto b. */
static sg_err url_encode_n(sg_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *end = (const unsigned char *)s + n;
    for (const unsigned char *p = (const unsigned char *)s; p < end; p++) {
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

sg_err sg_url_encode(sg_buf *b, const char *s)
{
    return url_encode_n(b, s, strlen(s));
}

sg_err sg_form_add_n(sg_buf *b, const char *key, const char *value, size_t vlen)
{
    sg_err err = SG_OK;
    if (b->len)
        err = sg_buf_append(b, "&", 1);
    if (!err)
        err = sg_url_encode(b, key);
    if (!err)
        err = sg_buf_append(b, "=", 1);
    if (!err)
        err = url_encode_n(b, value, vlen);
    return err;
}

sg_err sg_form_add(sg_buf *b, const char *key, const char *value)
{
    return sg_form_add_n(b, key, value, strlen(value));
}
