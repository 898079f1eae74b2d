/*
 * vectors.c - dense search through index/vectors.h at scale: build time,
 * index file size, open time, p50/p99 latency of one query at a time, and
 * recall@10 against exact search, for the index types docent may use.
 *
 *   build/bench/vectors [--n N] [--dim D] [--queries Q] [--clusters C]
 *                       [--repeat R] [--dir DIR] [--flat-max N] [--mmap]
 *                       [--index SPEC]... [--embed MODEL --eval-dir DIR]
 *
 * SPEC is "auto" (what docent chooses for N vectors), or a FAISS factory
 * string, optionally followed by "@" and search settings separated by "|",
 * each measured in turn: "IVF1265,Flat@nprobe=8|nprobe=16",
 * "HNSW32,Flat@efSearch=32|efSearch=64". Exact search (flat) always runs
 * first: its answers are the truth recall is measured against.
 *
 * Vectors are made deterministically: a mixture of C Gaussian clusters on
 * the unit sphere, grouped under C/32 topics, each cluster spread mostly
 * along 16 directions of its own, with varied spread and log-normal
 * cluster sizes, plus a direction they all share (real sentence embeddings
 * are not centred); --clusters 0 gives uniformly random unit vectors
 * instead (IVF's worst case). The queries are Q more vectors drawn the same
 * way and never added. With --embed, the vectors are instead the model's
 * embeddings of 100-word windows of the shared collections' documents
 * (read from --eval-dir at run time), and the embedding rate is reported.
 *
 * --flat-max sets vindex_params.flat_max for "auto" (1000: see the IVF index
 * docent would build past its threshold); the index file is written to
 * --dir (default /tmp) and removed at the end.
 *
 * Each setting is opened from the saved file and searched R times (open
 * time, p50 and p99 are medians over the R passes); with --mmap each is
 * measured a second time opened with vindex_params.mmap. Builds run once.
 */
#include "core/error.h"
#include "engine/embedder.h"
#include "index/vectors.h"

#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define K 10

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
	return ((double)(next_rand() >> 11) + 0.5) / 9007199254740992.0;
}

/* A standard normal number (Box-Muller). */
static double gauss(void)
{
	return sqrt(-2.0 * log(uniform())) * cos(2.0 * M_PI * uniform());
}

static void normalise(float *x, size_t d)
{
	double s = 0;
	size_t i;

	for (i = 0; i < d; i++)
		s += (double)x[i] * x[i];
	s = sqrt(s);
	for (i = 0; i < d; i++)
		x[i] = (float)(x[i] / s);
}

/* out = normalise(base * w + N(0, s^2 / d) per coordinate). */
static void around(float *out, const float *base, double w, double s, size_t d)
{
	size_t i;

	for (i = 0; i < d; i++)
		out[i] = (float)((base ? base[i] * w : 0) + gauss() * s / sqrt((double)d));
	normalise(out, d);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p) {
		fprintf(stderr, "out of memory (%zu bytes)\n", n);
		exit(1);
	}
	return p;
}

/*
 * n vectors of d floats from the cluster mixture described at the top.
 * Each cluster varies mostly along RANK directions of its own (text
 * embeddings have a low intrinsic dimension) and a little in all the
 * others, so that its members are not all equally far apart and the nearest
 * neighbours of a vector near a cluster's edge lie partly in other
 * clusters. With the spreads below a vector's nearest neighbour has a
 * cosine of about 0.7 and two unrelated vectors of about 0.05, as with small
 * sentence-embedding models.
 */
#define RANK 16

static float *mixture(size_t n, size_t d, size_t nclusters)
{
	size_t ntopics = nclusters / 32 ? nclusters / 32 : 1, i, c, r, j;
	float *common = xmalloc(d * sizeof *common);
	float *topics = xmalloc(ntopics * d * sizeof *topics);
	float *centres = xmalloc(nclusters * d * sizeof *centres);
	float *basis = xmalloc(nclusters * RANK * d * sizeof *basis);
	double *spread = xmalloc(nclusters * sizeof *spread);
	double *cum = xmalloc(nclusters * sizeof *cum), total = 0;
	float *x = xmalloc(n * d * sizeof *x);

	around(common, NULL, 0, 1, d);
	for (i = 0; i < ntopics; i++)
		around(topics + i * d, common, 0.35, 1, d);
	for (c = 0; c < nclusters; c++) {
		around(centres + c * d, topics + (next_rand() % ntopics) * d, 1, 0.8, d);
		for (r = 0; r < RANK; r++)
			around(basis + (c * RANK + r) * d, NULL, 0, 1, d);
		spread[c] = 0.8 + 0.6 * uniform();
		total += exp(gauss());
		cum[c] = total;
	}
	for (i = 0; i < n; i++) {
		double u = uniform() * total, z[RANK];
		size_t lo = 0, hi = nclusters - 1;
		float *y = x + i * d;

		while (lo < hi) {
			size_t mid = (lo + hi) / 2;

			if (cum[mid] < u)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (r = 0; r < RANK; r++)
			z[r] = gauss() * spread[lo] / sqrt((double)RANK);
		for (j = 0; j < d; j++) {
			double v = centres[lo * d + j] + gauss() * 0.25 * spread[lo] / sqrt((double)d);

			for (r = 0; r < RANK; r++)
				v += z[r] * basis[(lo * RANK + r) * d + j];
			y[j] = (float)v;
		}
		normalise(y, d);
	}
	free(common);
	free(topics);
	free(centres);
	free(basis);
	free(spread);
	free(cum);
	return x;
}

/*
 * Up to n texts: 100-word windows, 25 words apart, over the documents of
 * every collection under eval_dir (DIR/<name>/docs.jsonl, "text" field).
 * Returns how many were made; the caller frees each and the array.
 */
static size_t eval_texts(const char *eval_dir, size_t n, char ***out)
{
	static const char *names[] = {"cisi", "cranfield", "med"};
	char **texts = xmalloc(n * sizeof *texts);
	size_t count = 0, c;

	for (c = 0; c < sizeof names / sizeof *names && count < n; c++) {
		char path[1024], line[1 << 16];
		FILE *f;

		snprintf(path, sizeof path, "%s/%s/docs.jsonl", eval_dir, names[c]);
		if (!(f = fopen(path, "r"))) {
			fprintf(stderr, "cannot read %s\n", path);
			continue;
		}
		while (count < n && fgets(line, sizeof line, f)) {
			json_t *row = json_loads(line, 0, NULL);
			const char *text = json_string_value(json_object_get(row, "text"));
			const char *words[4096];
			size_t nw = 0, start, i;
			char *copy;

			if (!text || !(copy = strdup(text))) {
				json_decref(row);
				continue;
			}
			for (char *w = strtok(copy, " \t\n"); w && nw < 4096; w = strtok(NULL, " \t\n"))
				words[nw++] = w;
			for (start = 0; count < n && (start == 0 || start + 50 < nw); start += 25) {
				size_t len = 0, end = start + 100 < nw ? start + 100 : nw;
				char *t;

				for (i = start; i < end; i++)
					len += strlen(words[i]) + 1;
				t = xmalloc(len + 1);
				t[0] = '\0';
				for (i = start; i < end; i++) {
					strcat(t, words[i]);
					strcat(t, " ");
				}
				texts[count++] = t;
			}
			free(copy);
			json_decref(row);
		}
		fclose(f);
	}
	*out = texts;
	return count;
}

/* n vectors embedded by the model from the shared collections' text. */
static float *embedded(const char *model, const char *eval_dir, size_t *n, size_t d)
{
	embedder_params ep = embedder_default_params();
	embedder *e;
	char **texts;
	size_t i, batch = 32, m = eval_texts(eval_dir, *n, &texts);
	float *x;
	double t0;

	ep.model = model;
	if (embedder_open(&e, &ep) != 0) {
		fprintf(stderr, "%s\n", docent_error_message());
		exit(1);
	}
	if ((size_t)embedder_dim(e) != d) {
		fprintf(stderr, "%s gives %d dimensions, not %zu (--dim)\n", model,
			embedder_dim(e), d);
		exit(1);
	}
	x = xmalloc(m * d * sizeof *x);
	t0 = now_ms();
	for (i = 0; i < m; i += batch) {
		size_t b = m - i < batch ? m - i : batch;

		if (embedder_embed(e, (const char *const *)texts + i, b, EMBED_DOCUMENT,
				x + i * d) != 0) {
			fprintf(stderr, "%s\n", docent_error_message());
			exit(1);
		}
	}
	printf("embedded %zu texts of 100 words with %s in %.1f s: %.0f vectors/s\n",
		m, model, (now_ms() - t0) / 1e3, m / ((now_ms() - t0) / 1e3));
	for (i = 0; i < m; i++)
		free(texts[i]);
	free(texts);
	embedder_free(e);
	*n = m;
	return x;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double resident_mb(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long size = 0, rss = 0;

	if (f) {
		if (fscanf(f, "%ld %ld", &size, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	return rss * (double)sysconf(_SC_PAGESIZE) / 1e6;
}

static void die(const char *what)
{
	fprintf(stderr, "%s: %s\n", what, docent_error_message());
	exit(1);
}

typedef struct pass {
	double open_ms, p50, p99, rss_mb, recall;
} pass;

/*
 * Opens the saved index with p, searches every query one at a time, and
 * fills r. ids receives the answers (K per query); truth, when given, is
 * what recall is counted against.
 */
static void measure(const char *path, size_t d, const vindex_params *p, const float *qs,
		size_t nq, int64_t *ids, const int64_t *truth, pass *r, char *desc, size_t desc_len)
{
	double *lat = xmalloc(nq * sizeof *lat), rss0 = resident_mb(), t;
	size_t q, i, j, got, hits = 0;
	float scores[K];
	vindex *v;

	t = now_ms();
	if (vindex_open(&v, path, (int)d, p) != 0)
		die("open");
	r->open_ms = now_ms() - t;
	snprintf(desc, desc_len, "%s", vindex_describe(v));
	for (q = 0; q < nq; q++) {
		t = now_ms();
		if (vindex_search(v, qs + q * d, K, ids + q * K, scores, &got) != 0)
			die("search");
		lat[q] = now_ms() - t;
		for (i = got; i < K; i++)
			ids[q * K + i] = -1;
	}
	r->rss_mb = resident_mb() - rss0;
	vindex_close(v);
	qsort(lat, nq, sizeof *lat, cmp_double);
	r->p50 = lat[nq / 2];
	r->p99 = lat[(size_t)(nq * 0.99)];
	for (q = 0; truth && q < nq; q++)
		for (i = 0; i < K; i++)
			for (j = 0; j < K; j++)
				hits += truth[q * K + i] == ids[q * K + j] && truth[q * K + i] >= 0;
	r->recall = truth ? (double)hits / (double)(nq * K) : 1.0;
	free(lat);
}

/* Measures one setting R times and prints one line of medians. */
static void report(const char *path, size_t n, size_t d, vindex_params p, const float *qs,
		size_t nq, int64_t *ids, const int64_t *truth, int repeat, double build_s,
		double file_mb)
{
	double open_ms[16], p50[16], p99[16], rss = 0, recall = 0;
	char desc[200];
	int r;

	for (r = 0; r < repeat; r++) {
		pass x;

		measure(path, d, &p, qs, nq, ids, truth, &x, desc, sizeof desc);
		open_ms[r] = x.open_ms;
		p50[r] = x.p50;
		p99[r] = x.p99;
		rss = x.rss_mb;
		recall = x.recall;
	}
	printf("n=%zu\t%-44s\t%s\tbuild %7.1f s\tfile %6.0f MB\topen %7.1f ms\t"
		"rss +%5.0f MB\tp50 %7.3f ms\tp99 %7.3f ms\trecall@10 %.3f\n",
		n, desc, p.mmap ? "mmap" : "read", build_s, file_mb, median(open_ms, repeat),
		rss, median(p50, repeat), median(p99, repeat), recall);
	fflush(stdout);
}

/* Builds the index that spec names over the vectors, saves it, measures. */
static void run_spec(const char *spec, const char *path, const int64_t *vid,
		const float *x, size_t n, size_t d, const float *qs, size_t nq,
		int64_t *ids, const int64_t *truth, int repeat, size_t flat_max, int mmap)
{
	vindex_params p = vindex_default_params();
	char *factory = strdup(spec), *settings = strchr(factory, '@'), *s, *save = NULL;
	struct stat st;
	double t, build_s, file_mb;
	vindex *v;
	int ivf;

	if (settings)
		*settings++ = '\0';
	if (strcmp(factory, "flat") == 0)
		p.flat_max = SIZE_MAX;
	else if (strcmp(factory, "auto") == 0)
		p.flat_max = flat_max ? flat_max : p.flat_max;
	else
		p.factory = factory;
	unlink(path);
	if (vindex_open(&v, path, (int)d, &p) != 0)
		die("open");
	t = now_ms();
	if (vindex_rebuild(v, vid, x, n) != 0)
		die("rebuild");
	build_s = (now_ms() - t) / 1e3;
	if (vindex_save(v) != 0)
		die("save");
	ivf = strstr(vindex_describe(v), "IVF") != NULL;
	vindex_close(v);
	file_mb = stat(path, &st) == 0 ? st.st_size / 1e6 : 0;
	s = settings ? strtok_r(settings, "|", &save) : NULL;
	do {
		p.search = s;
		p.mmap = 0;
		report(path, n, d, p, qs, nq, ids, truth, repeat, build_s, file_mb);
		/* only IVF lists can be mapped; anything else is read the same way */
		if (mmap && ivf) {
			p.mmap = 1;
			report(path, n, d, p, qs, nq, ids, truth, repeat, build_s, file_mb);
		}
	} while (s && (s = strtok_r(NULL, "|", &save)));
	free(factory);
}

int main(int argc, char **argv)
{
	size_t n = 100000, d = 384, nq = 1000, nclusters = 4096, flat_max = 0, i;
	const char *dir = "/tmp", *model = NULL, *eval_dir = "../shared/eval";
	const char *specs[32];
	int nspecs = 0, repeat = 3, mmap = 0;
	int64_t *vid, *truth, *ids;
	float *x;
	char path[1100];
	double t;

	for (i = 1; i < (size_t)argc; i++) {
		const char *a = argv[i], *val = i + 1 < (size_t)argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--mmap") == 0) {
			mmap = 1;
			continue;
		}
		if (!val) {
			fprintf(stderr, "usage: see the top of bench/vectors.c\n");
			return 2;
		}
		i++;
		if (strcmp(a, "--n") == 0)
			n = strtoull(val, NULL, 10);
		else if (strcmp(a, "--dim") == 0)
			d = strtoull(val, NULL, 10);
		else if (strcmp(a, "--queries") == 0)
			nq = strtoull(val, NULL, 10);
		else if (strcmp(a, "--clusters") == 0)
			nclusters = strtoull(val, NULL, 10);
		else if (strcmp(a, "--repeat") == 0)
			repeat = atoi(val) < 1 ? 1 : atoi(val) > 16 ? 16 : atoi(val);
		else if (strcmp(a, "--flat-max") == 0)
			flat_max = strtoull(val, NULL, 10);
		else if (strcmp(a, "--dir") == 0)
			dir = val;
		else if (strcmp(a, "--embed") == 0)
			model = val;
		else if (strcmp(a, "--eval-dir") == 0)
			eval_dir = val;
		else if (strcmp(a, "--index") == 0 && nspecs < 32)
			specs[nspecs++] = val;
		else {
			fprintf(stderr, "unknown option %s (see the top of bench/vectors.c)\n", a);
			return 2;
		}
	}
	if (nspecs == 0)
		specs[nspecs++] = "auto";

	t = now_ms();
	if (model) {
		size_t m = n + nq;

		x = embedded(model, eval_dir, &m, d);
		if (m < 2 * nq) {
			fprintf(stderr, "only %zu texts\n", m);
			return 1;
		}
		n = m - nq;
	} else if (nclusters == 0) {
		/* IVF's worst case, for comparison: no structure at all */
		x = xmalloc((n + nq) * d * sizeof *x);
		for (i = 0; i < n + nq; i++)
			around(x + i * d, NULL, 0, 1, d);
		printf("generated %zu + %zu uniformly random unit vectors of %zu dimensions\n",
			n, nq, d);
	} else {
		x = mixture(n + nq, d, nclusters);
		printf("generated %zu + %zu vectors of %zu dimensions (%zu clusters) in %.1f s\n",
			n, nq, d, nclusters, (now_ms() - t) / 1e3);
	}
	vid = xmalloc(n * sizeof *vid);
	for (i = 0; i < n; i++)
		vid[i] = (int64_t)i * 3 + 1;
	truth = xmalloc(nq * K * sizeof *truth);
	ids = xmalloc(nq * K * sizeof *ids);
	snprintf(path, sizeof path, "%s/docent-bench-vectors-%zu.faiss", dir, n);

	/* the query vectors come after the stored ones and are never added */
	run_spec("flat", path, vid, x, n, d, x + n * d, nq, truth, NULL, repeat, 0, mmap);
	{
		/* how the data looks: the mean best match and mean unrelated cosine */
		double top = 0, any = 0;

		for (i = 0; i < nq; i++) {
			const float *q = x + (n + i) * d, *y = x + (truth[i * K] - 1) / 3 * d;
			const float *z = x + (next_rand() % n) * d;
			size_t j;

			for (j = 0; j < d; j++) {
				top += q[j] * y[j];
				any += q[j] * z[j];
			}
		}
		printf("mean cosine of a query with its nearest vector %.3f, with a random one %.3f\n",
			top / nq, any / nq);
	}
	for (i = 0; i < (size_t)nspecs; i++)
		run_spec(specs[i], path, vid, x, n, d, x + n * d, nq, ids, truth, repeat,
			flat_max, mmap);
	unlink(path);
	free(x);
	free(vid);
	free(truth);
	free(ids);
	return 0;
}
