/* smsgate webhook list|create|show|remove|deliveries: app webhook subscriptions.
 * Unlike the store commands these talk to a running server's API (/v1/webhooks,
 * with an admin key): a subscription's URL is checked by the server's own
 * outbound-URL policy and its signing secret is made and sealed there. */
#include "cli/cli.h"
#include "cli/common.h"
#include "util/http_client.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ANSWER_MAX (4 * 1024 * 1024)

typedef struct webhook_settings {
    char api[256];
    char key[160];
    char url[512];
    char events[256];
    unsigned limit;
    bool json;
} webhook_settings;

#define S webhook_settings
#define API_OPTS                                                                                   \
    {"api", "SMSGATE_API", "http://127.0.0.1:8080", SG_OPT_STR, offsetof(S, api),                  \
     sizeof(((S *)0)->api), "URL", "the running server's API"},                                    \
        {"key", "SMSGATE_KEY", "", SG_OPT_STR, offsetof(S, key), sizeof(((S *)0)->key), "KEY",     \
         "an admin API key (prefer SMSGATE_KEY: arguments are visible to other users)"}
#define JSON_OPT                                                                                   \
    {"json", NULL, NULL, SG_OPT_BOOL, offsetof(S, json), 0, NULL, "print JSON, as the API does"}
static const sg_opt list_opts[] = {API_OPTS, JSON_OPT, SG_OPT_END};
static const sg_opt one_opts[] = {API_OPTS, SG_OPT_END};
static const sg_opt create_opts[] = {
    API_OPTS,
    {"url", NULL, "", SG_OPT_STR, offsetof(S, url), sizeof(((S *)0)->url), "URL",
     "where the events are POSTed (http:// or https://)"},
    {"events", NULL, "", SG_OPT_STR, offsetof(S, events), sizeof(((S *)0)->events), "LIST",
     "comma-separated: message.status, message.received, contact.opted_out, contact.opted_in"},
    SG_OPT_END,
};
static const sg_opt deliveries_opts[] = {
    API_OPTS,
    {"limit", NULL, "50", SG_OPT_UINT, offsetof(S, limit), 0, "N",
     "how many deliveries, newest first (1 to 1000)"},
    JSON_OPT,
    SG_OPT_END,
};
#undef JSON_OPT
#undef API_OPTS
#undef S

static const sg_cmd_spec list_spec = {"smsgate webhook list [--json] [options]",
                                      "List the app webhook subscriptions.", list_opts, 0, 0};
static const sg_cmd_spec create_spec = {
    "smsgate webhook create --url URL --events LIST [options]",
    "Subscribe URL to events. Prints the subscription with its signing secret, shown this\n"
    "once only (docs/webhooks.md says how to check the signature).",
    create_opts, 0, 0};
static const sg_cmd_spec show_spec = {"smsgate webhook show ID [options]",
                                      "Show one subscription (without its secret).", one_opts, 1,
                                      1};
static const sg_cmd_spec remove_spec = {"smsgate webhook remove ID [options]",
                                        "Delete a subscription.", one_opts, 1, 1};
static const sg_cmd_spec deliveries_spec = {
    "smsgate webhook deliveries ID [--limit N] [--json] [options]",
    "A subscription's deliveries, newest first: event, state, attempts, last error.",
    deliveries_opts, 1, 1};

/* ---- a small API client ------------------------------------------------------------ */

/* METHOD {api}PATH with the key and body (may be NULL; not stolen). On a 2xx
 * answer *out gets its JSON (NULL for 204) and 0 is returned; otherwise one line
 * on stderr (the problem's detail, or why the server could not be reached) and
 * SG_EXIT_FAIL. */
static int call(const webhook_settings *st, const char *method, const char *path, json_t *body,
                json_t **out)
{
    *out = NULL;
    if (!st->key[0]) {
        fprintf(stderr, "smsgate: webhook commands use the API: give an admin key with --key or "
                        "SMSGATE_KEY\n");
        return SG_EXIT_USAGE;
    }
    char url[512], auth[200];
    snprintf(url, sizeof url, "%s%s", st->api, path);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", st->key);
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    const char *lines[] = {auth, "Content-Type: application/json"};
    sg_http_request r = {
        .method = method,
        .url = url,
        .headers = lines,
        .n_headers = 2,
        .body = text,
        .body_len = text ? strlen(text) : 0,
        .timeout_ms = 30000,
        .answer_max = ANSWER_MAX,
        .answer_overflow = SG_HTTP_OVERFLOW_FAIL,
    };
    sg_http_call c = {0};
    sg_error e = {0};
    if (sg_http_call_init(&c, NULL, &r, &e) != SG_OK) {
        fprintf(stderr, "smsgate: cannot call the API: %s\n", e.message);
        sg_http_call_free(&c);
        free(text);
        return SG_EXIT_FAIL;
    }
    CURLcode cc = sg_http_call_perform(&c);
    long status = sg_http_call_status(&c);
    free(text);
    int rc = SG_EXIT_OK;
    size_t len = sg_http_body_len(&c.answer);
    json_t *j = len ? json_loadb(sg_http_body_data(&c.answer), len, 0, NULL) : NULL;
    if (cc != CURLE_OK) {
        char why[CURL_ERROR_SIZE + 64];
        fprintf(stderr, "smsgate: cannot reach the API at %s: %s (is `smsgate serve` running? "
                        "--api or SMSGATE_API)\n",
                st->api, sg_http_call_error(&c, cc, why, sizeof why));
        rc = SG_EXIT_FAIL;
    } else if (status < 200 || status > 299) {
        const char *detail = json_string_value(json_object_get(j, "detail"));
        const char *code = json_string_value(json_object_get(j, "code"));
        fprintf(stderr, "smsgate: %s (HTTP %ld%s%s)\n", detail ? detail : "the API refused",
                status, code ? ", " : "", code ? code : "");
        rc = SG_EXIT_FAIL;
    } else {
        *out = j;
        j = NULL;
    }
    json_decref(j);
    sg_http_call_free(&c);
    return rc;
}

/* Parse a verb's command line; the one ID argument (when the spec takes one) is
 * checked to be a webhook id, so it cannot change the path. 0, or the exit code. */
static int parse(const sg_cmd_spec *spec, webhook_settings *st, int argc, char **argv,
                 char id[64])
{
    char **args;
    size_t nargs;
    int rc = sg_opts_parse(spec, st, argc, argv, &args, &nargs);
    if (rc)
        return rc < 0 ? -1 : rc;
    id[0] = '\0';
    if (nargs)
        snprintf(id, 64, "%s", args[0]);
    free(args);
    for (const char *p = id; *p; p++) {
        bool ok = (*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z') ||
                  (*p >= 'a' && *p <= 'z') || *p == '_';
        if (!ok) {
            fprintf(stderr, "smsgate: no webhook %s\n", id);
            return SG_EXIT_FAIL;
        }
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return 0;
}

/* ---- the verbs --------------------------------------------------------------------- */

static void print_events(json_t *events)
{
    size_t i;
    json_t *e;
    json_array_foreach(events, i, e) printf("%s%s", i ? "," : "", json_string_value(e));
}

static int webhook_list(int argc, char **argv)
{
    webhook_settings st = {0};
    char id[64];
    int rc = parse(&list_spec, &st, argc, argv, id);
    if (rc)
        return rc < 0 ? SG_EXIT_OK : rc;
    json_t *j;
    if ((rc = call(&st, "GET", "/v1/webhooks", NULL, &j)))
        return rc;
    if (st.json) {
        sg_cli_print_json(j);
        return SG_EXIT_OK;
    }
    printf("%-30s %-6s %-50s %s\n", "ID", "ACTIVE", "URL", "EVENTS");
    size_t i;
    json_t *w;
    json_array_foreach(json_object_get(j, "data"), i, w)
    {
        printf("%-30s %-6s %-50s ", json_string_value(json_object_get(w, "id")),
               json_is_true(json_object_get(w, "active")) ? "yes" : "no",
               json_string_value(json_object_get(w, "url")));
        print_events(json_object_get(w, "events"));
        printf("\n");
    }
    json_decref(j);
    return SG_EXIT_OK;
}

static int webhook_create(int argc, char **argv)
{
    webhook_settings st = {0};
    char id[64];
    int rc = parse(&create_spec, &st, argc, argv, id);
    if (rc)
        return rc < 0 ? SG_EXIT_OK : rc;
    if (!st.url[0] || !st.events[0])
        return sg_cli_usage_error(argv[0], "webhook create needs --url and --events");
    json_t *events = json_array();
    for (const char *p = st.events; *p;) {
        size_t len = strcspn(p, ",");
        if (len)
            json_array_append_new(events, json_stringn(p, len));
        p += len + (p[len] == ',');
    }
    json_t *in = json_pack("{s:s, s:o}", "url", st.url, "events", events);
    json_t *j;
    rc = call(&st, "POST", "/v1/webhooks", in, &j);
    json_decref(in);
    if (rc)
        return rc;
    fprintf(stderr, "created webhook %s; its signing secret is shown this once\n",
            json_string_value(json_object_get(j, "id")));
    sg_cli_print_json(j);
    return SG_EXIT_OK;
}

static int webhook_show(int argc, char **argv)
{
    webhook_settings st = {0};
    char id[64], path[128];
    int rc = parse(&show_spec, &st, argc, argv, id);
    if (rc)
        return rc < 0 ? SG_EXIT_OK : rc;
    snprintf(path, sizeof path, "/v1/webhooks/%s", id);
    json_t *j;
    if ((rc = call(&st, "GET", path, NULL, &j)))
        return rc;
    sg_cli_print_json(j);
    return SG_EXIT_OK;
}

static int webhook_remove(int argc, char **argv)
{
    webhook_settings st = {0};
    char id[64], path[128];
    int rc = parse(&remove_spec, &st, argc, argv, id);
    if (rc)
        return rc < 0 ? SG_EXIT_OK : rc;
    snprintf(path, sizeof path, "/v1/webhooks/%s", id);
    json_t *j;
    if ((rc = call(&st, "DELETE", path, NULL, &j)))
        return rc;
    json_decref(j);
    fprintf(stderr, "removed webhook %s\n", id);
    return SG_EXIT_OK;
}

static int webhook_deliveries(int argc, char **argv)
{
    webhook_settings st = {0};
    char id[64], path[160];
    int rc = parse(&deliveries_spec, &st, argc, argv, id);
    if (rc)
        return rc < 0 ? SG_EXIT_OK : rc;
    if (st.limit < 1 || st.limit > 1000)
        return sg_cli_usage_error(argv[0], "--limit must be between 1 and 1000");
    snprintf(path, sizeof path, "/v1/webhooks/%s/deliveries?limit=%u", id, st.limit);
    json_t *j;
    if ((rc = call(&st, "GET", path, NULL, &j)))
        return rc;
    if (st.json) {
        sg_cli_print_json(j);
        return SG_EXIT_OK;
    }
    printf("%-8s %-20s %-10s %-8s %s\n", "ID", "EVENT", "STATE", "ATTEMPTS", "LAST ERROR");
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(j, "data"), i, d)
    {
        const char *err = json_string_value(json_object_get(d, "last_error"));
        printf("%-8lld %-20s %-10s %-8lld %s\n",
               (long long)json_integer_value(json_object_get(d, "id")),
               json_string_value(json_object_get(d, "event")),
               json_string_value(json_object_get(d, "state")),
               (long long)json_integer_value(json_object_get(d, "attempts")), err ? err : "");
    }
    json_decref(j);
    return SG_EXIT_OK;
}

static const sg_command webhook_verbs[] = {
    {"list", "list subscriptions", webhook_list},
    {"create", "subscribe a URL to events", webhook_create},
    {"show", "show one subscription", webhook_show},
    {"remove", "delete a subscription", webhook_remove},
    {"deliveries", "a subscription's deliveries", webhook_deliveries},
    {NULL, NULL, NULL},
};

int sg_cmd_webhook(int argc, char **argv)
{
    return sg_cli_verbs("smsgate webhook list|create|show|remove|deliveries [ID] [options]",
                        webhook_verbs, argc, argv);
}
