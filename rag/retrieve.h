/*
 * retrieve.h - retrieval: from a question to ranked passages.
 *
 * Three modes:
 *   bm25    keyword ranking over the store's FTS5 index (index/store.h);
 *   dense   the question embedded by the collection's model, nearest
 *           chunks from the collection's FAISS index (index/vecset.h);
 *   hybrid  both lists, fused by weighted reciprocal rank fusion:
 *           score(c) = sum over lists of weight / (rrf_k + rank in list).
 * The default (RETRIEVE_AUTO) is hybrid when an embedder is given, else bm25.
 * Each hit says where it stood in each list (keyword_rank, dense_rank).
 *
 * Dense search covers the named collection, or, with none named, every
 * collection embedded by the embedder's model. A collection without
 * vectors, or embedded by another model, makes dense mode fail with a
 * message saying what to do; hybrid mode then ranks by keywords alone and
 * says so in the info's note.
 *
 * With group_by_doc or collapse_duplicates, retrieval ranks more
 * candidates than k (five times, at least 50) and reads hits down that
 * ranking until k are kept, so that k hits still come back when many are
 * dropped. Two passages are near-duplicates when their sets of three-word
 * shingles share 80% of their union (Jaccard).
 *
 * The retriever keeps each collection's FAISS index open between queries
 * (loading one is the slow part). It borrows the store and the embedder,
 * which must outlive it; one query at a time.
 */
#ifndef DOCENT_RAG_RETRIEVE_H
#define DOCENT_RAG_RETRIEVE_H

#include <stddef.h>

#include "engine/embedder.h"
#include "index/store.h"
#include "index/vectors.h"

typedef enum retrieve_mode {
	RETRIEVE_AUTO = 0,
	RETRIEVE_BM25,
	RETRIEVE_DENSE,
	RETRIEVE_HYBRID,
} retrieve_mode;

/* "bm25", "dense", "hybrid" (and "auto"); -1 for anything else. */
int retrieve_mode_parse(const char *name);
const char *retrieve_mode_name(retrieve_mode m);

typedef struct retrieve_params {
	store_search_params search; /* collection, k, BM25 parameters, snippets */
	retrieve_mode mode;
	size_t candidates;          /* each list's length before fusion; 0: max(50, 4 k) */
	double rrf_k;               /* default 60 */
	double keyword_weight;      /* default 1 */
	double dense_weight;        /* default 1 */
	/* Results of one document each: its best chunk (default 0) */
	int group_by_doc;
	/* Near-duplicate passages (the same file in two collections, copies
	 * with identical or near-identical text) collapse into the best-ranked
	 * one, whose `duplicates` counts the others (default 1) */
	int collapse_duplicates;
} retrieve_params;

retrieve_params retrieve_default_params(void);

typedef struct retrieve_info {
	retrieve_mode mode;         /* the mode that ran */
	int vectors_rebuilt;        /* the FAISS index was rebuilt first: 1 stale, 2 damaged */
	char note[256];             /* why hybrid fell back to keywords; "" otherwise */
} retrieve_info;

typedef struct retriever retriever;

/* e may be NULL (keyword search only). vp: how FAISS indexes are built
 * when one has to be rebuilt (NULL: defaults). */
int retriever_open(retriever **out, store *s, embedder *e, const vindex_params *vp);
void retriever_close(retriever *r);

/* Ranked passages for `query`; the caller frees them with store_hits_free().
 * A collection named in the parameters must exist. info may be NULL. */
int retrieve(retriever *r, const char *query, const retrieve_params *p, store_hit **out,
	     size_t *n, retrieve_info *info);

/*
 * Which embedding model a search of `collection` (NULL: every collection)
 * must embed its query with, decided before anything is opened, so that
 * the faces (search, ask, the web API) agree:
 *   - `configured` (engine.embed_model; NULL or "" for none) when set, and
 *     every searched collection that has vectors was embedded by it;
 *   - when none is configured, the model the searched collections were
 *     embedded with (recorded in the store), which they must share;
 *   - NULL (*out) when none is configured and no searched collection has
 *     vectors: keyword search.
 * *out is a spec ready for embedder_open() (catalogue names and name.gguf
 * resolved in models_dir, see engine/catalogue.h); caller frees.
 * Errors (the message names the models and the fix, `docent reindex`):
 * DOCENT_EINVAL when a collection was embedded with another model than the
 * configured one, or the collections of an all-collection search with
 * different models; DOCENT_ENOTFOUND when the recorded model is not in the
 * models folder (or the configured one not pulled); a recorded
 * OpenAI-compatible server model needs its URL configured (DOCENT_EINVAL).
 */
int retrieve_embedder_for(store *s, const char *collection, const char *configured,
			  const char *models_dir, char **out);

#endif
