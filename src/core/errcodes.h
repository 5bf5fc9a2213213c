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

/* What an answer to a send request says about where the trouble is, for routing
 * (docs/routing.md, "Error classes"). Independent of sg_errclass: it says who is
 * at fault and so whether another provider may try, not whether a later attempt
 * may succeed. Every catalogue row has one (UNSET is a row someone forgot). */
typedef enum sg_sendclass {
    SG_SENDCLASS_UNSET = 0, /* never valid on a row; tests refuse it */
    SG_SENDCLASS_ACCEPTED,  /* the provider took the message */
    SG_SENDCLASS_RECIPIENT, /* the number or the content is refused: final, never failed over */
    SG_SENDCLASS_PROVIDER,  /* the provider (account, credentials, outage) is the problem */
    SG_SENDCLASS_RETRY,     /* a transient hiccup: try the same provider again first */
    SG_SENDCLASS_NONE,      /* not an answer to a send: a delivery report after acceptance,
                               or smsgate's own code; never failed over */
} sg_sendclass;

/* One row. A table of rows ends with a row whose code is NULL. */
typedef struct sg_errcode {
    const char *provider; /* "twilio", "clickatell", or "smsgate" for smsgate's own codes */
    const char *code;     /* "30003" */
    const char *title;    /* "Unreachable destination handset" */
    const char *meaning;  /* one or two sentences for humans */
    sg_errclass cls;
    sg_sendclass send; /* the row's class as an answer to a send request */
} sg_errcode;

/* smsgate's own rows (provider "smsgate": a message it stopped trying to send),
 * ended by a NULL code. Static. */
const sg_errcode *sg_errcodes_own(void);

/* The row of rows (a NULL-code-ended table, may be NULL) for (provider, code), or
 * NULL. Exact, case-sensitive match of both. */
const sg_errcode *sg_errcode_in(const sg_errcode *rows, const char *provider, const char *code);

const char *sg_errclass_name(sg_errclass cls); /* "permanent" / "temporary" */

/* "accepted", "recipient", "provider", "retry", "none"; "unset" for UNSET (a row
 * without a class) and anything out of range. Static. */
const char *sg_sendclass_name(sg_sendclass c);

#endif
