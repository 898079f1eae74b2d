/*
 * extract_int.h - what the extractors share and nothing outside ingest/
 * needs: the extractor objects, the one-time libxml2 set-up, a way to keep
 * libxml2 quiet during a parse, zip entry reading under the unpack budget,
 * and the HTML walker that Markdown reuses for its raw HTML blocks.
 */
#ifndef DOCENT_INGEST_EXTRACT_INT_H
#define DOCENT_INGEST_EXTRACT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "ingest/doc.h"
#include "ingest/extract.h"

extern const extractor extract_pdf;
extern const extractor extract_docx;
extern const extractor extract_odt;
extern const extractor extract_html;
extern const extractor extract_markdown;
extern const extractor extract_csv;
extern const extractor extract_code;
extern const extractor extract_text;

/* Calls xmlInitParser() once per process (it is not safe to race). */
void extract_xml_init(void);

/*
 * libxml2 reports some errors through per-thread global handlers that print
 * to stderr by default. xml_quiet_begin() installs silent ones for the
 * calling thread and xml_quiet_end() puts the previous ones back.
 */
typedef struct xml_quiet {
	void *generic;
	void *generic_ctx;
	void *structured;
	void *structured_ctx;
} xml_quiet;

void xml_quiet_begin(xml_quiet *q);
void xml_quiet_end(const xml_quiet *q);

/* Non-zero when an XML document's prolog declares a DTD (<!DOCTYPE or
 * <!ENTITY before the root element). Office parts never do; one that does
 * is refused so entity tricks (XXE, billion laughs) never reach a parser. */
int xml_has_dtd(const char *xml, size_t n);

/* Non-zero when xml[0..n) ends before the root element starts (all of it
 * prolog): a prefix of a part that cannot be judged by xml_has_dtd(). */
int xml_prolog_open(const char *xml, size_t n);

/* Appends the code point to b as UTF-8 (invalid ones as U+FFFD). */
int extract_put_cp(dbuf *b, unsigned cp);

/*
 * Appends the HTML in html[0..n) (a whole page or a fragment, UTF-8) to d
 * as blocks, with the same rules as the HTML extractor. `title` (may be
 * NULL) receives the <title> or first <h1> text, allocated (free()).
 */
int extract_html_blocks(const char *html, size_t n, const char *encoding, doc *d, char **title);

/* What a zip archive holds, judged by its entries (extract_office.c). */
enum zip_kind {
	ZIP_KIND_NOT_ZIP = 0, /* no zip magic */
	ZIP_KIND_BROKEN,      /* zip magic, but libzip cannot open it */
	ZIP_KIND_OTHER,       /* a zip, but not a document docent reads */
	ZIP_KIND_DOCX,
	ZIP_KIND_ODT,
};
int extract_zip_kind(const char *data, size_t n);

/* Drops empty cells at the end of the table row that starts at row->data
 * + start (" | " separators and spaces), so "a | b |  | " becomes "a | b". */
void extract_trim_row(dbuf *row, size_t start);

/* Splits text[0..n) at blank lines and adds each piece as a block of `kind`;
 * pieces longer than max_block bytes are cut at a line end. */
int extract_add_paragraphs(doc *d, doc_block_kind kind, int page, const char *text, size_t n);

#endif
