/* A one-line progress display for long command-line operations (contact import,
 * broadcast show --watch). On a terminal the line is redrawn in place with '\r',
 * at most every SG_PROGRESS_INTERVAL_MS, cut to the terminal's width so it never
 * wraps. Anywhere else (a pipe, a log file) sg_progress_draw draws nothing: the
 * caller prints occasional plain lines of its own instead, so logs do not fill
 * with carriage returns. */
#ifndef SG_CLI_PROGRESS_H
#define SG_CLI_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SG_PROGRESS_INTERVAL_MS 100 /* at most ten redraws a second */

typedef struct sg_progress {
    FILE *out;
    bool tty;         /* out is a terminal: draw */
    bool on_screen;   /* a line was drawn and not yet ended */
    int64_t start_ms; /* monotonic */
    int64_t drawn_ms; /* monotonic time of the last draw, 0 = never */
    size_t text_max;  /* the longest text drawn, which sizes the bar */
} sg_progress;

/* Start timing; the display goes to out (stderr, usually). */
void sg_progress_init(sg_progress *p, FILE *out);

/* True when out is a terminal and the last draw is at least
 * SG_PROGRESS_INTERVAL_MS old (or there was none). */
bool sg_progress_due(const sg_progress *p);

/* Redraw the line: a bar for fraction (0..1; a negative fraction draws no bar,
 * for a total that is not known) followed by the formatted text. Does nothing
 * when out is not a terminal. */
void sg_progress_draw(sg_progress *p, double fraction, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Erase the line on screen, if any, so what is printed next starts clean. */
void sg_progress_clear(sg_progress *p);

/* Seconds since sg_progress_init (never 0, so it can divide). */
double sg_progress_elapsed(const sg_progress *p);

/* n bytes for humans: "812 B", "64.0 KiB", "12.3 MiB", "1.2 GiB". */
void sg_progress_bytes(uint64_t n, char out[16]);

#endif
