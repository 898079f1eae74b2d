/*
 * embed.h - embedding a collection's chunks into its vectors: the last step
 * of ingestion, and what `docent reindex` runs.
 *
 * embed_collection() records the embedder's model for the collection (a
 * different model is refused: see store_collection_set_model), embeds
 * every chunk that has no vector yet, a page at a time, storing each page's
 * vectors in the database before adding them to the collection's FAISS
 * index (index/vecset.h), and saves the index. A chunk is embedded as its
 * context, a blank line, then its text (store_chunks_to_embed): "Manual >
 * Safety > Ladders" places a passage that never names its subject.
 * Vectors made before schema 4 lack that; `docent reindex` remakes them.
 * Interrupted (cancel, crash,
 * kill), it loses at most the page in flight: the next run embeds what is
 * missing.
 *
 * The caller opens the vecset before changing the collection (so that the
 * vectors its changes delete are dropped from the index, not rebuilt), and
 * closes it.
 *
 * Like ingest, it never prints: progress goes to a callback.
 */
#ifndef DOCENT_INGEST_EMBED_H
#define DOCENT_INGEST_EMBED_H

#include <stddef.h>
#include <stdint.h>

#include "engine/embedder.h"
#include "index/store.h"
#include "index/vecset.h"
#include "index/vectors.h"

typedef struct embed_progress {
	uint64_t chunks_done;
	uint64_t chunks_total;
	uint64_t tokens_done;   /* as the chunker counted them (the model's tokenizer
	                           when it has one) */
	double seconds;         /* since embedding started */
} embed_progress;

typedef struct embed_params {
	vindex_params vectors;  /* how the FAISS index is built (for the caller's vecset_open) */
	size_t page;            /* chunks per embedding call and store write (default 64) */
	void (*on_progress)(void *ctx, const embed_progress *p);
	void *ctx;
	volatile int *cancel;   /* polled between pages: DOCENT_ECANCELLED */
} embed_params;

embed_params embed_default_params(void);

typedef struct embed_summary {
	uint64_t embedded;      /* chunks embedded by this run */
	uint64_t tokens;
	uint64_t vectors;       /* vectors in the collection's index after the run */
	int rebuilt;            /* the index file was stale and was rebuilt (set by
	                           the caller's vecset_open) */
	double seconds;
	char index[160];        /* the index type, vindex_describe() */
} embed_summary;

int embed_collection(store *s, int64_t collection_id, embedder *e, vecset *vs,
		     const embed_params *p, embed_summary *summary);

#endif
