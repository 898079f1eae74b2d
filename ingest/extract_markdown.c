/*
 * extract_markdown.c - Markdown through md4c (GitHub dialect: tables,
 * strikethrough, autolinks, task lists).
 *
 * Headings keep their level, paragraphs and list items become paragraphs
 * (one block per item), code blocks DOC_PRE, tables DOC_TABLE ("a | b"
 * rows). Inline markup keeps its text; a link keeps its text and drops the
 * URL unless the text is empty. Raw HTML blocks go through the HTML
 * extractor's walker, so an HTML table in Markdown is still a table; inline
 * tags are dropped. YAML (---) or TOML (+++) front matter is skipped. The
 * title is the first H1, else the front matter's "title".
 */
#include "core/error.h"
#include "core/text.h"
#include "ingest/extract_int.h"

#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLparser.h>
#include <md4c.h>

#define MAX_LINKS 16

typedef struct mdw {
	doc *d;
	dbuf cur;
	doc_block_kind kind;
	int level;
	int in_html;           /* inside a raw HTML block */
	dbuf html;
	int rows, cells;       /* of the current table / row */
	size_t links[MAX_LINKS];
	int nlinks;
	dbuf h1;
	int have_h1;
	int rc;
} mdw;

static int flush(mdw *w)
{
	if (w->rc)
		return w->rc;
	if (w->cur.len) {
		w->rc = doc_add(w->d, w->kind, w->level, 0, w->cur.data, w->cur.len);
		if (!w->rc && w->kind == DOC_HEADING && w->level == 1 && !w->have_h1) {
			w->have_h1 = 1;
			w->rc = dbuf_append(&w->h1, w->cur.data, w->cur.len);
		}
	}
	dbuf_reset(&w->cur);
	w->kind = DOC_PARA;
	w->level = 0;
	return w->rc;
}

static int flush_html(mdw *w)
{
	if (w->rc || !w->html.len)
		return w->rc;
	w->rc = extract_html_blocks(w->html.data, w->html.len, "UTF-8", w->d, NULL);
	dbuf_reset(&w->html);
	return w->rc;
}

static int enter_block(MD_BLOCKTYPE type, void *detail, void *ud)
{
	mdw *w = ud;

	/* CommonMark ends an HTML block at a blank line, so an HTML table
	 * written with blank lines arrives in pieces: they are gathered and
	 * parsed together when something else begins */
	if (type != MD_BLOCK_HTML && type != MD_BLOCK_DOC)
		flush_html(w);
	switch (type) {
	case MD_BLOCK_H:
		flush(w);
		w->kind = DOC_HEADING;
		w->level = (int)((MD_BLOCK_H_DETAIL *)detail)->level;
		break;
	case MD_BLOCK_CODE:
		flush(w);
		w->kind = DOC_PRE;
		break;
	case MD_BLOCK_HTML:
		flush(w);
		w->in_html = 1;
		if (w->html.len && !w->rc)
			w->rc = dbuf_putc(&w->html, '\n');
		break;
	case MD_BLOCK_TABLE:
		flush(w);
		w->kind = DOC_TABLE;
		w->rows = 0;
		break;
	case MD_BLOCK_TR:
		if (w->rows++ && !w->rc)
			w->rc = dbuf_putc(&w->cur, '\n');
		w->cells = 0;
		break;
	case MD_BLOCK_TH:
	case MD_BLOCK_TD:
		if (w->cells++ && !w->rc)
			w->rc = dbuf_puts(&w->cur, " | ");
		break;
	case MD_BLOCK_THEAD:
	case MD_BLOCK_TBODY:
	case MD_BLOCK_DOC:
		break;
	default: /* P, LI, QUOTE, UL, OL, HR: a block boundary */
		flush(w);
		break;
	}
	return w->rc;
}

static int leave_block(MD_BLOCKTYPE type, void *detail, void *ud)
{
	mdw *w = ud;

	(void)detail;
	switch (type) {
	case MD_BLOCK_HTML:
		w->in_html = 0;
		break;
	case MD_BLOCK_TR:
	case MD_BLOCK_TH:
	case MD_BLOCK_TD:
	case MD_BLOCK_THEAD:
	case MD_BLOCK_TBODY:
	case MD_BLOCK_DOC:
		break;
	default:
		flush(w);
		break;
	}
	return w->rc;
}

static int put_attribute(dbuf *b, const MD_ATTRIBUTE *a)
{
	return a->text && a->size ? dbuf_append(b, a->text, a->size) : 0;
}

static int enter_span(MD_SPANTYPE type, void *detail, void *ud)
{
	mdw *w = ud;

	(void)detail;
	if (type == MD_SPAN_A) {
		if (w->nlinks < MAX_LINKS)
			w->links[w->nlinks] = w->cur.len;
		w->nlinks++;
	}
	return w->rc;
}

static int leave_span(MD_SPANTYPE type, void *detail, void *ud)
{
	mdw *w = ud;

	if (type == MD_SPAN_A && w->nlinks > 0) {
		w->nlinks--;
		if (w->nlinks < MAX_LINKS) {
			size_t at = w->links[w->nlinks];
			int empty = 1;
			for (size_t i = at; i < w->cur.len; i++)
				if (w->cur.data[i] != ' ' && w->cur.data[i] != '\n')
					empty = 0;
			if (empty && !w->rc)
				w->rc = put_attribute(&w->cur, &((MD_SPAN_A_DETAIL *)detail)->href);
		}
	}
	return w->rc;
}

/* "&amp;", "&#233;", "&#xE9;" -> UTF-8; unknown names stay as written. */
static int put_entity(dbuf *b, const char *s, size_t n)
{
	char name[40];
	unsigned long cp = 0;

	if (n < 3 || s[0] != '&' || s[n - 1] != ';' || n - 2 >= sizeof name)
		return dbuf_append(b, s, n);
	memcpy(name, s + 1, n - 2);
	name[n - 2] = '\0';
	if (name[0] == '#') {
		char *end;
		if (name[1] == 'x' || name[1] == 'X')
			cp = strtoul(name + 2, &end, 16);
		else
			cp = strtoul(name + 1, &end, 10);
		if (*end || cp > 0x10FFFF)
			cp = 0xFFFD;
		return extract_put_cp(b, (unsigned)cp);
	}
	const htmlEntityDesc *e = htmlEntityLookup((const xmlChar *)name);
	if (e)
		return extract_put_cp(b, e->value);
	return dbuf_append(b, s, n);
}

static int text(MD_TEXTTYPE type, const MD_CHAR *s, MD_SIZE n, void *ud)
{
	mdw *w = ud;

	if (w->rc)
		return w->rc;
	if (w->in_html) {
		w->rc = dbuf_append(&w->html, s, n);
		return w->rc;
	}
	switch (type) {
	case MD_TEXT_NULLCHAR:
		w->rc = extract_put_cp(&w->cur, 0xFFFD);
		break;
	case MD_TEXT_BR:
		w->rc = dbuf_putc(&w->cur, w->kind == DOC_HEADING ? ' ' : '\n');
		break;
	case MD_TEXT_SOFTBR:
		w->rc = dbuf_putc(&w->cur, w->kind == DOC_HEADING || w->kind == DOC_TABLE ? ' ' : '\n');
		break;
	case MD_TEXT_ENTITY:
		w->rc = put_entity(&w->cur, s, n);
		break;
	case MD_TEXT_HTML: /* an inline tag: only a line break means anything */
		if (n >= 3 && (s[1] == 'b' || s[1] == 'B') && (s[2] == 'r' || s[2] == 'R'))
			w->rc = dbuf_putc(&w->cur, w->kind == DOC_PARA ? '\n' : ' ');
		break;
	default: /* NORMAL, CODE, LATEXMATH */
		w->rc = dbuf_append(&w->cur, s, n);
		break;
	}
	return w->rc;
}

/* Length of the line at s[0..n) including its '\n'. */
static size_t line_len(const char *s, size_t n)
{
	const char *nl = memchr(s, '\n', n);
	return nl ? (size_t)(nl - s) + 1 : n;
}

static int is_fence(const char *s, size_t len, char c)
{
	while (len && (s[len - 1] == '\n' || s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	return len == 3 && s[0] == c && s[1] == c && s[2] == c;
}

/*
 * Skips front matter: "---" (YAML) or "+++" (TOML) alone on the first line,
 * up to the same marker (or "..." for YAML). Returns the bytes to skip and
 * copies the title, if one is given, into *title.
 */
static size_t front_matter(const char *s, size_t n, dbuf *title)
{
	size_t pos, len = line_len(s, n);
	char c;

	if (n < 3 || (s[0] != '-' && s[0] != '+') || !is_fence(s, len, s[0]))
		return 0;
	c = s[0];
	for (pos = len; pos < n; pos += len) {
		const char *l = s + pos;
		len = line_len(l, n - pos);
		if (is_fence(l, len, c) || (c == '-' && is_fence(l, len, '.')))
			return pos + len;
		if (title->len == 0 && len > 6 && memcmp(l, "title", 5) == 0) {
			size_t i = 5, e = len;
			while (i < len && (l[i] == ' ' || l[i] == '\t'))
				i++;
			if (i >= len || (l[i] != ':' && l[i] != '='))
				continue;
			i++;
			while (i < e && (l[i] == ' ' || l[i] == '\t'))
				i++;
			while (e > i && (l[e - 1] == '\n' || l[e - 1] == ' ' || l[e - 1] == '\t' ||
					 l[e - 1] == '\r'))
				e--;
			if (e - i >= 2 && (l[i] == '"' || l[i] == '\'') && l[e - 1] == l[i]) {
				i++;
				e--;
			}
			if (e > i && dbuf_append(title, l + i, e - i))
				return 0;
		}
	}
	dbuf_reset(title);
	return 0; /* no closing marker: not front matter */
}

static int markdown_extract(const extract_params *p, const char *data, size_t n, doc *d)
{
	MD_PARSER parser = {
		.abi_version = 0,
		.flags = MD_DIALECT_GITHUB,
		.enter_block = enter_block,
		.leave_block = leave_block,
		.enter_span = enter_span,
		.leave_span = leave_span,
		.text = text,
	};
	mdw w = {.d = d, .kind = DOC_PARA};
	dbuf t = DBUF_INIT, fm_title = DBUF_INIT;
	size_t skip;
	int rc;

	(void)p;
	rc = text_decode(data, n, &t, NULL);
	if (rc == DOCENT_EUNSUPPORTED && !text_utf16_unmarked(data, n))
		return docent_error_set(rc, "binary content, not text: this file is not Markdown");
	if (rc)
		return rc;
	if (t.len > 0xFFFFFFF0u) {
		dbuf_free(&t);
		return docent_error_set(DOCENT_ETOOBIG, "Markdown file over 4 GiB");
	}
	extract_xml_init();
	skip = t.len ? front_matter(t.data, t.len, &fm_title) : 0;
	if (md_parse(t.data ? t.data + skip : "", (MD_SIZE)(t.len - skip), &parser, &w) && !w.rc)
		w.rc = docent_error_set(DOCENT_EFORMAT, "Markdown could not be parsed");
	flush(&w);
	flush_html(&w);
	rc = w.rc;
	if (rc == 0 && w.h1.len)
		rc = doc_set_title(d, w.h1.data);
	else if (rc == 0 && fm_title.len)
		rc = doc_set_title(d, fm_title.data);
	dbuf_free(&w.cur);
	dbuf_free(&w.html);
	dbuf_free(&w.h1);
	dbuf_free(&fm_title);
	dbuf_free(&t);
	return rc;
}

static const char *const md_ext[] = {"md", "markdown", "mdown", "mkd", "mkdn", "mdwn", NULL};

const extractor extract_markdown = {
	.format = "markdown",
	.extensions = md_ext,
	.sniff = NULL,
	.extract = markdown_extract,
};
