/*
 * test_fts_tokens.c - chunks tokenized ahead and replayed into FTS5
 * (index/fts_tokens.h): the index they make is the built-in tokenizer's
 * (checked by FTS5's integrity-check on a plain connection, and term by
 * term against a store that tokenized as usual), records that do not match
 * their chunk are not replayed, queries and deletes are unchanged, the
 * database still opens in any SQLite, and stores whose tokenizer is not
 * porter do without.
 */
#include "tests/index/store_fixture.h"

#include <pthread.h>
#include <sqlite3.h>

#include "core/buf.h"
#include "core/error.h"
#include "index/fts_tokens.h"
#include "index/store.h"

/* Texts that exercise the tokenizer: stems, case, diacritics (removed by
 * remove_diacritics 2), digits, a token longer than porter stems, other
 * scripts, punctuation only, leading and trailing separators. */
static const char *const texts[] = {
	"The runners were running quickly; happiness and relational databases.",
	"Café crème brûlée, naïve coöperation, ÉCOLE Ångström, Straße.",
	"Version 3.40.1 of SQLite was released 2022-12-28; call 555-0100.",
	"supercalifragilisticexpialidocious-and-even-longer-words-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	"東京 is Tokyo, Москва is Moscow, and Ελλάδα is Greece.",
	"... --- !!! ???",
	"   spaces before and after   ",
	"Parental leave policy. Parental leave lasts sixteen weeks for each parent.",
};
#define NTEXTS (sizeof texts / sizeof texts[0])

/* Puts a document with one chunk per text, with the given records
 * (NULL: none). */
static void put_chunks(store *s, int64_t coll, const char *path, const char *const *t, size_t n,
		       const dbuf *records)
{
	store_chunk_in ch[16];
	store_put_result r;
	size_t off = 0;

	assert_true(n <= 16);
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(t[i]);
		ch[i] = (store_chunk_in){ .text = t[i], .len = len, .start_byte = off,
					  .end_byte = off + len, .page_start = 1, .page_end = 1 };
		off += len + 1;
	}
	store_doc_in in = { .path = path, .hash = path, .title = "T", .format = "text",
			    .text_bytes = (int64_t)off, .npages = 1, .chunks = ch, .nchunks = n };
	assert_int_equal(store_doc_put_tokens(s, coll, &in, records ? records->data : NULL,
					      records ? records->len : 0, &r), 0);
	free(r.duplicate_of);
}

static void make_records(fts_tokenizer *t, const char *const *tx, size_t n, dbuf *out)
{
	for (size_t i = 0; i < n; i++)
		assert_int_equal(fts_tokenizer_run(t, tx[i], strlen(tx[i]), out), 0);
}

/* The records put_chunks() stores want: each text's, then its context's
 * (the title "T"), the order FTS5 indexes the two columns in. */
static void doc_records(fts_tokenizer *t, const char *const *tx, size_t n, dbuf *out)
{
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(fts_tokenizer_run(t, tx[i], strlen(tx[i]), out), 0);
		assert_int_equal(fts_tokenizer_run(t, "T", 1, out), 0);
	}
}

/* FTS5's own check, on a connection without docent's tokenizer: the index
 * must be exactly what the built-in porter makes of the chunks. */
static void check_plain(const char *db)
{
	sqlite3 *h = NULL;
	int rc;

	assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	rc = sqlite3_exec(h, "INSERT INTO chunks_fts(chunks_fts, rank) VALUES ('integrity-check', 1)",
			  NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		fail_msg("integrity-check: %s", sqlite3_errmsg(h));
	sqlite3_close(h);
}

/* Every (document path, chunk ordinal, term, offset) of the index, one line each. */
static char *instances(const char *db)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	dbuf b = DBUF_INIT;

	assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "CREATE VIRTUAL TABLE temp.v USING "
				      "fts5vocab(main, chunks_fts, instance)", NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h,
		"SELECT d.path, c.ordinal, v.term, v.offset FROM temp.v "
		"JOIN chunks c ON c.id = v.doc JOIN documents d ON d.content_id = c.content_id "
		"ORDER BY 1, 2, 4, 3", -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW)
		assert_int_equal(dbuf_printf(&b, "%s %d %s %d\n", sqlite3_column_text(st, 0),
					     sqlite3_column_int(st, 1), sqlite3_column_text(st, 2),
					     sqlite3_column_int(st, 3)), 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return dbuf_detach(&b, NULL);
}

static void stats(store *s, uint64_t replayed, uint64_t tokenized)
{
	uint64_t r, t;
	store_fts_tokens_stats(s, &r, &t);
	assert_int_equal(r, replayed);
	assert_int_equal(t, tokenized);
}

static void test_fts_tokens__same_index(void **state)
{
	fx *f = *state;
	store_params p = store_default_params();
	fts_tokenizer *t = NULL;
	dbuf rec = DBUF_INIT;
	store *plain = NULL;
	char plain_db[400];
	int64_t coll;
	size_t text_bytes = 0;

	assert_int_equal(fts_tokenizer_new(f->s, &t), 0);
	assert_non_null(t);
	make_records(t, texts, NTEXTS, &rec);
	for (size_t i = 0; i < NTEXTS; i++)
		text_bytes += strlen(texts[i]);
	/* compact: well under the text's own size */
	assert_true(rec.len < text_bytes);

	/* one document on its own, then two in a batch (each chunk's text
	 * and context are two records) */
	dbuf_reset(&rec);
	doc_records(t, texts, NTEXTS, &rec);
	put_chunks(f->s, f->coll, "/a.txt", texts, NTEXTS, &rec);
	stats(f->s, 2 * NTEXTS, 0);
	assert_int_equal(store_batch_begin(f->s), 0);
	put_chunks(f->s, f->coll, "/b.txt", texts + 2, 3, NULL);
	dbuf_reset(&rec);
	doc_records(t, texts + 1, 4, &rec);
	put_chunks(f->s, f->coll, "/c.txt", texts + 1, 4, &rec);
	assert_int_equal(store_batch_commit(f->s), 0);
	stats(f->s, 2 * NTEXTS + 8, 6);
	check_plain(f->db);

	/* the same documents, tokenized as they are indexed */
	snprintf(plain_db, sizeof plain_db, "%s/plain.db", f->dir);
	assert_int_equal(store_open(&plain, plain_db, &p), 0);
	assert_int_equal(store_collection_id(plain, "default", 1, &coll), 0);
	put_chunks(plain, coll, "/a.txt", texts, NTEXTS, NULL);
	put_chunks(plain, coll, "/b.txt", texts + 2, 3, NULL);
	put_chunks(plain, coll, "/c.txt", texts + 1, 4, NULL);
	stats(plain, 0, 0); /* without records nothing is even tried */
	store_close(plain);

	char *a = instances(f->db), *b = instances(plain_db);
	assert_true(strlen(a) > 500);
	assert_string_equal(a, b);
	free(a);
	free(b);
	fts_tokenizer_free(t);
	dbuf_free(&rec);
}

static void test_fts_tokens__mismatch(void **state)
{
	fx *f = *state;
	static const char *const said[] = { "alpha beta", "one two three" };
	/* same lengths, other words; then one record too few */
	static const char *const put[] = { "gamma zeta", "four fivesix", "seven" };
	fts_tokenizer *t = NULL;
	dbuf rec = DBUF_INIT;
	store_search_params sp = store_search_default_params();
	store_hit *h = NULL;
	size_t n = 0;

	assert_int_equal(fts_tokenizer_new(f->s, &t), 0);
	make_records(t, said, 2, &rec);
	put_chunks(f->s, f->coll, "/m.txt", put, 3, &rec);
	stats(f->s, 0, 2);
	check_plain(f->db);
	assert_int_equal(store_search(f->s, "gamma", &sp, &h, &n), 0);
	assert_int_equal(n, 1);
	store_hits_free(h, n);
	assert_int_equal(store_search(f->s, "alpha", &sp, &h, &n), 0);
	assert_int_equal(n, 0);
	store_hits_free(h, n);
	assert_int_equal(store_search(f->s, "seven", &sp, &h, &n), 0);
	assert_int_equal(n, 1);
	store_hits_free(h, n);

	fts_tokenizer_free(t);
	dbuf_free(&rec);
}

/* A record of the right text whose tokens run past it is a bug: the write
 * fails as a whole rather than index them, and the store goes on. */
static void test_fts_tokens__bad_record(void **state)
{
	fx *f = *state;
	static const char *const one[] = { "some words here" };
	fts_tokenizer *t = NULL;
	dbuf rec = DBUF_INIT;
	store_chunk_in ch = { .text = one[0], .len = strlen(one[0]), .end_byte = strlen(one[0]) };
	store_doc_in in = { .path = "/bad.txt", .hash = "bad", .chunks = &ch, .nchunks = 1 };
	store_put_result r;
	size_t n;

	assert_int_equal(fts_tokenizer_new(f->s, &t), 0);
	make_records(t, one, 1, &rec);
	/* the header is 1 + 8 + 1 bytes here; the first token's gap follows */
	n = 1 + 8 + 1;
	assert_true(rec.len > n && (unsigned char)rec.data[n] == 0);
	rec.data[n] = 100;
	assert_int_equal(store_doc_put_tokens(f->s, f->coll, &in, rec.data, rec.len, &r),
			 DOCENT_EDB);
	assert_int_equal(store_doc_put_tokens(f->s, f->coll, &in, NULL, 0, &r), 0);
	free(r.duplicate_of);
	check_plain(f->db);
	stats(f->s, 0, 0);
	fts_tokenizer_free(t);
	dbuf_free(&rec);
}

static void test_fts_tokens__queries_and_deletes(void **state)
{
	fx *f = *state;
	static const char *const doc[] = { "The runners were running in the parks.",
					   "Nothing else here." };
	store_search_params sp = store_search_default_params();
	fts_tokenizer *t = NULL;
	dbuf rec = DBUF_INIT;
	store_hit *h = NULL;
	size_t n = 0;
	int removed = 0;

	assert_int_equal(fts_tokenizer_new(f->s, &t), 0);
	doc_records(t, doc, 2, &rec);
	put_chunks(f->s, f->coll, "/run.txt", doc, 2, &rec);
	stats(f->s, 4, 0);
	/* stemmed query words meet stemmed index terms, snippets mark the text */
	assert_int_equal(store_search(f->s, "run park", &sp, &h, &n), 0);
	assert_int_equal(n, 1);
	assert_non_null(strstr(h[0].snippet, "[running]"));
	assert_non_null(strstr(h[0].snippet, "[parks]"));
	store_hits_free(h, n);
	/* the 'delete' command tokenizes the old text as the insert did */
	assert_int_equal(store_doc_remove(f->s, NULL, "/run.txt", &removed), 0);
	assert_int_equal(removed, 1);
	assert_int_equal(store_check(f->s), 0);
	check_plain(f->db);
	assert_int_equal(store_search(f->s, "running", &sp, &h, &n), 0);
	assert_int_equal(n, 0);
	store_hits_free(h, n);
	stats(f->s, 4, 0);
	fts_tokenizer_free(t);
	dbuf_free(&rec);
}

/* What FTS5 and other programs see does not change. */
static void test_fts_tokens__schema_unchanged(void **state)
{
	fx *f = *state;
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;

	put_text(f->s, f->coll, "/x.txt", "plain words");
	assert_int_equal(sqlite3_open_v2(f->db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, "SELECT sql FROM sqlite_master WHERE name = "
					    "'chunks_fts'", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_non_null(strstr((const char *)sqlite3_column_text(st, 0),
			       "tokenize='porter unicode61 remove_diacritics 2'"));
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_prepare_v2(h, "SELECT count(*) FROM chunks_fts WHERE chunks_fts "
					    "MATCH 'word'", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 1);
	sqlite3_finalize(st);
	sqlite3_close(h);
}

/* Without porter (or with arguments FTS5 would unquote) nothing is made
 * ahead, and records given anyway are harmless. */
static void test_fts_tokens__other_tokenizers(void **state)
{
	fx *f = *state;
	static const char *const specs[] = { "unicode61", "porter 'unicode61'", "trigram",
					     "porter porter ascii" };
	store_params p = store_default_params();

	for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
		char db[400];
		store *s = NULL;
		fts_tokenizer *t = (fts_tokenizer *)&p;
		int64_t coll;

		snprintf(db, sizeof db, "%s/other%zu.db", f->dir, i);
		p.tokenizer = specs[i];
		assert_int_equal(store_open(&s, db, &p), 0);
		assert_int_equal(fts_tokenizer_new(s, &t), 0);
		assert_null(t);
		assert_int_equal(store_collection_id(s, "default", 1, &coll), 0);
		put_chunks(s, coll, "/o.txt", texts, 2, NULL);
		store_close(s);
		check_plain(db);
	}
	/* nor on a read-only handle */
	{
		store *s = NULL;
		fts_tokenizer *t = (fts_tokenizer *)&p;
		p = store_default_params();
		p.readonly = 1;
		put_text(f->s, f->coll, "/r.txt", "words");
		assert_int_equal(store_open(&s, f->db, &p), 0);
		assert_int_equal(fts_tokenizer_new(s, &t), 0);
		assert_null(t);
		store_close(s);
	}
}

typedef struct thread_job {
	fts_tokenizer *t;
	dbuf out;
	int rc;
} thread_job;

static void *run_thread(void *arg)
{
	thread_job *j = arg;
	for (int k = 0; k < 50 && j->rc == 0; k++)
		for (size_t i = 0; i < NTEXTS && j->rc == 0; i++)
			j->rc = fts_tokenizer_run(j->t, texts[i], strlen(texts[i]), &j->out);
	return NULL;
}

/* Tokenizers made on the store's thread work on others, side by side,
 * and make the same records as on the store's thread. */
static void test_fts_tokens__threads(void **state)
{
	fx *f = *state;
	thread_job j[2] = { 0 };
	pthread_t th[2];
	dbuf one = DBUF_INIT;

	for (int i = 0; i < 2; i++) {
		assert_int_equal(fts_tokenizer_new(f->s, &j[i].t), 0);
		assert_int_equal(pthread_create(&th[i], NULL, run_thread, &j[i]), 0);
	}
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	make_records(j[0].t, texts, NTEXTS, &one);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(j[i].rc, 0);
		assert_int_equal(j[i].out.len, 50 * one.len);
		assert_memory_equal(j[i].out.data, one.data, one.len);
		fts_tokenizer_free(j[i].t);
		dbuf_free(&j[i].out);
	}
	dbuf_free(&one);
	fts_tokenizer_free(NULL);
}

static void test_fts_tokens__hash(void **state)
{
	char a[40], b[40];

	(void)state;
	memset(a, 'x', sizeof a);
	/* every length, and a change at every place, changes the hash */
	for (size_t n = 0; n < sizeof a; n++) {
		assert_int_equal(fts_tokens_hash(a, n), fts_tokens_hash(a, n));
		if (n)
			assert_true(fts_tokens_hash(a, n) != fts_tokens_hash(a, n - 1));
		for (size_t i = 0; i < n; i++) {
			memcpy(b, a, n);
			b[i] = 'y';
			assert_true(fts_tokens_hash(a, n) != fts_tokens_hash(b, n));
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fts_tokens__same_index, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fts_tokens__mismatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fts_tokens__bad_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fts_tokens__queries_and_deletes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fts_tokens__schema_unchanged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fts_tokens__other_tokenizers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fts_tokens__threads, setup, teardown),
		cmocka_unit_test(test_fts_tokens__hash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
