/*
 * chunk.c - splitting a cleaned doc into chunks (see chunk.h).
 *
 * A doc is walked section by section (a heading starts one). Each section
 * is first cut into pieces, each a slice of doc.text with its token count:
 * the heading, whole blocks that fit the target, and for larger blocks their
 * sentences (rows for tables, lines for preformatted text), and for larger
 * sentences fragments cut between words. Pieces are then packed greedily
 * into chunks. Every piece is counted once and a chunk's count is the sum of
 * its pieces', so the work stays linear however large a block is; the sum
 * is exact for the default counter (it counts nothing across white space)
 * and a close estimate for a model's tokenizer.
 *
 * Overlap is found when a section continues into a new chunk: whole
 * sentences are taken back from the end of the previous chunk (a whole
 * block there is split into sentences only then), and since chunks are
 * slices the overlap is only an earlier start offset.
 */
#include "ingest/chunk.h"
#include "core/error.h"
#include "core/text.h"
#include "ingest/sentence.h"

#include <stdlib.h>
#include <string.h>

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/*
 * Why 256 and 32. Small embedding models read at most 512 tokens and were
 * trained on passages of roughly 100-300 words, so a 256-token chunk is
 * embedded whole and near what they know best. A small chat model's context
 * of 4-8k tokens then holds 8-16 such passages next to the question.
 * Shorter passages also sharpen BM25 (fewer unrelated terms per match) and
 * make citations precise, while 256 still keeps most paragraphs in one
 * piece. An overlap of 32 tokens is one or two sentences: a sentence that
 * straddles a boundary stays findable in one chunk or the other.
 */
chunk_params chunk_default_params(void)
{
	return (chunk_params){
		.target_tokens = 256,
		.overlap_tokens = 32,
		.counter = token_counter_simple(),
	};
}

/* ---- pieces ---------------------------------------------------------- */

typedef enum piece_kind {
	PIECE_HEADING, /* the section's heading */
	PIECE_BLOCK,   /* a whole block */
	PIECE_UNIT,    /* a whole sentence, table row or preformatted line */
	PIECE_FRAG,    /* part of a unit too large for a chunk */
} piece_kind;

typedef struct piece {
	size_t off, end; /* doc.text[off, end): starts and ends on non-space */
	size_t ntok;
	size_t block;
	piece_kind kind;
} piece;

typedef struct chunker {
	const chunk_params *p;
	const doc *d;
	chunk_list *out;
	piece *pc;         /* the current section's pieces */
	size_t npc, cap;
	dbuf path;         /* its heading path */
	int has_path;
} chunker;

static size_t count(const chunker *c, size_t off, size_t end)
{
	return c->p->counter.count(c->p->counter.ctx, c->d->text.data + off, end - off);
}

static int add_piece(chunker *c, piece_kind kind, size_t off, size_t end, size_t ntok,
		     size_t block)
{
	if (c->npc == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		piece *pc = realloc(c->pc, cap * sizeof *pc);
		if (!pc)
			return DOCENT_ENOMEM;
		c->pc = pc;
		c->cap = cap;
	}
	c->pc[c->npc++] = (piece){off, end, ntok, block, kind};
	return 0;
}

/* Lines and tables are cut at line ends, everything else at sentence ends. */
static int by_lines(doc_block_kind kind)
{
	return kind == DOC_TABLE || kind == DOC_PRE;
}

/*
 * The units of block i: *ends receives the end offset (in doc.text) of each
 * sentence, or of each non-blank line for tables and preformatted text.
 * A unit starts at the first non-space byte after the previous one's end.
 * The caller frees *ends.
 */
static int block_units(const chunker *c, size_t i, size_t **ends, size_t *n)
{
	const doc_block *b = &c->d->blocks[i];
	const char *t = c->d->text.data;
	int rc;

	if (!by_lines(b->kind)) {
		rc = sentence_split(t + b->off, b->len, ends, n);
		for (size_t k = 0; rc == 0 && k < *n; k++)
			(*ends)[k] += b->off;
		return rc;
	}
	size_t cap = 16, k = 0, pos = b->off, stop = b->off + b->len;
	size_t *e = malloc(cap * sizeof *e);
	if (!e)
		return DOCENT_ENOMEM;
	while (pos < stop) {
		const char *nl = memchr(t + pos, '\n', stop - pos);
		size_t eol = nl ? (size_t)(nl - t) : stop, end = eol;
		while (end > pos && is_space((unsigned char)t[end - 1]))
			end--;
		if (end > pos) {
			if (k == cap) {
				size_t *g = realloc(e, (cap *= 2) * sizeof *g);
				if (!g) {
					free(e);
					return DOCENT_ENOMEM;
				}
				e = g;
			}
			e[k++] = end;
		}
		pos = eol + 1;
	}
	*ends = e;
	*n = k;
	return 0;
}

static size_t skip_space(const char *t, size_t pos, size_t stop)
{
	while (pos < stop && is_space((unsigned char)t[pos]))
		pos++;
	return pos;
}

/*
 * The next unit of [pos, stop) at a given granularity, for cutting a unit
 * too large for a chunk: 0, runs of non-space; 1, a word with the
 * punctuation up to the next word (text_next_word). Returns 0 at the end.
 */
static int next_cut(const char *t, size_t stop, int level, size_t *pos, size_t *a, size_t *b)
{
	size_t i = skip_space(t, *pos, stop), wa, wb;

	if (i >= stop)
		return 0;
	*a = i;
	if (level == 0) {
		while (i < stop && !is_space((unsigned char)t[i]))
			i++;
	} else {
		/* past this unit's word, then up to the start of the next one */
		i = text_next_word(t, stop, i, &wa, &wb) ? wb : stop;
		i = text_next_word(t, stop, i, &wa, &wb) ? wa : stop;
	}
	*b = *pos = i;
	return 1;
}

/*
 * Cuts one word longer than the target (base64 data, a long CJK run) into
 * fragments between code points, each as long as the target allows: the
 * end is found by doubling then halving, so a fragment of m bytes costs
 * O(m log m) and adjacent fragments never fit in one chunk together.
 */
static int cut_word(chunker *c, size_t a, size_t stop, size_t block)
{
	const char *t = c->d->text.data;
	size_t target = c->p->target_tokens;
	int rc;

	while (a < stop) {
		size_t good = a, bad = stop + 1, step = 64, e, n, good_tok;
		text_utf8_next(t, stop, &good); /* one code point always goes */
		good_tok = count(c, a, good);
		for (;;) {
			e = text_utf8_floor(t, stop, good + step);
			if (e <= good)
				break; /* good == stop */
			if ((n = count(c, a, e)) > target) {
				bad = e;
				break;
			}
			good = e;
			good_tok = n;
			if (e == stop)
				break;
			step *= 2;
		}
		while (bad <= stop && bad - good > 1) {
			size_t mid = text_utf8_floor(t, stop, good + (bad - good) / 2);
			if (mid <= good)
				break;
			if ((n = count(c, a, mid)) <= target) {
				good = mid;
				good_tok = n;
			} else {
				bad = mid;
			}
		}
		if ((rc = add_piece(c, PIECE_FRAG, a, good, good_tok, block)))
			return rc;
		a = good;
	}
	return 0;
}

/*
 * Cuts [off, stop) - a unit with no whole-unit piece - into fragments of at
 * most target tokens: between runs of non-space first, then between words
 * inside a run too large, then inside a word too large. A fragment's count
 * is the sum of its runs' or words' (exact for the default counter, which
 * counts nothing across those cuts).
 */
static int cut_unit(chunker *c, size_t off, size_t stop, size_t block, int level)
{
	size_t target = c->p->target_tokens, pos = off, a, b, cur_a = 0, cur_b = 0, cur_tok = 0;
	int have = 0, rc;

	while (next_cut(c->d->text.data, stop, level, &pos, &a, &b)) {
		size_t n = count(c, a, b);
		if (have && cur_tok + n > target) {
			if ((rc = add_piece(c, PIECE_FRAG, cur_a, cur_b, cur_tok, block)))
				return rc;
			have = 0;
		}
		if (n > target) {
			rc = level == 0 ? cut_unit(c, a, b, block, 1) : cut_word(c, a, b, block);
			if (rc)
				return rc;
			continue;
		}
		if (!have) {
			cur_a = a;
			cur_tok = 0;
			have = 1;
		}
		cur_b = b;
		cur_tok += n;
	}
	return have ? add_piece(c, PIECE_FRAG, cur_a, cur_b, cur_tok, block) : 0;
}

/*
 * Adds block i's pieces: the whole block when it fits in `room` tokens
 * (the target, or what the heading leaves of it), else its units, each
 * whole or cut.
 */
static int add_block(chunker *c, size_t i, piece_kind whole_kind, size_t room)
{
	const doc_block *b = &c->d->blocks[i];
	const char *t = c->d->text.data;
	size_t ntok = count(c, b->off, b->off + b->len), *ends = NULL, n = 0, start = b->off;
	size_t target = c->p->target_tokens;
	int rc;

	if (ntok <= room)
		return add_piece(c, whole_kind, b->off, b->off + b->len, ntok, i);
	if (whole_kind == PIECE_HEADING) /* a heading is not split into sentences */
		return cut_unit(c, b->off, b->off + b->len, i, 0);
	if ((rc = block_units(c, i, &ends, &n)))
		return rc;
	for (size_t k = 0; k < n && rc == 0; k++) {
		size_t u = count(c, start, ends[k]);
		rc = u <= target ? add_piece(c, PIECE_UNIT, start, ends[k], u, i)
				 : cut_unit(c, start, ends[k], i, 0);
		start = skip_space(t, ends[k], b->off + b->len);
	}
	free(ends);
	return rc;
}

/* ---- packing --------------------------------------------------------- */

/*
 * The overlap for a chunk following pieces [first, last]: whole sentences
 * from the end, at most `cap` tokens in all. Sets *ntok to its tokens (0:
 * none) and, when there is one, *off to where it starts and *block to the
 * block holding that. Returns 0 or an error from splitting sentences.
 */
static int overlap(const chunker *c, size_t first, size_t last, size_t cap, size_t *off,
		   size_t *block, size_t *ntok)
{
	const char *t = c->d->text.data;
	size_t acc = 0;
	int rc = 0;

	*ntok = 0;
	for (size_t k = last + 1; k-- > first;) {
		const piece *q = &c->pc[k];
		if (q->kind == PIECE_HEADING || q->kind == PIECE_FRAG)
			break; /* a fragment is no whole sentence; the heading is in the path */
		if (q->kind == PIECE_UNIT) {
			if (acc + q->ntok > cap)
				break;
			acc += q->ntok;
			*off = q->off;
			*block = q->block;
			continue;
		}
		/* a whole block: take its sentences from the end */
		size_t *ends, n, u;
		if ((rc = block_units(c, q->block, &ends, &n)))
			return rc;
		for (u = n; u-- > 0;) {
			size_t a = u ? skip_space(t, ends[u - 1], q->end) : q->off;
			size_t m = count(c, a, ends[u]);
			if (acc + m > cap)
				break;
			acc += m;
			*off = a;
			*block = q->block;
		}
		free(ends);
		if (u != (size_t)-1)
			break; /* a sentence did not fit: the overlap stops here */
	}
	*ntok = acc;
	return 0;
}

static int emit(chunker *c, size_t off, size_t end, size_t first_block, size_t last_block,
		size_t ntok)
{
	chunk_list *l = c->out;
	char *heading = NULL;

	if (c->has_path && !(heading = strdup(c->path.data)))
		return DOCENT_ENOMEM;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		chunk *items = realloc(l->items, cap * sizeof *items);
		if (!items) {
			free(heading);
			return DOCENT_ENOMEM;
		}
		l->items = items;
		l->cap = cap;
	}
	l->items[l->n++] = (chunk){
		.off = off,
		.len = end - off,
		.page_start = c->d->blocks[first_block].page,
		.page_end = c->d->blocks[last_block].page,
		.heading = heading,
		.ntokens = ntok,
	};
	return 0;
}

/* Packs the current section's pieces into chunks and empties the list. */
static int flush_section(chunker *c)
{
	size_t target = c->p->target_tokens, i = 0, prev_first = 0;
	int rc = 0, first_chunk = 1;

	while (i < c->npc && rc == 0) {
		size_t start = i, off = c->pc[i].off, block = c->pc[i].block, tok = 0;
		if (!first_chunk && c->p->overlap_tokens && c->pc[i].ntok < target) {
			size_t room = target - c->pc[i].ntok;
			size_t cap = c->p->overlap_tokens < room ? c->p->overlap_tokens : room;
			if ((rc = overlap(c, prev_first, i - 1, cap, &off, &block, &tok)))
				break;
		}
		/* at least one piece, so that a piece over the target still goes
		 * out; and a heading never alone when text follows it: a chunk of
		 * a bare heading says nothing (the heading path carries it anyway),
		 * so its first piece joins it even past the target */
		do
			tok += c->pc[i++].ntok;
		while (i < c->npc && (tok + c->pc[i].ntok <= target ||
				      (i == start + 1 && c->pc[start].kind == PIECE_HEADING)));
		rc = emit(c, off, c->pc[i - 1].end, block, c->pc[i - 1].block, tok);
		prev_first = start;
		first_chunk = 0;
	}
	c->npc = 0;
	return rc;
}

/* Sets the heading path for a heading block: the titles of the enclosing
 * headings, white space collapsed, joined by " > ". */
static int set_path(chunker *c, const size_t *stack, const int *set)
{
	const char *t = c->d->text.data;

	dbuf_reset(&c->path);
	c->has_path = 0;
	for (int lv = 1; lv <= 6; lv++) {
		if (!set[lv])
			continue;
		const doc_block *b = &c->d->blocks[stack[lv]];
		if (c->has_path && dbuf_puts(&c->path, " > "))
			return DOCENT_ENOMEM;
		for (size_t k = b->off; k < b->off + b->len; k++) {
			int sp = is_space((unsigned char)t[k]);
			if (sp && is_space((unsigned char)t[k + 1]))
				continue; /* blocks are trimmed, so a run ends before the end */
			if (dbuf_putc(&c->path, sp ? ' ' : t[k]))
				return DOCENT_ENOMEM;
		}
		c->has_path = 1;
	}
	return 0;
}

int chunk_doc(const chunk_params *p, const doc *d, chunk_list *out)
{
	chunker c = {.p = p, .d = d, .out = out};
	size_t stack[7] = {0};
	int set[7] = {0}, rc = 0;

	if (!p || !d || !out || !p->counter.count || p->target_tokens == 0 ||
	    p->overlap_tokens >= p->target_tokens)
		return docent_error_set(DOCENT_EINVAL,
					"chunk parameters: need a token counter and 0 <= overlap_tokens (%zu) < target_tokens (%zu)",
					p ? p->overlap_tokens : 0, p ? p->target_tokens : 0);
	for (size_t i = 0; i < d->nblocks && rc == 0; i++) {
		const doc_block *b = &d->blocks[i];
		if (b->kind != DOC_HEADING) {
			/* the first block under a heading shares the heading's chunk if it can */
			size_t room = p->target_tokens;
			if (c.npc == 1 && c.pc[0].kind == PIECE_HEADING)
				room -= c.pc[0].ntok;
			rc = add_block(&c, i, PIECE_BLOCK, room);
			continue;
		}
		if ((rc = flush_section(&c)))
			break;
		int level = b->level < 1 ? 1 : b->level > 6 ? 6 : b->level;
		stack[level] = i;
		set[level] = 1;
		for (int lv = level + 1; lv <= 6; lv++)
			set[lv] = 0;
		if ((rc = set_path(&c, stack, set)))
			break;
		/* a heading right above another one is only part of the path */
		if (i + 1 == d->nblocks || d->blocks[i + 1].kind != DOC_HEADING)
			rc = add_block(&c, i, PIECE_HEADING, p->target_tokens);
	}
	if (rc == 0)
		rc = flush_section(&c);
	free(c.pc);
	dbuf_free(&c.path);
	if (rc == DOCENT_ENOMEM)
		return docent_error_set(rc, "out of memory chunking a document");
	return rc;
}

void chunk_list_free(chunk_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i].heading);
	free(l->items);
	memset(l, 0, sizeof *l);
}
