/*
 * pack.h - the evidence handed to a language model: from ranked passages
 * to a short, numbered context under a token budget.
 *
 * On a CPU the prompt is the wait (a 0.5B model reads 130-150 tokens/s on
 * two cores), so the context must be small and right. The packer scores
 * the units of each retrieved passage (sentences; table rows, which stay
 * whole with their table's header row) against the question, keeps the
 * best ones with a little of their neighbourhood, and lays them out as
 * numbered items, one per passage they came from, in rank order, until the
 * budget is spent. Each item keeps what a citation needs: the passage's
 * path, page, heading, and the byte range in the document's extracted text
 * that the kept text spans.
 *
 * The same scores serve the extractive answer (no language model: the
 * best units, cited) and the weak-evidence test (nothing bears on the
 * question).
 *
 * Ownership: pack_evidence() fills an array the caller frees with
 * pack_items_free(); strings in an item are owned by it. Thread-safe: no
 * shared state beyond the sentence splitter's compiled patterns.
 */
#ifndef DOCENT_RAG_PACK_H
#define DOCENT_RAG_PACK_H

#include <stddef.h>
#include <stdint.h>

#include "index/store.h"

/* Counts the tokens of text[0..n) as the model will see them. */
typedef size_t (*pack_count_fn)(void *ctx, const char *text, size_t n);

/*
 * The budget covers the items' text plus item_tokens for each item (its
 * number, title and path as the prompt shows them): sum over items of
 * (tokens + item_tokens) <= budget_tokens, by the given counter.
 */
typedef struct pack_params {
	size_t budget_tokens;   /* the whole context's tokens (default 640: about
	                           340 words; docs/performance.md, "Context packing") */
	size_t max_items;       /* at most this many numbered items (default 16; 0: no limit) */
	int whole_passages;     /* 1: pack whole passages, no sentence selection */
	pack_count_fn count;    /* NULL: the chunker's estimate from words and punctuation */
	void *count_ctx;
	size_t item_tokens;     /* charged per item for its header (default 8) */
	double rank_weight;     /* a unit's priority is its score / (1 + rank_weight * the
	                           passage's 0-based rank) (default 0.1) */
	double spread;          /* and is multiplied by this for each unit already taken
	                           from its passage: < 1 spreads the budget over more
	                           passages (default 0.5; 1: no effect) */
} pack_params;

pack_params pack_default_params(void);

/* One unit of evidence (a sentence or a table row) inside an item. */
typedef struct pack_unit {
	size_t off, len;        /* the unit's text: item.text[off, off+len) */
	long header;            /* a table row: the index in the item's units of its
	                           table's header row (which gives its cells their
	                           meaning); -1 otherwise */
	int64_t start_byte, end_byte; /* where it is in the document's text */
	double score;           /* how well it answers the question (>= 0; 0: no
	                           word of the question, kept as context). BM25 of
	                           the unit over all units of the call, so scores
	                           of one pack_evidence() call compare across items */
} pack_unit;

/* One numbered item of the context: the kept text of one passage. */
typedef struct pack_item {
	int n;                  /* 1-based number, as cited: [n] */
	size_t hit;             /* the passage it came from: index into hits */
	int64_t chunk_id, doc_id;
	char *path, *title, *heading; /* copied from the hit; title, heading may be NULL */
	int page_start, page_end;     /* 0 when no pages */
	char *text;             /* the kept units in document order, gaps shown as " … " */
	int64_t start_byte, end_byte; /* the span of the kept text in the document's text */
	size_t tokens;          /* of text, by the counter */
	double score;           /* the best unit's score */
	pack_unit *units;
	size_t nunits;
} pack_item;

/*
 * Packs the evidence for `question` from hits[0..nhits) (ranked, best
 * first, each with its text and byte range). Items are numbered from 1 in
 * the order they are laid out. Hits whose units do not bear on the
 * question at all may be left out (all of them when none does). p may be
 * NULL (the defaults). Give it about 50 candidates: the best sentence of
 * the 20th passage often beats the second sentence of the first
 * (docs/performance.md). Returns 0 (possibly no items) or DOCENT_ENOMEM.
 */
int pack_evidence(const char *question, const store_hit *hits, size_t nhits,
		  const pack_params *p, pack_item **out, size_t *n);
void pack_items_free(pack_item *items, size_t n);

/* A unit of a packed context: items[item].units[unit]. */
typedef struct pack_ref {
	size_t item, unit;
} pack_ref;

/*
 * The best units across items[0..n), best first (ties: item order, then
 * document order), for an extractive answer: writes at most k references
 * to out (the caller's array of k) and returns how many. Units of score 0
 * are left out. Returns 0 when out of memory.
 */
size_t pack_best_units(const pack_item *items, size_t n, pack_ref *out, size_t k);

/*
 * How much of the question the evidence covers, from 0 (no content word
 * of the question occurs in any item) to 1 (one item holds all of them,
 * or 8 of them for a longer question): the largest share of the
 * question's distinct content words (stemmed, stop words left out) that
 * one item's text holds, out of at most 8. Used to tell weak evidence from
 * real evidence: below PACK_COVERAGE_WEAK, answer "the documents do not
 * answer this" (measured in docs/performance.md, "Context packing"). A
 * question without content words, or no items, has coverage 0. Returns 0
 * too when out of memory.
 */
double pack_coverage(const char *question, const pack_item *items, size_t n);

/*
 * The same share with each question word weighted by its rarity among the
 * retrieved passages hits[0..nhits) (the ones the items were packed from):
 * a question's unusual words decide. Below PACK_COVERAGE_WEIGHTED_WEAK:
 * weak evidence. On the same pass (both may be NULL): *nterms, the
 * question's content words, and *absent, how many of them (numbers left
 * out) occur in no passage; in a short question such a word is usually
 * what it is about ("dogs" in "may I bring dogs to the office?"), and then
 * the documents do not answer it.
 */
double pack_coverage_weighted(const char *question, const store_hit *hits, size_t nhits,
			      const pack_item *items, size_t n, size_t *absent, size_t *nterms);

/* The proposed threshold: on the shared evaluation collections it turns
 * away 0.5-7% of the questions whose context holds a relevant document,
 * and 18-66% of questions put to another collection's documents. */
#define PACK_COVERAGE_WEAK 0.4
#define PACK_COVERAGE_WEIGHTED_WEAK 0.25

#endif
