/*
 * generator.h - text generation with a language model, streamed.
 *
 * Backends (vtables, see generator_ops):
 *   - in-process llama.cpp chat models: the chat template from the GGUF
 *     metadata, a sampler chain (temperature, top-k, top-p, min-p,
 *     repetition penalty, seed), stop strings, a token budget that respects
 *     the context window, reuse of the cached prompt prefix between calls;
 *   - HTTP: OpenAI-compatible POST /v1/chat/completions (server-sent
 *     events) and Ollama POST /api/chat (JSON lines), parsed incrementally,
 *     with timeouts and clear errors for a server that is down, slow,
 *     answers with an error, or sends malformed data.
 * Text reaches the caller through a callback, piece by piece, each piece
 * whole UTF-8 (a piece never ends inside a character). The callback can
 * cancel by returning non-zero.
 *
 * Ownership: generator_open() returns a handle freed with generator_free().
 * Threads: one call at a time per handle.
 */
#ifndef DOCENT_ENGINE_GENERATOR_H
#define DOCENT_ENGINE_GENERATOR_H

#include <stddef.h>
#include <stdint.h>

typedef struct generator_params {
	const char *model;       /* spec: GGUF path, or URL#model (model_spec.h) */
	int context;             /* in-process: context window in tokens; 0 = model's, capped at 8192 */
	int threads;             /* in-process: 0 = all cores */
	int timeout_ms;          /* HTTP: no data for this long = error; 0 = 120000 */
	const char *api_key_env; /* HTTP: as for embedders */
	/* in-process: a folder where the model's state after the part of the
	 * prompt that repeats from one call to the next (the instructions) is
	 * kept, so that a new process reads only what changed; NULL: none. A
	 * cache: a file that cannot be read or written costs only speed. */
	const char *prefix_cache_dir;
} generator_params;

generator_params generator_default_params(void);

typedef struct gen_options {
	double temperature;      /* default 0.2; 0 = greedy */
	int top_k;               /* default 40; 0 = off */
	double top_p;            /* default 0.95; 1 = off */
	double min_p;            /* default 0.05; 0 = off */
	double repeat_penalty;   /* default 1.1; 1 = off */
	uint32_t seed;           /* default 0 = random */
	int max_tokens;          /* default 512; cut to what the context leaves */
	const char *const *stop; /* stop strings (not emitted); borrowed */
	size_t nstop;
	/* optional: when *cancel becomes non-zero (a signal handler's flag),
	 * the call stops within a fraction of a second, even while the prompt
	 * is being read or a server is silent: GEN_STOP_CANCELLED */
	const volatile int *cancel;
} gen_options;

gen_options gen_default_options(void);

typedef struct chat_message {
	const char *role;        /* "system", "user" or "assistant" */
	const char *content;
} chat_message;

/* Receives each piece of generated text; return non-zero to stop. */
typedef int (*gen_piece_fn)(void *ctx, const char *piece, size_t n);

typedef struct gen_result {
	int prompt_tokens;
	int completion_tokens;
	int cached_tokens;       /* prompt tokens reused from the previous call */
	double first_token_ms;   /* time to first piece */
	double total_ms;
	int stopped_by;          /* GEN_STOP_* */
} gen_result;

enum { GEN_STOP_END = 1, GEN_STOP_STRING, GEN_STOP_LENGTH, GEN_STOP_CANCELLED };

typedef struct generator generator;

typedef struct generator_ops {
	/* required: generates a reply to the conversation */
	int (*chat)(void *self, const chat_message *msgs, size_t n, const gen_options *o,
		    gen_piece_fn fn, void *ctx, gen_result *res);
	/* required: continues a raw prompt, no template */
	int (*complete)(void *self, const char *prompt, const gen_options *o,
			gen_piece_fn fn, void *ctx, gen_result *res);
	/* required */
	void (*free)(void *self);
	/* optional: the prompt text chat() would give the model (its chat
	 * template applied, ready for a reply); *out malloc'd */
	int (*render)(void *self, const chat_message *msgs, size_t n, char **out);
	/* optional: how many tokens the model reads in text[0..n); may be
	 * called from several threads at once */
	size_t (*count_tokens)(void *self, const char *text, size_t n);
} generator_ops;

/*
 * Opens the model named by params->model. An in-process model must be a
 * chat (or at least text) model: an embedding or reranking GGUF (BERT and
 * the other encoders, or any model whose metadata declares a pooling type)
 * is DOCENT_EFORMAT with a message that names a chat model to pull.
 * Other errors as embedder_open()'s.
 */
int generator_open(generator **out, const generator_params *params);

/* A generator over a backend of the caller's (a test's, say): ops is
 * borrowed for the handle's life; self is freed by ops->free with it. */
int generator_wrap(generator **out, const generator_ops *ops, void *self, const char *model_id);
void generator_free(generator *g);

int generator_chat(generator *g, const chat_message *msgs, size_t n, const gen_options *o,
		   gen_piece_fn fn, void *ctx, gen_result *res);
int generator_complete(generator *g, const char *prompt, const gen_options *o,
		       gen_piece_fn fn, void *ctx, gen_result *res);

/*
 * The prompt the model would be given for this conversation: the messages
 * laid out by the model's chat template, ending where the reply starts.
 * A template without a system role (Gemma) gets the system message at the
 * head of the first user turn. *out is malloc'd, the caller frees it.
 * DOCENT_EUNSUPPORTED for backends whose server applies the template.
 */
int generator_render(generator *g, const chat_message *msgs, size_t n, char **out);

/*
 * The tokens the model reads in text[0..n), by its own tokenizer, for
 * budgets that must be exact (the context of an answer); 0 when the
 * backend cannot tell (a server): check generator_counts_tokens().
 */
size_t generator_count_tokens(const generator *g, const char *text, size_t n);
int generator_counts_tokens(const generator *g);

/* A stable name for the model, borrowed from the generator. */
const char *generator_model_id(const generator *g);

#endif
