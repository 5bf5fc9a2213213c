#include "cli/progress.h"
#include "util/time.h"

#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define LINE_MAX_BYTES 512
#define BAR_MIN        10
#define BAR_MAX        30

void sg_progress_init(sg_progress *p, FILE *out)
{
    memset(p, 0, sizeof *p);
    p->out = out;
    p->tty = isatty(fileno(out)) == 1;
    p->start_ms = sg_time_mono_ms();
}

bool sg_progress_due(const sg_progress *p)
{
    return p->tty &&
           (p->drawn_ms == 0 || sg_time_mono_ms() - p->drawn_ms >= SG_PROGRESS_INTERVAL_MS);
}

/* The terminal's width in columns, 80 when it cannot be asked. */
static size_t columns(FILE *out)
{
    struct winsize ws;
    if (ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
        return ws.ws_col;
    return 80;
}

void sg_progress_draw(sg_progress *p, double fraction, const char *fmt, ...)
{
    if (!p->tty)
        return;
    char text[LINE_MAX_BYTES];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    size_t text_len = n < 0 ? 0 : (size_t)n < sizeof text ? (size_t)n : sizeof text - 1;
    size_t cols = columns(p->out);
    char line[LINE_MAX_BYTES + BAR_MAX + 16];
    size_t len = 0;
    if (fraction >= 0) {
        if (fraction > 1)
            fraction = 1;
        /* the bar takes what the text leaves of the line: "[bar] 100%  " is bar + 9 */
        if (text_len > p->text_max)
            p->text_max = text_len; /* the bar only shrinks, so it does not jitter */
        size_t bar = cols > p->text_max + 10 + BAR_MIN ? cols - p->text_max - 10 : BAR_MIN;
        if (bar > BAR_MAX)
            bar = BAR_MAX;
        size_t full = (size_t)(fraction * (double)bar + 0.5);
        line[len++] = '[';
        for (size_t i = 0; i < bar; i++)
            line[len++] = i < full ? '#' : '-';
        len +=
            (size_t)snprintf(line + len, sizeof line - len, "] %3d%%  ", (int)(fraction * 100.0));
    }
    memcpy(line + len, text, text_len);
    len += text_len;
    /* Never wrap: a wrapped line cannot be redrawn with '\r'. The text is ASCII
     * except for names, and cutting one of those mid-character only costs a glyph. */
    if (len > cols - 1)
        len = cols - 1;
    fprintf(p->out, "\r%.*s\033[K", (int)len, line);
    fflush(p->out);
    p->on_screen = true;
    p->drawn_ms = sg_time_mono_ms();
}

void sg_progress_clear(sg_progress *p)
{
    if (!p->on_screen)
        return;
    fputs("\r\033[K", p->out);
    fflush(p->out);
    p->on_screen = false;
}

double sg_progress_elapsed(const sg_progress *p)
{
    int64_t ms = sg_time_mono_ms() - p->start_ms;
    return ms > 0 ? (double)ms / 1000.0 : 0.001;
}

void sg_progress_bytes(uint64_t n, char out[16])
{
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB"};
    if (n < 1024) {
        snprintf(out, 16, "%u B", (unsigned)n);
        return;
    }
    double v = (double)n / 1024.0;
    size_t u = 0;
    while (v >= 1024.0 && u + 1 < sizeof units / sizeof units[0]) {
        v /= 1024.0;
        u++;
    }
    snprintf(out, 16, "%.1f %s", v, units[u]);
}
