/*
 * source.h - a document's text around a passage, for a reader to check a
 * search hit or a citation in its place (the MCP server's read tool; a
 * source viewer).
 *
 * The store keeps no copy of a document's whole extracted text: its chunks
 * are slices of it, overlapping a little, with the blank line after each
 * block left out when a chunk ends there. source_read() puts the asked
 * range back together from the chunks, so that its byte offsets are the
 * ones search hits and citations carry (start_byte, end_byte); the bytes no
 * chunk holds (the "\n\n" between blocks) come back as newlines. The range
 * is widened by `context` bytes each side, cut to `max_bytes`, and its ends
 * moved to character (and, in the context, word) boundaries.
 *
 * Ownership: a source_text owns its strings; source_text_free() releases
 * them. Thread-safety: that of the store handle.
 */
#ifndef DOCENT_RAG_SOURCE_H
#define DOCENT_RAG_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "index/store.h"

typedef struct source_params {
	int64_t start, end;     /* the passage: [start, end) of the document's text;
	                           end <= start reads from start (default 0, 0) */
	size_t context;         /* bytes added each side (default 600) */
	size_t max_bytes;       /* the text returned is at most this long; the
	                           passage's start is kept (default 16384) */
	int whole_chunk;        /* end <= start: the passage is the chunk that
	                           holds start, or the next one when start is
	                           between chunks (a source viewer given one offset) */
} source_params;

source_params source_default_params(void);

typedef struct source_text {
	int64_t doc_id;
	char *collection;
	char *path;
	char *title;            /* may be NULL */
	char *format;           /* the document's format ("pdf"); may be NULL */
	char *heading;          /* the heading path of the chunk holding the
	                           passage's start; may be NULL */
	int page;               /* the page of that chunk; 0: none */
	int64_t passage_start, passage_end; /* the passage read, in the text's offsets */
	int64_t start_byte, end_byte; /* the range of text */
	int64_t text_bytes;     /* the length of the document's whole text */
	int page_start, page_end; /* pages of the chunks the range touches; 0: none */
	char *text;             /* [start_byte, end_byte) of the document's text */
} source_text;

/*
 * Reads the text around p's passage in `document` (a numeric id or a path,
 * as store_doc_find() takes it) of `collection` (NULL: any) into *out,
 * which the caller frees with source_text_free().
 * DOCENT_ENOTFOUND (no such document or collection), DOCENT_EINVAL (a
 * path in several collections; a start past the end of the text, the
 * message giving the text's length), DOCENT_EEMPTY (a document that could
 * not be ingested, with the reason, or that holds no text).
 */
int source_read(store *s, const char *collection, const char *document,
		const source_params *p, source_text *out);

void source_text_free(source_text *t);

#endif
