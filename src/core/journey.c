#include "core/journey.h"
#include "core/keyword_match.h"
#include "core/segment_filter.h"
#include "util/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const step_types[] = {
    [SG_JS_SEND] = "send",
    [SG_JS_WAIT] = "wait",
    [SG_JS_WAIT_FOR_REPLY] = "wait_for_reply",
    [SG_JS_BRANCH] = "branch",
    [SG_JS_ADD_TO_GROUP] = "add_to_group",
    [SG_JS_REMOVE_FROM_GROUP] = "remove_from_group",
    [SG_JS_SET_ATTRIBUTE] = "set_attribute",
    [SG_JS_WEBHOOK] = "webhook",
    [SG_JS_END] = "end",
};
#define N_TYPES (sizeof step_types / sizeof *step_types)

const char *sg_journey_step_type_name(sg_journey_step_type t)
{
    return (unsigned)t < N_TYPES ? step_types[t] : "end";
}

static bool step_type_parse(const char *s, sg_journey_step_type *out)
{
    for (size_t i = 0; s && i < N_TYPES; i++) {
        if (strcmp(s, step_types[i]) == 0) {
            *out = (sg_journey_step_type)i;
            return true;
        }
    }
    return false;
}

int sg_journey_parse_time_of_day(const char *s)
{
    if (!s)
        return -1;
    int h = 0, i = 0;
    for (; i < 2 && s[i] >= '0' && s[i] <= '9'; i++)
        h = h * 10 + (s[i] - '0');
    if (i == 0 || s[i] != ':' || h > 23)
        return -1;
    const char *m = s + i + 1;
    if (m[0] < '0' || m[0] > '5' || m[1] < '0' || m[1] > '9' || m[2] != '\0')
        return -1;
    return h * 60 + (m[0] - '0') * 10 + (m[1] - '0');
}

/* ---- parsing ------------------------------------------------------------------ */

/* A parse in progress: the step ids are read first, so targets can be resolved
 * in any order. */
typedef struct parse_ctx {
    sg_journey_def *d;
    sg_error *e;
} parse_ctx;

static sg_err bad(parse_ctx *p, int step, const char *member, const char *fmt, const char *arg)
{
    char field[64], msg[224];
    if (step >= 0)
        snprintf(field, sizeof field, "steps[%d]%s%s", step, member ? "." : "",
                 member ? member : "");
    else
        snprintf(field, sizeof field, "%s", member ? member : "");
    snprintf(msg, sizeof msg, fmt, arg ? arg : "");
    if (step >= 0 && p->d->steps[step].id[0])
        return sg_error_set(p->e, SG_ERR_INVALID, field, "step \"%s\": %s", p->d->steps[step].id,
                            msg);
    if (step >= 0)
        return sg_error_set(p->e, SG_ERR_INVALID, field, "step %d: %s", step + 1, msg);
    return sg_error_set(p->e, SG_ERR_INVALID, field, "%s", msg);
}

/* An optional string member of o, at most max bytes and not empty when present. */
static sg_err opt_string(parse_ctx *p, int step, json_t *o, const char *key, size_t max,
                         const char **out)
{
    json_t *v = json_object_get(o, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return SG_OK;
    if (!json_is_string(v) || json_string_length(v) == 0)
        return bad(p, step, key, "%s must be a non-empty string", key);
    if (json_string_length(v) > max || strlen(json_string_value(v)) != json_string_length(v))
        return bad(p, step, key, "%s is too long or holds a NUL", key);
    *out = json_string_value(v);
    return SG_OK;
}

static sg_err req_string(parse_ctx *p, int step, json_t *o, const char *key, size_t max,
                         const char **out)
{
    sg_err err = opt_string(p, step, o, key, max, out);
    if (!err && !*out)
        return bad(p, step, key, "%s is required", key);
    return err;
}

/* A target member (a step id) into *idx; absent leaves *idx as it is. */
static sg_err target(parse_ctx *p, int step, json_t *o, const char *key, int *idx)
{
    const char *id;
    sg_err err = opt_string(p, step, o, key, SG_JOURNEY_STEP_ID_MAX - 1, &id);
    if (err || !id)
        return err;
    *idx = sg_journey_step_index(p->d, id);
    return *idx >= 0 ? SG_OK : bad(p, step, key, "there is no step \"%s\"", id);
}

static sg_err seconds_member(parse_ctx *p, int step, json_t *o, const char *key, bool required,
                             int64_t *out)
{
    json_t *v = json_object_get(o, key);
    *out = 0;
    if (!v)
        return required ? bad(p, step, key, "%s is required", key) : SG_OK;
    if (!json_is_integer(v) || json_integer_value(v) < 1 ||
        json_integer_value(v) > SG_JOURNEY_WAIT_MAX)
        return bad(p, step, key, "%s must be a whole number of seconds from 1 to 31622400", key);
    *out = json_integer_value(v);
    return SG_OK;
}

static sg_err parse_send(parse_ctx *p, int i, json_t *o, sg_journey_step *s)
{
    sg_err err = opt_string(p, i, o, "body", SG_JOURNEY_BODY_MAX, &s->body);
    if (!err)
        err = opt_string(p, i, o, "template", SG_JOURNEY_VALUE_MAX, &s->template_name);
    if (!err)
        err = opt_string(p, i, o, "provider", SG_JOURNEY_VALUE_MAX, &s->provider);
    if (!err && !s->body == !s->template_name)
        err = bad(p, i, "body", "a send step needs exactly one of body and template", NULL);
    return err;
}

static sg_err parse_wait(parse_ctx *p, int i, json_t *o, sg_journey_step *s)
{
    const char *until;
    sg_err err = seconds_member(p, i, o, "seconds", false, &s->seconds);
    if (!err)
        err = opt_string(p, i, o, "until", 8, &until);
    if (err)
        return err;
    if (until && (s->until_min = sg_journey_parse_time_of_day(until)) < 0)
        return bad(p, i, "until", "until must be a time of day HH:MM, not \"%s\"", until);
    if (!s->seconds && s->until_min < 0)
        return bad(p, i, "seconds", "a wait step needs seconds or until", NULL);
    return SG_OK;
}

/* A branch's glob as the matcher compares it: upper case, trimmed, inner white
 * space as one space. Unlike a keyword, a trailing '?' is kept: it is the glob's
 * "one character" ("N?" matches "no"). False when empty, too long or holding a
 * control character. */
static bool fold_pattern(const char *m, char *out, size_t cap)
{
    size_t o = 0;
    for (const unsigned char *c = (const unsigned char *)m; *c; c++) {
        bool space = *c == ' ' || (*c >= '\t' && *c <= '\r');
        if (!space && (*c < 0x20 || *c == 0x7f))
            return false;
        if (space && (o == 0 || out[o - 1] == ' '))
            continue;
        if (o + 1 >= cap)
            return false;
        out[o++] = space ? ' ' : (*c >= 'a' && *c <= 'z') ? (char)(*c - 32) : (char)*c;
    }
    while (o > 0 && out[o - 1] == ' ')
        o--;
    out[o] = '\0';
    return o > 0;
}

static sg_err parse_branch_list(parse_ctx *p, int i, json_t *list, sg_journey_step *s)
{
    if (list && (!json_is_array(list) || json_array_size(list) > SG_JOURNEY_BRANCHES_MAX))
        return bad(p, i, "branches", "branches must be an array of at most 8", NULL);
    size_t k;
    json_t *b;
    json_array_foreach(list, k, b)
    {
        const char *m;
        sg_journey_branch *br = &s->branches[k];
        br->next = -2;
        sg_err err = req_string(p, i, b, "match", SG_KW_KEYWORD_MAX, &m);
        if (!err && !fold_pattern(m, br->match, sizeof br->match))
            err = bad(p, i, "branches", "branch match \"%s\" is empty or not text", m);
        if (!err)
            err = target(p, i, b, "next", &br->next);
        if (!err && br->next == -2)
            err = bad(p, i, "branches", "every branch needs a next step", NULL);
        if (err)
            return err;
        s->n_branches = k + 1;
    }
    return SG_OK;
}

static sg_err parse_wait_for_reply(parse_ctx *p, int i, json_t *o, sg_journey_step *s)
{
    sg_err err = seconds_member(p, i, o, "timeout_seconds", true, &s->timeout);
    if (!err)
        err = parse_branch_list(p, i, json_object_get(o, "branches"), s);
    if (!err)
        err = target(p, i, o, "any_reply", &s->any_reply);
    if (!err)
        err = target(p, i, o, "no_reply", &s->no_reply);
    return err;
}

static sg_err parse_condition(parse_ctx *p, int i, json_t *o, sg_journey_step *s)
{
    const char *text;
    sg_err err = req_string(p, i, o, "condition", SG_SEGMENT_TEXT_MAX, &text);
    if (err)
        return err;
    sg_seg_node *ast = NULL;
    sg_seg_error se = {0};
    err = sg_segment_parse(text, &ast, &se);
    sg_segment_free(ast);
    if (err == SG_ERR_NOMEM)
        return sg_error_set(p->e, err, NULL, "out of memory");
    if (err)
        return bad(p, i, "condition", "condition: %s", se.detail);
    s->condition = text;
    err = target(p, i, o, "then", &s->then_step);
    if (!err)
        err = target(p, i, o, "else", &s->else_step);
    return err;
}

static sg_err parse_member_step(parse_ctx *p, int i, json_t *o, sg_journey_step *s)
{
    switch (s->type) {
    case SG_JS_ADD_TO_GROUP:
    case SG_JS_REMOVE_FROM_GROUP:
        return req_string(p, i, o, "group", SG_JOURNEY_VALUE_MAX, &s->group);
    case SG_JS_SET_ATTRIBUTE: {
        sg_err err = req_string(p, i, o, "name", 64, &s->name);
        if (!err && !json_is_string(json_object_get(o, "value")))
            return bad(p, i, "value", "value must be a string", NULL);
        if (!err && json_string_length(json_object_get(o, "value")) > SG_JOURNEY_VALUE_MAX)
            return bad(p, i, "value", "value is longer than 512 bytes", NULL);
        s->value = json_string_value(json_object_get(o, "value"));
        return err;
    }
    case SG_JS_WEBHOOK:
        return opt_string(p, i, o, "event", 64, &s->event);
    default:
        return SG_OK;
    }
}

static bool step_id_valid(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n >= SG_JOURNEY_STEP_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return false;
    }
    return true;
}

/* Pass 1: each step's id and type, and its defaults. */
static sg_err read_ids(parse_ctx *p, json_t *steps)
{
    size_t i;
    json_t *o;
    json_array_foreach(steps, i, o)
    {
        sg_journey_step *s = &p->d->steps[i];
        p->d->n_steps = i + 1;
        if (!json_is_object(o))
            return bad(p, (int)i, NULL, "a step must be an object%s", NULL);
        const char *id = json_string_value(json_object_get(o, "id"));
        if (!id || !step_id_valid(id))
            return bad(p, (int)i, "id", "a step id must be 1 to 32 of A-Z a-z 0-9 _ -%s", NULL);
        if (sg_journey_step_index(p->d, id) >= 0)
            return bad(p, (int)i, "id", "the id \"%s\" is used by an earlier step", id);
        snprintf(s->id, sizeof s->id, "%s", id);
        const char *type = json_string_value(json_object_get(o, "type"));
        if (!step_type_parse(type, &s->type))
            return bad(p, (int)i, "type", "unknown step type \"%s\"", type ? type : "(none)");
        s->next = i + 1 < json_array_size(steps) ? (int)i + 1 : -1;
        s->until_min = -1;
        s->any_reply = -1;
    }
    return SG_OK;
}

static sg_err parse_step(parse_ctx *p, int i, json_t *o)
{
    sg_journey_step *s = &p->d->steps[i];
    sg_err err = s->type == SG_JS_END ? SG_OK : target(p, i, o, "next", &s->next);
    if (s->type == SG_JS_END)
        s->next = -1;
    if (err)
        return err;
    s->no_reply = s->then_step = s->else_step = s->next;
    switch (s->type) {
    case SG_JS_SEND:
        return parse_send(p, i, o, s);
    case SG_JS_WAIT:
        return parse_wait(p, i, o, s);
    case SG_JS_WAIT_FOR_REPLY:
        return parse_wait_for_reply(p, i, o, s);
    case SG_JS_BRANCH:
        return parse_condition(p, i, o, s);
    default:
        return parse_member_step(p, i, o, s);
    }
}

/* The successors of step s into out (at most 2 + branches); their count. */
static size_t successors(const sg_journey_step *s, int out[SG_JOURNEY_BRANCHES_MAX + 3])
{
    size_t n = 0;
    if (s->type == SG_JS_BRANCH) {
        out[n++] = s->then_step;
        out[n++] = s->else_step;
    } else if (s->type == SG_JS_WAIT_FOR_REPLY) {
        out[n++] = s->no_reply;
        out[n++] = s->any_reply;
        for (size_t b = 0; b < s->n_branches; b++)
            out[n++] = s->branches[b].next;
    } else {
        out[n++] = s->next;
    }
    return n;
}

static bool is_wait(const sg_journey_step *s)
{
    return s->type == SG_JS_WAIT || s->type == SG_JS_WAIT_FOR_REPLY;
}

/* Every step reachable from the first; the first unreachable one is an error. */
static sg_err check_reachable(parse_ctx *p)
{
    const sg_journey_def *d = p->d;
    bool seen[SG_JOURNEY_STEPS_MAX] = {true};
    int stack[SG_JOURNEY_STEPS_MAX] = {0}, top = 1;
    while (top > 0) {
        int succ[SG_JOURNEY_BRANCHES_MAX + 3];
        size_t n = successors(&d->steps[stack[--top]], succ);
        for (size_t k = 0; k < n; k++) {
            if (succ[k] >= 0 && !seen[succ[k]]) {
                seen[succ[k]] = true;
                stack[top++] = succ[k];
            }
        }
    }
    for (size_t i = 0; i < d->n_steps; i++) {
        if (!seen[i])
            return bad(p, (int)i, NULL, "no path from the first step reaches this step%s", NULL);
    }
    return SG_OK;
}

/* A loop that passes no wait would run without end in one go: depth-first
 * search over the edges that leave steps which are not waits, looking for an
 * edge back to a step on the current path (colour 1). */
static int find_loop(const sg_journey_def *d, int at, unsigned char *colour)
{
    colour[at] = 1;
    int succ[SG_JOURNEY_BRANCHES_MAX + 3];
    size_t n = is_wait(&d->steps[at]) ? 0 : successors(&d->steps[at], succ);
    for (size_t k = 0; k < n; k++) {
        int t = succ[k];
        if (t < 0 || colour[t] == 2)
            continue;
        if (colour[t] == 1)
            return at;
        int found = find_loop(d, t, colour);
        if (found >= 0)
            return found;
    }
    colour[at] = 2;
    return -1;
}

static sg_err check_loops(parse_ctx *p)
{
    unsigned char colour[SG_JOURNEY_STEPS_MAX] = {0};
    for (size_t i = 0; i < p->d->n_steps; i++) {
        int at = colour[i] ? -1 : find_loop(p->d, (int)i, colour);
        if (at >= 0)
            return bad(p, at, "next", "this step loops back without a wait or wait_for_reply%s",
                       NULL);
    }
    return SG_OK;
}

static const char *const trigger_types[] = {
    [SG_JT_API] = "api", [SG_JT_GROUP] = "group", [SG_JT_KEYWORD] = "keyword"};

static sg_err parse_trigger(parse_ctx *p, json_t *t)
{
    sg_journey_def *d = p->d;
    const char *type = json_string_value(json_object_get(t, "type"));
    if (!json_is_object(t) || !type)
        return bad(p, -1, "trigger.type", "trigger must be an object with a type%s", NULL);
    size_t k = 0;
    while (k < sizeof trigger_types / sizeof *trigger_types && strcmp(trigger_types[k], type))
        k++;
    if (k == sizeof trigger_types / sizeof *trigger_types)
        return bad(p, -1, "trigger.type",
                   "trigger type \"%s\" is not one of api, group, keyword (segment and date "
                   "triggers are not built yet)",
                   type);
    d->trigger = (sg_journey_trigger_type)k;
    if (d->trigger == SG_JT_GROUP) {
        json_t *g = json_object_get(t, "group");
        if (!json_is_string(g) || json_string_length(g) == 0 ||
            json_string_length(g) > SG_JOURNEY_VALUE_MAX)
            return bad(p, -1, "trigger.group", "a group trigger names its group%s", NULL);
        d->trigger_value = json_string_value(g);
    }
    if (d->trigger == SG_JT_KEYWORD) {
        const char *kw = json_string_value(json_object_get(t, "keyword"));
        if (!kw || !sg_kw_fold_keyword(kw, d->trigger_keyword, sizeof d->trigger_keyword))
            return bad(p, -1, "trigger.keyword", "a keyword trigger names its keyword%s", NULL);
        d->trigger_value = d->trigger_keyword;
    }
    return SG_OK;
}

static sg_err parse_top(parse_ctx *p, json_t *doc)
{
    sg_journey_def *d = p->d;
    const char *reentry = NULL, *quiet = NULL;
    sg_err err = req_string(p, -1, doc, "name", SG_JOURNEY_NAME_MAX, &d->name);
    if (!err)
        err = parse_trigger(p, json_object_get(doc, "trigger"));
    if (!err)
        err = opt_string(p, -1, doc, "reentry", 16, &reentry);
    if (!err && reentry && strcmp(reentry, "never") && strcmp(reentry, "after_exit"))
        err = bad(p, -1, "reentry", "reentry is \"never\" or \"after_exit\", not \"%s\"", reentry);
    d->reentry_after_exit = reentry && strcmp(reentry, "after_exit") == 0;
    if (!err)
        err = opt_string(p, -1, doc, "quiet_hours", 32, &quiet);
    if (!err && quiet && sg_quiet_parse(quiet, &d->quiet) != SG_OK)
        err = bad(p, -1, "quiet_hours", "quiet_hours is \"HH:MM-HH:MM\", not \"%s\"", quiet);
    d->has_quiet = quiet != NULL;
    if (!err)
        err = opt_string(p, -1, doc, "provider", SG_JOURNEY_VALUE_MAX, &d->provider);
    return err;
}

sg_err sg_journey_def_parse(json_t *doc, sg_journey_def *out, sg_error *e)
{
    memset(out, 0, sizeof *out);
    sg_error local;
    parse_ctx p = {.d = out, .e = e ? e : &local};
    sg_error_clear(p.e);
    if (!json_is_object(doc))
        return sg_error_set(p.e, SG_ERR_INVALID, NULL, "a journey is a JSON object");
    out->doc = json_incref(doc);
    sg_err err = parse_top(&p, doc);
    json_t *steps = json_object_get(doc, "steps");
    if (!err && (!json_is_array(steps) || json_array_size(steps) == 0 ||
                 json_array_size(steps) > SG_JOURNEY_STEPS_MAX))
        err = bad(&p, -1, "steps", "steps must be an array of 1 to 64 steps%s", NULL);
    if (!err)
        err = read_ids(&p, steps);
    for (size_t i = 0; !err && i < out->n_steps; i++)
        err = parse_step(&p, (int)i, json_array_get(steps, i));
    if (!err)
        err = check_reachable(&p);
    if (!err)
        err = check_loops(&p);
    if (err)
        sg_journey_def_free(out);
    return err;
}

void sg_journey_def_free(sg_journey_def *d)
{
    json_decref(d->doc);
    memset(d, 0, sizeof *d);
}

int sg_journey_step_index(const sg_journey_def *d, const char *id)
{
    for (size_t i = 0; id && i < d->n_steps; i++) {
        if (strcmp(d->steps[i].id, id) == 0)
            return (int)i;
    }
    return -1;
}

/* ---- scheduling ------------------------------------------------------------------ */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* The earliest UTC instant whose local time is local (seconds since the epoch
 * read as local time), or the end of the gap local falls in. The offsets a day
 * either side bound those that can apply (zones change at most once a day). */
static int64_t local_to_utc(int64_t local, sg_utc_offset_fn off, void *user)
{
    int32_t oa = off(user, local - 86400), ob = off(user, local + 86400);
    int64_t ta = local - oa, tb = local - ob;
    int64_t first = ta < tb ? ta : tb, second = ta < tb ? tb : ta;
    if (off(user, first) == local - first)
        return first;
    if (off(user, second) == local - second)
        return second;
    /* a gap: the transition lies in (tb, ta]; find its first instant */
    int64_t lo = tb, hi = ta;
    while (hi - lo > 1) {
        int64_t mid = lo + (hi - lo) / 2;
        if (off(user, mid) == ob)
            hi = mid;
        else
            lo = mid;
    }
    return hi;
}

int64_t sg_journey_next_time_of_day(int minute, int64_t t, sg_utc_offset_fn off, void *user)
{
    int64_t day = floor_div(t + off(user, t), 86400);
    for (int k = -1; k <= 2; k++) {
        int64_t at = local_to_utc((day + k) * 86400 + (int64_t)minute * 60, off, user);
        if (at >= t)
            return at;
    }
    return t + 86400; /* unreachable for real zones */
}

int64_t sg_journey_wait_due(const sg_journey_step *s, int64_t t, sg_utc_offset_fn off,
                            void *user)
{
    int64_t due = s->seconds > INT64_MAX - t ? INT64_MAX : t + s->seconds;
    if (s->until_min >= 0 && due < INT64_MAX - 3 * 86400)
        due = sg_journey_next_time_of_day(s->until_min, due, off, user);
    return due;
}

int sg_journey_reply_next(const sg_journey_step *s, const char *body, size_t len, int *branch)
{
    if (branch)
        *branch = -1;
    for (size_t b = 0; b < s->n_branches; b++) {
        if (sg_kw_match_one(s->branches[b].match, SG_KW_GLOB, body, len, NULL, NULL)) {
            if (branch)
                *branch = (int)b;
            return s->branches[b].next;
        }
    }
    return s->any_reply;
}
