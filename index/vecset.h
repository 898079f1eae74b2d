/*
 * vecset.h - a collection's vectors as a whole: its FAISS index
 * (index/vectors.h) kept in step with the vectors in the store, which are
 * the source of truth.
 *
 * The index lives in `NAME.vectors/<collection id>.faiss` beside the
 * database NAME.db (docent.vectors/ for docent.db).
 * Opening checks the file against the store's totals (store_vec_totals):
 * a missing or unreadable file, another dimension, or totals that differ
 * (a crash between a database write and the file's save, another
 * process's write, a deleted file) make vecset_open rebuild the index from
 * the store and save it, and say so in *rebuilt. The file's own content is
 * verified too (vecset_verify): the count and chunk-id sum of the ids it
 * holds against the store's totals, and a few of its vectors, first,
 * middle and last, against the stored ones; a damaged file is rebuilt the
 * same way. (A damage confined to vectors not sampled goes unnoticed.)
 *
 * Writers change the store first, then call vecset_add for the vectors
 * they stored and vecset_save, which also drops the vectors the store
 * handle deleted since (replaced or removed documents) and records the
 * file's totals. A crash anywhere in between leaves totals that differ,
 * and the next open repairs it.
 *
 * Ownership: vecset_open returns a handle freed by vecset_close (which does
 * not save); it borrows the store, which must outlive it. Not thread-safe.
 */
#ifndef DOCENT_INDEX_VECSET_H
#define DOCENT_INDEX_VECSET_H

#include <stddef.h>
#include <stdint.h>

#include "index/store.h"
#include "index/vectors.h"

typedef struct vecset vecset;

/*
 * Opens the collection's index, repairing it when stale. DOCENT_ENOTFOUND
 * when the collection has no embedding model yet (nothing was embedded);
 * DOCENT_EIO when the index path is a folder (the message says to move it).
 * *rebuilt (may be NULL) is set to 1 when the index was rebuilt because it
 * was out of date, 2 when because it was damaged.
 */
int vecset_open(vecset **out, store *s, int64_t collection_id, const vindex_params *p,
		int *rebuilt);
void vecset_close(vecset *vs);

/* Adds vectors the caller has just stored (store_embeddings_put). */
int vecset_add(vecset *vs, const int64_t *ids, const float *vecs, size_t n);

/* Drops the vectors the store handle deleted, saves the file atomically and
 * records its totals in the store. */
int vecset_save(vecset *vs);

/* Rebuilds the index from the store's vectors and saves it. */
int vecset_rebuild(vecset *vs);

/* The k nearest chunks to the query vector, best first (see vindex_search). */
int vecset_search(vecset *vs, const float *q, size_t k, int64_t *ids, float *scores,
		  size_t *n);

size_t vecset_count(const vecset *vs);
int vecset_dim(const vecset *vs);
const char *vecset_describe(const vecset *vs);

/* The index file of a collection: "NAME.vectors/<id>.faiss" for the
 * database NAME.db; caller frees. */
char *vecset_path(const store *s, int64_t collection_id);

/* Deletes the collection's index file (after the collection is removed or
 * its vectors cleared); a missing file is fine. */
int vecset_remove_file(const store *s, int64_t collection_id);

/* What vecset_check found in one collection's index file. */
typedef struct vecset_report {
	int64_t collection_id;
	char path[1024];         /* the index file */
	int64_t stored;          /* vectors in the store */
	int64_t indexed;         /* vectors in the file; -1 when it cannot be read */
	int64_t probed, found;   /* stored vectors looked up in the file, and found */
	char problem[1024];      /* what is wrong and what to do; "" when sound */
	int behind;              /* sound, but the file misses the last changes */
	char note[1280];         /* when behind: what that means; else "" */
} vecset_report;

/*
 * Checks the collection's index file against the store without repairing
 * it (vecset_check.c): it must be a readable FAISS index of the
 * collection's dimension holding as many vectors as the store, with the
 * totals recorded at its last save, and up to `probes` stored vectors
 * (spread over the collection) looked up in it must find themselves. A
 * file behind the store (it holds what its last save recorded, the store
 * changed since: a run killed before its save) is sound: out->behind and
 * out->note say so, and the next vecset_open rebuilds it.
 * Returns 0 with *out filled (out->problem empty when sound; also for a
 * collection with no vectors), or a negative code when the check could not
 * run.
 */
int vecset_check(store *s, int64_t collection_id, const vindex_params *p, size_t probes,
		 vecset_report *out);

#endif
