#include "core/country_set.h"
#include "core/phone.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int code_cmp(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* Add one trimmed item of len bytes; false with bad filled in when it is not a
 * region or the set is full. */
static bool add_item(sg_country_set *set, const char *item, size_t len, char bad[16])
{
    char code[3];
    if (len != 2) {
        snprintf(bad, 16, "%.*s", (int)(len < 15 ? len : 15), item);
        return false;
    }
    code[0] = (char)(item[0] >= 'a' && item[0] <= 'z' ? item[0] - 32 : item[0]);
    code[1] = (char)(item[1] >= 'a' && item[1] <= 'z' ? item[1] - 32 : item[1]);
    code[2] = '\0';
    if (!sg_phone_region_valid(code)) {
        snprintf(bad, 16, "%.2s", item);
        return false;
    }
    for (size_t i = 0; i < set->n; i++) {
        if (strcmp(set->codes[i], code) == 0)
            return true;
    }
    if (set->n == SG_COUNTRY_SET_MAX) {
        snprintf(bad, 16, "too many");
        return false;
    }
    memcpy(set->codes[set->n++], code, 3);
    return true;
}

bool sg_country_set_parse(const char *text, sg_country_set *set, char bad[16])
{
    memset(set, 0, sizeof *set);
    bad[0] = '\0';
    const char *p = text ? text : "";
    while (*p) {
        while (*p == ' ' || *p == '\t')
            p++;
        const char *start = p;
        while (*p && *p != ',')
            p++;
        const char *end = p;
        while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        if (end == start && *p == ',') {
            snprintf(bad, 16, ",");
            return false;
        }
        if (end > start && !add_item(set, start, (size_t)(end - start), bad))
            return false;
        if (*p == ',')
            p++;
    }
    qsort(set->codes, set->n, sizeof set->codes[0], code_cmp);
    return true;
}

bool sg_country_set_allows(const sg_country_set *set, const char *region)
{
    if (set->n == 0)
        return true;
    return region && bsearch(region, set->codes, set->n, sizeof set->codes[0], code_cmp) != NULL;
}

void sg_country_set_format(const sg_country_set *set, char *out, size_t cap)
{
    size_t used = 0;
    if (cap)
        out[0] = '\0';
    for (size_t i = 0; i < set->n && used + 4 <= cap; i++)
        used += (size_t)snprintf(out + used, cap - used, "%s%s", i ? "," : "", set->codes[i]);
}
