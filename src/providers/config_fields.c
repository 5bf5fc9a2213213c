#include "providers/config_fields.h"
#include "util/utf8.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void sg_cfg_field(char *out, size_t cap, const char *key)
{
    snprintf(out, cap, "config.%.50s", key);
}

sg_err sg_cfg_string(json_t *config, const char *key, size_t min, size_t max, bool controls_ok,
                     const char **out, sg_error *e)
{
    char field[64];
    sg_cfg_field(field, sizeof field, key);
    *out = NULL;
    json_t *v = json_object_get(config, key);
    if (!v)
        return SG_OK;
    if (!json_is_string(v))
        return sg_error_set(e, SG_ERR_INVALID, field, "%s must be a string", key);
    size_t len = json_string_length(v);
    const char *s = json_string_value(v);
    if (strlen(s) != len)
        return sg_error_set(e, SG_ERR_INVALID, field, "%s must not contain a NUL character", key);
    if (len < min || len > max)
        return sg_error_set(e, SG_ERR_INVALID, field, "%s must be %zu to %zu characters long", key,
                            min, max);
    for (size_t i = 0; !controls_ok && i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f)
            return sg_error_set(e, SG_ERR_INVALID, field, "%s must not contain control characters",
                                key);
    }
    *out = s;
    return SG_OK;
}

/* The first control character of s (len bytes) that is not allowed, or -1. */
static long control_at(const char *s, size_t len, bool lines_ok)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        bool line = c == '\t' || c == '\n' || c == '\r';
        if ((c < 0x20 || c == 0x7f) && !(lines_ok && line))
            return (long)i;
    }
    return -1;
}

static bool listed(const char *const *keys, const char *key)
{
    for (size_t i = 0; keys && keys[i]; i++)
        if (strcmp(keys[i], key) == 0)
            return true;
    return false;
}

sg_err sg_cfg_no_controls(json_t *config, const char *const *multiline, sg_error *e)
{
    const char *key;
    json_t *v;
    json_object_foreach(config, key, v)
    {
        bool lines_ok = listed(multiline, key);
        size_t n = json_is_array(v) ? json_array_size(v) : 1;
        for (size_t i = 0; i < n; i++) {
            json_t *s = json_is_array(v) ? json_array_get(v, i) : v;
            if (!json_is_string(s) ||
                control_at(json_string_value(s), json_string_length(s), lines_ok) < 0)
                continue;
            char field[64];
            sg_cfg_field(field, sizeof field, key);
            return sg_error_set(e, SG_ERR_INVALID, field,
                                "%.50s must not contain control characters%s", key,
                                lines_ok ? " other than tab and line breaks" : "");
        }
    }
    return SG_OK;
}

sg_err sg_cfg_base_url(json_t *config, const char *dflt, char **out, sg_error *e)
{
    const char *s;
    *out = NULL;
    sg_err err = sg_cfg_string(config, "base_url", 1, SG_CFG_BASE_URL_MAX, true, &s, e);
    if (err)
        return err;
    if (!s)
        s = dflt;
    size_t scheme = strncmp(s, "https://", 8) == 0 ? 8 : strncmp(s, "http://", 7) == 0 ? 7 : 0;
    size_t len = strlen(s);
    while (len > scheme && s[len - 1] == '/')
        len--;
    bool ok = scheme && len > scheme;
    for (size_t i = 0; ok && i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= ' ' || c == 0x7f || c == '?' || c == '#')
            ok = false;
    }
    if (!ok)
        return sg_error_set(e, SG_ERR_INVALID, "config.base_url",
                            "base_url must be an http:// or https:// URL with a host and no "
                            "query, fragment or spaces (default %s)",
                            dflt);
    *out = strndup(s, len);
    if (!*out)
        return sg_error_set(e, SG_ERR_NOMEM, "config.base_url", "out of memory");
    return SG_OK;
}

sg_err sg_cfg_mps(json_t *config, double *out, bool *present, sg_error *e)
{
    *out = 1;
    json_t *v = json_object_get(config, "mps");
    if (present)
        *present = v != NULL;
    if (!v)
        return SG_OK;
    double mps = json_is_number(v) ? json_number_value(v) : -1;
    if (!(mps > 0 && mps <= SG_CFG_MPS_MAX))
        return sg_error_set(e, SG_ERR_INVALID, "config.mps",
                            "mps must be a number greater than 0 and at most 10000 (sends per "
                            "second per sender)");
    *out = mps;
    return SG_OK;
}

sg_err sg_cfg_retry_for(json_t *config, int64_t *seconds, sg_error *e)
{
    *seconds = SG_CFG_RETRY_FOR_DEFAULT_S;
    json_t *v = json_object_get(config, "retry_for_seconds");
    if (!v)
        return SG_OK;
    json_int_t n = json_is_integer(v) ? json_integer_value(v) : -1;
    if (n < 0 || n > SG_CFG_RETRY_FOR_MAX_S)
        return sg_error_set(e, SG_ERR_INVALID, "config.retry_for_seconds",
                            "retry_for_seconds must be a whole number of seconds from 0 to "
                            "%lld (30 days): how long failed sends are retried (default %lld, "
                            "24 hours)",
                            SG_CFG_RETRY_FOR_MAX_S, SG_CFG_RETRY_FOR_DEFAULT_S);
    *seconds = (int64_t)n;
    return SG_OK;
}

void sg_cfg_free_list(char **list, size_t n)
{
    if (!list)
        return;
    for (size_t i = 0; i < n; i++)
        free(list[i]);
    free(list);
}

void sg_cfg_copy_text(char *dst, size_t cap, const char *src, size_t len)
{
    len = sg_utf8_trim_len(src, len, cap - 1);
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)src[i];
        dst[i] = ch < 0x20 || ch == 0x7f ? ' ' : (char)ch;
    }
    dst[len] = '\0';
}

bool sg_cfg_international(const char *s, size_t len, char *out, size_t cap)
{
    if (len < 11 || len > 15 || cap < len + 2 || s[0] == '0')
        return false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
    }
    out[0] = '+';
    memcpy(out + 1, s, len);
    out[len + 1] = '\0';
    return true;
}

/* ---- the "API Parameters" text ------------------------------------------------------ */

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

void sg_cfg_trim(const char **s, size_t *len)
{
    while (*len && is_blank(**s)) {
        (*s)++;
        (*len)--;
    }
    while (*len && is_blank((*s)[*len - 1]))
        (*len)--;
}

/* A key that may hold a secret: its value is never quoted back. */
static bool secret_like(const char *key, size_t len)
{
    static const char *const words[] = {"pass", "pwd", "secret", "token", "key", "auth"};
    for (size_t w = 0; w < sizeof words / sizeof words[0]; w++) {
        size_t wl = strlen(words[w]);
        for (size_t i = 0; i + wl <= len; i++) {
            if (strncasecmp(key + i, words[w], wl) == 0)
                return true;
        }
    }
    return false;
}

/* Quote a params line for an error message: at most SG_CFG_ECHO_MAX bytes,
 * control characters as spaces, and the value hidden when the key looks like a
 * secret (someone may paste "password=..." into the box). */
static void echo_line(char *out, size_t cap, const char *line, size_t len, size_t key_len,
                      bool has_eq)
{
    char buf[SG_CFG_ECHO_MAX + 8];
    if (has_eq && secret_like(line, key_len)) {
        size_t k = key_len < SG_CFG_ECHO_MAX ? key_len : SG_CFG_ECHO_MAX;
        sg_cfg_copy_text(buf, sizeof buf, line, k);
        snprintf(out, cap, "%s=...", buf);
        return;
    }
    sg_cfg_copy_text(buf, SG_CFG_ECHO_MAX + 1, line, len);
    snprintf(out, cap, "%s%s", buf, len > SG_CFG_ECHO_MAX ? "..." : "");
}

/* "api_id, from and mo" from the keys table. */
static void keys_text(const char *const *keys, char *out, size_t cap)
{
    size_t n = 0, used = 0;
    while (keys[n])
        n++;
    out[0] = '\0';
    for (size_t i = 0; i < n && used < cap; i++) {
        const char *sep = i == 0 ? "" : i + 1 == n ? " and " : ", ";
        int w = snprintf(out + used, cap - used, "%s%s", sep, keys[i]);
        used += w > 0 ? (size_t)w : 0;
    }
}

/* The index of key (klen bytes) in keys, or -1. */
static int key_index(const char *const *keys, const char *key, size_t klen)
{
    for (int k = 0; keys[k]; k++) {
        if (strlen(keys[k]) == klen && strncasecmp(key, keys[k], klen) == 0)
            return k;
    }
    return -1;
}

/* One non-blank line (trimmed); seen marks the keys met so far (64 at most). */
static sg_err params_line(const char *line, size_t llen, size_t lineno, const char *const *keys,
                          uint64_t *seen, sg_cfg_param_fn fn, void *ctx, sg_error *e)
{
    static const char *const F = "config.params";
    const char *eq = memchr(line, '=', llen);
    const char *key = line;
    size_t klen = eq ? (size_t)(eq - line) : llen;
    sg_cfg_trim(&key, &klen);
    const char *val = eq ? eq + 1 : line + llen;
    size_t vlen = eq ? (size_t)(line + llen - val) : 0;
    sg_cfg_trim(&val, &vlen);
    char shown[SG_CFG_ECHO_MAX + 16], known[256];
    echo_line(shown, sizeof shown, line, llen, eq ? (size_t)(eq - line) : llen, eq != NULL);
    keys_text(keys, known, sizeof known);
    if (!eq || klen == 0)
        return sg_error_set(e, SG_ERR_INVALID, F,
                            "params line %zu ('%s') is not of the form key=value (keys: %s)",
                            lineno, shown, known);
    int k = key_index(keys, key, klen);
    if (k < 0) {
        char kshown[40];
        sg_cfg_copy_text(kshown, sizeof kshown, key, klen);
        return sg_error_set(e, SG_ERR_INVALID, F,
                            "params line %zu ('%s'): unknown key '%s' (the API Parameters text "
                            "takes %s)",
                            lineno, shown, kshown, known);
    }
    if (*seen & (1ull << k))
        return sg_error_set(e, SG_ERR_INVALID, F, "params line %zu ('%s') repeats a key", lineno,
                            shown);
    if (vlen == 0)
        return sg_error_set(e, SG_ERR_INVALID, F, "params line %zu ('%s') has no value", lineno,
                            shown);
    *seen |= 1ull << k;
    char where[SG_CFG_ECHO_MAX + 100];
    snprintf(where, sizeof where, "params line %zu ('%s')", lineno, shown);
    sg_cfg_param p = {.key = (size_t)k, .val = val, .vlen = vlen, .where = where};
    return fn(&p, ctx, e);
}

sg_err sg_cfg_params_parse(const char *s, size_t len, const char *const *keys, sg_cfg_param_fn fn,
                           void *ctx, sg_error *e)
{
    static const char *const F = "config.params";
    if (len > SG_CFG_PARAMS_MAX)
        return sg_error_set(e, SG_ERR_INVALID, F, "params is longer than %d bytes",
                            SG_CFG_PARAMS_MAX);
    if (memchr(s, '\0', len))
        return sg_error_set(e, SG_ERR_INVALID, F, "params must not contain a NUL character");
    uint64_t seen = 0;
    size_t lineno = 0;
    for (size_t pos = 0; pos < len;) {
        const char *nl = memchr(s + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - s) : len;
        const char *line = s + pos;
        size_t llen = end - pos;
        pos = end + 1;
        lineno++;
        sg_cfg_trim(&line, &llen);
        if (llen == 0)
            continue;
        sg_err err = params_line(line, llen, lineno, keys, &seen, fn, ctx, e);
        if (err)
            return err;
    }
    return SG_OK;
}
