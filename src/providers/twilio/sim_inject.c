/* `smsgate simulate inject [--kind twilio]`: one signed Twilio incoming-message
 * webhook (A.8, A.9) POSTed straight to a URL, as Twilio would when a phone texts
 * your number. The kind's sim_inject (sim/inject.c picks it by --kind). */
#include "providers/twilio/sim.h"
#include "sim/webhook.h"

#include "core/gsm7.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Exit codes as in simulate.h (cli/ is a higher layer, not included). */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

static void usage(FILE *f)
{
    fprintf(f,
            "usage: smsgate simulate inject --to-url URL --from NUMBER --to NUMBER --body TEXT\n"
            "                               [options]\n\n"
            "POSTs one incoming-message webhook to URL exactly as Twilio does: form-encoded\n"
            "(MessageSid, SmsSid, SmsMessageSid, AccountSid, From, To, Body, NumMedia=0,\n"
            "NumSegments, SmsStatus=received, ApiVersion, empty geo fields), signed with\n"
            "X-Twilio-Signature. Prints 'HTTP <status> content_type=<type> message_sid=SM...'\n"
            "and then the answer body (the TwiML). No simulator needs to run.\n"
            "With --kind clickatell it sends a Clickatell reply instead (see\n"
            "'smsgate simulate inject --kind clickatell --help').\n\n"
            "options:\n"
            "  --kind twilio|clickatell  whose webhook (default twilio)\n"
            "  --to-url URL          smsgate's inbound webhook URL (http:// or https://)\n"
            "  --from NUMBER         the sender, e.g. +447400123456\n"
            "  --to NUMBER           your Twilio number, e.g. +15005550006\n"
            "  --body TEXT           the message text (may be empty; at most %d characters)\n"
            "  --auth-token TOKEN    signs the request (default " SG_TWILIO_SIM_DEFAULT_AUTH_TOKEN
            ")\n"
            "  --account-sid AC...   the AccountSid parameter\n"
            "                        (default " SG_TWILIO_SIM_DEFAULT_ACCOUNT_SID ")\n"
            "  --signature SIG       send this X-Twilio-Signature instead of the right one\n"
            "  --unsigned            send no X-Twilio-Signature header\n"
            "  -h, --help            show this help\n\n"
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
    fprintf(stderr, "smsgate simulate inject: %s (try --help)\n", msg);
    return EXIT_USAGE;
}

static bool account_sid_valid(const char *s)
{
    if (strncmp(s, "AC", 2) != 0 || strlen(s) != 34)
        return false;
    for (size_t i = 2; i < 34; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return false;
    }
    return true;
}

static int post(const char *url, char *form, const char *signature, const char *sid)
{
    sg_sim_post p = {0};
    int rc = EXIT_FAIL;
    if (!sg_sim_post_init(&p, url, form, signature)) {
        fprintf(stderr, "smsgate simulate inject: out of memory\n");
        sg_sim_post_free(&p);
        return EXIT_FAIL;
    }
    sg_sim_result r;
    sg_sim_post_result(&p, sg_sim_post_perform(&p), &r);
    if (!r.http_status) {
        fprintf(stderr, "smsgate simulate inject: %s: %s\n", url, r.error);
    } else {
        printf("HTTP %ld content_type=%s message_sid=%s\n", r.http_status,
               r.content_type[0] ? r.content_type : "-", sid);
        fwrite(r.body, 1, r.body_len, stdout);
        if (r.body_len && r.body[r.body_len - 1] != '\n')
            putchar('\n');
        if (r.truncated)
            fprintf(stderr, "smsgate simulate inject: the answer was cut at %d bytes\n",
                    SG_SIM_ANSWER_MAX);
        rc = r.http_status >= 200 && r.http_status < 300 ? EXIT_OK : EXIT_FAIL;
    }
    fflush(stdout);
    sg_sim_post_free(&p);
    return rc;
}

int sg_twilio_inject_main(int argc, char **argv)
{
    enum {
        OPT_URL = 256,
        OPT_FROM,
        OPT_TO,
        OPT_BODY,
        OPT_TOKEN,
        OPT_ACCOUNT,
        OPT_SIG,
        OPT_UNSIGNED,
        OPT_KIND,
    };
    static const struct option longopts[] = {
        {"kind", required_argument, NULL, OPT_KIND},
        {"to-url", required_argument, NULL, OPT_URL},
        {"from", required_argument, NULL, OPT_FROM},
        {"to", required_argument, NULL, OPT_TO},
        {"body", required_argument, NULL, OPT_BODY},
        {"auth-token", required_argument, NULL, OPT_TOKEN},
        {"account-sid", required_argument, NULL, OPT_ACCOUNT},
        {"signature", required_argument, NULL, OPT_SIG},
        {"unsigned", no_argument, NULL, OPT_UNSIGNED},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *url = NULL, *from = NULL, *to = NULL, *body = NULL, *signature = NULL;
    const char *token = SG_TWILIO_SIM_DEFAULT_AUTH_TOKEN;
    const char *account = SG_TWILIO_SIM_DEFAULT_ACCOUNT_SID;
    bool no_signature = false;

    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            usage(stdout);
            return EXIT_OK;
        case OPT_KIND: /* twilio: chosen by sim/inject.c */
            break;
        case OPT_URL:
            url = optarg;
            break;
        case OPT_FROM:
            from = optarg;
            break;
        case OPT_TO:
            to = optarg;
            break;
        case OPT_BODY:
            body = optarg;
            break;
        case OPT_TOKEN:
            token = optarg;
            break;
        case OPT_ACCOUNT:
            account = optarg;
            break;
        case OPT_SIG:
            signature = optarg;
            break;
        case OPT_UNSIGNED:
            no_signature = true;
            break;
        case ':':
            return usage_error("%s needs a value", argv[optind - 1]);
        default:
            return usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument '%s'", argv[optind]);
    if (!url || !from || !to || !body)
        return usage_error("--to-url, --from, --to and --body are required");
    if ((strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) ||
        strlen(url) > SG_SIM_URL_MAX)
        return usage_error("--to-url must be an http:// or https:// URL");
    if (!*from || !*to || strlen(from) > 64 || strlen(to) > 64)
        return usage_error("--from and --to must be 1 to 64 characters");
    sg_sms_info info;
    sg_text_status ts = sg_sms_analyze(body, strlen(body), &info);
    if (ts == SG_TEXT_TOO_LONG)
        return usage_error("--body is longer than %d characters", SG_SMS_MAX_CHARS);
    if (ts != SG_TEXT_OK)
        return usage_error("--body is not valid UTF-8");
    if (!*token || strlen(token) > 128)
        return usage_error("--auth-token must be 1 to 128 characters");
    if (!account_sid_valid(account))
        return usage_error("--account-sid must be 'AC' followed by 32 hex digits");
    if (signature && no_signature)
        return usage_error("--signature and --unsigned do not go together");
    if (signature && (!*signature || strlen(signature) > 128))
        return usage_error("--signature must be 1 to 128 characters");

    char sid[35];
    sg_sim_new_sid(sid);
    sg_sim_inbound_params p = {
        .message_sid = sid,
        .account_sid = account,
        .from = from,
        .to = to,
        .body = body,
    };
    sg_buf form;
    sg_buf_init(&form, 256 * 1024);
    char computed[SG_TWILIO_SIG_MAX];
    bool ok = sg_sim_inbound_body(&p, &form) == SG_OK;
    if (ok && !no_signature && !signature)
        ok = sg_sim_sign_body(token, url, sg_buf_cstr(&form), computed);
    char *data = ok ? sg_buf_steal(&form) : NULL;
    sg_buf_free(&form);
    if (!data) {
        fprintf(stderr, "smsgate simulate inject: cannot build the request\n");
        return EXIT_FAIL;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = post(url, data, no_signature ? NULL : signature ? signature : computed, sid);
    curl_global_cleanup();
    return rc;
}
