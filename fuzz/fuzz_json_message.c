/* libFuzzer driver for message validation (sg_accept_message, src/api/accept.c):
 * the JSON body of POST /v1/messages and each element of POST /v1/messages/batch.
 *
 * The input is parsed as the API parses a request body (json_loadb with
 * JSON_REJECT_DUPLICATES). An object with a "messages" array is treated as a
 * batch (each element validated, at most 1000 as the API allows); anything else
 * as one message. No store is needed: sg_accept_message reads only
 * app->default_region and an in-memory provider set, built here by hand with
 * the real sg_provider_set_find/default (registry.c). Each message is validated
 * twice: region "GB" with a default provider, and no region with no default.
 *
 * Contracts checked, beyond ASan/UBSan and LeakSanitizer (accept.h):
 *  - a refusal has an HTTP status (400, 422 or 500), a code and a detail, all
 *    NUL-terminated, and leaves nothing allocated in the message;
 *  - an accepted message has: a valid "msg" id; an E.164 "to" that normalises to
 *    itself, of at most 15 digits (check "phone-e164-length"); the body exactly as sent (check
 * "accept-body"); the segments and encoding sg_sms_analyze gives for it; the chosen provider's id,
 * and that provider is active and not broken; status SCHEDULED with send_at in (now, now + 366
 * days], or QUEUED with send_at 0; metadata NULL or a JSON object of at most SG_METADATA_MAX bytes;
 * a "from" that is a sender (not blank: check "accept-from"); a contact_id that is "" or a valid
 * "ctc" id;
 *  - sg_message_accepted_json and sg_message_json (with two events) build objects
 *    that serialise. */
#include "fuzz_common.h"

#include "api/accept.h"
#include "core/gsm7.h"
#include "core/phone.h"
#include "providers/twilio/twilio.h"
#include "util/id.h"

#include <sodium.h>

#define FUZZ_MAX_INPUT (64 * 1024)
#define BATCH_MAX      1000            /* as src/api/messages.c */
#define NOW_MS         1795000000000LL /* 2026-11-18T09:46:40Z */

static sg_provider providers[3];
static sg_provider_set with_default = {.refs = 1, .items = providers, .n = 3};
static sg_provider no_default_items[1];
static sg_provider_set without_default = {.refs = 1, .items = no_default_items, .n = 1};
static sg_app app_gb, app_none;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (sodium_init() < 0) /* sg_id_new draws random bytes, as in sg_crypto_init */
        abort();
    static const struct {
        const char *id, *name;
        bool active, is_default, broken;
    } rows[3] = {
        {"prv_01JD3Z4Q5R6S7T8V9W0XYZABCD", "twilio-main", true, true, false},
        {"prv_01JD3Z4Q5R6S7T8V9W0XYZABCE", "old", false, false, false},
        {"prv_01JD3Z4Q5R6S7T8V9W0XYZABCF", "broken", true, false, true},
    };
    for (size_t i = 0; i < 3; i++) {
        sg_provider *p = &providers[i];
        snprintf(p->id, sizeof p->id, "%s", rows[i].id);
        snprintf(p->name, sizeof p->name, "%s", rows[i].name);
        p->active = rows[i].active;
        p->is_default = rows[i].is_default;
        p->broken = rows[i].broken;
        p->kind = &sg_twilio_kind;
        p->mps = 1;
        if (p->broken)
            snprintf(p->broken_reason, sizeof p->broken_reason,
                     "secrets cannot be decrypted with this master key");
    }
    no_default_items[0] = providers[0];
    no_default_items[0].is_default = false;
    snprintf(app_gb.default_region, sizeof app_gb.default_region, "GB");
    app_none.default_region[0] = '\0';
    return 0;
}

static bool valid_sender(const char *s)
{
    for (; *s; s++) {
        if ((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z'))
            return true;
    }
    return false;
}

static void check_accepted(const json_t *obj, const sg_message *m, const sg_provider *prov)
{
    FUZZ_CHECK(sg_id_valid("msg", m->id), "id \"%s\"", m->id);
    FUZZ_CHECK(strcmp(m->direction, "outbound") == 0, "direction \"%s\"", m->direction);

    char again[SG_PHONE_MAX];
    FUZZ_CHECK(m->to[0] == '+' && sg_phone_normalize(m->to, NULL, again, NULL) == SG_PHONE_OK &&
                   strcmp(again, m->to) == 0,
               "to \"%s\"", m->to);
    if (fuzz_check_enabled("phone-e164-length"))
        FUZZ_CHECK(strlen(m->to) <= 16, "accepted \"to\" \"%s\": more than 15 digits", m->to);

    json_t *body = json_object_get(obj, "body");
    FUZZ_CHECK(json_is_string(body) && m->body, "accepted without a body");
    if (fuzz_check_enabled("accept-body"))
        FUZZ_CHECK(strlen(m->body) == json_string_length(body) &&
                       memcmp(m->body, json_string_value(body), strlen(m->body)) == 0,
                   "the stored body (%zu bytes) is not the body sent (%zu bytes)", strlen(m->body),
                   json_string_length(body));
    sg_sms_info info;
    FUZZ_CHECK(sg_sms_analyze(json_string_value(body), json_string_length(body), &info) ==
                   SG_TEXT_OK,
               "accepted a body sg_sms_analyze refuses");
    FUZZ_CHECK(info.segments == m->segments && info.encoding == m->encoding,
               "segments %u/%u encoding %d/%d", m->segments, info.segments, (int)m->encoding,
               (int)info.encoding);

    FUZZ_CHECK(prov && prov->active && !prov->broken, "accepted for an unusable provider");
    FUZZ_CHECK(strcmp(m->provider_id, prov->id) == 0, "provider_id \"%s\" vs \"%s\"",
               m->provider_id, prov->id);

    if (m->status == SG_STATUS_SCHEDULED)
        FUZZ_CHECK(m->send_at > NOW_MS && m->send_at <= NOW_MS + SG_SEND_AT_MAX_AHEAD_MS,
                   "scheduled at %lld", (long long)m->send_at);
    else
        FUZZ_CHECK(m->status == SG_STATUS_QUEUED && m->send_at == 0, "status %d send_at %lld",
                   (int)m->status, (long long)m->send_at);
    FUZZ_CHECK(m->created_at == NOW_MS && m->updated_at == NOW_MS, "timestamps");

    if (m->metadata) {
        FUZZ_CHECK(strlen(m->metadata) <= SG_METADATA_MAX, "metadata of %zu bytes",
                   strlen(m->metadata));
        json_t *meta = json_loads(m->metadata, 0, NULL);
        FUZZ_CHECK(json_is_object(meta), "metadata \"%.200s\" is not an object", m->metadata);
        json_decref(meta);
    }
    FUZZ_CHECK(FUZZ_TERMINATED(m->from) && FUZZ_TERMINATED(m->contact_id), "unterminated");
    if (m->from[0] && fuzz_check_enabled("accept-from"))
        FUZZ_CHECK(valid_sender(m->from),
                   "accepted \"from\": \"%s\", which is not an E.164 number, a short code or "
                   "an alphanumeric sender ID",
                   m->from);
    FUZZ_CHECK(m->contact_id[0] == '\0' || sg_id_valid("ctc", m->contact_id), "contact_id \"%s\"",
               m->contact_id);

    json_t *j1 = sg_message_accepted_json(m, prov->name);
    sg_event ev[2] = {
        {.status = m->status, .at = m->created_at, .detail = NULL},
        {.status = SG_STATUS_FAILED, .at = m->created_at + 1, .detail = m->body},
    };
    json_t *j2 = sg_message_json(m, ev, 2, prov->name);
    char *t1 = json_dumps(j1, JSON_COMPACT), *t2 = json_dumps(j2, JSON_COMPACT);
    FUZZ_CHECK(t1 && t2, "an accepted message does not serialise");
    free(t1);
    free(t2);
    json_decref(j1);
    json_decref(j2);
}

static void check_refused(const sg_message *m, const sg_reject *rej)
{
    FUZZ_CHECK(rej->status == 400 || rej->status == 422 || rej->status == 500, "status %d",
               rej->status);
    FUZZ_CHECK(rej->code && rej->code[0], "no problem code");
    FUZZ_CHECK(FUZZ_TERMINATED(rej->field) && FUZZ_TERMINATED(rej->detail), "unterminated");
    FUZZ_CHECK(rej->detail[0] != '\0', "no detail (code %s)", rej->code);
    FUZZ_CHECK(m->body == NULL && m->metadata == NULL && m->error_message == NULL,
               "a refused message still owns memory (code %s)", rej->code);
}

static void validate(const sg_app *app, const sg_provider_set *set, json_t *obj)
{
    sg_message m;
    const sg_provider *prov = NULL;
    sg_reject rej;
    memset(&rej, 0, sizeof rej);
    if (sg_accept_message(app, set, obj, NOW_MS, &m, &prov, &rej))
        check_accepted(obj, &m, prov);
    else
        check_refused(&m, &rej);
    sg_message_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_MAX_INPUT)
        return 0;
    json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (!j)
        return 0;
    json_t *arr = json_object_get(j, "messages");
    size_t n = json_is_array(arr) ? json_array_size(arr) : 0;
    if (n > 0 && n <= BATCH_MAX) {
        for (size_t i = 0; i < n; i++) {
            validate(&app_gb, &with_default, json_array_get(arr, i));
            validate(&app_none, &without_default, json_array_get(arr, i));
        }
    } else {
        validate(&app_gb, &with_default, j);
        validate(&app_none, &without_default, j);
    }
    json_decref(j);
    return 0;
}
