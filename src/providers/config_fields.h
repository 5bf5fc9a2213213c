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

/* Copy at most cap-1 bytes of src into dst, never cutting a UTF-8 sequence in two
 * and turning control characters into spaces (the text ends up in logs and JSON). */
void sg_cfg_copy_text(char *dst, size_t cap, const char *src, size_t len);

#endif
