/* `smsgate simulate <name> ...`: the provider simulators, each registered by its
 * kind's table row (sg_provider_kind.sim, providers/provider.h), plus "inject",
 * a generic tool that posts one incoming message. Each parses its own flags and
 * serves until SIGINT/SIGTERM. */
#include "sim/simulate.h"

#include "providers/provider.h"
#include "providers/twilio/sim.h"

#include <stdio.h>
#include <string.h>

/* Exit codes as in simulate.h (cli/ is a higher layer, not included). */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

static const sg_kind_sim inject = {
    "inject", "send one incoming message (Twilio webhook, or --kind clickatell) to a URL",
    sg_sim_inject_main};

/* The i-th distinct simulator over the kinds table (kinds of one provider share
 * one), then inject; NULL past the end. */
static const sg_kind_sim *sim_at(size_t i)
{
    const sg_provider_kind *const *k = sg_provider_kinds();
    for (size_t n = 0; k[n]; n++) {
        bool seen = !k[n]->sim;
        for (size_t j = 0; j < n && !seen; j++)
            seen = k[j]->sim == k[n]->sim;
        if (!seen && i-- == 0)
            return k[n]->sim;
    }
    return i == 0 ? &inject : NULL;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: smsgate simulate <kind> [options]\n\n"
               "Runs a provider simulator on loopback: the provider's real paths, auth,\n"
               "answers and error codes, for trying smsgate without an account and for tests.\n\n"
               "kinds:\n");
    const sg_kind_sim *s;
    for (size_t i = 0; (s = sim_at(i)); i++)
        fprintf(f, "  %-10s %s\n", s->name, s->summary);
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
    const sg_kind_sim *s;
    for (size_t i = 0; (s = sim_at(i)); i++) {
        if (strcmp(argv[1], s->name) == 0)
            return s->main(argc - 1, argv + 1);
    }
    fprintf(stderr, "smsgate simulate: unknown kind '%s' (try 'smsgate simulate --help')\n",
            argv[1]);
    return EXIT_USAGE;
}
