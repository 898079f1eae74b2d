/*
 * embedder.h - turning text into vectors, behind one small interface.
 *
 * Backends (each a vtable, see embedder_ops):
 *   - in-process llama.cpp for GGUF embedding models (BERT, nomic-bert and
 *     the other encoders llama.cpp supports): pooling from the model's
 *     metadata, many texts per decode call, all cores;
 *   - HTTP: an OpenAI-compatible server (POST /v1/embeddings) or Ollama
 *     (POST /api/embed), through libcurl, with batching, timeouts, retries
 *     with backoff, and an API key from the environment.
 * Every backend returns L2-normalised float vectors, so that inner product
 * is cosine similarity. Inputs longer than the model's context are cut to
 * fit, and the cut is reported through the warning callback.
 *
 * The model is named by a spec string (engine/model_spec.h): a GGUF path,
 * or a server URL with a model name.
 *
 * Ownership: embedder_open() returns a handle the caller frees with
 * embedder_free(). Threads: one call at a time per handle (a handle may use
 * several threads inside a call).
 */
#ifndef DOCENT_ENGINE_EMBEDDER_H
#define DOCENT_ENGINE_EMBEDDER_H

#include <stddef.h>

#include "core/tokens.h"

typedef enum embed_kind {
	EMBED_DOCUMENT = 0, /* a chunk being indexed */
	EMBED_QUERY = 1,    /* a search query */
} embed_kind;

typedef struct embedder_params {
	const char *model;           /* spec: GGUF path, or URL#model (model_spec.h) */
	const char *query_prefix;    /* prepended to queries, e.g. "search_query: " */
	const char *document_prefix; /* prepended to documents, e.g. "search_document: " */
	int threads;                 /* in-process: 0 = all cores */
	size_t batch_size;           /* texts per request or decode call; 0 = backend default */
	int timeout_ms;              /* HTTP: per request; 0 = 60000 */
	int retries;                 /* HTTP: attempts after the first; default 3 */
	const char *api_key_env;     /* HTTP: variable holding the API key; default
	                                "DOCENT_API_KEY" (then OPENAI_API_KEY) */
	/* optional: told about inputs cut to fit the model (borrowed text) */
	void (*on_warning)(void *ctx, const char *message);
	void *ctx;
} embedder_params;

embedder_params embedder_default_params(void);

typedef struct embedder embedder;

/* The backend interface. A backend fills an embedder's ops and self. */
typedef struct embedder_ops {
	/* required: writes n normalised vectors of dim floats into out */
	int (*embed)(void *self, const char *const *texts, size_t n, embed_kind kind, float *out);
	/* optional: tokens of text[0..n) with the model's tokenizer; may be
	 * called from several threads at once, and during embed */
	int (*count_tokens)(void *self, const char *text, size_t n, size_t *out);
	/* required */
	void (*free)(void *self);
} embedder_ops;

/*
 * Opens the model named by params->model. Errors: DOCENT_ENOTFOUND (no such
 * file), DOCENT_EFORMAT (not a GGUF embedding model), DOCENT_EIO (server
 * down or unreachable: the message names the URL), DOCENT_EINVAL (bad spec).
 */
int embedder_open(embedder **out, const embedder_params *params);
void embedder_free(embedder *e);

/* An embedder over a backend of the caller's (e.g. a test's): ops and
 * model_id are copied or borrowed for the handle's life as ops is; self is
 * freed by ops->free when the handle is. */
int embedder_wrap(embedder **out, const embedder_ops *ops, void *self, int dim,
		  size_t max_tokens, const char *model_id);

/* Embeds n texts into out[n * embedder_dim(e)]. */
int embedder_embed(embedder *e, const char *const *texts, size_t n, embed_kind kind, float *out);

int embedder_dim(const embedder *e);
/* A stable name for the model ("bge-small-en-v1.5.gguf", "ollama:nomic-embed-text"),
 * recorded with each collection. Borrowed from the embedder. */
const char *embedder_model_id(const embedder *e);
/* The most tokens one input may have (the model's context). */
size_t embedder_max_tokens(const embedder *e);

/* A token counter for the chunker that uses the model's tokenizer when the
 * backend has one, else the simple counter. Valid while e lives; safe to
 * use from several threads. */
token_counter embedder_token_counter(embedder *e);

#endif
