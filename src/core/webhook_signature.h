/* Smsgate-Signature: how smsgate signs the JSON it POSTs to an application's
 * webhook, and how a receiver checks it (docs/webhooks.md).
 *
 *   Smsgate-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
 *
 * The key is the whole secret text as shown to the user ("whsec_..."), the MAC is
 * written in lower-case hex. Putting the time under the MAC lets a receiver refuse
 * replays of an old delivery. A header may carry several v1= entries (e.g. while a
 * secret is being rotated); one match is enough. Pure: no clock, no I/O. */
#ifndef SG_CORE_WEBHOOK_SIGNATURE_H
#define SG_CORE_WEBHOOK_SIGNATURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "t=" + at most 20 digits + ",v1=" + 64 hex digits + NUL, rounded up. */
#define SG_WEBHOOK_SIG_MAX 96
/* Headers longer than this are refused as malformed (bounds the work). */
#define SG_WEBHOOK_SIG_HEADER_MAX 2048

/* The header value for body (len bytes, not necessarily NUL-terminated) signed
 * at unix time t (seconds, >= 0) with secret. out gets SG_WEBHOOK_SIG_MAX bytes.
 * Returns false (and out = "") only if OpenSSL fails or t is negative. */
bool sg_webhook_sign(const char *secret, int64_t t, const char *body, size_t len,
                     char out[SG_WEBHOOK_SIG_MAX]);

typedef enum sg_webhook_sig_result {
    SG_WEBHOOK_SIG_OK = 0,
    SG_WEBHOOK_SIG_MALFORMED, /* not "t=<digits>,v1=<64 hex>[,...]": no t, two t, no v1, ... */
    SG_WEBHOOK_SIG_MISMATCH,  /* well formed, but no v1 matches this body and secret */
    SG_WEBHOOK_SIG_STALE,     /* a v1 matches, but t is further than tolerance from now */
} sg_webhook_sig_result;

/* Check header against body and secret at unix time now (seconds; a negative
 * now makes every header STALE once it matches). Entries are
 * comma-separated key=value pairs (spaces around them are ignored); t must occur
 * exactly once, as decimal digits; every v1 must be 64 hex digits (either case);
 * entries with other keys (future schemes such as v2=) are ignored. Every v1 is
 * compared in constant time. The timestamp is judged only after a match, so
 * STALE means "authentic but too old (or too far in the future)"; a negative
 * tolerance_s skips the time check. */
sg_webhook_sig_result sg_webhook_verify(const char *secret, const char *header, const char *body,
                                        size_t len, int64_t now, int64_t tolerance_s);

/* "ok", "malformed", "mismatch", "stale". */
const char *sg_webhook_sig_result_name(sg_webhook_sig_result r);

#endif
