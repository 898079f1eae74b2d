/*
 * prompts.c - prompt templates: built in, overridable by files (prompts.h).
 * The built-in copies come from config/prompts/NAME.txt through a table the
 * Makefile generates (build/gen/prompts.c).
 */
#include "config/prompts.h"
#include "core/buf.h"
#include "core/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* build/gen/prompts.c: { name, text } pairs, ended by { NULL, NULL } */
extern const char *const docent_prompts[][2];

static char *join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *p = malloc(la + lb + 1);

	if (p) {
		memcpy(p, a, la);
		memcpy(p + la, b, lb + 1);
	}
	return p;
}

char *prompts_default_dir(const char *config_path)
{
	const char *env = getenv("DOCENT_PROMPTS_DIR"), *base;

	if (env && *env)
		return strdup(env);
	if (config_path && *config_path) {
		const char *slash = strrchr(config_path, '/');
		if (!slash)
			return strdup("prompts");
		size_t n = (size_t)(slash - config_path) + 1;
		char *dir = malloc(n + sizeof "prompts");
		if (dir) {
			memcpy(dir, config_path, n);
			memcpy(dir + n, "prompts", sizeof "prompts");
		}
		return dir;
	}
	if ((base = getenv("XDG_CONFIG_HOME")) && *base)
		return join(base, "/docent/prompts");
	return join((base = getenv("HOME")) && *base ? base : ".", "/.config/docent/prompts");
}

int prompts_load(const char *name, const char *dir, char **text, char **origin)
{
	*text = NULL;
	if (origin)
		*origin = NULL;
	if (dir && *dir) {
		dbuf path = DBUF_INIT, body = DBUF_INIT;
		FILE *f;
		if (dbuf_printf(&path, "%s/%s.txt", dir, name))
			return docent_error_set(DOCENT_ENOMEM, "out of memory");
		if ((f = fopen(path.data, "rb")) != NULL) {
			char buf[4096];
			size_t k;
			int rc = 0;
			while (rc == 0 && (k = fread(buf, 1, sizeof buf, f)) > 0)
				rc = dbuf_append(&body, buf, k);
			if (rc == 0 && ferror(f))
				rc = docent_error_set(DOCENT_EIO, "cannot read the prompt template %s",
						      path.data);
			else if (rc == 0 && dbuf_puts(&body, ""))
				rc = DOCENT_ENOMEM;
			fclose(f);
			if (rc) {
				dbuf_free(&path);
				dbuf_free(&body);
				return rc == DOCENT_ENOMEM ? docent_error_set(rc, "out of memory") : rc;
			}
			*text = dbuf_detach(&body, NULL);
			if (origin)
				*origin = dbuf_detach(&path, NULL);
			dbuf_free(&path);
			return *text ? 0 : docent_error_set(DOCENT_ENOMEM, "out of memory");
		}
		if (errno != ENOENT) {
			int rc = docent_error_set(DOCENT_EIO, "cannot open the prompt template %s: %s",
						  path.data, strerror(errno));
			dbuf_free(&path);
			return rc;
		}
		dbuf_free(&path);
	}
	for (size_t i = 0; docent_prompts[i][0]; i++)
		if (strcmp(docent_prompts[i][0], name) == 0) {
			*text = strdup(docent_prompts[i][1]);
			if (origin && *text && !(*origin = strdup("built-in"))) {
				free(*text);
				*text = NULL;
			}
			return *text ? 0 : docent_error_set(DOCENT_ENOMEM, "out of memory");
		}
	return docent_error_set(DOCENT_ENOTFOUND, "no prompt template named '%s'", name);
}

/* Appends t[0..n) with its placeholders filled. */
static int fill(dbuf *out, const char *t, size_t n, const prompts_var *vars, size_t nvars)
{
	size_t i = 0;

	while (i < n) {
		const char *open = memmem(t + i, n - i, "{{", 2);
		if (!open)
			return dbuf_append(out, t + i, n - i);
		size_t at = (size_t)(open - t);
		const char *close = memmem(t + at + 2, n - at - 2, "}}", 2);
		if (!close)
			return dbuf_append(out, t + i, n - i);
		size_t klen = (size_t)(close - (t + at + 2));
		const prompts_var *v = NULL;
		for (size_t k = 0; k < nvars && !v; k++)
			if (strlen(vars[k].key) == klen && memcmp(vars[k].key, t + at + 2, klen) == 0)
				v = &vars[k];
		if (dbuf_append(out, t + i, at - i))
			return DOCENT_ENOMEM;
		if (v ? dbuf_puts(out, v->value ? v->value : "")
		      : dbuf_append(out, t + at, klen + 4))
			return DOCENT_ENOMEM;
		i = at + klen + 4;
	}
	return 0;
}

/* Drops white space at both ends of b. */
static void trim(dbuf *b)
{
	size_t s = 0, e = b->len;
	while (s < e && (b->data[s] == ' ' || b->data[s] == '\n' || b->data[s] == '\r' ||
			 b->data[s] == '\t'))
		s++;
	while (e > s && (b->data[e - 1] == ' ' || b->data[e - 1] == '\n' ||
			 b->data[e - 1] == '\r' || b->data[e - 1] == '\t'))
		e--;
	memmove(b->data, b->data + s, e - s);
	dbuf_truncate(b, e - s);
}

int prompts_render(const char *tmpl, const prompts_var *vars, size_t n, char **system,
		   char **user)
{
	dbuf sys = DBUF_INIT, usr = DBUF_INIT;
	const char *sep = NULL, *body = tmpl;
	size_t tlen = strlen(tmpl);

	*system = *user = NULL;
	/* the first line that is exactly "---" */
	for (const char *line = tmpl; line && *line;) {
		const char *nl = strchr(line, '\n');
		size_t ll = nl ? (size_t)(nl - line) : strlen(line);
		if (ll && line[ll - 1] == '\r')
			ll--;
		if (ll == 3 && memcmp(line, "---", 3) == 0) {
			sep = line;
			body = nl ? nl + 1 : line + 3;
			break;
		}
		line = nl ? nl + 1 : NULL;
	}
	if ((sep && fill(&sys, tmpl, (size_t)(sep - tmpl), vars, n)) ||
	    fill(&usr, body, tlen - (size_t)(body - tmpl), vars, n) || dbuf_puts(&usr, ""))
		goto nomem;
	trim(&usr);
	if (sep) {
		if (dbuf_puts(&sys, ""))
			goto nomem;
		trim(&sys);
		if (!(*system = dbuf_detach(&sys, NULL)))
			goto nomem;
	}
	if (!(*user = dbuf_detach(&usr, NULL)))
		goto nomem;
	return 0;
nomem:
	free(*system);
	*system = NULL;
	dbuf_free(&sys);
	dbuf_free(&usr);
	return docent_error_set(DOCENT_ENOMEM, "out of memory filling a prompt");
}
