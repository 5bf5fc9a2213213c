#include "cli/common.h"
#include "cli/cli.h"
#include "core/phone.h"
#include "util/log.h"
#include "util/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int sg_cli_open(const sg_base_settings *b, const char *listen, bool create, sg_app *app)
{
    sg_log_level level;
    if (!sg_log_level_parse(b->log_level, &level)) {
        fprintf(stderr, "smsgate: --log-level must be error, warn, info or debug, not '%s'\n",
                b->log_level);
        return SG_EXIT_USAGE;
    }
    sg_log_set_level(level);
    memset(app, 0, sizeof *app);
    if (b->default_region[0]) {
        if (!sg_phone_region_valid(b->default_region)) {
            fprintf(stderr, "smsgate: --default-region '%s' is not a known region (e.g. GB, US)\n",
                    b->default_region);
            return SG_EXIT_USAGE;
        }
        for (size_t i = 0; b->default_region[i] && i < sizeof app->default_region - 1; i++)
            app->default_region[i] =
                (char)((b->default_region[i] >= 'a' && b->default_region[i] <= 'z')
                           ? b->default_region[i] - 32
                           : b->default_region[i]);
    }
    if (b->public_url[0]) {
        if (strncmp(b->public_url, "http://", 7) != 0 &&
            strncmp(b->public_url, "https://", 8) != 0) {
            fprintf(stderr, "smsgate: --public-url must start with http:// or https://\n");
            return SG_EXIT_USAGE;
        }
        snprintf(app->public_url, sizeof app->public_url, "%s", b->public_url);
    } else {
        snprintf(app->public_url, sizeof app->public_url, "http://%s",
                 listen && *listen ? listen : "127.0.0.1:8080");
    }
    size_t ul = strlen(app->public_url);
    while (ul > 0 && app->public_url[ul - 1] == '/')
        app->public_url[--ul] = '\0';
    const char *file = sg_store_file(b->db);
    if (!create && file && access(file, F_OK) != 0) {
        fprintf(stderr, "smsgate: no database at %s; pass --db or set SMSGATE_DB\n", b->db);
        return SG_EXIT_FAIL;
    }
    sg_error e = {0};
    if (sg_app_open(app, b->db, b->master_key_file, true, &e) != SG_OK) {
        fprintf(stderr, "smsgate: %s\n", e.message);
        return SG_EXIT_FAIL;
    }
    return 0;
}

bool sg_cli_open_one(const sg_cmd_spec *spec, void *settings, int argc, char **argv, char *name,
                     size_t cap, sg_app *app, int *rc)
{
    char **args;
    size_t nargs;
    *rc = sg_opts_parse(spec, settings, argc, argv, &args, &nargs);
    if (*rc) {
        *rc = *rc < 0 ? SG_EXIT_OK : *rc;
        return false;
    }
    snprintf(name, cap, "%s", nargs ? args[0] : "");
    free(args);
    *rc = sg_cli_open((const sg_base_settings *)settings, NULL, false, app);
    return *rc == 0;
}

bool sg_cli_found(sg_err err, const char *what, const char *name)
{
    if (err == SG_ERR_NOT_FOUND)
        fprintf(stderr, "smsgate: no %s %s\n", what, name);
    else if (err)
        fprintf(stderr, "smsgate: cannot read the %s: %s\n", what, sg_strerror(err));
    return err == SG_OK;
}

void sg_cli_print_json(json_t *j)
{
    char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
    if (text) {
        printf("%s\n", text);
        free(text);
    }
    json_decref(j);
}

void sg_cli_audit(sg_app *app, const char *action, const char *subject, const char *detail)
{
    sg_actor by = {"cli", "", sg_time_now_ms()};
    sg_error e = {0};
    sg_err err = sg_store_audit_add(app->store, &by, action, subject, detail, &e);
    if (err)
        sg_log(SG_LOG_WARN, "audit_write_failed", "action=%s subject=%.64s err=%s", action,
               subject ? subject : "", sg_strerror(err));
}
