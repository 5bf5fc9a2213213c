#include "core/signin.h"
#include "util/crypto.h"

#include <stdint.h>
#include <string.h>

const sg_throttle_rule sg_throttle_account = {
    .threshold = 5,
    .window_ms = 3600 * 1000,
    .exponential = true,
    .base_ms = 30 * 1000,
    .cap_ms = 15 * 60 * 1000,
};

const sg_throttle_rule sg_throttle_address = {
    .threshold = 20,
    .window_ms = 10 * 60 * 1000,
    .exponential = false,
};

/* Doubling stops once the cap is reached, so a counter in the millions cannot
 * overflow the shift. */
int64_t sg_throttle_delay_ms(const sg_throttle_rule *r, int64_t failures)
{
    if (failures < r->threshold)
        return 0;
    int64_t d = r->base_ms;
    for (int64_t i = r->threshold; i < failures && d < r->cap_ms; i++)
        d *= 2;
    return d < r->cap_ms ? d : r->cap_ms;
}

void sg_throttle_fail(const sg_throttle_rule *r, sg_throttle_state *st, int64_t now)
{
    if (st->failures == 0 || now - st->window_start >= r->window_ms) {
        st->failures = 0;
        st->window_start = now;
    }
    st->failures++;
    if (st->failures < r->threshold)
        return;
    int64_t until = r->exponential ? now + sg_throttle_delay_ms(r, st->failures)
                                   : st->window_start + r->window_ms;
    if (until > st->locked_until)
        st->locked_until = until;
}

int64_t sg_throttle_wait_ms(const sg_throttle_state *st, int64_t now)
{
    return st->locked_until > now ? st->locked_until - now : 0;
}

int64_t sg_throttle_retry_after_s(int64_t wait_ms)
{
    int64_t s = (wait_ms + 999) / 1000;
    return s > 0 ? s : 1;
}

/* The length check leaks only whether the lengths differ, and every token smsgate
 * issues has the same length. */
bool sg_csrf_equal(const char *sent, const char *expected)
{
    if (!sent || !expected || !*expected)
        return false;
    size_t n = strlen(expected);
    if (strlen(sent) != n)
        return false;
    return sg_ct_equal(sent, expected, n);
}

static const char *skip_space(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* RFC 6265 section 5.4: pairs separated by ';', a name, '=', a value; the value
 * may be quoted. Pairs without '=' are skipped. */
bool sg_cookie_get(const char *header, const char *name, char *out, size_t cap)
{
    if (!header || cap == 0)
        return false;
    size_t nl = strlen(name);
    for (const char *p = header; *p;) {
        p = skip_space(p);
        size_t len = strcspn(p, ";");
        const char *eq = memchr(p, '=', len);
        if (eq && (size_t)(eq - p) == nl && memcmp(p, name, nl) == 0) {
            const char *v = eq + 1;
            size_t vl = len - (size_t)(v - p);
            while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
                vl--;
            if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"')
                v++, vl -= 2;
            if (vl == 0 || vl >= cap)
                return false;
            memcpy(out, v, vl);
            out[vl] = '\0';
            return true;
        }
        p += len;
        if (*p == ';')
            p++;
    }
    return false;
}

bool sg_email_valid(const char *s)
{
    size_t len = strlen(s);
    const char *at = strchr(s, '@');
    if (len < 3 || len > 254 || !at || at == s || !at[1] || strchr(at + 1, '@') ||
        !strchr(at + 1, '.'))
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p <= ' ' || *p == 0x7f || *p == '"' || *p == '<' || *p == '>' || *p == '\\')
            return false;
    }
    return true;
}

void sg_email_lower(const char *s, char *out, size_t cap)
{
    if (cap == 0)
        return;
    size_t i = 0;
    for (; s[i] && i < cap - 1; i++)
        out[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] + ('a' - 'A')) : s[i];
    out[i] = '\0';
}

int64_t sg_session_ends_at(int64_t last_seen, int64_t expires_at, int64_t idle_ms)
{
    int64_t idle_end = idle_ms > INT64_MAX - last_seen ? INT64_MAX : last_seen + idle_ms;
    return idle_end < expires_at ? idle_end : expires_at;
}
