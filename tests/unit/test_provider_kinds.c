/* The kinds table (providers/provider.h): every kind describes its config keys
 * (config_keys, from which `smsgate provider --help`, the CLI's per-kind flags,
 * the kind's secrets and GET /v1/provider-kinds are made), and every key it
 * describes is one its config_load knows; every kind has its error catalogue rows
 * and its simulator on its row, and the catalogue lookups find a kind's codes
 * through the row. Every kind reads its own webhooks through the hooks of its row
 * (callback_types.h), and the generic pipeline (sg_cb_run_status / _inbound) is
 * driven by those hooks alone: a kind nobody else knows of gets its callbacks
 * read, authenticated and parsed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "providers/common_options.h"
#include "providers/config_fields.h"
#include "providers/provider.h"
#include "providers/twilio/signature.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A value of the key's type that is surely wrong in content but not in kind. */
static json_t *sample(const sg_config_key *k)
{
    switch (k->type) {
    case SG_CONFIG_NUMBER:
        return json_integer(1);
    case SG_CONFIG_BOOL:
        return json_true();
    case SG_CONFIG_LIST:
        return json_array();
    default:
        return json_string("x");
    }
}

static void test_described_keys_are_known(void **state)
{
    (void)state;
    size_t kinds = 0;
    for (const sg_provider_kind *const *k = sg_provider_kinds(); *k; k++, kinds++) {
        const sg_config_key *keys = (*k)->config_keys;
        if (!keys || !keys[0].key)
            fail_msg("kind %s describes no config keys", (*k)->name);
        for (const sg_config_key *c = keys; c->key; c++) {
            if (!c->metavar || !c->help || !c->help[0])
                fail_msg("kind %s key %s lacks a metavar or help", (*k)->name, c->key);
            json_t *config = json_pack("{s:o}", c->key, sample(c));
            sg_error e;
            sg_error_clear(&e);
            void *cfg = (*k)->config_load(config, &e);
            /* incomplete on purpose: refused, but never as an unknown key */
            if (cfg)
                (*k)->config_free(cfg);
            else if (strstr(e.message, "unknown key"))
                fail_msg("kind %s: described key %s is refused: %s", (*k)->name, c->key, e.message);
            json_decref(config);
        }
    }
    assert_true(kinds >= 3);
}

/* ---- callbacks ---------------------------------------------------------------------- */

static void test_every_kind_reads_its_callbacks(void **state)
{
    (void)state;
    for (const sg_provider_kind *const *k = sg_provider_kinds(); *k; k++) {
        if (!(*k)->callback_read || !(*k)->parse_status_cb || !(*k)->parse_inbound_cb)
            fail_msg("kind %s lacks a callback hook (read, status, inbound)", (*k)->name);
        if (!(*k)->callback_answer_type || !(*k)->callback_answer)
            fail_msg("kind %s has no answer to a callback", (*k)->name);
        /* Authenticated one way or the other: a signature, or the secret URL. */
        if (!(*k)->callback_verify && !(*k)->url_secret)
            fail_msg("kind %s has no way to authenticate its callbacks", (*k)->name);
    }
}

/* A request's headers for the tests: one name and its value. */
typedef struct fake_headers {
    const char *name, *value;
} fake_headers;

static const char *fake_header(const void *ctx, const char *name)
{
    const fake_headers *h = ctx;
    return h && h->name && strcasecmp(h->name, name) == 0 ? h->value : NULL;
}

/* A kind registered nowhere but in its own row: query parameters, a header that
 * must say "yes", "id" and "state" in its reports. */
static bool fake_read(const void *cfg, const sg_cb_request *rq, sg_cb_params *out, sg_cb_refusal *r)
{
    if (!rq->query)
        return sg_cb_refuse(r, 400, "invalid_request", NULL, "no query");
    out->form = rq->query;
    return true;
}

static bool fake_verify(const void *cfg, const sg_cb_request *rq, const sg_cb_params *p,
                        sg_cb_refusal *r)
{
    const char *v = rq->header(rq->header_ctx, "X-Fake");
    if (v && strcmp(v, "yes") == 0)
        return true;
    r->log_reason = "no_fake";
    return sg_cb_refuse(r, 403, "forbidden", NULL, "not fake enough");
}

static bool fake_status(const void *cfg, const sg_cb_params *p, sg_cb_status *out, sg_cb_refusal *r)
{
    const char *id = sg_form_get(p->form, "id"), *state = sg_form_get(p->form, "state");
    if (!id)
        return sg_cb_refuse(r, 400, "invalid_request", "id", "id is missing");
    snprintf(out->provider_message_id, sizeof out->provider_message_id, "%s", id);
    snprintf(out->status_raw, sizeof out->status_raw, "%s", state ? state : "");
    out->has_status = state && strcmp(state, "ok") == 0;
    out->status = SG_STATUS_DELIVERED;
    return true;
}

static bool fake_inbound(const void *cfg, const sg_cb_params *p, sg_cb_inbound *out,
                         sg_cb_refusal *r)
{
    out->body = strdup(sg_form_get(p->form, "text") ? sg_form_get(p->form, "text") : "");
    return out->body != NULL;
}

static const sg_provider_kind fake_kind = {
    .name = "fake",
    .callback_read = fake_read,
    .callback_verify = fake_verify,
    .parse_status_cb = fake_status,
    .parse_inbound_cb = fake_inbound,
    .callback_answer_type = "text/plain",
    .callback_answer = "",
};

/* rq for a GET with query text q and header h (q must outlive rq). */
static void get_request(sg_cb_request *rq, sg_form *query, const char *q, const fake_headers *h)
{
    assert_int_equal(sg_form_parse_keep_nul(q, strlen(q), query), SG_OK);
    *rq = (sg_cb_request){
        .what = SG_CB_STATUS,
        .method = "GET",
        .url = "https://sms.example.org/callbacks/prv_1/status",
        .body = "",
        .query = query,
        .header = fake_header,
        .header_ctx = h,
        .status_callback_url = "",
    };
}

static void test_fake_kind_gets_its_status_parsed(void **state)
{
    (void)state;
    fake_headers yes = {"X-Fake", "yes"}, no = {"X-Fake", "no"};
    sg_form query;
    sg_cb_request rq;
    sg_cb_status st;
    sg_cb_refusal r;

    get_request(&rq, &query, "id=abc&state=ok", &yes);
    assert_true(sg_cb_run_status(&fake_kind, NULL, &rq, &st, &r));
    assert_string_equal(st.provider_message_id, "abc");
    assert_true(st.has_status);
    assert_int_equal(st.status, SG_STATUS_DELIVERED);
    assert_string_equal(st.status_raw, "ok");
    assert_null(st.errcode);

    /* the kind's own authentication decides, before anything is parsed */
    rq.header_ctx = &no;
    assert_false(sg_cb_run_status(&fake_kind, NULL, &rq, &st, &r));
    assert_int_equal(r.http_status, 403);
    assert_string_equal(r.log_reason, "no_fake");
    assert_string_equal(st.provider_message_id, "");
    sg_form_free(&query);

    /* the kind's parse refuses with the field at fault */
    get_request(&rq, &query, "state=ok", &yes);
    assert_false(sg_cb_run_status(&fake_kind, NULL, &rq, &st, &r));
    assert_int_equal(r.http_status, 400);
    assert_string_equal(r.field, "id");
    assert_null(r.log_reason);
    sg_form_free(&query);

    /* an inbound goes through the same hooks */
    get_request(&rq, &query, "text=hello", &yes);
    rq.what = SG_CB_INBOUND;
    sg_cb_inbound in;
    assert_true(sg_cb_run_inbound(&fake_kind, NULL, &rq, &in, &r));
    assert_string_equal(in.body, "hello");
    sg_cb_inbound_free(&in);
    sg_form_free(&query);
}

/* A provider of kind name loaded from the JSON config text; NULL fails. */
static void *load(const char *name, const char *config_text, const sg_provider_kind **k)
{
    *k = sg_provider_kind_find(name);
    assert_non_null(*k);
    json_t *config = json_loads(config_text, 0, NULL);
    assert_non_null(config);
    sg_error e;
    sg_error_clear(&e);
    void *cfg = (*k)->config_load(config, &e);
    if (!cfg)
        fail_msg("%s config refused: %s", name, e.message);
    json_decref(config);
    return cfg;
}

#define TW_SID   "SM3b2f4e0c9d1a48e7b6c5d4e3f2a1b0c9"
#define TW_URL   "https://sms.example.org/callbacks/prv_1/status"
#define TW_TOKEN "12345678901234567890123456789012"

/* A form-encoded POST of body to TW_URL, signed for sign_url (NULL: unsigned). */
static void twilio_post(sg_cb_request *rq, const char *body, const char *sign_url, fake_headers *h,
                        char sig[SG_TWILIO_SIG_MAX])
{
    sg_form form;
    assert_int_equal(sg_form_parse(body, strlen(body), &form), SG_OK);
    if (sign_url)
        sg_twilio_sign(TW_TOKEN, sign_url, &form, sig);
    sg_form_free(&form);
    *h = (fake_headers){sign_url ? "X-Twilio-Signature" : NULL, sig};
    *rq = (sg_cb_request){
        .what = SG_CB_STATUS,
        .method = "POST",
        .url = TW_URL,
        .content_type = "application/x-www-form-urlencoded",
        .body = body,
        .body_len = strlen(body),
        .header = fake_header,
        .header_ctx = h,
        .status_callback_url = "",
    };
}

static void test_twilio_status_through_its_hooks(void **state)
{
    (void)state;
    const sg_provider_kind *k;
    void *cfg = load("twilio",
                     "{\"account_sid\": \"ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\", \"auth_token\": "
                     "\"" TW_TOKEN "\", \"from\": \"+15005550006\"}",
                     &k);
    const char *body = "MessageSid=" TW_SID "&MessageStatus=undelivered&ErrorCode=30003";
    sg_cb_request rq;
    fake_headers h;
    char sig[SG_TWILIO_SIG_MAX];
    sg_cb_status st;
    sg_cb_refusal r;

    twilio_post(&rq, body, TW_URL, &h, sig);
    assert_true(sg_cb_run_status(k, cfg, &rq, &st, &r));
    assert_string_equal(st.provider_message_id, TW_SID);
    assert_true(st.has_status);
    assert_int_equal(st.status, SG_STATUS_UNDELIVERED);
    assert_string_equal(st.error_code, "30003");
    assert_non_null(st.errcode); /* the kind names its catalogue */
    assert_string_equal(st.errcode->title, "Unreachable destination handset");

    /* signed for another URL: refused, and why is logged */
    twilio_post(&rq, body, "https://elsewhere.example.org/status", &h, sig);
    assert_false(sg_cb_run_status(k, cfg, &rq, &st, &r));
    assert_int_equal(r.http_status, 403);
    assert_string_equal(r.log_reason, "bad_signature");
    /* ... unless that is the provider's status_callback_url (a proxy forwards) */
    rq.status_callback_url = "https://elsewhere.example.org/status";
    assert_true(sg_cb_run_status(k, cfg, &rq, &st, &r));
    /* which signs status reports only */
    rq.what = SG_CB_INBOUND;
    sg_cb_inbound in;
    assert_false(sg_cb_run_inbound(k, cfg, &rq, &in, &r));
    assert_string_equal(r.log_reason, "bad_signature");

    /* unsigned, and not form-encoded */
    twilio_post(&rq, body, NULL, &h, sig);
    assert_false(sg_cb_run_status(k, cfg, &rq, &st, &r));
    assert_string_equal(r.log_reason, "no_signature");
    rq.content_type = "application/json";
    assert_false(sg_cb_run_status(k, cfg, &rq, &st, &r));
    assert_int_equal(r.http_status, 415);
    k->config_free(cfg);
}

#define CK_MSG "7b8c3a1f2e4d5c6b7a8f9e0d1c2b3a4f"

static void test_clickatell_status_through_its_hooks(void **state)
{
    (void)state;
    const sg_provider_kind *k;
    void *cfg = load("clickatell",
                     "{\"username\": \"u\", \"password\": \"p\", \"api_id\": \"3456789\", "
                     "\"from\": \"+27831234567\"}",
                     &k);
    sg_form query;
    sg_cb_request rq;
    sg_cb_status st;
    sg_cb_refusal r;

    get_request(&rq, &query, "api_id=3456789&apiMsgId=" CK_MSG "&status=007", NULL);
    rq.secret_url = true;
    assert_true(sg_cb_run_status(k, cfg, &rq, &st, &r));
    assert_string_equal(st.provider_message_id, CK_MSG);
    assert_int_equal(st.status, SG_STATUS_UNDELIVERED);
    assert_string_equal(st.error_code, "status-007");
    assert_non_null(st.errcode);
    sg_form_free(&query);

    /* another account's api_id: 403 naming the field, not logged as a forgery */
    get_request(&rq, &query, "api_id=999&apiMsgId=" CK_MSG "&status=004", NULL);
    assert_false(sg_cb_run_status(k, cfg, &rq, &st, &r));
    assert_int_equal(r.http_status, 403);
    assert_string_equal(r.field, "api_id");
    assert_null(r.log_reason);
    sg_form_free(&query);

    /* a flat JSON object is read as the legacy form */
    const char *json = "{\"api_id\": \"3456789\", \"apiMsgId\": \"" CK_MSG "\", \"status\": 4}";
    get_request(&rq, &query, "", NULL);
    rq.method = "POST";
    rq.content_type = "application/json";
    rq.body = json;
    rq.body_len = strlen(json);
    assert_true(sg_cb_run_status(k, cfg, &rq, &st, &r));
    assert_int_equal(st.status, SG_STATUS_DELIVERED);
    sg_form_free(&query);

    /* a NUL outside the text is refused */
    get_request(&rq, &query, "api_id=3456789&apiMsgId=a%00b&status=004", NULL);
    assert_false(sg_cb_run_status(k, cfg, &rq, &st, &r));
    assert_int_equal(r.http_status, 400);
    sg_form_free(&query);
    k->config_free(cfg);

    /* the Platform's JSON */
    cfg = load("clickatell-platform",
               "{\"api_key\": \"abcdefghijklmnop\", \"from\": \"+27831234567\"}", &k);
    json = "{\"messageId\": \"" CK_MSG "\", \"status\": \"RECEIVED_BY_RECIPIENT\"}";
    get_request(&rq, &query, "", NULL);
    rq.method = "POST";
    rq.content_type = "application/json";
    rq.body = json;
    rq.body_len = strlen(json);
    assert_true(sg_cb_run_status(k, cfg, &rq, &st, &r));
    assert_string_equal(st.provider_message_id, CK_MSG);
    assert_int_equal(st.status, SG_STATUS_DELIVERED);
    sg_form_free(&query);
    k->config_free(cfg);
}

static size_t rows(const sg_errcode *t)
{
    size_t n = 0;
    while (t && t[n].code)
        n++;
    return n;
}

static void test_every_kind_has_errors_found_through_its_row(void **state)
{
    (void)state;
    for (const sg_provider_kind *const *k = sg_provider_kinds(); *k; k++) {
        size_t n = rows((*k)->errors);
        if (n == 0)
            fail_msg("kind %s has no error catalogue rows", (*k)->name);
        for (size_t i = 0; i < n; i++) {
            const sg_errcode *r = &(*k)->errors[i];
            if (!r->provider || !r->title || !r->meaning)
                fail_msg("kind %s row %s is incomplete", (*k)->name, r->code);
            if (sg_provider_kind_errcode(*k, r->code) != r)
                fail_msg("kind %s: its row %s is not found through the kind", (*k)->name, r->code);
            if (sg_errcode_find(r->provider, r->code) != r)
                fail_msg("kind %s: %s %s is not found in the catalogue", (*k)->name, r->provider,
                         r->code);
        }
        if (sg_provider_kind_errcode(*k, "no-such-code"))
            fail_msg("kind %s finds a code it does not have", (*k)->name);
    }
    /* a kind's code, through the kind's row */
    const sg_provider_kind *tw = sg_provider_kind_find("twilio");
    const sg_errcode *ec = sg_provider_kind_errcode(tw, "30003");
    assert_non_null(ec);
    assert_true(ec >= tw->errors && ec < tw->errors + rows(tw->errors));
    assert_ptr_equal(sg_errcode_find("twilio", "30003"), ec);
    assert_string_equal(sg_errcode_describe("30003"), "Unreachable destination handset");
    const sg_provider_kind *ck = sg_provider_kind_find("clickatell");
    assert_ptr_equal(sg_provider_kind_errcode(ck, "114"), sg_errcode_find("clickatell", "114"));
    assert_ptr_equal(sg_provider_kind_find("clickatell-platform")->errors, ck->errors);
    assert_null(sg_provider_kind_errcode(tw, "114"));
    /* the kind-less rows stay smsgate's own */
    assert_ptr_equal(sg_errcode_find("smsgate", "expired"),
                     sg_errcode_in(sg_errcodes_own(), "smsgate", "expired"));
    assert_null(sg_provider_kind_errcode(tw, "expired"));
}

/* The whole catalogue: each distinct kind table once, in the kinds' order, then
 * smsgate's own rows, as GET /v1/error-codes lists it. */
static void test_catalogue_order(void **state)
{
    (void)state;
    const sg_provider_kind *tw = sg_provider_kind_find("twilio");
    const sg_provider_kind *ck = sg_provider_kind_find("clickatell");
    size_t nt = rows(tw->errors), nc = rows(ck->errors), no = rows(sg_errcodes_own());
    assert_int_equal(sg_errcodes_count(), nt + nc + no);
    assert_ptr_equal(sg_errcode_at(0), &tw->errors[0]);
    assert_ptr_equal(sg_errcode_at(nt), &ck->errors[0]);
    assert_ptr_equal(sg_errcode_at(nt + nc), &sg_errcodes_own()[0]);
    assert_ptr_equal(sg_errcode_at(nt + nc + no - 1), &sg_errcodes_own()[no - 1]);
    assert_null(sg_errcode_at(nt + nc + no));
}

static bool is_secret_key(const sg_config_key *c)
{
    return (c->flags & SG_CONFIG_SECRET) != 0;
}

static void test_keys_labelled_and_secrets_derived(void **state)
{
    (void)state;
    for (const sg_provider_kind *const *k = sg_provider_kinds(); *k; k++) {
        size_t secrets = 0;
        if (!(*k)->label || !(*k)->label[0] || !(*k)->description || !(*k)->description[0])
            fail_msg("kind %s has no label or description", (*k)->name);
        for (const sg_config_key *c = (*k)->config_keys; c->key; c++) {
            if (!c->label || !c->label[0])
                fail_msg("kind %s key %s has no label", (*k)->name, c->key);
            /* --help adds these from the flags: the help must not say them again */
            if (strstr(c->help, "(required") || strstr(c->help, "(default"))
                fail_msg("kind %s key %s: help repeats a flag: %s", (*k)->name, c->key, c->help);
            if ((c->flags & SG_CONFIG_REQUIRED) && c->one_of)
                fail_msg("kind %s key %s is both required and one of a group", (*k)->name, c->key);
            if (c->one_of && !strchr(c->one_of, ':'))
                fail_msg("kind %s key %s: one_of '%s' is not group:option", (*k)->name, c->key,
                         c->one_of);
            if (sg_provider_kind_secret(*k, c->key) != is_secret_key(c))
                fail_msg("kind %s key %s: secret not derived from its row", (*k)->name, c->key);
            secrets += is_secret_key(c);
        }
        if (secrets == 0)
            fail_msg("kind %s has no secret key", (*k)->name);
        if (sg_provider_kind_secret(*k, "no_such_key"))
            fail_msg("kind %s: an unknown key is a secret", (*k)->name);
        /* smsgate's own secret of the callback URLs is one wherever it is taken */
        if ((*k)->url_secret && !sg_provider_kind_secret(*k, "callback_secret"))
            fail_msg("kind %s: callback_secret is not a secret", (*k)->name);
    }
}

/* A group of alternatives ("group:option") offers at least two options: one
 * option alone would be a required key written the long way. */
static void test_one_of_groups_have_alternatives(void **state)
{
    (void)state;
    for (const sg_provider_kind *const *k = sg_provider_kinds(); *k; k++) {
        for (const sg_config_key *c = (*k)->config_keys; c->key; c++) {
            if (!c->one_of)
                continue;
            size_t glen = strcspn(c->one_of, ":") + 1;
            bool other = false;
            for (const sg_config_key *d = (*k)->config_keys; d->key; d++)
                other = other || (d->one_of && strncmp(d->one_of, c->one_of, glen) == 0 &&
                                  strcmp(d->one_of, c->one_of) != 0);
            if (!other)
                fail_msg("kind %s: group of %s (%s) has one option only", (*k)->name, c->key,
                         c->one_of);
        }
    }
}

static void test_every_kind_has_its_simulator(void **state)
{
    (void)state;
    for (const sg_provider_kind *const *k = sg_provider_kinds(); *k; k++) {
        const sg_kind_sim *sim = (*k)->sim;
        if (!sim || !sim->name || !sim->summary || !sim->main)
            fail_msg("kind %s registers no simulator", (*k)->name);
    }
    assert_string_equal(sg_provider_kind_find("twilio")->sim->name, "twilio");
    assert_ptr_equal(sg_provider_kind_find("clickatell-platform")->sim,
                     sg_provider_kind_find("clickatell")->sim);
}

/* GET /v1/provider-kinds is made from the row alone. */
static void test_described_as_json(void **state)
{
    (void)state;
    for (const sg_provider_kind *const *k = sg_provider_kinds(); *k; k++) {
        json_t *j = sg_provider_kind_json(*k);
        assert_non_null(j);
        assert_string_equal(json_string_value(json_object_get(j, "name")), (*k)->name);
        assert_string_equal(json_string_value(json_object_get(j, "label")), (*k)->label);
        json_t *fields = json_object_get(j, "fields");
        size_t i = 0;
        for (const sg_config_key *c = (*k)->config_keys; c->key; c++, i++) {
            json_t *f = json_array_get(fields, i);
            if (!f || strcmp(json_string_value(json_object_get(f, "key")), c->key) != 0)
                fail_msg("kind %s: field %zu is not %s", (*k)->name, i, c->key);
            if (json_is_true(json_object_get(f, "secret")) != is_secret_key(c))
                fail_msg("kind %s: field %s's secret flag is wrong", (*k)->name, c->key);
            if ((json_object_get(f, "default") != NULL) != (c->def != NULL))
                fail_msg("kind %s: field %s's default is wrong", (*k)->name, c->key);
        }
        for (const sg_config_key *c = sg_prov_common_keys; c->key; c++, i++) {
            json_t *f = json_array_get(fields, i);
            if (!f || strcmp(json_string_value(json_object_get(f, "key")), c->key) != 0 ||
                !json_is_true(json_object_get(f, "common")))
                fail_msg("kind %s: field %zu is not the common %s", (*k)->name, i, c->key);
        }
        assert_int_equal(json_array_size(fields), i);
        json_decref(j);
    }
    json_t *tw = sg_provider_kind_json(sg_provider_kind_find("twilio"));
    json_t *mps = NULL, *api_key_sid = NULL, *v;
    size_t i;
    json_array_foreach(json_object_get(tw, "fields"), i, v)
    {
        const char *key = json_string_value(json_object_get(v, "key"));
        if (strcmp(key, "mps") == 0)
            mps = v;
        if (strcmp(key, "api_key_sid") == 0)
            api_key_sid = v;
    }
    assert_non_null(mps);
    assert_true(json_is_integer(json_object_get(mps, "default")));
    assert_int_equal(json_integer_value(json_object_get(mps, "default")), 1);
    assert_non_null(api_key_sid);
    json_t *one_of = json_object_get(api_key_sid, "one_of");
    assert_string_equal(json_string_value(json_object_get(one_of, "group")), "credentials");
    assert_string_equal(json_string_value(json_object_get(one_of, "option")), "api_key");
    assert_string_equal(json_string_value(json_object_get(tw, "callback_auth")),
                        "signature_or_url_secret");
    json_decref(tw);
}

/* The options every kind takes are described, and each is one smsgate takes:
 * out of the config before the driver (common_options.c), or known to every
 * driver (retry_for_seconds). */
static void test_common_options_described(void **state)
{
    (void)state;
    size_t n = 0;
    for (const sg_config_key *c = sg_prov_common_keys; c->key; c++, n++) {
        if (!c->label || !c->help || !c->metavar || !(c->flags & SG_CONFIG_ADVANCED))
            fail_msg("common key %s is not described", c->key);
        json_t *config = json_pack("{s:o}", c->key, sample(c));
        json_t *taken = NULL;
        sg_prov_common ok;
        sg_error e;
        sg_error_clear(&e);
        sg_prov_common_take(config, &taken, &ok, &e);
        bool is_common = json_object_get(config, c->key) == NULL || e.message[0];
        json_decref(taken);
        for (const sg_provider_kind *const *k = sg_provider_kinds(); !is_common && *k; k++) {
            sg_error_clear(&e);
            void *cfg = (*k)->config_load(config, &e);
            if (cfg)
                (*k)->config_free(cfg);
            else if (strstr(e.message, "unknown key"))
                fail_msg("kind %s refuses the common key %s: %s", (*k)->name, c->key,
                         e.message);
        }
        json_decref(config);
    }
    assert_int_equal(n, 3);
    assert_int_equal(strtoll(sg_prov_common_keys[0].def, NULL, 10), SG_CFG_RETRY_FOR_DEFAULT_S);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_described_keys_are_known),
        cmocka_unit_test(test_every_kind_reads_its_callbacks),
        cmocka_unit_test(test_fake_kind_gets_its_status_parsed),
        cmocka_unit_test(test_twilio_status_through_its_hooks),
        cmocka_unit_test(test_clickatell_status_through_its_hooks),
        cmocka_unit_test(test_every_kind_has_errors_found_through_its_row),
        cmocka_unit_test(test_catalogue_order),
        cmocka_unit_test(test_keys_labelled_and_secrets_derived),
        cmocka_unit_test(test_one_of_groups_have_alternatives),
        cmocka_unit_test(test_every_kind_has_its_simulator),
        cmocka_unit_test(test_described_as_json),
        cmocka_unit_test(test_common_options_described),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
