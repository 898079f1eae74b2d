/*
 * walk.c - recursive discovery of the files to ingest (see walk.h).
 *
 * Entries of a folder are sorted by name so that runs are reproducible.
 * Folders already visited (by device and inode) are not entered again, which
 * stops loops made by symbolic links inside a root.
 */
#include "ingest/walk.h"
#include "core/buf.h"
#include "core/error.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct walker {
	const walk_params *p;
	walk_fn fn;
	void *ctx;
	const char *root;      /* absolute root, as given */
	char *root_real;       /* its realpath(), for the symlink check */
	struct { dev_t dev; ino_t ino; } *seen;
	size_t nseen, capseen;
} walker;

walk_params walk_default_params(void)
{
	return (walk_params){ .max_file_size = 100u << 20 };
}

char *walk_abspath(const char *path)
{
	dbuf in = DBUF_INIT, out = DBUF_INIT;
	char cwd[PATH_MAX];
	size_t i = 0;

	if (path[0] != '/') {
		if (!getcwd(cwd, sizeof cwd))
			return NULL;
		if (dbuf_puts(&in, cwd) || dbuf_putc(&in, '/'))
			goto oom;
	}
	if (dbuf_puts(&in, path))
		goto oom;
	/* rebuild component by component, dropping "." and resolving ".." */
	while (i < in.len) {
		size_t j;
		while (i < in.len && in.data[i] == '/')
			i++;
		j = i;
		while (j < in.len && in.data[j] != '/')
			j++;
		if (j == i)
			break;
		if (j - i == 1 && in.data[i] == '.') {
			/* nothing */
		} else if (j - i == 2 && in.data[i] == '.' && in.data[i + 1] == '.') {
			while (out.len > 0 && out.data[out.len - 1] != '/')
				out.len--;
			if (out.len > 0)
				out.len--;
			dbuf_truncate(&out, out.len);
		} else if (dbuf_putc(&out, '/') || dbuf_append(&out, in.data + i, j - i)) {
			goto oom;
		}
		i = j;
	}
	if (out.len == 0 && dbuf_putc(&out, '/'))
		goto oom;
	dbuf_free(&in);
	return dbuf_detach(&out, NULL);
oom:
	dbuf_free(&in);
	dbuf_free(&out);
	return NULL;
}

static int report(walker *w, const char *path, const struct stat *st, walk_skip skip,
		  const char *message)
{
	walk_entry e = { path, w->root, st, skip, message };
	return w->fn(w->ctx, &e);
}

static int excluded(const walker *w, const char *path, const char *name, int is_dir)
{
	const char *rel = path + strlen(w->root);

	while (*rel == '/')
		rel++;
	for (size_t i = 0; i < w->p->nexclude; i++) {
		const char *g = w->p->exclude[i];
		size_t n = strlen(g);
		char pat[PATH_MAX];

		if (n > 0 && g[n - 1] == '/') {
			if (!is_dir || n >= sizeof pat)
				continue;
			memcpy(pat, g, n - 1);
			pat[n - 1] = '\0';
			g = pat;
		}
		if (fnmatch(g, name, 0) == 0 || fnmatch(g, rel, 0) == 0 || fnmatch(g, path, 0) == 0)
			return 1;
	}
	return 0;
}

/* Non-zero when `real` is the root or inside it. */
static int inside_root(const walker *w, const char *real)
{
	size_t n = strlen(w->root_real);

	if (strcmp(w->root_real, "/") == 0)
		return 1;
	return strncmp(real, w->root_real, n) == 0 && (real[n] == '\0' || real[n] == '/');
}

static int mark_seen(walker *w, const struct stat *st)
{
	for (size_t i = 0; i < w->nseen; i++)
		if (w->seen[i].dev == st->st_dev && w->seen[i].ino == st->st_ino)
			return 1;
	if (w->nseen == w->capseen) {
		size_t cap = w->capseen ? w->capseen * 2 : 64;
		void *p = realloc(w->seen, cap * sizeof *w->seen);
		if (!p)
			return -1;
		w->seen = p;
		w->capseen = cap;
	}
	w->seen[w->nseen].dev = st->st_dev;
	w->seen[w->nseen].ino = st->st_ino;
	w->nseen++;
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int walk_dir(walker *w, const char *dir);

/* One path below a root: decides what it is and reports or recurses. */
static int visit(walker *w, const char *path, const char *name, int top)
{
	struct stat lst, st;
	char msg[256];
	int rc;

	if (lstat(path, &lst) != 0) {
		snprintf(msg, sizeof msg, "cannot read: %s", strerror(errno));
		return report(w, path, NULL, WALK_SKIP_ERROR, msg);
	}
	st = lst;
	if (S_ISLNK(lst.st_mode)) {
		char *real;
		if (stat(path, &st) != 0)
			return report(w, path, NULL, WALK_SKIP_ERROR, "broken symbolic link");
		real = realpath(path, NULL);
		if (!real)
			return report(w, path, NULL, WALK_SKIP_ERROR, "cannot resolve symbolic link");
		int ok = top || inside_root(w, real);
		free(real);
		if (!ok)
			return report(w, path, &st, WALK_SKIP_LINK_OUTSIDE,
				      "symbolic link to a place outside the folder being ingested");
	}
	if (!top && !w->p->include_hidden && name[0] == '.')
		return report(w, path, &st, WALK_SKIP_HIDDEN,
			      S_ISDIR(st.st_mode) ? "hidden folder" : "hidden file");
	if (!top && excluded(w, path, name, S_ISDIR(st.st_mode)))
		return report(w, path, &st, WALK_SKIP_EXCLUDED, "excluded by --exclude");
	if (S_ISDIR(st.st_mode)) {
		rc = mark_seen(w, &st);
		if (rc < 0)
			return DOCENT_ENOMEM;
		if (rc > 0)
			return 0; /* already walked: a link loop or a second link */
		return walk_dir(w, path);
	}
	if (!S_ISREG(st.st_mode))
		return report(w, path, &st, WALK_SKIP_SPECIAL, "not a regular file");
	if (w->p->max_file_size && (uint64_t)st.st_size > w->p->max_file_size) {
		/* named as it was set, so that the reader knows what to raise */
		int mb = st.st_size >= 1000000;
		snprintf(msg, sizeof msg, "larger than %s (%.1f %s); raise it to ingest this file",
			 w->p->size_setting ? w->p->size_setting : "ingest.max_file_size",
			 st.st_size / (mb ? 1e6 : 1e3), mb ? "MB" : "kB");
		return report(w, path, &st, WALK_SKIP_TOO_BIG, msg);
	}
	return report(w, path, &st, WALK_OK, NULL);
}

static int walk_dir(walker *w, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;
	dbuf path = DBUF_INIT;
	char msg[256];
	int rc = 0;

	if (!d) {
		snprintf(msg, sizeof msg, "cannot open folder: %s", strerror(errno));
		return report(w, dir, NULL, WALK_SKIP_ERROR, msg);
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			char **p = realloc(names, cap * sizeof *names);
			if (!p) {
				rc = DOCENT_ENOMEM;
				goto done;
			}
			names = p;
		}
		if (!(names[n] = strdup(de->d_name))) {
			rc = DOCENT_ENOMEM;
			goto done;
		}
		n++;
	}
	/* qsort's pointer must be valid even for no elements: an empty folder
	 * leaves names NULL */
	if (n > 1)
		qsort(names, n, sizeof *names, cmp_names);
	for (size_t i = 0; i < n && rc == 0; i++) {
		dbuf_reset(&path);
		if (dbuf_puts(&path, dir) ||
		    (strcmp(dir, "/") != 0 && dbuf_putc(&path, '/')) ||
		    dbuf_puts(&path, names[i])) {
			rc = DOCENT_ENOMEM;
			break;
		}
		rc = visit(w, path.data, names[i], 0);
	}
done:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	dbuf_free(&path);
	closedir(d);
	return rc;
}

int walk_paths(const char *const *roots, size_t nroots, const walk_params *p,
	       walk_fn fn, void *ctx)
{
	walker w = { .p = p, .fn = fn, .ctx = ctx };
	int rc = 0;

	for (size_t i = 0; i < nroots && rc == 0; i++) {
		char *root = walk_abspath(roots[i]);
		if (!root)
			return DOCENT_ENOMEM;
		w.root = root;
		w.root_real = realpath(root, NULL);
		if (!w.root_real) {
			char msg[256];
			snprintf(msg, sizeof msg, "cannot read: %s", strerror(errno));
			rc = report(&w, root, NULL, WALK_SKIP_ERROR, msg);
		} else {
			const char *slash = strrchr(root, '/');
			rc = visit(&w, root, slash ? slash + 1 : root, 1);
		}
		free(w.root_real);
		w.root_real = NULL;
		free(root);
	}
	free(w.seen);
	return rc;
}
