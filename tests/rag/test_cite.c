/*
 * test_cite.c - the citation filter (rag/cite.h): valid citations kept in
 * the plain form, numbers that name no passage removed and reported, other
 * brackets untouched, and the same output however the text is split into
 * streamed pieces.
 */
#include "tests/testutil.h"

#include "core/buf.h"
#include "rag/cite.h"

/* Runs cite_check and compares the text; returns the checked copy's arrays. */
static void check(const char *in, int npassages, const char *want)
{
	char *out;
	int *cited, *invalid;
	size_t nc, ni;
	assert_int_equal(cite_check(in, npassages, &out, &cited, &nc, &invalid, &ni), 0);
	assert_string_equal(out, want);
	free(out);
	free(cited);
	free(invalid);
}

static void test_cite__valid_and_invalid(void **state)
{
	char *out;
	int *cited, *invalid;
	size_t nc, ni;

	(void)state;
	assert_int_equal(cite_check("Leave is 45 days [2]. Pay is full [7][1].", 3, &out,
				    &cited, &nc, &invalid, &ni), 0);
	assert_string_equal(out, "Leave is 45 days [2]. Pay is full [1].");
	assert_int_equal(nc, 2);
	assert_int_equal(cited[0], 2);
	assert_int_equal(cited[1], 1);
	assert_int_equal(ni, 1);
	assert_int_equal(invalid[0], 7);
	free(out);
	free(cited);
	free(invalid);
}

static void test_cite__forms(void **state)
{
	(void)state;
	check("a [1, 3] b", 3, "a [1][3] b");
	check("a [Source 2] b", 3, "a [2] b");
	check("a [source: 2] b", 3, "a [2] b");
	check("a [1-3] b", 3, "a [1][2][3] b");
	check("a [2 and 3] b", 3, "a [2][3] b");
	check("a [0] b", 3, "a  b");
	check("a [1-40] b", 3, "a [1-40] b"); /* not a citation: too wide */
}

static void test_cite__other_brackets(void **state)
{
	(void)state;
	check("see [the manual](http://x/[1]) now", 3, "see [the manual](http://x/[1]) now");
	check("array[i] and [x]", 3, "array[i] and [x]");
	check("[[1]]", 3, "[[1]]");
	check("unclosed [1", 3, "unclosed [1");
	check("[a very long bracket that goes on and on and on]", 3,
	      "[a very long bracket that goes on and on and on]");
	check("ünïcödé [2] ok", 3, "ünïcödé [2] ok");
}

typedef struct sink { dbuf b; } sink;

static int to_sink(void *ctx, const char *s, size_t n)
{
	sink *k = ctx;
	return dbuf_append(&k->b, s, n);
}

/* Every way of cutting the text in two gives the same stream. */
static void test_cite__streamed_pieces(void **state)
{
	const char *in = "Days [1]. Not [9]. Both [1, 2]. Text [x] end [Source 2]";
	const char *want = "Days [1]. Not . Both [1][2]. Text [x] end [2]";
	size_t len = strlen(in);

	(void)state;
	for (size_t cut = 0; cut <= len; cut++) {
		sink k = { DBUF_INIT };
		cite_filter *f;
		size_t ni;
		assert_int_equal(cite_filter_new(&f, 2, to_sink, &k), 0);
		assert_int_equal(cite_filter_put(f, in, cut), 0);
		assert_int_equal(cite_filter_put(f, in + cut, len - cut), 0);
		assert_int_equal(cite_filter_end(f), 0);
		assert_non_null(k.b.data);
		assert_string_equal(k.b.data, want);
		assert_string_equal(cite_filter_text(f), want);
		assert_int_equal(cite_filter_invalid(f, &ni)[0], 9);
		assert_int_equal(ni, 1);
		cite_filter_free(f);
		dbuf_free(&k.b);
	}
	/* one byte at a time */
	sink k = { DBUF_INIT };
	cite_filter *f;
	assert_int_equal(cite_filter_new(&f, 2, to_sink, &k), 0);
	for (size_t i = 0; i < len; i++)
		assert_int_equal(cite_filter_put(f, in + i, 1), 0);
	assert_int_equal(cite_filter_end(f), 0);
	assert_string_equal(k.b.data, want);
	cite_filter_free(f);
	dbuf_free(&k.b);
}

static int stop_at_once(void *ctx, const char *s, size_t n)
{
	(void)ctx;
	(void)s;
	(void)n;
	return 1;
}

static void test_cite__stop(void **state)
{
	cite_filter *f;
	(void)state;
	assert_int_equal(cite_filter_new(&f, 2, stop_at_once, NULL), 0);
	assert_int_equal(cite_filter_put(f, "hello", 5), 1);
	cite_filter_free(f);
	cite_filter_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cite__valid_and_invalid),
		cmocka_unit_test(test_cite__forms),
		cmocka_unit_test(test_cite__other_brackets),
		cmocka_unit_test(test_cite__streamed_pieces),
		cmocka_unit_test(test_cite__stop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
