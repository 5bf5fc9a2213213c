#include "providers/provider.h"
#include "providers/clickatell/clickatell.h"
#include "providers/twilio/twilio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const sg_provider_kind *const kinds[] = {
    &sg_twilio_kind,
    &sg_clickatell_kind,
    &sg_clickatell_platform_kind,
    NULL,
};

const sg_provider_kind *const *sg_provider_kinds(void)
{
    return kinds;
}

const sg_provider_kind *sg_provider_kind_find(const char *name)
{
    for (size_t i = 0; kinds[i]; i++) {
        if (strcmp(kinds[i]->name, name) == 0)
            return kinds[i];
    }
    return NULL;
}

bool sg_provider_kind_secret(const sg_provider_kind *k, const char *key)
{
    for (const sg_config_key *c = k->config_keys; c && c->key; c++) {
        if (strcmp(c->key, key) == 0)
            return (c->flags & SG_CONFIG_SECRET) != 0;
    }
    return false;
}

const char *sg_provider_kind_callback_auth(const sg_provider_kind *k)
{
    if (!k->url_secret)
        return "signature";
    return k->callbacks_signed ? "signature_or_url_secret" : "url_secret";
}

bool sg_provider_url_secret(const sg_provider_kind *k, const void *cfg)
{
    return k->url_secret && !(k->callbacks_signed && cfg && k->callbacks_signed(cfg));
}

void sg_prov_request_free(sg_prov_request *r)
{
    free(r->url);
    for (size_t i = 0; i < r->n_headers; i++)
        free(r->headers[i]);
    free(r->body);
    memset(r, 0, sizeof *r);
}

sg_err sg_prov_request_add_header(sg_prov_request *r, const char *name, const char *value)
{
    if (r->n_headers >= SG_PROV_MAX_HEADERS)
        return SG_ERR_TOO_LARGE;
    size_t len = strlen(name) + strlen(value) + 3;
    char *h = malloc(len);
    if (!h)
        return SG_ERR_NOMEM;
    snprintf(h, len, "%s: %s", name, value);
    r->headers[r->n_headers++] = h;
    return SG_OK;
}
