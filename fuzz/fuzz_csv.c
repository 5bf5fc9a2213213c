/* libFuzzer driver for the streaming CSV reader (src/core/csv.c), which reads
 * contact imports from the API and the CLI. The whole input is the CSV text, so
 * the seeds in fuzz/corpus/csv/ are plain CSV files. The split points, chunk size,
 * small limits and the record to stop at are taken from a hash of the input.
 *
 * Contracts checked, beyond ASan/UBSan (csv.h):
 *  - every callback: the line is >= 1, <= the number of line breaks + 1 (CRLF
 *    counts once) and greater than the previous callback's line; a bad record has
 *    one of the eight reasons, NULL fields and lens and n == 0; a good record has
 *    1 <= n <= max_fields, fields[i] NUL-terminated at lens[i] with no NUL before,
 *    lens[i] <= max_field, valid UTF-8, and its fields and commas fit in max_record;
 *  - chunking changes nothing: the input fed at once, cut at one point, and in
 *    chunks of 1..7 bytes gives the same callbacks, with the default limits and
 *    with small ones;
 *  - after sg_csv_finish, sg_csv_lines is the number of lines in the input;
 *  - a callback that asks to stop gets no further call, and feed and finish then
 *    return SG_CSV_STOPPED;
 *  - named check `csv-model`: the callbacks are the ones a slow, whole-buffer
 *    model of the rules in csv.h (below) gives. */
#include "fuzz_common.h"

#include "core/csv.h"

/* A growable byte log of callbacks, compared with memcmp. */
typedef struct fuzz_log {
    char *data;
    size_t len, cap;
} log_t;

static void log_put(log_t *l, const void *s, size_t n)
{
    if (l->len + n > l->cap) {
        size_t cap = l->cap ? l->cap : 1024;
        while (cap < l->len + n)
            cap *= 2;
        l->data = realloc(l->data, cap);
        if (!l->data)
            abort();
        l->cap = cap;
    }
    memcpy(l->data + l->len, s, n);
    l->len += n;
}

static bool log_same(const log_t *a, const log_t *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

/* True if a's entries are the first ones of b's. */
static bool log_prefix(const log_t *a, const log_t *b)
{
    return a->len <= b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

static void log_num(log_t *l, size_t v)
{
    char b[32];
    int n = snprintf(b, sizeof b, "%zu:", v);
    log_put(l, b, (size_t)n);
}

/* One entry: line, reason (empty for a good record), n, then each field as
 * length:bytes. Unambiguous, so equal logs mean equal callbacks. */
static void log_record(log_t *l, size_t line, const char *error, const char *const *fields,
                       const size_t *lens, size_t n)
{
    log_num(l, line);
    if (error)
        log_put(l, error, strlen(error));
    log_put(l, ";", 1);
    log_num(l, n);
    for (size_t i = 0; i < n; i++) {
        log_num(l, lens[i]);
        log_put(l, fields[i], lens[i]);
    }
    log_put(l, "\n", 1);
}

/* Well-formed UTF-8, decoded the long way (a different shape from csv.c's). */
static bool ref_utf8(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint32_t c = s[i];
        size_t len;
        uint32_t min;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            len = 2, min = 0x80, c &= 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3, min = 0x800, c &= 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4, min = 0x10000, c &= 0x07;
        } else {
            return false;
        }
        if (n - i < len)
            return false;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            c = (c << 6) | (s[i + k] & 0x3F);
        }
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
            return false;
        i += len;
    }
    return true;
}

static const char *const reasons[] = {
    SG_CSV_UNTERMINATED_QUOTE, SG_CSV_QUOTE_IN_UNQUOTED_FIELD, SG_CSV_TEXT_AFTER_CLOSING_QUOTE,
    SG_CSV_FIELD_TOO_LONG,     SG_CSV_TOO_MANY_FIELDS,         SG_CSV_RECORD_TOO_LONG,
    SG_CSV_INVALID_UTF8,       SG_CSV_NUL_BYTE,
};

typedef struct run {
    log_t log;
    size_t calls;
    size_t stop_at; /* ask to stop on this call, 1-based; 0 = never */
    size_t last_line;
    size_t max_line; /* line breaks in the input + 1 */
    sg_csv_limits lim;
} run_t;

static int on_record(void *user, size_t line, const char *const *fields, const size_t *lens,
                     size_t n, const char *error)
{
    run_t *r = user;
    FUZZ_CHECK(r->stop_at == 0 || r->calls < r->stop_at, "called again after asking to stop");
    FUZZ_CHECK(line >= 1 && line <= r->max_line, "line %zu of at most %zu", line, r->max_line);
    FUZZ_CHECK(line > r->last_line, "line %zu after line %zu", line, r->last_line);
    r->last_line = line;
    if (error) {
        bool known = false;
        for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
            known |= strcmp(error, reasons[i]) == 0;
        FUZZ_CHECK(known, "unknown reason \"%s\"", error);
        FUZZ_CHECK(!fields && !lens && n == 0, "bad record with fields=%p lens=%p n=%zu",
                   (const void *)fields, (const void *)lens, n);
    } else {
        FUZZ_CHECK(n >= 1 && n <= r->lim.max_fields, "%zu fields, max %zu", n, r->lim.max_fields);
        size_t total = n - 1;
        for (size_t i = 0; i < n; i++) {
            FUZZ_CHECK(lens[i] <= r->lim.max_field, "field %zu is %zu bytes, max %zu", i,
                       lens[i], r->lim.max_field);
            FUZZ_CHECK(fields[i][lens[i]] == '\0' && !memchr(fields[i], '\0', lens[i]),
                       "field %zu is not a C string of %zu bytes", i, lens[i]);
            FUZZ_CHECK(ref_utf8((const uint8_t *)fields[i], lens[i]), "field %zu not UTF-8", i);
            total += lens[i];
        }
        FUZZ_CHECK(total <= r->lim.max_record, "record of %zu bytes, max %zu", total,
                   r->lim.max_record);
    }
    log_record(&r->log, line, error, fields, lens, n);
    r->calls++;
    return r->stop_at && r->calls == r->stop_at;
}

/* Feed data in pieces: at `cut` (then the rest) when chunk is 0, else in chunks
 * of `chunk` bytes. Returns sg_csv_lines after finish. */
static size_t feed(run_t *r, const uint8_t *data, size_t size, size_t cut, size_t chunk)
{
    sg_csv *p;
    FUZZ_CHECK(sg_csv_new(&r->lim, on_record, r, &p) == SG_OK, "sg_csv_new");
    const char *s = (const char *)data;
    sg_err err = SG_OK;
    if (!chunk) {
        err = sg_csv_feed(p, s, cut);
        if (!err)
            err = sg_csv_feed(p, s + cut, size - cut);
    } else {
        for (size_t off = 0; off < size && !err; off += chunk)
            err = sg_csv_feed(p, s + off, size - off < chunk ? size - off : chunk);
    }
    if (!err)
        err = sg_csv_finish(p);
    if (r->stop_at && r->calls == r->stop_at) {
        FUZZ_CHECK(err == SG_CSV_STOPPED, "stopped, but feed/finish said %s", sg_strerror(err));
        FUZZ_CHECK(sg_csv_feed(p, "x\n", 2) == SG_CSV_STOPPED, "feed after stop");
        FUZZ_CHECK(sg_csv_finish(p) == SG_CSV_STOPPED, "finish after stop");
    } else {
        FUZZ_CHECK(err == SG_OK, "feed/finish said %s", sg_strerror(err));
        FUZZ_CHECK(sg_csv_finish(p) == SG_CSV_STOPPED, "second finish");
    }
    size_t lines = sg_csv_lines(p);
    sg_csv_free(p);
    return lines;
}

/* The model: the rules of csv.h applied to the whole input at once, one byte at a
 * time, with positions instead of states. Slow and plain on purpose. */
typedef struct model {
    const uint8_t *d;
    size_t n, i, line;
    sg_csv_limits lim;
    log_t *log;
    char *buf; /* the record's fields, NUL after each */
    size_t len, raw, nf, flen;
    size_t starts[1024];
} model_t;

static bool is_eol(uint8_t c)
{
    return c == '\r' || c == '\n';
}

/* Consume the line break at m->i: CR, LF or CRLF. */
static void model_break(model_t *m)
{
    if (m->d[m->i] == '\r' && m->i + 1 < m->n && m->d[m->i + 1] == '\n')
        m->i++;
    m->i++;
    m->line++;
}

/* One content byte: the field limit is checked before the record limit. */
static const char *model_content(model_t *m, uint8_t c)
{
    if (m->flen + 1 > m->lim.max_field)
        return SG_CSV_FIELD_TOO_LONG;
    if (m->raw + 1 > m->lim.max_record)
        return SG_CSV_RECORD_TOO_LONG;
    m->buf[m->len++] = (char)c;
    m->flen++;
    m->raw++;
    return NULL;
}

static const char *model_syntax(model_t *m)
{
    if (m->raw + 1 > m->lim.max_record)
        return SG_CSV_RECORD_TOO_LONG;
    m->raw++;
    return NULL;
}

static void model_end_field(model_t *m)
{
    m->buf[m->len++] = '\0';
    m->nf++;
}

static void model_deliver(model_t *m, size_t rec_line)
{
    model_end_field(m);
    if (!ref_utf8((const uint8_t *)m->buf, m->len)) {
        log_record(m->log, rec_line, SG_CSV_INVALID_UTF8, NULL, NULL, 0);
        return;
    }
    const char *fields[1024];
    size_t lens[1024];
    for (size_t k = 0; k < m->nf; k++) {
        fields[k] = m->buf + m->starts[k];
        lens[k] = strlen(fields[k]);
    }
    log_record(m->log, rec_line, NULL, fields, lens, m->nf);
}

/* Parse one record starting at m->i (not at a line break). Returns the reason if
 * it is bad, with m->i at the byte found wrong, or NULL once delivered, with the
 * line break after it consumed. *lf_after_cr is set when the wrong byte is the LF
 * of a CRLF inside quotes, whose line has then already been counted. */
static const char *model_record(model_t *m, size_t rec_line, bool *lf_after_cr)
{
    m->len = m->raw = m->nf = 0;
    for (;;) { /* at the start of a field */
        if (m->nf >= m->lim.max_fields)
            return SG_CSV_TOO_MANY_FIELDS;
        m->starts[m->nf] = m->len;
        m->flen = 0;
        const char *why;
        if (m->i < m->n && m->d[m->i] == '"') {
            if ((why = model_syntax(m)))
                return why;
            m->i++;
            for (;;) {
                if (m->i == m->n)
                    return SG_CSV_UNTERMINATED_QUOTE;
                uint8_t c = m->d[m->i];
                if (c == '"') {
                    if ((why = model_syntax(m)))
                        return why;
                    m->i++;
                    if (m->i < m->n && m->d[m->i] == '"') {
                        if ((why = model_content(m, '"')))
                            return why;
                        m->i++;
                        continue;
                    }
                    break;
                }
                if (c == '\0')
                    return SG_CSV_NUL_BYTE;
                if ((why = model_content(m, c)))
                    return why;
                m->i++;
                if (is_eol(c)) {
                    m->line++;
                    if (c == '\r' && m->i < m->n && m->d[m->i] == '\n') {
                        if ((why = model_content(m, '\n'))) {
                            *lf_after_cr = true;
                            return why;
                        }
                        m->i++;
                    }
                }
            }
            if (m->i < m->n && m->d[m->i] != ',' && !is_eol(m->d[m->i]))
                return m->d[m->i] ? SG_CSV_TEXT_AFTER_CLOSING_QUOTE : SG_CSV_NUL_BYTE;
        } else {
            while (m->i < m->n) {
                uint8_t c = m->d[m->i];
                if (c == ',' || is_eol(c))
                    break;
                if (c == '"')
                    return SG_CSV_QUOTE_IN_UNQUOTED_FIELD;
                if (c == '\0')
                    return SG_CSV_NUL_BYTE;
                if ((why = model_content(m, c)))
                    return why;
                m->i++;
            }
        }
        if (m->i == m->n) {
            model_deliver(m, rec_line);
            return NULL;
        }
        if (is_eol(m->d[m->i])) {
            model_break(m);
            model_deliver(m, rec_line);
            return NULL;
        }
        if ((why = model_syntax(m))) /* the comma */
            return why;
        m->i++;
        model_end_field(m);
    }
}

static void model_run(const uint8_t *d, size_t n, const sg_csv_limits *lim, log_t *log)
{
    model_t *m = calloc(1, sizeof *m);
    if (!m)
        abort();
    m->d = d;
    m->n = n;
    m->line = 1;
    m->lim = *lim;
    m->log = log;
    m->buf = malloc(n + 1);
    if (!m->buf)
        abort();
    if (n >= 3 && memcmp(d, "\xEF\xBB\xBF", 3) == 0)
        m->i = 3;
    while (m->i < n) {
        if (is_eol(d[m->i])) { /* a blank line */
            model_break(m);
            continue;
        }
        size_t rec_line = m->line;
        bool lf_after_cr = false;
        const char *why = model_record(m, rec_line, &lf_after_cr);
        if (!why)
            continue;
        log_record(log, rec_line, why, NULL, NULL, 0);
        if (lf_after_cr) {
            m->i++;
            continue;
        }
        while (m->i < n && !is_eol(d[m->i]))
            m->i++;
        if (m->i < n)
            model_break(m);
    }
    free(m->buf);
    free(m);
}

static uint64_t hash(const uint8_t *d, size_t n)
{
    uint64_t h = 1469598103934665603u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ d[i]) * 1099511628211u;
    return h;
}

/* Check every way of feeding against the first, and against the model. */
static void check_limits(const uint8_t *data, size_t size, sg_csv_limits lim, uint64_t h,
                         size_t max_line, size_t lines)
{
    run_t whole = {.lim = lim, .max_line = max_line};
    if (!lim.max_field)
        whole.lim.max_field = SG_CSV_DEFAULT_MAX_FIELD;
    if (!lim.max_fields)
        whole.lim.max_fields = SG_CSV_DEFAULT_MAX_FIELDS;
    if (!lim.max_record)
        whole.lim.max_record = SG_CSV_DEFAULT_MAX_RECORD;
    FUZZ_CHECK(feed(&whole, data, size, size, 0) == lines, "sg_csv_lines after finish != %zu",
               lines);

    size_t cut = (size_t)(h % (size + 1));
    size_t chunk = 1 + (size_t)((h >> 20) % 7);
    for (int way = 0; way < 2; way++) {
        run_t r = {.lim = whole.lim, .max_line = max_line};
        size_t got = way == 0 ? feed(&r, data, size, cut, 0) : feed(&r, data, size, 0, chunk);
        FUZZ_CHECK(got == lines, "sg_csv_lines %zu != %zu", got, lines);
        FUZZ_CHECK(log_same(&r.log, &whole.log),
                   "%s changed the callbacks:\n--- at once:\n%.*s--- %s:\n%.*s",
                   way == 0 ? "cutting" : "chunking", (int)whole.log.len, whole.log.data,
                   way == 0 ? "cut" : "chunked", (int)r.log.len, r.log.data);
        free(r.log.data);
    }

    /* Stop at one of the callbacks: exactly those before it, and it, happen. */
    if (whole.calls) {
        run_t r = {.lim = whole.lim, .max_line = max_line};
        r.stop_at = 1 + (size_t)((h >> 32) % whole.calls);
        feed(&r, data, size, 0, chunk);
        FUZZ_CHECK(r.calls == r.stop_at && log_prefix(&r.log, &whole.log),
                   "stopping at call %zu gave %zu calls", r.stop_at, r.calls);
        free(r.log.data);
    }

    if (fuzz_check_enabled("csv-model") && whole.lim.max_fields <= 1024) {
        log_t m = {0};
        model_run(data, size, &whole.lim, &m);
        FUZZ_CHECK(log_same(&m, &whole.log),
                   "[csv-model] the reader and the model disagree:\n--- reader:\n%.*s--- model:\n%.*s",
                   (int)whole.log.len, whole.log.data, (int)m.len, m.data);
        free(m.data);
    }
    free(whole.log.data);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Line breaks (CRLF once) and lines, a BOM at the start not counting. */
    size_t breaks = 0, last_break_end = 0, start = 0;
    if (size >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        start = last_break_end = 3;
    for (size_t i = start; i < size; i++) {
        if (data[i] == '\n' && i > 0 && data[i - 1] == '\r') {
            last_break_end = i + 1;
            continue;
        }
        if (data[i] == '\n' || data[i] == '\r') {
            breaks++;
            last_break_end = i + 1;
        }
    }
    size_t lines = breaks + (size > last_break_end);

    uint64_t h = hash(data, size);
    check_limits(data, size, (sg_csv_limits){0, 0, 0}, h, breaks + 1, lines);
    sg_csv_limits small = {1 + (size_t)(h >> 40) % 12, 1 + (size_t)(h >> 48) % 6,
                           1 + (size_t)(h >> 54) % 40};
    check_limits(data, size, small, h >> 7, breaks + 1, lines);
    return 0;
}
