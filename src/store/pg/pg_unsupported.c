/* The PostgreSQL backend, the subjects not built yet (issue 14 is landing them
 * one by one): every store function of these tables answers
 * SG_ERR_UNSUPPORTED, naming itself, so that nothing misbehaves quietly. The
 * list of what works is in docs/postgresql.md; the conformance suite skips
 * these subjects on PostgreSQL by name (tests/unit/test_store_conformance.c).
 * When a subject is implemented, its table moves to its own pg_SUBJECT.c. */
#include "store/pg/pg_store.h"

static sg_err unsupported(sg_error *e, const char *fn)
{
    return sg_error_set(e, SG_ERR_UNSUPPORTED, NULL,
                        "PostgreSQL: %s is not implemented yet (docs/postgresql.md)", fn);
}

/* ---- journeys (issue 16) ---- */

static sg_err pg_journey_create(sg_store *s, const sg_journey_row *j, sg_error *e)
{
    return unsupported(e, "sg_store_journey_create");
}

static sg_err pg_journey_update(sg_store *s, const sg_journey_row *j, sg_journey_row *out, sg_error *e)
{
    return unsupported(e, "sg_store_journey_update");
}

static sg_err pg_journey_get(sg_store *s, const char *id, sg_journey_row *out)
{
    return unsupported(NULL, "sg_store_journey_get");
}

static sg_err pg_journey_version(sg_store *s, const char *id, int64_t version, char **definition)
{
    return unsupported(NULL, "sg_store_journey_version");
}

static sg_err pg_journey_list(sg_store *s, const char *state, sg_journey_row **out, size_t *n)
{
    return unsupported(NULL, "sg_store_journey_list");
}

static sg_err pg_journey_transition(sg_store *s, const char *id, const char *const *from, const char *to, int64_t now, sg_journey_row *out, sg_error *e)
{
    return unsupported(e, "sg_store_journey_transition");
}

static sg_err pg_journey_enroll(sg_store *s, const char *id, sg_enroll_item *items, size_t n, int64_t now, sg_error *e)
{
    return unsupported(e, "sg_store_journey_enroll");
}

static sg_err pg_journey_group_scan(sg_store *s, int64_t now, size_t limit, size_t *enrolled, sg_error *e)
{
    return unsupported(e, "sg_store_journey_group_scan");
}

static sg_err pg_journey_claim(sg_store *s, int64_t now, int64_t lease_ms, size_t limit, sg_enrollment **out, size_t *n)
{
    return unsupported(NULL, "sg_store_journey_claim");
}

static sg_err pg_journey_leases_reset(sg_store *s, sg_error *e)
{
    return unsupported(e, "sg_store_journey_leases_reset");
}

static sg_err pg_journey_advance(sg_store *s, sg_journey_advance *a, sg_error *e)
{
    return unsupported(e, "sg_store_journey_advance");
}

static sg_err pg_journey_contact_matches(sg_store *s, const char *contact_id, const char *filter,
                                         int64_t now, bool *matches)
{
    return unsupported(NULL, "sg_store_journey_contact_matches");
}

static sg_err pg_journey_waiting(sg_store *s, const char *phone, sg_enrollment **out, size_t *n)
{
    return unsupported(NULL, "sg_store_journey_waiting");
}

static sg_err pg_journey_enrollments(sg_store *s, const char *id, const char *cursor, size_t limit, sg_enrollment **out, size_t *n, bool *has_more)
{
    return unsupported(NULL, "sg_store_journey_enrollments");
}

static sg_err pg_journey_stats(sg_store *s, const char *id, sg_journey_step_stats **steps, size_t *n_steps, sg_journey_exit_stats **exits, size_t *n_exits)
{
    return unsupported(NULL, "sg_store_journey_stats");
}

const sg_store_journeys_ops pg_journeys_ops = {
    .journey_create = pg_journey_create,
    .journey_update = pg_journey_update,
    .journey_get = pg_journey_get,
    .journey_version = pg_journey_version,
    .journey_list = pg_journey_list,
    .journey_transition = pg_journey_transition,
    .journey_enroll = pg_journey_enroll,
    .journey_group_scan = pg_journey_group_scan,
    .journey_claim = pg_journey_claim,
    .journey_leases_reset = pg_journey_leases_reset,
    .journey_advance = pg_journey_advance,
    .journey_contact_matches = pg_journey_contact_matches,
    .journey_waiting = pg_journey_waiting,
    .journey_enrollments = pg_journey_enrollments,
    .journey_stats = pg_journey_stats,
};
