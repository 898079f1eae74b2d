/*
 * vectors.h - a collection's vectors in FAISS, keyed by chunk id.
 *
 * One index file per collection beside the database. The index type is
 * chosen by size unless a FAISS index-factory string says otherwise: exact
 * inner product (flat) for small collections, an approximate index (IVF
 * with enough probes for recall@10 >= 0.95 against exact, measured while
 * it is built) beyond a threshold; all wrapped in an ID map so that ids are
 * chunk ids. docs/faiss.md has the measurements. Vectors are L2-normalised,
 * so inner product is cosine similarity. A process that only searches (one
 * `docent search`) can open the file mapped rather than read
 * (vindex_params.mmap), which is much faster for a large IVF index.
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
	size_t flat_max;         /* up to this many vectors: exact search (default 20000) */
	int nprobe;              /* IVF probes; 0 = chosen for recall >= 0.95 */
	int threads;             /* 0 = all cores */
	const char *search;      /* FAISS search parameters applied after nprobe,
	                            e.g. "efSearch=64" for an HNSW factory string;
	                            NULL = none. Copied by vindex_open. */
	int mmap;                /* 1 = open for searching only: an IVF index's lists
	                            are mapped from the file instead of read, so a
	                            large index opens in milliseconds; vindex_add,
	                            _remove, _rebuild and _save then fail with
	                            DOCENT_EINVAL (docs/faiss.md). 0 by default. */
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
 * the index type chosen for n (training an IVF index on them first, and
 * falling back to exact search when the vectors are so evenly spread that
 * IVF would have to probe half its lists).
 */
int vindex_rebuild(vindex *v, const int64_t *ids, const float *vecs, size_t n);

/* Writes the index to its path atomically. */
int vindex_save(vindex *v);

size_t vindex_count(const vindex *v);

/* The chunk ids the index holds, in its internal order (*n of them);
 * borrowed until the next change to v. */
const int64_t *vindex_ids(vindex *v, size_t *n);

/*
 * Checks that the vector at internal position `pos` is `expect` (dim
 * floats, as stored): read back from an exact (flat) index, or, when the
 * index cannot give vectors back (IVF), searched for, which must find an
 * identical one. 0 when it is, DOCENT_EFORMAT (with a message) when not.
 */
int vindex_check_vector(vindex *v, size_t pos, const float *expect);
int vindex_dim(const vindex *v);
/* A description such as "IDMap,Flat" or "IDMap,IVF1024,Flat nprobe=16". */
const char *vindex_describe(const vindex *v);

#endif
