/*
 * cmd_summarize.c - `docent summarize`: a summary of one document, or of
 * what the documents say about a topic (--query), written by the language
 * model (map-reduce, rag/summarize.h) or, with no model, made of the most
 * central sentences. Parts already summarized come from the cache.
 */
#include "cli/cli.h"
#include "rag/prompt.h"
#include "core/error.h"
#include "config/models.h"
#include "ingest/walk.h"
#include "rag/answer_json.h"
#include "rag/summarize.h"

#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* the context of a server's model, which docent cannot ask: what most serve */
#define HTTP_CONTEXT 4096

void help_summarize(FILE *out)
{
	fprintf(out,
		"Usage: docent summarize [OPTIONS] DOC\n"
		"       docent summarize [OPTIONS] --query TOPIC\n\n"
		"Summarizes a document (DOC: its id from `docent docs`, or its path), or\n"
		"with --query what the documents say about TOPIC. The summary cites the\n"
		"pages or sections it comes from, e.g. (p. 3-4) or (\xC2\xA7 Budget).\n\n"
		"With a language model (engine.chat_model, or --model), long documents\n"
		"are summarized part by part, then the parts are combined; parts already\n"
		"summarized by the same model are taken from the cache, so summarizing\n"
		"again after an edit redoes only what changed. Without a model the\n"
		"summary is extractive: the document's most central sentences.\n\n"
		"Options:\n"
		"  -l, --length LEN        short, medium (default) or long\n"
		"  -m, --model SPEC        the language model, overriding the configuration\n"
		"  -c, --collection NAME   the collection of DOC, or the one to search\n"
		"  -q, --query TOPIC       summarize what the documents say about TOPIC\n"
		"      --extractive        pick sentences even when a model is configured\n"
		"      --no-stream         print the summary once it is complete\n"
		"      --no-cache          neither read nor write cached parts\n"
		"      --json              the summary, its parts, references and timings as JSON\n\n"
		"Prompt templates: config/prompts/summarize_map.txt and summarize_reduce.txt\n"
		"are built in; a file of the same name in the prompts folder\n"
		"(answer.prompts_dir, default ~/.config/docent/prompts) replaces each.\n\n"
		"Ctrl-C stops at once (exit status 130); finished parts stay cached.\n");
}

static size_t count_with_model(void *ctx, const char *text, size_t n)
{
	return generator_count_tokens(ctx, text, n);
}

/* ---- Ctrl-C: the flag stops the summary at the next piece of text; a
 * model still reading a long prompt gives no piece for seconds, so one
 * second later the process ends (cached parts are committed). */

static volatile sig_atomic_t stop_flag;
static volatile int stop_int;

static void on_alarm(int sig)
{
	(void)sig;
	static const char nl[] = "\n";
	if (write(STDOUT_FILENO, nl, 1) < 0)
		_exit(130);
	_exit(130);
}

static void on_interrupt(int sig)
{
	(void)sig;
	stop_flag = 1;
	stop_int = 1;
	signal(SIGALRM, on_alarm);
	alarm(1);
}

typedef struct out_ctx {
	int stream;
	int held_c2; /* cli_put_text's */
} out_ctx;

static int on_piece(void *ctx, const char *piece, size_t n)
{
	out_ctx *o = ctx;

	if (o->stream) {
		cli_put_text(stdout, piece, n, &o->held_c2);
		fflush(stdout);
	}
	return stop_int != 0;
}

static void on_progress(void *ctx, int done, int total, int cached)
{
	(void)ctx;
	(void)cached;
	if (isatty(STDERR_FILENO) && total > 1)
		fprintf(stderr, "\rsummarizing: part %d of %d...\033[K", done + 1, total);
}

int cmd_summarize(cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "length", required_argument, NULL, 'l' },
		{ "model", required_argument, NULL, 'm' },
		{ "collection", required_argument, NULL, 'c' },
		{ "query", required_argument, NULL, 'q' },
		{ "extractive", no_argument, NULL, 'E' },
		{ "no-stream", no_argument, NULL, 'S' },
		{ "no-cache", no_argument, NULL, 'N' },
		{ "json", no_argument, NULL, 'J' },
		{ NULL, 0, NULL, 0 },
	};
	summarize_params sp = summarize_default_params();
	generator_params gp;
	const char *collection = NULL, *topic = NULL;
	int opt, rc = 0, json = 0, stream = 1, extractive = 0, status = CLI_FAIL;
	store *st;
	store_doc *d = NULL;
	generator *g = NULL;
	embedder *emb = NULL;
	retriever *r = NULL;
	summarize_result *res = NULL;
	char *full = NULL, *dir = NULL, *map_t = NULL, *reduce_t = NULL, *abs = NULL;
	out_ctx oc = { 0 };

	while ((opt = getopt_long(argc, argv, "l:m:c:q:", opts, NULL)) != -1) {
		switch (opt) {
		case 'l': {
			int l = summarize_length_parse(optarg);
			if (l < 0)
				return cli_usage(c, "--length is short, medium or long, not '%s'", optarg);
			sp.length = (summarize_length)l;
			break;
		}
		case 'm':
			if ((rc = config_set(c->cfg, "engine.chat_model", optarg, CONFIG_FLAG,
					     "--model")) != 0) {
				fprintf(stderr, "docent summarize: %s\n", docent_error_message());
				return CLI_USAGE;
			}
			break;
		case 'c': collection = optarg; break;
		case 'q': topic = optarg; break;
		case 'E': extractive = 1; break;
		case 'S': stream = 0; break;
		case 'N': sp.use_cache = 0; break;
		case 'J': json = 1; break;
		default: return cli_usage(c, "unknown option");
		}
	}
	if (topic && optind < argc)
		return cli_usage(c, "give a document or --query TOPIC, not both");
	if (!topic && optind >= argc)
		return cli_usage(c, "give a document (its id or path; `docent docs` lists them) "
				 "or --query TOPIC");
	if (optind + 1 < argc)
		return cli_usage(c, "one document at a time");
	if (topic && !*topic)
		return cli_usage(c, "--query needs a topic");
	if (!(st = cli_store_collection(c, collection)))
		return CLI_FAIL;
	if (!topic) {
		const char *key = argv[optind];
		if (key[strspn(key, "0123456789")] != '\0' || !*key) {
			/* a path, as stored: absolute */
			if (!(abs = walk_abspath(key)))
				return cli_fail(DOCENT_ENOMEM, NULL);
			key = abs;
		}
		rc = store_doc_find(st, collection, key, &d);
		free(abs);
		if (rc)
			return cli_fail(rc, NULL);
	}

	config_generator_params(c->cfg, &gp, &sp.gen);
	if (!extractive && gp.model && gp.model[0]) {
		if ((status = cli_model_path(c, gp.model, &full)) != CLI_OK)
			goto done;
		gp.model = full;
		/* the model's window, else what servers commonly give */
		sp.context_tokens = (size_t)config_model_context(c->cfg);
		if (sp.context_tokens == 0)
			sp.context_tokens = HTTP_CONTEXT;
		if ((rc = generator_open(&g, &gp)) != 0) {
			status = cli_fail(rc, NULL);
			goto done;
		}
		if (generator_counts_tokens(g)) { /* parts sized exactly */
			sp.count = count_with_model;
			sp.count_ctx = g;
		}
	}
	/* templates: files in the prompts folder replace the built-in ones */
	if (!(dir = config_prompts_dir(c->cfg))) {
		status = cli_fail(DOCENT_ENOMEM, NULL);
		goto done;
	}
	if ((rc = prompt_load("summarize_map", dir, &map_t, NULL)) != 0 ||
	    (rc = prompt_load("summarize_reduce", dir, &reduce_t, NULL)) != 0) {
		status = cli_fail(rc, NULL);
		goto done;
	}
	sp.map_template = map_t;
	sp.reduce_template = reduce_t;

	oc.stream = stream && !json;
	stop_flag = 0;
	stop_int = 0;
	sp.cancel = &stop_int;
	if (!json) {
		sp.progress = on_progress;
		if (!g)
			printf("Extractive summary (the most central sentences):\n");
		fflush(stdout);
	}
	signal(SIGINT, on_interrupt);
	if (topic) {
		retrieve_params rp;
		vindex_params vp;
		int est = CLI_OK;
		config_retrieve_params(c->cfg, &rp);
		config_vindex_params(c->cfg, &vp);
		vp.mmap = 1;
		rp.search.collection = collection;
		if (rp.mode != RETRIEVE_BM25 && (emb = cli_embedder(c, &est)) == NULL && est) {
			fprintf(stderr, "docent: keyword search only\n");
			rp.mode = RETRIEVE_BM25;
		}
		if ((rc = retriever_open(&r, st, emb, &vp)) == 0)
			rc = summarize_topic(st, r, g, topic, &rp, &sp, on_piece, &oc, &res);
	} else {
		rc = summarize_doc(st, g, d->id, &sp, on_piece, &oc, &res);
	}
	signal(SIGINT, SIG_DFL);
	alarm(0);
	if (!json && isatty(STDERR_FILENO))
		fprintf(stderr, "\r\033[K");
	if (stop_flag || rc == DOCENT_ECANCELLED) {
		if (oc.stream)
			putchar('\n');
		fprintf(stderr, "docent: stopped\n");
		status = 130;
		goto done;
	}
	if (rc) {
		status = cli_fail(rc, topic ? "summary failed" : d->path);
		goto done;
	}
	if (json) {
		status = cli_print_json(summarize_json(res, d, topic, sp.length));
	} else {
		if (!oc.stream) {
			cli_put_text(stdout, res->text, strlen(res->text), &oc.held_c2);
			putchar('\n');
		}
		if (!g)
			fprintf(stderr, "docent: for a written summary set up a language model: "
				"`docent models pull qwen2.5-0.5b-instruct`, then set "
				"engine.chat_model (see `docent models`)\n");
		else
			fprintf(stderr, "docent: %s: %zu part%s (%d cached), %d model call%s, "
				"%.1f s\n", res->model, res->nsections, res->nsections == 1 ? "" : "s",
				res->cached_parts, res->calls, res->calls == 1 ? "" : "s",
				res->total_ms / 1000);
		status = CLI_OK;
	}
done:
	summarize_result_free(res);
	retriever_close(r);
	embedder_free(emb);
	generator_free(g);
	store_doc_list_free(d, d ? 1 : 0);
	free(full);
	free(dir);
	free(map_t);
	free(reduce_t);
	return status;
}
