/*
 * vectors.c - a collection's vectors in a FAISS index keyed by chunk id
 * (see vectors.h), through the official FAISS C API only.
 *
 * Every index is an IndexIDMap over either an exact IndexFlatIP (up to
 * flat_max vectors) or an IVF index whose nlist grows with sqrt(n) and
 * whose nprobe is measured on the data itself, after training, as the
 * smallest giving recall@10 >= 0.95 against exact search (docs/faiss.md
 * has the figures), or over whatever a factory string asks for. The handle keeps the FAISS index and the path it
 * saves to; the file is only a cache of the database, so any file FAISS
 * cannot read, or of another dimension, is reported as DOCENT_EFORMAT for
 * the caller to rebuild.
 */
#include "index/vectors.h"
#include "core/error.h"

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
 * IVF sizing. nlist ~ 4 sqrt(n), but never so many lists that k-means gets
 * fewer than 39 points per centroid (FAISS's own minimum, below which it
 * prints a warning). nprobe is not a fixed share of nlist: how many lists
 * give recall@10 >= 0.95 depends on how clustered the vectors are (a few
 * percent of the lists for real embeddings, most of them for random
 * vectors; docs/faiss.md), so calibrate() measures it on the data.
 */
#define VINDEX_MIN_PER_LIST 39
#define VINDEX_RECALL 0.95
#define VINDEX_CAL_QUERIES 100
#define VINDEX_CAL_K 10

struct vindex {
	char *path;
	int dim;
	vindex_params p;
	char *factory;      /* p.factory copied, with the "IDMap," prefix; or NULL */
	FaissIndex *idx;    /* always an IndexIDMap */
	char desc[160];
};

vindex_params vindex_default_params(void)
{
	return (vindex_params){
		.factory = NULL,
		.flat_max = 50000,
		.nprobe = 0,
		.threads = 0,
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
	size_t nlist = (size_t)lround(4.0 * sqrt((double)n));
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

/* The caller's nprobe, when given, overrides the stored or measured one. */
static void tune(vindex *v)
{
	FaissIndexIVF *ivf = inner_ivf(v->idx);

	if (ivf && v->p.nprobe > 0)
		faiss_IndexIVF_set_nprobe(ivf, (size_t)v->p.nprobe);
}

/* Recall of ivf's answers (k+1 per query, the first being the query's own
 * vector) against the exact ones in want (k per query). */
static double recall(const idx_t *got, const idx_t *want, size_t nq, size_t k)
{
	size_t q, i, j, hits = 0;

	for (q = 0; q < nq; q++)
		for (i = 0; i < k; i++)
			for (j = 1; j <= k; j++)
				hits += got[q * (k + 1) + j] == want[q * k + i];
	return (double)hits / (double)(nq * k);
}

/*
 * Sets the smallest nprobe (to within a factor of 1.25) whose recall@10
 * against exact search reaches VINDEX_RECALL, using vectors of the index
 * itself as queries (their own match, always found, is left out). The exact
 * answers come from a plain scan of vecs; positions are used as ids, the
 * index is searched with its own, so ids[] maps one to the other.
 */
static int calibrate(vindex *v, const int64_t *ids, const float *vecs, size_t n)
{
	FaissIndexIVF *ivf = inner_ivf(v->idx);
	size_t nq = n < VINDEX_CAL_QUERIES ? n : VINDEX_CAL_QUERIES;
	size_t k = VINDEX_CAL_K, d = (size_t)v->dim, q, i, j, lo, hi, nlist;
	float *qs = NULL, *best = NULL, *dis = NULL;
	idx_t *want = NULL, *got = NULL;
	int rc = 0;

	if (!ivf || v->p.nprobe > 0 || n <= k + 1)
		return 0;
	nlist = faiss_IndexIVF_nlist(ivf);
	qs = malloc(nq * d * sizeof *qs);
	best = malloc(nq * k * sizeof *best);
	want = malloc(nq * k * sizeof *want);
	got = malloc(nq * (k + 1) * sizeof *got);
	dis = malloc(nq * (k + 1) * sizeof *dis);
	if (!qs || !best || !want || !got || !dis) {
		rc = docent_error_set(DOCENT_ENOMEM, "out of memory tuning %s", v->path);
		goto done;
	}
	for (q = 0; q < nq; q++) {
		const float *x = vecs + (q * (n / nq)) * d;
		size_t self = q * (n / nq), filled = 0;

		memcpy(qs + q * d, x, d * sizeof *qs);
		for (i = 0; i < n; i++) {
			const float *y = vecs + i * d;
			float s = 0;
			size_t t;

			if (i == self)
				continue;
			for (t = 0; t < d; t++)
				s += x[t] * y[t];
			if (filled < k)
				filled++;
			else if (s <= best[q * k + k - 1])
				continue;
			for (j = filled - 1; j > 0 && best[q * k + j - 1] < s; j--) {
				best[q * k + j] = best[q * k + j - 1];
				want[q * k + j] = want[q * k + j - 1];
			}
			best[q * k + j] = s;
			want[q * k + j] = ids[i];
		}
	}
	/* doubling, then bisection between the last miss and the first hit */
	lo = 0;
	for (hi = 1;; hi = hi * 2 > nlist ? nlist : hi * 2) {
		faiss_IndexIVF_set_nprobe(ivf, hi);
		if (faiss_Index_search(v->idx, (idx_t)nq, qs, (idx_t)(k + 1), dis, got) != 0) {
			rc = faiss_err(v, DOCENT_ENOMEM, "measuring recall");
			goto done;
		}
		if (hi >= nlist || recall(got, want, nq, k) >= VINDEX_RECALL)
			break;
		lo = hi;
	}
	while (hi - lo > 1 && hi > lo + lo / 4) {
		size_t mid = lo + (hi - lo) / 2;

		faiss_IndexIVF_set_nprobe(ivf, mid);
		if (faiss_Index_search(v->idx, (idx_t)nq, qs, (idx_t)(k + 1), dis, got) != 0) {
			rc = faiss_err(v, DOCENT_ENOMEM, "measuring recall");
			goto done;
		}
		if (recall(got, want, nq, k) >= VINDEX_RECALL)
			hi = mid;
		else
			lo = mid;
	}
	faiss_IndexIVF_set_nprobe(ivf, hi);
done:
	free(qs);
	free(best);
	free(want);
	free(got);
	free(dis);
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

/* Trains idx on these vectors when it needs it (IVF). */
static int train(vindex *v, FaissIndex *idx, const float *vecs, size_t n)
{
	if (faiss_Index_is_trained(idx))
		return 0;
	if (n == 0)
		return docent_error_set(DOCENT_EINVAL,
			"the vector index %s must be trained before use and no vectors "
			"were given to train it on", v->path);
	if (faiss_Index_train(idx, (idx_t)n, vecs) != 0)
		return faiss_err(v, DOCENT_EINVAL,
			"training the index (an IVF index needs at least as many vectors "
			"as lists; rebuild with more vectors or a smaller nlist)");
	return 0;
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
	if (faiss_read_index_fname(v->path, 0, &idx) != 0)
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
	if (v->p.threads > 0)
		omp_set_num_threads(v->p.threads);
	/* One query against many vectors is faster through BLAS's matrix code
	 * than through FAISS's generic loops (see docs/faiss.md). */
	faiss_set_distance_compute_blas_threshold(1);

	rc = load(v);
	if (rc == DOCENT_ENOTFOUND)
		rc = make_index(v, 0, &v->idx);
	if (rc != 0)
		goto fail;
	tune(v);
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
	free(v->path);
	free(v);
}

int vindex_add(vindex *v, const int64_t *ids, const float *vecs, size_t n)
{
	int fresh, rc;

	if (n == 0)
		return 0;
	fresh = !faiss_Index_is_trained(v->idx);
	rc = train(v, v->idx, vecs, n);
	if (rc != 0)
		return rc;
	if (faiss_Index_add_with_ids(v->idx, (idx_t)n, vecs, ids) != 0)
		return faiss_err(v, DOCENT_ENOMEM, "adding vectors");
	if (fresh && (rc = calibrate(v, ids, vecs, n)) != 0)
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
	if (faiss_IDSelectorBatch_new(&sel, n, ids) != 0)
		return faiss_err(v, DOCENT_ENOMEM, "preparing ids to remove");
	if (faiss_Index_remove_ids(v->idx, (const FaissIDSelector *)sel, &removed) != 0)
		rc = faiss_err(v, DOCENT_EINVAL, "removing vectors");
	faiss_IDSelector_free((FaissIDSelector *)sel);
	return rc;
}

int vindex_search(vindex *v, const float *q, size_t k, int64_t *ids, float *scores, size_t *n)
{
	size_t i;

	*n = 0;
	if (k == 0 || faiss_Index_ntotal(v->idx) == 0)
		return 0;
	if (!faiss_Index_is_trained(v->idx))
		return 0;
	if (faiss_Index_search(v->idx, 1, q, (idx_t)k, scores, ids) != 0)
		return faiss_err(v, DOCENT_ENOMEM, "searching");
	/* FAISS pads with id -1 when fewer than k were found */
	for (i = 0; i < k && ids[i] >= 0; i++)
		;
	*n = i;
	return 0;
}

int vindex_rebuild(vindex *v, const int64_t *ids, const float *vecs, size_t n)
{
	FaissIndex *idx = NULL;
	int rc;

	rc = make_index(v, n, &idx);
	if (rc != 0)
		return rc;
	if (n > 0) {
		rc = train(v, idx, vecs, n);
		if (rc == 0 && faiss_Index_add_with_ids(idx, (idx_t)n, vecs, ids) != 0)
			rc = faiss_err(v, DOCENT_ENOMEM, "adding vectors to the rebuilt index");
		if (rc != 0) {
			faiss_Index_free(idx);
			return rc;
		}
	}
	faiss_Index_free(v->idx);
	v->idx = idx;
	tune(v);
	rc = calibrate(v, ids, vecs, n);
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
	char *tmp = malloc(len);
	FILE *f;
	int rc = 0, err;

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
