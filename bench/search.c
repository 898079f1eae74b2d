/*
 * search.c - keyword search latency at scale: p50/p99 of store_search()
 * in-process over a store of N chunks.
 *
 *   build/bench/search [--chunks N] [--db PATH] [--queries N] [--eval-dir DIR]
 *
 * The chunks are made of words drawn from the word frequencies of the
 * shared collections' documents (so term statistics look like real text),
 * 80-220 words each, 20 chunks to a document. The queries are the
 * collections' real queries (natural language, 3 to 60 words). Without
 * ../shared/eval a fixed synthetic Zipf vocabulary and synthetic queries
 * are used instead. An existing --db is reused, so the build (minutes at
 * 1M chunks) is paid once. Timings include query parsing, ranking and
 * fetching the hits' text and snippets, as `docent search` does.
 */
#include "core/buf.h"
#include "core/error.h"
#include "core/text.h"
#include "index/store.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct vocab {
	char **docs;   /* the shared collections' documents, for --real */
	size_t ndocs;
	char **words;
	double *cum;   /* cumulative frequency, for sampling */
	size_t n, cap;
} vocab;

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static uint64_t rng = 88172645463325252ull;
static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double uniform(void)
{
	return (double)(next_rand() >> 11) / 9007199254740992.0;
}

/* A tiny string -> count map (open addressing) for building the vocabulary. */
typedef struct wc { char *w; size_t c; } wc;
static wc *table;
static size_t tcap = 1 << 18, tn;

static void count_word(const char *w, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)w[i]) * 1099511628211ull;
	for (size_t i = h & (tcap - 1);; i = (i + 1) & (tcap - 1)) {
		if (!table[i].w) {
			if (tn * 2 > tcap)
				return; /* full enough: ignore new words */
			table[i].w = strndup(w, n);
			table[i].c = 1;
			tn++;
			return;
		}
		if (strlen(table[i].w) == n && memcmp(table[i].w, w, n) == 0) {
			table[i].c++;
			return;
		}
	}
}

static void add_text(const char *s)
{
	size_t pos = 0, a, e, n = strlen(s);
	dbuf low = DBUF_INIT;
	text_casefold(s, n, &low);
	while (text_next_word(low.data, low.len, pos, &a, &e)) {
		count_word(low.data + a, e - a);
		pos = e;
	}
	dbuf_free(&low);
}

static void build_vocab(vocab *v, const char *eval_dir, char ***queries, size_t *nq)
{
	const char *names[] = { "cranfield", "cisi", "med" };
	char path[1024];

	table = calloc(tcap, sizeof *table);
	for (size_t c = 0; eval_dir && c < 3; c++) {
		snprintf(path, sizeof path, "%s/%s/docs.jsonl", eval_dir, names[c]);
		FILE *f = fopen(path, "r");
		char *line = NULL;
		size_t cap = 0;
		if (!f)
			continue;
		while (getline(&line, &cap, f) > 0) {
			json_t *o = json_loads(line, 0, NULL);
			if (o) {
				const char *t = json_string_value(json_object_get(o, "text"));
				if (t && t[0]) {
					add_text(t);
					v->docs = realloc(v->docs, (v->ndocs + 1) * sizeof *v->docs);
					v->docs[v->ndocs++] = strdup(t);
				}
				json_decref(o);
			}
		}
		fclose(f);
		snprintf(path, sizeof path, "%s/%s/queries.jsonl", eval_dir, names[c]);
		f = fopen(path, "r");
		while (f && getline(&line, &cap, f) > 0) {
			json_t *o = json_loads(line, 0, NULL);
			if (o) {
				*queries = realloc(*queries, (*nq + 1) * sizeof **queries);
				(*queries)[(*nq)++] = strdup(json_string_value(json_object_get(o, "text")));
				json_decref(o);
			}
		}
		if (f)
			fclose(f);
		free(line);
	}
	if (tn == 0) {
		/* no shared data: a synthetic Zipf vocabulary of 50k words */
		for (size_t i = 0; i < 50000; i++) {
			char w[16];
			snprintf(w, sizeof w, "w%zx", i * 2654435761u % 1000003);
			for (size_t k = 0; k < (size_t)(100000.0 / (i + 1)) + 1 && k < 1000; k++)
				count_word(w, strlen(w));
		}
	}
	v->words = calloc(tn, sizeof *v->words);
	v->cum = calloc(tn, sizeof *v->cum);
	double total = 0;
	for (size_t i = 0; i < tcap; i++) {
		if (!table[i].w)
			continue;
		total += (double)table[i].c;
		v->words[v->n] = table[i].w;
		v->cum[v->n++] = total;
	}
	for (size_t i = 0; i < v->n; i++)
		v->cum[i] /= total;
	free(table);
	if (*nq == 0) {
		for (size_t i = 0; i < 300; i++) {
			dbuf q = DBUF_INIT;
			size_t len = 3 + next_rand() % 30;
			for (size_t k = 0; k < len; k++)
				dbuf_printf(&q, "%s ", v->words[next_rand() % v->n]);
			*queries = realloc(*queries, (*nq + 1) * sizeof **queries);
			(*queries)[(*nq)++] = dbuf_detach(&q, NULL);
		}
	}
}

static const char *sample(const vocab *v)
{
	double u = uniform();
	size_t lo = 0, hi = v->n - 1;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (v->cum[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return v->words[lo];
}

/* --real: the collections' documents themselves, repeated until there are
 * nchunks of them, so that term statistics (and burstiness) are real. */
static int use_real;

static void fill(store *st, const vocab *v, size_t nchunks)
{
	int64_t coll;
	size_t per_doc = 20, ndocs = (nchunks + per_doc - 1) / per_doc;
	store_chunk_in ch[20];
	dbuf text[20];
	double t0 = now_ms();

	memset(text, 0, sizeof text);
	if (store_collection_id(st, "bench", 1, &coll)) {
		fprintf(stderr, "search: %s\n", docent_error_message());
		exit(1);
	}
	/* written in batches, as `docent ingest` writes */
	if (store_batch_begin(st)) {
		fprintf(stderr, "search: %s\n", docent_error_message());
		exit(1);
	}
	for (size_t d = 0; d < ndocs; d++) {
		char path[64], hash[65];
		if (d % 1000 == 999 && (store_batch_commit(st) || store_batch_begin(st))) {
			fprintf(stderr, "search: %s\n", docent_error_message());
			exit(1);
		}
		size_t n = nchunks - d * per_doc < per_doc ? nchunks - d * per_doc : per_doc;
		for (size_t i = 0; i < n; i++) {
			size_t words = 80 + next_rand() % 141;
			dbuf_reset(&text[i]);
			if (use_real && v->ndocs) {
				dbuf_puts(&text[i], v->docs[(d * per_doc + i) % v->ndocs]);
				words = text_count_words(text[i].data, text[i].len);
			}
			for (size_t k = 0; !(use_real && v->ndocs) && k < words; k++) {
				dbuf_puts(&text[i], sample(v));
				dbuf_putc(&text[i], k % 17 == 16 ? '.' : ' ');
			}
			ch[i] = (store_chunk_in){ .text = text[i].data, .len = text[i].len,
						  .ntokens = words };
		}
		snprintf(path, sizeof path, "/bench/doc%08zu.txt", d);
		snprintf(hash, sizeof hash, "%064zx", d);
		store_doc_in in = { .path = path, .size = 1, .hash = hash, .title = path,
				    .format = "text", .chunks = ch, .nchunks = n };
		store_put_result res;
		if (store_doc_put(st, coll, &in, &res)) {
			fprintf(stderr, "search: %s\n", docent_error_message());
			exit(1);
		}
		free(res.duplicate_of);
		if (d % 5000 == 0)
			fprintf(stderr, "\rsearch: building %zu/%zu chunks (%.0f s)", d * per_doc,
				nchunks, (now_ms() - t0) / 1e3);
	}
	if (store_batch_commit(st)) {
		fprintf(stderr, "search: %s\n", docent_error_message());
		exit(1);
	}
	store_optimize(st);
	fprintf(stderr, "\rsearch: built %zu chunks in %.1f s\n", nchunks, (now_ms() - t0) / 1e3);
	for (size_t i = 0; i < 20; i++)
		dbuf_free(&text[i]);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	size_t nchunks = 100000, nqueries = 0, runs = 0;
	const char *db = NULL, *eval_dir = "../shared/eval";
	char **queries = NULL, defdb[256];
	vocab v = { 0 };
	store *st;
	store_params sp = store_default_params();
	struct stat stt;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--chunks") == 0 && i + 1 < argc)
			nchunks = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
			db = argv[++i];
		else if (strcmp(argv[i], "--queries") == 0 && i + 1 < argc)
			runs = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--eval-dir") == 0 && i + 1 < argc)
			eval_dir = argv[++i];
		else if (strcmp(argv[i], "--real") == 0)
			use_real = 1;
		else {
			fprintf(stderr, "usage: search [--chunks N] [--real] [--db PATH] [--queries N] "
				"[--eval-dir DIR]\n");
			return 2;
		}
	}
	if (access(eval_dir, R_OK) != 0)
		eval_dir = NULL;
	if (!db) {
		snprintf(defdb, sizeof defdb, "/tmp/docent-bench-search-%s%zu.db",
			 use_real ? "real-" : "", nchunks);
		db = defdb;
	}
	build_vocab(&v, eval_dir, &queries, &nqueries);
	int exists = stat(db, &stt) == 0;
	if (store_open(&st, db, &sp)) {
		fprintf(stderr, "search: %s\n", docent_error_message());
		return 1;
	}
	if (!exists)
		fill(st, &v, nchunks);
	if (runs == 0)
		runs = nqueries;

	store_search_params p = store_search_default_params();
	double *lat = calloc(runs, sizeof *lat);
	size_t total_hits = 0;
	/* one untimed pass to warm the page cache, as a running server would be */
	for (size_t i = 0; i < nqueries && i < 50; i++) {
		store_hit *h;
		size_t n;
		if (store_search(st, queries[i], &p, &h, &n) == 0)
			store_hits_free(h, n);
	}
	for (size_t i = 0; i < runs; i++) {
		store_hit *h;
		size_t n;
		double t0 = now_ms();
		if (store_search(st, queries[i % nqueries], &p, &h, &n)) {
			fprintf(stderr, "search: %s\n", docent_error_message());
			return 1;
		}
		lat[i] = now_ms() - t0;
		total_hits += n;
		store_hits_free(h, n);
	}
	qsort(lat, runs, sizeof *lat, cmp_double);
	double sum = 0;
	for (size_t i = 0; i < runs; i++)
		sum += lat[i];
	store_stats s;
	store_stats_get(st, NULL, &s);
	printf("%s chunks=%lld queries=%zu (%s) k=%zu  p50=%.2f ms  p90=%.2f ms  p99=%.2f ms  "
	       "max=%.2f ms  mean=%.2f ms  db=%.0f MB\n",
	       use_real ? "real documents repeated:" : "words drawn independently:",
	       (long long)s.chunks, runs, eval_dir ? "shared collections' queries" : "synthetic",
	       p.k, lat[runs / 2], lat[(size_t)(0.9 * (runs - 1))], lat[(size_t)(0.99 * (runs - 1))],
	       lat[runs - 1], sum / runs, s.db_bytes / 1e6);
	(void)total_hits;
	store_close(st);
	free(lat);
	return 0;
}
