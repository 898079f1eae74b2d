/*
 * cmd_ingest.c - `docent ingest`: runs the ingestion pipeline with a
 * progress bar on a terminal and prints a short summary: the counts, then
 * the first few files of each kind that was skipped, stored as a duplicate
 * or failed (one line each; -v lists them all), the failures on stderr.
 * A file that fails again, unchanged since an earlier run, is only
 * counted ("N files still fail"): it was reported then, and it does not
 * make the run fail again.
 */
#include "cli/cli.h"
#include "cli/progress.h"
#include "core/buf.h"
#include "core/error.h"
#include "ingest/ingest.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

void help_ingest(FILE *out)
{
	fprintf(out,
		"Usage: docent ingest [OPTIONS] PATH...\n\n"
		"Adds files and folders (recursively) to a collection. Unchanged files are\n"
		"skipped, changed ones replaced, identical files stored once. Hidden files,\n"
		"symbolic links that leave the folder, and files over the size limit are\n"
		"skipped; files that cannot be read are reported and the rest goes on.\n"
		"Formats: PDF, DOCX, ODT, HTML, Markdown, CSV, plain text and source code.\n"
		"With an embedding model set (engine.embed_model or DOCENT_EMBED_MODEL),\n"
		"the new chunks are then embedded into the collection's vectors, and the\n"
		"model's tokenizer sizes the chunks.\n\n"
		"Options:\n"
		"  -c, --collection NAME   collection to add to (default: ingest.collection)\n"
		"  -x, --exclude GLOB      skip matching files or folders (\"dir/\" for folders);\n"
		"                          repeatable\n"
		"      --max-file-size SZ  skip files larger than SZ (e.g. 50MB)\n"
		"      --hidden            include hidden files and folders\n"
		"      --prune             remove documents whose files no longer exist\n"
		"      --force             re-extract and re-chunk files even when unchanged\n"
		"                          (after changing cleaning, redaction or chunking\n"
		"                          settings); unchanged chunks keep their vectors\n"
		"  -j, --threads N         extraction threads (default: one per core)\n"
		"      --no-embed          do not embed the new chunks now, even with an\n"
		"                          embedding model set (`docent reindex` does it later)\n"
		"  -v, --verbose           one line per file as it is done\n"
		"  -q, --quiet             no progress bar and no summary unless a file failed\n"
		"      --json              print the result as JSON\n\n"
		"Exit status: 0 when every file was ingested or skipped on purpose,\n"
		"1 when any file failed (a file that failed the same way on an earlier\n"
		"run, unchanged since, is only counted: `docent docs --failed` lists\n"
		"them), 2 on a usage error.\n");
}

/* Without -v the summary names this many files of each kind. */
#define SUMMARY_LINES 10

/* The summary lines of one kind: the first SUMMARY_LINES (all with -v),
 * and how many there were. */
typedef struct lines {
	dbuf text;
	size_t n;
} lines;

typedef struct run {
	progress bar;
	int verbose, quiet, json;
	lines dups, skips, fails;  /* summary lines */
	json_t *events;            /* for --json */
} run;

static const char *kind_name(ingest_event_kind k)
{
	switch (k) {
	case INGEST_ADDED: return "added";
	case INGEST_UPDATED: return "updated";
	case INGEST_UNCHANGED: return "unchanged";
	case INGEST_DUPLICATE: return "duplicate";
	case INGEST_SKIPPED: return "skipped";
	case INGEST_FAILED: return "failed";
	case INGEST_PRUNED: return "pruned";
	case INGEST_STILL_FAILED: return "still failed";
	}
	return "?";
}

/* Appends "  PATH: detail\n" with the path escaped to one line; past
 * SUMMARY_LINES (without -v) only counts it. */
static void add_line(const run *r, lines *l, const char *path, const char *detail)
{
	dbuf *b = &l->text;

	if (l->n++ >= SUMMARY_LINES && !r->verbose)
		return;
	dbuf_puts(b, "  ");
	for (const char *p = path; *p; p++) {
		unsigned char ch = (unsigned char)*p;
		if (ch == '\n')
			dbuf_puts(b, "\\n");
		else if (ch < 0x20 || ch == 0x7F)
			dbuf_printf(b, "\\x%02x", ch);
		else
			dbuf_putc(b, (char)ch);
	}
	if (detail)
		dbuf_printf(b, ": %s", detail);
	dbuf_putc(b, '\n');
}

static void on_event(void *ctx, const ingest_event *e)
{
	run *r = ctx;

	if (r->json) {
		if (e->kind != INGEST_UNCHANGED) {
			json_t *o = json_object();
			json_object_set_new(o, "event", json_string(kind_name(e->kind)));
			jsontext_set_path(o, "path", e->path);
			if (e->detail)
				json_object_set_new(o, e->kind == INGEST_DUPLICATE ? "duplicate_of" :
						    "message", jsontext_new(e->detail));
			if (e->format)
				json_object_set_new(o, "format", json_string(e->format));
			if (e->nchunks)
				json_object_set_new(o, "chunks", json_integer((json_int_t)e->nchunks));
			json_array_append_new(r->events, o);
		}
		return;
	}
	switch (e->kind) {
	case INGEST_DUPLICATE: {
		dbuf d = DBUF_INIT;
		dbuf_printf(&d, "same content as %s", e->detail);
		add_line(r, &r->dups, e->path, d.data);
		dbuf_free(&d);
		break;
	}
	case INGEST_SKIPPED: add_line(r, &r->skips, e->path, e->detail); break;
	case INGEST_FAILED: add_line(r, &r->fails, e->path, e->detail); break;
	default: break;
	}
	if (r->verbose) {
		progress_clear(&r->bar);
		printf("%-9s ", kind_name(e->kind));
		cli_put_path(stdout, e->path);
		if (e->format)
			printf(" (%s, %zu chunks)", e->format, e->nchunks);
		else if (e->detail && e->kind != INGEST_UNCHANGED)
			printf(": %s", e->detail);
		putchar('\n');
		fflush(stdout);
	}
}

static void on_progress(void *ctx, const ingest_progress *p)
{
	run *r = ctx;
	progress_draw(&r->bar, p->files_done, p->files_total, p->bytes_done, p->bytes_total,
		      p->seconds, p->current, 0);
}

static void on_embed_progress(void *ctx, const embed_progress *p)
{
	run *r = ctx;
	progress_draw_count(&r->bar, p->chunks_done, p->chunks_total, "chunks", p->seconds,
			    "embedding", 0);
}

static void print_embed_summary(const embed_summary *e, const char *model)
{
	if (e->rebuilt)
		printf("  the vector index was %s and was rebuilt from the database\n",
		       e->rebuilt == 2 ? "damaged" : "out of date");
	if (e->embedded)
		printf("Embedded %llu chunks with %s in %.1f s (%.1f chunks/s, %.0f tokens/s)\n",
		       (unsigned long long)e->embedded, model, e->seconds,
		       e->seconds > 0 ? e->embedded / e->seconds : 0,
		       e->seconds > 0 ? e->tokens / e->seconds : 0);
	printf("  vector index: %llu vectors, %s\n", (unsigned long long)e->vectors, e->index);
}

/* Prints TITLE and the lines, then how many were not shown (MORE adds
 * where else to find them). */
static void print_lines(const run *r, FILE *out, const char *title, const lines *l,
			const char *more)
{
	if (!l->n)
		return;
	fprintf(out, "%s\n%s", title, l->text.data ? l->text.data : "");
	if (!r->verbose && l->n > SUMMARY_LINES)
		fprintf(out, "  ... and %zu more (-v lists every file%s)\n", l->n - SUMMARY_LINES,
			more);
}

static void print_summary(run *r, const char *collection, const ingest_summary *s)
{
	char size[32];

	printf("Ingested into collection \"%s\" in %.1f s: %llu files, %s read",
	       collection, s->seconds - s->embed.seconds, (unsigned long long)s->files,
	       cli_size((double)s->bytes, size, sizeof size));
	double text_seconds = s->seconds - s->embed.seconds;
	if (text_seconds > 0 && s->bytes > 0)
		printf(" (%.1f MB/s)", s->bytes / 1e6 / text_seconds);
	printf("\n  %llu added, %llu updated, %llu unchanged, %llu duplicate, %llu skipped, "
	       "%llu failed", (unsigned long long)s->added, (unsigned long long)s->updated,
	       (unsigned long long)s->unchanged, (unsigned long long)s->duplicates,
	       (unsigned long long)s->skipped, (unsigned long long)s->failed);
	if (s->pruned)
		printf(", %llu pruned", (unsigned long long)s->pruned);
	printf("; %llu chunks written", (unsigned long long)s->chunks);
	if (s->chunks_kept)
		printf(", %llu unchanged kept (with their vectors)",
		       (unsigned long long)s->chunks_kept);
	putchar('\n');
	if (s->vanished)
		printf("  %llu file%s ingested before %s gone; `docent ingest --prune` with the "
		       "same paths removes %s\n", (unsigned long long)s->vanished,
		       s->vanished == 1 ? "" : "s", s->vanished == 1 ? "is" : "are",
		       s->vanished == 1 ? "it" : "them");
	if (s->still_failed)
		printf("  %llu file%s still fail%s as on an earlier run (`docent docs --failed` "
		       "lists %s)\n", (unsigned long long)s->still_failed,
		       s->still_failed == 1 ? "" : "s", s->still_failed == 1 ? "s" : "",
		       s->still_failed == 1 ? "it" : "them");
	print_lines(r, stdout, "Stored once (identical content):", &r->dups, "");
	print_lines(r, stdout, "Skipped:", &r->skips, "");
	fflush(stdout);
	/* failures on stderr, where a script that keeps stdout still sees them */
	print_lines(r, stderr, "Failed:", &r->fails, "; `docent docs --failed` too");
}

int cmd_ingest(cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "collection", required_argument, NULL, 'c' },
		{ "exclude", required_argument, NULL, 'x' },
		{ "max-file-size", required_argument, NULL, 'M' },
		{ "hidden", no_argument, NULL, 'H' },
		{ "prune", no_argument, NULL, 'P' },
		{ "force", no_argument, NULL, 'F' },
		{ "threads", required_argument, NULL, 'j' },
		{ "no-embed", no_argument, NULL, 'E' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'J' },
		{ NULL, 0, NULL, 0 },
	};
	run r = { 0 };
	ingest_params p;
	ingest_summary sum;
	const char **excl = NULL;
	const char *size_flag = NULL;
	size_t nexcl = 0;
	store *st;
	embedder *emb = NULL;
	int opt, rc, status, prune = 0, force = 0, no_embed = 0;

	while ((opt = getopt_long(argc, argv, "c:x:j:vq", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': rc = config_set(c->cfg, "ingest.collection", optarg, CONFIG_FLAG, "--collection"); break;
		case 'M':
			rc = config_set(c->cfg, "ingest.max_file_size", optarg, CONFIG_FLAG, "--max-file-size");
			size_flag = optarg;
			break;
		case 'H': rc = config_set(c->cfg, "ingest.include_hidden", "true", CONFIG_FLAG, "--hidden"); break;
		case 'j': rc = config_set(c->cfg, "ingest.threads", optarg, CONFIG_FLAG, "--threads"); break;
		case 'x': {
			const char **e = realloc(excl, (nexcl + 1) * sizeof *e);
			if (!e)
				return cli_fail(DOCENT_ENOMEM, NULL);
			excl = e;
			excl[nexcl++] = optarg;
			rc = 0;
			break;
		}
		case 'P': prune = 1; rc = 0; break;
		case 'F': force = 1; rc = 0; break;
		case 'E': no_embed = 1; rc = 0; break;
		case 'v': r.verbose = 1; rc = 0; break;
		case 'q': r.quiet = 1; rc = 0; break;
		case 'J': r.json = 1; rc = 0; break;
		default: free(excl); return cli_usage(c, "unknown option");
		}
		if (rc) {
			free(excl);
			fprintf(stderr, "docent ingest: %s\n", docent_error_message());
			return CLI_USAGE;
		}
	}
	if (optind >= argc) {
		free(excl);
		return cli_usage(c, "give at least one file or folder to ingest");
	}
	/* "" would resolve to the current folder: a variable left empty in a
	 * script must not ingest whatever folder the script runs in */
	for (int i = optind; i < argc; i++)
		if (!argv[i][0]) {
			free(excl);
			return cli_usage(c, "an empty path; give a file or folder (\".\" for "
					 "the current folder)");
		}
	config_ingest_params(c->cfg, &p);
	/* the size limit named as the user set it, in the skip message */
	char size_setting[256];
	if (size_flag)
		snprintf(size_setting, sizeof size_setting, "--max-file-size %s", size_flag);
	else
		snprintf(size_setting, sizeof size_setting, "ingest.max_file_size = %s",
			 config_get(c->cfg, "ingest.max_file_size"));
	p.walk.size_setting = size_setting;
	p.prune = prune;
	p.force = force;
	{
		/* a bad redaction setting stops the run before anything is read */
		cleaner *cl = NULL;
		int crc = cleaner_new(&cl, &p.clean);
		cleaner_free(cl);
		if (crc) {
			free(excl);
			fprintf(stderr, "docent ingest: %s\n", docent_error_message());
			return CLI_USAGE;
		}
	}
	if (nexcl) {
		/* flags add to the configured patterns */
		const char **all = calloc(p.walk.nexclude + nexcl, sizeof *all);
		if (!all) {
			free(excl);
			return cli_fail(DOCENT_ENOMEM, NULL);
		}
		for (size_t i = 0; i < p.walk.nexclude; i++)
			all[i] = p.walk.exclude[i];
		for (size_t i = 0; i < nexcl; i++)
			all[p.walk.nexclude + i] = excl[i];
		free(excl);
		excl = all;
		p.walk.exclude = all;
		p.walk.nexclude += nexcl;
	}
	st = cli_store(c, 1);
	if (!st) {
		free(excl);
		return CLI_FAIL;
	}
	if (!no_embed) {
		emb = cli_embedder(c, &status);
		if (status) {
			/* the text can go in without vectors meanwhile */
			fprintf(stderr, "docent: to ingest without vectors for now, add --no-embed "
				"(`docent reindex` embeds them later), or set engine.embed_model "
				"(DOCENT_EMBED_MODEL) to a working model\n");
			free(excl);
			return status;
		}
	}
	if (emb) {
		p.embedder = emb;
		p.chunk.counter = embedder_token_counter(emb);
		p.embed.on_progress = on_embed_progress;
		p.embed.ctx = &r;
	}
	config_vindex_params(c->cfg, &p.embed.vectors);
	progress_init(&r.bar, r.quiet || r.verbose || r.json);
	r.events = r.json ? json_array() : NULL;
	p.on_event = on_event;
	p.on_progress = on_progress;
	p.ctx = &r;
	p.cancel = cli_interrupt_flag();
	cli_interrupt_catch();

	rc = ingest_run(st, (const char *const *)argv + optind, (size_t)(argc - optind), &p, &sum);
	progress_end(&r.bar);
	cli_interrupt_release();
	status = rc != 0 || sum.failed ? CLI_FAIL : CLI_OK;
	if (r.json) {
		json_t *o = json_pack("{s:s, s:f, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o}",
			"collection", p.collection, "seconds", sum.seconds,
			"files", (json_int_t)sum.files, "bytes", (json_int_t)sum.bytes,
			"added", (json_int_t)sum.added, "updated", (json_int_t)sum.updated,
			"unchanged", (json_int_t)sum.unchanged, "duplicates", (json_int_t)sum.duplicates,
			"skipped", (json_int_t)sum.skipped, "failed", (json_int_t)sum.failed,
			"still_failed", (json_int_t)sum.still_failed, "vanished", (json_int_t)sum.vanished,
			"pruned", (json_int_t)sum.pruned, "chunks", (json_int_t)sum.chunks,
			"events", r.events);
		if (o)
			json_object_set_new(o, "chunks_kept", json_integer((json_int_t)sum.chunks_kept));
		if (o && emb)
			json_object_set_new(o, "embedding", json_pack(
				"{s:s, s:I, s:I, s:f, s:I, s:s, s:b}", "model", embedder_model_id(emb),
				"chunks", (json_int_t)sum.embed.embedded,
				"tokens", (json_int_t)sum.embed.tokens, "seconds", sum.embed.seconds,
				"vectors", (json_int_t)sum.embed.vectors, "index", sum.embed.index,
				"rebuilt", sum.embed.rebuilt));
		if (rc && o)
			json_object_set_new(o, "error", json_string(docent_error_message()));
		cli_print_json(o);
	} else if (!r.quiet || sum.failed || rc) {
		print_summary(&r, p.collection, &sum);
		if (emb && (sum.embed.embedded || sum.embed.vectors || sum.embed.rebuilt))
			print_embed_summary(&sum.embed, embedder_model_id(emb));
	}
	if (rc)
		cli_fail(rc, "ingest stopped");
	dbuf_free(&r.dups.text);
	dbuf_free(&r.skips.text);
	dbuf_free(&r.fails.text);
	free(excl);
	embedder_free(emb);
	return status;
}
