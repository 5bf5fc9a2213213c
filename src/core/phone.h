/* Phone numbers through libphonenumber (phone_shim.cc holds the C++). Inputs in
 * national format use the default region; output is always E.164. Thread-safe.
 * Input already in E.164 form ("+447400123456") is mostly answered by a fast path
 * over libphonenumber's own metadata (phone_fast.cc), with the same answers. */
#ifndef SG_CORE_PHONE_H
#define SG_CORE_PHONE_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SG_PHONE_MAX 24 /* "+" and up to 15 digits, NUL, with room to spare */

typedef enum sg_phone_type {
    SG_PHONE_TYPE_UNKNOWN = 0,
    SG_PHONE_TYPE_MOBILE,
    SG_PHONE_TYPE_FIXED_LINE,
    SG_PHONE_TYPE_FIXED_LINE_OR_MOBILE, /* NANP: cannot be told apart */
    SG_PHONE_TYPE_OTHER,                /* toll-free, VoIP, personal, pager, ... */
} sg_phone_type;

typedef enum sg_phone_status {
    SG_PHONE_OK = 0,
    SG_PHONE_INVALID,    /* unparseable, or not a valid number for its region */
    SG_PHONE_BAD_REGION, /* national input and default_region is not a known region */
} sg_phone_status;

/* Normalise input (international "+44 7400 123456", "0044...", or national
 * "07400 123456" read in default_region, e.g. "GB"; default_region may be NULL or
 * "" when only international input is expected). On SG_PHONE_OK writes the E.164
 * form into e164 (SG_PHONE_MAX bytes) and the number's type into *type (may be
 * NULL). Input longer than 64 bytes is invalid. Only ASCII digits, spaces, tabs,
 * "-", "(", ")", ".", "/" and one "+" before the first digit are accepted: no
 * letters (libphonenumber would read "1-800-FLOWERS" as digits), no extensions, no
 * leading text. SG_PHONE_BAD_REGION is returned only when the input is not in "+"
 * form and default_region is NULL, empty or unknown ("0044..." needs a region to
 * know that "00" is the international prefix). default_region is read without
 * regard to case. */
sg_phone_status sg_phone_normalize(const char *input, const char *default_region,
                                   char e164[SG_PHONE_MAX], sg_phone_type *type);

/* The reference sg_phone_normalize is checked against: the same contract, answered
 * by libphonenumber alone (Parse, GetNumberType, Format), never by the fast path.
 * sg_phone_normalize must give the same status, number and type for every input;
 * the unit tests and the phone fuzz target compare the two. On E.164 input it is
 * some 20 µs a call against well under 1: for tests, not for the hot path. */
sg_phone_status sg_phone_normalize_reference(const char *input, const char *default_region,
                                             char e164[SG_PHONE_MAX], sg_phone_type *type);

/* Test hook: how many sg_phone_normalize calls made by the calling thread the fast
 * path answered, so that a test can tell a fast path that is used from one that
 * always falls back. Counts per thread, so that counting costs nothing shared. */
unsigned long sg_phone_fast_path_hits(void);

/* True when a number of this type may receive SMS: everything except a number
 * libphonenumber knows to be fixed-line. */
bool sg_phone_type_can_sms(sg_phone_type type);

/* True if region is a two-letter region libphonenumber supports ("GB", "US"; case
 * does not matter, so "gb" is accepted too; "ZZ", "001" and "GBR" are not). */
bool sg_phone_region_valid(const char *region);

const char *sg_phone_type_name(sg_phone_type type); /* "mobile", "fixed_line", ... */

/* The region (ISO 3166 alpha-2, "GB") of an E.164 number into out; false when the
 * number is invalid or belongs to no single region (+800, ...). */
bool sg_phone_region(const char *e164, char out[3]);
/* The reference sg_phone_region is checked against: libphonenumber alone (Parse,
 * GetRegionCodeForNumber), never the fast path. For tests. */
bool sg_phone_region_reference(const char *e164, char out[3]);

#ifdef __cplusplus
}
#endif

#endif
