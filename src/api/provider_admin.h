/* Creating, editing, showing and removing providers: the rules shared by the REST
 * API and the CLI. Secrets are split from the config, sealed with the master key
 * and never shown again except masked ("••••abcd"). */
#ifndef SG_API_PROVIDER_ADMIN_H
#define SG_API_PROVIDER_ADMIN_H

#include "api/accept.h"
#include "api/app.h"

#include <jansson.h>

/* Create from {"name", "kind", "title"?, "active"?, "default"?, "config"}. On
 * success *view is the provider as shown to users. On failure rej says why
 * (status 400/409/422/500) and the store is unchanged. */
bool sg_provider_admin_create(sg_app *app, json_t *in, json_t **view, sg_reject *rej);
/* Apply a partial update: top-level fields replace; "config" keys are merged
 * (a key set to null is removed; secrets not given are kept). */
bool sg_provider_admin_update(sg_app *app, const char *id_or_name, json_t *patch, json_t **view,
                              sg_reject *rej);
bool sg_provider_admin_delete(sg_app *app, const char *id_or_name, sg_reject *rej);
/* Views show secrets masked and never a URL's userinfo (user:password@). A
 * callback URL that carries the provider's callback secret is shown whole only
 * when admin is true (create and update are admin-only, so theirs always are);
 * for others its secret is "****" and callback_urls_masked is true. */
bool sg_provider_admin_show_for(sg_app *app, const char *id_or_name, bool admin, json_t **view,
                               sg_reject *rej);
/* {"data": [...]} */
bool sg_provider_admin_list_for(sg_app *app, bool admin, json_t **view, sg_reject *rej);
/* The admin's views (the CLI, which holds the store and the master key anyway). */
bool sg_provider_admin_show(sg_app *app, const char *id_or_name, json_t **view, sg_reject *rej);
bool sg_provider_admin_list(sg_app *app, json_t **view, sg_reject *rej);

/* The audit log's view of a provider write (the API's and the CLI's alike): the
 * action of an update given its input ("provider.set_default" when it makes the
 * provider the default, else "provider.update"), and the detail: the names
 * (never the values: config holds secrets) of the fields `in` set (may be NULL),
 * and for "provider.create" the kind from view. The detail is malloc'd JSON text
 * (free it); NULL when out of memory. */
const char *sg_provider_admin_update_action(const json_t *in);
char *sg_provider_admin_audit_detail(const char *action, const json_t *view, const json_t *in);

#endif
