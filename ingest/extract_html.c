/*
 * extract_html.c - HTML and XHTML through libxml2's forgiving HTML parser.
 *
 * The tree is walked once. Scripts, styles, SVG, navigation (<nav>,
 * role="navigation", menu-like classes), hidden elements and form controls
 * are skipped whole. Headings become DOC_HEADING, <pre> DOC_PRE, data
 * tables DOC_TABLE (a row a line, cells joined by " | "); text in any other
 * block element (p, li, div with text of its own...) becomes a paragraph.
 * Tables used for layout (one cell, or holding headings or tables) are
 * walked as ordinary containers. The title is <title>, else the first <h1>.
 * A page over 4 MB is read from the parser's events instead, without a
 * tree (see html_stream()).
 */
#include "core/error.h"
#include "core/text.h"
#include "ingest/extract_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>

typedef struct walker {
	doc *d;
	dbuf cur;             /* the pending block's text */
	doc_block_kind kind;  /* the pending block's kind */
	int level;
	int pre;              /* inside <pre> */
	int space;            /* cur ends in collapsed white space */
	dbuf h1;              /* the first <h1>, for the title */
	int have_h1;
	int rc;
} walker;

static const char *const skipped[] = {
	"script", "style", "noscript", "template", "svg", "math", "nav", "head",
	"iframe", "object", "embed", "canvas", "button", "input", "select",
	"textarea", "option", "optgroup", "datalist", "label", "map", "audio",
	"video", "dialog", NULL,
};

static const char *const blocks[] = {
	"p", "div", "section", "article", "main", "aside", "header", "footer",
	"address", "blockquote", "li", "dd", "dt", "dl", "ul", "ol", "menu",
	"figure", "figcaption", "details", "summary", "center", "body", "html",
	"hr", "fieldset", "legend", "caption", "form", "tr", "td", "th", "thead",
	"tbody", "tfoot", "hgroup", "search", NULL,
};

/* class tokens that mark site navigation rather than content */
static const char *const nav_classes[] = {
	"nav", "navbar", "navigation", "menu", "mainmenu", "submenu", "breadcrumb",
	"breadcrumbs", "skip-link", "sr-only", NULL,
};

static int in_list(const char *s, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (strcmp(s, list[i]) == 0)
			return 1;
	return 0;
}

static const char *attr(const xmlNode *n, const char *name)
{
	for (const xmlAttr *a = n->properties; a; a = a->next)
		if (a->name && strcasecmp((const char *)a->name, name) == 0)
			return a->children && a->children->content ? (const char *)a->children->content
								   : "";
	return NULL;
}

static int has_nav_class(const char *cls)
{
	char tok[64];

	while (cls && *cls) {
		size_t k = 0;
		while (*cls == ' ' || *cls == '\t' || *cls == '\n')
			cls++;
		while (*cls && *cls != ' ' && *cls != '\t' && *cls != '\n') {
			if (k + 1 < sizeof tok)
				tok[k++] = (char)(*cls >= 'A' && *cls <= 'Z' ? *cls + 32 : *cls);
			cls++;
		}
		tok[k] = '\0';
		if (k && in_list(tok, nav_classes))
			return 1;
	}
	return 0;
}

static int is_skipped(const xmlNode *n)
{
	const char *name = (const char *)n->name, *v;

	if (in_list(name, skipped))
		return 1;
	if ((v = attr(n, "role")) && strcasecmp(v, "navigation") == 0)
		return 1;
	if (attr(n, "hidden"))
		return 1;
	if ((v = attr(n, "aria-hidden")) && strcasecmp(v, "true") == 0)
		return 1;
	if ((v = attr(n, "class")) && has_nav_class(v))
		return 1;
	return 0;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* Appends text, collapsing white space runs to one space unless in <pre>. */
static int put_text(dbuf *b, int *space, const char *s, size_t n, int pre)
{
	size_t i = 0;

	if (pre)
		return dbuf_append(b, s, n);
	while (i < n) {
		size_t j = i;
		while (j < n && !is_space(s[j]))
			j++;
		if (j > i) {
			if (dbuf_append(b, s + i, j - i))
				return DOCENT_ENOMEM;
			*space = 0;
		}
		if (j < n) {
			if (!*space && b->len && dbuf_putc(b, ' '))
				return DOCENT_ENOMEM;
			*space = 1;
		}
		while (j < n && is_space(s[j]))
			j++;
		i = j;
	}
	return 0;
}

static void flush(walker *w)
{
	if (w->rc)
		return;
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
	w->space = 1;
}

/*
 * The tree is walked without recursion: a page may nest elements 100,000
 * deep (unclosed <font> tags do it), and a recursive walk would either
 * overflow the stack or, cut at some depth, lose text silently. next_node()
 * moves in document order using the nodes' parent links; `leave` is called
 * on each element whose children were entered, after them.
 */

/* The node after n's subtree (its next sibling, else an ancestor's), calling
 * leave(ctx, parent) on each ancestor left on the way; NULL after root. */
static const xmlNode *climb(const xmlNode *n, const xmlNode *root,
			    void (*leave)(void *, const xmlNode *), void *ctx)
{
	while (n && n != root) {
		if (n->next)
			return n->next;
		n = n->parent;
		if (!n || n == root)
			return NULL;
		if (leave)
			leave(ctx, n);
	}
	return NULL;
}

static int is_sep(const xmlNode *c)
{
	return strcmp((const char *)c->name, "br") == 0 || in_list((const char *)c->name, blocks);
}

typedef struct flat_ctx {
	dbuf *b;
	int *space;
	int rc;
} flat_ctx;

static void flat_leave(void *arg, const xmlNode *c)
{
	flat_ctx *f = arg;

	if (!f->rc && is_sep(c))
		f->rc = put_text(f->b, f->space, " ", 1, 0);
}

/* All the text under n, flattened to one line (table cells, titles). */
static int flat_text(const xmlNode *n, dbuf *b, int *space)
{
	flat_ctx f = {.b = b, .space = space};
	const xmlNode *c = n->children;

	while (c && !f.rc) {
		if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
			if (c->content)
				f.rc = put_text(b, space, (const char *)c->content,
						strlen((const char *)c->content), 0);
		} else if (c->type == XML_ELEMENT_NODE && c->name && !is_skipped(c)) {
			if (is_sep(c))
				f.rc = put_text(b, space, " ", 1, 0);
			if (c->children) {
				c = c->children;
				continue;
			}
			flat_leave(&f, c);
		}
		c = climb(c, n, flat_leave, &f);
	}
	return f.rc ? DOCENT_ENOMEM : 0;
}

static int is_name(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->name && strcmp((const char *)n->name, name) == 0;
}

/* Does the table hold things a data table does not (headings, tables)? */
static int looks_like_layout(const xmlNode *t)
{
	const xmlNode *c = t->children;

	while (c) {
		if (c->type == XML_ELEMENT_NODE && c->name) {
			const char *name = (const char *)c->name;
			if (strcmp(name, "table") == 0 || strcmp(name, "pre") == 0 ||
			    (name[0] == 'h' && name[1] >= '1' && name[1] <= '6' && !name[2]))
				return 1;
			if (c->children) {
				c = c->children;
				continue;
			}
		}
		c = climb(c, t, NULL, NULL);
	}
	return 0;
}

/* Counts the rows of table t (tr directly or in thead/tbody/tfoot) and
 * keeps the first `max` of them. */
static void table_rows(const xmlNode *t, const xmlNode **rows, size_t *nrows, size_t max,
		       int depth)
{
	for (const xmlNode *c = t->children; c; c = c->next) {
		if (is_name(c, "tr")) {
			if (*nrows < max)
				rows[*nrows] = c;
			(*nrows)++;
		} else if (depth < 8 &&
			   (is_name(c, "thead") || is_name(c, "tbody") || is_name(c, "tfoot"))) {
			table_rows(c, rows, nrows, max, depth + 1);
		}
	}
}

static size_t count_cells(const xmlNode *tr)
{
	size_t k = 0;

	for (const xmlNode *c = tr->children; c; c = c->next)
		if (is_name(c, "td") || is_name(c, "th"))
			k++;
	return k;
}

static int is_cell(const xmlNode *n)
{
	return is_name(n, "td") || is_name(n, "th");
}

/* Appends one row line, from the cells among `first` and its siblings: all
 * of them for a <tr>'s children, or only the run of cells at `first` when
 * broken markup left cells outside any row. Returns the node after the
 * cells used. */
static const xmlNode *table_row(walker *w, const xmlNode *first, int run_only, dbuf *tab)
{
	size_t row_start = tab->len, cells = 0;
	int nonempty = 0;
	const xmlNode *c;

	if (tab->len && (w->rc = dbuf_putc(tab, '\n')))
		return NULL;
	for (c = first; c && !w->rc; c = c->next) {
		if (!is_cell(c)) {
			if (run_only && c->type == XML_ELEMENT_NODE)
				break;
			continue;
		}
		if (cells++ && (w->rc = dbuf_puts(tab, " | ")))
			break;
		size_t at = tab->len;
		int space = 1;
		if ((w->rc = flat_text(c, tab, &space)))
			break;
		while (tab->len > at && tab->data[tab->len - 1] == ' ')
			dbuf_truncate(tab, tab->len - 1);
		if (tab->len > at)
			nonempty = 1;
	}
	if (!nonempty)
		dbuf_truncate(tab, row_start);
	else
		extract_trim_row(tab, row_start + (row_start ? 1 : 0));
	return c;
}

/* The rows of t and of its thead/tbody/tfoot (nested a few levels at most:
 * the parser does not nest those in practice). */
static void walk_rows(walker *w, const xmlNode *t, dbuf *tab, int group)
{
	const xmlNode *r = t->children;

	while (r && !w->rc) {
		if (group < 8 && (is_name(r, "thead") || is_name(r, "tbody") || is_name(r, "tfoot"))) {
			walk_rows(w, r, tab, group + 1);
		} else if (is_name(r, "tr")) {
			table_row(w, r->children, 0, tab);
		} else if (is_cell(r)) {
			r = table_row(w, r, 1, tab);
			continue;
		}
		r = r->next;
	}
}

/* What to do on leaving an element whose children were walked. */
enum {
	LEAVE_NONE = 0,
	LEAVE_FLUSH,     /* a block, heading or layout table */
	LEAVE_PRE,       /* <pre>: one level less, then flush */
};

static void walk_tree(walker *w, const xmlNode *root, int nest);

/* A data table: its captions as blocks, then one DOC_TABLE of its rows.
 * `nest` counts data tables inside captions, the only recursion left. */
static void walk_data_table(walker *w, const xmlNode *t, int nest)
{
	dbuf tab = DBUF_INIT;

	flush(w);
	for (const xmlNode *c = t->children; c && !w->rc; c = c->next) {
		if (is_name(c, "caption")) {
			if (nest < 8) {
				walk_tree(w, c, nest + 1);
			} else {
				int space = 1;
				w->rc = flat_text(c, &w->cur, &space);
			}
			flush(w);
		}
	}
	walk_rows(w, t, &tab, 0);
	if (!w->rc && tab.len)
		w->rc = doc_add(w->d, DOC_TABLE, 0, 0, tab.data, tab.len);
	dbuf_free(&tab);
}

/* Enters n: handles it and returns the LEAVE_ action for after its
 * children, or -1 when its children are not to be walked. */
static int enter(walker *w, const xmlNode *n, int nest)
{
	const char *name;

	if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
		if (n->content)
			w->rc = put_text(&w->cur, &w->space, (const char *)n->content,
					 strlen((const char *)n->content), w->pre);
		return -1;
	}
	if (n->type == XML_DOCUMENT_NODE || n->type == XML_HTML_DOCUMENT_NODE)
		return LEAVE_NONE;
	if (n->type != XML_ELEMENT_NODE || !n->name || is_skipped(n))
		return -1;
	name = (const char *)n->name;
	if (name[0] == 'h' && name[1] >= '1' && name[1] <= '6' && !name[2]) {
		flush(w);
		w->kind = DOC_HEADING;
		w->level = name[1] - '0';
		return LEAVE_FLUSH;
	}
	if (strcmp(name, "pre") == 0 || strcmp(name, "listing") == 0 || strcmp(name, "xmp") == 0) {
		flush(w);
		w->kind = DOC_PRE;
		w->pre++;
		return LEAVE_PRE;
	}
	if (strcmp(name, "table") == 0) {
		const xmlNode *rows[2];
		size_t nrows = 0;

		if (w->pre)
			return LEAVE_NONE;
		table_rows(n, rows, &nrows, 2, 0);
		if (nrows == 0 || (nrows == 1 && count_cells(rows[0]) <= 1) ||
		    looks_like_layout(n)) {
			flush(w);
			return LEAVE_FLUSH;
		}
		walk_data_table(w, n, nest);
		return -1;
	}
	if (strcmp(name, "br") == 0) {
		w->rc = dbuf_putc(&w->cur, '\n');
		w->space = 1;
		return -1;
	}
	if (!w->pre && in_list(name, blocks)) {
		flush(w);
		return LEAVE_FLUSH;
	}
	return LEAVE_NONE;
}

typedef struct leave_ctx {
	walker *w;
	dbuf *stack; /* one LEAVE_ byte per entered element, innermost last */
} leave_ctx;

static void leave_now(walker *w, int act)
{
	if (act == LEAVE_PRE)
		w->pre--;
	if (act != LEAVE_NONE)
		flush(w);
}

static void do_leave(void *arg, const xmlNode *n)
{
	leave_ctx *l = arg;

	(void)n;
	leave_now(l->w, l->stack->len ? l->stack->data[--l->stack->len] : LEAVE_NONE);
}

/* Walks root and everything under it, in document order. */
static void walk_tree(walker *w, const xmlNode *root, int nest)
{
	dbuf stack = DBUF_INIT;
	leave_ctx l = {.w = w, .stack = &stack};
	int root_act = enter(w, root, nest);
	const xmlNode *n;

	if (root_act < 0 || w->rc)
		return;
	n = root->children;
	while (n && !w->rc) {
		int act = enter(w, n, nest);
		if (act >= 0 && n->children && !w->rc) {
			if ((w->rc = dbuf_putc(&stack, (char)act)))
				break;
			n = n->children;
			continue;
		}
		if (act >= 0 && !w->rc)
			leave_now(w, act);
		n = climb(n, root, do_leave, &l);
	}
	if (!w->rc)
		leave_now(w, root_act);
	dbuf_free(&stack);
}

/* The text of the first <title> element (in <head>), or NULL. */
static const xmlNode *find_title(const xmlNode *n, int depth)
{
	for (const xmlNode *c = n; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE || !c->name)
			continue;
		if (strcmp((const char *)c->name, "title") == 0)
			return c;
		if (strcmp((const char *)c->name, "body") == 0)
			return NULL;
		if (depth < 4 && c->children) {
			const xmlNode *t = find_title(c->children, depth + 1);
			if (t)
				return t;
		}
	}
	return NULL;
}

/* Is an encoding declared (BOM, meta charset, XML declaration)? */
static int declares_encoding(const char *s, size_t n)
{
	size_t m = n < 2048 ? n : 2048;

	if (n >= 2 && ((unsigned char)s[0] == 0xFF || (unsigned char)s[0] == 0xFE))
		return 1;
	if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
		return 1;
	for (size_t i = 0; i + 8 <= m; i++) {
		if (strncasecmp(s + i, "charset=", 8) == 0)
			return 1;
		if (i + 9 <= m && strncasecmp(s + i, "encoding=", 9) == 0)
			return 1;
	}
	return 0;
}

/*
 * A large page is read without building its tree: libxml2's tree costs about
 * twenty times the page (a 42 MB page peaked at 779 MB), so over
 * STREAM_OVER bytes the parser's SAX events drive the same walker, with
 * the same rules, as they come. What the tree gave and events cannot is
 * lookahead: tables there are not told apart as data or layout, and come
 * out as one paragraph per row, cells joined by " | ".
 */
#define STREAM_OVER (4u << 20)

enum {
	SAX_NONE = 0,
	SAX_FLUSH,      /* a block or a heading: flush on leaving */
	SAX_PRE,        /* <pre>: one level less, then flush */
	SAX_SKIP,       /* the element that started a skipped subtree */
	SAX_TITLE,      /* <title> */
};

typedef struct sax_state {
	walker w;
	dbuf stack;     /* one SAX_ byte per open element, innermost last */
	int skip;       /* skipped subtrees entered (0: reading) */
	int in_title;
	dbuf title;
	int title_space;
	int have_title;
	int cells;      /* cells so far in the current table row */
} sax_state;

static const char *sax_attr(const xmlChar **atts, const char *name)
{
	for (size_t i = 0; atts && atts[i]; i += 2)
		if (strcasecmp((const char *)atts[i], name) == 0)
			return atts[i + 1] ? (const char *)atts[i + 1] : "";
	return NULL;
}

/* is_skipped(), from a start tag's attributes */
static int sax_skipped(const char *name, const xmlChar **atts)
{
	const char *v;

	if (in_list(name, skipped))
		return 1;
	if ((v = sax_attr(atts, "role")) && strcasecmp(v, "navigation") == 0)
		return 1;
	if (sax_attr(atts, "hidden"))
		return 1;
	if ((v = sax_attr(atts, "aria-hidden")) && strcasecmp(v, "true") == 0)
		return 1;
	if ((v = sax_attr(atts, "class")) && has_nav_class(v))
		return 1;
	return 0;
}

static int sax_enter(sax_state *st, const char *name, const xmlChar **atts)
{
	walker *w = &st->w;

	if (strcmp(name, "title") == 0 && !st->have_title && !st->in_title) {
		st->in_title = 1;
		return SAX_TITLE;
	}
	if (st->skip)
		return SAX_NONE;
	if (sax_skipped(name, atts)) {
		st->skip++;
		return SAX_SKIP;
	}
	if (name[0] == 'h' && name[1] >= '1' && name[1] <= '6' && !name[2]) {
		flush(w);
		w->kind = DOC_HEADING;
		w->level = name[1] - '0';
		return SAX_FLUSH;
	}
	if (strcmp(name, "pre") == 0 || strcmp(name, "listing") == 0 || strcmp(name, "xmp") == 0) {
		flush(w);
		w->kind = DOC_PRE;
		w->pre++;
		return SAX_PRE;
	}
	if (strcmp(name, "br") == 0) {
		w->rc = dbuf_putc(&w->cur, '\n');
		w->space = 1;
		return SAX_NONE;
	}
	if (w->pre)
		return SAX_NONE;
	if (strcmp(name, "td") == 0 || strcmp(name, "th") == 0) {
		if (st->cells++)
			w->rc = put_text(&w->cur, &w->space, " | ", 3, 0);
		return SAX_NONE;
	}
	if (strcmp(name, "tr") == 0 || strcmp(name, "table") == 0) {
		flush(w);
		st->cells = 0;
		return SAX_FLUSH;
	}
	if (in_list(name, blocks)) {
		flush(w);
		return SAX_FLUSH;
	}
	return SAX_NONE;
}

static void sax_start(void *ctx, const xmlChar *name, const xmlChar **atts)
{
	sax_state *st = ctx;

	if (st->w.rc || !name)
		return;
	int act = sax_enter(st, (const char *)name, atts);
	if (!st->w.rc)
		st->w.rc = dbuf_putc(&st->stack, (char)act);
}

static void sax_end(void *ctx, const xmlChar *name)
{
	sax_state *st = ctx;
	int act;

	(void)name;
	if (st->w.rc || st->stack.len == 0)
		return;
	act = st->stack.data[--st->stack.len];
	switch (act) {
	case SAX_SKIP: st->skip--; break;
	case SAX_TITLE:
		st->in_title = 0;
		st->have_title = st->title.len > 0;
		break;
	case SAX_PRE: st->w.pre--; flush(&st->w); break;
	case SAX_FLUSH: flush(&st->w); break;
	default: break;
	}
}

static void sax_text(void *ctx, const xmlChar *ch, int len)
{
	sax_state *st = ctx;

	if (st->w.rc || len <= 0)
		return;
	if (st->in_title)
		st->w.rc = put_text(&st->title, &st->title_space, (const char *)ch, (size_t)len, 0);
	else if (!st->skip)
		st->w.rc = put_text(&st->w.cur, &st->w.space, (const char *)ch, (size_t)len,
				    st->w.pre);
}

static int html_stream(const char *html, size_t n, const char *encoding, int opts, doc *d,
		       char **title)
{
	sax_state st = {.w = {.d = d, .kind = DOC_PARA, .space = 1}, .title_space = 1};
	htmlParserCtxtPtr ctxt;
	xml_quiet q;
	int rc = 0;

	ctxt = htmlCreateMemoryParserCtxt(html, (int)n);
	if (!ctxt)
		return docent_error_set(DOCENT_ENOMEM, "out of memory extracting HTML");
	/* only the events the walker needs: no tree, no document */
	memset(ctxt->sax, 0, sizeof *ctxt->sax);
	ctxt->sax->startElement = sax_start;
	ctxt->sax->endElement = sax_end;
	ctxt->sax->characters = sax_text;
	ctxt->sax->cdataBlock = sax_text;
	ctxt->userData = &st;
	htmlCtxtUseOptions(ctxt, opts);
	if (encoding) {
		xmlCharEncodingHandlerPtr h = xmlFindCharEncodingHandler(encoding);
		if (h)
			xmlSwitchToEncoding(ctxt, h);
	}
	xml_quiet_begin(&q);
	htmlParseDocument(ctxt);
	xml_quiet_end(&q);
	flush(&st.w);
	if (ctxt->myDoc)
		xmlFreeDoc(ctxt->myDoc);
	htmlFreeParserCtxt(ctxt);
	if (!st.w.rc && title) {
		dbuf *t = st.title.len ? &st.title : &st.w.h1;
		while (t->len && t->data[t->len - 1] == ' ')
			t->len--;
		if (t->len) {
			*title = malloc(t->len + 1);
			if (*title) {
				memcpy(*title, t->data, t->len);
				(*title)[t->len] = '\0';
			} else {
				st.w.rc = DOCENT_ENOMEM;
			}
		}
	}
	if (st.w.rc)
		rc = docent_error_set(st.w.rc, "out of memory extracting HTML");
	dbuf_free(&st.stack);
	dbuf_free(&st.title);
	dbuf_free(&st.w.cur);
	dbuf_free(&st.w.h1);
	return rc;
}

int extract_html_blocks(const char *html, size_t n, const char *encoding, doc *d, char **title)
{
	walker w = {.d = d, .kind = DOC_PARA, .space = 1};
	htmlDocPtr hd;
	xml_quiet q;
	/* XML_PARSE_HUGE lifts libxml2's nesting limit (256: 400 unclosed
	 * <font> tags reach it, and the parser then drops the rest of the page)
	 * and its 10 MB cap on a text node; the input is bounded by the file
	 * size limit and entities cannot expand in the HTML parser. */
	int opts = HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
		   HTML_PARSE_NONET | XML_PARSE_HUGE;

	if (title)
		*title = NULL;
	if (n > 0x7FFFFFFF)
		return docent_error_set(DOCENT_ETOOBIG, "HTML file over 2 GiB");
	if (!encoding && !declares_encoding(html, n))
		encoding = text_utf8_valid(html, n) ? "UTF-8" : "windows-1252";
	extract_xml_init();
	if (n > STREAM_OVER)
		return html_stream(html, n, encoding, opts, d, title);
	xml_quiet_begin(&q);
	hd = htmlReadMemory(html, (int)n, NULL, encoding, opts);
	xml_quiet_end(&q);
	if (!hd)
		return docent_error_set(DOCENT_EFORMAT, "HTML could not be parsed");
	walk_tree(&w, (const xmlNode *)hd, 0);
	flush(&w);
	if (!w.rc && title) {
		const xmlNode *t = find_title(hd->children, 0);
		dbuf tb = DBUF_INIT;
		int space = 1;
		if (t)
			w.rc = flat_text(t, &tb, &space);
		if (!w.rc && tb.len == 0 && w.h1.len)
			w.rc = dbuf_append(&tb, w.h1.data, w.h1.len);
		if (!w.rc && tb.len)
			*title = dbuf_detach(&tb, NULL);
		dbuf_free(&tb);
	}
	xmlFreeDoc(hd);
	dbuf_free(&w.cur);
	dbuf_free(&w.h1);
	if (w.rc)
		return docent_error_set(w.rc, "out of memory extracting HTML");
	return 0;
}

static int html_extract(const extract_params *p, const char *data, size_t n, doc *d)
{
	char *title = NULL;
	int rc;

	(void)p;
	rc = extract_html_blocks(data, n, NULL, d, &title);
	if (rc == 0 && title)
		rc = doc_set_title(d, title);
	free(title);
	return rc;
}

/* "<!DOCTYPE html" or "<html" first, after a BOM, white space, an XML
 * declaration or comments. */
static int html_sniff(const char *s, size_t n)
{
	size_t i = 0, m = n < 4096 ? n : 4096;

	if (m >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	for (;;) {
		while (i < m && is_space(s[i]))
			i++;
		if (m - i >= 5 && memcmp(s + i, "<?xml", 5) == 0) {
			const char *e = memchr(s + i, '>', m - i);
			if (!e)
				return 0;
			i = (size_t)(e - s) + 1;
			continue;
		}
		if (m - i >= 4 && memcmp(s + i, "<!--", 4) == 0) {
			const char *e = memmem(s + i + 4, m - i - 4, "-->", 3);
			if (!e)
				return 0;
			i = (size_t)(e - s) + 3;
			continue;
		}
		break;
	}
	if (m - i >= 14 && strncasecmp(s + i, "<!DOCTYPE html", 14) == 0)
		return 1;
	if (m - i >= 5 && strncasecmp(s + i, "<html", 5) == 0 &&
	    (m - i == 5 || s[i + 5] == '>' || is_space(s[i + 5])))
		return 1;
	return 0;
}

static const char *const html_ext[] = {"html", "htm", "xhtml", "xht", "shtml", NULL};

const extractor extract_html = {
	.format = "html",
	.extensions = html_ext,
	.sniff = html_sniff,
	.extract = html_extract,
};
