#include "core/redact.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* The two-digit country calling codes (ITU-T E.164 assignments); +1 and +7 are
 * the one-digit ones, every other code has three digits. */
static const char two_digit_codes[][3] = {
    "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46",
    "47", "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63",
    "64", "65", "66", "81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98",
};

size_t sg_calling_code_len(const char *digits)
{
    if (digits[0] < '1' || digits[0] > '9')
        return 0;
    if (digits[0] == '1' || digits[0] == '7')
        return 1;
    if (digits[1] < '0' || digits[1] > '9')
        return 0;
    for (size_t i = 0; i < sizeof two_digit_codes / sizeof two_digit_codes[0]; i++) {
        if (memcmp(digits, two_digit_codes[i], 2) == 0)
            return 2;
    }
    return 3;
}

static bool is_e164(const char *s)
{
    size_t n = strlen(s);
    if (n < 7 || n > 16 || s[0] != '+')
        return false;
    return strspn(s + 1, "0123456789") == n - 1;
}

/* out = keep[0..head) + '*' for each hidden character + the last `tail` of in. */
static void mask(const char *in, size_t head, size_t tail, char *out, size_t cap)
{
    size_t n = strlen(in), o = 0;
    for (size_t i = 0; i < n && o + 1 < cap; i++)
        out[o++] = (i < head || i >= n - tail) ? in[i] : '*';
    out[o] = '\0';
}

void sg_redact_phone(const char *in, char *out, size_t cap)
{
    if (!in)
        in = "";
    size_t n = strlen(in);
    if (is_e164(in)) {
        size_t cc = sg_calling_code_len(in + 1);
        if (cc && 1 + cc + 2 < n) {
            mask(in, 1 + cc, 2, out, cap);
            return;
        }
    }
    /* Masked characters are never more than 16 here: a long value is not worth
     * printing in full length either. */
    char clipped[17];
    snprintf(clipped, sizeof clipped, "%s", n > 16 ? in + n - 16 : in);
    mask(clipped, 0, n > 6 ? 2 : 0, out, cap);
}
