/*
 * doc.h - the extracted document: what every extractor produces and what
 * the cleaner and the chunker consume.
 *
 * A doc is a sequence of blocks (headings, paragraphs, tables, preformatted
 * text) laid end to end in one text buffer, each block followed by a blank
 * line ("\n\n"), so that a block's bytes and any run of consecutive blocks are
 * contiguous slices of doc.text. Byte offsets stored with chunks point into
 * this text. doc_add() normalises what it is given (valid UTF-8, NFC, no
 * control characters; see core/text.h), so a doc never holds invalid text.
 *
 * Ownership: a doc owns its text, blocks and title; doc_free() releases them.
 * Not thread-safe; one doc per thread.
 */
#ifndef DOCENT_INGEST_DOC_H
#define DOCENT_INGEST_DOC_H

#include <stddef.h>

#include "core/buf.h"

typedef enum doc_block_kind {
	DOC_HEADING = 1, /* a section title; `level` 1 (top) to 6 */
	DOC_PARA = 2,    /* running text: line breaks inside are not meaningful */
	DOC_TABLE = 3,   /* rows on their own lines, cells separated by " | " */
	DOC_PRE = 4,     /* preformatted text or code: line breaks are kept */
} doc_block_kind;

typedef struct doc_block {
	doc_block_kind kind;
	int level;  /* heading level 1..6; 0 for other blocks */
	int page;   /* 1-based page the block starts on; 0 when the format has no pages */
	size_t off; /* first byte in doc.text */
	size_t len; /* bytes, not counting the "\n\n" after the block */
} doc_block;

typedef struct doc {
	dbuf text;
	doc_block *blocks;
	size_t nblocks;
	size_t cap;
	char *title;  /* NULL when the document names no title */
	int npages;   /* 0 when the format has no pages */
} doc;

void doc_init(doc *d);
void doc_free(doc *d);

/*
 * Normalises text[0..n), trims surrounding white space, and appends it as a
 * block. A block that is empty after trimming is not added (returns 0).
 * Returns 0 or DOCENT_ENOMEM.
 */
int doc_add(doc *d, doc_block_kind kind, int level, int page, const char *text, size_t n);

/* Replaces the title (normalised, white space collapsed); NULL clears it. */
int doc_set_title(doc *d, const char *title);

/* A pointer to block i's text, borrowed from the doc; not NUL-terminated. */
const char *doc_block_text(const doc *d, size_t i);

#endif
