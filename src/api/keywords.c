/* /v1/keywords: keyword rules (create, list by priority, show, edit, delete),
 * every write audited. What a rule does with an inbound message is in
 * callbacks/keyword_rules.c; docs/keywords.md is the user's map. */
#include "api/keywords.h"
#include "api/app.h"
#include "api/common.h"
#include "api/handlers.h"
#include "callbacks/keyword_rules.h"
#include "core/keyword_match.h"
#include "core/phone.h"
#include "core/template.h"
#include "http/problem.h"
#include "util/id.h"
#include "util/time.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPLY_MAX    1600
#define GROUP_MAX    128
#define VALUE_MAX    512
#define ATTR_NAME_MAX 64
#define PRIORITY_MAX 1000

static bool invalid(sg_kw_invalid *why, int status, const char *code, const char *field,
                    const char *fmt, ...)
{
    why->status = status;
    snprintf(why->code, sizeof why->code, "%s", code);
    snprintf(why->field, sizeof why->field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why->message, sizeof why->message, fmt, ap);
    va_end(ap);
    return false;
}

/* The fields each action type takes (besides "type"), and which are required. */
static const struct action_spec {
    const char *type;
    const char *fields[4];
    const char *required; /* a required field, or NULL */
} action_specs[] = {
    {"reply", {"body", "template", NULL}, NULL},
    {"add_to_group", {"group", "reply", "reply_already", NULL}, "group"},
    {"remove_from_group", {"group", "reply", "reply_not_member", NULL}, "group"},
    {"set_attribute", {"name", "value", NULL}, "name"},
    {"webhook", {NULL}, NULL},
    {"enroll", {"journey", NULL}, "journey"},
};
#define N_SPECS   (sizeof action_specs / sizeof *action_specs)
#define ALLOWED_ACTIONS "reply, add_to_group, remove_from_group, set_attribute, webhook, enroll"

static const struct action_spec *spec_of(const char *type)
{
    for (size_t i = 0; type && i < N_SPECS; i++) {
        if (strcmp(action_specs[i].type, type) == 0)
            return &action_specs[i];
    }
    return NULL;
}

/* A text field that is a template (merge fields, {{rest}}): a string of 1 to max
 * bytes that sg_template_check accepts. */
static bool text_ok(json_t *v, size_t max, const char *field, sg_kw_invalid *why)
{
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > max)
        return invalid(why, 400, "invalid_request", field, "%s must be a string of 1 to %zu bytes",
                       field, max);
    sg_tpl_error te;
    if (sg_template_check(json_string_value(v), &te) != SG_OK)
        return invalid(why, 400, "invalid_template", field, "%s: %s", field, te.detail);
    return true;
}

static bool attr_name_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > ATTR_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return false;
    }
    return true;
}

/* One field of an action, checked for its type. */
static bool action_field_ok(const char *type, const char *key, json_t *v, const char *field,
                            sg_store *store, sg_kw_invalid *why)
{
    if (strcmp(key, "group") == 0)
        return text_ok(v, GROUP_MAX, field, why);
    if (strcmp(key, "value") == 0)
        return text_ok(v, VALUE_MAX, field, why);
    if (strcmp(key, "name") == 0) {
        if (!attr_name_ok(json_string_value(v)))
            return invalid(why, 400, "invalid_request", field,
                           "%s must be 1 to 64 letters, digits or _", field);
        return true;
    }
    if (strcmp(key, "journey") == 0) {
        sg_journey_row j;
        const char *id = json_string_value(v);
        if (!id || !id[0])
            return invalid(why, 400, "invalid_request", field, "%s must name a journey", field);
        if (store && sg_store_journey_get(store, id, &j) != SG_OK)
            return invalid(why, 422, "unknown_journey", field, "no journey %.64s", id);
        if (store)
            sg_journey_row_free(&j);
        return true;
    }
    if (strcmp(key, "template") == 0) {
        sg_template t;
        const char *name = json_string_value(v);
        if (!name || !name[0])
            return invalid(why, 400, "invalid_request", field, "%s must name a template", field);
        if (store && sg_store_template_get(store, name, &t) != SG_OK)
            return invalid(why, 422, "unknown_template", field, "no template %.64s", name);
        if (store)
            sg_template_row_free(&t);
        return true;
    }
    return text_ok(v, REPLY_MAX, field, why); /* body and the replies */
}

static bool action_ok(json_t *a, size_t i, sg_store *store, sg_kw_invalid *why)
{
    char field[64];
    snprintf(field, sizeof field, "actions[%zu]", i);
    if (!json_is_object(a))
        return invalid(why, 400, "invalid_request", field, "%s must be an object", field);
    const char *type = json_string_value(json_object_get(a, "type"));
    const struct action_spec *spec = spec_of(type);
    snprintf(field, sizeof field, "actions[%zu].type", i);
    if (!spec)
        return invalid(why, 400, "unknown_action", field,
                       "%s: unknown action '%.32s' (allowed: " ALLOWED_ACTIONS
                       "; journeys and their 'enroll' come later)",
                       field, type ? type : "");
    const char *key;
    json_t *v;
    json_object_foreach(a, key, v)
    {
        if (strcmp(key, "type") == 0)
            continue;
        bool known = false;
        for (size_t k = 0; spec->fields[k]; k++)
            known |= strcmp(spec->fields[k], key) == 0;
        snprintf(field, sizeof field, "actions[%zu].%.32s", i, key);
        if (!known)
            return invalid(why, 400, "invalid_request", field, "%s: not a field of %s", field,
                           type);
        if (!action_field_ok(type, key, v, field, store, why))
            return false;
    }
    snprintf(field, sizeof field, "actions[%zu].%s", i, spec->required ? spec->required : "");
    if (spec->required && !json_object_get(a, spec->required))
        return invalid(why, 400, "invalid_request", field, "%s is required", field);
    bool body = json_object_get(a, "body"), tpl = json_object_get(a, "template");
    snprintf(field, sizeof field, "actions[%zu].body", i);
    if (strcmp(type, "reply") == 0 && body == tpl)
        return invalid(why, 400, "invalid_request", field,
                       "a reply takes a body or a template (one of them)");
    return true;
}

static bool actions_ok(json_t *v, sg_store *store, sg_keyword_rule *r, sg_kw_invalid *why)
{
    if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > SG_KW_ACTIONS_MAX)
        return invalid(why, 400, "invalid_request", "actions",
                       "actions must be an array of 1 to %d actions", SG_KW_ACTIONS_MAX);
    size_t i;
    json_t *a;
    json_array_foreach(v, i, a)
    {
        if (!action_ok(a, i, store, why))
            return false;
    }
    char *text = json_dumps(v, JSON_COMPACT);
    if (!text)
        return invalid(why, 500, "internal", NULL, "out of memory");
    free(r->actions);
    r->actions = text;
    return true;
}

/* The keyword, folded; opt-out and help words refused. */
static bool keyword_ok(json_t *v, const sg_keyword_extra *extra, sg_keyword_rule *r,
                       sg_kw_invalid *why)
{
    const char *k = json_string_value(v);
    if (!k || strlen(k) > SG_KW_KEYWORD_MAX ||
        !sg_kw_fold_keyword(k, r->keyword, sizeof r->keyword))
        return invalid(why, 400, "invalid_request", "keyword",
                       "keyword must be 1 to %d bytes of text (no control characters)",
                       SG_KW_KEYWORD_MAX);
    const char *canon = NULL;
    sg_keyword_kind kind = sg_keyword_classify_with(extra, r->keyword, strlen(r->keyword), &canon);
    if (kind == SG_KEYWORD_OPT_OUT || kind == SG_KEYWORD_HELP)
        return invalid(why, 422, "reserved_keyword", "keyword",
                       "%s is a%s keyword: it is answered before any rule, everywhere, and a "
                       "rule cannot replace it",
                       canon, kind == SG_KEYWORD_OPT_OUT ? "n opt-out" : " help");
    return true;
}

static bool to_ok(json_t *v, sg_keyword_rule *r, sg_kw_invalid *why)
{
    if (!v || json_is_null(v)) {
        r->to[0] = '\0';
        return true;
    }
    sg_phone_type type;
    const char *s = json_string_value(v);
    if (!s || sg_phone_normalize(s, NULL, r->to, &type) != SG_PHONE_OK)
        return invalid(why, 400, "invalid_phone", "to",
                       "to must be a receiving number in E.164 (+15005550006), or null for any");
    return true;
}

static bool priority_ok(json_t *v, sg_keyword_rule *r, sg_kw_invalid *why)
{
    if (!json_is_integer(v) || json_integer_value(v) < -PRIORITY_MAX ||
        json_integer_value(v) > PRIORITY_MAX)
        return invalid(why, 400, "invalid_request", "priority",
                       "priority must be an integer from -%d to %d (higher is tried first)",
                       PRIORITY_MAX, PRIORITY_MAX);
    r->priority = (long)json_integer_value(v);
    return true;
}

bool sg_keyword_rule_parse(json_t *in, bool partial, const sg_keyword_extra *extra,
                           sg_store *store, sg_keyword_rule *r, sg_kw_invalid *why)
{
    static const char *const known[] = {"keyword", "match", "to", "actions", "priority"};
    if (!json_is_object(in))
        return invalid(why, 400, "invalid_request", NULL, "the body must be a JSON object");
    const char *key;
    json_t *v;
    json_object_foreach(in, key, v)
    {
        bool ok = false;
        for (size_t i = 0; i < sizeof known / sizeof *known; i++)
            ok |= strcmp(key, known[i]) == 0;
        if (!ok)
            return invalid(why, 400, "invalid_request", key,
                           "unknown field '%.64s' (known: keyword, match, to, actions, priority)",
                           key);
    }
    if (!partial && !r->match[0])
        snprintf(r->match, sizeof r->match, "exact");
    if ((v = json_object_get(in, "match"))) {
        sg_kw_match m;
        if (!sg_kw_match_parse(json_string_value(v), &m))
            return invalid(why, 400, "invalid_request", "match",
                           "match must be exact, first_word or glob");
        snprintf(r->match, sizeof r->match, "%s", sg_kw_match_name(m));
    }
    if ((v = json_object_get(in, "keyword")) || !partial) {
        if (!keyword_ok(v, extra, r, why))
            return false;
    }
    if ((json_object_get(in, "to") || !partial) && !to_ok(json_object_get(in, "to"), r, why))
        return false;
    if ((v = json_object_get(in, "priority")) && !priority_ok(v, r, why))
        return false;
    if ((v = json_object_get(in, "actions")) || !partial)
        return actions_ok(v, store, r, why);
    return true;
}

/* ---- handlers ------------------------------------------------------------------ */

static void answer_invalid(sg_http_req *req, const sg_kw_invalid *why)
{
    sg_http_problem(req, why->status, why->code, why->field[0] ? why->field : NULL, "%s",
                    why->message);
}

static void answer_store(sg_http_req *req, sg_err err, const sg_error *e)
{
    if (err == SG_ERR_CONFLICT)
        sg_http_problem(req, 409, "conflict", "keyword", "%s", e->message);
    else if (err == SG_ERR_NOT_FOUND)
        sg_http_problem(req, 404, "not_found", NULL, "%s", e->message);
    else
        sg_api_store_error(req, err, e->message[0] ? e->message : "keyword rule");
}

/* The audit detail of a rule: what it is, never a reply's text. */
static void audit_rule(sg_http_req *req, sg_app *app, const char *action,
                       const sg_keyword_rule *r)
{
    json_t *d = json_pack("{s:s, s:s}", "keyword", r->keyword, "match", r->match);
    char *text = d ? json_dumps(d, JSON_COMPACT) : NULL;
    sg_api_audit(req, app, action, r->id, text);
    free(text);
    json_decref(d);
}

sg_http_result sg_api_keywords_create(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    json_t *in = sg_api_json_body(req);
    if (!in)
        return SG_HTTP_DONE;
    sg_keyword_rule r = {.created_at = sg_time_now_ms()};
    r.updated_at = r.created_at;
    sg_kw_invalid why;
    bool ok = sg_keyword_rule_parse(in, false, app->keywords_extra, app->store, &r, &why);
    json_decref(in);
    sg_keyword_rule *all = NULL;
    size_t n = 0;
    if (!ok) {
        answer_invalid(req, &why);
    } else if (sg_store_keyword_rule_list(app->store, &all, &n) == SG_OK &&
               n >= SG_KEYWORD_RULES_MAX) {
        sg_http_problem(req, 409, "too_many_rules", NULL, "at most %d keyword rules",
                        SG_KEYWORD_RULES_MAX);
    } else {
        sg_id_new("kwr", r.created_at, r.id);
        sg_error e = {0};
        sg_err err = sg_store_keyword_rule_create(app->store, &r, &e);
        if (err) {
            answer_store(req, err, &e);
        } else {
            audit_rule(req, app, "keyword.create", &r);
            sg_http_respond_json(req, 201, sg_keyword_rule_json(&r));
        }
    }
    sg_keyword_rules_free(all, n);
    sg_keyword_rule_free(&r);
    return SG_HTTP_DONE;
}

sg_http_result sg_api_keywords_list(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    sg_api_page pg;
    if (!sg_api_page_parse(req, 100, SG_KEYWORD_RULES_MAX, &pg))
        return SG_HTTP_DONE;
    sg_keyword_rule *rules;
    size_t n;
    sg_err err = sg_store_keyword_rule_list(app->store, &rules, &n);
    if (err) {
        sg_api_store_error(req, err, "cannot read the keyword rules");
        return SG_HTTP_DONE;
    }
    json_t *data = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(data, sg_keyword_rule_json(&rules[i]));
    sg_keyword_rules_free(rules, n);
    sg_api_respond_page(req, json_pack("{s:o}", "data", data), "id", &pg);
    return SG_HTTP_DONE;
}

static bool rule_lookup(sg_http_req *req, sg_app *app, sg_keyword_rule *r)
{
    sg_err err = sg_store_keyword_rule_get(app->store, sg_http_param(req, 0), r);
    if (err == SG_ERR_NOT_FOUND)
        sg_http_problem(req, 404, "not_found", NULL, "no keyword rule %.64s",
                        sg_http_param(req, 0));
    else if (err)
        sg_api_store_error(req, err, "cannot read the keyword rule");
    return err == SG_OK;
}

sg_http_result sg_api_keywords_get(sg_http_req *req, void *ctx)
{
    sg_keyword_rule r;
    if (rule_lookup(req, ctx, &r)) {
        sg_http_respond_json(req, 200, sg_keyword_rule_json(&r));
        sg_keyword_rule_free(&r);
    }
    return SG_HTTP_DONE;
}

sg_http_result sg_api_keywords_update(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    json_t *in = sg_api_json_body(req);
    if (!in)
        return SG_HTTP_DONE;
    sg_keyword_rule r;
    if (!rule_lookup(req, app, &r)) {
        json_decref(in);
        return SG_HTTP_DONE;
    }
    sg_kw_invalid why;
    if (!sg_keyword_rule_parse(in, true, app->keywords_extra, app->store, &r, &why)) {
        answer_invalid(req, &why);
    } else {
        r.updated_at = sg_time_now_ms();
        sg_error e = {0};
        sg_err err = sg_store_keyword_rule_update(app->store, &r, &e);
        if (err) {
            answer_store(req, err, &e);
        } else {
            audit_rule(req, app, "keyword.update", &r);
            sg_http_respond_json(req, 200, sg_keyword_rule_json(&r));
        }
    }
    json_decref(in);
    sg_keyword_rule_free(&r);
    return SG_HTTP_DONE;
}

sg_http_result sg_api_keywords_delete(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    sg_keyword_rule r;
    if (!rule_lookup(req, app, &r))
        return SG_HTTP_DONE;
    sg_error e = {0};
    sg_err err = sg_store_keyword_rule_delete(app->store, r.id, &e);
    if (err) {
        answer_store(req, err, &e);
    } else {
        audit_rule(req, app, "keyword.delete", &r);
        sg_http_respond(req, 204, NULL, "", 0);
    }
    sg_keyword_rule_free(&r);
    return SG_HTTP_DONE;
}
