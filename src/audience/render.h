/* What a broadcast sends one recipient: the template rendered with the contact's
 * fields, its URLs replaced by tracked links, ready to count in segments. Shared
 * by the broadcaster, the template preview and single sends with tracking. */
#ifndef SG_AUDIENCE_RENDER_H
#define SG_AUDIENCE_RENDER_H

#include "core/template.h"
#include "store/store.h"
#include "util/buf.h"

#include <jansson.h>

typedef struct sg_render_contact {
    const char *phone;
    const char *first_name;
    const char *last_name;
    json_t *attributes; /* object, borrowed; may be NULL */
} sg_render_contact;

/* Render tpl for the contact into out (appended). */
sg_err sg_render_body(const char *tpl, const sg_render_contact *c, sg_buf *out,
                      sg_tpl_error *err);

struct sg_tz;
/* The zone whose clock a contact's quiet hours and times of day follow: the
 * "timezone" attribute of attrs (may be NULL), else the zone of the number's
 * country when the tz database lists exactly one, else fallback ("" is UTC).
 * NULL only when not even that zone can be read. Borrowed (util/tz.h caches). */
const struct sg_tz *sg_render_zone(const char *phone, json_t *attrs, const char *fallback);

/* A short unguessable code: 10 characters of [0-9A-Za-z] (59 bits) from the
 * system's CSPRNG. */
void sg_link_code_new(char out[SG_LINK_CODE_MAX]);

/* Rewrite every URL of body as public_url + "/l/" + a new code, into out; the
 * links (code and original URL) into *links (malloc'd, free with
 * sg_render_links_free), their number into *n. */
sg_err sg_render_links(const char *body, const char *public_url, sg_buf *out, sg_link **links,
                       size_t *n);
void sg_render_links_free(sg_link *links, size_t n);

#endif
