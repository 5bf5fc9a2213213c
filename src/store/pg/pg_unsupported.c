/* The PostgreSQL backend, the subjects not built yet (issue 14 is landing them
 * one by one): every store function of these tables answers
 * SG_ERR_UNSUPPORTED, naming itself, so that nothing misbehaves quietly. The
 * list of what works is in docs/postgresql.md; the conformance suite skips
 * these subjects on PostgreSQL by name (tests/unit/test_store_conformance.c).
 * When a subject is implemented, its table moves to its own pg_SUBJECT.c. */
#include "store/pg/pg_store.h"

__attribute__((unused)) static sg_err unsupported(sg_error *e, const char *fn)
{
    return sg_error_set(e, SG_ERR_UNSUPPORTED, NULL,
                        "PostgreSQL: %s is not implemented yet (docs/postgresql.md)", fn);
}

