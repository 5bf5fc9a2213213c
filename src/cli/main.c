/* smsgate: entry point and subcommand table. */
#include "cli/cli.h"

#include "sim/simulate.h"
#include "util/crypto.h"

#include <stdio.h>
#include <string.h>

static const sg_command commands[] = {
    {"serve", "run the gateway: REST API and dispatcher", sg_cmd_serve},
    {"migrate", "create or upgrade the database schema", sg_cmd_migrate},
    {"key", "create API keys", sg_cmd_key},
    {"send", "queue a message", sg_cmd_send},
    {"provider", "add, list, show, edit, remove or test providers", sg_cmd_provider},
    {"simulate", "provider simulators on loopback (twilio, clickatell) and inject (an inbound webhook)",
     sg_simulate_main},
    {NULL, NULL, NULL},
};

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
