/*
 * extract.h - turning a file's bytes into a doc (see doc.h), one extractor
 * per format, chosen by content sniffing first and the file name second.
 *
 * Formats: plain text and source code, Markdown (md4c), HTML/XHTML (libxml2's
 * HTML parser), PDF with page numbers (poppler-glib), DOCX and ODT (libzip +
 * libxml2), CSV (libcsv). Extractors keep structure: headings become
 * DOC_HEADING blocks with their level, tables DOC_TABLE, code DOC_PRE, and
 * PDF blocks carry their page.
 *
 * Bad input gets a return code and a one-line message, never a crash:
 * DOCENT_EFORMAT (corrupt), DOCENT_EENCRYPTED, DOCENT_ETOOBIG (a zip whose
 * content would unpack past max_unpacked_bytes), DOCENT_EUNSUPPORTED
 * (binary or unknown), DOCENT_EEMPTY (no text at all).
 *
 * Extractors are stateless: extract_file() is thread-safe (each call owns
 * its doc), so files can be extracted on several threads at once.
 */
#ifndef DOCENT_INGEST_EXTRACT_H
#define DOCENT_INGEST_EXTRACT_H

#include <stddef.h>
#include <stdint.h>

#include "ingest/doc.h"

typedef struct extract_params {
	/* Cap on the bytes a container may unpack to (DOCX, ODT): the
	 * zip-bomb guard, enforced on bytes actually inflated, not on the sizes
	 * the archive claims. Default 256 MiB. */
	uint64_t max_unpacked_bytes;
	/* Cap on the number of pages read from a PDF (0: no cap). */
	int max_pages;
} extract_params;

extract_params extract_default_params(void);

/* An extractor: a small vtable. */
typedef struct extractor {
	const char *format;             /* "pdf", "markdown", ...; stored with the document */
	const char *const *extensions;  /* lower-case, without the dot; NULL-terminated */
	/* optional: non-zero when data looks like this format (magic bytes) */
	int (*sniff)(const char *data, size_t n);
	/* required: appends the document's blocks (and title) to d */
	int (*extract)(const extract_params *p, const char *data, size_t n, doc *d);
} extractor;

/*
 * Picks the extractor for a file: magic bytes first (a PDF named .txt is
 * still a PDF), then the extension, then plain text for content that is not
 * binary. Returns NULL when nothing fits (message set: what the file is).
 */
const extractor *extract_find(const char *path, const char *data, size_t n);

/*
 * Extracts data[0..n) (the bytes of the file at `path`, used only to choose
 * the format and in messages) into d, which must be initialised and empty.
 * *format receives the extractor's static format name. On failure d may hold
 * partial content; the caller frees it either way.
 */
int extract_file(const extract_params *p, const char *path, const char *data, size_t n,
		 doc *d, const char **format);

/* How many leading bytes extract_head() wants: enough for every decision
 * it makes (the binary test reads 8 KiB, the HTML sniff 4 KiB). */
#define EXTRACT_HEAD_BYTES 65536

/*
 * Judges a file from its first bytes alone, so that a file that will not be
 * read (binary, unknown, a text file that is not text) costs no more than
 * its head, whatever its size. head[0..n) are the first bytes of the file at
 * `path` (n = min(size, EXTRACT_HEAD_BYTES)). Returns 0 when the whole file
 * is to be read and extracted (always for PDF and zip archives, which are
 * judged by their whole content); otherwise the error extract_file() would
 * give for the whole file, with its message, and *skip set to 1 when no
 * extractor fits (not a document: skipped) or 0 when the one that fits
 * would refuse it (a failure).
 */
int extract_head(const char *path, const char *head, size_t n, int *skip);

/* All extractors, NULL-terminated (for `docent formats` and tests). */
const extractor *const *extract_all(void);

#endif
