/* What a log line may say about a secret or a phone number. Logs go to files and
 * log collectors that more people read than the API's admins, so secrets are
 * replaced whole and phone numbers keep only what identifies a country and lets
 * an operator tell two numbers apart in one incident. */
#ifndef SG_CORE_REDACT_H
#define SG_CORE_REDACT_H

#include <stddef.h>

#define SG_REDACTED "[redacted]"

/* Digits of the country calling code at the start of digits (an E.164 number
 * without its '+'): 1 for +1 and +7, 2 for the two-digit codes ITU assigns (+44,
 * +49, +91, ...), 3 otherwise. 0 when digits does not start with a digit 1-9. */
size_t sg_calling_code_len(const char *digits);

/* Write a phone number fit for a log into out (cap >= 1; cut to fit):
 * "+<country code><one * per hidden digit><last 2 digits>", e.g. "+447700900123"
 * -> "+44********23". Text that is not "+" and 6-15 digits (a national number, a
 * typo, anything) keeps only its last 2 characters when it has more than 6 and
 * is masked whole otherwise, so that nothing longer than a country code and two
 * digits of any input ever reaches the log. */
void sg_redact_phone(const char *in, char *out, size_t cap);

#endif
