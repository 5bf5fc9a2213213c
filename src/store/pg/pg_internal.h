/* The PostgreSQL backend's shared internals (libpq). Files: pg_conn.c (what a
 * database URL names, connecting with retries, reconnecting, running
 * statements, SQLSTATE to sg_err), pg_migrations.c (the schema), pg_migrate.c
 * (applying it). docs/postgresql.md is the user's side; docs/internals/store.md
 * the map.
 *
 * Statements are sent with PQexecParams (the unnamed statement: parse, bind and
 * execute in one round trip, inside whatever transaction is open), never as
 * named prepared statements and never with session state (SET, session
 * advisory locks, temporary tables): a PgBouncer in transaction mode may hand
 * each transaction to another server connection, and named statements only
 * survive that from PgBouncer 1.21 with max_prepared_statements set. */
#ifndef SG_STORE_PG_INTERNAL_H
#define SG_STORE_PG_INTERNAL_H

#include "store/store.h"
#include "util/err.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One connection and what it takes to open it again. */
typedef struct pg_conn {
    PGconn *pg;      /* NULL or connected; CONNECTION_BAD after a lost server */
    char *conninfo;  /* owned: the URL or keyword string as given */
    int64_t wait_ms; /* how long pg_connect keeps trying a server that is down */
    /* On the writer: the node and start its claims record (pg_nodes.c; empty
     * until sg_store_node_register). */
    char node_id[SG_NODE_ID_MAX], node_start[SG_NODE_START_MAX];
} pg_conn;

/* Connect c (conninfo set by the caller, pg NULL) to the server, trying again
 * with back-off (250 ms doubling to 2 s) while the server does not answer or
 * refuses connections because it is starting or shutting down, for at most
 * c->wait_ms (then SG_ERR_UNAVAILABLE). Any other failure (authentication, no
 * such database, a bad URL) fails at once (SG_ERR_DB). The error names the server (host and port, never the
 * password) and libpq's reason on one line. */
sg_err pg_connect(pg_conn *c, sg_error *e);
/* Close c's connection and free its conninfo. */
void pg_conn_free(pg_conn *c);
/* Before a transaction: when the server was lost (restart, network), connect
 * again once, without waiting (a statement must answer promptly: the caller
 * answers 503 and the next call tries again). SG_ERR_UNAVAILABLE with the
 * reason when the server still does not answer. */
sg_err pg_conn_ready(pg_conn *c, sg_error *e);

/* Run sql (one or more statements, no parameters) with the simple protocol. */
sg_err pg_exec(pg_conn *c, const char *sql, sg_error *e);
/* Run one statement with n text parameters (NULL = SQL NULL). On success *res
 * (when res is not NULL) is the result, owned by the caller (PQclear); on
 * failure nothing is returned and e says why. */
sg_err pg_query(pg_conn *c, const char *sql, int n, const char *const *params, PGresult **res,
                sg_error *e);
/* The sg_err for a failed result (by SQLSTATE class: unique violation is
 * SG_ERR_CONFLICT, disk full SG_ERR_FULL, serialization failure and deadlock
 * SG_ERR_BUSY, a connection exception or a server shutting down
 * SG_ERR_UNAVAILABLE, the rest SG_ERR_DB), with libpq's message in e. A lost
 * connection is SG_ERR_UNAVAILABLE "lost the connection to PostgreSQL"; a NULL
 * result SG_ERR_NOMEM. */
sg_err pg_result_error(pg_conn *c, const PGresult *r, const char *doing, sg_error *e);

/* "database NAME on HOST:PORT as USER" for messages (never the password). */
void pg_describe(PGconn *pg, char *out, size_t cap);

/* Apply every pending migration on c in one transaction (pg_migrate.c). */
sg_err pg_migrate_on(pg_conn *c, int *applied, int *current, sg_error *e);

#endif
