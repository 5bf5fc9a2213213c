/* Internal to core/phone: the fast path of sg_phone_normalize (phone_fast.cc) and
 * what the unit tests need to check it against libphonenumber. Not for other
 * modules: they call core/phone.h.
 *
 * The fast path answers, for input in canonical E.164 form ("+", a digit 1-9, then
 * digits only, 3 to 15 digits in all), what libphonenumber's Parse() followed by
 * GetNumberType() would answer, from libphonenumber's own metadata and with PCRE2
 * in place of its ICU regular expressions. Whenever it cannot be sure that Parse()
 * would read the number exactly as written (a national prefix or leading zero it
 * might strip, an unknown calling code it might read through the default region's
 * international prefix, a non-geographic entity, a pattern PCRE2 cannot compile or
 * a match that fails for lack of resources), it declines and the caller asks
 * libphonenumber. Thread-safe: the tables are built once, the compiled patterns
 * are shared read-only and each thread has its own match data. */
#ifndef SG_CORE_PHONE_FAST_H
#define SG_CORE_PHONE_FAST_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
#include <phonenumbers/phonenumberutil.h>

/* True when the fast path answered: *type is then what GetNumberType(Parse(input))
 * gives (UNKNOWN: the number is not valid), and the number's E.164 form is input
 * itself. False: the caller must use libphonenumber. input need not be
 * NUL-terminated; len is its length. Never throws. */
bool sg_phone_fast_number_type(const char *input, size_t len,
                               i18n::phonenumbers::PhoneNumberUtil::PhoneNumberType *type);

extern "C" {
#endif

/* True when the fast path answered GetRegionCodeForNumber(Parse(input, "ZZ")):
 * *found says whether the number has a region, written into out ("GB"); the
 * region is what libphonenumber would answer. False: the caller must use
 * libphonenumber. Never throws. */
bool sg_phone_fast_region(const char *input, size_t len, char out[3], bool *found);


/* True if input (len bytes) has the shape the fast path reads: "+", a digit 1-9,
 * then only digits, 3 to 15 digits in all. Shape only: the fast path may still
 * decline such input. */
bool sg_phone_fast_shape(const char *input, size_t len);

/* For tests: one region (or non-geographic entity) of libphonenumber's metadata,
 * in the metadata's order. The strings belong to the fast path's tables and live
 * as long as the process. */
#define SG_PHONE_FAST_EXAMPLES 11 /* general, premium, toll-free, ..., fixed line, mobile */

typedef struct sg_phone_region_info {
    int calling_code;
    const char *id;              /* "GB"; "001" for a non-geographic entity (+800, ...) */
    const char *national_prefix; /* "" when the region has none */
    const char *national_prefix_for_parsing; /* a pattern; "" when none */
    /* The example_number of each number description; NULL where there is none. */
    const char *examples[SG_PHONE_FAST_EXAMPLES];
} sg_phone_region_info;

/* Fills *out with the i-th region of the metadata; false when i is past the last
 * one (or the metadata could not be read). */
bool sg_phone_fast_region_at(size_t i, sg_phone_region_info *out);

#ifdef __cplusplus
}
#endif

#endif
