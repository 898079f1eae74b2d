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

/*
 * Reads a reply held in memory, data[0..n), as gen_http reads the body
 * of a streamed answer (for the fuzzer and tests): server-sent events for
 * MODEL_OPENAI, JSON lines for MODEL_OLLAMA, a chat reply when `chat`,
 * fed to the line splitter `piece` bytes at a time (0: all at once).
 * Returns what a request would, with res filled the same way.
 */
int gen_http_parse(model_backend kind, int chat, int max_tokens, const char *data, size_t n,
		   size_t piece, gen_piece_fn fn, void *ctx, gen_result *res);

/* ---- in-process llama.cpp (llama_common.c, embed_llama.c, gen_llama.c) ----
 * Declared with plain types so that files which do not include llama.h
 * (and are built without its flags) can include this header. */
#include <stdbool.h>
#include <stdint.h>

struct llama_model;
struct llama_vocab;

/*
 * The llama.cpp embedder for a MODEL_GGUF spec: loads the model, checks that
 * it pools tokens into one vector per text, and makes a context of the
 * model's training size. Errors: DOCENT_ENOTFOUND, DOCENT_EFORMAT (not GGUF,
 * or not an embedding model), DOCENT_ENOMEM. Caller frees with embedder_free().
 */
int embed_llama_open(embedder **out, const model_spec *spec, const embedder_params *p);

/*
 * The llama.cpp generator for a MODEL_GGUF spec: a chat model with its
 * template. Errors as for embed_llama_open(). Caller frees with
 * generator_free().
 */
int gen_llama_open(generator **out, const model_spec *spec, const generator_params *p);

/*
 * Loads the GGUF file at path (once per process it starts llama.cpp and
 * silences its logging). `what` names the role in messages ("embedding
 * model"). Errors: DOCENT_ENOTFOUND, DOCENT_EPERM, DOCENT_EFORMAT. Caller
 * frees *out with llama_model_free().
 */
int llama_common_load(const char *path, const char *what, struct llama_model **out);

/* Starts llama.cpp and silences its logging (and ggml's), once per process;
 * llama_common_load() calls it. */
void llama_common_start(void);

/* The thread count to use: `requested`, or all online cores when <= 0. */
int llama_common_threads(int requested);

/* The file's base name, the model id of a GGUF model. */
void llama_common_model_id(const char *path, char *out, size_t cap);

/*
 * Tokenizes text[0..n) into *toks (malloc'd, caller frees; *toks may be
 * reallocated when too small, *cap holds its size), the count in *ntok.
 * Returns 0, DOCENT_ENOMEM, or DOCENT_ETOOBIG for a text over INT32_MAX.
 */
int llama_common_tokenize(const struct llama_vocab *vocab, const char *text, size_t n,
			  bool add_special, bool parse_special, int32_t **toks, size_t *cap,
			  int *ntok);

#endif
