/* GSM-7 look-alikes, for the template preview: which characters of a text force
 * the whole SMS into UCS-2 (encoding.md), and the GSM-7 text that looks like each
 * of them where there is one (curly quotes, dashes, Unicode spaces, accented
 * letters outside the alphabet). Pure: no I/O; only sg_gsm7_fold appends to the
 * caller's buffer.
 *
 * Nothing here is applied behind the customer's back: smsgate never transliterates
 * a body on its own (encoding.md). The preview lists the characters with their
 * replacements and the customer chooses to fold. */
#ifndef SG_CORE_LOOKALIKE_H
#define SG_CORE_LOOKALIKE_H

#include "util/buf.h"
#include "util/err.h"

#include <stddef.h>
#include <stdint.h>

/* One character that GSM-7 cannot carry. */
typedef struct sg_ucs2_char {
    size_t offset;           /* byte offset of its first byte in the text */
    uint32_t codepoint;      /* U+0000..U+10FFFF */
    char text[8];            /* the character as UTF-8, NUL-terminated */
    const char *replacement; /* GSM-7 look-alike (static), or NULL when there is none */
} sg_ucs2_char;

/* The GSM-7 look-alike of one code point: a static string, or NULL when the code
 * point has none or is itself GSM-7 (sg_gsm7_septets() != 0). Every replacement
 * is GSM-7 text (the default alphabet, or '^' / '~' from the extension table); it
 * may be longer than one character ("..." for U+2026) or empty ("") for the
 * invisible characters that copy and paste drags in (soft hyphen, zero-width
 * space, word joiner, byte order mark). */
const char *sg_gsm7_lookalike(uint32_t codepoint);

/* Find the characters of len bytes of UTF-8 that are neither in the GSM 03.38
 * default alphabet nor in its extension table (sg_gsm7_septets() == 0), in text
 * order. Up to max of them are written to out (out may be NULL when max is 0).
 * Returns how many there are in all, which may exceed max: 0 means the text is
 * GSM-7. Returns SIZE_MAX when the text is not well-formed UTF-8 (the rules of
 * sg_sms_analyze); out may then hold entries from before the bad byte. The input
 * is read by length: an embedded NUL is a character (U+0000, not GSM-7, no
 * look-alike). utf8 may be NULL only when len is 0. */
size_t sg_ucs2_chars(const char *utf8, size_t len, sg_ucs2_char *out, size_t max);

/* Append to out the text with every character that has a look-alike replaced by
 * it; every other character, GSM-7 or not (emoji), is copied unchanged. The
 * result is GSM-7 exactly when every non-GSM character had a look-alike.
 * Returns SG_OK, SG_ERR_INVALID for malformed UTF-8, SG_ERR_TOO_LARGE when the
 * result would exceed out->max, or SG_ERR_NOMEM; on any error out is left as it
 * was. utf8 may be NULL only when len is 0. */
sg_err sg_gsm7_fold(const char *utf8, size_t len, sg_buf *out);

#endif
