/*
 * models_cli.c - the configured models, opened for the commands: a bare
 * "name.gguf" names a file in the models folder; the embedding model's
 * warnings (inputs cut to fit) go to stderr, a few at most.
 */
#include "cli/cli.h"
#include "core/buf.h"
#include "core/error.h"

#include <stdlib.h>
#include <string.h>

char *cli_model_path(cli *c, const char *spec)
{
	size_t len = strlen(spec);
	char *dir;

	if (strchr(spec, '/') || len <= 5 || strcmp(spec + len - 5, ".gguf") != 0 ||
	    !(dir = config_models_dir(c->cfg)))
		return strdup(spec);
	dbuf b = DBUF_INIT;
	dbuf_printf(&b, "%s/%s", dir, spec);
	free(dir);
	return dbuf_detach(&b, NULL);
}

#define MAX_WARNINGS 5

static void on_warning(void *ctx, const char *message)
{
	int *count = ctx;

	if (++*count <= MAX_WARNINGS)
		fprintf(stderr, "docent: warning: %s\n", message);
	if (*count == MAX_WARNINGS)
		fprintf(stderr, "docent: warning: (further warnings of this run not shown)\n");
}

embedder *cli_embedder(cli *c, int *status)
{
	static int warnings;
	embedder_params ep;
	embedder *e = NULL;
	char *path;
	int rc;

	*status = CLI_OK;
	config_embedder_params(c->cfg, &ep);
	if (!ep.model || !ep.model[0])
		return NULL;
	if (!(path = cli_model_path(c, ep.model))) {
		*status = cli_fail(DOCENT_ENOMEM, NULL);
		return NULL;
	}
	ep.model = path;
	ep.on_warning = on_warning;
	ep.ctx = &warnings;
	rc = embedder_open(&e, &ep);
	free(path);
	if (rc) {
		*status = cli_fail(rc, "cannot open the embedding model (engine.embed_model)");
		return NULL;
	}
	return e;
}

generator *cli_generator(cli *c, int *status)
{
	generator_params gp;
	gen_options go;
	generator *g = NULL;
	char *path, *cache;
	int rc;

	*status = CLI_OK;
	config_generator_params(c->cfg, &gp, &go);
	if (!gp.model || !gp.model[0])
		return NULL;
	if (!(path = cli_model_path(c, gp.model))) {
		*status = cli_fail(DOCENT_ENOMEM, NULL);
		return NULL;
	}
	gp.model = path;
	/* the model's state after the instructions, kept between commands */
	if (asprintf(&cache, "%s/cache", config_data_dir(c->cfg)) < 0)
		cache = NULL;
	gp.prefix_cache_dir = cache;
	rc = generator_open(&g, &gp);
	free(path);
	free(cache);
	if (rc) {
		*status = cli_fail(rc, NULL);
		return NULL;
	}
	return g;
}
