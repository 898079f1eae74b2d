/*
 * search_threads.c - the in-process rate of the search behind GET
 * /api/search: retrieve() with the default settings (auto mode, k 10), by
 * N threads at once, each with its own store connection and retriever, as
 * the server's request threads have. bench/serve.sh compares it with the
 * rate through HTTP.
 *
 *   build/bench/search_threads --db PATH --queries FILE [--threads N] [--seconds S]
 *                              [--cache-mb N] [--warmup]
 *
 * FILE holds one query a line. Prints searches/s, p50, p99, p99.9 and the
 * slowest search in ms, and the CPU time per search (user + system, all
 * threads). With --warmup each thread first asks every query once, untimed
 * (a long-running server's caches are warm).
 */
#include "core/error.h"
#include "index/store.h"
#include "rag/retrieve.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

typedef struct worker {
	const char *db;
	char **queries;
	size_t nqueries, start;
	double seconds;
	int cache_mb;          /* -1: the default */
	int warmup;
	pthread_barrier_t *ready; /* passed when every thread has warmed up */
	double *lat;
	size_t n, cap;
	int failed;
} worker;

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void *run(void *arg)
{
	worker *w = arg;
	store_params sp = store_default_params();
	retrieve_params rp = retrieve_default_params();
	vindex_params vp = vindex_default_params();
	retriever *r = NULL;
	store *st = NULL;
	double end;

	sp.create = 0;
	if (w->cache_mb >= 0)
		sp.search_cache_bytes = (size_t)w->cache_mb << 20;
	vp.mmap = 1;
	if (store_open(&st, w->db, &sp) || retriever_open(&r, st, NULL, &vp)) {
		fprintf(stderr, "search_threads: %s\n", docent_error_message());
		w->failed = 1;
		store_close(st);
		pthread_barrier_wait(w->ready);
		return NULL;
	}
	for (size_t i = 0; w->warmup && i < w->nqueries; i++) {
		store_hit *h = NULL;
		size_t n = 0;
		if (retrieve(r, w->queries[i], &rp, &h, &n, NULL) == 0)
			store_hits_free(h, n);
	}
	pthread_barrier_wait(w->ready);
	end = now_ms() + w->seconds * 1000;
	for (size_t i = w->start; now_ms() < end; i++) {
		store_hit *h = NULL;
		size_t n = 0;
		double t0 = now_ms();
		if (retrieve(r, w->queries[i % w->nqueries], &rp, &h, &n, NULL) != 0) {
			fprintf(stderr, "search_threads: %s\n", docent_error_message());
			w->failed = 1;
			break;
		}
		store_hits_free(h, n);
		if (w->n == w->cap) {
			w->cap = w->cap ? 2 * w->cap : 4096;
			w->lat = realloc(w->lat, w->cap * sizeof *w->lat);
			if (!w->lat)
				abort();
		}
		w->lat[w->n++] = now_ms() - t0;
	}
	retriever_close(r);
	store_close(st);
	return NULL;
}

int main(int argc, char **argv)
{
	const char *db = NULL, *qfile = NULL;
	int nthreads = 2;
	double seconds = 10;
	int cache_mb = -1, warmup = 0;
	char **queries = NULL, *line = NULL;
	size_t nq = 0, cap = 0;
	FILE *f;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
			db = argv[++i];
		else if (strcmp(argv[i], "--queries") == 0 && i + 1 < argc)
			qfile = argv[++i];
		else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
			nthreads = atoi(argv[++i]);
		else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
			seconds = atof(argv[++i]);
		else if (strcmp(argv[i], "--cache-mb") == 0 && i + 1 < argc)
			cache_mb = atoi(argv[++i]);
		else if (strcmp(argv[i], "--warmup") == 0)
			warmup = 1;
		else {
			fprintf(stderr, "usage: search_threads --db PATH --queries FILE [--threads N] "
				"[--seconds S] [--cache-mb N] [--warmup]\n");
			return 2;
		}
	}
	if (!db || !qfile || nthreads < 1 || !(f = fopen(qfile, "r"))) {
		fprintf(stderr, "search_threads: give --db and a readable --queries file\n");
		return 2;
	}
	while (getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\n")] = '\0';
		if (!line[0])
			continue;
		queries = realloc(queries, (nq + 1) * sizeof *queries);
		queries[nq++] = strdup(line);
	}
	free(line);
	fclose(f);
	if (nq == 0) {
		fprintf(stderr, "search_threads: no queries in %s\n", qfile);
		return 2;
	}

	worker *w = calloc((size_t)nthreads, sizeof *w);
	pthread_t *t = calloc((size_t)nthreads, sizeof *t);
	pthread_barrier_t ready;
	struct rusage ru0, ru;
	pthread_barrier_init(&ready, NULL, (unsigned)nthreads + 1);
	for (int i = 0; i < nthreads; i++) {
		w[i] = (worker){ .db = db, .queries = queries, .nqueries = nq,
				 .start = (size_t)i * 7, .seconds = seconds,
				 .cache_mb = cache_mb, .warmup = warmup, .ready = &ready };
		pthread_create(&t[i], NULL, run, &w[i]);
	}
	pthread_barrier_wait(&ready);
	getrusage(RUSAGE_SELF, &ru0);
	size_t total = 0;
	int failed = 0;
	for (int i = 0; i < nthreads; i++) {
		pthread_join(t[i], NULL);
		total += w[i].n;
		failed |= w[i].failed;
	}
	double *all = malloc((total ? total : 1) * sizeof *all);
	size_t k = 0;
	for (int i = 0; i < nthreads; i++) {
		memcpy(all + k, w[i].lat, w[i].n * sizeof *all);
		k += w[i].n;
		free(w[i].lat);
	}
	qsort(all, total, sizeof *all, cmp_double);
	/* CPU time per search: what the search costs, whatever else runs on
	 * the machine (the rate depends on the share of the cores it gets) */
	getrusage(RUSAGE_SELF, &ru);
	double cpu_ms = (ru.ru_utime.tv_sec - ru0.ru_utime.tv_sec + ru.ru_stime.tv_sec -
			 ru0.ru_stime.tv_sec) * 1e3 +
			(ru.ru_utime.tv_usec - ru0.ru_utime.tv_usec + ru.ru_stime.tv_usec -
			 ru0.ru_stime.tv_usec) / 1e3;
	printf("in-process: threads=%d seconds=%.0f searches=%zu  %.1f searches/s  p50=%.2f ms  "
	       "p99=%.2f ms  p99.9=%.2f ms  max=%.2f ms  cpu=%.3f ms/search\n", nthreads, seconds,
	       total, total / seconds,
	       total ? all[total / 2] : 0, total ? all[(size_t)(0.99 * (total - 1))] : 0,
	       total ? all[(size_t)(0.999 * (total - 1))] : 0, total ? all[total - 1] : 0,
	       total ? cpu_ms / total : 0);
	free(all);
	pthread_barrier_destroy(&ready);
	free(w);
	free(t);
	for (size_t i = 0; i < nq; i++)
		free(queries[i]);
	free(queries);
	return failed;
}
