/* smsgate serve: the daemon (HTTP API + dispatcher), and `--demo`. */
#include "api/auth.h"
#include "api/handlers.h"
#include "api/hooks.h"
#include "api/provider_admin.h"
#include "api/pwpool.h"
#include "api/users.h"
#include "util/password.h"
#include "api/send_wait.h"
#include "api/retention.h"
#include "api/send_limits.h"
#include "core/country_set.h"
#include "cli/cli.h"
#include "cli/common.h"
#include "cli/outbound.h"
#include "audience/broadcaster.h"
#include "audience/journeys.h"
#include "dispatch/dispatcher.h"
#include "dispatch/nodes.h"
#include "dispatch/webhooks.h"
#include "compat/twilio_callbacks.h"
#include "core/cidr.h"
#include "core/keywords.h"
#include "http/server.h"
#include "providers/twilio/sim.h"
#include "util/log.h"
#include "util/time.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct serve_settings {
    sg_base_settings base;
    char listen[128];
    unsigned threads;
    unsigned max_connections;
    unsigned timeout_s;
    unsigned max_body;
    unsigned max_in_flight;
    unsigned batch;
    unsigned lease_s;
    unsigned connect_timeout_ms;
    unsigned request_timeout_ms;
    unsigned poll_ms;
    unsigned retry_base_ms;
    unsigned retry_cap_ms;
    unsigned max_attempts;
    unsigned shutdown_s;
    char reply_stop[320];
    char reply_start[320];
    char reply_help[320];
    char kw_opt_out[400], kw_opt_in[400], kw_help[400];
    unsigned webhook_retry_base_ms;
    unsigned webhook_max_age_s;
    unsigned broadcast_tick_ms;
    char allowed_countries[200];
    unsigned retain_bodies_days;
    unsigned retain_bodies_seconds;
    unsigned retention_tick_ms;
    bool demo;
    char outbound_allow[1024];
    unsigned max_conn_per_ip;
    unsigned header_timeout_s;
    char trusted_proxy[1024];
    unsigned unauth_budget;
    unsigned session_idle_s;
    unsigned session_max_s;
    unsigned password_workers;
    unsigned password_queue;
    unsigned breaker_failures, breaker_rate, breaker_min, breaker_window_ms, breaker_cooldown_ms,
        breaker_probes, breaker_successes;
    char node_id[SG_NODE_ID_MAX];
    unsigned node_timeout_s;
    char db_listen[1024]; /* PostgreSQL: a direct URL for LISTEN ("" = --db) */
    unsigned db_wait;     /* PostgreSQL: seconds to wait at start for the server */
} serve_settings;

#define S serve_settings
static const sg_opt serve_opts[] = {
    SG_BASE_OPTS(S),
    {"listen", "SMSGATE_LISTEN", "127.0.0.1:8080", SG_OPT_STR, offsetof(S, listen),
     sizeof(((S *)0)->listen), "HOST:PORT", "address of the HTTP API"},
    {"threads", "SMSGATE_THREADS", "2", SG_OPT_UINT, offsetof(S, threads), 0, "N",
     "HTTP worker threads"},
    {"max-connections", "SMSGATE_MAX_CONNECTIONS", "1024", SG_OPT_UINT,
     offsetof(S, max_connections), 0, "N", "concurrent HTTP connections"},
    {"http-timeout", "SMSGATE_HTTP_TIMEOUT", "30", SG_OPT_UINT, offsetof(S, timeout_s), 0, "SECS",
     "idle HTTP connection timeout"},
    {"max-body", "SMSGATE_MAX_BODY", "1048576", SG_OPT_UINT, offsetof(S, max_body), 0, "BYTES",
     "largest request body; larger ones get 413 (the streamed contact import excepted)"},
    {"max-in-flight", "SMSGATE_MAX_IN_FLIGHT", "256", SG_OPT_UINT, offsetof(S, max_in_flight), 0,
     "N", "provider requests in flight at once"},
    {"batch", "SMSGATE_BATCH", "512", SG_OPT_UINT, offsetof(S, batch), 0, "N",
     "messages claimed per store round trip"},
    {"lease", "SMSGATE_LEASE", "60", SG_OPT_UINT, offsetof(S, lease_s), 0, "SECS",
     "a claimed message is claimed again after this if its sender died"},
    {"connect-timeout-ms", "SMSGATE_CONNECT_TIMEOUT_MS", "5000", SG_OPT_UINT,
     offsetof(S, connect_timeout_ms), 0, "MS", "connecting to a provider"},
    {"request-timeout-ms", "SMSGATE_REQUEST_TIMEOUT_MS", "30000", SG_OPT_UINT,
     offsetof(S, request_timeout_ms), 0, "MS", "a whole provider request"},
    {"poll-ms", "SMSGATE_POLL_MS", "200", SG_OPT_UINT, offsetof(S, poll_ms), 0, "MS",
     "look for due (scheduled, retried) messages at least this often"},
    {"retry-base-ms", "SMSGATE_RETRY_BASE_MS", "2000", SG_OPT_UINT, offsetof(S, retry_base_ms), 0,
     "MS", "delay before the first retry (doubles each time, with jitter)"},
    {"retry-cap-ms", "SMSGATE_RETRY_CAP_MS", "300000", SG_OPT_UINT, offsetof(S, retry_cap_ms), 0,
     "MS",
     "longest delay between retries (a failed send is retried for its provider's "
     "retry_for_seconds, 24 h by default)"},
    {"max-attempts", "SMSGATE_MAX_ATTEMPTS", "0", SG_OPT_UINT, offsetof(S, max_attempts), 0, "N",
     "also give up after N attempts (0: no cap, only the retry time budget)"},
    {"shutdown-timeout", "SMSGATE_SHUTDOWN_TIMEOUT", "10", SG_OPT_UINT, offsetof(S, shutdown_s), 0,
     "SECS", "how long SIGTERM waits for requests in flight"},
    {"reply-stop", "SMSGATE_REPLY_STOP", "", SG_OPT_STR, offsetof(S, reply_stop),
     sizeof(((S *)0)->reply_stop), "TEXT",
     "reply to STOP and the other opt-out keywords ('-' for none; default: a built-in text)"},
    {"reply-start", "SMSGATE_REPLY_START", "", SG_OPT_STR, offsetof(S, reply_start),
     sizeof(((S *)0)->reply_start), "TEXT", "reply to START, UNSTOP, YES ('-' for none)"},
    {"reply-help", "SMSGATE_REPLY_HELP", "", SG_OPT_STR, offsetof(S, reply_help),
     sizeof(((S *)0)->reply_help), "TEXT", "reply to HELP, INFO ('-' for none)"},
    {"opt-out-keywords", "SMSGATE_OPT_OUT_KEYWORDS", "", SG_OPT_STR, offsetof(S, kw_opt_out),
     sizeof(((S *)0)->kw_opt_out), "WORDS",
     "more opt-out keywords, comma-separated (ARRET,BAJA); STOP and the defaults stay"},
    {"opt-in-keywords", "SMSGATE_OPT_IN_KEYWORDS", "", SG_OPT_STR, offsetof(S, kw_opt_in),
     sizeof(((S *)0)->kw_opt_in), "WORDS", "more opt-in keywords (START, UNSTOP, YES stay)"},
    {"help-keywords", "SMSGATE_HELP_KEYWORDS", "", SG_OPT_STR, offsetof(S, kw_help),
     sizeof(((S *)0)->kw_help), "WORDS", "more help keywords (HELP, INFO stay)"},
    {"webhook-retry-base-ms", "SMSGATE_WEBHOOK_RETRY_BASE_MS", "10000", SG_OPT_UINT,
     offsetof(S, webhook_retry_base_ms), 0, "MS",
     "delay before an app webhook's first retry (doubles each time, with jitter, up to 1 h)"},
    {"webhook-max-age", "SMSGATE_WEBHOOK_MAX_AGE", "86400", SG_OPT_UINT,
     offsetof(S, webhook_max_age_s), 0, "SECS",
     "an app webhook delivery still failing this long after its event is marked dead"},
    {"broadcast-tick-ms", "SMSGATE_BROADCAST_TICK_MS", "200", SG_OPT_UINT,
     offsetof(S, broadcast_tick_ms), 0, "MS",
     "how often the scheduler starts due broadcasts and queues their next recipients"},
    {"allowed-countries", "SMSGATE_ALLOWED_COUNTRIES", "", SG_OPT_STR,
     offsetof(S, allowed_countries), sizeof(((S *)0)->allowed_countries), "CC,CC",
     "destination countries API sends may reach, e.g. GB,IE (default: all)"},
    {"retain-bodies-days", "SMSGATE_RETAIN_BODIES_DAYS", "0", SG_OPT_UINT,
     offsetof(S, retain_bodies_days), 0, "DAYS",
     "blank message bodies older than this (status, times, codes kept); 0 keeps them"},
    {"retain-bodies-seconds", "SMSGATE_RETAIN_BODIES_SECONDS", "0", SG_OPT_UINT,
     offsetof(S, retain_bodies_seconds), 0, "SECS",
     "the same in seconds, for tests (wins over --retain-bodies-days)"},
    {"retention-tick-ms", "SMSGATE_RETENTION_TICK_MS", "60000", SG_OPT_UINT,
     offsetof(S, retention_tick_ms), 0, "MS", "pause between steps of the body purge"},
    {"demo", NULL, NULL, SG_OPT_BOOL, offsetof(S, demo), 0, NULL,
     "start a Twilio simulator, register it as the default provider, create an admin key and "
     "print commands to try"},
    {"outbound-allow", "SMSGATE_OUTBOUND_ALLOW", "", SG_OPT_STR, offsetof(S, outbound_allow),
     sizeof(((S *)0)->outbound_allow), "CIDR[,CIDR...]",
     "loopback or private networks app webhooks may reach (refused by default; --demo: "
     "loopback)"},
    {"max-conn-per-ip", "SMSGATE_MAX_CONN_PER_IP", "256", SG_OPT_UINT,
     offsetof(S, max_conn_per_ip), 0, "N",
     "open HTTP connections per client address (0: no limit; trusted proxies are exempt)"},
    {"header-timeout", "SMSGATE_HEADER_TIMEOUT", "10", SG_OPT_UINT, offsetof(S, header_timeout_s),
     0, "SECS", "a request's headers must be in this long after its connection opened or the "
     "previous answer went (0: no deadline)"},
    {"trusted-proxy", "SMSGATE_TRUSTED_PROXY", "", SG_OPT_STR, offsetof(S, trusted_proxy),
     sizeof(((S *)0)->trusted_proxy), "CIDR[,CIDR...]",
     "reverse proxies whose X-Forwarded-For names the client (for logs and callback "
     "allow-lists)"},
    {"unauth-budget", "SMSGATE_UNAUTH_BUDGET", "16777216", SG_OPT_UINT, offsetof(S, unauth_budget),
     0, "BYTES", "memory all bodies of not yet authenticated requests (provider callbacks) may "
     "hold at once; beyond it they get 503"},
    {"session-idle", "SMSGATE_SESSION_IDLE", "1800", SG_OPT_UINT, offsetof(S, session_idle_s), 0,
     "SECS", "a console session not used for this long ends (each use restarts the clock)"},
    {"session-max", "SMSGATE_SESSION_MAX", "43200", SG_OPT_UINT, offsetof(S, session_max_s), 0,
     "SECS", "a console session ends this long after sign-in however much it is used"},
    {"password-workers", "SMSGATE_PASSWORD_WORKERS", "2", SG_OPT_UINT,
     offsetof(S, password_workers), 0, "N",
     "threads that hash and check passwords (1-8; 64 MiB each while they work)"},
    {"password-queue", "SMSGATE_PASSWORD_QUEUE", "32", SG_OPT_UINT, offsetof(S, password_queue),
     0, "N", "sign-ins and password changes that may wait for a worker; beyond it they get 503"},
    SG_OPT_HEADING("Circuit breakers (one per provider, on this node; docs/routing.md):"),
    {"breaker-failures", "SMSGATE_BREAKER_FAILURES", "5", SG_OPT_UINT,
     offsetof(S, breaker_failures), 0, "N",
     "open a provider's breaker after N provider or retry failures in a row (0: off)"},
    {"breaker-error-rate", "SMSGATE_BREAKER_ERROR_RATE", "50", SG_OPT_UINT,
     offsetof(S, breaker_rate), 0, "PCT",
     "...or when PCT % of the sends in the window failed (0: off)"},
    {"breaker-min-requests", "SMSGATE_BREAKER_MIN_REQUESTS", "20", SG_OPT_UINT,
     offsetof(S, breaker_min), 0, "N", "...with at least N sends in the window"},
    {"breaker-window-ms", "SMSGATE_BREAKER_WINDOW_MS", "60000", SG_OPT_UINT,
     offsetof(S, breaker_window_ms), 0, "MS", "the error rate's window"},
    {"breaker-cooldown-ms", "SMSGATE_BREAKER_COOLDOWN_MS", "30000", SG_OPT_UINT,
     offsetof(S, breaker_cooldown_ms), 0, "MS",
     "an open breaker lets no send through for this long, then half-opens"},
    {"breaker-probes", "SMSGATE_BREAKER_PROBES", "1", SG_OPT_UINT, offsetof(S, breaker_probes), 0,
     "N", "sends at once through a half-open breaker"},
    {"breaker-successes", "SMSGATE_BREAKER_SUCCESSES", "2", SG_OPT_UINT,
     offsetof(S, breaker_successes), 0, "N", "successful probes that close a half-open breaker"},
    SG_OPT_HEADING("Nodes (several serve on one PostgreSQL database; docs/postgresql.md):"),
    {"node-id", "SMSGATE_NODE_ID", "", SG_OPT_STR, offsetof(S, node_id),
     sizeof(((S *)0)->node_id), "ID",
     "this node's stable id (letters, digits, . _ : -; default: host name and --listen); a "
     "restart with the same id takes back its claims at once"},
    {"node-timeout", "SMSGATE_NODE_TIMEOUT", "10", SG_OPT_UINT, offsetof(S, node_timeout_s), 0,
     "SECS", "a node whose heartbeat (every 2 s) is older is dead: live nodes take its claims"},
    {"db-listen", "SMSGATE_DB_LISTEN", "", SG_OPT_STR, offsetof(S, db_listen),
     sizeof(((S *)0)->db_listen), "URL",
     "PostgreSQL: a direct connection for LISTEN when --db goes through PgBouncer "
     "(default: --db)"},
    {"db-wait", "SMSGATE_DB_WAIT", "10", SG_OPT_UINT, offsetof(S, db_wait), 0, "SECONDS",
     "PostgreSQL: at start, keep trying this long while the server does not answer"},
    SG_OPT_END,
};
#undef S

#define MAX_TRUSTED_PROXIES 32

static const sg_cmd_spec serve_spec = {
    "smsgate serve [options]",
    "Run the gateway: the REST API on --listen and the dispatcher that sends queued messages\n"
    "through the providers. Migrates the database first. SIGINT or SIGTERM stop it cleanly:\n"
    "no new requests, requests and sends in flight finish, exit 0.",
    serve_opts, 0, 0};

/* ---- demo ---------------------------------------------------------------------- */

/* The simulator's own defaults, so that the docs' examples (simulate inject
 * --auth-token simulator-auth-token) work against the demo as written. */
#define DEMO_ACCOUNT_SID SG_TWILIO_SIM_DEFAULT_ACCOUNT_SID
#define DEMO_AUTH_TOKEN  SG_TWILIO_SIM_DEFAULT_AUTH_TOKEN
#define DEMO_FROM        "+15005550006"

/* Start `smsgate simulate twilio` as a child on a free loopback port; read the
 * port from its first line. */
/* sg_store_due_listen's callback: messages another process committed are due. */
static void wake_dispatcher(void *arg)
{
    sg_dispatcher_wake(arg);
}

static pid_t start_simulator(char *url, size_t urlcap)
{
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        char self[4096];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n <= 0)
            _exit(127);
        self[n] = '\0';
        execl(self, "smsgate", "simulate", "twilio", "--listen", "127.0.0.1:0", "--account-sid",
              DEMO_ACCOUNT_SID, "--auth-token", DEMO_AUTH_TOKEN, "--log-level", "warn",
              (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    char line[256];
    size_t len = 0;
    while (len < sizeof line - 1) {
        ssize_t n = read(fds[0], line + len, 1);
        if (n <= 0 || line[len] == '\n')
            break;
        len++;
    }
    line[len] = '\0';
    close(fds[0]);
    const char *prefix = "listening ";
    if (strncmp(line, prefix, strlen(prefix)) != 0) {
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
        return -1;
    }
    snprintf(url, urlcap, "%s", line + strlen(prefix));
    return pid;
}

#define DEMO_EMAIL          "admin@example.com"
#define DEMO_PASSWORD_BYTES 10

/* The demo's console admin, DEMO_EMAIL, with a new random password (shown once,
 * in the banner) at every start. */
static sg_err demo_user(sg_app *app, char password[DEMO_PASSWORD_BYTES * 2 + 1])
{
    sg_random_hex(password, DEMO_PASSWORD_BYTES);
    sg_error e = {0};
    sg_user u;
    sg_actor by = {"cli", "", sg_time_now_ms()};
    sg_err err = sg_store_user_get(app->store, DEMO_EMAIL, &u);
    if (err == SG_ERR_NOT_FOUND) {
        err = sg_user_prepare(DEMO_EMAIL, "admin", password, strlen(password), by.at, &u, &e);
        if (!err)
            err = sg_store_user_insert(app->store, &u, &by, &e);
    } else if (!err) {
        char hash[SG_PWHASH_MAX];
        err = sg_password_hash(password, strlen(password), hash);
        sg_user_change ch = {"admin", hash};
        if (!err)
            err = sg_store_user_update(app->store, u.id, &ch, &by, NULL, &e);
    }
    if (err)
        fprintf(stderr, "smsgate: demo: cannot create the console user: %s\n",
                e.message[0] ? e.message : sg_strerror(err));
    return err;
}

/* Register the simulator (again, on a later start), create an admin key and print
 * what to try: the key, the database path for later CLI commands and the
 * simulator's credentials for `simulate inject`. */
static int demo_setup(sg_app *app, const char *sim_url, const char *api_url, const char *db)
{
    json_t *config =
        json_pack("{s:s, s:s, s:[s], s:s, s:i}", "account_sid", DEMO_ACCOUNT_SID, "auth_token",
                  DEMO_AUTH_TOKEN, "from", DEMO_FROM, "base_url", sim_url, "mps", 1000);
    json_t *view = NULL;
    sg_reject rej;
    bool ok;
    json_t *probe = NULL;
    if (sg_provider_admin_show(app, "twilio-sim", &probe, &rej)) {
        json_decref(probe);
        json_t *patch = json_pack("{s:o, s:b, s:b}", "config", config, "active", 1, "default", 1);
        ok = sg_provider_admin_update(app, "twilio-sim", patch, &view, &rej);
        json_decref(patch);
    } else {
        json_t *in = json_pack("{s:s, s:s, s:s, s:b, s:o}", "name", "twilio-sim", "kind", "twilio",
                               "title", "Twilio simulator (demo)", "default", 1, "config", config);
        ok = sg_provider_admin_create(app, in, &view, &rej);
        json_decref(in);
    }
    char inbound[512] = "";
    const char *in_url =
        json_string_value(json_object_get(json_object_get(view, "callback_urls"), "inbound"));
    snprintf(inbound, sizeof inbound, "%s", in_url ? in_url : "");
    json_decref(view);
    if (!ok) {
        fprintf(stderr, "smsgate: demo: cannot register the simulator: %s\n", rej.detail);
        return SG_EXIT_FAIL;
    }
    char self[1024] = "smsgate";
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 7] = '\0';
    char db_abs[PATH_MAX];
    if (realpath(db, db_abs))
        db = db_abs;
    char key[SG_KEY_TEXT_MAX];
    sg_api_key row;
    sg_error e = {0};
    if (sg_key_create(app->store, SG_ROLE_ADMIN, "demo", key, &row, &e) != SG_OK) {
        fprintf(stderr, "smsgate: demo: cannot create an API key: %s\n", e.message);
        return SG_EXIT_FAIL;
    }
    char password[DEMO_PASSWORD_BYTES * 2 + 1];
    if (demo_user(app, password) != SG_OK)
        return SG_EXIT_FAIL;
    printf("\n"
           "smsgate demo is running\n"
           "  console     %s/console/\n"
           "  sign in     " DEMO_EMAIL " / %s\n"
           "  API         %s\n"
           "  database    %s\n"
           "  provider    twilio-sim: a Twilio simulator on %s\n"
           "  simulator   account %s, auth token %s\n"
           "  admin key   %s\n"
           "\n"
           "Try it (in another terminal):\n"
           "\n"
           "  export SMSGATE_KEY=%s SMSGATE_DB=%s\n"
           "\n"
           "  # 1. send a message\n"
           "  curl -s -X POST %s/v1/messages -H \"Authorization: Bearer $SMSGATE_KEY\" \\\n"
           "       -H 'Content-Type: application/json' \\\n"
           "       -d '{\"to\": \"+447400123456\", \"body\": \"Hello from smsgate\"}'\n"
           "\n"
           "  # 2. read its status and events (the newest message)\n"
           "  curl -s '%s/v1/messages?limit=1' -H \"Authorization: Bearer $SMSGATE_KEY\"\n"
           "\n"
           "  # 3. the same message by id (paste the id printed by 1.)\n"
           "  curl -s %s/v1/messages/MSG_ID -H \"Authorization: Bearer $SMSGATE_KEY\"\n"
           "\n"
           "  # 4. the CLI on the demo's database (SMSGATE_DB above, or --db %s)\n"
           "  %s provider test twilio-sim --to +447400123456\n"
           "  %s message list\n"
           "\n"
           "  # 5. a reply STOP from the recipient, posted as Twilio would\n"
           "  %s simulate inject --to-url %s \\\n"
           "       --from +447400123456 --to %s --body STOP --auth-token %s\n"
           "\n"
           "Press Ctrl-C to stop smsgate and the simulator.\n\n",
           api_url, password, api_url, db, sim_url, DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, key, key,
           db, api_url, api_url, api_url, db, self, self, self, inbound, DEMO_FROM,
           DEMO_AUTH_TOKEN);
    fflush(stdout);
    return 0;
}

/* ---- serve --------------------------------------------------------------------- */

/* Become the database's one dispatcher (a second serve on the same file is
 * refused), then take back at once what a previous run held when it stopped: those
 * messages are looked up at their provider and sent now, not when their lease
 * runs out. */
/* The deployment's extra opt-out, opt-in and help words into x; a usage error
 * (one line on stderr) for a word that cannot be a keyword. */
static int keyword_lists(const serve_settings *st, sg_keyword_extra *x)
{
    static const struct {
        const char *flag;
        size_t off;
        sg_keyword_kind kind;
    } lists[] = {
        {"--opt-out-keywords", offsetof(serve_settings, kw_opt_out), SG_KEYWORD_OPT_OUT},
        {"--opt-in-keywords", offsetof(serve_settings, kw_opt_in), SG_KEYWORD_OPT_IN},
        {"--help-keywords", offsetof(serve_settings, kw_help), SG_KEYWORD_HELP},
    };
    for (size_t i = 0; i < sizeof lists / sizeof *lists; i++) {
        char why[160];
        if (!sg_keyword_extra_add(x, lists[i].kind, (const char *)st + lists[i].off, why,
                                  sizeof why)) {
            fprintf(stderr, "smsgate: %s: %s\n", lists[i].flag, why);
            return SG_EXIT_USAGE;
        }
    }
    return 0;
}

/* Register as node app->node_id (listen: its API address) with a new start
 * id, then become a dispatcher: claims made from now on record the node and the
 * start, and those of this node's earlier start are taken back. */
static int become_dispatcher(sg_app *app, const char *listen)
{
    sg_error e = {0};
    size_t n = 0;
    char start_id[SG_NODE_START_MAX];
    sg_node_start_id(start_id);
    if (sg_store_dispatch_lock(app->store, &e) != SG_OK ||
        sg_store_node_register(app->store, app->node_id, start_id, listen, sg_time_now_ms(),
                               &e) != SG_OK ||
        sg_store_claims_recover(app->store, sg_time_now_ms(), &n, &e) != SG_OK) {
        fprintf(stderr, "smsgate: %s\n", e.message);
        return SG_EXIT_FAIL;
    }
    sg_log(SG_LOG_INFO, "node", "id=%s start=%s", app->node_id, start_id);
    if (n)
        sg_log(SG_LOG_INFO, "claims_recovered",
               "count=%zu detail=\"held when smsgate last stopped; looked up, then sent\"", n);
    return 0;
}

/* This node's id into out: --node-id, else the host name and --listen. A
 * usage error (one line on stderr) for an id that cannot be one, or a
 * --node-timeout not above two heartbeat periods. */
static int node_identity(const serve_settings *st, char out[SG_NODE_ID_MAX])
{
    if ((uint64_t)st->node_timeout_s * 1000 <= 2 * SG_NODE_BEAT_MS) {
        fprintf(stderr,
                "smsgate: --node-timeout must be at least %d seconds (a heartbeat goes every "
                "%d s)\n",
                2 * SG_NODE_BEAT_MS / 1000 + 1, SG_NODE_BEAT_MS / 1000);
        return SG_EXIT_USAGE;
    }
    if (st->node_id[0]) {
        if (!sg_node_id_valid(st->node_id)) {
            fprintf(stderr, "smsgate: --node-id: 1-63 letters, digits, '.', '_', ':' or '-'\n");
            return SG_EXIT_USAGE;
        }
        snprintf(out, SG_NODE_ID_MAX, "%s", st->node_id);
        return 0;
    }
    char host[256] = "";
    if (gethostname(host, sizeof host - 1) != 0)
        host[0] = '\0';
    sg_node_id_default(out, host, st->listen);
    return 0;
}

int sg_cmd_serve(int argc, char **argv)
{
    serve_settings st = {0};
    char **args;
    size_t nargs;
    int rc = sg_opts_parse(&serve_spec, &st, argc, argv, &args, &nargs);
    if (rc)
        return rc < 0 ? SG_EXIT_OK : rc;
    free(args);
    if (st.threads == 0 || st.threads > 64 || st.max_in_flight == 0 || st.batch == 0 ||
        st.lease_s == 0 || st.max_body < 1024) {
        fprintf(stderr, "smsgate: --threads (1-64), --max-in-flight, --batch and --lease must be "
                        "positive, --max-body at least 1024\n");
        return SG_EXIT_USAGE;
    }
    sg_country_set allowed;
    char bad_country[16];
    if (!sg_country_set_parse(st.allowed_countries, &allowed, bad_country)) {
        fprintf(stderr,
                "smsgate: --allowed-countries: '%s' is not a two-letter region such as GB "
                "(comma-separated, at most %d)\n",
                bad_country, SG_COUNTRY_SET_MAX);
        return SG_EXIT_USAGE;
    }
    if (st.webhook_retry_base_ms == 0 || st.webhook_max_age_s == 0) {
        fprintf(stderr, "smsgate: --webhook-retry-base-ms and --webhook-max-age must be "
                        "positive\n");
        return SG_EXIT_USAGE;
    }
    sg_cidr trusted[MAX_TRUSTED_PROXIES];
    size_t n_trusted = 0;
    if (!sg_cidr_list_parse(st.trusted_proxy, trusted, MAX_TRUSTED_PROXIES, &n_trusted)) {
        fprintf(stderr,
                "smsgate: --trusted-proxy: entry %zu is not an address or CIDR (at most %d, "
                "separated by commas)\n",
                n_trusted + 1, MAX_TRUSTED_PROXIES);
        return SG_EXIT_USAGE;
    }
    if ((uint64_t)st.lease_s * 1000 <= st.request_timeout_ms) {
        /* A send still in flight when its lease ran out would be claimed again by
         * this very server and sent twice. */
        fprintf(stderr,
                "smsgate: --lease (%u s) must be longer than --request-timeout-ms (%u ms)\n",
                st.lease_s, st.request_timeout_ms);
        return SG_EXIT_USAGE;
    }
    if (st.session_idle_s == 0 || st.session_max_s == 0 || st.password_workers == 0 ||
        st.password_workers > 8 || st.password_queue == 0) {
        fprintf(stderr, "smsgate: --session-idle, --session-max and --password-queue must be "
                        "positive, --password-workers 1 to 8\n");
        return SG_EXIT_USAGE;
    }
    sg_breaker_config brc = {
        .consecutive = st.breaker_failures,
        .rate_percent = st.breaker_rate,
        .min_attempts = st.breaker_min,
        .window_ms = st.breaker_window_ms,
        .cooldown_ms = st.breaker_cooldown_ms,
        .probes = st.breaker_probes,
        .successes = st.breaker_successes,
    };
    const char *brwhy = NULL;
    if (!sg_breaker_config_valid(&brc, &brwhy)) {
        fprintf(stderr, "smsgate: --breaker-*: %s\n", brwhy);
        return SG_EXIT_USAGE;
    }
    static sg_keyword_extra kw_extra;
    if ((rc = keyword_lists(&st, &kw_extra)))
        return rc;
    char node_id[SG_NODE_ID_MAX];
    if ((rc = node_identity(&st, node_id)))
        return rc;
    sg_error le = {0};
    if (sg_http_listen_check(st.listen, &le) != SG_OK) {
        /* before opening the store: a typo creates no database */
        fprintf(stderr, "smsgate: %s\n", le.message);
        return SG_EXIT_USAGE;
    }
    /* Signals are taken by sigwait below; every thread started from here on
     * inherits the mask. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (st.demo && !st.outbound_allow[0]) /* the demo's receivers run on this machine */
        snprintf(st.outbound_allow, sizeof st.outbound_allow, "127.0.0.0/8,::1/128");
    static sg_outbound_policy outbound;
    if ((rc = sg_cli_outbound_policy(st.outbound_allow, st.listen, &outbound)))
        return rc;
    sg_app app;
    char wait_s[16]; /* what the PostgreSQL backend reads when it opens (pg_store.c) */
    snprintf(wait_s, sizeof wait_s, "%u", st.db_wait);
    setenv("SMSGATE_DB_WAIT", wait_s, 1);
    if ((rc = sg_cli_open(&st.base, st.listen, true, &app)))
        return rc;
    app.outbound = &outbound;
    snprintf(app.node_id, sizeof app.node_id, "%s", node_id);
    app.node_timeout_ms = (int64_t)st.node_timeout_s * 1000;
    if ((rc = become_dispatcher(&app, st.listen))) {
        sg_app_close(&app);
        return rc;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    snprintf(app.reply_opt_out, sizeof app.reply_opt_out, "%s", st.reply_stop);
    snprintf(app.reply_opt_in, sizeof app.reply_opt_in, "%s", st.reply_start);
    snprintf(app.reply_help, sizeof app.reply_help, "%s", st.reply_help);
    app.keywords_extra = &kw_extra;

    pid_t sim = -1;
    char sim_url[256] = "";
    if (st.demo) {
        sim = start_simulator(sim_url, sizeof sim_url);
        if (sim < 0) {
            fprintf(stderr, "smsgate: demo: cannot start the Twilio simulator\n");
            sg_app_close(&app);
            return SG_EXIT_FAIL;
        }
    }

    sg_error e = {0};
    sg_dispatch_config dc = {
        .max_in_flight = st.max_in_flight,
        .batch = st.batch,
        .lease_ms = (int64_t)st.lease_s * 1000,
        .connect_timeout_ms = st.connect_timeout_ms,
        .request_timeout_ms = st.request_timeout_ms,
        .poll_ms = st.poll_ms ? st.poll_ms : 200,
        .backoff = {st.retry_base_ms, st.retry_cap_ms, st.max_attempts},
        .public_url = app.public_url,
    };
    sg_dispatcher *disp = NULL;
    sg_node_beater *beater = NULL;
    sg_breakers *breakers = NULL;
    sg_send_limits *limits = NULL;
    sg_retention *retention = NULL;
    sg_webhooks *hooks = NULL;
    sg_tw_callbacks *twcb = NULL;
    sg_broadcaster *bcaster = NULL;
    sg_journeys *journeys = NULL;
    sg_send_waits *waits = NULL;
    sg_pwpool *pwpool = NULL;
    sg_http_server *http = NULL;
    int bound = 0;
    rc = SG_EXIT_OK;
    if (sg_breakers_new(&brc, app.store, &breakers, &e) != SG_OK) {
        fprintf(stderr, "smsgate: %s\n", e.message);
        rc = SG_EXIT_FAIL;
        goto out;
    }
    dc.breakers = breakers;
    app.breakers = breakers;
    sg_registry_set_breakers(app.registry, breakers); /* route choice skips open breakers */
    if (sg_dispatcher_start(&dc, app.store, app.registry, &disp, &e) != SG_OK) {
        fprintf(stderr, "smsgate: %s\n", e.message);
        rc = SG_EXIT_FAIL;
        goto out;
    }
    app.dispatcher = (struct sg_dispatcher *)disp;
    if (sg_node_beater_start(app.store, disp, app.node_timeout_ms, &beater, &e) != SG_OK) {
        fprintf(stderr, "smsgate: %s\n", e.message);
        rc = SG_EXIT_FAIL;
        goto out;
    }
    if (sg_store_due_listen(app.store, st.db_listen, wake_dispatcher, disp, &e) != SG_OK) {
        fprintf(stderr, "smsgate: %s\n", e.message);
        rc = SG_EXIT_FAIL;
        goto out;
    }
    if (sg_send_limits_new(app.store, st.allowed_countries, &limits, &e) != SG_OK) {
        fprintf(stderr, "smsgate: %s\n", e.message);
        rc = SG_EXIT_USAGE;
        goto out;
    }
    app.limits = limits;
    int64_t keep_ms = st.retain_bodies_seconds ? (int64_t)st.retain_bodies_seconds * 1000
                                               : (int64_t)st.retain_bodies_days * 86400000;
    sg_retention_config rtc = {keep_ms, st.retention_tick_ms, 500};
    if (keep_ms && sg_retention_start(&rtc, app.store, &retention, &e) != SG_OK) {
        fprintf(stderr, "smsgate: %s\n", e.message);
        rc = SG_EXIT_FAIL;
        goto out;
    }
    sg_webhooks_config wc = {
        .retry_base_ms = st.webhook_retry_base_ms,
        .max_age_ms = (int64_t)st.webhook_max_age_s * 1000,
        .policy = &outbound,
    };
    if (sg_webhooks_start(&wc, app.store, app.master_key, &hooks, &e) != SG_OK) {
        fprintf(stderr, "smsgate: %s\n", e.message);
        rc = SG_EXIT_FAIL;
        goto out;
    }
    app.webhooks = hooks;
    if (sg_tw_callbacks_start(&app, &outbound, &twcb, &e) != SG_OK) {
        fprintf(stderr, "smsgate: %s\n", e.message);
        rc = SG_EXIT_FAIL;
        goto out;
    }
    sg_broadcaster_config bc = {
        .tick_ms = st.broadcast_tick_ms,
        .public_url = app.public_url,
        .allowed = &allowed,
    };
    if (sg_broadcaster_start(&bc, app.store, app.dispatcher, &bcaster, &e) != SG_OK) {
        fprintf(stderr, "smsgate: %s\n", e.message);
        rc = SG_EXIT_FAIL;
        goto out;
    }
    app.broadcaster = bcaster;
    sg_journeys_config jc = {.tick_ms = st.broadcast_tick_ms};
    if (sg_journeys_start(&jc, app.store, app.registry, app.dispatcher, &journeys, &e) != SG_OK) {
        fprintf(stderr, "smsgate: %s\n", e.message);
        rc = SG_EXIT_FAIL;
        goto out;
    }
    app.journeys = journeys;
    if (sg_send_waits_start(&app, &waits, &e) != SG_OK) {
        fprintf(stderr, "smsgate: %s\n", e.message);
        rc = SG_EXIT_FAIL;
        goto out;
    }
    app.send_waits = waits;
    if (sg_pwpool_start(st.password_workers, st.password_queue, &pwpool, &e) != SG_OK) {
        fprintf(stderr, "smsgate: %s\n", e.message);
        rc = SG_EXIT_FAIL;
        goto out;
    }
    app.pwpool = pwpool;
    app.session_idle_ms = (int64_t)st.session_idle_s * 1000;
    app.session_max_ms = (int64_t)st.session_max_s * 1000;
    sg_http_config hc = {
        .listen = st.listen,
        .threads = st.threads,
        .max_connections = st.max_connections,
        .timeout_s = st.timeout_s,
        .max_body = st.max_body,
        .routes = sg_api_routes,
        .ctx = &app,
        .authenticate = sg_api_authenticate,
        .before = sg_api_before,
        .after = sg_api_after,
        .unauth_budget = st.unauth_budget,
        .max_conn_per_ip = st.max_conn_per_ip,
        .header_timeout_s = st.header_timeout_s,
        .trusted_proxies = trusted,
        .n_trusted_proxies = n_trusted,
    };
    if (sg_http_start(&hc, &http, &bound, &e) != SG_OK) {
        fprintf(stderr, "smsgate: %s\n", e.message);
        rc = SG_EXIT_FAIL;
        goto out;
    }
    app.http = (struct sg_http_server *)http;
    char db_shown[512];
    sg_store_url_display(st.base.db, db_shown, sizeof db_shown);
    sg_log(SG_LOG_INFO, "listening", "addr=%s port=%d db=\"%s\" public_url=%s", st.listen, bound,
           db_shown, app.public_url);
    if (st.demo) {
        char api_url[160];
        snprintf(api_url, sizeof api_url, "http://%s", st.listen);
        if ((rc = demo_setup(&app, sim_url, api_url, st.base.db)))
            goto out;
    }

    int sig = 0;
    sigwait(&sigs, &sig);
    sg_log(SG_LOG_INFO, "shutdown", "signal=%s", sig == SIGINT ? "SIGINT" : "SIGTERM");

out:
    /* Order matters: stop taking requests, let those in flight commit, stop the
     * dispatcher (it records what finished), stop the webhook worker (the events
     * of those last writes wait in the store for the next start), then close the
     * store (which finishes every queued write). */
    if (http)
        sg_http_quiesce(http);
    /* Provider tests still waiting are answered with what is known now, and any
     * committed from here on at once: sg_http_stop waits for every one. */
    sg_send_waits_stop(waits);
    sg_pwpool_stop(pwpool); /* runs the sign-ins queued: their requests are held */
    if (http) {
        sg_http_stop(http, (int)st.shutdown_s * 1000);
        app.http = NULL;
    }
    app.send_waits = NULL;
    sg_send_waits_destroy(waits);
    app.pwpool = NULL;
    sg_pwpool_destroy(pwpool);
    if (journeys) { /* before the dispatcher: it queues messages for it */
        sg_journeys_stop(journeys);
        app.journeys = NULL;
    }
    if (bcaster) { /* before the dispatcher: it queues messages for it */
        sg_broadcaster_stop(bcaster);
        app.broadcaster = NULL;
    }
    sg_node_beater_stop(beater); /* before the dispatcher it reads */
    sg_store_due_unlisten(app.store); /* before the dispatcher it wakes goes */
    if (disp) {
        sg_dispatcher_stop(disp, (int)st.shutdown_s * 1000);
        app.dispatcher = NULL;
        sg_error se = {0}; /* the other nodes count this one out at once */
        if (sg_store_node_stop(app.store, sg_time_now_ms(), &se) != SG_OK)
            sg_log(SG_LOG_WARN, "node_stop_failed", "error=\"%s\"", se.message);
    }
    app.breakers = NULL; /* the dispatcher and the HTTP server are gone */
    sg_registry_set_breakers(app.registry, NULL);
    sg_breakers_destroy(breakers);
    if (hooks) {
        sg_webhooks_stop(hooks, (int)st.shutdown_s * 1000);
        app.webhooks = NULL;
    }
    sg_tw_callbacks_stop(twcb);
    sg_retention_stop(retention);
    app.limits = NULL; /* no request is left: the HTTP server stopped */
    sg_send_limits_destroy(limits);
    if (sim > 0) {
        kill(sim, SIGTERM);
        waitpid(sim, NULL, 0);
    }
    sg_app_close(&app);
    curl_global_cleanup();
    if (rc == SG_EXIT_OK)
        sg_log(SG_LOG_INFO, "stopped", "exit=0");
    return rc;
}
