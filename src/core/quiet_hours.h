/* Quiet hours for broadcasts: a daily window of local time in which nothing is sent
 * (e.g. 21:00-08:00 in the recipient's zone). Pure arithmetic: the zone comes in as
 * an offset callback, so this is testable without files (util/tz.h's
 * sg_tz_offset_cb fits it, with the sg_tz as user). */
#ifndef SG_CORE_QUIET_HOURS_H
#define SG_CORE_QUIET_HOURS_H

#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"

/* Minutes after local midnight, each 0..1439. The window is [start, end): start is
 * quiet, end is allowed. start > end wraps midnight (21:00-08:00); start == end (or
 * a value out of range) means no quiet hours. */
typedef struct sg_quiet {
    int start_min, end_min;
} sg_quiet;

/* "21:00-08:00", also with an en dash ("21:00\u201308:00") and one-digit hours
 * ("9:30-17:00"): hours 0..23, minutes exactly two digits, no spaces. SG_ERR_INVALID
 * on anything else, including 24:00 and equal start and end ("no quiet hours" is
 * expressed by not setting them). *out is written only on success. */
sg_err sg_quiet_parse(const char *text, sg_quiet *out);

/* "21:00-08:00" (two-digit hours, ASCII hyphen), which sg_quiet_parse reads back;
 * "invalid" for a value out of range. */
void sg_quiet_format(const sg_quiet *q, char out[16]);

/* Seconds east of UTC at unix time t. */
typedef int32_t (*sg_utc_offset_fn)(void *user, int64_t t);

/* Is unix time t inside the quiet window, local time being t + off(user, t)? */
bool sg_quiet_is_quiet(const sg_quiet *q, int64_t t, sg_utc_offset_fn off, void *user);

/* The first instant >= t that is not quiet (t itself when t is allowed). Right across
 * midnight, for any offset (half-hour, 45-minute) and across offset changes: when the
 * end of the window falls in a spring-forward gap the answer is the first instant
 * after the gap; when it falls in a fall-back overlap, its first occurrence. Offset
 * changes are found by bisection, assuming at most one change between the instants
 * it probes (under 24 hours apart) and at most 16 changes in all before the answer,
 * which real zones never come near; past that the result is the best guess, still
 * >= t. Saturates at INT64_MAX. */
int64_t sg_quiet_next_allowed(const sg_quiet *q, int64_t t, sg_utc_offset_fn off, void *user);

#endif
