/*
 * extract.c - the extractor registry: choosing an extractor for a file
 * (magic bytes, then the extension, then plain text for anything that is
 * not binary), running it, and the helpers the extractors share.
 */
#include "ingest/extract.h"
#include "core/error.h"
#include "core/text.h"
#include "ingest/extract_int.h"

#include <pthread.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>

static const extractor *const all[] = {
	&extract_pdf, &extract_docx, &extract_odt, &extract_html, &extract_markdown,
	&extract_csv, &extract_code, &extract_text, NULL,
};

extract_params extract_default_params(void)
{
	extract_params p = {
		.max_unpacked_bytes = 256u << 20,
		.max_pages = 0,
	};
	return p;
}

const extractor *const *extract_all(void)
{
	return all;
}

/* The lower-cased extension of path's base name ("" when none). */
static void path_extension(const char *path, char *ext, size_t size)
{
	const char *base, *dot;
	size_t i, n;

	ext[0] = '\0';
	if (!path)
		return;
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	dot = strrchr(base, '.');
	if (!dot || dot == base)
		return;
	n = strlen(dot + 1);
	if (n == 0 || n >= size)
		return;
	for (i = 0; i < n; i++) {
		char c = dot[1 + i];
		ext[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	ext[n] = '\0';
}

static const extractor *by_extension(const char *ext)
{
	if (!ext[0])
		return NULL;
	for (size_t i = 0; all[i]; i++)
		for (const char *const *e = all[i]->extensions; e && *e; e++)
			if (strcmp(*e, ext) == 0)
				return all[i];
	return NULL;
}

static int is_ole(const char *s, size_t n)
{
	return n >= 8 && memcmp(s, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8) == 0;
}

/* extract_find() with the error code to return when nothing fits. Magic
 * bytes first: PDF, then zip-based documents (judged by the archive's
 * entries, whatever the name says), then HTML markers. */
static const extractor *find(const char *path, const char *data, size_t n, int *code)
{
	const extractor *ex;
	char ext[16];

	*code = 0;
	path_extension(path, ext, sizeof ext);
	if (extract_pdf.sniff(data, n))
		return &extract_pdf;
	switch (extract_zip_kind(data, n)) {
	case ZIP_KIND_DOCX:
		return &extract_docx;
	case ZIP_KIND_ODT:
		return &extract_odt;
	case ZIP_KIND_BROKEN:
		ex = by_extension(ext);
		if (ex == &extract_docx || ex == &extract_odt)
			return ex; /* its extractor says what is wrong */
		*code = docent_error_set(DOCENT_EFORMAT,
					 "corrupt or truncated zip archive: it cannot be opened");
		return NULL;
	case ZIP_KIND_OTHER:
		/* named as a document but not one inside: a broken document,
		 * which its extractor reports (a failure, not a skip) */
		ex = by_extension(ext);
		if (ex == &extract_docx || ex == &extract_odt)
			return ex;
		*code = docent_error_set(DOCENT_EUNSUPPORTED,
					 "zip archive that is not a DOCX or ODT document: "
					 "docent does not read inside other archives; unpack it first");
		return NULL;
	default:
		break;
	}
	if (extract_html.sniff(data, n))
		return &extract_html;
	ex = by_extension(ext);
	if (is_ole(data, n)) {
		if (ex == &extract_docx)
			*code = docent_error_set(DOCENT_EENCRYPTED,
						 "encrypted DOCX: docent cannot read password-protected "
						 "files; save an unprotected copy");
		else
			*code = docent_error_set(DOCENT_EUNSUPPORTED,
						 "legacy Microsoft Office file (.doc, .xls, .ppt): "
						 "save it as DOCX or PDF to index it");
		return NULL;
	}
	if (ex)
		return ex;
	if (!text_looks_binary(data, n))
		return &extract_text;
	*code = docent_error_set(DOCENT_EUNSUPPORTED, "unsupported file type (binary content)");
	return NULL;
}

const extractor *extract_find(const char *path, const char *data, size_t n)
{
	int code;

	return find(path, data, n, &code);
}

static int has_magic(const char *s, size_t n, const char *magic, size_t m)
{
	return n >= m && memcmp(s, magic, m) == 0;
}

int extract_head(const char *path, const char *head, size_t n, int *skip)
{
	const extractor *ex;
	int rc;

	*skip = 0;
	if (n == 0 || extract_pdf.sniff(head, n) || has_magic(head, n, "PK\3\4", 4) ||
	    has_magic(head, n, "PK\5\6", 4))
		return 0;
	/* every other choice find() makes looks at the first 8 KiB at most */
	ex = find(path, head, n, &rc);
	if (!ex) {
		*skip = 1;
		return rc;
	}
	/* the text formats refuse binary content, judged on the same 8 KiB:
	 * their own verdict and message, from those bytes alone */
	if ((ex == &extract_text || ex == &extract_code || ex == &extract_markdown ||
	     ex == &extract_csv) && text_looks_binary(head, n)) {
		extract_params dp = extract_default_params();
		doc d;
		doc_init(&d);
		rc = ex->extract(&dp, head, n < 8192 ? n : 8192, &d);
		doc_free(&d);
		return rc < 0 ? rc : 0;
	}
	return 0;
}

int extract_file(const extract_params *p, const char *path, const char *data, size_t n,
		 doc *d, const char **format)
{
	extract_params defaults = extract_default_params();
	const extractor *ex;
	int rc;

	if (format)
		*format = NULL;
	if (!p)
		p = &defaults;
	if (!d || (!data && n))
		return docent_error_set(DOCENT_EINVAL, "extract_file: no document or no data");
	if (n == 0)
		return docent_error_set(DOCENT_EEMPTY, "empty file");
	ex = find(path, data, n, &rc);
	if (!ex)
		return rc;
	if (format)
		*format = ex->format;
	docent_error_clear();
	rc = ex->extract(p, data, n, d);
	if (rc)
		return rc;
	if (d->nblocks == 0)
		return docent_error_set(DOCENT_EEMPTY, "no text: the %s file holds nothing to index",
					ex->format);
	return 0;
}

/* ---- helpers shared by the extractors ---- */

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void xml_init_once(void)
{
	xmlInitParser();
}

void extract_xml_init(void)
{
	pthread_once(&xml_once, xml_init_once);
}

static void silent_generic(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

static void silent_structured(void *ctx, xmlErrorPtr err)
{
	(void)ctx;
	(void)err;
}

void xml_quiet_begin(xml_quiet *q)
{
	/* both are per-thread in a threaded libxml2 */
	q->generic = (void *)xmlGenericError;
	q->generic_ctx = xmlGenericErrorContext;
	q->structured = (void *)xmlStructuredError;
	q->structured_ctx = xmlStructuredErrorContext;
	xmlSetGenericErrorFunc(NULL, silent_generic);
	xmlSetStructuredErrorFunc(NULL, silent_structured);
}

void xml_quiet_end(const xml_quiet *q)
{
	xmlSetGenericErrorFunc(q->generic_ctx, (xmlGenericErrorFunc)q->generic);
	xmlSetStructuredErrorFunc(q->structured_ctx, (xmlStructuredErrorFunc)q->structured);
}

int xml_has_dtd(const char *xml, size_t n)
{
	size_t i = 0;

	/* the prolog: declarations, comments, processing instructions, space */
	while (i < n) {
		if (xml[i] != '<') {
			i++;
			continue;
		}
		if (i + 1 < n && (xml[i + 1] == '?' || xml[i + 1] == '!')) {
			if (n - i >= 9 && memcmp(xml + i, "<!DOCTYPE", 9) == 0)
				return 1;
			if (n - i >= 8 && memcmp(xml + i, "<!ENTITY", 8) == 0)
				return 1;
			i += 2;
			continue;
		}
		return 0; /* the root element: no DTD can follow */
	}
	return 0;
}

int xml_prolog_open(const char *xml, size_t n)
{
	size_t i = 0;

	while (i < n) {
		if (xml[i] != '<') {
			i++;
			continue;
		}
		if (i + 1 >= n)
			return 1;
		if (xml[i + 1] != '?' && xml[i + 1] != '!')
			return 0;
		i += 2;
	}
	return 1;
}

int extract_put_cp(dbuf *b, unsigned cp)
{
	char u[4];
	size_t n;

	if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		cp = 0xFFFD;
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (char)(0xF0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	return dbuf_append(b, u, n);
}

/* A block longer than this is cut at a line end: one huge block (a log
 * file with no blank line) would otherwise reach the chunker whole. */
#define MAX_BLOCK (64u << 10)

static int is_blank_line(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\f' && s[i] != '\v')
			return 0;
	return 1;
}

int extract_add_paragraphs(doc *d, doc_block_kind kind, int page, const char *text, size_t n)
{
	size_t start = 0, pos = 0;
	int rc;

	while (pos < n) {
		const char *nl = memchr(text + pos, '\n', n - pos);
		size_t end = nl ? (size_t)(nl - text) : n;
		size_t next = nl ? end + 1 : n;

		if (is_blank_line(text + pos, end - pos)) {
			if (pos > start && (rc = doc_add(d, kind, 0, page, text + start, pos - start)))
				return rc;
			start = next;
		} else if (next - start > MAX_BLOCK && pos > start) {
			if ((rc = doc_add(d, kind, 0, page, text + start, pos - start)))
				return rc;
			start = pos;
		}
		pos = next;
	}
	if (n > start && (rc = doc_add(d, kind, 0, page, text + start, n - start)))
		return rc;
	return 0;
}

void extract_trim_row(dbuf *row, size_t start)
{
	size_t e = row->len;

	for (;;) {
		while (e > start && row->data[e - 1] == ' ')
			e--;
		if (e >= start + 2 && row->data[e - 1] == '|' && row->data[e - 2] == ' ')
			e -= 2;
		else if (e == start + 1 && row->data[e - 1] == '|')
			e -= 1;
		else
			break;
	}
	dbuf_truncate(row, e);
}
