/*
 * generate.c - prompt processing and generation speed of a generator
 * (generator.h), measured like llama.cpp's llama-bench pp512 and tg128.
 *
 *   build/bench/generate --model PATH [--threads N] [--prompt-tokens N]
 *                        [--gen-tokens N] [--runs N] [--context N] [--greedy]
 *
 * Prompt processing: a raw prompt (generator_complete, no template) of
 * exactly --prompt-tokens tokens with max_tokens 1; the call's whole time
 * (tokenizing, decoding the prompt, sampling one token) is the time to
 * first token, and prompt tokens / that time the rate. Generation: a
 * one-token prompt, then --gen-tokens + 1 tokens sampled; the rate is
 * taken between the first and the last piece, so it covers --gen-tokens
 * steps of decoding one token and sampling the next. The sampler is
 * docent's default chain (repetition penalty, top-k, top-p, min-p,
 * temperature, seeded draw), or greedy with --greedy. The context is
 * docent's default (the model's, at most 8192 tokens) unless --context.
 *
 * The generator keeps the previous call's prompt in its cache; a call on a
 * prompt that differs from the first token on comes before each timed one,
 * so nothing is reused. One untimed warm-up of each kind; prints each run
 * and the medians.
 */
#include "core/buf.h"
#include "core/error.h"
#include "engine/generator.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *words[] = {
	"the", "of", "and", "to", "in", "is", "that", "for", "it", "as", "was", "with",
	"be", "by", "on", "not", "this", "are", "at", "from", "which", "or", "have",
	"an", "they", "more", "one", "were", "has", "been", "their", "there", "all",
};

static void die(const char *what)
{
	fprintf(stderr, "generate: %s: %s\n", what, docent_error_message());
	exit(1);
}

static void usage(void)
{
	fprintf(stderr, "usage: generate --model PATH [--threads N] [--prompt-tokens N] "
		"[--gen-tokens N] [--runs N] [--context N] [--greedy]\n");
	exit(2);
}

static long number(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (end == s || *end || v < 1)
		usage();
	return v;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* "The of and to ..." with nwords words: about one token a word. */
static void make_prompt(dbuf *b, int nwords)
{
	dbuf_reset(b);
	if (dbuf_puts(b, "The"))
		exit(1);
	for (int i = 1; i < nwords; i++)
		if (dbuf_printf(b, " %s", words[i % (sizeof words / sizeof *words)]))
			exit(1);
}

/* Leaves one token in the cache that no measured prompt starts with. */
static void flush_cache(generator *g, const gen_options *o)
{
	gen_options one = *o;
	gen_result res;

	one.max_tokens = 1;
	if (generator_complete(g, "Hello", &one, NULL, NULL, &res))
		die("generator_complete");
}

int main(int argc, char **argv)
{
	generator_params gp = generator_default_params();
	gen_options o = gen_default_options();
	int prompt_tokens = 512, gen_tokens = 128, runs = 5;
	gen_result res;
	dbuf prompt = {0};
	generator *g;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--greedy")) {
			o.temperature = 0;
			continue;
		}
		if (!v)
			usage();
		if (!strcmp(a, "--model"))
			gp.model = v;
		else if (!strcmp(a, "--threads"))
			gp.threads = (int)number(v);
		else if (!strcmp(a, "--prompt-tokens"))
			prompt_tokens = (int)number(v);
		else if (!strcmp(a, "--gen-tokens"))
			gen_tokens = (int)number(v);
		else if (!strcmp(a, "--runs"))
			runs = (int)number(v);
		else if (!strcmp(a, "--context"))
			gp.context = (int)number(v);
		else
			usage();
		i++;
	}
	if (!gp.model)
		usage();
	o.seed = 42;
	if (generator_open(&g, &gp))
		die(gp.model);

	/* Words make about one token each: a few trial calls find the count
	 * that makes exactly prompt_tokens (the warm-up, too). */
	int nwords = prompt_tokens;
	gen_options one = o;
	one.max_tokens = 1;
	for (int tries = 0;; tries++) {
		make_prompt(&prompt, nwords);
		flush_cache(g, &o);
		if (generator_complete(g, prompt.data, &one, NULL, NULL, &res))
			die("generator_complete");
		if (res.prompt_tokens == prompt_tokens || tries == 5)
			break;
		nwords += prompt_tokens - res.prompt_tokens;
	}
	printf("generate: %s, prompt %d tokens, %d generated, threads %d (0: all cores), %s "
	       "sampling\n",
	       generator_model_id(g), res.prompt_tokens, gen_tokens, gp.threads,
	       o.temperature > 0 ? "default" : "greedy");

	double *pp = malloc((size_t)runs * sizeof *pp), *ttft = malloc((size_t)runs * sizeof *ttft);
	double *tg = malloc((size_t)runs * sizeof *tg);
	if (!pp || !ttft || !tg)
		return 1;
	for (int r = 0; r < runs; r++) {
		flush_cache(g, &o);
		if (generator_complete(g, prompt.data, &one, NULL, NULL, &res))
			die("generator_complete");
		ttft[r] = res.total_ms;
		pp[r] = res.prompt_tokens / (res.total_ms / 1000);
		printf("prompt run %d: %d tokens, time to first token %.1f ms, %.2f tokens/s\n",
		       r + 1, res.prompt_tokens, ttft[r], pp[r]);
	}

	gen_options gen = o;
	gen.max_tokens = gen_tokens + 1;
	flush_cache(g, &o);
	one.max_tokens = 2;
	if (generator_complete(g, "The", &one, NULL, NULL, &res))  /* warm-up */
		die("generator_complete");
	for (int r = 0; r < runs; r++) {
		flush_cache(g, &o);
		if (generator_complete(g, "The", &gen, NULL, NULL, &res))
			die("generator_complete");
		int steps = res.completion_tokens - 1;
		tg[r] = steps > 0 ? steps / ((res.total_ms - res.first_token_ms) / 1000) : 0;
		printf("generation run %d: %d tokens in %.1f ms, %.2f tokens/s\n", r + 1, steps,
		       res.total_ms - res.first_token_ms, tg[r]);
	}
	printf("median: time to first token %.1f ms, prompt %.2f tokens/s, generation %.2f "
	       "tokens/s\n", median(ttft, runs), median(pp, runs), median(tg, runs));

	free(pp);
	free(ttft);
	free(tg);
	dbuf_free(&prompt);
	generator_free(g);
	return 0;
}
