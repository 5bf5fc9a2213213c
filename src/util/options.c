/* The table-driven option parser (util/options.h). Errors come in two voices: the
 * CLI's ("smsgate: unknown option '--x' (see 'smsgate send --help')") and that of a
 * command which names itself ("smsgate simulate twilio: unknown option '--x' (try
 * --help)"); both are one line on stderr and SG_OPTS_USAGE. */
#include "util/options.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Who speaks in error lines: cmd NULL is the CLI. */
typedef struct voice {
    const char *cmd;
    const char *argv0;
} voice;

static void report(const char *cmd, const char *hint, const char *what)
{
    if (cmd)
        fprintf(stderr, "%s: %s (try --help)\n", cmd, what);
    else if (hint)
        fprintf(stderr, "smsgate: %s (%s)\n", what, hint);
    else
        fprintf(stderr, "smsgate: %s\n", what);
}

static int say(const voice *v, const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* One usage-error line: "smsgate: what (hint)" for the CLI (hint may be NULL),
 * "CMD: what (try --help)" for a named command. */
static int say(const voice *v, const char *hint, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    report(v->cmd, hint, what);
    return SG_OPTS_USAGE;
}

int sg_opts_usage_error(const char *cmd, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    report(cmd, NULL, what);
    return SG_OPTS_USAGE;
}

static bool set_uint(const voice *v, const sg_opt *o, char *field, const char *val,
                     const char *source)
{
    char *end;
    errno = 0;
    unsigned long n = strtoul(val, &end, 10);
    if (!*val || *end || errno || n > 0xffffffffUL || val[0] == '-') {
        say(v, NULL, "%s for --%s must be a whole number, not '%s'", source, o->name, val);
        return false;
    }
    *(unsigned *)field = (unsigned)n;
    return true;
}

static bool set_double(const voice *v, const sg_opt *o, char *field, const char *val,
                       const char *source)
{
    char *end;
    errno = 0;
    double d = strtod(val, &end);
    if (!*val || *end || errno) {
        say(v, NULL, "%s for --%s must be a number, not '%s'", source, o->name, val);
        return false;
    }
    *(double *)field = d;
    return true;
}

static bool set_bool(const voice *v, const sg_opt *o, char *field, const char *val,
                     const char *source)
{
    static const char *const yes[] = {"1", "true", "yes"};
    static const char *const no[] = {"0", "false", "no", ""};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (strcmp(val, yes[i]) == 0) {
            *(bool *)field = true;
            return true;
        }
    }
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        if (strcmp(val, no[i]) == 0) {
            *(bool *)field = false;
            return true;
        }
    }
    say(v, NULL, "%s for --%s must be true or false, not '%s'", source, o->name, val);
    return false;
}

static bool set_list(const voice *v, const sg_opt *o, char *field, const char *val)
{
    sg_opt_list *l = (sg_opt_list *)field;
    if (l->n == SG_OPT_LIST_MAX) {
        say(v, NULL, "--%s is given more than %d times (put the values in one, comma-separated)",
            o->name, SG_OPT_LIST_MAX);
        return false;
    }
    l->items[l->n++] = val;
    return true;
}

/* Store val (from source: "the value", "the default", "the value of ENV") into dst. */
static bool set_value(const voice *v, const sg_opt *o, void *dst, const char *val,
                      const char *source)
{
    char *field = (char *)dst + o->offset;
    switch (o->type) {
    case SG_OPT_STR:
        if (strlen(val) >= o->size) {
            say(v, NULL, "%s for --%s is too long (at most %zu characters)", source, o->name,
                o->size - 1);
            return false;
        }
        snprintf(field, o->size, "%s", val);
        return true;
    case SG_OPT_UINT:
        return set_uint(v, o, field, val, source);
    case SG_OPT_DOUBLE:
        return set_double(v, o, field, val, source);
    case SG_OPT_BOOL:
        return set_bool(v, o, field, val, source);
    case SG_OPT_ARG:
        *(const char **)field = val;
        return true;
    case SG_OPT_LIST:
        return set_list(v, o, field, val);
    case SG_OPT_TEXT:
        break;
    }
    return false;
}

/* ---- --help ------------------------------------------------------------------------ */

#define FLAG_WIDTH 28

/* The help text, each '\n' continued under the first line. */
static void print_help_text(const char *text)
{
    for (const char *p = text; *p; p++) {
        putchar(*p);
        if (*p == '\n')
            printf("%*s", FLAG_WIDTH + 3, "");
    }
}

/* The column where text ends when printed from column start (the last line's). */
static size_t end_column(size_t start, const char *text)
{
    const char *nl = strrchr(text, '\n');
    return nl ? FLAG_WIDTH + 3 + strlen(nl + 1) : start + strlen(text);
}

static void print_row(const sg_opt *o)
{
    char flag[64], suffix[160] = "";
    if (o->type == SG_OPT_BOOL)
        snprintf(flag, sizeof flag, "--%s", o->name);
    else
        snprintf(flag, sizeof flag, "--%s %s", o->name, o->metavar ? o->metavar : "VALUE");
    if (o->def && *o->def && o->type != SG_OPT_BOOL)
        snprintf(suffix, sizeof suffix, "(default: %s)", o->def);
    if (o->env)
        snprintf(suffix + strlen(suffix), sizeof suffix - strlen(suffix), "%s[env %s]",
                 suffix[0] ? " " : "", o->env);
    int width = printf("  %-*s ", FLAG_WIDTH, flag);
    print_help_text(o->help);
    /* The default and the variable go on a line of their own past column 79. */
    if (suffix[0] && end_column((size_t)width, o->help) + 1 + strlen(suffix) > 79)
        printf("\n%*s%s\n", FLAG_WIDTH + 3, "", suffix);
    else if (suffix[0])
        printf(" %s\n", suffix);
    else
        printf("\n");
}

static void print_help_row(void)
{
    printf("  %-*s %s\n", FLAG_WIDTH, "-h, --help", "show this help");
}

void sg_opts_help(const sg_cmd_spec *spec)
{
    printf("usage: %s\n\n%s\n", spec->usage, spec->summary);
    if (!spec->opts || !spec->opts[0].name)
        return;
    printf("\noptions:\n");
    bool help_row = false;
    for (const sg_opt *o = spec->opts; o->name; o++) {
        if (o->type == SG_OPT_TEXT) {
            if (!help_row)
                print_help_row(); /* the general options end at the first heading */
            help_row = true;
            printf("\n%s\n", o->help);
        } else if (o->help) {
            print_row(o); /* a row without help is listed by the command itself */
        }
    }
    if (!help_row)
        print_help_row();
}

/* ---- the parse --------------------------------------------------------------------- */

/* Defaults, then the environment (which wins). */
static int apply_defaults(const voice *v, const sg_opt *opts, void *dst)
{
    for (const sg_opt *o = opts; o && o->name; o++) {
        if (o->type == SG_OPT_TEXT || o->type == SG_OPT_LIST)
            continue;
        const char *env = o->env ? getenv(o->env) : NULL;
        if (env && *env) {
            char source[80];
            snprintf(source, sizeof source, "the value of %s", o->env);
            if (!set_value(v, o, dst, env, source))
                return SG_OPTS_USAGE;
        } else if (o->def) {
            if (!set_value(v, o, dst, o->def, "the default"))
                return SG_OPTS_USAGE;
        }
    }
    return 0;
}

/* The row of "--name" or "--name=value" (a points past the dashes), or NULL. */
static const sg_opt *find(const sg_opt *opts, const char *name, size_t len)
{
    for (const sg_opt *o = opts; o && o->name; o++) {
        if (o->type != SG_OPT_TEXT && strlen(o->name) == len && strncmp(o->name, name, len) == 0)
            return o;
    }
    return NULL;
}

/* One flag at argv[*i] (advanced past its value). */
static int parse_flag(const voice *v, const sg_cmd_spec *spec, void *dst, int argc, char **argv,
                      int *i)
{
    const char *a = argv[*i];
    char hint[160];
    snprintf(hint, sizeof hint, "see 'smsgate %s --help'", v->argv0);
    if (strncmp(a, "--", 2) != 0)
        return say(v, hint, "unknown option '%s'", a);
    const char *name = a + 2;
    const char *eq = strchr(name, '=');
    size_t nl = eq ? (size_t)(eq - name) : strlen(name);
    const sg_opt *o = find(spec->opts, name, nl);
    if (!o)
        return say(v, hint, "unknown option '--%.*s'", (int)nl, name);
    const char *val;
    if (eq)
        val = eq + 1;
    else if (o->type == SG_OPT_BOOL)
        val = "true";
    else if (*i + 1 < argc)
        val = argv[++*i];
    else if (v->cmd)
        return say(v, NULL, "--%s needs a value", o->name);
    else
        return say(v, o->metavar ? o->metavar : "VALUE", "--%s needs a value", o->name);
    return set_value(v, o, dst, val, "the value") ? 0 : SG_OPTS_USAGE;
}

static int check_count(const voice *v, const sg_cmd_spec *spec, char **pos, size_t np)
{
    if (np >= spec->min_args && np <= spec->max_args)
        return 0;
    char hint[512];
    snprintf(hint, sizeof hint, "usage: %s", spec->usage);
    if (np < spec->min_args)
        return say(v, hint, "missing argument");
    return say(v, hint, "unexpected argument '%s'", pos[spec->max_args]);
}

static int parse(const voice *v, const sg_cmd_spec *spec, void *dst, int argc, char **argv,
                 char ***args, size_t *n_args)
{
    *args = NULL;
    *n_args = 0;
    int rc = apply_defaults(v, spec->opts, dst);
    if (rc)
        return rc;
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    if (!pos)
        return SG_OPTS_FAIL;
    size_t np = 0;
    bool only_args = false;
    for (int i = 1; i < argc && !rc; i++) {
        const char *a = argv[i];
        if (only_args || a[0] != '-' || a[1] == '\0')
            pos[np++] = argv[i];
        else if (strcmp(a, "--") == 0)
            only_args = true;
        else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
            rc = SG_OPTS_HELP;
        else
            rc = parse_flag(v, spec, dst, argc, argv, &i);
    }
    if (rc == SG_OPTS_HELP)
        sg_opts_help(spec);
    if (!rc)
        rc = check_count(v, spec, pos, np);
    if (rc) {
        free(pos);
        return rc;
    }
    *args = pos;
    *n_args = np;
    return 0;
}

int sg_opts_parse(const sg_cmd_spec *spec, void *dst, int argc, char **argv, char ***args,
                  size_t *n_args)
{
    voice v = {NULL, argc > 0 ? argv[0] : ""};
    return parse(&v, spec, dst, argc, argv, args, n_args);
}

int sg_opts_parse_cmd(const char *cmd, const sg_cmd_spec *spec, void *dst, int argc, char **argv,
                      char ***args, size_t *n_args)
{
    voice v = {cmd, argc > 0 ? argv[0] : ""};
    return parse(&v, spec, dst, argc, argv, args, n_args);
}

const char *sg_opts_peek(const sg_cmd_spec *spec, int argc, char **argv, const char *name)
{
    const char *found = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0)
            break;
        if (strncmp(a, "--", 2) != 0)
            continue;
        const char *eq = strchr(a + 2, '=');
        size_t nl = eq ? (size_t)(eq - (a + 2)) : strlen(a + 2);
        const sg_opt *o = find(spec->opts, a + 2, nl);
        bool takes_value = !eq && (!o || o->type != SG_OPT_BOOL); /* unknown: as if it did */
        if (o && strcmp(o->name, name) == 0)
            found = eq ? eq + 1 : i + 1 < argc ? argv[i + 1] : "";
        if (takes_value)
            i++; /* its value, whatever it looks like */
    }
    return found;
}
