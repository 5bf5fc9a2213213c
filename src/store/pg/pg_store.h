/* The PostgreSQL backend's handle (backend.h): a pool of connections for reads
 * and synchronous writes, and one writer thread that commits queued writes in
 * groups (one transaction, one WAL flush, for everything queued meanwhile).
 * pg_store.c has the lifecycle, the pool, transactions and the writer; the
 * subjects live in pg_SUBJECT.c, each with its ops table at the end. */
#ifndef SG_STORE_PG_STORE_H
#define SG_STORE_PG_STORE_H

#include "store/backend.h"
#include "store/pg/pg_internal.h"
#include "util/buf.h"

#include <jansson.h>
#include <pthread.h>

#define PG_POOL 8
/* How long opening the store waits for a server that does not answer, unless
 * SMSGATE_DB_WAIT (seconds) says otherwise. */
#define PG_OPEN_WAIT_MS 10000

/* A queued write: run() inside the writer's transaction (in its own
 * SAVEPOINT: a failing job is rolled back alone), complete() after COMMIT (or
 * its failure: err says which) on the writer thread; complete owns the job. */
typedef struct pg_job {
    sg_err (*run)(pg_conn *c, struct pg_job *j);
    void (*complete)(struct pg_job *j);
    sg_err err;
    sg_error error;
    struct pg_job *next;
} pg_job;

/* The LISTEN thread and its connection (pg_listen.c). */
typedef struct pg_listener pg_listener;
/* The channel a committed insert of messages waiting for a claim notifies. */
#define PG_DUE_CHANNEL "smsgate_due"
/* Start a thread that LISTENs on PG_DUE_CHANNEL on its own connection to
 * conninfo and calls wake(arg) at each notification; while it cannot (no
 * server, a lost connection) it calls wake every second instead and tries
 * again. Returns at once (the first connection is made by the thread). */
sg_err pg_listen_start(const char *conninfo, void (*wake)(void *arg), void *arg,
                       pg_listener **out, sg_error *e);
/* Stop the thread, close its connection, free l (NULL is ignored). */
void pg_listen_stop(pg_listener *l);

typedef struct pg_store {
    sg_store base;        /* first: the sg_store * callers hold */
    pthread_mutex_t lock; /* the pool */
    pthread_cond_t pool_cv;
    pg_conn pool[PG_POOL];
    bool in_use[PG_POOL];

    pg_conn writer;
    pthread_t writer_thread;
    bool writer_started;
    pthread_mutex_t qlock; /* the queue and stopping */
    pthread_cond_t qcond;
    pg_job *head, *tail;
    bool stopping;

    pthread_mutex_t hlock; /* health: the writer's last group */
    bool failing;          /* its BEGIN or COMMIT failed, none committed since */
    char failure[256];
    int64_t last_commit_ms;   /* monotonic */
    int64_t group_started_ms; /* monotonic; 0 when no group is running */
    bool probe_queued;

    pg_listener *listener; /* sg_store_due_listen's, or NULL */
} pg_store;

#define pg_of(s) ((pg_store *)(s))

/* A connected connection of the pool (connecting it again first if the server
 * was lost), or NULL with e set (SG_ERR_DB: the server does not answer). Waits
 * while every connection is in use. */
pg_conn *pg_acquire(pg_store *s, sg_error *e);
void pg_release(pg_store *s, pg_conn *c);

/* A synchronous write: fn(c, arg, e) runs as a job of the writer's next group
 * (in its savepoint: an error undoes fn's statements alone), and pg_write
 * returns once that group committed (or failed: every job of it gets the
 * error). Writes of one process are thus applied in the order they were made,
 * queued or not, as on SQLite. */
sg_err pg_write(pg_store *s, sg_err (*fn)(pg_conn *c, void *arg, sg_error *e), void *arg,
                sg_error *e);
/* Reads that need one snapshot: fn inside BEGIN ... COMMIT on a pooled
 * connection (fn may start with SET TRANSACTION). */
sg_err pg_read_tx(pg_store *s, sg_err (*fn)(pg_conn *c, void *arg, sg_error *e), void *arg,
                  sg_error *e);
/* One read-only statement on a pooled connection; *res owned by the caller. */
sg_err pg_read(pg_store *s, const char *sql, int n, const char *const *params, PGresult **res,
               sg_error *e);
/* One read-only statement whose rows row() copies into a calloc'd array of
 * elem-byte items: *out (NULL when there are none; the caller frees it and
 * what row() allocated), *count rows. */
sg_err pg_read_rows(pg_store *s, const char *sql, int n, const char *const *params, size_t elem,
                    void (*row)(const PGresult *r, int i, void *out), void **out, size_t *count);
/* Queue j for the writer (returns at once). SG_ERR_SHUTDOWN when closing:
 * then complete() is not called and the caller still owns j. */
sg_err pg_submit(pg_store *s, pg_job *j);

/* ---- columns and parameters ----------------------------------------------------- */

/* Text of column col of row into out (cap bytes, cut to fit, "" for NULL). */
void pg_col_copy(const PGresult *r, int row, int col, char *out, size_t cap);
/* malloc'd copy of the column, NULL for SQL NULL (or no memory). */
char *pg_col_dup(const PGresult *r, int row, int col);
int64_t pg_col_i64(const PGresult *r, int row, int col);
bool pg_col_bool(const PGresult *r, int row, int col);
/* v as decimal text in buf (24 bytes); returns buf. */
const char *pg_i64(char buf[24], int64_t v);

/* The subjects' tables: pg_store.c, pg_keys.c (keys and limits),
 * pg_providers.c, pg_messages.c, pg_webhooks.c, pg_dispatch.c, pg_optouts.c, pg_contacts.c,
 * pg_audience.c, pg_search.c, pg_imports.c, pg_keywords.c, pg_broadcasts.c, pg_routes.c,
 * pg_prices.c, pg_apps.c, pg_app_ck.c, pg_journeys.c. */
extern const sg_store_core_ops pg_core_ops;
extern const sg_store_keys_ops pg_keys_ops;
extern const sg_store_limits_ops pg_limits_ops;
extern const sg_store_providers_ops pg_providers_ops;
extern const sg_store_messages_ops pg_messages_ops;
extern const sg_store_dispatch_ops pg_dispatch_ops;
extern const sg_store_callbacks_ops pg_callbacks_ops;
extern const sg_store_inbound_ops pg_inbound_ops;
extern const sg_store_contacts_ops pg_contacts_ops;
extern const sg_store_timeline_ops pg_timeline_ops;
extern const sg_store_optouts_ops pg_optouts_ops;
extern const sg_store_audience_ops pg_audience_ops;
extern const sg_store_broadcasts_ops pg_broadcasts_ops;
extern const sg_store_stats_ops pg_stats_ops;
extern const sg_store_webhooks_ops pg_webhooks_ops;
extern const sg_store_retention_ops pg_retention_ops;
extern const sg_store_users_ops pg_users_ops;
extern const sg_store_apps_ops pg_apps_ops;
extern const sg_store_search_ops pg_search_ops;
extern const sg_store_imports_ops pg_imports_ops;
extern const sg_store_routes_ops pg_routes_ops;
extern const sg_store_app_ck_ops pg_app_ck_ops;
extern const sg_store_prices_ops pg_prices_ops;
extern const sg_store_keywords_ops pg_keywords_ops;
extern const sg_store_journeys_ops pg_journeys_ops;
/* A contact's columns, read from contacts c (pg_contacts.c), and row i of a
 * SELECT of them into *c. */
#define PG_CONTACT_COLS                                                                            \
    "c.id, c.phone, c.first_name, c.last_name, c.attributes, c.created_at, c.updated_at, "         \
    "EXISTS (SELECT 1 FROM optouts o WHERE o.phone = c.phone), coalesce(c.mobile, true), "         \
    "c.last_activity_at"
void pg_contact_row(const PGresult *r, int i, sg_contact *c);

/* ---- apps inside other subjects' writes (pg_apps.c) ------------------------------ */

/* Record that m->app_id sent m (m->app_id set), in c's transaction. */
sg_err pg_app_message_tag(pg_conn *c, const sg_message *m, sg_error *e);
/* Queue the Twilio-format status callback owed for message id's status as it
 * is now in c's transaction, when an app sent it and a callback URL is set. */
sg_err pg_app_status_callback(pg_conn *c, const char *id, int64_t at, sg_error *e);
/* Queue inbound message m for the app that sent the last outbound message to
 * its sender, when that app has an inbound URL (for the inbound subject). */
sg_err pg_app_inbound(pg_conn *c, const sg_message *m, sg_error *e);

/* Row i of a SELECT of the messages columns (pg_messages.c's MSG_COLS order). */
void pg_message_row(const PGresult *r, int i, sg_message *m);
/* Inside c's transaction (pg_messages.c): message m's row (stored claimed when
 * m->lease_until > 0), its tracked links and first events; message id into out
 * (SG_ERR_NOT_FOUND when none); one event of message id. */
sg_err pg_message_insert_on(pg_conn *c, const sg_message *m, sg_error *e);
sg_err pg_message_get_on(pg_conn *c, const char *id, sg_message *out, sg_error *e);
sg_err pg_event_insert(pg_conn *c, const char *id, sg_status status, int64_t at, const char *detail,
                       sg_error *e);
/* Inside c's transaction (pg_dispatch.c): message.status for message id as it
 * is now; the contact of an outbound message accepted by its provider had
 * activity at the message's creation. */
sg_err pg_emit_status_of(pg_conn *c, const char *id, int64_t at, sg_error *e);
sg_err pg_activity_on_send(pg_conn *c, const char *id, sg_error *e);
/* Inside c's transaction (pg_callbacks.c): the status reports that came before
 * message id's outcome (provider id sid), applied in arrival order, then
 * forgotten. */
sg_err pg_early_reports_apply(pg_conn *c, const char *id, const char *sid, sg_error *e);
/* Inside c's transaction: apply the early reports whose message holds their
 * provider id by now (kept by one node while another committed the outcome;
 * pg_callbacks.c), at most 16 messages' worth. */
sg_err pg_early_reports_sweep(pg_conn *c, sg_error *e);
/* Nodes (pg_nodes.c), rows of pg_dispatch_ops. */
sg_err pg_node_register(sg_store *s, const char *id, const char *start_id, const char *listen,
                        int64_t now, sg_error *e);
sg_err pg_node_beat(sg_store *s, int64_t now, int64_t sent, int64_t timeout_ms,
                    void (*done)(void *arg, const sg_node_beat_result *r, sg_err err), void *arg);
sg_err pg_node_stop(sg_store *s, int64_t now, sg_error *e);
sg_err pg_nodes_list(sg_store *s, sg_node **out, size_t *n, sg_error *e);
/* Opt o->phone out inside c's transaction: its consent event and opted_out
 * event with it; *changed false when it already was (pg_optouts.c). */
sg_err pg_optout_add_on(pg_conn *c, const sg_optout *o, bool *changed, sg_error *e);
/* "t" when phone can receive SMS as far as its number type tells (a number
 * libphonenumber cannot place counts as able), else "f" (pg_contacts.c). */
const char *pg_mobile_of(const char *phone);
/* Opt phone back in inside c's transaction, with its consent and opted_in
 * events; *changed false when it was not opted out (pg_optouts.c). */
sg_err pg_optout_remove_on(pg_conn *c, const char *phone, const char *source,
                           const char *message_id, bool *changed, sg_error *e);

/* Record a matched keyword rule (in->rule_id; nothing when NULL) and run its
 * actions in order inside the inbound message's transaction on c;
 * in->contact_id and in->msg are set (pg_keywords.c). */
sg_err pg_keyword_actions_run(pg_conn *c, sg_inbound *in, sg_error *e);
/* Journeys inside the inbound message's write on c (pg_journeys.c): the
 * replies in->journey_replies move their enrolments on (those still waiting
 * at the step read), in->enroll_journeys enrol the contact, an opt-out ends
 * every journey of the contact (as sq_journey_inbound). */
sg_err pg_journey_inbound(pg_conn *c, sg_inbound *in, sg_error *e);
/* Enrol contact_id in journey id at its current version inside c's
 * transaction: SG_ERR_CONFLICT when the journey is not active,
 * SG_ERR_NOT_FOUND when there is none; *result says what became of it. */
sg_err pg_journey_enroll_on(pg_conn *c, const char *id, const char *contact_id, int64_t now,
                            sg_enroll_result *result, char enrollment_id[SG_ID_MAX], sg_error *e);

/* ---- audiences (pg_segment_sql.c) ---------------------------------------------------- */

#define PG_PARAMS_MAX 512

/* The parameters of a statement built around pg_audience_sql's text: v[i] is
 * $(i+1), borrowed from the tree or kept in own. Large: allocate it. */
typedef struct pg_params {
    const char *v[PG_PARAMS_MAX];
    char own[PG_PARAMS_MAX][32];
    int n;
} pg_params;

struct sg_seg_node;
/* The FROM ... WHERE text of an audience (kind "group", "segment" or
 * "filter", as sg_store_audience_count) over "contacts c", appended to from
 * with its parameters in p (p->n first). A segment's filter is read on c.
 * *tree (free with sg_segment_free after the statement ran) owns the text p
 * borrows. SG_ERR_NOT_FOUND for no such segment, SG_ERR_INVALID (field
 * "filter") for a filter that does not parse or is too large. */
sg_err pg_audience_sql(pg_conn *c, const char *kind, const char *id, int64_t now, sg_buf *from,
                       pg_params *p, struct sg_seg_node **tree, sg_error *e);
sg_err pg_audience_count(sg_store *s, const char *kind, const char *id, int64_t now,
                         sg_audience_count *out, sg_error *e);

/* ---- events for app webhooks (pg_webhooks.c) ------------------------------------ */

/* Queue one delivery of event (with data, stolen) per active webhook
 * subscribed to it, in c's transaction. */
sg_err pg_emit(pg_conn *c, const char *event, json_t *data, int64_t at, sg_error *e);
/* message.status for m as it is now (read back in the same transaction). */
sg_err pg_emit_message_status(pg_conn *c, const sg_message *m, int64_t at, sg_error *e);

#endif
