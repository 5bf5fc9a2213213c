/* RFC 9457 problem details: every error answer of the API is one of these, with a
 * stable snake_case `code` and, when one field is at fault, `field`. */
#ifndef SG_HTTP_PROBLEM_H
#define SG_HTTP_PROBLEM_H

#include "http/server.h"

/* Answer r with application/problem+json. field may be NULL. The title comes from
 * the code (a table in problem.c), the detail from fmt. */
void sg_http_problem(sg_http_req *r, int status, const char *code, const char *field,
                     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* The same document as a JSON object (for batch rows and stored answers). */
json_t *sg_problem_json(int status, const char *code, const char *field, const char *detail);

#endif
