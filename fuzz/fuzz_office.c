/*
 * fuzz_office.c - DOCX and ODT files (ingest/extract_office.c: libzip,
 * then libxml2 on the parts): whatever the archive holds, the extractor
 * the sniffer picks ends in a doc that keeps doc.h's invariants or in an
 * error code. The unpack budget is lowered to 16 MiB so that a zip bomb is
 * refused quickly.
 */
#include "fuzz/fuzz.h"
#include "core/error.h"
#include "ingest/extract.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	extract_params p = extract_default_params();
	const char *format = NULL;
	doc d;

	p.max_unpacked_bytes = 16u << 20;
	doc_init(&d);
	/* the name says DOCX; the zip's entries decide (an ODT is an ODT) */
	if (extract_file(&p, "fuzz.docx", (const char *)data, size, &d, &format) == 0)
		fuzz_doc_check(&d);
	doc_free(&d);
	docent_error_clear();
	return 0;
}
