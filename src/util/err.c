#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *sg_strerror(sg_err err)
{
    static const char *const names[] = {
        [SG_OK] = "ok",
        [SG_ERR_NOMEM] = "out of memory",
        [SG_ERR_INVALID] = "invalid input",
        [SG_ERR_NOT_FOUND] = "not found",
        [SG_ERR_CONFLICT] = "conflict",
        [SG_ERR_TOO_LARGE] = "too large",
        [SG_ERR_IO] = "input/output error",
        [SG_ERR_DB] = "database error",
        [SG_ERR_BUSY] = "database is locked",
        [SG_ERR_FULL] = "disk or database full",
        [SG_ERR_CRYPTO] = "cryptographic error",
        [SG_ERR_UNSUPPORTED] = "not supported",
        [SG_ERR_SHUTDOWN] = "shutting down",
        [SG_ERR_INTERNAL] = "internal error",
        [SG_ERR_UNAVAILABLE] = "database unavailable",
    };
    if ((unsigned)err >= sizeof names / sizeof names[0] || !names[err])
        return "unknown error";
    return names[err];
}

sg_err sg_error_set(sg_error *e, sg_err err, const char *field, const char *fmt, ...)
{
    if (!e)
        return err;
    e->err = err;
    snprintf(e->field, sizeof e->field, "%s", field ? field : "");
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->message, sizeof e->message, fmt, ap);
        va_end(ap);
    } else {
        snprintf(e->message, sizeof e->message, "%s", sg_strerror(err));
    }
    return err;
}

void sg_error_clear(sg_error *e)
{
    if (e)
        memset(e, 0, sizeof *e);
}
