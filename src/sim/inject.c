/* `smsgate simulate inject [--kind KIND]`: one incoming-message webhook sent
 * straight to a URL, as the provider would when a phone texts your number. Each
 * kind's injector lives in its folder (providers/<kind>/sim_inject.c); this table
 * registers them by kind (a pointer: --kind is looked up in the kinds table), the
 * first being the default. The injectors are not in sg_provider_kind itself:
 * everything that links the kinds table (the fuzz targets) would then need the
 * simulators and libcurl. */
#include "sim/simulate.h"

#include "providers/clickatell/clickatell.h"
#include "providers/clickatell/sim.h"
#include "providers/provider.h"
#include "providers/twilio/sim.h"
#include "providers/twilio/twilio.h"
#include "util/buf.h"
#include "util/options.h"

#include <stdio.h>
#include <string.h>

/* Exit codes as in simulate.h (cli/ is a higher layer, not included). */
enum { EXIT_USAGE = 2 };

/* What inject reads before it hands argv to a kind's injector: --kind. The flags
 * without a value that an injector has are listed too, so that sg_opts_peek never
 * takes the word after one for its value ("--unsigned --kind x"); any other flag is
 * taken to have one, so "--body --kind" is a body. */
static const sg_opt peek_opts[] = {
    {"kind", NULL, NULL, SG_OPT_ARG, 0, 0, "KIND", "whose webhook"},
    {"unsigned", NULL, NULL, SG_OPT_BOOL, 0, 0, NULL, NULL},
    {"help", NULL, NULL, SG_OPT_BOOL, 0, 0, NULL, NULL},
    SG_OPT_END,
};
static const sg_cmd_spec peek_spec = {"smsgate simulate inject [--kind KIND] [options]", "",
                                      peek_opts, 0, 0};

typedef struct injector {
    const sg_provider_kind *kind;
    int (*run)(int argc, char **argv); /* argv as given to inject, --kind included */
} injector;

static const injector injectors[] = {
    {&sg_twilio_kind, sg_twilio_inject_main},
    {&sg_clickatell_kind, sg_ck_inject_main},
};
#define N_INJECTORS (sizeof injectors / sizeof injectors[0])

/* The injector of the kind named name (the default when name is NULL), or NULL. */
static const injector *find_injector(const char *name)
{
    const sg_provider_kind *k = name ? sg_provider_kind_find(name) : injectors[0].kind;
    for (size_t i = 0; k && i < N_INJECTORS; i++) {
        if (injectors[i].kind == k)
            return &injectors[i];
    }
    return NULL;
}

int sg_sim_inject_main(int argc, char **argv)
{
    const injector *in = find_injector(sg_opts_peek(&peek_spec, argc, argv, "kind"));
    if (in)
        return in->run(argc, argv);
    sg_buf names; /* "twilio or clickatell" */
    sg_buf_init(&names, 1024);
    for (size_t i = 0; i < N_INJECTORS; i++)
        sg_buf_printf(&names, "%s%s",
                      i == 0                 ? ""
                      : i + 1 == N_INJECTORS ? " or "
                                             : ", ",
                      injectors[i].kind->name);
    fprintf(stderr, "smsgate simulate inject: --kind must be %s (try --help)\n",
            sg_buf_cstr(&names));
    sg_buf_free(&names);
    return EXIT_USAGE;
}
