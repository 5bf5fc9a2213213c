/* `smsgate simulate <kind> ...`: provider simulators on loopback. */
#ifndef SG_SIM_SIMULATE_H
#define SG_SIM_SIMULATE_H

/* argv[0] is "simulate"; argv[1] the kind ("twilio", "clickatell" or "inject"). Returns the process
 * exit code: 0 after a clean stop (SIGINT/SIGTERM), 1 on failure, 2 on a usage error. */
int sg_simulate_main(int argc, char **argv);

/* `smsgate simulate inject [--kind KIND] ...`: argv[0] is "inject". Runs the kind's
 * injector (sg_provider_kind.sim_inject), which sends one incoming-message webhook
 * and prints the answer; 0 on a 2xx answer, 1 otherwise, 2 on a usage error. */
int sg_sim_inject_main(int argc, char **argv);

#endif
