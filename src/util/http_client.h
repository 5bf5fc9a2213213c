/* One way to make an outgoing HTTP request with libcurl, shared by every client in
 * smsgate: the dispatcher (provider APIs), the webhook worker (app webhooks), the
 * simulators (their callbacks and `simulate inject`) and the CLI's API client.
 *
 * A request is described by an sg_http_request. sg_http_call_init configures an
 * easy handle from it (the caller hands the handle to its curl multi loop) and
 * sg_http_call_perform runs it blocking. Fixed for every call, whoever makes it:
 * http and https only, redirects never followed (a 3xx is the answer), no signals
 * (libcurl runs in threads), no "Expect: 100-continue", TLS peers and host names
 * verified (libcurl's default, stated once here and never switched off). The
 * answer's body goes into a bounded collector (sg_http_body): it never grows past
 * its maximum. Failures are described by one function (sg_http_call_error), so a
 * refused address, an answer too large and a transport error read the same in
 * every log, record and command output.
 *
 * docs/internals/http.md is the map (limits, timeouts, the outbound policy). */
#ifndef SG_UTIL_HTTP_CLIENT_H
#define SG_UTIL_HTTP_CLIENT_H

#include "util/buf.h"
#include "util/err.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>

struct sockaddr;

#define SG_HTTP_HEADER_LINE_MAX 1024 /* one "Name: value" line */
#define SG_HTTP_ADDR_TEXT_MAX   64   /* "[v6]:port" */

/* ---- the answer's body ------------------------------------------------------------ */

/* What happens when more than max bytes arrive. */
typedef enum sg_http_overflow {
    SG_HTTP_OVERFLOW_FAIL = 0, /* the transfer ends with an error ("answer larger than ...") */
    SG_HTTP_OVERFLOW_CUT,      /* the first max bytes are kept, the rest read and dropped */
} sg_http_overflow;

/* A bounded collector of an answer's body. keep false: bytes are only counted
 * (a receiver whose answer is never read may still not talk for ever). */
typedef struct sg_http_body {
    sg_buf kept;
    size_t max;      /* bytes kept (or counted, when not kept) at most */
    size_t received; /* every byte that arrived, dropped ones included */
    bool keep;
    sg_http_overflow overflow;
    bool over; /* more than max arrived */
} sg_http_body;

void sg_http_body_init(sg_http_body *b, size_t max, bool keep, sg_http_overflow overflow);
/* Take n more bytes of the answer. False when the transfer must stop: more than max
 * bytes under SG_HTTP_OVERFLOW_FAIL, or out of memory. */
bool sg_http_body_add(sg_http_body *b, const char *data, size_t n);
/* The bytes kept, NUL-terminated ("" when none); valid until the next add or free. */
const char *sg_http_body_data(const sg_http_body *b);
size_t sg_http_body_len(const sg_http_body *b);
void sg_http_body_free(sg_http_body *b);

/* ---- headers ---------------------------------------------------------------------- */

/* "Name: value" into out; an empty value gives "Name:", which makes libcurl leave
 * out a header it would add itself ("Expect:"). Refuses (SG_ERR_INVALID) a name
 * that is empty or holds ':', a space or a control character, a value with CR, LF
 * or NUL (header injection), and (SG_ERR_TOO_LARGE) a line longer than cap - 1. */
sg_err sg_http_header_line(char *out, size_t cap, const char *name, const char *value);

/* A curl header list of the n lines followed by "Expect:" (no 100-continue), for
 * CURLOPT_HTTPHEADER; *out is NULL-safe to free with curl_slist_free_all. A line
 * holding CR or LF is refused (SG_ERR_INVALID); SG_ERR_NOMEM on out of memory. On
 * an error *out is NULL. */
sg_err sg_http_header_list(const char *const *lines, size_t n, struct curl_slist **out);

/* ---- one request ------------------------------------------------------------------ */

/* Asked for each address libcurl is about to connect to (after DNS, every address
 * tried): NULL to connect, or a short static phrase saying what the address is
 * ("loopback address (not in --outbound-allow)") to refuse it. */
typedef const char *(*sg_http_addr_check)(void *ctx, const struct sockaddr *addr);

/* What to send and how. Strings are copied by libcurl at init, except body, which
 * must live until the transfer ends. */
typedef struct sg_http_request {
    const char *method;         /* "GET", "POST", or another verb sent as written */
    const char *url;            /* http:// or https:// */
    const char *const *headers; /* n_headers "Name: value" lines ("Name:" removes one) */
    size_t n_headers;
    const char *body; /* body_len bytes; NULL: no body (a POST sends an empty one) */
    size_t body_len;
    long connect_timeout_ms; /* 0: libcurl's default */
    long timeout_ms;         /* the whole transfer; 0: none */
    const char *user_agent;  /* NULL: no User-Agent header */
    bool tcp_keepalive;
    bool no_proxy; /* ignore http_proxy and the like: connect to the receiver itself */
    size_t answer_max;
    bool answer_discard; /* count the answer's bytes, keep none */
    sg_http_overflow answer_overflow;
    /* The outbound address policy, or NULL for none. Set, it implies no_proxy: the
     * address judged must be the receiver's, not a proxy's. */
    sg_http_addr_check addr_check;
    void *addr_ctx;
    /* Errors with libcurl's detailed text ("Failed to connect to 127.0.0.1 port 1
     * after 0 ms: Couldn't connect to server") instead of its short one ("Couldn't
     * connect to server"): for tools whose user owns the URL (simulators, the CLI).
     * Servers keep the short one: it goes into records other keys may read. */
    bool detailed_errors;
    void *owner; /* CURLOPT_PRIVATE: found again from the easy handle */
} sg_http_request;

/* One request in progress and what came back. Must not move between init and the
 * end of the transfer (libcurl holds pointers into it). */
typedef struct sg_http_call {
    CURL *easy;
    struct curl_slist *headers;
    sg_http_body answer;
    sg_http_addr_check addr_check;
    void *addr_ctx;
    const char *refused; /* the addr_check's phrase for the last address it refused */
    char refused_addr[SG_HTTP_ADDR_TEXT_MAX];
    bool detailed_errors;
    char errbuf[CURL_ERROR_SIZE];
} sg_http_call;

/* Configure c (zeroed by the caller) for r on easy, or on a new handle when easy is
 * NULL; c owns the handle from then on, also when this fails. SG_ERR_INVALID (a
 * bad header line, no method or URL) or SG_ERR_NOMEM, with why in e; c must be
 * released or freed either way. */
sg_err sg_http_call_init(sg_http_call *c, CURL *easy, const sg_http_request *r, sg_error *e);

/* Set the owner found again from the easy handle (CURLINFO_PRIVATE), for a call
 * configured by code that does not know it (the simulators' request builders). */
void sg_http_call_set_owner(sg_http_call *c, void *owner);

/* Run the configured request to its end (blocking). */
CURLcode sg_http_call_perform(sg_http_call *c);

/* The answer's HTTP status, 0 when none came. */
long sg_http_call_status(const sg_http_call *c);
/* The answer's Content-Type, "" when none; valid until the call is released. */
const char *sg_http_call_content_type(const sg_http_call *c);

/* Why a transfer that ended with rc failed, into out (cap > 0); "" when rc is
 * CURLE_OK. In order: "refused by the outbound policy: ADDR is a PHRASE", "answer
 * larger than N bytes", libcurl's text (detailed or short, see the request). */
const char *sg_http_call_error(const sg_http_call *c, CURLcode rc, char *out, size_t cap);

/* Free what c holds and hand back its easy handle, reset for another request (to
 * keep an idle pool of handles whose connections stay open); NULL when c had none. */
CURL *sg_http_call_release(sg_http_call *c);
/* Free what c holds, the easy handle too. */
void sg_http_call_free(sg_http_call *c);

/* "a.b.c.d:port", "[v6]:port" or "family N" of addr, for the record of a refusal. */
void sg_http_addr_text(const struct sockaddr *addr, char *out, size_t cap);

#endif
