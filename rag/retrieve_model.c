/*
 * retrieve_model.c - which embedding model a search uses (see
 * retrieve_embedder_for in retrieve.h).
 *
 * A collection records the model id of its vectors (embedder_model_id: a
 * GGUF file's base name, "ollama:NAME", "openai:NAME"). The configured
 * model is compared by the same id (model_spec_id), so that a name of the
 * catalogue, a path and a bare file name of one file agree. A mismatch is
 * an error rather than a quiet fall back to keywords: results that
 * silently lose their dense half look like a worse search, not a setup to
 * fix.
 */
#include "rag/retrieve.h"
#include "core/buf.h"
#include "core/error.h"
#include "engine/catalogue.h"
#include "engine/model_spec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int access_ok(const char *path)
{
	return access(path, F_OK) == 0;
}

typedef struct by_file {
	const char *file;
	char name[128];
} by_file;

static int on_entry(void *ctx, const catalogue_entry *e)
{
	by_file *b = ctx;
	if (strcmp(e->file, b->file) != 0)
		return 0;
	snprintf(b->name, sizeof b->name, "%s", e->name);
	return 1;
}

/* The spec that reopens a recorded model id. */
static int spec_of_id(const store_collection *c, const char *models_dir, char **out)
{
	const char *id = c->embed_model;
	int rc;

	if (strncmp(id, "ollama:", 7) == 0) {
		if (!(*out = strdup(id)))
			return docent_error_set(DOCENT_ENOMEM, "out of memory");
		return 0;
	}
	if (strncmp(id, "openai:", 7) == 0)
		return docent_error_set(DOCENT_EINVAL, "collection '%s' was embedded with %s "
					"through a server: set engine.embed_model to that server's "
					"URL#model (e.g. http://127.0.0.1:8080/v1#%s)", c->name, id,
					id + 7);
	rc = catalogue_resolve(id, models_dir, out);
	if (rc == 0 && access_ok(*out))
		return 0;
	if (rc == 0) {
		by_file b = { .file = id };
		catalogue_foreach(on_entry, &b);
		if (b.name[0])
			rc = docent_error_set(DOCENT_ENOTFOUND, "collection '%s' was embedded with "
					      "%s, which is not in the models folder: run `docent "
					      "models pull %s`, or set engine.embed_model to its path",
					      c->name, id, b.name);
		else
			rc = docent_error_set(DOCENT_ENOTFOUND, "collection '%s' was embedded with "
					      "%s, which is not in the models folder (%s): put it "
					      "there, or set engine.embed_model to its path", c->name,
					      id, *out);
		free(*out);
		*out = NULL;
	}
	return rc;
}

int retrieve_embedder_for(store *s, const char *collection, const char *configured,
			  const char *models_dir, char **out)
{
	store_collection *cols = NULL;
	size_t ncols = 0;
	const store_collection *first = NULL;
	char *spec = NULL, id[600] = "";
	model_spec ms;
	int rc;

	*out = NULL;
	if (configured && configured[0]) {
		if ((rc = catalogue_resolve(configured, models_dir, &spec)) != 0 ||
		    (rc = model_spec_parse(spec, NULL, &ms)) != 0)
			goto done;
		model_spec_id(&ms, id, sizeof id);
	}
	if ((rc = store_collection_names(s, &cols, &ncols)) != 0)
		goto done;
	for (size_t i = 0; i < ncols; i++) {
		const store_collection *c = &cols[i];
		if ((collection && strcmp(c->name, collection) != 0) || !c->embed_model)
			continue;
		if (spec && strcmp(c->embed_model, id) != 0) {
			rc = docent_error_set(DOCENT_EINVAL, "collection '%s' was embedded with %s, "
					      "not with the configured %s (engine.embed_model): run "
					      "`docent reindex --collection %s` to embed it with %s, "
					      "or set engine.embed_model to %s", c->name,
					      c->embed_model, id, c->name, id, c->embed_model);
			goto done;
		}
		if (!spec && first && strcmp(c->embed_model, first->embed_model) != 0) {
			rc = docent_error_set(DOCENT_EINVAL, "collections '%s' and '%s' were embedded "
					      "with different models (%s, %s): search one with "
					      "--collection, or set engine.embed_model to one and run "
					      "`docent reindex` for the others", first->name, c->name,
					      first->embed_model, c->embed_model);
			goto done;
		}
		if (!first)
			first = c;
	}
	if (spec) {
		*out = spec;
		spec = NULL;
	} else if (first) {
		rc = spec_of_id(first, models_dir, out);
	}
done:
	store_collection_list_free(cols, ncols);
	free(spec);
	return rc;
}
