/* The store: everything smsgate keeps. One interface; backends behind tables of
 * function pointers (backend.h, forwarded by store.c): SQLite now, PostgreSQL
 * later. No SQL leaves store/.
 *
 * Writes are committed in groups by one writer thread per store (one fsync for
 * many writes). Hot-path writes (sg_store_messages_insert, sg_store_outcomes) are
 * asynchronous: they return at once and call `done` from the writer thread after
 * the group holding them is committed (or failed). Every other call is
 * synchronous. All calls are thread-safe. */
#ifndef SG_STORE_STORE_H
#define SG_STORE_STORE_H

#include "core/gsm7.h"
#include "core/phone.h"
#include "core/search.h"
#include "core/route.h"
#include "core/prices.h"
#include "core/status.h"
#include "util/err.h"
#include "util/id.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sg_store sg_store;

/* ---- lifecycle ------------------------------------------------------------- */

/* Open the store at url: a SQLite file path, plain or as "sqlite:PATH"; or a
 * PostgreSQL database (sg_store_url_is_postgres), whose backend answers
 * SG_ERR_UNSUPPORTED for the subjects not built yet (docs/postgresql.md). Does
 * not migrate. */
sg_err sg_store_open(const char *url, sg_store **out, sg_error *e);
/* The file a --db value names (url without its "sqlite:"), for what lives beside
 * it (the master key file, the lock); NULL when url names no file (postgres://).
 * Points into url. */
const char *sg_store_file(const char *url);
/* Finish queued writes, stop the writer, close. NULL is ignored. */
void sg_store_close(sg_store *s);
/* Apply pending migrations; *applied (may be NULL) gets how many ran. */
sg_err sg_store_migrate(sg_store *s, int *applied, sg_error *e);
/* Current schema version and the newest this build knows. */
sg_err sg_store_schema_version(sg_store *s, int *current, int *latest);
/* A cheap query proving the store answers (for /healthz). */
sg_err sg_store_ping(sg_store *s);
/* Whether writes get through (for /healthz): false, with the reason, when a
 * write has waited more than SG_STORE_STALL_MS (another process holds the
 * database's write lock, a disk hangs) or the last write transaction failed and
 * none has committed since. So that an idle store is checked too, it also asks
 * for an empty write transaction (in the background) when none has committed
 * in the last second. */
#define SG_STORE_STALL_MS 2000
bool sg_store_writable(sg_store *s, char *reason, size_t cap);
/* The master key's check value (sg_master_key_check_value: a MAC of a fixed
 * text, not the key): the first call on a database records check (one row,
 * whichever process gets there first: *match true); every later call compares
 * with the recorded one (*match false when it differs: the secrets in this
 * database are sealed under another key). A synchronous write. */
sg_err sg_store_master_key_check(sg_store *s, const char *check, bool *match, sg_error *e);
/* Call wake(arg) (from another thread) when messages that wait for a claim
 * were committed by any process on this database, so that a dispatcher looks
 * at once instead of at its next poll. PostgreSQL: LISTEN/NOTIFY on a
 * connection of its own to direct (NULL or "": the store's URL; it must reach
 * the server itself, not a PgBouncer in transaction mode), and while that
 * connection is down wake is called every second instead (the fallback poll).
 * SQLite: nothing to listen to (wake is never called). At most one per store;
 * sg_store_due_unlisten (or close) stops it. */
sg_err sg_store_due_listen(sg_store *s, const char *direct, void (*wake)(void *arg), void *arg,
                           sg_error *e);
void sg_store_due_unlisten(sg_store *s);

/* ---- API keys ---------------------------------------------------------------- */

typedef struct sg_api_key {
    char id[SG_ID_MAX];
    char name[128];
    char role[16];        /* admin | sender | viewer */
    char secret_hash[72]; /* hex SHA-256 of the secret part */
    int64_t created_at;
    int64_t last_used_at; /* 0 = never (or not known yet); not read by sg_store_key_get */
    char countries[256];  /* the key's send limits (sg_key_limits), read by sg_store_key_get */
    int64_t daily_quota;
} sg_api_key;

sg_err sg_store_key_insert(sg_store *s, const sg_api_key *k, sg_error *e);
/* SG_ERR_NOT_FOUND if no such (unrevoked) key. */
sg_err sg_store_key_get(sg_store *s, const char *id, sg_api_key *out);
/* Every unrevoked key, oldest first, secret_hash left empty; *out malloc'd (may
 * be NULL when *n is 0). In sqlite_keys.c, like the three below. */
sg_err sg_store_key_list(sg_store *s, sg_api_key **out, size_t *n);
/* Revoke key id at `at` (ms): it stops authenticating, and the keys generation
 * changes in the same transaction. SG_ERR_NOT_FOUND if there is no such
 * unrevoked key. */
sg_err sg_store_key_revoke(sg_store *s, const char *id, int64_t at, sg_error *e);
/* A number that changes whenever a key is revoked (cheap to poll): a server
 * that caches keys drops its cache when it moves, whoever revoked (another
 * server, the CLI). */
sg_err sg_store_keys_generation(sg_store *s, int64_t *gen);
/* Record that key id was used at `at` (ms; last_used_at only moves forward).
 * A queued write: returns at once, without waiting for the commit; a failure
 * is logged, not returned (SG_ERR_SHUTDOWN or SG_ERR_NOMEM if it cannot even
 * be queued). */
sg_err sg_store_key_touch(sg_store *s, const char *id, int64_t at);

/* ---- providers ----------------------------------------------------------------- */

typedef struct sg_provider_row {
    char id[SG_ID_MAX];
    char name[64];
    char kind[32];
    char title[128];
    bool active;
    bool is_default;
    char *config;  /* JSON object text without secrets; owned */
    char *secrets; /* sealed secrets (opaque text); owned */
    int64_t created_at, updated_at;
} sg_provider_row;

void sg_provider_row_free(sg_provider_row *p);
/* Insert; when p->is_default, the previous default stops being default in the
 * same transaction. SG_ERR_CONFLICT if the name is taken. */
sg_err sg_store_provider_insert(sg_store *s, const sg_provider_row *p, sg_error *e);
/* Replace every column of row p->id (same default rule). */
sg_err sg_store_provider_update(sg_store *s, const sg_provider_row *p, sg_error *e);
sg_err sg_store_provider_delete(sg_store *s, const char *id, sg_error *e);
/* By id, or by name when id_or_name is not an id. */
sg_err sg_store_provider_get(sg_store *s, const char *id_or_name, sg_provider_row *out);
/* All providers, oldest first; *out is malloc'd (free each row, then the array). */
sg_err sg_store_provider_list(sg_store *s, sg_provider_row **out, size_t *n);
/* A number that changes whenever any provider row changes (cheap to poll). */
sg_err sg_store_provider_generation(sg_store *s, int64_t *gen);

/* ---- messages -------------------------------------------------------------------- */

#define SG_FROM_MAX            32
#define SG_PROVIDER_MSG_ID_MAX 72
#define SG_ERROR_CODE_MAX      32 /* smsgate's own codes too: "retry_budget_exhausted" */
/* An external template id (India's DLT template id and the like): 1 to 64
 * printable ASCII characters, no spaces (core/template_id.h validates it). */
#define SG_EXT_TEMPLATE_ID_MAX 65

typedef struct sg_message {
    char id[SG_ID_MAX];
    sg_status status;
    char direction[12]; /* "outbound" | "inbound" */
    char to[SG_PHONE_MAX];
    char from[SG_FROM_MAX]; /* "" when the provider chooses */
    char *body;             /* owned */
    char provider_id[SG_ID_MAX];
    char provider_message_id[SG_PROVIDER_MSG_ID_MAX];
    unsigned segments;
    sg_encoding encoding;
    char error_code[SG_ERROR_CODE_MAX];
    char *error_message; /* owned, may be NULL */
    unsigned attempts;
    int64_t send_at; /* 0 = now */
    char contact_id[SG_ID_MAX];
    char *metadata; /* JSON text, owned, may be NULL */
    int64_t created_at, updated_at;
    char purpose[16]; /* "" for ordinary messages; "consent" for STOP/START/HELP replies,
                         which are sent even to an opted-out number */
    char broadcast_id[SG_ID_MAX]; /* "" unless sent for a broadcast */
    bool reclaimed;               /* from a claim: claimed again after its lease expired */
    int64_t expires_at;           /* never sent at or after this (ms); 0 = no validity period */
    int64_t first_attempt_at;     /* when the first attempt that failed and was retried
                                     started (ms); 0 until then. The retry budget counts
                                     from it */
    char external_template_id[SG_EXT_TEMPLATE_ID_MAX]; /* "" when none */
    /* Insert only: > 0 stores the message already claimed (status sending, due
     * again when this lease runs out) for the dispatcher that reserved room for it;
     * the insert clears it when the recipient turns out to be opted out. */
    int64_t lease_until;
    /* Tracked links of the body, stored with the message (insert only; owned:
     * sg_message_free frees them). */
    struct sg_link *links;
    size_t n_links;
    /* Insert only: the app account that sent it ("" when none) and the URL its
     * sender gave for this message's status callbacks (owned, may be NULL),
     * stored with the message in the same transaction (sqlite_apps.c). */
    char app_id[SG_ID_MAX];
    char *app_status_callback;
    /* Insert only: the message came in by a Clickatell-compatible endpoint, so
     * its app is called back in Clickatell's format (docs/compat.md), for the
     * statuses its callback level (0-7, compat/clickatell_wire.h) asks for. */
    bool app_ck;
    unsigned char app_ck_level;
    /* Routing (docs/routing.md): the route chosen at acceptance ("" when none),
     * whether the message may fail over to another provider (false when its
     * provider was pinned without "failover": true, or no route and no other
     * provider), the providers it was tried on before its current one (ids,
     * comma-separated), and whether the outcome of an attempt at its current
     * provider is unknown (an answer lost): it is looked up there before it is
     * sent again or failed over. */
    char route_id[SG_ID_MAX];
    bool failover;
    char *providers_tried; /* owned; NULL when none (most messages) */
    bool outcome_unknown;
    /* Insert only, owned: the detail of the route event ("route uk (priority):
     * sim"), or NULL. Pointers rather than arrays: messages are claimed in
     * batches of calloc'd arrays, where every byte of sg_message is paid for. */
    char *route_event;
} sg_message;

/* A tracked link: {public-url}/l/{code} in a body redirects to url. */
#define SG_LINK_CODE_MAX 16
typedef struct sg_link {
    char code[SG_LINK_CODE_MAX];
    char *url; /* owned when read from the store */
    char message_id[SG_ID_MAX];
    char contact_id[SG_ID_MAX];
    char broadcast_id[SG_ID_MAX];
} sg_link;

void sg_message_free(sg_message *m);
void sg_messages_free(sg_message *m, size_t n);

typedef struct sg_event {
    sg_status status;
    int64_t at;
    char *detail; /* owned, may be NULL */
} sg_event;

void sg_events_free(sg_event *ev, size_t n);

/* An idempotent insert: the key scoped to the API key that made the request, the
 * request's fingerprint, and the answer to store with it. */
typedef struct sg_idem_write {
    const char *key_id;
    const char *key;
    const char *fingerprint;
    int response_status;
    const char *response_body;
} sg_idem_write;

/* A group of messages to insert in one transaction (a single send or a batch), and
 * what happened. The caller owns the struct until done() runs. */
typedef struct sg_insert_req {
    sg_message *msgs; /* borrowed */
    size_t n;
    sg_idem_write idem; /* idem.key == NULL: not idempotent */
    /* results, valid in done(): */
    sg_err err;
    sg_error error;
    bool replayed;     /* the key was seen: stored answer below, nothing inserted */
    bool conflict;     /* the key was seen with another request */
    int replay_status; /* when replayed */
    char *replay_body; /* when replayed; owned by the req, freed by sg_insert_req_clear */
    void (*done)(struct sg_insert_req *r);
    void *user;
} sg_insert_req;

void sg_insert_req_clear(sg_insert_req *r);
/* Queue r; r->done runs once (from the writer thread) after commit or failure.
 * Returns an error (and done never runs) only if r could not be queued. */
sg_err sg_store_messages_insert(sg_store *s, sg_insert_req *r);

/* Look up a stored idempotent answer. SG_ERR_NOT_FOUND if the key is new;
 * *body is malloc'd. */
sg_err sg_store_idem_get(sg_store *s, const char *key_id, const char *key, char fingerprint[72],
                         int *status, char **body);

/* Record an answer under an idempotency key (for requests whose effect is not a
 * message insert). Does nothing if the key is already recorded. */
sg_err sg_store_idem_put(sg_store *s, const sg_idem_write *w, sg_error *e);

sg_err sg_store_message_get(sg_store *s, const char *id, sg_message *out);
/* A message and its events (oldest first) read from one snapshot (the row's status and its last
 * event always agree); on success the caller frees both. */
sg_err sg_store_message_get_with_events(sg_store *s, const char *id, sg_message *out,
                                        sg_event **ev, size_t *n);

typedef struct sg_message_filter {
    bool has_status;
    sg_status status;
    const char *to;       /* E.164 or NULL */
    const char *provider; /* provider id or NULL */
    const char *cursor;   /* id to continue after (exclusive), or NULL */
    size_t limit;         /* 1..1000 */
    const char *error_code; /* exact error_code, or NULL */
    int64_t since_ms;       /* created_at >= since_ms when > 0 (Unix ms) */
    int64_t until_ms;       /* created_at < until_ms when > 0 (Unix ms) */
} sg_message_filter;

/* Newest first. *out malloc'd; has_more tells whether another page exists. */
sg_err sg_store_message_list(sg_store *s, const sg_message_filter *f, sg_message **out, size_t *n,
                             bool *has_more);

/* Cancel a scheduled or queued message. SG_ERR_NOT_FOUND, or SG_ERR_CONFLICT
 * with the message's current status in *out when it can no longer be canceled. */
sg_err sg_store_message_cancel(sg_store *s, const char *id, sg_message *out, sg_error *e);

/* ---- provider callbacks ------------------------------------------------------- */

/* A status a provider reported for one of its message ids. */
typedef struct sg_status_report {
    const char *provider_id;
    const char *provider_message_id;
    sg_status status;
    const char *error_code;    /* "" or NULL when none */
    const char *error_message; /* may be NULL */
    const char *detail;        /* event detail, may be NULL */
    int64_t at;
    /* results */
    bool found;   /* a message has that provider id */
    bool changed; /* the status moved (false: repeated or out of order) */
    char message_id[SG_ID_MAX];
    sg_status previous;
    /* for sg_store_status_report_submit: called once from the writer thread after
     * the group holding the report committed (or failed) */
    void (*done)(struct sg_status_report *r, sg_err err, const sg_error *e);
    void *user;
} sg_status_report;

/* At most this many reports for unknown provider ids are kept per provider (to
 * be applied when their send's outcome lands, within ten minutes); past it the
 * oldest are dropped and counted (smsgate_early_reports_dropped_total). */
#define SG_EARLY_PER_PROVIDER 1000

/* Apply a report: the status moves only forward (sg_status_may_move); a repeat or a
 * late report changes nothing and adds no event. A report for an id no message
 * has yet is kept for a while (see SG_EARLY_PER_PROVIDER). */
sg_err sg_store_status_report(sg_store *s, sg_status_report *r, sg_error *e);
/* The same, asynchronously and committed with other writes (for high report
 * rates): r stays the caller's until r->done runs. An error means r was not
 * queued and done will not run. */
sg_err sg_store_status_report_submit(sg_store *s, sg_status_report *r);

/* Consent changes. */
typedef enum sg_consent_change {
    SG_CONSENT_NONE = 0,
    SG_CONSENT_OPT_OUT,
    SG_CONSENT_OPT_IN,
} sg_consent_change;

/* An inbound message, and what it causes, in one transaction: the message
 * (direction inbound, status received) is stored unless the provider's id was
 * seen before (duplicate); the sender becomes a contact if unknown; `reply`, if
 * any, is queued first (so a STOP confirmation is not blocked by the opt-out it
 * confirms), then the consent change is applied. */
/* What a matched keyword rule does, run in the inbound message's own write (so
 * a webhook the provider retries, found a duplicate, runs none of them again). */
typedef enum sg_inbound_action_kind {
    SG_IA_REPLY = 0,       /* queue reply */
    SG_IA_GROUP_ADD,       /* add the sender to group (created if missing) */
    SG_IA_GROUP_REMOVE,    /* remove the sender from group; other groups untouched */
    SG_IA_SET_ATTRIBUTE,   /* set the sender's attribute name to value */
    SG_IA_EVENT,           /* the app-webhook event message.matched */
    SG_IA_ENROLL,          /* enrol the sender in journey (issue 16, journeys) */
} sg_inbound_action_kind;

typedef struct sg_inbound_action {
    sg_inbound_action_kind kind;
    const char *group;       /* GROUP_*: a group name or id */
    sg_message *reply;       /* REPLY; GROUP_*: when the membership changed; may be NULL */
    sg_message *reply_else;  /* GROUP_ADD: already a member; GROUP_REMOVE: not a member;
                                may be NULL */
    const char *name, *value; /* SET_ATTRIBUTE */
    const char *journey;      /* ENROLL: a journey id */
    /* result */
    bool changed;            /* GROUP_*: the membership changed; REPLY: the reply was queued */
} sg_inbound_action;

/* A reply taken by an enrolment waiting for one (step 4 of the inbound order):
 * the enrolment, where it waits (the guard), and the step the reply leads to
 * (NULL: the journey ends). */
typedef struct sg_journey_reply {
    const char *enrollment_id, *step;
    int64_t visit;
    const char *next_step;
    const char *detail; /* which branch, for the step log */
} sg_journey_reply;

typedef struct sg_inbound {
    sg_message *msg;   /* borrowed; msg->id already assigned */
    sg_message *reply; /* borrowed, may be NULL */
    sg_consent_change consent;
    const char *keyword; /* the matched keyword, for the audit trail */
    /* A matched keyword rule (rule_id NULL: none): its id, folded keyword, the
     * rule as JSON text for the message.matched event, and its actions (borrowed),
     * run in order after the message is stored. A reply of an action is queued
     * only when the sender is not opted out. The match is recorded on the
     * contact's timeline. */
    const char *rule_id;
    const char *rule_keyword;
    const char *rule_json;
    sg_inbound_action *actions;
    size_t n_actions;
    /* Journeys (borrowed, may be NULL): replies taken by waiting enrolments, each
     * moved on in this write; and journeys whose keyword trigger the message
     * matched, which the sender is enrolled in. An opt-out ends every journey of
     * the sender. */
    const sg_journey_reply *journey_replies;
    size_t n_journey_replies;
    const char *const *enroll_journeys;
    size_t n_enroll_journeys;
    /* results */
    bool duplicate;
    char existing_id[SG_ID_MAX]; /* when duplicate */
    char contact_id[SG_ID_MAX];
    bool contact_created;
    bool consent_changed;
} sg_inbound;

sg_err sg_store_inbound(sg_store *s, sg_inbound *in, sg_error *e);

/* ---- contacts ------------------------------------------------------------------- */

typedef struct sg_contact {
    char id[SG_ID_MAX];
    char phone[SG_PHONE_MAX];
    char first_name[128];
    char last_name[128];
    char *attributes; /* JSON object text, owned */
    bool opted_out;
    bool mobile;              /* may receive SMS (computed by the store from the phone) */
    int64_t last_activity_at; /* last reply or click, 0 = never */
    int64_t created_at, updated_at;
} sg_contact;

void sg_contact_free(sg_contact *c);
void sg_contacts_free(sg_contact *c, size_t n);
/* SG_ERR_CONFLICT when the phone belongs to another contact. */
sg_err sg_store_contact_insert(sg_store *s, const sg_contact *c, sg_error *e);
sg_err sg_store_contact_update(sg_store *s, const sg_contact *c, sg_error *e);
sg_err sg_store_contact_delete(sg_store *s, const char *id, sg_error *e);
/* By id (ctc_...) or by E.164 phone. */
sg_err sg_store_contact_get(sg_store *s, const char *id_or_phone, sg_contact *out);
/* Newest first; cursor: a contact id to continue after. */
sg_err sg_store_contact_list(sg_store *s, const char *cursor, size_t limit, sg_contact **out,
                             size_t *n, bool *has_more);

/* One entry of a contact's timeline: a message (outbound to or inbound from the
 * phone), a consent change, or a click on a tracked link. */
typedef struct sg_timeline_item {
    int64_t at;
    bool is_message;
    bool is_click;  /* a click on a tracked link: message_id, detail = the URL */
    sg_message msg; /* when is_message */
    /* consent change: */
    long long consent_id;
    char old_state[16], new_state[16], source[16];
    char message_id[SG_ID_MAX];
    char *detail;
    bool is_keyword; /* a keyword rule matched an inbound message */
    char rule_id[SG_ID_MAX];
    /* a journey: the contact entered it (journey_event "enter"), went on to a
     * step ("step") or left it ("exit", detail = the reason) */
    bool is_journey;
    char journey_id[SG_ID_MAX], enrollment_id[SG_ID_MAX], step[33], journey_event[8];
} sg_timeline_item;

void sg_timeline_free(sg_timeline_item *t, size_t n);
/* A keyword rule's match on the timeline (is_keyword): rule_id, detail = the
 * rule's keyword, message_id = the inbound message. The fields are at the end of
 * sg_timeline_item above. */
/* Newest first. cursor: "" or the opaque next_cursor of a previous page (at most
 * 64 bytes); next_cursor gets the cursor of the next page or "". */
sg_err sg_store_timeline(sg_store *s, const char *phone, const char *cursor, size_t limit,
                         sg_timeline_item **out, size_t *n, char next_cursor[64]);

/* ---- opt-outs ------------------------------------------------------------------- */

typedef struct sg_optout {
    char phone[SG_PHONE_MAX];
    char source[16]; /* keyword | api | provider | import */
    char reason[256];
    char message_id[SG_ID_MAX];
    int64_t created_at;
} sg_optout;

/* Opt phone out (or in). Each change is a consent event; opting out a number that
 * is already out (or in one that is in) changes nothing and returns SG_OK with
 * *changed false. */
sg_err sg_store_optout_add(sg_store *s, const sg_optout *o, bool *changed, sg_error *e);
sg_err sg_store_optout_remove(sg_store *s, const char *phone, const char *source,
                              const char *message_id, bool *changed, sg_error *e);
/* SG_ERR_NOT_FOUND when the number is not opted out. */
sg_err sg_store_optout_get(sg_store *s, const char *phone, sg_optout *out);
/* Newest first; cursor: a phone from a previous page's last row. */
sg_err sg_store_optout_list(sg_store *s, const char *cursor, size_t limit, sg_optout **out,
                            size_t *n, bool *has_more);

/* ---- contacts at scale: import, export --------------------------------------- */

/* One row of an import, already normalised by the caller. */
typedef struct sg_contact_upsert {
    char phone[SG_PHONE_MAX]; /* E.164 */
    bool mobile;
    const char *first_name; /* NULL: keep the stored value (new contact: "") */
    const char *last_name;
    const char *attributes; /* JSON object text merged into the stored attributes, or NULL */
    /* results */
    bool created;
    char id[SG_ID_MAX];
} sg_contact_upsert;

/* Insert or update n contacts by phone in one transaction; group_id (may be NULL)
 * gets every one of them as a member. Opt-out state is never touched. */
sg_err sg_store_contacts_upsert(sg_store *s, sg_contact_upsert *rows, size_t n,
                                const char *group_id, sg_error *e);

/* The same, asynchronously: r stays the caller's until r->done runs (once, from the
 * writer thread, after the group holding it committed or failed). An error means r
 * was not queued and done will not run. */
typedef struct sg_upsert_req {
    sg_contact_upsert *rows; /* borrowed; results written in place */
    size_t n;
    const char *group_id; /* may be NULL */
    sg_err err;
    sg_error error;
    void (*done)(struct sg_upsert_req *r);
    void *user;
} sg_upsert_req;

sg_err sg_store_contacts_upsert_submit(sg_store *s, sg_upsert_req *r);

/* Every contact (of group_id, when not NULL), oldest first, one callback each; fn
 * returns non-zero to stop. Reads in pages, so memory stays flat. */
sg_err sg_store_contacts_each(sg_store *s, const char *group_id,
                              int (*fn)(void *user, const sg_contact *c), void *user);

/* ---- groups and segments --------------------------------------------------------- */

typedef struct sg_group {
    char id[SG_ID_MAX]; /* grp_... */
    char name[128];
    int64_t members;
    int64_t created_at;
} sg_group;

/* SG_ERR_CONFLICT if the name is taken. */
sg_err sg_store_group_create(sg_store *s, const sg_group *g, sg_error *e);
/* The group named name, created if missing; its id into id. */
sg_err sg_store_group_ensure(sg_store *s, const char *name, char id[SG_ID_MAX], sg_error *e);
/* By id or name. */
sg_err sg_store_group_get(sg_store *s, const char *id_or_name, sg_group *out);
sg_err sg_store_group_list(sg_store *s, sg_group **out, size_t *n);
sg_err sg_store_group_delete(sg_store *s, const char *id, sg_error *e);
/* Rename group id: SG_ERR_CONFLICT if another group has the name, SG_ERR_NOT_FOUND
 * if there is no such group. Members and broadcasts keep pointing at it by id. */
sg_err sg_store_group_rename(sg_store *s, const char *id, const char *name, sg_error *e);
/* Add (or remove) contacts given by id or E.164 phone. *changed gets how many
 * memberships changed; unknown (may be NULL) the index of the first contact not
 * found, or SIZE_MAX: an unknown contact fails the whole call with SG_ERR_NOT_FOUND. */
sg_err sg_store_group_members(sg_store *s, const char *group_id, const char *const *contacts,
                              size_t n, bool add, size_t *changed, size_t *unknown, sg_error *e);
/* Members, newest first; cursor: a contact id. */
sg_err sg_store_group_contacts(sg_store *s, const char *group_id, const char *cursor, size_t limit,
                               sg_contact **out, size_t *n, bool *has_more);

typedef struct sg_segment {
    char id[SG_ID_MAX]; /* seg_... */
    char name[128];
    char *filter; /* owned; the canonical text (core/segment_filter.h) */
    int64_t created_at, updated_at;
} sg_segment;

void sg_segment_row_free(sg_segment *g);
sg_err sg_store_segment_create(sg_store *s, const sg_segment *g, sg_error *e);
sg_err sg_store_segment_update(sg_store *s, const sg_segment *g, sg_error *e);
sg_err sg_store_segment_get(sg_store *s, const char *id_or_name, sg_segment *out);
sg_err sg_store_segment_list(sg_store *s, sg_segment **out, size_t *n);
sg_err sg_store_segment_delete(sg_store *s, const char *id, sg_error *e);

/* Who a broadcast to a group or segment would reach, at time now. */
typedef struct sg_audience_count {
    int64_t matched;    /* contacts in the group / matching the filter */
    int64_t eligible;   /* would receive the broadcast */
    int64_t opted_out;  /* skipped: opted out */
    int64_t not_mobile; /* skipped: a fixed-line number */
} sg_audience_count;

/* kind: "group" or "segment"; id: the group's or segment's id. Or kind "filter":
 * id is the text of a filter not saved as a segment (checked by the caller with
 * sg_segment_parse; SG_ERR_INVALID if it does not parse or cannot be evaluated). */
sg_err sg_store_audience_count(sg_store *s, const char *kind, const char *id, int64_t now,
                               sg_audience_count *out, sg_error *e);

/* ---- templates -------------------------------------------------------------------- */

typedef struct sg_template {
    char id[SG_ID_MAX]; /* tpl_... */
    char name[128];
    char *body; /* owned */
    int64_t created_at, updated_at;
    char external_template_id[SG_EXT_TEMPLATE_ID_MAX]; /* "" when none */
} sg_template;

void sg_template_row_free(sg_template *t);
sg_err sg_store_template_create(sg_store *s, const sg_template *t, sg_error *e);
sg_err sg_store_template_update(sg_store *s, const sg_template *t, sg_error *e);
sg_err sg_store_template_get(sg_store *s, const char *id_or_name, sg_template *out);
sg_err sg_store_template_list(sg_store *s, sg_template **out, size_t *n);
sg_err sg_store_template_delete(sg_store *s, const char *id, sg_error *e);

/* ---- broadcasts ------------------------------------------------------------------- */

typedef enum sg_bcast_status {
    SG_BCAST_DRAFT = 0,
    SG_BCAST_SCHEDULED,
    SG_BCAST_SENDING,
    SG_BCAST_PAUSED,
    SG_BCAST_DONE,
    SG_BCAST_CANCELED,
    SG_BCAST_FAILED, /* its audience could not be computed: error says why */
} sg_bcast_status;

const char *sg_bcast_status_name(sg_bcast_status st);
bool sg_bcast_status_parse(const char *name, sg_bcast_status *out);

typedef struct sg_broadcast {
    char id[SG_ID_MAX]; /* brd_... */
    char name[128];
    char *body;                  /* owned; the template's body copied at creation when templated */
    char template_id[SG_ID_MAX]; /* "" when the body was given */
    char audience_kind[8];       /* group | segment */
    char audience_id[SG_ID_MAX];
    char provider_id[SG_ID_MAX];
    char from[SG_FROM_MAX];
    int64_t send_at;
    double rate;                /* messages per second, 0 = as fast as the provider takes */
    int quiet_start, quiet_end; /* minutes after local midnight; -1 = none */
    char timezone[64];          /* the broadcast's own zone (fallback for quiet hours) */
    bool track_clicks;
    sg_bcast_status status;
    bool materialized;
    char cursor[SG_ID_MAX]; /* materialisation progress: last contact id */
    /* counts */
    int64_t recipients, pending, queued;
    int64_t skipped_opted_out, skipped_not_mobile, skipped_invalid;
    int64_t created_at, updated_at, started_at, finished_at;
    char error[256]; /* SG_BCAST_FAILED: why; "" otherwise */
    char external_template_id[SG_EXT_TEMPLATE_ID_MAX]; /* copied from the template; "" none */
} sg_broadcast;

void sg_broadcast_free(sg_broadcast *b);
void sg_broadcasts_free(sg_broadcast *b, size_t n);
sg_err sg_store_broadcast_create(sg_store *s, const sg_broadcast *b, sg_error *e);
/* With its counts. */
sg_err sg_store_broadcast_get(sg_store *s, const char *id, sg_broadcast *out);
/* Newest first; cursor: a broadcast id. */
sg_err sg_store_broadcast_list(sg_store *s, const char *cursor, size_t limit, sg_broadcast **out,
                               size_t *n, bool *has_more);
/* Move to status `to` if the current status is one of from_mask (bit per
 * sg_bcast_status); SG_ERR_CONFLICT otherwise, with the current status in *out
 * (may be NULL). Canceling also cancels the broadcast's queued messages. */
sg_err sg_store_broadcast_transition(sg_store *s, const char *id, unsigned from_mask,
                                     sg_bcast_status to, int64_t at, sg_bcast_status *current,
                                     sg_error *e);
/* Broadcasts the scheduler must look at: scheduled ones due at now, and sending
 * ones. *out malloc'd (bodies included). */
sg_err sg_store_broadcasts_active(sg_store *s, int64_t now, sg_broadcast **out, size_t *n);
/* Materialise up to chunk more recipients (one transaction; scheduled moves to
 * sending). *finished when every contact of the audience has been considered. */
sg_err sg_store_broadcast_materialize(sg_store *s, const char *id, size_t chunk, int64_t now,
                                      bool *finished, sg_error *e);

/* A recipient waiting to be queued, with what rendering needs. */
typedef struct sg_recipient {
    char contact_id[SG_ID_MAX];
    char phone[SG_PHONE_MAX];
    char first_name[128], last_name[128];
    char *attributes; /* owned */
} sg_recipient;

void sg_recipients_free(sg_recipient *r, size_t n);
/* Pending recipients due at now (not deferred past it), in order. */
sg_err sg_store_broadcast_pending(sg_store *s, const char *id, int64_t now, size_t limit,
                                  sg_recipient **out, size_t *n);

typedef enum sg_rcpt_action {
    SG_RCPT_QUEUE = 0, /* msg is inserted (queued) */
    SG_RCPT_SKIP,      /* skipped for reason */
    SG_RCPT_DEFER,     /* stays pending until not_before (quiet hours) */
} sg_rcpt_action;

typedef struct sg_rcpt_result {
    const char *contact_id;
    sg_rcpt_action action;
    sg_message *msg;    /* SG_RCPT_QUEUE; borrowed */
    const char *reason; /* SG_RCPT_SKIP: opted_out | not_mobile | invalid */
    const char *detail; /* SG_RCPT_SKIP: why, for humans (stored on the recipient) */
    int64_t not_before; /* SG_RCPT_DEFER */
} sg_rcpt_result;

/* Apply results in one transaction. A recipient is queued only if it is still
 * pending and its number has not opted out meanwhile (then it is skipped
 * opted_out); *queued gets how many messages were inserted. Nothing happens when
 * the broadcast is no longer sending. A queued result's message with
 * lease_until set is stored already claimed (as sg_store_insert does, for the
 * dispatcher's hand-off); the store sets lease_until to 0 on every such message
 * it did not insert, so the caller hands over exactly the stored ones. */
sg_err sg_store_broadcast_apply(sg_store *s, const char *id, const sg_rcpt_result *r, size_t n,
                                int64_t now, size_t *queued, sg_error *e);
/* Messages of the broadcast not yet handed to a provider (scheduled, queued, sending). */
sg_err sg_store_broadcast_outstanding(sg_store *s, const char *id, int64_t *n);
/* End a scheduled or sending broadcast as SG_BCAST_FAILED with reason (cut to
 * fit sg_broadcast.error): for an audience that can never be computed. Its
 * recipients still pending stay so, its queued messages go out. *changed is
 * false when it was in another status (nothing done). */
sg_err sg_store_broadcast_fail(sg_store *s, const char *id, const char *reason, int64_t now,
                               bool *changed, sg_error *e);
/* Mark the broadcast done when it is sending, materialised, has no pending
 * recipient (deferred ones included) and no outstanding message. */
sg_err sg_store_broadcast_finish_if_done(sg_store *s, const char *id, int64_t now, bool *done,
                                         sg_error *e);

/* ---- click tracking --------------------------------------------------------------- */

sg_err sg_store_link_get(sg_store *s, const char *code, sg_link *out);
void sg_link_free(sg_link *l);
/* Record a click on code (and the contact's last activity). */
sg_err sg_store_click(sg_store *s, const char *code, int64_t at, const char *user_agent,
                      sg_error *e);

/* ---- stats -------------------------------------------------------------------------- */

typedef enum sg_stats_group {
    SG_STATS_TOTAL = 0,
    SG_STATS_BY_DAY,
    SG_STATS_BY_PROVIDER,
    SG_STATS_BY_BROADCAST,
} sg_stats_group;

/* One definition per figure (sqlite_stats.c says them in full): every message
 * figure counts outbound messages created in the period, each in exactly one
 * group, so the groups of a grouping add up to the total. */
typedef struct sg_stats_row {
    /* "" for the total, or for messages of no broadcast when grouped by broadcast;
     * the day (YYYY-MM-DD, UTC), provider id or broadcast id */
    char key[64];
    int64_t recipients; /* outbound messages, plus broadcast recipients skipped or pending */
    int64_t skipped_opted_out, skipped_not_mobile, skipped_invalid, pending; /* no message */
    int64_t queued; /* scheduled, queued or sending */
    int64_t sent;   /* accepted by the provider: sent, delivered or undelivered */
    int64_t delivered, undelivered, failed, canceled;
    /* messages whose recipient replied / opted out after them (before the next
     * message to them); messages with a click */
    int64_t replied, opted_out, clicked;
} sg_stats_row;

typedef struct sg_error_count {
    char key[64]; /* as in sg_stats_row */
    char code[SG_ERROR_CODE_MAX];
    int64_t count;
} sg_error_count;

typedef struct sg_stats {
    sg_stats_row *rows;
    size_t n;
    sg_error_count *errors; /* failed and undelivered messages by error code */
    size_t n_errors;
} sg_stats;

void sg_stats_free(sg_stats *st);
/* Outbound messages created in [from, to) (ms; 0 = unbounded) grouped by g,
 * with the recipients of broadcasts started in the period that got no message.
 * One row per group (SG_STATS_TOTAL: one row keyed ""). */
sg_err sg_store_stats(sg_store *s, int64_t from, int64_t to, sg_stats_group g, sg_stats *out);
/* The same for the messages handed to one provider (provider_id; NULL: every
 * message, as sg_store_stats). Broadcast recipients that got no message are not
 * counted: no provider had them. */
sg_err sg_store_stats_provider(sg_store *s, int64_t from, int64_t to, sg_stats_group g,
                               const char *provider_id, sg_stats *out);
/* One broadcast: one row keyed by its id. */
sg_err sg_store_broadcast_stats(sg_store *s, const char *id, sg_stats *out);

/* ---- app webhooks ---------------------------------------------------------------- */

/* Event types an application can subscribe to. */
#define SG_EVENT_MESSAGE_STATUS   "message.status"
#define SG_EVENT_MESSAGE_RECEIVED "message.received"
#define SG_EVENT_OPTED_OUT        "contact.opted_out"
#define SG_EVENT_OPTED_IN         "contact.opted_in"
#define SG_EVENT_MESSAGE_MATCHED  "message.matched" /* a keyword rule matched (issue 16) */
#define SG_EVENT_JOURNEY_STEP     "journey.step"    /* a journey's webhook step ran (issue 16) */

typedef struct sg_webhook {
    char id[SG_ID_MAX]; /* whk_... */
    char url[512];
    char events[160];    /* comma-separated event types */
    char *secret_sealed; /* sealed with the master key; owned */
    bool active;
    int64_t created_at;
} sg_webhook;

void sg_webhook_free(sg_webhook *w);
sg_err sg_store_webhook_insert(sg_store *s, const sg_webhook *w, sg_error *e);
sg_err sg_store_webhook_delete(sg_store *s, const char *id, sg_error *e);
sg_err sg_store_webhook_get(sg_store *s, const char *id, sg_webhook *out);
/* Oldest first; *out malloc'd. */
sg_err sg_store_webhook_list(sg_store *s, sg_webhook **out, size_t *n);

/* Every change that makes an event (a message's status moving, an inbound
 * message, a consent change) queues one delivery per subscribed webhook in the
 * same transaction as the change, so no event is lost between the two. */
typedef enum sg_delivery_state {
    SG_DELIVERY_PENDING = 0,
    SG_DELIVERY_DELIVERED,
    SG_DELIVERY_DEAD,
} sg_delivery_state;

typedef struct sg_delivery {
    long long id;
    char webhook_id[SG_ID_MAX];
    char event[32];
    char *payload; /* the JSON body to POST; owned */
    sg_delivery_state state;
    unsigned attempts;
    int last_status;      /* HTTP status of the last attempt, 0 if none/transport error */
    char last_error[256]; /* transport error or "" */
    int64_t next_attempt_at, created_at, updated_at;
} sg_delivery;

void sg_deliveries_free(sg_delivery *d, size_t n);
const char *sg_delivery_state_name(sg_delivery_state st); /* pending|delivered|dead */
/* Newest first; cursor: a delivery id to continue after (0 = from the newest). */
sg_err sg_store_delivery_list(sg_store *s, const char *webhook_id, long long cursor, size_t limit,
                              sg_delivery **out, size_t *n, bool *has_more);
/* A webhook and how many of its deliveries the claiming worker has in flight. */
typedef struct sg_delivery_busy {
    const char *webhook_id;
    unsigned in_flight;
} sg_delivery_busy;
/* Claim pending deliveries due at now, oldest due first (next attempt pushed to
 * now + lease_ms so no other worker takes them): at most limit in all, and of
 * one webhook at most per_webhook (0 = no such bound) minus its in_flight in
 * busy (n_busy entries; a webhook not listed has none in flight). So a receiver
 * that is slow or dead fills its own share of the worker's slots, never the
 * others'. *out malloc'd (may be NULL when *n is 0). */
sg_err sg_store_delivery_claim(sg_store *s, int64_t now, size_t limit, unsigned per_webhook,
                               const sg_delivery_busy *busy, size_t n_busy, int64_t lease_ms,
                               sg_delivery **out, size_t *n);
/* Record an attempt: state DELIVERED, DEAD, or PENDING with next_attempt_at. */
sg_err sg_store_delivery_result(sg_store *s, long long id, sg_delivery_state state, int http_status,
                                const char *error, int64_t next_attempt_at, sg_error *e);

/* ---- dispatch ----------------------------------------------------------------- */

/* Claim up to limit messages that are due at now (scheduled or queued whose time
 * has come, or sending whose lease expired), mark them sending with a lease until
 * now + lease_ms. A claimed message to an opted-out number (other than a consent
 * reply) is failed on the spot with error_code "opted_out" and not returned; so
 * is one past its expires_at (error_code "expired") unless it was sending (its
 * lease ran out: the dispatcher asks the provider first, then fails it). The
 * claim is a queued write: done(arg, msgs, n, err) runs after the commit and owns
 * msgs (malloc'd array; NULL and 0 on failure). */
sg_err sg_store_claim_submit(sg_store *s, int64_t now, size_t limit, int64_t lease_ms,
                             void (*done)(void *arg, sg_message *msgs, size_t n, sg_err err),
                             void *arg);

typedef enum sg_outcome_kind {
    SG_OUTCOME_SENT = 0, /* provider accepted: status sent */
    SG_OUTCOME_RETRY,    /* back to queued until retry_at */
    SG_OUTCOME_FAILED,   /* failed for good */
    SG_OUTCOME_RELEASE,  /* never attempted: back to queued, due at retry_at, attempts
                            unchanged; error_message says why (shutdown, rate limit) */
    SG_OUTCOME_FAILOVER, /* the provider failed it: back to queued, due at retry_at, on
                            next_provider_id (docs/routing.md) */
} sg_outcome_kind;

typedef struct sg_outcome {
    char id[SG_ID_MAX];
    sg_outcome_kind kind;
    char from[SG_FROM_MAX]; /* sender used ("" = unchanged) */
    char provider_message_id[SG_PROVIDER_MSG_ID_MAX];
    char error_code[SG_ERROR_CODE_MAX];
    /* 512: room for a provider's 256 bytes after smsgate's own words */
    char error_message[512];
    int64_t retry_at; /* SG_OUTCOME_RETRY and SG_OUTCOME_RELEASE: when due again */
    int64_t at;
    /* SG_OUTCOME_RETRY: the start of the message's first attempt, stored unless
     * the message has one already */
    int64_t first_attempt_at;
    bool opt_out; /* SG_OUTCOME_FAILED: the provider says the recipient opted out */
    bool unsent;  /* SG_OUTCOME_FAILED: failed before a request was made (not an attempt) */
    /* SG_OUTCOME_RETRY and _FAILED: the send class of the attempt's answer
     * ("provider", core/errcodes.h sg_sendclass_name; static), added to the
     * event's detail; NULL when no attempt was answered or classified */
    const char *send_class;
    /* SG_OUTCOME_RETRY: the attempt's answer was lost (or an earlier one's still
     * is): the next attempt looks the message up first (sg_message.outcome_unknown) */
    bool outcome_unknown;
    /* SG_OUTCOME_FAILOVER: the provider the message moves to (id); the current one
     * is added to the message's providers tried, the sender is cleared (the new
     * provider's pool) and the retry budget starts again */
    char next_provider_id[SG_ID_MAX];
    char failover_from[64], failover_to[64]; /* both providers' names, for the event */
    /* SG_OUTCOME_FAILOVER, SG_OUTCOME_RETRY, SG_OUTCOME_FAILED: a note added to the
     * event's detail ("" for none), e.g. why a message was not failed over */
    char note[200];
} sg_outcome;

/* Record outcomes of claimed messages; the attempt counter goes up by one for
 * SENT, RETRY and FAILED (unless unsent). Asynchronous: done(arg, err) runs from the writer
 * thread after commit (done may be NULL). The array is copied. */
sg_err sg_store_outcomes(sg_store *s, const sg_outcome *o, size_t n,
                         void (*done)(void *arg, sg_err err), void *arg);

/* A message claimed again (sg_message.reclaimed) was looked up at its provider,
 * which holds n messages that look like it (ids: the provider's ids, in its order;
 * same recipient, sender and body, created since the message). Several of
 * smsgate's messages can look alike, so a provider id is given to one message
 * only: in the writer, serialised with every other write, the first id that no
 * other outbound message of the message's provider holds is recorded as this
 * message's (as SG_OUTCOME_SENT would: o->id, o->from, o->at); when every id is
 * held already, the message goes back to queued, due at o->at, and its next claim
 * sends it without looking it up again. Record the outcomes of sends answered
 * before this call first (their ids must count as held). Asynchronous like
 * sg_store_outcomes (o and ids are copied): done(arg, attributed, err), which may
 * be NULL, runs from the writer thread after the commit; attributed says whether
 * the message was recorded sent. */
sg_err sg_store_outcome_found(sg_store *s, const sg_outcome *o,
                              const char (*ids)[SG_PROVIDER_MSG_ID_MAX], size_t n,
                              void (*done)(void *arg, bool attributed, sg_err err), void *arg);

/* Become the store's one dispatcher. On SQLite a database file has one: this takes
 * an exclusive lock on "<db>.lock" (created 0600 beside the database, holding the
 * process id), held until sg_store_close or until the process ends however it
 * ends (kill -9 included). SG_ERR_CONFLICT, with e naming the database and the
 * holder, when another process holds it; SG_ERR_IO when the lock file cannot be
 * opened. Commands that only read or write the store never take it. */
sg_err sg_store_dispatch_lock(sg_store *s, sg_error *e);

/* Take back, at start, the claims this dispatcher's previous run left behind (it
 * stopped while holding them, their lease not yet run out): they become due at
 * now, and their next claim marks them reclaimed, so they are looked up at their
 * provider before any resend. On SQLite, where sg_store_dispatch_lock makes one
 * dispatcher per database, that is every message in sending; on PostgreSQL,
 * where several nodes share the database, it is the messages in sending held
 * under this node's id (sg_store_node_register) by an earlier start, and those
 * held by no node. Call after sg_store_dispatch_lock and before the dispatcher starts; *n (may be NULL) gets
 * how many messages were taken back. */
sg_err sg_store_claims_recover(sg_store *s, int64_t now, size_t *n, sg_error *e);

typedef struct sg_queue_stats {
    int64_t scheduled, queued, sending;
} sg_queue_stats;

sg_err sg_store_queue_stats(sg_store *s, sg_queue_stats *out);

/* ---- nodes (several serve on one database) ------------------------------------ */

#define SG_NODE_ID_MAX 64    /* a node id, NUL included: [A-Za-z0-9._:-], 1-63 chars */
#define SG_NODE_START_MAX 24 /* a start id (16 hex digits), NUL included */

/* A node as stored: the serve that last registered under its id. */
typedef struct sg_node {
    char id[SG_NODE_ID_MAX];
    char start_id[SG_NODE_START_MAX]; /* the start that registered last */
    char listen[128];                 /* its API address, as given to --listen */
    int64_t started_at, heartbeat_at; /* ms */
    int64_t stopped_at;               /* ms; 0 while it runs (or died without saying) */
    int64_t sent;                     /* messages sent by that start */
    int64_t claims;                   /* messages in sending under its id */
} sg_node;

/* Whether node n counts as alive at now: not stopped, and a heartbeat no older
 * than timeout_ms. */
bool sg_node_alive(const sg_node *n, int64_t now, int64_t timeout_ms);
/* Whether id can be a node id: 1 to SG_NODE_ID_MAX - 1 of [A-Za-z0-9._:-]. */
bool sg_node_id_valid(const char *id);

/* Register this process as node id, start start_id (listening on listen), at
 * now: the node's row is written (a new start replaces the previous one's
 * start id, start time and count), and every claim this handle makes from then
 * on (sg_store_claim_submit, and messages stored already claimed) records the
 * node and the start. Call before sg_store_claims_recover. SG_ERR_INVALID when
 * id or start_id is empty or too long. */
sg_err sg_store_node_register(sg_store *s, const char *id, const char *start_id,
                              const char *listen, int64_t now, sg_error *e);

/* What a heartbeat found (sg_store_node_beat). */
typedef struct sg_node_beat_result {
    size_t live;  /* nodes alive at the beat, this one included (at least 1) */
    size_t taken; /* claims of dead nodes made due now */
    bool superseded; /* a later start registered under this node's id */
} sg_node_beat_result;

/* The registered node's heartbeat at now (a queued write, no transaction held
 * open): its heartbeat time and its sent count (messages sent by this start)
 * are written, the claims held by every other node that is dead at now
 * (sg_node_alive with timeout_ms false) become due at now (their next claim
 * marks them reclaimed: looked up at their provider first where the kind can),
 * and the nodes alive are counted. done (may be NULL) runs on the writer's
 * thread with the result. SG_ERR_INVALID when no node was registered. */
sg_err sg_store_node_beat(sg_store *s, int64_t now, int64_t sent, int64_t timeout_ms,
                          void (*done)(void *arg, const sg_node_beat_result *r, sg_err err),
                          void *arg);

/* The registered node stops cleanly at now: its row says so (stopped_at), so
 * the others count it out at once and take its remaining claims at their next
 * heartbeat. */
sg_err sg_store_node_stop(sg_store *s, int64_t now, sg_error *e);

/* Every node, by id, with the claims each holds. *out is the caller's (free()). */
sg_err sg_store_nodes_list(sg_store *s, sg_node **out, size_t *n, sg_error *e);

/* ---- send limits (sqlite_limits.c) --------------------------------------------- */

/* What one API key may send, beyond the deployment's own limits. */
typedef struct sg_key_limits {
    char countries[256];  /* comma-separated ISO 3166 regions ("GB,IE"); "" = any */
    int64_t daily_quota;  /* messages per UTC day; 0 = no quota */
} sg_key_limits;

/* Set the limits of key id and bump the keys generation in the same transaction,
 * so every server's auth cache (which holds a key's limits with its hash and
 * role) reads the key again. SG_ERR_NOT_FOUND if no such key. A key's limits are
 * read with the key itself (sg_store_key_get). */
sg_err sg_store_key_limits_set(sg_store *s, const char *id, const sg_key_limits *l, sg_error *e);

/* Messages a key sent on a UTC day (days since 1970-01-01), for the daily quota. */
typedef struct sg_key_usage {
    char key_id[SG_ID_MAX];
    int64_t day;
    int64_t sent;
} sg_key_usage;

/* The stored count of key_id on day (0 when none). */
sg_err sg_store_key_usage_get(sg_store *s, const char *key_id, int64_t day, int64_t *sent);
/* Store n counts in one transaction; a stored count never goes down (the larger
 * of the stored and the given one is kept); counts of days before the oldest
 * given day minus one are deleted. */
sg_err sg_store_key_usage_put(sg_store *s, const sg_key_usage *rows, size_t n, sg_error *e);

/* ---- retention and erasure (sqlite_retention.c) ---------------------------------- */

/* The marker that replaces an erased phone number. */
#define SG_REDACTED "redacted"

/* Where a sweep of sg_store_purge_bodies stands; zero it to start a sweep. */
typedef struct sg_purge_cursor {
    int phase; /* 0: outbound messages, 1: inbound ones, 2: the sweep is over */
    int64_t at;
    char id[SG_ID_MAX];
} sg_purge_cursor;

/* One step of a sweep: look at up to limit messages created before `before` (ms),
 * oldest first from *cur on, and blank the body and metadata of those whose
 * status is final (not scheduled, queued or sending) and whose body is not blank
 * yet; status, times, codes and segments stay for the statistics. *cur moves on
 * (phase 2 when every such message has been looked at); *purged gets how many
 * were blanked. One write transaction. A message still waiting to be sent is
 * left for a later sweep. */
sg_err sg_store_purge_bodies(sg_store *s, int64_t before, size_t limit, sg_purge_cursor *cur,
                             size_t *purged, sg_error *e);

/* What an erasure removed. */
typedef struct sg_erase_counts {
    int64_t messages;        /* messages whose body and number were removed */
    int64_t events;          /* message events whose detail was removed */
    int64_t consent_events;  /* consent history rows deleted */
    int64_t deliveries;      /* finished app-webhook deliveries naming the number, deleted */
} sg_erase_counts;

/* Erase contact id (GDPR): in one transaction, the contact and its group
 * memberships are deleted; every message to or from its number (or linked to the
 * contact) keeps its status, times and codes but loses its body, metadata and the
 * number (replaced by SG_REDACTED); its events lose their details; the number's
 * consent history and finished webhook deliveries that name it are deleted (an
 * opt-out stays, so the number is never messaged again); and an audit_log row
 * (actor, "contact.erase", the contact id, the counts, never the number) is added.
 * Messages still to be sent (scheduled, queued) are canceled first. SG_ERR_NOT_FOUND
 * if no such contact. */
sg_err sg_store_contact_erase(sg_store *s, const char *id, const char *actor, int64_t at,
                              sg_erase_counts *out, sg_error *e);

/* An email address (users, audit actors): at most 254 bytes (RFC 5321) and NUL. */
#define SG_EMAIL_MAX 256
/* An argon2id hash string (libsodium's crypto_pwhash_STRBYTES). */
#define SG_PWHASH_MAX 128
/* A session's CSRF token: 64 hex digits and NUL. */
#define SG_CSRF_TOKEN_MAX 65

/* One row of the audit log. */
typedef struct sg_audit {
    long long id;
    int64_t at;
    char actor[SG_EMAIL_MAX]; /* the API key id, a user's email, or "cli" */
    char action[32];
    char subject[SG_EMAIL_MAX];
    char *detail; /* JSON text, owned, may be NULL */
    char source[64]; /* the client address; "" when not known (CLI) */
} sg_audit;

void sg_audits_free(sg_audit *a, size_t n);
/* Newest first, at most limit rows. */
sg_err sg_store_audit_list(sg_store *s, size_t limit, sg_audit **out, size_t *n);

/* ---- users, sessions, sign-in throttle, audit (sqlite_users.c) ------------------- */

/* Who made a change, from where and when: what the audit log records. actor is
 * the API key id, the signed-in user's email, or "cli"; source the client
 * address ("" from the CLI). */
typedef struct sg_actor {
    const char *actor;
    const char *source;
    int64_t at;
} sg_actor;

/* A person who signs in to the console. The email is unique without regard to
 * ASCII case. password_hash is an argon2id string (crypto_pwhash_str); only
 * sg_store_user_get fills it. */
typedef struct sg_user {
    char id[SG_ID_MAX]; /* "usr_..." */
    char email[SG_EMAIL_MAX];
    char role[16]; /* admin, sender, viewer */
    char password_hash[SG_PWHASH_MAX];
    int64_t created_at, updated_at;
    int64_t last_sign_in_at; /* 0: never */
} sg_user;

/* Insert u (its hash already made) and an audit row "user.create". SG_ERR_CONFLICT
 * when the email is taken (any case). */
sg_err sg_store_user_insert(sg_store *s, const sg_user *u, const sg_actor *by, sg_error *e);
/* A user by id ("usr_...") or email (any case), with its hash; SG_ERR_NOT_FOUND. */
sg_err sg_store_user_get(sg_store *s, const char *id_or_email, sg_user *out);
/* Every user, oldest first, without hashes; *out is malloc'd (free it). */
sg_err sg_store_user_list(sg_store *s, sg_user **out, size_t *n);
/* A change of role and/or password (NULL: unchanged). */
typedef struct sg_user_change {
    const char *role;
    const char *password_hash;
} sg_user_change;
/* Apply ch to user id and add an audit row "user.update" (detail: which fields
 * changed, never the hash). A new password ends every session of the user.
 * SG_ERR_NOT_FOUND; SG_ERR_CONFLICT (field "role") when it would leave no admin.
 * *out (may be NULL) gets the user as it is now, without its hash. */
sg_err sg_store_user_update(sg_store *s, const char *id, const sg_user_change *ch,
                            const sg_actor *by, sg_user *out, sg_error *e);
/* Remove user id, its sessions, and add an audit row "user.remove".
 * SG_ERR_NOT_FOUND; SG_ERR_CONFLICT when it is the last admin. */
sg_err sg_store_user_delete(sg_store *s, const char *id, const sg_actor *by, sg_error *e);

/* A signed-in session as read back: its user (role read from the user, so a
 * role change applies at once) and its times (ms). */
typedef struct sg_session {
    char user_id[SG_ID_MAX];
    char email[SG_EMAIL_MAX];
    char role[16];
    char csrf_token[SG_CSRF_TOKEN_MAX];
    int64_t created_at, last_seen_at, expires_at;
} sg_session;

/* A session to create at sign-in. id_hash is the SHA-256 (hex) of the cookie's
 * value, which is never stored; replaces_hash (may be NULL) the hash of the
 * cookie the client came with, ended in the same transaction so that an id is
 * never carried across a sign-in. */
typedef struct sg_session_new {
    const char *id_hash;
    const char *replaces_hash;
    const char *user_id;
    const char *email;
    const char *csrf_token;
    int64_t at;
    int64_t expires_at; /* absolute */
    int64_t idle_ms;    /* sessions idle this long (and expired ones) are swept */
    const char *source;
} sg_session_new;

/* In one transaction: sweep expired sessions, end replaces_hash, insert the
 * session, reset the account's sign-in throttle, set the user's last sign-in and
 * add an audit row "session.sign_in". */
sg_err sg_store_session_create(sg_store *s, const sg_session_new *n, sg_error *e);
/* The session whose cookie hashes to id_hash; SG_ERR_NOT_FOUND (also when its
 * user is gone). Expiry is the caller's decision (core/signin.h has no clock). */
sg_err sg_store_session_get(sg_store *s, const char *id_hash, sg_session *out);
/* Record the session's use at `at` (sliding idle expiry): a queued write, not
 * waited for. */
sg_err sg_store_session_touch(sg_store *s, const char *id_hash, int64_t at);
/* End the session; with by, add an audit row "session.sign_out" for email.
 * SG_ERR_NOT_FOUND when there is no such session. */
sg_err sg_store_session_delete(sg_store *s, const char *id_hash, const char *email,
                               const sg_actor *by, sg_error *e);

/* How long (ms from now) sign-ins for this account (the email, lower-cased) or
 * from this address must still wait: the larger of the two locks, 0 if none. */
sg_err sg_store_signin_wait(sg_store *s, const char *account, const char *address, int64_t now,
                            int64_t *wait_ms);
/* Count a failed sign-in against the account and the address (core/signin.h's
 * rules) and add an audit row "session.sign_in_failed" (actor: the email as
 * typed). */
sg_err sg_store_signin_failed(sg_store *s, const char *account, const char *address, int64_t now,
                              sg_error *e);

/* Add an audit row. detail: JSON text or NULL. */
sg_err sg_store_audit_add(sg_store *s, const sg_actor *by, const char *action,
                          const char *subject, const char *detail, sg_error *e);
/* Filters of the audit log; NULL/0 fields do not filter. before_id: only rows
 * with a smaller id (the cursor: rows come newest first). */
typedef struct sg_audit_filter {
    const char *actor;
    const char *action;
    int64_t since; /* ms; rows at or after */
    long long before_id;
} sg_audit_filter;
/* Newest first, at most limit rows matching f. */
sg_err sg_store_audit_query(sg_store *s, const sg_audit_filter *f, size_t limit,
                            sg_audit **out, size_t *n);


/* ---- app accounts (sqlite_apps.c) ------------------------------------------------ */

/* An application that authenticates on the compatible endpoints (docs/compat.md).
 * Its auth token is stored twice: sealed with the master key (smsgate signs the
 * app's callbacks with it) and as a SHA-256 (what a request is checked against). */
#define SG_APP_NUMBERS_MAX 100
typedef struct sg_app_account {
    char id[SG_ID_MAX]; /* "app_..." */
    char name[128];
    char role[16]; /* sender | viewer */
    char token_sealed[192];
    char token_hash[72];
    char provider_id[SG_ID_MAX]; /* "" = routed as any message */
    char status_callback[512];   /* "" = none */
    char inbound_url[512];       /* "" = none */
    char inbound_method[8];      /* POST | GET */
    char callback_method[8];     /* POST | GET: how status callbacks are sent */
    char countries[256];         /* send limits, as an API key's (sg_key_limits) */
    int64_t daily_quota;
    int64_t created_at, updated_at, token_rotated_at;
    /* The numbers the app owns (E.164, at most SG_APP_NUMBERS_MAX): an inbound
     * message to one is forwarded to the app (docs/compat.md). Not read by
     * sg_store_app_get/list (sg_store_app_numbers reads them); written by
     * sg_store_app_insert/update, in their transaction, only when numbers_set. */
    bool numbers_set;
    size_t n_numbers;
    char numbers[SG_APP_NUMBERS_MAX][SG_PHONE_MAX];
} sg_app_account;

/* Insert a (and its numbers when a->numbers_set); SG_ERR_CONFLICT (field "name")
 * when the name is taken, (field "numbers", naming it) when one of its numbers is
 * another app's. */
sg_err sg_store_app_insert(sg_store *s, const sg_app_account *a, sg_error *e);
/* By id ("app_...") or name; SG_ERR_NOT_FOUND. */
sg_err sg_store_app_get(sg_store *s, const char *id_or_name, sg_app_account *out);
/* Every app, oldest first; *out malloc'd (may be NULL when *n is 0). */
sg_err sg_store_app_list(sg_store *s, sg_app_account **out, size_t *n);
/* Replace every column of row a->id, and its numbers when a->numbers_set;
 * SG_ERR_NOT_FOUND, SG_ERR_CONFLICT (name; or numbers, as for insert).
 * The keys generation (sg_store_keys_generation) moves in the same transaction,
 * as for sg_store_app_delete: servers that cache apps read them again. */
sg_err sg_store_app_update(sg_store *s, const sg_app_account *a, sg_error *e);
/* Remove app id (its messages stay, still tagged, and still count in the stats;
 * its numbers go). */
sg_err sg_store_app_delete(sg_store *s, const char *id, sg_error *e);
/* The numbers app a->id owns into a->numbers / a->n_numbers, sorted. */
sg_err sg_store_app_numbers(sg_store *s, sg_app_account *a);

/* The app account a message was sent by and its own status callback URL (""
 * when none). SG_ERR_NOT_FOUND when no app sent it. */
sg_err sg_store_app_message_owner(sg_store *s, const char *message_id, char app_id[SG_ID_MAX],
                                  char status_callback[512]);

/* What an app's list of messages is filtered on (NULL/0: not filtered). */
typedef struct sg_app_message_filter {
    const char *app_id;
    const char *to;        /* exact */
    const char *from;      /* exact */
    int64_t created_from;  /* ms, inclusive */
    int64_t created_until; /* ms, exclusive */
    const char *before_id; /* the cursor: only messages with a smaller id */
    size_t limit;          /* 1..1000 */
} sg_app_message_filter;

/* Ids of an app's messages, newest first (at most f->limit); *ids malloc'd;
 * has_more tells whether another page exists. */
sg_err sg_store_app_message_ids(sg_store *s, const sg_app_message_filter *f,
                                char (**ids)[SG_ID_MAX], size_t *n, bool *has_more);

/* Forget that app_id sent message_id and blank the message's body (Twilio's
 * DELETE): the message keeps its status and counts in the stats.
 * SG_ERR_NOT_FOUND when the app did not send it. */
sg_err sg_store_app_message_forget(sg_store *s, const char *app_id, const char *message_id,
                                   sg_error *e);

/* A status callback owed to an app (queued with the status change that caused
 * it, so none is lost: the message's status and error code, numbers as they
 * were then), or an inbound message to forward to its inbound_url (queued with
 * the inbound message, when the last message smsgate sent to its sender was the
 * app's). In Twilio's format, or Clickatell's when the message (for an inbound
 * one: the app's message it answers) came in by a Clickatell-compatible
 * endpoint. */
typedef struct sg_app_callback {
    long long id;
    char kind[8];   /* status | inbound (message_id: the inbound message) */
    char method[8]; /* POST | GET */
    char format[4]; /* tw (Twilio's) | ck (Clickatell's) */
    unsigned level; /* ck: the message's callback level (0-7) */
    int64_t at;     /* when it was queued: the status change, the inbound's arrival */
    char app_id[SG_ID_MAX];
    char message_id[SG_ID_MAX];
    char url[512];
    char status[16];
    char error_code[SG_ERROR_CODE_MAX];
    char to[SG_PHONE_MAX];
    char from[SG_FROM_MAX];
    unsigned attempts;
} sg_app_callback;

/* Claim up to limit pending callbacks due at now, oldest due first; their next
 * attempt moves to now + lease_ms so that no other worker takes them. *out
 * malloc'd (may be NULL when *n is 0). */
sg_err sg_store_app_callback_claim(sg_store *s, int64_t now, size_t limit, int64_t lease_ms,
                                   sg_app_callback **out, size_t *n);
/* The outcome of an attempt at callback id: delivered, or pending again at
 * next_attempt_at, or dead (given up) when next_attempt_at is 0; attempts is
 * the count after it; http_status 0 when no answer came; error "" or why. */
sg_err sg_store_app_callback_done(sg_store *s, long long id, bool delivered,
                                  int64_t next_attempt_at, unsigned attempts, int http_status,
                                  const char *error, int64_t at, sg_error *e);

/* An API key of an app: its SID ("SK" + 32 hex, sg_app_key_sid) and secret
 * authenticate as the app, like its Account SID and token; only a SHA-256 of
 * the secret is kept. */
typedef struct sg_app_key {
    char id[SG_ID_MAX]; /* "apk_..." */
    char app_id[SG_ID_MAX];
    char name[128];
    char secret_hash[72];
    int64_t created_at;
} sg_app_key;

sg_err sg_store_app_key_insert(sg_store *s, const sg_app_key *k, sg_error *e);
/* SG_ERR_NOT_FOUND if no such key. */
sg_err sg_store_app_key_get(sg_store *s, const char *id, sg_app_key *out);
/* The keys of app_id, oldest first, without their hashes; *out malloc'd. */
sg_err sg_store_app_key_list(sg_store *s, const char *app_id, sg_app_key **out, size_t *n);
/* Revoke key id of app_id (the keys generation moves with it);
 * SG_ERR_NOT_FOUND. Removing an app removes its keys. */
sg_err sg_store_app_key_delete(sg_store *s, const char *app_id, const char *id, sg_error *e);
/* ---- contact and opt-out search ------------------------------------------------------ */

/* Contacts matching q (core/search.h has the rules). A search by number lists in
 * number order, cursor: the last phone of the previous page; a phrase lists
 * newest first, cursor: the last contact id. A number's prefix is answered by the
 * phone's index; a phrase and digits anywhere in the number read the contacts (a
 * narrow copy of their names and emails, in SQLite) in order until a page is
 * full. *out malloc'd (sg_contacts_free). */
sg_err sg_store_contact_search(sg_store *s, const sg_search *q, const char *cursor, size_t limit,
                               sg_contact **out, size_t *n, bool *has_more);
/* Opt-outs whose number matches q (a phone kind; a phrase matches nothing), in
 * number order; cursor: the last phone of the previous page. *out malloc'd (free). */
sg_err sg_store_optout_search(sg_store *s, const sg_search *q, const char *cursor, size_t limit,
                              sg_optout **out, size_t *n, bool *has_more);

/* ---- contact import jobs ----------------------------------------------------------- */

/* The progress of one CSV import (POST /v1/contacts/imports, then the upload with
 * ?job=): what the node reading the upload has done so far, for any node to show. */
typedef struct sg_import_job {
    char id[SG_ID_MAX]; /* imp_... */
    char status[16];    /* waiting (no upload yet), importing, done, failed */
    int64_t size;       /* bytes the upload announced (Content-Length), 0 if unknown */
    int64_t bytes;      /* bytes of the upload read and parsed so far */
    int64_t rows;       /* CSV lines read (the header included) */
    int64_t imported, updated, rejected;
    char *rejections; /* JSON array [{line, code, detail}] once finished, or NULL; owned */
    char error[256];  /* why it failed, or "" */
    int64_t created_at, updated_at;
} sg_import_job;

void sg_import_job_free(sg_import_job *j);
/* Insert j (status "waiting"), and delete the jobs created more than
 * SG_IMPORT_JOB_KEEP_MS before it in the same transaction. */
#define SG_IMPORT_JOB_KEEP_MS (7LL * 24 * 3600 * 1000)
sg_err sg_store_import_job_create(sg_store *s, const sg_import_job *j, sg_error *e);
/* Claim a waiting job for an upload: "waiting" becomes "importing" with size.
 * SG_ERR_NOT_FOUND; SG_ERR_CONFLICT when it is not waiting (another upload had it). */
sg_err sg_store_import_job_start(sg_store *s, const char *id, int64_t size, int64_t at,
                                 sg_error *e);
/* Write j's status, counts, rejections and error (by j->id). */
sg_err sg_store_import_job_update(sg_store *s, const sg_import_job *j, sg_error *e);
/* SG_ERR_NOT_FOUND. */
sg_err sg_store_import_job_get(sg_store *s, const char *id, sg_import_job *out);
/* ---- routes (sqlite_routes.c) ------------------------------------------------------ */

/* Routes between providers (core/route.h, docs/routing.md), kept in order: every
 * write gives the routes positions 1..n and bumps the provider generation, so
 * registries that hold the routes beside the providers reload them. */

/* Store route r (r->id, r->created_at and r->updated_at set by the caller); last
 * in order, or at r->position (1-based) when > 0, the routes from there on moving
 * down one. SG_ERR_CONFLICT (field "name") when the name is taken. */
sg_err sg_store_route_insert(sg_store *s, const sg_sms_route *r, sg_error *e);
/* Replace every field of route r->id but created_at; r->position > 0 moves it
 * there, 0 keeps its place. SG_ERR_NOT_FOUND, SG_ERR_CONFLICT (field "name"). */
sg_err sg_store_route_update(sg_store *s, const sg_sms_route *r, sg_error *e);
/* SG_ERR_NOT_FOUND when there is no such route. */
sg_err sg_store_route_delete(sg_store *s, const char *id, sg_error *e);
/* By id or name; SG_ERR_NOT_FOUND. */
sg_err sg_store_route_get(sg_store *s, const char *id_or_name, sg_sms_route *out);
/* Every route in order (position); *out malloc'd (NULL when *n is 0). */
sg_err sg_store_route_list(sg_store *s, sg_sms_route **out, size_t *n);

/* ---- Clickatell-style credentials of apps (sqlite_app_ck.c) ------------------------ */

/* What a Clickatell-style client authenticates an app with (docs/compat.md):
 * api_id, user (the Account SID) and password (the auth token) on the legacy
 * API, or the api_key, of which only a SHA-256 is kept. */
typedef struct sg_app_ck {
    char app_id[SG_ID_MAX];
    char api_id[16];       /* decimal digits, unique */
    char api_key_hash[72]; /* SHA-256 hex of the api_key, unique */
} sg_app_ck;

/* Set app c->app_id's credentials (replacing any it had; the keys generation
 * moves). SG_ERR_CONFLICT when the api_id or key is another app's. */
sg_err sg_store_app_ck_put(sg_store *s, const sg_app_ck *c, sg_error *e);
/* The credentials whose app id, api_id or api_key_hash is key; SG_ERR_NOT_FOUND. */
sg_err sg_store_app_ck_get(sg_store *s, const char *key, sg_app_ck *out);
/* ---- provider prices and provider events (sqlite_prices.c) ------------------------ */

/* Replace provider_id's price list with rows[0..n) (checked by sg_prices_parse) in
 * one transaction; n may be 0 (no prices). SG_ERR_NOT_FOUND (field "id") when no
 * provider has that id. */
sg_err sg_store_prices_set(sg_store *s, const char *provider_id, const sg_price *rows, size_t n,
                           sg_error *e);
/* provider_id's prices ordered by country; *out is malloc'd (NULL when *n is 0) and
 * the caller frees it. An unknown provider has no prices (SG_OK, 0 rows). */
sg_err sg_store_prices_list(sg_store *s, const char *provider_id, sg_price **out, size_t *n);
/* The price of one SMS segment to country (ISO 3166 alpha-2, upper case) at
 * provider_id, for routing's `cheapest` strategy. SG_ERR_NOT_FOUND when the
 * provider has no price for it. */
sg_err sg_store_price_get(sg_store *s, const char *provider_id, const char *country,
                          sg_price *out);

/* The estimated cost of one provider's messages in one currency. */
typedef struct sg_price_cost {
    char provider_id[SG_ID_MAX];
    char currency[4]; /* "" on the row of segments to countries without a price */
    int64_t micros;   /* segments x price, summed (0 on the "" row) */
    int64_t messages, segments;
} sg_price_cost;
/* The estimated cost of the outbound messages created in [from, to) (ms; 0 =
 * unbounded) that a provider accepted (sent, delivered, undelivered): each
 * message's segments times its provider's price for the country of its number
 * (the country read from the first 6 digits of the number, which decide it
 * everywhere smsgate knows). One row per provider and currency, ordered by
 * provider id and currency, the "" row first; *out malloc'd, the caller frees. */
sg_err sg_store_price_costs(sg_store *s, int64_t from, int64_t to, sg_price_cost **out,
                            size_t *n);

/* Something that happened to a provider (not to a message): a circuit breaker's
 * transition, seen by the node that writes it. */
typedef struct sg_provider_event {
    long long id;
    char provider_id[SG_ID_MAX];
    int64_t at;
    char type[32];    /* "breaker.open", "breaker.half_open", "breaker.closed" */
    char detail[256]; /* one sentence */
} sg_provider_event;
/* Queue ev for the writer and return at once (the dispatcher calls this: it must
 * not wait for a commit). A failed write is logged, not reported. */
sg_err sg_store_provider_event_add(sg_store *s, const sg_provider_event *ev);
/* provider_id's events, newest first, at most limit (1-1000). */
sg_err sg_store_provider_events_list(sg_store *s, const char *provider_id, size_t limit,
                                     sg_provider_event **out, size_t *n);
/* ---- keyword rules (issue 16) ---------------------------------------------------- */

#define SG_KEYWORD_RULES_MAX 500 /* rules per deployment; the API refuses more */

typedef struct sg_keyword_rule {
    char id[SG_ID_MAX];    /* kwr_... */
    char keyword[65];      /* folded (core/keyword_match.h) */
    char match[16];        /* exact | first_word | glob */
    char to[SG_PHONE_MAX]; /* a receiving number, "" for any */
    long priority;         /* higher first */
    char *actions;         /* the actions as JSON array text, owned */
    int64_t created_at, updated_at;
} sg_keyword_rule;

void sg_keyword_rule_free(sg_keyword_rule *r);
void sg_keyword_rules_free(sg_keyword_rule *r, size_t n);
/* SG_ERR_CONFLICT when a rule with the same keyword, match and to exists. */
sg_err sg_store_keyword_rule_create(sg_store *s, const sg_keyword_rule *r, sg_error *e);
/* Every field but id and created_at; SG_ERR_NOT_FOUND, SG_ERR_CONFLICT. */
sg_err sg_store_keyword_rule_update(sg_store *s, const sg_keyword_rule *r, sg_error *e);
sg_err sg_store_keyword_rule_delete(sg_store *s, const char *id, sg_error *e);
sg_err sg_store_keyword_rule_get(sg_store *s, const char *id, sg_keyword_rule *out);
/* Every rule, highest priority first, then oldest first (the order rules are
 * tried in); at most SG_KEYWORD_RULES_MAX. The caller frees with
 * sg_keyword_rules_free. */
sg_err sg_store_keyword_rule_list(sg_store *s, sg_keyword_rule **out, size_t *n);

/* ---- journeys (issue 16, docs/journeys.md) ----------------------------------------- */

#define SG_JOURNEYS_MAX 1000 /* journeys a list returns */

/* A journey and its current version's document (core/journey.h validates it;
 * the store reads only steps[0].id and reentry from it). */
typedef struct sg_journey_row {
    char id[SG_ID_MAX];  /* jny_... */
    char name[129];
    char state[12];      /* draft | active | paused | archived */
    int64_t version;     /* 1, 2, ...: every edit is a new version */
    char *definition;    /* the current version's JSON text, owned */
    char trigger_type[12];    /* api | group | keyword */
    char trigger_value[513];  /* the group, or the folded keyword; "" for api */
    int64_t created_at, updated_at;
} sg_journey_row;

void sg_journey_row_free(sg_journey_row *j);
void sg_journey_rows_free(sg_journey_row *j, size_t n);
/* A new journey in state draft at version 1 (j->id, name, definition, trigger_*,
 * created_at set by the caller). */
sg_err sg_store_journey_create(sg_store *s, const sg_journey_row *j, sg_error *e);
/* A new version of journey j->id with j's name, definition and trigger; its
 * enrolments keep the version they started with. *out (may be NULL) gets the
 * journey as stored. SG_ERR_NOT_FOUND; SG_ERR_CONFLICT for an archived journey. */
sg_err sg_store_journey_update(sg_store *s, const sg_journey_row *j, sg_journey_row *out,
                               sg_error *e);
sg_err sg_store_journey_get(sg_store *s, const char *id, sg_journey_row *out);
/* The document of one version (a new string the caller frees). */
sg_err sg_store_journey_version(sg_store *s, const char *id, int64_t version, char **definition);
/* Newest first, at most SG_JOURNEYS_MAX; state (may be NULL) filters. */
sg_err sg_store_journey_list(sg_store *s, const char *state, sg_journey_row **out, size_t *n);
/* Move journey id to state `to` when its state is one of from (a NULL-terminated
 * list); SG_ERR_CONFLICT (message naming the state) otherwise, SG_ERR_NOT_FOUND.
 * Activating starts the group trigger's watch at now (members added before are
 * not enrolled); archiving ends its active enrolments (reason "archived"). */
sg_err sg_store_journey_transition(sg_store *s, const char *id, const char *const *from,
                                   const char *to, int64_t now, sg_journey_row *out, sg_error *e);

/* One enrolment: a contact's way through one version of a journey. */
typedef struct sg_enrollment {
    char id[SG_ID_MAX]; /* enr_... */
    char journey_id[SG_ID_MAX];
    int64_t version;
    char contact_id[SG_ID_MAX];
    char phone[SG_PHONE_MAX];
    char state[12];    /* active | exited */
    char step[33];     /* the current step's id */
    int64_t visit;     /* which entry into a step this is: the steps taken when it entered */
    char waiting[8];   /* "" (run the step when due), "wait", "reply" */
    int64_t due_at;    /* ms: when the step runs, its wait ends or its reply times out */
    int64_t steps_taken;
    char exit_reason[24]; /* completed | opted_out | max_steps | max_age | archived | ... */
    int64_t started_at, updated_at, exited_at;
    bool opted_out;    /* the contact's number is opted out now */
} sg_enrollment;

typedef enum sg_enroll_result {
    SG_ENROLL_OK = 0,
    SG_ENROLL_ALREADY,   /* in the journey now, or once before and reentry is "never" */
    SG_ENROLL_OPTED_OUT, /* opted-out numbers are never enrolled */
    SG_ENROLL_NOT_FOUND, /* no such contact id */
} sg_enroll_result;

typedef struct sg_enroll_item {
    const char *contact; /* a contact id (ctc_...) or an E.164 phone (a new contact if unknown) */
    /* results */
    sg_enroll_result result;
    char contact_id[SG_ID_MAX];
    char enrollment_id[SG_ID_MAX];
} sg_enroll_item;

/* Enrol items[0..n) in journey id at its current version, starting at its first
 * step due now, in one write. SG_ERR_CONFLICT when the journey is not active,
 * SG_ERR_NOT_FOUND when there is no such journey. */
sg_err sg_store_journey_enroll(sg_store *s, const char *id, sg_enroll_item *items, size_t n,
                               int64_t now, sg_error *e);
/* Enrol the members added to the group of each active group-triggered journey
 * since the last look (at most limit in all); *enrolled (may be NULL) counts
 * them. A member is enrolled once per time it is added. */
sg_err sg_store_journey_group_scan(sg_store *s, int64_t now, size_t limit, size_t *enrolled,
                                   sg_error *e);
/* Lease up to limit active enrolments of active journeys that are due at now and
 * not leased, for lease_ms; the caller frees *out. */
sg_err sg_store_journey_claim(sg_store *s, int64_t now, int64_t lease_ms, size_t limit,
                              sg_enrollment **out, size_t *n);
/* Release every lease (serve's start: one engine per database). */
sg_err sg_store_journey_leases_reset(sg_store *s, sg_error *e);

/* One step of an enrolment, applied in one write. The enrolment must still be at
 * (step, visit) and active, or nothing happens and stale is set. Then, in order:
 * send is queued (unless the number is opted out) under the key (enrolment,
 * step, visit), unique, so the step can never queue a second message; the group
 * change, attribute or webhook event is made; step is logged with outcome; and
 * the enrolment stays (stay: waiting and due_at change), moves to next_step
 * (entered now, due now, visit = steps taken), or exits with exit_reason
 * (next_step NULL). */
typedef struct sg_journey_advance {
    const char *enrollment_id, *step;
    int64_t visit;
    sg_message *send;      /* may be NULL */
    const char *group;     /* add_to_group / remove_from_group */
    bool group_add;
    const char *attr_name, *attr_value;
    const char *event;     /* an app-webhook event type ("journey.step"), data below */
    const char *event_data; /* JSON object text */
    const char *outcome;   /* completed | sent | waiting | timed_out | deferred | skipped */
    const char *detail;    /* may be NULL */
    bool stay;
    const char *waiting;   /* with stay */
    int64_t due_at;        /* with stay */
    const char *next_step;
    const char *exit_reason;
    int64_t now;
    /* results */
    bool stale;
} sg_journey_advance;
sg_err sg_store_journey_advance(sg_store *s, sg_journey_advance *a, sg_error *e);

/* Whether contact_id matches the segment filter text (core/segment_filter.h) at
 * now: a journey's branch step. SG_ERR_INVALID when the filter does not parse or
 * cannot be evaluated. */
sg_err sg_store_journey_contact_matches(sg_store *s, const char *contact_id, const char *filter,
                                        int64_t now, bool *matches);
/* The active enrolments of the contact with phone that wait for a reply, in
 * active journeys, oldest first. */
sg_err sg_store_journey_waiting(sg_store *s, const char *phone, sg_enrollment **out, size_t *n);
/* Enrolments of journey id, newest first, at most limit; cursor: an enrolment id;
 * has_more may be NULL. */
sg_err sg_store_journey_enrollments(sg_store *s, const char *id, const char *cursor, size_t limit,
                                    sg_enrollment **out, size_t *n, bool *has_more);

/* Per step: how many times an enrolment entered it, completed it (left it any
 * way but exiting), messages sent and delivered, replies taken, exits; and the
 * exits by reason (step "" in by_reason rows). */
typedef struct sg_journey_step_stats {
    char step[33];
    int64_t entered, completed, sent, delivered, replied, exited;
} sg_journey_step_stats;
typedef struct sg_journey_exit_stats {
    char step[33];
    char reason[24];
    int64_t count;
} sg_journey_exit_stats;
sg_err sg_store_journey_stats(sg_store *s, const char *id, sg_journey_step_stats **steps,
                              size_t *n_steps, sg_journey_exit_stats **exits, size_t *n_exits);

/* ---- PostgreSQL (issue 14: the backend is being built, src/store/pg/) ------------- */

/* Whether url names a PostgreSQL database: a postgres:// or postgresql:// URL,
 * or a libpq keyword string ("host=db dbname=smsgate user=smsgate") that libpq
 * accepts whole. Anything else is a SQLite file path. */
bool sg_store_url_is_postgres(const char *url);
/* url as it may be shown or logged: a SQLite path as given; a PostgreSQL
 * database as "database NAME on HOST:PORT as USER", never with its password
 * (out: cap bytes). */
void sg_store_url_display(const char *url, char *out, size_t cap);
/* Create or upgrade the schema of the PostgreSQL database at url (all pending
 * migrations in one transaction; concurrent migrators wait for each other).
 * Waits up to wait_ms for a server that does not answer yet, trying again with
 * back-off. *applied: migrations run now; *current, *latest: the schema
 * version after it and the newest this build knows. where (cap bytes) names
 * the database for messages, never with its password. Until the backend sits
 * behind sg_store_open, this is how `smsgate migrate` reaches PostgreSQL. */
sg_err sg_store_pg_migrate(const char *url, int64_t wait_ms, int *applied, int *current,
                           int *latest, char *where, size_t cap, sg_error *e);

#endif
