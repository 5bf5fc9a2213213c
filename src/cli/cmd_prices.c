/* smsgate provider prices set ID FILE|- and smsgate provider prices show ID
 * (docs/routing.md, "Prices"): the same list and checks as PUT/GET
 * /v1/providers/{id}/prices. */
#include "api/app.h"
#include "cli/cli.h"
#include "cli/common.h"
#include "core/prices.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The provider id_or_name names into id; false after one line on stderr. */
static bool provider_id(sg_app *app, const char *id_or_name, char id[SG_ID_MAX])
{
    sg_provider_set *set = sg_registry_get(app->registry);
    const sg_provider *p = sg_provider_set_find(set, id_or_name);
    if (p)
        snprintf(id, SG_ID_MAX, "%s", p->id);
    sg_registry_release(app->registry, set);
    if (!p)
        fprintf(stderr, "smsgate: no provider '%.64s'\n", id_or_name);
    return p != NULL;
}

/* Read at most SG_PRICES_MAX_BYTES + 1 bytes of path ("-": stdin) into buf;
 * *len is how many. false after one line on stderr. */
static bool read_list(const char *path, char *buf, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "smsgate: cannot open %s: %s\n", path, strerror(errno));
        return false;
    }
    *len = fread(buf, 1, SG_PRICES_MAX_BYTES + 1, f);
    bool ok = !ferror(f);
    if (!ok)
        fprintf(stderr, "smsgate: cannot read %s: %s\n", path, strerror(errno));
    if (f != stdin)
        fclose(f);
    return ok;
}

/* One line on stderr for a refused list: the first problem with its line, and how
 * many more there are. */
static int refused(const char *path, const sg_price_list *l)
{
    const sg_price_problem *p = &l->problems[0];
    size_t more = l->n_problems - 1 + l->more_problems;
    fprintf(stderr, "smsgate: %s:%zu: %s%s%s", path, p->line, p->field, p->field[0] ? ": " : "",
            p->detail);
    if (more)
        fprintf(stderr, " (and %zu more problem%s)", more, more == 1 ? "" : "s");
    fputc('\n', stderr);
    return SG_EXIT_FAIL;
}

static int prices_set(sg_app *app, const char *id, const char *path)
{
    char *buf = malloc(SG_PRICES_MAX_BYTES + 1);
    if (!buf) {
        fprintf(stderr, "smsgate: out of memory\n");
        return SG_EXIT_FAIL;
    }
    size_t len = 0;
    int rc = SG_EXIT_FAIL;
    sg_price_list l = {0};
    if (!read_list(path, buf, &len))
        goto out;
    sg_err err = sg_prices_parse(buf, len, &l);
    if (err == SG_ERR_INVALID || err == SG_ERR_TOO_LARGE) {
        rc = refused(path, &l);
        goto out;
    }
    sg_error e = {0};
    if (!err)
        err = sg_store_prices_set(app->store, id, l.rows, l.n, &e);
    if (err) {
        fprintf(stderr, "smsgate: %s\n", e.message[0] ? e.message : sg_strerror(err));
        goto out;
    }
    printf("%zu price%s set\n", l.n, l.n == 1 ? "" : "s");
    rc = SG_EXIT_OK;
out:
    sg_price_list_free(&l);
    free(buf);
    return rc;
}

static int prices_show(sg_app *app, const char *id, bool json)
{
    sg_price *rows = NULL;
    size_t n = 0;
    sg_err err = sg_store_prices_list(app->store, id, &rows, &n);
    if (err) {
        fprintf(stderr, "smsgate: cannot read the prices: %s\n", sg_strerror(err));
        return SG_EXIT_FAIL;
    }
    json_t *data = json ? json_array() : NULL;
    if (!json)
        printf("country,price,currency\n");
    for (size_t i = 0; i < n; i++) {
        char text[SG_PRICE_TEXT_MAX];
        sg_price_format(rows[i].micros, text);
        if (json)
            json_array_append_new(data, json_pack("{s:s, s:s, s:s}", "country", rows[i].country,
                                                  "price", text, "currency", rows[i].currency));
        else
            printf("%s,%s,%s\n", rows[i].country, text, rows[i].currency);
    }
    if (json)
        sg_cli_print_json(json_pack("{s:s, s:o}", "provider_id", id, "data", data));
    free(rows);
    return SG_EXIT_OK;
}

int sg_cli_provider_prices(sg_app *app, const char *const *args, size_t n, bool json)
{
    bool set = n >= 1 && strcmp(args[0], "set") == 0;
    bool show = n >= 1 && strcmp(args[0], "show") == 0;
    if (!(set && n == 3) && !(show && n == 2))
        return sg_cli_usage_error("provider", "usage: provider prices set ID FILE|- | "
                                              "provider prices show ID");
    char id[SG_ID_MAX];
    if (!provider_id(app, args[1], id))
        return SG_EXIT_FAIL;
    return set ? prices_set(app, id, args[2]) : prices_show(app, id, json);
}
