/* The catalogue of provider error codes: what a code means and whether trying
 * again can help. A table in errcodes.c, served at GET /v1/error-codes. Pure. */
#ifndef SG_CORE_ERRCODES_H
#define SG_CORE_ERRCODES_H

#include <stddef.h>

typedef enum sg_errclass {
    SG_ERRCLASS_PERMANENT = 0, /* the same message would fail again */
    SG_ERRCLASS_TEMPORARY,     /* it may succeed later */
} sg_errclass;

typedef struct sg_errcode {
    const char *provider; /* "twilio", "clickatell", or "smsgate" for smsgate's own codes */
    const char *code;     /* "30003" */
    const char *title;    /* "Unreachable destination handset" */
    const char *meaning;  /* one or two sentences for humans */
    sg_errclass cls;
} sg_errcode;

/* A one-line description of an error code whatever the provider (Twilio's
 * catalogue first, then Clickatell's, then smsgate's own, and "opted_out"), or
 * NULL. */
const char *sg_errcode_describe(const char *code);

/* The entry for (provider, code), or NULL. */
const sg_errcode *sg_errcode_find(const char *provider, const char *code);
/* The whole table; *n gets its length. */
const sg_errcode *sg_errcodes(size_t *n);
const char *sg_errclass_name(sg_errclass cls); /* "permanent" / "temporary" */

#endif
