/*
 * snippet.c - search snippets made from a hit's text without an FTS5 query
 * (see snippet_int.h).
 *
 * An FTS5 auxiliary function could make them (xInst gives the matches),
 * but only inside a query that matches the hit's row: FTS5 then opens a
 * cursor for each term and seeks it through the term's whole doclist, for
 * each of the hits, which cost a search on a 100k-chunk store more than
 * ranking its postings. Tokenizing the text the hit has already read, with
 * an instance of the same tokenizer, finds the same matches at the same
 * token offsets for the price of the tokenizing.
 */
#include "index/snippet_int.h"
#include "core/buf.h"
#include "core/error.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_QUERY_TERMS 64 /* one bit each in a unit's set of terms found */
#define MAX_TOKENIZE_ARGS 32

/* ---- the snippet of a text whose matches are known ---- */

/* A unit of a snippet: a sentence, or a table row (a line that is one). */
typedef struct unit {
	int a, b;            /* bytes */
	int row;             /* a table row */
	int header;          /* the first row of a run of rows */
	uint64_t terms;      /* the query terms found in it (bit i: term i % 64) */
	int hits;
} unit;

/* Where the line starting at t[i] ends (its '\n', or n). */
static int line_end(const char *t, int n, int i)
{
	const char *e = memchr(t + i, '\n', (size_t)(n - i));
	return e ? (int)(e - t) : n;
}

/* The length of the line t[a..b)'s "name: " prefix (a colon within 40
 * bytes, no sentence ending before it), or 0. */
static int name_prefix(const char *t, int a, int b)
{
	for (int i = a; i + 1 < b && i - a <= 40; i++) {
		if (t[i] == '.' || t[i] == '?' || t[i] == '!')
			return 0; /* a sentence before the colon: prose */
		if (t[i] == ':' && t[i + 1] == ' ')
			return i + 2 - a;
	}
	return 0;
}

/*
 * Whether the line t[a..b) of t[0..n) is a table row: cells joined by
 * " | " (HTML, DOCX, ODT tables), or a CSV row (extract_csv.c) written
 * "name: value; name: value", or "name: value" like the line above or
 * below it (a table of one column).
 */
static int is_row(const char *t, int n, int a, int b)
{
	int p;

	for (int i = a; i + 2 < b; i++)
		if (t[i] == ' ' && t[i + 1] == '|' && t[i + 2] == ' ')
			return 1;
	if (!(p = name_prefix(t, a, b)))
		return 0;
	for (int i = a + p; i + 1 < b; i++)
		if (t[i] == ';' && t[i + 1] == ' ')
			return 1;
	if (b + 1 < n && line_end(t, n, b + 1) - (b + 1) >= p &&
	    memcmp(t + b + 1, t + a, (size_t)p) == 0)
		return 1;
	if (a >= 2 && t[a - 1] == '\n') {
		int q = a - 1;
		while (q > 0 && t[q - 1] != '\n')
			q--;
		if (a - 1 - q >= p && memcmp(t + q, t + a, (size_t)p) == 0)
			return 1;
	}
	return 0;
}

/* Splits t[0..n) into units, in order: each table row is one; other text
 * is cut after . ! ? followed by white space, and at blank lines. 0, or -1
 * when out of memory. */
static int units_make(const char *t, int n, unit **out, int *nout)
{
	unit *u = NULL;
	int nu = 0, cap = 0, prev_row = 0;

	for (int a = 0; a < n;) {
		int e = line_end(t, n, a);
		int row = is_row(t, n, a, e);
		/* prose: sentences; a single line break inside is not the end of one */
		int end = e, s = a;
		if (!row) {
			end = a;
			for (;;) {
				while (end < n && t[end] != '\n')
					end++;
				if (end + 1 >= n || t[end + 1] == '\n' ||
				    is_row(t, n, end + 1, line_end(t, n, end + 1)))
					break;
				end++;
			}
		}
		while (s < end) {
			int b = end;
			if (!row)
				for (int i = s; i + 1 < end; i++)
					if ((t[i] == '.' || t[i] == '!' || t[i] == '?') &&
					    (t[i + 1] == ' ' || t[i + 1] == '\n')) {
						b = i + 1;
						break;
					}
			if (nu == cap) {
				cap = cap ? 2 * cap : 32;
				unit *g = realloc(u, (size_t)cap * sizeof *g);
				if (!g) {
					free(u);
					return -1;
				}
				u = g;
			}
			u[nu++] = (unit){ .a = s, .b = b, .row = row, .header = row && !prev_row };
			s = b;
			while (s < end && (t[s] == ' ' || t[s] == '\n'))
				s++;
		}
		prev_row = row;
		a = end;
		while (a < n && t[a] == '\n')
			a++;
	}
	*out = u;
	*nout = nu;
	return 0;
}

/* The unit holding byte `at`, or -1 (white space between units). */
static int unit_at(const unit *u, int nu, int at)
{
	int lo = 0, hi = nu;

	while (lo < hi) { /* the first unit starting after `at` */
		int mid = lo + (hi - lo) / 2;
		if (u[mid].a <= at)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && at < u[lo - 1].b ? lo - 1 : -1;
}

static int cmp_match(const void *a, const void *b)
{
	const snippet_match *x = a, *y = b;
	return x->off < y->off ? -1 : x->off > y->off ? 1 : x->len > y->len ? -1 : x->len < y->len;
}

int snippet_make(const char *text, int n, const snippet_span *tok, int ntok,
		 const snippet_match *m, int nm, const char *open, const char *close, int width,
		 char **out)
{
	snippet_match *pos = NULL;
	unit *u = NULL;
	dbuf o = DBUF_INIT;
	int nu = 0, npos = 0, rc = 0;

	*out = NULL;
	if (width < 4)
		width = 4;
	if (!text || n <= 0 || ntok <= 0 || nm <= 0)
		return 0;
	if (units_make(text, n, &u, &nu) || !(pos = malloc((size_t)nm * sizeof *pos)))
		goto nomem;
	for (int i = 0; i < nm; i++) {
		int off = m[i].off, len = m[i].len;
		if (off < 0 || off >= ntok)
			continue;
		if (len < 1 || len > ntok - off)
			len = 1;
		pos[npos++] = (snippet_match){ m[i].term, off, len };
		int k = unit_at(u, nu, tok[off].start);
		if (k >= 0) {
			u[k].terms |= 1ull << (m[i].term & 63);
			u[k].hits++;
		}
	}
	if (npos == 0 || nu == 0)
		goto done;
	qsort(pos, (size_t)npos, sizeof *pos, cmp_match);
	int best = -1, best_score = 0;
	for (int k = 0; k < nu; k++) {
		if (!u[k].hits)
			continue;
		int sc = 16 * __builtin_popcountll(u[k].terms) + (u[k].hits < 8 ? u[k].hits : 8) -
			 (u[k].header ? 12 : 0);
		if (best < 0 || sc > best_score) {
			best = k;
			best_score = sc;
		}
	}
	if (best < 0)
		goto done;
	/* the unit's tokens [ta, tb) */
	int ta = 0, tb, a = u[best].a, b = u[best].b;
	while (ta < ntok && tok[ta].start < a)
		ta++;
	tb = ta;
	while (tb < ntok && tok[tb].start < b)
		tb++;
	if (tb - ta > width) {
		/* cut: from a little before the first match */
		int first = ta;
		for (int i = 0; i < npos; i++)
			if (pos[i].off >= ta && pos[i].off < tb) {
				first = pos[i].off;
				break;
			}
		int ws = first - width / 4 < ta ? ta : first - width / 4;
		if (ws + width > tb)
			ws = tb - width;
		if (ws > ta)
			a = tok[ws].start;
		if (ws + width < tb)
			b = tok[ws + width - 1].end;
	} else if (!u[best].row) {
		/* grow by whole neighbouring sentences (a heading's by the text
		 * below it), never by a row */
		int have = tb - ta, lo = best, hi = best;
		for (;;) {
			int grew = 0;
			for (int side = 0; side < 2; side++) {
				int k = side == 0 ? hi + 1 : lo - 1;
				if (k < 0 || k >= nu || u[k].row)
					continue;
				int c = 0;
				for (int i = 0; i < ntok; i++)
					c += tok[i].start >= u[k].a && tok[i].start < u[k].b;
				if (have + c > width)
					continue;
				have += c;
				if (side == 0)
					hi = k;
				else
					lo = k;
				grew = 1;
			}
			if (!grew)
				break;
		}
		a = u[lo].a;
		b = u[hi].b;
	}
	/* the text with the matches marked, and ellipses where it is cut */
	int any_before = 0, any_after = 0;
	for (int i = 0; i < a; i++)
		any_before |= text[i] != ' ' && text[i] != '\n';
	for (int i = b; i < n; i++)
		any_after |= text[i] != ' ' && text[i] != '\n';
	rc = any_before ? dbuf_puts(&o, "\xe2\x80\xa6") : 0;
	int at = a;
	for (int i = 0; rc == 0 && i < npos; i++) {
		int ms = tok[pos[i].off].start, me = tok[pos[i].off + pos[i].len - 1].end;
		if (ms < at || me > b)
			continue; /* outside, or inside a match already marked */
		if (dbuf_append(&o, text + at, (size_t)(ms - at)) || dbuf_puts(&o, open ? open : "") ||
		    dbuf_append(&o, text + ms, (size_t)(me - ms)) || dbuf_puts(&o, close ? close : ""))
			rc = DOCENT_ENOMEM;
		at = me;
	}
	if (rc == 0 && (dbuf_append(&o, text + at, (size_t)(b - at)) ||
			(any_after && dbuf_puts(&o, "\xe2\x80\xa6"))))
		rc = DOCENT_ENOMEM;
	if (rc || !(*out = dbuf_detach(&o, NULL)))
		goto nomem;
done:
	free(u);
	free(pos);
	dbuf_free(&o);
	return 0;
nomem:
	free(u);
	free(pos);
	dbuf_free(&o);
	return docent_error_set(DOCENT_ENOMEM, "out of memory making a snippet");
}

/* ---- finding the query's terms in a text ---- */

struct snippet_query {
	fts5_tokenizer tk;
	Fts5Tokenizer *inst;

	/* the distinct tokens of the query's terms, and a hash set of them */
	dbuf bytes;          /* token i is bytes[tok[i].start .. tok[i].end) */
	snippet_span *tok;
	int ntoks, captoks;
	int *slot;           /* token ids by hash; -1: empty */
	unsigned mask;

	/* term t is the tokens seq[first[t] .. first[t + 1]) */
	int *seq;
	int nseq, capseq;
	int first[MAX_QUERY_TERMS + 1];
	int nterms;

	/* one text's tokens: spans, and the query token each is (-1: none) */
	snippet_span *span;
	int *id;
	int nspan, capspan, capid;
	snippet_match *m;
	int nm, capm;
	int n;               /* the text's length */
	int bad;             /* the tokenizer gave a span outside the text */
	int nomem;
};

static unsigned hash_token(const char *t, int n)
{
	unsigned h = 2166136261u;

	for (int i = 0; i < n; i++)
		h = (h ^ (unsigned char)t[i]) * 16777619u;
	return h;
}

/* The id of token t[0..n) of the query, or -1. */
static int token_find(const snippet_query *q, const char *t, int n)
{
	if (!q->slot)
		return -1;
	for (unsigned h = hash_token(t, n) & q->mask;; h = (h + 1) & q->mask) {
		int id = q->slot[h];
		if (id < 0)
			return -1;
		if (q->tok[id].end - q->tok[id].start == n &&
		    memcmp(q->bytes.data + q->tok[id].start, t, (size_t)n) == 0)
			return id;
	}
}

/* Puts every token id in a hash set of twice their number of slots or more. */
static int slots_make(snippet_query *q)
{
	unsigned cap = 16;

	while (cap < 2u * (unsigned)q->ntoks)
		cap *= 2;
	free(q->slot);
	if (!(q->slot = malloc(cap * sizeof *q->slot)))
		return -1;
	q->mask = cap - 1;
	memset(q->slot, 0xff, cap * sizeof *q->slot);
	for (int id = 0; id < q->ntoks; id++) {
		const snippet_span *k = &q->tok[id];
		unsigned h = hash_token(q->bytes.data + k->start, k->end - k->start) & q->mask;
		while (q->slot[h] >= 0)
			h = (h + 1) & q->mask;
		q->slot[h] = id;
	}
	return 0;
}

/* Makes room for `need` elements of `size` bytes in the array *(T **)pp
 * of *cap elements. 0, or -1 when out of memory (the array unchanged). */
static int grow(void *pp, int *cap, int need, size_t size)
{
	void *p, *g;
	int c = *cap ? *cap : 64;

	if (need <= *cap)
		return 0;
	while (c < need) {
		if (c > INT_MAX / 2)
			return -1;
		c *= 2;
	}
	memcpy(&p, pp, sizeof p); /* any T *, without breaking aliasing rules */
	if (!(g = realloc(p, (size_t)c * size)))
		return -1;
	memcpy(pp, &g, sizeof g);
	*cap = c;
	return 0;
}

/* xToken for a query term: appends the token's id to the term's tokens.
 * A colocated token (another form of the one before, from a synonym
 * tokenizer) is left out: the term then matches that one form only. */
static int term_token(void *ctx, int tflags, const char *tok, int ntok, int start, int end)
{
	snippet_query *q = ctx;
	int id;

	(void)start;
	(void)end;
	if (tflags & FTS5_TOKEN_COLOCATED)
		return SQLITE_OK;
	if (ntok < 0)
		return SQLITE_ERROR;
	id = -1;
	for (int i = 0; i < q->ntoks && id < 0; i++) /* a few tokens: no hash yet */
		if (q->tok[i].end - q->tok[i].start == ntok &&
		    memcmp(q->bytes.data + q->tok[i].start, tok, (size_t)ntok) == 0)
			id = i;
	if (id < 0) {
		if (q->bytes.len > (size_t)(INT_MAX - ntok) ||
		    grow(&q->tok, &q->captoks, q->ntoks + 1, sizeof *q->tok) ||
		    dbuf_append(&q->bytes, tok, (size_t)ntok)) {
			q->nomem = 1;
			return SQLITE_NOMEM;
		}
		id = q->ntoks++;
		q->tok[id] = (snippet_span){ (int)q->bytes.len - ntok, (int)q->bytes.len };
	}
	if (grow(&q->seq, &q->capseq, q->nseq + 1, sizeof *q->seq)) {
		q->nomem = 1;
		return SQLITE_NOMEM;
	}
	q->seq[q->nseq++] = id;
	return SQLITE_OK;
}

/*
 * Splits an FTS5 tokenize= string into its words the way FTS5 does:
 * barewords (ASCII letters and digits, '_', and any byte from 0x80) and
 * '...' literals ('' for a quote inside), separated by spaces. `buf`
 * (strlen(s) + 1 bytes) receives the words. 0, or -1 where FTS5 reports
 * a parse error too (or past MAX_TOKENIZE_ARGS words).
 */
static int tokenize_words(const char *s, char *buf, const char **argv, int *argc)
{
	*argc = 0;
	while (*s == ' ')
		s++;
	while (*s) {
		if (*argc == MAX_TOKENIZE_ARGS)
			return -1;
		argv[(*argc)++] = buf;
		if (*s == '\'') {
			for (s++;; s++) {
				if (!*s)
					return -1;
				if (*s == '\'' && *++s != '\'')
					break;
				*buf++ = *s;
			}
		} else {
			const char *w = s;
			while ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
			       (*s >= '0' && *s <= '9') || *s == '_' || *s == 0x1a ||
			       (unsigned char)*s >= 0x80)
				*buf++ = *s++;
			if (s == w)
				return -1;
		}
		*buf++ = '\0';
		while (*s == ' ')
			s++;
	}
	return 0;
}

int snippet_query_new(fts5_api *api, const char *tokenize, const char *const *terms,
		      size_t nterms, snippet_query **out)
{
	const char *argv[MAX_TOKENIZE_ARGS];
	snippet_query *q;
	void *user = NULL;
	char *words = NULL;
	int argc = 0, rc;

	*out = NULL;
	if (!tokenize || !*tokenize)
		tokenize = "unicode61"; /* FTS5's default */
	if (!(q = calloc(1, sizeof *q)) || !(words = malloc(strlen(tokenize) + 1))) {
		rc = docent_error_set(DOCENT_ENOMEM, "out of memory");
		goto fail;
	}
	if (tokenize_words(tokenize, words, argv, &argc) || argc == 0) {
		rc = docent_error_set(DOCENT_EDB, "cannot read the tokenizer setting \"%s\"", tokenize);
		goto fail;
	}
	rc = api->xFindTokenizer(api, argv[0], &user, &q->tk);
	if (rc == SQLITE_OK)
		rc = q->tk.xCreate(user, argv + 1, argc - 1, &q->inst);
	if (rc != SQLITE_OK) {
		q->inst = NULL;
		rc = docent_error_set(rc == SQLITE_NOMEM ? DOCENT_ENOMEM : DOCENT_EDB,
				      "cannot make the tokenizer \"%s\" for snippets (SQLite code %d)",
				      tokenize, rc);
		goto fail;
	}
	if (nterms > MAX_QUERY_TERMS)
		nterms = MAX_QUERY_TERMS;
	for (size_t t = 0; t < nterms; t++) {
		size_t len = strlen(terms[t]);
		q->first[t] = q->nseq;
		rc = len > INT_MAX ? SQLITE_TOOBIG :
			q->tk.xTokenize(q->inst, q, FTS5_TOKENIZE_QUERY, terms[t], (int)len, term_token);
		if (rc != SQLITE_OK) {
			rc = q->nomem ? docent_error_set(DOCENT_ENOMEM, "out of memory")
				      : docent_error_set(DOCENT_EDB, "cannot tokenize the query term "
							 "\"%s\" (SQLite code %d)", terms[t], rc);
			goto fail;
		}
	}
	q->nterms = (int)nterms;
	q->first[nterms] = q->nseq;
	if (slots_make(q)) {
		rc = docent_error_set(DOCENT_ENOMEM, "out of memory");
		goto fail;
	}
	free(words);
	*out = q;
	return 0;
fail:
	free(words);
	snippet_query_free(q);
	return rc;
}

void snippet_query_free(snippet_query *q)
{
	if (!q)
		return;
	if (q->inst)
		q->tk.xDelete(q->inst);
	dbuf_free(&q->bytes);
	free(q->tok);
	free(q->slot);
	free(q->seq);
	free(q->span);
	free(q->id);
	free(q->m);
	free(q);
}

/* xToken for a hit's text: its span, and which query token it is. */
static int text_token(void *ctx, int tflags, const char *tok, int ntok, int start, int end)
{
	snippet_query *q = ctx;

	if (ntok < 0 || start < 0 || end < start || end > q->n ||
	    (q->nspan > 0 && start < q->span[q->nspan - 1].start)) {
		q->bad = 1;
		return SQLITE_ERROR;
	}
	if (tflags & FTS5_TOKEN_COLOCATED) {
		/* not a position of its own but another form of the token
		 * before: it may stand for that one in a match */
		if (q->nspan > 0 && q->id[q->nspan - 1] < 0)
			q->id[q->nspan - 1] = token_find(q, tok, ntok);
		return SQLITE_OK;
	}
	if (grow(&q->span, &q->capspan, q->nspan + 1, sizeof *q->span) ||
	    grow(&q->id, &q->capid, q->nspan + 1, sizeof *q->id)) {
		q->nomem = 1;
		return SQLITE_NOMEM;
	}
	q->span[q->nspan] = (snippet_span){ start, end };
	q->id[q->nspan++] = token_find(q, tok, ntok);
	return SQLITE_OK;
}

int snippet_query_make(snippet_query *q, const char *text, size_t n, const char *open,
		       const char *close, int width, char **out)
{
	int rc;

	*out = NULL;
	if (!text || n == 0 || n > INT_MAX || q->nseq == 0)
		return 0;
	q->n = (int)n;
	q->nspan = q->nm = 0;
	q->bad = q->nomem = 0;
	rc = q->tk.xTokenize(q->inst, q, FTS5_TOKENIZE_DOCUMENT, text, (int)n, text_token);
	if (q->nomem)
		return docent_error_set(DOCENT_ENOMEM, "out of memory making a snippet");
	if (q->bad)
		return 0; /* cannot happen with FTS5's tokenizers: no snippet */
	if (rc != SQLITE_OK)
		return docent_error_set(DOCENT_EDB, "cannot tokenize a hit's text for its snippet "
					"(SQLite code %d)", rc);
	/* every term, a phrase of one or more tokens, wherever it starts */
	for (int i = 0; i < q->nspan; i++) {
		if (q->id[i] < 0)
			continue;
		for (int t = 0; t < q->nterms; t++) {
			int a = q->first[t], len = q->first[t + 1] - a, k = 1;
			if (len == 0 || q->seq[a] != q->id[i] || len > q->nspan - i)
				continue;
			while (k < len && q->id[i + k] == q->seq[a + k])
				k++;
			if (k < len)
				continue;
			if (grow(&q->m, &q->capm, q->nm + 1, sizeof *q->m))
				return docent_error_set(DOCENT_ENOMEM, "out of memory making a snippet");
			q->m[q->nm++] = (snippet_match){ t, i, len };
		}
	}
	return snippet_make(text, (int)n, q->span, q->nspan, q->m, q->nm, open, close, width, out);
}
