#include "providers/config_fields.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    if (len >= cap) {
        len = cap - 1;
        while (len > 0 && ((unsigned char)src[len] & 0xC0) == 0x80)
            len--;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)src[i];
        dst[i] = ch < 0x20 || ch == 0x7f ? ' ' : (char)ch;
    }
    dst[len] = '\0';
}
