/*
 * clean.c - the cleaner (see clean.h): page furniture, dehyphenation,
 * white space and redaction, all pattern work done with PCRE2.
 *
 * Order matters. Page furniture is found first, on the extractor's own
 * lines (a paragraph's first line is only a line before white space is
 * collapsed). Dehyphenation then joins words across line breaks, white
 * space is collapsed per block kind, and redaction runs last so that its
 * patterns see the text as it will be stored. The result is rebuilt block
 * by block with doc_add(), which re-establishes the doc's offsets.
 *
 * The cleaning patterns are compiled once per process (pthread_once); the
 * redaction patterns once per cleaner. Each cleaner_run() call has its own
 * match data (and each thread its JIT stack), so one cleaner serves any
 * number of threads.
 * Doc text is valid UTF-8 by construction (doc_add), so matches run with
 * PCRE2_NO_UTF_CHECK: checking it again on every call would be quadratic.
 */
#include "ingest/clean.h"
#include "core/error.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- patterns -------------------------------------------------------- */

/* A letter, a hyphen, a line break with optional spaces, a lower-case letter. */
static const char dehyph_src[] = "(?<=\\p{L})[-\\x{2010}][ \\t]*+\\n[ \\t]*+(?=\\p{Ll})";

/* Running text: a run of 2+ white space characters, or one that is not a
 * plain space (a line break, a tab, a no-break space). */
static const char ws_para_src[] = "\\s{2,}|[^\\S ]";

/* Lines kept. Group 1: trailing blanks (dropped). Group 2: more than one
 * blank line (-> one). Preformatted text keeps its indentation. */
static const char ws_pre_src[] = "([ \\t]++(?=\\n|\\z))|(\\n(?:[ \\t]*+\\n){2,})";
/* Tables also lose leading blanks and collapse blanks inside rows (group 3). */
static const char ws_table_src[] =
	"([ \\t]++(?=\\n|\\z)|(?<=\\n)[ \\t]++)|(\\n(?:[ \\t]*+\\n){2,})|([ \\t]{2,}|\\t)";

/* For comparing header and footer lines: digit runs (group 1) and white
 * space runs (group 2). */
static const char furniture_norm_src[] = "(\\d+)|(\\s+)";

/* A block that is only a page number: "12", "- 12 -", "Page 12", "12 of 40",
 * "p. 3", "iv" (lower-case roman numerals, as in front matter). */
static const char pageno_src[] =
	"\\s*(?:[-\\x{2013}\\x{2014}]\\s*)?(?i:(?:page|pg\\.?|p\\.)\\s*)?"
	"(?:\\d{1,5}|(?=[ivxlcdm])m{0,3}(?:cm|cd|d?c{0,3})(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3}))"
	"(?:\\s*(?i:of|/)\\s*\\d{1,5})?(?:\\s*[-\\x{2013}\\x{2014}])?\\s*\\z";

static int luhn_ok(const char *s, size_t n);

/* A secret value: base64, hex or URL-safe characters; dots only between
 * segments (a JWT), so that a sentence's final period stays. */
#define KEY_VALUE "[A-Za-z0-9_\\-+/=~]"
#define KEY_DOTS "(?:\\." KEY_VALUE "+)*"

/* Built-in redaction patterns. Each starts with a negative look-behind so
 * that a match can only begin where a token begins: without it a long run
 * of word characters would be rescanned from every position inside it. */
static const struct builtin {
	const char *name;
	const char *src;
	int (*accept)(const char *match, size_t n); /* optional veto */
} builtins[] = {
	{"email", "(?<![\\w.%+-])[\\w.%+-]+@[\\w-]+(?:\\.[\\w-]+)*\\.\\p{L}{2,}", NULL},
	{"apikey",
	 /* well-known key shapes */
	 "(?<![\\w-])(?:sk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}|gh[pousr]_[A-Za-z0-9]{30,}"
	 "|github_pat_[A-Za-z0-9_]{30,}|(?:AKIA|ASIA)[0-9A-Z]{16}(?![0-9A-Za-z])"
	 "|xox[abposr]-[A-Za-z0-9-]{10,}|AIza[0-9A-Za-z_-]{35}|glpat-[0-9A-Za-z_-]{20,})"
	 /* a long value after a key-like name, alone or ending a longer one
	 * (OPENAI_API_KEY, AWS_SECRET_ACCESS_KEY): the name stays, the value goes */
	 "|(?:(?<![\\w-])|(?<=_))(?i:api[_-]?key|access[_-]?(?:token|key)|auth[_-]?token"
	 "|secret[_-]?key|client[_-]?secret|private[_-]?key|token|secret)"
	 "[\"']?\\s*[:=]\\s*[\"']?\\K" KEY_VALUE "{16,}" KEY_DOTS
	 "|(?<![\\w-])(?i:bearer)\\s+\\K" KEY_VALUE "{20,}" KEY_DOTS,
	 NULL},
	{"ipv4",
	 "(?<![0-9.])(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}"
	 "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?!\\.?[0-9])",
	 NULL},
	{"card",
	 /* 13-19 digits, bare or in groups of four (Amex: 4-6-5) with one kind
	  * of separator; the Luhn check weeds out most other long numbers */
	 "(?<![0-9])(?:[0-9]{13,19}|[0-9]{4}([ -])[0-9]{4}(?:\\1[0-9]{4}){1,2}(?:\\1[0-9]{1,4})?"
	 "|[0-9]{4}([ -])[0-9]{6}\\2[0-9]{5})(?![0-9])",
	 luhn_ok},
};

const char *clean_builtin_names(void)
{
	return "email apikey ipv4 card";
}

const char *clean_builtin_pattern(const char *name)
{
	for (size_t i = 0; name && i < sizeof builtins / sizeof *builtins; i++)
		if (strcmp(builtins[i].name, name) == 0)
			return builtins[i].src;
	return NULL;
}

static int luhn_ok(const char *s, size_t n)
{
	int sum = 0, digits = 0;

	for (size_t i = n; i-- > 0;) {
		if (s[i] < '0' || s[i] > '9')
			continue;
		int d = s[i] - '0';
		if (digits++ % 2 == 1 && (d *= 2) > 9)
			d -= 9;
		sum += d;
	}
	return digits >= 13 && digits <= 19 && sum % 10 == 0;
}

static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_key_t stack_key; /* each thread's JIT stack (thread_stack) */
static int stack_key_ok;
static void stack_free(void *p);
static pcre2_code *re_dehyph, *re_ws_para, *re_ws_pre, *re_ws_table, *re_norm, *re_pageno;
static char init_error[256];

/* Compiles src in UTF + UCP mode and JIT-compiles it when JIT is there.
 * On failure returns NULL with the error text and offset. */
static pcre2_code *compile(const char *src, uint32_t extra, int *err, size_t *at)
{
	PCRE2_SIZE off = 0;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)src, PCRE2_ZERO_TERMINATED,
				       PCRE2_UTF | PCRE2_UCP | extra, err, &off, NULL);
	*at = off;
	if (re)
		pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* falls back to the interpreter */
	return re;
}

static void init(void)
{
	static const struct { pcre2_code **re; const char *src; uint32_t opts; } all[] = {
		{&re_dehyph, dehyph_src, 0},
		{&re_ws_para, ws_para_src, 0},
		{&re_ws_pre, ws_pre_src, 0},
		{&re_ws_table, ws_table_src, 0},
		{&re_norm, furniture_norm_src, 0},
		{&re_pageno, pageno_src, PCRE2_ANCHORED},
	};
	stack_key_ok = pthread_key_create(&stack_key, stack_free) == 0;
	for (size_t i = 0; i < sizeof all / sizeof *all; i++) {
		int err;
		size_t at;
		*all[i].re = compile(all[i].src, all[i].opts, &err, &at);
		if (!*all[i].re) {
			PCRE2_UCHAR msg[160];
			pcre2_get_error_message(err, msg, sizeof msg);
			snprintf(init_error, sizeof init_error,
				 "built-in cleaning pattern %zu at offset %zu: %s", i, at, (char *)msg);
			return;
		}
	}
}

/* ---- the cleaner ----------------------------------------------------- */

typedef struct redactor {
	pcre2_code *re;
	char *src; /* for messages */
	int (*accept)(const char *match, size_t n);
} redactor;

struct cleaner {
	int dehyphenate, collapse, furniture;
	char *replacement;
	redactor *redact;
	size_t nredact;
};

clean_params clean_default_params(void)
{
	return (clean_params){
		.dehyphenate = 1,
		.collapse_whitespace = 1,
		.drop_page_furniture = 1,
		.redact = NULL,
		.nredact = 0,
		.redact_replacement = "[REDACTED]",
	};
}

void cleaner_free(cleaner *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nredact; i++) {
		pcre2_code_free(c->redact[i].re);
		free(c->redact[i].src);
	}
	free(c->redact);
	free(c->replacement);
	free(c);
}

int cleaner_new(cleaner **out, const clean_params *p)
{
	clean_params def = clean_default_params();
	cleaner *c;

	*out = NULL;
	if (!p)
		p = &def;
	pthread_once(&once, init);
	if (init_error[0])
		return docent_error_set(DOCENT_EINVAL, "%s", init_error);
	if (p->nredact && !p->redact)
		return docent_error_set(DOCENT_ECONFIG, "%zu redaction patterns given but no list",
					p->nredact);
	c = calloc(1, sizeof *c);
	if (!c)
		return docent_error_set(DOCENT_ENOMEM, "out of memory creating the cleaner");
	c->dehyphenate = p->dehyphenate;
	c->collapse = p->collapse_whitespace;
	c->furniture = p->drop_page_furniture;
	c->replacement = strdup(p->redact_replacement ? p->redact_replacement : "[REDACTED]");
	c->redact = calloc(p->nredact ? p->nredact : 1, sizeof *c->redact);
	if (!c->replacement || !c->redact) {
		cleaner_free(c);
		return docent_error_set(DOCENT_ENOMEM, "out of memory creating the cleaner");
	}
	for (size_t i = 0; i < p->nredact; i++) {
		const char *name = p->redact[i], *src;
		redactor *r = &c->redact[c->nredact];
		uint32_t empty = 0;
		int err;
		size_t at;

		if (!name) {
			cleaner_free(c);
			return docent_error_set(DOCENT_ECONFIG, "redaction pattern %zu is missing", i + 1);
		}
		if (strncmp(name, CLEAN_REGEX_PREFIX, strlen(CLEAN_REGEX_PREFIX)) == 0) {
			name += strlen(CLEAN_REGEX_PREFIX);
			src = name;
		} else if (!(src = clean_builtin_pattern(name))) {
			cleaner_free(c);
			return docent_error_set(DOCENT_ECONFIG,
						"unknown redaction pattern name \"%s\" (clean.redact): the "
						"names are %s; a regular expression goes in "
						"clean.redact_pattern, or here as re:PATTERN",
						name, clean_builtin_names());
		}
		for (size_t k = 0; k < sizeof builtins / sizeof *builtins; k++)
			if (builtins[k].src == src)
				r->accept = builtins[k].accept;
		r->re = compile(src, 0, &err, &at);
		if (!r->re) {
			PCRE2_UCHAR msg[160];
			pcre2_get_error_message(err, msg, sizeof msg);
			cleaner_free(c);
			return docent_error_set(DOCENT_ECONFIG,
						"redaction pattern \"%s\" does not compile: %s (at offset %zu)",
						name, (char *)msg, at);
		}
		c->nredact++;
		r->src = strdup(name);
		if (!r->src) {
			cleaner_free(c);
			return docent_error_set(DOCENT_ENOMEM, "out of memory creating the cleaner");
		}
		/* a pattern matching "" would insert the replacement between letters */
		pcre2_pattern_info(r->re, PCRE2_INFO_MATCHEMPTY, &empty);
		if (empty) {
			cleaner_free(c); /* `name` is the caller's: still valid */
			return docent_error_set(DOCENT_ECONFIG,
						"redaction pattern \"%s\" can match empty text; make it match at least one character",
						name);
		}
	}
	*out = c;
	return 0;
}

/* Per-call matching state: what makes a shared cleaner thread-safe. */
typedef struct run_ctx {
	pcre2_match_data *md;
	pcre2_match_context *mc;
	pcre2_jit_stack *stack;
	dbuf buf[2]; /* scratch for successive rewrites */
	int which;   /* buf[which] is free to write */
} run_ctx;

/* Reports a PCRE2 match failure (match limit, JIT stack) as an error. */
static int match_error(int rc, const char *what)
{
	PCRE2_UCHAR msg[160];
	pcre2_get_error_message(rc, msg, sizeof msg);
	return docent_error_set(DOCENT_EINVAL, "matching %s failed: %s", what, (char *)msg);
}

/*
 * Where a match of the built-in patterns could start, at or after s[at]
 * (n: nowhere). A scan in C skips the plain stretches of text much faster
 * than PCRE2 can, since it would stop at every space; the pattern still
 * decides what matches. Each must never skip a possible match start.
 */
static int is_space(char ch)
{
	return ch == ' ' || ch == '\n' || ch == '\t' || ch == '\r' || ch == '\f' || ch == '\v';
}

/* re_ws_para: white space other than a single plain space. A byte above
 * ASCII may start a Unicode space (U+00A0, U+2000-U+200A, U+3000, ...). */
static size_t skip_ws_para(const char *s, size_t n, size_t at)
{
	for (; at < n; at++) {
		unsigned char c = (unsigned char)s[at];
		if (c == ' ') {
			if (at + 1 < n && (is_space(s[at + 1]) || (unsigned char)s[at + 1] >= 0x80))
				return at;
		} else if (c >= 0x80 || is_space((char)c)) {
			return at;
		}
	}
	return n;
}

/* re_dehyph: a match starts at '-' or at U+2010 (E2 80 90). */
static size_t skip_dehyph(const char *s, size_t n, size_t at)
{
	for (; at < n; at++)
		if (s[at] == '-' || (unsigned char)s[at] == 0xE2)
			return at;
	return n;
}

/*
 * Rewrites s[0..n) into `out`, replacing each non-empty match of re. With
 * one replacement it is used for every match; with several, repl[g-1] is
 * used where g is the first capture group that took part, and a NULL
 * replacement keeps the match as it is. `accept` may veto a match; `skip`
 * (may be NULL) finds where the next match could start.
 * Returns 1 when something was replaced (out holds the whole result), 0
 * when nothing was (out untouched), or a negative error.
 */
static int rewrite(run_ctx *x, const pcre2_code *re, const char *const *repl, size_t nrepl,
		   int (*accept)(const char *, size_t),
		   size_t (*skip)(const char *, size_t, size_t), const char *what,
		   const char *s, size_t n, dbuf *out)
{
	size_t at = 0, copied = 0;
	int changed = 0;

	while (at <= n) {
		if (skip && (at = skip(s, n, at)) >= n)
			break;
		int rc = pcre2_match(re, (PCRE2_SPTR)s, n, at, PCRE2_NO_UTF_CHECK, x->md, x->mc);
		if (rc == PCRE2_ERROR_NOMATCH)
			break;
		if (rc < 0)
			return match_error(rc, what);
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(x->md);
		size_t a = ov[0], b = ov[1];
		if (b <= a || (accept && !accept(s + a, b - a))) {
			/* go on one character later */
			at = a + 1;
			while (at < n && ((unsigned char)s[at] & 0xC0) == 0x80)
				at++;
			continue;
		}
		const char *r = repl[0];
		for (size_t g = 1; nrepl > 1 && g <= nrepl; g++)
			if (ov[2 * g] != PCRE2_UNSET) {
				r = repl[g - 1];
				break;
			}
		if (!changed) {
			dbuf_reset(out);
			changed = 1;
		}
		if (dbuf_append(out, s + copied, a - copied) ||
		    (r ? dbuf_puts(out, r) : dbuf_append(out, s + a, b - a)))
			return DOCENT_ENOMEM;
		copied = at = b;
	}
	if (changed && dbuf_append(out, s + copied, n - copied))
		return DOCENT_ENOMEM;
	return changed;
}

/* Applies one rewrite to the current text (*s, *n), moving it into the
 * run's scratch buffers when it changes. */
static int step(run_ctx *x, const pcre2_code *re, const char *const *repl, size_t nrepl,
		int (*accept)(const char *, size_t), size_t (*skip)(const char *, size_t, size_t),
		const char *what, const char **s, size_t *n)
{
	dbuf *out = &x->buf[x->which];
	int rc = rewrite(x, re, repl, nrepl, accept, skip, what, *s, *n, out);

	if (rc <= 0)
		return rc;
	*s = out->data;
	*n = out->len;
	x->which ^= 1; /* the text now lives in this buffer: write the next one elsewhere */
	return 0;
}

static int redact(const cleaner *c, run_ctx *x, const char **s, size_t *n)
{
	const char *repl[1] = {c->replacement};

	for (size_t i = 0; i < c->nredact; i++) {
		int rc = step(x, c->redact[i].re, repl, 1, c->redact[i].accept, NULL,
			      c->redact[i].src, s, n);
		if (rc < 0)
			return rc == DOCENT_ENOMEM ? rc
				: docent_error_wrap(rc, "redaction pattern \"%s\"", c->redact[i].src);
	}
	return 0;
}

/* ---- page furniture --------------------------------------------------- */

/* What is kept of each block: text [a, b) of the input doc, or nothing.
 * `pageno` records a block dropped as a page number at a page's top (1) or
 * bottom (2): it still counts as that page's edge line when repeats are
 * counted, so "Page 3 of 9" as a block on most pages and as a paragraph's
 * last line on some is one footer. */
typedef struct span {
	size_t a, b;
	unsigned char drop, pageno;
} span;

/* One page's first (or last) line, normalised for comparison. */
typedef struct edge_line {
	const char *norm;  /* digit runs as '#'; into the arena, NUL-terminated */
	const char *exact; /* the same with its digits */
	size_t norm_off, exact_off;
	size_t block;
	size_t a, b;       /* the line in the doc text */
	int page;
	int removable;     /* 0 for a page-number block, already dropped */
	int repeat;        /* found to be running furniture */
} edge_line;


/* first[p] and last[p]: the first and last kept block on page p, or -1. */
static void page_edges(const doc *d, const span *sp, long *first, long *last)
{
	for (int p = 0; p <= d->npages; p++)
		first[p] = last[p] = -1;
	for (size_t i = 0; i < d->nblocks; i++) {
		int p = d->blocks[i].page;
		if (sp[i].drop || p < 1 || p > d->npages)
			continue;
		if (first[p] < 0)
			first[p] = (long)i;
		last[p] = (long)i;
	}
}

/* Drops blocks that are only a page number at the start or end of a page,
 * repeatedly ("3" then "Page 3 of 9"). Leaves first[] and last[] current. */
static int drop_page_numbers(const doc *d, run_ctx *x, span *sp, long *first, long *last)
{
	for (int changed = 1; changed;) {
		changed = 0;
		page_edges(d, sp, first, last);
		for (int p = 1; p <= d->npages; p++) {
			long ends[2] = {first[p], last[p]};
			for (int k = 0; k < 2; k++) {
				long i = ends[k];
				if (i < 0 || sp[i].drop)
					continue;
				int rc = pcre2_match(re_pageno, (PCRE2_SPTR)d->text.data + sp[i].a,
						     sp[i].b - sp[i].a, 0, PCRE2_NO_UTF_CHECK, x->md, x->mc);
				if (rc == PCRE2_ERROR_NOMATCH)
					continue;
				if (rc < 0)
					return match_error(rc, "the page number pattern");
				sp[i].drop = 1;
				sp[i].pageno = (unsigned char)(k + 1);
				changed = 1;
			}
		}
	}
	return 0;
}

static int cmp_edge(const void *pa, const void *pb)
{
	const edge_line *a = pa, *b = pb;
	int c = strcmp(a->norm, b->norm);
	if (!c)
		c = strcmp(a->exact, b->exact);
	return c ? c : (a->page > b->page) - (a->page < b->page);
}

/* Appends text[a, b) with white space collapsed and trimmed, and digit runs
 * as '#' unless `digits`, to the arena, NUL-terminated; sets *len to 0 for a
 * blank line. */
static int put_norm(run_ctx *x, const char *s, size_t len, int digits, dbuf *arena,
		    size_t *out_len)
{
	static const char *const hash[2] = {"#", " "}, *const keep[2] = {NULL, " "};
	int rc = rewrite(x, re_norm, digits ? keep : hash, 2, NULL, NULL, "the furniture pattern",
			 s, len, &x->buf[0]);

	if (rc < 0)
		return rc;
	if (rc) {
		s = x->buf[0].data;
		len = x->buf[0].len;
	}
	while (len && *s == ' ')
		s++, len--;
	while (len && s[len - 1] == ' ')
		len--;
	*out_len = len;
	if (len && (dbuf_append(arena, s, len) || dbuf_putc(arena, '\0')))
		return DOCENT_ENOMEM;
	return 0;
}

/* Appends text[a, b) to lines as an edge line, in two normalised forms:
 * digit runs as '#', and with its digits. */
static int add_edge(const doc *d, run_ctx *x, size_t block, size_t a, size_t b, int removable,
		    edge_line *lines, size_t *n, dbuf *arena)
{
	size_t norm_off = arena->len, exact_off, len;
	int rc = put_norm(x, d->text.data + a, b - a, 0, arena, &len);

	if (rc || !len)
		return rc;
	exact_off = arena->len;
	if ((rc = put_norm(x, d->text.data + a, b - a, 1, arena, &len)))
		return rc;
	lines[*n] = (edge_line){.norm_off = norm_off, .exact_off = exact_off, .block = block,
				.a = a, .b = b, .page = d->blocks[block].page,
				.removable = removable};
	(*n)++;
	return 0;
}

/* Collects each page's first (top) or last line, and the page-number
 * blocks dropped at that edge, normalised and sorted. */
static int collect_edges(const doc *d, run_ctx *x, const span *sp, const long *edge, int top,
			 edge_line *lines, size_t *nlines, dbuf *arena)
{
	const char *t = d->text.data;
	size_t n = 0;
	int rc;

	dbuf_reset(arena);
	for (int p = 1; p <= d->npages; p++) {
		long i = edge[p];
		if (i < 0)
			continue;
		size_t a = sp[i].a, b = sp[i].b;
		const char *nl = top ? memchr(t + a, '\n', b - a) : memrchr(t + a, '\n', b - a);
		if (nl && top)
			b = (size_t)(nl - t);
		else if (nl)
			a = (size_t)(nl - t) + 1;
		if ((rc = add_edge(d, x, (size_t)i, a, b, 1, lines, &n, arena)))
			return rc;
	}
	for (size_t i = 0; i < d->nblocks; i++)
		if (sp[i].pageno == (top ? 1 : 2) &&
		    (rc = add_edge(d, x, i, sp[i].a, sp[i].b, 0, lines, &n, arena)))
			return rc;
	for (size_t k = 0; k < n; k++) {
		lines[k].norm = arena->data + lines[k].norm_off;
		lines[k].exact = arena->data + lines[k].exact_off;
		lines[k].repeat = 0;
	}
	qsort(lines, n, sizeof *lines, cmp_edge);
	*nlines = n;
	return 0;
}

/* The number of distinct pages among lines[0..n), sorted by page within
 * runs of equal `key`; counts from lines with key equal to lines[0]'s. */
static size_t distinct_pages(const edge_line *lines, size_t n)
{
	size_t pages = n ? 1 : 0;

	for (size_t j = 1; j < n; j++)
		pages += lines[j].page != lines[j - 1].page;
	return pages;
}

/* The value of the k-th digit run of s, or -1 when it has fewer runs or the
 * run is too long to be a page number. */
static long long digit_run(const char *s, int k)
{
	for (int i = 0; *s; i++) {
		while (*s && !(*s >= '0' && *s <= '9'))
			s++;
		if (!*s)
			break;
		const char *e = s;
		long long v = 0;
		while (*e >= '0' && *e <= '9') {
			if (e - s < 9)
				v = v * 10 + (*e - '0');
			e++;
		}
		if (i == k)
			return e - s > 9 ? -1 : v;
		s = e;
	}
	return -1;
}

typedef struct page_offset {
	long long off; /* the number minus the page */
	int page;
	size_t line;
} page_offset;

static int cmp_offset(const void *pa, const void *pb)
{
	const page_offset *a = pa, *b = pb;

	if (a->off != b->off)
		return a->off < b->off ? -1 : 1;
	return (a->page > b->page) - (a->page < b->page);
}

#define MAX_NUMBERS 8

/* lines[0..n) are equal but for their digits. Marks those whose k-th number
 * follows the page (number = page + a fixed offset) when such lines are on
 * `need` pages or more: "Page 3", "Report - 12" with the page number. A
 * number that does not follow the page ("Step 3", "Section 7" at the top
 * of pages) is the page's content. */
static int mark_page_numbered(edge_line *lines, size_t n, size_t need)
{
	page_offset *po = malloc(n * sizeof *po);

	if (!po)
		return DOCENT_ENOMEM;
	for (int k = 0; k < MAX_NUMBERS; k++) {
		size_t m = 0;
		for (size_t j = 0; j < n; j++) {
			long long v = digit_run(lines[j].exact, k);
			if (v >= 0)
				po[m++] = (page_offset){.off = v - lines[j].page,
							.page = lines[j].page, .line = j};
		}
		if (m < need)
			break;
		qsort(po, m, sizeof *po, cmp_offset);
		for (size_t a = 0, b; a < m; a = b) {
			size_t pages = 1;
			for (b = a + 1; b < m && po[b].off == po[a].off; b++)
				pages += po[b].page != po[b - 1].page;
			if (pages < need)
				continue;
			for (size_t j = a; j < b; j++)
				lines[po[j].line].repeat = 1;
		}
	}
	free(po);
	return 0;
}

/* Marks, in cut[block], the lines to remove: those at that edge on `need`
 * pages or more, identical or (when `numbered`) with a number that follows
 * the page. */
static int find_repeats(edge_line *lines, size_t n, size_t need, int top, int numbered,
			span *cut)
{
	for (size_t k = 0, run; k < n; k += run) {
		for (run = 1; k + run < n && strcmp(lines[k].norm, lines[k + run].norm) == 0; run++)
			;
		if (distinct_pages(lines + k, run) < need)
			continue;
		/* identical lines, digits and all ("FIELD SERIES 12 REV. 3") */
		for (size_t j = k, sub; j < k + run; j += sub) {
			for (sub = 1; j + sub < k + run && strcmp(lines[j].exact, lines[j + sub].exact) == 0;
			     sub++)
				;
			if (distinct_pages(lines + j, sub) >= need)
				for (size_t i = j; i < j + sub; i++)
					lines[i].repeat = 1;
		}
		if (numbered && strchr(lines[k].norm, '#')) {
			int rc = mark_page_numbered(lines + k, run, need);
			if (rc)
				return rc;
		}
		for (size_t j = k; j < k + run; j++) {
			span *c = &cut[lines[j].block];
			if (!lines[j].repeat || !lines[j].removable)
				continue;
			if (top)
				c->a = lines[j].b; /* keep from the end of the header line */
			else
				c->b = lines[j].a; /* keep up to the footer line */
		}
	}
	return 0;
}

#define FURNITURE_ROUNDS 4

/*
 * Finds running headers and footers and page-number blocks, narrowing or
 * dropping spans. Only for documents of 3 pages or more: with fewer, a
 * repeated line proves nothing.
 */
static int drop_furniture(const doc *d, run_ctx *x, span *sp)
{
	long *first = NULL, *last = NULL;
	edge_line *lines = NULL;
	span *cut = NULL;
	dbuf arena = DBUF_INIT;
	size_t nlines, pages = 0, need;
	int rc = DOCENT_ENOMEM;

	if (d->npages < 3)
		return 0;
	first = malloc(((size_t)d->npages + 1) * sizeof *first);
	last = malloc(((size_t)d->npages + 1) * sizeof *last);
	lines = malloc(((size_t)d->npages + d->nblocks + 1) * sizeof *lines);
	cut = malloc((d->nblocks ? d->nblocks : 1) * sizeof *cut);
	if (!first || !last || !lines || !cut)
		goto done;
	page_edges(d, sp, first, last);
	for (int p = 1; p <= d->npages; p++)
		pages += first[p] >= 0;
	if ((rc = drop_page_numbers(d, x, sp, first, last)))
		goto done;
	/* at least 60% of the pages that have text, and at least 3 */
	need = (pages * 6 + 9) / 10;
	if (need < 3)
		need = 3;
	/* A header can take two or three lines (series, then title): once one
	 * line goes, the next one is at the edge. Those title lines are the same
	 * on every page, so later rounds take identical lines only: a body line
	 * now at the edge whose number happens to follow the page ("Section 3
	 * opens" on page 3) must not pass for a page number. */
	for (int round = 0, changed = 1; changed && round < FURNITURE_ROUNDS; round++) {
		changed = 0;
		memcpy(cut, sp, d->nblocks * sizeof *cut);
		for (int top = 1; top >= 0; top--) {
			rc = collect_edges(d, x, sp, top ? first : last, top, lines, &nlines,
					   &arena);
			if (!rc)
				rc = find_repeats(lines, nlines, need, top, round == 0, cut);
			if (rc)
				goto done;
		}
		for (size_t i = 0; i < d->nblocks; i++) {
			if (cut[i].a == sp[i].a && cut[i].b == sp[i].b)
				continue;
			while (cut[i].a < cut[i].b && is_space(d->text.data[cut[i].a]))
				cut[i].a++;
			while (cut[i].b > cut[i].a && is_space(d->text.data[cut[i].b - 1]))
				cut[i].b--;
			sp[i].drop |= cut[i].a >= cut[i].b;
			sp[i].a = cut[i].a;
			sp[i].b = cut[i].b;
			changed = 1;
		}
		/* a page number can sit under a running header */
		if ((rc = drop_page_numbers(d, x, sp, first, last)))
			goto done;
	}
done:
	free(first);
	free(last);
	free(lines);
	free(cut);
	dbuf_free(&arena);
	return rc == DOCENT_ENOMEM ? docent_error_set(rc, "out of memory finding page furniture")
				   : rc;
}

/* ---- running the cleaner --------------------------------------------- */

static int clean_block(const cleaner *c, run_ctx *x, doc_block_kind kind, const char **s,
		       size_t *n)
{
	static const char *const empty[1] = {""}, *const space[1] = {" "};
	static const char *const pre[2] = {"", "\n\n"}, *const table[3] = {"", "\n\n", " "};
	int running = kind != DOC_TABLE && kind != DOC_PRE, rc;

	if (c->dehyphenate && running &&
	    (rc = step(x, re_dehyph, empty, 1, NULL, skip_dehyph, "the dehyphenation pattern",
		       s, n)))
		return rc;
	if (c->collapse) {
		if (running)
			rc = step(x, re_ws_para, space, 1, NULL, skip_ws_para, "the white space pattern",
				  s, n);
		else if (kind == DOC_TABLE)
			rc = step(x, re_ws_table, table, 3, NULL, NULL, "the white space pattern", s, n);
		else
			rc = step(x, re_ws_pre, pre, 2, NULL, NULL, "the white space pattern", s, n);
		if (rc)
			return rc;
	}
	return redact(c, x, s, n);
}

static void stack_free(void *p)
{
	pcre2_jit_stack_free(p);
}

/*
 * A bigger JIT stack than the 32 KiB default, for users' patterns; one per
 * thread, kept until it exits. PCRE2 maps the stack's full size at once, so
 * one per call meant an mmap and a munmap per document, and each munmap
 * interrupted every other core of the process to flush its TLB. NULL (the
 * default stack) when it cannot be made.
 */
static pcre2_jit_stack *thread_stack(void)
{
	pcre2_jit_stack *st;

	if (!stack_key_ok)
		return NULL;
	if ((st = pthread_getspecific(stack_key)) != NULL)
		return st;
	st = pcre2_jit_stack_create(32 * 1024, 1024 * 1024, NULL);
	if (st && pthread_setspecific(stack_key, st) != 0) {
		pcre2_jit_stack_free(st);
		st = NULL;
	}
	return st;
}

int cleaner_redact(const cleaner *c, const char *s, char **out)
{
	run_ctx x = {0};
	size_t n = strlen(s);
	int rc = DOCENT_ENOMEM;

	*out = NULL;
	x.md = pcre2_match_data_create(16, NULL);
	x.mc = pcre2_match_context_create(NULL);
	if (x.md && x.mc) {
		x.stack = thread_stack();
		if (x.stack)
			pcre2_jit_stack_assign(x.mc, NULL, x.stack);
		rc = redact(c, &x, &s, &n);
		if (rc == 0 && !(*out = strndup(s, n)))
			rc = DOCENT_ENOMEM;
	}
	pcre2_match_data_free(x.md);
	pcre2_match_context_free(x.mc);
	dbuf_free(&x.buf[0]);
	dbuf_free(&x.buf[1]);
	if (rc == DOCENT_ENOMEM)
		return docent_error_set(rc, "out of memory redacting");
	return rc;
}

int cleaner_run(const cleaner *c, const doc *in, doc *out)
{
	run_ctx x = {0};
	span *sp = NULL;
	int rc = DOCENT_ENOMEM;

	x.md = pcre2_match_data_create(16, NULL);
	x.mc = pcre2_match_context_create(NULL);
	if (!x.md || !x.mc)
		goto done;
	x.stack = thread_stack();
	if (x.stack)
		pcre2_jit_stack_assign(x.mc, NULL, x.stack);
	sp = malloc((in->nblocks ? in->nblocks : 1) * sizeof *sp);
	if (!sp)
		goto done;
	for (size_t i = 0; i < in->nblocks; i++)
		sp[i] = (span){.a = in->blocks[i].off, .b = in->blocks[i].off + in->blocks[i].len};
	if (c->furniture && (rc = drop_furniture(in, &x, sp)))
		goto done;
	for (size_t i = 0; i < in->nblocks; i++) {
		const doc_block *b = &in->blocks[i];
		const char *s = in->text.data + sp[i].a;
		size_t n = sp[i].b - sp[i].a;
		if (sp[i].drop)
			continue;
		if ((rc = clean_block(c, &x, b->kind, &s, &n)) ||
		    (rc = doc_add(out, b->kind, b->level, b->page, s, n)))
			goto done;
	}
	if (in->title) {
		const char *s = in->title;
		size_t n = strlen(s);
		if ((rc = redact(c, &x, &s, &n)))
			goto done;
		/* rewrites leave a NUL after the text; the unchanged title has its own */
		if ((rc = doc_set_title(out, s)))
			goto done;
	}
	if (in->npages > out->npages)
		out->npages = in->npages; /* trailing pages may have lost all their text */
	rc = 0;
done:
	pcre2_match_data_free(x.md);
	pcre2_match_context_free(x.mc);
	dbuf_free(&x.buf[0]);
	dbuf_free(&x.buf[1]);
	free(sp);
	if (rc == DOCENT_ENOMEM)
		return docent_error_set(rc, "out of memory cleaning a document");
	return rc;
}
