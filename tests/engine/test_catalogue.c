/*
 * test_catalogue.c - the model catalogue and name resolution
 * (engine/catalogue.h): exact and short names, ambiguous and unknown ones,
 * a model not pulled yet (the message says what to run), the other spec
 * forms left alone, and the built-in catalogue's entries.
 */
#include "tests/testutil.h"
#include "core/error.h"
#include "engine/catalogue.h"

#include <sys/stat.h>

typedef struct cfx {
	char dir[256];
	char models[300];
	char conf[300];
} cfx;

static int setup(void **state)
{
	cfx *f = calloc(1, sizeof *f);
	FILE *out;

	assert_non_null(f);
	snprintf(f->dir, sizeof f->dir, "%s", temp_dir());
	snprintf(f->models, sizeof f->models, "%s/models", f->dir);
	snprintf(f->conf, sizeof f->conf, "%s/models.conf", f->dir);
	assert_int_equal(mkdir(f->models, 0755), 0);
	assert_non_null(out = fopen(f->conf, "w"));
	fputs("# a test catalogue\n"
	      "[bge-small-en-v1.5]\nurl = http://127.0.0.1:9/x/bge-small-q8_0.gguf?download=1\n"
	      "kind = embedding\nsha256 = abc\nabout = small\n\n"
	      "[bge-base-en-v1.5]\nurl = http://127.0.0.1:9/bge-base.gguf\nkind = embedding\n"
	      "about = base\n\n"
	      "[qwen2.5-0.5b-instruct]\nurl = http://127.0.0.1:9/qwen.gguf\nkind = chat\n"
	      "about = chat\n", out);
	fclose(out);
	setenv("DOCENT_MODELS_CATALOGUE", f->conf, 1);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	cfx *f = *state;
	unsetenv("DOCENT_MODELS_CATALOGUE");
	remove_tree(f->dir);
	free(f);
	return 0;
}

static void test_catalogue__exact_name(void **state)
{
	catalogue_entry e;

	assert_int_equal(catalogue_find("bge-small-en-v1.5", &e), 0);
	assert_string_equal(e.kind, "embedding");
	assert_string_equal(e.sha256, "abc");
	assert_string_equal(e.file, "bge-small-q8_0.gguf"); /* the query is not part of it */
	assert_int_equal(catalogue_find("QWEN2.5-0.5B-Instruct", &e), 0);
	assert_string_equal(e.name, "qwen2.5-0.5b-instruct");
}

static void test_catalogue__short_forms(void **state)
{
	catalogue_entry e;

	assert_int_equal(catalogue_find("bge-small", &e), 0);
	assert_string_equal(e.name, "bge-small-en-v1.5");
	assert_int_equal(catalogue_find("qwen2.5-0.5b", &e), 0);
	assert_string_equal(e.name, "qwen2.5-0.5b-instruct");
	/* a prefix that does not end at a '-' is no short form */
	assert_int_equal(catalogue_find("bge-sm", &e), DOCENT_ENOTFOUND);
}

static void test_catalogue__ambiguous_and_unknown(void **state)
{
	catalogue_entry e;

	assert_int_equal(catalogue_find("bge", &e), DOCENT_EINVAL);
	assert_non_null(strstr(docent_error_message(), "bge-small-en-v1.5"));
	assert_non_null(strstr(docent_error_message(), "bge-base-en-v1.5"));
	assert_int_equal(catalogue_find("llama-9000", &e), DOCENT_ENOTFOUND);
	assert_non_null(strstr(docent_error_message(), "models pull --help"));
}

static void test_catalogue__resolve_pulled_or_not(void **state)
{
	cfx *f = *state;
	char *out = NULL, path[400];

	assert_int_equal(catalogue_resolve("bge-small", f->models, &out), DOCENT_ENOTFOUND);
	assert_null(out);
	assert_non_null(strstr(docent_error_message(), "docent models pull bge-small-en-v1.5"));

	snprintf(path, sizeof path, "%s/bge-small-q8_0.gguf", f->models);
	FILE *m = fopen(path, "w");
	assert_non_null(m);
	fclose(m);
	assert_int_equal(catalogue_resolve(" bge-small ", f->models, &out), 0);
	assert_string_equal(out, path);
	free(out);
}

static void test_catalogue__other_forms_unchanged(void **state)
{
	cfx *f = *state;
	char *out, want[400];

	assert_int_equal(catalogue_resolve("x.gguf", f->models, &out), 0);
	snprintf(want, sizeof want, "%s/x.gguf", f->models);
	assert_string_equal(out, want);
	free(out);
	assert_int_equal(catalogue_resolve("/abs/y.gguf", f->models, &out), 0);
	assert_string_equal(out, "/abs/y.gguf");
	free(out);
	assert_int_equal(catalogue_resolve("http://127.0.0.1:8080/v1#m", f->models, &out), 0);
	assert_string_equal(out, "http://127.0.0.1:8080/v1#m");
	free(out);
	assert_int_equal(catalogue_resolve("ollama:nomic-embed-text", f->models, &out), 0);
	assert_string_equal(out, "ollama:nomic-embed-text");
	free(out);
	assert_int_equal(catalogue_resolve("no-such-model", f->models, &out), DOCENT_ENOTFOUND);
	assert_non_null(strstr(docent_error_message(), "neither in the catalogue"));
}

/* The built-in catalogue: every entry has a URL to a .gguf file, a known
 * kind and an about line; every sha256 given is 64 hex digits. */
static int check_entry(void *ctx, const catalogue_entry *e)
{
	int *n = ctx;
	size_t fl = strlen(e->file);

	(*n)++;
	if (strncmp(e->url, "https://", 8) != 0 || fl < 6 || strcmp(e->file + fl - 5, ".gguf") != 0)
		fail_msg("%s: url %s is not an https .gguf file", e->name, e->url);
	if (strcmp(e->kind, "chat") && strcmp(e->kind, "embedding") && strcmp(e->kind, "reranking"))
		fail_msg("%s: kind '%s'", e->name, e->kind);
	if (!e->about[0])
		fail_msg("%s: no about", e->name);
	if (e->sha256[0]) {
		if (strlen(e->sha256) != 64 || strspn(e->sha256, "0123456789abcdef") != 64)
			fail_msg("%s: sha256 '%s' is not 64 lower-case hex digits", e->name, e->sha256);
	}
	return 0;
}

static void test_catalogue__built_in_entries(void **state)
{
	catalogue_entry e;
	int n = 0;

	unsetenv("DOCENT_MODELS_CATALOGUE");
	assert_int_equal(catalogue_foreach(check_entry, &n), 0);
	assert_true(n >= 15);
	assert_int_equal(catalogue_find("bge-small", &e), 0);
	assert_string_equal(e.name, "bge-small-en-v1.5");
	assert_int_equal(catalogue_find("qwen2.5-0.5b-instruct", &e), 0);
	assert_string_equal(e.kind, "chat");
}

static void test_catalogue__is_name(void **state)
{
	assert_true(catalogue_is_name("bge-small"));
	assert_false(catalogue_is_name("x.gguf"));
	assert_false(catalogue_is_name("./x"));
	assert_false(catalogue_is_name("ollama:x"));
	assert_false(catalogue_is_name(""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_catalogue__exact_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_catalogue__short_forms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_catalogue__ambiguous_and_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_catalogue__resolve_pulled_or_not, setup, teardown),
		cmocka_unit_test_setup_teardown(test_catalogue__other_forms_unchanged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_catalogue__built_in_entries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_catalogue__is_name, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
