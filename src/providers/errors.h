/* The error-code catalogue over every provider kind: each kind's rows (its table
 * row's errors, from src/providers/<kind>/errors.c) in the kinds table's order, a
 * table shared by several kinds once, then smsgate's own rows (core/errcodes.h).
 * Served at GET /v1/error-codes. Every pointer returned is static. */
#ifndef SG_PROVIDERS_ERRORS_H
#define SG_PROVIDERS_ERRORS_H

#include "core/errcodes.h"

#include <stddef.h>

struct sg_provider_kind;

/* The row for (provider, code) in any kind's catalogue or smsgate's own, or NULL.
 * provider is the catalogue name the rows carry ("clickatell" for both Clickatell
 * kinds). */
const sg_errcode *sg_errcode_find(const char *provider, const char *code);

/* The row for code in kind k's own catalogue (k->errors), or NULL. */
const sg_errcode *sg_provider_kind_errcode(const struct sg_provider_kind *k, const char *code);

/* A one-line description (the title) of an error code whatever the provider:
 * the kinds' catalogues in the kinds table's order, then smsgate's own, and
 * "opted_out"; NULL when no catalogue knows it. */
const char *sg_errcode_describe(const char *code);

/* The i-th row of the whole catalogue (i from 0), or NULL past its end. */
const sg_errcode *sg_errcode_at(size_t i);
/* How many rows the whole catalogue has. */
size_t sg_errcodes_count(void);

#endif
