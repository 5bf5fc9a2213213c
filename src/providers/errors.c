/* The catalogue over every kind (providers/errors.h): the kinds' tables in the
 * kinds table's order, each once, then smsgate's own rows. A few hundred rows:
 * lookups walk them, no index to build or lock. */
#include "providers/errors.h"
#include "providers/provider.h"

#include <string.h>

/* Whether kinds[i]'s table already hung off an earlier kind (both Clickatell
 * kinds share one). */
static bool seen_before(const sg_provider_kind *const *kinds, size_t i)
{
    for (size_t j = 0; j < i; j++) {
        if (kinds[j]->errors == kinds[i]->errors)
            return true;
    }
    return false;
}

/* The t-th distinct table of the catalogue (t from 0), smsgate's own last; NULL
 * past the end. */
static const sg_errcode *table(size_t t)
{
    const sg_provider_kind *const *kinds = sg_provider_kinds();
    for (size_t i = 0; kinds[i]; i++) {
        if (!kinds[i]->errors || seen_before(kinds, i))
            continue;
        if (t-- == 0)
            return kinds[i]->errors;
    }
    return t == 0 ? sg_errcodes_own() : NULL;
}

const sg_errcode *sg_errcode_find(const char *provider, const char *code)
{
    const sg_errcode *rows;
    for (size_t t = 0; (rows = table(t)); t++) {
        const sg_errcode *ec = sg_errcode_in(rows, provider, code);
        if (ec)
            return ec;
    }
    return NULL;
}

const sg_errcode *sg_provider_kind_errcode(const sg_provider_kind *k, const char *code)
{
    if (!k || !k->errors || !code)
        return NULL;
    for (const sg_errcode *r = k->errors; r->code; r++) {
        if (strcmp(r->code, code) == 0)
            return r;
    }
    return NULL;
}

const char *sg_errcode_describe(const char *code)
{
    if (!code)
        return NULL;
    if (strcmp(code, "opted_out") == 0)
        return "The recipient opted out; smsgate did not send the message.";
    const sg_errcode *rows;
    for (size_t t = 0; (rows = table(t)); t++) {
        for (const sg_errcode *r = rows; r->code; r++) {
            if (strcmp(r->code, code) == 0)
                return r->title;
        }
    }
    return NULL;
}

const sg_errcode *sg_errcode_at(size_t i)
{
    const sg_errcode *rows;
    for (size_t t = 0; (rows = table(t)); t++) {
        size_t n = 0;
        while (rows[n].code)
            n++;
        if (i < n)
            return &rows[i];
        i -= n;
    }
    return NULL;
}

size_t sg_errcodes_count(void)
{
    size_t n = 0;
    const sg_errcode *rows;
    for (size_t t = 0; (rows = table(t)); t++) {
        for (const sg_errcode *r = rows; r->code; r++)
            n++;
    }
    return n;
}
