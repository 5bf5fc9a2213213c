/* The outgoing-request helper (util/http_client.h): the bounded answer collector
 * at and past its maximum in each overflow mode, header lines and lists (no header
 * injection, "Expect:" always last), the one error text, and real requests on
 * loopback: a refused address never connects, a 3xx is the answer (no redirect
 * followed), an answer past its bound ends the transfer with a clear error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- the bounded collector --------------------------------------------------------- */

typedef struct body_row {
    size_t max;
    bool keep;
    sg_http_overflow overflow;
    const char *chunks[3]; /* added in turn; NULL ends */
    bool want_ok;          /* the last add's answer */
    const char *want_kept;
    size_t want_received;
    bool want_over;
    const char *why;
} body_row;

static void test_body_bounds(void **state)
{
    static const body_row rows[] = {
        {8,
         true,
         SG_HTTP_OVERFLOW_FAIL,
         {"1234", "5678"},
         true,
         "12345678",
         8,
         false,
         "exactly the maximum, in two pieces: kept whole"},
        {8,
         true,
         SG_HTTP_OVERFLOW_FAIL,
         {"1234", "56789"},
         false,
         "12345678",
         9,
         true,
         "one byte past the maximum: the transfer must end"},
        {8,
         true,
         SG_HTTP_OVERFLOW_CUT,
         {"123456", "789", "abc"},
         true,
         "12345678",
         12,
         true,
         "cut: the first 8 bytes kept, the rest read and dropped"},
        {8,
         false,
         SG_HTTP_OVERFLOW_FAIL,
         {"12345678"},
         true,
         "",
         8,
         false,
         "discard: counted, nothing kept"},
        {8,
         false,
         SG_HTTP_OVERFLOW_FAIL,
         {"12345678", "9"},
         false,
         "",
         9,
         true,
         "discard: a receiver that talks past the bound is still cut off"},
        {0, true, SG_HTTP_OVERFLOW_FAIL, {""}, true, "", 0, false, "an empty piece is no excess"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const body_row *r = &rows[i];
        sg_http_body b;
        sg_http_body_init(&b, r->max, r->keep, r->overflow);
        bool ok = true;
        for (size_t k = 0; k < 3 && r->chunks[k]; k++)
            ok = sg_http_body_add(&b, r->chunks[k], strlen(r->chunks[k]));
        if (ok != r->want_ok || strcmp(sg_http_body_data(&b), r->want_kept) != 0 ||
            sg_http_body_len(&b) != strlen(r->want_kept) || b.received != r->want_received ||
            b.over != r->want_over)
            fail_msg("row %zu (%s): ok=%d kept='%s' received=%zu over=%d", i, r->why, ok,
                     sg_http_body_data(&b), b.received, b.over);
        sg_http_body_free(&b);
    }
}

/* ---- headers ----------------------------------------------------------------------- */

static void test_header_line(void **state)
{
    static const struct {
        const char *name, *value;
        size_t cap;
        sg_err want;
        const char *want_line;
        const char *why;
    } rows[] = {
        {"Content-Type", "application/json", 64, SG_OK, "Content-Type: application/json",
         "name and value"},
        {"Expect", "", 64, SG_OK, "Expect:", "an empty value removes a header curl adds"},
        {"X-A", "b\r\nX-Injected: 1", 64, SG_ERR_INVALID, "", "CR LF in a value: injection"},
        {"X-A", "b\nc", 64, SG_ERR_INVALID, "", "a bare LF in a value"},
        {"X A", "b", 64, SG_ERR_INVALID, "", "a space in the name"},
        {"X:A", "b", 64, SG_ERR_INVALID, "", "a colon in the name"},
        {"", "b", 64, SG_ERR_INVALID, "", "no name"},
        {"X-A", "bcd", 8, SG_ERR_TOO_LARGE, "", "'X-A: bcd' is 8 bytes: no room for the NUL"},
        {"X-A", "bc", 8, SG_OK, "X-A: bc", "exactly cap - 1 bytes"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char line[64];
        sg_err err = sg_http_header_line(line, rows[i].cap, rows[i].name, rows[i].value);
        if (err != rows[i].want || strcmp(line, rows[i].want_line) != 0)
            fail_msg("row %zu (%s): err=%d line='%s'", i, rows[i].why, err, line);
    }
}

static void test_header_list(void **state)
{
    const char *lines[] = {"Authorization: Basic eA==", "Content-Type: text/plain"};
    struct curl_slist *l = NULL;
    assert_int_equal(sg_http_header_list(lines, 2, &l), SG_OK);
    const char *want[] = {lines[0], lines[1], "Expect:"};
    size_t n = 0;
    for (struct curl_slist *p = l; p; p = p->next, n++) {
        if (n >= 3 || strcmp(p->data, want[n]) != 0)
            fail_msg("line %zu is '%s'", n, p->data);
    }
    assert_int_equal(n, 3);
    curl_slist_free_all(l);

    assert_int_equal(sg_http_header_list(NULL, 0, &l), SG_OK);
    assert_string_equal(l->data, "Expect:"); /* no 100-continue, even without headers */
    assert_null(l->next);
    curl_slist_free_all(l);

    const char *bad[] = {"X-A: 1", "X-B: 2\r\nX-Injected: 3"};
    l = (struct curl_slist *)1;
    assert_int_equal(sg_http_header_list(bad, 2, &l), SG_ERR_INVALID);
    assert_null(l);
}

static void test_addr_text(void **state)
{
    struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons(9000)};
    inet_pton(AF_INET, "169.254.169.254", &in.sin_addr);
    char out[SG_HTTP_ADDR_TEXT_MAX];
    sg_http_addr_text((struct sockaddr *)&in, out, sizeof out);
    assert_string_equal(out, "169.254.169.254:9000");
    struct sockaddr_in6 in6 = {.sin6_family = AF_INET6, .sin6_port = htons(443)};
    inet_pton(AF_INET6, "::1", &in6.sin6_addr);
    sg_http_addr_text((struct sockaddr *)&in6, out, sizeof out);
    assert_string_equal(out, "[::1]:443");
}

/* ---- real requests on loopback ------------------------------------------------------ */

/* A one-shot server: accepts one connection, reads the request head, writes its
 * canned answer, closes. */
typedef struct server {
    int fd;
    uint16_t port;
    const char *answer;
    char request[4096];
    pthread_t thread;
} server;

static void *serve_one(void *arg)
{
    server *s = arg;
    int c = accept(s->fd, NULL, NULL);
    if (c < 0)
        return NULL;
    size_t got = 0;
    while (got < sizeof s->request - 1 && !strstr(s->request, "\r\n\r\n")) {
        ssize_t n = read(c, s->request + got, sizeof s->request - 1 - got);
        if (n <= 0)
            break;
        got += (size_t)n;
        s->request[got] = '\0';
    }
    size_t len = strlen(s->answer), off = 0;
    while (off < len) {
        ssize_t n = write(c, s->answer + off, len - off);
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    close(c);
    return NULL;
}

static void server_start(server *s, const char *answer)
{
    memset(s, 0, sizeof *s);
    s->answer = answer;
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(s->fd, 1), 0);
    socklen_t l = sizeof a;
    getsockname(s->fd, (struct sockaddr *)&a, &l);
    s->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&s->thread, NULL, serve_one, s), 0);
}

static void server_stop(server *s)
{
    pthread_join(s->thread, NULL);
    close(s->fd);
}

static const char *refuse_all(void *ctx, const struct sockaddr *addr)
{
    (*(int *)ctx)++;
    return "test address (refused here)";
}

static void test_refused_address_never_connects(void **state)
{
    server s;
    server_start(&s, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/hook", s.port);
    int asked = 0;
    sg_http_request r = {.method = "POST",
                         .url = url,
                         .body = "{}",
                         .body_len = 2,
                         .timeout_ms = 5000,
                         .answer_max = 64,
                         .addr_check = refuse_all,
                         .addr_ctx = &asked};
    sg_http_call c = {0};
    sg_error e = {0};
    assert_int_equal(sg_http_call_init(&c, NULL, &r, &e), SG_OK);
    CURLcode rc = sg_http_call_perform(&c);
    char why[256];
    sg_http_call_error(&c, rc, why, sizeof why);
    char want[128];
    snprintf(want, sizeof want,
             "refused by the outbound policy: 127.0.0.1:%u is a test address (refused here)",
             s.port);
    assert_int_not_equal(rc, CURLE_OK);
    assert_string_equal(why, want);
    assert_int_equal(asked, 1);
    assert_int_equal(sg_http_call_status(&c), 0);
    sg_http_call_free(&c);
    /* The server got no request: connect to it ourselves so its thread ends. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons(s.port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(write(fd, "\r\n\r\n", 4), 4);
    server_stop(&s);
    close(fd);
    assert_string_equal(s.request, "\r\n\r\n");
}

static void test_redirect_is_the_answer(void **state)
{
    server s;
    server_start(&s, "HTTP/1.1 302 Found\r\nLocation: http://169.254.169.254/\r\n"
                     "Content-Length: 0\r\nConnection: close\r\n\r\n");
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/x", s.port);
    const char *lines[] = {"X-Test: 1"};
    sg_http_request r = {.method = "GET",
                         .url = url,
                         .headers = lines,
                         .n_headers = 1,
                         .timeout_ms = 5000,
                         .user_agent = "t/1",
                         .answer_max = 64};
    sg_http_call c = {0};
    sg_error e = {0};
    assert_int_equal(sg_http_call_init(&c, NULL, &r, &e), SG_OK);
    assert_int_equal(sg_http_call_perform(&c), CURLE_OK);
    assert_int_equal(sg_http_call_status(&c), 302);
    server_stop(&s);
    assert_non_null(strstr(s.request, "GET /x HTTP/1.1\r\n"));
    assert_non_null(strstr(s.request, "\r\nX-Test: 1\r\n"));
    assert_non_null(strstr(s.request, "\r\nUser-Agent: t/1\r\n"));
    assert_null(strstr(s.request, "Expect"));
    sg_http_call_free(&c);
}

static void test_answer_too_large(void **state)
{
    server s;
    server_start(&s, "HTTP/1.1 200 OK\r\nContent-Length: 20\r\nConnection: close\r\n\r\n"
                     "01234567890123456789");
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/", s.port);
    sg_http_request r = {.method = "POST", .url = url, .timeout_ms = 5000, .answer_max = 16};
    sg_http_call c = {0};
    sg_error e = {0};
    assert_int_equal(sg_http_call_init(&c, NULL, &r, &e), SG_OK);
    CURLcode rc = sg_http_call_perform(&c);
    server_stop(&s);
    char why[128];
    assert_int_equal(rc, CURLE_WRITE_ERROR);
    assert_string_equal(sg_http_call_error(&c, rc, why, sizeof why), "answer larger than 16 bytes");
    assert_true(sg_http_body_len(&c.answer) <= 16);
    assert_non_null(strstr(s.request, "POST / HTTP/1.1\r\n"));
    assert_non_null(strstr(s.request, "Content-Length: 0\r\n"));
    /* The handle comes back reset, for the next request. */
    CURL *h = sg_http_call_release(&c);
    assert_non_null(h);
    assert_null(c.easy);
    curl_easy_cleanup(h);
}

static void test_bad_request(void **state)
{
    const char *lines[] = {"X-A: 1\nX-B: 2"};
    sg_http_request r = {
        .method = "GET", .url = "http://127.0.0.1:1/", .headers = lines, .n_headers = 1};
    sg_http_call c = {0};
    sg_error e = {0};
    assert_int_equal(sg_http_call_init(&c, NULL, &r, &e), SG_ERR_INVALID);
    assert_string_equal(e.message, "a header holds a line break");
    sg_http_call_free(&c);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_body_bounds),
        cmocka_unit_test(test_header_line),
        cmocka_unit_test(test_header_list),
        cmocka_unit_test(test_addr_text),
        cmocka_unit_test(test_refused_address_never_connects),
        cmocka_unit_test(test_redirect_is_the_answer),
        cmocka_unit_test(test_answer_too_large),
        cmocka_unit_test(test_bad_request),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
