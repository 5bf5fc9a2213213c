/* Contact import from CSV, streamed: bytes go in as they arrive (an HTTP body, a
 * file), records are parsed (core/csv.h), each phone normalised with
 * libphonenumber and marked mobile or not, and contacts are upserted by phone in
 * batches of SG_IMPORT_BATCH (one transaction each). Memory is bounded by one
 * batch, whatever the file's size. Used by POST /v1/contacts/import and
 * `smsgate contact import`.
 *
 * The header row names the columns: phone (required), first_name, last_name;
 * every other column becomes an attribute (empty cells are not stored). Column
 * names are matched without regard to case and surrounding spaces. */
#ifndef SG_AUDIENCE_IMPORTER_H
#define SG_AUDIENCE_IMPORTER_H

#include "store/store.h"

#include <stddef.h>
#include <stdint.h>

#define SG_IMPORT_BATCH        2000
#define SG_IMPORT_MAX_REJECTED 1000 /* rejected rows reported in detail; all are counted */

typedef struct sg_import_rejection {
    size_t line;
    char code[32];    /* invalid_phone, missing_phone, bad_row, duplicate_column, ... */
    char detail[160];
} sg_import_rejection;

typedef struct sg_import_result {
    size_t imported; /* new contacts */
    size_t updated;  /* existing contacts (same phone) updated */
    size_t rejected; /* rows refused */
    sg_import_rejection *rejections; /* the first SG_IMPORT_MAX_REJECTED of them */
    size_t n_rejections;
    size_t lines; /* lines read so far (progress) */
} sg_import_result;

typedef struct sg_importer sg_importer;

/* group_id: every imported contact joins it (NULL: none). default_region reads
 * national numbers ("07400 123456" with "GB"); NULL or "" means only +... */
sg_err sg_importer_new(sg_store *store, const char *default_region, const char *group_id,
                       sg_importer **out, sg_error *e);
/* Feed the next bytes. An error here is fatal for the import (store failure, a
 * header without a phone column): e says why; rows stored before stay stored. */
sg_err sg_importer_feed(sg_importer *im, const char *data, size_t len, sg_error *e);
/* End of input: the last rows are stored. */
sg_err sg_importer_finish(sg_importer *im, sg_error *e);
/* The counts so far (rejections borrowed from the importer). */
const sg_import_result *sg_importer_result(const sg_importer *im);
void sg_importer_free(sg_importer *im);

#endif
