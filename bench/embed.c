/*
 * embed.c - embedding throughput of an embedder (embedder.h), as ingestion
 * would drive it: documents chunked with the model's own token counter,
 * then the chunks embedded a batch at a time.
 *
 *   build/bench/embed --model PATH [--threads N] [--batch N] [--texts N]
 *                     [--runs N] [--eval-dir DIR] [--write-texts FILE]
 *
 * The corpus is the shared collections' documents (DIR/{cranfield,cisi,med}/
 * docs.jsonl, read at run time), taken in turn from each collection until
 * --texts chunks are made; without them, generated English-like text. Line
 * breaks inside a chunk become spaces (the tokenizer makes no difference),
 * so that --write-texts can hand the very same inputs, one per line, to
 * llama.cpp's llama-embedding (see bench/llama_compare.sh).
 *
 * Timed: every embedder_embed() call of a run (tokenizing, the model,
 * pooling, normalising), after one untimed batch of warm-up. Tokens are
 * counted once with embedder_token_counter(), without the special tokens
 * the model adds around each text. Prints each run and the median.
 */
#include "core/error.h"
#include "engine/embedder.h"
#include "ingest/chunk.h"
#include "ingest/doc.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct corpus {
	char **texts;
	size_t n, cap, limit;
} corpus;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "embed: %s: %s\n", what, docent_error_message());
	exit(1);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Adds text[0..n) with runs of white space made one space. */
static void corpus_add(corpus *c, const char *text, size_t n)
{
	char *s = malloc(n + 1), *o = s;

	if (!s)
		exit(1);
	for (size_t i = 0; i < n; i++) {
		char ch = text[i] == '\n' || text[i] == '\t' || text[i] == '\r' ? ' ' : text[i];
		if (ch == ' ' && (o == s || o[-1] == ' '))
			continue;
		*o++ = ch;
	}
	while (o > s && o[-1] == ' ')
		o--;
	*o = '\0';
	if (o == s) {
		free(s);
		return;
	}
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 1024;
		if (!(c->texts = realloc(c->texts, c->cap * sizeof *c->texts)))
			exit(1);
	}
	c->texts[c->n++] = s;
}

/* Chunks a document (title as a heading, paragraphs split at blank lines)
 * the way ingestion does, and adds its chunks. */
static void add_document(corpus *c, const chunk_params *cp, const char *title, const char *text)
{
	chunk_list chunks = {0};
	doc d;

	doc_init(&d);
	if (title && *title && doc_add(&d, DOC_HEADING, 1, 0, title, strlen(title)))
		die("doc_add");
	for (const char *p = text; *p;) {
		const char *end = strstr(p, "\n\n");
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (doc_add(&d, DOC_PARA, 0, 0, p, len))
			die("doc_add");
		p += len;
		while (*p == '\n')
			p++;
	}
	if (chunk_doc(cp, &d, &chunks))
		die("chunk_doc");
	for (size_t i = 0; i < chunks.n && c->n < c->limit; i++)
		corpus_add(c, d.text.data + chunks.items[i].off, chunks.items[i].len);
	chunk_list_free(&chunks);
	doc_free(&d);
}

/* The collections' documents, one from each in turn (so that a small
 * --texts still mixes the three). Returns 0 when none could be read. */
static int load_eval(corpus *c, const chunk_params *cp, const char *dir)
{
	static const char *names[] = {"cranfield", "cisi", "med"};
	FILE *f[3];
	char path[4096], *line = NULL;
	size_t cap = 0;
	int open = 0;

	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof path, "%s/%s/docs.jsonl", dir, names[i]);
		if ((f[i] = fopen(path, "r")))
			open++;
	}
	while (open > 0 && c->n < c->limit) {
		for (int i = 0; i < 3 && c->n < c->limit; i++) {
			if (!f[i])
				continue;
			if (getline(&line, &cap, f[i]) < 0) {
				fclose(f[i]);
				f[i] = NULL;
				open--;
				continue;
			}
			json_t *o = json_loads(line, 0, NULL);
			const char *text = json_string_value(json_object_get(o, "text"));
			if (text)
				add_document(c, cp, json_string_value(json_object_get(o, "title")), text);
			json_decref(o);
		}
	}
	for (int i = 0; i < 3; i++)
		if (f[i])
			fclose(f[i]);
	free(line);
	return c->n > 0;
}

/* English-like documents: common words drawn with Zipf-like weights, in
 * sentences of 6-24 words and paragraphs of 3-8 sentences. */
static void load_generated(corpus *c, const chunk_params *cp)
{
	static const char *words[] = {
		"the", "of", "and", "to", "in", "a", "is", "that", "for", "it", "as", "was",
		"with", "be", "by", "on", "not", "this", "are", "at", "from", "which", "or",
		"have", "an", "they", "more", "one", "were", "has", "been", "their", "there",
		"all", "these", "other", "its", "than", "can", "into", "time", "only", "some",
		"results", "flow", "system", "information", "pressure", "patients", "data",
		"surface", "library", "method", "theory", "cells", "study", "boundary",
		"analysis", "effect", "values", "number", "research", "problem", "layer",
		"solution", "found", "given", "shown", "between", "case", "present", "used",
		"temperature", "children", "growth", "increase", "treatment", "equations",
	};
	size_t nw = sizeof words / sizeof *words;
	uint64_t rng = 0x9e3779b97f4a7c15ull;
	char text[16384];

	while (c->n < c->limit) {
		size_t len = 0;
		int paras = 1 + (int)(rng % 4);
		for (int p = 0; p < paras; p++) {
			int sentences = 3 + (int)((rng >> 8) % 6);
			for (int s = 0; s < sentences; s++) {
				int n = 6 + (int)((rng >> 16) % 19);
				for (int w = 0; w < n && len + 32 < sizeof text; w++) {
					rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
					/* the square of a uniform draw favours the first words */
					double u = (double)(rng >> 11) / 9007199254740992.0;
					const char *word = words[(size_t)(u * u * (double)nw)];
					len += (size_t)snprintf(text + len, sizeof text - len, "%s%c%s",
								w ? " " : "", w ? word[0] : word[0] - 32,
								word + 1);
				}
				len += (size_t)snprintf(text + len, sizeof text - len, ". ");
			}
			len += (size_t)snprintf(text + len, sizeof text - len, "\n\n");
		}
		add_document(c, cp, NULL, text);
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: embed --model PATH [--threads N] [--batch N] [--texts N] "
		"[--runs N] [--eval-dir DIR] [--write-texts FILE]\n");
	exit(2);
}

/* A whole number of at least 1 given for an option, else usage. */
static long number(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (end == s || *end || v < 1)
		usage();
	return v;
}

int main(int argc, char **argv)
{
	embedder_params ep = embedder_default_params();
	const char *eval_dir = "../shared/eval", *write_texts = NULL;
	size_t batch = 64, limit = 300;
	int runs = 3;
	corpus c = {0};
	embedder *e;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			usage();
		if (!strcmp(a, "--model"))
			ep.model = v;
		else if (!strcmp(a, "--threads"))
			ep.threads = (int)number(v);
		else if (!strcmp(a, "--batch"))
			batch = (size_t)number(v);
		else if (!strcmp(a, "--texts"))
			limit = (size_t)number(v);
		else if (!strcmp(a, "--runs"))
			runs = (int)number(v);
		else if (!strcmp(a, "--eval-dir"))
			eval_dir = v;
		else if (!strcmp(a, "--write-texts"))
			write_texts = v;
		else
			usage();
		i++;
	}
	if (!ep.model)
		usage();
	ep.batch_size = batch;
	if (embedder_open(&e, &ep))
		die(ep.model);

	chunk_params cp = chunk_default_params();
	cp.counter = embedder_token_counter(e);
	c.limit = limit;
	const char *source = eval_dir;
	if (!load_eval(&c, &cp, eval_dir)) {
		load_generated(&c, &cp);
		source = "generated English-like text";
	}
	size_t tokens = 0;
	double t_tok = now_s();
	for (size_t i = 0; i < c.n; i++)
		tokens += cp.counter.count(cp.counter.ctx, c.texts[i], strlen(c.texts[i]));
	t_tok = now_s() - t_tok;

	if (write_texts) {
		FILE *f = fopen(write_texts, "w");
		if (!f) {
			perror(write_texts);
			return 1;
		}
		for (size_t i = 0; i < c.n; i++)
			fprintf(f, "%s\n", c.texts[i]);
		if (fclose(f)) {
			perror(write_texts);
			return 1;
		}
	}

	int dim = embedder_dim(e);
	float *out = malloc(batch * (size_t)dim * sizeof *out);
	double *secs = malloc((size_t)runs * sizeof *secs);
	if (!out || !secs)
		return 1;
	printf("embed: %s, %s: %zu texts, %zu tokens (%.1f per text), batch %zu, threads %d "
	       "(0: all cores); tokenizing alone takes %.3f s\n", embedder_model_id(e), source,
	       c.n, tokens, (double)tokens / (double)c.n, batch, ep.threads, t_tok);
	if (embedder_embed(e, (const char *const *)c.texts, c.n < batch ? c.n : batch,
			   EMBED_DOCUMENT, out))
		die("warm-up");
	for (int r = 0; r < runs; r++) {
		double t0 = now_s();
		for (size_t i = 0; i < c.n; i += batch) {
			size_t k = c.n - i < batch ? c.n - i : batch;
			if (embedder_embed(e, (const char *const *)c.texts + i, k, EMBED_DOCUMENT, out))
				die("embedder_embed");
		}
		secs[r] = now_s() - t0;
		printf("run %d: %.3f s, %.1f tokens/s, %.2f texts/s\n", r + 1, secs[r],
		       (double)tokens / secs[r], (double)c.n / secs[r]);
	}
	qsort(secs, (size_t)runs, sizeof *secs, cmp_double);
	double med = runs % 2 ? secs[runs / 2] : (secs[runs / 2 - 1] + secs[runs / 2]) / 2;
	printf("median: %.3f s, %.1f tokens/s, %.2f texts/s\n", med, (double)tokens / med,
	       (double)c.n / med);

	for (size_t i = 0; i < c.n; i++)
		free(c.texts[i]);
	free(c.texts);
	free(out);
	free(secs);
	embedder_free(e);
	return 0;
}
