/* Shared by the files of the SQLite backend (sqlite_core.c: connections, the
 * writer, the read helpers; and one file per subject: sqlite_messages.c,
 * sqlite_dispatch.c, sqlite_callbacks.c, sqlite_inbound.c, sqlite_contacts.c,
 * sqlite_timeline.c, sqlite_optouts.c, sqlite_webhooks.c, sqlite_providers.c,
 * sqlite_keys.c, sqlite_audience.c, sqlite_broadcasts.c, sqlite_stats.c, ...).
 * Nothing outside store/sqlite/ includes this.
 *
 * Statements, one way: each has a slot in enum sq_slot below and its SQL beside
 * the code that runs it (a SQL_* macro or a literal); sq_stmt_sql(c, slot, sql)
 * prepares it the first time it is used on a connection and keeps it. Only
 * statements whose text is built at run time (the message list's filters, a
 * segment compiled to SQL) and rare ones are prepared per call. */
#ifndef SG_STORE_SQLITE_INTERNAL_H
#define SG_STORE_SQLITE_INTERNAL_H

#include "store/backend.h"
#include "store/store.h"
#include "util/buf.h"

#include <jansson.h>
#include <pthread.h>
#include <sqlite3.h>

#define READ_POOL 8
#define GROUP_MAX 4096 /* writes per transaction */

#define SQ_MSG_COLS                                                                                \
    "id, status, direction, to_number, from_number, body, provider_id, provider_message_id, "      \
    "segments, encoding, error_code, error_message, attempts, send_at, contact_id, metadata, "     \
    "created_at, updated_at, purpose, broadcast_id, expires_at, first_attempt_at, "                \
    "external_template_id, route_id, failover, providers_tried, outcome_unknown"

/* Statement slots: one per statement of the backend, prepared the first time it
 * is used on a connection (sq_stmt_sql) and kept. */
enum sq_slot {
    S_KEY_INSERT,
    S_KEY_GET,
    S_PROV_CLEAR_DEFAULT,
    S_PROV_INSERT,
    S_PROV_UPDATE,
    S_PROV_DELETE,
    S_PROV_GET_ID,
    S_PROV_GET_NAME,
    S_PROV_LIST,
    S_PROV_BUMP,
    S_PROV_GEN,
    S_PROV_IN_USE,
    S_MSG_INSERT,
    S_EVENT_INSERT,
    S_IDEM_INSERT,
    S_IDEM_GET,
    S_MSG_GET,
    S_MSG_STATUS,
    S_EVENTS,
    S_CANCEL,
    S_CLAIM_SELECT,
    S_CLAIM_UPDATE,
    S_OUT_SENT,
    S_OUT_RETRY,
    S_OUT_FAILED,
    S_OUT_RELEASE,
    S_OUT_FAILOVER,
    S_PROVIDER_ID_HELD,
    S_CLAIMS_RECOVER,
    S_QUEUE_STATS,
    S_PING,
    S_OPTOUT_EXISTS,
    S_FAIL_OPTED_OUT,
    S_FAIL_EXPIRED,
    S_MSG_TO,
    S_BY_PROVIDER_ID,
    S_STATUS_SET,
    S_INBOUND_BY_PROVIDER_ID,
    S_CONTACT_ID_BY_PHONE,
    S_CONTACT_INSERT,
    S_CONTACT_UPDATE,
    S_CONTACT_DELETE,
    S_CONTACT_GET_ID,
    S_CONTACT_GET_PHONE,
    S_CONTACT_LIST,
    S_OPTOUT_INSERT,
    S_OPTOUT_DELETE,
    S_OPTOUT_GET,
    S_OPTOUT_LIST,
    S_CONSENT_INSERT,
    S_TIMELINE,
    S_CONSENT_GET,
    S_WEBHOOK_EVENTS,
    S_DELIVERY_INSERT,
    S_WEBHOOK_INSERT,
    S_WEBHOOK_DELETE,
    S_WEBHOOK_GET,
    S_WEBHOOK_LIST,
    S_DELIVERY_LIST,
    S_DELIVERY_DUE,
    S_DELIVERY_LEASE,
    S_DELIVERY_RESULT,
    S_DELIVERIES_DELETE,
    S_WEBHOOK_IDS,
    S_SAVEPOINT,
    S_ROLLBACK_TO,
    S_RELEASE,
    S_BEGIN,
    S_COMMIT,
    S_GROUP_INSERT,
    S_GROUP_GET,
    S_GROUP_LIST,
    S_GROUP_DELETE,
    S_GROUP_MEMBERS_DELETE,
    S_MEMBER_ADD,
    S_MEMBER_REMOVE,
    S_GROUP_CONTACTS,
    S_CONTACT_FIND,
    S_SEGMENT_INSERT,
    S_SEGMENT_UPDATE,
    S_SEGMENT_GET,
    S_SEGMENT_LIST,
    S_SEGMENT_DELETE,
    S_TEMPLATE_INSERT,
    S_TEMPLATE_UPDATE,
    S_TEMPLATE_GET,
    S_TEMPLATE_LIST,
    S_TEMPLATE_DELETE,
    S_CONTACT_UPSERT,
    S_CONTACT_MOBILE_NULL,
    S_CONTACT_SET_MOBILE,
    S_CONTACT_EXPORT,
    S_BCAST_INSERT,
    S_BCAST_GET,
    S_BCAST_LIST,
    S_BCAST_SET_STATUS,
    S_BCAST_DUE,
    S_BCAST_MATERIALIZED,
    S_BCAST_COUNTS,
    S_BCAST_PENDING,
    S_RCPT_QUEUED,
    S_RCPT_SKIPPED,
    S_RCPT_DEFER,
    S_RCPT_STATE_COUNTS,
    S_BCAST_OUTSTANDING,
    S_BCAST_CANCEL_MSGS,
    S_BCAST_MSG_COUNTS,
    S_BCAST_ADD_COUNTS,
    S_LINK_INSERT,
    S_LINK_GET,
    S_CLICK_INSERT,
    S_CONTACT_ACTIVITY,
    S_EARLY_EXPIRE,
    S_EARLY_INSERT,
    S_EARLY_SELECT,
    S_EARLY_DELETE,
    S_EARLY_BOUND,
    S_MSG_PROVIDER,
    S_KEY_LIST,
    S_KEY_REVOKE,
    S_KEYS_BUMP,
    S_KEYS_GEN,
    S_KEY_TOUCH,
    S_BCAST_SET_ERROR,
    S_CONTACT_SENT,
    S_APP_GET,     /* sqlite_apps.c */
    S_APP_MSG_TAG,
    S_APP_MSG_OWNER,
    S_APP_CB_QUEUE,
    S_APP_INBOUND_QUEUE,
    S_APP_NUMBER_INBOUND_QUEUE,
    S_CONTACT_SEARCH_PHONE,
    S_CONTACT_SEARCH_PHRASE,
    S_OPTOUT_SEARCH,
    S_IMPORT_JOB_INSERT,
    S_IMPORT_JOB_SWEEP,
    S_IMPORT_JOB_START,
    S_IMPORT_JOB_UPDATE,
    S_IMPORT_JOB_GET,
    S__END
};

#define SQ_MAX_STMTS S__END

typedef struct conn {
    sqlite3 *db;
    sqlite3_stmt *stmts[SQ_MAX_STMTS];
    /* On the writer: the node and start its claims record (sqlite_nodes.c;
     * empty until sg_store_node_register). */
    char node_id[SG_NODE_ID_MAX], node_start[SG_NODE_START_MAX];
} conn;

/* ---- writer queue ------------------------------------------------------------ */

typedef struct job job;
struct job {
    /* Runs inside the group transaction, on the write connection. */
    sg_err (*run)(sg_store *s, conn *c, job *j);
    /* Runs after commit (or failure) with j->err set; may free j. */
    void (*complete)(job *j);
    sg_err err;
    sg_error error;
    job *next;
};

/* What the writer last did, for sg_store_writable (sqlite_health.c). Times are
 * monotonic ms; 0 = never. */
typedef struct sq_health {
    pthread_mutex_t lock;
    int64_t busy_since; /* the group being written started then; 0 when idle */
    int64_t last_ok, last_fail;
    char last_error[160];
    bool probing; /* the empty probe transaction is queued */
    job probe;
} sq_health;

void sq_health_init(sq_health *h);
void sq_health_free(sq_health *h);
/* The writer starts a group; the group ended (gerr: its BEGIN or COMMIT failed). */
void sq_health_begin(sq_health *h);
void sq_health_end(sq_health *h, sg_err gerr, const char *message);

/* The SQLite backend's handle: the sg_store callers hold is its first member. */
typedef struct sq_store {
    sg_store base;
    char *path;
    conn writer;
    pthread_t writer_thread;
    bool writer_started;
    pthread_mutex_t qlock;
    pthread_cond_t qcond;
    job *qhead, *qtail;
    bool stopping;

    pthread_mutex_t plock;
    pthread_cond_t pcond;
    conn readers[READ_POOL];
    bool reader_busy[READ_POOL];

    /* sg_store_dispatch_lock's lock file, open while held (sqlite_lock.c). */
    bool dispatch_locked;
    int dispatch_lock_fd;

    /* Writer thread only: which events have subscribers (bit per event type), so
     * that a change nobody listens to costs nothing. */
    unsigned webhook_mask;
    bool webhook_mask_valid;

    sq_health health;
} sq_store;

/* The SQLite handle behind an sg_store of this backend. */
static inline sq_store *sq_of(sg_store *s)
{
    return (sq_store *)s;
}

/* The backend's tables (backend.h): one per subject file, at its end. */
extern const sg_store_keys_ops sq_keys_ops;
extern const sg_store_limits_ops sq_limits_ops;
extern const sg_store_providers_ops sq_providers_ops;
extern const sg_store_messages_ops sq_messages_ops;
extern const sg_store_dispatch_ops sq_dispatch_ops;
extern const sg_store_callbacks_ops sq_callbacks_ops;
extern const sg_store_inbound_ops sq_inbound_ops;
extern const sg_store_contacts_ops sq_contacts_ops;
extern const sg_store_timeline_ops sq_timeline_ops;
extern const sg_store_optouts_ops sq_optouts_ops;
extern const sg_store_audience_ops sq_audience_ops;
extern const sg_store_broadcasts_ops sq_broadcasts_ops;
extern const sg_store_stats_ops sq_stats_ops;
extern const sg_store_webhooks_ops sq_webhooks_ops;
extern const sg_store_retention_ops sq_retention_ops;
extern const sg_store_users_ops sq_users_ops;
extern const sg_store_apps_ops sq_apps_ops;
extern const sg_store_search_ops sq_search_ops;
extern const sg_store_imports_ops sq_imports_ops;
extern const sg_store_routes_ops sq_routes_ops;
extern const sg_store_app_ck_ops sq_app_ck_ops;
extern const sg_store_prices_ops sq_prices_ops;
extern const sg_store_keywords_ops sq_keywords_ops;
extern const sg_store_journeys_ops sq_journeys_ops;
/* Journeys inside the inbound message's write (sqlite_journeys.c): the replies
 * taken by waiting enrolments, the keyword-triggered enrolments, and on an
 * opt-out the end of every journey of the contact. */
sg_err sq_journey_inbound(sg_store *s, conn *c, sg_inbound *in, sg_error *e);
/* Enrol contact_id in journey id at its current version inside the current
 * write; *result says what happened (store.h sg_enroll_result). */
sg_err sq_journey_enroll_on(conn *c, const char *id, const char *contact_id, int64_t now,
                            sg_enroll_result *result, char enrollment_id[SG_ID_MAX], sg_error *e);
/* Run a matched keyword rule's actions and record the match (sqlite_keywords.c),
 * inside the inbound message's write; in->contact_id is set. */
sg_err sq_keyword_actions_run(sg_store *s, conn *c, sg_inbound *in, sg_error *e);
/* The core table's entries outside sqlite_core.c (backend.h has their contracts
 * as sg_store_migrate, ...): sqlite_migrate.c, sqlite_health.c, sqlite_lock.c. */
sg_err sq_migrate(sg_store *s, int *applied, sg_error *e);
sg_err sq_schema_version(sg_store *s, int *current, int *latest);
bool sq_writable(sg_store *s, char *reason, size_t cap);
sg_err sq_dispatch_lock(sg_store *s, sg_error *e);

/* Give up sg_store_dispatch_lock's lock, if held (sqlite_lock.c; sg_store_close). */
void sq_dispatch_unlock(sg_store *s);

/* ---- helpers (sqlite_core.c) --------------------------------------------------- */

sg_err sq_map_rc(int rc);
sg_err sq_db_error(sqlite3 *db, int rc, sg_error *e, const char *what);
/* Cached statement in slot (an S_* above) prepared from sql the first time. */
sqlite3_stmt *sq_stmt_sql(conn *c, int slot, const char *sql);
void sq_bind_text(sqlite3_stmt *st, int i, const char *s);
char *sq_col_dup(sqlite3_stmt *st, int i);
void sq_col_copy(sqlite3_stmt *st, int i, char *dst, size_t cap);
sg_err sq_exec(sqlite3 *db, const char *sql, sg_error *e);
conn *sq_reader_acquire(sg_store *s);
void sq_reader_release(sg_store *s, conn *c);
/* Step st to completion (no rows expected). SG_ERR_CONFLICT on a constraint. */
sg_err sq_step_done(conn *c, sqlite3_stmt *st, sg_error *e, const char *what);
/* A statement prepared for one use (not cached: rare statements, or SQL built per
 * call), or NULL (the connection's error says why); sq_step_finalize steps it to
 * completion and finalizes it (a NULL st: the prepare's error). */
sqlite3_stmt *sq_prep_uncached(conn *c, const char *sql);
sg_err sq_step_finalize(conn *c, sqlite3_stmt *st, sg_error *e, const char *what);
/* Bump meta.keys_generation (inside a write): every server's auth cache then
 * reads its keys again (sqlite_keys.c). */
sg_err sq_keys_bump(conn *c, sg_error *e);
/* Read helpers: a statement (slot, sql) run on a reader, its rows collected. */
sg_err sq_read_one_sql(sg_store *s, int slot, const char *sql, const char *param,
                       void (*row)(sqlite3_stmt *st, void *out), void *out);
sg_err sq_read_rows_sql(sg_store *s, int slot, const char *sql,
                        void (*bind)(sqlite3_stmt *st, const void *arg), const void *arg,
                        void (*row)(sqlite3_stmt *st, void *out), void (*drop)(void *elem),
                        size_t elem_size, size_t max, void **out, size_t *n);
void sq_page_trim(void *rows, size_t elem_size, size_t *n, size_t limit, void (*drop)(void *elem),
                  bool *has_more);
/* Step a bound statement, collecting its rows as sq_read_rows does; the statement is reset. */
sg_err sq_read_rows_on(sqlite3_stmt *st, void (*row)(sqlite3_stmt *st, void *out),
                       void (*drop)(void *elem), size_t elem_size, size_t max, void **out,
                       size_t *n);
/* The arguments of a cursor-paged list read. */
typedef struct sq_page_args {
    const char *text;
    long long at;
    bool has_at;
    size_t limit;
} sq_page_args;
void sq_bind_one_text(sqlite3_stmt *st, const void *text);
sg_err sq_submit(sg_store *s, job *j);
/* A synchronous write: fn runs in the writer's group transaction. */
sg_err sq_write_sync(sg_store *s, sg_err (*fn)(sg_store *, conn *, void *, sg_error *), void *arg,
                     sg_error *e);

void sq_message_row(sqlite3_stmt *st, sg_message *m);
/* Nodes (sqlite_nodes.c), rows of sq_dispatch_ops. */
sg_err sq_node_register(sg_store *s, const char *id, const char *start_id, const char *listen,
                        int64_t now, sg_error *e);
sg_err sq_node_beat(sg_store *s, int64_t now, int64_t sent, int64_t timeout_ms,
                    void (*done)(void *arg, const sg_node_beat_result *r, sg_err err), void *arg);
sg_err sq_node_stop(sg_store *s, int64_t now, sg_error *e);
sg_err sq_nodes_list(sg_store *s, sg_node **out, size_t *n, sg_error *e);
/* Message id read on c (sqlite_messages.c); SG_ERR_NOT_FOUND when there is none. */
sg_err sq_message_get_on(conn *c, const char *id, sg_message *out);
/* The columns sq_contact_row reads, on contacts aliased c. */
#define SQ_CONTACT_COLS                                                                            \
    "c.id, c.phone, c.first_name, c.last_name, c.attributes, c.created_at, c.updated_at, "         \
    "EXISTS (SELECT 1 FROM optouts o WHERE o.phone = c.phone), coalesce(c.mobile, 1), "            \
    "c.last_activity_at"
void sq_contact_row(sqlite3_stmt *st, void *out); /* out: sg_contact */
/* An opt-out row: phone, source, reason, message_id, created_at (out: sg_optout). */
void sq_optout_row(sqlite3_stmt *st, void *out);
sg_err sq_message_insert(conn *c, const sg_message *m, sg_error *e);
/* Record that m->app_id sent m, with its status callback (sqlite_apps.c);
 * called by sq_message_insert for a message of an app. */
sg_err sq_app_message_tag(conn *c, const sg_message *m, sg_error *e);
/* Queue a status callback for message id, when an app sent it with a status
 * callback URL (its own or the app's), in the status change's transaction
 * (sqlite_apps.c; called by sq_emit_message_status). */
sg_err sq_app_status_callback(conn *c, const char *id, int64_t at, sg_error *e);
/* Queue inbound message m for the app whose message was the last one sent to
 * m's sender, when that app has an inbound_url (sqlite_apps.c; called by the
 * inbound insert). */
sg_err sq_app_inbound(conn *c, const sg_message *m, sg_error *e);
sg_err sq_event_insert(conn *c, const char *id, sg_status status, int64_t at, const char *detail,
                       sg_error *e);
bool sq_optout_exists(conn *c, const char *phone);
sg_err sq_emit(sg_store *s, conn *c, const char *event, json_t *data, int64_t at, sg_error *e);
sg_err sq_emit_message_status(sg_store *s, conn *c, const char *id, int64_t at, sg_error *e);
json_t *sq_opt_str(const char *v);
sg_err sq_consent_event(conn *c, const char *phone, const char *old_state, const char *new_state,
                        const char *source, const char *message_id, const char *detail, int64_t at,
                        sg_error *e);
sg_err sq_emit_consent(sg_store *s, conn *c, const char *event, const char *phone,
                       const char *source, const char *message_id, int64_t at, sg_error *e);
sg_err sq_optout_add_on(sg_store *s, conn *c, const sg_optout *o, bool *changed, sg_error *e);
/* Opt a number back in inside the current transaction (sqlite_optouts.c). */
sg_err sq_optout_remove_on(sg_store *s, conn *c, const char *phone, const char *source,
                           const char *message_id, bool *changed, sg_error *e);
/* Which events have subscribers, a bit per event (sqlite_webhooks.c; writer thread). */
unsigned sq_webhook_mask(sg_store *s, conn *c);
unsigned sq_event_bit(const char *event);
/* Outbound message id was accepted by its provider: its contact's last activity
 * (sqlite_dispatch.c). */
sg_err sq_activity_on_send(conn *c, const char *id, sg_error *e);
/* Whether status counts as accepted by the provider (sq_activity_on_send). */
bool sq_provider_accepted(sg_status status);
/* Apply the status reports kept for message id (provider id sid) that came before
 * its outcome, then forget them (sqlite_callbacks.c). */
sg_err sq_early_reports_apply(sg_store *s, conn *c, const char *id, const char *sid, sg_error *e);

/* ---- audiences (sqlite_audience.c) --------------------------------------------- */

/* Bind ?i = mobile (0/1) of an E.164 phone. */
void sq_bind_phone_facts(sqlite3_stmt *st, int i, const char *phone);
sg_err sq_contact_memberships_delete(conn *c, const char *contact_id, sg_error *e);
/* Compute mobile and region for contacts stored before migration 4. */
sg_err sq_contacts_backfill(conn *c, sg_error *e);
/* The contact whose phone is phone did something (replied, clicked) at `at`. */
sg_err sq_contact_activity(conn *c, const char *phone, const char *contact_id, int64_t at,
                           sg_error *e);
sg_err sq_link_insert(conn *c, const sg_link *l, const sg_message *m, sg_error *e);

/* Parameters of a query built at run time (segment filters). */
#define SQ_PARAMS_MAX 512
#define SQ_PATH_MAX   80
typedef enum sq_param_kind { SQ_PARAM_TEXT, SQ_PARAM_REAL, SQ_PARAM_INT } sq_param_kind;
typedef struct sq_param {
    sq_param_kind kind;
    const char *text; /* borrowed: from the filter tree or paths[] */
    double real;
    int64_t integer;
} sq_param;
typedef struct sq_params {
    sq_param v[SQ_PARAMS_MAX];
    size_t n;
    char paths[SQ_PARAMS_MAX][SQ_PATH_MAX];
    size_t n_paths;
} sq_params;

struct sg_seg_node;
/* "FROM ..." text (without the word FROM) selecting the audience's contacts as c:
 * a group's members or a segment's matches at time now. The parameters reference
 * *tree (free it with sg_segment_free after the query). */
sg_err sq_audience_sql(conn *c, const char *kind, const char *id, int64_t now, sg_buf *from,
                       sq_params *p, struct sg_seg_node **tree, sg_error *e);
void sq_params_bind(sqlite3_stmt *st, const sq_params *p);
/* Prepare a statement built around sq_audience_sql's text. A statement SQLite
 * refuses to compile (SQLITE_ERROR: "parser stack overflow", "Expression tree is
 * too large") is the filter's fault and will never compile: SG_ERR_INVALID with
 * field "filter", so that callers stop retrying; other failures as sq_db_error. */
sg_err sq_audience_prepare(conn *c, const char *sql, sqlite3_stmt **st, sg_error *e,
                           const char *what);

#endif
