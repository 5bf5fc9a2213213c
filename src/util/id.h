/* Object identifiers: a short type prefix and 26 Crockford base32 characters
 * holding a 48-bit millisecond timestamp and 80 random bits (ULID layout), e.g.
 * "msg_01JD3Z4Q5R6S7T8V9W0XYZABCD". Ids of one prefix sort by creation time,
 * which is what list cursors rely on. */
#ifndef SG_UTIL_ID_H
#define SG_UTIL_ID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SG_ID_MAX 40 /* prefix (<= 8) + '_' + 26 + NUL, rounded up */

/* prefix: "msg", "prv", "key", ... Writes a NUL-terminated id into out. */
void sg_id_new(const char *prefix, int64_t now_ms, char out[SG_ID_MAX]);
/* True if s looks like an id of that prefix (right length and alphabet). */
bool sg_id_valid(const char *prefix, const char *s);

/* The 128 bits of an id as 32 lower-case hex digits and NUL (what a Twilio-style
 * SID carries after its two letters: "SM" + these for a message). False when id
 * is not a valid id of prefix. */
bool sg_id_to_hex(const char *prefix, const char *id, char out[33]);
/* The reverse: 32 hex digits (either case; nothing after them) into the id of
 * prefix they encode. False when hex is not exactly 32 hex digits. */
bool sg_id_from_hex(const char *prefix, const char *hex, char out[SG_ID_MAX]);

#endif
