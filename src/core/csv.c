#include "core/csv.h"

#include "util/utf8.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Where the reader is. Only S_RECORD and S_SKIP are between records; the others
 * are inside one whose start line is rec_line. */
enum state {
    S_RECORD,   /* nothing of the next record read yet */
    S_FIELD,    /* at the start of a field after a comma */
    S_UNQUOTED, /* inside an unquoted field */
    S_QUOTED,   /* inside a quoted field */
    S_QUOTE,    /* after a '"' inside a quoted field: the closing one, or half of "" */
    S_SKIP,     /* a bad record was reported: skipping to the end of the line */
};

struct sg_csv {
    sg_csv_record_fn fn;
    void *user;
    size_t max_field, max_fields, max_record;

    enum state state;
    bool after_cr; /* the last byte was a CR, so an LF now ends no new line */
    bool bom_done; /* the start of the input has been checked for a BOM */
    unsigned bom_seen;
    bool finished;
    bool stopped;
    sg_err failed; /* SG_ERR_NOMEM once an allocation has failed: the reader is lost */

    size_t line;         /* line of the next byte, 1-based */
    size_t rec_line;     /* line where the current record starts */
    uint64_t offset;     /* bytes read before the current chunk, BOM excluded */
    uint64_t line_start; /* offset just after the last line break */

    /* The current record: the fields' bytes one after another, each ended by a NUL
     * once complete. lens[k] is where field k starts in buf until the record is
     * delivered, then its length. len <= raw + 1 <= max_record + 1 bounds cap. */
    char *buf;
    size_t len, cap;
    size_t raw; /* bytes of the record as written so far */
    size_t nf;  /* complete fields */
    size_t *lens;
    const char **ptrs;
    size_t fcap; /* entries in lens and ptrs, <= max_fields */
};

/* A reason that is not a record's fault: an allocation failed. Compared by address. */
static const char oom[] = "out_of_memory";

static const unsigned char bom[3] = {0xEF, 0xBB, 0xBF};

/* Bytes that end a run of ordinary bytes in each state. The hot loops test one
 * table entry per byte and copy whole runs with memcpy. */
enum { STOP_UNQ = 1, STOP_Q = 2, STOP_EOL = 4 };
static const uint8_t stops[256] = {
    ['\0'] = STOP_UNQ | STOP_Q,
    ['\n'] = STOP_UNQ | STOP_Q | STOP_EOL,
    ['\r'] = STOP_UNQ | STOP_Q | STOP_EOL,
    ['"'] = STOP_UNQ | STOP_Q,
    [','] = STOP_UNQ,
};

/* Make room for extra more bytes and a NUL. Never beyond what the limits allow
 * (the callers have checked them), so a record costs at most max_record + 1. */
static bool grow(sg_csv *p, size_t extra)
{
    size_t need = p->len + extra + 1;
    size_t cap = p->cap ? p->cap : 256;
    while (cap < need)
        cap *= 2;
    if (cap > p->max_record + 1)
        cap = p->max_record + 1;
    if (cap < need)
        cap = need;
    char *b = realloc(p->buf, cap);
    if (!b)
        return false;
    p->buf = b;
    p->cap = cap;
    return true;
}

static bool grow_fields(sg_csv *p)
{
    size_t cap = p->fcap * 2;
    if (cap > p->max_fields)
        cap = p->max_fields;
    size_t *lens = realloc(p->lens, cap * sizeof *lens);
    if (!lens)
        return false;
    p->lens = lens;
    const char **ptrs = realloc(p->ptrs, cap * sizeof *ptrs);
    if (!ptrs)
        return false;
    p->ptrs = ptrs;
    p->fcap = cap;
    return true;
}

/* Count k bytes of the record that are not field content (quotes, commas). */
static const char *count_raw(sg_csv *p, size_t k)
{
    if (k > p->max_record - p->raw)
        return SG_CSV_RECORD_TOO_LONG;
    p->raw += k;
    return NULL;
}

/* Append k bytes that are both content and written as they are. When both limits
 * are crossed inside the run, the one crossed at the earlier byte is the reason
 * (the field limit on a tie), so the answer does not depend on how the input was
 * cut into chunks. */
static const char *append(sg_csv *p, const void *src, size_t k)
{
    size_t room_f = p->max_field - (p->len - p->lens[p->nf]);
    size_t room_r = p->max_record - p->raw;
    if (k > room_f && room_f <= room_r)
        return SG_CSV_FIELD_TOO_LONG;
    if (k > room_r)
        return SG_CSV_RECORD_TOO_LONG;
    if (p->len + k + 1 > p->cap && !grow(p, k))
        return oom;
    memcpy(p->buf + p->len, src, k);
    p->len += k;
    p->raw += k;
    return NULL;
}

static const char *start_field(sg_csv *p)
{
    if (p->nf >= p->max_fields)
        return SG_CSV_TOO_MANY_FIELDS;
    if (p->nf >= p->fcap && !grow_fields(p))
        return oom;
    p->lens[p->nf] = p->len;
    return NULL;
}

static const char *end_field(sg_csv *p)
{
    if (p->len + 1 > p->cap && !grow(p, 0))
        return oom;
    p->buf[p->len++] = '\0';
    p->nf++;
    return NULL;
}

static const char *comma(sg_csv *p)
{
    const char *why = count_raw(p, 1);
    if (!why)
        why = end_field(p);
    if (!why)
        why = start_field(p);
    return why;
}

static void begin_record(sg_csv *p)
{
    p->rec_line = p->line;
    p->len = 0;
    p->raw = 0;
    p->nf = 0;
    p->lens[0] = 0; /* fcap >= 1 from sg_csv_new */
}

/* A line break at the byte before offset `after` in the current chunk. */
static void line_break(sg_csv *p, unsigned char c, size_t after)
{
    p->line++;
    p->after_cr = c == '\r';
    p->line_start = p->offset + after;
}

static sg_err stop(sg_csv *p)
{
    p->stopped = true;
    return SG_CSV_STOPPED;
}

/* Report the current record as bad, then skip the rest of its line. */
static sg_err report(sg_csv *p, const char *why)
{
    if (why == oom) {
        p->failed = SG_ERR_NOMEM;
        return SG_ERR_NOMEM;
    }
    p->state = S_SKIP;
    if (p->fn(p->user, p->rec_line, NULL, NULL, 0, why))
        return stop(p);
    return SG_OK;
}

/* Close the last field and hand the record to the callback. */
static sg_err deliver(sg_csv *p)
{
    if (end_field(p))
        return report(p, oom);
    if (!sg_utf8_valid(p->buf, p->len))
        return report(p, SG_CSV_INVALID_UTF8);
    size_t n = p->nf;
    for (size_t k = 0; k < n; k++) {
        size_t start = p->lens[k];
        size_t end = k + 1 < n ? p->lens[k + 1] : p->len;
        p->ptrs[k] = p->buf + start;
        p->lens[k] = end - start - 1; /* the NUL */
    }
    if (p->fn(p->user, p->rec_line, p->ptrs, p->lens, n, NULL))
        return stop(p);
    return SG_OK;
}

/* The state machine. Every byte is looked at once, except the one that makes a
 * record bad: it is looked at again in S_SKIP, so a line break that overflows a
 * quoted field still ends the line being skipped. */
static sg_err run(sg_csv *p, const unsigned char *s, size_t n)
{
    size_t i = 0;
    sg_err err = SG_OK;
    while (i < n) {
        unsigned char c = s[i];
        const char *why = NULL;
        if (p->after_cr) {
            p->after_cr = false;
            if (c == '\n') { /* the LF of a CRLF: the line was counted at the CR */
                i++;
                p->line_start = p->offset + i;
                if (p->state == S_QUOTED && (why = append(p, "\n", 1))) {
                    err = report(p, why);
                    p->state = S_RECORD; /* the line being skipped has ended */
                    if (err)
                        return err;
                }
                continue;
            }
        }
        switch (p->state) {
        case S_SKIP:
            while (i < n && !(stops[s[i]] & STOP_EOL))
                i++;
            if (i < n) {
                c = s[i++];
                line_break(p, c, i);
                p->state = S_RECORD;
            }
            continue;
        case S_RECORD:
            if (c == '\n' || c == '\r') { /* a blank line */
                i++;
                line_break(p, c, i);
                continue;
            }
            begin_record(p);
            __attribute__((fallthrough));
        case S_FIELD:
            if (c == '"') {
                if (!(why = count_raw(p, 1))) {
                    p->state = S_QUOTED;
                    i++;
                }
                break;
            }
            p->state = S_UNQUOTED;
            __attribute__((fallthrough));
        case S_UNQUOTED: {
            size_t j = i;
            while (j < n && !(stops[s[j]] & STOP_UNQ))
                j++;
            if (j > i) {
                if ((why = append(p, s + i, j - i)))
                    break;
                i = j;
                if (i == n)
                    continue;
                c = s[i];
            }
            if (c == ',') {
                if (!(why = comma(p))) {
                    p->state = S_FIELD;
                    i++;
                }
            } else if (c == '\n' || c == '\r') {
                i++;
                line_break(p, c, i);
                p->state = S_RECORD;
                if ((err = deliver(p)))
                    return err;
                p->state = S_RECORD; /* deliver() may have reported it bad */
            } else {
                why = c == '"' ? SG_CSV_QUOTE_IN_UNQUOTED_FIELD : SG_CSV_NUL_BYTE;
            }
            break;
        }
        case S_QUOTED: {
            size_t j = i;
            while (j < n && !(stops[s[j]] & STOP_Q))
                j++;
            if (j > i) {
                if ((why = append(p, s + i, j - i)))
                    break;
                i = j;
                if (i == n)
                    continue;
                c = s[i];
            }
            if (c == '"') {
                if (!(why = count_raw(p, 1))) {
                    p->state = S_QUOTE;
                    i++;
                }
            } else if (c == '\n' || c == '\r') {
                if (!(why = append(p, &c, 1))) {
                    i++;
                    line_break(p, c, i);
                }
            } else {
                why = SG_CSV_NUL_BYTE;
            }
            break;
        }
        case S_QUOTE:
            if (c == '"') { /* "" inside quotes: one quote */
                if (!(why = append(p, "\"", 1))) {
                    p->state = S_QUOTED;
                    i++;
                }
            } else if (c == ',') {
                if (!(why = comma(p))) {
                    p->state = S_FIELD;
                    i++;
                }
            } else if (c == '\n' || c == '\r') {
                i++;
                line_break(p, c, i);
                p->state = S_RECORD;
                if ((err = deliver(p)))
                    return err;
                p->state = S_RECORD;
            } else {
                why = c ? SG_CSV_TEXT_AFTER_CLOSING_QUOTE : SG_CSV_NUL_BYTE;
            }
            break;
        }
        if (why && (err = report(p, why)))
            return err; /* otherwise s[i] is read again, in S_SKIP */
    }
    p->offset += n;
    return SG_OK;
}

sg_err sg_csv_new(const sg_csv_limits *lim, sg_csv_record_fn fn, void *user, sg_csv **out)
{
    if (!fn || !out)
        return SG_ERR_INVALID;
    *out = NULL;
    sg_csv_limits l = lim ? *lim : (sg_csv_limits){0};
    if (l.max_field > SG_CSV_LIMIT_MAX || l.max_fields > SG_CSV_LIMIT_MAX ||
        l.max_record > SG_CSV_LIMIT_MAX)
        return SG_ERR_INVALID;
    sg_csv *p = calloc(1, sizeof *p);
    if (!p)
        return SG_ERR_NOMEM;
    p->fn = fn;
    p->user = user;
    p->max_field = l.max_field ? l.max_field : SG_CSV_DEFAULT_MAX_FIELD;
    p->max_fields = l.max_fields ? l.max_fields : SG_CSV_DEFAULT_MAX_FIELDS;
    p->max_record = l.max_record ? l.max_record : SG_CSV_DEFAULT_MAX_RECORD;
    p->state = S_RECORD;
    p->line = 1;
    p->fcap = p->max_fields < 16 ? p->max_fields : 16;
    p->lens = malloc(p->fcap * sizeof *p->lens);
    p->ptrs = malloc(p->fcap * sizeof *p->ptrs);
    if (!p->lens || !p->ptrs) {
        sg_csv_free(p);
        return SG_ERR_NOMEM;
    }
    *out = p;
    return SG_OK;
}

/* The state every call checks first: NOMEM wins, then "stopped or finished". */
static sg_err usable(const sg_csv *p)
{
    if (p->failed)
        return p->failed;
    if (p->stopped || p->finished)
        return SG_CSV_STOPPED;
    return SG_OK;
}

/* Hand over the BOM's first bytes, held back while they matched: they were not
 * a BOM after all. */
static sg_err no_bom(sg_csv *p)
{
    p->bom_done = true;
    return p->bom_seen ? run(p, bom, p->bom_seen) : SG_OK;
}

sg_err sg_csv_feed(sg_csv *p, const char *data, size_t len)
{
    if (!p || (!data && len))
        return SG_ERR_INVALID;
    sg_err err = usable(p);
    if (err)
        return err;
    const unsigned char *s = (const unsigned char *)data;
    while (!p->bom_done && len) {
        if (*s != bom[p->bom_seen]) {
            if ((err = no_bom(p)))
                return err;
            break;
        }
        s++;
        len--;
        if (++p->bom_seen == sizeof bom)
            p->bom_done = true;
    }
    return len ? run(p, s, len) : SG_OK;
}

sg_err sg_csv_finish(sg_csv *p)
{
    if (!p)
        return SG_ERR_INVALID;
    sg_err err = usable(p);
    if (err)
        return err;
    if (!p->bom_done && (err = no_bom(p)))
        return err;
    p->finished = true;
    enum state st = p->state;
    p->state = S_RECORD;
    switch (st) {
    case S_RECORD:
    case S_SKIP:
        return SG_OK;
    case S_QUOTED:
        return report(p, SG_CSV_UNTERMINATED_QUOTE);
    case S_FIELD:
    case S_UNQUOTED:
    case S_QUOTE:
        return deliver(p);
    }
    return SG_OK;
}

void sg_csv_free(sg_csv *p)
{
    if (!p)
        return;
    free(p->buf);
    free(p->lens);
    free(p->ptrs);
    free(p);
}

size_t sg_csv_lines(const sg_csv *p)
{
    if (!p)
        return 0;
    size_t n = p->line - 1;
    if (p->finished && p->offset > p->line_start)
        n++;
    return n;
}
