#include "core/segment_filter.h"
#include "util/time.h"
#include "util/utf8.h"

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The words of the language, as tables: a new field or operator is one row. The
 * parser matches them without regard to ASCII case; the formatter writes them as
 * spelled here. */
static const struct field_name {
    const char *name;
    sg_seg_field field;
    bool is_date;
} fields[] = {
    {"first_name", SG_SEG_FIELD_FIRST_NAME, false},
    {"last_name", SG_SEG_FIELD_LAST_NAME, false},
    {"phone", SG_SEG_FIELD_PHONE, false},
    {"last_activity", SG_SEG_FIELD_LAST_ACTIVITY, true},
    {"created", SG_SEG_FIELD_CREATED, true},
};

#define ATTR_PREFIX     "attributes."
#define ATTR_PREFIX_LEN (sizeof ATTR_PREFIX - 1)

/* Indexed by sg_seg_op. word: written with spaces around it and needs a STRING. */
static const struct op_name {
    const char *name;
    bool word;
} ops[] = {
    [SG_SEG_EQ] = {"=", false},
    [SG_SEG_NE] = {"!=", false},
    [SG_SEG_LT] = {"<", false},
    [SG_SEG_LE] = {"<=", false},
    [SG_SEG_GT] = {">", false},
    [SG_SEG_GE] = {">=", false},
    [SG_SEG_CONTAINS] = {"contains", true},
    [SG_SEG_STARTS_WITH] = {"starts_with", true},
};

static const char *const time_ops[] = {
    [SG_SEG_WITHIN] = "within",
    [SG_SEG_BEFORE] = "before",
    [SG_SEG_AFTER] = "after",
};

/* The tests that are a single word. */
static const struct flag_test {
    const char *name;
    sg_seg_kind kind;
} flag_tests[] = {
    {"mobile", SG_SEG_MOBILE},
    {"opted_out", SG_SEG_OPTED_OUT},
};

/* Duration units, largest first: the formatter writes a duration in the first
 * unit that divides it. */
static const struct unit {
    char letter;
    int64_t seconds;
} units[] = {{'w', 7 * 86400}, {'d', 86400}, {'h', 3600}, {'m', 60}};

/* Words that may follow a test or an operand; met where a test should start they
 * get "expected a test" rather than "unknown field". */
static const char *const reserved[] = {"and",      "or",          "not",    "group",  "exists",
                                       "contains", "starts_with", "within", "before", "after"};

#define N_FIELDS     (sizeof fields / sizeof fields[0])
#define N_OPS        (sizeof ops / sizeof ops[0])
#define N_TIME_OPS   (sizeof time_ops / sizeof time_ops[0])
#define N_FLAG_TESTS (sizeof flag_tests / sizeof flag_tests[0])
#define N_UNITS      (sizeof units / sizeof units[0])
#define N_RESERVED   (sizeof reserved / sizeof reserved[0])

#define MS_PER_DAY INT64_C(86400000)
#define YEAR_MIN   1970
#define YEAR_MAX   9999

/* How much of a word or number an error message quotes. */
#define QUOTE_MAX 32

/* ---- characters ---- */

/* ASCII only, whatever the locale: a Turkish locale must not turn "IN" into
 * something that is not "in". */
static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_key_char(unsigned char c)
{
    return is_alpha(c) || is_digit(c) || c == '_';
}

static unsigned char to_lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* Length of the well-formed UTF-8 sequence at s, or 0 if it is not one. */
static size_t utf8_len(const unsigned char *s, size_t avail)
{
    uint32_t cp;
    return sg_utf8_decode((const char *)s, avail, &cp);
}

/* What a STRING may hold: at most SG_SEGMENT_STRING_MAX bytes of UTF-8 without
 * control characters. The formatter checks hand-built trees with it; the lexer
 * applies the same rules byte by byte to report where they break. */
static bool string_ok(const char *text)
{
    if (!text)
        return false;
    size_t len = strnlen(text, SG_SEGMENT_STRING_MAX + 1);
    if (len > SG_SEGMENT_STRING_MAX)
        return false;
    const unsigned char *s = (const unsigned char *)text;
    for (size_t i = 0; i < len;) {
        if (s[i] < 0x20 || s[i] == 0x7F)
            return false;
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        size_t k = utf8_len(s + i, len - i);
        if (!k)
            return false;
        i += k;
    }
    return true;
}

/* An attribute key: NUL-terminated within attr, 1 to 64 key characters. */
static bool key_ok(const char attr[SG_SEGMENT_KEY_MAX + 1])
{
    size_t len = strnlen(attr, SG_SEGMENT_KEY_MAX + 1);
    if (len == 0 || len > SG_SEGMENT_KEY_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!is_key_char((unsigned char)attr[i]))
            return false;
    return true;
}

/* ---- dates (days since 1970-01-01: util/time.h) ---- */

static int64_t max_date_ms(void)
{
    return sg_days_from_civil(YEAR_MAX, 12, 31) * MS_PER_DAY;
}

/* ---- lexer ---- */

typedef enum tok_kind {
    T_END,
    T_WORD,   /* [A-Za-z_][A-Za-z0-9_.]*: keywords, fields, attributes.KEY */
    T_NUM,    /* [0-9.-][A-Za-z0-9_.-]*: a NUMBER, DURATION or DATE, checked in context */
    T_STRING, /* unescaped into parser.str */
    T_LPAREN,
    T_RPAREN,
    T_OP, /* = != < <= > >= */
} tok_kind;

typedef struct token {
    tok_kind kind;
    size_t off, len; /* bytes of the text it spans */
    sg_seg_op op;    /* T_OP */
} token;

typedef struct parser {
    const char *text;
    size_t len;
    size_t pos; /* where the token after tok starts to be looked for */
    token tok;  /* the current token */
    char str[SG_SEGMENT_STRING_MAX + 1];
    size_t str_len;
    int depth; /* "(" and "not" around the current point */
    int nodes;
    int terms; /* the tests among the nodes */
    sg_seg_error *err;
} parser;

/* Report an input error at off: the detail is the message and " at <off>",
 * the message cut short if both do not fit. Always SG_ERR_INVALID. */
static sg_err fail(parser *p, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static sg_err fail(parser *p, size_t off, const char *fmt, ...)
{
    if (p->err) {
        char msg[sizeof p->err->detail];
        char at[32];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        snprintf(at, sizeof at, " at %zu", off);
        size_t n = strlen(msg), a = strlen(at);
        if (n > sizeof p->err->detail - 1 - a)
            n = sizeof p->err->detail - 1 - a;
        memcpy(p->err->detail, msg, n);
        memcpy(p->err->detail + n, at, a + 1);
        p->err->offset = off;
    }
    return SG_ERR_INVALID;
}

/* err, from fail() for a bound that was passed: marks the error too_complex. */
static sg_err bound(parser *p, sg_err err)
{
    if (p->err)
        p->err->too_complex = true;
    return err;
}

static sg_err no_memory(parser *p, size_t off)
{
    fail(p, off, "out of memory");
    return SG_ERR_NOMEM;
}

/* A short description of t for error messages: its text in quotes (words and
 * numbers are ASCII), or what it is. */
static const char *describe(const parser *p, const token *t, char buf[48])
{
    switch (t->kind) {
    case T_END:
        return "the end of the filter";
    case T_STRING:
        return "a string";
    case T_LPAREN:
        return "'('";
    case T_RPAREN:
        return "')'";
    case T_OP:
        snprintf(buf, 48, "'%s'", ops[t->op].name);
        return buf;
    case T_WORD:
    case T_NUM:
        break;
    }
    if (t->len > QUOTE_MAX)
        snprintf(buf, 48, "'%.*s...'", QUOTE_MAX, p->text + t->off);
    else
        snprintf(buf, 48, "'%.*s'", (int)t->len, p->text + t->off);
    return buf;
}

/* Read the STRING whose opening quote is at start into p->str. */
static sg_err lex_string(parser *p, size_t start)
{
    const unsigned char *s = (const unsigned char *)p->text;
    size_t i = start + 1, n = 0;
    for (;;) {
        if (i >= p->len)
            return fail(p, start, "unterminated string: no closing '\"'");
        unsigned char c = s[i];
        size_t k = 1;
        if (c == '"')
            break;
        if (c == '\\') {
            if (i + 1 >= p->len)
                return fail(p, start, "unterminated string: no closing '\"'");
            c = s[i + 1];
            if (c != '"' && c != '\\')
                return fail(p, i, "unknown escape in a string: only \\\" and \\\\ are allowed");
            i++;
        } else if (c < 0x20 || c == 0x7F) {
            return fail(p, i, "control character 0x%02X in a string", c);
        } else if (c >= 0x80) {
            k = utf8_len(s + i, p->len - i);
            if (!k)
                return fail(p, i, "invalid UTF-8 in a string");
        }
        if (n + k > SG_SEGMENT_STRING_MAX)
            return fail(p, start, "string longer than %d bytes", SG_SEGMENT_STRING_MAX);
        memcpy(p->str + n, s + i, k);
        n += k;
        i += k;
    }
    p->str[n] = '\0';
    p->str_len = n;
    p->tok.kind = T_STRING;
    p->tok.len = i + 1 - start;
    return SG_OK;
}

/* Move to the next token. */
static sg_err next(parser *p)
{
    const unsigned char *s = (const unsigned char *)p->text;
    size_t i = p->pos;
    while (i < p->len && is_space(s[i]))
        i++;
    token *t = &p->tok;
    t->off = i;
    t->len = 1;
    if (i == p->len) {
        t->kind = T_END;
        t->len = 0;
        p->pos = i;
        return SG_OK;
    }
    unsigned char c = s[i];
    /* s[i + 1] below is at most the terminating NUL. */
    switch (c) {
    case '(':
        t->kind = T_LPAREN;
        break;
    case ')':
        t->kind = T_RPAREN;
        break;
    case '=':
        t->kind = T_OP;
        t->op = SG_SEG_EQ;
        break;
    case '!':
        if (s[i + 1] != '=')
            return fail(p, i, "unexpected '!': write '!=' to compare, 'not' to negate");
        t->kind = T_OP;
        t->op = SG_SEG_NE;
        t->len = 2;
        break;
    case '<':
    case '>':
        t->kind = T_OP;
        t->len = s[i + 1] == '=' ? 2 : 1;
        if (c == '<')
            t->op = t->len == 2 ? SG_SEG_LE : SG_SEG_LT;
        else
            t->op = t->len == 2 ? SG_SEG_GE : SG_SEG_GT;
        break;
    case '"': {
        sg_err err = lex_string(p, i);
        if (err)
            return err;
        break;
    }
    default:
        if (is_alpha(c) || c == '_') {
            t->kind = T_WORD;
            while (i + t->len < p->len && (is_key_char(s[i + t->len]) || s[i + t->len] == '.'))
                t->len++;
        } else if (is_digit(c) || c == '-' || c == '.') {
            t->kind = T_NUM;
            while (i + t->len < p->len &&
                   (is_key_char(s[i + t->len]) || s[i + t->len] == '.' || s[i + t->len] == '-'))
                t->len++;
        } else if (c == '\'') {
            return fail(p, i, "strings are written in double quotes, not single quotes");
        } else if (c >= 0x80) {
            return fail(p, i, "unexpected byte 0x%02X: non-ASCII text belongs in a string", c);
        } else if (c < 0x20 || c == 0x7F) {
            return fail(p, i, "unexpected control character 0x%02X", c);
        } else {
            return fail(p, i, "unexpected character '%c'", c);
        }
    }
    p->pos = t->off + t->len;
    return SG_OK;
}

static bool word_is(const parser *p, const token *t, const char *word)
{
    size_t n = strlen(word);
    if (t->kind != T_WORD || t->len != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (to_lower((unsigned char)p->text[t->off + i]) != (unsigned char)word[i])
            return false;
    return true;
}

/* ---- values ---- */

/* A NUMBER: '-'? digits ('.' digits)?. It is converted as "<digits>e-<fraction
 * length>", which strtod reads the same in every locale (no radix character)
 * and rounds correctly however many digits there are. Values that overflow, or
 * that are not zero but round to zero or a subnormal, are refused. */
static sg_err parse_number(parser *p, const token *t, double *out)
{
    const char *s = p->text + t->off;
    size_t n = t->len, i = 0, b = 0, frac = 0;
    char buf[SG_SEGMENT_TEXT_MAX + 32];
    bool nonzero = false;
    char q[48];

    if (s[i] == '-')
        buf[b++] = s[i++];
    size_t int_start = i;
    while (i < n && is_digit((unsigned char)s[i])) {
        nonzero |= s[i] != '0';
        buf[b++] = s[i++];
    }
    bool ok = i > int_start;
    if (ok && i < n && s[i] == '.') {
        size_t frac_start = ++i;
        while (i < n && is_digit((unsigned char)s[i])) {
            nonzero |= s[i] != '0';
            buf[b++] = s[i++];
        }
        frac = i - frac_start;
        ok = frac > 0;
    }
    if (!ok || i != n)
        return fail(p, t->off, "%s is not a number (write e.g. 42, -3.5 or 0.5)",
                    describe(p, t, q));
    snprintf(buf + b, sizeof buf - b, "e-%zu", frac);
    double v = strtod(buf, NULL);
    if (!isfinite(v) || (nonzero && fabs(v) < DBL_MIN))
        return fail(p, t->off, "number %s is out of range", describe(p, t, q));
    *out = v == 0 ? 0.0 : v; /* no -0 */
    return SG_OK;
}

/* A DURATION: digits and a unit. */
static sg_err parse_duration(parser *p, const token *t, int64_t *seconds)
{
    const char *s = p->text + t->off;
    size_t n = t->len, i = 0;
    int64_t v = 0;
    char q[48];

    while (i < n && is_digit((unsigned char)s[i])) {
        if (v < INT64_C(1000000000000)) /* saturates far above any bound */
            v = v * 10 + (s[i] - '0');
        i++;
    }
    if (i == 0 || i + 1 != n) {
        if (i > 0 && i == n)
            return fail(p, t->off, "duration %s needs a unit: m, h, d or w (e.g. 30d)",
                        describe(p, t, q));
        return fail(p, t->off, "%s is not a duration (e.g. 90m, 12h, 30d, 2w)", describe(p, t, q));
    }
    const struct unit *u = NULL;
    for (size_t k = 0; k < N_UNITS; k++)
        if (units[k].letter == s[i])
            u = &units[k];
    if (!u)
        return fail(p, t->off + i, "unknown duration unit '%c': use m, h, d or w", s[i]);
    if (v > SG_SEGMENT_DURATION_MAX / u->seconds)
        return fail(p, t->off, "duration %s is longer than 36500 days", describe(p, t, q));
    *seconds = v * u->seconds;
    return SG_OK;
}

/* A DATE: YYYY-MM-DD, a real date from 1970-01-01 to 9999-12-31. */
static sg_err parse_date(parser *p, const token *t, int64_t *at_ms)
{
    const char *s = p->text + t->off;
    char q[48];
    bool shape = t->len == 10 && s[4] == '-' && s[7] == '-';
    for (size_t i = 0; shape && i < 10; i++)
        if (i != 4 && i != 7 && !is_digit((unsigned char)s[i]))
            shape = false;
    if (!shape)
        return fail(p, t->off, "%s is not a date (YYYY-MM-DD) or a duration (e.g. 30d)",
                    describe(p, t, q));
    int64_t y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    unsigned m = (unsigned)((s[5] - '0') * 10 + (s[6] - '0'));
    unsigned d = (unsigned)((s[8] - '0') * 10 + (s[9] - '0'));
    if (m < 1 || m > 12 || d < 1 || d > (unsigned)sg_days_in_month(y, (int)m))
        return fail(p, t->off, "%s is not a calendar date", describe(p, t, q));
    if (y < YEAR_MIN)
        return fail(p, t->off, "date %s is before 1970-01-01", describe(p, t, q));
    *at_ms = sg_days_from_civil(y, (int)m, (int)d) * MS_PER_DAY;
    return SG_OK;
}

/* ---- parser ---- */

static sg_err new_node(parser *p, sg_seg_kind kind, size_t off, sg_seg_node **out)
{
    if (p->nodes >= SG_SEGMENT_NODES_MAX)
        return bound(p, fail(p, off, "filter too complex: at most %d nodes (tests, and, or, not)",
                             SG_SEGMENT_NODES_MAX));
    bool test =
        kind != SG_SEG_TRUE && kind != SG_SEG_AND && kind != SG_SEG_OR && kind != SG_SEG_NOT;
    if (test && p->terms >= SG_SEGMENT_TERMS_MAX)
        return bound(p, fail(p, off, "filter too complex: at most %d tests", SG_SEGMENT_TERMS_MAX));
    sg_seg_node *n = calloc(1, sizeof *n);
    if (!n)
        return no_memory(p, off);
    n->kind = kind;
    p->nodes++;
    p->terms += test;
    *out = n;
    return SG_OK;
}

/* The field a word names, or false. An "attributes." word with a bad key is an
 * error of its own (*err set). */
static bool lookup_field(parser *p, const token *t, sg_seg_node *n, bool *is_date, sg_err *err)
{
    *err = SG_OK;
    for (size_t i = 0; i < N_FIELDS; i++) {
        if (word_is(p, t, fields[i].name)) {
            n->field = fields[i].field;
            *is_date = fields[i].is_date;
            return true;
        }
    }
    if (word_is(p, t, "attributes")) {
        *err = fail(p, t->off, "expected attributes.KEY, e.g. attributes.city");
        return true;
    }
    if (t->len < ATTR_PREFIX_LEN)
        return false;
    for (size_t i = 0; i < ATTR_PREFIX_LEN; i++)
        if (to_lower((unsigned char)p->text[t->off + i]) != (unsigned char)ATTR_PREFIX[i])
            return false;
    size_t key_len = t->len - ATTR_PREFIX_LEN;
    const char *key = p->text + t->off + ATTR_PREFIX_LEN;
    bool ok = key_len >= 1 && key_len <= SG_SEGMENT_KEY_MAX;
    for (size_t i = 0; ok && i < key_len; i++)
        ok = is_key_char((unsigned char)key[i]);
    if (!ok) {
        *err =
            fail(p, t->off + ATTR_PREFIX_LEN,
                 "an attribute key is 1 to %d letters, digits or underscores", SG_SEGMENT_KEY_MAX);
        return true;
    }
    memcpy(n->attr, key, key_len);
    n->attr[key_len] = '\0';
    n->field = SG_SEG_FIELD_ATTRIBUTE;
    *is_date = false;
    return true;
}

/* The field's name as the formatter writes it, for messages too. */
static const char *field_name(const sg_seg_node *n, char buf[SG_SEGMENT_KEY_MAX + 16])
{
    if (n->field == SG_SEG_FIELD_ATTRIBUTE) {
        snprintf(buf, SG_SEGMENT_KEY_MAX + 16, "%s%s", ATTR_PREFIX, n->attr);
        return buf;
    }
    for (size_t i = 0; i < N_FIELDS; i++)
        if (fields[i].field == n->field)
            return fields[i].name;
    return NULL;
}

static int time_op_of(const parser *p, const token *t)
{
    for (size_t i = 0; i < N_TIME_OPS; i++)
        if (word_is(p, t, time_ops[i]))
            return (int)i;
    return -1;
}

static int op_of(const parser *p, const token *t)
{
    if (t->kind == T_OP)
        return (int)t->op;
    for (size_t i = 0; i < N_OPS; i++)
        if (ops[i].word && word_is(p, t, ops[i].name))
            return (int)i;
    return -1;
}

/* After a date field: within DURATION | (before|after) (DATE|DURATION). */
static sg_err parse_time(parser *p, sg_seg_node *n, const char *name)
{
    char q[48];
    int op = time_op_of(p, &p->tok);
    if (op < 0) {
        if (op_of(p, &p->tok) >= 0 || word_is(p, &p->tok, "exists"))
            return fail(p, p->tok.off, "%s is a date: use within, before or after", name);
        return fail(p, p->tok.off, "expected within, before or after after %s, found %s", name,
                    describe(p, &p->tok, q));
    }
    n->kind = SG_SEG_TIME;
    n->time_op = (sg_seg_time_op)op;
    sg_err err = next(p);
    if (err)
        return err;
    token v = p->tok;
    if (v.kind != T_NUM) {
        if (op == SG_SEG_WITHIN)
            return fail(p, v.off, "expected a duration (e.g. 30d) after within, found %s",
                        describe(p, &v, q));
        return fail(p, v.off,
                    "expected a date (YYYY-MM-DD) or a duration (e.g. 30d) after %s, found %s",
                    time_ops[op], describe(p, &v, q));
    }
    /* A date holds a '-' past its first character; a duration never does. */
    if (op != SG_SEG_WITHIN && v.len > 1 && memchr(p->text + v.off + 1, '-', v.len - 1)) {
        n->relative = false;
        err = parse_date(p, &v, &n->at_ms);
    } else {
        n->relative = true;
        err = parse_duration(p, &v, &n->seconds);
    }
    return err ? err : next(p);
}

/* After a text field: exists | op value. */
static sg_err parse_compare(parser *p, sg_seg_node *n, const char *name)
{
    char q[48];
    if (word_is(p, &p->tok, "exists")) {
        n->kind = SG_SEG_EXISTS;
        return next(p);
    }
    int op = op_of(p, &p->tok);
    if (op < 0) {
        if (time_op_of(p, &p->tok) >= 0)
            return fail(p, p->tok.off,
                        "%s is not a date: within, before and after need last_activity or created",
                        name);
        return fail(p, p->tok.off, "expected an operator after %s, found %s", name,
                    describe(p, &p->tok, q));
    }
    n->kind = SG_SEG_CMP;
    n->op = (sg_seg_op)op;
    sg_err err = next(p);
    if (err)
        return err;
    token v = p->tok;
    if (v.kind == T_STRING) {
        n->text = malloc(p->str_len + 1);
        if (!n->text)
            return no_memory(p, v.off);
        memcpy(n->text, p->str, p->str_len + 1);
    } else if (v.kind == T_NUM) {
        if (ops[op].word)
            return fail(p, v.off, "%s needs a string, e.g. %s \"abc\"", ops[op].name, ops[op].name);
        n->is_number = true;
        err = parse_number(p, &v, &n->number);
        if (err)
            return err;
    } else {
        return fail(p, v.off, "expected a string or a number after %s, found %s%s", ops[op].name,
                    describe(p, &v, q), v.kind == T_WORD ? " (strings are in double quotes)" : "");
    }
    return next(p);
}

static sg_err parse_test(parser *p, sg_seg_node **result)
{
    token t = p->tok;
    char q[48], name_buf[SG_SEGMENT_KEY_MAX + 16];
    sg_seg_node *n = NULL;
    sg_err err = SG_OK;

    bool known = false;
    for (size_t i = 0; i < N_RESERVED; i++)
        known |= word_is(p, &t, reserved[i]);
    if (t.kind != T_WORD || known)
        return fail(p, t.off,
                    "expected a test (a field, mobile, opted_out, in group, not or '('), found %s",
                    describe(p, &t, q));

    for (size_t i = 0; i < N_FLAG_TESTS; i++) {
        if (word_is(p, &t, flag_tests[i].name)) {
            err = new_node(p, flag_tests[i].kind, t.off, &n);
            if (!err)
                err = next(p);
            goto out;
        }
    }

    if (word_is(p, &t, "in")) {
        err = new_node(p, SG_SEG_IN_GROUP, t.off, &n);
        if (!err)
            err = next(p);
        if (err)
            goto out;
        if (!word_is(p, &p->tok, "group")) {
            err = fail(p, p->tok.off, "expected group after in, found %s", describe(p, &p->tok, q));
            goto out;
        }
        err = next(p);
        if (err)
            goto out;
        if (p->tok.kind != T_STRING) {
            err = fail(p, p->tok.off,
                       "expected a group name in double quotes after in group, found %s",
                       describe(p, &p->tok, q));
            goto out;
        }
        n->text = malloc(p->str_len + 1);
        if (!n->text) {
            err = no_memory(p, p->tok.off);
            goto out;
        }
        memcpy(n->text, p->str, p->str_len + 1);
        err = next(p);
        goto out;
    }

    err = new_node(p, SG_SEG_CMP, t.off, &n);
    if (err)
        goto out;
    bool is_date = false;
    if (!lookup_field(p, &t, n, &is_date, &err)) {
        err = fail(p, t.off,
                   "unknown word %s: expected a field, mobile, opted_out, in group, not or '('",
                   describe(p, &t, q));
        goto out;
    }
    if (err)
        goto out;
    err = next(p);
    if (err)
        goto out;
    const char *name = field_name(n, name_buf);
    err = is_date ? parse_time(p, n, name) : parse_compare(p, n, name);

out:
    if (err) {
        sg_segment_free(n);
        return err;
    }
    *result = n;
    return SG_OK;
}

static sg_err parse_or(parser *p, sg_seg_node **result);

static sg_err parse_unary(parser *p, sg_seg_node **result)
{
    token t = p->tok;
    sg_seg_node *n = NULL;
    sg_err err;
    char q[48];

    bool is_not = word_is(p, &t, "not");
    if (!is_not && t.kind != T_LPAREN)
        return parse_test(p, result);
    if (p->depth >= SG_SEGMENT_DEPTH_MAX)
        return bound(p, fail(p, t.off, "nested too deeply: at most %d levels of '(' and not",
                             SG_SEGMENT_DEPTH_MAX));
    if (is_not) {
        err = new_node(p, SG_SEG_NOT, t.off, &n);
        if (!err)
            err = next(p);
        if (!err) {
            p->depth++;
            err = parse_unary(p, &n->left);
            p->depth--;
        }
        goto out;
    }
    err = next(p);
    if (err)
        goto out;
    p->depth++;
    err = parse_or(p, &n);
    p->depth--;
    if (err)
        goto out;
    if (p->tok.kind != T_RPAREN) {
        err = fail(p, p->tok.off, "expected ')' to close the '(' at %zu, found %s", t.off,
                   describe(p, &p->tok, q));
        goto out;
    }
    err = next(p);

out:
    if (err) {
        sg_segment_free(n);
        return err;
    }
    *result = n;
    return SG_OK;
}

/* and := unary ("and" unary)*, left-associative. */
static sg_err parse_and(parser *p, sg_seg_node **result)
{
    sg_seg_node *left = NULL, *n;
    sg_err err = parse_unary(p, &left);
    while (!err && word_is(p, &p->tok, "and")) {
        err = new_node(p, SG_SEG_AND, p->tok.off, &n);
        if (err)
            break;
        n->left = left;
        left = n;
        err = next(p);
        if (!err)
            err = parse_unary(p, &n->right);
    }
    if (err) {
        sg_segment_free(left);
        return err;
    }
    *result = left;
    return SG_OK;
}

/* or := and ("or" and)*, left-associative. */
static sg_err parse_or(parser *p, sg_seg_node **result)
{
    sg_seg_node *left = NULL, *n;
    sg_err err = parse_and(p, &left);
    while (!err && word_is(p, &p->tok, "or")) {
        err = new_node(p, SG_SEG_OR, p->tok.off, &n);
        if (err)
            break;
        n->left = left;
        left = n;
        err = next(p);
        if (!err)
            err = parse_and(p, &n->right);
    }
    if (err) {
        sg_segment_free(left);
        return err;
    }
    *result = left;
    return SG_OK;
}

sg_err sg_segment_parse(const char *text, sg_seg_node **out, sg_seg_error *err)
{
    parser p = {.err = err};
    sg_seg_node *root = NULL;
    sg_err e;
    char q[48];
    sg_buf canon;

    *out = NULL;
    if (err) {
        err->offset = 0;
        err->detail[0] = '\0';
        err->too_complex = false;
    }
    if (!text)
        return fail(&p, 0, "no filter text");
    p.text = text;
    p.len = strnlen(text, SG_SEGMENT_TEXT_MAX + 1);
    if (p.len > SG_SEGMENT_TEXT_MAX)
        return bound(
            &p, fail(&p, SG_SEGMENT_TEXT_MAX, "filter longer than %d bytes", SG_SEGMENT_TEXT_MAX));

    e = next(&p);
    if (e)
        goto out;
    if (p.tok.kind == T_END) {
        e = new_node(&p, SG_SEG_TRUE, 0, &root);
        goto out;
    }
    e = parse_or(&p, &root);
    if (e)
        goto out;
    if (p.tok.kind == T_RPAREN) {
        e = fail(&p, p.tok.off, "unmatched ')'");
        goto out;
    }
    if (p.tok.kind != T_END) {
        e = fail(&p, p.tok.off, "expected and, or or the end of the filter, found %s",
                 describe(&p, &p.tok, q));
        goto out;
    }
    /* A stored segment is re-read from its canonical text, so that text must fit
     * the same bound. It can outgrow the input by a few bytes per node
     * ("a=1" -> "a = 1", ")and(" -> ") and ("). */
    sg_buf_init(&canon, SG_SEGMENT_TEXT_MAX);
    e = sg_segment_format(root, &canon);
    sg_buf_free(&canon);
    if (e == SG_ERR_TOO_LARGE)
        e = bound(&p, fail(&p, p.len, "filter longer than %d bytes once written in canonical form",
                           SG_SEGMENT_TEXT_MAX));
    else if (e == SG_ERR_NOMEM)
        e = no_memory(&p, p.len);
    else if (e) {
        fail(&p, p.len, "internal error: the parsed filter does not format");
        e = SG_ERR_INTERNAL;
    }

out:
    if (e) {
        sg_segment_free(root);
        return e;
    }
    *out = root;
    return SG_OK;
}

void sg_segment_free(sg_seg_node *n)
{
    /* Rotate left children into the right spine, then walk it: no recursion. */
    while (n) {
        if (n->left) {
            sg_seg_node *l = n->left;
            n->left = l->right;
            l->right = n;
            n = l;
        } else {
            sg_seg_node *right = n->right;
            free(n->text);
            free(n);
            n = right;
        }
    }
}

/* ---- formatter ---- */

static sg_err append_repeat(sg_buf *b, char c, size_t count)
{
    char chunk[64];
    memset(chunk, c, sizeof chunk);
    while (count) {
        size_t k = count < sizeof chunk ? count : sizeof chunk;
        sg_err err = sg_buf_append(b, chunk, k);
        if (err)
            return err;
        count -= k;
    }
    return SG_OK;
}

static sg_err fmt_string(const char *s, sg_buf *b)
{
    if (!string_ok(s))
        return SG_ERR_INVALID;
    sg_err err = sg_buf_append(b, "\"", 1);
    for (const char *c = s; !err && *c; c++) {
        if (*c == '"' || *c == '\\')
            err = sg_buf_append(b, "\\", 1);
        if (!err)
            err = sg_buf_append(b, c, 1);
    }
    return err ? err : sg_buf_append(b, "\"", 1);
}

/* x in the shortest digits that read back as x, written without an exponent
 * (the language has none): 1.5, 0.001, 120000000000000000000. */
static sg_err fmt_number(double x, sg_buf *b)
{
    /* The parser refuses what it cannot read back exactly: subnormals too. */
    if (!isfinite(x) || (x != 0 && fabs(x) < DBL_MIN))
        return SG_ERR_INVALID;
    if (x == 0)
        return sg_buf_append_str(b, "0");
    double a = fabs(x);
    char digits[24];
    size_t nd = 0;
    long exp10 = 0;
    /* %.16e always reads back exactly, so the loop ends with a fit. The digits
     * are picked out of the %e text whatever the locale's radix character, and
     * read back as "<digits>e<exp>", which has none. */
    for (int prec = 0; prec <= 16; prec++) {
        char sci[48], again[64];
        snprintf(sci, sizeof sci, "%.*e", prec, a);
        const char *c = sci;
        nd = 0;
        for (; *c && *c != 'e' && nd < sizeof digits; c++)
            if (is_digit((unsigned char)*c))
                digits[nd++] = *c;
        exp10 = *c == 'e' ? strtol(c + 1, NULL, 10) : 0;
        snprintf(again, sizeof again, "%.*se%ld", (int)nd, digits, exp10 - (long)(nd - 1));
        if (strtod(again, NULL) == a)
            break;
    }
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    sg_err err = x < 0 ? sg_buf_append(b, "-", 1) : SG_OK;
    if (err)
        return err;
    if (exp10 >= (long)nd - 1) {
        err = sg_buf_append(b, digits, nd);
        if (!err)
            err = append_repeat(b, '0', (size_t)(exp10 - ((long)nd - 1)));
    } else if (exp10 >= 0) {
        err = sg_buf_append(b, digits, (size_t)exp10 + 1);
        if (!err)
            err = sg_buf_append(b, ".", 1);
        if (!err)
            err = sg_buf_append(b, digits + exp10 + 1, nd - (size_t)exp10 - 1);
    } else {
        err = sg_buf_append(b, "0.", 2);
        if (!err)
            err = append_repeat(b, '0', (size_t)(-exp10 - 1));
        if (!err)
            err = sg_buf_append(b, digits, nd);
    }
    return err;
}

static sg_err fmt_field(const sg_seg_node *n, bool date, sg_buf *b)
{
    char buf[SG_SEGMENT_KEY_MAX + 16];
    if (n->field == SG_SEG_FIELD_ATTRIBUTE && (date || !key_ok(n->attr)))
        return SG_ERR_INVALID;
    for (size_t i = 0; i < N_FIELDS; i++)
        if (fields[i].field == n->field && fields[i].is_date != date)
            return SG_ERR_INVALID;
    const char *name = field_name(n, buf);
    return name ? sg_buf_append_str(b, name) : SG_ERR_INVALID;
}

static sg_err fmt_time_value(const sg_seg_node *n, sg_buf *b)
{
    if (n->relative) {
        int64_t s = n->seconds;
        if (s < 0 || s > SG_SEGMENT_DURATION_MAX || s % 60 != 0)
            return SG_ERR_INVALID;
        if (s == 0)
            return sg_buf_append_str(b, "0d");
        for (size_t i = 0; i < N_UNITS; i++)
            if (s % units[i].seconds == 0)
                return sg_buf_printf(b, "%" PRId64 "%c", s / units[i].seconds, units[i].letter);
        return SG_ERR_INVALID;
    }
    if (n->time_op == SG_SEG_WITHIN || n->at_ms < 0 || n->at_ms > max_date_ms() ||
        n->at_ms % MS_PER_DAY != 0)
        return SG_ERR_INVALID;
    int64_t y;
    int m, d;
    sg_civil_from_days(n->at_ms / MS_PER_DAY, &y, &m, &d);
    return sg_buf_printf(b, "%04" PRId64 "-%02d-%02d", y, m, d);
}

/* Binding strength: or < and < not < a test. */
static int prec(const sg_seg_node *n)
{
    switch (n->kind) {
    case SG_SEG_OR:
        return 1;
    case SG_SEG_AND:
        return 2;
    case SG_SEG_NOT:
        return 3;
    default:
        return 4;
    }
}

static sg_err fmt_node(const sg_seg_node *n, sg_buf *b, int height);

/* n in parentheses if it binds less tightly than min. */
static sg_err fmt_operand(const sg_seg_node *n, int min, sg_buf *b, int height)
{
    if (!n)
        return SG_ERR_INVALID;
    bool paren = prec(n) < min;
    sg_err err = paren ? sg_buf_append(b, "(", 1) : SG_OK;
    if (!err)
        err = fmt_node(n, b, height);
    if (!err && paren)
        err = sg_buf_append(b, ")", 1);
    return err;
}

static sg_err fmt_node(const sg_seg_node *n, sg_buf *b, int height)
{
    sg_err err;
    if (height >= SG_SEGMENT_NODES_MAX)
        return SG_ERR_INVALID;
    switch (n->kind) {
    case SG_SEG_AND:
    case SG_SEG_OR:
        /* Both chains are left-associative: a right operand of the same
         * strength needs parentheses to keep its shape. */
        err = fmt_operand(n->left, prec(n), b, height + 1);
        if (!err)
            err = sg_buf_append_str(b, n->kind == SG_SEG_AND ? " and " : " or ");
        if (!err)
            err = fmt_operand(n->right, prec(n) + 1, b, height + 1);
        return err;
    case SG_SEG_NOT:
        err = sg_buf_append_str(b, "not ");
        return err ? err : fmt_operand(n->left, prec(n), b, height + 1);
    case SG_SEG_MOBILE:
    case SG_SEG_OPTED_OUT:
        for (size_t i = 0; i < N_FLAG_TESTS; i++)
            if (flag_tests[i].kind == n->kind)
                return sg_buf_append_str(b, flag_tests[i].name);
        return SG_ERR_INVALID;
    case SG_SEG_IN_GROUP:
        err = sg_buf_append_str(b, "in group ");
        return err ? err : fmt_string(n->text, b);
    case SG_SEG_CMP:
        if ((unsigned)n->op >= N_OPS || (ops[n->op].word && n->is_number))
            return SG_ERR_INVALID;
        err = fmt_field(n, false, b);
        if (!err)
            err = sg_buf_printf(b, " %s ", ops[n->op].name);
        if (!err)
            err = n->is_number ? fmt_number(n->number, b) : fmt_string(n->text, b);
        return err;
    case SG_SEG_EXISTS:
        err = fmt_field(n, false, b);
        return err ? err : sg_buf_append_str(b, " exists");
    case SG_SEG_TIME:
        if ((unsigned)n->time_op >= N_TIME_OPS || (n->time_op == SG_SEG_WITHIN && !n->relative))
            return SG_ERR_INVALID;
        err = fmt_field(n, true, b);
        if (!err)
            err = sg_buf_printf(b, " %s ", time_ops[n->time_op]);
        if (!err)
            err = fmt_time_value(n, b);
        return err;
    case SG_SEG_TRUE: /* only the whole tree may be TRUE */
    default:
        return SG_ERR_INVALID;
    }
}

sg_err sg_segment_format(const sg_seg_node *n, sg_buf *out)
{
    if (!n || n->kind == SG_SEG_TRUE)
        return SG_OK;
    size_t mark = out->len;
    sg_err err = fmt_node(n, out, 0);
    if (err) {
        out->len = mark;
        if (out->data)
            out->data[mark] = '\0';
    }
    return err;
}

/* ---- equality ---- */

static bool text_equal(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static bool field_equal(const sg_seg_node *a, const sg_seg_node *b)
{
    return a->field == b->field &&
           (a->field != SG_SEG_FIELD_ATTRIBUTE || strncmp(a->attr, b->attr, sizeof a->attr) == 0);
}

static bool node_equal(const sg_seg_node *a, const sg_seg_node *b, int height)
{
    if (!a || !b)
        return a == b;
    if (a->kind != b->kind || height >= SG_SEGMENT_NODES_MAX)
        return false;
    switch (a->kind) {
    case SG_SEG_AND:
    case SG_SEG_OR:
        return node_equal(a->left, b->left, height + 1) &&
               node_equal(a->right, b->right, height + 1);
    case SG_SEG_NOT:
        return node_equal(a->left, b->left, height + 1);
    case SG_SEG_IN_GROUP:
        return text_equal(a->text, b->text);
    case SG_SEG_CMP:
        return field_equal(a, b) && a->op == b->op && a->is_number == b->is_number &&
               (a->is_number ? a->number == b->number : text_equal(a->text, b->text));
    case SG_SEG_EXISTS:
        return field_equal(a, b);
    case SG_SEG_TIME:
        return a->field == b->field && a->time_op == b->time_op && a->relative == b->relative &&
               (a->relative ? a->seconds == b->seconds : a->at_ms == b->at_ms);
    default:
        return true;
    }
}

bool sg_segment_equal(const sg_seg_node *a, const sg_seg_node *b)
{
    if ((!a || a->kind == SG_SEG_TRUE) && (!b || b->kind == SG_SEG_TRUE))
        return true;
    return node_equal(a, b, 0);
}
