/*
 * test_sentence.c - sentence boundaries: where they are, where they are
 * not (abbreviations, initials, numbers, URLs), non-ASCII text, the
 * invariants of the offsets, and linear time on megabytes of input.
 */
#include "tests/testutil.h"

#include "core/buf.h"
#include "core/error.h"
#include "ingest/sentence.h"

#include <time.h>

/* Splits s and returns its sentences joined by " | " (static buffer),
 * checking the offsets' invariants on the way. */
static const char *split(const char *s)
{
	static char out[8192];
	size_t *ends, n, len = strlen(s), start = 0, o = 0;

	assert_int_equal(sentence_split(s, len, &ends, &n), 0);
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		while (start < ends[i] && strchr(" \t\n", s[start]))
			start++;
		assert_true(ends[i] > start);                    /* never empty */
		assert_null(strchr(" \t\n", s[ends[i] - 1]));    /* ends on non-space */
		o += (size_t)snprintf(out + o, sizeof out - o, "%s%.*s", i ? " | " : "",
				      (int)(ends[i] - start), s + start);
		start = ends[i];
	}
	while (start < len && strchr(" \t\n", s[start]))
		start++;
	assert_int_equal(start, len); /* the last end is the end of the content */
	free(ends);
	return out;
}

static void test_sentence_split__basic(void **state)
{
	assert_string_equal(split("One sentence. Two sentences? Three! 4 is a digit. \"Quoted\" start."),
			    "One sentence. | Two sentences? | Three! | 4 is a digit. | \"Quoted\" start.");
	assert_string_equal(split("No end punctuation"), "No end punctuation");
	assert_string_equal(split("  Padded.  Text.  "), "Padded. | Text.");
}

static void test_sentence_split__empty(void **state)
{
	size_t *ends = (size_t *)1, n = 9;

	assert_int_equal(sentence_split("", 0, &ends, &n), 0);
	assert_int_equal(n, 0);
	free(ends);
	assert_int_equal(sentence_split(" \n\t ", 4, &ends, &n), 0);
	assert_int_equal(n, 0);
	free(ends);
}

static void test_sentence_split__abbreviations(void **state)
{
	static const char *const abbr[] = {
		"e.g.", "i.e.", "etc.", "vs.", "Dr.", "Mr.", "Mrs.", "Ms.", "Prof.", "Inc.",
		"Ltd.", "Co.", "Corp.", "Fig.", "Vol.", "pp.", "approx.", "Jan.", "Feb.",
		"Sept.", "Dec.", "St.", "Jr.", "Sr.", "U.S.", "a.m.", "p.m.", "Ph.D.", "cf.", "Mme.",
	};
	char text[256];

	for (size_t i = 0; i < sizeof abbr / sizeof *abbr; i++) {
		snprintf(text, sizeof text, "We met %s Walker there. Next one.", abbr[i]);
		char want[300];
		snprintf(want, sizeof want, "We met %s Walker there. | Next one.", abbr[i]);
		assert_string_equal(split(text), want);
	}
	/* "No." and "p." abbreviate only before a number */
	assert_string_equal(split("See No. 5 and p. 12 there. I said No. Then left."),
			    "See No. 5 and p. 12 there. | I said No. | Then left.");
	assert_string_equal(split("Fig. 3 shows it. Vol. 2 too."), "Fig. 3 shows it. | Vol. 2 too.");
	assert_string_equal(split("Built c. 1872 in Paris. Done."), "Built c. 1872 in Paris. | Done.");
}

static void test_sentence_split__initials(void **state)
{
	assert_string_equal(split("J. R. R. Tolkien wrote it. John F. Kennedy spoke. Done."),
			    "J. R. R. Tolkien wrote it. | John F. Kennedy spoke. | Done.");
}

static void test_sentence_split__numbers_urls_mail(void **state)
{
	assert_string_equal(
		split("Pi is 3.14 or so. Version v1.2.3 is out. See Section 4.2.1 for more. "
		      "Visit https://example.com/a.b?x=1. Mail bob.smith@example.org today. "
		      "It grew 2.5% in 2019. Then it fell."),
		"Pi is 3.14 or so. | Version v1.2.3 is out. | See Section 4.2.1 for more. | "
		"Visit https://example.com/a.b?x=1. | Mail bob.smith@example.org today. | "
		"It grew 2.5% in 2019. | Then it fell.");
}

static void test_sentence_split__quotes_brackets_ellipsis(void **state)
{
	assert_string_equal(split("He said \"stop.\" Then he left. (It was late.) We slept."),
			    "He said \"stop.\" | Then he left. | (It was late.) | We slept.");
	assert_string_equal(split("\"Really?\" she asked. \u201cYes!\u201d He nodded."),
			    "\"Really?\" she asked. | \u201cYes!\u201d | He nodded.");
	assert_string_equal(split("Wait... what was that? Well\u2026 Nothing. Hm... Later."),
			    "Wait... what was that? | Well\u2026 | Nothing. | Hm... | Later.");
	/* lower case after the punctuation: the sentence goes on */
	assert_string_equal(split("Is it? yes it is. Yahoo! is a name."),
			    "Is it? yes it is. | Yahoo! is a name.");
}

static void test_sentence_split__non_ascii(void **state)
{
	assert_string_equal(split("Café au lait. Über alles. Élan vital? Ça va."),
			    "Café au lait. | Über alles. | Élan vital? | Ça va.");
	assert_string_equal(split("日本語の文です。次の文です！最後ですか？"),
			    "日本語の文です。 | 次の文です！ | 最後ですか？");
	assert_string_equal(split("他说：「好。」然后走了。"), "他说：「好。」 | 然后走了。");
	assert_string_equal(split("Это первое. Это второе."), "Это первое. | Это второе.");
}

static void test_sentence_split__line_breaks(void **state)
{
	assert_string_equal(split("First para\n\nSecond para"), "First para | Second para");
	assert_string_equal(split("Items:\n- one\n- two\n* three\n\u2022 four\n1. five\n2) six"),
			    "Items: | - one | - two | * three | \u2022 four | 1. five | 2) six");
	/* a plain line break inside running text is not a boundary */
	assert_string_equal(split("a line that\ngoes on"), "a line that\ngoes on");
	assert_string_equal(split("e.g.\n\nNext"), "e.g. | Next");
}

static void test_sentence_split__invalid_utf8(void **state)
{
	const char s[] = "Bad \xff\xfe bytes. Next \xc3 one. End";
	size_t *ends, n;

	assert_int_equal(sentence_split(s, sizeof s - 1, &ends, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(ends[n - 1], sizeof s - 1);
	free(ends);
}

/* Splits n bytes made by repeating `unit`; checks it ends well and fast. */
static size_t split_repeated(const char *unit, size_t total, double *seconds)
{
	dbuf b = DBUF_INIT;
	size_t *ends, n, ulen = strlen(unit);
	struct timespec t0, t1;

	while (b.len < total)
		assert_int_equal(dbuf_append(&b, unit, ulen), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(sentence_split(b.data, b.len, &ends, &n), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	*seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_true(n >= 1);
	for (size_t i = 1; i < n; i++)
		assert_true(ends[i] > ends[i - 1]);
	free(ends);
	dbuf_free(&b);
	return n;
}

/* 2 MB of text in well under 5 s, including inputs built to be slow:
 * no spaces, all abbreviations, runs of blank lines, one huge word. */
static void test_sentence_split__two_megabytes_linear(void **state)
{
	static const struct { const char *unit; size_t min_sentences; } cases[] = {
		{"The committee met on Jan. 5 at 3 p.m. with Dr. Smith, e.g. to review Fig. 2. "
		 "Was it approved? Yes! The budget grew 2.5% to $3.14 million. ", 20000},
		{"x.", 1},                  /* no white space at all */
		{"Dr. ", 1},                /* an abbreviation everywhere */
		{"word\n\n\n\n", 100000},   /* blank lines */
		{"\n", 0},                  /* only white space: handled below */
		{"aaaaaaaaaaaaaaaa", 1},    /* one 2 MB word */
		{"A. ", 1},                 /* initials everywhere */
		{"1.1.1.1. ", 1},
		{"\xe3\x80\x82", 0},        /* CJK full stops only */
	};
	double worst = 0, s;

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		if (cases[i].unit[0] == '\n') {
			size_t *ends, n;
			char *blank = malloc(2 << 20);
			memset(blank, '\n', 2 << 20);
			assert_int_equal(sentence_split(blank, 2 << 20, &ends, &n), 0);
			assert_int_equal(n, 0);
			free(ends);
			free(blank);
			continue;
		}
		size_t n = split_repeated(cases[i].unit, 2 << 20, &s);
		assert_true(n >= cases[i].min_sentences);
		if (s > worst)
			worst = s;
	}
	/* generous: linear splitting takes tens of milliseconds, quadratic hours */
	assert_true(worst < 5.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sentence_split__basic),
		cmocka_unit_test(test_sentence_split__empty),
		cmocka_unit_test(test_sentence_split__abbreviations),
		cmocka_unit_test(test_sentence_split__initials),
		cmocka_unit_test(test_sentence_split__numbers_urls_mail),
		cmocka_unit_test(test_sentence_split__quotes_brackets_ellipsis),
		cmocka_unit_test(test_sentence_split__non_ascii),
		cmocka_unit_test(test_sentence_split__line_breaks),
		cmocka_unit_test(test_sentence_split__invalid_utf8),
		cmocka_unit_test(test_sentence_split__two_megabytes_linear),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
