/* The smsgate command line: one function per subcommand, each taking the argv that
 * starts at its own name and returning the exit code (0 ok, 1 failure, 2 usage). */
#ifndef SG_CLI_CLI_H
#define SG_CLI_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

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
int sg_cmd_route(int argc, char **argv);
int sg_cmd_node(int argc, char **argv);
int sg_cmd_send(int argc, char **argv);
int sg_cmd_provider(int argc, char **argv);
int sg_cmd_contact(int argc, char **argv);
int sg_cmd_group(int argc, char **argv);
int sg_cmd_segment(int argc, char **argv);
int sg_cmd_template(int argc, char **argv);
int sg_cmd_broadcast(int argc, char **argv);
int sg_cmd_stats(int argc, char **argv);
int sg_cmd_message(int argc, char **argv);
int sg_cmd_optout(int argc, char **argv);
int sg_cmd_webhook(int argc, char **argv);
int sg_cmd_keyword(int argc, char **argv);
int sg_cmd_journey(int argc, char **argv);
int sg_cmd_user(int argc, char **argv);
int sg_cmd_audit(int argc, char **argv);
int sg_cmd_app(int argc, char **argv);

/* Run the verb of a command made of verbs ("smsgate group create ..."): argv[0]
 * is the command's name, argv[1] the verb, looked up in verbs (ended by a NULL
 * name). The verb's run gets argv from the verb on, with argv[0] replaced by
 * "COMMAND VERB" so its --help and its errors name the whole command. A missing
 * or unknown verb is a usage error (one line on stderr, exit 2); "--help" lists
 * the verbs (exit 0). usage is the command's one-line synopsis. */
int sg_cli_verbs(const char *usage, const sg_command *verbs, int argc, char **argv);

struct sg_app;
struct sg_message;
/* Validate obj ({"to", "body", ...} as POST /v1/messages takes it; borrowed) and
 * store the message in app's store, waiting for the commit; a running `serve` on
 * the same database sends it. On success *m holds it (free with
 * sg_message_free) and 0 is returned; otherwise one line on stderr and
 * SG_EXIT_FAIL (a refused message is a failure, not a usage error). In
 * cmd_store.c. */
int sg_cli_queue_message(struct sg_app *app, json_t *obj, struct sg_message *m);

/* A usage error of command ("group create"): "smsgate: MESSAGE (see 'smsgate
 * COMMAND --help')" on stderr; returns SG_EXIT_USAGE. */
int sg_cli_usage_error(const char *command, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Exit codes of the commands that read or change the store: SG_EXIT_USAGE when
 * the command line itself is malformed (an unknown verb or flag, a missing or
 * extra argument, a required flag left out, flags that exclude each other, a
 * flag value of the wrong form); SG_EXIT_FAIL when the command is well formed
 * but what it names or carries is refused (no such group, a filter or template
 * that does not parse, a name taken, a state that forbids the change) or the
 * store fails. Either way one line on stderr says why. */

/* `provider prices set ID FILE|-` and `provider prices show ID [--json]`: args
 * are the words after "prices" (n of them). In cmd_prices.c. */
int sg_cli_provider_prices(struct sg_app *app, const char *const *args, size_t n, bool json);

/* ---- display and lookup helpers shared by the store commands ------------------------ */

struct sg_app;
struct sg_contact;
struct sg_stats;

/* A contact by id (ctc_...) or phone (E.164, or national in app->default_region)
 * into *out (free with sg_contact_free). On failure one line on stderr ("no
 * contact X") and the error. In cmd_contact.c. */
int sg_cli_contact_get(struct sg_app *app, const char *id_or_phone, struct sg_contact *out);
/* "label         value" on stdout, the label padded to SG_CLI_LABEL_WIDTH, the
 * lines of a multi-line value indented under its first. */
#define SG_CLI_LABEL_WIDTH 13
void sg_cli_field(const char *label, const char *value);
/* ms as RFC 3339 UTC into out (SG_TIME_STR_MAX bytes), or "-" for 0; returns out.
 * This and the ones below are in cmd_stats.c. */
const char *sg_cli_time(int64_t ms, char *out);

/* part / whole as a percentage with one decimal ("96.0%"), or "-" when whole is 0. */
void sg_cli_rate(int64_t part, int64_t whole, char out[16]);
/* Print on stdout the failures (failed and undelivered messages by error code) of
 * the row keyed key ("" for a total) with each code's description, under a
 * "failures by error code:" heading, or "failures by error code: none". */
void sg_cli_print_failures(const struct sg_stats *st, const char *key);

#endif
