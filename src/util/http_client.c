/* The outgoing-request helper (util/http_client.h). Everything a client of smsgate
 * sets on a libcurl easy handle is here, once, so that a rule (no redirects, http
 * and https only, bounded answers, the address policy) cannot be forgotten by one
 * of them. */
#include "util/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* ---- the answer's body ------------------------------------------------------------ */

void sg_http_body_init(sg_http_body *b, size_t max, bool keep, sg_http_overflow overflow)
{
    memset(b, 0, sizeof *b);
    sg_buf_init(&b->kept, max);
    b->max = max;
    b->keep = keep;
    b->overflow = overflow;
}

bool sg_http_body_add(sg_http_body *b, const char *data, size_t n)
{
    size_t room = b->received < b->max ? b->max - b->received : 0;
    size_t take = n < room ? n : room;
    b->received += n;
    if (take && b->keep && sg_buf_append(&b->kept, data, take) != SG_OK)
        return false; /* out of memory: the bound itself is checked above */
    if (take < n) {
        b->over = true;
        return b->overflow == SG_HTTP_OVERFLOW_CUT;
    }
    return true;
}

const char *sg_http_body_data(const sg_http_body *b)
{
    return sg_buf_cstr(&b->kept);
}

size_t sg_http_body_len(const sg_http_body *b)
{
    return b->kept.len;
}

void sg_http_body_free(sg_http_body *b)
{
    sg_buf_free(&b->kept);
    memset(b, 0, sizeof *b);
}

/* ---- headers ---------------------------------------------------------------------- */

static bool name_ok(const char *name)
{
    if (!*name)
        return false;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        if (*p <= 0x20 || *p == 0x7f || *p == ':')
            return false;
    }
    return true;
}

static bool has_line_break(const char *s)
{
    return strpbrk(s, "\r\n") != NULL;
}

sg_err sg_http_header_line(char *out, size_t cap, const char *name, const char *value)
{
    if (cap)
        out[0] = '\0';
    if (!name_ok(name) || has_line_break(value))
        return SG_ERR_INVALID;
    int n = value[0] ? snprintf(out, cap, "%s: %s", name, value) : snprintf(out, cap, "%s:", name);
    if (n < 0 || (size_t)n >= cap) {
        if (cap)
            out[0] = '\0';
        return SG_ERR_TOO_LARGE;
    }
    return SG_OK;
}

sg_err sg_http_header_list(const char *const *lines, size_t n, struct curl_slist **out)
{
    struct curl_slist *list = NULL;
    sg_err err = SG_OK;
    *out = NULL;
    for (size_t i = 0; i <= n; i++) {
        const char *line = i < n ? lines[i] : "Expect:";
        if (has_line_break(line)) {
            err = SG_ERR_INVALID;
            goto out;
        }
        struct curl_slist *next = curl_slist_append(list, line);
        if (!next) {
            err = SG_ERR_NOMEM;
            goto out;
        }
        list = next;
    }
    *out = list;
    list = NULL;
out:
    curl_slist_free_all(list);
    return err;
}

/* ---- one request ------------------------------------------------------------------ */

static size_t on_answer(char *data, size_t size, size_t nmemb, void *arg)
{
    sg_http_call *c = arg;
    size_t n = size * nmemb;
    return sg_http_body_add(&c->answer, data, n) ? n : 0; /* 0: CURLE_WRITE_ERROR */
}

void sg_http_addr_text(const struct sockaddr *sa, char *out, size_t cap)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip);
        snprintf(out, cap, "%s:%u", ip, (unsigned)ntohs(in->sin_port));
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof ip);
        snprintf(out, cap, "[%s]:%u", ip, (unsigned)ntohs(in6->sin6_port));
    } else {
        snprintf(out, cap, "family %d", sa->sa_family);
    }
}

/* libcurl's CURLOPT_OPENSOCKETFUNCTION: the one place a connection is made, so the
 * one place the address policy sees the address actually connected to. A refusal
 * makes libcurl try the name's next address, or fail the transfer. */
static curl_socket_t open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
    sg_http_call *c = arg;
    (void)purpose;
    const char *why = c->addr_check(c->addr_ctx, &a->addr);
    if (why) {
        c->refused = why;
        sg_http_addr_text(&a->addr, c->refused_addr, sizeof c->refused_addr);
        return CURL_SOCKET_BAD;
    }
    return socket(a->family, a->socktype, a->protocol);
}

/* GET without a body; POST (an empty body when none is given); any other verb as
 * written, with its body when it has one (PATCH, DELETE). */
static void set_method(CURL *h, const sg_http_request *r)
{
    bool post = strcmp(r->method, "POST") == 0;
    if (!post && !r->body && strcmp(r->method, "GET") == 0) {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
        return;
    }
    if (post || r->body) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, r->body ? r->body : "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)r->body_len);
    }
    if (!post)
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, r->method);
}

/* The options every call gets, whoever makes it (see the header). */
static void set_fixed(sg_http_call *c)
{
    CURL *h = c->easy;
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_answer);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
}

static void set_variable(sg_http_call *c, const sg_http_request *r)
{
    CURL *h = c->easy;
    curl_easy_setopt(h, CURLOPT_URL, r->url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->headers);
    set_method(h, r);
    if (r->connect_timeout_ms > 0)
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, r->connect_timeout_ms);
    if (r->timeout_ms > 0)
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, r->timeout_ms);
    if (r->user_agent)
        curl_easy_setopt(h, CURLOPT_USERAGENT, r->user_agent);
    if (r->tcp_keepalive)
        curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    if (r->no_proxy || r->addr_check)
        curl_easy_setopt(h, CURLOPT_PROXY, "");
    if (r->addr_check) {
        curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, open_socket);
        curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, c);
    }
    if (r->owner)
        curl_easy_setopt(h, CURLOPT_PRIVATE, r->owner);
}

sg_err sg_http_call_init(sg_http_call *c, CURL *easy, const sg_http_request *r, sg_error *e)
{
    c->easy = easy ? easy : curl_easy_init();
    c->addr_check = r->addr_check;
    c->addr_ctx = r->addr_ctx;
    c->detailed_errors = r->detailed_errors;
    sg_http_body_init(&c->answer, r->answer_max, !r->answer_discard, r->answer_overflow);
    if (!c->easy)
        return sg_error_set(e, SG_ERR_NOMEM, NULL, "cannot create a curl handle");
    if (!r->method || !r->url)
        return sg_error_set(e, SG_ERR_INVALID, NULL, "a request needs a method and a URL");
    sg_err err = sg_http_header_list(r->headers, r->n_headers, &c->headers);
    if (err)
        return sg_error_set(e, err, NULL, "%s",
                            err == SG_ERR_NOMEM ? "out of memory" : "a header holds a line break");
    set_fixed(c);
    set_variable(c, r);
    return SG_OK;
}

void sg_http_call_set_owner(sg_http_call *c, void *owner)
{
    curl_easy_setopt(c->easy, CURLOPT_PRIVATE, owner);
}

CURLcode sg_http_call_perform(sg_http_call *c)
{
    return curl_easy_perform(c->easy);
}

long sg_http_call_status(const sg_http_call *c)
{
    long status = 0;
    if (c->easy)
        curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
    return status;
}

const char *sg_http_call_content_type(const sg_http_call *c)
{
    char *ct = NULL;
    if (c->easy && curl_easy_getinfo(c->easy, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct)
        return ct;
    return "";
}

const char *sg_http_call_error(const sg_http_call *c, CURLcode rc, char *out, size_t cap)
{
    if (rc == CURLE_OK)
        snprintf(out, cap, "%s", "");
    else if (c->refused)
        snprintf(out, cap, "refused by the outbound policy: %s is a %s", c->refused_addr,
                 c->refused);
    else if (rc == CURLE_WRITE_ERROR && c->answer.over)
        snprintf(out, cap, "answer larger than %zu bytes", c->answer.max);
    else if (c->detailed_errors && c->errbuf[0])
        snprintf(out, cap, "%s", c->errbuf);
    else
        snprintf(out, cap, "%s", curl_easy_strerror(rc));
    return out;
}

static void release_parts(sg_http_call *c)
{
    curl_slist_free_all(c->headers);
    c->headers = NULL;
    sg_http_body_free(&c->answer);
}

CURL *sg_http_call_release(sg_http_call *c)
{
    CURL *h = c->easy;
    if (h)
        curl_easy_reset(h);
    release_parts(c);
    memset(c, 0, sizeof *c);
    return h;
}

void sg_http_call_free(sg_http_call *c)
{
    if (c->easy)
        curl_easy_cleanup(c->easy);
    release_parts(c);
    memset(c, 0, sizeof *c);
}
