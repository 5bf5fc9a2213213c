/* A set of destination countries (ISO 3166 alpha-2 regions as libphonenumber names
 * them: "GB", "US"), for the toll-fraud limits: the deployment's allowed countries
 * and, narrower, an API key's. An empty set allows every country. */
#ifndef SG_CORE_COUNTRY_SET_H
#define SG_CORE_COUNTRY_SET_H

#include <stdbool.h>
#include <stddef.h>

#define SG_COUNTRY_SET_MAX 64 /* regions in one set */
#define SG_COUNTRY_TEXT_MAX (SG_COUNTRY_SET_MAX * 3 + 1)

typedef struct sg_country_set {
    char codes[SG_COUNTRY_SET_MAX][3]; /* upper case, sorted, no duplicates */
    size_t n;
} sg_country_set;

/* Parse "GB,us, IE" (commas, optional spaces, any case) into set. "" gives the
 * empty set (every country). On failure returns false and writes the offending
 * item (at most 15 characters) into bad: not a region libphonenumber knows, or more
 * than SG_COUNTRY_SET_MAX regions ("too many"). */
bool sg_country_set_parse(const char *text, sg_country_set *set, char bad[16]);
/* True if region ("GB") is in set, or set is empty. */
bool sg_country_set_allows(const sg_country_set *set, const char *region);
/* "GB,IE" (sorted; "" for the empty set) into out (SG_COUNTRY_TEXT_MAX bytes). */
void sg_country_set_format(const sg_country_set *set, char *out, size_t cap);

#endif
