/* Wall-clock time in milliseconds since the Unix epoch, and its RFC 3339 text form. */
#ifndef SG_UTIL_TIME_H
#define SG_UTIL_TIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SG_TIME_STR_MAX 32

int64_t sg_time_now_ms(void);
/* Monotonic milliseconds, for timeouts and rate limits. */
int64_t sg_time_mono_ms(void);

/* Format ms as "2026-11-22T11:13:29.123Z" (UTC, millisecond precision) into out
 * (at least SG_TIME_STR_MAX bytes). */
void sg_time_format(int64_t ms, char *out, size_t outlen);

/* Parse an RFC 3339 date-time: "2026-11-22T11:13:29Z", with optional fraction and
 * a "Z" or "+hh:mm"/"-hh:mm" offset. A lower-case 't'/'z' or a space instead of 'T'
 * is accepted. Returns false on anything else (including out-of-range fields). */
/* The proleptic Gregorian calendar (Howard Hinnant's algorithms, exact for every
 * year): days since 1970-01-01 of y-m-d (m 1-12, d 1-31, not checked), its inverse,
 * and the length of month m (1-12) of year y. The one copy of these in the tree. */
int64_t sg_days_from_civil(int64_t y, int m, int d);
void sg_civil_from_days(int64_t days, int64_t *y, int *m, int *d);
int sg_days_in_month(int64_t y, int m);

bool sg_time_parse(const char *s, int64_t *ms_out);

#endif
