#include "core/lookalike.h"

#include "core/gsm7.h"
#include "util/utf8.h"

#include <string.h>

/* Non-GSM characters and the GSM-7 text that looks like them, sorted by code
 * point for a binary search. What belongs here is what people paste without
 * noticing it is not plain text:
 *  - typographic punctuation that word processors and phones substitute for the
 *    ASCII original: curly and low quotes, primes, modifier-letter apostrophes,
 *    angle quotes, hyphens and dashes, the minus sign, the ellipsis, the bullet
 *    (written as a dash, the usual list marker in plain text), the fraction
 *    slash, the one-dot leader;
 *  - white space that is not U+0020: tab, no-break spaces, the typographic
 *    spaces U+2000..U+200A, the ideographic space; and invisible characters,
 *    which map to nothing. ZWNJ and ZWJ (U+200C, U+200D) are deliberately
 *    absent: they change how scripts and emoji sequences render;
 *  - Latin-1 letters with accents the GSM alphabet lacks, mapped to the bare
 *    letter. The alphabet holds only Ä Å Æ Ç É Ñ Ö Ø Ü ß à ä å æ è é ì ñ ò ö ø ù
 *    ü; those are never looked up because they are not UCS-2. ç becomes c rather
 *    than the alphabet's capital Ç, so that "Français" does not read "FranÇais";
 *  - the Greek capitals that GSM 03.38 left out of its alphabet because they look
 *    like Latin ones (Α Β Ε Ζ Η Ι Κ Μ Ν Ο Ρ Τ Υ Χ): the standard's own convention
 *    is to send them as the Latin letters;
 *  - the spacing accents ` ´ ˆ ˜ and × (as the letter x).
 * The unit test checks that every code point here is outside GSM-7 and that
 * every replacement analyses as GSM-7. */
/* clang-format off */
static const struct {
    uint16_t cp;
    const char *rep;
} lookalikes[] = {
    {0x0009, " "},   /* character tabulation */
    {0x0060, "'"},   /* ` grave accent */
    {0x00A0, " "},   /* no-break space */
    {0x00AB, "\""},  /* « */
    {0x00AD, ""},    /* soft hyphen (invisible) */
    {0x00B4, "'"},   /* ´ acute accent */
    {0x00BB, "\""},  /* » */
    {0x00C0, "A"},   /* À */
    {0x00C1, "A"},   /* Á */
    {0x00C2, "A"},   /* Â */
    {0x00C3, "A"},   /* Ã */
    {0x00C8, "E"},   /* È */
    {0x00CA, "E"},   /* Ê */
    {0x00CB, "E"},   /* Ë */
    {0x00CC, "I"},   /* Ì */
    {0x00CD, "I"},   /* Í */
    {0x00CE, "I"},   /* Î */
    {0x00CF, "I"},   /* Ï */
    {0x00D0, "D"},   /* Ð */
    {0x00D2, "O"},   /* Ò */
    {0x00D3, "O"},   /* Ó */
    {0x00D4, "O"},   /* Ô */
    {0x00D5, "O"},   /* Õ */
    {0x00D7, "x"},   /* × multiplication sign */
    {0x00D9, "U"},   /* Ù */
    {0x00DA, "U"},   /* Ú */
    {0x00DB, "U"},   /* Û */
    {0x00DD, "Y"},   /* Ý */
    {0x00E1, "a"},   /* á */
    {0x00E2, "a"},   /* â */
    {0x00E3, "a"},   /* ã */
    {0x00E7, "c"},   /* ç */
    {0x00EA, "e"},   /* ê */
    {0x00EB, "e"},   /* ë */
    {0x00ED, "i"},   /* í */
    {0x00EE, "i"},   /* î */
    {0x00EF, "i"},   /* ï */
    {0x00F0, "d"},   /* ð */
    {0x00F3, "o"},   /* ó */
    {0x00F4, "o"},   /* ô */
    {0x00F5, "o"},   /* õ */
    {0x00FA, "u"},   /* ú */
    {0x00FB, "u"},   /* û */
    {0x00FD, "y"},   /* ý */
    {0x00FF, "y"},   /* ÿ */
    {0x02B9, "'"},   /* ʹ modifier letter prime */
    {0x02BA, "\""},  /* ʺ modifier letter double prime */
    {0x02BC, "'"},   /* ʼ modifier letter apostrophe */
    {0x02C6, "^"},   /* ˆ modifier letter circumflex (extension table) */
    {0x02DC, "~"},   /* ˜ small tilde (extension table) */
    {0x0391, "A"},   /* Α Greek capitals that look Latin */
    {0x0392, "B"},   /* Β */
    {0x0395, "E"},   /* Ε */
    {0x0396, "Z"},   /* Ζ */
    {0x0397, "H"},   /* Η */
    {0x0399, "I"},   /* Ι */
    {0x039A, "K"},   /* Κ */
    {0x039C, "M"},   /* Μ */
    {0x039D, "N"},   /* Ν */
    {0x039F, "O"},   /* Ο */
    {0x03A1, "P"},   /* Ρ */
    {0x03A4, "T"},   /* Τ */
    {0x03A5, "Y"},   /* Υ */
    {0x03A7, "X"},   /* Χ */
    {0x2000, " "},   /* en quad */
    {0x2001, " "},   /* em quad */
    {0x2002, " "},   /* en space */
    {0x2003, " "},   /* em space */
    {0x2004, " "},   /* three-per-em space */
    {0x2005, " "},   /* four-per-em space */
    {0x2006, " "},   /* six-per-em space */
    {0x2007, " "},   /* figure space */
    {0x2008, " "},   /* punctuation space */
    {0x2009, " "},   /* thin space */
    {0x200A, " "},   /* hair space */
    {0x200B, ""},    /* zero width space (invisible) */
    {0x2010, "-"},   /* ‐ hyphen */
    {0x2011, "-"},   /* ‑ non-breaking hyphen */
    {0x2012, "-"},   /* ‒ figure dash */
    {0x2013, "-"},   /* – en dash */
    {0x2014, "-"},   /* — em dash */
    {0x2015, "-"},   /* ― horizontal bar */
    {0x2018, "'"},   /* ‘ */
    {0x2019, "'"},   /* ’ */
    {0x201A, "'"},   /* ‚ */
    {0x201B, "'"},   /* ‛ */
    {0x201C, "\""},  /* “ */
    {0x201D, "\""},  /* ” */
    {0x201E, "\""},  /* „ */
    {0x201F, "\""},  /* ‟ */
    {0x2022, "-"},   /* • bullet */
    {0x2024, "."},   /* ․ one dot leader */
    {0x2026, "..."}, /* … */
    {0x202F, " "},   /* narrow no-break space */
    {0x2032, "'"},   /* ′ prime */
    {0x2033, "\""},  /* ″ double prime */
    {0x2039, "<"},   /* ‹ */
    {0x203A, ">"},   /* › */
    {0x2044, "/"},   /* ⁄ fraction slash */
    {0x205F, " "},   /* medium mathematical space */
    {0x2060, ""},    /* word joiner (invisible) */
    {0x2212, "-"},   /* − minus sign */
    {0x3000, " "},   /* ideographic space */
    {0xFEFF, ""},    /* zero width no-break space / byte order mark (invisible) */
};
/* clang-format on */

#define N_LOOKALIKES (sizeof lookalikes / sizeof lookalikes[0])

const char *sg_gsm7_lookalike(uint32_t codepoint)
{
    size_t lo = 0, hi = N_LOOKALIKES;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (lookalikes[mid].cp == codepoint)
            return lookalikes[mid].rep;
        if (lookalikes[mid].cp < codepoint)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

size_t sg_ucs2_chars(const char *utf8, size_t len, sg_ucs2_char *out, size_t max)
{
    const char *s = utf8;
    size_t found = 0;
    if (!s && len > 0)
        return SIZE_MAX;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = sg_utf8_decode(s + i, len - i, &cp);
        if (n == 0)
            return SIZE_MAX;
        if (sg_gsm7_septets(cp) == 0) {
            if (found < max && out) {
                sg_ucs2_char *c = &out[found];
                c->offset = i;
                c->codepoint = cp;
                memcpy(c->text, s + i, n);
                c->text[n] = '\0';
                c->replacement = sg_gsm7_lookalike(cp);
            }
            found++;
        }
        i += n;
    }
    return found;
}

/* Runs of characters that stay as they are are appended in one piece. */
sg_err sg_gsm7_fold(const char *utf8, size_t len, sg_buf *out)
{
    const char *s = utf8;
    size_t start = out->len;
    size_t kept = 0; /* start of the run not yet appended */
    sg_err err = SG_OK;

    if (len == 0)
        return SG_OK;
    if (!s)
        return SG_ERR_INVALID;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = sg_utf8_decode(s + i, len - i, &cp);
        if (n == 0) {
            err = SG_ERR_INVALID;
            goto out;
        }
        const char *rep = sg_gsm7_septets(cp) == 0 ? sg_gsm7_lookalike(cp) : NULL;
        if (rep) {
            err = sg_buf_append(out, s + kept, i - kept);
            if (!err)
                err = sg_buf_append_str(out, rep);
            if (err)
                goto out;
            kept = i + n;
        }
        i += n;
    }
    err = sg_buf_append(out, s + kept, len - kept);

out:
    if (err) {
        out->len = start;
        if (out->data)
            out->data[start] = '\0';
    }
    return err;
}
