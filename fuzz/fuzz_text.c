/*
 * fuzz_text.c - decoding and cleaning text (core/text.c): byte-order
 * marks, UTF-16, Windows-1252, invalid UTF-8, normalisation; then the
 * plain-text and source-code extractors on the same bytes. Checks what
 * text.h promises: decoded and normalised text is valid UTF-8, and the
 * word scanner's words lie inside the text.
 */
#include "fuzz/fuzz.h"
#include "core/error.h"
#include "ingest/extract.h"
#include "ingest/extract_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *enc = NULL;
	dbuf out = DBUF_INIT, fold = DBUF_INIT;
	extract_params p = extract_default_params();
	doc d;

	if (text_decode(s, size, &out, &enc) == 0) {
		FUZZ_CHECK(enc != NULL);
		FUZZ_CHECK(text_utf8_valid(out.data ? out.data : "", out.len));
	}
	dbuf_reset(&out);
	if (text_normalize(s, size, &out) == 0)
		FUZZ_CHECK(text_utf8_valid(out.data ? out.data : "", out.len));
	if (text_casefold(s, size, &fold) == 0)
		FUZZ_CHECK(text_utf8_valid(fold.data ? fold.data : "", fold.len));

	size_t pos = 0, a, b, words = 0;
	while (text_next_word(s, size, pos, &a, &b)) {
		FUZZ_CHECK(a >= pos && a < b && b <= size);
		pos = b;
		words++;
	}
	FUZZ_CHECK(words == text_count_words(s, size));
	for (size_t i = 0; i <= size && i < 64; i++) {
		FUZZ_CHECK(text_utf8_floor(s, size, i) <= i);
	}
	FUZZ_CHECK(text_utf8_whole(s, size) <= size);
	text_looks_binary(s, size);
	text_utf16_unmarked(s, size);

	doc_init(&d);
	if (extract_text.extract(&p, s, size, &d) == 0)
		fuzz_doc_check(&d);
	doc_free(&d);
	doc_init(&d);
	if (extract_code.extract(&p, s, size, &d) == 0)
		fuzz_doc_check(&d);
	doc_free(&d);
	dbuf_free(&out);
	dbuf_free(&fold);
	docent_error_clear();
	return 0;
}
