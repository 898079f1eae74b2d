/*
 * reranker.h - scoring how well each passage answers a query with a
 * cross-encoder (a reranking model), behind one small interface.
 *
 * A reranker reads the query and one passage together and gives one
 * number: higher means more relevant. The numbers are the model's raw
 * outputs (logits for bge-reranker), comparable between the passages of
 * one call and of one model, not probabilities.
 *
 * Backends (each a vtable, see reranker_ops):
 *   - in-process llama.cpp for a GGUF reranking model (one whose metadata
 *     sets rank pooling: bge-reranker, jina-reranker, Qwen3-Reranker ...),
 *     many (query, passage) pairs per decode call; the pair is laid out as
 *     llama-server does (the model's "rerank" template when its GGUF has
 *     one, else BOS query EOS SEP passage EOS, as the vocabulary asks);
 *   - HTTP: POST {url}/rerank with {"model","query","documents","top_n"}
 *     (llama-server --reranking, and Jina/Cohere-style services), answered
 *     by {"results":[{"index","relevance_score"}]}, with timeouts and
 *     retries (engine/http.h).
 * In-process, a pair longer than the context has its passage cut to fit
 * (and its query, when the query alone takes more than half), and the cut
 * is reported through the warning callback. A server cuts or refuses long
 * inputs by its own rules; its error message is quoted.
 *
 * The model is named by a spec string (engine/model_spec.h): a GGUF path
 * or URL#model. Opening a model that is not a reranker (an embedding or a
 * chat model) fails with DOCENT_EFORMAT and a message that says so.
 *
 * Ownership: reranker_open() returns a handle the caller frees with
 * reranker_free(). Threads: one call at a time per handle (a handle may
 * use several threads inside a call).
 */
#ifndef DOCENT_ENGINE_RERANKER_H
#define DOCENT_ENGINE_RERANKER_H

#include <stddef.h>

typedef struct reranker_params {
	const char *model;       /* spec: GGUF path, or URL#model (model_spec.h) */
	int threads;             /* in-process: 0 = all cores */
	int context;             /* in-process: most tokens of one (query, passage)
	                            pair; 0 = the model's, at most 1024 */
	size_t batch_size;       /* pairs per decode call or request; 0 = backend
	                            default (in-process: as many as fit, HTTP: 64) */
	int timeout_ms;          /* HTTP: per request; 0 = 60000 */
	int retries;             /* HTTP: attempts after the first; default 3 */
	const char *api_key_env; /* HTTP: variable holding the API key; default
	                            "DOCENT_API_KEY" (then OPENAI_API_KEY) */
	/* optional: told about inputs cut to fit the model (borrowed text) */
	void (*on_warning)(void *ctx, const char *message);
	void *ctx;
} reranker_params;

reranker_params reranker_default_params(void);

typedef struct reranker reranker;

/* The backend interface. A backend fills a reranker's ops and self. */
typedef struct reranker_ops {
	/* required: writes the score of each docs[i] for query into scores[i] */
	int (*rank)(void *self, const char *query, const char *const *docs, size_t n,
		    double *scores);
	/* required */
	void (*free)(void *self);
} reranker_ops;

/*
 * Opens the model named by params->model. Errors: DOCENT_ENOTFOUND (no such
 * file), DOCENT_EFORMAT (not GGUF, or not a reranking model: the message
 * says what the model is instead), DOCENT_EIO (server down or unreachable:
 * the message names the URL), DOCENT_EINVAL (no model, bad spec, or an
 * Ollama spec: Ollama has no rerank API), DOCENT_ENOMEM.
 */
int reranker_open(reranker **out, const reranker_params *params);

/* Frees the handle and its backend; NULL is fine. */
void reranker_free(reranker *r);

/* A reranker over a backend of the caller's (e.g. a test's): ops and
 * model_id are borrowed and copied as for embedder_wrap(); self is freed
 * by ops->free when the handle is. */
int reranker_wrap(reranker **out, const reranker_ops *ops, void *self, size_t max_tokens,
		  const char *model_id);

/*
 * Scores docs[0..n) against query into scores[0..n), higher is better. A
 * NULL doc counts as empty. Deterministic for a given model and input.
 * Returns 0 or a negative code with a message (the server's, for HTTP);
 * scores is then undefined.
 */
int reranker_rank(reranker *r, const char *query, const char *const *docs, size_t n,
		  double *scores);

/* reranker_rank() with the reranker passed as a void pointer, for callers
 * that take a scoring callback and a context (the answer pipeline's
 * rerank hook): set the callback to this and the context to the reranker. */
int reranker_rank_cb(void *r, const char *query, const char *const *docs, size_t n,
		     double *scores);

/* A stable name for the model ("bge-reranker-v2-m3-Q8_0.gguf",
 * "openai:bge-reranker"). Borrowed from the reranker. */
const char *reranker_model_id(const reranker *r);

/* The most tokens one (query, passage) pair may have in-process; for HTTP
 * the common 512, since the server's limit is not visible. */
size_t reranker_max_tokens(const reranker *r);

#endif
