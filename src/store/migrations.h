/* Versioned schema migrations. Version N is sg_migrations[N-1]; a migration is
 * applied once, inside a transaction, and recorded in schema_migrations. */
#ifndef SG_STORE_MIGRATIONS_H
#define SG_STORE_MIGRATIONS_H

#include <stddef.h>

typedef struct sg_migration {
    int version;
    const char *name;
    const char *sql; /* one or more statements */
} sg_migration;

extern const sg_migration sg_sqlite_migrations[];
extern const size_t sg_sqlite_migrations_count;
/* The same versions for PostgreSQL (store/pg/pg_migrations.c). */
extern const sg_migration sg_pg_migrations[];
extern const size_t sg_pg_migrations_count;

#endif
