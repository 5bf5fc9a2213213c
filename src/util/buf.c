#include "util/buf.h"

#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void sg_buf_init(sg_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void sg_buf_free(sg_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void sg_buf_reset(sg_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

static sg_err reserve(sg_buf *b, size_t extra)
{
    /* need counts the NUL: a max of SIZE_MAX is treated as SIZE_MAX - 1 */
    if (extra > b->max - b->len || b->len + extra == SIZE_MAX)
        return SG_ERR_TOO_LARGE;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return SG_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need && cap <= SIZE_MAX / 2)
        cap *= 2;
    if (cap < need)
        cap = need;
    else if (cap - 1 > b->max) /* here b->max < SIZE_MAX */
        cap = b->max + 1;
    char *p = realloc(b->data, cap);
    if (!p)
        return SG_ERR_NOMEM;
    b->data = p;
    b->cap = cap;
    return SG_OK;
}

sg_err sg_buf_append(sg_buf *b, const void *data, size_t len)
{
    sg_err err = reserve(b, len);
    if (err)
        return err;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return SG_OK;
}

sg_err sg_buf_append_str(sg_buf *b, const char *s)
{
    return sg_buf_append(b, s, strlen(s));
}

sg_err sg_buf_vprintf(sg_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return SG_ERR_INVALID;
    sg_err err = reserve(b, (size_t)n);
    if (err)
        return err;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return SG_OK;
}

sg_err sg_buf_printf(sg_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sg_err err = sg_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return err;
}

char *sg_buf_steal(sg_buf *b)
{
    char *p = b->data;
    if (!p)
        p = strdup("");
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

const char *sg_buf_cstr(const sg_buf *b)
{
    return b->data ? b->data : "";
}
