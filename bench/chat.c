/*
 * chat.c - what reusing the model's cache saves on a follow-up question
 * (rag/chat.h): a three-turn conversation answered twice by the in-process
 * model, once as docent chat runs it (each turn's prompt begins with the
 * previous call's tokens, so only the new turn is decoded) and once with
 * the cache emptied before every answer (the whole history decoded again).
 *
 *   build/bench/chat --db PATH --model PATH [--threads N] [--context N]
 *                    [--answer-tokens N]
 *
 * PATH is a docent database holding the example documents, e.g.
 *   DOCENT_HOME=/tmp/bench-chat build/docent ingest --no-embed examples
 *   build/bench/chat --db /tmp/bench-chat/docent.db --model MODEL.gguf
 * The queries are fixed (rewritten without the model), so both runs read
 * the same passages; nothing is stored. Prints, per turn, the prompt's
 * tokens, those reused from the cache, and the time to the first token.
 */
#include "core/error.h"
#include "engine/generator.h"
#include "index/store.h"
#include "rag/answer.h"
#include "rag/chat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *questions[] = {
	"how many days of parental leave do employees get?",
	"and for fathers?",
	"can it be split into parts?",
};
#define NQ (sizeof questions / sizeof questions[0])

static void die(const char *what)
{
	fprintf(stderr, "chat: %s: %s\n", what, docent_error_message());
	exit(1);
}

static void usage(void)
{
	fprintf(stderr, "usage: chat --db PATH --model PATH [--threads N] [--context N] "
		"[--answer-tokens N]\n");
	exit(2);
}

static int discard(void *ctx, const char *piece, size_t n)
{
	(void)ctx; (void)piece; (void)n;
	return 0;
}

/* Fills the cache with an unrelated prompt, so the next call shares nothing. */
static void flush_cache(generator *g)
{
	gen_options o = gen_default_options();
	gen_result r;
	o.max_tokens = 1;
	if (generator_complete(g, "Unrelated text to empty the cache.", &o, discard, NULL, &r))
		die("flushing the cache");
}

static void run(store *st, generator *g, const chat_params *p, int cold, double *ttft)
{
	answerer *a;
	chat *c;
	char *prev = NULL;

	if (answerer_open(&a, st, NULL, g, NULL) || chat_open(&c, st, a, g, p))
		die("opening the chat");
	printf("%s\n", cold ? "cache emptied before each answer:" :
	       "as docent chat runs (prefix reused):");
	for (size_t i = 0; i < NQ; i++) {
		answer_result r;
		char *q;
		if (chat_rewrite_terms(prev, questions[i], &q))
			die("rewriting");
		if (cold)
			flush_cache(g);
		if (chat_ask(c, questions[i], q, NULL, NULL, &r))
			die("answering");
		printf("  turn %zu  %-12s prompt %5d tokens  reused %5d  first token %8.0f ms\n",
		       i + 1, answer_mode_name(r.mode), r.prompt_tokens, r.cached_tokens,
		       r.timings.first_token_ms);
		ttft[i] = r.timings.first_token_ms;
		answer_result_free(&r);
		free(prev);
		prev = q;
	}
	free(prev);
	chat_close(c);
	answerer_close(a);
}

int main(int argc, char **argv)
{
	const char *db = NULL, *model = NULL;
	int threads = 0, context = 4096, answer_tokens = 32;
	store_params sp = store_default_params();
	generator_params gp = generator_default_params();
	chat_params p = chat_default_params();
	store *st;
	generator *g;
	double warm[NQ], cold[NQ];

	for (int i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			usage();
		if (strcmp(argv[i], "--db") == 0)
			db = argv[++i];
		else if (strcmp(argv[i], "--model") == 0)
			model = argv[++i];
		else if (strcmp(argv[i], "--threads") == 0)
			threads = atoi(argv[++i]);
		else if (strcmp(argv[i], "--context") == 0)
			context = atoi(argv[++i]);
		else if (strcmp(argv[i], "--answer-tokens") == 0)
			answer_tokens = atoi(argv[++i]);
		else
			usage();
	}
	if (!db || !model || context < 512 || answer_tokens < 1)
		usage();
	sp.create = 0;
	if (store_open(&st, db, &sp))
		die("opening the database");
	gp.model = model;
	gp.threads = threads;
	gp.context = context;
	if (generator_open(&g, &gp))
		die("opening the model");
	p.persist = 0;
	p.context_tokens = context;
	p.answer.gen.max_tokens = answer_tokens;
	p.answer.gen.seed = 1;
	run(st, g, &p, 0, warm);
	run(st, g, &p, 1, cold);
	printf("follow-ups' first token: reused %.0f ms, cold %.0f ms (%.1f x as fast)\n",
	       warm[1] + warm[2], cold[1] + cold[2],
	       warm[1] + warm[2] > 0 ? (cold[1] + cold[2]) / (warm[1] + warm[2]) : 0);
	generator_free(g);
	store_close(st);
	return 0;
}
