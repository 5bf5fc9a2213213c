/* libFuzzer driver for the provider price-list reader (src/core/prices.c), which
 * reads the text/csv body of PUT /v1/providers/{id}/prices and the file of
 * `smsgate provider prices set`. The whole input is the CSV text; the seeds in
 * fuzz/corpus/prices/ are price lists.
 *
 * Contracts checked, beyond ASan/UBSan (prices.h):
 *  - the result is SG_OK, SG_ERR_INVALID or SG_ERR_TOO_LARGE (never NOMEM here);
 *  - SG_OK: no problem reported; at most SG_PRICES_MAX_ROWS rows; every row's
 *    country is two upper-case letters, unique in the list; currency three
 *    upper-case letters; micros in [0, SG_PRICE_MAX_MICROS]; the price written
 *    back with sg_price_format parses to the same micros;
 *  - SG_ERR_INVALID / SG_ERR_TOO_LARGE: at least one problem, no rows kept; every
 *    problem's line is at most the number of lines + 1, its field one of
 *    "country", "price", "currency" or "", its detail non-empty;
 *  - input over SG_PRICES_MAX_BYTES is SG_ERR_TOO_LARGE. */
#include "fuzz_common.h"

#include "core/prices.h"

static size_t count_lines(const uint8_t *d, size_t n)
{
    size_t lines = 1;
    for (size_t i = 0; i < n; i++)
        if (d[i] == '\n' || (d[i] == '\r' && (i + 1 == n || d[i + 1] != '\n')))
            lines++;
    return lines;
}

static bool upper(const char *s, size_t n)
{
    if (strlen(s) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < 'A' || s[i] > 'Z')
            return false;
    return true;
}

static void check_ok(const sg_price_list *l)
{
    FUZZ_CHECK(l->n_problems == 0 && l->more_problems == 0, "OK with %zu problems", l->n_problems);
    FUZZ_CHECK(l->n <= SG_PRICES_MAX_ROWS, "%zu rows", l->n);
    for (size_t i = 0; i < l->n; i++) {
        const sg_price *p = &l->rows[i];
        FUZZ_CHECK(upper(p->country, 2), "row %zu country '%s'", i, p->country);
        FUZZ_CHECK(upper(p->currency, 3), "row %zu currency '%s'", i, p->currency);
        FUZZ_CHECK(p->micros >= 0 && p->micros <= SG_PRICE_MAX_MICROS, "row %zu micros %lld", i,
                   (long long)p->micros);
        char text[SG_PRICE_TEXT_MAX];
        sg_price_format(p->micros, text);
        int64_t back = -1;
        FUZZ_CHECK(sg_price_parse(text, strlen(text), &back) && back == p->micros,
                   "row %zu: '%s' does not read back as %lld", i, text, (long long)p->micros);
        for (size_t k = 0; k < i; k++)
            FUZZ_CHECK(strcmp(l->rows[k].country, p->country) != 0, "%s twice", p->country);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sg_price_list l;
    sg_err err = sg_prices_parse((const char *)data, size, &l);
    FUZZ_CHECK(err == SG_OK || err == SG_ERR_INVALID || err == SG_ERR_TOO_LARGE, "result %d",
               (int)err);
    if (size > SG_PRICES_MAX_BYTES)
        FUZZ_CHECK(err == SG_ERR_TOO_LARGE, "%zu bytes accepted", size);
    if (err == SG_OK) {
        check_ok(&l);
    } else {
        FUZZ_CHECK(l.n_problems > 0 && l.n == 0 && l.rows == NULL, "refused with %zu problems",
                   l.n_problems);
        size_t lines = size <= SG_PRICES_MAX_BYTES ? count_lines(data, size) : 0;
        for (size_t i = 0; i < l.n_problems; i++) {
            const sg_price_problem *p = &l.problems[i];
            FUZZ_CHECK(p->line <= lines + 1, "problem line %zu of %zu", p->line, lines);
            FUZZ_CHECK(!strcmp(p->field, "") || !strcmp(p->field, "country") ||
                           !strcmp(p->field, "price") || !strcmp(p->field, "currency"),
                       "field '%s'", p->field);
            FUZZ_CHECK(p->detail[0], "problem %zu without a detail", i);
        }
    }
    sg_price_list_free(&l);
    return 0;
}
