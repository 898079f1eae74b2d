/*
 * cmd_reindex.c - `docent reindex`: brings each collection's vectors up to
 * date. With the configured embedding model it embeds the chunks that have
 * no vector (all of them when the collection was embedded by another model,
 * whose vectors are dropped first); in every case it rebuilds the FAISS
 * index from the vectors in the database.
 */
#include "cli/cli.h"
#include "cli/progress.h"
#include "core/error.h"
#include "index/vecset.h"
#include "ingest/embed.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void help_reindex(FILE *out)
{
	fprintf(out,
		"Usage: docent reindex [OPTIONS]\n\n"
		"Rebuilds each collection's vector index from the vectors in the database,\n"
		"and with an embedding model set (engine.embed_model or DOCENT_EMBED_MODEL)\n"
		"embeds every chunk that has no vector yet. A collection embedded by another\n"
		"model is embedded again from scratch with the configured one: this is how\n"
		"to switch models. Safe to stop (Ctrl-C) and run again.\n\n"
		"Options:\n"
		"  -c, --collection NAME   only this collection (default: all)\n"
		"  -q, --quiet             no progress bar\n"
		"      --json              print the result as JSON\n");
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void on_progress(void *ctx, const embed_progress *p)
{
	progress_draw_count(ctx, p->chunks_done, p->chunks_total, "chunks", p->seconds,
			    "embedding", 0);
}

/* One collection: what was done, for the report. */
typedef struct outcome {
	const char *action;   /* "rebuilt", "embedded", "re-embedded", "skipped" */
	char model[256];
	embed_summary sum;
	double seconds;
} outcome;

static int reindex_one(store *st, const store_collection *col, embedder *emb,
		       const vindex_params *vp, progress *bar, outcome *o)
{
	char *model = NULL;
	int dim, rc;
	vecset *vs = NULL;
	double t0 = now_s();

	memset(o, 0, sizeof *o);
	if ((rc = store_collection_model(st, col->id, &model, &dim)) != 0)
		return rc;
	snprintf(o->model, sizeof o->model, "%s", model ? model : "");
	if (!emb && !model) {
		o->action = "skipped";
		return 0;
	}
	o->action = "rebuilt";
	if (emb && (!model || strcmp(model, embedder_model_id(emb)) != 0)) {
		/* a new model: its vectors replace the old ones */
		o->action = model ? "re-embedded" : "embedded";
		if ((rc = store_embeddings_clear(st, col->id)) != 0 ||
		    (rc = vecset_remove_file(st, col->id)) != 0 ||
		    (rc = store_collection_set_model(st, col->id, embedder_model_id(emb),
						     embedder_dim(emb))) != 0)
			goto done;
		snprintf(o->model, sizeof o->model, "%s", embedder_model_id(emb));
	}
	if ((rc = vecset_open(&vs, st, col->id, vp, &o->sum.rebuilt)) != 0)
		goto done;
	if (!o->sum.rebuilt && (rc = vecset_rebuild(vs)) != 0)
		goto done;
	if (emb) {
		embed_params ep = embed_default_params();
		ep.vectors = *vp;
		ep.on_progress = on_progress;
		ep.ctx = bar;
		ep.cancel = cli_interrupt_flag();
		rc = embed_collection(st, col->id, emb, vs, &ep, &o->sum);
	} else {
		o->sum.vectors = vecset_count(vs);
		snprintf(o->sum.index, sizeof o->sum.index, "%s", vecset_describe(vs));
	}
done:
	progress_clear(bar);
	vecset_close(vs);
	free(model);
	o->seconds = now_s() - t0;
	return rc;
}

int cmd_reindex(cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "collection", required_argument, NULL, 'c' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'J' },
		{ NULL, 0, NULL, 0 },
	};
	const char *collection = NULL;
	int opt, json = 0, quiet = 0, status = CLI_OK, rc = 0;
	store_collection *cols = NULL;
	size_t ncols = 0;
	vindex_params vp;
	progress bar;
	embedder *emb = NULL;
	json_t *arr = NULL;
	store *st;

	while ((opt = getopt_long(argc, argv, "c:q", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': collection = optarg; break;
		case 'q': quiet = 1; break;
		case 'J': json = 1; break;
		default: return cli_usage(c, "unknown option");
		}
	}
	if (optind < argc)
		return cli_usage(c, "reindex takes no arguments (got '%s')", argv[optind]);
	if (!(st = cli_store_collection(c, collection)))
		return CLI_FAIL;
	emb = cli_embedder(c, &status);
	if (status)
		return status;
	config_vindex_params(c->cfg, &vp);
	if ((rc = store_collection_list(st, &cols, &ncols)) != 0) {
		embedder_free(emb);
		return cli_fail(rc, NULL);
	}
	if (!emb && !json)
		printf("No embedding model is set (engine.embed_model or DOCENT_EMBED_MODEL): "
		       "rebuilding the vector indexes from stored vectors only.\n");
	progress_init(&bar, quiet || json);
	arr = json ? json_array() : NULL;
	cli_interrupt_catch();
	for (size_t i = 0; i < ncols && rc == 0; i++) {
		outcome o;
		if (collection && strcmp(cols[i].name, collection) != 0)
			continue;
		rc = reindex_one(st, &cols[i], emb, &vp, &bar, &o);
		if (json) {
			json_array_append_new(arr, json_pack(
				"{s:s, s:s, s:s, s:I, s:I, s:s, s:f}", "collection", cols[i].name,
				"action", o.action, "model", o.model,
				"embedded", (json_int_t)o.sum.embedded,
				"vectors", (json_int_t)o.sum.vectors, "index", o.sum.index,
				"seconds", o.seconds));
		} else if (strcmp(o.action, "skipped") == 0) {
			printf("%s: no vectors (no embedding model set), skipped\n", cols[i].name);
		} else {
			printf("%s: %s with %s in %.1f s: %llu chunks embedded, %llu vectors (%s)\n",
			       cols[i].name, o.action, o.model, o.seconds,
			       (unsigned long long)o.sum.embedded, (unsigned long long)o.sum.vectors,
			       o.sum.index);
		}
	}
	cli_interrupt_release();
	progress_end(&bar);
	if (json)
		cli_print_json(arr);
	if (rc)
		status = cli_fail(rc, "reindex stopped");
	store_collection_list_free(cols, ncols);
	embedder_free(emb);
	return status;
}
