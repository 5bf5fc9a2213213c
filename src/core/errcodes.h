/* The error-code catalogue's rows: what a code means and whether trying again can
 * help. A kind's rows live in its folder (src/providers/<kind>/errors.c) and hang
 * off its table row; smsgate's own, kind-less rows are here. The lookups over
 * every kind are in providers/errors.h. Pure. */
#ifndef SG_CORE_ERRCODES_H
#define SG_CORE_ERRCODES_H

#include <stddef.h>

typedef enum sg_errclass {
    SG_ERRCLASS_PERMANENT = 0, /* the same message would fail again */
    SG_ERRCLASS_TEMPORARY,     /* it may succeed later */
} sg_errclass;

/* One row. A table of rows ends with a row whose code is NULL. */
typedef struct sg_errcode {
    const char *provider; /* "twilio", "clickatell", or "smsgate" for smsgate's own codes */
    const char *code;     /* "30003" */
    const char *title;    /* "Unreachable destination handset" */
    const char *meaning;  /* one or two sentences for humans */
    sg_errclass cls;
} sg_errcode;

/* smsgate's own rows (provider "smsgate": a message it stopped trying to send),
 * ended by a NULL code. Static. */
const sg_errcode *sg_errcodes_own(void);

/* The row of rows (a NULL-code-ended table, may be NULL) for (provider, code), or
 * NULL. Exact, case-sensitive match of both. */
const sg_errcode *sg_errcode_in(const sg_errcode *rows, const char *provider, const char *code);

const char *sg_errclass_name(sg_errclass cls); /* "permanent" / "temporary" */

#endif
