/* GET /v1/audit: who changed what, when and from where (users, sign-ins and
 * sign-outs, erasures, and the admin writes of the API through sg_api_audit:
 * providers, keys, webhooks, opt-outs, broadcasts), newest first. Filters: actor (a key id, a user's email
 * or "cli"), action ("user.create", ...), since (RFC 3339); cursor-paged by the
 * entry id like every other list. */
#include "api/auth.h"
#include "api/common.h"
#include "api/handlers.h"
#include "http/problem.h"
#include "util/log.h"
#include "util/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *sg_audit_json(const sg_audit *a)
{
    json_t *detail = a->detail ? json_loads(a->detail, 0, NULL) : NULL;
    return json_pack("{s:I, s:o, s:s, s:s, s:s, s:o, s:o}", "id", (json_int_t)a->id, "at",
                     sg_api_time_json(a->at), "actor", a->actor, "action", a->action, "subject",
                     a->subject, "source", a->source[0] ? json_string(a->source) : json_null(),
                     "detail", detail ? detail : json_null());
}

void sg_api_audit(sg_http_req *req, sg_app *app, const char *action, const char *subject,
                  const char *detail)
{
    char client[64];
    sg_http_client_ip(req, client);
    sg_actor by = {sg_auth_actor(sg_auth_caller(req)), client, sg_time_now_ms()};
    sg_error e = {0};
    sg_err err = sg_store_audit_add(app->store, &by, action, subject, detail, &e);
    if (err)
        sg_log(SG_LOG_WARN, "audit_write_failed", "action=%s subject=%.64s err=%s", action,
               subject ? subject : "", sg_strerror(err));
}

/* The filters of the query into *f; false after answering 400. */
static bool parse_filter(sg_http_req *req, const sg_api_page *pg, sg_audit_filter *f)
{
    memset(f, 0, sizeof *f);
    f->actor = sg_http_query(req, "actor");
    f->action = sg_http_query(req, "action");
    const char *since = sg_http_query(req, "since");
    if (since && !sg_time_parse(since, &f->since)) {
        sg_http_problem(req, 400, "invalid_time", "since",
                        "'since' must be an RFC 3339 time such as 2026-01-31T09:00:00Z");
        return false;
    }
    if (pg->cursor) {
        char *end;
        f->before_id = strtoll(pg->cursor, &end, 10);
        if (*end || f->before_id <= 0) {
            sg_api_bad_cursor(req);
            return false;
        }
    }
    return true;
}

sg_http_result sg_api_audit_list(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    sg_api_page pg;
    sg_audit_filter f;
    if (!sg_api_page_parse(req, 50, 1000, &pg) || !parse_filter(req, &pg, &f))
        return SG_HTTP_DONE;
    sg_audit *rows;
    size_t n;
    /* one more than asked: whether there is a next page */
    sg_err err = sg_store_audit_query(app->store, &f, pg.limit + 1, &rows, &n);
    if (err) {
        sg_api_store_error(req, err, "cannot read the audit log");
        return SG_HTTP_DONE;
    }
    bool more = n > pg.limit;
    if (more)
        n = pg.limit;
    json_t *data = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(data, sg_audit_json(&rows[i]));
    char cursor[32];
    snprintf(cursor, sizeof cursor, "%lld", n ? rows[n - 1].id : 0);
    sg_audits_free(rows, more ? n + 1 : n);
    sg_http_respond_json(req, 200,
                         json_pack("{s:o, s:o}", "data", data, "next_cursor",
                                   more ? json_string(cursor) : json_null()));
    return SG_HTTP_DONE;
}
