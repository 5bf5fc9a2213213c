/* application/x-www-form-urlencoded: encoding for requests to providers, and a
 * bounded parser for what providers and clients send us. Both '+' and "%20" decode
 * to a space. Keys and values keep their order; repeated keys are kept. */
#ifndef SG_UTIL_FORM_H
#define SG_UTIL_FORM_H

#include "util/buf.h"
#include "util/err.h"

#include <stddef.h>

#define SG_FORM_MAX_PAIRS 256

typedef struct sg_form_pair {
    char *key;        /* decoded, NUL-terminated, owned by the form */
    char *value;      /* decoded, NUL-terminated, owned by the form */
    size_t value_len; /* bytes of value; more than strlen(value) when it holds NUL bytes */
} sg_form_pair;

typedef struct sg_form {
    sg_form_pair *pairs;
    size_t n;
} sg_form;

/* Parse len bytes of data. Fails with SG_ERR_INVALID on a bad %-escape or a
 * decoded NUL byte, SG_ERR_TOO_LARGE beyond SG_FORM_MAX_PAIRS pairs. A pair
 * without '=' has an empty value. Empty pairs ("a=1&&b=2") are skipped. */
sg_err sg_form_parse(const char *data, size_t len, sg_form *out);
/* The same, but a value may hold decoded NUL bytes (value_len counts them; a NUL
 * in a key is still refused): for a provider's callbacks, whose text is the
 * provider's to decode. */
sg_err sg_form_parse_keep_nul(const char *data, size_t len, sg_form *out);
void sg_form_free(sg_form *f);
/* First value of key, or NULL. */
const char *sg_form_get(const sg_form *f, const char *key);
/* First value of key and its length in *len (NUL bytes included), or NULL. */
const char *sg_form_get_n(const sg_form *f, const char *key, size_t *len);

/* Append key=value (percent-encoded; space as %20, as twilio-node does; unreserved
 * characters A-Z a-z 0-9 - _ . ~ left as they are) to b, with a leading '&' when
 * b is not empty. */
sg_err sg_form_add(sg_buf *b, const char *key, const char *value);
/* The same with a value of vlen bytes, which may hold NUL bytes (as %00). */
sg_err sg_form_add_n(sg_buf *b, const char *key, const char *value, size_t vlen);
/* Percent-encode s (same rules) onto b. */
sg_err sg_url_encode(sg_buf *b, const char *s);

/* The value of one hexadecimal digit (either case), or -1. */
int sg_hex_value(char c);

#endif
