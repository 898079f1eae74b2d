/*
 * test_chat_archs.c - each chat architecture of the catalogue's small
 * models (Qwen2, Llama 3, Phi-3, Gemma 2) loads, lays a conversation out
 * with its own chat template and answers, on the random-weight tiny models
 * (`make tiny-models`; each carries the real template of its family).
 * Gemma has no system role: the system message must be folded into the
 * first user turn, neither dropped nor an error.
 */
#include "tests/testutil.h"
#include "core/buf.h"
#include "core/error.h"
#include "engine/generator.h"

#include <time.h>

#define MODELS DOCENT_SRC_DIR "/build/models/"

static const chat_message convo[] = {
	{"system", "SYSTEM-RULES answer from the passages"},
	{"user", "USER-QUESTION what about rainfall"},
};

static generator *open_model(const char *file)
{
	generator_params p = generator_default_params();
	generator *g = NULL;
	char path[512];

	snprintf(path, sizeof path, MODELS "%s", file);
	if (access(path, R_OK) != 0)
		fail_msg("%s is missing: run `make tiny-models` first", path);
	p.model = path;
	p.context = 512;
	p.threads = 1;
	if (generator_open(&g, &p) != 0)
		fail_msg("generator_open %s: %s", file, docent_error_message());
	return g;
}

static int collect(void *ctx, const char *piece, size_t n)
{
	return dbuf_append(ctx, piece, n) != 0;
}

/* The markers occur in s in this order, each after the one before. */
static void assert_in_order(const char *s, const char *const *markers, size_t n)
{
	const char *at = s;
	for (size_t i = 0; i < n; i++) {
		const char *hit = strstr(at, markers[i]);
		if (!hit)
			fail_msg("expected \"%s\" after \"%s\" in:\n%s", markers[i],
				 i ? markers[i - 1] : "the start", s);
		at = hit + strlen(markers[i]);
	}
}

/* Opens the model, checks its prompt holds the markers in order, and that
 * it writes something within the budget, quickly. */
static char *check_model(const char *file, const char *const *markers, size_t nmarkers)
{
	generator *g = open_model(file);
	char *prompt = NULL;
	gen_options o = gen_default_options();
	gen_result res;
	dbuf out = DBUF_INIT;
	struct timespec t0, t1;

	assert_int_equal(generator_render(g, convo, 2, &prompt), 0);
	assert_in_order(prompt, markers, nmarkers);
	o.temperature = 0;
	o.max_tokens = 8;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (generator_chat(g, convo, 2, &o, collect, &out, &res) != 0)
		fail_msg("%s: %s", file, docent_error_message());
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(res.prompt_tokens > 10);
	assert_true(res.completion_tokens > 0 || res.stopped_by == GEN_STOP_END);
	assert_true(res.completion_tokens <= 8);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (s > 5)
		fail_msg("%s took %.1f s to answer", file, s);
	dbuf_free(&out);
	generator_free(g);
	return prompt;
}

static void test_chat_archs__qwen2_chatml(void **state)
{
	const char *m[] = { "<|im_start|>system\n", "SYSTEM-RULES", "<|im_end|>",
			    "<|im_start|>user\n", "USER-QUESTION", "<|im_start|>assistant\n" };
	free(check_model("tiny-chat.gguf", m, sizeof m / sizeof m[0]));
}

static void test_chat_archs__llama3(void **state)
{
	const char *m[] = { "<|start_header_id|>system<|end_header_id|>", "SYSTEM-RULES",
			    "<|eot_id|>", "<|start_header_id|>user<|end_header_id|>",
			    "USER-QUESTION", "<|start_header_id|>assistant<|end_header_id|>" };
	free(check_model("tiny-llama.gguf", m, sizeof m / sizeof m[0]));
}

static void test_chat_archs__phi3(void **state)
{
	const char *m[] = { "<|system|>", "SYSTEM-RULES", "<|end|>", "<|user|>",
			    "USER-QUESTION", "<|end|>", "<|assistant|>" };
	free(check_model("tiny-phi3.gguf", m, sizeof m / sizeof m[0]));
}

static void test_chat_archs__gemma2_folds_the_system_message(void **state)
{
	const char *m[] = { "<start_of_turn>user\n", "SYSTEM-RULES", "USER-QUESTION",
			    "<end_of_turn>", "<start_of_turn>model\n" };
	char *prompt = check_model("tiny-gemma2.gguf", m, sizeof m / sizeof m[0]);
	/* no system turn of its own, and one user turn holding both */
	assert_null(strstr(prompt, "<start_of_turn>system"));
	const char *first = strstr(prompt, "<start_of_turn>user");
	assert_null(strstr(first + 1, "<start_of_turn>user"));
	free(prompt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chat_archs__qwen2_chatml),
		cmocka_unit_test(test_chat_archs__llama3),
		cmocka_unit_test(test_chat_archs__phi3),
		cmocka_unit_test(test_chat_archs__gemma2_folds_the_system_message),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
