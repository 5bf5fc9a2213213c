/* Pieces every driver's config_load and parse_send use: reading and checking
 * config values with errors that name "config.<key>" and never echo a secret,
 * the base URL and mps rules, and copying provider text into fixed fields. */
#ifndef SG_PROVIDERS_CONFIG_FIELDS_H
#define SG_PROVIDERS_CONFIG_FIELDS_H

#include "util/err.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SG_CFG_MPS_MAX      10000.0
#define SG_CFG_BASE_URL_MAX 512

/* "config.<key>" into out. */
void sg_cfg_field(char *out, size_t cap, const char *key);

/* The string at key (borrowed from config), or NULL when absent. A string of
 * another type, with a NUL, or outside [min, max] bytes is refused; so are
 * control characters unless controls_ok. Messages never quote the value. */
sg_err sg_cfg_string(json_t *config, const char *key, size_t min, size_t max, bool controls_ok,
                     const char **out, sg_error *e);

/* Every string in config (and in its arrays) is free of control characters
 * (U+0000-U+001F, U+007F): a secret or a name with one would be sent in a header
 * or a form and fail, or worse, far from where it was typed. The keys listed in
 * multiline (NULL-terminated, may be NULL) are texts of several lines: tab, LF
 * and CR are allowed there. SG_ERR_INVALID names "config.<key>" and never quotes
 * the value. Every driver's config_load calls it first. */
sg_err sg_cfg_no_controls(json_t *config, const char *const *multiline, sg_error *e);

/* base_url: an http:// or https:// URL with a host and no query, fragment or
 * spaces (dflt when absent), trailing '/' removed; *out is malloc'd. */
sg_err sg_cfg_base_url(json_t *config, const char *dflt, char **out, sg_error *e);

/* mps: a number in (0, SG_CFG_MPS_MAX]; 1 when absent (*present tells which). */
sg_err sg_cfg_mps(json_t *config, double *out, bool *present, sg_error *e);

/* retry_for_seconds, a field every kind accepts: how long transient send failures
 * (429, 5xx, timeouts, connection errors) are retried, counted from a message's
 * first attempt. A whole number in [0, SG_CFG_RETRY_FOR_MAX_S] (0: never retry);
 * SG_CFG_RETRY_FOR_DEFAULT_S when absent. */
#define SG_CFG_RETRY_FOR_DEFAULT_S (24LL * 3600)
#define SG_CFG_RETRY_FOR_MAX_S     (30LL * 24 * 3600)
sg_err sg_cfg_retry_for(json_t *config, int64_t *seconds, sg_error *e);

/* Free n strings and the array (NULL is fine). */
void sg_cfg_free_list(char **list, size_t n);

/* Trim blanks (space, tab, CR) at both ends of [*s, *s + *len). */
void sg_cfg_trim(const char **s, size_t *len);

/* Copy at most cap-1 bytes of src into dst, never cutting a UTF-8 sequence in two
 * and turning control characters into spaces (the text ends up in logs and JSON). */
void sg_cfg_copy_text(char *dst, size_t cap, const char *src, size_t len);

/* A sender written as an international number without its '+' ("12345051212",
 * as CiviCRM's guides write them): 11 to 15 digits, the first not 0. Then out
 * (cap >= 17) gets "+" and the digits and true is returned; otherwise false and
 * out is untouched. Every kind reads its senders through this. */
bool sg_cfg_international(const char *s, size_t len, char *out, size_t cap);

/* ---- the "API Parameters" text ------------------------------------------------------ */

#define SG_CFG_PARAMS_MAX 4096 /* bytes of a params text */
#define SG_CFG_ECHO_MAX   60   /* bytes of a bad params line quoted in an error */

/* One line of a params text, as sg_cfg_params_parse hands it to a kind. */
typedef struct sg_cfg_param {
    size_t key;       /* index of the line's key in the keys table */
    const char *val;  /* the value, blanks trimmed, never empty (not NUL-terminated) */
    size_t vlen;
    const char *where; /* "params line 2 ('from=...')", for the kind's error messages */
} sg_cfg_param;

/* Check one line's value and keep it; errors go to field "config.params". */
typedef sg_err (*sg_cfg_param_fn)(const sg_cfg_param *p, void *ctx, sg_error *e);

/* Parse the "API Parameters" text of CiviCRM's SMS provider settings (s, len
 * bytes): one "key=value" a line, keys from the NULL-terminated table keys (ASCII
 * case-insensitive), each at most once; blank lines and blanks (space, tab, CR)
 * around keys and values are ignored. Each line goes to fn(line, ctx). A line
 * that is not key=value, an unknown or repeated key, an empty value, a NUL or a
 * text longer than SG_CFG_PARAMS_MAX is refused with field "config.params" and a
 * message naming the line number and quoting the line (with its value hidden when
 * the key looks like a secret). The clickatell and twilio kinds share it. */
sg_err sg_cfg_params_parse(const char *s, size_t len, const char *const *keys, sg_cfg_param_fn fn,
                           void *ctx, sg_error *e);

#endif
