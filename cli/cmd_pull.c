/*
 * cmd_pull.c - `docent models pull NAME|URL`: downloads a GGUF model into
 * the models folder, with a progress bar, resuming an interrupted download,
 * checking the SHA-256 when the catalogue (config/models.conf, built in)
 * knows it.
 */
#include "cli/cli.h"
#include "cli/progress.h"
#include "core/error.h"
#include "engine/download.h"

#include <errno.h>
#include <getopt.h>
#include <ini.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

extern const char docent_models_catalogue[]; /* config/models.conf, generated */

typedef struct entry {
	const char *want;
	char url[2048], sha256[80], kind[32], about[512];
	int found;
} entry;

static int on_catalogue(void *user, const char *section, const char *name, const char *value)
{
	entry *e = user;
	if (strcmp(section, e->want) != 0)
		return 1;
	e->found = 1;
	if (strcmp(name, "url") == 0)
		snprintf(e->url, sizeof e->url, "%s", value);
	else if (strcmp(name, "sha256") == 0)
		snprintf(e->sha256, sizeof e->sha256, "%s", value);
	else if (strcmp(name, "kind") == 0)
		snprintf(e->kind, sizeof e->kind, "%s", value);
	else if (strcmp(name, "about") == 0)
		snprintf(e->about, sizeof e->about, "%s", value);
	return 1;
}

/* Lists the catalogue's names and what they are. */
static int list_names(void *user, const char *section, const char *name, const char *value)
{
	const char **last = user;
	if (strcmp(name, "about") == 0) {
		printf("  %-24s %s\n", section, value);
		*last = section;
	}
	return 1;
}

static int read_catalogue(ini_handler fn, void *user)
{
	const char *path = getenv("DOCENT_MODELS_CATALOGUE");
	if (path && path[0]) {
		int r = ini_parse(path, fn, user);
		if (r < 0)
			return docent_error_set(DOCENT_ECONFIG, "cannot read the model catalogue %s",
						path);
		return 0;
	}
	return ini_parse_string(docent_models_catalogue, fn, user) < 0 ? DOCENT_ECONFIG : 0;
}

void help_pull(FILE *out)
{
	fprintf(out,
		"Usage: docent models pull [--sha256 HEX] NAME|URL\n\n"
		"Downloads a GGUF model into the models folder (engine.models_dir):\n"
		"a name from the built-in catalogue, or the URL of a .gguf file. An\n"
		"interrupted download resumes where it stopped when run again; the\n"
		"SHA-256 is checked when known; the file appears only when complete.\n\n"
		"Catalogue:\n");
	const char *last = NULL;
	read_catalogue(list_names, &last);
}

typedef struct bar {
	progress p;
	double t0;
} bar;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int on_progress(void *ctx, uint64_t done, uint64_t total)
{
	bar *b = ctx;
	progress_draw(&b->p, 0, 1, done, total, now_s() - b->t0, "", 0);
	return *cli_interrupt_flag() != 0;
}

/* Creates dir and its parents. */
static int make_dirs(const char *path)
{
	char buf[4096];
	size_t n = strlen(path);

	if (n >= sizeof buf)
		return docent_error_set(DOCENT_EINVAL, "path too long: %s", path);
	memcpy(buf, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		char save = buf[i];
		buf[i] = '\0';
		if (mkdir(buf, 0755) != 0 && errno != EEXIST)
			return docent_error_set(docent_error_from_errno(errno),
						"cannot create %s: %s", buf, strerror(errno));
		buf[i] = save;
	}
	return 0;
}

int cmd_pull(cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "sha256", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sha = NULL, *what;
	entry e = { 0 };
	char *dir, dest[4352], size[32];
	uint64_t resumed = 0;
	bar b;
	int opt, rc;
	struct stat st;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 's')
			sha = optarg;
		else
			return cli_usage(c, "unknown option");
	}
	if (optind + 1 != argc)
		return cli_usage(c, "give one model name or URL (`docent models pull --help` "
				 "lists the names)");
	what = argv[optind];
	if (strstr(what, "://")) {
		snprintf(e.url, sizeof e.url, "%s", what);
	} else {
		e.want = what;
		if ((rc = read_catalogue(on_catalogue, &e)) != 0)
			return cli_fail(rc, NULL);
		if (!e.found || !e.url[0]) {
			fprintf(stderr, "docent: no model called '%s' in the catalogue; "
				"`docent models pull --help` lists them, or give a URL\n", what);
			return CLI_FAIL;
		}
		if (!sha && e.sha256[0])
			sha = e.sha256;
	}
	/* the file name: the URL's last segment, without a query */
	const char *base = strrchr(e.url, '/');
	base = base ? base + 1 : e.url;
	size_t blen = strcspn(base, "?#");
	if (blen == 0)
		return cli_usage(c, "the URL does not end in a file name: %s", e.url);
	if (!(dir = config_models_dir(c->cfg)))
		return cli_fail(DOCENT_ENOMEM, NULL);
	snprintf(dest, sizeof dest, "%s/%.*s", dir, (int)blen, base);
	rc = make_dirs(dir);
	free(dir);
	if (rc)
		return cli_fail(rc, NULL);
	progress_init(&b.p, 0);
	b.t0 = now_s();
	cli_interrupt_catch();
	rc = download_file(e.url, dest, sha, on_progress, &b, &resumed);
	cli_interrupt_release();
	progress_end(&b.p);
	if (rc)
		return cli_fail(rc, "download failed");
	if (stat(dest, &st) != 0)
		st.st_size = 0;
	printf("saved %s (%s%s%s)\n", dest, cli_size((double)st.st_size, size, sizeof size),
	       resumed ? ", resumed" : "", sha && sha[0] ? ", checksum verified" : "");
	if (e.kind[0])
		printf("use it: set engine.%s_model = %.*s (or DOCENT_%s_MODEL)\n",
		       strcmp(e.kind, "embedding") == 0 ? "embed" : "chat", (int)blen, base,
		       strcmp(e.kind, "embedding") == 0 ? "EMBED" : "CHAT");
	return CLI_OK;
}
