/*
 * vectors.c - a collection's vectors in a FAISS index keyed by chunk id
 * (see vectors.h), through the official FAISS C API only.
 *
 * Every index is an IndexIDMap over either an exact IndexFlatIP (up to
 * flat_max vectors) or an IVF-Flat index with sqrt(n) lists whose nprobe is
 * measured on the data itself while it is built, as the smallest giving
 * recall@10 >= 0.95 against exact search, or over whatever a factory string
 * asks for. docs/faiss.md has the measurements behind these choices. The
 * handle keeps the FAISS index and the path it saves to; the file is only a
 * cache of the database, so any file FAISS cannot read, or of another
 * dimension, is reported as DOCENT_EFORMAT for the caller to rebuild.
 */
#include "index/vectors.h"
#include "core/error.h"

#include <faiss/c_api/AutoTune_c.h>
#include <faiss/c_api/IndexFlat_c.h>
#include <faiss/c_api/IndexIVF_c.h>
#include <faiss/c_api/Index_c.h>
#include <faiss/c_api/MetaIndexes_c.h>
#include <faiss/c_api/error_c.h>
#include <faiss/c_api/impl/AuxIndexStructures_c.h>
#include <faiss/c_api/index_factory_c.h>
#include <faiss/c_api/index_io_c.h>
#include <faiss/c_api/utils/distances_c.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * IVF sizing (docs/faiss.md). nlist = sqrt(n): one query then scans about
 * as many centroids as vectors per probed list, and k-means stays cheap;
 * 4 sqrt(n) was slower to build and to search at the same recall. Never so
 * many lists that k-means gets fewer than 39 points per centroid (FAISS's
 * own minimum, below which it prints a warning), and k-means runs on at
 * most 64 points per centroid: FAISS's own limit, 256, made lists good
 * enough for one probe fewer (0.31 against 0.39 ms at 100k) but k-means on
 * 4 times the points made the build 1.5 times as long.
 * nprobe is not a fixed share of nlist: how many lists give recall@10 >=
 * 0.95 depends on how clustered the vectors are (under 1% of the lists for
 * clustered vectors, most of them for uniformly random ones), so fill()
 * measures it on the data.
 */
#define VINDEX_MIN_PER_LIST 39
#define VINDEX_RECALL 0.95
#define VINDEX_CAL_QUERIES 100
#define VINDEX_CAL_K 10
#define VINDEX_TRAIN_PER_LIST 64
#define VINDEX_BLAS_DEFAULT 20 /* FAISS's distance_compute_blas_threshold */

struct vindex {
	char *path;
	int dim;
	vindex_params p;
	char *factory;      /* p.factory copied, with the "IDMap," prefix; or NULL */
	char *search;       /* p.search copied, or NULL */
	FaissIndex *idx;    /* always an IndexIDMap */
	char desc[160];
};

vindex_params vindex_default_params(void)
{
	return (vindex_params){
		.factory = NULL,
		.flat_max = 20000,
		.nprobe = 0,
		.threads = 0,
		.search = NULL,
		.mmap = 0,
	};
}

/* Turns a FAISS C API failure into a docent error naming what was done. */
static int faiss_err(const vindex *v, int code, const char *what)
{
	const char *msg = faiss_get_last_error();

	return docent_error_set(code, "FAISS failed while %s for %s: %s", what,
		v && v->path ? v->path : "the vector index", msg ? msg : "no detail");
}

static size_t ivf_nlist(size_t n)
{
	size_t nlist = (size_t)lround(sqrt((double)n));
	size_t cap = n / VINDEX_MIN_PER_LIST;

	if (nlist > cap)
		nlist = cap;
	return nlist < 1 ? 1 : nlist;
}

/* The IVF index inside the ID map, or NULL when it is not one. */
static FaissIndexIVF *inner_ivf(FaissIndex *idx)
{
	FaissIndexIDMap *map = faiss_IndexIDMap_cast(idx);

	return map ? faiss_IndexIVF_cast(faiss_IndexIDMap_sub_index(map)) : NULL;
}

/* The caller's nprobe and search parameters, when given, override the
 * stored or measured ones. */
static int tune(vindex *v)
{
	FaissIndexIVF *ivf = inner_ivf(v->idx);
	FaissParameterSpace *ps = NULL;
	int rc = 0;

	if (ivf && v->p.nprobe > 0)
		faiss_IndexIVF_set_nprobe(ivf, (size_t)v->p.nprobe);
	if (!v->search)
		return 0;
	if (faiss_ParameterSpace_new(&ps) != 0)
		return faiss_err(v, DOCENT_ENOMEM, "setting search parameters");
	if (faiss_ParameterSpace_set_index_parameters(ps, v->idx, v->search) != 0)
		rc = docent_error_set(DOCENT_ECONFIG,
			"the vector search parameters \"%s\" do not apply to the index "
			"%s (%s); use names FAISS knows for this index type, such as "
			"\"nprobe=16\" or \"efSearch=64\"", v->search, v->path,
			faiss_get_last_error() ? faiss_get_last_error() : "no detail");
	faiss_ParameterSpace_free(ps);
	return rc;
}

/* Refuses changes to an index opened for searching only. */
static int writable(const vindex *v, const char *what)
{
	if (!v->p.mmap)
		return 0;
	return docent_error_set(DOCENT_EINVAL,
		"cannot %s the vector index %s: it was opened for searching only "
		"(mmap)", what, v->path);
}

/* The share of want's answers (k per query) that got has too. */
static double recall(const idx_t *got, const idx_t *want, size_t nq, size_t k)
{
	size_t q, i, j, hits = 0, total = 0;

	for (q = 0; q < nq; q++)
		for (i = 0; i < k; i++) {
			idx_t w = want[q * k + i];

			if (w < 0)
				continue;
			total++;
			for (j = 0; j < k; j++)
				if (got[q * k + j] == w) {
					hits++;
					break;
				}
		}
	return total ? (double)hits / (double)total : 1.0;
}

/* Searches idx for the nq queries with the given nprobe, k answers each. */
static int probe(vindex *v, FaissIndex *idx, size_t nprobe, const float *qs,
		size_t nq, size_t k, float *dis, idx_t *got)
{
	faiss_IndexIVF_set_nprobe(inner_ivf(idx), nprobe);
	if (faiss_Index_search(idx, (idx_t)nq, qs, (idx_t)k, dis, got) != 0)
		return faiss_err(v, DOCENT_ENOMEM, "measuring recall");
	return 0;
}

/*
 * Sets idx's nprobe to the smallest (to within a factor of 1.25) whose
 * recall@10 for the nq queries reaches VINDEX_RECALL against a search of
 * every list, which is exact for an IVF-Flat index.
 */
static int calibrate(vindex *v, FaissIndex *idx, const float *qs, size_t nq)
{
	size_t k = VINDEX_CAL_K, lo, hi, nlist = faiss_IndexIVF_nlist(inner_ivf(idx));
	float *dis = malloc(nq * k * sizeof *dis);
	idx_t *want = malloc(nq * k * sizeof *want), *got = malloc(nq * k * sizeof *got);
	int rc = 0;

	if (!dis || !want || !got) {
		rc = docent_error_set(DOCENT_ENOMEM, "out of memory tuning %s", v->path);
		goto done;
	}
	if ((rc = probe(v, idx, nlist, qs, nq, k, dis, want)) != 0)
		goto done;
	/* doubling, then bisection between the last miss and the first hit */
	lo = 0;
	for (hi = 1;; hi = hi * 2 > nlist ? nlist : hi * 2) {
		if ((rc = probe(v, idx, hi, qs, nq, k, dis, got)) != 0)
			goto done;
		if (hi >= nlist || recall(got, want, nq, k) >= VINDEX_RECALL)
			break;
		lo = hi;
	}
	while (hi - lo > 1 && hi > lo + lo / 4) {
		size_t mid = lo + (hi - lo) / 2;

		if ((rc = probe(v, idx, mid, qs, nq, k, dis, got)) != 0)
			goto done;
		if (recall(got, want, nq, k) >= VINDEX_RECALL)
			hi = mid;
		else
			lo = mid;
	}
	faiss_IndexIVF_set_nprobe(inner_ivf(idx), hi);
done:
	free(dis);
	free(want);
	free(got);
	return rc;
}

/*
 * Adds the n vectors to idx, a freshly trained index. An IVF index whose
 * nprobe is not fixed is calibrated on the way, with queries it does not
 * hold, as a user's are: up to VINDEX_CAL_QUERIES vectors spread over the
 * collection are held back, the others added, nprobe measured with the
 * held-back ones as queries, and then they are added too. (Queries that are
 * stored vectors find their neighbours in their own list too easily: nprobe
 * came out too small, recall 0.93 instead of 0.95; docs/faiss.md.)
 */
static int fill(vindex *v, FaissIndex *idx, const int64_t *ids, const float *vecs, size_t n)
{
	size_t d = (size_t)v->dim, nq = n / 10, step, q, at, from = 0;
	float *qs = NULL;
	int64_t *qids = NULL;
	int rc = 0;

	if (nq > VINDEX_CAL_QUERIES)
		nq = VINDEX_CAL_QUERIES;
	if (!inner_ivf(idx) || v->p.nprobe > 0 || nq < VINDEX_CAL_K) {
		if (faiss_Index_add_with_ids(idx, (idx_t)n, vecs, ids) != 0)
			return faiss_err(v, DOCENT_ENOMEM, "adding vectors");
		/* too few vectors to measure: probing every list is exact and cheap */
		if (inner_ivf(idx) && v->p.nprobe <= 0)
			faiss_IndexIVF_set_nprobe(inner_ivf(idx), faiss_IndexIVF_nlist(inner_ivf(idx)));
		return 0;
	}
	qs = malloc(nq * d * sizeof *qs);
	qids = malloc(nq * sizeof *qids);
	if (!qs || !qids) {
		rc = docent_error_set(DOCENT_ENOMEM, "out of memory adding to %s", v->path);
		goto done;
	}
	step = n / nq;
	for (q = 0; q <= nq; q++) {
		at = q < nq ? q * step + step / 2 : n;
		if (at > from &&
		    faiss_Index_add_with_ids(idx, (idx_t)(at - from), vecs + from * d, ids + from) != 0) {
			rc = faiss_err(v, DOCENT_ENOMEM, "adding vectors");
			goto done;
		}
		if (q < nq) {
			memcpy(qs + q * d, vecs + at * d, d * sizeof *qs);
			qids[q] = ids[at];
		}
		from = at + 1;
	}
	rc = calibrate(v, idx, qs, nq);
	if (rc == 0 && faiss_Index_add_with_ids(idx, (idx_t)nq, qs, qids) != 0)
		rc = faiss_err(v, DOCENT_ENOMEM, "adding vectors");
done:
	free(qs);
	free(qids);
	return rc;
}

static void describe(vindex *v)
{
	FaissIndexIVF *ivf = inner_ivf(v->idx);
	char base[128];

	if (v->factory)
		snprintf(base, sizeof base, "%s", v->factory);
	else if (ivf)
		snprintf(base, sizeof base, "IDMap,IVF%zu,Flat", faiss_IndexIVF_nlist(ivf));
	else
		snprintf(base, sizeof base, "IDMap,Flat");
	if (ivf)
		snprintf(v->desc, sizeof v->desc, "%s nprobe=%zu", base,
			faiss_IndexIVF_nprobe(ivf));
	else if (v->search)
		snprintf(v->desc, sizeof v->desc, "%s %s", base, v->search);
	else
		snprintf(v->desc, sizeof v->desc, "%s", base);
}

/*
 * Makes an empty index for n vectors in *out: the factory string if there
 * is one, else flat up to flat_max, else IVF. Not trained.
 */
static int make_index(vindex *v, size_t n, FaissIndex **out)
{
	FaissIndex *idx = NULL;
	int rc;

	*out = NULL;
	if (v->factory) {
		if (faiss_index_factory(&idx, v->dim, v->factory, METRIC_INNER_PRODUCT) != 0)
			return docent_error_set(DOCENT_ECONFIG,
				"the vector index type \"%s\" is not a FAISS index-factory "
				"string FAISS accepts (%s); fix it in the configuration or "
				"remove it to let docent choose", v->p.factory,
				faiss_get_last_error() ? faiss_get_last_error() : "no detail");
		if (!faiss_IndexIDMap_cast(idx)) {
			faiss_Index_free(idx);
			return docent_error_set(DOCENT_ECONFIG,
				"the vector index type \"%s\" does not give an index keyed by "
				"id; use a plain factory string such as \"IVF1024,Flat\"",
				v->p.factory);
		}
	} else if (n <= v->p.flat_max) {
		FaissIndexFlatIP *flat = NULL;
		FaissIndexIDMap *map = NULL;

		if (faiss_IndexFlatIP_new_with(&flat, v->dim) != 0)
			return faiss_err(v, DOCENT_ENOMEM, "creating a flat index");
		if (faiss_IndexIDMap_new(&map, (FaissIndex *)flat) != 0) {
			faiss_Index_free((FaissIndex *)flat);
			return faiss_err(v, DOCENT_ENOMEM, "creating the id map");
		}
		faiss_IndexIDMap_set_own_fields(map, 1);
		idx = (FaissIndex *)map;
	} else {
		char desc[64];

		snprintf(desc, sizeof desc, "IDMap,IVF%zu,Flat", ivf_nlist(n));
		rc = faiss_index_factory(&idx, v->dim, desc, METRIC_INNER_PRODUCT);
		if (rc != 0)
			return faiss_err(v, DOCENT_ENOMEM, "creating an IVF index");
	}
	*out = idx;
	return 0;
}

/*
 * Trains idx on these vectors when it needs it. An IVF index is trained on
 * at most VINDEX_TRAIN_PER_LIST vectors per list, taken at an even stride
 * so that every part of the collection is represented.
 */
static int train(vindex *v, FaissIndex *idx, const float *vecs, size_t n)
{
	FaissIndexIVF *ivf = inner_ivf(idx);
	size_t d = (size_t)v->dim, m = n, i;
	float *sample = NULL;
	int rc = 0;

	if (faiss_Index_is_trained(idx))
		return 0;
	if (n == 0)
		return docent_error_set(DOCENT_EINVAL,
			"the vector index %s must be trained before use and no vectors "
			"were given to train it on", v->path);
	if (ivf && n / VINDEX_TRAIN_PER_LIST > faiss_IndexIVF_nlist(ivf)) {
		m = faiss_IndexIVF_nlist(ivf) * VINDEX_TRAIN_PER_LIST;
		sample = malloc(m * d * sizeof *sample);
		if (!sample)
			return docent_error_set(DOCENT_ENOMEM, "out of memory training %s",
				v->path);
		for (i = 0; i < m; i++)
			memcpy(sample + i * d, vecs + (i * (n / m)) * d, d * sizeof *sample);
	}
	if (faiss_Index_train(idx, (idx_t)m, sample ? sample : vecs) != 0)
		rc = faiss_err(v, DOCENT_EINVAL,
			"training the index (an IVF index needs at least as many vectors "
			"as lists; rebuild with more vectors or a smaller nlist)");
	free(sample);
	return rc;
}

/* Reads path into v->idx; DOCENT_ENOTFOUND when it does not exist. */
static int load(vindex *v)
{
	FaissIndex *idx = NULL;
	struct stat st;

	if (stat(v->path, &st) != 0) {
		if (errno == ENOENT)
			return DOCENT_ENOTFOUND;
		return docent_error_set(docent_error_from_errno(errno),
			"cannot read the vector index %s: %s", v->path, strerror(errno));
	}
	if (access(v->path, R_OK) != 0)
		return docent_error_set(docent_error_from_errno(errno),
			"cannot read the vector index %s: %s", v->path, strerror(errno));
	if (faiss_read_index_fname(v->path, v->p.mmap ? FAISS_IO_FLAG_MMAP : 0, &idx) != 0)
		return docent_error_set(DOCENT_EFORMAT,
			"the vector index %s is damaged or not a FAISS index (%s); it "
			"will be rebuilt from the database", v->path,
			faiss_get_last_error() ? faiss_get_last_error() : "no detail");
	if (!faiss_IndexIDMap_cast(idx) ||
	    faiss_Index_metric_type(idx) != METRIC_INNER_PRODUCT) {
		faiss_Index_free(idx);
		return docent_error_set(DOCENT_EFORMAT,
			"the vector index %s is a FAISS index of another kind (not "
			"inner product keyed by chunk id); it will be rebuilt from the "
			"database", v->path);
	}
	if (faiss_Index_d(idx) != v->dim) {
		int d = faiss_Index_d(idx);

		faiss_Index_free(idx);
		return docent_error_set(DOCENT_EFORMAT,
			"the vector index %s holds %d-dimensional vectors but the "
			"embedding model gives %d (the model changed?); it will be "
			"rebuilt from the database", v->path, d, v->dim);
	}
	v->idx = idx;
	return 0;
}

int vindex_open(vindex **out, const char *path, int dim, const vindex_params *p)
{
	vindex *v;
	int rc;

	*out = NULL;
	if (!path || dim <= 0)
		return docent_error_set(DOCENT_EINVAL,
			"vindex_open needs a path and a positive dimension (got %d)", dim);
	v = calloc(1, sizeof *v);
	if (!v || !(v->path = strdup(path))) {
		free(v);
		return docent_error_set(DOCENT_ENOMEM, "out of memory opening %s", path);
	}
	v->dim = dim;
	v->p = p ? *p : vindex_default_params();
	v->p.factory = NULL;
	if (p && p->factory && *p->factory) {
		size_t len = strlen(p->factory) + sizeof "IDMap,";

		v->factory = malloc(len);
		if (!v->factory) {
			rc = docent_error_set(DOCENT_ENOMEM, "out of memory opening %s", path);
			goto fail;
		}
		snprintf(v->factory, len, "%s%s",
			strncmp(p->factory, "IDMap", 5) == 0 ? "" : "IDMap,", p->factory);
		v->p.factory = v->factory + (strncmp(p->factory, "IDMap", 5) == 0 ? 0 : 6);
	}
	v->p.search = NULL;
	if (p && p->search && *p->search && !(v->search = strdup(p->search))) {
		rc = docent_error_set(DOCENT_ENOMEM, "out of memory opening %s", path);
		goto fail;
	}
	if (v->p.threads > 0)
		omp_set_num_threads(v->p.threads);

	rc = load(v);
	if (rc == DOCENT_ENOTFOUND)
		rc = make_index(v, 0, &v->idx);
	if (rc != 0 || (rc = tune(v)) != 0)
		goto fail;
	describe(v);
	*out = v;
	return 0;
fail:
	vindex_close(v);
	return rc;
}

void vindex_close(vindex *v)
{
	if (!v)
		return;
	if (v->idx)
		faiss_Index_free(v->idx);
	free(v->factory);
	free(v->search);
	free(v->path);
	free(v);
}

int vindex_add(vindex *v, const int64_t *ids, const float *vecs, size_t n)
{
	int fresh, rc;

	if (n == 0)
		return 0;
	if ((rc = writable(v, "add to")) != 0)
		return rc;
	fresh = !faiss_Index_is_trained(v->idx);
	if ((rc = train(v, v->idx, vecs, n)) != 0)
		return rc;
	if (!fresh) {
		if (faiss_Index_add_with_ids(v->idx, (idx_t)n, vecs, ids) != 0)
			return faiss_err(v, DOCENT_ENOMEM, "adding vectors");
		return 0;
	}
	if ((rc = fill(v, v->idx, ids, vecs, n)) != 0 || (rc = tune(v)) != 0)
		return rc;
	describe(v);
	return 0;
}

int vindex_remove(vindex *v, const int64_t *ids, size_t n)
{
	FaissIDSelectorBatch *sel = NULL;
	size_t removed = 0;
	int rc = 0;

	if (n == 0 || faiss_Index_ntotal(v->idx) == 0)
		return 0;
	if ((rc = writable(v, "remove from")) != 0)
		return rc;
	if (faiss_IDSelectorBatch_new(&sel, n, ids) != 0)
		return faiss_err(v, DOCENT_ENOMEM, "preparing ids to remove");
	if (faiss_Index_remove_ids(v->idx, (const FaissIDSelector *)sel, &removed) != 0)
		rc = faiss_err(v, DOCENT_EINVAL, "removing vectors");
	faiss_IDSelector_free((FaissIDSelector *)sel);
	return rc;
}

const int64_t *vindex_ids(vindex *v, size_t *n)
{
	FaissIndexIDMap *map = faiss_IndexIDMap_cast(v->idx);
	idx_t *ids = NULL;
	size_t size = 0;

	if (map)
		faiss_IndexIDMap_id_map(map, &ids, &size);
	*n = size;
	return (const int64_t *)ids;
}

int vindex_check_vector(vindex *v, size_t pos, const float *expect)
{
	FaissIndexIDMap *map = faiss_IndexIDMap_cast(v->idx);
	float *got = NULL, self = 0, score = 0;
	int64_t id = -1;
	size_t n = 0;
	int rc = 0;

	if (!map || pos >= vindex_count(v))
		return docent_error_set(DOCENT_EFORMAT, "the vector index %s has no vector at "
					"position %zu", v->path, pos);
	if (v->factory) {
		/* a configured type may quantise (PQ, SQ) or approximate (HNSW):
		 * only exact storage can be compared with the database */
		size_t nlist;
		char tail[8] = "";
		if (strcmp(v->factory, "IDMap,Flat") != 0 &&
		    !(sscanf(v->factory, "IDMap,IVF%zu,%7s", &nlist, tail) == 2 &&
		      strcmp(tail, "Flat") == 0))
			return 0;
	}
	for (int i = 0; i < v->dim; i++)
		self += expect[i] * expect[i];
	if (!inner_ivf(v->idx)) {
		if (!(got = malloc((size_t)v->dim * sizeof *got)))
			return docent_error_set(DOCENT_ENOMEM, "out of memory");
		if (faiss_Index_reconstruct(faiss_IndexIDMap_sub_index(map), (idx_t)pos, got) != 0) {
			free(got);
			return faiss_err(v, DOCENT_EFORMAT, "reading a vector back");
		}
		for (int i = 0; i < v->dim; i++)
			score += got[i] * expect[i];
		free(got);
	} else if ((rc = vindex_search(v, expect, 1, &id, &score, &n)) != 0) {
		return rc;
	} else if (n == 0) {
		score = 0;
	}
	/* the same vector gives its own squared norm (1 for the normalised
	 * vectors docent stores); a damaged one gives anything else */
	if (!(score > self - 1e-3f * (self > 1 ? self : 1) &&
	      score < self + 1e-3f * (self > 1 ? self : 1)))
		return docent_error_set(DOCENT_EFORMAT, "the vector index %s holds a vector that "
					"differs from the database's (similarity %g to itself, "
					"expected %g)", v->path, (double)score, (double)self);
	return 0;
}

int vindex_search(vindex *v, const float *q, size_t k, int64_t *ids, float *scores, size_t *n)
{
	size_t i;

	*n = 0;
	if (k == 0 || faiss_Index_ntotal(v->idx) == 0)
		return 0;
	if (!faiss_Index_is_trained(v->idx))
		return 0;
	/*
	 * One query against a flat index is 2-3 times faster through BLAS's
	 * matrix code than through FAISS's generic loops; against an IVF
	 * index's few hundred centroids BLAS only adds thread hand-offs that
	 * cost milliseconds at p99 (docs/faiss.md). The setting is FAISS's
	 * process-wide one and changes speed only, never answers.
	 */
	faiss_set_distance_compute_blas_threshold(
		inner_ivf(v->idx) ? VINDEX_BLAS_DEFAULT : 1);
	/*
	 * One query runs on one thread. A team of OpenMP threads gains little
	 * on it, and after the search its idle threads spin on the cores for
	 * milliseconds, which the rest of the search (SQLite) then waits for:
	 * hybrid p50 at 100k went from 3 to 9 ms.
	 */
	int threads = omp_get_max_threads();
	omp_set_num_threads(1);
	int frc = faiss_Index_search(v->idx, 1, q, (idx_t)k, scores, ids);
	omp_set_num_threads(threads);
	if (frc != 0)
		return faiss_err(v, DOCENT_ENOMEM, "searching");
	/* FAISS pads with id -1 when fewer than k were found */
	for (i = 0; i < k && ids[i] >= 0; i++)
		;
	*n = i;
	return 0;
}

/* Makes the index make_index() chooses for size vectors, then trains and
 * fills it with these n, into *out. */
static int build(vindex *v, size_t size, const int64_t *ids, const float *vecs, size_t n,
		FaissIndex **out)
{
	FaissIndex *idx = NULL;
	int rc = make_index(v, size, &idx);

	if (rc == 0 && n > 0 && (rc = train(v, idx, vecs, n)) == 0)
		rc = fill(v, idx, ids, vecs, n);
	if (rc != 0 && idx) {
		faiss_Index_free(idx);
		idx = NULL;
	}
	*out = idx;
	return rc;
}

int vindex_rebuild(vindex *v, const int64_t *ids, const float *vecs, size_t n)
{
	FaissIndex *idx = NULL;
	FaissIndexIVF *ivf;
	int rc;

	if ((rc = writable(v, "rebuild")) != 0)
		return rc;
	if ((rc = build(v, n, ids, vecs, n, &idx)) != 0)
		return rc;
	/*
	 * Where recall 0.95 takes half the lists or more (vectors without
	 * clusters), IVF is no faster than exact search through BLAS, so docent
	 * uses exact search; a factory string or an nprobe is obeyed as given.
	 */
	ivf = inner_ivf(idx);
	if (ivf && !v->factory && v->p.nprobe <= 0 &&
	    2 * faiss_IndexIVF_nprobe(ivf) >= faiss_IndexIVF_nlist(ivf)) {
		faiss_Index_free(idx);
		if ((rc = build(v, 0, ids, vecs, n, &idx)) != 0)
			return rc;
	}
	faiss_Index_free(v->idx);
	v->idx = idx;
	rc = tune(v);
	describe(v);
	return rc;
}

/* fsyncs the folder holding path so that a rename in it is durable. */
static int sync_dir(const char *path)
{
	char *dir = strdup(path);
	const char *folder;
	char *slash;
	int fd, rc = 0;

	if (!dir)
		return docent_error_set(DOCENT_ENOMEM, "out of memory saving %s", path);
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	folder = slash ? dir : ".";
	fd = open(folder, O_RDONLY | O_DIRECTORY);
	if (fd < 0 || fsync(fd) != 0)
		rc = docent_error_set(docent_error_from_errno(errno),
			"saved the vector index %s but could not sync its folder %s (%s); "
			"check the disk", path, folder, strerror(errno));
	if (fd >= 0)
		close(fd);
	free(dir);
	return rc;
}

int vindex_save(vindex *v)
{
	size_t len = strlen(v->path) + sizeof ".tmp";
	char *tmp;
	FILE *f;
	int rc = 0, err;

	if ((rc = writable(v, "save")) != 0)
		return rc;
	tmp = malloc(len);
	if (!tmp)
		return docent_error_set(DOCENT_ENOMEM, "out of memory saving %s", v->path);
	snprintf(tmp, len, "%s.tmp", v->path);
	f = fopen(tmp, "wb");
	if (!f) {
		err = errno;
		rc = docent_error_set(docent_error_from_errno(err),
			"cannot write the vector index to %s: %s; check the folder's "
			"permissions and free space", tmp, strerror(err));
		goto done;
	}
	if (faiss_write_index(v->idx, f) != 0) {
		rc = faiss_err(v, DOCENT_EIO, "writing the index (disk full?)");
		fclose(f);
		unlink(tmp);
		goto done;
	}
	if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
		err = errno;
		fclose(f);
		unlink(tmp);
		rc = docent_error_set(docent_error_from_errno(err),
			"cannot write the vector index to %s: %s; check free space",
			tmp, strerror(err));
		goto done;
	}
	if (fclose(f) != 0 || rename(tmp, v->path) != 0) {
		err = errno;
		unlink(tmp);
		rc = docent_error_set(docent_error_from_errno(err),
			"cannot replace the vector index %s with %s: %s", v->path, tmp,
			strerror(err));
		goto done;
	}
	rc = sync_dir(v->path);
done:
	free(tmp);
	return rc;
}

size_t vindex_count(const vindex *v)
{
	return (size_t)faiss_Index_ntotal(v->idx);
}

int vindex_dim(const vindex *v)
{
	return v->dim;
}

const char *vindex_describe(const vindex *v)
{
	return v->desc;
}
