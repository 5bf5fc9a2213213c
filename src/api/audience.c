/* /v1/groups, /v1/segments, /v1/templates (with preview), and contact import
 * (a streamed CSV body) and export (a streamed CSV answer). */
#include "api/common.h"
#include "api/handlers.h"
#include "audience/importer.h"
#include "audience/render.h"
#include "core/gsm7.h"
#include "core/lookalike.h"
#include "core/segment_filter.h"
#include "core/template.h"
#include "core/template_id.h"
#include "http/problem.h"
#include "util/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NAME_MAX_LEN     127
#define TEMPLATE_MAX_LEN 4096
#define MEMBERS_MAX      1000

/* A "name" member: a non-empty string of at most NAME_MAX_LEN bytes. */
static bool name_field(sg_http_req *req, json_t *in, bool required, char out[128])
{
    json_t *v = json_object_get(in, "name");
    if (!v && !required)
        return true;
    const char *s = json_string_value(v);
    if (!s || !*s || strlen(s) > NAME_MAX_LEN) {
        sg_http_problem(req, 400, "invalid_request", "name",
                        "'name' must be a non-empty string of at most %d bytes", NAME_MAX_LEN);
        return false;
    }
    snprintf(out, 128, "%s", s);
    return true;
}

static bool only_fields(sg_http_req *req, json_t *in, const char *const *known, const char *list)
{
    if (!json_is_object(in)) {
        sg_http_problem(req, 400, "invalid_request", NULL, "the body must be a JSON object");
        return false;
    }
    const char *key;
    json_t *v;
    json_object_foreach(in, key, v)
    {
        bool ok = false;
        for (int i = 0; known[i]; i++)
            ok |= strcmp(key, known[i]) == 0;
        if (!ok) {
            sg_http_problem(req, 400, "invalid_request", key,
                            "unknown field '%.64s' (known: %s)", key, list);
            return false;
        }
    }
    return true;
}

static sg_http_result conflict_or_error(sg_http_req *req, sg_err err, const sg_error *e,
                                        const char *what)
{
    if (err == SG_ERR_CONFLICT)
        sg_http_problem(req, 409, "name_taken", "name", "a %s with that name exists", what);
    else
        sg_api_store_error(req, err, e->message[0] ? e->message : what);
    return SG_HTTP_DONE;
}

/* ---- groups ------------------------------------------------------------------------------- */

static json_t *group_json(const sg_group *g)
{
    return json_pack("{s:s, s:s, s:I, s:o}", "id", g->id, "name", g->name, "members",
                     (json_int_t)g->members, "created_at", sg_api_time_json(g->created_at));
}

sg_http_result sg_api_groups_create(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    json_t *in = sg_api_json_body(req);
    if (!in)
        return SG_HTTP_DONE;
    static const char *const known[] = {"name", NULL};
    sg_group g = {.created_at = sg_time_now_ms()};
    if (!only_fields(req, in, known, "name") || !name_field(req, in, true, g.name)) {
        json_decref(in);
        return SG_HTTP_DONE;
    }
    json_decref(in);
    sg_id_new("grp", g.created_at, g.id);
    sg_error e = {0};
    sg_err err = sg_store_group_create(app->store, &g, &e);
    if (err)
        return conflict_or_error(req, err, &e, "group");
    sg_http_respond_json(req, 201, group_json(&g));
    return SG_HTTP_DONE;
}

sg_http_result sg_api_groups_list(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    sg_api_page pg;
    if (!sg_api_page_parse(req, 100, 1000, &pg))
        return SG_HTTP_DONE;
    sg_group *gs;
    size_t n;
    sg_err err = sg_store_group_list(app->store, &gs, &n);
    if (err) {
        sg_api_store_error(req, err, "cannot list groups");
        return SG_HTTP_DONE;
    }
    json_t *data = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(data, group_json(&gs[i]));
    free(gs);
    sg_api_respond_page(req, json_pack("{s:o, s:n}", "data", data, "next_cursor"), "id", &pg);
    return SG_HTTP_DONE;
}

static bool group_lookup(sg_http_req *req, sg_app *app, sg_group *g)
{
    sg_err err = sg_store_group_get(app->store, sg_http_param(req, 0), g);
    if (err == SG_ERR_NOT_FOUND) {
        sg_http_problem(req, 404, "not_found", NULL, "no group %.64s", sg_http_param(req, 0));
        return false;
    }
    if (err) {
        sg_api_store_error(req, err, "cannot read the group");
        return false;
    }
    return true;
}

sg_http_result sg_api_groups_get(sg_http_req *req, void *ctx)
{
    sg_group g;
    if (group_lookup(req, ctx, &g))
        sg_http_respond_json(req, 200, group_json(&g));
    return SG_HTTP_DONE;
}

/* Audit the removal of a named thing (group, segment, template): subject its id,
 * detail its name (which the id alone would not tell a reader of the log). */
static void audit_removal(sg_http_req *req, sg_app *app, const char *action, const char *id,
                          const char *name)
{
    json_t *d = json_pack("{s:s}", "name", name);
    char *detail = d ? json_dumps(d, JSON_COMPACT) : NULL;
    sg_api_audit(req, app, action, id, detail);
    free(detail);
    json_decref(d);
}

sg_http_result sg_api_groups_delete(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    sg_group g;
    if (!group_lookup(req, app, &g))
        return SG_HTTP_DONE;
    sg_error e = {0};
    sg_err err = sg_store_group_delete(app->store, g.id, &e);
    if (err) {
        sg_api_store_error(req, err, e.message);
    } else {
        audit_removal(req, app, "group.delete", g.id, g.name);
        sg_http_respond(req, 204, NULL, "", 0);
    }
    return SG_HTTP_DONE;
}

/* Audit a rename: the old and the new name. */
static void audit_rename(sg_http_req *req, sg_app *app, const sg_group *g, const char *from)
{
    json_t *d = json_pack("{s:s, s:s}", "from", from, "to", g->name);
    char *detail = d ? json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    sg_api_audit(req, app, "group.rename", g->id, detail);
    free(detail);
    json_decref(d);
}

sg_http_result sg_api_groups_update(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    sg_group g;
    if (!group_lookup(req, app, &g))
        return SG_HTTP_DONE;
    json_t *in = sg_api_json_body(req);
    if (!in)
        return SG_HTTP_DONE;
    static const char *const known[] = {"name", NULL};
    char from[sizeof g.name];
    snprintf(from, sizeof from, "%s", g.name);
    bool ok = only_fields(req, in, known, "name") && name_field(req, in, true, g.name);
    json_decref(in);
    if (!ok)
        return SG_HTTP_DONE;
    sg_error e = {0};
    sg_err err = strcmp(from, g.name) ? sg_store_group_rename(app->store, g.id, g.name, &e) : SG_OK;
    if (err)
        return conflict_or_error(req, err, &e, "group");
    if (strcmp(from, g.name))
        audit_rename(req, app, &g, from);
    sg_http_respond_json(req, 200, group_json(&g));
    return SG_HTTP_DONE;
}

static sg_http_result members_change(sg_http_req *req, sg_app *app, bool add)
{
    sg_group g;
    if (!group_lookup(req, app, &g))
        return SG_HTTP_DONE;
    json_t *in = sg_api_json_body(req);
    if (!in)
        return SG_HTTP_DONE;
    static const char *const known[] = {"contacts", NULL};
    json_t *list = json_object_get(in, "contacts");
    if (!only_fields(req, in, known, "contacts")) {
        json_decref(in);
        return SG_HTTP_DONE;
    }
    size_t n = json_array_size(list);
    if (!json_is_array(list) || n == 0 || n > MEMBERS_MAX) {
        json_decref(in);
        sg_http_problem(req, 400, "invalid_request", "contacts",
                        "'contacts' must be a list of 1 to %d contact ids or phone numbers",
                        MEMBERS_MAX);
        return SG_HTTP_DONE;
    }
    const char **ids = calloc(n, sizeof *ids);
    char(*phones)[SG_PHONE_MAX] = calloc(n, sizeof *phones);
    if (!ids || !phones) {
        free(ids);
        free(phones);
        json_decref(in);
        sg_http_problem(req, 500, "internal", NULL, "out of memory");
        return SG_HTTP_DONE;
    }
    bool ok = true;
    for (size_t i = 0; i < n && ok; i++) {
        const char *s = json_string_value(json_array_get(list, i));
        if (!s) {
            sg_http_problem(req, 400, "invalid_request", "contacts",
                            "contacts[%zu] must be a string", i);
            ok = false;
        } else if (strncmp(s, "ctc_", 4) == 0) {
            ids[i] = s;
        } else if (sg_phone_normalize(s, app->default_region, phones[i], NULL) == SG_PHONE_OK) {
            ids[i] = phones[i];
        } else {
            sg_http_problem(req, 400, "invalid_phone", "contacts",
                            "contacts[%zu] '%.32s' is neither a contact id nor a phone number", i,
                            s);
            ok = false;
        }
    }
    if (ok) {
        size_t changed = 0, unknown = SIZE_MAX;
        sg_error e = {0};
        sg_err err =
            sg_store_group_members(app->store, g.id, ids, n, add, &changed, &unknown, &e);
        if (err == SG_ERR_NOT_FOUND && unknown != SIZE_MAX)
            sg_http_problem(req, 422, "unknown_contact", "contacts",
                            "contacts[%zu] (%.40s) is not a contact; nothing was changed",
                            unknown, ids[unknown]);
        else if (err)
            sg_api_store_error(req, err, e.message);
        else
            sg_http_respond_json(req, 200,
                                 json_pack("{s:I}", add ? "added" : "removed", (json_int_t)changed));
    }
    free(ids);
    free(phones);
    json_decref(in);
    return SG_HTTP_DONE;
}

sg_http_result sg_api_groups_add(sg_http_req *req, void *ctx)
{
    return members_change(req, ctx, true);
}

sg_http_result sg_api_groups_remove(sg_http_req *req, void *ctx)
{
    return members_change(req, ctx, false);
}

sg_http_result sg_api_groups_members(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    sg_group g;
    size_t limit;
    if (!group_lookup(req, app, &g) || !sg_api_limit(req, 100, 1000, &limit))
        return SG_HTTP_DONE;
    sg_contact *cs;
    size_t n;
    bool more;
    sg_err err = sg_store_group_contacts(app->store, g.id, sg_http_query(req, "cursor"), limit,
                                         &cs, &n, &more);
    if (err) {
        sg_api_store_error(req, err, "cannot list the members");
        return SG_HTTP_DONE;
    }
    json_t *data = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(data, sg_api_contact_json(&cs[i]));
    json_t *next = more && n ? json_string(cs[n - 1].id) : json_null();
    sg_contacts_free(cs, n);
    sg_http_respond_json(req, 200, json_pack("{s:o, s:o}", "data", data, "next_cursor", next));
    return SG_HTTP_DONE;
}

static json_t *count_json(const sg_audience_count *c)
{
    return json_pack("{s:I, s:I, s:{s:I, s:I}}", "matched", (json_int_t)c->matched, "eligible",
                     (json_int_t)c->eligible, "skipped", "opted_out", (json_int_t)c->opted_out,
                     "not_mobile", (json_int_t)c->not_mobile);
}

static sg_http_result audience_count(sg_http_req *req, sg_app *app, const char *kind,
                                     const char *id)
{
    sg_audience_count c;
    sg_error e = {0};
    sg_err err = sg_store_audience_count(app->store, kind, id, sg_time_now_ms(), &c, &e);
    if (err == SG_ERR_INVALID) /* a filter saved before its bounds were checked */
        sg_http_problem(req, 422, "filter_too_complex", "filter", "%s (see docs/segments.md)",
                        e.message);
    else if (err)
        sg_api_store_error(req, err, e.message);
    else
        sg_http_respond_json(req, 200, count_json(&c));
    return SG_HTTP_DONE;
}

sg_http_result sg_api_groups_count(sg_http_req *req, void *ctx)
{
    sg_group g;
    if (!group_lookup(req, ctx, &g))
        return SG_HTTP_DONE;
    return audience_count(req, ctx, "group", g.id);
}

/* ---- segments ----------------------------------------------------------------------------- */

static json_t *segment_json(const sg_segment *g)
{
    return json_pack("{s:s, s:s, s:s, s:o, s:o}", "id", g->id, "name", g->name, "filter",
                     g->filter ? g->filter : "", "created_at", sg_api_time_json(g->created_at),
                     "updated_at", sg_api_time_json(g->updated_at));
}

/* The canonical text of a filter, or NULL after answering 400. */
static char *filter_field(sg_http_req *req, json_t *v)
{
    const char *text = json_string_value(v);
    if (!text) {
        sg_http_problem(req, 400, "invalid_filter", "filter",
                        "'filter' must be a string (\"\" for every contact); see docs/segments.md");
        return NULL;
    }
    sg_seg_node *tree = NULL;
    sg_seg_error perr = {0};
    if (sg_segment_parse(text, &tree, &perr) != SG_OK) {
        sg_http_problem(req, 400, perr.too_complex ? "filter_too_complex" : "invalid_filter",
                        "filter", "%s (see docs/segments.md)", perr.detail);
        return NULL;
    }
    sg_buf out;
    sg_buf_init(&out, 16384);
    sg_err err = sg_segment_format(tree, &out);
    sg_segment_free(tree);
    char *canon = err ? NULL : sg_buf_steal(&out);
    sg_buf_free(&out);
    if (!canon)
        sg_http_problem(req, 500, "internal", NULL, "cannot format the filter");
    return canon;
}

sg_http_result sg_api_segments_create(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    json_t *in = sg_api_json_body(req);
    if (!in)
        return SG_HTTP_DONE;
    static const char *const known[] = {"name", "filter", NULL};
    sg_segment g = {.created_at = sg_time_now_ms()};
    g.updated_at = g.created_at;
    if (!only_fields(req, in, known, "name, filter") || !name_field(req, in, true, g.name) ||
        !(g.filter = filter_field(req, json_object_get(in, "filter")))) {
        json_decref(in);
        return SG_HTTP_DONE;
    }
    json_decref(in);
    sg_id_new("seg", g.created_at, g.id);
    sg_error e = {0};
    sg_err err = sg_store_segment_create(app->store, &g, &e);
    if (err)
        conflict_or_error(req, err, &e, "segment");
    else
        sg_http_respond_json(req, 201, segment_json(&g));
    sg_segment_row_free(&g);
    return SG_HTTP_DONE;
}

static bool segment_lookup(sg_http_req *req, sg_app *app, sg_segment *g)
{
    sg_err err = sg_store_segment_get(app->store, sg_http_param(req, 0), g);
    if (err == SG_ERR_NOT_FOUND) {
        sg_http_problem(req, 404, "not_found", NULL, "no segment %.64s", sg_http_param(req, 0));
        return false;
    }
    if (err) {
        sg_api_store_error(req, err, "cannot read the segment");
        return false;
    }
    return true;
}

sg_http_result sg_api_segments_get(sg_http_req *req, void *ctx)
{
    sg_segment g;
    if (segment_lookup(req, ctx, &g)) {
        sg_http_respond_json(req, 200, segment_json(&g));
        sg_segment_row_free(&g);
    }
    return SG_HTTP_DONE;
}

sg_http_result sg_api_segments_list(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    sg_api_page pg;
    if (!sg_api_page_parse(req, 100, 1000, &pg))
        return SG_HTTP_DONE;
    sg_segment *gs;
    size_t n;
    sg_err err = sg_store_segment_list(app->store, &gs, &n);
    if (err) {
        sg_api_store_error(req, err, "cannot list segments");
        return SG_HTTP_DONE;
    }
    json_t *data = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(data, segment_json(&gs[i]));
        sg_segment_row_free(&gs[i]);
    }
    free(gs);
    sg_api_respond_page(req, json_pack("{s:o, s:n}", "data", data, "next_cursor"), "id", &pg);
    return SG_HTTP_DONE;
}

sg_http_result sg_api_segments_update(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    sg_segment g;
    if (!segment_lookup(req, app, &g))
        return SG_HTTP_DONE;
    json_t *in = sg_api_json_body(req);
    static const char *const known[] = {"name", "filter", NULL};
    bool ok = in && only_fields(req, in, known, "name, filter") &&
              name_field(req, in, false, g.name);
    json_t *f = in ? json_object_get(in, "filter") : NULL;
    if (ok && f) {
        char *canon = filter_field(req, f);
        ok = canon != NULL;
        if (ok) {
            free(g.filter);
            g.filter = canon;
        }
    }
    json_decref(in);
    if (ok) {
        g.updated_at = sg_time_now_ms();
        sg_error e = {0};
        sg_err err = sg_store_segment_update(app->store, &g, &e);
        if (err)
            conflict_or_error(req, err, &e, "segment");
        else
            sg_http_respond_json(req, 200, segment_json(&g));
    }
    sg_segment_row_free(&g);
    return SG_HTTP_DONE;
}

sg_http_result sg_api_segments_delete(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    sg_segment g;
    if (!segment_lookup(req, app, &g))
        return SG_HTTP_DONE;
    sg_error e = {0};
    sg_err err = sg_store_segment_delete(app->store, g.id, &e);
    if (err) {
        sg_api_store_error(req, err, e.message);
    } else {
        audit_removal(req, app, "segment.delete", g.id, g.name);
        sg_http_respond(req, 204, NULL, "", 0);
    }
    sg_segment_row_free(&g);
    return SG_HTTP_DONE;
}

sg_http_result sg_api_segments_count(sg_http_req *req, void *ctx)
{
    sg_segment g;
    if (!segment_lookup(req, ctx, &g))
        return SG_HTTP_DONE;
    sg_segment_row_free(&g);
    return audience_count(req, ctx, "segment", g.id);
}

/* POST /v1/segments/count {"filter"}: who a filter not saved yet would reach
 * (the segment editor's live count); the same checks as saving it. */
sg_http_result sg_api_segments_count_filter(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    json_t *in = sg_api_json_body(req);
    if (!in)
        return SG_HTTP_DONE;
    static const char *const known[] = {"filter", NULL};
    char *canon = only_fields(req, in, known, "filter")
                      ? filter_field(req, json_object_get(in, "filter"))
                      : NULL;
    json_decref(in);
    if (!canon)
        return SG_HTTP_DONE;
    sg_audience_count c;
    sg_error e = {0};
    sg_err err = sg_store_audience_count(app->store, "filter", canon, sg_time_now_ms(), &c, &e);
    if (err == SG_ERR_INVALID)
        sg_http_problem(req, 400, "filter_too_complex", "filter", "%s (see docs/segments.md)",
                        e.message);
    else if (err)
        sg_api_store_error(req, err, e.message);
    else {
        json_t *j = count_json(&c);
        json_object_set_new(j, "filter", json_string(canon));
        sg_http_respond_json(req, 200, j);
    }
    free(canon);
    return SG_HTTP_DONE;
}

/* ---- templates ---------------------------------------------------------------------------- */

static json_t *template_json(const sg_template *t)
{
    return json_pack("{s:s, s:s, s:s, s:o, s:o, s:o}", "id", t->id, "name", t->name, "body",
                     t->body ? t->body : "", "external_template_id",
                     t->external_template_id[0] ? json_string(t->external_template_id)
                                                : json_null(),
                     "created_at", sg_api_time_json(t->created_at), "updated_at",
                     sg_api_time_json(t->updated_at));
}

/* external_template_id of in, when given, into t (null clears it); false after
 * answering 400. */
static bool template_id_field(sg_http_req *req, json_t *in, sg_template *t)
{
    json_t *v = json_object_get(in, "external_template_id");
    if (!v)
        return true;
    if (json_is_null(v)) {
        t->external_template_id[0] = '\0';
        return true;
    }
    if (!json_is_string(v) || !sg_template_id_valid(json_string_value(v))) {
        sg_http_problem(req, 400, "invalid_template_id", "external_template_id",
                        "'external_template_id' must be 1 to %d printable ASCII characters "
                        "without spaces (null removes it)",
                        SG_TEMPLATE_ID_MAX_LEN);
        return false;
    }
    snprintf(t->external_template_id, sizeof t->external_template_id, "%s",
             json_string_value(v));
    return true;
}

/* A copy of a valid template body, or NULL after answering 400. */
static char *body_field(sg_http_req *req, json_t *v)
{
    const char *body = json_string_value(v);
    if (!body || !*body || strlen(body) > TEMPLATE_MAX_LEN) {
        sg_http_problem(req, 400, "invalid_template", "body",
                        "'body' must be a non-empty string of at most %d bytes", TEMPLATE_MAX_LEN);
        return NULL;
    }
    sg_tpl_error terr = {0};
    if (sg_template_check(body, &terr) != SG_OK) {
        sg_http_problem(req, 400, "invalid_template", "body", "%s (at byte %zu)", terr.detail,
                        terr.offset);
        return NULL;
    }
    return strdup(body);
}

sg_http_result sg_api_templates_create(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    json_t *in = sg_api_json_body(req);
    if (!in)
        return SG_HTTP_DONE;
    static const char *const known[] = {"name", "body", "external_template_id", NULL};
    sg_template t = {.created_at = sg_time_now_ms()};
    t.updated_at = t.created_at;
    if (!only_fields(req, in, known, "name, body, external_template_id") ||
        !name_field(req, in, true, t.name) || !template_id_field(req, in, &t) ||
        !(t.body = body_field(req, json_object_get(in, "body")))) {
        json_decref(in);
        return SG_HTTP_DONE;
    }
    json_decref(in);
    sg_id_new("tpl", t.created_at, t.id);
    sg_error e = {0};
    sg_err err = sg_store_template_create(app->store, &t, &e);
    if (err)
        conflict_or_error(req, err, &e, "template");
    else
        sg_http_respond_json(req, 201, template_json(&t));
    sg_template_row_free(&t);
    return SG_HTTP_DONE;
}

static bool template_lookup(sg_http_req *req, sg_app *app, sg_template *t)
{
    sg_err err = sg_store_template_get(app->store, sg_http_param(req, 0), t);
    if (err == SG_ERR_NOT_FOUND) {
        sg_http_problem(req, 404, "not_found", NULL, "no template %.64s", sg_http_param(req, 0));
        return false;
    }
    if (err) {
        sg_api_store_error(req, err, "cannot read the template");
        return false;
    }
    return true;
}

sg_http_result sg_api_templates_get(sg_http_req *req, void *ctx)
{
    sg_template t;
    if (template_lookup(req, ctx, &t)) {
        sg_http_respond_json(req, 200, template_json(&t));
        sg_template_row_free(&t);
    }
    return SG_HTTP_DONE;
}

sg_http_result sg_api_templates_list(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    sg_api_page pg;
    if (!sg_api_page_parse(req, 100, 1000, &pg))
        return SG_HTTP_DONE;
    sg_template *ts;
    size_t n;
    sg_err err = sg_store_template_list(app->store, &ts, &n);
    if (err) {
        sg_api_store_error(req, err, "cannot list templates");
        return SG_HTTP_DONE;
    }
    json_t *data = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(data, template_json(&ts[i]));
        sg_template_row_free(&ts[i]);
    }
    free(ts);
    sg_api_respond_page(req, json_pack("{s:o, s:n}", "data", data, "next_cursor"), "id", &pg);
    return SG_HTTP_DONE;
}

sg_http_result sg_api_templates_update(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    sg_template t;
    if (!template_lookup(req, app, &t))
        return SG_HTTP_DONE;
    json_t *in = sg_api_json_body(req);
    static const char *const known[] = {"name", "body", "external_template_id", NULL};
    bool ok = in && only_fields(req, in, known, "name, body, external_template_id") &&
              name_field(req, in, false, t.name) && template_id_field(req, in, &t);
    json_t *b = in ? json_object_get(in, "body") : NULL;
    if (ok && b) {
        char *body = body_field(req, b);
        ok = body != NULL;
        if (ok) {
            free(t.body);
            t.body = body;
        }
    }
    json_decref(in);
    if (ok) {
        t.updated_at = sg_time_now_ms();
        sg_error e = {0};
        sg_err err = sg_store_template_update(app->store, &t, &e);
        if (err)
            conflict_or_error(req, err, &e, "template");
        else
            sg_http_respond_json(req, 200, template_json(&t));
    }
    sg_template_row_free(&t);
    return SG_HTTP_DONE;
}

sg_http_result sg_api_templates_delete(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    sg_template t;
    if (!template_lookup(req, app, &t))
        return SG_HTTP_DONE;
    sg_error e = {0};
    sg_err err = sg_store_template_delete(app->store, t.id, &e);
    if (err) {
        sg_api_store_error(req, err, e.message);
    } else {
        audit_removal(req, app, "template.delete", t.id, t.name);
        sg_http_respond(req, 204, NULL, "", 0);
    }
    sg_template_row_free(&t);
    return SG_HTTP_DONE;
}

/* The preview of a text as SMS: encoding, segments, characters forcing UCS-2
 * with their GSM-7 look-alikes. */
json_t *sg_api_text_report(const char *text)
{
    size_t len = strlen(text);
    sg_sms_info info = {0};
    sg_text_status ts = sg_sms_analyze(text, len, &info);
    sg_ucs2_char chars[64];
    size_t total = sg_ucs2_chars(text, len, chars, 64);
    json_t *list = json_array();
    bool all_replaceable = total != SIZE_MAX && total > 0;
    for (size_t i = 0; total != SIZE_MAX && i < total && i < 64; i++) {
        char cp[12];
        snprintf(cp, sizeof cp, "U+%04X", (unsigned)chars[i].codepoint);
        json_array_append_new(list, json_pack("{s:s, s:s, s:I, s:o}", "char", chars[i].text,
                                              "codepoint", cp, "offset", (json_int_t)chars[i].offset,
                                              "gsm7_lookalike",
                                              chars[i].replacement
                                                  ? json_string(chars[i].replacement)
                                                  : json_null()));
        all_replaceable &= chars[i].replacement != NULL;
    }
    json_t *j = json_pack("{s:s, s:s, s:I, s:I, s:o}", "text", text, "encoding",
                          sg_encoding_name(info.encoding), "segments", (json_int_t)info.segments,
                          "characters", (json_int_t)info.chars, "ucs2_characters", list);
    if (ts == SG_TEXT_TOO_LONG)
        json_object_set_new(j, "too_long", json_true());
    if (all_replaceable && total <= 64) {
        sg_buf folded;
        sg_buf_init(&folded, 16384);
        if (sg_gsm7_fold(text, len, &folded) == SG_OK) {
            sg_sms_info fi;
            sg_sms_analyze(sg_buf_cstr(&folded), folded.len, &fi);
            json_object_set_new(j, "gsm7_text", json_string(sg_buf_cstr(&folded)));
            json_object_set_new(j, "gsm7_segments", json_integer(fi.segments));
        }
        sg_buf_free(&folded);
    }
    return j;
}

sg_http_result sg_api_templates_preview(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    sg_template t;
    if (!template_lookup(req, app, &t))
        return SG_HTTP_DONE;
    json_t *in = sg_api_json_body(req);
    static const char *const known[] = {"contact_id", NULL};
    const char *cid = in ? json_string_value(json_object_get(in, "contact_id")) : NULL;
    if (!in || !only_fields(req, in, known, "contact_id") || !cid) {
        if (in && !cid && json_is_object(in))
            sg_http_problem(req, 400, "invalid_request", "contact_id",
                            "'contact_id' (a contact's id or phone) is required");
        json_decref(in);
        sg_template_row_free(&t);
        return SG_HTTP_DONE;
    }
    sg_contact c;
    sg_err err = sg_store_contact_get(app->store, cid, &c);
    json_decref(in);
    if (err) {
        if (err == SG_ERR_NOT_FOUND)
            sg_http_problem(req, 404, "not_found", "contact_id", "no contact %.40s", cid);
        else
            sg_api_store_error(req, err, "cannot read the contact");
        sg_template_row_free(&t);
        return SG_HTTP_DONE;
    }
    json_t *attrs = c.attributes ? json_loads(c.attributes, 0, NULL) : NULL;
    sg_render_contact rc = {c.phone, c.first_name, c.last_name, attrs};
    sg_buf out;
    sg_buf_init(&out, 16384);
    sg_tpl_error terr = {0};
    err = sg_render_body(t.body, &rc, &out, &terr);
    if (err)
        sg_http_problem(req, 422, terr.code[0] ? terr.code : "invalid_template",
                        terr.field[0] ? terr.field : "body", "%s", terr.detail);
    else
        sg_http_respond_json(req, 200, sg_api_text_report(sg_buf_cstr(&out)));
    sg_buf_free(&out);
    json_decref(attrs);
    sg_contact_free(&c);
    sg_template_row_free(&t);
    return SG_HTTP_DONE;
}

/* A field's stand-in when there is no contact: its name in brackets,
 * "[first_name]", "[attributes.city]". */
static const char *sample_lookup(void *user, const char *name)
{
    char *buf = user;
    snprintf(buf, SG_TPL_NAME_MAX + 3, "[%s]", name);
    return buf;
}

/* The contact cid (an id or phone) into *c (true), or false after answering
 * 404 (field contact_id) or 5xx. */
static bool preview_contact(sg_http_req *req, sg_app *app, const char *cid, sg_contact *c)
{
    sg_err err = sg_store_contact_get(app->store, cid, c);
    if (err == SG_ERR_NOT_FOUND)
        sg_http_problem(req, 404, "not_found", "contact_id", "no contact %.40s", cid);
    else if (err)
        sg_api_store_error(req, err, "cannot read the contact");
    return err == SG_OK;
}

/* body rendered for c (NULL: no contact, each field as "[name]")
 * and answered as a text report; 422 for a field with no value. */
static void preview_answer(sg_http_req *req, const char *body, const sg_contact *c)
{
    sg_buf out;
    sg_buf_init(&out, 16384);
    sg_tpl_error terr = {0};
    sg_err err;
    if (c) {
        json_t *attrs = c->attributes ? json_loads(c->attributes, 0, NULL) : NULL;
        sg_render_contact rc = {c->phone, c->first_name, c->last_name, attrs};
        err = sg_render_body(body, &rc, &out, &terr);
        json_decref(attrs);
    } else {
        char sample[SG_TPL_NAME_MAX + 3];
        err = sg_template_render(body, sample_lookup, sample, &out, &terr);
    }
    if (err)
        sg_http_problem(req, 422, terr.code[0] ? terr.code : "invalid_template",
                        terr.field[0] ? terr.field : "body", "%s", terr.detail);
    else
        sg_http_respond_json(req, 200, sg_api_text_report(sg_buf_cstr(&out)));
    sg_buf_free(&out);
}

/* POST /v1/templates/preview {"body", "contact_id"?}: a body not saved yet (the
 * template editor's live preview), checked like a saved one. */
sg_http_result sg_api_templates_preview_body(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    json_t *in = sg_api_json_body(req);
    if (!in)
        return SG_HTTP_DONE;
    static const char *const known[] = {"body", "contact_id", NULL};
    json_t *cv = json_object_get(in, "contact_id");
    char *body = NULL;
    bool ok = only_fields(req, in, known, "body, contact_id") &&
              (body = body_field(req, json_object_get(in, "body")));
    if (ok && cv && (!json_is_string(cv) || !*json_string_value(cv))) {
        sg_http_problem(req, 400, "invalid_request", "contact_id",
                        "'contact_id' must be a contact's id or phone (or left out)");
        ok = false;
    }
    sg_contact c;
    bool have = ok && cv && (ok = preview_contact(req, app, json_string_value(cv), &c));
    json_decref(in);
    if (ok)
        preview_answer(req, body, have ? &c : NULL);
    if (have)
        sg_contact_free(&c);
    free(body);
    return SG_HTTP_DONE;
}

/* ---- import ------------------------------------------------------------------------------- */

/* What a request's import holds between its chunks: the importer, and the job
 * (may be "") that records its progress. */
typedef struct import_state {
    sg_app *app;
    sg_importer *im;
    char job[SG_ID_MAX];
    uint64_t bytes;
    /* The progress is written when PROGRESS_ROWS rows or PROGRESS_EVERY_MS have
     * passed since it last was: at most that far behind the upload. */
    int64_t last_write;
    size_t last_rows;
    bool finished;
} import_state;

#define PROGRESS_EVERY_MS 250
#define PROGRESS_ROWS     500

static void import_drop(void *p)
{
    import_state *st = p;
    if (st->job[0] && !st->finished) /* the upload stopped, or was refused */
        sg_api_import_job_write(st->app, st->job, "failed", sg_importer_result(st->im), st->bytes,
                                "the upload ended before the end of the file");
    sg_importer_free(st->im);
    free(st);
}

/* The job named by ?job=, claimed for this upload, into st->job; false after
 * answering. */
static bool import_job_claim(sg_http_req *req, sg_app *app, import_state *st)
{
    const char *job = sg_http_query(req, "job");
    if (!job)
        return true;
    const char *len = sg_http_header(req, "Content-Length");
    long long size = len ? strtoll(len, NULL, 10) : 0;
    sg_error e = {0};
    sg_err err =
        sg_id_valid("imp", job)
            ? sg_store_import_job_start(app->store, job, size > 0 ? size : 0, sg_time_now_ms(), &e)
            : SG_ERR_NOT_FOUND;
    if (err == SG_ERR_NOT_FOUND) {
        sg_http_problem(req, 404, "not_found", "job", "no import job %.64s", job);
        return false;
    }
    if (err == SG_ERR_CONFLICT) {
        sg_http_problem(req, 409, "invalid_state", "job", "%s", e.message);
        return false;
    }
    if (err) {
        sg_api_store_error(req, err, e.message);
        return false;
    }
    snprintf(st->job, sizeof st->job, "%s", job);
    return true;
}

/* The request's import, made on its first chunk (content type, group, region and
 * job checked); NULL after answering. */
static import_state *import_begin(sg_http_req *req, sg_app *app)
{
    sg_error e = {0};
    const char *ct = sg_http_header(req, "Content-Type");
    if (ct && strncasecmp(ct, "text/csv", 8) != 0 && strncasecmp(ct, "application/csv", 15) != 0) {
        sg_http_problem(req, 415, "unsupported_media_type", NULL,
                        "send the contacts as text/csv (got %.64s)", ct);
        return NULL;
    }
    const char *group = sg_http_query(req, "group");
    char gid[SG_ID_MAX];
    if (group && (!*group || strlen(group) > NAME_MAX_LEN)) {
        sg_http_problem(req, 400, "invalid_request", "group",
                        "'group' must be a name of 1 to %d bytes", NAME_MAX_LEN);
        return NULL;
    }
    const char *region = sg_http_query(req, "default_region");
    if (region && !sg_phone_region_valid(region)) {
        sg_http_problem(req, 400, "invalid_request", "default_region",
                        "'%.8s' is not a region (two letters, such as GB)", region);
        return NULL;
    }
    import_state *st = calloc(1, sizeof *st);
    if (!st) {
        sg_http_problem(req, 500, "internal", NULL, "out of memory");
        return NULL;
    }
    st->app = app;
    if (group && sg_store_group_ensure(app->store, group, gid, &e) != SG_OK) {
        sg_api_store_error(req, e.err, e.message);
        free(st);
        return NULL;
    }
    if (sg_importer_new(app->store, region ? region : app->default_region, group ? gid : NULL,
                        &st->im, &e) != SG_OK) {
        sg_api_store_error(req, e.err, e.message);
        free(st);
        return NULL;
    }
    if (!import_job_claim(req, app, st)) {
        sg_importer_free(st->im);
        free(st);
        return NULL;
    }
    sg_http_set_state(req, st, import_drop);
    return st;
}

/* An import error: 400 invalid_csv for the file's fault, else the store's. */
static void import_failed(sg_http_req *req, const sg_error *e)
{
    if (e->err == SG_ERR_INVALID)
        sg_http_problem(req, 400, "invalid_csv", e->field[0] ? e->field : NULL, "%s", e->message);
    else
        sg_api_store_error(req, e->err, e->message);
}

bool sg_api_import_chunk(sg_http_req *req, const char *data, size_t len, void *ctx)
{
    sg_app *app = ctx;
    import_state *st = sg_http_state(req);
    if (!st && !(st = import_begin(req, app)))
        return false;
    sg_error e = {0};
    if (sg_importer_feed(st->im, data, len, &e) != SG_OK) {
        if (st->job[0]) {
            st->finished = true;
            sg_api_import_job_write(app, st->job, "failed", sg_importer_result(st->im), st->bytes,
                                    e.message);
        }
        import_failed(req, &e);
        return false;
    }
    st->bytes += len;
    int64_t now = sg_time_now_ms();
    const sg_import_result *r = sg_importer_result(st->im);
    if (st->job[0] &&
        (now - st->last_write >= PROGRESS_EVERY_MS || r->lines - st->last_rows >= PROGRESS_ROWS)) {
        st->last_write = now;
        st->last_rows = r->lines;
        sg_api_import_job_write(app, st->job, "importing", r, st->bytes, NULL);
    }
    return true;
}

sg_http_result sg_api_contacts_import(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    import_state *st = sg_http_state(req);
    if (!st) { /* no body at all */
        if (!sg_api_import_chunk(req, "", 0, ctx))
            return SG_HTTP_DONE;
        st = sg_http_state(req);
    }
    sg_error e = {0};
    sg_err err = sg_importer_finish(st->im, &e);
    const sg_import_result *r = sg_importer_result(st->im);
    if (st->job[0]) {
        st->finished = true;
        sg_api_import_job_write(app, st->job, err ? "failed" : "done", r, st->bytes,
                                err ? e.message : NULL);
    }
    if (err) {
        import_failed(req, &e);
        return SG_HTTP_DONE;
    }
    json_t *out = json_pack("{s:I, s:I, s:I, s:o}", "imported", (json_int_t)r->imported, "updated",
                            (json_int_t)r->updated, "rejected_count", (json_int_t)r->rejected,
                            "rejected", sg_api_import_rejections_json(r));
    if (st->job[0])
        json_object_set_new(out, "job_id", json_string(st->job));
    sg_http_respond_json(req, 200, out);
    return SG_HTTP_DONE;
}

/* ---- export ------------------------------------------------------------------------------- */

typedef struct exporter {
    sg_store *store;
    char group_id[SG_ID_MAX];
    char cursor[SG_ID_MAX];
    bool started, done;
    sg_buf pending;
    size_t sent;
} exporter;

/* One CSV field, quoted when it has to be. */
static void csv_field(sg_buf *b, const char *s, bool last)
{
    if (strpbrk(s, ",\"\r\n")) {
        sg_buf_append_str(b, "\"");
        for (const char *p = s; *p; p++) {
            if (*p == '"')
                sg_buf_append_str(b, "\"");
            sg_buf_append(b, p, 1);
        }
        sg_buf_append_str(b, "\"");
    } else {
        sg_buf_append_str(b, s);
    }
    sg_buf_append_str(b, last ? "\r\n" : ",");
}

static void export_page(exporter *x)
{
    sg_contact *cs = NULL;
    size_t n = 0;
    bool more = false;
    sg_err err = x->group_id[0] ? sg_store_group_contacts(x->store, x->group_id, x->cursor, 500,
                                                          &cs, &n, &more)
                                : sg_store_contact_list(x->store, x->cursor[0] ? x->cursor : NULL,
                                                        500, &cs, &n, &more);
    if (err) {
        x->done = true;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        sg_contact *c = &cs[i];
        csv_field(&x->pending, c->id, false);
        csv_field(&x->pending, c->phone, false);
        csv_field(&x->pending, c->first_name, false);
        csv_field(&x->pending, c->last_name, false);
        csv_field(&x->pending, c->mobile ? "true" : "false", false);
        csv_field(&x->pending, c->opted_out ? "true" : "false", false);
        csv_field(&x->pending, c->attributes ? c->attributes : "{}", true);
    }
    if (n)
        snprintf(x->cursor, sizeof x->cursor, "%s", cs[n - 1].id);
    x->done = !more;
    sg_contacts_free(cs, n);
}

static long export_fill(void *user, char *buf, size_t max)
{
    exporter *x = user;
    if (!x->started) {
        sg_buf_append_str(&x->pending, "id,phone,first_name,last_name,mobile,opted_out,attributes\r\n");
        x->started = true;
    }
    while (x->sent == x->pending.len && !x->done) {
        sg_buf_reset(&x->pending);
        x->sent = 0;
        export_page(x);
    }
    size_t left = x->pending.len - x->sent;
    if (left == 0)
        return 0;
    size_t n = left < max ? left : max;
    memcpy(buf, x->pending.data + x->sent, n);
    x->sent += n;
    return (long)n;
}

static void export_free(void *user)
{
    exporter *x = user;
    sg_buf_free(&x->pending);
    free(x);
}

sg_http_result sg_api_contacts_export(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    exporter *x = calloc(1, sizeof *x);
    if (!x) {
        sg_http_problem(req, 500, "internal", NULL, "out of memory");
        return SG_HTTP_DONE;
    }
    x->store = app->store;
    sg_buf_init(&x->pending, 1 << 22);
    const char *group = sg_http_query(req, "group");
    if (group) {
        sg_group g;
        sg_err err = sg_store_group_get(app->store, group, &g);
        if (err) {
            export_free(x);
            if (err == SG_ERR_NOT_FOUND)
                sg_http_problem(req, 404, "not_found", "group", "no group %.64s", group);
            else
                sg_api_store_error(req, err, "cannot read the group");
            return SG_HTTP_DONE;
        }
        snprintf(x->group_id, sizeof x->group_id, "%s", g.id);
    }
    sg_http_respond_stream(req, 200, "text/csv; charset=utf-8", export_fill, x, export_free);
    return SG_HTTP_DONE;
}
