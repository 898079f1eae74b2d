/*
 * engine.c - the public face of the engine (embedder.h, generator.h): the
 * default parameters, the dispatch from a model spec to a backend, and the
 * thin wrappers that call through a handle's vtable.
 *
 * The wrappers check arguments once here so that backends need not. A
 * GGUF spec goes to the in-process llama.cpp backends (embed_llama.c,
 * gen_llama.c), a server URL to the HTTP ones.
 */
#include "engine/engine_int.h"
#include "core/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

embedder_params embedder_default_params(void)
{
	return (embedder_params){
		.model = NULL,
		.query_prefix = NULL,
		.document_prefix = NULL,
		.threads = 0,
		.batch_size = 0,
		.timeout_ms = 60000,
		.retries = 3,
		.api_key_env = NULL,
	};
}

generator_params generator_default_params(void)
{
	return (generator_params){
		.model = NULL,
		.context = 0,
		.threads = 0,
		.timeout_ms = 120000,
		.api_key_env = NULL,
	};
}

gen_options gen_default_options(void)
{
	return (gen_options){
		.temperature = 0.2,
		.top_k = 40,
		.top_p = 0.95,
		.min_p = 0.05,
		.repeat_penalty = 1.1,
		.seed = 0,
		.max_tokens = 512,
		.stop = NULL,
		.nstop = 0,
	};
}

/* ---- embedders --------------------------------------------------------- */

int embedder_open(embedder **out, const embedder_params *params)
{
	model_spec spec;
	int rc;

	*out = NULL;
	if (!params || !params->model)
		return docent_error_set(DOCENT_EINVAL, "no embedding model was given; set "
					"DOCENT_EMBED_MODEL or the embed model in the configuration");
	if ((rc = model_spec_parse(params->model, NULL, &spec)))
		return rc;
	switch (spec.backend) {
	case MODEL_OPENAI:
	case MODEL_OLLAMA:
		return embed_http_open(out, &spec, params);
	case MODEL_GGUF:
		return embed_llama_open(out, &spec, params);
	default:
		return docent_error_set(DOCENT_EINVAL, "embedding model %s: unknown backend",
					params->model);
	}
}

int embedder_wrap(embedder **out, const embedder_ops *ops, void *self, int dim,
		  size_t max_tokens, const char *model_id)
{
	embedder *e;

	*out = NULL;
	if (!ops || !ops->embed || !ops->free || dim <= 0 || !model_id)
		return docent_error_set(DOCENT_EINVAL, "an embedder needs embed and free "
					"functions, a dimension and a model id");
	if (!(e = calloc(1, sizeof *e)))
		return docent_error_set(DOCENT_ENOMEM, "out of memory");
	e->ops = ops;
	e->self = self;
	e->dim = dim;
	e->max_tokens = max_tokens;
	snprintf(e->model_id, sizeof e->model_id, "%s", model_id);
	*out = e;
	return 0;
}

void embedder_free(embedder *e)
{
	if (!e)
		return;
	if (e->ops && e->ops->free)
		e->ops->free(e->self);
	free(e);
}

int embedder_embed(embedder *e, const char *const *texts, size_t n, embed_kind kind, float *out)
{
	if (!e || (n > 0 && (!texts || !out)))
		return docent_error_set(DOCENT_EINVAL, "embedder_embed: no embedder, texts or output");
	if (n == 0)
		return 0;
	return e->ops->embed(e->self, texts, n, kind, out);
}

int embedder_dim(const embedder *e)
{
	return e ? e->dim : 0;
}

const char *embedder_model_id(const embedder *e)
{
	return e ? e->model_id : "";
}

size_t embedder_max_tokens(const embedder *e)
{
	return e ? e->max_tokens : 0;
}

/* The model's tokenizer, falling back on the simple count if it fails. */
static size_t model_count(void *ctx, const char *text, size_t n)
{
	embedder *e = ctx;
	size_t k = 0;

	if (e->ops->count_tokens(e->self, text, n, &k) == 0)
		return k;
	token_counter simple = token_counter_simple();
	return simple.count(simple.ctx, text, n);
}

token_counter embedder_token_counter(embedder *e)
{
	if (!e || !e->ops->count_tokens)
		return token_counter_simple();
	return (token_counter){.count = model_count, .ctx = e};
}

/* ---- generators -------------------------------------------------------- */

int generator_open(generator **out, const generator_params *params)
{
	model_spec spec;
	int rc;

	*out = NULL;
	if (!params || !params->model)
		return docent_error_set(DOCENT_EINVAL, "no chat model was given; set "
					"DOCENT_CHAT_MODEL or the chat model in the configuration");
	if ((rc = model_spec_parse(params->model, NULL, &spec)))
		return rc;
	switch (spec.backend) {
	case MODEL_OPENAI:
	case MODEL_OLLAMA:
		return gen_http_open(out, &spec, params);
	case MODEL_GGUF:
		return gen_llama_open(out, &spec, params);
	default:
		return docent_error_set(DOCENT_EINVAL, "chat model %s: unknown backend",
					params->model);
	}
}

void generator_free(generator *g)
{
	if (!g)
		return;
	if (g->ops && g->ops->free)
		g->ops->free(g->self);
	free(g);
}

static int noop_piece(void *ctx, const char *piece, size_t n)
{
	return 0;
}

int generator_chat(generator *g, const chat_message *msgs, size_t n, const gen_options *o,
		   gen_piece_fn fn, void *ctx, gen_result *res)
{
	gen_options dflt = gen_default_options();
	gen_result local;

	if (!g || (n > 0 && !msgs))
		return docent_error_set(DOCENT_EINVAL, "generator_chat: no generator or messages");
	return g->ops->chat(g->self, msgs, n, o ? o : &dflt, fn ? fn : noop_piece, ctx,
			    res ? res : &local);
}

int generator_complete(generator *g, const char *prompt, const gen_options *o,
		       gen_piece_fn fn, void *ctx, gen_result *res)
{
	gen_options dflt = gen_default_options();
	gen_result local;

	if (!g || !prompt)
		return docent_error_set(DOCENT_EINVAL, "generator_complete: no generator or prompt");
	return g->ops->complete(g->self, prompt, o ? o : &dflt, fn ? fn : noop_piece, ctx,
				res ? res : &local);
}

int generator_render(generator *g, const chat_message *msgs, size_t n, char **out)
{
	*out = NULL;
	if (!g || (n > 0 && !msgs))
		return docent_error_set(DOCENT_EINVAL, "generator_render: no generator or messages");
	if (!g->ops->render)
		return docent_error_set(DOCENT_EUNSUPPORTED, "model %s: its server applies the "
					"chat template, so the prompt cannot be shown here",
					g->model_id);
	return g->ops->render(g->self, msgs, n, out);
}

size_t generator_count_tokens(const generator *g, const char *text, size_t n)
{
	return g && g->ops->count_tokens ? g->ops->count_tokens(g->self, text, n) : 0;
}

int generator_counts_tokens(const generator *g)
{
	return g && g->ops->count_tokens != NULL;
}

const char *generator_model_id(const generator *g)
{
	return g ? g->model_id : "";
}

int generator_wrap(generator **out, const generator_ops *ops, void *self, const char *model_id)
{
	generator *g;

	*out = NULL;
	if (!ops || !ops->chat || !ops->complete || !ops->free || !model_id)
		return docent_error_set(DOCENT_EINVAL, "a generator needs chat, complete and "
					"free functions and a model id");
	if (!(g = calloc(1, sizeof *g)))
		return docent_error_set(DOCENT_ENOMEM, "out of memory");
	g->ops = ops;
	g->self = self;
	snprintf(g->model_id, sizeof g->model_id, "%s", model_id);
	*out = g;
	return 0;
}
