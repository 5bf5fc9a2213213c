/* Time zones from the system tz database: a TZif reader (RFC 9636, versions 1-4,
 * with the POSIX TZ footer rule) and the country -> zone lookup in zone1970.tab.
 * There is no hand-written zone table anywhere in smsgate: every zone and every
 * country mapping comes from the zoneinfo directory. */
#ifndef SG_UTIL_TZ_H
#define SG_UTIL_TZ_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

typedef struct sg_tz sg_tz;

/* Parse TZif data (versions 1, 2, 3, 4; the 64-bit v2+ block is used when present)
 * including the POSIX TZ footer rule used after the last transition (e.g.
 * "GMT0BST,M3.5.0/1,M10.5.0", "EST5EDT,M3.2.0,M11.1.0", "<+0530>-5:30", Lord Howe's
 * half-hour DST "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", and the version 3 extensions:
 * transition times of -167..167 hours, all-year DST "EST5EDT,0/0,J365/25").
 * Every count and bound is checked against len, so hostile input never reads out of
 * bounds; it also rejects unsorted transitions, type indexes out of range, UTC offsets
 * outside (-25h, 26h), and a footer that is not a complete TZ rule (a DST name without
 * a ",start,end" rule included). Leap-second records are checked for size and ignored.
 * On success *out is a new zone the caller frees with sg_tz_free. SG_ERR_INVALID for
 * anything malformed, SG_ERR_NOMEM. */
sg_err sg_tz_parse(const unsigned char *data, size_t len, sg_tz **out);
void sg_tz_free(sg_tz *z);

/* UTC offset in seconds (east positive) in effect at unix time t (seconds). Defined
 * for every int64_t t: before the first transition the zone's first time type applies
 * (RFC 9636), after the last one the footer rule (exact for any year, since the
 * Gregorian calendar repeats every 400 years) or, without a rule, the last type. */
int32_t sg_tz_offset(const sg_tz *z, int64_t t);

/* sg_tz_offset in the shape of the quiet-hours callback (sg_utc_offset_fn in
 * core/quiet_hours.h): zone is a const sg_tz *. */
int32_t sg_tz_offset_cb(void *zone, int64_t t);

/* A zone by IANA name ("Europe/London"): validated (1..64 chars of [A-Za-z0-9_+-/],
 * no "..", no leading '/'), read from the zoneinfo directory (default
 * /usr/share/zoneinfo, overridable by env SG_ZONEINFO for tests), parsed once and
 * cached for the life of the process (thread-safe; *out is a borrowed pointer, never
 * freed). The cache is keyed by the full path, so changing SG_ZONEINFO never returns
 * a zone read from the other directory. SG_ERR_INVALID for a bad name;
 * SG_ERR_NOT_FOUND for an unknown zone (no such file, not a regular file, or not
 * valid TZif data); SG_ERR_TOO_LARGE for a file over 256 KiB or a cache of 2048
 * zones; SG_ERR_IO, SG_ERR_NOMEM. */
sg_err sg_tz_get(const char *name, const sg_tz **out);

/* The zone of a country (ISO 3166 alpha-2, e.g. "GB"; lower case is accepted) when
 * zone1970.tab (in the zoneinfo directory) lists exactly one zone for it; NULL when
 * it lists several (US, AU, ...) or none, or for anything but two ASCII letters. A
 * line of zone1970.tab can list several countries in column 1 ("AE,OM,RE,SC,TF ...
 * Asia/Dubai"), so a country on several lines has several zones. The table is loaded
 * once, at the first call (SG_ZONEINFO is read then), thread-safe; the returned string
 * lives for the process. If the file cannot be read every call returns NULL. Note
 * zone1970.tab names a zone that agrees with the country's clocks since 1970, which
 * may lie in another country (IS -> "Africa/Abidjan"). */
const char *sg_tz_for_country(const char *iso2);

#endif
