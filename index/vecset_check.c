/*
 * vecset_check.c - `docent stats --check` for a collection's FAISS index
 * (see vecset_check in vecset.h): reads the file as it is, without the
 * repair vecset_open would make, and compares it with the store, which is
 * the source of truth. Counting is not enough (a file of the right size
 * can hold the wrong vectors), so a sample of the stored vectors is looked
 * up in the file: each must find itself with its own score (inner product
 * with itself), or as many vectors just as close as are asked for (a
 * chunk with many identical copies).
 */
#include "index/vecset.h"
#include "core/error.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define PROBE_K 10

typedef struct prober {
	vindex *v;
	int dim;
	int64_t seen, stride;
	vecset_report *r;
	int64_t ids[PROBE_K];
	float scores[PROBE_K];
	int rc;
} prober;

static int probe_one(void *ctx, int64_t id, const float *vec, int dim)
{
	prober *p = ctx;
	size_t n = 0;
	double self = 0;

	if (p->seen++ % p->stride != 0)
		return 0;
	if (dim != p->dim) {
		snprintf(p->r->problem, sizeof p->r->problem, "chunk %lld has a vector of %d "
			 "dimensions, the collection's model makes %d; run `docent reindex`",
			 (long long)id, dim, p->dim);
		return 1;
	}
	if ((p->rc = vindex_search(p->v, vec, PROBE_K, p->ids, p->scores, &n)) != 0)
		return 1;
	for (int i = 0; i < dim; i++)
		self += (double)vec[i] * vec[i];
	p->r->probed++;
	/* found: its own id with its own score (a small index returns every
	 * id, so the id alone proves nothing), or, for a chunk with more than
	 * PROBE_K exact duplicates, PROBE_K results all just as close */
	size_t same = 0;
	for (size_t i = 0; i < n; i++) {
		int close = fabs((double)p->scores[i] - self) < 1e-3;
		if (p->ids[i] == id && close) {
			p->r->found++;
			return 0;
		}
		same += close;
	}
	if (n == PROBE_K && same == n)
		p->r->found++;
	return 0;
}

/*
 * The database has changed since the file's last save. When the file
 * holds what that save recorded (or the save was cut short and recorded
 * nothing), a run stopped between a commit and the save, as a crash or
 * kill -9 does: every open compares the same totals and rebuilds the file
 * from the database, so this is noted, not a problem. A file that holds
 * anything else was changed behind docent's back.
 */
static void behind(vindex *v, const char *path, const store_vec_totals *t,
		   vecset_report *out)
{
	size_t n = 0;
	const int64_t *ids = vindex_ids(v, &n);
	int64_t sum = 0;

	for (size_t i = 0; ids && i < n; i++)
		sum += ids[i];
	if (t->saved && (out->indexed != t->saved_count || (ids && sum != t->saved_idsum))) {
		snprintf(out->problem, sizeof out->problem, "%s is out of step with the database "
			 "and holds other vectors than it was saved with (%lld, saved %lld); "
			 "`docent reindex` rebuilds it", path, (long long)out->indexed,
			 (long long)t->saved_count);
		return;
	}
	out->behind = 1;
	snprintf(out->note, sizeof out->note, "%s is behind the database (%lld vectors, the "
		 "database %lld): a run stopped before saving it; the next search or ingest "
		 "rebuilds it from the database", path, (long long)out->indexed,
		 (long long)t->count);
}

int vecset_check(store *s, int64_t collection_id, const vindex_params *vp, size_t probes,
		 vecset_report *out)
{
	store_vec_totals t;
	vindex_params p = vp ? *vp : vindex_default_params();
	vindex *v = NULL;
	char *model = NULL, *path = NULL;
	struct stat st;
	int dim, rc;

	memset(out, 0, sizeof *out);
	out->collection_id = collection_id;
	out->indexed = -1;
	if ((rc = store_collection_model(s, collection_id, &model, &dim)) != 0)
		return rc;
	free(model);
	if (!model || dim <= 0)
		return 0; /* nothing embedded: no index to check */
	if ((rc = store_vectors_totals(s, collection_id, &t)) != 0)
		return rc;
	out->stored = t.count;
	if (!(path = vecset_path(s, collection_id)))
		return docent_error_set(DOCENT_ENOMEM, "out of memory checking vectors");
	snprintf(out->path, sizeof out->path, "%s", path);
	if (stat(path, &st) != 0) {
		if (errno != ENOENT)
			snprintf(out->problem, sizeof out->problem, "cannot read %s: %s", path,
				 strerror(errno));
		else if (t.count > 0)
			snprintf(out->problem, sizeof out->problem, "%s is missing (%lld vectors "
				 "in the database); `docent reindex` rebuilds it", path,
				 (long long)t.count);
		goto done;
	}
	p.mmap = 0;
	if ((rc = vindex_open(&v, path, dim, &p)) != 0) {
		snprintf(out->problem, sizeof out->problem, "%s; `docent reindex` rebuilds it",
			 docent_error_message());
		docent_error_clear();
		rc = 0;
		goto done;
	}
	out->indexed = (int64_t)vindex_count(v);
	if (!t.saved || t.saved_count != t.count || t.saved_idsum != t.idsum) {
		behind(v, path, &t, out);
		goto done;
	}
	if (out->indexed != t.count) {
		snprintf(out->problem, sizeof out->problem, "%s holds %lld vectors, the database "
			 "%lld; `docent reindex` rebuilds it", path, (long long)out->indexed,
			 (long long)t.count);
		goto done;
	}
	if (probes && t.count > 0) {
		prober pr = { .v = v, .dim = dim, .r = out };
		pr.stride = t.count / (int64_t)probes > 1 ? t.count / (int64_t)probes : 1;
		rc = store_embeddings_foreach(s, collection_id, probe_one, &pr);
		if (pr.rc)
			rc = pr.rc;
		if (rc == 1)
			rc = 0; /* stopped with a problem noted */
		if (rc)
			goto done;
		/* an exact (flat) index finds every vector; an approximate one is
		 * tuned for recall 0.95 of the ten nearest, so allow a little */
		int exact = strncmp(vindex_describe(v), "IDMap,Flat", 10) == 0;
		if (!out->problem[0] && (exact ? out->found < out->probed
					       : out->found * 10 < out->probed * 9))
			snprintf(out->problem, sizeof out->problem, "%s does not hold the stored "
				 "vectors: %lld of %lld looked up were not found; `docent reindex` "
				 "rebuilds it", path, (long long)(out->probed - out->found),
				 (long long)out->probed);
	}
done:
	vindex_close(v);
	free(path);
	return rc;
}
