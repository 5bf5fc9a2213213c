/* Dispatchers woken by LISTEN/NOTIFY (sg_store_due_listen on PostgreSQL).
 *
 * A committed insert of messages that wait for a claim NOTIFYs PG_DUE_CHANNEL
 * (pg_messages.c). Each node LISTENs on a connection of its own, direct to
 * the server: not the writer's, not the pool's, and not through a PgBouncer in
 * transaction mode (a LISTEN there is lost when the server connection goes back
 * to the pool). One thread waits on that connection's socket and calls wake()
 * for each notification. While the connection is down (no server, a restart, a
 * URL that cannot LISTEN) it calls wake() every PG_LISTEN_FALLBACK_MS instead,
 * and tries to connect again as often: the ≈1 s fallback poll. */
#include "store/pg/pg_store.h"
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PG_LISTEN_FALLBACK_MS 1000

struct pg_listener {
    pg_conn conn;
    void (*wake)(void *arg);
    void *arg;
    pthread_t thread;
    int stop_pipe[2]; /* written once by pg_listen_stop */
    bool listening;   /* LISTEN is in effect on conn */
    bool said_down;   /* the outage was logged */
};

/* Connect (once, no waiting) and LISTEN; false when either fails. */
static bool listen_up(pg_listener *l)
{
    sg_error e = {0};
    if (pg_conn_ready(&l->conn, &e) == SG_OK &&
        pg_exec(&l->conn, "LISTEN " PG_DUE_CHANNEL, &e) == SG_OK) {
        char where[256];
        pg_describe(l->conn.pg, where, sizeof where);
        sg_log(SG_LOG_INFO, "pg_listen", "channel=" PG_DUE_CHANNEL " db=\"%s\"", where);
        l->listening = true;
        l->said_down = false;
        return true;
    }
    if (!l->said_down)
        sg_log(SG_LOG_WARN, "pg_listen_unavailable",
               "fallback_poll_ms=%d error=\"%s\"", PG_LISTEN_FALLBACK_MS,
               e.message[0] ? e.message : "cannot LISTEN");
    l->said_down = true;
    return false;
}

/* Read what arrived; wake once if any notification came. false when the
 * connection is lost. */
static bool drain(pg_listener *l)
{
    if (!PQconsumeInput(l->conn.pg))
        return false;
    bool any = false;
    PGnotify *n;
    while ((n = PQnotifies(l->conn.pg))) {
        any = true;
        PQfreemem(n);
    }
    if (any)
        l->wake(l->arg);
    return PQstatus(l->conn.pg) == CONNECTION_OK;
}

static void *listen_main(void *arg)
{
    pg_listener *l = arg;
    for (;;) {
        if (!l->listening && listen_up(l))
            l->wake(l->arg); /* what was inserted while nobody listened */
        struct pollfd fds[2] = {{.fd = l->stop_pipe[0], .events = POLLIN},
                                {.fd = l->listening ? PQsocket(l->conn.pg) : -1,
                                 .events = POLLIN}};
        int rc = poll(fds, 2, PG_LISTEN_FALLBACK_MS);
        if (fds[0].revents)
            break;
        if (rc < 0 && errno != EINTR)
            break;
        if (!l->listening) {
            l->wake(l->arg); /* the fallback poll */
            continue;
        }
        if (rc > 0 && fds[1].revents && !drain(l)) {
            sg_log(SG_LOG_WARN, "pg_listen_lost", "fallback_poll_ms=%d",
                   PG_LISTEN_FALLBACK_MS);
            l->listening = false;
            l->said_down = true;
            l->wake(l->arg);
        }
    }
    return NULL;
}

sg_err pg_listen_start(const char *conninfo, void (*wake)(void *arg), void *arg,
                       pg_listener **out, sg_error *e)
{
    pg_listener *l = calloc(1, sizeof *l);
    if (!l || !(l->conn.conninfo = strdup(conninfo))) {
        free(l);
        return sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory");
    }
    l->wake = wake;
    l->arg = arg;
    if (pipe2(l->stop_pipe, O_CLOEXEC) != 0) {
        pg_conn_free(&l->conn);
        free(l);
        return sg_error_set(e, SG_ERR_IO, NULL, "cannot create a pipe: %s", strerror(errno));
    }
    if (pthread_create(&l->thread, NULL, listen_main, l) != 0) {
        close(l->stop_pipe[0]);
        close(l->stop_pipe[1]);
        pg_conn_free(&l->conn);
        free(l);
        return sg_error_set(e, SG_ERR_INTERNAL, NULL, "cannot start the LISTEN thread");
    }
    *out = l;
    return SG_OK;
}

void pg_listen_stop(pg_listener *l)
{
    if (!l)
        return;
    ssize_t w = write(l->stop_pipe[1], "x", 1);
    (void)w;
    pthread_join(l->thread, NULL);
    close(l->stop_pipe[0]);
    close(l->stop_pipe[1]);
    pg_conn_free(&l->conn);
    free(l);
}
