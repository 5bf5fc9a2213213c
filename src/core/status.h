/* Message statuses and the rule that a status only moves forward. */
#ifndef SG_CORE_STATUS_H
#define SG_CORE_STATUS_H

#include <stdbool.h>

typedef enum sg_status {
    SG_STATUS_SCHEDULED = 0,
    SG_STATUS_QUEUED,
    SG_STATUS_SENDING,
    SG_STATUS_SENT,
    SG_STATUS_DELIVERED,
    SG_STATUS_UNDELIVERED,
    SG_STATUS_FAILED,
    SG_STATUS_CANCELED,
    SG_STATUS_RECEIVED,
    SG_STATUS__COUNT
} sg_status;

/* "scheduled", "queued", ...; NULL for an out-of-range value. */
const char *sg_status_name(sg_status s);
/* Parse a name; false if unknown. */
bool sg_status_parse(const char *name, sg_status *out);

/* True when no further change is possible: delivered, undelivered, failed,
 * canceled, received. */
bool sg_status_is_final(sg_status s);

/* May a message in `from` move to `to`? Ranks: scheduled < queued < sending <
 * sent < {delivered, undelivered, failed}; canceled only from scheduled or
 * queued; received is inbound only and never changes. A move to the same status
 * is refused (a repeat adds nothing). One exception to "forward only":
 * sending -> queued, which the dispatcher uses to put a message back for a retry
 * (or when it releases a claim at shutdown). Final statuses never move. */
bool sg_status_may_move(sg_status from, sg_status to);

#endif
