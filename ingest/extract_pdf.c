/*
 * extract_pdf.c - PDF through poppler-glib, one page at a time.
 *
 * poppler_page_get_text() gives a page's lines in reading order but no
 * paragraph breaks, so the glyph boxes from poppler_page_get_text_layout()
 * (one per character of that text) are used to find them: a vertical gap
 * clearly larger than the line spacing, a jump back up the page (a new
 * column or a side note) or a change of font size starts a new paragraph.
 * The same boxes put a space between glyphs that sit far apart on one line
 * (table columns), which poppler would otherwise run together. Lines inside
 * a paragraph stay joined with '\n'; the cleaner dehyphenates and collapses
 * them later. Every block carries its 1-based page number.
 *
 * poppler-glib is loaded (core/dynlib.h) when the first PDF comes, not linked:
 * with its GLib, cairo, fontconfig and NSS it is half of docent's shared
 * libraries, and loading them took 16 ms at the start of every command,
 * `docent search` included. Its functions are called through `pp`, typed
 * from poppler's own header. A machine without the library gets a clear
 * message for each PDF and reads everything else.
 *
 * poppler-glib logs through GLib, which prints by default; a silent handler
 * is installed once per process. Creating a document touches poppler's
 * global parameters on the first call, so creation is serialised; each call
 * has its own document otherwise.
 */
#include "core/dynlib.h"
#include "core/error.h"
#include "core/text.h"
#include "ingest/extract_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <poppler.h>

/* The library's file name (its SONAME), from the Makefile. */
#ifndef POPPLER_GLIB_SONAME
#define POPPLER_GLIB_SONAME "libpoppler-glib.so.8"
#endif

/* The functions docent calls, looked up in poppler-glib and the GLib it
 * brings (dlsym searches a library's dependencies too). */
static struct {
	__typeof__(&poppler_document_new_from_bytes) document_new_from_bytes;
	__typeof__(&poppler_document_get_n_pages) document_get_n_pages;
	__typeof__(&poppler_document_get_page) document_get_page;
	__typeof__(&poppler_document_get_title) document_get_title;
	__typeof__(&poppler_page_get_text) page_get_text;
	__typeof__(&poppler_page_get_text_layout) page_get_text_layout;
	__typeof__(&poppler_error_quark) error_quark;
	__typeof__(&g_bytes_new_static) bytes_new_static;
	__typeof__(&g_bytes_unref) bytes_unref;
	__typeof__(&g_error_free) error_free;
	__typeof__(&g_free) free;
	__typeof__(&g_object_unref) object_unref;
	__typeof__(&g_log_set_handler) log_set_handler;
	__typeof__(&g_log_set_default_handler) log_set_default_handler;
} pp;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static char load_error[300]; /* empty once loaded */
static pthread_mutex_t open_lock = PTHREAD_MUTEX_INITIALIZER;

static void silent_log(const gchar *domain, GLogLevelFlags level, const gchar *msg, gpointer ud)
{
	(void)domain;
	(void)level;
	(void)msg;
	(void)ud;
}

static void quiet_glib(void)
{
	GLogLevelFlags all = (GLogLevelFlags)(G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL |
					      G_LOG_FLAG_RECURSION);
	pp.log_set_handler("Poppler", all, silent_log, NULL);
	pp.log_set_handler("GLib", (GLogLevelFlags)(G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE |
						    G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG),
			   silent_log, NULL);
	pp.log_set_default_handler(silent_log, NULL);
}

/* Loads poppler-glib once per process, or says why not in load_error. */
static void load(void)
{
#define FN(field, sym) DYNLIB_SYM(__typeof__(pp), field, sym)
	static const dynlib_sym fn[] = {
		FN(document_new_from_bytes, poppler_document_new_from_bytes),
		FN(document_get_n_pages, poppler_document_get_n_pages),
		FN(document_get_page, poppler_document_get_page),
		FN(document_get_title, poppler_document_get_title),
		FN(page_get_text, poppler_page_get_text),
		FN(page_get_text_layout, poppler_page_get_text_layout),
		FN(error_quark, poppler_error_quark),
		FN(bytes_new_static, g_bytes_new_static),
		FN(bytes_unref, g_bytes_unref),
		FN(error_free, g_error_free),
		FN(free, g_free),
		FN(object_unref, g_object_unref),
		FN(log_set_handler, g_log_set_handler),
		FN(log_set_default_handler, g_log_set_default_handler),
	};
#undef FN
	if (dynlib_load(POPPLER_GLIB_SONAME, "cannot read PDF files", "libpoppler-glib8", fn,
			sizeof fn / sizeof *fn, &pp) != 0) {
		snprintf(load_error, sizeof load_error, "%s", docent_error_message());
		return;
	}
	quiet_glib();
}

/* One line of page text with the box around its glyphs. */
typedef struct line {
	size_t off, len;     /* in the page text */
	double top, bottom;  /* of its glyphs, poppler's coordinates (y grows down) */
	double height;       /* median glyph height: the font size, near enough */
	int empty;
} line;

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Does line b start a new paragraph after line a? */
static int breaks(const line *a, const line *b)
{
	double h = a->height < b->height ? a->height : b->height;
	double big = a->height > b->height ? a->height : b->height;
	double gap = b->top - a->bottom;

	if (h <= 0)
		return 1;
	if (big > h * 1.25)
		return 1;         /* a change of font size: heading to body */
	if (gap > h * 0.6)
		return 1;         /* more than line spacing: a paragraph gap */
	if (b->bottom < a->top - h * 0.5)
		return 1;         /* back up the page: a new column or block */
	return 0;
}

typedef struct measurer {
	dbuf *out;
	line *lines;
	size_t nlines, cap;
	double *hs;         /* glyph heights of the current line */
	size_t nhs, caphs;
	line cur;
} measurer;

static void line_start(measurer *m)
{
	memset(&m->cur, 0, sizeof m->cur);
	m->cur.off = m->out->len;
	m->cur.top = 1e30;
	m->cur.bottom = -1e30;
	m->cur.empty = 1;
	m->nhs = 0;
}

static int line_end(measurer *m)
{
	if (m->nhs) {
		qsort(m->hs, m->nhs, sizeof *m->hs, cmp_double);
		m->cur.height = m->hs[m->nhs / 2];
	}
	m->cur.len = m->out->len - m->cur.off;
	if (m->nlines == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		line *l = realloc(m->lines, cap * sizeof *l);
		if (!l)
			return DOCENT_ENOMEM;
		m->lines = l;
		m->cap = cap;
	}
	m->lines[m->nlines++] = m->cur;
	return 0;
}

static int add_height(measurer *m, double h)
{
	if (m->nhs == m->caphs) {
		size_t cap = m->caphs ? m->caphs * 2 : 128;
		double *hs = realloc(m->hs, cap * sizeof *hs);
		if (!hs)
			return DOCENT_ENOMEM;
		m->hs = hs;
		m->caphs = cap;
	}
	m->hs[m->nhs++] = h;
	return 0;
}

/*
 * Measures the lines of text[0..n) with the glyph boxes r[0..nr) (box k
 * belongs to the k-th character), writing the text with gap spaces added
 * to m->out and the lines, as offsets into it, to m->lines.
 */
static int measure(measurer *m, const char *text, size_t n, const PopplerRectangle *r, guint nr)
{
	const PopplerRectangle *prev = NULL;
	size_t pos = 0, k = 0;
	int rc = 0;

	line_start(m);
	while (pos < n && rc == 0) {
		size_t start = pos;
		unsigned cp = text_utf8_next(text, n, &pos);
		const PopplerRectangle *g = k < nr ? &r[k] : NULL;

		k++;
		if (cp == '\n') {
			if ((rc = line_end(m)) || (rc = dbuf_putc(m->out, '\n')))
				break;
			line_start(m);
			prev = NULL;
			continue;
		}
		if (cp == ' ' || cp == '\t' || !g) {
			prev = NULL;
		} else {
			double h = g->y2 - g->y1;
			/* far from the previous glyph: another column */
			if (prev && h > 0 && g->x1 - prev->x2 > h * 0.8 &&
			    m->out->len > m->cur.off && m->out->data[m->out->len - 1] != ' ')
				rc = dbuf_putc(m->out, ' ');
			if (g->y1 < m->cur.top)
				m->cur.top = g->y1;
			if (g->y2 > m->cur.bottom)
				m->cur.bottom = g->y2;
			if (rc == 0 && h > 0)
				rc = add_height(m, h);
			m->cur.empty = 0;
			prev = g;
		}
		if (rc == 0)
			rc = dbuf_append(m->out, text + start, pos - start);
	}
	if (rc == 0)
		rc = line_end(m);
	return rc;
}

/* Glyph heights seen so far in the document, in half points, weighted by
 * characters: the most common one is the body text size. */
#define NSIZES 256
typedef struct sizes {
	size_t count[NSIZES];
} sizes;

static int size_bucket(double h)
{
	int b = (int)(h * 2 + 0.5);
	return b < 0 ? 0 : b >= NSIZES ? NSIZES - 1 : b;
}

static double body_height(const sizes *sz)
{
	int best = 0;

	for (int i = 1; i < NSIZES; i++)
		if (sz->count[i] > sz->count[best])
			best = i;
	return best / 2.0;
}

/*
 * The heading level of a paragraph of `nlines` lines set at height h in a
 * document whose body text is `body` high, or 0 for body text: a short
 * block in a clearly larger font, with letters in it.
 */
static int heading_level(const char *s, size_t n, size_t nlines, double h, double body)
{
	size_t letters = 0;
	double r;

	if (body <= 0 || nlines > 3 || n > 200)
		return 0;
	r = h / body;
	if (r < 1.15)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		    (unsigned char)s[i] >= 0xC0)
			letters++;
	if (letters < 2)
		return 0;
	return r >= 1.6 ? 1 : r >= 1.3 ? 2 : 3;
}

static int extract_page(PopplerPage *page, int pageno, sizes *sz, doc *d)
{
	char *text = pp.page_get_text(page);
	PopplerRectangle *r = NULL;
	guint nr = 0;
	dbuf out = DBUF_INIT;
	measurer m = {.out = &out};
	line *lines;
	size_t nlines, i, start;
	double body;
	int rc = 0;

	if (!text)
		return 0;
	if (!*text) {
		pp.free(text);
		return 0;
	}
	if (!pp.page_get_text_layout(page, &r, &nr)) {
		r = NULL;
		nr = 0;
	}
	if (nr == 0) {
		/* no geometry: fall back to the bare lines, one paragraph */
		rc = doc_add(d, DOC_PARA, 0, pageno, text, strlen(text));
		pp.free(text);
		return rc;
	}
	rc = measure(&m, text, strlen(text), r, nr);
	pp.free(text);
	pp.free(r);
	free(m.hs);
	lines = m.lines;
	nlines = m.nlines;
	for (i = 0; i < nlines; i++)
		if (!lines[i].empty)
			sz->count[size_bucket(lines[i].height)] += lines[i].len;
	body = body_height(sz);
	/* paragraphs: runs of non-empty lines without a break between them */
	for (i = 0, start = 0; rc == 0 && i <= nlines; i++) {
		int end = i == nlines || lines[i].empty ||
			  (i > start && !lines[i - 1].empty && breaks(&lines[i - 1], &lines[i]));
		if (!end)
			continue;
		if (i > start) {
			size_t off = lines[start].off, len = lines[i - 1].off + lines[i - 1].len - off;
			int level = heading_level(out.data + off, len, i - start, lines[start].height,
						  body);
			rc = doc_add(d, level ? DOC_HEADING : DOC_PARA, level, pageno, out.data + off,
				     len);
		}
		start = i < nlines && lines[i].empty ? i + 1 : i;
	}
	free(lines);
	dbuf_free(&out);
	return rc;
}

/* A complete PDF ends with "%%EOF" (give or take trailing junk). */
static int has_eof_marker(const char *s, size_t n)
{
	size_t m = n < 2048 ? n : 2048;

	return memmem(s + n - m, m, "%%EOF", 5) != NULL;
}

static int pdf_extract(const extract_params *p, const char *data, size_t n, doc *d)
{
	GBytes *bytes;
	GError *err = NULL;
	PopplerDocument *pd;
	int npages, limit, rc = 0;
	char *title;
	sizes *sz;

	pthread_once(&load_once, load);
	if (load_error[0])
		return docent_error_set(DOCENT_EUNSUPPORTED, "%s", load_error);
	bytes = pp.bytes_new_static(data, n);
	pthread_mutex_lock(&open_lock);
	pd = pp.document_new_from_bytes(bytes, NULL, &err);
	pthread_mutex_unlock(&open_lock);
	if (!pd) {
		if (err && err->domain == pp.error_quark() && err->code == POPPLER_ERROR_ENCRYPTED)
			rc = docent_error_set(DOCENT_EENCRYPTED,
					      "encrypted PDF: docent cannot read password-protected "
					      "files; save an unprotected copy");
		else
			rc = docent_error_set(DOCENT_EFORMAT, "corrupt or unreadable PDF (%s)",
					      err && err->message ? err->message : "poppler could not open it");
		if (err)
			pp.error_free(err);
		pp.bytes_unref(bytes);
		return rc;
	}
	sz = calloc(1, sizeof *sz);
	if (!sz) {
		pp.object_unref(pd);
		pp.bytes_unref(bytes);
		return docent_error_set(DOCENT_ENOMEM, "out of memory reading the PDF");
	}
	npages = pp.document_get_n_pages(pd);
	limit = p && p->max_pages > 0 && p->max_pages < npages ? p->max_pages : npages;
	for (int i = 0; i < limit && rc == 0; i++) {
		PopplerPage *page = pp.document_get_page(pd, i);
		if (!page)
			continue;
		rc = extract_page(page, i + 1, sz, d);
		pp.object_unref(page);
	}
	if (rc == 0) {
		d->npages = limit;
		title = pp.document_get_title(pd);
		if (title && *title)
			rc = doc_set_title(d, title);
		pp.free(title);
	}
	free(sz);
	pp.object_unref(pd);
	pp.bytes_unref(bytes);
	if (rc)
		return rc == DOCENT_ENOMEM ? docent_error_set(rc, "out of memory reading the PDF") : rc;
	if (d->nblocks == 0 && !has_eof_marker(data, n))
		return docent_error_set(DOCENT_EFORMAT,
					"truncated or damaged PDF: no readable text and no end-of-file "
					"marker; get a complete copy of the file");
	if (d->nblocks == 0)
		return docent_error_set(DOCENT_EEMPTY,
					"PDF has no text layer (a scanned or image-only document?); "
					"OCR is not yet supported");
	return 0;
}

/* "%PDF-d.d" in the first 1024 bytes (readers allow junk before it). */
static int pdf_sniff(const char *s, size_t n)
{
	size_t m = n < 1024 ? n : 1024, i = 0;

	while (m - i >= 8) {
		const char *p = memmem(s + i, m - i, "%PDF-", 5);
		if (!p || (size_t)(p - s) + 8 > m)
			return 0;
		if (p[5] >= '1' && p[5] <= '9' && p[6] == '.' && p[7] >= '0' && p[7] <= '9')
			return 1;
		i = (size_t)(p - s) + 5;
	}
	return 0;
}

static const char *const pdf_ext[] = {"pdf", NULL};

const extractor extract_pdf = {
	.format = "pdf",
	.extensions = pdf_ext,
	.sniff = pdf_sniff,
	.extract = pdf_extract,
};
