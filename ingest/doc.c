/*
 * doc.c - building the extracted-document model (see doc.h).
 */
#include "ingest/doc.h"
#include "core/error.h"
#include "core/text.h"

#include <stdlib.h>
#include <string.h>

void doc_init(doc *d)
{
	memset(d, 0, sizeof *d);
}

void doc_free(doc *d)
{
	if (!d)
		return;
	dbuf_free(&d->text);
	free(d->blocks);
	free(d->title);
	memset(d, 0, sizeof *d);
}

static int is_space(char c)
{
	return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

int doc_add(doc *d, doc_block_kind kind, int level, int page, const char *text, size_t n)
{
	/* invariant: the text ends right after the previous block's "\n\n" */
	size_t at = d->text.len, start = at, end;

	if (text_normalize(text, n, &d->text))
		return DOCENT_ENOMEM;
	end = d->text.len;
	while (end > start && is_space(d->text.data[end - 1]))
		end--;
	while (start < end && is_space(d->text.data[start]))
		start++;
	if (start == end) {
		dbuf_truncate(&d->text, at);
		return 0;
	}
	if (d->nblocks == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		doc_block *b = realloc(d->blocks, cap * sizeof *b);
		if (!b) {
			dbuf_truncate(&d->text, at);
			return DOCENT_ENOMEM;
		}
		d->blocks = b;
		d->cap = cap;
	}
	memmove(d->text.data + at, d->text.data + start, end - start);
	dbuf_truncate(&d->text, at + (end - start));
	if (dbuf_append(&d->text, "\n\n", 2)) {
		dbuf_truncate(&d->text, at);
		return DOCENT_ENOMEM;
	}
	d->blocks[d->nblocks++] = (doc_block){
		.kind = kind,
		.level = kind == DOC_HEADING ? (level < 1 ? 1 : level > 6 ? 6 : level) : 0,
		.page = page,
		.off = at,
		.len = end - start,
	};
	if (page > d->npages)
		d->npages = page;
	return 0;
}

int doc_set_title(doc *d, const char *title)
{
	dbuf b = DBUF_INIT;
	size_t i, j = 0;

	free(d->title);
	d->title = NULL;
	if (!title)
		return 0;
	if (text_normalize(title, strlen(title), &b))
		return DOCENT_ENOMEM;
	/* collapse white space runs to one space, trim both ends */
	for (i = 0; i < b.len; i++) {
		if (is_space(b.data[i])) {
			if (j > 0 && b.data[j - 1] != ' ')
				b.data[j++] = ' ';
		} else {
			b.data[j++] = b.data[i];
		}
	}
	while (j > 0 && b.data[j - 1] == ' ')
		j--;
	dbuf_truncate(&b, j);
	if (j == 0) {
		dbuf_free(&b);
		return 0;
	}
	d->title = dbuf_detach(&b, NULL);
	return d->title ? 0 : DOCENT_ENOMEM;
}

const char *doc_block_text(const doc *d, size_t i)
{
	return d->text.data + d->blocks[i].off;
}
