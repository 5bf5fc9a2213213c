/* The smsgate command line: one function per subcommand, each taking the argv that
 * starts at its own name and returning the exit code (0 ok, 1 failure, 2 usage). */
#ifndef SG_CLI_CLI_H
#define SG_CLI_CLI_H

#define SG_EXIT_OK    0
#define SG_EXIT_FAIL  1
#define SG_EXIT_USAGE 2

typedef struct sg_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
} sg_command;

int sg_cmd_serve(int argc, char **argv);
int sg_cmd_migrate(int argc, char **argv);
int sg_cmd_key(int argc, char **argv);
int sg_cmd_send(int argc, char **argv);
int sg_cmd_provider(int argc, char **argv);

#endif
