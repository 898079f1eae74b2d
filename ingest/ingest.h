/*
 * ingest.h - the ingestion pipeline: walk -> read -> hash -> extract ->
 * clean -> chunk -> store, with incremental skipping and a report.
 *
 * Files are read, extracted, chunked and tokenized by worker threads (one
 * per core by default) while the calling thread writes to the store, in
 * batches of about a second, each document whole. Unchanged files (same
 * size and mtime, then same content hash) are skipped; identical bytes
 * under a second path are stored once; a file that fails is recorded with
 * its message and the run goes on. With `prune`, documents of the
 * collection whose files are gone are removed.
 *
 * With an embedder, the chunks without a vector are then embedded into
 * the collection's vectors (ingest/embed.h).
 *
 * The library never prints: progress and per-file events go to callbacks,
 * which run on the calling thread. A document's event comes once its batch
 * is committed, so "added" means it is in the database; the documents of a
 * batch that cannot be committed (a full disk) are reported failed, "not
 * saved". Memory stays bounded: the workers run at
 * most a fixed amount (files and their tokens) ahead of the writer.
 */
#ifndef DOCENT_INGEST_INGEST_H
#define DOCENT_INGEST_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "engine/embedder.h"
#include "index/store.h"
#include "ingest/chunk.h"
#include "ingest/clean.h"
#include "ingest/embed.h"
#include "ingest/extract.h"
#include "ingest/walk.h"

typedef enum ingest_event_kind {
	INGEST_ADDED = 1,    /* a new document */
	INGEST_UPDATED,      /* a known path whose content changed */
	INGEST_UNCHANGED,    /* skipped: nothing changed */
	INGEST_DUPLICATE,    /* stored once: same bytes as `detail` (another path) */
	INGEST_SKIPPED,      /* not ingested on purpose (hidden, excluded, too big...) */
	INGEST_FAILED,       /* could not be ingested: `detail` says why */
	INGEST_PRUNED,       /* removed: the file is gone, or holds no document
	                        now (emptied, say) */
	INGEST_STILL_FAILED, /* failed again, unchanged (same size and time) since
	                        it failed on an earlier run: known, not news */
} ingest_event_kind;

typedef struct ingest_event {
	ingest_event_kind kind;
	const char *path;
	const char *detail;  /* reason, error message or duplicate's path; may be NULL */
	const char *format;  /* for added/updated/duplicate */
	size_t nchunks;
	int code;            /* DOCENT_E* for failures and skips, 0 otherwise */
} ingest_event;

typedef struct ingest_progress {
	uint64_t files_done;   /* files finished (any outcome) */
	uint64_t files_total;  /* files found so far; final once walking ends */
	int walking_done;
	uint64_t bytes_done;
	uint64_t bytes_total;
	double seconds;        /* since the run started */
	const char *current;   /* the path just finished */
} ingest_progress;

typedef struct ingest_summary {
	uint64_t added, updated, unchanged, duplicates, skipped, failed, pruned;
	uint64_t still_failed; /* INGEST_STILL_FAILED, not counted in `failed` */
	uint64_t vanished;     /* without prune: documents under the given paths
	                          whose files no longer exist (kept; prune
	                          removes them) */
	uint64_t files;        /* files considered (all outcomes but skips) */
	uint64_t bytes;        /* bytes of files read */
	uint64_t chunks;       /* chunks written */
	uint64_t chunks_kept;  /* --force: stored chunks unchanged, kept with their vectors */
	double seconds;
	embed_summary embed;   /* the embedding step, when there is an embedder */
} ingest_summary;

typedef struct ingest_params {
	const char *collection;   /* default "default"; created when missing */
	walk_params walk;
	extract_params extract;
	clean_params clean;
	chunk_params chunk;
	int prune;                /* remove documents whose files are gone */
	int force;                /* re-extract and re-chunk even unchanged files;
	                             chunks that come out the same keep their vectors */
	unsigned threads;         /* extraction threads; 0: one per core */
	double commit_seconds;    /* documents saved per transaction: about this
	                             much work (default 1; see store_batch_begin) */
	/* optional callbacks, called on the calling thread */
	void (*on_event)(void *ctx, const ingest_event *e);
	void (*on_progress)(void *ctx, const ingest_progress *p);
	void *ctx;
	/* optional: polled between files; non-zero stops the run (DOCENT_ECANCELLED) */
	volatile int *cancel;
	/* optional: embeds the collection's new chunks once the text is stored
	 * (ingest/embed.h), with embed.cancel taken from `cancel`. A collection
	 * whose vectors come from another model is refused before any work. */
	embedder *embedder;
	embed_params embed;
} ingest_params;

ingest_params ingest_default_params(void);

/*
 * Ingests the files under `paths` into the store. Returns 0 when the run
 * completed (even if some files failed: see summary->failed), or a negative
 * code when the run itself could not go on (the store failed, out of memory,
 * cancelled, invalid parameters). The summary is filled either way.
 */
int ingest_run(store *s, const char *const *paths, size_t npaths,
	       const ingest_params *p, ingest_summary *summary);

#endif
