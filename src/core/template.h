/* Message templates with merge fields, for broadcasts. Pure: no I/O, no
 * allocation of its own (rendering only appends to the caller's sg_buf).
 *
 * Syntax. Everything is literal text except a field, which is written
 *     {{name}}  or  {{name|default}}
 * with optional spaces or tabs around the name ("{{ last_name }}",
 * "{{ first_name |there}}"). The names are, case-sensitively:
 *     first_name, last_name, phone, attributes.KEY   (KEY is [A-Za-z0-9_]{1,64})
 * and KEY alone, which means attributes.KEY ("{{city}}" for an imported column
 * city) whenever it is not one of the fixed names (and not "attributes"): such a
 * field is looked up and reported by its full name, "attributes.city".
 * The default is the literal bytes between '|' and the first "}}", spaces
 * included and not trimmed ("{{first_name| there}}" defaults to " there"); it may
 * be empty ("{{x|}}": a blank is fine) but may not contain "{{" (fields do not
 * nest). Every "{{" in a template starts a field: there is no escape, so a "{{"
 * that is not a well-formed field is an error. A lone '{', '}' or "}}" outside a
 * field is literal text.
 *
 * Values are inserted verbatim: a value holding "{{...}}" is not expanded. A
 * value that is NULL or "" is missing and the field's default is used; a missing
 * value without a default is an error ("missing_field"), never a blank. */
#ifndef SG_CORE_TEMPLATE_H
#define SG_CORE_TEMPLATE_H

#include "util/buf.h"
#include "util/err.h"

#include <stdbool.h>
#include <stddef.h>

#define SG_TPL_ATTR_KEY_MAX 64 /* bytes of KEY in attributes.KEY */
#define SG_TPL_NAME_MAX     75 /* "attributes." plus the longest KEY */

/* Why a template was refused. code is one of:
 *   "syntax"        a "{{" that is not a well-formed field (unclosed, empty name,
 *                   stray character, "{{" inside a default);
 *   "unknown_field" a well-formed field whose name is not one of the names above
 *                   (field holds the name, cut to fit);
 *   "missing_field" rendering only: no value and no default (field holds the name);
 *   "too_large"     rendering only: the output would exceed out->max;
 *   "nomem"         rendering only: out could not grow.
 * offset is the byte offset in the template: of the offending byte for "syntax",
 * of the field's "{{" for the field errors, of the piece (literal text or field)
 * that did not fit for "too_large". detail is a sentence for humans. All three
 * strings are NUL-terminated; code is "" when there was no error. */
typedef struct sg_tpl_error {
    char code[32];
    char field[80];
    char detail[160];
    size_t offset;
} sg_tpl_error;

/* The value of a field for the current recipient, or NULL / "" when absent. name
 * is NUL-terminated, e.g. "first_name" or "attributes.city". The returned string
 * must stay valid until the next call. */
typedef const char *(*sg_tpl_lookup)(void *user, const char *name);

/* Called once per field, in template order (repeats included), by
 * sg_template_fields. has_default is true for "{{x|...}}", even "{{x|}}". */
typedef void (*sg_tpl_field_fn)(void *user, const char *name, bool has_default);

/* Check the syntax and the field names (at template creation). tpl is
 * NUL-terminated. Returns SG_OK, or SG_ERR_INVALID with err (if not NULL) filled
 * with the first error; err is cleared on success. */
sg_err sg_template_check(const char *tpl, sg_tpl_error *err);

/* sg_template_check that also reports every field to fn (if not NULL), so the
 * caller can list the fields a template uses and which need a value. When the
 * template is invalid fn may already have been called for the fields before the
 * error. */
sg_err sg_template_fields(const char *tpl, sg_tpl_field_fn fn, void *user, sg_tpl_error *err);

/* Render tpl for one recipient, appending to out; out->max bounds the result.
 * fn is asked for each field's value (a NULL fn means every value is absent).
 * Returns:
 *   SG_OK;
 *   SG_ERR_INVALID     "syntax" / "unknown_field" exactly as sg_template_check
 *                      reports them, or else "missing_field" for the first field
 *                      with no value and no default;
 *   SG_ERR_TOO_LARGE   "too_large";
 *   SG_ERR_NOMEM       "nomem".
 * A template error always wins over missing_field / too_large, wherever it is,
 * so render fails exactly when check fails and with the same code and offset.
 * On any error out is left as it was (same len and content). No allocation other
 * than out's growth; a template without "{{" is one append. */
sg_err sg_template_render(const char *tpl, sg_tpl_lookup fn, void *user, sg_buf *out,
                          sg_tpl_error *err);

#endif
