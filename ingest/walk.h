/*
 * walk.h - finding the files to ingest under the paths a user gave.
 *
 * Folders are walked recursively in a stable (sorted) order. Hidden files
 * and folders (a name starting with '.') are skipped unless asked for;
 * --exclude globs (fnmatch, matched against the path relative to its root
 * and against the base name; "dir/" forms match folders) skip matches;
 * symbolic links are followed only when their target stays inside the root
 * they were found under; files over max_file_size, special files and
 * unreadable entries are skipped. Every skip is reported with a reason, so
 * the caller can tell the user; a hidden or excluded folder is reported once,
 * not file by file.
 *
 * Thread-safety: none needed; the walk runs on the caller's thread.
 */
#ifndef DOCENT_INGEST_WALK_H
#define DOCENT_INGEST_WALK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

typedef struct walk_params {
	const char *const *exclude; /* globs; borrowed */
	size_t nexclude;
	uint64_t max_file_size;     /* bytes; 0 for no limit */
	const char *size_setting;   /* the limit as the user set it, named in the
	                               skip message ("--max-file-size 2k");
	                               NULL: "ingest.max_file_size"; borrowed */
	int include_hidden;         /* default 0 */
} walk_params;

walk_params walk_default_params(void);

typedef enum walk_skip {
	WALK_OK = 0,            /* a file to ingest */
	WALK_SKIP_HIDDEN,
	WALK_SKIP_EXCLUDED,
	WALK_SKIP_LINK_OUTSIDE, /* symlink whose target leaves the root */
	WALK_SKIP_TOO_BIG,
	WALK_SKIP_SPECIAL,      /* fifo, socket, device */
	WALK_SKIP_ERROR,        /* cannot stat or open: `message` says why */
} walk_skip;

typedef struct walk_entry {
	const char *path;     /* absolute, normalised path ('/'-separated, no "..") */
	const char *root;     /* the absolute root it was found under */
	const struct stat *st; /* of the file (after following a link); NULL on error */
	walk_skip skip;
	const char *message;  /* for skips: a short reason for people */
} walk_entry;

/* Called for each file and each skip. A non-zero return stops the walk, and
 * walk_paths returns that value. Entries are borrowed for the call only. */
typedef int (*walk_fn)(void *ctx, const walk_entry *e);

/*
 * Walks each root (a file or a folder). A root that does not exist is
 * reported as WALK_SKIP_ERROR and the walk goes on. Returns 0, a callback's
 * non-zero value, or DOCENT_ENOMEM.
 */
int walk_paths(const char *const *roots, size_t nroots, const walk_params *p,
	       walk_fn fn, void *ctx);

/* Makes an absolute, normalised path from `path` (relative to the current
 * directory), without resolving symlinks. Caller frees. NULL when out of memory. */
char *walk_abspath(const char *path);

#endif
