/*
 * cmd_pull.c - `docent models pull NAME|URL`: downloads a GGUF model into
 * the models folder, with a progress bar, resuming an interrupted download,
 * checking the SHA-256 when the catalogue (config/models.conf, built in)
 * knows it.
 */
#include "cli/cli.h"
#include "cli/progress.h"
#include "core/error.h"
#include "core/files.h"
#include "engine/catalogue.h"
#include "engine/download.h"
#include "engine/model_info.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* Lists the catalogue's names and what they are. */
static int list_entry(void *ctx, const catalogue_entry *e)
{
	FILE *out = ctx;
	fprintf(out, "  %-26s %-9s %s%s\n", e->name, e->kind, e->about,
		e->sha256[0] ? "" : " [no checksum]");
	return 0;
}

void help_pull(FILE *out)
{
	fprintf(out,
		"Usage: docent models pull [--sha256 HEX] NAME|URL\n\n"
		"Downloads a GGUF model into the models folder (engine.models_dir):\n"
		"a name from the built-in catalogue, or the URL of a .gguf file. An\n"
		"interrupted download resumes where it stopped when run again (from\n"
		"the same URL); the size, the SHA-256 when known, and the GGUF header\n"
		"are checked, and the file appears only when complete and whole.\n"
		"A name may be shortened while it stays unambiguous (bge-small).\n\n"
		"When no model of its kind is configured yet, the pulled model becomes\n"
		"the default (engine.chat_model, engine.embed_model or engine.rerank_model,\n"
		"written to your configuration file); `docent models use NAME` switches.\n\n"
		"Catalogue:\n");
	catalogue_foreach(list_entry, out);
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

/*
 * After a pull: the model becomes the default of its kind when none is
 * configured (from the catalogue's kind, else from the file's metadata).
 */
static int pull_make_default(cli *c, const catalogue_entry *e, const char *dest, int blen,
			     const char *base)
{
	char value[600], kind[32];
	model_info mi;

	snprintf(kind, sizeof kind, "%s", e->kind);
	if (!kind[0] && model_info_read(dest, &mi) == 0)
		snprintf(kind, sizeof kind, "%s", model_info_kind(&mi));
	const char *key = config_model_key(kind);
	if (!key)
		return CLI_OK;
	if (e->name[0])
		snprintf(value, sizeof value, "%s", e->name);
	else
		snprintf(value, sizeof value, "%.*s", blen, base);
	const char *now = config_get(c->cfg, key);
	if (now[0]) {
		if (strcmp(now, value) != 0)
			printf("%s is %s; to use this one instead: docent models use %s\n", key, now,
			       value);
		return CLI_OK;
	}
	return cli_model_default_set(c, key, value);
}

int cmd_pull(cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "sha256", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sha = NULL, *what;
	catalogue_entry e = { 0 };
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
	if (download_sha256_check(sha) != 0)
		return cli_usage(c, "--sha256: %s", docent_error_message());
	if (strstr(what, "://")) {
		snprintf(e.url, sizeof e.url, "%s", what);
	} else {
		if ((rc = catalogue_find(what, &e)) != 0)
			return cli_fail(rc, NULL);
		if (!e.url[0]) {
			fprintf(stderr, "docent: catalogue entry '%s' has no url\n", e.name);
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
	rc = files_mkdirs(dir, 0755);
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
	return pull_make_default(c, &e, dest, (int)blen, base);
}
