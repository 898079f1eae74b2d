/*
 * retrieve.c - keyword, dense and hybrid retrieval (see retrieve.h).
 *
 * Hybrid: the keyword list (store_rank: ids and BM25 scores only) and the
 * dense list (FAISS over each searched collection) are each `candidates`
 * long; every chunk in either gets weight / (rrf_k + rank) from each list
 * it is in, and the k best sums win. Only those k are read in full
 * (store_rank_hits), with snippets from the query words each contains.
 */
#include "rag/retrieve.h"
#include "core/error.h"
#include "index/vecset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct open_set {
	int64_t coll;
	vecset *vs;
} open_set;

struct retriever {
	store *s;
	embedder *e;
	vindex_params vp;
	open_set *sets;
	size_t nsets;
};

static const char *const mode_names[] = { "auto", "bm25", "dense", "hybrid" };

int retrieve_mode_parse(const char *name)
{
	for (int i = 0; i < 4; i++)
		if (name && strcmp(name, mode_names[i]) == 0)
			return i;
	return -1;
}

const char *retrieve_mode_name(retrieve_mode m)
{
	return (unsigned)m < 4 ? mode_names[m] : "?";
}

retrieve_params retrieve_default_params(void)
{
	return (retrieve_params){
		.search = store_search_default_params(),
		.mode = RETRIEVE_AUTO,
		.rrf_k = 60,
		.keyword_weight = 1,
		.dense_weight = 1,
	};
}

int retriever_open(retriever **out, store *s, embedder *e, const vindex_params *vp)
{
	retriever *r = calloc(1, sizeof *r);

	*out = NULL;
	if (!r)
		return docent_error_set(DOCENT_ENOMEM, "out of memory");
	r->s = s;
	r->e = e;
	r->vp = vp ? *vp : vindex_default_params();
	*out = r;
	return 0;
}

void retriever_close(retriever *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nsets; i++)
		vecset_close(r->sets[i].vs);
	free(r->sets);
	free(r);
}

/* The collection's FAISS index, opened once. */
static int get_set(retriever *r, int64_t coll, vecset **out, retrieve_info *info)
{
	int rebuilt = 0, rc;

	for (size_t i = 0; i < r->nsets; i++)
		if (r->sets[i].coll == coll) {
			*out = r->sets[i].vs;
			return 0;
		}
	open_set *sets = realloc(r->sets, (r->nsets + 1) * sizeof *sets);
	if (!sets)
		return docent_error_set(DOCENT_ENOMEM, "out of memory");
	r->sets = sets;
	if ((rc = vecset_open(out, r->s, coll, &r->vp, &rebuilt)) != 0)
		return rc;
	if (rebuilt)
		info->vectors_rebuilt = 1;
	r->sets[r->nsets++] = (open_set){ coll, *out };
	return 0;
}

/* Whether the collection's vectors come from the embedder's model:
 * 0 yes, else DOCENT_ENOTFOUND (none) or DOCENT_EINVAL (another model). */
static int same_model(retriever *r, const store_collection *c)
{
	if (!c->embed_model)
		return docent_error_set(DOCENT_ENOTFOUND, "collection '%s' has no vectors yet: run "
					"`docent reindex --collection %s` to embed it", c->name,
					c->name);
	if (strcmp(c->embed_model, embedder_model_id(r->e)) != 0)
		return docent_error_set(DOCENT_EINVAL, "collection '%s' was embedded with %s, not "
					"the configured %s: set engine.embed_model to it, or run "
					"`docent reindex --collection %s` to re-embed", c->name,
					c->embed_model, embedder_model_id(r->e), c->name);
	return 0;
}

typedef struct dense_list {
	int64_t *ids;
	float *scores;
	size_t n;
} dense_list;

/* Merges one collection's nearest into the list, which stays the best
 * `cap` by score. */
static void merge_dense(dense_list *d, size_t cap, const int64_t *ids, const float *sc, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t at = d->n;
		while (at > 0 && d->scores[at - 1] < sc[i])
			at--;
		if (at >= cap)
			continue;
		size_t move = (d->n < cap ? d->n : cap - 1) - at;
		memmove(d->ids + at + 1, d->ids + at, move * sizeof *d->ids);
		memmove(d->scores + at + 1, d->scores + at, move * sizeof *d->scores);
		d->ids[at] = ids[i];
		d->scores[at] = sc[i];
		if (d->n < cap)
			d->n++;
	}
}

/* The dense list: the query's nearest chunks in the searched collections. */
static int dense_search(retriever *r, const char *query, const char *collection, size_t cand,
			dense_list *d, retrieve_info *info)
{
	store_collection *cols = NULL;
	size_t ncols = 0, searched = 0;
	int dim = embedder_dim(r->e);
	float *q = malloc((size_t)dim * sizeof *q);
	int64_t *ids = malloc(cand * sizeof *ids);
	float *sc = malloc(cand * sizeof *sc);
	int rc;

	d->ids = malloc(cand * sizeof *d->ids);
	d->scores = malloc(cand * sizeof *d->scores);
	d->n = 0;
	if (!q || !ids || !sc || !d->ids || !d->scores) {
		rc = docent_error_set(DOCENT_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = embedder_embed(r->e, &query, 1, EMBED_QUERY, q)) != 0 ||
	    (rc = store_collection_names(r->s, &cols, &ncols)) != 0)
		goto done;
	for (size_t i = 0; i < ncols; i++) {
		vecset *vs;
		size_t n = 0;
		if (collection && strcmp(cols[i].name, collection) != 0)
			continue;
		rc = same_model(r, &cols[i]);
		if (rc && !collection) { /* all collections: search those that can be */
			rc = 0;
			continue;
		}
		if (rc || (rc = get_set(r, cols[i].id, &vs, info)) != 0 ||
		    (rc = vecset_search(vs, q, cand, ids, sc, &n)) != 0)
			goto done;
		merge_dense(d, cand, ids, sc, n);
		searched++;
	}
	if (searched == 0 && !collection)
		rc = docent_error_set(DOCENT_ENOTFOUND, "no collection has vectors from %s yet: run "
				      "`docent reindex` to embed them", embedder_model_id(r->e));
done:
	store_collection_list_free(cols, ncols);
	free(q);
	free(ids);
	free(sc);
	return rc;
}

/* One chunk's standing in the lists being fused. */
typedef struct fused {
	int64_t id;
	double score;
	int kw_rank, dense_rank;
	double kw_score, dense_score;
} fused;

static int cmp_fused(const void *a, const void *b)
{
	const fused *x = a, *y = b;
	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static fused *find(fused *f, size_t n, int64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (f[i].id == id)
			return &f[i];
	return NULL;
}

/* A ranked list to fuse: ids best first, with their scores. */
typedef struct ranked {
	const int64_t *ids;
	const void *scores;  /* double (keyword) or float (dense) */
	size_t n;
} ranked;

/*
 * Fuses the keyword and dense lists into the k best chunks and reads their
 * hits from the open ranking (store_rank_hits).
 */
static int fuse(store *s, const retrieve_params *p, const int64_t *kw, const double *kw_score,
		size_t nkw, const dense_list *d, double wk, double wd, store_hit **out, size_t *n)
{
	fused *f = calloc(nkw + d->n + 1, sizeof *f);
	int64_t *ids = calloc(p->search.k + 1, sizeof *ids);
	store_hit *hits = NULL;
	size_t nf = 0, nh = 0;
	int rc;

	if (!f || !ids) {
		free(f);
		free(ids);
		return docent_error_set(DOCENT_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < nkw; i++)
		f[nf++] = (fused){ .id = kw[i], .kw_rank = (int)i + 1, .kw_score = kw_score[i],
				   .score = wk / (p->rrf_k + (double)(i + 1)) };
	for (size_t i = 0; i < d->n; i++) {
		fused *x = find(f, nf, d->ids[i]);
		if (!x) {
			x = &f[nf++];
			*x = (fused){ .id = d->ids[i] };
		}
		x->dense_rank = (int)i + 1;
		x->dense_score = d->scores[i];
		x->score += wd / (p->rrf_k + (double)(i + 1));
	}
	qsort(f, nf, sizeof *f, cmp_fused);
	if (nf > p->search.k)
		nf = p->search.k;
	for (size_t i = 0; i < nf; i++)
		ids[i] = f[i].id;
	rc = store_rank_hits(s, ids, nf, &hits, &nh);
	/* hits come back in the order asked, less any chunk deleted since */
	for (size_t i = 0, j = 0; rc == 0 && i < nh; i++) {
		while (f[j].id != hits[i].chunk_id)
			j++;
		hits[i].keyword_rank = f[j].kw_rank;
		hits[i].keyword_score = f[j].kw_score;
		hits[i].dense_rank = f[j].dense_rank;
		hits[i].dense_score = f[j].dense_score;
		hits[i].score = f[j].score;
		hits[i].rank = (int)i + 1;
	}
	free(f);
	free(ids);
	if (rc)
		return rc;
	*out = hits;
	*n = nh;
	return 0;
}

int retrieve(retriever *r, const char *query, const retrieve_params *params, store_hit **out,
	     size_t *n, retrieve_info *info)
{
	retrieve_params p = params ? *params : retrieve_default_params();
	retrieve_info scratch;
	store_search_params kp;
	int64_t *kw = NULL;
	double *kw_score = NULL;
	size_t nkw = 0;
	dense_list d = { 0 };
	int64_t id;
	int rc;

	*out = NULL;
	*n = 0;
	if (!info)
		info = &scratch;
	memset(info, 0, sizeof *info);
	if (!query)
		query = "";
	if (p.search.collection &&
	    (rc = store_collection_id(r->s, p.search.collection, 0, &id)) != 0)
		return rc;
	if (p.mode == RETRIEVE_AUTO)
		p.mode = r->e ? RETRIEVE_HYBRID : RETRIEVE_BM25;
	if (p.mode != RETRIEVE_BM25 && !r->e)
		return docent_error_set(DOCENT_EINVAL, "%s search needs an embedding model: set "
					"engine.embed_model or DOCENT_EMBED_MODEL",
					retrieve_mode_name(p.mode));
	info->mode = p.mode;
	if (p.search.k == 0)
		return 0;
	if (p.mode == RETRIEVE_BM25)
		return store_search(r->s, query, &p.search, out, n);

	size_t cand = p.candidates ? p.candidates : (p.search.k * 4 > 50 ? p.search.k * 4 : 50);
	if (cand < p.search.k)
		cand = p.search.k;
	rc = dense_search(r, query, p.search.collection, cand, &d, info);
	if (rc && p.mode == RETRIEVE_HYBRID && (rc == DOCENT_ENOTFOUND || rc == DOCENT_EINVAL)) {
		/* no usable vectors: keywords alone, and say why */
		snprintf(info->note, sizeof info->note, "%s", docent_error_message());
		info->mode = RETRIEVE_BM25;
		docent_error_clear();
		rc = store_search(r->s, query, &p.search, out, n);
		goto done;
	}
	if (rc)
		goto done;
	/* the keyword ranking: the hybrid's other list; in dense mode none
	 * (each hit then looks its snippet up) */
	kp = p.search;
	kp.k = p.mode == RETRIEVE_HYBRID ? cand : 0;
	kw = malloc((kp.k + 1) * sizeof *kw);
	kw_score = malloc((kp.k + 1) * sizeof *kw_score);
	if (!kw || !kw_score) {
		rc = docent_error_set(DOCENT_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = store_rank(r->s, query, &kp, kw, kw_score, &nkw)) != 0)
		goto done;
	rc = fuse(r->s, &p, kw, kw_score, nkw, &d, p.mode == RETRIEVE_HYBRID ? p.keyword_weight : 0,
		  p.mode == RETRIEVE_HYBRID ? p.dense_weight : 1, out, n);
	store_rank_end(r->s);
	if (rc == 0 && p.mode == RETRIEVE_DENSE)
		for (size_t i = 0; i < *n; i++)
			(*out)[i].score = (*out)[i].dense_score;
done:
	free(kw);
	free(kw_score);
	free(d.ids);
	free(d.scores);
	return rc;
}
