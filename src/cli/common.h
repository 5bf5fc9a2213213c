/* Settings and helpers shared by the subcommands that open the store. */
#ifndef SG_CLI_COMMON_H
#define SG_CLI_COMMON_H

#include "api/app.h"
#include "cli/options.h"

#include <jansson.h>
#include <stddef.h>

/* Options every store-using command has; embed first in a command's settings. */
typedef struct sg_base_settings {
    char db[1024];
    char log_level[16];
    char public_url[256];
    char default_region[8];
} sg_base_settings;

#define SG_BASE_OPTS(type)                                                                         \
    {"db",                                                                                         \
     "SMSGATE_DB",                                                                                 \
     "./smsgate.db",                                                                               \
     SG_OPT_STR,                                                                                   \
     offsetof(type, base.db),                                                                      \
     sizeof(((type *)0)->base.db),                                                                 \
     "PATH",                                                                                       \
     "SQLite database file"},                                                                      \
        {"log-level",                                                                              \
         "SMSGATE_LOG_LEVEL",                                                                      \
         "info",                                                                                   \
         SG_OPT_STR,                                                                               \
         offsetof(type, base.log_level),                                                           \
         sizeof(((type *)0)->base.log_level),                                                      \
         "LEVEL",                                                                                  \
         "error, warn, info or debug"},                                                            \
        {"public-url",                                                                             \
         "SMSGATE_PUBLIC_URL",                                                                     \
         "",                                                                                       \
         SG_OPT_STR,                                                                               \
         offsetof(type, base.public_url),                                                          \
         sizeof(((type *)0)->base.public_url),                                                     \
         "URL",                                                                                    \
         "base URL providers use to reach smsgate's callbacks (default: http://LISTEN)"},          \
    {                                                                                              \
        "default-region", "SMSGATE_DEFAULT_REGION", "", SG_OPT_STR,                                \
            offsetof(type, base.default_region), sizeof(((type *)0)->base.default_region), "CC",   \
            "region for national numbers, e.g. GB or US"                                           \
    }

/* Check the base settings, set the log level and open the app, migrating its
 * schema. Only with create may the database be created where none exists
 * (serve, migrate, key create, provider add); without it a missing file is a
 * failure: "no database at PATH; pass --db or set SMSGATE_DB" (exit 1), and
 * nothing is created. Prints one line on stderr and returns an exit code on
 * failure, 0 on success. listen is used for the default public URL (may be NULL). */
int sg_cli_open(const sg_base_settings *b, const char *listen, bool create, sg_app *app);

/* Print JSON pretty to stdout (steals j). */
void sg_cli_print_json(json_t *j);

#endif
