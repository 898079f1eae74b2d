/*
 * summarize.h - summaries of a document, or of what a collection says
 * about a topic, with references back to the pages or sections.
 *
 * With a language model the summary is map-reduce sized to the model's
 * context: consecutive chunks are grouped into map inputs that fit the
 * context with room for the prompt and the reply (a group ends at the
 * budget, or early at a chunk whose content hash makes it a cut point, so
 * that an edit moves the boundaries of its own group only); each group is
 * summarized (map), and the partial summaries, each labelled with its
 * reference ("p. 3-4", "§ Heading"), are combined (reduce), in several
 * rounds when they do not fit in one call. The final call streams through
 * the callback. A text that fits in one call is summarized in one call.
 * Every model call's result is cached in the store (store_summary_get),
 * keyed by the SHA-256 of what it read (chunk hashes, or the partial
 * summaries), the model id, the template's hash and the length, so
 * re-summarizing after an edit redoes only the parts that changed.
 *
 * Without a model (generator NULL) the summary is extractive: the most
 * central sentences (TF-IDF vectors, cosine similarity to the text's
 * centroid, and to the topic when there is one, with redundant sentences
 * passed over), in document order, each with its reference.
 *
 * Token counts are estimates (3 bytes a token unless the caller gives a
 * counter), which is on the safe side for English text and BPE models.
 *
 * Ownership: the result is the caller's, freed with summarize_result_free().
 * The store, generator and retriever are borrowed for the call. One call
 * at a time per store and generator.
 */
#ifndef DOCENT_RAG_SUMMARIZE_H
#define DOCENT_RAG_SUMMARIZE_H

#include <stddef.h>
#include <stdint.h>

#include "engine/generator.h"
#include "index/store.h"
#include "rag/retrieve.h"

typedef enum summarize_length {
	SUMMARIZE_SHORT = 0,
	SUMMARIZE_MEDIUM,
	SUMMARIZE_LONG,
} summarize_length;

/* "short", "medium", "long"; -1 for anything else. */
int summarize_length_parse(const char *name);
const char *summarize_length_name(summarize_length l);

/* Counts the tokens of text[0..n) as the model will see them. */
typedef size_t (*summarize_count_fn)(void *ctx, const char *text, size_t n);

/* Told before each model call: `done` of `total` calls planned so far. */
typedef void (*summarize_progress_fn)(void *ctx, int done, int total, int cached);

typedef struct summarize_params {
	summarize_length length;    /* default medium */
	size_t context_tokens;      /* the model's window; 0 = 4096 */
	summarize_count_fn count;   /* NULL: 3 bytes a token */
	void *count_ctx;
	gen_options gen;            /* sampling; max_tokens is set per call */
	const char *map_template;   /* NULL: built-in "summarize_map" (rag/prompt.h) */
	const char *reduce_template;/* NULL: built-in "summarize_reduce" */
	int use_cache;              /* read and write the cache (default 1) */
	const char *title;          /* names the text in prompts; NULL: the document's */
	volatile int *cancel;       /* non-zero stops (DOCENT_ECANCELLED); may be NULL */
	summarize_progress_fn progress; /* may be NULL */
	void *progress_ctx;
	size_t topic_passages;      /* summarize_topic: passages retrieved; 0: by length */
} summarize_params;

summarize_params summarize_default_params(void);

/* One part of the summary: a map input and its partial summary, or (in an
 * extractive summary) one chosen sentence. */
typedef struct summarize_section {
	size_t first, last;         /* the chunks it covers: document ordinals
	                               (summarize_doc) or passage numbers (topic) */
	int page_start, page_end;   /* 0 when no pages */
	char *heading;              /* the first chunk's heading, or NULL */
	char *ref;                  /* "p. 3-4", "§ Heading", "part 2"... */
	char *text;                 /* the partial summary, or the sentence */
	int cached;                 /* came from the cache */
	double ms;                  /* model time (0 when cached) */
} summarize_section;

typedef struct summarize_result {
	char *text;                 /* the summary, as streamed */
	int extractive;             /* 1: no model, chosen sentences */
	summarize_section *sections;
	size_t nsections;
	int calls;                  /* model calls made (cache hits excluded) */
	int cached_parts;           /* results taken from the cache */
	int rounds;                 /* reduce rounds (0: one call did all) */
	size_t chunks;              /* chunks or passages read */
	double map_ms, reduce_ms, total_ms;
	char *model;                /* the model id, or NULL */
} summarize_result;

void summarize_result_free(summarize_result *r);

/*
 * Summarizes document doc_id of the store. g may be NULL (extractive).
 * Text goes to fn as it is made (the final call's pieces; cached or
 * extractive text at once); fn returning non-zero cancels. On success
 * *out is the result. Errors: DOCENT_ENOTFOUND (no such document),
 * DOCENT_EEMPTY (no text), DOCENT_EINVAL (a context too small for the
 * prompt), DOCENT_ECANCELLED, and the generator's and store's errors.
 */
int summarize_doc(store *s, generator *g, int64_t doc_id, const summarize_params *p,
		  gen_piece_fn fn, void *ctx, summarize_result **out);

/*
 * What the documents say about `topic`: the passages retrieve() finds for
 * it (rp: mode, collection; k is set from params.topic_passages), in
 * document order, summarized as above with the topic as the focus and
 * each reference naming its document. DOCENT_ENOTFOUND when nothing
 * matches.
 */
int summarize_topic(store *s, retriever *r, generator *g, const char *topic,
		    const retrieve_params *rp, const summarize_params *p, gen_piece_fn fn,
		    void *ctx, summarize_result **out);

#endif
