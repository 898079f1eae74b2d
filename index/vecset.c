/*
 * vecset.c - a collection's FAISS index kept in step with the store (see
 * vecset.h). The handle tracks the count and chunk-id sum of what its index
 * holds, so that a save can record them and the next open can compare them
 * with the store's own totals without reading a single vector.
 */
#include "index/vecset.h"
#include "core/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct vecset {
	store *s;
	int64_t coll;
	char *path;
	vindex *v;
	vindex_params p;
	int dim;
	int64_t count, idsum; /* what v holds */
};

char *vecset_path(const store *s, int64_t collection_id)
{
	const char *db = store_path(s);
	size_t len = strlen(db);
	char *path;

	/* "x/docent.db" -> "x/docent.vectors/": each database its own folder */
	if (len > 3 && strcmp(db + len - 3, ".db") == 0)
		len -= 3;
	path = malloc(len + 64);
	if (path)
		snprintf(path, len + 64, "%.*s.vectors/%lld.faiss", (int)len, db,
			 (long long)collection_id);
	return path;
}

int vecset_remove_file(const store *s, int64_t collection_id)
{
	char *path = vecset_path(s, collection_id);
	int rc = 0;

	if (!path)
		return docent_error_set(DOCENT_ENOMEM, "out of memory");
	if (unlink(path) != 0 && errno != ENOENT)
		rc = docent_error_set(docent_error_from_errno(errno), "cannot remove %s: %s", path,
				      strerror(errno));
	free(path);
	return rc;
}

/* Makes the folder of the index file. */
static int make_dir(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');

	if (!slash || (size_t)(slash - path) >= sizeof dir)
		return 0;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return docent_error_set(docent_error_from_errno(errno), "cannot create %s: %s", dir,
					strerror(errno));
	return 0;
}

/* All of the collection's vectors, read from the store for a rebuild. */
typedef struct gathered {
	int64_t *ids;
	float *vecs;
	size_t n, cap;
	int dim;
	int64_t idsum;
} gathered;

static int gather_one(void *ctx, int64_t id, const float *vec, int dim)
{
	gathered *g = ctx;

	if (dim != g->dim)
		return docent_error_set(DOCENT_EFORMAT, "chunk %lld has a vector of %d dimensions, "
					"the collection's model makes %d; run `docent reindex`",
					(long long)id, dim, g->dim);
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 1024;
		int64_t *ids = realloc(g->ids, cap * sizeof *ids);
		if (!ids)
			return DOCENT_ENOMEM;
		g->ids = ids;
		float *vecs = realloc(g->vecs, cap * (size_t)dim * sizeof *vecs);
		if (!vecs)
			return DOCENT_ENOMEM;
		g->vecs = vecs;
		g->cap = cap;
	}
	g->ids[g->n] = id;
	memcpy(g->vecs + g->n * (size_t)dim, vec, (size_t)dim * sizeof *vec);
	g->n++;
	g->idsum += id;
	return 0;
}

static int save(vecset *vs, int may_rebuild);

/*
 * The open index against the store: the ids it holds (count and sum)
 * against the store's totals, and the vectors at its first, middle and
 * last positions against the stored ones. 0 when they agree,
 * DOCENT_EFORMAT with a message saying what differs.
 */
static int verify(vecset *vs, const store_vec_totals *t)
{
	size_t n, pos[3];
	const int64_t *ids = vindex_ids(vs->v, &n);
	int64_t sum = 0;
	float *vec;
	int rc = 0;

	if ((int64_t)n != t->count || (int64_t)vindex_count(vs->v) != t->count)
		return docent_error_set(DOCENT_EFORMAT, "the vector index %s holds %zu vectors, the "
					"database %lld", vs->path, n, (long long)t->count);
	for (size_t i = 0; i < n; i++)
		sum += ids[i];
	if (sum != t->idsum)
		return docent_error_set(DOCENT_EFORMAT, "the vector index %s holds other chunks "
					"than the database (chunk-id sum %lld, expected %lld)",
					vs->path, (long long)sum, (long long)t->idsum);
	if (n == 0)
		return 0;
	if (!(vec = malloc((size_t)vs->dim * sizeof *vec)))
		return docent_error_set(DOCENT_ENOMEM, "out of memory");
	pos[0] = 0;
	pos[1] = n / 2;
	pos[2] = n - 1;
	for (int k = 0; k < 3 && rc == 0; k++) {
		if (k && pos[k] == pos[k - 1])
			continue;
		rc = store_embedding_get(vs->s, ids[pos[k]], vec, vs->dim);
		if (rc == DOCENT_ENOTFOUND || rc == DOCENT_EFORMAT)
			rc = docent_error_set(DOCENT_EFORMAT, "the vector index %s holds chunk %lld, "
					      "whose vector is not in the database", vs->path,
					      (long long)ids[pos[k]]);
		else if (rc == 0)
			rc = vindex_check_vector(vs->v, pos[k], vec);
	}
	free(vec);
	return rc;
}

/* A folder where the index file should be: nothing docent can replace. */
static int is_folder(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
		return 0;
	return docent_error_set(DOCENT_EIO, "%s is a folder, not the vector index file: move it "
				"away (the index is rebuilt from the database there, at the next "
				"search or `docent reindex`)", path);
}

int vecset_rebuild(vecset *vs)
{
	gathered g = { .dim = vs->dim };
	int rc = store_embeddings_foreach(vs->s, vs->coll, gather_one, &g);

	if (rc == DOCENT_ENOMEM)
		rc = docent_error_set(rc, "out of memory reading %zu vectors", g.n);
	if (rc == 0)
		rc = vindex_rebuild(vs->v, g.ids, g.vecs, g.n);
	if (rc == 0) {
		vs->count = (int64_t)g.n;
		vs->idsum = g.idsum;
		/* what the store deleted before this point is not in the index */
		int64_t *gone = NULL;
		size_t ngone = 0;
		rc = store_vectors_removed(vs->s, vs->coll, &gone, &ngone);
		free(gone);
	}
	free(g.ids);
	free(g.vecs);
	if (rc == 0)
		rc = save(vs, 0);
	return rc;
}

int vecset_open(vecset **out, store *s, int64_t collection_id, const vindex_params *p,
		int *rebuilt)
{
	vecset *vs;
	char *model = NULL;
	store_vec_totals t;
	struct stat st;
	int dim, rc, stale, damaged = 0;

	*out = NULL;
	if (rebuilt)
		*rebuilt = 0;
	if ((rc = store_collection_model(s, collection_id, &model, &dim)) != 0)
		return rc;
	free(model);
	if (!model || dim <= 0)
		return docent_error_set(DOCENT_ENOTFOUND, "this collection has no vectors yet: set "
					"an embedding model (engine.embed_model or "
					"DOCENT_EMBED_MODEL) and run `docent reindex`");
	if ((rc = store_vectors_totals(s, collection_id, &t)) != 0)
		return rc;
	vs = calloc(1, sizeof *vs);
	if (!vs || !(vs->path = vecset_path(s, collection_id))) {
		free(vs);
		return docent_error_set(DOCENT_ENOMEM, "out of memory opening vectors");
	}
	vs->s = s;
	vs->coll = collection_id;
	vs->dim = dim;
	vs->p = p ? *p : vindex_default_params();
	if ((rc = is_folder(vs->path)) != 0)
		goto fail;
	stale = stat(vs->path, &st) != 0 || !t.saved;
	rc = stale ? DOCENT_ENOTFOUND : vindex_open(&vs->v, vs->path, dim, &vs->p);
	if (rc == 0) {
		vs->count = t.saved_count;
		vs->idsum = t.saved_idsum;
		stale = t.count != t.saved_count || t.idsum != t.saved_idsum ||
			(int64_t)vindex_count(vs->v) != t.saved_count;
		/* the totals agree: the file itself may still be damaged */
		if (!stale && (rc = verify(vs, &t)) != 0) {
			if (rc != DOCENT_EFORMAT)
				goto fail;
			stale = damaged = 1;
			docent_error_clear();
		}
	} else if (rc == DOCENT_EFORMAT || rc == DOCENT_ENOTFOUND) {
		/* not a FAISS file, or another dimension: only a cache, rebuild it
		 * (read and written, not mapped) */
		vindex_close(vs->v);
		vs->v = NULL;
		vs->p.mmap = 0;
		if ((rc = unlink(vs->path)) != 0 && errno != ENOENT) {
			rc = docent_error_set(docent_error_from_errno(errno), "cannot replace %s: %s",
					      vs->path, strerror(errno));
			goto fail;
		}
		if ((rc = vindex_open(&vs->v, vs->path, dim, &vs->p)) != 0)
			goto fail;
		stale = 1;
	} else {
		goto fail;
	}
	if (stale && vs->p.mmap) { /* a mapped index cannot be rebuilt in place */
		vindex_close(vs->v);
		vs->p.mmap = 0;
		if ((rc = vindex_open(&vs->v, vs->path, dim, &vs->p)) != 0)
			goto fail;
	}
	if (stale) {
		if ((rc = make_dir(vs->path)) != 0 || (rc = vecset_rebuild(vs)) != 0)
			goto fail;
		if (rebuilt) /* from vectors it did not hold: not for a new collection */
			*rebuilt = damaged ? 2 : t.count > 0;
	}
	*out = vs;
	return 0;
fail:
	vecset_close(vs);
	return rc;
}

void vecset_close(vecset *vs)
{
	if (!vs)
		return;
	vindex_close(vs->v);
	free(vs->path);
	free(vs);
}

int vecset_add(vecset *vs, const int64_t *ids, const float *vecs, size_t n)
{
	int rc = vindex_add(vs->v, ids, vecs, n);

	if (rc == 0) {
		vs->count += (int64_t)n;
		for (size_t i = 0; i < n; i++)
			vs->idsum += ids[i];
	}
	return rc;
}

/*
 * Whether the index type no longer suits its size: vectors added one page
 * at a time go into the index as it is, so a collection that started small
 * stays exact (flat) however large it grows, and an IVF index trained for
 * n vectors (about sqrt(n) lists) loses speed far beyond n. Past flat_max
 * vectors, and past four times the size an IVF index was made for, it is
 * rebuilt, which chooses again. A factory string from the configuration is
 * kept as it is.
 */
static int outgrown(const vecset *vs)
{
	const char *d = vindex_describe(vs->v);
	size_t n = vindex_count(vs->v), nlist;
	size_t flat_max = vs->p.flat_max ? vs->p.flat_max : vindex_default_params().flat_max;

	if (vs->p.factory && vs->p.factory[0])
		return 0;
	if (strncmp(d, "IDMap,Flat", 10) == 0)
		return n > 2 * flat_max;
	if (sscanf(d, "IDMap,IVF%zu", &nlist) == 1)
		return n > 4 * nlist * nlist;
	return 0;
}

/* With may_rebuild, totals that differ from the store's start a rebuild;
 * without (after a rebuild: another process wrote meanwhile), the file is
 * saved as it is and the next open will see the difference. */
static int save(vecset *vs, int may_rebuild)
{
	int64_t *gone = NULL;
	size_t ngone = 0;
	store_vec_totals t;
	int rc = store_vectors_removed(vs->s, vs->coll, &gone, &ngone);

	if (rc == 0 && ngone) {
		size_t before = vindex_count(vs->v);
		rc = vindex_remove(vs->v, gone, ngone);
		if (rc == 0 && before - vindex_count(vs->v) == ngone) {
			vs->count -= (int64_t)ngone;
			for (size_t i = 0; i < ngone; i++)
				vs->idsum -= gone[i];
		} else if (rc == 0) {
			vs->count = -1; /* it did not hold what we thought: rebuild below */
		}
	}
	free(gone);
	if (rc == 0)
		rc = store_vectors_totals(vs->s, vs->coll, &t);
	if (rc)
		return rc;
	/* Anything but the store's own totals (a write this handle did not see,
	 * a vector added here but never stored) would leave the file stale:
	 * rebuild from the store instead of saving a wrong index. */
	if (may_rebuild && (vs->count != t.count || vs->idsum != t.idsum || outgrown(vs)))
		return vecset_rebuild(vs);
	if ((rc = make_dir(vs->path)) != 0)
		return rc;
	/* forget the old totals first: a crash during the save must not leave a
	 * new file recorded with the old totals, or the reverse */
	if ((rc = store_vectors_saved(vs->s, vs->coll, -1, 0)) != 0 ||
	    (rc = vindex_save(vs->v)) != 0)
		return rc;
	return store_vectors_saved(vs->s, vs->coll, vs->count, vs->idsum);
}

int vecset_save(vecset *vs)
{
	return save(vs, 1);
}

int vecset_search(vecset *vs, const float *q, size_t k, int64_t *ids, float *scores, size_t *n)
{
	return vindex_search(vs->v, q, k, ids, scores, n);
}

size_t vecset_count(const vecset *vs)
{
	return vindex_count(vs->v);
}

int vecset_dim(const vecset *vs)
{
	return vs->dim;
}

const char *vecset_describe(const vecset *vs)
{
	return vindex_describe(vs->v);
}
