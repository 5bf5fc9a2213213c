/* A kind described as JSON for people and forms (GET /v1/provider-kinds,
 * `smsgate provider kinds --json`), made from its table row alone, so that a field
 * or a kind added later reaches the console without a change there. */
#include "providers/common_options.h"
#include "providers/provider.h"

#include <stdlib.h>
#include <string.h>

static const char *type_name(sg_config_value t)
{
    static const char *const names[] = {
        [SG_CONFIG_STRING] = "string",
        [SG_CONFIG_NUMBER] = "number",
        [SG_CONFIG_BOOL] = "boolean",
        [SG_CONFIG_LIST] = "list",
    };
    return (size_t)t < sizeof names / sizeof names[0] && names[t] ? names[t] : "string";
}

/* The default's text (as a flag takes it) as a JSON value of the key's type. */
static json_t *default_value(const sg_config_key *c)
{
    if (c->type == SG_CONFIG_NUMBER) {
        char *end;
        double d = strtod(c->def, &end);
        if (d == (double)(json_int_t)d)
            return json_integer((json_int_t)d);
        return json_real(d);
    }
    if (c->type == SG_CONFIG_BOOL)
        return json_boolean(strcmp(c->def, "true") == 0 || strcmp(c->def, "1") == 0);
    if (c->type == SG_CONFIG_LIST) {
        json_t *list = json_array();
        for (const char *p = c->def; list && *p;) {
            size_t len = strcspn(p, ",");
            if (len)
                json_array_append_new(list, json_stringn(p, len));
            p += len + (p[len] == ',');
        }
        return list;
    }
    return json_string(c->def);
}

/* "group:option" as {"group", "option"} (an option-less group names itself). */
static json_t *one_of_json(const char *one_of)
{
    const char *colon = strchr(one_of, ':');
    if (!colon)
        return json_pack("{s:s, s:s}", "group", one_of, "option", one_of);
    return json_pack("{s:s%, s:s}", "group", one_of, (size_t)(colon - one_of), "option", colon + 1);
}

json_t *sg_config_key_json(const sg_config_key *c)
{
    json_t *f = json_pack("{s:s, s:s, s:s, s:b, s:b, s:b, s:s}", "key", c->key, "label",
                          c->label ? c->label : c->key, "type", type_name(c->type), "required",
                          (c->flags & SG_CONFIG_REQUIRED) != 0, "secret",
                          (c->flags & SG_CONFIG_SECRET) != 0, "advanced",
                          (c->flags & SG_CONFIG_ADVANCED) != 0, "help", c->help ? c->help : "");
    if (f && c->def)
        json_object_set_new(f, "default", default_value(c));
    if (f && (c->flags & SG_CONFIG_MULTILINE))
        json_object_set_new(f, "multiline", json_true());
    if (f && c->one_of)
        json_object_set_new(f, "one_of", one_of_json(c->one_of));
    return f;
}

json_t *sg_provider_kind_json(const sg_provider_kind *k)
{
    json_t *fields = json_array();
    for (const sg_config_key *c = k->config_keys; fields && c && c->key; c++)
        json_array_append_new(fields, sg_config_key_json(c));
    for (const sg_config_key *c = sg_prov_common_keys; fields && c->key; c++) {
        json_t *f = sg_config_key_json(c);
        json_object_set_new(f, "common", json_true());
        json_array_append_new(fields, f);
    }
    return json_pack("{s:s, s:s, s:s, s:s, s:o}", "name", k->name, "label",
                     k->label ? k->label : k->name, "description",
                     k->description ? k->description : "", "callback_auth",
                     sg_provider_kind_callback_auth(k), "fields", fields);
}
