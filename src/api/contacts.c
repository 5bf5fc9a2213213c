/* /v1/contacts (create, list and search, show, edit, delete, timeline), /v1/optouts
 * (with search by number) and /v1/error-codes. */
#include "api/accept.h"
#include "api/common.h"
#include "api/handlers.h"
#include "core/phone.h"
#include "core/search.h"
#include "http/problem.h"
#include "providers/errors.h"
#include "util/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIST_MAX 1000
#define ATTRIBUTES_MAX 8192

json_t *sg_api_time_json(int64_t ms)
{
    char buf[SG_TIME_STR_MAX];
    sg_time_format(ms, buf, sizeof buf);
    return json_string(buf);
}

json_t *sg_api_contact_json(const sg_contact *c)
{
    json_t *attrs = c->attributes ? json_loads(c->attributes, 0, NULL) : NULL;
    json_t *j = json_object();
    json_object_set_new(j, "id", json_string(c->id));
    json_object_set_new(j, "phone", json_string(c->phone));
    json_object_set_new(j, "first_name", json_string(c->first_name));
    json_object_set_new(j, "last_name", json_string(c->last_name));
    json_object_set_new(j, "attributes", attrs ? attrs : json_object());
    json_object_set_new(j, "mobile", json_boolean(c->mobile));
    json_object_set_new(j, "opted_out", json_boolean(c->opted_out));
    json_object_set_new(j, "last_activity_at",
                        c->last_activity_at ? sg_api_time_json(c->last_activity_at) : json_null());
    json_object_set_new(j, "created_at", sg_api_time_json(c->created_at));
    json_object_set_new(j, "updated_at", sg_api_time_json(c->updated_at));
    return j;
}

/* Validate and apply the fields of in to c. For a create, phone is required.
 * False after answering. */
static bool contact_fields(sg_http_req *req, const sg_app *app, json_t *in, sg_contact *c,
                           bool create)
{
    if (!json_is_object(in)) {
        sg_http_problem(req, 400, "invalid_request", NULL, "a contact must be a JSON object");
        return false;
    }
    const char *key;
    json_t *v;
    json_object_foreach(in, key, v)
    {
        if (strcmp(key, "phone") && strcmp(key, "first_name") && strcmp(key, "last_name") &&
            strcmp(key, "attributes")) {
            sg_http_problem(req, 400, "invalid_request", key,
                            "unknown field '%.64s' (known: phone, first_name, last_name, "
                            "attributes)",
                            key);
            return false;
        }
    }
    v = json_object_get(in, "phone");
    if (create && !v) {
        sg_http_problem(req, 400, "invalid_phone", "phone", "'phone' is required");
        return false;
    }
    if (v) {
        sg_phone_type type;
        if (!json_is_string(v) || sg_phone_normalize(json_string_value(v), app->default_region,
                                                     c->phone, &type) != SG_PHONE_OK) {
            sg_http_problem(req, 400, "invalid_phone", "phone", "'%.32s' is not a valid phone number",
                            json_is_string(v) ? json_string_value(v) : "");
            return false;
        }
    }
    static const char *const names[] = {"first_name", "last_name"};
    char *dst[] = {c->first_name, c->last_name};
    for (int i = 0; i < 2; i++) {
        v = json_object_get(in, names[i]);
        if (!v)
            continue;
        if (!json_is_string(v) || json_string_length(v) > 127) {
            sg_http_problem(req, 400, "invalid_request", names[i],
                            "'%s' must be a string of at most 127 bytes", names[i]);
            return false;
        }
        snprintf(dst[i], 128, "%s", json_string_value(v));
    }
    v = json_object_get(in, "attributes");
    if (v) {
        char *text = json_is_object(v) ? json_dumps(v, JSON_COMPACT) : NULL;
        if (!text || strlen(text) > ATTRIBUTES_MAX) {
            free(text);
            sg_http_problem(req, 400, "invalid_request", "attributes",
                            "'attributes' must be an object of at most %d bytes", ATTRIBUTES_MAX);
            return false;
        }
        free(c->attributes);
        c->attributes = text;
    }
    return true;
}

static void contact_store_error(sg_http_req *req, sg_err err, const sg_error *e)
{
    if (err == SG_ERR_CONFLICT)
        sg_http_problem(req, 409, "conflict", "phone", "%s", e->message);
    else
        sg_api_store_error(req, err, e->message);
}

sg_http_result sg_api_contacts_create(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    json_t *in = sg_api_json_body(req);
    if (!in)
        return SG_HTTP_DONE;
    sg_contact c = {0};
    bool ok = contact_fields(req, app, in, &c, true);
    json_decref(in);
    if (ok) {
        c.created_at = c.updated_at = sg_time_now_ms();
        sg_id_new("ctc", c.created_at, c.id);
        sg_error e = {0};
        sg_err err = sg_store_contact_insert(app->store, &c, &e);
        if (err) {
            contact_store_error(req, err, &e);
        } else {
            sg_contact stored;
            if (sg_store_contact_get(app->store, c.id, &stored) == SG_OK) {
                sg_http_respond_json(req, 201, sg_api_contact_json(&stored));
                sg_contact_free(&stored);
            } else {
                sg_http_respond_json(req, 201, sg_api_contact_json(&c));
            }
        }
    }
    sg_contact_free(&c);
    return SG_HTTP_DONE;
}

/* The ?q= of a list (core/search.h): *searching false when there is none (or
 * only spaces). False after answering 400. */
static bool search_arg(sg_http_req *req, const sg_app *app, sg_search *out, bool *searching)
{
    const char *q = sg_http_query(req, "q");
    *searching = false;
    if (!q)
        return true;
    switch (sg_search_parse(q, app->default_region, out)) {
    case SG_SEARCH_OK:
        *searching = true;
        return true;
    case SG_SEARCH_EMPTY:
        return true;
    case SG_SEARCH_TOO_LONG:
        sg_http_problem(req, 400, "invalid_request", "q", "'q' must be at most %d bytes",
                        SG_SEARCH_MAX);
        return false;
    default:
        sg_http_problem(req, 400, "invalid_request", "q",
                        "'q' must not contain control characters");
        return false;
    }
}

/* Whether cursor fits the list's order: a number ("+" and digits) after a
 * search by number, else a contact id (when ids is true). */
static bool cursor_fits(const char *cursor, bool by_phone, bool ids)
{
    if (!cursor)
        return true;
    if (!by_phone)
        return ids && sg_id_valid("ctc", cursor);
    size_t len = strlen(cursor);
    if (len < 2 || len >= SG_PHONE_MAX || cursor[0] != '+')
        return false;
    return strspn(cursor + 1, "0123456789") == len - 1;
}

sg_http_result sg_api_contacts_list(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    size_t limit;
    sg_search q;
    bool searching;
    if (!sg_api_limit(req, 50, LIST_MAX, &limit) || !search_arg(req, app, &q, &searching))
        return SG_HTTP_DONE;
    bool by_phone = searching && sg_search_is_phone(&q);
    const char *cursor = sg_http_query(req, "cursor");
    if (!cursor_fits(cursor, by_phone, true)) {
        sg_api_bad_cursor(req);
        return SG_HTTP_DONE;
    }
    sg_contact *rows;
    size_t n;
    bool more;
    sg_err err = searching
                     ? sg_store_contact_search(app->store, &q, cursor, limit, &rows, &n, &more)
                     : sg_store_contact_list(app->store, cursor, limit, &rows, &n, &more);
    if (err) {
        sg_api_store_error(req, err, "cannot list contacts");
        return SG_HTTP_DONE;
    }
    json_t *data = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(data, sg_api_contact_json(&rows[i]));
    const char *last = n ? (by_phone ? rows[n - 1].phone : rows[n - 1].id) : NULL;
    json_t *resp = json_pack("{s:o, s:o}", "data", data, "next_cursor",
                             more && last ? json_string(last) : json_null());
    sg_contacts_free(rows, n);
    sg_http_respond_json(req, 200, resp);
    return SG_HTTP_DONE;
}

/* The contact in the path (id or phone); false after answering. */
static bool load_contact(sg_http_req *req, sg_app *app, sg_contact *c)
{
    const char *id = sg_http_param(req, 0);
    char key[SG_ID_MAX];
    snprintf(key, sizeof key, "%s", id);
    if (!sg_id_valid("ctc", id)) {
        sg_phone_type type;
        if (sg_phone_normalize(id, app->default_region, key, &type) != SG_PHONE_OK) {
            sg_http_problem(req, 404, "not_found", NULL, "no contact %.64s", id);
            return false;
        }
    }
    sg_err err = sg_store_contact_get(app->store, key, c);
    if (err == SG_ERR_NOT_FOUND) {
        sg_http_problem(req, 404, "not_found", NULL, "no contact %.64s", id);
        return false;
    }
    if (err) {
        sg_api_store_error(req, err, "cannot read the contact");
        return false;
    }
    return true;
}

sg_http_result sg_api_contacts_get(sg_http_req *req, void *ctx)
{
    sg_contact c;
    if (!load_contact(req, ctx, &c))
        return SG_HTTP_DONE;
    sg_http_respond_json(req, 200, sg_api_contact_json(&c));
    sg_contact_free(&c);
    return SG_HTTP_DONE;
}

sg_http_result sg_api_contacts_update(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    json_t *in = sg_api_json_body(req);
    if (!in)
        return SG_HTTP_DONE;
    sg_contact c;
    if (!load_contact(req, app, &c)) {
        json_decref(in);
        return SG_HTTP_DONE;
    }
    bool ok = contact_fields(req, app, in, &c, false);
    json_decref(in);
    if (ok) {
        c.updated_at = sg_time_now_ms();
        sg_error e = {0};
        sg_err err = sg_store_contact_update(app->store, &c, &e);
        if (err) {
            contact_store_error(req, err, &e);
        } else {
            sg_contact stored;
            if (sg_store_contact_get(app->store, c.id, &stored) == SG_OK) {
                sg_http_respond_json(req, 200, sg_api_contact_json(&stored));
                sg_contact_free(&stored);
            } else {
                sg_http_respond_json(req, 200, sg_api_contact_json(&c));
            }
        }
    }
    sg_contact_free(&c);
    return SG_HTTP_DONE;
}

sg_http_result sg_api_contacts_delete(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    const char *erase = sg_http_query(req, "erase");
    if (erase && strcmp(erase, "true") != 0 && strcmp(erase, "false") != 0) {
        sg_http_problem(req, 400, "invalid_request", "erase", "erase must be true or false");
        return SG_HTTP_DONE;
    }
    sg_contact c;
    if (!load_contact(req, app, &c))
        return SG_HTTP_DONE;
    if (erase && strcmp(erase, "true") == 0) {
        char id[SG_ID_MAX];
        snprintf(id, sizeof id, "%s", c.id);
        sg_contact_free(&c);
        return sg_api_contact_erase(req, app, id);
    }
    sg_error e = {0};
    sg_err err = sg_store_contact_delete(app->store, c.id, &e);
    if (err) {
        sg_api_store_error(req, err, e.message);
    } else {
        /* the id, never the number (as contact.erase) */
        sg_api_audit(req, app, "contact.delete", c.id, NULL);
        sg_http_respond(req, 204, NULL, "", 0);
    }
    sg_contact_free(&c);
    return SG_HTTP_DONE;
}

sg_http_result sg_api_contacts_timeline(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    size_t limit;
    if (!sg_api_limit(req, 50, LIST_MAX, &limit))
        return SG_HTTP_DONE;
    sg_contact c;
    if (!load_contact(req, app, &c))
        return SG_HTTP_DONE;
    const char *cursor = sg_http_query(req, "cursor");
    sg_timeline_item *items;
    size_t n;
    char next[64];
    sg_err err = sg_store_timeline(app->store, c.phone, cursor, limit, &items, &n, next);
    sg_contact_free(&c);
    if (err == SG_ERR_INVALID) {
        sg_api_bad_cursor(req);
        return SG_HTTP_DONE;
    }
    if (err) {
        sg_api_store_error(req, err, "cannot read the timeline");
        return SG_HTTP_DONE;
    }
    json_t *data = json_array();
    sg_provider_set *set = sg_registry_get(app->registry);
    for (size_t i = 0; i < n; i++) {
        sg_timeline_item *t = &items[i];
        json_t *row;
        if (t->is_message) {
            const sg_provider *p = sg_provider_set_find(set, t->msg.provider_id);
            row = json_pack("{s:s, s:o, s:o}", "type", "message", "at", sg_api_time_json(t->at),
                            "message", sg_message_json(&t->msg, NULL, 0, p ? p->name : NULL));
        } else if (t->is_click) {
            row = json_pack("{s:s, s:o, s:{s:s, s:s}}", "type", "click", "at",
                            sg_api_time_json(t->at), "click", "message_id", t->message_id, "url",
                            t->detail ? t->detail : "");
        } else if (t->is_keyword) {
            row = json_pack("{s:s, s:o, s:{s:s, s:s, s:s}}", "type", "keyword", "at",
                            sg_api_time_json(t->at), "keyword", "rule_id", t->rule_id, "keyword",
                            t->detail ? t->detail : "", "message_id", t->message_id);
        } else if (t->is_journey) {
            row = json_pack("{s:s, s:o, s:{s:s, s:s, s:s, s:s, s:o}}", "type", "journey", "at",
                            sg_api_time_json(t->at), "journey", "journey_id", t->journey_id,
                            "enrollment_id", t->enrollment_id, "event", t->journey_event, "step",
                            t->step, "reason", t->detail ? json_string(t->detail) : json_null());
        } else {
            row = json_pack("{s:s, s:o, s:{s:s, s:s, s:s, s:o, s:o}}", "type", "consent", "at",
                            sg_api_time_json(t->at), "consent", "old", t->old_state, "new",
                            t->new_state, "source", t->source, "message_id",
                            t->message_id[0] ? json_string(t->message_id) : json_null(),
                            "detail", t->detail ? json_string(t->detail) : json_null());
        }
        json_array_append_new(data, row);
    }
    sg_registry_release(app->registry, set);
    sg_timeline_free(items, n);
    sg_http_respond_json(req, 200,
                         json_pack("{s:o, s:o}", "data", data, "next_cursor",
                                   next[0] ? json_string(next) : json_null()));
    return SG_HTTP_DONE;
}

/* ---- opt-outs ------------------------------------------------------------------------ */

static json_t *optout_json(const sg_optout *o)
{
    return json_pack("{s:s, s:s, s:s, s:o, s:o}", "phone", o->phone, "source", o->source,
                     "reason", o->reason, "message_id",
                     o->message_id[0] ? json_string(o->message_id) : json_null(), "created_at",
                     sg_api_time_json(o->created_at));
}

sg_http_result sg_api_optouts_create(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    json_t *in = sg_api_json_body(req);
    if (!in)
        return SG_HTTP_DONE;
    json_t *phone = json_object_get(in, "phone"), *reason = json_object_get(in, "reason");
    const char *key;
    json_t *v;
    json_object_foreach(in, key, v)
    {
        if (strcmp(key, "phone") && strcmp(key, "reason")) {
            sg_http_problem(req, 400, "invalid_request", key,
                            "unknown field '%.64s' (known: phone, reason)", key);
            json_decref(in);
            return SG_HTTP_DONE;
        }
    }
    sg_optout o = {0};
    sg_phone_type type;
    if (!json_is_string(phone) || sg_phone_normalize(json_string_value(phone), app->default_region,
                                                     o.phone, &type) != SG_PHONE_OK) {
        sg_http_problem(req, 400, "invalid_phone", "phone", "'phone' must be a valid phone number");
        json_decref(in);
        return SG_HTTP_DONE;
    }
    if (reason && (!json_is_string(reason) || json_string_length(reason) > 255)) {
        sg_http_problem(req, 400, "invalid_request", "reason",
                        "'reason' must be a string of at most 255 bytes");
        json_decref(in);
        return SG_HTTP_DONE;
    }
    snprintf(o.source, sizeof o.source, "api");
    snprintf(o.reason, sizeof o.reason, "%s", reason ? json_string_value(reason) : "");
    json_decref(in);
    o.created_at = sg_time_now_ms();
    bool changed;
    sg_error e = {0};
    sg_err err = sg_store_optout_add(app->store, &o, &changed, &e);
    if (err) {
        sg_api_store_error(req, err, e.message);
        return SG_HTTP_DONE;
    }
    if (changed)
        sg_api_audit(req, app, "optout.add", o.phone, NULL);
    sg_optout stored;
    if (sg_store_optout_get(app->store, o.phone, &stored) == SG_OK)
        sg_http_respond_json(req, changed ? 201 : 200, optout_json(&stored));
    else
        sg_http_respond_json(req, changed ? 201 : 200, optout_json(&o));
    return SG_HTTP_DONE;
}

/* GET /v1/optouts?q=: opt-outs by number, in number order; the cursor is the
 * last phone. A phrase is refused: an opt-out is only a number. */
static sg_http_result optouts_search(sg_http_req *req, sg_app *app, const sg_search *q,
                                     size_t limit)
{
    if (!sg_search_is_phone(q)) {
        sg_http_problem(req, 400, "invalid_request", "q",
                        "opt-outs are searched by number: digits, spaces and +-() only");
        return SG_HTTP_DONE;
    }
    const char *cursor = sg_http_query(req, "cursor");
    if (!cursor_fits(cursor, true, false)) {
        sg_api_bad_cursor(req);
        return SG_HTTP_DONE;
    }
    sg_optout *rows;
    size_t n;
    bool more;
    sg_err err = sg_store_optout_search(app->store, q, cursor, limit, &rows, &n, &more);
    if (err) {
        sg_api_store_error(req, err, "cannot search opt-outs");
        return SG_HTTP_DONE;
    }
    json_t *data = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(data, optout_json(&rows[i]));
    json_t *next = more && n ? json_string(rows[n - 1].phone) : json_null();
    free(rows);
    sg_http_respond_json(req, 200, json_pack("{s:o, s:o}", "data", data, "next_cursor", next));
    return SG_HTTP_DONE;
}

sg_http_result sg_api_optouts_list(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    size_t limit;
    sg_search q;
    bool searching;
    if (!sg_api_limit(req, 50, LIST_MAX, &limit) || !search_arg(req, app, &q, &searching))
        return SG_HTTP_DONE;
    if (searching)
        return optouts_search(req, app, &q, limit);
    sg_optout *rows;
    size_t n;
    bool more;
    sg_err err = sg_store_optout_list(app->store, sg_http_query(req, "cursor"), limit, &rows, &n,
                                      &more);
    if (err == SG_ERR_INVALID) {
        sg_api_bad_cursor(req);
        return SG_HTTP_DONE;
    }
    if (err) {
        sg_api_store_error(req, err, "cannot list opt-outs");
        return SG_HTTP_DONE;
    }
    json_t *data = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(data, optout_json(&rows[i]));
    char next[64] = "";
    if (more && n)
        snprintf(next, sizeof next, "%lld.%s", (long long)rows[n - 1].created_at,
                 rows[n - 1].phone);
    free(rows);
    sg_http_respond_json(req, 200,
                         json_pack("{s:o, s:o}", "data", data, "next_cursor",
                                   next[0] ? json_string(next) : json_null()));
    return SG_HTTP_DONE;
}

sg_http_result sg_api_optouts_delete(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    char phone[SG_PHONE_MAX];
    sg_phone_type type;
    const char *in = sg_http_param(req, 0);
    char fixed[64];
    if (in[0] == ' ') { /* an unencoded '+' in the path arrives as a space */
        snprintf(fixed, sizeof fixed, "+%s", in + 1);
        in = fixed;
    }
    if (sg_phone_normalize(in, app->default_region, phone, &type) != SG_PHONE_OK) {
        sg_http_problem(req, 400, "invalid_phone", "phone", "'%.32s' is not a valid phone number",
                        in);
        return SG_HTTP_DONE;
    }
    bool changed;
    sg_error e = {0};
    sg_err err = sg_store_optout_remove(app->store, phone, "api", "", &changed, &e);
    if (err)
        sg_api_store_error(req, err, e.message);
    else if (!changed)
        sg_http_problem(req, 404, "not_found", NULL, "%s is not opted out", phone);
    else {
        sg_api_audit(req, app, "optout.remove", phone, NULL);
        sg_http_respond(req, 204, NULL, "", 0);
    }
    return SG_HTTP_DONE;
}

/* ---- error codes -------------------------------------------------------------------- */

sg_http_result sg_api_error_codes(sg_http_req *req, void *ctx)
{
    sg_api_page pg;
    if (!sg_api_page_parse(req, 1000, 1000, &pg))
        return SG_HTTP_DONE;
    const sg_errcode *c;
    const char *provider = sg_http_query(req, "provider");
    json_t *data = json_array();
    for (size_t i = 0; (c = sg_errcode_at(i)); i++) {
        if (provider && strcmp(provider, c->provider) != 0)
            continue;
        json_array_append_new(data, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "provider",
                                              c->provider, "code", c->code, "title", c->title,
                                              "meaning", c->meaning, "class",
                                              sg_errclass_name(c->cls), "send_class",
                                              sg_sendclass_name(c->send)));
    }
    sg_api_respond_page(req, json_pack("{s:o, s:n}", "data", data, "next_cursor"), NULL, &pg);
    return SG_HTTP_DONE;
}
