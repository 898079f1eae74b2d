/*
 * test_text.c - decoding, normalisation and the word scanner.
 */
#include "tests/testutil.h"

#include "core/buf.h"
#include "core/error.h"
#include "core/hash.h"
#include "core/text.h"

static void test_text__utf8_passes_through(void **state)
{
	dbuf b = DBUF_INIT;
	const char *enc;
	const char *s = "Grüße, café — naïve";

	assert_int_equal(text_decode(s, strlen(s), &b, &enc), 0);
	assert_string_equal(enc, "utf-8");
	assert_string_equal(b.data, s);
	dbuf_free(&b);
}

static void test_text__bom_stripped(void **state)
{
	dbuf b = DBUF_INIT;
	const char *enc;

	assert_int_equal(text_decode("\xEF\xBB\xBFhello", 8, &b, &enc), 0);
	assert_string_equal(b.data, "hello");
	dbuf_free(&b);
}

static void test_text__utf16le_and_be(void **state)
{
	dbuf b = DBUF_INIT;
	const char *enc;
	/* "hé" + U+1F600 (a surrogate pair) */
	const char le[] = "\xFF\xFEh\0\xE9\0\x3D\xD8\x00\xDE";
	const char be[] = "\xFE\xFF\0h\0\xE9\xD8\x3D\xDE\x00";

	assert_int_equal(text_decode(le, sizeof le - 1, &b, &enc), 0);
	assert_string_equal(enc, "utf-16le");
	assert_string_equal(b.data, "h\xC3\xA9\xF0\x9F\x98\x80");
	dbuf_reset(&b);
	assert_int_equal(text_decode(be, sizeof be - 1, &b, &enc), 0);
	assert_string_equal(enc, "utf-16be");
	assert_string_equal(b.data, "h\xC3\xA9\xF0\x9F\x98\x80");
	dbuf_free(&b);
}

static void test_text__windows_1252(void **state)
{
	dbuf b = DBUF_INIT;
	const char *enc;
	const char s[] = "caf\xE9 \x93quoted\x94 \x80";

	assert_int_equal(text_decode(s, sizeof s - 1, &b, &enc), 0);
	assert_string_equal(enc, "windows-1252");
	assert_string_equal(b.data, "café “quoted” €");
	dbuf_free(&b);
}

/* A UTF-8 file with one damaged byte stays UTF-8 (not garbled as 1252). */
static void test_text__damaged_utf8_stays_utf8(void **state)
{
	dbuf b = DBUF_INIT;
	dbuf in = DBUF_INIT;
	const char *enc;

	for (int i = 0; i < 30; i++)
		dbuf_puts(&in, "café ");
	dbuf_puts(&in, "bad\xFF byte");
	assert_int_equal(text_decode(in.data, in.len, &b, &enc), 0);
	assert_string_equal(enc, "utf-8");
	assert_non_null(strstr(b.data, "café café"));
	assert_non_null(strstr(b.data, "bad\xEF\xBF\xBD byte"));
	assert_true(text_utf8_valid(b.data, b.len));
	dbuf_free(&b);
	dbuf_free(&in);
}

/* UTF-16 without a byte-order mark is named, not called binary. */
static void test_text__utf16_unmarked(void **state)
{
	static const char le[] = "H\0e\0l\0l\0o\0 \0n\0a\0r\0w\0h\0a\0l\0\n\0";
	static const char be[] = "\0H\0e\0l\0l\0o\0 \0q\0u\0o\0k\0k\0a\0\n";
	static const char bin[] = "\x7f" "ELF\2\1\1\0\0\0\0\0\0\0\0\0\3\0>\0";
	dbuf out = DBUF_INIT;

	assert_string_equal(text_utf16_unmarked(le, sizeof le - 1), "UTF-16LE");
	assert_string_equal(text_utf16_unmarked(be, sizeof be - 1), "UTF-16BE");
	assert_null(text_utf16_unmarked(bin, sizeof bin - 1));
	assert_null(text_utf16_unmarked("plain text", 10));
	assert_int_equal(text_decode(le, sizeof le - 1, &out, NULL), DOCENT_EUNSUPPORTED);
	assert_non_null(strstr(docent_error_message(), "UTF-16LE text without a byte-order mark"));
	assert_int_equal(text_decode(bin, sizeof bin - 1, &out, NULL), DOCENT_EUNSUPPORTED);
	assert_non_null(strstr(docent_error_message(), "binary"));
	dbuf_free(&out);
}

static void test_text__binary_refused(void **state)
{
	dbuf b = DBUF_INIT;
	const char s[] = "\x7F" "ELF\x02\x01\x01\0\0\0\0";

	assert_int_equal(text_decode(s, sizeof s - 1, &b, NULL), DOCENT_EUNSUPPORTED);
	assert_true(strstr(docent_error_message(), "binary") != NULL);
	dbuf_free(&b);
}

static void test_text__normalize_repairs(void **state)
{
	dbuf b = DBUF_INIT;
	/* invalid byte, overlong, surrogate, CRLF, control, soft hyphen, BOM */
	const char s[] = "a\xFF" "b\xC0\xAF" "c\xED\xA0\x80" "d\r\ne\x01" "f\xC2\xAD" "g\xEF\xBB\xBFh";

	assert_int_equal(text_normalize(s, sizeof s - 1, &b), 0);
	assert_true(text_utf8_valid(b.data, b.len));
	assert_non_null(strstr(b.data, "d\ne"));
	assert_null(strchr(b.data, '\r'));
	assert_null(strchr(b.data, '\x01'));
	assert_non_null(strstr(b.data, "fg"));
	assert_non_null(strstr(b.data, "gh"));
	dbuf_free(&b);
}

static void test_text__nfc(void **state)
{
	dbuf b = DBUF_INIT;
	/* e + combining acute -> é */
	assert_int_equal(text_normalize("cafe\xCC\x81", 6, &b), 0);
	assert_string_equal(b.data, "caf\xC3\xA9");
	dbuf_free(&b);
}

/* A large text is composed a piece (1 MiB) at a time, cut before an ASCII
 * byte: an "e" and its combining accent on either side of a cut point, a
 * long run without ASCII, and the pieces' seams all come out composed. */
static void test_text__nfc_pieces(void **state)
{
	size_t n = 3u << 20, i;
	char *s = malloc(n);
	dbuf b = DBUF_INIT;

	(void)state;
	assert_non_null(s);
	for (i = 0; i + 3 <= n; i += 3)
		memcpy(s + i, "e\xCC\x81", 3); /* e + U+0301: 3 bytes, 2 bytes composed */
	for (; i < n; i++)
		s[i] = 'x';
	assert_int_equal(text_normalize(s, n, &b), 0);
	assert_int_equal(b.len, n / 3 * 2 + n % 3);
	for (i = 0; i + 2 <= n / 3 * 2; i += 2)
		if (memcmp(b.data + i, "\xC3\xA9", 2) != 0)
			fail_msg("not composed at byte %zu", i);
	dbuf_free(&b);
	/* no ASCII at all for more than a piece: composed whole */
	s[0] = 'e';
	for (i = 1; i + 2 <= n; i += 2)
		memcpy(s + i, "\xCC\x81", 2);
	assert_int_equal(text_normalize(s, i, &b), 0);
	assert_true(b.len > 0 && memcmp(b.data, "\xC3\xA9", 2) == 0);
	dbuf_free(&b);
	free(s);
}

static void test_text__words(void **state)
{
	const char *s = "Hello, wörld! 3.14 e-mail 日本語";
	size_t a, e, pos = 0, n = 0;
	char words[8][32];

	while (n < 8 && text_next_word(s, strlen(s), pos, &a, &e)) {
		snprintf(words[n++], sizeof words[0], "%.*s", (int)(e - a), s + a);
		pos = e;
	}
	assert_int_equal(n, 7);
	assert_string_equal(words[0], "Hello");
	assert_string_equal(words[1], "wörld");
	assert_string_equal(words[2], "3");
	assert_string_equal(words[3], "14");
	assert_string_equal(words[6], "日本語");
	assert_int_equal(text_count_words(s, strlen(s)), 7);
	assert_int_equal(text_count_words("", 0), 0);
	assert_int_equal(text_count_words("  ,;  ", 6), 0);
	/* the one-pass count agrees with text_next_word everywhere */
	static const char *const samples[] = {
		"a\xcc\x81" "b c", "x\xc2\xa0y", "\xc3\xa9-\xc3\xa8 z9", "bad \xff\xfe utf8 \xe2\x82",
		"\xe2\x85\xa0 roman, \xc2\xb2 squared", "__init__ 3.14", "tail\xe6\x97",
	};
	for (size_t i = 0; i < sizeof samples / sizeof *samples; i++) {
		size_t len = strlen(samples[i]), expect = 0;
		for (pos = 0; text_next_word(samples[i], len, pos, &a, &e); pos = e)
			expect++;
		assert_int_equal(text_count_words(samples[i], len), expect);
	}
}

static void test_text__casefold_and_floor(void **state)
{
	dbuf b = DBUF_INIT;
	assert_int_equal(text_casefold("ÉCOLE Straße", strlen("ÉCOLE Straße"), &b), 0);
	assert_string_equal(b.data, "école straße");
	/* "é" is two bytes: position 1 is inside it */
	assert_int_equal(text_utf8_floor("é!", 3, 1), 0);
	assert_int_equal(text_utf8_floor("é!", 3, 2), 2);
	dbuf_free(&b);
}

static void test_text__sha256(void **state)
{
	char hex[65];
	hash_ctx *h;

	hash_sha256_hex("abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(hash_new(&h), 0);
	hash_update(h, "a", 1);
	hash_update(h, "bc", 2);
	hash_final_hex(h, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	hash_free(h);
	hash_free(NULL);
}

static void test_text__errors(void **state)
{
	assert_int_equal(docent_error_set(DOCENT_EIO, "reading %s", "x.pdf"), DOCENT_EIO);
	assert_string_equal(docent_error_message(), "reading x.pdf");
	docent_error_wrap(DOCENT_EIO, "ingest");
	assert_string_equal(docent_error_message(), "ingest: reading x.pdf");
	assert_string_equal(docent_strerror(DOCENT_ENOMEM), "out of memory");
	assert_string_equal(docent_strerror(-999), "unknown error");
	docent_error_clear();
	assert_string_equal(docent_error_message(), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text__utf8_passes_through),
		cmocka_unit_test(test_text__bom_stripped),
		cmocka_unit_test(test_text__utf16le_and_be),
		cmocka_unit_test(test_text__windows_1252),
		cmocka_unit_test(test_text__damaged_utf8_stays_utf8),
		cmocka_unit_test(test_text__binary_refused),
		cmocka_unit_test(test_text__normalize_repairs),
		cmocka_unit_test(test_text__nfc_pieces),
		cmocka_unit_test(test_text__nfc),
		cmocka_unit_test(test_text__words),
		cmocka_unit_test(test_text__casefold_and_floor),
		cmocka_unit_test(test_text__sha256),
		cmocka_unit_test(test_text__errors),
		cmocka_unit_test(test_text__utf16_unmarked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
