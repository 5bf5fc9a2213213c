/* Structured logs: one line per event on stderr, as `key=value` pairs after a
 * timestamp and a level: `ts=2026-11-22T11:13:29.123Z level=info event=listen addr=...`.
 * Thread-safe. Secrets must never be passed to these functions. */
#ifndef SG_UTIL_LOG_H
#define SG_UTIL_LOG_H

#include <stdbool.h>

typedef enum sg_log_level {
    SG_LOG_ERROR = 0,
    SG_LOG_WARN,
    SG_LOG_INFO,
    SG_LOG_DEBUG,
} sg_log_level;

void sg_log_set_level(sg_log_level level);
sg_log_level sg_log_get_level(void);
/* Parse "error|warn|info|debug"; false if the name is unknown. */
bool sg_log_level_parse(const char *name, sg_log_level *out);

/* event: a short snake_case word; fmt: further `key=value` pairs. Values that may
 * contain spaces should be quoted by the caller with %s inside "..." . */
void sg_log(sg_log_level level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define sg_log_enabled(lvl) ((lvl) <= sg_log_get_level())

#endif
