/* Table-driven command-line options: every option of a command is one row with
 * its flag, its SMSGATE_* environment variable, its default and its help. Values
 * come from the flag, else the environment, else the default. Used by the CLI's
 * commands (cli/) and by the simulators (sim/, providers/KIND/sim*.c), which is why
 * it lives in util: both may depend on it.
 *
 * The parser knows flags ("--name VALUE", "--name=VALUE", "--flag" for a bool),
 * "--" (only positional arguments after it) and "-h"/"--help"; flags are spelled
 * out (no abbreviations) and may come between positional arguments. Checking what
 * a value means (a URL, a range) is the command's, after the parse. */
#ifndef SG_UTIL_OPTIONS_H
#define SG_UTIL_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

typedef enum sg_opt_type {
    SG_OPT_STR = 0, /* char[size] */
    SG_OPT_UINT,    /* unsigned, parsed strictly */
    SG_OPT_BOOL,    /* bool; a flag without value ("--demo"); env "1"/"true" */
    SG_OPT_DOUBLE,  /* double */
    SG_OPT_ARG,     /* const char *: the value itself (argv or the environment, which
                       outlive the parse; the default is the row's def) */
    SG_OPT_LIST,    /* sg_opt_list: every value given, in order (the flag may repeat) */
    SG_OPT_TEXT,    /* not an option: help is a paragraph that sg_opts_help prints
                       where the row stands (a heading of the options below it) */
} sg_opt_type;

#define SG_OPT_LIST_MAX 64

/* The values of a repeatable flag. */
typedef struct sg_opt_list {
    const char *items[SG_OPT_LIST_MAX];
    size_t n;
} sg_opt_list;

typedef struct sg_opt {
    const char *name; /* "listen" for --listen; "" for SG_OPT_TEXT */
    const char *env;  /* "SMSGATE_LISTEN" or NULL */
    const char *def;  /* default as text, or NULL for none */
    sg_opt_type type;
    size_t offset;       /* where the value goes in the settings struct */
    size_t size;         /* for SG_OPT_STR */
    const char *metavar; /* "HOST:PORT" */
    /* NULL: left out of sg_opts_help (the command lists it itself, or an alias). A
     * '\n' continues the text on the next line, under the first. */
    const char *help;
} sg_opt;

#define SG_OPT_END                                                                                 \
    {                                                                                              \
        NULL, NULL, NULL, 0, 0, 0, NULL, NULL                                                      \
    }
/* A heading (or any paragraph) between option rows in --help. */
#define SG_OPT_HEADING(text)                                                                       \
    {                                                                                              \
        "", NULL, NULL, SG_OPT_TEXT, 0, 0, NULL, text                                              \
    }

/* A number macro as the text of a default or a help line: SG_OPT_TEXT_OF(100) is "100". */
#define SG_OPT_TEXT_OF(x)  SG_OPT_TEXT_OF_(x)
#define SG_OPT_TEXT_OF_(x) #x

typedef struct sg_cmd_spec {
    const char *usage;   /* "smsgate send [options] BODY" */
    const char *summary; /* one paragraph shown by --help */
    const sg_opt *opts;
    size_t min_args, max_args; /* positional arguments allowed */
} sg_cmd_spec;

/* What the parse functions return besides 0. */
enum { SG_OPTS_HELP = -1, SG_OPTS_FAIL = 1, SG_OPTS_USAGE = 2 };

/* Parse argv (argv[0] is the command name) into dst. Positional arguments are
 * returned in args/n_args (pointers into argv; free(*args) after a 0 return).
 * Returns SG_OPTS_HELP after printing --help (exit 0), SG_OPTS_USAGE after
 * printing a usage error ("smsgate: ..." on one line), SG_OPTS_FAIL when out of
 * memory, 0 on success. */
int sg_opts_parse(const sg_cmd_spec *spec, void *dst, int argc, char **argv, char ***args,
                  size_t *n_args);

/* The same for a command that names itself in its errors: each is one line on
 * stderr, "CMD: what (try --help)" (cmd: "smsgate simulate twilio"). */
int sg_opts_parse_cmd(const char *cmd, const sg_cmd_spec *spec, void *dst, int argc, char **argv,
                      char ***args, size_t *n_args);

/* Print "CMD: what (try --help)" on stderr, for the command's own checks after a
 * parse; returns SG_OPTS_USAGE. */
int sg_opts_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The value of --name in argv (the last one given), read with spec's table so that
 * a value that looks like a flag ("--body --kind") is not taken for one (a flag the
 * table does not know is taken to have a value); NULL when absent, "" when it has
 * no value. For commands that pick their table by one flag. */
const char *sg_opts_peek(const sg_cmd_spec *spec, int argc, char **argv, const char *name);

/* The --help text of spec on stdout: usage, summary, then one line per option with
 * its default and environment variable, and the SG_OPT_TEXT paragraphs. */
void sg_opts_help(const sg_cmd_spec *spec);

#endif
