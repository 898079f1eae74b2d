/*
 * test_model_spec.c - every accepted form of a model spec, and the refusal
 * of bad ones with a message that shows the accepted forms.
 */
#include "tests/testutil.h"

#include "core/error.h"
#include "engine/model_spec.h"

static void test_model_spec__gguf_path(void **state)
{
	model_spec s;

	assert_int_equal(model_spec_parse("/models/bge-small.gguf", "/ignored", &s), 0);
	assert_int_equal(s.backend, MODEL_GGUF);
	assert_string_equal(s.path, "/models/bge-small.gguf");
	assert_int_equal(model_spec_parse("  ./rel/Qwen.GGUF\n", NULL, &s), 0);
	assert_int_equal(s.backend, MODEL_GGUF);
	assert_string_equal(s.path, "./rel/Qwen.GGUF");
}

static void test_model_spec__gguf_name_in_models_dir(void **state)
{
	model_spec s;

	assert_int_equal(model_spec_parse("bge-small.gguf", "/home/u/models/", &s), 0);
	assert_int_equal(s.backend, MODEL_GGUF);
	assert_string_equal(s.path, "/home/u/models/bge-small.gguf");
	assert_int_equal(model_spec_parse("bge-small.gguf", NULL, &s), 0);
	assert_string_equal(s.path, "bge-small.gguf");
}

static void test_model_spec__openai(void **state)
{
	model_spec s;

	assert_int_equal(model_spec_parse("http://127.0.0.1:8080/v1#qwen2.5", NULL, &s), 0);
	assert_int_equal(s.backend, MODEL_OPENAI);
	assert_string_equal(s.url, "http://127.0.0.1:8080/v1");
	assert_string_equal(s.model, "qwen2.5");
	assert_int_equal(model_spec_parse("https://api.example.com/v1/#text-embedding-3-small",
					  NULL, &s), 0);
	assert_int_equal(s.backend, MODEL_OPENAI);
	assert_string_equal(s.url, "https://api.example.com/v1");
	assert_string_equal(s.model, "text-embedding-3-small");
}

static void test_model_spec__ollama(void **state)
{
	model_spec s;

	assert_int_equal(model_spec_parse("ollama://10.0.0.5:11500#nomic-embed-text", NULL, &s), 0);
	assert_int_equal(s.backend, MODEL_OLLAMA);
	assert_string_equal(s.url, "http://10.0.0.5:11500");
	assert_string_equal(s.model, "nomic-embed-text");
	assert_int_equal(model_spec_parse("ollama://gpu-box#llama3.2:3b", NULL, &s), 0);
	assert_string_equal(s.url, "http://gpu-box:11434");
	assert_string_equal(s.model, "llama3.2:3b");
	assert_int_equal(model_spec_parse("ollama:qwen2.5:7b-instruct", NULL, &s), 0);
	assert_int_equal(s.backend, MODEL_OLLAMA);
	assert_string_equal(s.url, "http://127.0.0.1:11434");
	assert_string_equal(s.model, "qwen2.5:7b-instruct");
}

static void expect_bad(const char *spec, const char *why)
{
	model_spec s;

	assert_int_equal(model_spec_parse(spec, NULL, &s), DOCENT_EINVAL);
	const char *m = docent_error_message();
	if (!strstr(m, why) || !strstr(m, "ollama:MODEL") || !strstr(m, ".gguf"))
		fail_msg("spec \"%s\": unhelpful message: %s", spec ? spec : "(null)", m);
}

static void test_model_spec__bad_forms(void **state)
{
	expect_bad(NULL, "no model");
	expect_bad("   ", "no model");
	expect_bad("http://127.0.0.1:8080/v1", "after '#'");
	expect_bad("http://127.0.0.1:8080/v1#", "model name is missing");
	expect_bad("http://#model", "no host");
	expect_bad("http://host/v1#my model", "white space");
	expect_bad("ollama:", "model name is missing");
	expect_bad("ollama://127.0.0.1:11434", "after '#'");
	expect_bad("ollama://host/api#m", "no path");
	expect_bad("ftp://host/model.gguf", "not supported");
	expect_bad("llama3", "neither");
	expect_bad("model.bin", "neither");
}

static void test_model_spec__too_long(void **state)
{
	char big[3000];
	model_spec s;

	memcpy(big, "http://h/", 9);
	memset(big + 9, 'a', sizeof big - 9);
	big[sizeof big - 3] = '#';
	big[sizeof big - 2] = 'm';
	big[sizeof big - 1] = '\0';
	assert_int_equal(model_spec_parse(big, NULL, &s), DOCENT_EINVAL);
	assert_non_null(strstr(docent_error_message(), "too long"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model_spec__gguf_path),
		cmocka_unit_test(test_model_spec__gguf_name_in_models_dir),
		cmocka_unit_test(test_model_spec__openai),
		cmocka_unit_test(test_model_spec__ollama),
		cmocka_unit_test(test_model_spec__bad_forms),
		cmocka_unit_test(test_model_spec__too_long),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
