/*
 * eval.c - retrieval quality of `docent search` (BM25) on the shared test
 * collections: MAP, nDCG@10, P@10, R@100, and query latency.
 *
 * For each collection under EVAL_DIR (../shared/eval by default) every
 * document is written as its own file "<id>.txt" (title, blank line, text),
 * ingested with the normal pipeline into a fresh store, and every judged
 * query is run through store_search(). A document's score is its best
 * chunk's. Metrics use gain >= 1 as relevant; nDCG uses the graded gains;
 * MAP is average precision over the top 1000 documents.
 *
 *   build/bench/eval [--eval-dir DIR] [--k1 X] [--b X] [--context-weight X]
 *                    [--tokenizer T]
 *                    [--sweep] [COLLECTION...]
 *
 * --sweep tries a grid of k1 and b for two tokenizers (with and without the
 * Porter stemmer) and prints one line per setting: how the defaults were
 * chosen. This is a benchmark, not a test: it prints figures, it does not
 * judge them.
 */
#include "core/buf.h"
#include "core/error.h"
#include "index/store.h"
#include "ingest/ingest.h"

#include "bench/evalset.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* documents ranked per query: MAP is average precision over the top 1000 */
#define MAX_RESULTS 1000

typedef struct collection {
	const char *name;
	query *queries;
	size_t nqueries;
	qrel *qrels;
	size_t nqrels;
	char dir[1024];      /* where the documents were written */
	store *st;
} collection;

typedef struct metrics { double map, ndcg10, p10, r100, p50_ms, p99_ms; size_t judged; } metrics;

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void die(const char *what)
{
	fprintf(stderr, "eval: %s: %s\n", what, docent_error_message());
	exit(1);
}

static int gain_of(const collection *c, const char *qid, const char *did)
{
	for (size_t i = 0; i < c->nqrels; i++)
		if (strcmp(c->qrels[i].qid, qid) == 0 && strcmp(c->qrels[i].did, did) == 0)
			return c->qrels[i].gain;
	return 0;
}

static int cmp_int_desc(const void *a, const void *b)
{
	return *(const int *)b - *(const int *)a;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Loads a collection, writes its documents and ingests them. */
static void prepare(collection *c, const char *eval_dir, const char *tokenizer, const char *tmp)
{
	char path[2048];
	ingest_params ip = ingest_default_params();
	store_params sp = store_default_params();
	ingest_summary sum;

	snprintf(c->dir, sizeof c->dir, "%s/%s", tmp, c->name);
	mkdir(c->dir, 0755);
	snprintf(path, sizeof path, "%s/%s/docs.jsonl", eval_dir, c->name);
	evalset_write_docs(path, c->dir);
	snprintf(path, sizeof path, "%s/%s/queries.jsonl", eval_dir, c->name);
	evalset_read_queries(path, &c->queries, &c->nqueries);
	snprintf(path, sizeof path, "%s/%s/qrels.tsv", eval_dir, c->name);
	evalset_read_qrels(path, &c->qrels, &c->nqrels);

	snprintf(path, sizeof path, "%s/%s.db", tmp, c->name);
	if (tokenizer)
		sp.tokenizer = tokenizer;
	if (store_open(&c->st, path, &sp))
		die("cannot open the store");
	const char *roots[] = { c->dir };
	if (ingest_run(c->st, roots, 1, &ip, &sum))
		die("ingest failed");
	fprintf(stderr, "eval: %s: %llu documents, %llu chunks (%llu failed: empty documents)\n",
		c->name, (unsigned long long)sum.added + sum.duplicates,
		(unsigned long long)sum.chunks, (unsigned long long)sum.failed);
}

/* --context-weight: what title and heading words count for (-1: default) */
static double context_weight = -1;

static metrics evaluate(collection *c, double k1, double b)
{
	store_search_params sp = store_search_default_params();
	metrics m = { 0 };
	double *lat = calloc(c->nqueries, sizeof *lat);
	size_t nlat = 0;

	sp.k = 3 * MAX_RESULTS; /* chunks: enough to fill 100 distinct documents */
	if (k1 > 0)
		sp.k1 = k1;
	if (context_weight >= 0)
		sp.context_weight = context_weight;
	if (b >= 0)
		sp.b = b;
	for (size_t qi = 0; qi < c->nqueries; qi++) {
		const char *qid = c->queries[qi].id;
		int rel_gains[4096], nrel = 0;
		for (size_t i = 0; i < c->nqrels && nrel < 4096; i++)
			if (strcmp(c->qrels[i].qid, qid) == 0 && c->qrels[i].gain >= 1)
				rel_gains[nrel++] = c->qrels[i].gain;
		if (nrel == 0)
			continue; /* judged queries only */
		store_hit *h;
		size_t n;
		/* latency as a person sees it: the top 10 with snippets */
		store_search_params sp10 = sp;
		sp10.k = 10;
		double t0 = now_ms();
		if (store_search(c->st, c->queries[qi].text, &sp10, &h, &n))
			die("search failed");
		lat[nlat++] = now_ms() - t0;
		store_hits_free(h, n);
		if (store_search(c->st, c->queries[qi].text, &sp, &h, &n))
			die("search failed");

		/* documents in rank order, each once (its best chunk) */
		static char ids[MAX_RESULTS][64];
		size_t nd = 0;
		for (size_t i = 0; i < n && nd < MAX_RESULTS; i++) {
			const char *base = strrchr(h[i].path, '/');
			char id[64];
			snprintf(id, sizeof id, "%s", base ? base + 1 : h[i].path);
			char *dot = strrchr(id, '.');
			if (dot)
				*dot = '\0';
			size_t j;
			for (j = 0; j < nd && strcmp(ids[j], id) != 0; j++)
				;
			if (j == nd)
				snprintf(ids[nd++], sizeof ids[0], "%s", id);
		}
		store_hits_free(h, n);

		double ap = 0, dcg = 0, idcg = 0;
		int hits = 0, hits10 = 0, hits100 = 0;
		for (size_t i = 0; i < nd; i++) {
			int g = gain_of(c, qid, ids[i]);
			if (g >= 1) {
				hits++;
				ap += (double)hits / (double)(i + 1);
				if (i < 10)
					hits10++;
				if (i < 100)
					hits100++;
			}
			if (i < 10 && g > 0)
				dcg += (pow(2, g) - 1) / log2((double)i + 2);
		}
		qsort(rel_gains, (size_t)nrel, sizeof rel_gains[0], cmp_int_desc);
		for (int i = 0; i < nrel && i < 10; i++)
			idcg += (pow(2, rel_gains[i]) - 1) / log2((double)i + 2);
		m.map += ap / nrel;
		m.ndcg10 += idcg > 0 ? dcg / idcg : 0;
		m.p10 += hits10 / 10.0;
		m.r100 += (double)hits100 / nrel;
		m.judged++;
	}
	if (m.judged) {
		m.map /= m.judged;
		m.ndcg10 /= m.judged;
		m.p10 /= m.judged;
		m.r100 /= m.judged;
	}
	qsort(lat, nlat, sizeof *lat, cmp_double);
	if (nlat) {
		m.p50_ms = lat[nlat / 2];
		m.p99_ms = lat[(size_t)(0.99 * (nlat - 1))];
	}
	free(lat);
	return m;
}

int main(int argc, char **argv)
{
	const char *eval_dir = NULL, *tokenizer = NULL;
	const char *names[8];
	size_t nnames = 0;
	double k1 = -1, b = -1;
	int sweep = 0;
	char tmp[] = "/tmp/docent-eval-XXXXXX";

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--eval-dir") == 0 && i + 1 < argc)
			eval_dir = argv[++i];
		else if (strcmp(argv[i], "--k1") == 0 && i + 1 < argc)
			k1 = atof(argv[++i]);
		else if (strcmp(argv[i], "--b") == 0 && i + 1 < argc)
			b = atof(argv[++i]);
		else if (strcmp(argv[i], "--context-weight") == 0 && i + 1 < argc)
			context_weight = atof(argv[++i]);
		else if (strcmp(argv[i], "--tokenizer") == 0 && i + 1 < argc)
			tokenizer = argv[++i];
		else if (strcmp(argv[i], "--sweep") == 0)
			sweep = 1;
		else if (argv[i][0] != '-' && nnames < 8)
			names[nnames++] = argv[i];
		else {
			fprintf(stderr, "usage: eval [--eval-dir DIR] [--k1 X] [--b X] [--context-weight X] "
				"[--tokenizer T] [--sweep] [COLLECTION...]\n");
			return 2;
		}
	}
	if (!eval_dir)
		eval_dir = "../shared/eval";
	if (access(eval_dir, R_OK) != 0) {
		fprintf(stderr, "eval: %s not found (the shared evaluation data); nothing to do\n",
			eval_dir);
		return 0;
	}
	if (nnames == 0) {
		names[0] = "cranfield";
		names[1] = "cisi";
		names[2] = "med";
		nnames = 3;
	}
	if (!mkdtemp(tmp))
		die("cannot make a temporary folder");

	const char *toks_sweep[] = { "unicode61 remove_diacritics 2",
				     "porter unicode61 remove_diacritics 2" };
	const char *const *toks = sweep ? toks_sweep : &tokenizer;
	size_t ntoks = sweep ? 2 : 1;
	static const double k1s[] = { 0.6, 0.9, 1.2, 1.5, 1.8 };
	static const double bs[] = { 0.3, 0.4, 0.5, 0.6, 0.75, 0.9 };

	printf("| collection | tokenizer | k1 | b | MAP | nDCG@10 | P@10 | R@100 | p50 ms | p99 ms |\n");
	printf("|---|---|---|---|---|---|---|---|---|---|\n");
	for (size_t t = 0; t < ntoks; t++) {
		char sub[600];
		snprintf(sub, sizeof sub, "%s/t%zu", tmp, t);
		mkdir(sub, 0755);
		for (size_t ci = 0; ci < nnames; ci++) {
			collection c = { .name = names[ci] };
			prepare(&c, eval_dir, toks[t], sub);
			store_search_params dp = store_search_default_params();
			size_t nk1 = sweep ? 5 : 1, nb = sweep ? 6 : 1;
			for (size_t i = 0; i < nk1; i++) {
				for (size_t j = 0; j < nb; j++) {
					double kk = sweep ? k1s[i] : (k1 > 0 ? k1 : dp.k1);
					double bb = sweep ? bs[j] : (b >= 0 ? b : dp.b);
					metrics m = evaluate(&c, kk, bb);
					printf("| %s | %s | %.1f | %.2f | %.3f | %.3f | %.3f | %.3f | %.2f | %.2f |\n",
					       c.name, toks[t] ? toks[t] : "(default)", kk, bb, m.map,
					       m.ndcg10, m.p10, m.r100, m.p50_ms, m.p99_ms);
					fflush(stdout);
				}
			}
			store_close(c.st);
		}
	}
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "eval: could not remove %s\n", tmp);
	return 0;
}
