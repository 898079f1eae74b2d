/*
 * extract_csv.c - CSV and TSV through libcsv.
 *
 * The bytes are decoded with text_decode() first. The delimiter is the
 * most frequent of ',', tab, ';' and '|' on the first line. The first row
 * is the header; every later row becomes one line "name: value; name:
 * value" (empty cells left out), so that a single row found by a search
 * still says what its values mean. Up to 20 rows make one DOC_TABLE block.
 * A file with only a header row gives that row as "a | b | c".
 */
#include "core/error.h"
#include "core/text.h"
#include "ingest/extract_int.h"

#include <csv.h>
#include <stdlib.h>
#include <string.h>

#define ROWS_PER_BLOCK 20

typedef struct csvw {
	doc *d;
	dbuf row;          /* fields of the current row, each NUL-terminated */
	size_t *fields;    /* offsets into row */
	size_t nfields, cap;
	dbuf header;       /* header names, each NUL-terminated */
	size_t *names;
	size_t nnames;
	int have_header;
	dbuf block;
	int rows;          /* rows in block */
	int rc;
} csvw;

static void on_field(void *s, size_t n, void *ud)
{
	csvw *w = ud;

	if (w->rc)
		return;
	if (w->nfields == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 32;
		size_t *f = realloc(w->fields, cap * sizeof *f);
		if (!f) {
			w->rc = DOCENT_ENOMEM;
			return;
		}
		w->fields = f;
		w->cap = cap;
	}
	w->fields[w->nfields++] = w->row.len;
	/* a cell is one line: line breaks inside quotes become spaces */
	for (size_t i = 0; i < n && !w->rc; i++) {
		char c = s ? ((char *)s)[i] : ' ';
		w->rc = dbuf_putc(&w->row, c == '\n' || c == '\r' || c == '\t' ? ' ' : c);
	}
	if (!w->rc)
		w->rc = dbuf_putc(&w->row, '\0');
}

/* field i of the current row, trimmed; *len receives its length */
static const char *field(const csvw *w, size_t i, size_t *len)
{
	const char *s = w->row.data + w->fields[i];
	size_t n = strlen(s);

	while (n && *s == ' ') {
		s++;
		n--;
	}
	while (n && s[n - 1] == ' ')
		n--;
	*len = n;
	return s;
}

static int flush_block(csvw *w)
{
	if (!w->rc && w->block.len)
		w->rc = doc_add(w->d, DOC_TABLE, 0, 0, w->block.data, w->block.len);
	dbuf_reset(&w->block);
	w->rows = 0;
	return w->rc;
}

static void header_row(csvw *w)
{
	w->names = malloc((w->nfields ? w->nfields : 1) * sizeof *w->names);
	if (!w->names) {
		w->rc = DOCENT_ENOMEM;
		return;
	}
	for (size_t i = 0; i < w->nfields && !w->rc; i++) {
		size_t n;
		const char *s = field(w, i, &n);
		w->names[i] = w->header.len;
		if (n)
			w->rc = dbuf_append(&w->header, s, n);
		else
			w->rc = dbuf_printf(&w->header, "column %zu", i + 1);
		if (!w->rc)
			w->rc = dbuf_putc(&w->header, '\0');
	}
	w->nnames = w->nfields;
	w->have_header = 1;
}

static void data_row(csvw *w)
{
	size_t start = w->block.len, k = 0;

	if (w->rows && (w->rc = dbuf_putc(&w->block, '\n')))
		return;
	for (size_t i = 0; i < w->nfields && !w->rc; i++) {
		size_t n;
		const char *s = field(w, i, &n);
		if (!n)
			continue;
		if (k++)
			w->rc = dbuf_puts(&w->block, "; ");
		if (!w->rc && i < w->nnames)
			w->rc = dbuf_printf(&w->block, "%s: ", w->header.data + w->names[i]);
		else if (!w->rc)
			w->rc = dbuf_printf(&w->block, "column %zu: ", i + 1);
		if (!w->rc)
			w->rc = dbuf_append(&w->block, s, n);
	}
	if (k == 0) { /* an empty row */
		dbuf_truncate(&w->block, start);
		return;
	}
	if (++w->rows == ROWS_PER_BLOCK)
		flush_block(w);
}

static void on_row(int c, void *ud)
{
	csvw *w = ud;

	(void)c;
	if (w->rc)
		return;
	if (!w->have_header)
		header_row(w);
	else
		data_row(w);
	dbuf_reset(&w->row);
	w->nfields = 0;
}

static unsigned char guess_delimiter(const char *s, size_t n)
{
	static const char cand[] = {',', '\t', ';', '|'};
	size_t count[4] = {0}, best = 0;
	int quoted = 0;

	for (size_t i = 0; i < n && i < 65536; i++) {
		if (s[i] == '"')
			quoted = !quoted;
		else if (!quoted && s[i] == '\n')
			break;
		else if (!quoted)
			for (size_t k = 0; k < 4; k++)
				if (s[i] == cand[k])
					count[k]++;
	}
	for (size_t k = 1; k < 4; k++)
		if (count[k] > count[best])
			best = k;
	return (unsigned char)cand[best];
}

static int only_space(unsigned char c)
{
	return c == ' ';
}

static int csv_extract(const extract_params *p, const char *data, size_t n, doc *d)
{
	struct csv_parser parser;
	csvw w = {.d = d};
	dbuf t = DBUF_INIT;
	int rc;

	(void)p;
	rc = text_decode(data, n, &t, NULL);
	if (rc == DOCENT_EUNSUPPORTED && !text_utf16_unmarked(data, n))
		return docent_error_set(rc, "binary content, not text: this file is not CSV");
	if (rc)
		return rc;
	if (csv_init(&parser, 0) != 0) {
		dbuf_free(&t);
		return docent_error_set(DOCENT_ENOMEM, "out of memory reading CSV");
	}
	csv_set_delim(&parser, guess_delimiter(t.data ? t.data : "", t.len));
	csv_set_space_func(&parser, only_space);
	if (t.len && csv_parse(&parser, t.data, t.len, on_field, on_row, &w) != t.len && !w.rc)
		w.rc = docent_error_set(DOCENT_EFORMAT, "CSV could not be parsed (%s)",
					csv_strerror(csv_error(&parser)));
	if (!w.rc)
		csv_fini(&parser, on_field, on_row, &w);
	csv_free(&parser);
	if (!w.rc && w.have_header && !w.block.len && d->nblocks == 0) {
		/* a header and nothing else: keep the names */
		for (size_t i = 0; i < w.nnames && !w.rc; i++) {
			if (i)
				w.rc = dbuf_puts(&w.block, " | ");
			if (!w.rc)
				w.rc = dbuf_puts(&w.block, w.header.data + w.names[i]);
		}
	}
	flush_block(&w);
	rc = w.rc;
	if (rc == DOCENT_ENOMEM)
		rc = docent_error_set(rc, "out of memory reading CSV");
	dbuf_free(&w.row);
	dbuf_free(&w.header);
	dbuf_free(&w.block);
	free(w.fields);
	free(w.names);
	dbuf_free(&t);
	return rc;
}

static const char *const csv_ext[] = {"csv", "tsv", "tab", NULL};

const extractor extract_csv = {
	.format = "csv",
	.extensions = csv_ext,
	.sniff = NULL,
	.extract = csv_extract,
};
