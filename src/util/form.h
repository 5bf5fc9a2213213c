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
    char *key;   /* decoded, NUL-terminated, owned by the form */
    char *value; /* decoded, NUL-terminated, owned by the form */
} sg_form_pair;

typedef struct sg_form {
    sg_form_pair *pairs;
    size_t n;
} sg_form;

/* Parse len bytes of data. Fails with SG_ERR_INVALID on a bad %-escape or a
 * decoded NUL byte, SG_ERR_TOO_LARGE beyond SG_FORM_MAX_PAIRS pairs. A pair
 * without '=' has an empty value. Empty pairs ("a=1&&b=2") are skipped. */
sg_err sg_form_parse(const char *data, size_t len, sg_form *out);
void sg_form_free(sg_form *f);
/* First value of key, or NULL. */
const char *sg_form_get(const sg_form *f, const char *key);

/* Append key=value (percent-encoded; space as %20, as twilio-node does; unreserved
 * characters A-Z a-z 0-9 - _ . ~ left as they are) to b, with a leading '&' when
 * b is not empty. */
sg_err sg_form_add(sg_buf *b, const char *key, const char *value);
/* Percent-encode s (same rules) onto b. */
sg_err sg_url_encode(sg_buf *b, const char *s);

#endif
