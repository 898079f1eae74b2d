/*
 * test_config_file.c - writing one setting into the user's configuration
 * file (config_file_set): the line replaced in place with comments and
 * other lines kept, a key added to its section, a section added, a file
 * and its folder created, bad keys and values refused; and the key of
 * each model kind.
 */
#include "tests/testutil.h"
#include "config/config.h"
#include "core/error.h"

static char dir[256];

static int setup(void **state)
{
	snprintf(dir, sizeof dir, "%s", temp_dir());
	return 0;
}

static int teardown(void **state)
{
	remove_tree(dir);
	return 0;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_config_file__replaces_the_line_only(void **state)
{
	char path[300];
	snprintf(path, sizeof path, "%s/docent.conf", dir);
	write_file(path, "# my settings\n[engine]\n# the chat model\nchat_model = old.gguf ; was\n"
			 "temperature = 0.5\n\n[search]\nk = 5\n");
	assert_int_equal(config_file_set(path, "engine.chat_model", "qwen2.5-0.5b-instruct"), 0);
	char *got = slurp(path, NULL);
	assert_string_equal(got, "# my settings\n[engine]\n# the chat model\n"
				 "chat_model = qwen2.5-0.5b-instruct\ntemperature = 0.5\n\n"
				 "[search]\nk = 5\n");
	free(got);
	/* and the file still loads, with the new value */
	config *c;
	assert_int_equal(config_load(&c, path), 0);
	assert_string_equal(config_get(c, "engine.chat_model"), "qwen2.5-0.5b-instruct");
	assert_string_equal(config_get(c, "search.k"), "5");
	config_free(c);
}

static void test_config_file__adds_to_the_section(void **state)
{
	char path[300];
	snprintf(path, sizeof path, "%s/docent.conf", dir);
	write_file(path, "[engine]\n# chat_model = commented.gguf\ntemperature = 0.5\n\n[search]\nk = 5");
	assert_int_equal(config_file_set(path, "engine.chat_model", "a.gguf"), 0);
	char *got = slurp(path, NULL);
	assert_string_equal(got, "[engine]\n# chat_model = commented.gguf\ntemperature = 0.5\n"
				 "chat_model = a.gguf\n\n[search]\nk = 5");
	free(got);
	/* a section that is not there yet goes at the end */
	assert_int_equal(config_file_set(path, "vectors.nprobe", "8"), 0);
	got = slurp(path, NULL);
	assert_non_null(strstr(got, "k = 5\n\n[vectors]\nnprobe = 8\n"));
	free(got);
}

/* found by fuzz/fuzz_config.c: inih lets a key appear twice (the last
 * wins) and reads an indented line after a setting as more of its value */
static void test_config_file__repeats_and_continuations(void **state)
{
	char path[300];
	snprintf(path, sizeof path, "%s/docent.conf", dir);
	write_file(path, "[engine]\nchat_model = a\n  more of a\n\n# note\n[search]\nk = 5\n"
			 "[engine]\n\tchat_model : b\n");
	assert_int_equal(config_file_set(path, "engine.chat_model", "c"), 0);
	char *got = slurp(path, NULL);
	assert_string_equal(got, "[engine]\nchat_model = c\n\n# note\n[search]\nk = 5\n"
				 "[engine]\nchat_model = c\n");
	free(got);
	config *c;
	assert_int_equal(config_load(&c, path), 0);
	assert_string_equal(config_get(c, "engine.chat_model"), "c");
	config_free(c);
}

/* found by fuzz/fuzz_config.c: inih cut a line longer than its buffer
 * and read the rest as a line of its own */
static void test_config_file__long_line_refused(void **state)
{
	char path[300], text[400];
	snprintf(path, sizeof path, "%s/docent.conf", dir);
	snprintf(text, sizeof text, "[core]\ndata_dir = /%0190d/x\n", 0);
	write_file(path, text);
	config *c = NULL;
	assert_int_equal(config_load(&c, path), DOCENT_ECONFIG);
	assert_non_null(strstr(docent_error_message(), "docent.conf:2: line longer than 199 bytes"));
	/* one that fits is read whole */
	snprintf(text, sizeof text, "[core]\ndata_dir = /%0186d\n", 0);
	write_file(path, text);
	assert_int_equal(config_load(&c, path), 0);
	assert_int_equal(strlen(config_get(c, "core.data_dir")), 187);
	config_free(c);
	/* and config_file_set does not write what cannot be read back */
	snprintf(text, sizeof text, "/%0190d", 0);
	assert_int_equal(config_file_set(path, "core.data_dir", text), DOCENT_EINVAL);
	assert_non_null(strstr(docent_error_message(), "too long"));
}

static void test_config_file__creates_file_and_folder(void **state)
{
	char path[300];
	snprintf(path, sizeof path, "%s/deep/er/docent.conf", dir);
	assert_int_equal(config_file_set(path, "engine.embed_model", "bge-small-en-v1.5"), 0);
	char *got = slurp(path, NULL);
	assert_string_equal(got, "[engine]\nembed_model = bge-small-en-v1.5\n");
	free(got);
}

static void test_config_file__refuses_bad_input(void **state)
{
	char path[300];
	snprintf(path, sizeof path, "%s/docent.conf", dir);
	assert_int_equal(config_file_set(path, "engine.no_such", "x"), DOCENT_EINVAL);
	assert_int_equal(config_file_set(path, "engine.chat_model", "a\nb"), DOCENT_EINVAL);
	assert_int_equal(access(path, F_OK), -1);
}

static void test_config_file__model_keys(void **state)
{
	assert_string_equal(config_model_key("chat"), "engine.chat_model");
	assert_string_equal(config_model_key("embedding"), "engine.embed_model");
	assert_string_equal(config_model_key("reranking"), "engine.rerank_model");
	assert_null(config_model_key("other"));
	assert_null(config_model_key(NULL));
}

static void test_config_file__user_file(void **state)
{
	char path[300];
	config *c;
	snprintf(path, sizeof path, "%s/elsewhere.conf", dir);
	setenv("DOCENT_CONFIG", path, 1);
	assert_int_equal(config_load(&c, NULL), 0); /* absent: fine */
	char *f = config_user_file(c);
	assert_string_equal(f, path);
	free(f);
	config_free(c);
	unsetenv("DOCENT_CONFIG");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_config_file__replaces_the_line_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_file__adds_to_the_section, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_file__repeats_and_continuations, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_config_file__long_line_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_file__creates_file_and_folder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_file__refuses_bad_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_file__model_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_file__user_file, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
