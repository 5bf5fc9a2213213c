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
bool sg_time_parse(const char *s, int64_t *ms_out);

#endif
