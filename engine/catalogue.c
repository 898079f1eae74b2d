/*
 * catalogue.c - the model catalogue and name resolution (see catalogue.h).
 *
 * The catalogue is an INI file parsed with inih: the built-in copy is the
 * string docent_models_catalogue (generated from config/models.conf by the
 * Makefile). It is parsed again on each lookup; a few dozen lines cost
 * microseconds, and nothing is cached that a test could not change.
 */
#include "engine/catalogue.h"
#include "core/buf.h"
#include "core/error.h"

#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

extern const char docent_models_catalogue[]; /* config/models.conf, generated */

typedef struct walk {
	int (*fn)(void *ctx, const catalogue_entry *e);
	void *ctx;
	catalogue_entry cur;
	int have;   /* cur holds a section not yet handed to fn */
	int rc;     /* fn's non-zero answer */
} walk;

/* The file name a URL downloads to: its last segment, without a query. */
static void url_file(const char *url, char *out, size_t cap)
{
	const char *base = strrchr(url, '/');
	base = base ? base + 1 : url;
	snprintf(out, cap, "%.*s", (int)strcspn(base, "?#"), base);
}

static void flush(walk *w)
{
	if (!w->have || w->rc)
		return;
	url_file(w->cur.url, w->cur.file, sizeof w->cur.file);
	w->rc = w->fn(w->ctx, &w->cur);
	w->have = 0;
}

static int on_line(void *user, const char *section, const char *name, const char *value)
{
	walk *w = user;

	if (w->rc)
		return 1;
	if (!w->have || strcmp(section, w->cur.name) != 0) {
		flush(w);
		memset(&w->cur, 0, sizeof w->cur);
		snprintf(w->cur.name, sizeof w->cur.name, "%s", section);
		w->have = 1;
	}
	if (strcmp(name, "url") == 0)
		snprintf(w->cur.url, sizeof w->cur.url, "%s", value);
	else if (strcmp(name, "sha256") == 0)
		snprintf(w->cur.sha256, sizeof w->cur.sha256, "%s", value);
	else if (strcmp(name, "kind") == 0)
		snprintf(w->cur.kind, sizeof w->cur.kind, "%s", value);
	else if (strcmp(name, "about") == 0)
		snprintf(w->cur.about, sizeof w->cur.about, "%s", value);
	return 1;
}

int catalogue_foreach(int (*fn)(void *ctx, const catalogue_entry *e), void *ctx)
{
	const char *path = getenv("DOCENT_MODELS_CATALOGUE");
	walk *w = calloc(1, sizeof *w);
	int r;

	if (!w)
		return docent_error_set(DOCENT_ENOMEM, "out of memory");
	w->fn = fn;
	w->ctx = ctx;
	if (path && path[0])
		r = ini_parse(path, on_line, w);
	else
		r = ini_parse_string(docent_models_catalogue, on_line, w);
	if (r < 0) {
		free(w);
		return docent_error_set(DOCENT_ECONFIG, "cannot read the model catalogue %s",
					path && path[0] ? path : "(built in)");
	}
	flush(w);
	r = w->rc;
	free(w);
	return r;
}

typedef struct find {
	const char *want;
	size_t wlen;
	catalogue_entry exact, prefix;
	int nexact, nprefix;
	dbuf names;  /* the short form's matches, for the message */
} find;

static int on_find(void *ctx, const catalogue_entry *e)
{
	find *f = ctx;

	if (strcasecmp(e->name, f->want) == 0) {
		f->exact = *e;
		f->nexact++;
	} else if (strncasecmp(e->name, f->want, f->wlen) == 0 && e->name[f->wlen] == '-') {
		if (f->nprefix++ == 0)
			f->prefix = *e;
		dbuf_printf(&f->names, "%s%s", f->names.len ? ", " : "", e->name);
	}
	return 0;
}

int catalogue_find(const char *name, catalogue_entry *out)
{
	find *f = calloc(1, sizeof *f);
	int rc;

	memset(out, 0, sizeof *out);
	if (!f)
		return docent_error_set(DOCENT_ENOMEM, "out of memory");
	f->want = name;
	f->wlen = strlen(name);
	if ((rc = catalogue_foreach(on_find, f)) != 0)
		goto done;
	if (f->nexact) {
		*out = f->exact;
	} else if (f->nprefix == 1) {
		*out = f->prefix;
	} else if (f->nprefix > 1) {
		rc = docent_error_set(DOCENT_EINVAL, "model '%s' could be any of %s: give the "
				      "whole name", name, f->names.data);
	} else {
		rc = docent_error_set(DOCENT_ENOTFOUND, "no model called '%s' in the catalogue; "
				      "`docent models pull --help` lists them, or give a .gguf "
				      "path or a server URL", name);
	}
done:
	dbuf_free(&f->names);
	free(f);
	return rc;
}

int catalogue_is_name(const char *spec)
{
	size_t n = strlen(spec);

	return n > 0 && !strchr(spec, '/') && !strchr(spec, ':') &&
	       !(n > 5 && strcasecmp(spec + n - 5, ".gguf") == 0);
}

/* dir/name in a new string; NULL when out of memory. */
static char *join(const char *dir, const char *name)
{
	dbuf b = DBUF_INIT;
	size_t dl = strlen(dir);

	while (dl > 1 && dir[dl - 1] == '/')
		dl--;
	if (dbuf_printf(&b, "%.*s/%s", (int)dl, dir, name)) {
		dbuf_free(&b);
		return NULL;
	}
	return dbuf_detach(&b, NULL);
}

int catalogue_resolve(const char *spec, const char *models_dir, char **out)
{
	catalogue_entry e;
	struct stat st;
	int rc;

	*out = NULL;
	while (*spec == ' ' || *spec == '\t')
		spec++;
	size_t n = strlen(spec);
	while (n > 0 && (spec[n - 1] == ' ' || spec[n - 1] == '\t'))
		n--;
	char *s = strndup(spec, n);
	if (!s)
		return docent_error_set(DOCENT_ENOMEM, "out of memory");
	if (!catalogue_is_name(s)) {
		/* name.gguf is a file of the models folder; the rest are as given */
		if (!strchr(s, '/') && !strchr(s, ':') && models_dir && *models_dir) {
			char *p = join(models_dir, s);
			free(s);
			if (!p)
				return docent_error_set(DOCENT_ENOMEM, "out of memory");
			s = p;
		}
		*out = s;
		return 0;
	}
	rc = catalogue_find(s, &e);
	if (rc == DOCENT_ENOTFOUND)
		rc = docent_error_set(DOCENT_ENOTFOUND, "model '%s' is neither in the catalogue "
				      "(`docent models pull --help` lists it) nor a .gguf file "
				      "or a server URL", s);
	free(s);
	if (rc)
		return rc;
	if (!models_dir || !*models_dir || !e.file[0])
		return docent_error_set(DOCENT_ENOTFOUND, "model %s: no models folder to look "
					"in; set engine.models_dir", e.name);
	if (!(*out = join(models_dir, e.file)))
		return docent_error_set(DOCENT_ENOMEM, "out of memory");
	if (stat(*out, &st) != 0) {
		rc = docent_error_set(DOCENT_ENOTFOUND, "model %s is not downloaded yet (no %s): "
				      "run `docent models pull %s`", e.name, *out, e.name);
		free(*out);
		*out = NULL;
		return rc;
	}
	return 0;
}
