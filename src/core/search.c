/* The search box's text as a number or a phrase (core/search.h has the rules). */
#include "core/search.h"

#include "core/phone.h"

#include <stdio.h>
#include <string.h>

static bool is_space(char c)
{
    return c == ' ';
}

/* Characters a number may be written with, besides digits. */
static bool is_phone_punct(char c)
{
    return c == ' ' || c == '+' || c == '-' || c == '(' || c == ')' || c == '.';
}

/* Whether s (len bytes) is written as a number: digits and phone punctuation,
 * a "+" only first, at least one digit. */
static bool looks_like_number(const char *s, size_t len)
{
    size_t digits = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9')
            digits++;
        else if (!is_phone_punct(c) || (c == '+' && i != 0))
            return false;
    }
    return digits > 0;
}

/* The digits of s (len bytes) into out (SG_SEARCH_MAX + 1 bytes). */
static void digits_of(const char *s, size_t len, char *out)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n < SG_SEARCH_MAX; i++) {
        if (s[i] >= '0' && s[i] <= '9')
            out[n++] = s[i];
    }
    out[n] = '\0';
}

static void parse_number(const char *s, size_t len, const char *region, sg_search *out)
{
    char digits[SG_SEARCH_MAX + 1];
    digits_of(s, len, digits);
    char whole[SG_SEARCH_MAX + 1];
    snprintf(whole, sizeof whole, "%.*s", (int)len, s);
    char e164[SG_PHONE_MAX];
    if (s[0] == '+' || (strncmp(digits, "00", 2) == 0 && digits[2])) {
        out->kind = SG_SEARCH_PHONE_PREFIX;
        /* at most SG_SEARCH_MAX - 1 digits follow a "+" (the + was one byte of q) */
        snprintf(out->text, sizeof out->text, "+%.*s", SG_SEARCH_MAX - 1,
                 s[0] == '+' ? digits : digits + 2);
    } else if (region && *region && sg_phone_normalize(whole, region, e164, NULL) == SG_PHONE_OK) {
        out->kind = SG_SEARCH_PHONE_PREFIX;
        snprintf(out->text, sizeof out->text, "%s", e164);
    } else {
        out->kind = SG_SEARCH_PHONE_DIGITS;
        /* a national trunk prefix is not part of the international number */
        snprintf(out->text, sizeof out->text, "%s",
                 digits[0] == '0' && digits[1] ? digits + 1 : digits);
    }
}

/* A phrase: ASCII letters lower-cased, runs of spaces as one. */
static void parse_phrase(const char *s, size_t len, sg_search *out)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (is_space(c) && n > 0 && out->text[n - 1] == ' ')
            continue;
        out->text[n++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    out->text[n] = '\0';
    out->kind = SG_SEARCH_PHRASE;
}

sg_search_status sg_search_parse(const char *q, const char *default_region, sg_search *out)
{
    size_t len = strlen(q);
    while (len > 0 && is_space(q[len - 1]))
        len--;
    while (len > 0 && is_space(*q)) {
        q++;
        len--;
    }
    if (len == 0)
        return SG_SEARCH_EMPTY;
    if (len > SG_SEARCH_MAX)
        return SG_SEARCH_TOO_LONG;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)q[i];
        if (c < 0x20 || c == 0x7f)
            return SG_SEARCH_CONTROL;
    }
    if (looks_like_number(q, len))
        parse_number(q, len, default_region, out);
    else
        parse_phrase(q, len, out);
    return SG_SEARCH_OK;
}

bool sg_search_is_phone(const sg_search *s)
{
    return s->kind != SG_SEARCH_PHRASE;
}
