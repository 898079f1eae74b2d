/*
 * vectors.h - a collection's vectors in FAISS, keyed by chunk id.
 *
 * One index file per collection beside the database. The index type is
 * chosen by size unless a FAISS index-factory string says otherwise: exact
 * inner product (flat) for small collections, an approximate index (IVF
 * with enough probes for recall@10 >= 0.95 against exact) beyond a
 * threshold; all wrapped in an ID map so that ids are chunk ids. Vectors
 * are L2-normalised, so inner product is cosine similarity.
 *
 * The database stores every vector too (the source of truth): this file is
 * a cache that vindex can always rebuild from it. Saves are atomic (write
 * to a temporary file, fsync, rename).
 *
 * Uses the official FAISS C API (faiss/c_api/...). Debian ships its headers
 * but not the library; index/faiss_c_shim.cpp implements the functions
 * docent calls on top of the FAISS C++ library, compiled only when no
 * FAISS C API library is found.
 *
 * Ownership: vindex_open() returns a handle freed by vindex_close(), which
 * does not save. Not thread-safe.
 */
#ifndef DOCENT_INDEX_VECTORS_H
#define DOCENT_INDEX_VECTORS_H

#include <stddef.h>
#include <stdint.h>

typedef struct vindex_params {
	const char *factory;     /* FAISS index-factory string, e.g. "IVF1024,Flat";
	                            NULL = chosen by size */
	size_t flat_max;         /* up to this many vectors: exact search (default 50000) */
	int nprobe;              /* IVF probes; 0 = chosen for recall >= 0.95 */
	int threads;             /* 0 = all cores */
} vindex_params;

vindex_params vindex_default_params(void);

typedef struct vindex vindex;

/*
 * Opens the index at `path` (dim floats per vector), or starts an empty one
 * when the file does not exist. DOCENT_EFORMAT when the file is not a FAISS
 * index or has another dimension (the caller rebuilds it from the store).
 */
int vindex_open(vindex **out, const char *path, int dim, const vindex_params *p);
void vindex_close(vindex *v);

/* Adds n vectors (n * dim floats) under the given ids. */
int vindex_add(vindex *v, const int64_t *ids, const float *vecs, size_t n);

/* Removes the vectors with these ids (absent ids are ignored). */
int vindex_remove(vindex *v, const int64_t *ids, size_t n);

/* The k nearest (highest inner product) to q; fills ids and scores, best
 * first, and *n with how many were found (<= k). */
int vindex_search(vindex *v, const float *q, size_t k, int64_t *ids, float *scores, size_t *n);

/*
 * Rebuilds the index from scratch over all vectors (n * dim floats), with
 * the index type chosen for n (training an IVF index on them first).
 */
int vindex_rebuild(vindex *v, const int64_t *ids, const float *vecs, size_t n);

/* Writes the index to its path atomically. */
int vindex_save(vindex *v);

size_t vindex_count(const vindex *v);
int vindex_dim(const vindex *v);
/* A description such as "IDMap,Flat" or "IDMap,IVF1024,Flat nprobe=16". */
const char *vindex_describe(const vindex *v);

#endif
