/* Provider prices (docs/routing.md, "Prices"): a CSV of `country,price,currency`
 * rows read into a checked list, and prices as exact decimals. Pure: no I/O, no
 * global state; memory bounded by SG_PRICES_MAX_BYTES and SG_PRICES_MAX_ROWS.
 *
 * A price is what one SMS segment to a number of the country costs, in the
 * currency's unit, kept as an integer count of millionths (micros) so that sums
 * are exact: "0.0075" is 7500. */
#ifndef SG_CORE_PRICES_H
#define SG_CORE_PRICES_H

#include "util/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SG_PRICES_MAX_BYTES  65536          /* a price list as sent */
#define SG_PRICES_MAX_ROWS   1000           /* prices in one list (there are about 250 regions) */
#define SG_PRICES_MAX_ERRORS 20             /* problems reported; the rest are counted */
#define SG_PRICE_MAX_MICROS  999999999999LL /* 999999.999999 */
#define SG_PRICE_TEXT_MAX    24             /* "999999.999999" and more, NUL included */

typedef struct sg_price {
    char country[3];  /* ISO 3166 alpha-2, upper case */
    int64_t micros;   /* per segment, millionths of the currency's unit */
    char currency[4]; /* ISO 4217 shape: three upper-case letters */
} sg_price;

/* One problem of a price list: its 1-based line, the column at fault ("country",
 * "price", "currency", or "" for the whole row) and a sentence. */
typedef struct sg_price_problem {
    size_t line;
    char field[16];
    char detail[160];
} sg_price_problem;

typedef struct sg_price_list {
    sg_price *rows; /* malloc'd, in input order; owned */
    size_t n;
    sg_price_problem problems[SG_PRICES_MAX_ERRORS];
    size_t n_problems;    /* kept in problems[] */
    size_t more_problems; /* found beyond SG_PRICES_MAX_ERRORS */
} sg_price_list;

/* Read a price list. The first record may be the header `country,price,currency`
 * (any case, spaces around names ignored); every other record is one price:
 * exactly three fields, a region libphonenumber knows (any case), a decimal
 * price (digits, at most one '.', at most 6 digits after it, at most
 * 999999.999999; no sign, no exponent), a currency of three letters (any case). A
 * region may appear once. Blank lines are skipped; the CSV rules are core/csv.h's.
 *
 * SG_OK: every row is good and *out holds them (n may be 0: an empty list).
 * SG_ERR_INVALID: *out->problems says why, line by line (rows are not kept).
 * SG_ERR_TOO_LARGE: len > SG_PRICES_MAX_BYTES or more than SG_PRICES_MAX_ROWS rows
 * (one problem, line 0 or the row's line). SG_ERR_NOMEM. Free *out with
 * sg_price_list_free in every case. */
sg_err sg_prices_parse(const char *data, size_t len, sg_price_list *out);
void sg_price_list_free(sg_price_list *l);

/* Parse a decimal price of len bytes (the rules above) into *micros. */
bool sg_price_parse(const char *s, size_t len, int64_t *micros);

/* micros as a decimal without trailing zeros after the point ("0.0075", "1",
 * "12.5"); negative values get a '-'. out holds at least SG_PRICE_TEXT_MAX. */
void sg_price_format(int64_t micros, char out[SG_PRICE_TEXT_MAX]);

#endif
