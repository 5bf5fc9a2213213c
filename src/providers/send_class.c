/* The send class of a send attempt (providers/send_class.h): transport first, then
 * the kind's catalogue, then the HTTP status. */
#include "providers/send_class.h"

#include "providers/errors.h"

/* What the kind's own catalogue says about code; UNSET when no row answers for a
 * send (no code, a code it does not list, or a code that only comes after
 * acceptance). */
static sg_sendclass catalogue_class(const sg_provider_kind *k, const char *code)
{
    const sg_errcode *ec = code && code[0] ? sg_provider_kind_errcode(k, code) : NULL;
    if (!ec || ec->send == SG_SENDCLASS_NONE)
        return SG_SENDCLASS_UNSET;
    return ec->send;
}

/* An HTTP answer that was not an acceptance. */
static sg_sendclass answered_class(const sg_provider_kind *k, long status,
                                   const sg_prov_result *res, bool *unknown)
{
    if (status >= 500 && status < 600)
        return SG_SENDCLASS_PROVIDER;
    sg_sendclass c = catalogue_class(k, res->error_code);
    if (c != SG_SENDCLASS_UNSET)
        return c;
    if (status == 429 || status == 408)
        return SG_SENDCLASS_RETRY;
    if (status >= 200 && status < 300)
        return SG_SENDCLASS_RETRY;
    *unknown = true;
    return SG_SENDCLASS_PROVIDER;
}

sg_sendclass sg_send_classify(const sg_provider_kind *k, sg_send_transport t, long http_status,
                              const sg_prov_result *res, bool *unknown)
{
    bool scratch = false;
    if (!unknown)
        unknown = &scratch;
    *unknown = false;
    if (t == SG_TRANSPORT_NOT_SENT)
        return SG_SENDCLASS_PROVIDER;
    if (t == SG_TRANSPORT_LOST)
        return SG_SENDCLASS_RETRY;
    if (res && res->outcome == SG_SEND_ACCEPTED)
        return SG_SENDCLASS_ACCEPTED;
    static const sg_prov_result none = {.outcome = SG_SEND_PERMANENT};
    return answered_class(k, http_status, res ? res : &none, unknown);
}
