/* Settings and helpers shared by the subcommands that open the store. */
#ifndef SG_CLI_COMMON_H
#define SG_CLI_COMMON_H

#include "api/app.h"
#include "util/options.h"

#include <jansson.h>
#include <stddef.h>

/* Options every store-using command has; embed first in a command's settings. */
typedef struct sg_base_settings {
    char db[1024];
    char log_level[16];
    char public_url[256];
    char default_region[8];
    char master_key_file[1024];
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
    {"default-region",                                                                             \
     "SMSGATE_DEFAULT_REGION",                                                                     \
     "",                                                                                           \
     SG_OPT_STR,                                                                                   \
     offsetof(type, base.default_region),                                                          \
     sizeof(((type *)0)->base.default_region),                                                     \
     "CC",                                                                                         \
     "region for national numbers, e.g. GB or US"},                                                \
    {                                                                                              \
        "master-key-file", "SMSGATE_MASTER_KEY_FILE", "", SG_OPT_STR,                              \
            offsetof(type, base.master_key_file), sizeof(((type *)0)->base.master_key_file),       \
            "FILE",                                                                                \
            "the master key (64 hex digits), instead of SMSGATE_MASTER_KEY or DB.key beside a "    \
            "SQLite file"                                                                          \
    }

/* Check the base settings, set the log level and open the app, migrating its
 * schema. Only with create may the database be created where none exists
 * (serve, migrate, key create, provider add); without it a missing file is a
 * failure: "no database at PATH; pass --db or set SMSGATE_DB" (exit 1), and
 * nothing is created. Prints one line on stderr and returns an exit code on
 * failure, 0 on success. listen is used for the default public URL (may be NULL). */
int sg_cli_open(const sg_base_settings *b, const char *listen, bool create, sg_app *app);

/* The start of a command on one named thing (`message show ID`, `broadcast
 * cancel ID`, `key revoke ID`): parse argv by spec (exactly one positional
 * argument) into settings, whose first member is its sg_base_settings; copy the
 * argument into name (cap bytes; a longer one is cut, and then names nothing);
 * open the app without creating a database. Returns true with app open (close it
 * with sg_app_close); else false with *rc the exit code to return: SG_EXIT_OK
 * after --help, or that of a usage or open failure, which printed its line. */
bool sg_cli_open_one(const sg_cmd_spec *spec, void *settings, int argc, char **argv, char *name,
                     size_t cap, sg_app *app, int *rc);

/* Whether a read of the <what> named name found it (err == SG_OK). Otherwise
 * prints one line on stderr: "smsgate: no <what> <name>" for SG_ERR_NOT_FOUND,
 * "smsgate: cannot read the <what>: <reason>" for any other error. */
bool sg_cli_found(sg_err err, const char *what, const char *name);

/* Print JSON pretty to stdout (steals j). */
void sg_cli_print_json(json_t *j);

/* Add an audit entry for a change the CLI made to admin state (providers, keys,
 * opt-outs; users are audited by the store): actor "cli", no source address (as
 * docs/users.md says). detail: JSON text or NULL, never a secret. A failure to
 * write it is logged, not fatal: the change is already made. */
void sg_cli_audit(sg_app *app, const char *action, const char *subject, const char *detail);

#endif
