/* Sessions of the Clickatell-compatible legacy API (docs/compat.md): /http/auth
 * trades an app's api_id, user and password for a session_id (32 hex digits)
 * that /http/sendmsg, /http/querymsg and /http/ping take in their place, as
 * Clickatell's did; a session ends after 15 minutes without use, when its app's
 * token is rotated, or when the table is full and it is the least recently used.
 * The table lives in the process (a restart, or another node, does not know a
 * session: the client sees "ERR: 003, Session ID expired" and authenticates
 * again, as it had to at Clickatell). Only a SHA-256 of each id is kept; ids are
 * compared in constant time. Thread-safe. */
#ifndef SG_COMPAT_CLICKATELL_SESSIONS_H
#define SG_COMPAT_CLICKATELL_SESSIONS_H

#include "util/id.h"

#include <stdbool.h>
#include <stdint.h>

#define SG_CKC_SESSION_ID_LEN 32
#define SG_CKC_SESSION_IDLE_MS (15 * 60 * 1000LL)
#define SG_CKC_SESSIONS_MAX    1024

typedef struct sg_ckc_sessions sg_ckc_sessions;

/* A table of at most max sessions (0: SG_CKC_SESSIONS_MAX); NULL out of memory. */
sg_ckc_sessions *sg_ckc_sessions_new(unsigned max);
void sg_ckc_sessions_destroy(sg_ckc_sessions *t);

/* A new session of app app_id, whose token was last rotated at rotated_at, at
 * monotonic time now: its id (shown once) into id. */
void sg_ckc_session_new(sg_ckc_sessions *t, const char *app_id, int64_t rotated_at, int64_t now,
                        char id[SG_CKC_SESSION_ID_LEN + 1]);

/* The app of session id at now into app_id and its token's rotated_at (the
 * caller compares it with the app's: a rotation ends the session), and the
 * session's use recorded (its 15 minutes start again). False when id is no
 * session (unknown, malformed, or idle for 15 minutes). */
bool sg_ckc_session_use(sg_ckc_sessions *t, const char *id, int64_t now, char app_id[SG_ID_MAX],
                        int64_t *rotated_at);

/* End session id (after its app turned out to be rotated or removed). */
void sg_ckc_session_end(sg_ckc_sessions *t, const char *id);

#endif
