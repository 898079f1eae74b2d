/*
 * pack.c - the evidence packer: the sentences and table rows of the
 * retrieved passages that bear on the question, under a token budget.
 *
 * Each passage is cut into units (sentences from ingest/sentence.h; lines
 * containing " | " are table rows, the first of a run being its header).
 * Units are scored against the question with BM25 over the units of all
 * the passages of the call: words case-folded and stemmed (Snowball's
 * English stemmer, as the keyword index stems), the keyword search's stop
 * words left out, document frequencies counted over the units, so that a
 * word every candidate shares counts little and the word that tells them
 * apart counts most. Scores of one call are therefore comparable across
 * items (the extractive answer picks the global best).
 *
 * Selection is greedy: the unit with the best priority that still fits is
 * taken, where the priority is the unit's score weighed by its passage's
 * rank, and divided again for every unit already taken from the same
 * passage, so that the budget goes to several passages before it goes to
 * the second sentence of one. Measured on the shared evaluation
 * collections (bench/context.c, docs/performance.md): spreading a small
 * budget over many passages is what keeps a relevant document in the
 * context. Budget left at the end goes to the neighbours of the kept units,
 * which make them read as text.
 */
#include "rag/pack.h"

#include "core/buf.h"
#include "core/error.h"
#include "core/text.h"
#include "index/store_int.h" /* store_is_stopword: the keyword search's stop words */
#include "ingest/chunk.h"
#include "ingest/sentence.h"

#include <libstemmer.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* question terms considered: a question longer than this is a document */
#define MAX_TERMS 64
/* BM25 over units, the usual constants */
#define BM25_K1 1.2
#define BM25_B 0.75

/* a unit's score grows by this share for each pair of question terms it
 * has side by side, as in the question (at most three pairs) */
#define PAIR_BONUS 0.25
/* a table's first row with a longer cell, or a digit, is data, not a header */
#define HEADER_CELL_WORDS 5
static const char GAP[] = " \xE2\x80\xA6 "; /* " … " */

pack_params pack_default_params(void)
{
	return (pack_params){
		/* docs/performance.md, "Context packing": 640 tokens (about 340
		 * words) of evidence from 50 candidates hold a relevant document
		 * as often as the top 10 chunks of a search (1,200 words) */
		.budget_tokens = 640,
		.max_items = 16,
		.whole_passages = 0,
		.count = NULL,
		.count_ctx = NULL,
		.item_tokens = 8,
		.rank_weight = 0.1,
		.spread = 0.5,
	};
}

/* ---- terms ------------------------------------------------------------ */

typedef struct termset {
	char *s[MAX_TERMS];
	size_t len[MAX_TERMS];
	size_t n;
} termset;

typedef struct stemmer {
	struct sb_stemmer *sb;
	dbuf fold;
} stemmer;

static void termset_free(termset *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->s[i]);
	t->n = 0;
}

/* The stem of w[0..n), case-folded; *out borrowed until the next call.
 * Returns 0, or DOCENT_ENOMEM. */
static int stem_word(stemmer *st, const char *w, size_t n, const char **out, size_t *outlen)
{
	dbuf_reset(&st->fold);
	if (text_casefold(w, n, &st->fold))
		return DOCENT_ENOMEM;
	*out = st->fold.data;
	*outlen = st->fold.len;
	if (st->sb && st->fold.len > 2) {
		const sb_symbol *r = sb_stemmer_stem(st->sb, (const sb_symbol *)st->fold.data,
						     (int)st->fold.len);
		if (!r)
			return DOCENT_ENOMEM;
		*out = (const char *)r;
		*outlen = (size_t)sb_stemmer_length(st->sb);
	}
	return 0;
}

static int stemmer_init(stemmer *st)
{
	memset(st, 0, sizeof *st);
	st->sb = sb_stemmer_new("english", "UTF_8");
	return st->sb ? 0 : DOCENT_ENOMEM;
}

static void stemmer_done(stemmer *st)
{
	sb_stemmer_delete(st->sb);
	dbuf_free(&st->fold);
}

/* The question's distinct content words, stemmed. */
static int question_terms(stemmer *st, const char *q, termset *t)
{
	size_t n = q ? strlen(q) : 0, pos = 0, a, b;

	t->n = 0;
	while (t->n < MAX_TERMS && text_next_word(q, n, pos, &a, &b)) {
		const char *s;
		size_t len;
		pos = b;
		if (stem_word(st, q + a, b - a, &s, &len))
			return DOCENT_ENOMEM;
		/* the stop list holds unstemmed words: check the folded form */
		if (store_is_stopword(st->fold.data, st->fold.len))
			continue;
		size_t i;
		for (i = 0; i < t->n && !(t->len[i] == len && memcmp(t->s[i], s, len) == 0); i++)
			;
		if (i < t->n)
			continue;
		t->s[t->n] = malloc(len + 1);
		if (!t->s[t->n])
			return DOCENT_ENOMEM;
		memcpy(t->s[t->n], s, len);
		t->s[t->n][len] = '\0';
		t->len[t->n++] = len;
	}
	return 0;
}

static int term_find(const termset *t, const char *s, size_t len)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->len[i] == len && memcmp(t->s[i], s, len) == 0)
			return (int)i;
	return -1;
}

/* ---- units ------------------------------------------------------------ */

enum { U_SENTENCE, U_ROW, U_HEADER };

typedef struct unit {
	size_t hit;
	size_t s, e;        /* hit text [s, e) */
	int kind;
	size_t header;      /* for a row: the index of its table's header unit */
	size_t words, tokens;
	double score, prio;
	int pairs;          /* question terms next to each other as in the question */
	int chosen;
	uint8_t *tf;        /* per question term, saturated at 255 */
} unit;

typedef struct unitvec {
	unit *v;
	size_t n, cap;
} unitvec;

static int unit_push(unitvec *u, size_t hit, size_t s, size_t e, int kind, size_t header)
{
	if (u->n == u->cap) {
		size_t cap = u->cap ? 2 * u->cap : 64;
		unit *nv = realloc(u->v, cap * sizeof *nv);
		if (!nv)
			return DOCENT_ENOMEM;
		u->v = nv;
		u->cap = cap;
	}
	u->v[u->n++] = (unit){ .hit = hit, .s = s, .e = e, .kind = kind, .header = header };
	return 0;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int is_lower_ascii(char c)
{
	return c >= 'a' && c <= 'z';
}

/*
 * Pushes the sentence text[s, e), cut further when it is long and holds
 * end punctuation that the sentence splitter did not take as a boundary
 * because no capital letter follows: text written all in lower case, or
 * tokenized (" . "), as some corpora and OCR output are. A cut needs a
 * space or a word of four lower-case letters before the mark (not "e.g.",
 * "Fig.") and a space after it, and leaves pieces of at least a few words.
 */
static int push_sentence(unitvec *u, size_t hit, const char *text, size_t s, size_t e)
{
	enum { LONG_BYTES = 240, MIN_PIECE = 24 };
	size_t start = s;
	int rc;

	if (e - s > LONG_BYTES) {
		for (size_t i = s + MIN_PIECE; i + MIN_PIECE < e; i++) {
			char c = text[i];
			if ((c != '.' && c != '?' && c != '!') || text[i + 1] != ' ' ||
			    i - start < MIN_PIECE)
				continue;
			int ok = text[i - 1] == ' ';
			if (!ok && i >= start + 4)
				ok = is_lower_ascii(text[i - 1]) && is_lower_ascii(text[i - 2]) &&
				     is_lower_ascii(text[i - 3]) && is_lower_ascii(text[i - 4]);
			if (!ok)
				continue;
			if ((rc = unit_push(u, hit, start, i + 1, U_SENTENCE, 0)))
				return rc;
			start = i + 1;
			while (start < e && is_space(text[start]))
				start++;
			i = start;
		}
	}
	return start < e ? unit_push(u, hit, start, e, U_SENTENCE, 0) : 0;
}

/* Adds the sentences of text[a, b) as units, trimmed of white space. */
static int split_sentences(unitvec *u, size_t hit, const char *text, size_t a, size_t b)
{
	size_t *ends = NULL, n = 0, start = a;
	int rc;

	while (start < b && is_space(text[start]))
		start++;
	if (start >= b)
		return 0;
	/* a pattern failure (text that is not UTF-8) leaves the region whole */
	if (sentence_split(text + start, b - start, &ends, &n) != 0) {
		free(ends);
		while (b > start && is_space(text[b - 1]))
			b--;
		return push_sentence(u, hit, text, start, b);
	}
	for (size_t i = 0; i < n; i++) {
		size_t e = start + ends[i];
		size_t s = start;
		if (i > 0)
			s = start + ends[i - 1];
		while (s < e && is_space(text[s]))
			s++;
		if (e > b)
			e = b;
		if (s < e && (rc = push_sentence(u, hit, text, s, e))) {
			free(ends);
			return rc;
		}
	}
	free(ends);
	return 0;
}

/* Does the row text[s, e) read as a table's header: no number standing
 * alone ("30", "14.2", "18%"; "K2" is a name), and every cell a few
 * words? A chunk can start in the middle of a table, and then its first
 * row is data. */
static int looks_like_header(const char *text, size_t s, size_t e)
{
	size_t words = 0;
	int in_word = 0, digits = 0, letters = 0;

	for (size_t i = s; i <= e; i++) {
		char c = i < e ? text[i] : ' ';
		if (c == '|' || is_space(c)) {
			if (in_word && digits && !letters)
				return 0;
			in_word = digits = letters = 0;
			if (c == '|')
				words = 0;
			continue;
		}
		if (!in_word) {
			in_word = 1;
			if (++words > HEADER_CELL_WORDS)
				return 0;
		}
		if (c >= '0' && c <= '9')
			digits = 1;
		else if ((unsigned char)c >= 0x80 || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'))
			letters = 1;
	}
	return 1;
}

/* A table's first row is its header unless it has no rows under it or
 * does not read as one; then it is a row of its own (its header index
 * is itself). */
static void header_settle(unitvec *u, size_t header, size_t rows)
{
	if (header != SIZE_MAX && u->v[header].kind == U_HEADER && rows == 0)
		u->v[header].kind = U_ROW;
}

/* Cuts a passage into units: runs of lines containing " | " are table
 * rows (the first is the header, see header_settle), the rest is split
 * into sentences. */
static int split_hit(unitvec *u, size_t hit, const char *text, size_t n)
{
	size_t pos = 0, prose = 0, rows = 0;
	size_t header = SIZE_MAX;
	int rc;

	while (pos < n) {
		const char *nl = memchr(text + pos, '\n', n - pos);
		size_t eol = nl ? (size_t)(nl - text) : n;
		size_t s = pos, e = eol;
		while (s < e && is_space(text[s]))
			s++;
		while (e > s && is_space(text[e - 1]))
			e--;
		if (e > s && memmem(text + s, e - s, " | ", 3)) {
			if (header == SIZE_MAX) {
				if ((rc = split_sentences(u, hit, text, prose, pos)))
					return rc;
				header = u->n;
				rows = 0;
				rc = unit_push(u, hit, s, e, looks_like_header(text, s, e) ?
					       U_HEADER : U_ROW, u->n);
			} else {
				/* rows under a first row that is data stand alone */
				size_t h = u->v[header].kind == U_HEADER ? header : u->n;
				rc = unit_push(u, hit, s, e, U_ROW, h);
				rows++;
			}
			if (rc)
				return rc;
			prose = eol;
		} else if (header != SIZE_MAX) {
			header_settle(u, header, rows);
			header = SIZE_MAX;
			prose = pos;
		}
		pos = eol + (nl != NULL);
	}
	if (header == SIZE_MAX)
		return split_sentences(u, hit, text, prose, n);
	header_settle(u, header, rows);
	return 0;
}

/* ---- scoring ---------------------------------------------------------- */

static size_t count_tokens(const pack_params *p, const char *s, size_t n)
{
	if (p->count)
		return p->count(p->count_ctx, s, n);
	token_counter c = token_counter_simple();
	return c.count(c.ctx, s, n);
}

/* Is text[0..n) the passage's own section heading (the last part of its
 * heading path)? The prompt names the section in the item's header, and a
 * heading answers nothing, so it scores 0. */
static int is_section_heading(const char *heading, const char *text, size_t n)
{
	const char *last;
	size_t len;

	if (!heading)
		return 0;
	last = strrchr(heading, '>');
	last = last && last[1] == ' ' ? last + 2 : heading;
	len = strlen(last);
	while (n > 0 && is_space(text[n - 1]))
		n--;
	while (n > 0 && is_space(*text)) {
		text++;
		n--;
	}
	return n == len && memcmp(text, last, n) == 0;
}

static int score_units(unitvec *u, const store_hit *hits, const termset *t, stemmer *st,
		       const pack_params *p)
{
	size_t df[MAX_TERMS] = { 0 };
	double totwords = 0;

	for (size_t i = 0; i < u->n; i++) {
		unit *x = &u->v[i];
		const char *text = hits[x->hit].text;
		size_t pos = x->s, a, b;
		x->tokens = count_tokens(p, text + x->s, x->e - x->s);
		if (t->n) {
			x->tf = calloc(t->n, 1);
			if (!x->tf)
				return DOCENT_ENOMEM;
		}
		int prev = -1; /* the question term of the last content word, or -1 */
		while (text_next_word(text, x->e, pos, &a, &b)) {
			const char *s;
			size_t len;
			pos = b;
			x->words++;
			if (!t->n)
				continue;
			if (stem_word(st, text + a, b - a, &s, &len))
				return DOCENT_ENOMEM;
			int k = term_find(t, s, len);
			if (k >= 0 && x->tf[k] < 255)
				x->tf[k]++;
			if (k < 0 && store_is_stopword(st->fold.data, st->fold.len))
				continue; /* "days of leave" keeps "days" and "leave" together */
			if (k > 0 && prev == k - 1)
				x->pairs++;
			prev = k;
		}
		totwords += (double)x->words;
		for (size_t k = 0; k < t->n; k++)
			df[k] += x->tf[k] > 0;
	}
	if (!t->n || !u->n)
		return 0;
	double avg = totwords / (double)u->n, N = (double)u->n;
	if (avg <= 0)
		avg = 1;
	double idf[MAX_TERMS];
	for (size_t k = 0; k < t->n; k++)
		idf[k] = log(1 + (N - (double)df[k] + 0.5) / ((double)df[k] + 0.5));
	for (size_t i = 0; i < u->n; i++) {
		unit *x = &u->v[i];
		/* A row is read with its table's header ("Quarter | Revenue |
		 * Growth" gives "Q3 | 14.2 | 18%" its meaning); a header alone
		 * answers nothing. */
		const unit *h = x->kind == U_ROW && x->header != i ? &u->v[x->header] : NULL;
		double words = (double)x->words + (h ? (double)h->words : 0);
		double sc = 0, norm = BM25_K1 * (1 - BM25_B + BM25_B * words / avg);
		if (x->kind == U_HEADER) {
			x->score = x->prio = 0;
			continue;
		}
		for (size_t k = 0; k < t->n; k++) {
			double tf = (double)x->tf[k] + (h ? (double)h->tf[k] : 0);
			if (tf > 0)
				sc += idf[k] * tf * (BM25_K1 + 1) / (tf + norm);
		}
		/* words that stand together in the question and in the unit
		 * ("parental leave") say more than the same words apart */
		sc *= 1 + PAIR_BONUS * (x->pairs < 3 ? x->pairs : 3);
		if (is_section_heading(hits[x->hit].heading, hits[x->hit].text + x->s, x->e - x->s))
			sc = 0;
		x->score = sc;
		x->prio = sc / (1 + p->rank_weight * (double)x->hit);
	}
	return 0;
}

/* ---- selection -------------------------------------------------------- */

typedef struct packer {
	const store_hit *hits;
	size_t nhits;
	const pack_params *p;
	unitvec u;
	size_t *taken;      /* units taken per hit */
	double *factor;     /* per hit: spread to the power of the units taken */
	size_t used;        /* budget spent, estimated */
	size_t items;       /* hits with a unit taken */
} packer;

/* What taking unit i (and its table header, when not yet taken) costs. */
static size_t unit_cost(const packer *k, size_t i)
{
	const unit *x = &k->u.v[i];
	size_t c = x->tokens + 1; /* the gap or space before it */
	if (k->taken[x->hit] == 0)
		c += k->p->item_tokens;
	if (x->kind == U_ROW && x->header != i && !k->u.v[x->header].chosen)
		c += k->u.v[x->header].tokens + 1;
	return c;
}

static void unit_take(packer *k, size_t i, size_t cost)
{
	unit *x = &k->u.v[i];
	if (k->taken[x->hit] == 0)
		k->items++;
	if (x->kind == U_ROW && x->header != i && !k->u.v[x->header].chosen) {
		k->u.v[x->header].chosen = 1;
		k->taken[x->hit]++;
	}
	x->chosen = 1;
	k->taken[x->hit]++;
	k->factor[x->hit] *= k->p->spread;
	k->used += cost;
}

/* Non-zero when unit i repeats text already taken: consecutive chunks of
 * a section share a sentence or two (the chunker's overlap), and the same
 * words twice would spend the budget for nothing. */
static int repeats(const packer *k, size_t i)
{
	const unit *x = &k->u.v[i];
	const store_hit *h = &k->hits[x->hit];
	int64_t a = h->start_byte + (int64_t)x->s, b = h->start_byte + (int64_t)x->e;
	for (size_t j = 0; j < k->u.n; j++) {
		const unit *y = &k->u.v[j];
		if (!y->chosen || y->hit == x->hit)
			continue;
		const store_hit *g = &k->hits[y->hit];
		if (g->doc_id != h->doc_id || g->chunk_id == h->chunk_id)
			continue;
		int64_t c = g->start_byte + (int64_t)y->s, d = g->start_byte + (int64_t)y->e;
		if (a < d && c < b)
			return 1;
	}
	return 0;
}

static int fits(const packer *k, size_t i, size_t *cost)
{
	const unit *x = &k->u.v[i];
	if (x->chosen)
		return 0;
	if (k->taken[x->hit] == 0 && k->items >= k->p->max_items)
		return 0;
	if (repeats(k, i))
		return 0;
	*cost = unit_cost(k, i);
	return k->used + *cost <= k->p->budget_tokens;
}

static void select_units(packer *k)
{
	for (;;) {
		size_t best = SIZE_MAX, bcost = 0;
		double bp = 0;
		for (size_t i = 0; i < k->u.n; i++) {
			const unit *x = &k->u.v[i];
			size_t cost;
			if (x->score <= 0 || x->chosen)
				continue;
			double pr = x->prio * k->factor[x->hit];
			if (best != SIZE_MAX && pr <= bp)
				continue;
			if (fits(k, i, &cost)) {
				best = i;
				bp = pr;
				bcost = cost;
			}
		}
		if (best == SIZE_MAX)
			break;
		unit_take(k, best, bcost);
	}
	/* the leftover budget: neighbours of the kept sentences (the next one
	 * first, then the one before), passages in rank order */
	for (int round = 0; round < 2; round++) {
		for (size_t i = 0; i < k->u.n; i++) {
			size_t cost;
			const unit *x = &k->u.v[i];
			if (!x->chosen || x->score <= 0)
				continue;
			size_t nb = round == 0 ? i + 1 : i - 1;
			if ((round == 1 && i == 0) || nb >= k->u.n)
				continue;
			if (k->u.v[nb].hit != x->hit || k->u.v[nb].kind != U_SENTENCE ||
			    x->kind != U_SENTENCE)
				continue;
			if (fits(k, nb, &cost))
				unit_take(k, nb, cost);
		}
	}
}

/* Whole passages in rank order, as long as they fit. */
static void select_whole(packer *k)
{
	for (size_t h = 0; h < k->nhits; h++) {
		size_t cost = k->p->item_tokens, first = SIZE_MAX, last = 0;
		for (size_t i = 0; i < k->u.n; i++)
			if (k->u.v[i].hit == h) {
				if (first == SIZE_MAX)
					first = i;
				last = i;
				cost += k->u.v[i].tokens + 1;
			}
		if (first == SIZE_MAX)
			continue;
		if (k->items >= k->p->max_items || k->used + cost > k->p->budget_tokens)
			continue;
		for (size_t i = first; i <= last; i++)
			k->u.v[i].chosen = 1;
		k->taken[h] = last - first + 1;
		k->items++;
		k->used += cost;
	}
}

/* ---- items ------------------------------------------------------------ */

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void item_clear(pack_item *it)
{
	free(it->path);
	free(it->title);
	free(it->heading);
	free(it->text);
	free(it->units);
	memset(it, 0, sizeof *it);
}

void pack_items_free(pack_item *items, size_t n)
{
	if (!items)
		return;
	for (size_t i = 0; i < n; i++)
		item_clear(&items[i]);
	free(items);
}

/* Builds the item of hit h from its chosen units (first..last index). */
static int item_build(packer *k, size_t h, pack_item *it)
{
	const store_hit *hit = &k->hits[h];
	dbuf text = { 0 };
	size_t nu = k->taken[h], prev_e = 0, j = 0;
	size_t prev = SIZE_MAX, header = SIZE_MAX, header_j = 0;
	int rc = DOCENT_ENOMEM;

	memset(it, 0, sizeof *it);
	it->hit = h;
	it->chunk_id = hit->chunk_id;
	it->doc_id = hit->doc_id;
	it->page_start = hit->page_start;
	it->page_end = hit->page_end;
	it->path = dup_or_null(hit->path ? hit->path : "");
	it->title = dup_or_null(hit->title);
	it->heading = dup_or_null(hit->heading);
	it->units = calloc(nu ? nu : 1, sizeof *it->units);
	if (!it->path || (hit->title && !it->title) || (hit->heading && !it->heading) ||
	    !it->units)
		goto fail;
	for (size_t i = 0; i < k->u.n; i++) {
		const unit *x = &k->u.v[i];
		if (x->hit != h || !x->chosen)
			continue;
		if (j > 0) {
			/* adjacent units keep the text between them; a gap shows */
			int adjacent = prev + 1 == i;
			if (adjacent ? dbuf_append(&text, hit->text + prev_e, x->s - prev_e)
				     : dbuf_append(&text, GAP, sizeof GAP - 1))
				goto fail;
		} else {
			it->start_byte = hit->start_byte + (int64_t)x->s;
		}
		pack_unit *pu = &it->units[j++];
		pu->off = text.len;
		pu->len = x->e - x->s;
		pu->start_byte = hit->start_byte + (int64_t)x->s;
		pu->end_byte = hit->start_byte + (int64_t)x->e;
		pu->score = x->score;
		pu->header = -1;
		if (x->kind == U_HEADER) {
			header = i;
			header_j = j - 1;
		} else if (x->kind == U_ROW && x->header != i && x->header == header) {
			pu->header = (long)header_j;
		}
		if (x->score > it->score)
			it->score = x->score;
		if (dbuf_append(&text, hit->text + x->s, x->e - x->s))
			goto fail;
		it->end_byte = hit->start_byte + (int64_t)x->e;
		prev = i;
		prev_e = x->e;
	}
	it->nunits = j;
	size_t tl = text.len;
	it->text = dbuf_detach(&text, NULL);
	if (!it->text)
		goto fail;
	it->tokens = count_tokens(k->p, it->text, tl);
	return 0;
fail:
	dbuf_free(&text);
	item_clear(it);
	return rc;
}

/* Drops the last-chosen-worst unit until the exact count fits: the
 * estimate adds a token per gap, so this rarely runs (a counter that
 * counts joined text differently, a long " … "). */
static size_t exact_total(const pack_item *items, size_t n, const pack_params *p)
{
	size_t t = 0;
	for (size_t i = 0; i < n; i++)
		t += items[i].tokens + p->item_tokens;
	return t;
}

int pack_evidence(const char *question, const store_hit *hits, size_t nhits,
		  const pack_params *pp, pack_item **out, size_t *n)
{
	pack_params p = pp ? *pp : pack_default_params();
	packer k = { .hits = hits, .nhits = nhits, .p = &p };
	termset t = { .n = 0 };
	stemmer st;
	pack_item *items = NULL;
	size_t nitems = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (p.spread <= 0 || p.spread > 1)
		p.spread = 1;
	if (p.max_items == 0)
		p.max_items = SIZE_MAX;
	if ((rc = stemmer_init(&st)))
		return docent_error_set(rc, "the packer's stemmer could not be made");
	if ((rc = question_terms(&st, question, &t)))
		goto done;
	k.taken = calloc(nhits ? nhits : 1, sizeof *k.taken);
	k.factor = malloc((nhits ? nhits : 1) * sizeof *k.factor);
	rc = DOCENT_ENOMEM;
	if (!k.taken || !k.factor)
		goto done;
	for (size_t h = 0; h < nhits; h++)
		k.factor[h] = 1;
	for (size_t h = 0; h < nhits; h++) {
		if (!hits[h].text)
			continue;
		if ((rc = split_hit(&k.u, h, hits[h].text, strlen(hits[h].text))))
			goto done;
	}
	if ((rc = score_units(&k.u, hits, &t, &st, &p)))
		goto done;

	for (;;) {
		if (p.whole_passages)
			select_whole(&k);
		else
			select_units(&k);
		items = calloc(k.items ? k.items : 1, sizeof *items);
		rc = DOCENT_ENOMEM;
		if (!items)
			goto done;
		nitems = 0;
		for (size_t h = 0; h < nhits; h++) {
			if (!k.taken[h])
				continue;
			if ((rc = item_build(&k, h, &items[nitems])))
				goto done;
			items[nitems].n = (int)(nitems + 1);
			nitems++;
		}
		if (exact_total(items, nitems, &p) <= p.budget_tokens || k.items == 0)
			break;
		/* over by the counter's reckoning: shrink the budget and redo */
		size_t over = exact_total(items, nitems, &p) - p.budget_tokens;
		pack_items_free(items, nitems);
		items = NULL;
		nitems = 0;
		for (size_t i = 0; i < k.u.n; i++)
			k.u.v[i].chosen = 0;
		memset(k.taken, 0, nhits * sizeof *k.taken);
		for (size_t h = 0; h < nhits; h++)
			k.factor[h] = 1;
		k.used = 0;
		k.items = 0;
		p.budget_tokens = p.budget_tokens > over ? p.budget_tokens - over : 0;
	}
	*out = items;
	*n = nitems;
	items = NULL;
	rc = 0;
done:
	if (rc == DOCENT_ENOMEM)
		docent_error_set(rc, "out of memory while packing the evidence");
	pack_items_free(items, nitems);
	for (size_t i = 0; i < k.u.n; i++)
		free(k.u.v[i].tf);
	free(k.u.v);
	free(k.taken);
	free(k.factor);
	termset_free(&t);
	stemmer_done(&st);
	return rc;
}

/* ---- coverage and the best units -------------------------------------- */

/* Marks the question terms found in s[0..len) in found[]; returns how
 * many were newly marked, or -1 when out of memory. */
static int mark_terms(stemmer *st, const termset *t, const char *s, size_t len, uint8_t *found)
{
	size_t pos = 0, a, b;
	int added = 0;

	while (text_next_word(s, len, pos, &a, &b)) {
		const char *w;
		size_t wl;
		pos = b;
		if (stem_word(st, s + a, b - a, &w, &wl))
			return -1;
		int k = term_find(t, w, wl);
		if (k >= 0 && !found[k]) {
			found[k] = 1;
			added++;
		}
	}
	return added;
}

/*
 * The best item's share of the question's content words, counting at
 * most COVER_WORDS of them. Measured against questions run on another
 * collection's documents (bench/context.c): the share of all items
 * together told them apart badly (a dozen passages picked for containing
 * question words contain most of the common ones: "method", "effect",
 * "problem"); words that come together in one passage are the sign that
 * it is about the question. A long question (a paragraph) is answered by
 * a passage holding several of its words, not most, hence the cap.
 */
#define COVER_WORDS 8

double pack_coverage(const char *question, const pack_item *items, size_t n)
{
	stemmer st;
	termset t = { .n = 0 };
	double cov = 0;

	if (stemmer_init(&st))
		return 0;
	if (question_terms(&st, question, &t) || t.n == 0)
		goto done;
	for (size_t i = 0; i < n; i++) {
		uint8_t found[MAX_TERMS] = { 0 };
		int r = items[i].text ? mark_terms(&st, &t, items[i].text, strlen(items[i].text),
						   found)
				      : 0;
		if (r < 0) {
			cov = 0;
			break;
		}
		double share = (double)r / (double)(t.n < COVER_WORDS ? t.n : COVER_WORDS);
		if (share > cov)
			cov = share > 1 ? 1 : share;
	}
done:
	termset_free(&t);
	stemmer_done(&st);
	return cov;
}

/*
 * As pack_coverage, each question word weighted by how rare it is among
 * the retrieved passages (BM25's idf over hits): a question's unusual words
 * ("dogs" in "may I bring dogs to the office?") decide whether the
 * documents speak of it, while words every passage has ("office",
 * "policy") say little. A word no passage has weighs most.
 */
double pack_coverage_weighted(const char *question, const store_hit *hits, size_t nhits,
			      const pack_item *items, size_t n, size_t *absent, size_t *nterms)
{
	stemmer st;
	termset t = { .n = 0 };
	double cov = 0, w[MAX_TERMS], top[MAX_TERMS], denom = 0;
	size_t df[MAX_TERMS] = { 0 };

	if (absent)
		*absent = 0;
	if (nterms)
		*nterms = 0;
	if (stemmer_init(&st))
		return 0;
	if (question_terms(&st, question, &t) || t.n == 0)
		goto done;
	for (size_t h = 0; h < nhits; h++) {
		uint8_t found[MAX_TERMS] = { 0 };
		const char *s = hits[h].text ? hits[h].text : "";
		if (mark_terms(&st, &t, s, strlen(s), found) < 0)
			goto done;
		for (size_t k = 0; k < t.n; k++)
			df[k] += found[k];
	}
	for (size_t k = 0; k < t.n; k++) {
		w[k] = log(1 + ((double)nhits - (double)df[k] + 0.5) / ((double)df[k] + 0.5));
		top[k] = w[k];
		/* a number is written many ways ("2000", "2,000", "2 000"): its
		 * absence says little */
		if (absent && df[k] == 0 && t.s[k][strspn(t.s[k], "0123456789.,")] != '\0')
			(*absent)++;
	}
	if (nterms)
		*nterms = t.n;
	/* the heaviest COVER_WORDS make the whole (a long question's) */
	for (size_t k = 0; k < t.n; k++)
		for (size_t j = k + 1; j < t.n; j++)
			if (top[j] > top[k]) {
				double x = top[k];
				top[k] = top[j];
				top[j] = x;
			}
	for (size_t k = 0; k < t.n && k < COVER_WORDS; k++)
		denom += top[k];
	for (size_t i = 0; i < n && denom > 0; i++) {
		uint8_t found[MAX_TERMS] = { 0 };
		double got = 0;
		if (items[i].text && mark_terms(&st, &t, items[i].text, strlen(items[i].text),
						found) < 0) {
			cov = 0;
			break;
		}
		for (size_t k = 0; k < t.n; k++)
			if (found[k])
				got += w[k];
		if (got / denom > cov)
			cov = got / denom > 1 ? 1 : got / denom;
	}
done:
	termset_free(&t);
	stemmer_done(&st);
	return cov;
}

static int cmp_ref(const void *a, const void *b, void *ctx)
{
	const pack_item *items = ctx;
	const pack_ref *x = a, *y = b;
	double sx = items[x->item].units[x->unit].score, sy = items[y->item].units[y->unit].score;
	if (sx != sy)
		return sx < sy ? 1 : -1;
	if (x->item != y->item)
		return x->item < y->item ? -1 : 1;
	return x->unit < y->unit ? -1 : x->unit > y->unit;
}

size_t pack_best_units(const pack_item *items, size_t n, pack_ref *out, size_t k)
{
	size_t total = 0, m = 0;
	pack_ref *all;

	for (size_t i = 0; i < n; i++)
		total += items[i].nunits;
	if (!total || !k)
		return 0;
	all = malloc(total * sizeof *all);
	if (!all)
		return 0;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < items[i].nunits; j++)
			if (items[i].units[j].score > 0)
				all[m++] = (pack_ref){ i, j };
	qsort_r(all, m, sizeof *all, cmp_ref, (void *)items);
	if (m > k)
		m = k;
	memcpy(out, all, m * sizeof *out);
	free(all);
	return m;
}
