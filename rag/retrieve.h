/*
 * retrieve.h - retrieval: from a question to ranked passages.
 *
 * Today this is keyword retrieval (BM25 over the store's FTS5 index). It is
 * the one entry point the faces and the answer pipeline call, so that dense
 * retrieval and rank fusion slot in here (engine/ embeddings + FAISS) without
 * the callers changing. A collection named in the parameters must exist.
 */
#ifndef DOCENT_RAG_RETRIEVE_H
#define DOCENT_RAG_RETRIEVE_H

#include <stddef.h>

#include "index/store.h"

/* Ranked passages for `query`; the caller frees them with store_hits_free(). */
int retrieve_search(store *s, const char *query, const store_search_params *p,
		    store_hit **out, size_t *n);

#endif
