/*
 * test_clean.c - the cleaner: dehyphenation, white space per block kind,
 * running headers and footers of paged documents, redaction (built-in and
 * raw patterns, title included), pattern errors, and one cleaner shared by
 * several threads.
 */
#include "tests/testutil.h"

#include "core/error.h"
#include "ingest/clean.h"
#include "ingest/doc.h"

#include <pthread.h>

static void add(doc *d, doc_block_kind kind, int page, const char *text)
{
	assert_int_equal(doc_add(d, kind, kind == DOC_HEADING ? 1 : 0, page, text, strlen(text)), 0);
}

/* Block i's text as a C string (static buffer). */
static const char *block(const doc *d, size_t i)
{
	static char buf[4096];
	assert_true(i < d->nblocks);
	snprintf(buf, sizeof buf, "%.*s", (int)d->blocks[i].len, doc_block_text(d, i));
	return buf;
}

/* Cleans `in` into `out` with p (NULL: defaults) and checks the doc's
 * layout invariants: each block followed by a blank line, no gaps. */
static void clean(const clean_params *p, const doc *in, doc *out)
{
	clean_params def = clean_default_params();
	cleaner *c;

	assert_int_equal(cleaner_new(&c, p ? p : &def), 0);
	doc_init(out);
	assert_int_equal(cleaner_run(c, in, out), 0);
	cleaner_free(c);
	for (size_t i = 0, at = 0; i < out->nblocks; i++) {
		assert_int_equal(out->blocks[i].off, at);
		assert_memory_equal(out->text.data + at + out->blocks[i].len, "\n\n", 2);
		at += out->blocks[i].len + 2;
	}
}

static void test_clean_dehyphenate__joins_words_at_line_ends(void **state)
{
	doc in, out;

	doc_init(&in);
	add(&in, DOC_PARA, 0, "The infor-\nmation is well-known and state-  \n  of-the-art.\nAnti-\nAmerican stays.");
	add(&in, DOC_HEADING, 0, "Data pro-\ncessing");
	add(&in, DOC_PRE, 0, "x = a-\nb");
	clean(NULL, &in, &out);
	assert_int_equal(out.nblocks, 3);
	assert_string_equal(block(&out, 0),
			    "The information is well-known and stateof-the-art. Anti- American stays.");
	assert_string_equal(block(&out, 1), "Data processing");
	assert_string_equal(block(&out, 2), "x = a-\nb"); /* code keeps its lines */
	doc_free(&out);

	clean_params p = clean_default_params();
	p.dehyphenate = 0;
	clean(&p, &in, &out);
	assert_string_equal(block(&out, 1), "Data pro- cessing");
	doc_free(&out);
	doc_free(&in);
}

static void test_clean_whitespace__per_block_kind(void **state)
{
	doc in, out;

	doc_init(&in);
	add(&in, DOC_PARA, 0, "Lines  of\n\n a\tparagraph\u00a0here\n end");
	add(&in, DOC_HEADING, 0, "A   heading\nover two lines");
	add(&in, DOC_TABLE, 0, "Name  |  Age   \n\n\n\n   Ann\t| 31  \nBob | 42");
	add(&in, DOC_PRE, 0, "int main() {   \n\n\n\n    return 0;\t\n}");
	clean(NULL, &in, &out);
	assert_int_equal(out.nblocks, 4);
	assert_string_equal(block(&out, 0), "Lines of a paragraph here end");
	assert_string_equal(block(&out, 1), "A heading over two lines");
	assert_string_equal(block(&out, 2), "Name | Age\n\nAnn | 31\nBob | 42");
	assert_string_equal(block(&out, 3), "int main() {\n\n    return 0;\n}");
	assert_int_equal(out.blocks[2].kind, DOC_TABLE);
	assert_int_equal(out.blocks[1].level, 1);
	doc_free(&out);

	clean_params p = clean_default_params();
	p.collapse_whitespace = 0;
	clean(&p, &in, &out);
	assert_string_equal(block(&out, 0), "Lines  of\n\n a\tparagraph\u00a0here\n end");
	doc_free(&out);
	doc_free(&in);
}

/* The cleaner skips plain text in C before handing PCRE2 a possible match
 * (clean.c: skip_ws_para, skip_dehyph); every white space and hyphen form
 * the patterns know must still be found, wherever it sits in the text. */
static void test_clean_whitespace__unicode_and_control_spaces(void **state)
{
	doc in, out;

	doc_init(&in);
	add(&in, DOC_PARA, 0, "a \u00a0b\u3000c\u2009 d\re\vf\fg \xc2\x85h  ");
	add(&in, DOC_PARA, 0, "plain text then a line\nbreak at the very end\n");
	add(&in, DOC_PARA, 0, "A non\u2010\n  breaking hy-\nphen, a dash - here, and\u2011\nnot");
	add(&in, DOC_PARA, 0, "caf\u00e9 na\u00efve \u00e9t\u00e9  x");
	clean(NULL, &in, &out);
	assert_int_equal(out.nblocks, 4);
	/* doc_add drops the other control characters (VT, FF) */
	assert_string_equal(block(&out, 0), "a b c d efg h");
	assert_string_equal(block(&out, 1), "plain text then a line break at the very end");
	assert_string_equal(block(&out, 2),
			    "A nonbreaking hyphen, a dash - here, and\u2011 not");
	assert_string_equal(block(&out, 3), "caf\u00e9 na\u00efve \u00e9t\u00e9 x");
	doc_free(&out);
	doc_free(&in);
}

/* Five pages with a running header and footer in every shape an extractor
 * gives them: the first line of a paragraph, a block of its own, the last
 * line of a paragraph; plus page-number blocks and a line on 2 pages only. */
/* Page bodies differ, as real ones do (with digits alone differing they
 * would normalise to one repeated line). */
static const char *const bodies[6] = {
	"Revenue rose 12% on strong demand.", "Costs fell in the second half.",
	"Two new plants opened in 2023.", "Staff grew to 1,200 people.",
	"The outlook for next year is stable.", "Notes to the accounts follow.",
};

static void make_report(doc *d, int pages)
{
	char buf[512];

	doc_init(d);
	for (int p = 1; p <= pages; p++) {
		if (p % 2)
			snprintf(buf, sizeof buf, "ACME Corp \u2014 Annual Report\nSection %d opens here.", p);
		else
			snprintf(buf, sizeof buf, "ACME  Corp \u2014 Annual Report");
		add(d, DOC_PARA, p, buf);
		if (p == 2)
			add(d, DOC_PARA, p, "Confidential draft\nPage two body. ACME Corp \u2014 Annual Report is quoted.");
		else if (p == 4)
			add(d, DOC_PARA, p, "Confidential draft\nPage four body.");
		else if (p % 2 == 0)
			add(d, DOC_PARA, p, "Even page body.");
		add(d, DOC_PARA, p, bodies[p - 1]);
		if (p == 3) {
			add(d, DOC_PARA, p, "Closing words of page three.\nPage 3 of 5");
		} else {
			snprintf(buf, sizeof buf, "Page %d of %d", p, pages);
			add(d, DOC_PARA, p, buf);
		}
		if (p == 5)
			add(d, DOC_PARA, p, "- 5 -");
	}
}

static int contains(const doc *d, const char *needle)
{
	return strstr(d->text.data, needle) != NULL;
}

static void test_clean_furniture__running_header_and_footer(void **state)
{
	doc in, out;

	make_report(&in, 5);
	clean(NULL, &in, &out);
	assert_int_equal(out.npages, 5);
	/* gone: the header (but not where it is quoted), the footers, "- 5 -" */
	for (size_t i = 0; i < out.nblocks; i++) {
		const char *b = block(&out, i);
		assert_false(strncmp(b, "ACME Corp", 9) == 0);
		assert_null(strstr(b, " of 5"));
		assert_string_not_equal(b, "- 5 -");
	}
	assert_true(contains(&out, "ACME Corp \u2014 Annual Report is quoted."));
	/* kept: bodies, with their pages; the line on 2 of 5 pages */
	assert_true(contains(&out, "Section 1 opens here."));
	assert_true(contains(&out, "Closing words of page three."));
	assert_true(contains(&out, "Confidential draft Page two body."));
	assert_true(contains(&out, "Confidential draft Page four body."));
	for (int p = 1; p <= 5; p++) {
		int found = 0;
		for (size_t i = 0; i < out.nblocks; i++)
			if (strcmp(block(&out, i), bodies[p - 1]) == 0) {
				assert_int_equal(out.blocks[i].page, p);
				found = 1;
			}
		assert_true(found);
	}
	doc_free(&out);

	clean_params p = clean_default_params();
	p.drop_page_furniture = 0;
	clean(&p, &in, &out);
	assert_int_equal(out.nblocks, in.nblocks);
	doc_free(&out);
	doc_free(&in);
}

static void test_clean_furniture__needs_three_pages(void **state)
{
	doc in, out;

	make_report(&in, 2);
	clean(NULL, &in, &out);
	assert_int_equal(out.nblocks, in.nblocks);
	assert_true(contains(&out, "Page 1 of 2"));
	doc_free(&out);
	doc_free(&in);
}

static void test_clean_furniture__keeps_page_count(void **state)
{
	doc in, out;

	make_report(&in, 5);
	/* a sixth page holding only the running header and footer */
	add(&in, DOC_PARA, 6, "ACME Corp \u2014 Annual Report");
	add(&in, DOC_PARA, 6, "Page 6 of 6");
	clean(NULL, &in, &out);
	assert_int_equal(out.npages, 6);
	for (size_t i = 0; i < out.nblocks; i++)
		assert_true(out.blocks[i].page <= 5);
	doc_free(&out);
	doc_free(&in);
}

/* A header over three lines in two blocks (series, then a title on two
 * lines), as publications have it: each round of detection removes the
 * line that the previous one uncovered. Numbers at the foot go too. */
static void test_clean_furniture__multi_line_header(void **state)
{
	char num[16];
	doc in, out;

	doc_init(&in);
	for (int p = 1; p <= 4; p++) {
		add(&in, DOC_PARA, p, "FIELD SERIES 12 REV. 3");
		add(&in, DOC_PARA, p, "GUIDE TO LIGHTHOUSE\nMAINTENANCE AND REPAIR");
		add(&in, DOC_PARA, p, bodies[p - 1]);
		snprintf(num, sizeof num, "%d", p + 10);
		add(&in, DOC_PARA, p, num);
	}
	clean(NULL, &in, &out);
	assert_int_equal(out.nblocks, 4);
	for (int p = 1; p <= 4; p++) {
		assert_string_equal(block(&out, (size_t)p - 1), bodies[p - 1]);
		assert_int_equal(out.blocks[p - 1].page, p);
	}
	doc_free(&out);
	doc_free(&in);
}

/* A line at the top of most pages whose number does not follow the page
 * ("Step 3", "Section 7") is content; one whose number is the page plus a
 * fixed offset ("Harbour Review 12" on page 2, 13 on page 3) is a running
 * header, and an identical line without numbers a running footer. */
static void test_clean_furniture__numbers_must_follow_the_page(void **state)
{
	static const int steps[6] = {3, 7, 4, 9, 12, 2};
	char buf[128];
	doc in, out;

	(void)state;
	doc_init(&in);
	for (int p = 1; p <= 6; p++) {
		snprintf(buf, sizeof buf, "Harbour Review %d", p + 10);
		add(&in, DOC_PARA, p, buf);
		snprintf(buf, sizeof buf, p % 2 ? "Step %d" : "Section %d", steps[p - 1]);
		add(&in, DOC_PARA, p, buf);
		add(&in, DOC_PARA, p, bodies[p - 1]);
		add(&in, DOC_PARA, p, "Prepared for the board");
	}
	clean(NULL, &in, &out);
	for (int p = 1; p <= 6; p++) {
		snprintf(buf, sizeof buf, p % 2 ? "Step %d" : "Section %d", steps[p - 1]);
		assert_true(contains(&out, buf));
		assert_true(contains(&out, bodies[p - 1]));
	}
	assert_false(contains(&out, "Harbour Review"));
	assert_false(contains(&out, "Prepared for the board"));
	doc_free(&out);
	doc_free(&in);

	/* "Step N" alone at the top of every page, numbers not following it */
	doc_init(&in);
	for (int p = 1; p <= 6; p++) {
		snprintf(buf, sizeof buf, "Step %d\n%s", steps[p - 1], bodies[p - 1]);
		add(&in, DOC_PARA, p, buf);
	}
	clean(NULL, &in, &out);
	for (int p = 1; p <= 6; p++) {
		snprintf(buf, sizeof buf, "Step %d %s", steps[p - 1], bodies[p - 1]);
		assert_true(contains(&out, buf));
	}
	doc_free(&out);
	doc_free(&in);
}

static void test_clean_redact__builtins_and_title(void **state)
{
	static const char *const names[] = {"email", "apikey", "ipv4", "card", "re:SECRET-[0-9]+"};
	clean_params p = clean_default_params();
	doc in, out;

	p.redact = names;
	p.nredact = sizeof names / sizeof *names;
	doc_init(&in);
	assert_int_equal(doc_set_title(&in, "Notes for jane.doe@example.com"), 0);
	add(&in, DOC_PARA, 0,
	    "Write to jane.doe@example.com or bob+x@mail.example.org. "
	    "Keys: sk-proj-abcdefghijklmnopqrstuvwx, ghp_abcdefghijklmnopqrstuvwxyz0123456789, "
	    "AKIAIOSFODNN7EXAMPLE and api_key=9f86d081884c7d659a2feaa0c55ad015. "
	    "Host 192.168.10.1 serves; version 1.2.3 is fine. Ticket SECRET-42 closed.");
	add(&in, DOC_PRE, 0,
	    "OPENAI_API_KEY=0123456789abcdef0123456789\n"
	    "export AWS_SECRET_ACCESS_KEY=\"wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY\"\n"
	    "MY_TOKEN: abcdefghijklmnopqrstu\n"
	    "token_count=12345678901234567890 and the_secret_sauce=abcdefghijklmnopqrst");
	add(&in, DOC_TABLE, 0, "card | 4111 1111 1111 1111\nother | 1234 5678 9012 3456\ntoken: xoxb-123456789012-abcdefghij");
	clean(&p, &in, &out);
	assert_string_equal(out.title, "Notes for [REDACTED]");
	assert_string_equal(block(&out, 0),
			    "Write to [REDACTED] or [REDACTED]. "
			    "Keys: [REDACTED], [REDACTED], [REDACTED] and api_key=[REDACTED]. "
			    "Host [REDACTED] serves; version 1.2.3 is fine. Ticket [REDACTED] closed.");
	/* names ending in a key-like word count; names only containing one do not */
	assert_string_equal(block(&out, 1),
			    "OPENAI_API_KEY=[REDACTED]\n"
			    "export AWS_SECRET_ACCESS_KEY=\"[REDACTED]\"\n"
			    "MY_TOKEN: [REDACTED]\n"
			    "token_count=12345678901234567890 and the_secret_sauce=abcdefghijklmnopqrst");
	/* a number failing the Luhn check is not a card */
	assert_string_equal(block(&out, 2),
			    "card | [REDACTED]\nother | 1234 5678 9012 3456\ntoken: [REDACTED]");
	doc_free(&out);

	p.redact_replacement = "***";
	clean(&p, &in, &out);
	assert_string_equal(out.title, "Notes for ***");
	doc_free(&out);
	doc_free(&in);

	/* a string alone: an error message quoting a document */
	cleaner *c;
	char *r;
	assert_int_equal(cleaner_new(&c, &p), 0);
	assert_int_equal(cleaner_redact(c, "line 3: bad row \"jane.doe@example.com\"", &r), 0);
	assert_string_equal(r, "line 3: bad row \"***\"");
	free(r);
	cleaner_free(c);
}

static void test_clean_redact__builtin_names(void **state)
{
	assert_non_null(clean_builtin_pattern("email"));
	assert_non_null(clean_builtin_pattern("apikey"));
	assert_non_null(clean_builtin_pattern("ipv4"));
	assert_non_null(clean_builtin_pattern("card"));
	assert_null(clean_builtin_pattern("phone"));
	assert_null(clean_builtin_pattern(NULL));
}

static void test_clean_redact__bad_pattern(void **state)
{
	static const char *const bad[] = {"email", "re:foo(bar"};
	static const char *const empty[] = {"re:x*"};
	static const char *const unknown[] = {"email", "emails"};
	clean_params p = clean_default_params();
	cleaner *c = (cleaner *)1;

	p.redact = bad;
	p.nredact = 2;
	assert_int_equal(cleaner_new(&c, &p), DOCENT_ECONFIG);
	assert_null(c);
	const char *msg = docent_error_message();
	assert_non_null(strstr(msg, "\"foo(bar\""));
	assert_non_null(strstr(msg, "missing closing parenthesis"));
	assert_non_null(strstr(msg, "offset 7"));

	p.redact = empty;
	p.nredact = 1;
	assert_int_equal(cleaner_new(&c, &p), DOCENT_ECONFIG);
	assert_non_null(strstr(docent_error_message(), "empty"));
	cleaner_free(NULL);

	/* a misspelt name is not a regex: an error that lists the names */
	p.redact = unknown;
	p.nredact = 2;
	assert_int_equal(cleaner_new(&c, &p), DOCENT_ECONFIG);
	assert_null(c);
	msg = docent_error_message();
	assert_non_null(strstr(msg, "\"emails\""));
	assert_non_null(strstr(msg, "email apikey ipv4 card"));
	assert_non_null(strstr(msg, "clean.redact_pattern"));
}

static void test_clean_run__empty_doc(void **state)
{
	doc in, out;

	doc_init(&in);
	clean(NULL, &in, &out);
	assert_int_equal(out.nblocks, 0);
	assert_null(out.title);
	doc_free(&out);
	doc_free(&in);
}

typedef struct shared_run {
	const cleaner *c;
	const doc *in;
	const char *want;
	int ok;
} shared_run;

static void *run_thread(void *arg)
{
	shared_run *r = arg;
	r->ok = 1;
	for (int k = 0; k < 20 && r->ok; k++) {
		doc out;
		doc_init(&out);
		r->ok = cleaner_run(r->c, r->in, &out) == 0 && strcmp(out.text.data, r->want) == 0;
		doc_free(&out);
	}
	return NULL;
}

static void test_clean_run__shared_by_threads(void **state)
{
	static const char *const names[] = {"email", "card"};
	clean_params p = clean_default_params();
	shared_run runs[4];
	pthread_t th[4];
	cleaner *c;
	doc in, once;

	p.redact = names;
	p.nredact = 2;
	make_report(&in, 5);
	add(&in, DOC_PARA, 5, "Mail a@b.org, card 4111-1111-1111-1111, infor-\nmation.");
	assert_int_equal(cleaner_new(&c, &p), 0);
	doc_init(&once);
	assert_int_equal(cleaner_run(c, &in, &once), 0);
	assert_true(contains(&once, "Mail [REDACTED], card [REDACTED], information."));
	for (int i = 0; i < 4; i++) {
		runs[i] = (shared_run){c, &in, once.text.data, 0};
		assert_int_equal(pthread_create(&th[i], NULL, run_thread, &runs[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_true(runs[i].ok);
	}
	cleaner_free(c);
	doc_free(&once);
	doc_free(&in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_dehyphenate__joins_words_at_line_ends),
		cmocka_unit_test(test_clean_whitespace__unicode_and_control_spaces),
		cmocka_unit_test(test_clean_whitespace__per_block_kind),
		cmocka_unit_test(test_clean_furniture__running_header_and_footer),
		cmocka_unit_test(test_clean_furniture__needs_three_pages),
		cmocka_unit_test(test_clean_furniture__keeps_page_count),
		cmocka_unit_test(test_clean_furniture__multi_line_header),
		cmocka_unit_test(test_clean_furniture__numbers_must_follow_the_page),
		cmocka_unit_test(test_clean_redact__builtins_and_title),
		cmocka_unit_test(test_clean_redact__builtin_names),
		cmocka_unit_test(test_clean_redact__bad_pattern),
		cmocka_unit_test(test_clean_run__empty_doc),
		cmocka_unit_test(test_clean_run__shared_by_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
