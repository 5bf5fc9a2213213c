#include "core/status.h"

#include <string.h>

/* One row per status, in enum order. rank orders the outbound path; statuses with
 * the same rank are alternative outcomes, none of which may replace another.
 * canceled and received have no place on that path and are handled apart. */
static const struct {
    const char *name;
    int rank;
    bool final;
} statuses[SG_STATUS__COUNT] = {
    [SG_STATUS_SCHEDULED] = {"scheduled", 0, false},
    [SG_STATUS_QUEUED] = {"queued", 1, false},
    [SG_STATUS_SENDING] = {"sending", 2, false},
    [SG_STATUS_SENT] = {"sent", 3, false},
    [SG_STATUS_DELIVERED] = {"delivered", 4, true},
    [SG_STATUS_UNDELIVERED] = {"undelivered", 4, true},
    [SG_STATUS_FAILED] = {"failed", 4, true},
    [SG_STATUS_CANCELED] = {"canceled", -1, true},
    [SG_STATUS_RECEIVED] = {"received", -1, true},
};

static bool in_range(sg_status s)
{
    return (unsigned)s < SG_STATUS__COUNT;
}

const char *sg_status_name(sg_status s)
{
    return in_range(s) ? statuses[s].name : NULL;
}

bool sg_status_parse(const char *name, sg_status *out)
{
    if (!name)
        return false;
    for (unsigned i = 0; i < SG_STATUS__COUNT; i++) {
        if (strcmp(name, statuses[i].name) == 0) {
            *out = (sg_status)i;
            return true;
        }
    }
    return false;
}

bool sg_status_is_final(sg_status s)
{
    return in_range(s) && statuses[s].final;
}

bool sg_status_may_move(sg_status from, sg_status to)
{
    if (!in_range(from) || !in_range(to) || from == to || statuses[from].final)
        return false;
    switch (to) {
    case SG_STATUS_RECEIVED:
        return false;
    case SG_STATUS_CANCELED:
        return from == SG_STATUS_SCHEDULED || from == SG_STATUS_QUEUED;
    case SG_STATUS_QUEUED:
        if (from == SG_STATUS_SENDING)
            return true; /* put back for a retry, or a claim released at shutdown */
        break;
    default:
        break;
    }
    return statuses[to].rank > statuses[from].rank;
}
