/*
 * test_source.c - a document's text around a passage (rag/source.h), put
 * back together from overlapping chunks with gaps: exact offsets, context
 * cut at word starts, the size limit, whole UTF-8 characters, pages, and
 * the errors (no such document, a start past the end, a failed document).
 */
#include "tests/index/store_fixture.h"

#include "core/error.h"
#include "core/text.h"
#include "rag/source.h"

/* "Alpha beta gamma. Delta epsilon." | gap "\n\n" | "Zeta eta théta iota." with the
 * two first chunks overlapping on "Delta" */
static const char TEXT[] = "Alpha beta gamma. Delta epsilon.\n\nZeta eta th\xc3\xa9ta iota.";

static int64_t put_doc(fx *f)
{
	size_t a_end = strlen("Alpha beta gamma. Delta"), b_start = strlen("Alpha beta gamma. ");
	size_t b_end = strlen("Alpha beta gamma. Delta epsilon."), c_start = b_end + 2;
	store_chunk_in ch[3] = {
		{ .text = TEXT, .len = a_end, .start_byte = 0, .end_byte = a_end, .page_start = 1,
		  .page_end = 1 },
		{ .text = TEXT + b_start, .len = b_end - b_start, .start_byte = b_start,
		  .end_byte = b_end, .page_start = 1, .page_end = 2 },
		{ .text = TEXT + c_start, .len = strlen(TEXT) - c_start, .start_byte = c_start,
		  .end_byte = strlen(TEXT), .page_start = 3, .page_end = 3 },
	};
	store_doc_in in = { .path = "/docs/greek.txt", .hash = "greek", .title = "Letters",
			    .format = "text", .text_bytes = (int64_t)strlen(TEXT), .npages = 3,
			    .chunks = ch, .nchunks = 3 };
	store_put_result r;
	assert_int_equal(store_doc_put(f->s, f->coll, &in, &r), 0);
	free(r.duplicate_of);
	return r.doc_id;
}

static void test_source__whole_text(void **state)
{
	fx *f = *state;
	source_params p = source_default_params();
	source_text t;
	char id[32];

	snprintf(id, sizeof id, "%lld", (long long)put_doc(f));
	p.end = 1000;
	assert_int_equal(source_read(f->s, NULL, id, &p, &t), 0);
	assert_string_equal(t.text, TEXT);
	assert_int_equal(t.start_byte, 0);
	assert_int_equal(t.end_byte, (int64_t)strlen(TEXT));
	assert_int_equal(t.text_bytes, (int64_t)strlen(TEXT));
	assert_string_equal(t.path, "/docs/greek.txt");
	assert_string_equal(t.collection, "default");
	assert_string_equal(t.title, "Letters");
	assert_int_equal(t.page_start, 1);
	assert_int_equal(t.page_end, 3);
	source_text_free(&t);
	source_text_free(NULL);
}

static void test_source__passage_and_context(void **state)
{
	fx *f = *state;
	source_params p = source_default_params();
	source_text t;
	const char *delta = strstr(TEXT, "Delta"), *zeta = strstr(TEXT, "Zeta");

	put_doc(f);
	/* the passage alone, by path */
	p.start = delta - TEXT;
	p.end = p.start + 5;
	p.context = 0;
	assert_int_equal(source_read(f->s, "default", "/docs/greek.txt", &p, &t), 0);
	assert_string_equal(t.text, "Delta");
	assert_int_equal(t.start_byte, delta - TEXT);
	assert_int_equal(t.page_start, 1);
	source_text_free(&t);

	/* context: cut at word starts, across the gap no chunk holds */
	p.start = zeta - TEXT;
	p.end = p.start + 4;
	p.context = 12;
	assert_int_equal(source_read(f->s, NULL, "/docs/greek.txt", &p, &t), 0);
	assert_string_equal(t.text, "epsilon.\n\nZeta eta th\xc3\xa9ta");
	assert_int_equal(t.start_byte, strstr(TEXT, "epsilon") - TEXT);
	source_text_free(&t);
}

static void test_source__limits_and_characters(void **state)
{
	fx *f = *state;
	source_params p = source_default_params();
	source_text t;
	const char *e = strstr(TEXT, "\xc3\xa9");

	put_doc(f);
	/* a range that starts and ends inside "é" comes back without it */
	p.start = (e - TEXT) + 1;
	p.end = p.start + 1;
	p.context = 0;
	assert_int_equal(source_read(f->s, NULL, "/docs/greek.txt", &p, &t), 0);
	assert_true(text_utf8_valid(t.text, strlen(t.text)));
	assert_string_equal(t.text, "");
	source_text_free(&t);

	/* max_bytes keeps the passage's start */
	p.start = 6;
	p.end = 40;
	p.context = 100;
	p.max_bytes = 10;
	assert_int_equal(source_read(f->s, NULL, "/docs/greek.txt", &p, &t), 0);
	assert_string_equal(t.text, "beta gamma");
	assert_int_equal(t.start_byte, 6);
	source_text_free(&t);
}

static void test_source__errors(void **state)
{
	fx *f = *state;
	source_params p = source_default_params();
	source_text t;
	int64_t coll2;

	put_doc(f);
	assert_int_equal(source_read(f->s, NULL, "/docs/none.txt", &p, &t), DOCENT_ENOTFOUND);
	assert_null(t.text);
	assert_int_equal(source_read(f->s, "nope", "/docs/greek.txt", &p, &t), DOCENT_ENOTFOUND);
	p.start = 5000;
	assert_int_equal(source_read(f->s, NULL, "/docs/greek.txt", &p, &t), DOCENT_EINVAL);
	assert_non_null(strstr(docent_error_message(), "bytes"));
	p.start = -1;
	assert_int_equal(source_read(f->s, NULL, "/docs/greek.txt", &p, &t), DOCENT_EINVAL);
	p.start = 0;
	assert_int_equal(store_doc_fail(f->s, f->coll, "/docs/locked.pdf", 10, 0,
					"the PDF is encrypted"), 0);
	assert_int_equal(source_read(f->s, NULL, "/docs/locked.pdf", &p, &t), DOCENT_EEMPTY);
	assert_non_null(strstr(docent_error_message(), "encrypted"));
	/* a path in two collections needs one named */
	assert_int_equal(store_collection_id(f->s, "two", 1, &coll2), 0);
	put_text(f->s, coll2, "/docs/greek.txt", "Other text.");
	assert_int_equal(source_read(f->s, NULL, "/docs/greek.txt", &p, &t), DOCENT_EINVAL);
	assert_int_equal(source_read(f->s, "two", "/docs/greek.txt", &p, &t), 0);
	assert_string_equal(t.text, "Other text.");
	source_text_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_source__whole_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_source__passage_and_context, setup, teardown),
		cmocka_unit_test_setup_teardown(test_source__limits_and_characters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_source__errors, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
