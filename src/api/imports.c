/* Contact import jobs: the progress of a CSV import for the console's progress
 * bar, kept in the store so that any node can answer while the node reading the
 * upload writes it. The import itself stays POST /v1/contacts/import, synchronous
 * as before; with ?job=ID it also records its progress in that job
 * (docs/api.md, "Import progress"). */
#include "api/common.h"
#include "api/handlers.h"
#include "audience/importer.h"
#include "http/problem.h"
#include "util/log.h"
#include "util/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *job_json(const sg_import_job *j)
{
    json_t *rejected = j->rejections ? json_loads(j->rejections, 0, NULL) : NULL;
    return json_pack(
        "{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:o, s:o}", "id", j->id, "status",
        j->status, "size", (json_int_t)j->size, "bytes", (json_int_t)j->bytes, "rows",
        (json_int_t)(j->rows > 0 ? j->rows - 1 : 0), "imported", (json_int_t)j->imported, "updated",
        (json_int_t)j->updated, "rejected_count", (json_int_t)j->rejected, "rejected",
        rejected ? rejected : json_null(), "error",
        j->error[0] ? json_string(j->error) : json_null(), "created_at",
        sg_api_time_json(j->created_at), "updated_at", sg_api_time_json(j->updated_at));
}

sg_http_result sg_api_imports_create(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    sg_import_job j = {0};
    j.created_at = j.updated_at = sg_time_now_ms();
    sg_id_new("imp", j.created_at, j.id);
    snprintf(j.status, sizeof j.status, "waiting");
    sg_error e = {0};
    sg_err err = sg_store_import_job_create(app->store, &j, &e);
    if (err)
        sg_api_store_error(req, err, e.message);
    else
        sg_http_respond_json(req, 201, job_json(&j));
    return SG_HTTP_DONE;
}

sg_http_result sg_api_imports_get(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    const char *id = sg_http_param(req, 0);
    sg_import_job j;
    sg_err err =
        sg_id_valid("imp", id) ? sg_store_import_job_get(app->store, id, &j) : SG_ERR_NOT_FOUND;
    if (err == SG_ERR_NOT_FOUND) {
        sg_http_problem(req, 404, "not_found", NULL, "no import job %.64s", id);
        return SG_HTTP_DONE;
    }
    if (err) {
        sg_api_store_error(req, err, "cannot read the import job");
        return SG_HTTP_DONE;
    }
    sg_http_respond_json(req, 200, job_json(&j));
    sg_import_job_free(&j);
    return SG_HTTP_DONE;
}

json_t *sg_api_import_rejections_json(const sg_import_result *r)
{
    json_t *a = json_array();
    for (size_t i = 0; i < r->n_rejections; i++)
        json_array_append_new(
            a, json_pack("{s:I, s:s, s:s}", "line", (json_int_t)r->rejections[i].line, "code",
                         r->rejections[i].code, "detail", r->rejections[i].detail));
    return a;
}

/* The rejected rows as JSON text, malloc'd. */
static char *rejections_text(const sg_import_result *r)
{
    json_t *a = sg_api_import_rejections_json(r);
    char *text = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    return text;
}

void sg_api_import_job_write(sg_app *app, const char *job_id, const char *status,
                             const sg_import_result *r, uint64_t bytes, const char *error)
{
    sg_import_job j = {.bytes = (int64_t)bytes,
                       .rows = (int64_t)r->lines,
                       .imported = (int64_t)r->imported,
                       .updated = (int64_t)r->updated,
                       .rejected = (int64_t)r->rejected,
                       .updated_at = sg_time_now_ms()};
    snprintf(j.id, sizeof j.id, "%s", job_id);
    snprintf(j.status, sizeof j.status, "%s", status);
    snprintf(j.error, sizeof j.error, "%s", error ? error : "");
    if (strcmp(status, "importing") != 0)
        j.rejections = rejections_text(r);
    sg_error e = {0};
    sg_err err = sg_store_import_job_update(app->store, &j, &e);
    if (err)
        sg_log(SG_LOG_WARN, "import_job_not_saved", "job=%s err=%s", job_id, sg_strerror(err));
    sg_import_job_free(&j);
}
