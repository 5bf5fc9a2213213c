/* Journeys (/v1/journeys, `smsgate journey`): a journey's document checked into
 * an sg_journey_row, its JSON, its state moves and its counts, shared by the
 * API and the CLI so both refuse and answer alike. */
#ifndef SG_API_JOURNEYS_H
#define SG_API_JOURNEYS_H

#include "store/store.h"

#include <jansson.h>

/* The journey as the API shows it: its document with id, state, version and
 * times (a new reference). */
json_t *sg_journey_json(const sg_journey_row *j);

/* Check doc (core/journey.h) into row's name, trigger and definition (JSON text,
 * malloc'd: free with sg_journey_row_free). SG_ERR_INVALID with e naming the
 * field and *code the problem code ("unknown_field" for a member a journey does
 * not have, else "invalid_journey"); SG_ERR_NOMEM. */
sg_err sg_journey_check(json_t *doc, sg_journey_row *row, const char **code, sg_error *e);

/* Move journey id by verb ("activate", "pause", "resume", "archive") at now;
 * SG_ERR_INVALID for another verb, SG_ERR_CONFLICT (e says the state) when the
 * journey's state does not allow it, SG_ERR_NOT_FOUND. *out as
 * sg_store_journey_transition. */
sg_err sg_journey_move(sg_store *s, const char *id, const char *verb, int64_t now,
                       sg_journey_row *out, sg_error *e);

/* The counts of journey j per step, in the order of its steps, and its exits
 * by reason: {"journey_id", "version", "steps": [...], "exits": [...]}. */
sg_err sg_journey_stats_json(sg_store *s, const sg_journey_row *j, json_t **out);

/* "enrolled", "already_enrolled", "opted_out", "not_found". */
const char *sg_enroll_result_name(sg_enroll_result r);

#endif
