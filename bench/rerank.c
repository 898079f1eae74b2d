/*
 * rerank.c - the time to rerank a query's candidate passages with a
 * reranker (reranker.h), the step an answer pays for before the model
 * writes a word.
 *
 *   build/bench/rerank --model SPEC [--passages N] [--tokens N] [--runs N]
 *                      [--threads N] [--context N] [--batch N]
 *
 * Each passage is --tokens words drawn from common English words that are
 * one token each in the BERT vocabulary (so a passage of 256 words is 256
 * tokens with the tiny-rerank and rerank-base models; a SentencePiece model
 * makes about as many), different for each passage; the query is nine
 * such words. Timed: each reranker_rank() call of all the passages (the
 * layout of the pairs, tokenizing, the model, the scores), after one
 * untimed warm-up call. Prints each run and the medians of the wall time
 * and of the process's CPU time (which a busy machine does not inflate).
 */
#include "core/error.h"
#include "engine/reranker.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time of the whole process (all threads): on a shared machine the
 * wall time says more about the neighbours than about the model. */
static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void usage(void)
{
	fprintf(stderr, "usage: rerank --model SPEC [--passages N] [--tokens N] [--runs N] "
		"[--threads N] [--context N] [--batch N]\n");
	exit(2);
}

static int cuts;

static void count_cut(void *ctx, const char *message)
{
	cuts++;
}

int main(int argc, char **argv)
{
	static const char *words[] = {
		"the", "of", "and", "to", "in", "is", "that", "for", "it", "as", "was", "with",
		"be", "by", "on", "not", "this", "are", "at", "from", "which", "or", "have",
		"an", "they", "more", "one", "were", "has", "been", "their", "there", "all",
		"these", "other", "its", "than", "can", "into", "time", "only", "some", "flow",
		"system", "information", "pressure", "data", "surface", "library", "method",
		"theory", "cells", "study", "analysis", "effect", "number", "research",
		"problem", "found", "given", "shown", "between", "case", "present", "used",
		"children", "growth", "increase", "treatment", "water", "blood", "heart",
	};
	const size_t nw = sizeof words / sizeof *words;
	reranker_params p = reranker_default_params();
	size_t npass = 20, ntok = 256;
	int runs = 5;
	reranker *r;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			usage();
		if (!strcmp(a, "--model"))
			p.model = v;
		else if (!strcmp(a, "--passages"))
			npass = strtoul(v, NULL, 10);
		else if (!strcmp(a, "--tokens"))
			ntok = strtoul(v, NULL, 10);
		else if (!strcmp(a, "--runs"))
			runs = atoi(v);
		else if (!strcmp(a, "--threads"))
			p.threads = atoi(v);
		else if (!strcmp(a, "--context"))
			p.context = atoi(v);
		else if (!strcmp(a, "--batch"))
			p.batch_size = strtoul(v, NULL, 10);
		else
			usage();
		i++;
	}
	if (!p.model || npass == 0 || runs <= 0)
		usage();
	p.on_warning = count_cut;

	char **texts = calloc(npass, sizeof *texts);
	double *scores = calloc(npass, sizeof *scores), *times = calloc((size_t)runs, sizeof *times);
	double *cpus = calloc((size_t)runs, sizeof *cpus);
	uint64_t rng = 0x9e3779b97f4a7c15ull;
	if (!texts || !scores || !times || !cpus)
		return 1;
	for (size_t i = 0; i < npass; i++) {
		size_t len = 0;
		if (!(texts[i] = malloc(ntok * 16 + 1)))
			return 1;
		texts[i][0] = '\0';
		for (size_t w = 0; w < ntok; w++) {
			rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
			len += (size_t)sprintf(texts[i] + len, "%s%s", w ? " " : "",
					       words[rng % nw]);
		}
	}
	const char *query = "what is the effect of the treatment on growth";

	double t0 = now_s();
	if (reranker_open(&r, &p)) {
		fprintf(stderr, "rerank: %s\n", docent_error_message());
		return 1;
	}
	double t_open = now_s() - t0;
	if (reranker_rank(r, query, (const char *const *)texts, npass, scores)) {
		fprintf(stderr, "rerank: %s\n", docent_error_message());
		return 1;
	}
	for (int k = 0; k < runs; k++) {
		double c0 = cpu_s();
		t0 = now_s();
		if (reranker_rank(r, query, (const char *const *)texts, npass, scores)) {
			fprintf(stderr, "rerank: %s\n", docent_error_message());
			return 1;
		}
		times[k] = now_s() - t0;
		cpus[k] = cpu_s() - c0;
		printf("run %d: %.1f ms for %zu passages (%.1f ms each), %.1f s of CPU\n", k + 1,
		       times[k] * 1e3, npass, times[k] * 1e3 / (double)npass, cpus[k]);
	}
	qsort(times, (size_t)runs, sizeof *times, cmp_double);
	qsort(cpus, (size_t)runs, sizeof *cpus, cmp_double);
	double med = times[runs / 2];
	printf("model %s: opened in %.0f ms, context %zu tokens\n", reranker_model_id(r),
	       t_open * 1e3, reranker_max_tokens(r));
	printf("median: %.1f ms to rerank %zu passages of %zu tokens (%.1f pairs/s, "
	       "%.0f passage tokens/s)%s\n", med * 1e3, npass, ntok, (double)npass / med,
	       (double)(npass * ntok) / med, cuts ? " (some passages were cut to fit)" : "");
	printf("median CPU time: %.2f s (%.0f passage tokens per CPU second)\n", cpus[runs / 2],
	       (double)(npass * ntok) / cpus[runs / 2]);
	reranker_free(r);
	for (size_t i = 0; i < npass; i++)
		free(texts[i]);
	free(texts);
	free(scores);
	free(times);
	free(cpus);
	return 0;
}
