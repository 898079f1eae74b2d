/*
 * tokens.h - counting the tokens of a text, behind one function pointer.
 *
 * The chunker (ingest/chunk.h) sizes chunks with a token_counter; the
 * engine (engine/embedder.h) makes one from a model's tokenizer. The type
 * lives here, below both, so that the engine does not depend on the
 * ingester. The simple counter needs no model: one token per word, one
 * per punctuation mark, one for every further 6 letters of a long word.
 *
 * Thread-safe: the simple counter keeps no state; a model's counter says
 * what it allows (embedder_token_counter: any thread).
 */
#ifndef DOCENT_CORE_TOKENS_H
#define DOCENT_CORE_TOKENS_H

#include <stddef.h>

typedef struct token_counter {
	/* required: the number of tokens in text[0..n) */
	size_t (*count)(void *ctx, const char *text, size_t n);
	void *ctx; /* passed to count; owned by whoever made the counter */
} token_counter;

/* The default counter: one token per word, plus one per punctuation mark,
 * plus one for every further 6 letters of a long word. */
token_counter token_counter_simple(void);

#endif
