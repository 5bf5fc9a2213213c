/* Provider price lists (core/prices.h). */
#include "core/prices.h"
#include "core/csv.h"
#include "core/phone.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool sg_price_parse(const char *s, size_t len, int64_t *micros)
{
    int64_t whole = 0, frac = 0;
    size_t i = 0, int_digits = 0, frac_digits = 0;
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, int_digits++) {
        if (int_digits == 6)
            return false; /* over 999999 */
        whole = whole * 10 + (s[i] - '0');
    }
    if (i < len && s[i] == '.') {
        for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++, frac_digits++) {
            if (frac_digits == 6)
                return false;
            frac = frac * 10 + (s[i] - '0');
        }
        if (frac_digits == 0)
            return false; /* "1." */
    }
    if (i != len || int_digits == 0)
        return false; /* ".5", "", a sign, an exponent, spaces */
    for (size_t k = frac_digits; k < 6; k++)
        frac *= 10;
    *micros = whole * 1000000 + frac;
    return true;
}

void sg_price_format(int64_t micros, char out[SG_PRICE_TEXT_MAX])
{
    const char *sign = micros < 0 ? "-" : "";
    uint64_t v = micros < 0 ? (uint64_t)0 - (uint64_t)micros : (uint64_t)micros;
    uint64_t frac = v % 1000000;
    if (!frac) {
        snprintf(out, SG_PRICE_TEXT_MAX, "%s%llu", sign, (unsigned long long)(v / 1000000));
        return;
    }
    char f[8];
    snprintf(f, sizeof f, "%06llu", (unsigned long long)frac);
    size_t n = 6;
    while (n > 1 && f[n - 1] == '0')
        n--;
    f[n] = '\0';
    snprintf(out, SG_PRICE_TEXT_MAX, "%s%llu.%s", sign, (unsigned long long)(v / 1000000), f);
}

typedef struct reader {
    sg_price_list *out;
    size_t cap;
    size_t records; /* records seen, header included */
    bool too_many;
} reader;

static void problem(sg_price_list *l, size_t line, const char *field, const char *fmt, ...)
{
    if (l->n_problems == SG_PRICES_MAX_ERRORS) {
        l->more_problems++;
        return;
    }
    sg_price_problem *p = &l->problems[l->n_problems++];
    p->line = line;
    snprintf(p->field, sizeof p->field, "%s", field);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->detail, sizeof p->detail, fmt, ap);
    va_end(ap);
}

/* Whether field f (len n) is name, ignoring case and spaces around it. */
static bool is_name(const char *f, size_t n, const char *name)
{
    while (n && f[0] == ' ') {
        f++;
        n--;
    }
    while (n && f[n - 1] == ' ')
        n--;
    size_t k = strlen(name);
    if (n != k)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = f[i] >= 'A' && f[i] <= 'Z' ? (char)(f[i] + 32) : f[i];
        if (c != name[i])
            return false;
    }
    return true;
}

static bool is_header(const char *const *f, const size_t *lens, size_t n)
{
    return n == 3 && is_name(f[0], lens[0], "country") && is_name(f[1], lens[1], "price") &&
           is_name(f[2], lens[2], "currency");
}

/* Two or three ASCII letters of exactly len bytes, upper-cased into out. */
static bool letters(const char *s, size_t len, size_t want, char *out)
{
    if (len != want)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i] >= 'a' && s[i] <= 'z' ? (char)(s[i] - 32) : s[i];
        if (c < 'A' || c > 'Z')
            return false;
        out[i] = c;
    }
    out[len] = '\0';
    return true;
}

/* At most 16 bytes of field f (len n) for a message, never cut inside a UTF-8
 * sequence (the record is valid UTF-8: core/csv.h). */
static const char *clip(const char *f, size_t n, char out[20])
{
    size_t k = n < 16 ? n : 16;
    while (k < n && k > 0 && ((unsigned char)f[k] & 0xC0) == 0x80)
        k--;
    memcpy(out, f, k);
    out[k] = '\0';
    return out;
}

/* Check one record into *p; false after reporting its problems. */
static bool read_price(sg_price_list *l, size_t line, const char *const *f, const size_t *lens,
                       sg_price *p)
{
    bool ok = true;
    char c[20];
    if (!letters(f[0], lens[0], 2, p->country) || !sg_phone_region_valid(p->country)) {
        problem(l, line, "country", "'%s' is not an ISO 3166 alpha-2 country code such as GB",
                clip(f[0], lens[0], c));
        ok = false;
    }
    if (!sg_price_parse(f[1], lens[1], &p->micros)) {
        problem(l, line, "price",
                "'%s' is not a price: digits with at most 6 after the '.', at most 999999.999999",
                clip(f[1], lens[1], c));
        ok = false;
    }
    if (!letters(f[2], lens[2], 3, p->currency)) {
        problem(l, line, "currency", "'%s' is not a currency code of three letters such as USD",
                clip(f[2], lens[2], c));
        ok = false;
    }
    for (size_t i = 0; ok && i < l->n; i++) {
        if (strcmp(l->rows[i].country, p->country) == 0) {
            problem(l, line, "country", "%s has a price already, on an earlier line", p->country);
            ok = false;
        }
    }
    return ok;
}

static int on_record(void *user, size_t line, const char *const *f, const size_t *lens, size_t n,
                     const char *error)
{
    reader *r = user;
    sg_price_list *l = r->out;
    if (r->records++ == 0 && !error && is_header(f, lens, n))
        return 0;
    if (error) {
        problem(l, line, "", "the line is not valid CSV (%s)", error);
        return 0;
    }
    if (n != 3) {
        problem(l, line, "", "a price is 3 fields (country,price,currency), this line has %zu", n);
        return 0;
    }
    if (l->n == SG_PRICES_MAX_ROWS) {
        r->too_many = true;
        problem(l, line, "", "a price list holds at most %d prices", SG_PRICES_MAX_ROWS);
        return 1;
    }
    sg_price p;
    if (!read_price(l, line, f, lens, &p))
        return 0;
    if (l->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 32;
        sg_price *rows = realloc(l->rows, cap * sizeof *rows);
        if (!rows)
            return 1;
        l->rows = rows;
        r->cap = cap;
    }
    l->rows[l->n++] = p;
    return 0;
}

sg_err sg_prices_parse(const char *data, size_t len, sg_price_list *out)
{
    memset(out, 0, sizeof *out);
    if (len > SG_PRICES_MAX_BYTES) {
        problem(out, 0, "", "a price list is at most %d bytes", SG_PRICES_MAX_BYTES);
        return SG_ERR_TOO_LARGE;
    }
    reader r = {.out = out};
    sg_csv_limits lim = {.max_field = 64, .max_fields = 8, .max_record = 256};
    sg_csv *csv = NULL;
    sg_err err = sg_csv_new(&lim, on_record, &r, &csv);
    if (!err)
        err = sg_csv_feed(csv, len ? data : "", len);
    if (!err)
        err = sg_csv_finish(csv);
    sg_csv_free(csv);
    if (r.too_many) {
        sg_price_list_free(out);
        return SG_ERR_TOO_LARGE;
    }
    if (err == SG_CSV_STOPPED || err == SG_ERR_NOMEM)
        return SG_ERR_NOMEM; /* the callback stops only when out of memory otherwise */
    if (err)
        return err;
    if (!out->n_problems)
        return SG_OK;
    sg_price_list_free(out);
    return SG_ERR_INVALID;
}

void sg_price_list_free(sg_price_list *l)
{
    if (!l)
        return;
    free(l->rows);
    l->rows = NULL;
    l->n = 0;
}
