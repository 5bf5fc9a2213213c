/* The send class of an answer to a send request (core/errcodes.h sg_sendclass,
 * docs/routing.md "Error classes"): the one place that turns what happened to a
 * send (no answer, an HTTP status, a provider's error code) into accepted,
 * recipient, provider or retry. A code's class comes from its kind's catalogue
 * rows; what no row says is decided here, the same for every kind. Pure. */
#ifndef SG_PROVIDERS_SEND_CLASS_H
#define SG_PROVIDERS_SEND_CLASS_H

#include "core/errcodes.h"
#include "providers/provider.h"

#include <stdbool.h>

/* How the request went at the transport level, as the dispatcher saw it. */
typedef enum sg_send_transport {
    SG_TRANSPORT_ANSWERED = 0, /* an HTTP answer came back (http_status is set) */
    SG_TRANSPORT_NOT_SENT,     /* no connection: refused, no such host, TLS handshake
                                  failed. The provider never saw the request */
    SG_TRANSPORT_LOST,         /* a timeout or a broken connection: the request may have
                                  reached the provider, its answer did not come back */
} sg_send_transport;

/* The class of one send attempt at a provider of kind k. res is what k's
 * parse_send made of the answer (ignored unless t is ANSWERED). In order:
 * NOT_SENT is provider (the provider cannot be reached); LOST is retry (the
 * outcome is unknown, so the message may not go elsewhere before it is looked up
 * at this provider); an accepted answer is accepted; HTTP 5xx is provider; a code
 * of k's catalogue takes its row's class (a row whose class is none, a code that
 * only comes after acceptance, counts as unknown here); 429 and 408 are retry; a
 * 2xx answer that was not read as accepted is retry (the provider may hold the
 * message: never failed over without a lookup). Anything else is an unknown error
 * answered before acceptance: provider, and *unknown is set true so the caller
 * counts it. unknown may be NULL; it is false for every other result. */
sg_sendclass sg_send_classify(const sg_provider_kind *k, sg_send_transport t, long http_status,
                              const sg_prov_result *res, bool *unknown);

#endif
