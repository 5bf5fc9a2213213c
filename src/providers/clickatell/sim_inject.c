/* `smsgate simulate inject --kind clickatell`: one Clickatell reply (a legacy MO
 * callback by GET, POST or JSON, or a Platform reply JSON; providers.md B.1, B.2)
 * sent straight to a URL, as Clickatell would when a phone answers your number. */
#include "providers/clickatell/sim.h"
#include "sim/common.h"
#include "sim/webhook.h"

#include "core/gsm7.h"
#include "util/options.h"

#include <curl/curl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMD "smsgate simulate inject"

/* The command line as given (checked in check_args). */
typedef struct inject_args {
    const char *kind, *api, *method;
    sg_ck_reply reply;
} inject_args;

#define A(field) offsetof(inject_args, field)
#define R(field) offsetof(inject_args, reply.field)
static const sg_opt inject_opts[] = {
    {"kind", NULL, NULL, SG_OPT_ARG, A(kind), 0, "clickatell", NULL},
    {"to-url", NULL, NULL, SG_OPT_ARG, R(url), 0, "URL",
     "smsgate's reply URL (http:// or https://)"},
    {"from", NULL, NULL, SG_OPT_ARG, R(from), 0, "NUMBER",
     "the phone that answers, e.g. 27831234567"},
    {"to", NULL, NULL, SG_OPT_ARG, R(to), 0, "NUMBER", "your two-way number"},
    {"body", NULL, NULL, SG_OPT_ARG, R(text), 0, "TEXT",
     "the reply (may be empty; at most " SG_OPT_TEXT_OF(SG_SMS_MAX_CHARS) " characters)"},
    {"text", NULL, NULL, SG_OPT_ARG, R(text), 0, "TEXT", NULL}, /* --body's other name */
    {"api", NULL, "legacy", SG_OPT_ARG, A(api), 0, "legacy|platform", "which API's reply"},
    {"method", NULL, NULL, SG_OPT_ARG, A(method), 0, "GET|POST|JSON",
     "legacy: how it is sent (default: GET)"},
    {"charset", NULL, NULL, SG_OPT_ARG, R(charset), 0, "CHARSET",
     "ISO-8859-1, UTF-8, UTF-16BE or UCS-2 (hex); default:\nlegacy ISO-8859-1 when the text "
     "fits, else\nUTF-16BE; platform UTF-8"},
    {"api-id", NULL, SG_CK_SIM_DEFAULT_API_ID, SG_OPT_ARG, R(api_id), 0, "ID", "legacy api_id"},
    {"integration-name", NULL, SG_CK_SIM_DEFAULT_INTEGRATION, SG_OPT_ARG, R(integration_name), 0,
     "N", "platform integrationName"},
    {"message-id", NULL, NULL, SG_OPT_ARG, R(message_id), 0, "ID",
     "platform messageId: the message replied to\n(default: null)"},
    {"timestamp", NULL, NULL, SG_OPT_ARG, R(timestamp), 0, "TS",
     "send this timestamp instead of now"},
    {"udh", NULL, NULL, SG_OPT_ARG, R(udh), 0, "HEX", "optional (legacy: left out unless given)"},
    {"network", NULL, NULL, SG_OPT_ARG, R(network), 0, "ID",
     "optional (legacy: left out unless given)"},
    {"keyword", NULL, NULL, SG_OPT_ARG, R(keyword), 0, "WORD",
     "optional (legacy: left out unless given)"},
    SG_OPT_HEADING("Exit status: 0 when the answer is 2xx, 1 on another status or when the URL\n"
                   "cannot be reached (timeout " SG_OPT_TEXT_OF(
                       SG_SIM_HTTP_TIMEOUT_S) " s), 2 on a usage error."),
    SG_OPT_END,
};
#undef A
#undef R

static const sg_cmd_spec inject_spec = {
    CMD " --kind clickatell --to-url URL --from NUMBER\n"
        "                               --to NUMBER --body TEXT [options]",
    "Sends one reply to URL exactly as Clickatell does (not signed: Clickatell\n"
    "signs nothing):\n"
    "  legacy    api_id, moMsgId, from, to, timestamp (yyyy-mm-dd hh:mm:ss, GMT+2),\n"
    "            text, charset by GET (query string), POST (form) or JSON\n"
    "  platform  JSON POST: integrationName, messageId, replyMessageId, fromNumber,\n"
    "            toNumber, timestamp (epoch ms), text, charset, udh, network, keyword\n"
    "Prints 'HTTP <status> content_type=<type> message_id=<id>' and then the answer\n"
    "body. No simulator needs to run.",
    inject_opts,
    0,
    0,
};

static int send_reply(sg_ck_request *req, const char *id)
{
    sg_sim_post p = {0};
    char *body = req->body;
    req->body = NULL;
    if (!sg_sim_request_init(&p, &req->http, req->url, body)) {
        fprintf(stderr, "smsgate simulate inject: out of memory\n");
        sg_sim_post_free(&p);
        return SG_SIM_EXIT_FAIL;
    }
    return sg_sim_inject_finish(&p, req->url, "message_id", id);
}

static int check_args(inject_args *a)
{
    sg_ck_reply *p = &a->reply;
    if (a->kind && strcmp(a->kind, "clickatell") != 0)
        return sg_opts_usage_error(CMD, "--kind must be twilio or clickatell");
    if (!p->url || !p->from || !p->to || !p->text)
        return sg_opts_usage_error(CMD, "--to-url, --from, --to and --body are required");
    if (!sg_sim_url_ok(p->url))
        return sg_opts_usage_error(CMD, "--to-url must be an http:// or https:// URL");
    if (!*p->from || !*p->to || strlen(p->from) > 64 || strlen(p->to) > 64)
        return sg_opts_usage_error(CMD, "--from and --to must be 1 to 64 characters");
    if (strcmp(a->api, "legacy") != 0 && strcmp(a->api, "platform") != 0)
        return sg_opts_usage_error(CMD, "--api must be legacy or platform");
    p->platform = strcmp(a->api, "platform") == 0;
    if (a->method && !sg_ck_method_parse(a->method, &p->method))
        return sg_opts_usage_error(CMD, "--method must be GET, POST or JSON");
    if (p->platform && a->method)
        return sg_opts_usage_error(
            CMD, "--method is for legacy replies (platform replies are JSON POSTs)");
    if (p->platform)
        p->method = SG_CK_JSON;
    if (!p->platform && p->message_id)
        return sg_opts_usage_error(CMD, "--message-id is for platform replies");
    sg_sms_info info;
    sg_text_status ts = sg_sms_analyze(p->text, strlen(p->text), &info);
    if (ts == SG_TEXT_TOO_LONG)
        return sg_opts_usage_error(CMD, "--body is longer than %d characters", SG_SMS_MAX_CHARS);
    if (ts != SG_TEXT_OK)
        return sg_opts_usage_error(CMD, "--body is not valid UTF-8");
    return 0;
}

int sg_ck_inject_main(int argc, char **argv)
{
    inject_args a = {.reply = {.method = SG_CK_GET}};
    char **rest = NULL;
    size_t n_rest = 0;
    int rc = sg_opts_parse_cmd(CMD, &inject_spec, &a, argc, argv, &rest, &n_rest);
    free(rest);
    if (rc)
        return rc == SG_OPTS_HELP ? SG_SIM_EXIT_OK : rc;
    rc = check_args(&a);
    if (rc)
        return rc;
    sg_ck_reply p = a.reply;

    char id[SG_CK_ID_LEN + 1], why[160];
    sg_ck_request req;
    if (!sg_ck_reply_request(&p, id, &req, why, sizeof why))
        return sg_opts_usage_error(CMD, "%s", why);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = send_reply(&req, id);
    curl_global_cleanup();
    sg_ck_request_free(&req);
    return rc;
}
