#include "util/log.h"
#include "util/time.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

static _Atomic int current_level = SG_LOG_INFO;

void sg_log_set_level(sg_log_level level)
{
    atomic_store(&current_level, (int)level);
}

sg_log_level sg_log_get_level(void)
{
    return (sg_log_level)atomic_load(&current_level);
}

static const char *const level_names[] = {"error", "warn", "info", "debug"};

bool sg_log_level_parse(const char *name, sg_log_level *out)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(name, level_names[i]) == 0) {
            *out = (sg_log_level)i;
            return true;
        }
    }
    return false;
}

void sg_log(sg_log_level level, const char *event, const char *fmt, ...)
{
    if (!sg_log_enabled(level))
        return;
    char line[2048];
    char ts[SG_TIME_STR_MAX];
    sg_time_format(sg_time_now_ms(), ts, sizeof ts);
    int n = snprintf(line, sizeof line, "ts=%s level=%s event=%s", ts, level_names[level], event);
    if (n < 0)
        return;
    if (fmt && *fmt && (size_t)n < sizeof line - 2) {
        line[n++] = ' ';
        va_list ap;
        va_start(ap, fmt);
        int m = vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
        va_end(ap);
        if (m > 0)
            n += m;
    }
    if ((size_t)n >= sizeof line - 1)
        n = (int)sizeof line - 2;
    /* Never let a value break the one-line-per-event rule. */
    for (int i = 0; i < n; i++) {
        if (line[i] == '\n' || line[i] == '\r')
            line[i] = ' ';
    }
    line[n++] = '\n';
    fwrite(line, 1, (size_t)n, stderr);
}
