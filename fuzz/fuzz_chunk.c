/*
 * fuzz_chunk.c - the chunker (ingest/chunk.c) on docs of any shape. The
 * input is a doc written compactly: its first two bytes choose the target
 * and overlap sizes, then records separated by 0x1e, each a kind/level
 * byte followed by the block's text (doc_add cleans it, as the extractors'
 * text is). Checks what chunk.h promises: chunks are non-empty slices of
 * the text, in order, that start at or after the previous one, with
 * headings that are valid UTF-8.
 */
#include "fuzz/fuzz.h"
#include "core/error.h"
#include "ingest/chunk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	chunk_params p = chunk_default_params();
	chunk_list l = {0};
	doc d;

	if (size < 2)
		return 0;
	/* small targets reach the sentence and word splitting with short input */
	p.target_tokens = 1 + data[0] % 64;
	p.overlap_tokens = data[1] % (p.target_tokens + 1);
	data += 2, size -= 2;

	doc_init(&d);
	const char *s = (const char *)data, *end = s + size;
	int page = 0;
	while (s < end) {
		const char *r = memchr(s, 0x1e, (size_t)(end - s));
		size_t n = r ? (size_t)(r - s) : (size_t)(end - s);
		if (n > 0) {
			unsigned char k = (unsigned char)s[0];
			if (k & 0x80)
				page++;
			if (doc_add(&d, (doc_block_kind)(1 + (k & 3)), 1 + (k >> 2 & 7) % 6, page,
				    s + 1, n - 1))
				goto done;
		}
		s += n + 1;
	}
	d.npages = page;
	if (d.nblocks)
		fuzz_doc_check(&d);

	int rc = chunk_doc(&p, &d, &l);
	if (p.overlap_tokens >= p.target_tokens) {
		FUZZ_CHECK(rc == DOCENT_EINVAL);
	} else {
		FUZZ_CHECK(rc == 0);
	}
	for (size_t i = 0; i < l.n; i++) {
		const chunk *c = &l.items[i];
		FUZZ_CHECK(c->len > 0 && c->off + c->len <= d.text.len);
		FUZZ_CHECK(i == 0 || c->off >= l.items[i - 1].off);
		FUZZ_CHECK(text_utf8_floor(d.text.data, d.text.len, c->off) == c->off);
		FUZZ_CHECK(c->page_start <= c->page_end);
		if (c->heading)
			FUZZ_CHECK(text_utf8_valid(c->heading, strlen(c->heading)));
	}
done:
	chunk_list_free(&l);
	doc_free(&d);
	docent_error_clear();
	return 0;
}
