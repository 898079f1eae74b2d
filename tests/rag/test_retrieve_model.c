/*
 * test_retrieve_model.c - which embedding model a search uses
 * (retrieve_embedder_for): the collection's recorded model when none is
 * configured, the configured one when they agree, a clear error naming
 * both models and `docent reindex` when they do not, collections of
 * different models, recorded models missing from the models folder, and
 * keyword search when nothing has vectors.
 */
#include "tests/index/store_fixture.h"

#include "core/error.h"
#include "rag/retrieve.h"

#include <sys/stat.h>

static char models[400];

static void touch(const char *name)
{
	char path[600];
	snprintf(path, sizeof path, "%s/%s", models, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
}

static int setup_models(void **state)
{
	setup(state);
	fx *f = *state;
	snprintf(models, sizeof models, "%s/models", f->dir);
	assert_int_equal(mkdir(models, 0755), 0);
	touch("a-model.gguf");
	touch("b-model.gguf");
	return 0;
}

static int64_t coll(fx *f, const char *name, const char *model)
{
	int64_t id;
	assert_int_equal(store_collection_id(f->s, name, 1, &id), 0);
	if (model)
		assert_int_equal(store_collection_set_model(f->s, id, model, 8), 0);
	return id;
}

static void test_retrieve_model__none_anywhere_is_keywords(void **state)
{
	fx *f = *state;
	char *spec = (char *)"x";
	assert_int_equal(retrieve_embedder_for(f->s, NULL, "", models, &spec), 0);
	assert_null(spec);
	assert_int_equal(retrieve_embedder_for(f->s, "default", NULL, models, &spec), 0);
	assert_null(spec);
}

static void test_retrieve_model__the_collection_remembers(void **state)
{
	fx *f = *state;
	char *spec, want[600];
	coll(f, "docs", "a-model.gguf");
	snprintf(want, sizeof want, "%s/a-model.gguf", models);
	assert_int_equal(retrieve_embedder_for(f->s, "docs", "", models, &spec), 0);
	assert_string_equal(spec, want);
	free(spec);
	/* all collections: the one model they share ("default" has none) */
	assert_int_equal(retrieve_embedder_for(f->s, NULL, NULL, models, &spec), 0);
	assert_string_equal(spec, want);
	free(spec);
}

static void test_retrieve_model__configured_agrees(void **state)
{
	fx *f = *state;
	char *spec, path[600];
	coll(f, "docs", "a-model.gguf");
	snprintf(path, sizeof path, "%s/a-model.gguf", models);
	/* the same file by path or by bare name */
	assert_int_equal(retrieve_embedder_for(f->s, "docs", path, models, &spec), 0);
	assert_string_equal(spec, path);
	free(spec);
	assert_int_equal(retrieve_embedder_for(f->s, "docs", "a-model.gguf", models, &spec), 0);
	assert_string_equal(spec, path);
	free(spec);
}

static void test_retrieve_model__mismatch_is_an_error(void **state)
{
	fx *f = *state;
	char *spec = NULL;
	coll(f, "docs", "a-model.gguf");
	assert_int_equal(retrieve_embedder_for(f->s, "docs", "b-model.gguf", models, &spec),
			 DOCENT_EINVAL);
	assert_null(spec);
	const char *m = docent_error_message();
	assert_non_null(strstr(m, "a-model.gguf"));
	assert_non_null(strstr(m, "b-model.gguf"));
	assert_non_null(strstr(m, "docent reindex --collection docs"));
	/* over all collections too */
	assert_int_equal(retrieve_embedder_for(f->s, NULL, "b-model.gguf", models, &spec),
			 DOCENT_EINVAL);
}

static void test_retrieve_model__collections_disagree(void **state)
{
	fx *f = *state;
	char *spec = NULL, want[600];
	coll(f, "one", "a-model.gguf");
	coll(f, "two", "b-model.gguf");
	assert_int_equal(retrieve_embedder_for(f->s, NULL, "", models, &spec), DOCENT_EINVAL);
	assert_non_null(strstr(docent_error_message(), "different models"));
	/* one of them, named, is fine */
	assert_int_equal(retrieve_embedder_for(f->s, "two", "", models, &spec), 0);
	snprintf(want, sizeof want, "%s/b-model.gguf", models);
	assert_string_equal(spec, want);
	free(spec);
}

static void test_retrieve_model__recorded_model_missing(void **state)
{
	fx *f = *state;
	char *spec = NULL;
	coll(f, "docs", "gone.gguf");
	assert_int_equal(retrieve_embedder_for(f->s, "docs", "", models, &spec), DOCENT_ENOTFOUND);
	assert_null(spec);
	assert_non_null(strstr(docent_error_message(), "gone.gguf"));
	assert_non_null(strstr(docent_error_message(), "engine.embed_model"));
	/* a server model: Ollama's default address reopens it, an OpenAI one needs its URL */
	coll(f, "o", "ollama:nomic-embed-text");
	assert_int_equal(retrieve_embedder_for(f->s, "o", "", models, &spec), 0);
	assert_string_equal(spec, "ollama:nomic-embed-text");
	free(spec);
	coll(f, "p", "openai:some-model");
	assert_int_equal(retrieve_embedder_for(f->s, "p", "", models, &spec), DOCENT_EINVAL);
	assert_non_null(strstr(docent_error_message(), "#some-model"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_retrieve_model__none_anywhere_is_keywords, setup_models, teardown),
		cmocka_unit_test_setup_teardown(test_retrieve_model__the_collection_remembers, setup_models, teardown),
		cmocka_unit_test_setup_teardown(test_retrieve_model__configured_agrees, setup_models, teardown),
		cmocka_unit_test_setup_teardown(test_retrieve_model__mismatch_is_an_error, setup_models, teardown),
		cmocka_unit_test_setup_teardown(test_retrieve_model__collections_disagree, setup_models, teardown),
		cmocka_unit_test_setup_teardown(test_retrieve_model__recorded_model_missing, setup_models, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
