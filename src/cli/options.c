#include "cli/options.h"
#include "cli/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool set_value(const sg_opt *o, void *dst, const char *val, const char *source)
{
    char *field = (char *)dst + o->offset;
    char *end;
    switch (o->type) {
    case SG_OPT_STR:
        if (strlen(val) >= o->size) {
            fprintf(stderr, "smsgate: %s for --%s is too long (at most %zu characters)\n", source,
                    o->name, o->size - 1);
            return false;
        }
        snprintf(field, o->size, "%s", val);
        return true;
    case SG_OPT_UINT: {
        errno = 0;
        unsigned long v = strtoul(val, &end, 10);
        if (!*val || *end || errno || v > 0xffffffffUL || val[0] == '-') {
            fprintf(stderr, "smsgate: %s for --%s must be a whole number, not '%s'\n", source,
                    o->name, val);
            return false;
        }
        *(unsigned *)field = (unsigned)v;
        return true;
    }
    case SG_OPT_DOUBLE: {
        errno = 0;
        double v = strtod(val, &end);
        if (!*val || *end || errno) {
            fprintf(stderr, "smsgate: %s for --%s must be a number, not '%s'\n", source, o->name,
                    val);
            return false;
        }
        *(double *)field = v;
        return true;
    }
    case SG_OPT_BOOL:
        if (strcmp(val, "1") == 0 || strcmp(val, "true") == 0 || strcmp(val, "yes") == 0) {
            *(bool *)field = true;
        } else if (strcmp(val, "0") == 0 || strcmp(val, "false") == 0 || strcmp(val, "no") == 0 ||
                   !*val) {
            *(bool *)field = false;
        } else {
            fprintf(stderr, "smsgate: %s for --%s must be true or false, not '%s'\n", source,
                    o->name, val);
            return false;
        }
        return true;
    }
    return false;
}

void sg_opts_help(const sg_cmd_spec *spec)
{
    printf("usage: %s\n\n%s\n", spec->usage, spec->summary);
    if (!spec->opts || !spec->opts[0].name)
        return;
    printf("\noptions:\n");
    for (const sg_opt *o = spec->opts; o->name; o++) {
        if (!o->help)
            continue; /* the command lists it elsewhere in its help */
        char flag[64];
        if (o->type == SG_OPT_BOOL)
            snprintf(flag, sizeof flag, "--%s", o->name);
        else
            snprintf(flag, sizeof flag, "--%s %s", o->name, o->metavar ? o->metavar : "VALUE");
        printf("  %-28s %s", flag, o->help);
        if (o->def && *o->def && o->type != SG_OPT_BOOL)
            printf(" (default: %s)", o->def);
        if (o->env)
            printf(" [env %s]", o->env);
        printf("\n");
    }
    printf("  %-28s %s\n", "-h, --help", "show this help");
}

int sg_opts_parse(const sg_cmd_spec *spec, void *dst, int argc, char **argv, char ***args,
                  size_t *n_args)
{
    *args = NULL;
    *n_args = 0;
    for (const sg_opt *o = spec->opts; o && o->name; o++) {
        const char *env = o->env ? getenv(o->env) : NULL;
        if (env && *env) {
            char source[80];
            snprintf(source, sizeof source, "the value of %s", o->env);
            if (!set_value(o, dst, env, source))
                return SG_EXIT_USAGE;
        } else if (o->def) {
            if (!set_value(o, dst, o->def, "the default"))
                return SG_EXIT_USAGE;
        }
    }
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    if (!pos)
        return SG_EXIT_FAIL;
    size_t np = 0;
    bool only_args = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (only_args || a[0] != '-' || a[1] == '\0') {
            pos[np++] = argv[i];
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_args = true;
            continue;
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            sg_opts_help(spec);
            free(pos);
            return -1;
        }
        if (strncmp(a, "--", 2) != 0) {
            fprintf(stderr, "smsgate: unknown option '%s' (see '%s --help')\n", a, argv[0]);
            free(pos);
            return SG_EXIT_USAGE;
        }
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        size_t nl = eq ? (size_t)(eq - name) : strlen(name);
        const sg_opt *o = spec->opts;
        while (o && o->name && !(strlen(o->name) == nl && strncmp(o->name, name, nl) == 0))
            o++;
        if (!o || !o->name) {
            fprintf(stderr, "smsgate: unknown option '--%.*s' (see 'smsgate %s --help')\n", (int)nl,
                    name, argv[0]);
            free(pos);
            return SG_EXIT_USAGE;
        }
        const char *val;
        if (eq) {
            val = eq + 1;
        } else if (o->type == SG_OPT_BOOL) {
            val = "true";
        } else if (i + 1 < argc) {
            val = argv[++i];
        } else {
            fprintf(stderr, "smsgate: --%s needs a value (%s)\n", o->name,
                    o->metavar ? o->metavar : "VALUE");
            free(pos);
            return SG_EXIT_USAGE;
        }
        char source[80];
        snprintf(source, sizeof source, "the value");
        if (!set_value(o, dst, val, source)) {
            free(pos);
            return SG_EXIT_USAGE;
        }
    }
    if (np < spec->min_args || np > spec->max_args) {
        if (np < spec->min_args)
            fprintf(stderr, "smsgate: missing argument (usage: %s)\n", spec->usage);
        else
            fprintf(stderr, "smsgate: unexpected argument '%s' (usage: %s)\n", pos[spec->max_args],
                    spec->usage);
        free(pos);
        return SG_EXIT_USAGE;
    }
    *args = pos;
    *n_args = np;
    return 0;
}
