/*
 * models.h - the configured models, opened: the language model
 * (engine.chat_model), the embedding model a search uses (the collection's
 * own, see retrieve_embedder_for), a named embedding model, and the
 * reranking model (engine.rerank_model). Names are resolved as
 * config_model_path() does (catalogue names, name.gguf in the models
 * folder). Shared by the faces (the CLI and the web server), which decide
 * what to say to a person about a missing or failing model.
 *
 * Each function returns 0 or a DOCENT_E* code with a message; *out is the
 * caller's (generator_free, embedder_free, reranker_free), and is NULL with
 * 0 returned when no such model is configured. Warnings of a model (inputs
 * cut to fit) go to `warn` (may be NULL: dropped). The config is only read;
 * calls on one config may run in several threads once it is loaded.
 */
#ifndef DOCENT_CONFIG_MODELS_H
#define DOCENT_CONFIG_MODELS_H

#include "config/config.h"
#include "engine/embedder.h"
#include "engine/generator.h"
#include "engine/reranker.h"
#include "index/store.h"

typedef void (*config_warning_fn)(void *ctx, const char *message);

/* The language model of engine.chat_model (NULL when unset), with the
 * model's state after the instructions kept in DATA_DIR/cache. */
int config_generator_open(const config *c, generator **out);

/* The embedding model `spec` (any form config_model_path takes) with the
 * engine.* prefixes and limits; NULL when spec is NULL or empty. */
int config_embedder_open(const config *c, const char *spec, config_warning_fn warn,
			 void *warn_ctx, embedder **out);

/*
 * The embedding model a search of `collection` (NULL: all) uses: the
 * collection's own, or engine.embed_model when they agree
 * (retrieve_embedder_for). NULL when none is known (keyword search).
 * Errors: retrieve_embedder_for's (models that disagree, a model not in
 * the models folder), and the embedder's when it cannot be opened.
 */
int config_search_embedder_open(const config *c, store *s, const char *collection,
				config_warning_fn warn, void *warn_ctx, embedder **out);

/* The reranking model of engine.rerank_model (NULL when unset). */
int config_reranker_open(const config *c, config_warning_fn warn, void *warn_ctx,
			 reranker **out);

/*
 * The language model's context window, which chat history and summary
 * parts must fit: engine.context when set, else a GGUF file's own (at most
 * 8192, as the in-process generator caps it); 0 when unknown (a server's
 * model, or no model). Never fails.
 */
int config_model_context(const config *c);

#endif
