/*
 * retrieve.c - keyword, dense and hybrid retrieval (see retrieve.h).
 *
 * Hybrid: the keyword list (store_rank: ids and BM25 scores only) and the
 * dense list (FAISS over each searched collection) are each `candidates`
 * long; every chunk in either gets weight / (rrf_k + rank) from each list
 * it is in, and the k best sums win. Only those k are read in full
 * (store_rank_hits), with snippets from the query words each contains.
 *
 * Grouping by document and collapsing near-duplicates (pick) drop hits
 * after the ranking, so the lists are then RETRIEVE_OVERFETCH times longer
 * and hits are read a page at a time until k are kept. Near-duplicates are
 * told by the Jaccard overlap of word 3-gram shingles: cheap for the few
 * dozen passages compared, and insensitive to white space, case and the
 * odd changed word.
 */
#include "rag/retrieve.h"
#include "core/error.h"
#include "index/vecset.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Candidates ranked per hit wanted when hits may be dropped (retrieve.h). */
#define RETRIEVE_OVERFETCH 5
/* Shingles two passages share, of all theirs, to be near-duplicates. */
#define RETRIEVE_DUP_JACCARD 0.8
#define RETRIEVE_MAX_K 10000

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
		.collapse_duplicates = 1,
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
		info->vectors_rebuilt = rebuilt;
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

/* ---- near-duplicates and grouping ---- */

/* A passage's fingerprint: the sorted, distinct hashes of its three-word
 * shingles (words: runs of letters and digits, ASCII case folded). */
typedef struct shingles {
	uint64_t *h;
	size_t n;
} shingles;

static int is_word_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c >= 0x80;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Sorts n hashes, with room for n more after them: spread by their top
 * byte into that room, then back by insertion, which finds them nearly in
 * order since the hashes are uniform (a tenth of qsort's time); qsort
 * when a byte holds too many (a text made to collide). */
static void sort_hashes(uint64_t *h, size_t n)
{
	size_t start[257] = { 0 };
	uint64_t *t = h + n;

	for (size_t i = 0; i < n; i++)
		start[(h[i] >> 56) + 1]++;
	for (int b = 0; b < 256; b++) {
		if (start[b + 1] > 64) {
			qsort(h, n, sizeof *h, cmp_u64);
			return;
		}
		start[b + 1] += start[b];
	}
	for (size_t i = 0; i < n; i++)
		t[start[h[i] >> 56]++] = h[i];
	for (size_t i = 0; i < n; i++) {
		uint64_t x = t[i];
		size_t j = i;
		for (; j > 0 && h[j - 1] > x; j--)
			h[j] = h[j - 1];
		h[j] = x;
	}
}

static int shingles_make(const char *text, shingles *out)
{
	const unsigned char *t = (const unsigned char *)(text ? text : "");
	uint64_t w[3] = { 0 }; /* the hashes of the last three words */
	size_t nw = 0, cap = 64; /* the hashes, then as much room to sort them */

	out->n = 0;
	if (!(out->h = malloc(2 * cap * sizeof *out->h)))
		return DOCENT_ENOMEM;
	for (;;) {
		while (*t && !is_word_byte(*t))
			t++;
		if (!*t)
			break;
		uint64_t h = 0xcbf29ce484222325u; /* FNV-1a */
		for (; *t && is_word_byte(*t); t++) {
			unsigned char c = *t >= 'A' && *t <= 'Z' ? (unsigned char)(*t + 32) : *t;
			h = (h ^ c) * 0x100000001b3u;
		}
		w[0] = w[1];
		w[1] = w[2];
		w[2] = h;
		if (++nw < 3)
			continue;
		if (out->n == cap) {
			uint64_t *g = realloc(out->h, 4 * cap * sizeof *g);
			if (!g)
				return DOCENT_ENOMEM;
			out->h = g;
			cap *= 2;
		}
		out->h[out->n++] = (w[0] * 31 + w[1]) * 31 + w[2];
	}
	if (nw > 0 && nw < 3) /* a passage of one or two words: itself */
		out->h[out->n++] = w[1] * 31 + w[2];
	sort_hashes(out->h, out->n);
	size_t m = 0;
	for (size_t i = 0; i < out->n; i++)
		if (m == 0 || out->h[m - 1] != out->h[i])
			out->h[m++] = out->h[i];
	out->n = m;
	return 0;
}

/* Whether `both` hashes shared out of n on the two sides make
 * RETRIEVE_DUP_JACCARD of their union; true from some count on. */
static int shares_enough(size_t both, size_t n)
{
	return (double)both >= RETRIEVE_DUP_JACCARD * (double)(n - both);
}

/* Whether two fingerprints share RETRIEVE_DUP_JACCARD of their union. The
 * walk stops as soon as the hashes missed leave too few to share: most
 * pairs of passages are not near-duplicates, and that shows early. */
static int near_duplicate(const shingles *a, const shingles *b)
{
	size_t i = 0, j = 0, both = 0, missed = 0, n = a->n + b->n;

	if (a->n == 0 || b->n == 0)
		return a->n == b->n;
	/* the fewest shared hashes that would do */
	size_t need = (size_t)(RETRIEVE_DUP_JACCARD / (1 + RETRIEVE_DUP_JACCARD) * (double)n);
	while (need > 0 && shares_enough(need - 1, n))
		need--;
	while (!shares_enough(need, n))
		need++;
	if (a->n < need || b->n < need)
		return 0;
	while (i < a->n && j < b->n) {
		if (a->h[i] == b->h[j]) {
			both++;
			i++;
			j++;
			continue;
		}
		/* each hash missed is one that cannot be shared */
		if (++missed > n - 2 * need)
			return 0;
		if (a->h[i] < b->h[j])
			i++;
		else
			j++;
	}
	return shares_enough(both, n);
}

/* One chunk's standing in the lists being fused. */
typedef struct fused {
	int64_t id;
	double score;
	int kw_rank, dense_rank;
	double kw_score, dense_score;
} fused;

/*
 * Reads the hits of the ranked chunks f[0..nf) from the open ranking
 * (store_rank_hits), a page at a time, until k are kept: with
 * group_by_doc the best chunk of each document, with collapse_duplicates
 * none that is a near-duplicate of a better one (which counts it).
 */
static int pick(store *s, const retrieve_params *p, const fused *f, size_t nf, store_hit **out,
		size_t *n)
{
	size_t k = p->search.k, nk = 0, page = k;
	store_hit *kept = calloc(k + 1, sizeof *kept);
	shingles *sig = calloc(k + 1, sizeof *sig);
	int64_t *ids = malloc((page + 1) * sizeof *ids);
	int filter = p->group_by_doc || p->collapse_duplicates;
	int rc = 0;

	if (!kept || !sig || !ids) {
		rc = docent_error_set(DOCENT_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t at = 0; at < nf && nk < k && rc == 0;) {
		size_t m = nf - at < page ? nf - at : page, nh = 0;
		store_hit *hits = NULL;
		for (size_t i = 0; i < m; i++)
			ids[i] = f[at + i].id;
		if ((rc = store_rank_hits(s, ids, m, &hits, &nh)) != 0)
			break;
		/* hits come back in the order asked, less any chunk deleted since */
		for (size_t i = 0, j = at; i < nh; i++) {
			store_hit *h = &hits[i];
			shingles one = { NULL, 0 };
			int drop = 0;
			while (f[j].id != h->chunk_id)
				j++;
			h->keyword_rank = f[j].kw_rank;
			h->keyword_score = f[j].kw_score;
			h->dense_rank = f[j].dense_rank;
			h->dense_score = f[j].dense_score;
			h->score = f[j].score;
			for (size_t q = 0; p->group_by_doc && q < nk && !drop; q++)
				drop = h->doc_id && kept[q].doc_id == h->doc_id;
			if (!drop && p->collapse_duplicates) {
				if (shingles_make(h->text, &one)) {
					free(one.h);
					rc = docent_error_set(DOCENT_ENOMEM, "out of memory");
					drop = 1;
				}
				for (size_t q = 0; q < nk && !drop; q++)
					if (near_duplicate(&sig[q], &one)) {
						kept[q].duplicates++;
						drop = 1;
					}
			}
			if (drop || nk == k) {
				free(one.h); /* the page and what is left in it go below */
				continue;
			}
			sig[nk] = one;
			kept[nk] = *h;
			memset(h, 0, sizeof *h); /* moved */
			kept[nk].rank = (int)nk + 1;
			nk++;
		}
		store_hits_free(hits, nh);
		at += m;
		if (!filter)
			break; /* nothing dropped but deleted chunks */
		page = k * 4;
		int64_t *g = realloc(ids, (page + 1) * sizeof *g);
		if (!g) {
			rc = docent_error_set(DOCENT_ENOMEM, "out of memory");
			break;
		}
		ids = g;
	}
done:
	for (size_t q = 0; sig && q < nk; q++)
		free(sig[q].h);
	free(sig);
	free(ids);
	if (rc) {
		store_hits_free(kept, nk);
		return rc;
	}
	if (nk == 0) {
		free(kept);
		kept = NULL;
	}
	*out = kept;
	*n = nk;
	return 0;
}

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

/*
 * Fuses the keyword and dense lists and reads the hits of the best chunks
 * from the open ranking (pick). With only a keyword list (wd 0, no dense
 * list), the fused order is the keyword order.
 */
static int fuse(store *s, const retrieve_params *p, const int64_t *kw, const double *kw_score,
		size_t nkw, const dense_list *d, double wk, double wd, store_hit **out, size_t *n)
{
	fused *f = calloc(nkw + d->n + 1, sizeof *f);
	size_t nf = 0;
	int rc;

	if (!f)
		return docent_error_set(DOCENT_ENOMEM, "out of memory");
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
	rc = pick(s, p, f, nf, out, n);
	free(f);
	return rc;
}

/* Keyword ranking alone: BM25 scores, `cand` ranked for pick. */
static int keywords(store *s, const char *query, const retrieve_params *p, size_t cand,
		    store_hit **out, size_t *n)
{
	store_search_params kp = p->search;
	int64_t *ids = malloc((cand + 1) * sizeof *ids);
	double *sc = malloc((cand + 1) * sizeof *sc);
	fused *f = calloc(cand + 1, sizeof *f);
	size_t nids = 0;
	int rc;

	if (!ids || !sc || !f) {
		rc = docent_error_set(DOCENT_ENOMEM, "out of memory");
		goto done;
	}
	kp.k = cand;
	if ((rc = store_rank(s, query, &kp, ids, sc, &nids)) != 0)
		goto done;
	for (size_t i = 0; i < nids; i++)
		f[i] = (fused){ .id = ids[i], .score = sc[i], .kw_rank = (int)i + 1,
				.kw_score = sc[i] };
	rc = pick(s, p, f, nids, out, n);
	store_rank_end(s);
done:
	free(ids);
	free(sc);
	free(f);
	return rc;
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
	if (p.search.k > RETRIEVE_MAX_K)
		p.search.k = RETRIEVE_MAX_K;
	/* hits dropped as duplicates or of one document: rank more */
	size_t kk = p.search.k;
	if (p.group_by_doc || p.collapse_duplicates)
		kk = kk * RETRIEVE_OVERFETCH > 50 ? kk * RETRIEVE_OVERFETCH : 50;
	if (kk > RETRIEVE_MAX_K)
		kk = RETRIEVE_MAX_K;
	if (p.mode == RETRIEVE_BM25)
		return keywords(r->s, query, &p, kk, out, n);

	size_t cand = p.candidates ? p.candidates : (kk * 4 > 50 ? kk * 4 : 50);
	if (cand < kk)
		cand = kk;
	rc = dense_search(r, query, p.search.collection, cand, &d, info);
	if (rc && p.mode == RETRIEVE_HYBRID &&
	    (rc == DOCENT_ENOTFOUND || rc == DOCENT_EINVAL || rc == DOCENT_EIO ||
	     rc == DOCENT_EPERM || rc == DOCENT_EFORMAT)) {
		/* no usable vectors (none, another model, an index that cannot be
		 * read or rebuilt): keywords alone, and say why */
		snprintf(info->note, sizeof info->note, "%s", docent_error_message());
		info->mode = RETRIEVE_BM25;
		docent_error_clear();
		rc = keywords(r->s, query, &p, kk, out, n);
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
