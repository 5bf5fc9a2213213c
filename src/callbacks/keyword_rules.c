#include "callbacks/keyword_rules.h"
#include "audience/render.h"
#include "core/keyword_match.h"
#include "core/reply_limit.h"
#include "util/metrics.h"
#include "util/log.h"
#include "util/time.h"

#include <jansson.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPLY_MAX 1600 /* a rendered reply, as any message body */
#define VALUE_MAX 512  /* a rendered group name or attribute value */

json_t *sg_keyword_rule_json(const sg_keyword_rule *r)
{
    char created[SG_TIME_STR_MAX], updated[SG_TIME_STR_MAX];
    sg_time_format(r->created_at, created, sizeof created);
    sg_time_format(r->updated_at, updated, sizeof updated);
    json_t *actions = r->actions ? json_loads(r->actions, 0, NULL) : NULL;
    return json_pack("{s:s, s:s, s:s, s:o, s:I, s:o, s:s, s:s}", "id", r->id, "keyword",
                     r->keyword, "match", r->match, "to", r->to[0] ? json_string(r->to) : json_null(),
                     "priority", (json_int_t)r->priority, "actions", actions ? actions : json_array(),
                     "created_at", created, "updated_at", updated);
}

/* What replies and values are rendered with: the sender's contact (when it
 * exists already) and {{rest}}, the text after a first_word keyword. */
typedef struct render_ctx {
    sg_contact contact;
    bool have_contact;
    json_t *attributes; /* the contact's, plus "rest" */
    sg_render_contact rc;
} render_ctx;

static void render_ctx_init(render_ctx *r, sg_app *app, const sg_message *in, const char *rest,
                            size_t rest_len)
{
    memset(r, 0, sizeof *r);
    r->have_contact = sg_store_contact_get(app->store, in->from, &r->contact) == SG_OK;
    json_t *a = r->have_contact && r->contact.attributes
                    ? json_loads(r->contact.attributes, 0, NULL)
                    : NULL;
    r->attributes = json_is_object(a) ? a : json_object();
    if (a && r->attributes != a)
        json_decref(a);
    json_object_set_new(r->attributes, "rest", json_stringn(rest, rest_len));
    r->rc.phone = in->from;
    r->rc.first_name = r->have_contact ? r->contact.first_name : NULL;
    r->rc.last_name = r->have_contact ? r->contact.last_name : NULL;
    r->rc.attributes = r->attributes;
}

static void render_ctx_free(render_ctx *r)
{
    json_decref(r->attributes);
    if (r->have_contact)
        sg_contact_free(&r->contact);
}

/* tpl rendered into a new string (NULL on any error, logged with the rule). */
static char *render(const render_ctx *r, const sg_keyword_rule *rule, const char *tpl, size_t max)
{
    sg_buf out;
    sg_buf_init(&out, max);
    sg_tpl_error te;
    char *s = NULL;
    if (sg_render_body(tpl, &r->rc, &out, &te) == SG_OK && sg_buf_append(&out, "", 1) == SG_OK) {
        s = out.data;
        out.data = NULL;
    } else {
        sg_log(SG_LOG_WARN, "keyword_render_failed", "rule=%s code=%s field=%s", rule->id, te.code,
               te.field);
    }
    sg_buf_free(&out);
    return s;
}

/* The text of a reply field: a body, or {"template": name} (the stored template's
 * body); NULL when absent. */
static char *reply_text(sg_app *app, const render_ctx *r, const sg_keyword_rule *rule, json_t *v)
{
    if (json_is_string(v))
        return render(r, rule, json_string_value(v), REPLY_MAX);
    const char *name = json_string_value(json_object_get(v, "template"));
    if (!name)
        return NULL;
    sg_template t;
    if (sg_store_template_get(app->store, name, &t) != SG_OK) {
        sg_log(SG_LOG_WARN, "keyword_template_missing", "rule=%s template=%s", rule->id, name);
        return NULL;
    }
    char *s = render(r, rule, t.body, REPLY_MAX);
    sg_template_row_free(&t);
    return s;
}

typedef struct build_ctx {
    sg_app *app;
    const sg_provider *p;
    const sg_message *in;
    const char *from;
    render_ctx r;
    sg_kw_plan *plan;
} build_ctx;

/* A reply message for field v of an action (NULL when absent or not sendable). */
static sg_message *plan_reply(build_ctx *b, json_t *v)
{
    sg_kw_plan *plan = b->plan;
    if (!v || plan->n_replies >= 2 * SG_KW_ACTIONS_MAX)
        return NULL;
    char *text = reply_text(b->app, &b->r, &plan->rule, v);
    if (!text)
        return NULL;
    sg_message *m = &plan->replies[plan->n_replies];
    bool ok = text[0] && sg_cb_reply_build(b->p, b->in, b->from, text, "keyword",
                                           sg_time_now_ms(), m);
    free(text);
    if (!ok)
        return NULL;
    plan->n_replies++;
    return m;
}

/* A rendered value kept by the plan (NULL when it cannot be rendered). */
static const char *plan_string(build_ctx *b, const char *tpl)
{
    sg_kw_plan *plan = b->plan;
    if (!tpl || plan->n_strings >= 2 * SG_KW_ACTIONS_MAX)
        return NULL;
    char *s = render(&b->r, &plan->rule, tpl, VALUE_MAX);
    if (s)
        plan->strings[plan->n_strings++] = s;
    return s;
}

/* A copy of s kept by the plan (the actions' JSON is freed before the store runs
 * them). */
static const char *plan_copy(build_ctx *b, const char *s)
{
    sg_kw_plan *plan = b->plan;
    if (!s || plan->n_strings >= 2 * SG_KW_ACTIONS_MAX)
        return NULL;
    char *c = strdup(s);
    if (c)
        plan->strings[plan->n_strings++] = c;
    return c;
}

/* The action kinds of the API and what each needs. */
static const struct action_kind {
    const char *type;
    sg_inbound_action_kind kind;
    const char *reply_else; /* the second reply's field, or NULL */
} action_kinds[] = {
    {"reply", SG_IA_REPLY, NULL},
    {"add_to_group", SG_IA_GROUP_ADD, "reply_already"},
    {"remove_from_group", SG_IA_GROUP_REMOVE, "reply_not_member"},
    {"set_attribute", SG_IA_SET_ATTRIBUTE, NULL},
    {"webhook", SG_IA_EVENT, NULL},
    {"enroll", SG_IA_ENROLL, NULL},
};

static const struct action_kind *action_kind(const char *type)
{
    for (size_t i = 0; type && i < sizeof action_kinds / sizeof *action_kinds; i++) {
        if (strcmp(action_kinds[i].type, type) == 0)
            return &action_kinds[i];
    }
    return NULL;
}

/* May this action's reply go (core/reply_limit.h: at most a few rule replies
 * a number per hour, or anyone who can text the number makes smsgate send to a
 * number of their choosing at the operator's cost)? A refusal is logged and
 * counted; the action itself still runs. */
static bool rule_reply_allowed(build_ctx *b)
{
    sg_reply_verdict v = sg_reply_limit_take_rule(b->app->reply_limit, b->in->from,
                                                  sg_time_now_ms());
    if (v == SG_REPLY_OK)
        return true;
    sg_metrics_consent_reply_limited();
    sg_log(SG_LOG_INFO, "keyword_reply_limited", "provider=%s rule=%s reason=%s", b->p->name,
           b->plan->rule.id, sg_reply_verdict_name(v));
    return false;
}

/* One stored action (validated by the API when saved) into the plan; an action
 * whose group or value renders empty is left out. */
static void plan_action(build_ctx *b, json_t *a)
{
    const struct action_kind *k = action_kind(json_string_value(json_object_get(a, "type")));
    if (!k || b->plan->n_actions >= SG_KW_ACTIONS_MAX)
        return;
    sg_inbound_action act = {.kind = k->kind};
    if (k->kind == SG_IA_REPLY) {
        json_t *body = json_object_get(a, "body");
        act.reply = plan_reply(b, body ? body : a);
        if (!act.reply || !rule_reply_allowed(b))
            return;
    } else if (k->kind == SG_IA_GROUP_ADD || k->kind == SG_IA_GROUP_REMOVE) {
        act.group = plan_string(b, json_string_value(json_object_get(a, "group")));
        if (!act.group || !act.group[0])
            return;
        act.reply = plan_reply(b, json_object_get(a, "reply"));
        act.reply_else = plan_reply(b, json_object_get(a, k->reply_else));
        if ((act.reply || act.reply_else) && !rule_reply_allowed(b))
            act.reply = act.reply_else = NULL; /* joined or left all the same */
    } else if (k->kind == SG_IA_SET_ATTRIBUTE) {
        act.name = plan_copy(b, json_string_value(json_object_get(a, "name")));
        act.value = plan_string(b, json_string_value(json_object_get(a, "value")));
        if (!act.name || !act.value)
            return;
    } else if (k->kind == SG_IA_ENROLL) {
        act.journey = plan_copy(b, json_string_value(json_object_get(a, "journey")));
        if (!act.journey)
            return;
    }
    b->plan->actions[b->plan->n_actions++] = act;
}

/* The index of the rule in rules[0..n) that in matches, -1 for none; the rest
 * of a first_word match into *rest. */
static long match_rules(const sg_keyword_rule *rules, size_t n, const sg_message *in,
                        const char **rest, size_t *rest_len)
{
    sg_kw_rule_view *views = calloc(n ? n : 1, sizeof *views);
    if (!views)
        return -1;
    for (size_t i = 0; i < n; i++) {
        views[i].keyword = rules[i].keyword;
        views[i].to = rules[i].to;
        views[i].priority = rules[i].priority;
        if (!sg_kw_match_parse(rules[i].match, &views[i].match))
            views[i].keyword = ""; /* never matches */
    }
    const char *body = in->body ? in->body : "";
    long best = sg_kw_match_best(views, n, body, strlen(body), in->to, rest, rest_len);
    free(views);
    return best;
}

bool sg_kw_plan_build(sg_app *app, const sg_provider *p, const sg_message *in, const char *from,
                      sg_kw_plan *plan)
{
    memset(plan, 0, sizeof *plan);
    sg_keyword_rule *rules = NULL;
    size_t n = 0;
    if (sg_store_keyword_rule_list(app->store, &rules, &n) != SG_OK) {
        sg_log(SG_LOG_WARN, "keyword_rules_unreadable", "message=%s", in->id);
        return false;
    }
    const char *rest = "";
    size_t rest_len = 0;
    long best = n ? match_rules(rules, n, in, &rest, &rest_len) : -1;
    if (best >= 0) {
        plan->rule = rules[best];
        rules[best].actions = NULL; /* moved into the plan */
        json_t *rj = sg_keyword_rule_json(&plan->rule);
        plan->rule_json = rj ? json_dumps(rj, JSON_COMPACT) : NULL;
        json_decref(rj);
        build_ctx b = {.app = app, .p = p, .in = in, .from = from, .plan = plan};
        render_ctx_init(&b.r, app, in, rest, rest_len);
        json_t *actions = plan->rule.actions ? json_loads(plan->rule.actions, 0, NULL) : NULL;
        size_t i;
        json_t *a;
        json_array_foreach(actions, i, a) plan_action(&b, a);
        json_decref(actions);
        render_ctx_free(&b.r);
    }
    sg_keyword_rules_free(rules, n);
    return best >= 0;
}

void sg_kw_plan_free(sg_kw_plan *plan)
{
    sg_keyword_rule_free(&plan->rule);
    free(plan->rule_json);
    for (size_t i = 0; i < plan->n_replies; i++)
        sg_message_free(&plan->replies[i]);
    for (size_t i = 0; i < plan->n_strings; i++)
        free(plan->strings[i]);
    memset(plan, 0, sizeof *plan);
}
