/*
 * models.c - opening the configured models (models.h). The CLI and the
 * web server both come here, so a model is found, prefixed and cached the
 * same way whichever face asks.
 */
#include "config/models.h"
#include "core/error.h"
#include "engine/model_info.h"
#include "engine/model_spec.h"

#include <stdio.h>
#include <stdlib.h>

/* the in-process generator's cap on a model's context (engine/gen_llama.c) */
#define MAX_CONTEXT 8192

int config_generator_open(const config *c, generator **out)
{
	generator_params gp;
	gen_options go;
	char *path = NULL, *cache = NULL;
	int rc;

	*out = NULL;
	config_generator_params(c, &gp, &go);
	if (!gp.model || !gp.model[0])
		return 0;
	if ((rc = config_model_path(c, gp.model, &path)) != 0)
		return rc;
	gp.model = path;
	/* the model's state after the instructions, kept between processes */
	if (asprintf(&cache, "%s/cache", config_data_dir(c)) < 0)
		cache = NULL;
	gp.prefix_cache_dir = cache;
	rc = generator_open(out, &gp);
	free(path);
	free(cache);
	return rc;
}

int config_reranker_open(const config *c, config_warning_fn warn, void *warn_ctx,
			 reranker **out)
{
	reranker_params rp;
	char *path = NULL;
	int rc;

	*out = NULL;
	config_reranker_params(c, &rp);
	if (!rp.model || !rp.model[0])
		return 0;
	if ((rc = config_model_path(c, rp.model, &path)) != 0)
		return rc;
	rp.model = path;
	rp.on_warning = warn;
	rp.ctx = warn_ctx;
	rc = reranker_open(out, &rp);
	free(path);
	return rc ? docent_error_wrap(rc, "cannot open the reranking model") : 0;
}

int config_model_context(const config *c)
{
	generator_params gp;
	gen_options go;
	model_spec spec;
	model_info info;
	char *path = NULL, *dir;
	int ctx = 0;

	config_generator_params(c, &gp, &go);
	if (gp.context > 0 || !gp.model || !gp.model[0])
		return gp.context > 0 ? gp.context : 0;
	if (config_model_path(c, gp.model, &path) != 0)
		path = NULL;
	dir = config_models_dir(c);
	if (path && dir && model_spec_parse(path, dir, &spec) == 0 && spec.backend == MODEL_GGUF &&
	    model_info_read(spec.path, &info) == 0 && info.context > 0)
		ctx = info.context < MAX_CONTEXT ? info.context : MAX_CONTEXT;
	docent_error_clear();
	free(path);
	free(dir);
	return ctx;
}
