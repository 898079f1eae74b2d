/*
 * rerank_api.c - the public face of the reranker (reranker.h): default
 * parameters, the dispatch from a model spec to a backend, and the thin
 * wrappers that call through a handle's vtable.
 *
 * Arguments are checked once here so that backends need not.
 */
#include "engine/rerank_int.h"
#include "core/error.h"

#include <stdio.h>
#include <stdlib.h>

reranker_params reranker_default_params(void)
{
	return (reranker_params){
		.model = NULL,
		.threads = 0,
		.context = 0,
		.batch_size = 0,
		.timeout_ms = 60000,
		.retries = 3,
		.api_key_env = NULL,
	};
}

int reranker_open(reranker **out, const reranker_params *params)
{
	model_spec spec;
	int rc;

	*out = NULL;
	if (!params || !params->model || !params->model[0])
		return docent_error_set(DOCENT_EINVAL, "no reranking model was given; set "
					"DOCENT_RERANK_MODEL or engine.rerank_model in the "
					"configuration");
	if ((rc = model_spec_parse(params->model, NULL, &spec)))
		return rc;
	switch (spec.backend) {
	case MODEL_OPENAI:
		return rerank_http_open(out, &spec, params);
	case MODEL_GGUF:
		return rerank_llama_open(out, &spec, params);
	case MODEL_OLLAMA:
		return docent_error_set(DOCENT_EINVAL, "reranking model %s: Ollama has no "
					"rerank API; run the GGUF in-process, or serve it with "
					"`llama-server --reranking` and give http://HOST:PORT/v1#NAME",
					params->model);
	default:
		return docent_error_set(DOCENT_EINVAL, "reranking model %s: unknown backend",
					params->model);
	}
}

int reranker_wrap(reranker **out, const reranker_ops *ops, void *self, size_t max_tokens,
		  const char *model_id)
{
	reranker *r;

	*out = NULL;
	if (!ops || !ops->rank || !ops->free || !model_id)
		return docent_error_set(DOCENT_EINVAL, "a reranker needs rank and free "
					"functions and a model id");
	if (!(r = calloc(1, sizeof *r)))
		return docent_error_set(DOCENT_ENOMEM, "out of memory");
	r->ops = ops;
	r->self = self;
	r->max_tokens = max_tokens;
	snprintf(r->model_id, sizeof r->model_id, "%s", model_id);
	*out = r;
	return 0;
}

void reranker_free(reranker *r)
{
	if (!r)
		return;
	if (r->ops && r->ops->free)
		r->ops->free(r->self);
	free(r);
}

int reranker_rank(reranker *r, const char *query, const char *const *docs, size_t n,
		  double *scores)
{
	if (!r || (n > 0 && (!docs || !scores)))
		return docent_error_set(DOCENT_EINVAL, "reranker_rank: no reranker, passages "
					"or output");
	if (n == 0)
		return 0;
	return r->ops->rank(r->self, query ? query : "", docs, n, scores);
}

int reranker_rank_cb(void *r, const char *query, const char *const *docs, size_t n,
		     double *scores)
{
	return reranker_rank(r, query, docs, n, scores);
}

const char *reranker_model_id(const reranker *r)
{
	return r ? r->model_id : "";
}

size_t reranker_max_tokens(const reranker *r)
{
	return r ? r->max_tokens : 0;
}
