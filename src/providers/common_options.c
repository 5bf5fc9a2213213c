#include "providers/common_options.h"

#include <stdio.h>
#include <string.h>

bool sg_prov_callback_url_valid(const char *url)
{
    size_t len = strnlen(url, SG_CALLBACK_URL_MAX);
    if (len == SG_CALLBACK_URL_MAX)
        return false;
    size_t scheme = strncmp(url, "https://", 8) == 0  ? 8
                    : strncmp(url, "http://", 7) == 0 ? 7
                                                      : 0;
    if (!scheme || len == scheme || strchr("/?#:@", url[scheme]))
        return false;
    for (size_t i = 0; i < len; i++) {
        if (url[i] <= ' ' || url[i] > '~')
            return false;
    }
    return true;
}

static bool take_require(json_t *v, sg_prov_common *out, sg_error *e)
{
    if (!json_is_boolean(v)) {
        sg_error_set(e, SG_ERR_INVALID, "config.require_template_id",
                     "require_template_id must be true or false");
        return false;
    }
    out->require_template_id = json_is_true(v);
    return true;
}

static bool take_callback(json_t *v, sg_prov_common *out, sg_error *e)
{
    if (!json_is_string(v) || !sg_prov_callback_url_valid(json_string_value(v))) {
        sg_error_set(e, SG_ERR_INVALID, "config.status_callback_url",
                     "status_callback_url must be an http:// or https:// URL with a host, "
                     "without spaces, of at most %d characters (null restores the default)",
                     SG_CALLBACK_URL_MAX - 1);
        return false;
    }
    snprintf(out->status_callback_url, sizeof out->status_callback_url, "%s",
             json_string_value(v));
    return true;
}

static const struct {
    const char *key;
    bool (*take)(json_t *v, sg_prov_common *out, sg_error *e);
} common_keys[] = {
    {"require_template_id", take_require},
    {"status_callback_url", take_callback},
};

const sg_config_key sg_prov_common_keys[] = {
    {.key = "retry_for_seconds",
     .metavar = "SECONDS",
     .label = "Retry for (seconds)",
     .help = "How long failed sends are retried after the first attempt (0 to 2592000, 30 "
             "days).",
     .type = SG_CONFIG_NUMBER,
     .flags = SG_CONFIG_ADVANCED,
     .def = "86400"},
    {.key = "require_template_id",
     .metavar = "true|false",
     .label = "Require a template ID",
     .help = "Refuse a send through this provider that carries no external template id "
             "(India's DLT rules).",
     .type = SG_CONFIG_BOOL,
     .flags = SG_CONFIG_ADVANCED,
     .def = "false"},
    {.key = "status_callback_url",
     .metavar = "URL",
     .label = "Status callback URL",
     .help = "The status-callback URL given to the provider instead of smsgate's own (a proxy "
             "in front of smsgate, say); null restores smsgate's own.",
     .flags = SG_CONFIG_ADVANCED},
    {.key = NULL},
};

bool sg_prov_common_take(json_t *config, json_t **taken, sg_prov_common *out, sg_error *e)
{
    memset(out, 0, sizeof *out);
    *taken = json_object();
    if (!*taken) {
        sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory");
        return false;
    }
    for (size_t i = 0; i < sizeof common_keys / sizeof common_keys[0]; i++) {
        json_t *v = json_object_get(config, common_keys[i].key);
        if (!v)
            continue;
        if (!json_is_null(v) && !common_keys[i].take(v, out, e))
            return false;
        if (!json_is_null(v))
            json_object_set(*taken, common_keys[i].key, v);
        json_object_del(config, common_keys[i].key);
    }
    return true;
}
