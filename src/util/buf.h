/* A growable byte buffer with a hard maximum set at creation (curl's dynbuf idea).
 * The content is always NUL-terminated so it can be used as a C string; len does
 * not count the NUL. Appending past max fails with SG_ERR_TOO_LARGE and leaves the
 * buffer as it was. */
#ifndef SG_UTIL_BUF_H
#define SG_UTIL_BUF_H

#include "util/err.h"

#include <stdarg.h>
#include <stddef.h>

typedef struct sg_buf {
    char *data; /* NULL until the first append */
    size_t len;
    size_t cap;
    size_t max; /* maximum len */
} sg_buf;

void sg_buf_init(sg_buf *b, size_t max);
void sg_buf_free(sg_buf *b);
void sg_buf_reset(sg_buf *b); /* len = 0, memory kept */
sg_err sg_buf_append(sg_buf *b, const void *data, size_t len);
sg_err sg_buf_append_str(sg_buf *b, const char *s);
sg_err sg_buf_printf(sg_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
sg_err sg_buf_vprintf(sg_buf *b, const char *fmt, va_list ap);
/* Hand the content to the caller (free() it) and reset the buffer. Returns "" copy
 * when empty; NULL on out of memory. */
char *sg_buf_steal(sg_buf *b);
/* The content, never NULL ("" when empty). */
const char *sg_buf_cstr(const sg_buf *b);

#endif
