#include "core/gsm7.h"

#include "util/utf8.h"

/* Septets per code point for U+0000..U+00FF: 1 for the GSM 03.38 default alphabet,
 * 2 for the extension table (form feed, ^ { } \ [ ~ ] |), 0 for the rest. One row
 * per 16 code points. U+001B is deliberately 0: in GSM-7 it is the escape to the
 * extension table, not a character anyone can send. Backquote (U+0060) and DEL are
 * not in the alphabet. (providers.md C.1 and C.2.) */
/* clang-format off */
static const uint8_t latin1_septets[256] = {
    /* 0x00: only LF and CR; FF is in the extension table */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2, 1, 0, 0,
    /* 0x10: controls, ESC among them, are not characters */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* 0x20: SP ! " # $ % & ' ( ) * + , - . / */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    /* 0x30: 0-9 : ; < = > ? */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    /* 0x40: @ A-O */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    /* 0x50: P-Z, then [ \ ] ^ (extension), _ */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 1,
    /* 0x60: backquote is not GSM; a-o */
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    /* 0x70: p-z, then { | } ~ (extension), DEL is not GSM */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 0,
    /* 0x80, 0x90: C1 controls */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* 0xA0: ¡ £ ¤ ¥ § */
    0, 1, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0,
    /* 0xB0: ¿ */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
    /* 0xC0: Ä Å Æ Ç É */
    0, 0, 0, 0, 1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0,
    /* 0xD0: Ñ Ö Ø Ü ß */
    0, 1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 0, 1,
    /* 0xE0: à ä å æ è é ì */
    1, 0, 0, 0, 1, 1, 1, 0, 1, 1, 0, 0, 1, 0, 0, 0,
    /* 0xF0: ñ ò ö ø ù ü */
    0, 1, 1, 0, 0, 0, 1, 0, 1, 1, 0, 0, 1, 0, 0, 0,
};
/* clang-format on */

/* The GSM characters above U+00FF, sorted by code point for a binary search: the
 * ten Greek capitals of the default alphabet and the euro sign (extension). */
static const struct {
    uint16_t cp;
    uint8_t septets;
} high_septets[] = {
    {0x0393, 1}, /* Γ */
    {0x0394, 1}, /* Δ */
    {0x0398, 1}, /* Θ */
    {0x039B, 1}, /* Λ */
    {0x039E, 1}, /* Ξ */
    {0x03A0, 1}, /* Π */
    {0x03A3, 1}, /* Σ */
    {0x03A6, 1}, /* Φ */
    {0x03A8, 1}, /* Ψ */
    {0x03A9, 1}, /* Ω */
    {0x20AC, 2}, /* € */
};

int sg_gsm7_septets(uint32_t codepoint)
{
    if (codepoint < 256)
        return latin1_septets[codepoint];
    size_t lo = 0, hi = sizeof high_septets / sizeof high_septets[0];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (high_septets[mid].cp == codepoint)
            return high_septets[mid].septets;
        if (high_septets[mid].cp < codepoint)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

const char *sg_encoding_name(sg_encoding enc)
{
    static const char *const names[] = {
        [SG_ENC_GSM7] = "GSM-7",
        [SG_ENC_UCS2] = "UCS-2",
    };
    if ((unsigned)enc < sizeof names / sizeof names[0])
        return names[enc];
    return "unknown";
}

/* Running count of how a body packs into concatenated parts of `per_part` units,
 * where a character of `cost` units is never split across two parts. */
typedef struct packer {
    size_t units;
    unsigned parts; /* parts opened so far; 0 until the first character */
    unsigned fill;  /* units in the last part */
} packer;

static void pack(packer *p, unsigned cost, unsigned per_part)
{
    p->units += cost;
    if (p->parts == 0 || p->fill + cost > per_part) {
        p->parts++;
        p->fill = cost;
    } else {
        p->fill += cost;
    }
}

static unsigned segments(const packer *p, size_t single)
{
    if (p->units == 0)
        return 0;
    return p->units <= single ? 1 : p->parts;
}

enum {
    GSM7_SINGLE = 160,
    GSM7_PART = 153,
    UCS2_SINGLE = 70,
    UCS2_PART = 67,
};

/* One pass that keeps both counts, since whether the body is GSM-7 is only known
 * at its end. The whole input is always decoded: invalid UTF-8 anywhere is
 * reported even in a body that is also too long. */
sg_text_status sg_sms_analyze(const char *utf8, size_t len, sg_sms_info *out)
{
    const char *s = utf8;
    packer gsm = {0}, ucs = {0};
    bool is_gsm = true;
    size_t chars = 0;

    *out = (sg_sms_info){.encoding = SG_ENC_GSM7};
    if (!s && len > 0)
        return SG_TEXT_INVALID_UTF8;

    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = sg_utf8_decode(s + i, len - i, &cp);
        if (n == 0)
            return SG_TEXT_INVALID_UTF8;
        i += n;
        chars++;
        if (is_gsm) {
            int septets = sg_gsm7_septets(cp);
            if (septets == 0)
                is_gsm = false;
            else
                pack(&gsm, (unsigned)septets, GSM7_PART);
        }
        pack(&ucs, cp > 0xFFFF ? 2 : 1, UCS2_PART);
    }

    out->chars = chars;
    if (is_gsm) {
        out->encoding = SG_ENC_GSM7;
        out->units = gsm.units;
        out->segments = segments(&gsm, GSM7_SINGLE);
    } else {
        out->encoding = SG_ENC_UCS2;
        out->units = ucs.units;
        out->segments = segments(&ucs, UCS2_SINGLE);
    }
    return chars > SG_SMS_MAX_CHARS ? SG_TEXT_TOO_LONG : SG_TEXT_OK;
}
