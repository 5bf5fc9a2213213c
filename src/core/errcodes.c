#include "core/errcodes.h"

#include <string.h>

#define TEMP SG_ERRCLASS_TEMPORARY
#define PERM SG_ERRCLASS_PERMANENT
#define NONE SG_SENDCLASS_NONE

/* smsgate's own rows of the catalogue: codes that belong to no provider kind. A
 * kind's rows live in its folder (src/providers/<kind>/errors.c) and are found
 * through its table row (providers/errors.h). */
static const sg_errcode own[] = {
    /* smsgate's own codes, for a message it stopped trying to send. No provider
     * answered them, so their send class is none. */
    {"smsgate", "retry_budget_exhausted", "Retry budget exhausted",
     "The provider kept answering with a transient failure (429, 5xx, a timeout, a refused "
     "connection) for longer than the provider's retry_for_seconds (24 hours unless set), or for "
     "--max-attempts attempts, so smsgate stopped retrying. The message ends with the provider's "
     "last error. Sending it again once the provider has recovered can succeed.",
     TEMP, NONE},
    {"smsgate", "expired", "Validity period ran out",
     "The message's validity_seconds ran out before it could be sent (the provider was failing, "
     "or the message waited too long), so smsgate never sent it.",
     PERM, NONE},
    {NULL, NULL, NULL, NULL, 0, 0},
};

const sg_errcode *sg_errcodes_own(void)
{
    return own;
}

const sg_errcode *sg_errcode_in(const sg_errcode *rows, const char *provider, const char *code)
{
    if (!rows || !provider || !code)
        return NULL;
    for (const sg_errcode *r = rows; r->code; r++) {
        if (strcmp(r->code, code) == 0 && strcmp(r->provider, provider) == 0)
            return r;
    }
    return NULL;
}

const char *sg_errclass_name(sg_errclass cls)
{
    return cls == SG_ERRCLASS_TEMPORARY ? "temporary" : "permanent";
}

const char *sg_sendclass_name(sg_sendclass c)
{
    static const char *const names[] = {
        [SG_SENDCLASS_UNSET] = "unset",         [SG_SENDCLASS_ACCEPTED] = "accepted",
        [SG_SENDCLASS_RECIPIENT] = "recipient", [SG_SENDCLASS_PROVIDER] = "provider",
        [SG_SENDCLASS_RETRY] = "retry",         [SG_SENDCLASS_NONE] = "none",
    };
    return (unsigned)c < sizeof names / sizeof names[0] ? names[c] : "unset";
}
