#include "callbacks/journey_replies.h"
#include "core/journey.h"
#include "core/keyword_match.h"
#include "util/log.h"

#include <jansson.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The definition of en's version, parsed into d; false when it cannot be. */
static bool def_of(sg_app *app, const sg_enrollment *en, sg_journey_def *d)
{
    char *text = NULL;
    if (sg_store_journey_version(app->store, en->journey_id, en->version, &text) != SG_OK)
        return false;
    json_t *doc = json_loads(text, 0, NULL);
    free(text);
    sg_err err = sg_journey_def_parse(doc, d, NULL);
    json_decref(doc);
    return err == SG_OK;
}

/* The reply of body that en takes, into the plan; false when it takes none. */
static bool take(sg_app *app, const sg_enrollment *en, const char *body, sg_jr_plan *plan)
{
    sg_journey_def d;
    if (!def_of(app, en, &d))
        return false;
    int idx = sg_journey_step_index(&d, en->step);
    int branch = -1;
    int next = idx >= 0 && d.steps[idx].type == SG_JS_WAIT_FOR_REPLY
                   ? sg_journey_reply_next(&d.steps[idx], body, strlen(body), &branch)
                   : -1;
    bool taken = next >= 0;
    if (taken) {
        size_t k = plan->n_replies++;
        snprintf(plan->next[k], sizeof plan->next[k], "%s", d.steps[next].id);
        if (branch >= 0)
            snprintf(plan->detail[k], sizeof plan->detail[k], "branch %s",
                     d.steps[idx].branches[branch].match);
        else
            snprintf(plan->detail[k], sizeof plan->detail[k], "any_reply");
        plan->replies[k] = (sg_journey_reply){.enrollment_id = en->id, .step = en->step,
                                              .visit = en->visit, .next_step = plan->next[k],
                                              .detail = plan->detail[k]};
    }
    sg_journey_def_free(&d);
    return taken;
}

bool sg_jr_plan_replies(sg_app *app, const sg_message *m, sg_jr_plan *plan)
{
    memset(plan, 0, sizeof *plan);
    if (sg_store_journey_waiting(app->store, m->from, &plan->waiting, &plan->n_waiting) !=
        SG_OK) {
        plan->waiting = NULL;
        plan->n_waiting = 0;
        return false; /* a backend without journeys, or a failed read */
    }
    const char *body = m->body ? m->body : "";
    for (size_t i = 0; i < plan->n_waiting && plan->n_replies < SG_JR_MAX; i++)
        take(app, &plan->waiting[i], body, plan);
    return plan->n_replies > 0;
}

void sg_jr_plan_triggers(sg_app *app, const sg_message *m, sg_jr_plan *plan)
{
    sg_journey_row *js = NULL;
    size_t n = 0;
    if (sg_store_journey_list(app->store, "active", &js, &n) != SG_OK)
        return;
    const char *body = m->body ? m->body : "";
    for (size_t i = 0; i < n && plan->n_enroll < SG_JR_MAX; i++) {
        if (strcmp(js[i].trigger_type, "keyword") != 0 ||
            !sg_kw_match_one(js[i].trigger_value, SG_KW_FIRST_WORD, body, strlen(body), NULL,
                             NULL))
            continue;
        size_t k = plan->n_enroll++;
        snprintf(plan->journeys[k], sizeof plan->journeys[k], "%s", js[i].id);
        plan->enroll[k] = plan->journeys[k];
    }
    sg_journey_rows_free(js, n);
}

void sg_jr_plan_free(sg_jr_plan *plan)
{
    free(plan->waiting);
    memset(plan, 0, sizeof *plan);
}
