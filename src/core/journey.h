/* Journeys (issue 16, docs/journeys.md): the journey document parsed and
 * validated, the arithmetic of when a step is due, and which branch a reply
 * takes. Pure: no store, no clock (the caller passes now and the contact's UTC
 * offset as a callback), no I/O.
 *
 * A document is {"name", "trigger": {...}, "steps": [...], "reentry"?,
 * "quiet_hours"?, "provider"?}. The first step is where an enrolment starts. A
 * step names its successor in "next"; without one it goes on to the step after
 * it in the array, and the last step ends the journey. */
#ifndef SG_CORE_JOURNEY_H
#define SG_CORE_JOURNEY_H

#include "core/quiet_hours.h"
#include "util/err.h"

#include <jansson.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SG_JOURNEY_NAME_MAX     128  /* bytes of a name */
#define SG_JOURNEY_STEPS_MAX    64   /* steps in one journey */
#define SG_JOURNEY_STEP_ID_MAX  33   /* a step id: 1..32 of [A-Za-z0-9_-], NUL */
#define SG_JOURNEY_BRANCHES_MAX 8    /* reply branches of one wait_for_reply */
#define SG_JOURNEY_BODY_MAX     1600 /* bytes of a send step's body */
#define SG_JOURNEY_VALUE_MAX    512  /* bytes of a group name, attribute value, keyword */
#define SG_JOURNEY_WAIT_MAX     ((int64_t)366 * 86400) /* seconds of one wait or timeout */
#define SG_JOURNEY_MAX_STEPS_DEFAULT 100              /* steps one enrolment may take */
#define SG_JOURNEY_MAX_AGE_DEFAULT   ((int64_t)30 * 86400) /* seconds an enrolment may live */

typedef enum sg_journey_step_type {
    SG_JS_SEND = 0,
    SG_JS_WAIT,
    SG_JS_WAIT_FOR_REPLY,
    SG_JS_BRANCH,
    SG_JS_ADD_TO_GROUP,
    SG_JS_REMOVE_FROM_GROUP,
    SG_JS_SET_ATTRIBUTE,
    SG_JS_WEBHOOK,
    SG_JS_END,
} sg_journey_step_type;

typedef enum sg_journey_trigger_type {
    SG_JT_API = 0, /* POST /v1/journeys/{id}/enroll only */
    SG_JT_GROUP,   /* a contact added to trigger.group */
    SG_JT_KEYWORD, /* an inbound message matching trigger.keyword (folded, exact) */
} sg_journey_trigger_type;

typedef struct sg_journey_branch {
    char match[65]; /* a folded glob (core/keyword_match.h) */
    int next;       /* step index */
} sg_journey_branch;

/* One step. Strings are borrowed from the document (sg_journey.doc); indexes are
 * step indexes, -1 meaning "the journey ends". Only the members of its type are
 * set. */
typedef struct sg_journey_step {
    char id[SG_JOURNEY_STEP_ID_MAX];
    sg_journey_step_type type;
    int next;
    /* send */
    const char *body, *template_name, *provider;
    /* wait: seconds (0 for none) and then, if until_min >= 0, the next time of
     * day until_min (minutes after local midnight) in the contact's zone */
    int64_t seconds;
    int until_min;
    /* wait_for_reply */
    int64_t timeout;
    sg_journey_branch branches[SG_JOURNEY_BRANCHES_MAX];
    size_t n_branches;
    int any_reply; /* -1: a reply matching no branch is left alone */
    int no_reply;  /* where the timeout goes (defaults to next) */
    /* branch: a segment filter, canonical; then and else */
    const char *condition;
    int then_step, else_step;
    /* add_to_group, remove_from_group: group; set_attribute: name, value;
     * webhook: event (an app-webhook event's name suffix, default "step") */
    const char *group, *name, *value, *event;
} sg_journey_step;

typedef struct sg_journey_def {
    json_t *doc; /* owned: the document the strings point into */
    const char *name;
    sg_journey_trigger_type trigger;
    const char *trigger_value; /* the group or the folded keyword; NULL for api */
    char trigger_keyword[65];
    bool reentry_after_exit; /* "after_exit"; false: "never" */
    bool has_quiet;
    sg_quiet quiet;
    const char *provider; /* NULL: the default route */
    sg_journey_step steps[SG_JOURNEY_STEPS_MAX];
    size_t n_steps;
} sg_journey_def;

/* Parse and validate doc (a JSON object; a new reference is taken, the caller
 * keeps its own) into *out, which the caller frees with sg_journey_def_free.
 * SG_ERR_INVALID with e naming what is wrong: e->field is the JSON path
 * ("steps[2].next", "trigger.group", "name") and the message names the step by
 * its id where one is at fault: an unknown step type, a duplicate or malformed
 * id, a target that is no step, a step no path from the first reaches, a loop
 * that passes no wait or wait_for_reply, a branch condition that is no segment
 * filter, and every bound (counts, lengths, wait seconds 1..SG_JOURNEY_WAIT_MAX).
 * On error *out is zeroed and owns nothing. */
sg_err sg_journey_def_parse(json_t *doc, sg_journey_def *out, sg_error *e);
void sg_journey_def_free(sg_journey_def *d);

/* The index of the step with id, -1 when there is none. */
int sg_journey_step_index(const sg_journey_def *d, const char *id);

const char *sg_journey_step_type_name(sg_journey_step_type t);

/* "HH:MM" (hours 0..23, two-digit minutes) -> minutes after midnight; -1 otherwise. */
int sg_journey_parse_time_of_day(const char *s);

/* The first instant >= t at which the local time (t + off(user, t)) is minute
 * (0..1439) of the day. When that local time falls in a spring-forward gap the
 * answer is the first instant after the gap; when it occurs twice (fall back),
 * the first. */
int64_t sg_journey_next_time_of_day(int minute, int64_t t, sg_utc_offset_fn off, void *user);

/* When a wait step entered at t (unix seconds) is over: t + seconds, then the
 * next until_min in the contact's zone when set. Saturates at INT64_MAX. */
int64_t sg_journey_wait_due(const sg_journey_step *s, int64_t t, sg_utc_offset_fn off,
                            void *user);

/* The step a reply of body (len bytes) leads a wait_for_reply step to: the
 * first branch whose glob matches the folded body, else any_reply. -1 when the
 * reply matches nothing and there is no any_reply (the enrolment keeps waiting
 * and the message goes on to the keyword rules). *branch (if not NULL) gets the
 * matched branch's index or -1. */
int sg_journey_reply_next(const sg_journey_step *s, const char *body, size_t len, int *branch);

#endif
