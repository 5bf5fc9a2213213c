/* UTF-8 as Unicode defines it (chapter 3, table 3-7 "Well-Formed UTF-8 Byte
 * Sequences"): the one decoder, encoder and validator of the tree. Well-formed
 * means no stray continuation bytes, no overlong forms (C0, C1, E0 80..9F,
 * F0 80..8F), no UTF-16 surrogates (U+D800..U+DFFF, ED A0..BF), nothing above
 * U+10FFFF (F4 90.., F5..FF) and no sequence cut short by the end of the input.
 * Pure functions: they allocate nothing and read only the bytes they are given. */
#ifndef SG_UTIL_UTF8_H
#define SG_UTIL_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SG_UTF8_MAX         4       /* bytes in the longest sequence */
#define SG_UTF8_REPLACEMENT 0xFFFDu /* U+FFFD REPLACEMENT CHARACTER */

/* Decode the code point at the start of s[0..len) into *cp. Returns the bytes
 * consumed (1 to 4), or 0 (and *cp untouched) when the bytes there are not a
 * well-formed sequence or len is 0. The bytes are read in order and reading stops
 * at the first that does not fit, so a NUL ends a sequence early (as invalid). */
size_t sg_utf8_decode(const char *s, size_t len, uint32_t *cp);

/* Like sg_utf8_decode, but never stuck: where the bytes are not well-formed, *cp
 * is U+FFFD and one byte is consumed. For text already checked with
 * sg_utf8_valid, where that cannot happen. Returns 0 only when len is 0. */
size_t sg_utf8_next(const char *s, size_t len, uint32_t *cp);

/* Write the UTF-8 form of cp into out and return its length (1 to 4), or 0 (out
 * untouched) when cp is a surrogate or above U+10FFFF. */
size_t sg_utf8_encode(uint32_t cp, char out[SG_UTF8_MAX]);

/* True when all of s[0..len) is well-formed UTF-8 (NUL bytes included, as
 * U+0000). s may be NULL only when len is 0. ASCII runs are checked 8 bytes at
 * a time: a contact file is nearly all ASCII. */
bool sg_utf8_valid(const char *s, size_t len);

/* Code points in s[0..len), counted while the count is at most limit (limit <
 * SIZE_MAX): the count when s is well-formed and has at most limit of them;
 * limit + 1 as soon as a well-formed prefix has more (the rest is not read, so a
 * length check need not walk a long text to its end); SIZE_MAX when an ill-formed
 * sequence comes first. With limit >= len the whole text is always read. */
size_t sg_utf8_count(const char *s, size_t len, size_t limit);

/* Where to cut s[0..len) to keep at most max bytes without splitting a sequence:
 * len when len <= max; otherwise max, moved back over continuation bytes
 * (10xxxxxx) to the lead byte there (0 when there is none). Well-formed text
 * stays well-formed; on other text only the cut position is promised. */
size_t sg_utf8_trim_len(const char *s, size_t len, size_t max);

#endif
