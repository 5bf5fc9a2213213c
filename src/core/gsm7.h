/* SMS text analysis: which encoding a body needs (GSM 03.38 7-bit or UCS-2) and
 * how many segments it takes (providers.md Part C). Pure functions. */
#ifndef SG_CORE_GSM7_H
#define SG_CORE_GSM7_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SG_SMS_MAX_CHARS 1600 /* Twilio's body limit, in characters (code points) */

typedef enum sg_encoding {
    SG_ENC_GSM7 = 0,
    SG_ENC_UCS2,
} sg_encoding;

typedef enum sg_text_status {
    SG_TEXT_OK = 0,
    SG_TEXT_INVALID_UTF8, /* not well-formed UTF-8 (overlong, surrogates, > U+10FFFF, truncated) */
    SG_TEXT_TOO_LONG,     /* more than SG_SMS_MAX_CHARS code points */
} sg_text_status;

typedef struct sg_sms_info {
    sg_encoding encoding;
    size_t chars;      /* Unicode code points */
    size_t units;      /* GSM-7 septets (extension chars count 2) or UTF-16 code units */
    unsigned segments; /* 0 for an empty body */
} sg_sms_info;

/* Analyse len bytes of UTF-8. GSM-7 is chosen only when every character is in the
 * default alphabet or the extension table; otherwise UCS-2. Segments: GSM-7 160 in
 * one part, else parts of 153 septets where an escape pair is never split (a part
 * may then hold 152); UCS-2 70 in one part, else parts of 67 units where a
 * surrogate pair is never split.
 * The input is counted by its length, not by NUL: an embedded U+0000 is a
 * well-formed character that GSM-7 cannot carry, so it forces UCS-2. utf8 may be
 * NULL only when len is 0. On SG_TEXT_OK and SG_TEXT_TOO_LONG every field of *out
 * is filled in (so a caller can say how long the text was); on
 * SG_TEXT_INVALID_UTF8 *out is zeroed. Invalid UTF-8 anywhere wins over length. */
sg_text_status sg_sms_analyze(const char *utf8, size_t len, sg_sms_info *out);

/* "GSM-7" or "UCS-2" ("unknown" for a value outside the enum). */
const char *sg_encoding_name(sg_encoding enc);

/* Septets needed for one code point in GSM-7: 1 (default alphabet), 2 (extension
 * table) or 0 (not representable). */
int sg_gsm7_septets(uint32_t codepoint);

#endif
