/*
 * progress.c - the terminal progress bar (see progress.h).
 */
#include "cli/progress.h"

#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void progress_init(progress *p, int quiet)
{
	memset(p, 0, sizeof *p);
	p->enabled = !quiet && isatty(STDERR_FILENO);
}

static int columns(void)
{
	struct winsize ws;
	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
		return ws.ws_col;
	return 80;
}

/* Draws "[####    ] what  ETA m:ss  label" for a share frac done. */
static void draw(progress *p, double frac, const char *what, double seconds, const char *label)
{
	char line[512], eta[32] = "--:--";
	int width = 24, fill, cols, n;

	if (frac > 1)
		frac = 1;
	fill = (int)(frac * width);
	if (frac > 0.001 && seconds > 0.5) {
		int left = (int)(seconds / frac - seconds);
		snprintf(eta, sizeof eta, "%d:%02d", left / 60, left % 60);
	}
	n = snprintf(line, sizeof line, "\r[%.*s%*s] %s  ETA %s  ",
		     fill, "########################", width - fill, "", what, eta);
	cols = columns() - 1;
	if (label && n < cols && n > 0) {
		const char *base = strrchr(label, '/');
		base = base ? base + 1 : label;
		snprintf(line + n, sizeof line - (size_t)n, "%.*s", cols - n, base);
	}
	/* keep control characters of file names off the terminal */
	for (char *c = line + 1; *c; c++)
		if ((unsigned char)*c < 0x20)
			*c = '?';
	fprintf(stderr, "%s\033[K", line);
	fflush(stderr);
	p->drawn = 1;
}

/* Whether to draw now: at most ten times a second. */
static int due(progress *p, int force)
{
	double t = now();

	if (!p->enabled || (!force && t - p->last_draw < 0.1))
		return 0;
	p->last_draw = t;
	return 1;
}

void progress_draw(progress *p, uint64_t done, uint64_t total, uint64_t bytes_done,
		   uint64_t bytes_total, double seconds, const char *label, int force)
{
	char what[128];

	if (!due(p, force))
		return;
	snprintf(what, sizeof what, "%llu/%llu files  %.1f MB/s", (unsigned long long)done,
		 (unsigned long long)total, seconds > 0 ? bytes_done / seconds / 1e6 : 0);
	draw(p, bytes_total ? (double)bytes_done / (double)bytes_total :
		total ? (double)done / (double)total : 0, what, seconds, label);
}

void progress_draw_count(progress *p, uint64_t done, uint64_t total, const char *unit,
			 double seconds, const char *label, int force)
{
	char what[128];

	if (!due(p, force))
		return;
	snprintf(what, sizeof what, "%llu/%llu %s  %.1f %s/s", (unsigned long long)done,
		 (unsigned long long)total, unit, seconds > 0 ? done / seconds : 0, unit);
	draw(p, total ? (double)done / (double)total : 0, what, seconds, label);
}

void progress_clear(progress *p)
{
	if (p->enabled && p->drawn) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		p->drawn = 0;
	}
}

void progress_end(progress *p)
{
	progress_clear(p);
}
