/* Phone numbers through libphonenumber (phone_shim.cc holds the C++). Inputs in
 * national format use the default region; output is always E.164. Thread-safe. */
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
    SG_PHONE_INVALID,        /* unparseable, or not a valid number for its region */
    SG_PHONE_BAD_REGION,     /* national input and default_region is not a known region */
} sg_phone_status;

/* Normalise input (international "+44 7400 123456", "0044...", or national
 * "07400 123456" read in default_region, e.g. "GB"; default_region may be NULL or
 * "" when only international input is expected). On SG_PHONE_OK writes the E.164
 * form into e164 (SG_PHONE_MAX bytes) and the number's type into *type (may be
 * NULL). Input longer than 64 bytes is invalid. */
sg_phone_status sg_phone_normalize(const char *input, const char *default_region,
                                   char e164[SG_PHONE_MAX], sg_phone_type *type);

/* True when a number of this type may receive SMS: everything except a number
 * libphonenumber knows to be fixed-line. */
bool sg_phone_type_can_sms(sg_phone_type type);

/* True if region is a two-letter region libphonenumber supports ("GB", "US"). */
bool sg_phone_region_valid(const char *region);

const char *sg_phone_type_name(sg_phone_type type); /* "mobile", "fixed_line", ... */

#ifdef __cplusplus
}
#endif

#endif
