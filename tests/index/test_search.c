/*
 * test_search.c - keyword search: ranking, the collection filter, hit
 * details and snippets, queries no FTS5 parser would accept, agreement
 * with FTS5's own bm25() on a generated corpus, and searches that follow
 * writes made by this handle and by another one.
 */
#include "tests/index/store_fixture.h"

#include <sqlite3.h>

#include "core/error.h"
#include "index/store.h"
#include "index/store_int.h"

/* Stores one document per text (one chunk each) under /docN.txt. */
static void search(store *s, const char *q, const store_search_params *p, store_hit **h,
		   size_t *n)
{
	int rc = store_search(s, q, p, h, n);
	if (rc)
		fail_msg("search '%.60s' failed: %s", q, docent_error_message());
}

static void test_search__ranking(void **state)
{
	fx *f = *state;
	store_search_params p = store_search_default_params();
	store_hit *h;
	size_t n;

	put_text(f->s, f->coll, "/policy.txt",
		 "Parental leave policy. Parental leave lasts sixteen weeks for each parent.");
	put_text(f->s, f->coll, "/office.txt", "The office has a coffee machine and a quiet room.");
	put_text(f->s, f->coll, "/exit.txt", "In a fire, leave the building by the north exit.");

	search(f->s, "How long is parental leave?", &p, &h, &n);
	assert_int_equal(n, 2);
	assert_string_equal(h[0].path, "/policy.txt");
	assert_string_equal(h[1].path, "/exit.txt");
	assert_true(h[0].score > h[1].score && h[1].score > 0);
	assert_int_equal(h[0].rank, 1);
	assert_int_equal(h[1].rank, 2);
	assert_string_equal(h[0].collection, "default");
	assert_string_equal(h[0].title, "Title");
	assert_string_equal(h[0].heading, "Part > Section");
	assert_int_equal(h[0].page_start, 3);
	assert_int_equal(h[0].page_end, 4);
	assert_non_null(strstr(h[0].text, "sixteen weeks"));
	assert_true(h[0].doc_id > 0 && h[0].chunk_id > 0);
	assert_non_null(strstr(h[0].snippet, "[Parental] [leave]"));
	store_hits_free(h, n);

	/* stemming: "buildings" finds "building" */
	search(f->s, "buildings", &p, &h, &n);
	assert_int_equal(n, 1);
	assert_string_equal(h[0].path, "/exit.txt");
	store_hits_free(h, n);

	/* k limits the hits */
	p.k = 1;
	search(f->s, "leave coffee", &p, &h, &n);
	assert_int_equal(n, 1);
	store_hits_free(h, n);
	p.k = 0;
	search(f->s, "leave coffee", &p, &h, &n);
	assert_int_equal(n, 0);
	assert_null(h);
}

static void test_search__collection_filter(void **state)
{
	fx *f = *state;
	store_search_params p = store_search_default_params();
	store_hit *h;
	int64_t work;
	size_t n;

	assert_int_equal(store_collection_id(f->s, "work", 1, &work), 0);
	put_text(f->s, f->coll, "/home/budget.txt", "family budget for the holidays");
	put_text(f->s, work, "/work/budget.txt", "budget of the sales department");

	search(f->s, "budget", &p, &h, &n);
	assert_int_equal(n, 2);
	store_hits_free(h, n);
	p.collection = "work";
	search(f->s, "budget", &p, &h, &n);
	assert_int_equal(n, 1);
	assert_string_equal(h[0].path, "/work/budget.txt");
	assert_string_equal(h[0].collection, "work");
	store_hits_free(h, n);
	p.collection = "default";
	search(f->s, "budget sales", &p, &h, &n);
	assert_int_equal(n, 1);
	assert_string_equal(h[0].path, "/home/budget.txt");
	store_hits_free(h, n);
	p.collection = "nope";
	assert_int_equal(store_search(f->s, "budget", &p, &h, &n), DOCENT_ENOTFOUND);
}

static void test_search__snippet_marks(void **state)
{
	fx *f = *state;
	store_search_params p = store_search_default_params();
	store_hit *h;
	size_t n;

	put_text(f->s, f->coll, "/fox.txt", "The quick brown fox jumps over the lazy dog.");
	p.mark_open = "<b>";
	p.mark_close = "</b>";
	search(f->s, "FOX jumping", &p, &h, &n);
	assert_int_equal(n, 1);
	assert_non_null(strstr(h[0].snippet, "<b>fox</b> <b>jumps</b>"));
	store_hits_free(h, n);
}

/* Snippets need no FTS5 query, so no writable handle: they come the same
 * from a read-only one, from a store with another tokenizer, and for hits
 * read without a ranking (k = 0). */
static void test_search__snippet_any_handle(void **state)
{
	fx *f = *state;
	store_search_params p = store_search_default_params();
	store_params sp = store_default_params();
	store *ro = NULL, *other = NULL;
	store_hit *h;
	size_t n;
	int64_t ids[1], coll;
	double sc[1];
	char db[320];

	put_text(f->s, f->coll, "/fox.txt", "The quick brown fox jumps over the lazy dog.");
	sp.readonly = 1;
	assert_int_equal(store_open(&ro, f->db, &sp), 0);
	search(ro, "jumping foxes", &p, &h, &n);
	assert_int_equal(n, 1);
	assert_string_equal(h[0].snippet, "The quick brown [fox] [jumps] over the lazy dog.");
	ids[0] = h[0].chunk_id;
	store_hits_free(h, n);

	p.k = 0;
	assert_int_equal(store_rank(ro, "lazy dogs", &p, ids, sc, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_rank_hits(ro, ids, 1, &h, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(h[0].snippet, "The quick brown fox jumps over the [lazy] [dog].");
	store_hits_free(h, n);
	store_rank_end(ro);
	store_close(ro);

	/* no stemmer: "jumping" is not "jumps" */
	p.k = 10;
	snprintf(db, sizeof db, "%s/plain.db", f->dir);
	sp = store_default_params();
	sp.tokenizer = "unicode61 tokenchars '-'";
	assert_int_equal(store_open(&other, db, &sp), 0);
	assert_int_equal(store_collection_id(other, "default", 1, &coll), 0);
	put_text(other, coll, "/fox.txt", "The well-known fox jumps.");
	search(other, "jumping fox", &p, &h, &n);
	assert_int_equal(n, 1);
	assert_string_equal(h[0].snippet, "The well-known [fox] jumps.");
	store_hits_free(h, n);
	store_close(other);
}

/* "2,000" is tokenized "2" "000": the query searches it as that phrase,
 * so it finds the number however it is separated, and not a chunk that
 * merely has a 2 and a 000 somewhere. */
static void test_search__grouped_numbers(void **state)
{
	fx *f = *state;
	store_search_params p = store_search_default_params();
	store_hit *h;
	size_t n;

	put_text(f->s, f->coll, "/sales.txt", "Sales reached 2,000 units and 1.250.000 euros.");
	put_text(f->s, f->coll, "/codes.txt", "Form 2 uses code 000 for 250 items.");
	put_text(f->s, f->coll, "/spaced.txt", "A budget of 2 000 euros.");
	search(f->s, "2,000", &p, &h, &n);
	assert_int_equal(n, 2);
	assert_true(strcmp(h[0].path, "/codes.txt") != 0 && strcmp(h[1].path, "/codes.txt") != 0);
	/* the phrase is marked whole */
	assert_non_null(strstr(h[0].snippet, "[2 000]") ? h[1].snippet : h[0].snippet);
	assert_non_null(strstr(strstr(h[0].snippet, "[2 000]") ? h[1].snippet : h[0].snippet,
			       "[2,000]"));
	store_hits_free(h, n);
	search(f->s, "1,250,000 euros", &p, &h, &n);
	assert_true(n >= 1);
	assert_string_equal(h[0].path, "/sales.txt");
	store_hits_free(h, n);
	/* a lone number stays a word, and finds a group too */
	search(f->s, "250", &p, &h, &n);
	assert_int_equal(n, 2);
	store_hits_free(h, n);
}

static void test_search__hostile_queries(void **state)
{
	fx *f = *state;
	store_search_params p = store_search_default_params();
	static const char *const queries[] = {
		"\"", "\"\"", "\"unbalanced quote", "(", ")", "((a)", "AND OR NOT NEAR",
		"NEAR(fox dog, 2)", "fox*", "*", "^fox", "^", ":", "text:fox", "chunks_fts:fox",
		"-fox", "+fox", "fox AND", "OR", "a'b", "'", "{text}: fox", "fox \xF0\x9F\xA6\x8A",
		"\xF0\x9F\x98\x80\xF0\x9F\x98\x80", "\xCC\x81", "\xE4\xB8\xAD\xE6\x96\x87", "\\",
		"%_", "\xff\xfe broken utf8", "", "   ", "?!.,;:()[]{}", "the and of", "rowid",
		"fox\tdog\nlazy", "é", "ÉTÉ été", "0", "1e10 3.14",
	};
	store_hit *h;
	size_t n;

	put_text(f->s, f->coll, "/fox.txt", "The quick brown fox jumps over the lazy dog. "
		 "L'été est chaud; 中文 text.");
	for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
		search(f->s, queries[i], &p, &h, &n);
		for (size_t j = 0; j < n; j++)
			assert_non_null(h[j].snippet);
		store_hits_free(h, n);
	}
	/* what the answers should be for a few of them */
	search(f->s, "", &p, &h, &n);
	assert_int_equal(n, 0);
	search(f->s, "?!.,;:()[]{}", &p, &h, &n);
	assert_int_equal(n, 0);
	search(f->s, "text:fox", &p, &h, &n);
	assert_int_equal(n, 1);
	store_hits_free(h, n);
	search(f->s, "the over", &p, &h, &n); /* only stop words: they are kept */
	assert_int_equal(n, 1);
	store_hits_free(h, n);
	search(f->s, "ete", &p, &h, &n); /* diacritics removed by the tokenizer */
	assert_int_equal(n, 1);
	store_hits_free(h, n);
	search(f->s, "(\"fox\" NOT dog)", &p, &h, &n);
	assert_int_equal(n, 1);
	store_hits_free(h, n);

	/* a 10 KB query */
	char *big = malloc(10 * 1024 + 1);
	assert_non_null(big);
	for (size_t i = 0; i < 10 * 1024; i++)
		big[i] = "fox \"(*^:) lazy word"[i % 20];
	big[10 * 1024] = '\0';
	search(f->s, big, &p, &h, &n);
	assert_int_equal(n, 1);
	store_hits_free(h, n);
	for (size_t i = 0; i < 10 * 1024; i++)
		big[i] = (char)('a' + (i * 7 + i / 26) % 26) ^ (i % 5 == 0 ? 'a' ^ ' ' : 0);
	search(f->s, big, &p, &h, &n);
	store_hits_free(h, n);
	free(big);
	assert_int_equal(store_search(f->s, NULL, &p, &h, &n), 0);
	assert_int_equal(n, 0);
}

/* ---- agreement with FTS5's bm25() ---- */

static unsigned rnd(unsigned *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return (*seed >> 16) & 0x7FFF;
}

static void word(unsigned id, char *out)
{
	static const char *const syl[] = { "ka", "lo", "mi", "ne", "ru", "ta", "vo", "zi",
					   "po", "se", "du", "fa", "gu", "hi", "jo", "be" };
	snprintf(out, 16, "%s%s%s", syl[id % 16], syl[(id / 16) % 16], syl[(id / 256) % 16]);
}

/* FTS5's top 10 for the OR of the words, from a connection of its own. */
static size_t fts5_top(const char *db, const char *expr, int64_t *out, double *score)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	size_t n = 0;

	assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, "SELECT rowid, -bm25(chunks_fts) FROM chunks_fts WHERE chunks_fts "
					    "MATCH ?1 ORDER BY bm25(chunks_fts) LIMIT 10", -1, &st,
					    NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, expr, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		out[n] = sqlite3_column_int64(st, 0);
		score[n++] = sqlite3_column_double(st, 1);
	}
	sqlite3_finalize(st);
	sqlite3_close(h);
	return n;
}

/* Is `id` in the reference list with a score within 3% of its best? */
static int close_second(int64_t id, const int64_t *ref, const double *score, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ref[i] == id)
			return score[i] >= 0.97 * score[0];
	return 0;
}

static int close_first(int64_t id, const store_hit *h, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (h[i].chunk_id == id)
			return h[i].score >= 0.97 * h[0].score;
	return 0;
}

/* Stores a one-chunk document with neither title nor heading. */
static void put_bare(store *s, int64_t coll, const char *path, const char *text)
{
	store_put_result r;
	store_chunk_in ch = { .text = text, .len = strlen(text), .end_byte = strlen(text) };
	store_doc_in in = { .path = path, .hash = path, .format = "text",
			    .text_bytes = (int64_t)strlen(text), .chunks = &ch, .nchunks = 1 };
	assert_int_equal(store_doc_put(s, coll, &in, &r), 0);
	free(r.duplicate_of);
}

static void test_search__agrees_with_fts5_bm25(void **state)
{
	fx *f = *state;
	store_search_params p = store_search_default_params();
	unsigned seed = 7;
	char text[4096], path[64], w[16];

	/* 300 chunks of 20-120 words from 400 words: every word is in well under
	 * half the chunks, where FTS5's idf and ours order terms alike */
	for (int d = 0; d < 300; d++) {
		size_t off = 0;
		int len = 20 + (int)(rnd(&seed) % 101);
		for (int i = 0; i < len; i++) {
			word(rnd(&seed) % 400, w);
			off += (size_t)snprintf(text + off, sizeof text - off, "%s ", w);
		}
		snprintf(path, sizeof path, "/doc%03d.txt", d);
		/* no title or headings: FTS5's bm25() would count their words in
		 * the lengths, docent counts the text's */
		put_bare(f->s, f->coll, path, text);
	}
	/* One word: idf does not matter, the order must be the same. Several
	 * words: the two idf formulas weigh the words a little differently, so
	 * near ties may swap: the top hit must agree in most queries, and each
	 * side's top hit must score within 3% of the best on the other side. */
	p.k = 10;
	int same_top = 0, nq = 24;
	for (int qi = 0; qi < nq; qi++) {
		char q[256] = "", expr[512] = "";
		int64_t ref[10];
		int nw = 1 + qi % 4, overlap = 0;
		double rscore[10];
		store_hit *h;
		size_t n, nref;

		for (int i = 0; i < nw; i++) {
			word(rnd(&seed) % 400, w);
			strcat(q, w);
			strcat(q, " ");
			if (i)
				strcat(expr, " OR ");
			strcat(expr, w);
		}
		search(f->s, q, &p, &h, &n);
		nref = fts5_top(f->db, expr, ref, rscore);
		assert_int_equal(n, nref);
		assert_true(n > 0);
		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; j < nref; j++)
				overlap += h[i].chunk_id == ref[j];
		same_top += h[0].chunk_id == ref[0];
		if (nw == 1) {
			for (size_t i = 0; i < n; i++)
				if (h[i].chunk_id != ref[i] && !(i + 1 < n && h[i].score == h[i + 1].score) &&
				    !(i > 0 && h[i].score == h[i - 1].score))
					fail_msg("query '%s': hit %zu is %lld, bm25() says %lld", q, i,
						 (long long)h[i].chunk_id, (long long)ref[i]);
		}
		if (!close_second(h[0].chunk_id, ref, rscore, nref) || !close_first(ref[0], h, n))
			fail_msg("query '%s': the top hits of bm25() and ours are far apart", q);
		if (overlap * 10 < (int)n * 7)
			fail_msg("query '%s': only %d of %zu top hits agree with bm25()", q, overlap, n);
		for (size_t i = 1; i < n; i++)
			assert_true(h[i - 1].score >= h[i].score);
		store_hits_free(h, n);
	}
	if (same_top * 3 < nq * 2)
		fail_msg("the top hit agrees with bm25() in only %d of %d queries", same_top, nq);
}

/* The posting cache (index/postcache.h) changes no result: a handle with
 * it, searched cold then warm, one with a budget too small for most terms,
 * and one without it rank alike, to the last bit of the score, also with
 * BM25 parameters other than those the cached factors were made with. */
static void test_search__cache_changes_nothing(void **state)
{
	fx *f = *state;
	store_params sp = store_default_params();
	store *plain, *tiny;
	unsigned seed = 11;
	char text[4096], path[64], w[16];

	for (int d = 0; d < 200; d++) {
		size_t off = 0;
		int len = 10 + (int)(rnd(&seed) % 60);
		for (int i = 0; i < len; i++) {
			word(rnd(&seed) % (i % 3 ? 300 : 20), w); /* some words common */
			off += (size_t)snprintf(text + off, sizeof text - off, "%s ", w);
		}
		snprintf(path, sizeof path, "/doc%03d.txt", d);
		put_text(f->s, f->coll, path, text);
	}
	sp.search_cache_bytes = 0;
	assert_int_equal(store_open(&plain, f->db, &sp), 0);
	sp.search_cache_bytes = 2048;
	assert_int_equal(store_open(&tiny, f->db, &sp), 0);
	for (int qi = 0; qi < 40; qi++) {
		store_search_params p = store_search_default_params();
		char q[256] = "";
		p.k = 20;
		if (qi >= 30) { /* the same words again, ranked otherwise */
			p.k1 = 0.9;
			p.b = 0.4;
			p.context_weight = qi % 2 ? 0 : 0.5;
			seed = 99 + (unsigned)qi % 3;
		}
		for (int i = 0; i < 1 + qi % 6; i++) {
			word(rnd(&seed) % (i % 2 ? 300 : 20), w);
			strcat(q, w);
			strcat(q, " ");
		}
		store_hit *ref, *h;
		size_t nref, n;
		search(plain, q, &p, &ref, &nref);
		assert_true(nref > 0);
		for (int pass = 0; pass < 3; pass++) {
			search(pass == 2 ? tiny : f->s, q, &p, &h, &n);
			assert_int_equal(n, nref);
			for (size_t i = 0; i < n; i++) {
				assert_int_equal(h[i].chunk_id, ref[i].chunk_id);
				if (h[i].score != ref[i].score)
					fail_msg("query '%s', pass %d: hit %zu scores %.17g, "
						 "without the cache %.17g", q, pass, i, h[i].score,
						 ref[i].score);
			}
			store_hits_free(h, n);
		}
		store_hits_free(ref, nref);
	}
	/* the cache was used, and kept to its budget: trimmed before each
	 * ranking, so over it by at most the last query's terms (6, each
	 * within the budget) */
	assert_true(f->s->pc.count > 0);
	assert_int_equal(plain->pc.count, 0);
	assert_true(tiny->pc.count > 0 && tiny->pc.bytes <= 7 * 2048);
	store_close(plain);
	store_close(tiny);

	/* inside a caller's transaction (a batch, whose chunks reach the
	 * keyword index at its commit) the cache is neither read nor filled:
	 * after a rollback the results are those of before */
	store_search_params p = store_search_default_params();
	store_hit *h;
	size_t n, before;
	search(f->s, "kiwi ruka", &p, &h, &n);
	store_hits_free(h, n);
	before = n;
	assert_int_equal(store_batch_begin(f->s), 0);
	put_text(f->s, f->coll, "/kiwi.txt", "kiwi ruka kiwi");
	size_t cached = f->s->pc.count;
	search(f->s, "kiwi ruka", &p, &h, &n);
	store_hits_free(h, n);
	char fresh[20] = "c"; /* a word of the documents not looked up yet */
	for (unsigned id = 299; post_cache_get(&f->s->pc, fresh) || id == 299; id--)
		word(id, fresh + 1);
	search(f->s, fresh + 1, &p, &h, &n);
	assert_true(n > 0);
	store_hits_free(h, n);
	assert_int_equal(f->s->pc.count, cached);
	store_batch_rollback(f->s);
	search(f->s, "kiwi ruka", &p, &h, &n);
	assert_int_equal(n, before);
	for (size_t i = 0; i < n; i++)
		assert_string_not_equal(h[i].path, "/kiwi.txt");
	store_hits_free(h, n);
}

/* ---- searches after writes ---- */

static void test_search__follows_writes(void **state)
{
	fx *f = *state;
	store_search_params p = store_search_default_params();
	store_params sp = store_default_params();
	store_put_result r;
	store *other;
	store_hit *h;
	size_t n;
	int removed;

	put_text(f->s, f->coll, "/a.txt", "apples and pears");
	search(f->s, "apples", &p, &h, &n);
	assert_int_equal(n, 1);
	store_hits_free(h, n);

	/* a new version: the old words are gone, the new ones found */
	put_text(f->s, f->coll, "/a.txt", "oranges only");
	search(f->s, "apples", &p, &h, &n);
	assert_int_equal(n, 0);
	search(f->s, "oranges", &p, &h, &n);
	assert_int_equal(n, 1);
	store_hits_free(h, n);

	/* a failed re-ingest keeps the old text searchable under the path */
	assert_int_equal(store_doc_fail(f->s, f->coll, "/a.txt", 1, 1, "unreadable"), 0);
	search(f->s, "oranges", &p, &h, &n);
	assert_int_equal(n, 1);
	assert_string_equal(h[0].path, "/a.txt");
	store_hits_free(h, n);

	/* another connection's writes are seen */
	assert_int_equal(store_open(&other, f->db, &sp), 0);
	put_text(other, f->coll, "/b.txt", "bananas with oranges");
	store_doc_in dup = { .path = "/c.txt", .hash = "x" };
	assert_int_equal(store_doc_put(other, f->coll, &dup, &r), DOCENT_ENOTFOUND);
	search(f->s, "bananas", &p, &h, &n);
	assert_int_equal(n, 1);
	assert_string_equal(h[0].path, "/b.txt");
	store_hits_free(h, n);
	assert_int_equal(store_doc_remove(other, NULL, "/b.txt", &removed), 0);
	store_close(other);
	search(f->s, "bananas", &p, &h, &n);
	assert_int_equal(n, 0);
}

/* Stores a one-chunk document with its own title and heading path. */
static void put_titled(store *s, int64_t coll, const char *path, const char *title,
		       const char *heading, const char *text)
{
	char hash[80];
	store_put_result r;
	store_chunk_in ch = { .text = text, .len = strlen(text), .end_byte = strlen(text),
			      .heading = heading };
	snprintf(hash, sizeof hash, "%s#titled", path);
	store_doc_in in = { .path = path, .hash = hash, .title = title, .format = "text",
			    .text_bytes = (int64_t)strlen(text), .chunks = &ch, .nchunks = 1 };
	assert_int_equal(store_doc_put(s, coll, &in, &r), 0);
	free(r.duplicate_of);
}

/* A chunk is found by its document's title and its heading path, though
 * its text holds neither; its text, offsets and snippet stay its own. */
static void test_search__title_and_headings(void **state)
{
	fx *f = *state;
	store_search_params p = store_search_default_params();
	store_hit *h;
	size_t n;

	put_titled(f->s, f->coll, "/zoo.txt", "Zebra handbook", "Feeding > Winter",
		   "Give them hay twice a day.");
	put_titled(f->s, f->coll, "/farm.txt", "Farm notes", NULL,
		   "Hay is stored in the barn; zebra visits are rare.");
	search(f->s, "winter feeding", &p, &h, &n);
	assert_int_equal(n, 1);
	assert_string_equal(h[0].path, "/zoo.txt");
	assert_string_equal(h[0].text, "Give them hay twice a day.");
	assert_int_equal(h[0].start_byte, 0);
	assert_int_equal(h[0].end_byte, (int64_t)strlen(h[0].text));
	assert_string_equal(h[0].heading, "Feeding > Winter");
	assert_string_equal(h[0].snippet, "Give them hay twice a day."); /* no match to mark */
	store_hits_free(h, n);

	/* a word in both: found in both, in the text and the title */
	search(f->s, "zebra", &p, &h, &n);
	assert_int_equal(n, 2);
	store_hits_free(h, n);

	/* weight 0: title and headings count for nothing */
	p.context_weight = 0;
	search(f->s, "winter feeding", &p, &h, &n);
	assert_int_equal(n, 0);
	p.context_weight = -1;
	assert_int_equal(store_search(f->s, "hay", &p, &h, &n), DOCENT_EINVAL);

	char *c = store_chunk_context("Guide", "Guide > Setup");
	assert_string_equal(c, "Guide > Setup"); /* the title once */
	free(c);
	c = store_chunk_context("Guide", "Guidelines");
	assert_string_equal(c, "Guide > Guidelines");
	free(c);
	c = store_chunk_context(NULL, NULL);
	assert_string_equal(c, "");
	free(c);
	c = store_chunk_context("Guide", NULL);
	assert_string_equal(c, "Guide");
	free(c);
}

/* "T" (T cells) is searched for; other stop words only when written in
 * capitals in a query that has lower case too ("IT department"). */
static void test_search__stop_words(void **state)
{
	fx *f = *state;
	store_search_params p = store_search_default_params();
	store_hit *h;
	size_t n;

	put_text(f->s, f->coll, "/cells.txt", "T cells and B cells of the immune system.");
	put_text(f->s, f->coll, "/system.txt", "The immune system of a cat.");
	put_text(f->s, f->coll, "/it.txt", "The IT department fixes laptops.");
	put_text(f->s, f->coll, "/dept.txt", "Every department has a budget.");
	search(f->s, "T immune system", &p, &h, &n);
	assert_int_equal(n, 2);
	assert_string_equal(h[0].path, "/cells.txt");
	assert_non_null(strstr(h[0].snippet, "[T] cells"));
	store_hits_free(h, n);
	search(f->s, "the IT department", &p, &h, &n);
	assert_true(n >= 2);
	assert_string_equal(h[0].path, "/it.txt");
	store_hits_free(h, n);
	assert_true(store_is_stopword("the", 3));
	assert_true(store_is_stopword("a", 1));
	assert_false(store_is_stopword("t", 1));
	assert_false(store_is_stopword("s", 1));
	/* a query all in capitals is not made of acronyms */
	search(f->s, "THE", &p, &h, &n); /* only stop words: searched anyway */
	assert_true(n > 0);
	store_hits_free(h, n);
}

/* The snippet is the sentence that holds the query's words, not the
 * start of the chunk; in a table, the row that holds them and no other. */
static void test_search__snippet_sentence_and_row(void **state)
{
	fx *f = *state;
	store_search_params p = store_search_default_params();
	store_hit *h;
	size_t n;

	put_text(f->s, f->coll, "/long.txt",
		 "The committee met on Monday to discuss the annual budget and the plans for "
		 "the coming year in some detail. Many topics were raised by members. "
		 "Lunch was served at noon. The new parking rules take effect in March, and "
		 "permits must be renewed. Everyone left early.");
	p.snippet_tokens = 14;
	search(f->s, "parking permits", &p, &h, &n);
	assert_int_equal(n, 1);
	assert_string_equal(h[0].snippet,
		"\xe2\x80\xa6The new [parking] rules take effect in March, and [permits] must be "
		"renewed.\xe2\x80\xa6");
	store_hits_free(h, n);

	put_text(f->s, f->coll, "/staff.csv",
		 "name: Alice Smith; city: Paris; role: engineer\n"
		 "name: Bob Jones; city: Rome; role: designer\n"
		 "name: Carol White; city: Oslo; role: manager");
	search(f->s, "Rome designer", &p, &h, &n);
	assert_int_equal(n, 1);
	assert_string_equal(h[0].snippet,
		"\xe2\x80\xa6name: Bob Jones; city: [Rome]; role: [designer]\xe2\x80\xa6");
	store_hits_free(h, n);
	search(f->s, "Oslo", &p, &h, &n);
	assert_int_equal(n, 1);
	assert_null(strstr(h[0].snippet, "Bob"));
	assert_non_null(strstr(h[0].snippet, "Carol White; city: [Oslo]"));
	store_hits_free(h, n);

	/* a heading that matches grows by the text below it */
	put_text(f->s, f->coll, "/cold.md", "Snowfall\n\nKeep the gates shut. Feed twice a day.");
	search(f->s, "snowfall", &p, &h, &n);
	assert_int_equal(n, 1);
	assert_string_equal(h[0].snippet, "[Snowfall]\n\nKeep the gates shut. Feed twice a day.");
	store_hits_free(h, n);

	/* a table of one column: each "name: value" line is a row */
	put_text(f->s, f->coll, "/names.csv", "name: Ada Lovelace\nname: Grace Hopper\n"
		 "name: Linus Torvalds");
	search(f->s, "Hopper", &p, &h, &n);
	assert_int_equal(n, 1);
	assert_string_equal(h[0].snippet, "\xe2\x80\xa6name: Grace [Hopper]\xe2\x80\xa6");
	store_hits_free(h, n);

	put_text(f->s, f->coll, "/table.html",
		 "Prices\n\nfruit | price | origin\napple | 3 | France\npear | 4 | Spain");
	search(f->s, "pear Spain", &p, &h, &n);
	assert_int_equal(n, 1);
	assert_string_equal(h[0].snippet, "\xe2\x80\xa6[pear] | 4 | [Spain]");
	store_hits_free(h, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_search__ranking, setup, teardown),
		cmocka_unit_test_setup_teardown(test_search__collection_filter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_search__snippet_marks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_search__snippet_any_handle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_search__grouped_numbers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_search__hostile_queries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_search__agrees_with_fts5_bm25, setup, teardown),
		cmocka_unit_test_setup_teardown(test_search__cache_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_search__follows_writes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_search__title_and_headings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_search__stop_words, setup, teardown),
		cmocka_unit_test_setup_teardown(test_search__snippet_sentence_and_row, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
