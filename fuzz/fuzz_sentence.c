/*
 * fuzz_sentence.c - the sentence splitter (ingest/sentence.c, PCRE2) on
 * any text: the ends it returns are increasing offsets inside the text,
 * on character boundaries, the last one at the end of the non-space
 * content. Input that is not valid UTF-8 is cleaned first, as every text
 * that reaches the splitter is.
 */
#include "fuzz/fuzz.h"
#include "core/error.h"
#include "ingest/sentence.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dbuf t = DBUF_INIT;
	size_t *ends = NULL, count = 0;

	if (text_normalize((const char *)data, size, &t) || !t.data)
		goto done;
	if (sentence_split(t.data, t.len, &ends, &count) != 0)
		goto done;
	size_t last = t.len;
	while (last > 0 && (t.data[last - 1] == ' ' || t.data[last - 1] == '\t' ||
			    t.data[last - 1] == '\n'))
		last--;
	for (size_t i = 0; i < count; i++) {
		FUZZ_CHECK(ends[i] <= t.len);
		FUZZ_CHECK(i == 0 || ends[i] > ends[i - 1]);
		FUZZ_CHECK(text_utf8_floor(t.data, t.len, ends[i]) == ends[i]);
	}
	if (count)
		FUZZ_CHECK(ends[count - 1] == last);
done:
	free(ends);
	dbuf_free(&t);
	docent_error_clear();
	return 0;
}
