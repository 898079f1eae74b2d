/*
 * test_llama_embed.c - the in-process llama.cpp embedder on the random-weight
 * tiny-embed.gguf (BERT, 64 dimensions, mean pooling, context 512): shapes,
 * normalisation, determinism, batching, truncation, errors. Its vectors are
 * noise, so nothing here judges their meaning. Needs `make tiny-models`.
 */
#include "tests/testutil.h"
#include "engine/embedder.h"
#include "core/error.h"

#include <math.h>

#define EMBED_MODEL DOCENT_SRC_DIR "/build/models/tiny-embed.gguf"
#define CHAT_MODEL DOCENT_SRC_DIR "/build/models/tiny-chat.gguf"

static int warnings;

static void count_warning(void *ctx, const char *message)
{
	warnings++;
}

static void need_model(const char *path)
{
	if (access(path, R_OK) != 0)
		fail_msg("%s is missing: run `make tiny-models` first", path);
}

static embedder *open_tiny(void)
{
	embedder_params p = embedder_default_params();
	embedder *e = NULL;

	need_model(EMBED_MODEL);
	p.model = EMBED_MODEL;
	p.on_warning = count_warning;
	if (embedder_open(&e, &p) != 0)
		fail_msg("embedder_open: %s", docent_error_message());
	return e;
}

static double norm(const float *v, int dim)
{
	double s = 0;
	for (int i = 0; i < dim; i++)
		s += (double)v[i] * v[i];
	return sqrt(s);
}

static void test_llama_embed__shape_and_norm(void **state)
{
	embedder *e = open_tiny();
	const char *texts[] = {"hello world", "a second, longer sentence about cats."};
	float v[2 * 64];

	assert_int_equal(embedder_dim(e), 64);
	assert_int_equal(embedder_max_tokens(e), 512);
	assert_string_equal(embedder_model_id(e), "tiny-embed.gguf");
	assert_int_equal(embedder_embed(e, texts, 2, EMBED_DOCUMENT, v), 0);
	assert_true(fabs(norm(v, 64) - 1.0) < 1e-4);
	assert_true(fabs(norm(v + 64, 64) - 1.0) < 1e-4);
	embedder_free(e);
}

static void test_llama_embed__deterministic(void **state)
{
	embedder *e = open_tiny();
	const char *t[] = {"the same text"};
	float a[64], b[64];

	assert_int_equal(embedder_embed(e, t, 1, EMBED_QUERY, a), 0);
	assert_int_equal(embedder_embed(e, t, 1, EMBED_QUERY, b), 0);
	assert_memory_equal(a, b, sizeof a);
	embedder_free(e);
}

static void test_llama_embed__batch_equals_single(void **state)
{
	enum { N = 50 };
	embedder *e = open_tiny();
	char buf[N][128];
	const char *texts[N];
	float *all = calloc(N * 64, sizeof *all), one[64];

	assert_non_null(all);
	for (int i = 0; i < N; i++) {
		snprintf(buf[i], sizeof buf[i], "text number %d%s", i,
			 i % 3 ? " with a few more words to vary the length" : "");
		texts[i] = buf[i];
	}
	assert_int_equal(embedder_embed(e, texts, N, EMBED_DOCUMENT, all), 0);
	for (int i = 0; i < N; i++) {
		assert_int_equal(embedder_embed(e, &texts[i], 1, EMBED_DOCUMENT, one), 0);
		for (int j = 0; j < 64; j++)
			if (fabsf(one[j] - all[i * 64 + j]) > 1e-4f)
				fail_msg("text %d, dim %d: batch %f, alone %f", i, j,
					 (double)all[i * 64 + j], (double)one[j]);
	}
	free(all);
	embedder_free(e);
}

static void test_llama_embed__long_text_truncated(void **state)
{
	embedder *e = open_tiny();
	size_t n = 0, cap = 20000;
	char *big = malloc(cap);
	float v[2 * 64];

	assert_non_null(big);
	while (n + 8 < cap)
		n += (size_t)snprintf(big + n, cap - n, "word%zu ", n % 97);
	const char *texts[] = {big, "short"};
	token_counter tc = embedder_token_counter(e);
	assert_true(tc.count(tc.ctx, big, n) > 512);
	warnings = 0;
	assert_int_equal(embedder_embed(e, texts, 2, EMBED_DOCUMENT, v), 0);
	assert_int_equal(warnings, 1);
	assert_true(fabs(norm(v, 64) - 1.0) < 1e-4);
	free(big);
	embedder_free(e);
}

static void test_llama_embed__empty_string(void **state)
{
	embedder *e = open_tiny();
	const char *t[] = {""};
	float v[64];

	assert_int_equal(embedder_embed(e, t, 1, EMBED_DOCUMENT, v), 0);
	for (int i = 0; i < 64; i++)
		assert_true(isfinite(v[i]));
	embedder_free(e);
}

static void test_llama_embed__missing_file(void **state)
{
	embedder_params p = embedder_default_params();
	embedder *e = NULL;

	p.model = "/nonexistent/dir/model.gguf";
	assert_int_equal(embedder_open(&e, &p), DOCENT_ENOTFOUND);
	assert_null(e);
	assert_non_null(strstr(docent_error_message(), "/nonexistent/dir/model.gguf"));
}

static void test_llama_embed__not_gguf(void **state)
{
	char path[] = "/tmp/docent-notgguf-XXXXXX.gguf";
	embedder_params p = embedder_default_params();
	embedder *e = NULL;
	int fd = mkstemps(path, 5);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "this is plain text, not a model\n", 32), 32);
	close(fd);
	p.model = path;
	assert_int_equal(embedder_open(&e, &p), DOCENT_EFORMAT);
	assert_null(e);
	assert_non_null(strstr(docent_error_message(), "not a GGUF file"));
	unlink(path);
}

/* llama.cpp could pool a decoder's states too, but the chat model's metadata
 * asks for no pooling, so it is refused rather than giving made-up vectors. */
static void test_llama_embed__chat_model_refused(void **state)
{
	embedder_params p = embedder_default_params();
	embedder *e = NULL;

	need_model(CHAT_MODEL);
	p.model = CHAT_MODEL;
	assert_int_equal(embedder_open(&e, &p), DOCENT_EFORMAT);
	assert_null(e);
	assert_non_null(strstr(docent_error_message(), "not an embedding model"));
}

static void test_llama_embed__token_counter(void **state)
{
	embedder *e = open_tiny();
	token_counter tc = embedder_token_counter(e);
	const char *s = "Counting tokens with the model's own tokenizer.";
	size_t n = strlen(s);

	size_t k = tc.count(tc.ctx, s, n);
	assert_true(k > 3 && k < n);
	assert_int_equal(tc.count(tc.ctx, "", 0), 0);
	/* counts add up over a split at a space, give or take the joining token */
	size_t a = tc.count(tc.ctx, s, 8), b = tc.count(tc.ctx, s + 8, n - 8);
	assert_true(a + b >= k - 1 && a + b <= k + 1);
	embedder_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_llama_embed__shape_and_norm),
		cmocka_unit_test(test_llama_embed__deterministic),
		cmocka_unit_test(test_llama_embed__batch_equals_single),
		cmocka_unit_test(test_llama_embed__long_text_truncated),
		cmocka_unit_test(test_llama_embed__empty_string),
		cmocka_unit_test(test_llama_embed__missing_file),
		cmocka_unit_test(test_llama_embed__not_gguf),
		cmocka_unit_test(test_llama_embed__chat_model_refused),
		cmocka_unit_test(test_llama_embed__token_counter),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
