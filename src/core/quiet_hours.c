#include "core/quiet_hours.h"

#include <stddef.h>
#include <string.h>

#define DAY       86400
#define MAX_STEPS 16

static bool valid(const sg_quiet *q)
{
    return q && q->start_min >= 0 && q->start_min < 1440 && q->end_min >= 0 && q->end_min < 1440 &&
           q->start_min != q->end_min;
}

static int64_t floor_mod(int64_t a, int64_t m)
{
    int64_t r = a % m;
    return r < 0 ? r + m : r;
}

/* Local second of the day at t. Reducing t first keeps t + off from overflowing
 * near the ends of int64_t. */
static int64_t local_sod(int64_t t, int32_t off)
{
    return floor_mod(floor_mod(t, DAY) + off, DAY);
}

static bool in_window(const sg_quiet *q, int64_t sod)
{
    int64_t s = (int64_t)q->start_min * 60, e = (int64_t)q->end_min * 60;
    return s < e ? sod >= s && sod < e : sod >= s || sod < e;
}

/* Two-digit-or-one hours 0..23, ':', two-digit minutes 0..59, as minutes. */
static bool parse_hhmm(const char **pp, int *out)
{
    const char *p = *pp;
    int h = 0, m;
    if (*p < '0' || *p > '9')
        return false;
    h = *p++ - '0';
    if (*p >= '0' && *p <= '9')
        h = h * 10 + (*p++ - '0');
    if (h > 23 || *p++ != ':')
        return false;
    if (p[0] < '0' || p[0] > '5' || p[1] < '0' || p[1] > '9')
        return false;
    m = (p[0] - '0') * 10 + (p[1] - '0');
    *out = h * 60 + m;
    *pp = p + 2;
    return true;
}

sg_err sg_quiet_parse(const char *text, sg_quiet *out)
{
    const char *p = text;
    int s, e;
    if (!text || !out || !parse_hhmm(&p, &s))
        return SG_ERR_INVALID;
    if (*p == '-')
        p++;
    else if ((unsigned char)p[0] == 0xE2 && (unsigned char)p[1] == 0x80 &&
             (unsigned char)p[2] == 0x93) /* U+2013 EN DASH */
        p += 3;
    else
        return SG_ERR_INVALID;
    if (!parse_hhmm(&p, &e) || *p != '\0' || s == e)
        return SG_ERR_INVALID;
    out->start_min = s;
    out->end_min = e;
    return SG_OK;
}

static void put_hhmm(char *p, int min)
{
    p[0] = (char)('0' + min / 600);
    p[1] = (char)('0' + min / 60 % 10);
    p[2] = ':';
    p[3] = (char)('0' + min % 60 / 10);
    p[4] = (char)('0' + min % 10);
}

void sg_quiet_format(const sg_quiet *q, char out[16])
{
    if (!valid(q)) {
        memcpy(out, "invalid", 8);
        return;
    }
    put_hhmm(out, q->start_min);
    out[5] = '-';
    put_hhmm(out + 6, q->end_min);
    out[11] = '\0';
}

bool sg_quiet_is_quiet(const sg_quiet *q, int64_t t, sg_utc_offset_fn off, void *user)
{
    return valid(q) && in_window(q, local_sod(t, off(user, t)));
}

/* From a quiet instant u with offset o, the end of the window is `delta` seconds
 * away if the offset holds. If it does hold at that candidate, the candidate is the
 * answer: local time ran linearly up to the end of the window. If not, the offset
 * changed in between; bisection finds the first instant of the new offset, before
 * which (constant offset, end not reached) everything was quiet. That instant is the
 * answer if it is allowed (the end of the window was jumped over, or the clock moved
 * back out of the window); otherwise the search goes on from there. */
int64_t sg_quiet_next_allowed(const sg_quiet *q, int64_t t, sg_utc_offset_fn off, void *user)
{
    if (!valid(q))
        return t;
    int64_t u = t, c = t;
    for (int step = 0; step < MAX_STEPS; step++) {
        int32_t o = off(user, u);
        int64_t sod = local_sod(u, o);
        if (!in_window(q, sod))
            return u;
        int64_t delta = floor_mod((int64_t)q->end_min * 60 - sod, DAY); /* 1 .. DAY-1 */
        if (u > INT64_MAX - delta)
            return INT64_MAX;
        c = u + delta;
        if (off(user, c) == o)
            return c;
        int64_t lo = u, hi = c; /* off(lo) == o, off(hi) != o */
        while (hi - lo > 1) {
            int64_t mid = lo + (hi - lo) / 2;
            if (off(user, mid) == o)
                lo = mid;
            else
                hi = mid;
        }
        u = hi;
    }
    return c;
}
