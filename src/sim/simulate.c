/* `smsgate simulate <kind> ...`: a table of provider simulators; each kind parses
 * its own flags and serves until SIGINT/SIGTERM. */
#include "sim/simulate.h"

#include "providers/clickatell/sim.h"
#include "providers/twilio/sim.h"

#include <stdio.h>
#include <string.h>

/* Exit codes as in simulate.h (cli/ is a higher layer, not included). */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

typedef struct sim_kind {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv); /* argv[0] is the kind */
} sim_kind;

static const sim_kind kinds[] = {
    {"twilio", "api.twilio.com's Messages API (2010-04-01), status callbacks", sg_twilio_sim_main},
    {"clickatell", "Clickatell's legacy HTTP and Platform APIs, delivery callbacks, replies",
     sg_ck_sim_main},
    {"inject", "send one incoming message (Twilio webhook, or --kind clickatell) to a URL",
     sg_sim_inject_main},
    {NULL, NULL, NULL},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: smsgate simulate <kind> [options]\n\n"
               "Runs a provider simulator on loopback: the provider's real paths, auth,\n"
               "answers and error codes, for trying smsgate without an account and for tests.\n\n"
               "kinds:\n");
    for (size_t i = 0; kinds[i].name; i++)
        fprintf(f, "  %-10s %s\n", kinds[i].name, kinds[i].summary);
    fprintf(f, "\nRun 'smsgate simulate <kind> --help' for a kind's options.\n");
}

int sg_simulate_main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return EXIT_OK;
    }
    for (size_t i = 0; kinds[i].name; i++) {
        if (strcmp(argv[1], kinds[i].name) == 0)
            return kinds[i].run(argc - 1, argv + 1);
    }
    fprintf(stderr, "smsgate simulate: unknown kind '%s' (try 'smsgate simulate --help')\n",
            argv[1]);
    return EXIT_USAGE;
}
