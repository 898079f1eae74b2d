/*
 * test_snippet.c - search snippets (index/snippet_int.h): snippet_make()
 * on hand-made tokens and matches (a table row, a long sentence cut, no
 * match), and snippet_query on the tokenizer docent's stores use, on a
 * plain in-memory connection: stemmed and accented forms, a number
 * searched as a phrase of its groups, every term marked however many,
 * invalid UTF-8, tokenize= strings with quoted arguments, and tokenizers
 * that cannot be made.
 */
#include "tests/testutil.h"

#include <sqlite3.h>

#include "core/error.h"
#include "index/snippet_int.h"

#define ELL "\xe2\x80\xa6"
#define TOKENIZER "porter unicode61 remove_diacritics 2"

typedef struct fx {
	sqlite3 *db;
	fts5_api *api;
} fx;

static int setup(void **state)
{
	fx *f = calloc(1, sizeof *f);
	sqlite3_stmt *st = NULL;

	assert_non_null(f);
	assert_int_equal(sqlite3_open(":memory:", &f->db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(f->db, "SELECT fts5(?1)", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_pointer(st, 1, &f->api, "fts5_api_ptr", NULL);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	sqlite3_finalize(st);
	assert_non_null(f->api);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	sqlite3_close(f->db);
	free(f);
	return 0;
}

/* The spans of the words of text: runs of bytes other than " .,;:|\n". */
static int words(const char *text, snippet_span *out, int max)
{
	int n = 0, i = 0, len = (int)strlen(text);

	while (i < len && n < max) {
		while (i < len && strchr(" .,;:|\n", text[i]))
			i++;
		if (i == len)
			break;
		out[n].start = i;
		while (i < len && !strchr(" .,;:|\n", text[i]))
			i++;
		out[n++].end = i;
	}
	return n;
}

/* snippet_query_make() with "[" "]" and `width` tokens; the snippet or NULL. */
static char *query_snippet(fx *f, const char *tokenize, const char *const *terms, size_t nterms,
			   const char *text, size_t len, int width)
{
	snippet_query *q = NULL;
	char *out = NULL;

	if (snippet_query_new(f->api, tokenize, terms, nterms, &q))
		fail_msg("snippet_query_new: %s", docent_error_message());
	if (snippet_query_make(q, text, len, "[", "]", width, &out))
		fail_msg("snippet_query_make: %s", docent_error_message());
	snippet_query_free(q);
	return out;
}

static void test_snippet__stemmed_match(void **state)
{
	static const char *const terms[] = { "flows", "cafe" };
	static const char text[] = "Nothing here. The water flow under the Café is steady. "
				   "Bye now.";
	char *s = query_snippet(*state, TOKENIZER, terms, 2, text, strlen(text), 24);

	/* "flows" and "flow" stem alike; remove_diacritics makes "Café" "cafe";
	 * the sentence grows by its neighbours, which fit */
	assert_string_equal(s, "Nothing here. The water [flow] under the [Café] is steady. "
			       "Bye now.");
	free(s);
}

static void test_snippet__phrase(void **state)
{
	/* a number in groups of three is searched for as the phrase "2 000" */
	static const char *const terms[] = { "2 000", "euros" };
	static const char text[] = "It costs 2,000 euros, not 2 or 000 alone.";
	char *s = query_snippet(*state, TOKENIZER, terms, 2, text, strlen(text), 24);

	assert_string_equal(s, "It costs [2,000] [euros], not 2 or 000 alone.");
	free(s);

	/* snippet_make() marks a match of several tokens as one span, and a
	 * match inside it is not marked again */
	static const char t2[] = "The north exit is closed.";
	snippet_span tok[8];
	int ntok = words(t2, tok, 8);
	snippet_match m[] = { { 0, 1, 2 }, { 1, 2, 1 } };
	assert_int_equal(snippet_make(t2, (int)strlen(t2), tok, ntok, m, 2, "<", ">", 24, &s), 0);
	assert_string_equal(s, "The <north exit> is closed.");
	free(s);
}

static void test_snippet__table_row(void **state)
{
	(void)state;
	static const char text[] = "fruit | price | origin\napple | 3 | France\n"
				   "pear | 4 | Spain\nplum | 5 | Italy";
	snippet_span tok[32];
	int ntok = words(text, tok, 32);
	char *s = NULL;

	/* "fruit" (header, token 0) and "Spain" (token 8): one distinct term
	 * each, the header counts 12 less, so the row wins, alone */
	snippet_match m[] = { { 0, 0, 1 }, { 1, 8, 1 } };
	assert_int_equal(snippet_make(text, (int)strlen(text), tok, ntok, m, 2, "[", "]", 24,
				      &s), 0);
	assert_string_equal(s, ELL "pear | 4 | [Spain]" ELL);
	free(s);

	/* two distinct terms in the header beat one in a row */
	snippet_match m2[] = { { 0, 0, 1 }, { 1, 2, 1 }, { 2, 8, 1 } };
	assert_int_equal(snippet_make(text, (int)strlen(text), tok, ntok, m2, 3, "[", "]", 24,
				      &s), 0);
	assert_string_equal(s, "[fruit] | price | [origin]" ELL);
	free(s);

	/* CSV rows "name: value; ...", and a table of one column */
	static const char csv[] = "name: Ada; city: Paris\nname: Bob; city: Rome";
	ntok = words(csv, tok, 32);
	snippet_match m3[] = { { 0, 7, 1 } }; /* Rome */
	assert_int_equal(snippet_make(csv, (int)strlen(csv), tok, ntok, m3, 1, "[", "]", 24, &s),
			 0);
	assert_string_equal(s, ELL "name: Bob; city: [Rome]");
	free(s);
}

static void test_snippet__long_sentence_cut(void **state)
{
	static const char *const terms[] = { "parking" };
	static const char text[] =
		"Short one. The council said on Monday that from March the new parking rules "
		"for the whole of the old town would apply to residents and visitors alike. "
		"Another one.";
	char *s = query_snippet(*state, TOKENIZER, terms, 1, text, strlen(text), 8);

	/* 8 tokens, starting 8 / 4 = 2 before the match */
	assert_string_equal(s, ELL "the new [parking] rules for the whole of" ELL);
	free(s);
}

static void test_snippet__no_match(void **state)
{
	static const char *const terms[] = { "zebra" };
	static const char text[] = "Nothing about stripes here.";
	snippet_span tok[8];
	char *s = query_snippet(*state, TOKENIZER, terms, 1, text, strlen(text), 24);

	assert_null(s);
	s = (char *)1;
	assert_int_equal(snippet_make(text, (int)strlen(text), tok, words(text, tok, 8), NULL, 0,
				      "[", "]", 24, &s), 0);
	assert_null(s);
	/* matches outside the tokens are ignored */
	snippet_match m[] = { { 0, 99, 1 }, { 0, -1, 1 } };
	assert_int_equal(snippet_make(text, (int)strlen(text), tok, words(text, tok, 8), m, 2,
				      "[", "]", 24, &s), 0);
	assert_null(s);
	/* an empty text, and a query whose terms make no tokens */
	assert_null(query_snippet(*state, TOKENIZER, terms, 1, "", 0, 24));
	static const char *const punct[] = { "--" };
	assert_null(query_snippet(*state, TOKENIZER, punct, 1, text, strlen(text), 24));
}

static void test_snippet__invalid_utf8(void **state)
{
	static const char *const terms[] = { "caf", "bad" };
	/* a lone continuation byte, a cut sequence, 0xff, and a cut one at the end */
	static const char text[] = "A \x80 caf\xc3 bad\xff word. Then \xe2\x82";
	char *s = query_snippet(*state, TOKENIZER, terms, 2, text, strlen(text), 24);

	/* the tokenizer takes the bad bytes for separators; they pass through */
	assert_string_equal(s, "A \x80 [caf]\xc3 [bad]\xff word. Then \xe2\x82");
	free(s);
	/* only the invalid bytes, and a term made of them */
	static const char *const junk[] = { "\xff\xfe" };
	s = query_snippet(*state, TOKENIZER, junk, 1, "\xff\xfe \xc3\x28 \xff\xfe", 8, 24);
	free(s); /* a snippet or none: neither reads outside the text */
}

static void test_snippet__every_term(void **state)
{
	static const char *const terms[] = { "alpha", "bravo", "charlie", "delta", "echo",
					     "foxtrot", "golf", "hotel" };
	static const char text[] = "alpha bravo charlie delta echo foxtrot golf hotel india.";
	char *s = query_snippet(*state, TOKENIZER, terms, 8, text, strlen(text), 24);

	/* all eight, not only the six rarest */
	assert_string_equal(s, "[alpha] [bravo] [charlie] [delta] [echo] [foxtrot] [golf] "
			       "[hotel] india.");
	free(s);
}

static void test_snippet__tokenizers(void **state)
{
	fx *f = *state;
	static const char *const terms[] = { "well-known" };
	static const char text[] = "A well-known fact.";
	snippet_query *q = NULL;
	char *s;

	/* a quoted argument, as FTS5 reads it: '-' is then part of tokens */
	s = query_snippet(f, "unicode61 tokenchars '-'", terms, 1, text, strlen(text), 24);
	assert_string_equal(s, "A [well-known] fact.");
	free(s);
	/* without it, the phrase "well known" */
	s = query_snippet(f, "unicode61", terms, 1, text, strlen(text), 24);
	assert_string_equal(s, "A [well-known] fact.");
	free(s);
	/* FTS5's default */
	s = query_snippet(f, "", terms, 1, text, strlen(text), 24);
	assert_string_equal(s, "A [well-known] fact.");
	free(s);

	assert_int_equal(snippet_query_new(f->api, "nosuchtokenizer", terms, 1, &q), DOCENT_EDB);
	assert_null(q);
	assert_non_null(strstr(docent_error_message(), "nosuchtokenizer"));
	assert_int_equal(snippet_query_new(f->api, "porter (", terms, 1, &q), DOCENT_EDB);
	assert_int_equal(snippet_query_new(f->api, "unicode61 'open", terms, 1, &q), DOCENT_EDB);
	assert_int_equal(snippet_query_new(f->api, "unicode61 remove_diacritics 9", terms, 1, &q),
			 DOCENT_EDB);
	assert_null(q);
	snippet_query_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_snippet__stemmed_match, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snippet__phrase, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snippet__table_row, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snippet__long_sentence_cut, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snippet__no_match, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snippet__invalid_utf8, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snippet__every_term, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snippet__tokenizers, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
