/* `smsgate simulate inject [--kind twilio]`: one signed Twilio incoming-message
 * webhook (A.8, A.9) POSTed straight to a URL, as Twilio would when a phone texts
 * your number. The kind's sim_inject (sim/inject.c picks it by --kind). */
#include "providers/twilio/sim.h"
#include "sim/webhook.h"

#include "core/gsm7.h"
#include "util/form.h"
#include "util/options.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Exit codes as in simulate.h (cli/ is a higher layer, not included). */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

#define CMD "smsgate simulate inject"

/* The command line as given (checked in check_args). */
typedef struct inject_args {
    const char *kind, *url, *from, *to, *body, *token, *account, *signature;
    bool no_signature;
} inject_args;

#define A(field) offsetof(inject_args, field)
static const sg_opt inject_opts[] = {
    {"kind", NULL, "twilio", SG_OPT_ARG, A(kind), 0, "twilio|clickatell", "whose webhook"},
    {"to-url", NULL, NULL, SG_OPT_ARG, A(url), 0, "URL",
     "smsgate's inbound webhook URL (http:// or https://)"},
    {"from", NULL, NULL, SG_OPT_ARG, A(from), 0, "NUMBER", "the sender, e.g. +447400123456"},
    {"to", NULL, NULL, SG_OPT_ARG, A(to), 0, "NUMBER", "your Twilio number, e.g. +15005550006"},
    {"body", NULL, NULL, SG_OPT_ARG, A(body), 0, "TEXT",
     "the message text (may be empty; at most " SG_OPT_TEXT_OF(SG_SMS_MAX_CHARS) "\ncharacters)"},
    {"auth-token", NULL, SG_TWILIO_SIM_DEFAULT_AUTH_TOKEN, SG_OPT_ARG, A(token), 0, "TOKEN",
     "signs the request (the simulator's and smsgate's\nprovider's auth_token)"},
    {"account-sid", NULL, SG_TWILIO_SIM_DEFAULT_ACCOUNT_SID, SG_OPT_ARG, A(account), 0, "AC...",
     "the AccountSid parameter"},
    {"signature", NULL, NULL, SG_OPT_ARG, A(signature), 0, "SIG",
     "send this X-Twilio-Signature, not the right one"},
    {"unsigned", NULL, NULL, SG_OPT_BOOL, A(no_signature), 0, NULL,
     "send no X-Twilio-Signature header"},
    SG_OPT_HEADING("Exit status: 0 when the answer is 2xx, 1 on another status or when the URL\n"
                   "cannot be reached (timeout " SG_OPT_TEXT_OF(
                       SG_SIM_HTTP_TIMEOUT_S) " s), 2 on a usage error."),
    SG_OPT_END,
};
#undef A

static const sg_cmd_spec inject_spec = {
    CMD " --to-url URL --from NUMBER --to NUMBER --body TEXT\n"
        "                               [options]",
    "POSTs one incoming-message webhook to URL exactly as Twilio does: form-encoded\n"
    "(MessageSid, SmsSid, SmsMessageSid, AccountSid, From, To, Body, NumMedia=0,\n"
    "NumSegments, SmsStatus=received, ApiVersion, empty geo fields), signed with\n"
    "X-Twilio-Signature. Prints 'HTTP <status> content_type=<type> message_sid=SM...'\n"
    "and then the answer body (the TwiML). No simulator needs to run.\n"
    "With --kind clickatell it sends a Clickatell reply instead (see\n"
    "'smsgate simulate inject --kind clickatell --help').",
    inject_opts,
    0,
    0,
};

static bool account_sid_valid(const char *s)
{
    if (strncmp(s, "AC", 2) != 0 || strlen(s) != 34)
        return false;
    for (size_t i = 2; i < 34; i++) {
        if (sg_hex_value(s[i]) < 0)
            return false;
    }
    return true;
}

static int post(const char *url, char *form, const char *signature, const char *sid)
{
    sg_sim_post p = {0};
    if (!sg_sim_post_init(&p, url, form, signature)) {
        fprintf(stderr, "smsgate simulate inject: out of memory\n");
        sg_sim_post_free(&p);
        return EXIT_FAIL;
    }
    return sg_sim_inject_finish(&p, url, "message_sid", sid);
}

static int check_args(const inject_args *a)
{
    if (!a->url || !a->from || !a->to || !a->body)
        return sg_opts_usage_error(CMD, "--to-url, --from, --to and --body are required");
    if ((strncmp(a->url, "http://", 7) != 0 && strncmp(a->url, "https://", 8) != 0) ||
        strlen(a->url) > SG_SIM_URL_MAX)
        return sg_opts_usage_error(CMD, "--to-url must be an http:// or https:// URL");
    if (!*a->from || !*a->to || strlen(a->from) > 64 || strlen(a->to) > 64)
        return sg_opts_usage_error(CMD, "--from and --to must be 1 to 64 characters");
    sg_sms_info info;
    sg_text_status ts = sg_sms_analyze(a->body, strlen(a->body), &info);
    if (ts == SG_TEXT_TOO_LONG)
        return sg_opts_usage_error(CMD, "--body is longer than %d characters", SG_SMS_MAX_CHARS);
    if (ts != SG_TEXT_OK)
        return sg_opts_usage_error(CMD, "--body is not valid UTF-8");
    if (!*a->token || strlen(a->token) > 128)
        return sg_opts_usage_error(CMD, "--auth-token must be 1 to 128 characters");
    if (!account_sid_valid(a->account))
        return sg_opts_usage_error(CMD, "--account-sid must be 'AC' followed by 32 hex digits");
    if (a->signature && a->no_signature)
        return sg_opts_usage_error(CMD, "--signature and --unsigned do not go together");
    if (a->signature && (!*a->signature || strlen(a->signature) > 128))
        return sg_opts_usage_error(CMD, "--signature must be 1 to 128 characters");
    return 0;
}

int sg_twilio_inject_main(int argc, char **argv)
{
    inject_args a = {0}; /* --kind: chosen by sim/inject.c */
    char **rest = NULL;
    size_t n_rest = 0;
    int rc = sg_opts_parse_cmd(CMD, &inject_spec, &a, argc, argv, &rest, &n_rest);
    free(rest);
    if (rc)
        return rc == SG_OPTS_HELP ? EXIT_OK : rc;
    rc = check_args(&a);
    if (rc)
        return rc;
    const char *url = a.url, *token = a.token, *signature = a.signature;
    bool no_signature = a.no_signature;

    char sid[35];
    sg_sim_new_sid(sid);
    sg_sim_inbound_params p = {
        .message_sid = sid,
        .account_sid = a.account,
        .from = a.from,
        .to = a.to,
        .body = a.body,
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
    rc = post(url, data, no_signature ? NULL : signature ? signature : computed, sid);
    curl_global_cleanup();
    return rc;
}
