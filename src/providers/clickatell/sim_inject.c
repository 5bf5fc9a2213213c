/* `smsgate simulate inject --kind clickatell`: one Clickatell reply (a legacy MO
 * callback by GET, POST or JSON, or a Platform reply JSON; providers.md B.1, B.2)
 * sent straight to a URL, as Clickatell would when a phone answers your number. */
#include "providers/clickatell/sim.h"
#include "sim/common.h"
#include "sim/webhook.h"

#include "core/gsm7.h"

#include <curl/curl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: smsgate simulate inject --kind clickatell --to-url URL --from NUMBER\n"
            "                               --to NUMBER --body TEXT [options]\n\n"
            "Sends one reply to URL exactly as Clickatell does (not signed: Clickatell\n"
            "signs nothing):\n"
            "  legacy    api_id, moMsgId, from, to, timestamp (yyyy-mm-dd hh:mm:ss, GMT+2),\n"
            "            text, charset by GET (query string), POST (form) or JSON\n"
            "  platform  JSON POST: integrationName, messageId, replyMessageId, fromNumber,\n"
            "            toNumber, timestamp (epoch ms), text, charset, udh, network, keyword\n"
            "Prints 'HTTP <status> content_type=<type> message_id=<id>' and then the answer\n"
            "body. No simulator needs to run.\n\n"
            "options:\n"
            "  --to-url URL            smsgate's reply URL (http:// or https://)\n"
            "  --from NUMBER           the phone that answers, e.g. 27831234567\n"
            "  --to NUMBER             your two-way number\n"
            "  --body TEXT             the reply (may be empty; at most %d characters)\n"
            "  --api legacy|platform   which API's reply (default legacy)\n"
            "  --method GET|POST|JSON  legacy: how it is sent (default GET)\n"
            "  --charset CHARSET       ISO-8859-1, UTF-8, UTF-16BE or UCS-2 (hex); default:\n"
            "                          legacy ISO-8859-1 when the text fits, else UTF-16BE;\n"
            "                          platform UTF-8\n"
            "  --api-id ID             legacy api_id (default " SG_CK_SIM_DEFAULT_API_ID ")\n"
            "  --integration-name N    platform integrationName\n"
            "                          (default " SG_CK_SIM_DEFAULT_INTEGRATION ")\n"
            "  --message-id ID         platform messageId: the message replied to\n"
            "                          (default null)\n"
            "  --timestamp TS          send this timestamp instead of now\n"
            "  --udh HEX, --network ID, --keyword WORD\n"
            "                          optional fields (legacy: left out unless given)\n"
            "  -h, --help              show this help\n\n"
            "Exit status: 0 when the answer is 2xx, 1 on another status or when the URL\n"
            "cannot be reached (timeout %d s), 2 on a usage error.\n",
            SG_SMS_MAX_CHARS, SG_SIM_HTTP_TIMEOUT_MS / 1000);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "smsgate simulate inject: %s (try --kind clickatell --help)\n", msg);
    return SG_SIM_EXIT_USAGE;
}

static int send_reply(sg_ck_request *req, const char *id)
{
    sg_sim_post p = {0};
    int rc = SG_SIM_EXIT_FAIL;
    char *body = req->body;
    req->body = NULL;
    if (!sg_sim_request_init(&p, &req->http, req->url, body)) {
        fprintf(stderr, "smsgate simulate inject: out of memory\n");
        sg_sim_post_free(&p);
        return SG_SIM_EXIT_FAIL;
    }
    sg_sim_result r;
    sg_sim_post_result(&p, sg_sim_post_perform(&p), &r);
    if (!r.http_status) {
        fprintf(stderr, "smsgate simulate inject: %s: %s\n", req->url, r.error);
    } else {
        printf("HTTP %ld content_type=%s message_id=%s\n", r.http_status,
               r.content_type[0] ? r.content_type : "-", id);
        fwrite(r.body, 1, r.body_len, stdout);
        if (r.body_len && r.body[r.body_len - 1] != '\n')
            putchar('\n');
        if (r.truncated)
            fprintf(stderr, "smsgate simulate inject: the answer was cut at %d bytes\n",
                    SG_SIM_ANSWER_MAX);
        rc = r.http_status >= 200 && r.http_status < 300 ? SG_SIM_EXIT_OK : SG_SIM_EXIT_FAIL;
    }
    fflush(stdout);
    sg_sim_post_free(&p);
    return rc;
}

int sg_ck_inject_main(int argc, char **argv)
{
    enum {
        OPT_KIND = 256,
        OPT_URL,
        OPT_FROM,
        OPT_TO,
        OPT_BODY,
        OPT_API,
        OPT_METHOD,
        OPT_CHARSET,
        OPT_API_ID,
        OPT_INTEGRATION,
        OPT_MESSAGE_ID,
        OPT_TIMESTAMP,
        OPT_UDH,
        OPT_NETWORK,
        OPT_KEYWORD,
    };
    static const struct option longopts[] = {
        {"kind", required_argument, NULL, OPT_KIND},
        {"to-url", required_argument, NULL, OPT_URL},
        {"from", required_argument, NULL, OPT_FROM},
        {"to", required_argument, NULL, OPT_TO},
        {"body", required_argument, NULL, OPT_BODY},
        {"text", required_argument, NULL, OPT_BODY},
        {"api", required_argument, NULL, OPT_API},
        {"method", required_argument, NULL, OPT_METHOD},
        {"charset", required_argument, NULL, OPT_CHARSET},
        {"api-id", required_argument, NULL, OPT_API_ID},
        {"integration-name", required_argument, NULL, OPT_INTEGRATION},
        {"message-id", required_argument, NULL, OPT_MESSAGE_ID},
        {"timestamp", required_argument, NULL, OPT_TIMESTAMP},
        {"udh", required_argument, NULL, OPT_UDH},
        {"network", required_argument, NULL, OPT_NETWORK},
        {"keyword", required_argument, NULL, OPT_KEYWORD},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    sg_ck_reply p = {
        .method = SG_CK_GET,
        .api_id = SG_CK_SIM_DEFAULT_API_ID,
        .integration_name = SG_CK_SIM_DEFAULT_INTEGRATION,
    };
    const char *api = "legacy", *method = NULL;

    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            usage(stdout);
            return SG_SIM_EXIT_OK;
        case OPT_KIND:
            if (strcmp(optarg, "clickatell") != 0)
                return usage_error("--kind must be twilio or clickatell");
            break;
        case OPT_URL:
            p.url = optarg;
            break;
        case OPT_FROM:
            p.from = optarg;
            break;
        case OPT_TO:
            p.to = optarg;
            break;
        case OPT_BODY:
            p.text = optarg;
            break;
        case OPT_API:
            api = optarg;
            break;
        case OPT_METHOD:
            method = optarg;
            break;
        case OPT_CHARSET:
            p.charset = optarg;
            break;
        case OPT_API_ID:
            p.api_id = optarg;
            break;
        case OPT_INTEGRATION:
            p.integration_name = optarg;
            break;
        case OPT_MESSAGE_ID:
            p.message_id = optarg;
            break;
        case OPT_TIMESTAMP:
            p.timestamp = optarg;
            break;
        case OPT_UDH:
            p.udh = optarg;
            break;
        case OPT_NETWORK:
            p.network = optarg;
            break;
        case OPT_KEYWORD:
            p.keyword = optarg;
            break;
        case ':':
            return usage_error("%s needs a value", argv[optind - 1]);
        default:
            return usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument '%s'", argv[optind]);
    if (!p.url || !p.from || !p.to || !p.text)
        return usage_error("--to-url, --from, --to and --body are required");
    if (!sg_sim_url_ok(p.url))
        return usage_error("--to-url must be an http:// or https:// URL");
    if (!*p.from || !*p.to || strlen(p.from) > 64 || strlen(p.to) > 64)
        return usage_error("--from and --to must be 1 to 64 characters");
    if (strcmp(api, "legacy") != 0 && strcmp(api, "platform") != 0)
        return usage_error("--api must be legacy or platform");
    p.platform = strcmp(api, "platform") == 0;
    if (method && !sg_ck_method_parse(method, &p.method))
        return usage_error("--method must be GET, POST or JSON");
    if (p.platform && method)
        return usage_error("--method is for legacy replies (platform replies are JSON POSTs)");
    if (p.platform)
        p.method = SG_CK_JSON;
    if (!p.platform && p.message_id)
        return usage_error("--message-id is for platform replies");
    sg_sms_info info;
    sg_text_status ts = sg_sms_analyze(p.text, strlen(p.text), &info);
    if (ts == SG_TEXT_TOO_LONG)
        return usage_error("--body is longer than %d characters", SG_SMS_MAX_CHARS);
    if (ts != SG_TEXT_OK)
        return usage_error("--body is not valid UTF-8");

    char id[SG_CK_ID_LEN + 1], why[160];
    sg_ck_request req;
    if (!sg_ck_reply_request(&p, id, &req, why, sizeof why))
        return usage_error("%s", why);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = send_reply(&req, id);
    curl_global_cleanup();
    sg_ck_request_free(&req);
    return rc;
}
