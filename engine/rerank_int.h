/*
 * rerank_int.h - what the reranker's files share: the handle behind the
 * opaque type of reranker.h and the constructor of each backend.
 * rerank_api.c holds the public wrappers and the dispatch from a model
 * spec to a constructor; rerank_llama.c runs a GGUF model in-process,
 * rerank_http.c asks a server.
 */
#ifndef DOCENT_ENGINE_RERANK_INT_H
#define DOCENT_ENGINE_RERANK_INT_H

#include "engine/model_spec.h"
#include "engine/reranker.h"

struct reranker {
	const reranker_ops *ops;
	void *self;          /* the backend's state, freed by ops->free */
	size_t max_tokens;   /* longest (query, passage) pair, in the model's tokens */
	char model_id[600];  /* see reranker_model_id() */
};

/*
 * The llama.cpp reranker for a MODEL_GGUF spec: loads the model, checks
 * that its metadata sets rank pooling (else DOCENT_EFORMAT naming what it
 * is), and makes a context of p->context tokens. Caller frees with
 * reranker_free().
 */
int rerank_llama_open(reranker **out, const model_spec *spec, const reranker_params *p);

/*
 * The HTTP reranker for a MODEL_OPENAI spec. It sends one probe request
 * before returning, so that a server that is down, a wrong URL or a server
 * started without reranking shows at open time. Caller frees with
 * reranker_free().
 */
int rerank_http_open(reranker **out, const model_spec *spec, const reranker_params *p);

#endif
