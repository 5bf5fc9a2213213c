/* One error vocabulary for the whole code base. A function that can fail returns
 * an sg_err; where the caller needs to know why, it also fills an sg_error with a
 * readable message and, for input errors, the field at fault. */
#ifndef SG_UTIL_ERR_H
#define SG_UTIL_ERR_H

#include <stddef.h>

typedef enum sg_err {
    SG_OK = 0,
    SG_ERR_NOMEM,       /* allocation failed */
    SG_ERR_INVALID,     /* bad input: see sg_error.field / message */
    SG_ERR_NOT_FOUND,   /* no such object */
    SG_ERR_CONFLICT,    /* unique constraint, idempotency mismatch, wrong state */
    SG_ERR_TOO_LARGE,   /* a bound was exceeded */
    SG_ERR_IO,          /* file or socket error */
    SG_ERR_DB,          /* the store failed */
    SG_ERR_BUSY,        /* the store is locked; try again */
    SG_ERR_FULL,        /* disk or database full */
    SG_ERR_CRYPTO,      /* encryption, decryption or key problem */
    SG_ERR_UNSUPPORTED, /* not implemented for this kind/backend */
    SG_ERR_SHUTDOWN,    /* the component is stopping */
    SG_ERR_INTERNAL,    /* a bug */
    SG_ERR_UNAVAILABLE, /* the database server cannot be reached now (lost, restarting) */
} sg_err;

/* A static, human-readable name for an error value. Never NULL. */
const char *sg_strerror(sg_err err);

/* Detail that travels with an error: a message for humans and, for input errors,
 * the name of the field at fault ("to", "config.account_sid"). */
typedef struct sg_error {
    sg_err err;
    char field[64];
    char message[256];
} sg_error;

/* Fill e (if not NULL) and return err, so callers can write
 * `return sg_error_set(e, SG_ERR_INVALID, "to", "not a phone number");` */
sg_err sg_error_set(sg_error *e, sg_err err, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

void sg_error_clear(sg_error *e);

#endif
