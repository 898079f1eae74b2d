/*
 * progress.h - a one-line progress bar on a terminal's stderr.
 *
 * Drawn at most ten times a second; cleared by progress_end() so that
 * ordinary output never mixes with it. When stderr is not a terminal, or
 * when quiet, nothing is drawn.
 */
#ifndef DOCENT_CLI_PROGRESS_H
#define DOCENT_CLI_PROGRESS_H

#include <stdint.h>

typedef struct progress {
	int enabled;
	double last_draw;
	int drawn;
} progress;

void progress_init(progress *p, int quiet);

/* Draws "[####    ] done/total files  rate MB/s  ETA m:ss  label". */
void progress_draw(progress *p, uint64_t done, uint64_t total, uint64_t bytes_done,
		   uint64_t bytes_total, double seconds, const char *label, int force);

/* Draws "[####    ] done/total UNIT  rate UNIT/s  ETA m:ss  label". */
void progress_draw_count(progress *p, uint64_t done, uint64_t total, const char *unit,
			 double seconds, const char *label, int force);

/* Clears the bar's line, if drawn; call before printing anything else. */
void progress_clear(progress *p);
void progress_end(progress *p);

#endif
