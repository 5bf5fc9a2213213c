/* Creating, editing, showing and removing routes between providers: the rules
 * shared by /v1/routes and `smsgate route` (docs/routing.md). A route names its
 * providers by name or id and is stored with their ids, so a rename does not
 * break it. */
#ifndef SG_API_ROUTE_ADMIN_H
#define SG_API_ROUTE_ADMIN_H

#include "api/accept.h"
#include "api/app.h"

#include <jansson.h>

/* Create from {"name", "match"?: {"countries"?, "prefixes"?}, "providers",
 * "strategy"?, "weights"?, "on_unknown"?, "position"?}. On success *view is the
 * route as shown (route_json) and *id its id. On failure rej says why (400 with
 * the field at fault, 409 name taken, 422 unknown provider, 5xx store) and the
 * store is unchanged. */
bool sg_route_admin_create(sg_app *app, json_t *in, json_t **view, char id[SG_ID_MAX],
                           sg_reject *rej);
/* Apply a partial update: the fields given replace the route's ("match" whole). */
bool sg_route_admin_update(sg_app *app, const char *id_or_name, json_t *patch, json_t **view,
                           char id[SG_ID_MAX], sg_reject *rej);
/* Remove the route; *id gets its id. */
bool sg_route_admin_delete(sg_app *app, const char *id_or_name, char id[SG_ID_MAX], sg_reject *rej);
bool sg_route_admin_show(sg_app *app, const char *id_or_name, json_t **view, sg_reject *rej);
/* {"data": [...]} in order. */
bool sg_route_admin_list(sg_app *app, json_t **view, sg_reject *rej);

#endif
