/*
 * test_llama_gen.c - the in-process llama.cpp generator on the random-weight
 * tiny-chat.gguf (Qwen2, ChatML template, context 2048). Its text is noise,
 * so the tests check the plumbing: streamed pieces are whole UTF-8 and add
 * up to the reply, greedy decoding repeats, budgets, cancellation, stop
 * strings, the reused prompt prefix and the context limit. Needs
 * `make tiny-models`.
 */
#include "tests/testutil.h"
#include "engine/generator.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/text.h"

#define CHAT_MODEL DOCENT_SRC_DIR "/build/models/tiny-chat.gguf"

typedef struct collect {
	dbuf text;
	int pieces;
	int bad_utf8;
	int cancel_after;      /* stop after this many pieces; 0 = never */
} collect;

static int on_piece(void *ctx, const char *piece, size_t n)
{
	collect *c = ctx;

	if (!text_utf8_valid(piece, n))
		c->bad_utf8++;
	assert_int_equal(dbuf_append(&c->text, piece, n), 0);
	c->pieces++;
	return c->cancel_after && c->pieces >= c->cancel_after;
}

static generator *open_tiny(int context)
{
	generator_params p = generator_default_params();
	generator *g = NULL;

	if (access(CHAT_MODEL, R_OK) != 0)
		fail_msg("%s is missing: run `make tiny-models` first", CHAT_MODEL);
	p.model = CHAT_MODEL;
	p.context = context;
	if (generator_open(&g, &p) != 0)
		fail_msg("generator_open: %s", docent_error_message());
	return g;
}

static const chat_message convo[] = {
	{"system", "You answer questions about the user's documents."},
	{"user", "What does the report say about rainfall in 2021?"},
};

static gen_options greedy(int max_tokens)
{
	gen_options o = gen_default_options();
	o.temperature = 0;
	o.max_tokens = max_tokens;
	return o;
}

static void test_llama_gen__streams_whole_utf8(void **state)
{
	generator *g = open_tiny(0);
	gen_options o = gen_default_options();
	collect c = {0};
	gen_result r;

	o.seed = 42;
	o.max_tokens = 64;
	assert_int_equal(generator_chat(g, convo, 2, &o, on_piece, &c, &r), 0);
	assert_int_equal(c.bad_utf8, 0);
	assert_true(r.prompt_tokens > 10);
	assert_true(r.completion_tokens > 0 && r.completion_tokens <= 64);
	assert_true(r.stopped_by == GEN_STOP_END || r.stopped_by == GEN_STOP_LENGTH);
	assert_true(r.total_ms >= r.first_token_ms);
	assert_true(text_utf8_valid(c.text.data ? c.text.data : "", c.text.len));
	assert_string_equal(generator_model_id(g), "tiny-chat.gguf");
	dbuf_free(&c.text);
	generator_free(g);
}

static void test_llama_gen__greedy_repeats(void **state)
{
	generator *g = open_tiny(0);
	gen_options o = greedy(40);
	collect a = {0}, b = {0};
	gen_result r;

	assert_int_equal(generator_chat(g, convo, 2, &o, on_piece, &a, &r), 0);
	assert_int_equal(generator_chat(g, convo, 2, &o, on_piece, &b, &r), 0);
	/* some text, or two empty replies would pass */
	assert_true(a.text.len > 0);
	assert_int_equal(a.text.len, b.text.len);
	assert_memory_equal(a.text.data, b.text.data, a.text.len);
	/* the second call found the whole prompt but its last token cached */
	assert_int_equal(r.cached_tokens, r.prompt_tokens - 1);
	dbuf_free(&a.text);
	dbuf_free(&b.text);
	generator_free(g);
}

static void test_llama_gen__max_tokens(void **state)
{
	generator *g = open_tiny(0);
	gen_options o = greedy(5);
	collect c = {0};
	gen_result r;

	assert_int_equal(generator_complete(g, "Once upon a time", &o, on_piece, &c, &r), 0);
	/* the random model's greedy continuation of this prompt is newlines
	 * that never end: the budget is what stops it */
	assert_int_equal(r.stopped_by, GEN_STOP_LENGTH);
	assert_int_equal(r.completion_tokens, 5);
	assert_int_equal(c.pieces, 5);
	dbuf_free(&c.text);
	generator_free(g);
}

static void test_llama_gen__cancel(void **state)
{
	generator *g = open_tiny(0);
	gen_options o = gen_default_options();
	collect c = {.cancel_after = 3};
	gen_result r;

	o.seed = 7;
	o.max_tokens = 200;
	o.repeat_penalty = 1.0;
	assert_int_equal(generator_chat(g, convo, 2, &o, on_piece, &c, &r), 0);
	/* seed 7 gives a reply longer than 3 pieces: the callback's stop ends it */
	assert_int_equal(c.pieces, 3);
	assert_int_equal(r.stopped_by, GEN_STOP_CANCELLED);
	dbuf_free(&c.text);
	generator_free(g);
}

/* A stop string chosen from a seeded reply itself, so that it occurs (the
 * greedy reply of the random model is only newlines). */
static void test_llama_gen__stop_string(void **state)
{
	generator *g = open_tiny(0);
	gen_options o = gen_default_options();
	collect full = {0}, cut = {0};
	gen_result r;
	char stop[16];

	o.seed = 11;
	o.max_tokens = 60;
	o.repeat_penalty = 1.0;
	assert_int_equal(generator_chat(g, convo, 2, &o, on_piece, &full, &r), 0);
	/* seed 11 gives a reply long enough to cut in the middle */
	assert_true(full.text.len >= 12);
	/* two whole characters from the middle of the reply */
	size_t at = text_utf8_floor(full.text.data, full.text.len, full.text.len / 2), end = at;
	for (int k = 0; k < 2 && end < full.text.len; k++)
		text_utf8_next(full.text.data, full.text.len, &end);
	snprintf(stop, sizeof stop, "%.*s", (int)(end - at), full.text.data + at);
	const char *stops[] = {stop};
	o.stop = stops;
	o.nstop = 1;
	assert_int_equal(generator_chat(g, convo, 2, &o, on_piece, &cut, &r), 0);
	assert_int_equal(r.stopped_by, GEN_STOP_STRING);
	assert_int_equal(cut.bad_utf8, 0);
	assert_null(memmem(cut.text.data ? cut.text.data : "", cut.text.len, stop,
			   strlen(stop)));
	/* what came out is the reply up to the first occurrence */
	const char *first = memmem(full.text.data, full.text.len, stop, strlen(stop));
	assert_int_equal(cut.text.len, (size_t)(first - full.text.data));
	assert_true(cut.text.len > 0);
	dbuf_free(&full.text);
	dbuf_free(&cut.text);
	generator_free(g);
}

static void test_llama_gen__prefix_cached(void **state)
{
	generator *g = open_tiny(0);
	gen_options o = greedy(8);
	gen_result r1, r2;
	chat_message second[] = {
		{"system", convo[0].content},
		{"user", "And what about 2022?"},
	};

	assert_int_equal(generator_chat(g, convo, 2, &o, NULL, NULL, &r1), 0);
	assert_int_equal(r1.cached_tokens, 0);
	assert_int_equal(generator_chat(g, second, 2, &o, NULL, NULL, &r2), 0);
	assert_true(r2.cached_tokens > 5);
	assert_true(r2.cached_tokens < r2.prompt_tokens);
	generator_free(g);
}

static void test_llama_gen__prompt_too_big(void **state)
{
	generator *g = open_tiny(256);
	dbuf big = DBUF_INIT;
	chat_message m[1] = {{"user", NULL}};
	gen_result r;

	for (int i = 0; i < 400; i++)
		assert_int_equal(dbuf_printf(&big, "word%d ", i), 0);
	m[0].content = big.data;
	assert_int_equal(generator_chat(g, m, 1, NULL, NULL, NULL, &r), DOCENT_ETOOBIG);
	assert_non_null(strstr(docent_error_message(), "tiny-chat.gguf"));
	/* and the generator still works afterwards */
	gen_options o = greedy(4);
	assert_int_equal(generator_chat(g, convo, 2, &o, NULL, NULL, &r), 0);
	dbuf_free(&big);
	generator_free(g);
}

static void test_llama_gen__missing_file(void **state)
{
	generator_params p = generator_default_params();
	generator *g = NULL;

	p.model = DOCENT_SRC_DIR "/build/models/does-not-exist.gguf";
	assert_int_equal(generator_open(&g, &p), DOCENT_ENOTFOUND);
	assert_null(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_llama_gen__streams_whole_utf8),
		cmocka_unit_test(test_llama_gen__greedy_repeats),
		cmocka_unit_test(test_llama_gen__max_tokens),
		cmocka_unit_test(test_llama_gen__cancel),
		cmocka_unit_test(test_llama_gen__stop_string),
		cmocka_unit_test(test_llama_gen__prefix_cached),
		cmocka_unit_test(test_llama_gen__prompt_too_big),
		cmocka_unit_test(test_llama_gen__missing_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
