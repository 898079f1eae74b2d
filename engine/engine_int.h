/*
 * engine_int.h - what the engine's files share: the embedder and generator
 * handles behind the opaque types of embedder.h and generator.h, and the
 * constructors of each backend. engine.c holds the public wrappers and the
 * dispatch from a model spec to a constructor; embed_http.c and gen_http.c
 * are the HTTP backends (OpenAI-compatible servers and Ollama).
 */
#ifndef DOCENT_ENGINE_ENGINE_INT_H
#define DOCENT_ENGINE_ENGINE_INT_H

#include "engine/embedder.h"
#include "engine/generator.h"
#include "engine/model_spec.h"

struct embedder {
	const embedder_ops *ops;
	void *self;          /* the backend's state, freed by ops->free */
	int dim;             /* length of every vector */
	size_t max_tokens;   /* longest input, in the model's tokens */
	char model_id[600];  /* see embedder_model_id() */
};

struct generator {
	const generator_ops *ops;
	void *self;
	char model_id[600];
};

/*
 * The HTTP embedder for a MODEL_OPENAI or MODEL_OLLAMA spec. It sends one
 * probe request ("ping") before returning, which learns the vector size
 * and finds a server that is down, a wrong model name or a bad API key at
 * open time rather than in the middle of an ingest. Caller frees with
 * embedder_free().
 */
int embed_http_open(embedder **out, const model_spec *spec, const embedder_params *p);

/*
 * The HTTP generator for a MODEL_OPENAI or MODEL_OLLAMA spec. Opening sends
 * nothing; the first request finds out whether the server is there.
 * Caller frees with generator_free().
 */
int gen_http_open(generator **out, const model_spec *spec, const generator_params *p);

#endif
