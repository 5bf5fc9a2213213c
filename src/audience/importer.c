#include "audience/importer.h"
#include "core/csv.h"
#include "core/phone.h"

#include <jansson.h>
#include <pthread.h>

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_COLUMNS 64

typedef enum col_role { COL_ATTR = 0, COL_PHONE, COL_FIRST, COL_LAST } col_role;

/* One row waiting for its batch: texts live in the batch's arena. */
typedef struct pending_row {
    size_t line;
    sg_contact_upsert up;
    size_t first_off, last_off, attrs_off; /* offsets into arena; SIZE_MAX = none */
} pending_row;

/* Rows are parsed into one batch while the writer stores the other: phone
 * numbers (libphonenumber's regular expressions, half the work) and SQLite run on
 * two cores at once. */
typedef struct batch {
    pending_row rows[SG_IMPORT_BATCH];
    size_t n_rows;
    char *arena;
    size_t arena_len, arena_cap;
    sg_contact_upsert ups[SG_IMPORT_BATCH];
    sg_upsert_req req;
    bool in_flight; /* under the importer's lock */
} batch;

struct sg_importer {
    sg_store *store;
    char region[8];
    char group_id[SG_ID_MAX];
    bool has_group;
    sg_csv *csv;
    bool header_seen;
    size_t n_cols;
    col_role roles[MAX_COLUMNS];
    char names[MAX_COLUMNS][65];
    batch batches[2];
    int cur;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    sg_import_result result;
    sg_error fatal_error;
};

static void reject(sg_importer *im, size_t line, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void reject(sg_importer *im, size_t line, const char *code, const char *fmt, ...)
{
    im->result.rejected++;
    if (im->result.n_rejections >= SG_IMPORT_MAX_REJECTED)
        return;
    sg_import_rejection *r = &im->result.rejections[im->result.n_rejections++];
    r->line = line;
    snprintf(r->code, sizeof r->code, "%s", code);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->detail, sizeof r->detail, fmt, ap);
    va_end(ap);
}

/* Copy text into the batch's arena; its offset, or SIZE_MAX when out of memory. */
static size_t arena_put(batch *b, const char *text, size_t len)
{
    if (b->arena_len + len + 1 > b->arena_cap) {
        size_t cap = b->arena_cap ? b->arena_cap : 1 << 16;
        while (cap < b->arena_len + len + 1)
            cap *= 2;
        char *grown = realloc(b->arena, cap);
        if (!grown)
            return SIZE_MAX;
        b->arena = grown;
        b->arena_cap = cap;
    }
    size_t off = b->arena_len;
    memcpy(b->arena + off, text, len);
    b->arena[off + len] = '\0';
    b->arena_len += len + 1;
    return off;
}

static void trim(const char **s, size_t *len)
{
    while (*len && isspace((unsigned char)**s)) {
        (*s)++;
        (*len)--;
    }
    while (*len && isspace((unsigned char)(*s)[*len - 1]))
        (*len)--;
}

static void batch_done(sg_upsert_req *r)
{
    sg_importer *im = r->user;
    pthread_mutex_lock(&im->lock);
    for (int i = 0; i < 2; i++) {
        if (&im->batches[i].req == r)
            im->batches[i].in_flight = false;
    }
    pthread_cond_broadcast(&im->cond);
    pthread_mutex_unlock(&im->lock);
}

/* Wait until batch b is stored, count its rows, and empty it. */
static sg_err collect(sg_importer *im, batch *b)
{
    pthread_mutex_lock(&im->lock);
    while (b->in_flight)
        pthread_cond_wait(&im->cond, &im->lock);
    pthread_mutex_unlock(&im->lock);
    sg_err err = SG_OK;
    if (b->n_rows) {
        err = b->req.err;
        if (err) {
            if (!im->fatal_error.message[0])
                im->fatal_error = b->req.error;
        } else {
            for (size_t i = 0; i < b->n_rows; i++) {
                if (b->ups[i].created)
                    im->result.imported++;
                else
                    im->result.updated++;
            }
        }
    }
    b->n_rows = 0;
    b->arena_len = 0;
    return err;
}

/* Hand the current batch to the writer and go on with the other one. */
static sg_err flush(sg_importer *im)
{
    batch *b = &im->batches[im->cur];
    if (b->n_rows == 0)
        return SG_OK;
    for (size_t i = 0; i < b->n_rows; i++) {
        pending_row *r = &b->rows[i];
        b->ups[i] = r->up;
        b->ups[i].first_name = r->first_off == SIZE_MAX ? NULL : b->arena + r->first_off;
        b->ups[i].last_name = r->last_off == SIZE_MAX ? NULL : b->arena + r->last_off;
        b->ups[i].attributes = r->attrs_off == SIZE_MAX ? NULL : b->arena + r->attrs_off;
    }
    b->req = (sg_upsert_req){.rows = b->ups,
                             .n = b->n_rows,
                             .group_id = im->has_group ? im->group_id : NULL,
                             .done = batch_done,
                             .user = im};
    b->in_flight = true;
    sg_err err = sg_store_contacts_upsert_submit(im->store, &b->req);
    if (err) {
        b->in_flight = false;
        b->n_rows = 0;
        return sg_error_set(&im->fatal_error, err, NULL, "cannot store contacts: %s",
                            sg_strerror(err));
    }
    im->cur ^= 1;
    return collect(im, &im->batches[im->cur]);
}

static int on_header(sg_importer *im, size_t line, const char *const *f, const size_t *lens,
                     size_t n)
{
    bool phone = false;
    if (n > MAX_COLUMNS) {
        sg_error_set(&im->fatal_error, SG_ERR_INVALID, "header",
                     "the header has %zu columns; at most %d are allowed", n, MAX_COLUMNS);
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        const char *s = f[i];
        size_t len = lens[i];
        trim(&s, &len);
        if (len == 0 || len > 64) {
            sg_error_set(&im->fatal_error, SG_ERR_INVALID, "header",
                         "column %zu of the header (line %zu) has %s name", i + 1, line,
                         len ? "a too long" : "no");
            return 1;
        }
        char name[65];
        for (size_t k = 0; k < len; k++)
            name[k] = (char)tolower((unsigned char)s[k]);
        name[len] = '\0';
        for (size_t k = 0; k < len; k++) {
            if (!isalnum((unsigned char)name[k]) && name[k] != '_' && name[k] != '-' &&
                name[k] != ' ' && name[k] != '.') {
                sg_error_set(&im->fatal_error, SG_ERR_INVALID, "header",
                             "column name \"%s\" may only use letters, digits, spaces, '_', '-' "
                             "and '.'",
                             name);
                return 1;
            }
        }
        for (size_t k = 0; k < i; k++) {
            if (strcmp(im->names[k], name) == 0) {
                sg_error_set(&im->fatal_error, SG_ERR_INVALID, "header",
                             "column \"%s\" appears twice in the header", name);
                return 1;
            }
        }
        memcpy(im->names[i], name, len + 1);
        im->roles[i] = strcmp(name, "phone") == 0        ? COL_PHONE
                       : strcmp(name, "first_name") == 0 ? COL_FIRST
                       : strcmp(name, "last_name") == 0  ? COL_LAST
                                                         : COL_ATTR;
        phone |= im->roles[i] == COL_PHONE;
    }
    if (!phone) {
        sg_error_set(&im->fatal_error, SG_ERR_INVALID, "header",
                     "the header row (line %zu) has no \"phone\" column", line);
        return 1;
    }
    im->n_cols = n;
    im->header_seen = true;
    return 0;
}

static int on_record(void *user, size_t line, const char *const *f, const size_t *lens, size_t n,
                     const char *error)
{
    sg_importer *im = user;
    im->result.lines = line;
    if (!im->header_seen) {
        if (error) {
            sg_error_set(&im->fatal_error, SG_ERR_INVALID, "header",
                         "the header row (line %zu) is not valid CSV: %s", line, error);
            return 1;
        }
        return on_header(im, line, f, lens, n);
    }
    if (error) {
        reject(im, line, "bad_row", "not a valid CSV row: %s", error);
        return 0;
    }
    if (n != im->n_cols) {
        reject(im, line, "bad_row", "%zu fields where the header has %zu", n, im->n_cols);
        return 0;
    }
    batch *bt = &im->batches[im->cur];
    pending_row *r = &bt->rows[bt->n_rows];
    memset(r, 0, sizeof *r);
    r->line = line;
    r->first_off = r->last_off = r->attrs_off = SIZE_MAX;
    json_t *attrs = NULL;
    bool ok = true;
    for (size_t i = 0; i < n && ok; i++) {
        const char *s = f[i];
        size_t len = lens[i];
        trim(&s, &len);
        switch (im->roles[i]) {
        case COL_PHONE: {
            char input[72];
            if (len == 0) {
                reject(im, line, "missing_phone", "the phone column is empty");
                ok = false;
                break;
            }
            if (len >= sizeof input) {
                reject(im, line, "invalid_phone", "the phone is too long");
                ok = false;
                break;
            }
            memcpy(input, s, len);
            input[len] = '\0';
            sg_phone_type type;
            sg_phone_status ps = sg_phone_normalize(input, im->region, r->up.phone, &type);
            if (ps != SG_PHONE_OK) {
                reject(im, line, "invalid_phone",
                       ps == SG_PHONE_BAD_REGION
                           ? "'%.32s' is not in international format (+...) and no default "
                             "region is set"
                           : "'%.32s' is not a valid phone number",
                       input);
                ok = false;
                break;
            }
            r->up.mobile = sg_phone_type_can_sms(type);
            break;
        }
        case COL_FIRST:
        case COL_LAST: {
            if (len > 127) {
                reject(im, line, "bad_row", "%s is longer than 127 bytes", im->names[i]);
                ok = false;
                break;
            }
            size_t off = arena_put(bt, s, len);
            if (off == SIZE_MAX) {
                ok = false;
                break;
            }
            if (im->roles[i] == COL_FIRST)
                r->first_off = off;
            else
                r->last_off = off;
            break;
        }
        case COL_ATTR:
            if (len == 0)
                break;
            if (!attrs)
                attrs = json_object();
            if (attrs)
                json_object_set_new(attrs, im->names[i], json_stringn(s, len));
            break;
        }
    }
    if (ok && attrs) {
        char *text = json_dumps(attrs, JSON_COMPACT);
        r->attrs_off = text ? arena_put(bt, text, strlen(text)) : SIZE_MAX;
        ok = text && r->attrs_off != SIZE_MAX;
        free(text);
    }
    json_decref(attrs);
    if (!ok)
        return 0;
    bt->n_rows++;
    if (bt->n_rows == SG_IMPORT_BATCH && flush(im) != SG_OK)
        return 1;
    return 0;
}

sg_err sg_importer_new(sg_store *store, const char *default_region, const char *group_id,
                       sg_importer **out, sg_error *e)
{
    sg_importer *im = calloc(1, sizeof *im);
    if (!im)
        return sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory");
    im->store = store;
    pthread_mutex_init(&im->lock, NULL);
    pthread_cond_init(&im->cond, NULL);
    snprintf(im->region, sizeof im->region, "%s", default_region ? default_region : "");
    if (group_id) {
        snprintf(im->group_id, sizeof im->group_id, "%s", group_id);
        im->has_group = true;
    }
    im->result.rejections = calloc(SG_IMPORT_MAX_REJECTED, sizeof *im->result.rejections);
    sg_err err = im->result.rejections ? sg_csv_new(NULL, on_record, im, &im->csv) : SG_ERR_NOMEM;
    if (err) {
        sg_importer_free(im);
        return sg_error_set(e, err, NULL, "out of memory");
    }
    *out = im;
    return SG_OK;
}

static sg_err csv_result(sg_importer *im, sg_err err, sg_error *e)
{
    if (err == SG_CSV_STOPPED || im->fatal_error.message[0]) {
        if (e)
            *e = im->fatal_error;
        return im->fatal_error.err ? im->fatal_error.err : SG_ERR_INVALID;
    }
    if (err)
        return sg_error_set(e, err, NULL, "reading the CSV: %s", sg_strerror(err));
    return SG_OK;
}

sg_err sg_importer_feed(sg_importer *im, const char *data, size_t len, sg_error *e)
{
    return csv_result(im, sg_csv_feed(im->csv, data, len), e);
}

sg_err sg_importer_finish(sg_importer *im, sg_error *e)
{
    sg_err err = csv_result(im, sg_csv_finish(im->csv), e);
    if (err)
        return err;
    if (!im->header_seen)
        return sg_error_set(e, SG_ERR_INVALID, "header", "the CSV is empty: no header row");
    sg_err err1 = flush(im);
    sg_err err2 = collect(im, &im->batches[im->cur ^ 1]);
    sg_err err3 = collect(im, &im->batches[im->cur]);
    if (err1 || err2 || err3) {
        if (e)
            *e = im->fatal_error;
        return im->fatal_error.err ? im->fatal_error.err : SG_ERR_DB;
    }
    return SG_OK;
}

const sg_import_result *sg_importer_result(const sg_importer *im)
{
    return &im->result;
}

void sg_importer_free(sg_importer *im)
{
    if (!im)
        return;
    /* never free a batch the writer still holds */
    collect(im, &im->batches[0]);
    collect(im, &im->batches[1]);
    sg_csv_free(im->csv);
    free(im->result.rejections);
    free(im->batches[0].arena);
    free(im->batches[1].arena);
    pthread_cond_destroy(&im->cond);
    pthread_mutex_destroy(&im->lock);
    free(im);
}
