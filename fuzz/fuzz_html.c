/*
 * fuzz_html.c - HTML pages: any bytes given to the html extractor (ingest/extract_html.c, libxml2's HTML parser) end
 * in a doc that keeps doc.h's invariants or in an error code, never a
 * crash, a leak or undefined behaviour.
 */
#include "fuzz/fuzz.h"
#include "core/error.h"
#include "ingest/extract.h"
#include "ingest/extract_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	extract_params p = extract_default_params();
	doc d;

	p.max_unpacked_bytes = 16u << 20;
	doc_init(&d);
	if (extract_html.extract(&p, (const char *)data, size, &d) == 0)
		fuzz_doc_check(&d);
	doc_free(&d);
	docent_error_clear();
	return 0;
}
