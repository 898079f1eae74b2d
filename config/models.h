/*
 * models.h - the configured models, opened: the language model
 * (engine.chat_model) and the reranking model (engine.rerank_model);
 * embedding models are config.h's (config_search_model,
 * config_embedder_open). Names are resolved as
 * config_model_path() does (catalogue names, name.gguf in the models
 * folder). Shared by the faces (the CLI and the web server), which decide
 * what to say to a person about a missing or failing model.
 *
 * Each function returns 0 or a DOCENT_E* code with a message; *out is the
 * caller's (generator_free, reranker_free), and is NULL with
 * 0 returned when no such model is configured. Warnings of a model (inputs
 * cut to fit) go to `warn` (may be NULL: dropped). The config is only read;
 * calls on one config may run in several threads once it is loaded.
 */
#ifndef DOCENT_CONFIG_MODELS_H
#define DOCENT_CONFIG_MODELS_H

#include "config/config.h"
#include "engine/generator.h"
#include "engine/reranker.h"

typedef void (*config_warning_fn)(void *ctx, const char *message);

/* The language model of engine.chat_model (NULL when unset), with the
 * model's state after the instructions kept in DATA_DIR/cache. */
int config_generator_open(const config *c, generator **out);

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
