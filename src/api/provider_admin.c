#include "api/provider_admin.h"
#include "core/cidr.h"
#include "providers/config_fields.h"
#include "util/time.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A config string as shown (a URL, its userinfo masked). */
#define SG_CFG_SHOWN_MAX (SG_CFG_BASE_URL_MAX + 16)

static bool store_fail(sg_reject *r, sg_err err, const sg_error *e)
{
    switch (err) {
    case SG_ERR_CONFLICT:
        return sg_reject_set(r, 409, "conflict", e->field, "%s", e->message);
    case SG_ERR_NOT_FOUND:
        return sg_reject_set(r, 404, "not_found", NULL, "%s", e->message);
    case SG_ERR_BUSY:
        return sg_reject_set(r, 503, "store_busy", NULL, "%s", e->message);
    case SG_ERR_UNAVAILABLE:
        return sg_reject_set(r, 503, "store_unavailable", NULL, "%s", e->message);
    case SG_ERR_FULL:
        return sg_reject_set(r, 507, "store_full", NULL, "%s", e->message);
    default:
        return sg_reject_set(r, 500, "store_error", NULL, "%s", e->message);
    }
}

static bool name_valid(const char *s)
{
    size_t len = strlen(s);
    if (len == 0 || len > 63 || strncmp(s, "prv_", 4) == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return false;
    }
    return true;
}

static bool is_secret(const sg_provider_kind *k, const char *key)
{
    return sg_provider_kind_secret(k, key);
}

/* Validate config with the kind's driver (normalising it in place), then split
 * it into the public part and the sealed secrets. */
/* For providers that cannot sign their webhooks: the secret of their callback
 * URLs (made up when not given) and the networks callbacks may come from. */
static bool url_secret_fields(const sg_provider_kind *kind, json_t *config, sg_reject *rej)
{
    if (!kind->url_secret)
        return true;
    json_t *secret = json_object_get(config, "callback_secret");
    if (!secret || json_is_null(secret)) {
        char fresh[65];
        sg_random_hex(fresh, 32);
        json_object_set_new(config, "callback_secret", json_string(fresh));
    } else {
        const char *s = json_is_string(secret) ? json_string_value(secret) : "";
        size_t len = strlen(s);
        if (len < 16 || len > 128 || strspn(s, "0123456789abcdefghijklmnopqrstuvwxyz"
                                               "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != len)
            return sg_reject_set(rej, 400, "invalid_config", "config.callback_secret",
                                 "callback_secret must be 16 to 128 letters and digits (leave "
                                 "it out to have one made up)");
    }
    json_t *allow = json_object_get(config, "allow_from");
    if (allow && !json_is_null(allow)) {
        if (!json_is_array(allow) || json_array_size(allow) > 64)
            return sg_reject_set(rej, 400, "invalid_config", "config.allow_from",
                                 "allow_from must be a list of at most 64 networks "
                                 "(\"196.216.236.0/24\", \"2001:db8::/32\")");
        size_t i;
        json_t *net;
        json_array_foreach(allow, i, net)
        {
            sg_cidr cidr;
            if (!json_is_string(net) || !sg_cidr_parse(json_string_value(net), &cidr))
                return sg_reject_set(rej, 400, "invalid_config", "config.allow_from",
                                     "allow_from[%zu] is not a network such as 196.216.236.0/24",
                                     i);
        }
    }
    return true;
}

static bool seal_config(sg_app *app, const sg_provider_kind *kind, json_t *config,
                        sg_provider_row *row, sg_reject *rej)
{
    if (!url_secret_fields(kind, config, rej))
        return false;
    sg_error e = {0};
    json_t *common = NULL; /* options of every kind: the driver does not see them */
    sg_prov_common pc;
    void *cfg = sg_prov_common_take(config, &common, &pc, &e) ? kind->config_load(config, &e)
                                                                : NULL;
    if (common)
        json_object_update(config, common);
    json_decref(common);
    if (!cfg)
        return sg_reject_set(rej, 400, "invalid_config", e.field[0] ? e.field : "config", "%s",
                             e.message);
    kind->config_free(cfg);
    json_t *pub = json_object(), *sec = json_object();
    const char *key;
    json_t *val;
    json_object_foreach(config, key, val)
    {
        json_object_set(is_secret(kind, key) ? sec : pub, key, val);
    }
    row->config = json_dumps(pub, JSON_COMPACT | JSON_SORT_KEYS);
    char *plain = json_dumps(sec, JSON_COMPACT);
    json_decref(pub);
    json_decref(sec);
    sg_err err =
        plain ? sg_secret_seal(app->master_key, plain, strlen(plain), &row->secrets) : SG_ERR_NOMEM;
    sg_secret_free(plain);
    if (!row->config || err)
        return sg_reject_set(rej, 500, "internal", NULL, "cannot seal the provider's secrets");
    return true;
}

static json_t *time_json(int64_t ms)
{
    char buf[SG_TIME_STR_MAX];
    sg_time_format(ms, buf, sizeof buf);
    return json_string(buf);
}

/* A URL (base_url) with its userinfo masked: the user:password before '@' in
 * the authority becomes "****"; anything else is copied. A string that does not fit in
 * cap is cut (it is only shown). */
static void mask_userinfo(const char *s, char *out, size_t cap)
{
    const char *scheme = strstr(s, "://");
    const char *host = scheme ? scheme + 3 : NULL;
    const char *at = NULL;
    for (const char *c = host; c && *c && *c != '/' && *c != '?' && *c != '#'; c++) {
        if (*c == '@')
            at = c; /* the last one: a password may hold '@' unescaped */
    }
    if (at)
        snprintf(out, cap, "%.*s****%s", (int)(host - s), s, at);
    else
        snprintf(out, cap, "%s", s);
}

/* The config as shown: secrets masked ("••••abcd"), URLs without their userinfo. */
static json_t *config_view(const sg_provider *p)
{
    json_t *config = json_object();
    const char *key;
    json_t *val;
    json_object_foreach(p->config, key, val)
    {
        if (p->kind && is_secret(p->kind, key) && json_is_string(val)) {
            char masked[32];
            sg_secret_mask(json_string_value(val), masked);
            json_object_set_new(config, key, json_string(masked));
        } else if (json_is_string(val) && strstr(json_string_value(val), "://")) {
            char shown[SG_CFG_SHOWN_MAX];
            mask_userinfo(json_string_value(val), shown, sizeof shown);
            json_object_set_new(config, key, json_string(shown));
        } else {
            json_object_set(config, key, val);
        }
    }
    return config;
}

/* callback_auth, callback_urls and callback_urls_masked. A URL that carries the
 * provider's callback secret is a credential (whoever holds it can move statuses,
 * opt numbers out and make smsgate send): it is shown to admins only, others see
 * it with the secret written as "****". */
static void callbacks_view(sg_app *app, const sg_provider *p, bool admin, json_t *v)
{
    bool secret = sg_provider_url_secret_of(p);
    bool mask = secret && !admin;
    char status_url[600], inbound_url[600];
    sg_provider_callback_url(p, app->public_url, "status", mask, status_url, sizeof status_url);
    sg_provider_callback_url(p, app->public_url, "inbound", mask, inbound_url, sizeof inbound_url);
    json_object_set_new(v, "callback_auth", json_string(secret ? "url_secret" : "signature"));
    json_object_set_new(v, "callback_urls",
                        json_pack("{s:s, s:s}", "status", status_url, "inbound", inbound_url));
    json_object_set_new(v, "callback_urls_masked", json_boolean(mask));
    if (secret && !json_is_string(json_object_get(p->config, "callback_secret")))
        json_object_set_new(v, "problem",
                            json_string("its callbacks cannot be authenticated: it has no "
                                        "callback_secret yet (edit its config, e.g. PATCH "
                                        "{\"config\": {}}, to have one made up) and no "
                                        "signature to check"));
}

/* The provider as shown to a caller; admin tells whether the caller may see
 * callback URLs that carry a secret. */
static json_t *view_of(sg_app *app, const sg_provider_row *row, bool admin)
{
    sg_provider p;
    sg_provider_load(&p, row, app->master_key);
    json_t *v = json_object();
    json_object_set_new(v, "id", json_string(row->id));
    json_object_set_new(v, "name", json_string(row->name));
    json_object_set_new(v, "kind", json_string(row->kind));
    json_object_set_new(v, "title", json_string(row->title));
    json_object_set_new(v, "active", json_boolean(row->active));
    json_object_set_new(v, "default", json_boolean(row->is_default));
    json_object_set_new(v, "config", p.config ? config_view(&p) : json_object());
    callbacks_view(app, &p, admin, v);
    if (p.broken)
        json_object_set_new(v, "problem", json_string(p.broken_reason));
    json_object_set_new(v, "created_at", time_json(row->created_at));
    json_object_set_new(v, "updated_at", time_json(row->updated_at));
    sg_provider_unload(&p);
    return v;
}

static const char *const top_keys[] = {"name",    "kind",   "title", "active",
                                       "default", "config", NULL};

static bool check_top(json_t *in, sg_reject *rej)
{
    if (!json_is_object(in))
        return sg_reject_set(rej, 400, "invalid_request", NULL, "a provider must be a JSON object");
    const char *key;
    json_t *val;
    json_object_foreach(in, key, val)
    {
        bool known = false;
        for (int i = 0; top_keys[i]; i++)
            known = known || strcmp(top_keys[i], key) == 0;
        if (!known)
            return sg_reject_set(
                rej, 400, "invalid_request", key,
                "unknown field '%.64s' (known: name, kind, title, active, default, "
                "config)",
                key);
    }
    json_t *v;
    if ((v = json_object_get(in, "name")) &&
        (!json_is_string(v) || !name_valid(json_string_value(v))))
        return sg_reject_set(rej, 400, "invalid_request", "name",
                             "'name' must be 1-63 characters of a-z, 0-9, '-' and '_'");
    if ((v = json_object_get(in, "title")) && (!json_is_string(v) || json_string_length(v) > 127))
        return sg_reject_set(rej, 400, "invalid_request", "title",
                             "'title' must be a string of at most 127 characters");
    if ((v = json_object_get(in, "active")) && !json_is_boolean(v))
        return sg_reject_set(rej, 400, "invalid_request", "active",
                             "'active' must be true or false");
    if ((v = json_object_get(in, "default")) && !json_is_boolean(v))
        return sg_reject_set(rej, 400, "invalid_request", "default",
                             "'default' must be true or false");
    if ((v = json_object_get(in, "config")) && !json_is_object(v))
        return sg_reject_set(rej, 400, "invalid_config", "config", "'config' must be an object");
    return true;
}

bool sg_provider_admin_create(sg_app *app, json_t *in, json_t **view, sg_reject *rej)
{
    if (!check_top(in, rej))
        return false;
    json_t *name = json_object_get(in, "name");
    if (!name)
        return sg_reject_set(rej, 400, "invalid_request", "name",
                             "'name' is required (e.g. \"twilio\")");
    json_t *kind_v = json_object_get(in, "kind");
    const sg_provider_kind *kind =
        json_is_string(kind_v) ? sg_provider_kind_find(json_string_value(kind_v)) : NULL;
    if (!kind) {
        char names[128] = "";
        const sg_provider_kind *const *all = sg_provider_kinds();
        for (size_t i = 0; all[i]; i++) {
            size_t used = strlen(names);
            snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "", all[i]->name);
        }
        return sg_reject_set(rej, 400, "invalid_request", "kind", "'kind' must be one of: %s",
                             names);
    }
    json_t *config = json_object_get(in, "config");
    if (!config)
        return sg_reject_set(rej, 400, "invalid_config", "config", "'config' is required");
    config = json_deep_copy(config);
    sg_provider_row row = {0};
    bool ok = seal_config(app, kind, config, &row, rej);
    json_decref(config);
    if (!ok)
        return false;
    row.created_at = row.updated_at = sg_time_now_ms();
    sg_id_new("prv", row.created_at, row.id);
    snprintf(row.name, sizeof row.name, "%s", json_string_value(name));
    snprintf(row.kind, sizeof row.kind, "%s", kind->name);
    json_t *v = json_object_get(in, "title");
    snprintf(row.title, sizeof row.title, "%s", v ? json_string_value(v) : "");
    v = json_object_get(in, "active");
    row.active = v ? json_is_true(v) : true;
    v = json_object_get(in, "default");
    if (v) {
        row.is_default = json_is_true(v);
    } else {
        /* The first provider becomes the default, so sending works at once. */
        sg_provider_set *set = sg_registry_get(app->registry);
        row.is_default = sg_provider_set_default(set) == NULL;
        sg_registry_release(app->registry, set);
    }
    sg_error e = {0};
    sg_err err = sg_store_provider_insert(app->store, &row, &e);
    if (err) {
        sg_provider_row_free(&row);
        if (err == SG_ERR_CONFLICT)
            return sg_reject_set(rej, 409, "conflict", "name",
                                 "a provider named '%s' already exists", json_string_value(name));
        return store_fail(rej, err, &e);
    }
    sg_registry_invalidate(app->registry);
    *view = view_of(app, &row, true);
    sg_provider_row_free(&row);
    return true;
}

static bool load_row(sg_app *app, const char *id_or_name, sg_provider_row *row, sg_reject *rej)
{
    sg_err err = sg_store_provider_get(app->store, id_or_name, row);
    if (err == SG_ERR_NOT_FOUND)
        return sg_reject_set(rej, 404, "not_found", NULL, "no provider '%.64s'", id_or_name);
    if (err) {
        sg_error e = {0};
        sg_error_set(&e, err, NULL, "cannot read provider");
        return store_fail(rej, err, &e);
    }
    return true;
}

bool sg_provider_admin_update(sg_app *app, const char *id_or_name, json_t *patch, json_t **view,
                              sg_reject *rej)
{
    if (!check_top(patch, rej))
        return false;
    if (json_object_get(patch, "kind"))
        return sg_reject_set(rej, 400, "invalid_request", "kind",
                             "a provider's kind cannot change; create a new provider");
    sg_provider_row row;
    if (!load_row(app, id_or_name, &row, rej))
        return false;
    sg_provider cur;
    sg_provider_load(&cur, &row, app->master_key);
    bool ok = true;
    json_t *cpatch = json_object_get(patch, "config");
    if (cpatch) {
        if (!cur.config || !cur.kind) {
            ok = sg_reject_set(
                rej, 409, "invalid_state", "config",
                "the stored config cannot be read (%s); delete and re-create the provider",
                cur.broken_reason);
        } else {
            json_t *merged = json_deep_copy(cur.config);
            const char *key;
            json_t *val;
            json_object_foreach(cpatch, key, val)
            {
                if (json_is_null(val))
                    json_object_del(merged, key);
                else
                    json_object_set(merged, key, val);
            }
            /* "from" given as a string replaces the normalised array. */
            free(row.config);
            free(row.secrets);
            row.config = row.secrets = NULL;
            ok = seal_config(app, cur.kind, merged, &row, rej);
            json_decref(merged);
        }
    }
    sg_provider_unload(&cur);
    if (ok) {
        json_t *v;
        if ((v = json_object_get(patch, "name")))
            snprintf(row.name, sizeof row.name, "%s", json_string_value(v));
        if ((v = json_object_get(patch, "title")))
            snprintf(row.title, sizeof row.title, "%s", json_string_value(v));
        if ((v = json_object_get(patch, "active")))
            row.active = json_is_true(v);
        if ((v = json_object_get(patch, "default")))
            row.is_default = json_is_true(v);
        row.updated_at = sg_time_now_ms();
        sg_error e = {0};
        sg_err err = sg_store_provider_update(app->store, &row, &e);
        if (err) {
            ok = err == SG_ERR_CONFLICT ? sg_reject_set(rej, 409, "conflict", "name",
                                                        "a provider with that name already exists")
                                        : store_fail(rej, err, &e);
        } else {
            sg_registry_invalidate(app->registry);
            *view = view_of(app, &row, true);
        }
    }
    sg_provider_row_free(&row);
    return ok;
}

bool sg_provider_admin_delete(sg_app *app, const char *id_or_name, sg_reject *rej)
{
    sg_provider_row row;
    if (!load_row(app, id_or_name, &row, rej))
        return false;
    sg_error e = {0};
    sg_err err = sg_store_provider_delete(app->store, row.id, &e);
    sg_provider_row_free(&row);
    if (err == SG_ERR_CONFLICT)
        return sg_reject_set(rej, 409, "invalid_state", NULL, "%s", e.message);
    if (err)
        return store_fail(rej, err, &e);
    sg_registry_invalidate(app->registry);
    return true;
}

bool sg_provider_admin_show_for(sg_app *app, const char *id_or_name, bool admin, json_t **view,
                                sg_reject *rej)
{
    sg_provider_row row;
    if (!load_row(app, id_or_name, &row, rej))
        return false;
    *view = view_of(app, &row, admin);
    sg_provider_row_free(&row);
    return true;
}

bool sg_provider_admin_list_for(sg_app *app, bool admin, json_t **view, sg_reject *rej)
{
    sg_provider_row *rows;
    size_t n;
    sg_err err = sg_store_provider_list(app->store, &rows, &n);
    if (err) {
        sg_error e = {0};
        sg_error_set(&e, err, NULL, "cannot list providers");
        return store_fail(rej, err, &e);
    }
    json_t *data = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(data, view_of(app, &rows[i], admin));
        sg_provider_row_free(&rows[i]);
    }
    free(rows);
    *view = json_pack("{s:o, s:n}", "data", data, "next_cursor");
    return true;
}

bool sg_provider_admin_show(sg_app *app, const char *id_or_name, json_t **view, sg_reject *rej)
{
    return sg_provider_admin_show_for(app, id_or_name, true, view, rej);
}

bool sg_provider_admin_list(sg_app *app, json_t **view, sg_reject *rej)
{
    return sg_provider_admin_list_for(app, true, view, rej);
}

const char *sg_provider_admin_update_action(const json_t *in)
{
    return json_is_true(json_object_get(in, "default")) ? "provider.set_default"
                                                        : "provider.update";
}

char *sg_provider_admin_audit_detail(const char *action, const json_t *view, const json_t *in)
{
    json_t *d = json_object();
    if (in) {
        json_t *fields = json_array();
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)in, key, v)
        {
            json_array_append_new(fields, json_string(key));
        }
        json_object_set_new(d, "fields", fields);
    }
    if (!strcmp(action, "provider.create"))
        json_object_set(d, "kind", json_object_get(view, "kind"));
    char *detail = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(d);
    return detail;
}
