/* How many consent confirmations (the replies to STOP, START and HELP) may go to
 * one number. Each is an SMS smsgate sends because somebody texted it; unbounded,
 * anyone who can text the provider's number (or forge its inbound webhook) makes
 * smsgate send to a number of their choosing again and again at the operator's
 * cost (SMS pumping). The rule, per number:
 *
 *   - at most one confirmation of each keyword kind (opt-out, opt-in, help) per
 *     SG_REPLY_KIND_WINDOW_MS (10 minutes);
 *   - at most SG_REPLY_HOURLY_CAP (3) confirmations of any kind in an hour (a
 *     window that starts with the first confirmation and lasts an hour).
 *
 * The keyword itself still takes effect (an opt-out is recorded); only the
 * confirmation SMS is left out. Memory is bounded: SG_REPLY_SLOTS numbers, a
 * number hashed (with a per-process random seed) to SG_REPLY_PROBE slots; when
 * all of them are held by numbers replied to within the hour the answer is no
 * (SG_REPLY_TABLE_FULL): a flood of distinct numbers cannot buy more replies.
 * In memory, per process: a restart forgets. Time is passed in. Thread-safe. */
#ifndef SG_CORE_REPLY_LIMIT_H
#define SG_CORE_REPLY_LIMIT_H

#include "core/keywords.h"

#include <stdint.h>

#define SG_REPLY_KIND_WINDOW_MS (10 * 60 * 1000)
#define SG_REPLY_HOUR_MS        (60 * 60 * 1000)
#define SG_REPLY_HOURLY_CAP     3
#define SG_REPLY_RULE_HOURLY_CAP 6 /* keyword rules' replies, counted apart */
#define SG_REPLY_SLOTS          16384
#define SG_REPLY_PROBE          16

typedef enum sg_reply_verdict {
    SG_REPLY_OK = 0,       /* send it (it has been counted) */
    SG_REPLY_KIND_LIMIT,   /* this kind went to this number less than 10 minutes ago */
    SG_REPLY_HOURLY_LIMIT, /* this number had SG_REPLY_HOURLY_CAP this hour */
    SG_REPLY_TABLE_FULL,   /* no room to remember the number: not sent */
} sg_reply_verdict;

typedef struct sg_reply_limit sg_reply_limit;

/* A new, empty table (about 900 KiB, touched only as it fills); NULL when out of
 * memory. seed keys the hash of numbers. Free with sg_reply_limit_destroy. */
sg_reply_limit *sg_reply_limit_new(uint64_t seed);
void sg_reply_limit_destroy(sg_reply_limit *l);

/* May a confirmation of kind (not SG_KEYWORD_NONE) go to number at now_ms? On
 * SG_REPLY_OK it is counted as sent. A NULL l allows everything. */
sg_reply_verdict sg_reply_limit_take(sg_reply_limit *l, const char *number, sg_keyword_kind kind,
                                     int64_t now_ms);

/* May a keyword rule's reply (docs/keywords.md) go to number at now_ms? The
 * same pumping risk as confirmations, so the same table, with its own count:
 * at most SG_REPLY_RULE_HOURLY_CAP a number per hour (no window per kind: JOIN
 * news then JOIN sport a minute later both answer). On SG_REPLY_OK it is
 * counted as sent. A NULL l allows everything. */
sg_reply_verdict sg_reply_limit_take_rule(sg_reply_limit *l, const char *number, int64_t now_ms);

/* "ok", "kind_limit", "hourly_limit", "table_full". */
const char *sg_reply_verdict_name(sg_reply_verdict v);

#endif
