/* A circuit breaker for one provider (docs/routing.md, "Circuit breakers"): a
 * pure state machine fed with the result of each send attempt and asked whether
 * the provider may be used. No clock, no lock, no I/O: the caller passes the
 * time (ms) and serialises calls (dispatch/breakers.c keeps one per provider
 * under a mutex).
 *
 *   closed    --(N consecutive failures, or failures/attempts >= rate over the
 *                window with at least min_attempts)-->            open
 *   open      --(cool-down over; the first send admitted)-->     half-open
 *   half-open --(M successes of its probes)-->                   closed
 *   half-open --(a failure of a probe)-->                        open (a new cool-down)
 *
 * While half-open at most `probes` sends are out at once. Every admission carries
 * the breaker's epoch (bumped at every transition): a result that comes back after
 * the state it was admitted in has ended (a send started while closed, answered
 * after the breaker opened) changes nothing but the totals. */
#ifndef SG_CORE_BREAKER_H
#define SG_CORE_BREAKER_H

#include <stdbool.h>
#include <stdint.h>

typedef enum sg_breaker_state {
    SG_BREAKER_CLOSED = 0,
    SG_BREAKER_OPEN,
    SG_BREAKER_HALF_OPEN,
    SG_BREAKER__STATES
} sg_breaker_state;

/* What one send attempt says about the provider. */
typedef enum sg_breaker_result {
    SG_BREAKER_SUCCESS = 0, /* the provider answered as it should (accepted, or a
                               recipient error: the number is at fault, not it) */
    SG_BREAKER_FAILURE,     /* send class provider or retry */
    SG_BREAKER_NEUTRAL,     /* says nothing (send class none) */
} sg_breaker_result;

/* Why the breaker last opened. */
typedef enum sg_breaker_reason {
    SG_BREAKER_REASON_NONE = 0,
    SG_BREAKER_REASON_CONSECUTIVE, /* N failures in a row */
    SG_BREAKER_REASON_RATE,        /* the error rate over the window */
    SG_BREAKER_REASON_PROBE,       /* a probe failed while half-open */
} sg_breaker_reason;

#define SG_BREAKER_SLOTS 10 /* the window is kept as this many equal time slots */

typedef struct sg_breaker_config {
    unsigned consecutive;  /* open after this many failures in a row; 0: never for this */
    unsigned rate_percent; /* open when failures are at least this % of the attempts in
                              the window (1-100); 0: never for this */
    unsigned min_attempts; /* ...and the window holds at least this many attempts (>= 1) */
    int64_t window_ms;     /* the rate's window (>= SG_BREAKER_SLOTS) */
    int64_t cooldown_ms;   /* open this long before a probe may go */
    unsigned probes;       /* half-open: sends out at once (>= 1) */
    unsigned successes;    /* half-open: successful probes that close it (>= 1) */
} sg_breaker_config;

/* The defaults documented in docs/routing.md. */
extern const sg_breaker_config sg_breaker_defaults;

/* Whether c is usable; false with a one-line reason in why (may be NULL). */
bool sg_breaker_config_valid(const sg_breaker_config *c, const char **why);

typedef struct sg_breaker {
    sg_breaker_state state;
    int64_t since;            /* when the state began (ms) */
    uint32_t epoch;           /* bumped at every transition; never 0 */
    unsigned consecutive;     /* failures in a row (closed) */
    unsigned probes_out;      /* half-open: admitted, not answered */
    unsigned probe_successes; /* half-open: so far */
    sg_breaker_reason reason; /* why it last opened */
    int64_t slot_start[SG_BREAKER_SLOTS];
    uint32_t slot_ok[SG_BREAKER_SLOTS], slot_fail[SG_BREAKER_SLOTS];
    uint64_t failures, successes;             /* every result counted, whatever the state */
    uint64_t transitions[SG_BREAKER__STATES]; /* entries into each state */
} sg_breaker;

/* A transition a call made, for the caller to report (from == to: none). */
typedef struct sg_breaker_change {
    sg_breaker_state from, to;
    sg_breaker_reason reason;
} sg_breaker_change;

void sg_breaker_init(sg_breaker *b, int64_t now);

/* Whether a send may go now, without changing anything: closed; open with its
 * cool-down over; half-open with fewer than c->probes out. */
bool sg_breaker_usable(const sg_breaker *b, const sg_breaker_config *c, int64_t now);

/* Admit one send at now: returns its ticket (the epoch, never 0), or 0 when the
 * send may not go (see sg_breaker_usable). Open with the cool-down over moves to
 * half-open first (reported in *ch; ch may be NULL). Half-open counts the send as
 * a probe until its result or sg_breaker_cancel. */
uint32_t sg_breaker_admit(sg_breaker *b, const sg_breaker_config *c, int64_t now,
                          sg_breaker_change *ch);

/* An admitted send did not go after all (released, expired, not built): give its
 * probe slot back. A stale ticket changes nothing. */
void sg_breaker_cancel(sg_breaker *b, uint32_t ticket);

/* The result of the send admitted with ticket. Counted in the totals always; it
 * moves the state only when ticket is the current epoch (see the header comment).
 * Reports a transition in *ch (may be NULL). */
void sg_breaker_record(sg_breaker *b, const sg_breaker_config *c, int64_t now, uint32_t ticket,
                       sg_breaker_result r, sg_breaker_change *ch);

/* When the next probe may go: since + cooldown when open, now when half-open with
 * a slot free, 0 otherwise (closed, or half-open with every slot taken). */
int64_t sg_breaker_next_probe(const sg_breaker *b, const sg_breaker_config *c, int64_t now);

/* Attempts and failures in the window ending at now. */
void sg_breaker_window(const sg_breaker *b, const sg_breaker_config *c, int64_t now,
                       uint64_t *attempts, uint64_t *failures);

/* "closed", "open", "half_open". Static strings. */
const char *sg_breaker_state_name(sg_breaker_state s);
const char *sg_breaker_reason_name(sg_breaker_reason r); /* "", "consecutive", "rate", "probe" */

#endif
