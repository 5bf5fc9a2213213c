/* Toll-fraud limits on API sends: the deployment's allowed destination countries
 * (serve --allowed-countries), an API key's own narrower list and its daily quota
 * (smsgate key create --countries --daily-quota).
 *
 * A key's limits come with the request's caller (api/auth.h): they are read and
 * cached with the key itself, so a change of limits takes effect as a revocation
 * does (within about a second on every server). Quota counts live in memory (core/quota.h) and are persisted every second by a thread
 * of this module and at shutdown; a restart within the same UTC day continues
 * from the persisted count, so after a crash (kill -9) at most the last second of
 * sends can go uncounted. Thread-safe. */
#ifndef SG_API_SEND_LIMITS_H
#define SG_API_SEND_LIMITS_H

#include "api/accept.h"
#include "api/auth.h"
#include "store/store.h"

typedef struct sg_send_limits sg_send_limits;

/* allowed: the deployment's countries ("GB,US"; "" = every country). Starts the
 * persisting thread. On a bad list returns SG_ERR_INVALID with e naming the item. */
sg_err sg_send_limits_new(sg_store *store, const char *allowed, sg_send_limits **out,
                          sg_error *e);
/* Stop the thread and persist the counts. NULL is ignored. */
void sg_send_limits_destroy(sg_send_limits *l);

/* Check an accepted message m sent by caller (its key and that key's limits) at
 * now, and count it against the key's quota. On refusal returns false with rej
 * filled in: 403 country_not_allowed (field "to"), 429 daily_quota_exceeded, or
 * 503 when the day's stored count cannot be read; the refusal is counted in
 * /metrics. l NULL allows everything; caller NULL (no key) meets only the
 * deployment's countries. */
bool sg_send_limits_check(sg_send_limits *l, const sg_caller *caller, const sg_message *m,
                          int64_t now, sg_reject *rej);

/* Persist the counts not yet persisted. */
sg_err sg_send_limits_flush(sg_send_limits *l);

#endif
