/* TZif reader (RFC 9636) with the POSIX TZ footer rule, a process-wide cache of
 * zones read from the zoneinfo directory, and the zone1970.tab country lookup.
 *
 * Parsing never trusts a count: every block size is computed in 64 bits from the
 * header's 32-bit counts and compared with what is left of the input before any
 * byte of the block is read. */
#include "util/tz.h"
#include "util/time.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_ZONEINFO "/usr/share/zoneinfo"
#define NAME_MAX_LEN     64
#define TZ_FILE_MAX      (256 * 1024) /* real zone files are under 4 KiB */
#define TAB_FILE_MAX     (256 * 1024) /* zone1970.tab is about 18 KiB */
#define HEADER_LEN       44
#define FOOTER_MAX       256      /* real footers are under 64 bytes */
#define UTOFF_MIN        (-89999) /* RFC 9636 3.2: more than -25 hours ... */
#define UTOFF_MAX        93599    /* ... and less than 26 hours */
#define DAY              86400
/* The Gregorian calendar repeats every 400 years (146097 days, a whole number of
 * weeks), so a footer rule gives the same offset at t and at t +- this. */
#define CYCLE_SECS (146097LL * DAY)

/* ---- the parsed zone ---- */

typedef struct rule_date {
    char kind; /* 'J': Julian day 1..365 without Feb 29; 'D': day 0..365; 'M': month rule */
    int month, week, wday; /* 'M': month 1..12, week 1..5 (5 = last), weekday 0..6 (Sunday 0) */
    int day;               /* 'J', 'D' */
    int32_t secs;          /* local time of day of the change, -167h..167h */
} rule_date;

typedef struct tz_rule {
    int32_t std_off, dst_off; /* seconds east of UTC */
    bool has_dst;
    rule_date start, end; /* start is in standard local time, end in DST local time */
} tz_rule;

struct sg_tz {
    size_t n;          /* transitions */
    int64_t *at;       /* n instants, strictly ascending */
    int32_t *off;      /* offset in effect from at[i] */
    int32_t first_off; /* before at[0]: time type 0 (RFC 9636 3.2) */
    bool has_rule;     /* after at[n-1] (or always, when n == 0) use rule */
    tz_rule rule;
};

void sg_tz_free(sg_tz *z)
{
    if (!z)
        return;
    free(z->at);
    free(z->off);
    free(z);
}

/* ---- calendar arithmetic (proleptic Gregorian, days since 1970-01-01) ---- */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
    int64_t r = a % b;
    return r < 0 ? r + b : r;
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* The year of a day number (days since the epoch). */
static int64_t year_of_days(int64_t z)
{
    int64_t y;
    int m, d;
    sg_civil_from_days(z, &y, &m, &d);
    return y;
}

/* The local date a rule names in year y, as days since the epoch. */
static int64_t rule_day(const rule_date *r, int64_t y)
{
    int64_t jan1 = sg_days_from_civil(y, 1, 1);
    switch (r->kind) {
    case 'J':
        return jan1 + r->day - 1 + (is_leap(y) && r->day >= 60);
    case 'D':
        return jan1 + r->day;
    default: {
        int64_t first = sg_days_from_civil(y, r->month, 1);
        int wd = (int)floor_mod(first + 4, 7); /* 1970-01-01 was a Thursday */
        int day = (r->wday - wd + 7) % 7 + 7 * (r->week - 1);
        while (day >= sg_days_in_month(y, r->month))
            day -= 7;
        return first + day;
    }
    }
}

/* The offset the footer rule gives at t. t is first moved into 1970..2370 by whole
 * 400-year cycles, which changes nothing and keeps all arithmetic small.
 *
 * The DST starts and ends of the years around t are events; the latest event at or
 * before t decides. Looking at years y-2 .. y+1 is enough even for version 3 rules,
 * whose changes can fall up to 167 hours outside their own year. Ties go to the
 * event that comes later in the rule's own sequence (start(y) < end(y) <
 * start(y+1)): an end at the very instant of the next start means DST all year
 * (RFC 9636's "EST5EDT,0/0,J365/25"), a start and end at the same instant mean
 * none. */
static int32_t rule_offset(const tz_rule *r, int64_t t)
{
    if (!r->has_dst)
        return r->std_off;
    int64_t u = floor_mod(t, CYCLE_SECS);
    int64_t y = year_of_days(floor_div(u + r->std_off, DAY));
    int64_t best_at = INT64_MIN, best_seq = INT64_MIN;
    int32_t best_off = r->std_off;
    for (int64_t yy = y - 2; yy <= y + 1; yy++) {
        int64_t s = rule_day(&r->start, yy) * DAY + r->start.secs - r->std_off;
        int64_t e = rule_day(&r->end, yy) * DAY + r->end.secs - r->dst_off;
        int64_t seq = 2 * yy;
        if (s <= u && (s > best_at || (s == best_at && seq > best_seq))) {
            best_at = s;
            best_seq = seq;
            best_off = r->dst_off;
        }
        if (e <= u && (e > best_at || (e == best_at && seq + 1 > best_seq))) {
            best_at = e;
            best_seq = seq + 1;
            best_off = r->std_off;
        }
    }
    return best_off;
}

int32_t sg_tz_offset(const sg_tz *z, int64_t t)
{
    if (z->n == 0)
        return z->has_rule ? rule_offset(&z->rule, t) : z->first_off;
    if (t < z->at[0])
        return z->first_off;
    if (t > z->at[z->n - 1] && z->has_rule)
        return rule_offset(&z->rule, t);
    /* The last i with at[i] <= t: at[lo] <= t < at[hi] (at[n] reads as +infinity). */
    size_t lo = 0, hi = z->n;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (z->at[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    return z->off[lo];
}

int32_t sg_tz_offset_cb(void *zone, int64_t t)
{
    return sg_tz_offset(zone, t);
}

/* ---- the POSIX TZ footer ---- */

typedef struct cursor {
    const char *p, *end;
} cursor;

static bool at_end(const cursor *c)
{
    return c->p == c->end;
}

static bool peek_is(const cursor *c, char ch)
{
    return c->p < c->end && *c->p == ch;
}

static bool is_alpha(char ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z');
}

static bool is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

/* 1..maxdigits decimal digits with a value in [lo, hi]. */
static bool parse_num(cursor *c, int maxdigits, int lo, int hi, int *out)
{
    int v = 0, n = 0;
    while (c->p < c->end && is_digit(*c->p) && n < maxdigits) {
        v = v * 10 + (*c->p - '0');
        c->p++;
        n++;
    }
    if (n == 0 || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

/* A zone abbreviation: three or more letters, or <...> with letters, digits, '+'
 * and '-' (three or more of them). */
static bool parse_abbr(cursor *c)
{
    const char *start = c->p;
    if (peek_is(c, '<')) {
        c->p++;
        start = c->p;
        while (c->p < c->end &&
               (is_alpha(*c->p) || is_digit(*c->p) || *c->p == '+' || *c->p == '-'))
            c->p++;
        if (c->p - start < 3 || !peek_is(c, '>'))
            return false;
        c->p++;
        return true;
    }
    while (c->p < c->end && is_alpha(*c->p))
        c->p++;
    return c->p - start >= 3;
}

/* [+-]h[h...][:mm[:ss]] as signed seconds, hours at most max_hours. */
static bool parse_hms(cursor *c, int max_hours, int32_t *out)
{
    int sign = 1, h, m = 0, s = 0;
    if (peek_is(c, '+') || peek_is(c, '-')) {
        sign = *c->p == '-' ? -1 : 1;
        c->p++;
    }
    if (!parse_num(c, max_hours > 99 ? 3 : 2, 0, max_hours, &h))
        return false;
    if (peek_is(c, ':')) {
        c->p++;
        if (!parse_num(c, 2, 0, 59, &m))
            return false;
        if (peek_is(c, ':')) {
            c->p++;
            if (!parse_num(c, 2, 0, 59, &s))
                return false;
        }
    }
    *out = sign * (h * 3600 + m * 60 + s);
    return true;
}

/* A POSIX offset ("5", "-5:30": hours west of UTC) as seconds east of UTC. */
static bool parse_offset(cursor *c, int32_t *out)
{
    int32_t west;
    if (!parse_hms(c, 24, &west))
        return false;
    *out = -west;
    return true;
}

static bool parse_rule_date(cursor *c, rule_date *d)
{
    if (peek_is(c, 'J')) {
        c->p++;
        d->kind = 'J';
        if (!parse_num(c, 3, 1, 365, &d->day))
            return false;
    } else if (peek_is(c, 'M')) {
        c->p++;
        d->kind = 'M';
        if (!parse_num(c, 2, 1, 12, &d->month) || !peek_is(c, '.'))
            return false;
        c->p++;
        if (!parse_num(c, 1, 1, 5, &d->week) || !peek_is(c, '.'))
            return false;
        c->p++;
        if (!parse_num(c, 1, 0, 6, &d->wday))
            return false;
    } else {
        d->kind = 'D';
        if (!parse_num(c, 3, 0, 365, &d->day))
            return false;
    }
    d->secs = 2 * 3600;
    if (peek_is(c, '/')) {
        c->p++;
        if (!parse_hms(c, 167, &d->secs))
            return false;
    }
    return true;
}

/* std offset [dst [offset] ,start[/time],end[/time]]. A DST name without a rule is
 * refused: POSIX leaves its meaning to the implementation and zic never writes it. */
static bool parse_footer(const char *s, size_t len, tz_rule *r)
{
    cursor c = {s, s + len};
    memset(r, 0, sizeof *r);
    if (!parse_abbr(&c) || !parse_offset(&c, &r->std_off))
        return false;
    if (at_end(&c))
        return true;
    if (!parse_abbr(&c))
        return false;
    r->has_dst = true;
    r->dst_off = r->std_off + 3600;
    if (!peek_is(&c, ',') && !parse_offset(&c, &r->dst_off))
        return false;
    if (!peek_is(&c, ','))
        return false;
    c.p++;
    if (!parse_rule_date(&c, &r->start) || !peek_is(&c, ','))
        return false;
    c.p++;
    if (!parse_rule_date(&c, &r->end))
        return false;
    /* Offsets are at most 24:59:59 either way and the default DST offset adds an
     * hour, so both stay within the bounds of a time type (UTOFF_MIN..UTOFF_MAX). */
    return at_end(&c);
}

/* ---- TZif blocks ---- */

typedef struct tzif_header {
    unsigned char version; /* 0, '2', '3' or '4' */
    uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
} tzif_header;

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

static bool read_header(const unsigned char *p, size_t left, tzif_header *h)
{
    if (left < HEADER_LEN || memcmp(p, "TZif", 4) != 0)
        return false;
    h->version = p[4];
    if (h->version != 0 && (h->version < '2' || h->version > '4'))
        return false;
    h->isutcnt = be32(p + 20);
    h->isstdcnt = be32(p + 24);
    h->leapcnt = be32(p + 28);
    h->timecnt = be32(p + 32);
    h->typecnt = be32(p + 36);
    h->charcnt = be32(p + 40);
    return true;
}

/* Bytes of the data block after h, for 4- or 8-byte times. Counts are below 2^32, so
 * the sum is below 2^38 and exact in 64 bits. */
static uint64_t block_len(const tzif_header *h, unsigned tsize)
{
    return (uint64_t)h->timecnt * (tsize + 1) + (uint64_t)h->typecnt * 6 + h->charcnt +
           (uint64_t)h->leapcnt * (tsize + 4) + h->isstdcnt + h->isutcnt;
}

/* Check and convert the data block at p (whose length block_len has checked). */
static sg_err parse_block(const unsigned char *p, const tzif_header *h, unsigned tsize, sg_tz *z)
{
    if (h->typecnt == 0 || h->typecnt > 256 || h->charcnt == 0 ||
        (h->isstdcnt != 0 && h->isstdcnt != h->typecnt) ||
        (h->isutcnt != 0 && h->isutcnt != h->typecnt))
        return SG_ERR_INVALID;

    const unsigned char *times = p;
    const unsigned char *idx = times + (size_t)h->timecnt * tsize;
    const unsigned char *types = idx + h->timecnt;
    const unsigned char *chars = types + (size_t)h->typecnt * 6;
    const unsigned char *leaps = chars + h->charcnt;
    const unsigned char *isstd = leaps + (size_t)h->leapcnt * (tsize + 4);
    const unsigned char *isut = isstd + h->isstdcnt;

    int32_t utoff[256];
    for (uint32_t i = 0; i < h->typecnt; i++) {
        const unsigned char *ty = types + (size_t)i * 6;
        int32_t off = (int32_t)be32(ty);
        if (off < UTOFF_MIN || off > UTOFF_MAX || ty[4] > 1 || ty[5] >= h->charcnt)
            return SG_ERR_INVALID;
        utoff[i] = off;
    }
    for (uint32_t i = 0; i < h->isstdcnt; i++)
        if (isstd[i] > 1)
            return SG_ERR_INVALID;
    for (uint32_t i = 0; i < h->isutcnt; i++)
        if (isut[i] > 1 || (isut[i] && (h->isstdcnt == 0 || !isstd[i])))
            return SG_ERR_INVALID;

    z->first_off = utoff[0];
    z->n = h->timecnt;
    if (z->n == 0)
        return SG_OK;
    z->at = malloc(z->n * sizeof *z->at);
    z->off = malloc(z->n * sizeof *z->off);
    if (!z->at || !z->off)
        return SG_ERR_NOMEM;
    for (size_t i = 0; i < z->n; i++) {
        int64_t at = tsize == 8 ? be64(times + i * 8) : (int32_t)be32(times + i * 4);
        if ((i > 0 && at <= z->at[i - 1]) || idx[i] >= h->typecnt)
            return SG_ERR_INVALID;
        z->at[i] = at;
        z->off[i] = utoff[idx[i]];
    }
    return SG_OK;
}

sg_err sg_tz_parse(const unsigned char *data, size_t len, sg_tz **out)
{
    sg_err err = SG_ERR_INVALID;
    sg_tz *z = NULL;
    tzif_header h;
    size_t pos = 0;
    unsigned tsize = 4;

    *out = NULL;
    if (!data || !read_header(data, len, &h))
        goto out;
    pos = HEADER_LEN;
    uint64_t blen = block_len(&h, 4);
    if (blen > len - pos)
        goto out;
    if (h.version != 0) {
        /* Skip the 32-bit block: only its size matters (slim files leave it nearly
         * empty), then read the second header and the 64-bit block. */
        pos += (size_t)blen;
        unsigned char v1 = h.version;
        if (!read_header(data + pos, len - pos, &h) || h.version != v1)
            goto out;
        pos += HEADER_LEN;
        tsize = 8;
        blen = block_len(&h, 8);
        if (blen > len - pos)
            goto out;
    }

    z = calloc(1, sizeof *z);
    if (!z) {
        err = SG_ERR_NOMEM;
        goto out;
    }
    err = parse_block(data + pos, &h, tsize, z);
    if (err)
        goto out;
    pos += (size_t)blen;

    if (h.version != 0) {
        /* The footer: '\n', a TZ string (possibly empty), '\n'. Anything after it is
         * ignored, as RFC 9636 asks of readers. */
        err = SG_ERR_INVALID;
        if (pos >= len || data[pos] != '\n')
            goto out;
        pos++;
        size_t avail = len - pos < FOOTER_MAX + 1 ? len - pos : FOOTER_MAX + 1;
        const unsigned char *nl = memchr(data + pos, '\n', avail);
        if (!nl)
            goto out;
        size_t flen = (size_t)(nl - (data + pos));
        if (flen > 0) {
            if (!parse_footer((const char *)data + pos, flen, &z->rule))
                goto out;
            z->has_rule = true;
        }
        err = SG_OK;
    }

out:
    if (err)
        sg_tz_free(z);
    else
        *out = z;
    return err;
}

/* ---- files ---- */

static const char *zoneinfo_dir(void)
{
    const char *dir = getenv("SG_ZONEINFO");
    return dir && *dir ? dir : DEFAULT_ZONEINFO;
}

/* Read the regular file at path (at most max bytes) into a new buffer with a NUL
 * after the data. SG_ERR_NOT_FOUND when there is no such regular file. */
static sg_err read_file(const char *path, size_t max, char **buf_out, size_t *len_out)
{
    sg_err err = SG_OK;
    char *buf = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return errno == ENOENT || errno == ENOTDIR || errno == ELOOP || errno == ENAMETOOLONG ||
                       errno == EISDIR
                   ? SG_ERR_NOT_FOUND
                   : SG_ERR_IO;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        err = SG_ERR_IO;
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        err = SG_ERR_NOT_FOUND;
        goto out;
    }
    if (st.st_size < 0 || (uint64_t)st.st_size > max) {
        err = SG_ERR_TOO_LARGE;
        goto out;
    }
    /* One byte more than the size, to see a file that grew while being read. */
    size_t cap = (size_t)st.st_size + 1, len = 0;
    buf = malloc(cap + 1);
    if (!buf) {
        err = SG_ERR_NOMEM;
        goto out;
    }
    while (len < cap) {
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            err = SG_ERR_IO;
            goto out;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    if (len == cap) {
        err = SG_ERR_IO; /* changed under us */
        goto out;
    }
    buf[len] = '\0';
    *buf_out = buf;
    *len_out = len;
    buf = NULL;
out:
    free(buf);
    close(fd);
    return err;
}

static bool name_valid(const char *name)
{
    size_t n = 0;
    if (!name || name[0] == '/')
        return false;
    for (; name[n]; n++) {
        char ch = name[n];
        if (n >= NAME_MAX_LEN)
            return false;
        if (!(is_alpha(ch) || is_digit(ch) || ch == '_' || ch == '+' || ch == '-' || ch == '/'))
            return false;
    }
    /* '.' is not allowed at all, so ".." cannot occur; said here because it matters. */
    return n > 0 && !strstr(name, "..");
}

/* ---- the zone cache: open addressing on the full path, never shrinks ---- */

#define CACHE_SLOTS 4096 /* a power of two, twice CACHE_MAX */
#define CACHE_MAX   2048 /* Debian ships about 600 names in each of three trees */

typedef struct cache_entry {
    char *path;
    sg_tz *tz;
} cache_entry;

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static cache_entry cache[CACHE_SLOTS];
static size_t cache_used;

/* FNV-1a. */
static size_t path_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return (size_t)h;
}

/* The slot holding path, or the empty slot where it would go. Call locked. */
static cache_entry *cache_slot(const char *path)
{
    size_t i = path_hash(path) & (CACHE_SLOTS - 1);
    while (cache[i].path && strcmp(cache[i].path, path) != 0)
        i = (i + 1) & (CACHE_SLOTS - 1);
    return &cache[i];
}

sg_err sg_tz_get(const char *name, const sg_tz **out)
{
    char path[PATH_MAX];
    char *data = NULL, *key = NULL;
    size_t len = 0;
    sg_tz *z = NULL;
    sg_err err;

    *out = NULL;
    if (!name_valid(name))
        return SG_ERR_INVALID;
    const char *dir = zoneinfo_dir();
    size_t dlen = strlen(dir), nlen = strlen(name);
    if (dlen + 1 + nlen + 1 > sizeof path)
        return SG_ERR_INVALID;
    memcpy(path, dir, dlen);
    path[dlen] = '/';
    memcpy(path + dlen + 1, name, nlen + 1);

    pthread_mutex_lock(&cache_lock);
    cache_entry *e = cache_slot(path);
    if (e->path)
        *out = e->tz;
    pthread_mutex_unlock(&cache_lock);
    if (*out)
        return SG_OK;

    /* Read and parse unlocked; if another thread got there first, keep its zone. */
    err = read_file(path, TZ_FILE_MAX, &data, &len);
    if (err)
        goto out;
    err = sg_tz_parse((const unsigned char *)data, len, &z);
    if (err) {
        err = err == SG_ERR_NOMEM ? err : SG_ERR_NOT_FOUND;
        goto out;
    }
    key = strdup(path);
    if (!key) {
        err = SG_ERR_NOMEM;
        goto out;
    }

    pthread_mutex_lock(&cache_lock);
    e = cache_slot(path);
    if (e->path) {
        *out = e->tz;
    } else if (cache_used >= CACHE_MAX) {
        err = SG_ERR_TOO_LARGE;
    } else {
        e->path = key;
        e->tz = z;
        cache_used++;
        *out = z;
        key = NULL;
        z = NULL;
    }
    pthread_mutex_unlock(&cache_lock);

out:
    free(data);
    free(key);
    sg_tz_free(z);
    return err;
}

/* ---- zone1970.tab ---- */

/* One slot per two-letter code: NULL (not listed), a zone name, or several_zones. */
static const char *country_zone[26 * 26];
static const char several_zones[] = "";
static char *tab_data; /* kept for the life of the process: country_zone points into it */
static pthread_once_t tab_once = PTHREAD_ONCE_INIT;

static int country_index(const char *cc, size_t n, bool fold_case)
{
    if (n != 2)
        return -1;
    int ix[2];
    for (int i = 0; i < 2; i++) {
        char ch = cc[i];
        if (fold_case && ch >= 'a' && ch <= 'z')
            ch = (char)(ch - 'a' + 'A');
        if (ch < 'A' || ch > 'Z')
            return -1;
        ix[i] = ch - 'A';
    }
    return ix[0] * 26 + ix[1];
}

/* Lines are "codes<TAB>coordinates<TAB>zone[<TAB>comments]"; '#' starts a comment
 * line. A malformed line is skipped rather than failing the whole table. */
static void tab_load(void)
{
    char path[PATH_MAX];
    size_t len;
    const char *dir = zoneinfo_dir();
    size_t dlen = strlen(dir);
    static const char file[] = "/zone1970.tab";
    if (dlen + sizeof file > sizeof path)
        return;
    memcpy(path, dir, dlen);
    memcpy(path + dlen, file, sizeof file);
    if (read_file(path, TAB_FILE_MAX, &tab_data, &len) != SG_OK)
        return;

    char *line = tab_data, *end = tab_data + len;
    while (line < end) {
        char *nl = memchr(line, '\n', (size_t)(end - line));
        char *eol = nl ? nl : end;
        *eol = '\0';
        char *next = nl ? nl + 1 : end;
        if (*line == '#' || *line == '\0') {
            line = next;
            continue;
        }
        char *tab1 = strchr(line, '\t');
        char *tab2 = tab1 ? strchr(tab1 + 1, '\t') : NULL;
        if (!tab2) {
            line = next;
            continue;
        }
        char *zone = tab2 + 1;
        char *tab3 = strchr(zone, '\t');
        if (tab3)
            *tab3 = '\0';
        if (!name_valid(zone)) {
            line = next;
            continue;
        }
        for (char *cc = line; cc < tab1;) {
            char *comma = memchr(cc, ',', (size_t)(tab1 - cc));
            char *cend = comma ? comma : tab1;
            int ix = country_index(cc, (size_t)(cend - cc), false);
            if (ix >= 0) {
                const char *cur = country_zone[ix];
                if (!cur)
                    country_zone[ix] = zone;
                else if (cur != several_zones && strcmp(cur, zone) != 0)
                    country_zone[ix] = several_zones;
            }
            cc = cend + 1;
        }
        line = next;
    }
}

const char *sg_tz_for_country(const char *iso2)
{
    if (!iso2)
        return NULL;
    int ix = country_index(iso2, strnlen(iso2, 3), true);
    if (ix < 0)
        return NULL;
    pthread_once(&tab_once, tab_load);
    const char *zone = country_zone[ix];
    return zone == several_zones ? NULL : zone;
}
