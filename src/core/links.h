/* Click tracking: find the URLs in an SMS body and rebuild the body with each one
 * replaced by a short tracking link ("{public-url}/l/{code}"). Pure functions: the
 * caller makes the codes and stores the targets, through a callback.
 *
 * What counts as a URL:
 *  - it starts with "http://" or "https://" (scheme in any case) or with "www."
 *    (any case: phones capitalise "Www." at the start of a sentence), at a word
 *    boundary: the byte before it, if any, is not an ASCII letter or digit, '.',
 *    '@', '/' or '-'. So "user@www.example.com" and "a.www.example.com" hold no
 *    URL, while "(www.example.com", "😀www.example.com" and "url=https://x.org" do;
 *  - it runs to the first ASCII whitespace, control character (C0, DEL, or C1
 *    such as U+0085), '<', '>', '"', or Unicode space (U+00A0, U+1680,
 *    U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000). Every other byte,
 *    including all other UTF-8 (accented letters, CJK, emoji), is part of it:
 *    "https://x.org😀" is one URL;
 *  - then trailing . , ; : ! ? ' are dropped, and so is a trailing ) ] or } that
 *    has no opening partner inside the URL, repeatedly: "(https://x.org/a)." gives
 *    "https://x.org/a", "https://x.org/a_(b))" gives "https://x.org/a_(b)";
 *  - something must be left after the "http://", "https://" or "www.": a bare
 *    "http://" or "www." (or "http://." after trimming) is not a URL;
 *  - a URL of more than SG_LINKS_MAX_URL bytes (after trimming) is left as it is,
 *    and nothing inside it is looked at: no part of it is replaced.
 *
 * A "www." URL is handed over as written, without a scheme ("www.example.org/x").
 * Whoever stores it as a redirect target must prefix "https://" to it.
 *
 * The body is taken by length, not by NUL. It is not required to be valid UTF-8
 * (bytes >= 0x80 are part of a URL unless they form one of the spaces or C1
 * controls above); the URL text passed on is the sender's, unvalidated. */
#ifndef SG_CORE_LINKS_H
#define SG_CORE_LINKS_H

#include "util/buf.h"
#include "util/err.h"

#include <stdbool.h>
#include <stddef.h>

#define SG_LINKS_MAX_URL 2048 /* bytes; longer URLs are not replaced */

/* Append the replacement for the URL url[0..len) to out (for example
 * "https://sms.example.org/l/Ab3dE9xYz2"; for a "www." URL the text has no scheme,
 * see above). url points into the body and is not NUL-terminated. Return SG_OK,
 * or an error, which stops the rewrite and is returned by sg_links_rewrite. The
 * callback must only append to out; it may append nothing. */
typedef sg_err (*sg_link_fn)(void *user, const char *url, size_t len, sg_buf *out);

/* Find the first URL that starts at or after body[from]: true with *start and *ulen
 * set (body[*start .. *start + *ulen) is the URL, 1 <= *ulen <= SG_LINKS_MAX_URL),
 * false when there is none (or from >= len). The word boundary is checked against
 * body[from - 1], so from must be 0 or the end of the previous URL found
 * (*start + *ulen); starting inside an over-long URL would find URLs inside it.
 * body may be NULL only when len is 0. */
bool sg_links_next(const char *body, size_t len, size_t from, size_t *start, size_t *ulen);

/* Append body[0..len) to out with each URL replaced by what fn appends for it, in
 * order. A body without URLs is one append. *count (if count is not NULL) gets the
 * number of URLs replaced.
 * All or nothing: on an error (fn's, or SG_ERR_TOO_LARGE / SG_ERR_NOMEM from out)
 * out is put back to the length it had on entry, *count is 0, and that error is
 * returned; fn is not called again after it fails. SG_ERR_INVALID if fn or out is
 * NULL, or body is NULL with len > 0. out keeps its own memory (sg_buf_free). */
sg_err sg_links_rewrite(const char *body, size_t len, sg_link_fn fn, void *user, sg_buf *out,
                        size_t *count);

#endif
