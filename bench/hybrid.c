/*
 * hybrid.c - retrieval latency by mode (bm25, dense, hybrid) at scale:
 * p50/p99 of rag/retrieve.h's retrieve() in-process, over a store of N
 * chunks with one vector per chunk.
 *
 *   build/bench/hybrid --db PATH [--queries N] [--dim D] [--model GGUF]
 *
 * PATH is a store made by build/bench/search (--chunks N [--real]), reused.
 * Vectors: embedding 100k-1M chunks with a real model takes hours on two
 * cores, and latency does not depend on what the vectors mean, only on how
 * they are spread; so each chunk gets a synthetic unit vector drawn around
 * one of 1000 random centres (clustered, like real embeddings), stored once
 * in the database under the model name "synthetic-D". Queries are 8 words
 * drawn from random chunks, embedded by the same synthetic scheme (a
 * deterministic function of the text), so that dense and keyword lists
 * overlap as they do for real questions. The FAISS index is whatever
 * docent chooses for that size (index/vectors.c), built on first use.
 *
 * With --model, the time to embed one query with that GGUF model (e.g. the
 * real-shape build/models/minilm-l6-random-f16.gguf) is measured too: it
 * adds to dense and hybrid latency in `docent search`.
 */
#include "core/error.h"
#include "index/vecset.h"
#include "rag/retrieve.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NCENTRES 1000

static int dim = 384;
static float *centres;

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	return x ^ (x >> 33);
}

/* A standard normal from two hashed uniforms (Box-Muller). */
static double gauss(uint64_t *s)
{
	*s = mix(*s + 0x9e3779b97f4a7c15ull);
	double u1 = ((*s >> 11) + 1) / 9007199254740993.0;
	*s = mix(*s + 0x9e3779b97f4a7c15ull);
	double u2 = (*s >> 11) / 9007199254740992.0;
	return sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
}

static void normalise(float *v)
{
	double n = 0;
	for (int d = 0; d < dim; d++)
		n += (double)v[d] * v[d];
	n = sqrt(n);
	for (int d = 0; d < dim; d++)
		v[d] = (float)(v[d] / n);
}

/* The synthetic vector for a seed: a centre plus noise, on the unit sphere. */
static void synth(uint64_t seed, float *v)
{
	uint64_t s = seed;
	const float *c = centres + (mix(seed) % NCENTRES) * (size_t)dim;
	for (int d = 0; d < dim; d++)
		v[d] = c[d] + (float)(0.6 * gauss(&s) / sqrt(dim));
	normalise(v);
}

static uint64_t text_seed(const char *t)
{
	uint64_t h = 1469598103934665603ull;
	for (; *t; t++)
		h = (h ^ (unsigned char)*t) * 1099511628211ull;
	return h;
}

static int synth_embed(void *self, const char *const *texts, size_t n, embed_kind kind,
		       float *out)
{
	(void)self;
	(void)kind;
	for (size_t i = 0; i < n; i++)
		synth(text_seed(texts[i]), out + i * (size_t)dim);
	return 0;
}

static void synth_free(void *self)
{
	(void)self;
}

static const embedder_ops synth_ops = { .embed = synth_embed, .free = synth_free };

/* Gives every chunk without a vector its synthetic vector. */
typedef struct filler {
	int64_t ids[1024];
	size_t n;
	int64_t last;
} filler;

static int take(void *ctx, int64_t id, const char *text, size_t len, size_t ntokens)
{
	filler *f = ctx;
	(void)text;
	(void)len;
	(void)ntokens;
	f->ids[f->n++] = id;
	f->last = id;
	return 0;
}

static int fill_vectors(store *st, int64_t coll, const char *model)
{
	filler f = { .last = 0 };
	float *vecs = malloc(1024 * (size_t)dim * sizeof *vecs);
	int64_t total = 0, done = 0;
	int rc = store_collection_set_model(st, coll, model, dim);

	if (rc == 0)
		rc = store_chunks_unembedded(st, coll, &total);
	while (rc == 0) {
		f.n = 0;
		if ((rc = store_chunks_to_embed(st, coll, f.last, 1024, take, &f)) != 0 || f.n == 0)
			break;
		for (size_t i = 0; i < f.n; i++)
			synth((uint64_t)f.ids[i] * 7919, vecs + i * (size_t)dim);
		rc = store_embeddings_put(st, f.ids, vecs, f.n, dim);
		done += (int64_t)f.n;
		if (done % 102400 < 1024)
			fprintf(stderr, "  vectors %lld/%lld\n", (long long)done, (long long)total);
	}
	free(vecs);
	return rc;
}

/* A query: 8 words of a chunk's text from a pseudo-random word on. */
static char *query_from(const char *text, uint64_t seed)
{
	char buf[512];
	size_t len = strlen(text), o = 0, words = 0;
	const char *p = text + (len > 200 ? mix(seed) % (len - 200) : 0);

	while (*p && *p != ' ')
		p++;
	while (*p == ' ')
		p++;
	while (*p && o < sizeof buf - 1) {
		if (*p == ' ' && ++words == 8)
			break;
		buf[o++] = *p++;
	}
	buf[o] = '\0';
	return strdup(buf);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void report(const char *what, double *t, size_t n)
{
	qsort(t, n, sizeof *t, cmp_double);
	printf("  %-8s p50 %7.2f ms   p99 %7.2f ms   (%zu queries)\n", what, t[n / 2],
	       t[(size_t)(n * 0.99)], n);
}

int main(int argc, char **argv)
{
	const char *db = NULL, *model = NULL;
	size_t nq = 500;
	store *st;
	store_params sp = store_default_params();
	int64_t coll;
	char name[64];

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
			db = argv[++i];
		else if (strcmp(argv[i], "--queries") == 0 && i + 1 < argc)
			nq = (size_t)atol(argv[++i]);
		else if (strcmp(argv[i], "--dim") == 0 && i + 1 < argc)
			dim = atoi(argv[++i]);
		else if (strcmp(argv[i], "--model") == 0 && i + 1 < argc)
			model = argv[++i];
		else {
			fprintf(stderr, "usage: hybrid --db PATH [--queries N] [--dim D] [--model GGUF]\n");
			return 2;
		}
	}
	if (!db || dim <= 0) {
		fprintf(stderr, "hybrid: give --db, a store made by build/bench/search\n");
		return 2;
	}
	sp.create = 0;
	double t0 = now_ms();
	if (store_open(&st, db, &sp) || store_collection_id(st, "bench", 0, &coll)) {
		fprintf(stderr, "hybrid: %s\n", docent_error_message());
		return 1;
	}
	printf("store %s opened in %.0f ms (includes any schema upgrade)\n", db, now_ms() - t0);
	centres = malloc(NCENTRES * (size_t)dim * sizeof *centres);
	uint64_t s = 42;
	for (size_t i = 0; i < NCENTRES * (size_t)dim; i++)
		centres[i] = (float)gauss(&s);
	for (size_t c = 0; c < NCENTRES; c++)
		normalise(centres + c * (size_t)dim);
	snprintf(name, sizeof name, "synthetic-%d", dim);
	t0 = now_ms();
	if (fill_vectors(st, coll, name)) {
		fprintf(stderr, "hybrid: %s\n", docent_error_message());
		return 1;
	}
	printf("vectors stored in %.1f s\n", (now_ms() - t0) / 1e3);

	/* the FAISS index: built (first run) or loaded, as `docent search` does */
	vecset *vs;
	int rebuilt = 0;
	vindex_params vp = vindex_default_params();
	t0 = now_ms();
	if (vecset_open(&vs, st, coll, &vp, &rebuilt)) {
		fprintf(stderr, "hybrid: %s\n", docent_error_message());
		return 1;
	}
	printf("index %s: %zu vectors, %s in %.1f s\n", vecset_describe(vs), vecset_count(vs),
	       rebuilt ? "built" : "loaded", (now_ms() - t0) / 1e3);
	vecset_close(vs);

	/* queries from the text of pseudo-random chunks */
	char **queries = calloc(nq, sizeof *queries);
	size_t nqueries = 0;
	int64_t *ids = malloc(nq * sizeof *ids);
	int64_t maxid = 0;
	store_vec_totals tot;
	store_vectors_totals(st, coll, &tot);
	maxid = tot.count;
	for (size_t i = 0; i < nq; i++)
		ids[i] = 1 + (int64_t)(mix(i + 99) % (uint64_t)(maxid ? maxid : 1));
	store_hit *hh;
	size_t nh;
	size_t none;
	if (store_rank(st, "", NULL, NULL, NULL, &none) == 0 &&
	    store_rank_hits(st, ids, nq, &hh, &nh) == 0) {
		for (size_t i = 0; i < nh; i++)
			queries[nqueries++] = query_from(hh[i].text, i);
		store_hits_free(hh, nh);
	}
	store_rank_end(st);
	free(ids);
	if (nqueries == 0) {
		fprintf(stderr, "hybrid: no queries\n");
		return 1;
	}

	embedder *e;
	retriever *r;
	embedder_wrap(&e, &synth_ops, NULL, dim, 512, name);
	retriever_open(&r, st, e, &vp);
	double *t = malloc(nqueries * sizeof *t);
	const retrieve_mode modes[] = { RETRIEVE_BM25, RETRIEVE_DENSE, RETRIEVE_HYBRID };
	printf("retrieve(), k = 10, one query at a time:\n");
	for (int m = 0; m < 3; m++) {
		retrieve_params p = retrieve_default_params();
		p.mode = modes[m];
		for (size_t i = 0; i < nqueries && i < 20; i++) { /* warm up */
			store_hit *h;
			size_t n;
			if (retrieve(r, queries[i], &p, &h, &n, NULL) == 0)
				store_hits_free(h, n);
		}
		for (size_t i = 0; i < nqueries; i++) {
			store_hit *h;
			size_t n;
			double a = now_ms();
			if (retrieve(r, queries[i], &p, &h, &n, NULL)) {
				fprintf(stderr, "hybrid: %s\n", docent_error_message());
				return 1;
			}
			t[i] = now_ms() - a;
			store_hits_free(h, n);
		}
		report(retrieve_mode_name(modes[m]), t, nqueries);
	}
	retriever_close(r);
	embedder_free(e);

	if (model) {
		embedder_params ep = embedder_default_params();
		embedder *me;
		ep.model = model;
		if (embedder_open(&me, &ep)) {
			fprintf(stderr, "hybrid: %s\n", docent_error_message());
			return 1;
		}
		float *v = malloc((size_t)embedder_dim(me) * sizeof *v);
		size_t n = nqueries < 200 ? nqueries : 200;
		for (size_t i = 0; i < n; i++) {
			const char *q = queries[i];
			double a = now_ms();
			embedder_embed(me, &q, 1, EMBED_QUERY, v);
			t[i] = now_ms() - a;
		}
		report("embed q", t, n);
		free(v);
		embedder_free(me);
	}
	for (size_t i = 0; i < nqueries; i++)
		free(queries[i]);
	free(queries);
	free(t);
	free(centres);
	store_close(st);
	return 0;
}
