#include "audience/render.h"
#include "core/phone.h"
#include "util/tz.h"
#include "core/links.h"

#include <sodium.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct lookup_ctx {
    const sg_render_contact *c;
    char number[32]; /* a numeric attribute as text */
} lookup_ctx;

static const char *lookup(void *user, const char *name)
{
    lookup_ctx *l = user;
    const sg_render_contact *c = l->c;
    if (strcmp(name, "first_name") == 0)
        return c->first_name;
    if (strcmp(name, "last_name") == 0)
        return c->last_name;
    if (strcmp(name, "phone") == 0)
        return c->phone;
    if (strncmp(name, "attributes.", 11) == 0 && c->attributes) {
        json_t *v = json_object_get(c->attributes, name + 11);
        if (json_is_string(v))
            return json_string_value(v);
        if (json_is_integer(v)) {
            snprintf(l->number, sizeof l->number, "%lld", (long long)json_integer_value(v));
            return l->number;
        }
        if (json_is_real(v)) {
            snprintf(l->number, sizeof l->number, "%g", json_real_value(v));
            return l->number;
        }
        if (json_is_boolean(v))
            return json_is_true(v) ? "true" : "false";
    }
    return NULL;
}

sg_err sg_render_body(const char *tpl, const sg_render_contact *c, sg_buf *out,
                      sg_tpl_error *err)
{
    lookup_ctx l = {.c = c};
    return sg_template_render(tpl, lookup, &l, out, err);
}

void sg_link_code_new(char out[SG_LINK_CODE_MAX])
{
    static const char alphabet[] =
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    for (int i = 0; i < 10; i++)
        out[i] = alphabet[randombytes_uniform(62)];
    out[10] = '\0';
}

typedef struct links_ctx {
    const char *public_url;
    sg_link *links;
    size_t n, cap;
} links_ctx;

static sg_err replace(void *user, const char *url, size_t len, sg_buf *out)
{
    links_ctx *lc = user;
    if (lc->n == lc->cap) {
        size_t cap = lc->cap ? lc->cap * 2 : 4;
        sg_link *grown = realloc(lc->links, cap * sizeof *grown);
        if (!grown)
            return SG_ERR_NOMEM;
        lc->links = grown;
        lc->cap = cap;
    }
    sg_link *l = &lc->links[lc->n];
    memset(l, 0, sizeof *l);
    /* "www.example.org" as written becomes a URL a browser can follow */
    bool bare = strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0 &&
                strncasecmp(url, "http", 4) != 0;
    l->url = malloc(len + 9);
    if (!l->url)
        return SG_ERR_NOMEM;
    snprintf(l->url, len + 9, "%s%.*s", bare ? "https://" : "", (int)len, url);
    sg_link_code_new(l->code);
    lc->n++;
    return sg_buf_printf(out, "%s/l/%s", lc->public_url, l->code);
}

sg_err sg_render_links(const char *body, const char *public_url, sg_buf *out, sg_link **links,
                       size_t *n)
{
    links_ctx lc = {.public_url = public_url};
    sg_err err = sg_links_rewrite(body, strlen(body), replace, &lc, out, NULL);
    if (err) {
        sg_render_links_free(lc.links, lc.n);
        *links = NULL;
        *n = 0;
        return err;
    }
    *links = lc.links;
    *n = lc.n;
    return SG_OK;
}

void sg_render_links_free(sg_link *links, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(links[i].url);
    free(links);
}

const sg_tz *sg_render_zone(const char *phone, json_t *attrs, const char *fallback)
{
    const sg_tz *z = NULL;
    const char *name = json_string_value(json_object_get(attrs, "timezone"));
    if (name && sg_tz_get(name, &z) == SG_OK)
        return z;
    char region[3];
    if (sg_phone_region(phone, region)) {
        const char *zone = sg_tz_for_country(region);
        if (zone && sg_tz_get(zone, &z) == SG_OK)
            return z;
    }
    if (sg_tz_get(fallback && fallback[0] ? fallback : "UTC", &z) == SG_OK)
        return z;
    return NULL;
}
