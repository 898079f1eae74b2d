/*
 * extract_office.c - DOCX and ODT: zip archives of XML parts, read with
 * libzip and libxml2's streaming reader.
 *
 * Safety: an entry is inflated in small pieces as the XML reader asks for
 * them, never held whole, and the bytes actually produced are counted
 * against max_unpacked_bytes (ingest.max_unpacked_size) across the whole
 * archive, so a zip bomb stops with DOCENT_ETOOBIG after at most that many
 * bytes, whatever sizes the archive claims, having cost the parser's state
 * (the open elements and the current text run) rather than its size. XML parts are parsed without network
 * access and without entity substitution, and a part that declares a DTD
 * (which office documents never do) is refused before parsing, so external
 * entities and entity expansion bombs never get a chance.
 *
 * DOCX: word/document.xml. Paragraphs (w:p) are the text of their w:t runs
 * joined as is, so a word split across formatting runs comes out whole;
 * w:tab is a tab, w:br a line break. A paragraph whose style is a heading
 * (style id Heading1..9 or Title, or a style that word/styles.xml names
 * "heading N" or gives an outline level) is a DOC_HEADING. Tables are
 * DOC_TABLE, one row a line, cells joined by " | ". Deleted and moved-from
 * text and the fallback copies of drawings are skipped. Title: dc:title in
 * docProps/core.xml.
 *
 * ODT: content.xml. text:h (with text:outline-level) is a heading, text:p a
 * paragraph; spans are joined as is; text:s, text:tab and text:line-break
 * give spaces, tabs and line breaks; tables as for DOCX. Title: dc:title
 * in meta.xml. A password-protected ODT gives DOCENT_EENCRYPTED.
 */
#include "core/error.h"
#include "core/text.h"
#include "ingest/extract_int.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/xmlreader.h>
#include <zip.h>

/* ---- zip ---- */

typedef struct archive {
	zip_t *z;
	const char *what;   /* "DOCX", "ODT": for messages */
	uint64_t budget;    /* max_unpacked_bytes */
	uint64_t used;      /* bytes inflated so far, all entries */
} archive;

static zip_t *zip_from_memory(const char *data, size_t n, int *zerr)
{
	zip_error_t ze;
	zip_source_t *src;
	zip_t *z;

	zip_error_init(&ze);
	src = zip_source_buffer_create(data, n, 0, &ze);
	if (!src) {
		*zerr = zip_error_code_zip(&ze);
		zip_error_fini(&ze);
		return NULL;
	}
	z = zip_open_from_source(src, ZIP_RDONLY, &ze);
	if (!z) {
		*zerr = zip_error_code_zip(&ze);
		zip_source_free(src);
	}
	zip_error_fini(&ze);
	return z;
}

static int has_zip_magic(const char *s, size_t n)
{
	return n >= 4 && s[0] == 'P' && s[1] == 'K' &&
	       ((s[2] == 3 && s[3] == 4) || (s[2] == 5 && s[3] == 6));
}

static int zip_open_failed(const char *what, int zerr)
{
	zip_error_t ze;
	int rc;

	if (zerr == ZIP_ER_MEMORY)
		return docent_error_set(DOCENT_ENOMEM, "out of memory opening the %s", what);
	zip_error_init_with_code(&ze, zerr);
	rc = docent_error_set(DOCENT_EFORMAT,
			      "corrupt or truncated %s: its zip archive cannot be opened (%s)", what,
			      zip_error_strerror(&ze));
	zip_error_fini(&ze);
	return rc;
}

static int open_archive(archive *a, const char *what, const extract_params *p,
			const char *data, size_t n)
{
	int zerr = 0;

	memset(a, 0, sizeof *a);
	a->what = what;
	a->budget = p && p->max_unpacked_bytes ? p->max_unpacked_bytes : UINT64_MAX;
	if (!has_zip_magic(data, n))
		return docent_error_set(DOCENT_EFORMAT,
					"not a %s document: it is not a zip archive", what);
	a->z = zip_from_memory(data, n, &zerr);
	if (!a->z)
		return zip_open_failed(what, zerr);
	return 0;
}

static void close_archive(archive *a)
{
	if (a->z)
		zip_discard(a->z);
	a->z = NULL;
}

/* The unpack budget is spent: the message names the setting that raises it. */
static int over_budget(const archive *a)
{
	if (a->budget % (1u << 20) == 0)
		return docent_error_set(DOCENT_ETOOBIG,
					"%s unpacks to more than %lluMB (ingest.max_unpacked_size): "
					"a zip bomb, or a huge document; if it is genuine, raise "
					"ingest.max_unpacked_size", a->what,
					(unsigned long long)(a->budget >> 20));
	return docent_error_set(DOCENT_ETOOBIG,
				"%s unpacks to more than %llu bytes (ingest.max_unpacked_size): "
				"a zip bomb, or a huge document; if it is genuine, raise "
				"ingest.max_unpacked_size", a->what, (unsigned long long)a->budget);
}

/* Opens entry idx for reading; the message says why not (encrypted, corrupt). */
static zip_file_t *open_entry(archive *a, zip_int64_t idx, const char *name, int *rc)
{
	zip_file_t *f = zip_fopen_index(a->z, (zip_uint64_t)idx, 0);

	*rc = 0;
	if (!f) {
		int ze = zip_error_code_zip(zip_get_error(a->z));
		if (ze == ZIP_ER_NOPASSWD || ze == ZIP_ER_WRONGPASSWD || ze == ZIP_ER_ENCRNOTSUPP)
			*rc = docent_error_set(DOCENT_EENCRYPTED,
					       "encrypted %s: docent cannot read password-protected "
					       "files; save an unprotected copy", a->what);
		else
			*rc = docent_error_set(DOCENT_EFORMAT, "corrupt %s: cannot read %s (%s)",
					       a->what, name, zip_strerror(a->z));
	}
	return f;
}

/* Inflates up to `want` bytes of f into buf, counted against the budget.
 * Returns the bytes read (0 at the end), or -1 with *rc and its message. */
static zip_int64_t inflate_some(archive *a, zip_file_t *f, const char *name, char *buf,
				size_t want, int *rc)
{
	zip_int64_t got = zip_fread(f, buf, want);

	if (got < 0) {
		*rc = docent_error_set(DOCENT_EFORMAT, "corrupt %s: %s does not inflate (%s)",
				       a->what, name, zip_file_strerror(f));
		return -1;
	}
	a->used += (uint64_t)got;
	if (a->used > a->budget) {
		*rc = over_budget(a);
		return -1;
	}
	return got;
}

/*
 * Inflates entry `name` into out, at most `cap` bytes of it (0: no cap
 * beyond the budget). Returns DOCENT_ENOTFOUND (no message) when there is
 * no such entry.
 */
static int read_entry(archive *a, const char *name, dbuf *out, size_t cap)
{
	char buf[65536];
	zip_int64_t idx = zip_name_locate(a->z, name, 0);
	zip_file_t *f;
	int rc = 0;

	if (idx < 0)
		return DOCENT_ENOTFOUND;
	if (!(f = open_entry(a, idx, name, &rc)))
		return rc;
	for (;;) {
		size_t want = sizeof buf;
		if (cap && cap - out->len < want)
			want = cap - out->len;
		if (want == 0)
			break;
		zip_int64_t got = inflate_some(a, f, name, buf, want, &rc);
		if (got <= 0)
			break;
		if (dbuf_append(out, buf, (size_t)got)) {
			rc = docent_error_set(DOCENT_ENOMEM, "out of memory reading the %s", a->what);
			break;
		}
	}
	zip_fclose(f);
	return rc;
}

static const char odt_mime[] = "application/vnd.oasis.opendocument.text";

int extract_zip_kind(const char *data, size_t n)
{
	archive a;
	dbuf mime = DBUF_INIT;
	int zerr = 0, kind = ZIP_KIND_OTHER;

	if (!has_zip_magic(data, n))
		return ZIP_KIND_NOT_ZIP;
	memset(&a, 0, sizeof a);
	a.what = "zip";
	a.budget = 4096;
	a.z = zip_from_memory(data, n, &zerr);
	if (!a.z)
		return ZIP_KIND_BROKEN;
	if (zip_name_locate(a.z, "word/document.xml", 0) >= 0) {
		kind = ZIP_KIND_DOCX;
	} else if (read_entry(&a, "mimetype", &mime, 128) == 0) {
		size_t len = mime.len;
		while (len && (mime.data[len - 1] == '\n' || mime.data[len - 1] == '\r' ||
			       mime.data[len - 1] == ' '))
			len--;
		if ((len == sizeof odt_mime - 1 && memcmp(mime.data, odt_mime, len) == 0) ||
		    (len == sizeof odt_mime - 1 + 9 &&
		     memcmp(mime.data, odt_mime, sizeof odt_mime - 1) == 0 &&
		     memcmp(mime.data + sizeof odt_mime - 1, "-template", 9) == 0))
			kind = ZIP_KIND_ODT;
	}
	docent_error_clear();
	dbuf_free(&mime);
	close_archive(&a);
	return kind;
}

/* ---- XML reading ---- */

/* The first error a reader reports, kept for the message. */
typedef struct xml_err {
	char msg[160];
	int line;
} xml_err;

static void reader_error(void *arg, xmlErrorPtr err)
{
	xml_err *e = arg;
	size_t n;

	if (!e || e->msg[0] || !err || !err->message || err->level < XML_ERR_ERROR)
		return;
	snprintf(e->msg, sizeof e->msg, "%s", err->message);
	n = strlen(e->msg);
	while (n && (e->msg[n - 1] == '\n' || e->msg[n - 1] == ' '))
		e->msg[--n] = '\0';
	e->line = err->line;
}

/*
 * An XML part read as a stream: the reader pulls it from the zip as it
 * parses, each piece counted against the unpack budget, so that no part is
 * ever held whole (a zip bomb costs the parser's state, not its unpacked
 * size). The first bytes are inflated ahead, to check the prolog for a DTD
 * before the parser sees any of it.
 */
#define PART_HEAD 65536

typedef struct part {
	archive *a;
	const char *name;
	zip_file_t *f;
	char *head;           /* the first bytes, PART_HEAD allocated */
	size_t head_len, head_pos;
	uint64_t run;         /* bytes since the last '<' */
	int rc;               /* why the stream stopped (message set), or 0 */
	int dtd;              /* refused: its prolog declares a DTD */
	xmlTextReaderPtr r;
	xml_err err;
} part;

/*
 * A text run is held whole by the reader, in a buffer that grows by
 * doubling, and then copied into the paragraph and the document: a run
 * costs about four times its size. So a run with no markup longer than a
 * quarter of the unpack budget is refused, keeping any single part within
 * about the budget in memory (a zip bomb is typically one such run).
 */
static int part_run(part *pt, const char *buf, size_t n)
{
	size_t i = n;

	while (i > 0 && buf[i - 1] != '<')
		i--;
	pt->run = i ? n - i : pt->run + n;
	if (pt->a->budget != UINT64_MAX && pt->run > pt->a->budget / 4) {
		pt->rc = docent_error_set(DOCENT_ETOOBIG,
					  "%s part %s holds a run of text over %lluMB with no markup "
					  "(a quarter of ingest.max_unpacked_size): a zip bomb, or a "
					  "huge document; if it is genuine, raise "
					  "ingest.max_unpacked_size", pt->a->what, pt->name,
					  (unsigned long long)(pt->a->budget / 4 >> 20));
		return -1;
	}
	return (int)n;
}

static int part_read(void *ctx, char *buf, int len)
{
	part *pt = ctx;
	zip_int64_t got;

	if (pt->rc || len <= 0)
		return pt->rc ? -1 : 0;
	if (pt->head_pos < pt->head_len) {
		size_t k = pt->head_len - pt->head_pos;
		if (k > (size_t)len)
			k = (size_t)len;
		memcpy(buf, pt->head + pt->head_pos, k);
		pt->head_pos += k;
		return part_run(pt, buf, k);
	}
	got = inflate_some(pt->a, pt->f, pt->name, buf, (size_t)len, &pt->rc);
	return got < 0 ? -1 : part_run(pt, buf, (size_t)got);
}

static int part_noclose(void *ctx)
{
	(void)ctx;
	return 0;
}

static void part_close(part *pt)
{
	if (pt->r)
		xmlFreeTextReader(pt->r);
	if (pt->f)
		zip_fclose(pt->f);
	free(pt->head);
	memset(pt, 0, sizeof *pt);
}

/*
 * Opens part `name` of the archive for reading with an XML reader (pt->r).
 * Returns DOCENT_ENOTFOUND (no message) when there is no such entry, and
 * DOCENT_EFORMAT with pt->dtd set when its prolog declares a DTD. The
 * caller closes pt with part_close() either way.
 */
static int part_open(part *pt, archive *a, const char *name)
{
	zip_int64_t idx = zip_name_locate(a->z, name, 0);
	int rc = 0;

	memset(pt, 0, sizeof *pt);
	pt->a = a;
	pt->name = name;
	if (idx < 0)
		return DOCENT_ENOTFOUND;
	if (!(pt->f = open_entry(a, idx, name, &rc)))
		return rc;
	if (!(pt->head = malloc(PART_HEAD)))
		return docent_error_set(DOCENT_ENOMEM, "out of memory reading the %s", a->what);
	while (pt->head_len < PART_HEAD) {
		zip_int64_t got = inflate_some(a, pt->f, name, pt->head + pt->head_len,
					       PART_HEAD - pt->head_len, &rc);
		if (got < 0)
			return rc;
		if (got == 0)
			break;
		pt->head_len += (size_t)got;
	}
	/* a prolog that does not end within the head is refused too: office
	 * parts start their root element within a few hundred bytes */
	if (xml_has_dtd(pt->head, pt->head_len)) {
		pt->dtd = 1;
		return docent_error_set(DOCENT_EFORMAT,
					"%s part %s declares a DTD, which office documents never do; "
					"refused (it could hide an XML entity attack)", a->what, name);
	}
	if (pt->head_len == PART_HEAD && xml_prolog_open(pt->head, pt->head_len)) {
		pt->dtd = 1;
		return docent_error_set(DOCENT_EFORMAT,
					"%s part %s has no element in its first 64 KiB, which office "
					"documents never do; refused (it could hide a DTD)", a->what,
					name);
	}
	extract_xml_init();
	/* XML_PARSE_HUGE: a valid document may hold a text run over libxml2's
	 * 10 MB node limit or nest deeper than 256. What bounds the parse is
	 * the unpack budget (ingest.max_unpacked_size), counted as the reader
	 * pulls, and a DTD, the only way to expand entities, was refused above. */
	pt->r = xmlReaderForIO(part_read, part_noclose, pt, name, NULL,
			       XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
				       XML_PARSE_NOCDATA | XML_PARSE_HUGE);
	if (!pt->r)
		return docent_error_set(DOCENT_ENOMEM, "out of memory reading the %s", a->what);
	xmlTextReaderSetStructuredErrorHandler(pt->r, reader_error, &pt->err);
	return 0;
}

/* Why the reader stopped: the stream's own error (the budget, a corrupt
 * entry) when it has one, else the parser's first complaint. */
static int reader_failed(const part *pt)
{
	if (pt->rc)
		return pt->rc;
	if (pt->err.msg[0])
		return docent_error_set(DOCENT_EFORMAT,
					"corrupt %s: %s is not well-formed XML (line %d: %s)",
					pt->a->what, pt->name, pt->err.line, pt->err.msg);
	return docent_error_set(DOCENT_EFORMAT, "corrupt %s: %s is not well-formed XML",
				pt->a->what, pt->name);
}

static int ns_is(xmlTextReaderPtr r, const char *const *uris)
{
	const char *ns = (const char *)xmlTextReaderConstNamespaceUri(r);

	if (!ns)
		return 0;
	for (size_t i = 0; uris[i]; i++)
		if (strcmp(ns, uris[i]) == 0)
			return 1;
	return 0;
}

static int is_text_node(int type)
{
	return type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_CDATA ||
	       type == XML_READER_TYPE_WHITESPACE || type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE;
}

/* The text of the first element `local` in namespace `ns` (dc:title). */
static int read_dc_title(archive *a, const char *name, doc *d)
{
	static const char *const dc[] = {"http://purl.org/dc/elements/1.1/", NULL};
	part pt;
	int rc = part_open(&pt, a, name), ret;

	/* a missing or broken metadata part costs the title, not the document;
	 * the budget and encryption still stop it */
	if (rc == DOCENT_ENOTFOUND || pt.dtd) {
		part_close(&pt);
		docent_error_clear();
		return 0;
	}
	while (rc == 0 && (ret = xmlTextReaderRead(pt.r)) == 1) {
		if (xmlTextReaderNodeType(pt.r) == XML_READER_TYPE_ELEMENT &&
		    strcmp((const char *)xmlTextReaderConstLocalName(pt.r), "title") == 0 &&
		    ns_is(pt.r, dc)) {
			xmlChar *t = xmlTextReaderReadString(pt.r);
			if (t && *t)
				rc = doc_set_title(d, (const char *)t);
			xmlFree(t);
			break;
		}
	}
	if (rc == 0 && pt.rc)
		rc = pt.rc;
	part_close(&pt);
	return rc;
}

/* ---- what DOCX and ODT share: paragraphs and tables ---- */

typedef struct body {
	doc *d;
	dbuf para;        /* the current paragraph */
	int in_p;         /* paragraph nesting (text boxes, notes) */
	int level;        /* heading level of the current paragraph, 0 for none */
	int space;        /* para ends in collapsed white space (ODT) */
	int tables;       /* table nesting */
	dbuf table, row, cell;
	int cells;        /* cells in the current row */
	uint64_t doc_cap; /* bytes the document may take: half the budget */
	int rc;
} body;

/*
 * The text a part yields is held whole, and each short paragraph costs a
 * block besides its text: a bomb of short paragraphs within the unpack
 * budget would still hold most of it. So the document stops at half the
 * budget (text and blocks), keeping a part within about the budget.
 */
static int body_add(body *b, doc_block_kind kind, int level, const char *s, size_t n)
{
	int rc = doc_add(b->d, kind, level, 0, s, n);

	if (rc == 0 && b->doc_cap &&
	    b->d->text.len + b->d->cap * sizeof *b->d->blocks > b->doc_cap)
		rc = DOCENT_ETOOBIG;
	return rc;
}

/* The message for a body stopped by b->rc. */
static int body_failed(const body *b, const archive *a)
{
	if (b->rc == DOCENT_ETOOBIG)
		return docent_error_set(DOCENT_ETOOBIG,
					"%s text is over %lluMB (half of ingest.max_unpacked_size): "
					"a zip bomb, or a huge document; if it is genuine, raise "
					"ingest.max_unpacked_size", a->what,
					(unsigned long long)(b->doc_cap >> 20));
	return docent_error_set(b->rc, "out of memory reading the %s", a->what);
}

static void body_free(body *b)
{
	dbuf_free(&b->para);
	dbuf_free(&b->table);
	dbuf_free(&b->row);
	dbuf_free(&b->cell);
}

static void para_start(body *b)
{
	if (b->in_p++ == 0) {
		dbuf_reset(&b->para);
		b->level = 0;
		b->space = 1;
	} else if (!b->rc && b->para.len) {
		b->rc = dbuf_putc(&b->para, '\n');
	}
}

/* Appends s with line breaks as spaces (cell text is one line). */
static int put_flat(dbuf *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (dbuf_putc(out, s[i] == '\n' || s[i] == '\t' ? ' ' : s[i]))
			return DOCENT_ENOMEM;
	return 0;
}

static void para_end(body *b)
{
	if (b->in_p == 0 || --b->in_p > 0 || b->rc)
		return;
	if (b->tables > 0) {
		if (b->para.len) {
			if (b->cell.len)
				b->rc = dbuf_putc(&b->cell, ' ');
			if (!b->rc)
				b->rc = put_flat(&b->cell, b->para.data, b->para.len);
		}
	} else if (b->para.len) {
		b->rc = body_add(b, b->level ? DOC_HEADING : DOC_PARA, b->level, b->para.data,
				 b->para.len);
	}
	dbuf_reset(&b->para);
}

static void table_start(body *b)
{
	if (b->tables++ == 0)
		dbuf_reset(&b->table);
}

static void row_start(body *b)
{
	if (b->tables == 1) {
		dbuf_reset(&b->row);
		b->cells = 0;
	}
}

static void cell_start(body *b)
{
	if (b->tables == 1)
		dbuf_reset(&b->cell);
}

static int blank(const dbuf *s)
{
	for (size_t i = 0; i < s->len; i++)
		if (s->data[i] != ' ' && s->data[i] != '\t' && s->data[i] != '\n')
			return 0;
	return 1;
}

static void cell_end(body *b)
{
	size_t s = 0, e = b->cell.len;

	if (b->tables != 1 || b->rc)
		return;
	while (s < e && b->cell.data[s] == ' ')
		s++;
	while (e > s && b->cell.data[e - 1] == ' ')
		e--;
	if (b->cells++)
		b->rc = dbuf_puts(&b->row, " | ");
	if (!b->rc && e > s)
		b->rc = dbuf_append(&b->row, b->cell.data + s, e - s);
	dbuf_reset(&b->cell);
}

static void row_end(body *b)
{
	if (b->tables != 1 || b->rc)
		return;
	extract_trim_row(&b->row, 0);
	/* a row of empty cells is " |  | ": keep rows with some text */
	for (size_t i = 0; i < b->row.len; i++) {
		char c = b->row.data[i];
		if (c != ' ' && c != '|') {
			if (b->table.len)
				b->rc = dbuf_putc(&b->table, '\n');
			if (!b->rc)
				b->rc = dbuf_append(&b->table, b->row.data, b->row.len);
			break;
		}
	}
	dbuf_reset(&b->row);
}

static void table_end(body *b)
{
	if (b->tables == 0 || --b->tables > 0 || b->rc)
		return;
	if (!blank(&b->table))
		b->rc = body_add(b, DOC_TABLE, 0, b->table.data, b->table.len);
	dbuf_reset(&b->table);
}

static void put_text(body *b, const char *s, size_t n)
{
	if (!b->rc && b->in_p) {
		b->rc = dbuf_append(&b->para, s, n);
		b->space = 0;
	}
}

/* ODF collapses white space in text: runs become one space. */
static void put_collapsed(body *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n && !b->rc && b->in_p; i++) {
		char c = s[i];
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			if (!b->space)
				b->rc = dbuf_putc(&b->para, ' ');
			b->space = 1;
		} else {
			b->rc = dbuf_putc(&b->para, c);
			b->space = 0;
		}
	}
}

/* ---- DOCX ---- */

static const char *const w_ns[] = {
	"http://schemas.openxmlformats.org/wordprocessingml/2006/main",
	"http://purl.oclc.org/ooxml/wordprocessingml/main",
	NULL,
};
static const char *const mc_ns[] = {
	"http://schemas.openxmlformats.org/markup-compatibility/2006",
	NULL,
};

typedef struct style {
	char *id;
	char *based_on;
	int level; /* 0: not a heading; -1: not known yet */
} style;

typedef struct styles {
	style *v;
	size_t n, cap;
} styles;

static void styles_free(styles *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].id);
		free(s->v[i].based_on);
	}
	free(s->v);
}

/* Level from a style id or name: "Heading2", "heading 2", "Title". */
static int level_from_name(const char *s)
{
	if (!s)
		return 0;
	if (strcasecmp(s, "title") == 0)
		return 1;
	if (strncasecmp(s, "heading", 7) == 0) {
		const char *p = s + 7;
		while (*p == ' ')
			p++;
		if (*p >= '1' && *p <= '9' && p[1] == '\0')
			return *p - '0';
	}
	return 0;
}

static char *attr_w(xmlTextReaderPtr r, const char *local)
{
	for (size_t i = 0; w_ns[i]; i++) {
		xmlChar *v = xmlTextReaderGetAttributeNs(r, (const xmlChar *)local,
							 (const xmlChar *)w_ns[i]);
		if (v)
			return (char *)v;
	}
	return NULL;
}

static int local_is(xmlTextReaderPtr r, const char *name)
{
	const char *l = (const char *)xmlTextReaderConstLocalName(r);
	return l && strcmp(l, name) == 0;
}

/* word/styles.xml: which paragraph styles are headings. Best effort. */
static int load_styles(archive *a, styles *st)
{
	part pt;
	xmlTextReaderPtr r;
	style *cur = NULL;
	int rc = part_open(&pt, a, "word/styles.xml"), ret;

	if (rc == DOCENT_ENOTFOUND || pt.dtd) {
		part_close(&pt);
		docent_error_clear();
		return 0;
	}
	if (rc) {
		part_close(&pt);
		return rc;
	}
	r = pt.r;
	while ((ret = xmlTextReaderRead(r)) == 1 && rc == 0) {
		int type = xmlTextReaderNodeType(r);
		if (type == XML_READER_TYPE_END_ELEMENT && local_is(r, "style") && ns_is(r, w_ns)) {
			cur = NULL;
			continue;
		}
		if (type != XML_READER_TYPE_ELEMENT || !ns_is(r, w_ns))
			continue;
		if (local_is(r, "style")) {
			char *id = attr_w(r, "styleId");
			cur = NULL;
			if (!id)
				continue;
			if (st->n == st->cap) {
				size_t cap = st->cap ? st->cap * 2 : 64;
				style *v = realloc(st->v, cap * sizeof *v);
				if (!v) {
					xmlFree(id);
					rc = DOCENT_ENOMEM;
					break;
				}
				st->v = v;
				st->cap = cap;
			}
			cur = &st->v[st->n++];
			cur->id = strdup(id);
			cur->based_on = NULL;
			cur->level = level_from_name(id) ? level_from_name(id) : -1;
			xmlFree(id);
			if (!cur->id)
				rc = DOCENT_ENOMEM;
			if (xmlTextReaderIsEmptyElement(r))
				cur = NULL;
		} else if (cur && (local_is(r, "name") || local_is(r, "basedOn") ||
				   local_is(r, "outlineLvl"))) {
			char *v = attr_w(r, "val");
			if (!v)
				continue;
			if (local_is(r, "name")) {
				if (level_from_name(v))
					cur->level = level_from_name(v);
			} else if (local_is(r, "basedOn")) {
				free(cur->based_on);
				cur->based_on = strdup(v);
			} else if (cur->level <= 0 && v[0] >= '0' && v[0] <= '8' && !v[1]) {
				cur->level = v[0] - '0' + 1;
			}
			xmlFree(v);
		}
	}
	/* styles are best effort, but a stream stopped by the budget stops all */
	if (rc == 0 && pt.rc)
		rc = pt.rc;
	else if (rc == DOCENT_ENOMEM)
		rc = docent_error_set(rc, "out of memory reading DOCX styles");
	part_close(&pt);
	return rc;
}

static int style_level(const styles *st, const char *id)
{
	for (int hops = 0; id && hops < 8; hops++) {
		const style *s = NULL;
		for (size_t i = 0; i < st->n; i++)
			if (strcmp(st->v[i].id, id) == 0) {
				s = &st->v[i];
				break;
			}
		if (!s)
			return hops == 0 ? level_from_name(id) : 0;
		if (s->level >= 0)
			return s->level;
		id = s->based_on;
	}
	return 0;
}

static int docx_body(archive *a, const styles *st, doc *d)
{
	part pt;
	xmlTextReaderPtr r;
	body b = {.d = d, .doc_cap = a->budget == UINT64_MAX ? 0 : a->budget / 2};
	int rc, ret, in_t = 0, in_ppr = 0;

	rc = part_open(&pt, a, "word/document.xml");
	if (rc == DOCENT_ENOTFOUND)
		rc = docent_error_set(DOCENT_EFORMAT, "corrupt DOCX: word/document.xml is missing");
	if (rc) {
		part_close(&pt);
		return rc;
	}
	r = pt.r;
	ret = xmlTextReaderRead(r);
	while (ret == 1 && b.rc == 0) {
		int type = xmlTextReaderNodeType(r);
		if (is_text_node(type)) {
			if (in_t) {
				const char *v = (const char *)xmlTextReaderConstValue(r);
				if (v)
					put_text(&b, v, strlen(v));
			}
		} else if (type == XML_READER_TYPE_ELEMENT && ns_is(r, mc_ns)) {
			if (local_is(r, "Fallback")) { /* a copy of the Choice */
				ret = xmlTextReaderNext(r);
				continue;
			}
		} else if (type == XML_READER_TYPE_ELEMENT && ns_is(r, w_ns)) {
			int empty = xmlTextReaderIsEmptyElement(r);
			const char *l = (const char *)xmlTextReaderConstLocalName(r);
			if (strcmp(l, "p") == 0) {
				para_start(&b);
				if (empty)
					para_end(&b);
			} else if (strcmp(l, "pPr") == 0) {
				in_ppr = !empty;
			} else if (strcmp(l, "pStyle") == 0 && in_ppr && b.in_p) {
				char *v = attr_w(r, "val");
				int lvl = style_level(st, v);
				if (lvl)
					b.level = lvl;
				xmlFree(v);
			} else if (strcmp(l, "outlineLvl") == 0 && in_ppr && b.in_p) {
				char *v = attr_w(r, "val");
				if (v && v[0] >= '0' && v[0] <= '8' && !v[1])
					b.level = v[0] - '0' + 1;
				xmlFree(v);
			} else if (strcmp(l, "t") == 0) {
				in_t = !empty;
			} else if (strcmp(l, "tab") == 0 && !in_ppr) {
				put_text(&b, "\t", 1);
			} else if ((strcmp(l, "br") == 0 || strcmp(l, "cr") == 0) && !in_ppr) {
				put_text(&b, "\n", 1);
			} else if (strcmp(l, "noBreakHyphen") == 0) {
				put_text(&b, "-", 1);
			} else if (strcmp(l, "tbl") == 0) {
				table_start(&b);
				if (empty)
					table_end(&b);
			} else if (strcmp(l, "tr") == 0) {
				row_start(&b);
				if (empty)
					row_end(&b);
			} else if (strcmp(l, "tc") == 0) {
				cell_start(&b);
				if (empty)
					cell_end(&b);
			} else if (strcmp(l, "moveFrom") == 0 || strcmp(l, "del") == 0) {
				if (!empty) { /* tracked removals: not in the document */
					ret = xmlTextReaderNext(r);
					continue;
				}
			}
		} else if (type == XML_READER_TYPE_END_ELEMENT && ns_is(r, w_ns)) {
			const char *l = (const char *)xmlTextReaderConstLocalName(r);
			if (strcmp(l, "p") == 0)
				para_end(&b);
			else if (strcmp(l, "pPr") == 0)
				in_ppr = 0;
			else if (strcmp(l, "t") == 0)
				in_t = 0;
			else if (strcmp(l, "tc") == 0)
				cell_end(&b);
			else if (strcmp(l, "tr") == 0)
				row_end(&b);
			else if (strcmp(l, "tbl") == 0)
				table_end(&b);
		}
		ret = xmlTextReaderRead(r);
	}
	if (b.rc)
		rc = body_failed(&b, a);
	else if (ret < 0)
		rc = reader_failed(&pt);
	part_close(&pt);
	body_free(&b);
	return rc;
}

static int docx_extract(const extract_params *p, const char *data, size_t n, doc *d)
{
	archive a;
	styles st = {0};
	int rc = open_archive(&a, "DOCX", p, data, n);

	if (rc == 0)
		rc = load_styles(&a, &st);
	if (rc == 0)
		rc = docx_body(&a, &st, d);
	if (rc == 0)
		rc = read_dc_title(&a, "docProps/core.xml", d);
	styles_free(&st);
	close_archive(&a);
	return rc;
}

static int docx_sniff(const char *s, size_t n)
{
	return has_zip_magic(s, n) && extract_zip_kind(s, n) == ZIP_KIND_DOCX;
}

/* ---- ODT ---- */

static const char *const text_ns[] = {"urn:oasis:names:tc:opendocument:xmlns:text:1.0", NULL};
static const char *const table_ns[] = {"urn:oasis:names:tc:opendocument:xmlns:table:1.0", NULL};
static const char *const office_ns[] = {"urn:oasis:names:tc:opendocument:xmlns:office:1.0", NULL};

static int attr_int(xmlTextReaderPtr r, const char *local, const char *ns, int dflt, int max)
{
	xmlChar *v = xmlTextReaderGetAttributeNs(r, (const xmlChar *)local, (const xmlChar *)ns);
	long k = dflt;

	if (v) {
		char *end;
		k = strtol((const char *)v, &end, 10);
		if (end == (char *)v || k < 1)
			k = dflt;
		xmlFree(v);
	}
	return (int)(k > max ? max : k);
}

static int odt_encrypted(archive *a)
{
	dbuf m = DBUF_INIT;
	int rc = read_entry(a, "META-INF/manifest.xml", &m, 1u << 20), enc = 0;

	if (rc == 0 && m.len)
		enc = memmem(m.data, m.len, "encryption-data", 15) != NULL;
	dbuf_free(&m);
	if (rc == DOCENT_ENOTFOUND)
		rc = 0;
	if (rc)
		return rc;
	return enc ? docent_error_set(DOCENT_EENCRYPTED,
				      "encrypted ODT: docent cannot read password-protected files; "
				      "save an unprotected copy")
		   : 0;
}

static int odt_body(archive *a, doc *d)
{
	part pt;
	xmlTextReaderPtr r;
	body b = {.d = d, .doc_cap = a->budget == UINT64_MAX ? 0 : a->budget / 2};
	int rc, ret, in_body = 0;

	rc = part_open(&pt, a, "content.xml");
	if (rc == DOCENT_ENOTFOUND)
		rc = docent_error_set(DOCENT_EFORMAT, "corrupt ODT: content.xml is missing");
	if (rc) {
		part_close(&pt);
		return rc;
	}
	r = pt.r;
	ret = xmlTextReaderRead(r);
	while (ret == 1 && b.rc == 0) {
		int type = xmlTextReaderNodeType(r);
		if (is_text_node(type)) {
			const char *v = (const char *)xmlTextReaderConstValue(r);
			if (v && in_body)
				put_collapsed(&b, v, strlen(v));
		} else if (type == XML_READER_TYPE_ELEMENT) {
			int empty = xmlTextReaderIsEmptyElement(r);
			const char *l = (const char *)xmlTextReaderConstLocalName(r);
			if (ns_is(r, office_ns)) {
				if (strcmp(l, "body") == 0) {
					in_body = !empty;
				} else if (strcmp(l, "annotation") == 0 && !empty) {
					ret = xmlTextReaderNext(r);
					continue;
				}
			} else if (ns_is(r, text_ns)) {
				if (strcmp(l, "h") == 0 || strcmp(l, "p") == 0) {
					para_start(&b);
					if (l[0] == 'h' && b.in_p == 1)
						b.level = attr_int(r, "outline-level", text_ns[0], 1, 10);
					if (empty)
						para_end(&b);
				} else if (strcmp(l, "s") == 0) {
					int k = attr_int(r, "c", text_ns[0], 1, 256);
					for (int i = 0; i < k; i++)
						put_text(&b, " ", 1);
					b.space = 1;
				} else if (strcmp(l, "tab") == 0) {
					put_text(&b, "\t", 1);
					b.space = 1;
				} else if (strcmp(l, "line-break") == 0) {
					put_text(&b, "\n", 1);
					b.space = 1;
				} else if ((strcmp(l, "tracked-changes") == 0 ||
					    strcmp(l, "note-citation") == 0 ||
					    strcmp(l, "deletion") == 0) && !empty) {
					ret = xmlTextReaderNext(r);
					continue;
				}
			} else if (ns_is(r, table_ns)) {
				if (strcmp(l, "table") == 0) {
					table_start(&b);
					if (empty)
						table_end(&b);
				} else if (strcmp(l, "table-row") == 0) {
					row_start(&b);
					if (empty)
						row_end(&b);
				} else if (strcmp(l, "table-cell") == 0 ||
					   strcmp(l, "covered-table-cell") == 0) {
					cell_start(&b);
					if (empty)
						cell_end(&b);
				}
			}
		} else if (type == XML_READER_TYPE_END_ELEMENT) {
			const char *l = (const char *)xmlTextReaderConstLocalName(r);
			if (ns_is(r, text_ns)) {
				if (strcmp(l, "h") == 0 || strcmp(l, "p") == 0)
					para_end(&b);
			} else if (ns_is(r, table_ns)) {
				if (strcmp(l, "table") == 0)
					table_end(&b);
				else if (strcmp(l, "table-row") == 0)
					row_end(&b);
				else if (strcmp(l, "table-cell") == 0 ||
					 strcmp(l, "covered-table-cell") == 0)
					cell_end(&b);
			} else if (ns_is(r, office_ns) && strcmp(l, "body") == 0) {
				in_body = 0;
			}
		}
		ret = xmlTextReaderRead(r);
	}
	if (b.rc)
		rc = body_failed(&b, a);
	else if (ret < 0)
		rc = reader_failed(&pt);
	part_close(&pt);
	body_free(&b);
	return rc;
}

static int odt_extract(const extract_params *p, const char *data, size_t n, doc *d)
{
	archive a;
	int rc = open_archive(&a, "ODT", p, data, n);

	if (rc == 0)
		rc = odt_encrypted(&a);
	if (rc == 0)
		rc = odt_body(&a, d);
	if (rc == 0)
		rc = read_dc_title(&a, "meta.xml", d);
	close_archive(&a);
	return rc;
}

static int odt_sniff(const char *s, size_t n)
{
	return has_zip_magic(s, n) && extract_zip_kind(s, n) == ZIP_KIND_ODT;
}

static const char *const docx_ext[] = {"docx", "docm", "dotx", NULL};
static const char *const odt_ext[] = {"odt", "ott", NULL};

const extractor extract_docx = {
	.format = "docx",
	.extensions = docx_ext,
	.sniff = docx_sniff,
	.extract = docx_extract,
};

const extractor extract_odt = {
	.format = "odt",
	.extensions = odt_ext,
	.sniff = odt_sniff,
	.extract = odt_extract,
};
