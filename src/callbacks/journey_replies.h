/* Journeys on an inbound message (issue 16): step 4 of the inbound order, the
 * replies that enrolments waiting for one take (each evaluates its branches),
 * and the journeys whose keyword trigger the message matches. Prepared here,
 * applied by the store in the message's own write (sg_inbound's journey_replies
 * and enroll_journeys), so a webhook the provider retries moves nothing twice. */
#ifndef SG_CALLBACKS_JOURNEY_REPLIES_H
#define SG_CALLBACKS_JOURNEY_REPLIES_H

#include "api/app.h"
#include "store/store.h"

#define SG_JR_MAX 8 /* enrolments of one contact a reply can move, keyword triggers */

typedef struct sg_jr_plan {
    sg_journey_reply replies[SG_JR_MAX];
    size_t n_replies;
    const char *enroll[SG_JR_MAX];
    size_t n_enroll;
    /* storage the members above point into */
    sg_enrollment *waiting;
    size_t n_waiting;
    char next[SG_JR_MAX][33];
    char detail[SG_JR_MAX][80];
    char journeys[SG_JR_MAX][SG_ID_MAX];
} sg_jr_plan;

/* The replies the enrolments of m->from waiting for one take from m (a branch
 * whose glob matches the body, else any_reply); true when at least one does:
 * the message then goes to no keyword rule. A store that cannot be read counts
 * as no enrolment waiting (logged). */
bool sg_jr_plan_replies(sg_app *app, const sg_message *m, sg_jr_plan *plan);
/* Add the active journeys whose keyword trigger is the first word(s) of m's
 * body. */
void sg_jr_plan_triggers(sg_app *app, const sg_message *m, sg_jr_plan *plan);
void sg_jr_plan_free(sg_jr_plan *plan);

#endif
