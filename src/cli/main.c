/* smsgate: entry point and subcommand table. */
#include "cli/cli.h"

#include "sim/simulate.h"
#include "util/crypto.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const sg_command commands[] = {
    {"serve", "run the gateway: REST API and dispatcher", sg_cmd_serve},
    {"migrate", "create or upgrade the database schema", sg_cmd_migrate},
    {"key", "create, list or revoke API keys", sg_cmd_key},
    {"app", "app accounts of the compatible endpoints (Twilio)", sg_cmd_app},
    {"send", "queue a message", sg_cmd_send},
    {"provider", "add, list, show, edit, remove or test providers", sg_cmd_provider},
    {"contact", "import (CSV), export, list, show contacts or a contact's timeline",
     sg_cmd_contact},
    {"group", "create, list, show, fill or delete groups of contacts", sg_cmd_group},
    {"segment", "saved contact filters: create, list, show, count, delete", sg_cmd_segment},
    {"template", "message templates: create, list, show, preview, delete", sg_cmd_template},
    {"broadcast", "send to a group or segment: create, list, show, pause, resume, cancel",
     sg_cmd_broadcast},
    {"stats", "delivery, reply and click figures by day, provider or broadcast", sg_cmd_stats},
    {"message", "list, show or cancel messages", sg_cmd_message},
    {"optout", "list, add or remove opted-out numbers", sg_cmd_optout},
    {"webhook", "app webhook subscriptions (through the API): list, create, show, remove",
     sg_cmd_webhook},
    {"keyword", "keyword rules for inbound messages: add, list, show, edit, remove",
     sg_cmd_keyword},
    {"journey", "journeys: create, list, show, edit, activate, pause, resume, archive, enroll, "
                "stats",
     sg_cmd_journey},
    {"user", "console users: create, list, remove, passwd", sg_cmd_user},
    {"audit", "the audit log: who changed what, when, from where", sg_cmd_audit},
    {"route", "routes between providers: add, list, show, edit, remove", sg_cmd_route},
    {"node", "the nodes sharing the database: list (alive, heartbeat, claims, sent)",
     sg_cmd_node},
    {"simulate",
     "provider simulators on loopback (twilio, clickatell) and inject (an inbound webhook)",
     sg_simulate_main},
    {NULL, NULL, NULL},
};

int sg_cli_usage_error(const char *command, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "smsgate: %s (see 'smsgate %s --help')\n", msg, command);
    return SG_EXIT_USAGE;
}

static void verbs_help(const char *command, const char *usage_line, const sg_command *verbs)
{
    printf("usage: %s\n\ncommands:\n", usage_line);
    for (size_t i = 0; verbs[i].name; i++)
        printf("  %-10s %s\n", verbs[i].name, verbs[i].summary);
    printf("\nRun 'smsgate %s <command> --help' for a command's options.\n", command);
}

int sg_cli_verbs(const char *usage_line, const sg_command *verbs, int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "smsgate: %s needs a command (usage: %s)\n", argv[0], usage_line);
        return SG_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        verbs_help(argv[0], usage_line, verbs);
        return SG_EXIT_OK;
    }
    const sg_command *v = verbs;
    while (v->name && strcmp(v->name, argv[1]) != 0)
        v++;
    if (!v->name) {
        fprintf(stderr, "smsgate: unknown %s command '%s' (usage: %s)\n", argv[0], argv[1],
                usage_line);
        return SG_EXIT_USAGE;
    }
    char name[64];
    snprintf(name, sizeof name, "%s %s", argv[0], v->name);
    char **sub = calloc((size_t)argc, sizeof *sub);
    if (!sub) {
        fprintf(stderr, "smsgate: out of memory\n");
        return SG_EXIT_FAIL;
    }
    sub[0] = name;
    for (int i = 2; i < argc; i++)
        sub[i - 1] = argv[i];
    int rc = v->run(argc - 1, sub);
    free(sub);
    return rc;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: smsgate <command> [options]\n\n"
               "smsgate is a self-hosted SMS gateway: a REST API, a queue, provider drivers\n"
               "and delivery tracking in one daemon.\n\ncommands:\n");
    for (size_t i = 0; commands[i].name; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nRun 'smsgate <command> --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return SG_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return SG_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("smsgate 0.1.0\n");
        return SG_EXIT_OK;
    }
    if (sg_crypto_init() != 0) {
        fprintf(stderr, "smsgate: cannot initialise libsodium\n");
        return SG_EXIT_FAIL;
    }
    for (size_t i = 0; commands[i].name; i++) {
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    }
    fprintf(stderr, "smsgate: unknown command '%s' (try 'smsgate --help')\n", argv[1]);
    return SG_EXIT_USAGE;
}
