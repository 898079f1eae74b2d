/*
 * test_jsontext.c - JSON strings from any bytes: the jansson values and the
 * text writers agree, and what the writers write reads back as written.
 */
#include "tests/testutil.h"

#include "core/buf.h"
#include "core/jsontext.h"

/* s written by jsontext_append, read back by jansson */
static char *append_roundtrip(const char *s)
{
	dbuf b = DBUF_INIT;
	json_error_t err;
	json_t *v;
	char *out;

	assert_int_equal(jsontext_append(&b, s), 0);
	v = json_loadb(b.data, b.len, JSON_DECODE_ANY, &err);
	assert_non_null(v);
	out = json_is_null(v) ? NULL : strdup(json_string_value(v));
	json_decref(v);
	dbuf_free(&b);
	return out;
}

static void test_jsontext__append_escapes(void **state)
{
	const char *cases[] = { "", "plain", "quote \" and backslash \\", "tab\tline\nret\r",
				"\x01\x1f control", "Grüße — 😀", "</script>" };

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char *back = append_roundtrip(cases[i]);
		assert_string_equal(back, cases[i]);
		free(back);
	}
	assert_null(append_roundtrip(NULL));
}

static void test_jsontext__append_matches_new(void **state)
{
	/* invalid bytes: the same U+FFFD text as jsontext_new() */
	const char *s = "caf\xE9 \xFF\xFE ok \xC3";
	json_t *v = jsontext_new(s);
	char *back = append_roundtrip(s);

	assert_non_null(v);
	assert_string_equal(back, json_string_value(v));
	assert_non_null(strstr(back, "\xEF\xBF\xBD"));
	json_decref(v);
	free(back);
}

static void test_jsontext__append_path(void **state)
{
	const char *paths[] = { "/docs/a.txt", "/docs/caf\xE9.txt" };

	for (size_t i = 0; i < 2; i++) {
		dbuf b = DBUF_INIT;
		json_t *want = json_object(), *got;
		char *wtext, *gtext;

		assert_int_equal(dbuf_putc(&b, '{'), 0);
		assert_int_equal(jsontext_append_path(&b, "path", paths[i]), 0);
		assert_int_equal(dbuf_putc(&b, '}'), 0);
		got = json_loadb(b.data, b.len, 0, NULL);
		assert_non_null(got);
		assert_int_equal(jsontext_set_path(want, "path", paths[i]), 0);
		wtext = json_dumps(want, JSON_SORT_KEYS | JSON_COMPACT);
		gtext = json_dumps(got, JSON_SORT_KEYS | JSON_COMPACT);
		assert_string_equal(gtext, wtext);
		/* only the second has its bytes */
		assert_int_equal(json_object_get(got, "path_bytes") != NULL, i == 1);
		free(wtext);
		free(gtext);
		json_decref(want);
		json_decref(got);
		dbuf_free(&b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jsontext__append_escapes),
		cmocka_unit_test(test_jsontext__append_matches_new),
		cmocka_unit_test(test_jsontext__append_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
