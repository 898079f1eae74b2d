/*
 * test_chunk.c - the chunker: heading paths, sizes, overlap made of whole
 * sentences, coverage of every block's text, page ranges, long sentences
 * and words, table rows, parameters, and the default token counter.
 *
 * Documents come from tests/fixtures/chunk (see its README for the format)
 * and, when ../shared/eval is present, from the real Markdown documents in
 * eval/doccorpus/md read the same way.
 */
#include "tests/testutil.h"

#include "core/error.h"
#include "core/text.h"
#include "ingest/chunk.h"
#include "ingest/clean.h"
#include "ingest/sentence.h"

#include <dirent.h>

/* ---- reading fixtures ------------------------------------------------- */

static void add(doc *d, doc_block_kind kind, int level, int page, const char *s, size_t n)
{
	assert_int_equal(doc_add(d, kind, level, page, s, n), 0);
}

/* Parses the fixture format into d (initialised by the caller). */
static void parse_doc(const char *text, doc *d)
{
	dbuf cur = DBUF_INIT;
	doc_block_kind kind = DOC_PARA;
	int page = 0, in_pre = 0;
	const char *p = text;

#define FLUSH() do { \
		if (cur.len) \
			add(d, kind, 0, page, cur.data, cur.len); \
		dbuf_reset(&cur); \
		kind = DOC_PARA; \
	} while (0)

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		if (n >= 3 && strncmp(p, "```", 3) == 0) {
			FLUSH();
			in_pre = !in_pre;
			kind = in_pre ? DOC_PRE : DOC_PARA;
		} else if (in_pre) {
			dbuf_append(&cur, p, n);
			dbuf_putc(&cur, '\n');
		} else if (n > 6 && strncmp(p, "@page ", 6) == 0) {
			FLUSH();
			page = atoi(p + 6);
		} else if (n && *p == '#') {
			int level = 0;
			FLUSH();
			while (p[level] == '#')
				level++;
			add(d, DOC_HEADING, level, page, p + level, n - (size_t)level);
		} else if (n && *p == '|') {
			if (kind != DOC_TABLE)
				FLUSH();
			kind = DOC_TABLE;
			dbuf_append(&cur, p, n);
			dbuf_putc(&cur, '\n');
		} else if (n == 0) {
			FLUSH();
		} else {
			if (kind == DOC_TABLE)
				FLUSH();
			dbuf_append(&cur, p, n);
			dbuf_putc(&cur, '\n');
		}
		p += n + (nl != NULL);
	}
	FLUSH();
	dbuf_free(&cur);
#undef FLUSH
}

/* Reads a fixture file and cleans it as ingestion would. */
static void load_doc(const char *path, doc *out)
{
	clean_params cp = clean_default_params();
	char *text = slurp(path, NULL);
	cleaner *c;
	doc raw;

	doc_init(&raw);
	parse_doc(text, &raw);
	free(text);
	assert_int_equal(cleaner_new(&c, &cp), 0);
	doc_init(out);
	assert_int_equal(cleaner_run(c, &raw, out), 0);
	cleaner_free(c);
	doc_free(&raw);
}

static void load_fixture(doc *out)
{
	load_doc(fixture("chunk/lighthouse.txt"), out);
	assert_true(out->nblocks > 10);
}

static chunk_params params(size_t target, size_t overlap)
{
	chunk_params p = chunk_default_params();
	p.target_tokens = target;
	p.overlap_tokens = overlap;
	return p;
}

static size_t count_tokens(const doc *d, const chunk *c)
{
	token_counter tc = token_counter_simple();
	return tc.count(tc.ctx, d->text.data + c->off, c->len);
}

static int space(char c)
{
	return c == ' ' || c == '\n' || c == '\t';
}

/* The block holding byte `at` of the doc text. */
static size_t block_at(const doc *d, size_t at)
{
	for (size_t i = 0; i < d->nblocks; i++)
		if (at >= d->blocks[i].off && at < d->blocks[i].off + d->blocks[i].len)
			return i;
	fail_msg("offset %zu is in no block", at);
	return 0;
}

/* Properties every chunking must have; see chunk.h. */
static void check_chunks(const doc *d, const chunk_params *p, const chunk_list *l)
{
	char *covered = calloc(d->text.len + 1, 1);

	for (size_t i = 0; i < l->n; i++) {
		const chunk *c = &l->items[i];
		const char *t = d->text.data + c->off;
		assert_true(c->len > 0);
		assert_true(c->off + c->len <= d->text.len);
		/* starts and ends on non-space characters and UTF-8 boundaries */
		assert_false(space(t[0]));
		assert_false(space(t[c->len - 1]));
		assert_true(((unsigned char)t[0] & 0xC0) != 0x80);
		assert_true(((unsigned char)d->text.data[c->off + c->len] & 0xC0) != 0x80);
		/* within one section: no heading after its first byte */
		for (size_t b = block_at(d, c->off) + 1; b < d->nblocks && d->blocks[b].off < c->off + c->len; b++)
			assert_int_not_equal(d->blocks[b].kind, DOC_HEADING);
		/* the count is the counter's, and within the target, but for a
		 * section's heading, which never goes alone when text follows */
		assert_int_equal(c->ntokens, count_tokens(d, c));
		const doc_block *first = &d->blocks[block_at(d, c->off)];
		size_t allow = p->target_tokens;
		if (first->kind == DOC_HEADING && first->off == c->off)
			allow += p->counter.count(p->counter.ctx, d->text.data + first->off,
						  first->len);
		assert_true(c->ntokens <= allow);
		/* pages of the blocks at either end */
		assert_int_equal(c->page_start, d->blocks[block_at(d, c->off)].page);
		assert_int_equal(c->page_end, d->blocks[block_at(d, c->off + c->len - 1)].page);
		assert_true(c->page_start <= c->page_end);
		memset(covered + c->off, 1, c->len);
	}
	/* every non-space byte of every block is in a chunk, except headings
	 * directly above another heading (they live on in the paths) */
	for (size_t b = 0; b < d->nblocks; b++) {
		const doc_block *blk = &d->blocks[b];
		if (blk->kind == DOC_HEADING && b + 1 < d->nblocks &&
		    d->blocks[b + 1].kind == DOC_HEADING)
			continue;
		for (size_t k = blk->off; k < blk->off + blk->len; k++)
			if (!space(d->text.data[k]) && !covered[k])
				fail_msg("byte %zu of block %zu is in no chunk", k, b);
	}
	free(covered);
}

static void chunk_ok(const chunk_params *p, const doc *d, chunk_list *l)
{
	memset(l, 0, sizeof *l);
	assert_int_equal(chunk_doc(p, d, l), 0);
	check_chunks(d, p, l);
}

/* ---- tests ------------------------------------------------------------ */

static void test_chunk_params__invalid(void **state)
{
	chunk_params p = chunk_default_params();
	chunk_list l = {0};
	doc d;

	doc_init(&d);
	add(&d, DOC_PARA, 0, 0, "Some text.", 10);
	assert_int_equal(p.target_tokens, 256);
	assert_int_equal(p.overlap_tokens, 32);
	p.overlap_tokens = p.target_tokens;
	assert_int_equal(chunk_doc(&p, &d, &l), DOCENT_EINVAL);
	assert_non_null(strstr(docent_error_message(), "overlap"));
	p = params(0, 0);
	assert_int_equal(chunk_doc(&p, &d, &l), DOCENT_EINVAL);
	p = chunk_default_params();
	p.counter.count = NULL;
	assert_int_equal(chunk_doc(&p, &d, &l), DOCENT_EINVAL);
	assert_int_equal(l.n, 0);
	doc_free(&d);
}

static void test_chunk_doc__empty(void **state)
{
	chunk_params p = chunk_default_params();
	chunk_list l = {0};
	doc d;

	doc_init(&d);
	assert_int_equal(chunk_doc(&p, &d, &l), 0);
	assert_int_equal(l.n, 0);
	chunk_list_free(&l);
	chunk_list_free(NULL);
	doc_free(&d);
}

static void test_chunk_counter__simple(void **state)
{
	token_counter tc = token_counter_simple();
#define COUNT(s) tc.count(tc.ctx, s, strlen(s))
	assert_int_equal(COUNT(""), 0);
	assert_int_equal(COUNT(" \n\t "), 0);
	assert_int_equal(COUNT("Hello, world!"), 4);
	assert_int_equal(COUNT("internationalization"), 1 + 19 / 6);
	/* code points, not bytes: 7 letters in 14 bytes are one extra */
	assert_int_equal(COUNT("\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9"), 2);
	assert_int_equal(COUNT("six666"), 1);
	assert_int_equal(COUNT("a\u00a0b \u2014 c"), 4); /* no-break space is no token, a dash is */
#undef COUNT
}

/* The counter's contract written the slow way, with text_next_word. */
static size_t reference_count(const char *s, size_t n)
{
	size_t pos = 0, a, b, tokens = 0;

	for (;;) {
		int more = text_next_word(s, n, pos, &a, &b);
		size_t gap_end = more ? a : n;
		while (pos < gap_end) { /* punctuation: any non-space character */
			unsigned cp = text_utf8_next(s, gap_end, &pos);
			tokens += !(cp == ' ' || cp == '\n' || cp == '\t' || cp == 0xA0 ||
				    (cp >= 0x2000 && cp <= 0x200D) || cp == 0x3000);
		}
		if (!more)
			return tokens;
		size_t cps = 0;
		for (size_t i = a; i < b; i++)
			cps += ((unsigned char)s[i] & 0xC0) != 0x80;
		tokens += 1 + (cps - 1) / 6;
		pos = b;
	}
}

static void test_chunk_counter__same_words_as_text_next_word(void **state)
{
	static const char *const texts[] = {
		"Plain words, with punctuation; and digits 3.14 (too)!",
		"Café déjà-vu Überprüfungsverfahren naïve façade",
		"日本語の文です。次の文です！ 한국어 문장. Это тест — да?",
		"e\u0301te\u0301 combining marks, emoji \U0001F600 and \u00a0no-break\u3000spaces",
		"bad \xff\xfe bytes \xc3 and a cut \xe6\x97",
		"supercalifragilisticexpialidocious antidisestablishmentarianism x",
		"", "   ", "...", "a",
	};
	token_counter tc = token_counter_simple();

	for (size_t i = 0; i < sizeof texts / sizeof *texts; i++)
		assert_int_equal(tc.count(tc.ctx, texts[i], strlen(texts[i])),
				 reference_count(texts[i], strlen(texts[i])));
}

static void test_chunk_doc__heading_paths(void **state)
{
	static const struct { doc_block_kind kind; int level; const char *text; } blocks[] = {
		{DOC_PARA, 0, "Before any heading."},
		{DOC_HEADING, 1, "Handbook"},
		{DOC_PARA, 0, "Welcome."},
		{DOC_HEADING, 2, "Leave"},
		{DOC_HEADING, 3, "Sick\nleave"},
		{DOC_PARA, 0, "Call in before nine."},
		{DOC_HEADING, 2, "Pay"},
		{DOC_PARA, 0, "Monthly."},
		{DOC_HEADING, 1, "Appendix"},
	};
	static const struct { const char *path, *text; } want[] = {
		{NULL, "Before any heading."},
		{"Handbook", "Handbook\n\nWelcome."},
		{"Handbook > Leave > Sick leave", "Sick\nleave\n\nCall in before nine."},
		{"Handbook > Pay", "Pay\n\nMonthly."},
		{"Appendix", "Appendix"},
	};
	chunk_params p = chunk_default_params();
	chunk_list l;
	doc d;

	doc_init(&d);
	for (size_t i = 0; i < sizeof blocks / sizeof *blocks; i++)
		add(&d, blocks[i].kind, blocks[i].level, 0, blocks[i].text, strlen(blocks[i].text));
	chunk_ok(&p, &d, &l);
	assert_int_equal(l.n, sizeof want / sizeof *want);
	for (size_t i = 0; i < l.n; i++) {
		if (want[i].path)
			assert_string_equal(l.items[i].heading, want[i].path);
		else
			assert_null(l.items[i].heading);
		assert_int_equal(l.items[i].len, strlen(want[i].text));
		assert_memory_equal(d.text.data + l.items[i].off, want[i].text, l.items[i].len);
		assert_int_equal(l.items[i].page_start, 0);
	}
	/* the list is appended to, not replaced */
	assert_int_equal(chunk_doc(&p, &d, &l), 0);
	assert_int_equal(l.n, 2 * (sizeof want / sizeof *want));
	chunk_list_free(&l);
	assert_int_equal(l.n, 0);
	assert_null(l.items);
	doc_free(&d);
}

/* A heading whose first sentence does not fit beside it still starts the
 * chunk of that sentence: no chunk is a bare heading when text follows. */
static void test_chunk_doc__heading_never_alone(void **state)
{
	chunk_params p = params(10, 0);
	chunk_list l;
	doc d;

	doc_init(&d);
	add(&d, DOC_HEADING, 1, 0, "Sick leave", 10);
	add(&d, DOC_PARA, 0, 0, "One two three four five six seven eight nine. Ten eleven.",
	    strlen("One two three four five six seven eight nine. Ten eleven."));
	add(&d, DOC_HEADING, 1, 0, "Appendix", 8);
	chunk_ok(&p, &d, &l);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.items[0].len,
			 strlen("Sick leave\n\nOne two three four five six seven eight nine."));
	assert_memory_equal(d.text.data + l.items[0].off, "Sick leave\n\nOne", 15);
	assert_memory_equal(d.text.data + l.items[1].off, "Ten eleven.", 11);
	assert_string_equal(l.items[1].heading, "Sick leave");
	/* a heading with nothing after it is still a chunk: nothing else holds it */
	assert_memory_equal(d.text.data + l.items[2].off, "Appendix", 8);
	chunk_list_free(&l);
	doc_free(&d);
}

/* The fixture at several sizes: every property of check_chunks, and the
 * heading paths of the manual's sections. */
static void test_chunk_doc__fixture_sizes_and_coverage(void **state)
{
	static const size_t sizes[][2] = {{256, 32}, {128, 32}, {64, 16}, {32, 8}, {16, 0}, {512, 64}};
	chunk_list l;
	doc d;

	load_fixture(&d);
	for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
		chunk_params p = params(sizes[s][0], sizes[s][1]);
		chunk_ok(&p, &d, &l);
		assert_true(l.n >= 7); /* at least one per section */
		int morning = 0, spelling = 0, appendix = 0;
		for (size_t i = 0; i < l.n; i++) {
			const char *h = l.items[i].heading;
			assert_non_null(h);
			morning += strcmp(h, "The Keeper's Manual > Duties > Morning round") == 0;
			spelling += strcmp(h, "The Keeper's Manual > History > A note on names > Spelling") == 0;
			appendix += strcmp(h, "Appendix") == 0;
			/* headings right above another heading get no chunk of their own */
			assert_string_not_equal(h, "The Keeper's Manual > Duties");
			assert_string_not_equal(h, "The Keeper's Manual > History > A note on names");
		}
		assert_true(morning >= 1);
		assert_true(spelling >= 1);
		assert_int_equal(appendix, 1);
		if (sizes[s][0] == 256)
			assert_true(morning >= 2); /* that section is over 256 tokens */
		chunk_list_free(&l);
	}
	doc_free(&d);
}

/* Is `at` where a sentence of block b starts? */
static int sentence_start(const doc *d, size_t b, size_t at)
{
	const char *t = doc_block_text(d, b);
	size_t *ends, n, start = 0, off = d->blocks[b].off;
	int found = at == off;

	assert_int_equal(sentence_split(t, d->blocks[b].len, &ends, &n), 0);
	for (size_t i = 0; i < n && !found; i++) {
		start = ends[i];
		while (start < d->blocks[b].len && space(t[start]))
			start++;
		found = off + start == at;
	}
	free(ends);
	return found;
}

static void test_chunk_doc__overlap_whole_sentences(void **state)
{
	chunk_params p = params(64, 16);
	chunk_list l;
	size_t overlaps = 0;
	doc d;

	load_fixture(&d);
	chunk_ok(&p, &d, &l);
	for (size_t i = 1; i < l.n; i++) {
		const chunk *a = &l.items[i - 1], *b = &l.items[i];
		size_t a_end = a->off + a->len;
		if (b->off >= a_end)
			continue; /* a new section, or nothing fitted */
		assert_string_equal(a->heading, b->heading);
		assert_true(b->off > a->off);
		/* the overlap is whole sentences from a's end, within the budget */
		size_t blk = block_at(&d, b->off);
		if (d.blocks[blk].kind == DOC_PARA)
			assert_true(sentence_start(&d, blk, b->off));
		else /* tables and preformatted text overlap by whole lines */
			assert_true(b->off == d.blocks[blk].off || d.text.data[b->off - 1] == '\n');
		chunk ov = {.off = b->off, .len = a_end - b->off};
		assert_true(count_tokens(&d, &ov) <= p.overlap_tokens);
		overlaps++;
	}
	assert_true(overlaps >= 5);
	chunk_list_free(&l);

	/* no overlap asked, none given */
	p = params(64, 0);
	chunk_ok(&p, &d, &l);
	for (size_t i = 1; i < l.n; i++)
		assert_true(l.items[i].off >= l.items[i - 1].off + l.items[i - 1].len);
	chunk_list_free(&l);
	doc_free(&d);
}

static void test_chunk_doc__pages(void **state)
{
	chunk_params p = params(64, 16);
	chunk_list l;
	int spans = 0;
	doc d;

	load_fixture(&d);
	assert_int_equal(d.npages, 3);
	chunk_ok(&p, &d, &l); /* checks page_start and page_end per chunk */
	assert_int_equal(l.items[0].page_start, 1);
	assert_int_equal(l.items[l.n - 1].page_end, 3);
	chunk_list_free(&l);
	/* one chunk per section: Equipment runs from page 1 to page 2 */
	p = params(4000, 0);
	chunk_ok(&p, &d, &l);
	for (size_t i = 0; i < l.n; i++)
		spans += l.items[i].page_start != l.items[i].page_end;
	assert_true(spans >= 1);
	chunk_list_free(&l);
	doc_free(&d);
}

static void test_chunk_doc__long_sentence_and_word(void **state)
{
	chunk_params p = params(50, 10);
	chunk_list l;
	dbuf b = DBUF_INIT;
	doc d;

	/* one 600-word sentence, then a 5000-letter "word" (say, base64) */
	for (int i = 0; i < 600; i++)
		dbuf_printf(&b, "%sword%d", i ? (i % 7 ? " " : ", ") : "", i);
	dbuf_puts(&b, ". ");
	for (int i = 0; i < 5000; i++)
		dbuf_putc(&b, (char)('a' + i % 20)); /* no 'w': see below */
	dbuf_puts(&b, " end.");
	doc_init(&d);
	add(&d, DOC_PARA, 0, 0, b.data, b.len);
	chunk_ok(&p, &d, &l); /* every chunk within 50 tokens, all covered */
	assert_true(l.n > 20);
	for (size_t i = 0; i < l.n; i++) {
		const chunk *c = &l.items[i];
		/* cut between words: never inside "word123" */
		if (c->off > 0 && d.text.data[c->off] == 'w')
			assert_true(space(d.text.data[c->off - 1]));
		/* parts of an over-long sentence carry no overlap */
		if (i > 0)
			assert_true(c->off >= l.items[i - 1].off + l.items[i - 1].len);
	}
	chunk_list_free(&l);
	dbuf_free(&b);
	doc_free(&d);
}

static void test_chunk_doc__table_rows(void **state)
{
	chunk_params p = params(40, 8);
	chunk_list l;
	dbuf b = DBUF_INIT;
	doc d;

	dbuf_puts(&b, "Name | Role | Room");
	for (int i = 0; i < 60; i++)
		dbuf_printf(&b, "\nPerson %d | Keeper grade %d | Room %d", i, i % 3, 100 + i);
	doc_init(&d);
	add(&d, DOC_TABLE, 0, 0, b.data, b.len);
	chunk_ok(&p, &d, &l);
	assert_true(l.n > 5);
	for (size_t i = 0; i < l.n; i++) {
		const chunk *c = &l.items[i];
		/* whole rows: starts at a line start, ends at a line end */
		assert_true(c->off == 0 || d.text.data[c->off - 1] == '\n');
		assert_true(d.text.data[c->off + c->len] == '\n');
	}
	chunk_list_free(&l);
	dbuf_free(&b);
	doc_free(&d);
}

/* The fixture checks, on the real Markdown documents of ../shared/eval. */
static void test_chunk_doc__shared_documents(void **state)
{
	const char *dir = shared_eval("doccorpus/md");
	chunk_params p = chunk_default_params();
	char path[8192], dirpath[4096];
	struct dirent *e;
	int seen = 0;
	DIR *dh;

	if (!dir) {
		shared_eval_missing("doccorpus/md");
		skip();
		return;
	}
	snprintf(dirpath, sizeof dirpath, "%s", dir);
	assert_non_null(dh = opendir(dirpath));
	while ((e = readdir(dh))) {
		chunk_list l;
		doc d;
		if (!strstr(e->d_name, ".md"))
			continue;
		snprintf(path, sizeof path, "%s/%s", dirpath, e->d_name);
		load_doc(path, &d);
		chunk_ok(&p, &d, &l);
		assert_true(l.n > 0);
		chunk_list_free(&l);
		doc_free(&d);
		seen++;
	}
	closedir(dh);
	print_message("chunked %d documents of ../shared/eval/doccorpus/md\n", seen);
	assert_true(seen > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chunk_params__invalid),
		cmocka_unit_test(test_chunk_doc__empty),
		cmocka_unit_test(test_chunk_counter__simple),
		cmocka_unit_test(test_chunk_counter__same_words_as_text_next_word),
		cmocka_unit_test(test_chunk_doc__heading_paths),
		cmocka_unit_test(test_chunk_doc__heading_never_alone),
		cmocka_unit_test(test_chunk_doc__fixture_sizes_and_coverage),
		cmocka_unit_test(test_chunk_doc__overlap_whole_sentences),
		cmocka_unit_test(test_chunk_doc__pages),
		cmocka_unit_test(test_chunk_doc__long_sentence_and_word),
		cmocka_unit_test(test_chunk_doc__table_rows),
		cmocka_unit_test(test_chunk_doc__shared_documents),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
