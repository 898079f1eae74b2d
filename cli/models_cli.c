/*
 * models_cli.c - the configured models, opened for the commands by the
 * library (config/models.h, which the web server uses too) with the
 * errors printed; the models' warnings (inputs cut to fit) go to stderr,
 * a few at most; a model made the default is written to the user's
 * configuration file.
 */
#include "cli/cli.h"
#include "config/models.h"
#include "core/buf.h"
#include "core/error.h"

#include <stdlib.h>
#include <string.h>

int cli_model_path(cli *c, const char *spec, char **out)
{
	int rc = config_model_path(c->cfg, spec, out);
	return rc ? cli_fail(rc, NULL) : CLI_OK;
}

int cli_model_default_set(cli *c, const char *key, const char *value)
{
	char *file = config_user_file(c->cfg);
	int rc;

	if (!file) {
		fprintf(stderr, "docent: no configuration file to write %s to: set HOME or "
			"DOCENT_CONFIG\n", key);
		return CLI_FAIL;
	}
	rc = config_file_set(file, key, value);
	if (rc == 0)
		rc = config_set(c->cfg, key, value, CONFIG_FLAG, file);
	if (rc) {
		free(file);
		return cli_fail(rc, NULL);
	}
	printf("%s = %s (the default now, written to %s)\n", key, value, file);
	free(file);
	return CLI_OK;
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

embedder *cli_embedder_open(cli *c, const char *spec, int *status)
{
	static int warnings;
	embedder *e = NULL;
	int rc;

	*status = CLI_OK;
	if (!spec || !spec[0])
		return NULL;
	rc = config_embedder_open(c->cfg, spec, on_warning, &warnings, &e);
	if (rc) {
		*status = cli_fail(rc, NULL);
		return NULL;
	}
	return e;
}

embedder *cli_embedder(cli *c, int *status)
{
	return cli_embedder_open(c, config_get(c->cfg, "engine.embed_model"), status);
}

generator *cli_generator(cli *c, int *status)
{
	generator *g = NULL;
	int rc = config_generator_open(c->cfg, &g);

	*status = rc ? cli_fail(rc, NULL) : CLI_OK;
	return g;
}

embedder *cli_search_embedder(cli *c, store *st, const char *collection, retrieve_mode mode,
			      int *status)
{
	char *spec = NULL;
	embedder *emb;
	int rc;

	/* the collection's own model, or the configured one if they agree */
	*status = CLI_OK;
	rc = config_search_model(c->cfg, st, collection, &spec);
	if (rc) {
		*status = cli_fail(rc, NULL);
		return NULL;
	}
	if (!spec && mode != RETRIEVE_AUTO) {
		*status = cli_usage(c, "--mode %s needs an embedding model: ingest with one "
				    "(engine.embed_model, DOCENT_EMBED_MODEL or `docent models "
				    "pull bge-small-en-v1.5`), or use --mode bm25",
				    retrieve_mode_name(mode));
		return NULL;
	}
	emb = cli_embedder_open(c, spec, status);
	free(spec);
	if (!emb && *status && mode == RETRIEVE_AUTO) {
		fprintf(stderr, "docent: keyword search only\n");
		*status = CLI_OK;
	}
	return emb;
}

reranker *cli_reranker(cli *c, int *status)
{
	static int warnings;
	reranker *r = NULL;
	int rc = config_reranker_open(c->cfg, on_warning, &warnings, &r);

	*status = rc ? cli_fail(rc, NULL) : CLI_OK;
	return r;
}
