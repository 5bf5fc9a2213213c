#include "sim/simulate.h"

#include <stdio.h>

/* Placeholder until the Twilio simulator lands. */
int sg_simulate_main(int argc, char **argv)
{
    fprintf(stderr, "smsgate simulate: not built yet\n");
    return 1;
}
