/*
 * chunk.h - splitting a cleaned doc into chunks for indexing and retrieval.
 *
 * Structure first: a chunk never crosses a heading, so every chunk belongs
 * to one section and carries that section's heading path ("Handbook > Leave
 * > Sick leave"); a chunk starts with its section heading when it is the
 * section's first. Inside a section, blocks (paragraphs, tables) are packed
 * up to a target size in tokens; a block too large is split at sentence
 * boundaries (sentence.h), and a sentence too large at word boundaries.
 * Consecutive chunks of one section overlap by up to overlap_tokens, made of
 * whole sentences from the end of the previous chunk.
 *
 * Tokens are counted by a pluggable token_counter (core/tokens.h): the
 * default counts words and punctuation, a stand-in for a model's
 * tokenizer, which can take over by passing its own counter.
 *
 * A chunk is a slice [off, off+len) of doc.text, so chunk text is never
 * copied or altered here. Thread-safe: no shared state.
 */
#ifndef DOCENT_INGEST_CHUNK_H
#define DOCENT_INGEST_CHUNK_H

#include <stddef.h>

#include "core/tokens.h"
#include "ingest/doc.h"

typedef struct chunk_params {
	size_t target_tokens;  /* default 256 */
	size_t overlap_tokens; /* default 32; 0 for none; must be < target_tokens */
	token_counter counter; /* default token_counter_simple() */
} chunk_params;

chunk_params chunk_default_params(void);

typedef struct chunk {
	size_t off, len;     /* the chunk's text: doc.text[off, off+len) */
	int page_start;      /* 0 when the document has no pages */
	int page_end;
	char *heading;       /* heading path joined by " > ", or NULL; owned by the list */
	size_t ntokens;
	size_t nwords;       /* text_count_words() of the chunk, for BM25 (filled by ingest) */
} chunk;

typedef struct chunk_list {
	chunk *items;
	size_t n, cap;
} chunk_list;

/* Appends the chunks of d to out (zero-initialised or reused). Returns 0,
 * DOCENT_ENOMEM, or DOCENT_EINVAL for inconsistent parameters. */
int chunk_doc(const chunk_params *p, const doc *d, chunk_list *out);

/* Frees the chunks' headings and the array; the list is left empty. */
void chunk_list_free(chunk_list *l);

#endif
