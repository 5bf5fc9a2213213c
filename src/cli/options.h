/* Table-driven command-line options: every option of a command is one row with
 * its flag, its SMSGATE_* environment variable, its default and its help. Values
 * come from the flag, else the environment, else the default. */
#ifndef SG_CLI_OPTIONS_H
#define SG_CLI_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

typedef enum sg_opt_type {
    SG_OPT_STR = 0, /* char[size] */
    SG_OPT_UINT,    /* unsigned, parsed strictly */
    SG_OPT_BOOL,    /* bool; a flag without value ("--demo"); env "1"/"true" */
    SG_OPT_DOUBLE,  /* double */
} sg_opt_type;

typedef struct sg_opt {
    const char *name; /* "listen" for --listen */
    const char *env;  /* "SMSGATE_LISTEN" or NULL */
    const char *def;  /* default as text, or NULL for none */
    sg_opt_type type;
    size_t offset;       /* where the value goes in the settings struct */
    size_t size;         /* for SG_OPT_STR */
    const char *metavar; /* "HOST:PORT" */
    const char *help; /* NULL: left out of sg_opts_help (the command lists it itself) */
} sg_opt;

#define SG_OPT_END                                                                                 \
    {                                                                                              \
        NULL, NULL, NULL, 0, 0, 0, NULL, NULL                                                      \
    }

typedef struct sg_cmd_spec {
    const char *usage;   /* "smsgate send [options] BODY" */
    const char *summary; /* one paragraph shown by --help */
    const sg_opt *opts;
    size_t min_args, max_args; /* positional arguments allowed */
} sg_cmd_spec;

/* Parse argv (argv[0] is the command name) into dst. Positional arguments are
 * returned in args/n_args (pointers into argv; free(*args) after a 0 return). Returns -1 after
 * printing --help (exit 0), 2 after printing a usage error, 0 on success. */
int sg_opts_parse(const sg_cmd_spec *spec, void *dst, int argc, char **argv, char ***args,
                  size_t *n_args);
void sg_opts_help(const sg_cmd_spec *spec);

#endif
