#include "http/problem.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct problem_kind {
    const char *code;
    const char *title;
} problem_kind;

static const problem_kind kinds[] = {
    {"invalid_json", "Request body is not valid JSON"},
    {"invalid_request", "Invalid request"},
    {"invalid_phone", "Invalid phone number"},
    {"not_mobile", "Number cannot receive SMS"},
    {"opted_out", "Recipient opted out"},
    {"invalid_body", "Invalid message body"},
    {"body_too_long", "Message body too long"},
    {"invalid_time", "Invalid time"},
    {"unknown_provider", "Unknown provider"},
    {"provider_inactive", "Provider inactive"},
    {"no_default_provider", "No default provider"},
    {"invalid_config", "Invalid provider configuration"},
    {"unauthorized", "Authentication required"},
    {"forbidden", "Not allowed"},
    {"not_found", "Not found"},
    {"method_not_allowed", "Method not allowed"},
    {"conflict", "Conflict"},
    {"idempotency_conflict", "Idempotency key reused"},
    {"invalid_state", "Invalid state for this operation"},
    {"body_too_large", "Body too large"},
    {"uri_too_long", "URI too long"},
    {"bad_request", "Bad request"},
    {"invalid_utf8", "Not valid UTF-8"},
    {"too_many_parameters", "Too many query parameters"},
    {"header_too_large", "Request headers too large"},
    {"server_busy", "Server busy"},
    {"unsupported_media_type", "Unsupported media type"},
    {"store_busy", "Database busy"},
    {"store_full", "Database full"},
    {"store_error", "Database error"},
    {"store_unavailable", "Database unavailable"},
    {"not_implemented", "Not implemented"},
    {"shutting_down", "Shutting down"},
    {"internal", "Internal error"},
    {"console_not_built", "Console not built"},
    {"invalid_credentials", "Wrong email or password"},
    {"csrf_failed", "CSRF token missing or wrong"},
    {"too_many_attempts", "Too many failed sign-ins"},
    {"busy", "Busy"},
    {"last_admin", "The last admin cannot be removed or demoted"},
    {"invalid_prices", "Invalid price list"},
    {NULL, NULL},
};

static const char *title_for(const char *code)
{
    for (const problem_kind *k = kinds; k->code; k++) {
        if (strcmp(k->code, code) == 0)
            return k->title;
    }
    return "Error";
}

json_t *sg_problem_json(int status, const char *code, const char *field, const char *detail)
{
    json_t *j =
        json_pack("{s:s, s:s, s:i, s:s, s:s}", "type", "about:blank", "title", title_for(code),
                  "status", status, "detail", detail ? detail : "", "code", code);
    if (j && field && *field)
        json_object_set_new(j, "field", json_string(field));
    return j;
}

void sg_http_problem(sg_http_req *r, int status, const char *code, const char *field,
                     const char *fmt, ...)
{
    char detail[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    sg_http_respond_json(r, status, sg_problem_json(status, code, field, detail));
}
