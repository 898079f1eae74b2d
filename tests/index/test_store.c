/*
 * test_store.c - the SQLite store: opening and schema checks, collections,
 * document writes (added, unchanged, updated, duplicates, failures,
 * removal), statistics and the atomicity of store_doc_put. Checks look at
 * the database file itself through a second connection.
 */
#include "tests/index/store_fixture.h"

#include <sqlite3.h>

#include "core/error.h"
#include "index/store.h"
#include "index/store_int.h"

/* A number from the database file, through a connection of its own. */
static int64_t q1(const char *db, const char *sql)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}

static int64_t fts_count(const char *db, const char *word)
{
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH '%s'", word);
	return q1(db, sql);
}

static int put_refresh(fx *f, const char *path, const char *hash, const char *const *texts,
		       size_t n, int refresh, store_put_result *res);

/* Puts a document whose chunks are the given NUL-separated texts. */
static int put(fx *f, const char *path, const char *hash, const char *const *texts, size_t n,
	       store_put_result *res)
{
	return put_refresh(f, path, hash, texts, n, 0, res);
}

static int put_refresh(fx *f, const char *path, const char *hash, const char *const *texts,
		       size_t n, int refresh, store_put_result *res)
{
	store_chunk_in ch[8];
	size_t off = 0;

	assert_true(n <= 8);
	for (size_t i = 0; i < n; i++) {
		size_t len = texts[i] ? strlen(texts[i]) : 5;
		ch[i] = (store_chunk_in){ .text = texts[i], .len = len, .start_byte = off,
					  .end_byte = off + len, .page_start = (int)i + 1,
					  .page_end = (int)i + 1, .heading = "Intro", .ntokens = len / 4 };
		off += len + 2;
	}
	store_doc_in in = { .path = path, .size = 100, .mtime_ns = 5, .hash = hash,
			    .title = "A title", .format = "text", .text_bytes = (int64_t)off,
			    .npages = (int)n, .chunks = n ? ch : NULL, .nchunks = n,
			    .refresh = refresh };
	return store_doc_put(f->s, f->coll, &in, res);
}

static const char *const v1[] = { "the quick brown fox jumps", "over the lazy dog" };
static const char *const v2[] = { "a completely different zebra text" };

static void test_store__reopen(void **state)
{
	fx *f = *state;
	store_params p = store_default_params();
	store_collection *c = NULL;
	store_put_result r;
	size_t n = 0;

	assert_int_equal(put(f, "/a.txt", "h1", v1, 2, &r), 0);
	store_close(f->s);
	p.create = 0;
	assert_int_equal(store_open(&f->s, f->db, &p), 0);
	assert_int_equal(store_collection_list(f->s, &c, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(c[0].name, "default");
	assert_int_equal(c[0].ndocs, 1);
	assert_int_equal(c[0].nchunks, 2);
	assert_true(c[0].created_at > 0);
	store_collection_list_free(c, n);
	assert_int_equal(q1(f->db, "PRAGMA user_version"), store_schema_version());
	assert_int_equal(q1(f->db, "SELECT count(*) FROM meta WHERE key = 'created_by' "
			     "AND value = '0.1.0'"), 1);
	assert_int_equal(q1(f->db, "SELECT count(*) FROM meta WHERE key = 'tokenizer' AND "
			     "value = 'porter unicode61 remove_diacritics 2'"), 1);

	/* readonly also works on an existing database */
	store *ro = NULL;
	p.readonly = 1;
	assert_int_equal(store_open(&ro, f->db, &p), 0);
	assert_int_equal(store_collection_create(ro, "nope"), DOCENT_EPERM);
	store_close(ro);
}

static void test_store__change_counter(void **state)
{
	fx *f = *state;
	store_params p = store_default_params();
	store *other = NULL;
	store_put_result r;
	uint64_t a, b;

	assert_int_equal(store_change_counter(f->s, &a), 0);
	assert_int_equal(store_change_counter(f->s, &b), 0);
	assert_true(a == b); /* nothing changed */
	assert_int_equal(put(f, "/a.txt", "h1", v1, 2, &r), 0);
	assert_int_equal(store_change_counter(f->s, &b), 0);
	assert_true(a != b); /* this connection's write */
	/* another connection's write */
	assert_int_equal(store_open(&other, f->db, &p), 0);
	assert_int_equal(store_change_counter(f->s, &a), 0);
	assert_int_equal(store_collection_create(other, "elsewhere"), 0);
	assert_int_equal(store_change_counter(f->s, &b), 0);
	assert_true(a != b);
	store_close(other);
}

static void test_store__missing(void **state)
{
	fx *f = *state;
	store_params p = store_default_params();
	store *s = NULL;
	char path[400];

	snprintf(path, sizeof path, "%s/none.db", f->dir);
	p.create = 0;
	assert_int_equal(store_open(&s, path, &p), DOCENT_ENOTFOUND);
	assert_null(s);
	assert_non_null(strstr(docent_error_message(), path));
	store_close(NULL);
}

static void test_store__newer_schema(void **state)
{
	fx *f = *state;
	store_params p = store_default_params();
	sqlite3 *h;
	store *s = NULL;

	store_close(f->s);
	f->s = NULL;
	assert_int_equal(sqlite3_open(f->db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	assert_int_equal(store_open(&s, f->db, &p), DOCENT_ESCHEMA);
	assert_null(s);
	assert_non_null(strstr(docent_error_message(), "newer docent"));
}

static void test_store__not_a_database(void **state)
{
	fx *f = *state;
	store_params p = store_default_params();
	store *s = NULL;
	char path[400];
	FILE *fp;

	snprintf(path, sizeof path, "%s/notes.db", f->dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	for (int i = 0; i < 200; i++)
		fputs("These are my notes, not a database at all.\n", fp);
	fclose(fp);
	assert_int_equal(store_open(&s, path, &p), DOCENT_EDB);
	assert_null(s);
	assert_non_null(strstr(docent_error_message(), path));
	assert_non_null(strstr(docent_error_message(), "not a docent database"));
}

static void test_store__collections(void **state)
{
	fx *f = *state;
	store_collection *c = NULL;
	store_put_result r;
	int64_t id;
	size_t n;

	assert_int_equal(store_collection_create(f->s, "work"), 0);
	assert_int_equal(store_collection_create(f->s, "work"), DOCENT_EEXIST);
	assert_int_equal(store_collection_id(f->s, "nope", 0, &id), DOCENT_ENOTFOUND);
	assert_non_null(strstr(docent_error_message(), "nope"));
	assert_int_equal(store_collection_id(f->s, "work", 0, &id), 0);
	assert_int_equal(store_collection_create(f->s, ""), DOCENT_EINVAL);

	int64_t keep = f->coll;
	f->coll = id;
	assert_int_equal(put(f, "/w.txt", "hw", v1, 2, &r), 0);
	free(r.duplicate_of);
	f->coll = keep;
	assert_int_equal(put(f, "/d.txt", "hd", v2, 1, &r), 0);
	free(r.duplicate_of);

	assert_int_equal(store_collection_list(f->s, &c, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(c[0].name, "default");
	assert_string_equal(c[1].name, "work");
	assert_int_equal(c[1].ndocs, 1);
	assert_int_equal(c[1].nchunks, 2);
	assert_true(c[1].text_bytes > 0);
	store_collection_list_free(c, n);

	assert_int_equal(fts_count(f->db, "fox"), 1);
	assert_int_equal(store_collection_remove(f->s, "work"), 0);
	assert_int_equal(store_collection_remove(f->s, "work"), DOCENT_ENOTFOUND);
	assert_int_equal(fts_count(f->db, "fox"), 0);
	assert_int_equal(fts_count(f->db, "zebra"), 1);
	assert_int_equal(q1(f->db, "SELECT count(*) FROM chunks"), 1);
	assert_int_equal(q1(f->db, "SELECT count(*) FROM documents"), 1);
	assert_int_equal(q1(f->db, "SELECT count(*) FROM contents"), 1);
}

static void test_store__put_unchanged_update(void **state)
{
	fx *f = *state;
	store_put_result r;
	store_doc_state ds;

	assert_int_equal(store_doc_state_get(f->s, f->coll, "/a.txt", &ds), 0);
	assert_int_equal(ds.id, 0);

	assert_int_equal(put(f, "/a.txt", "h1", v1, 2, &r), 0);
	assert_int_equal(r.outcome, STORE_PUT_ADDED);
	assert_null(r.duplicate_of);
	int64_t id = r.doc_id;
	assert_true(store_content_exists(f->s, f->coll, "h1"));

	assert_int_equal(store_doc_state_get(f->s, f->coll, "/a.txt", &ds), 0);
	assert_int_equal(ds.id, id);
	assert_string_equal(ds.hash, "h1");
	assert_true(ds.ok);
	assert_int_equal(ds.size, 100);

	/* the same hash again, without chunks: unchanged */
	store_doc_in same = { .path = "/a.txt", .size = 123, .mtime_ns = 9, .hash = "h1" };
	assert_int_equal(store_doc_put(f->s, f->coll, &same, &r), 0);
	assert_int_equal(r.outcome, STORE_PUT_UNCHANGED);
	assert_int_equal(r.doc_id, id);
	assert_int_equal(store_doc_state_get(f->s, f->coll, "/a.txt", &ds), 0);
	assert_int_equal(ds.size, 123);
	assert_int_equal(ds.mtime_ns, 9);

	/* new content: old chunks and their FTS rows are gone */
	assert_int_equal(fts_count(f->db, "fox"), 1);
	assert_int_equal(put(f, "/a.txt", "h2", v2, 1, &r), 0);
	assert_int_equal(r.outcome, STORE_PUT_UPDATED);
	assert_int_equal(r.doc_id, id);
	assert_int_equal(fts_count(f->db, "fox"), 0);
	assert_int_equal(fts_count(f->db, "lazy"), 0);
	assert_int_equal(fts_count(f->db, "zebra"), 1);
	assert_int_equal(q1(f->db, "SELECT count(*) FROM chunks"), 1);
	assert_int_equal(q1(f->db, "SELECT count(*) FROM contents"), 1);
	assert_false(store_content_exists(f->s, f->coll, "h1"));
	assert_int_equal(q1(f->db, "SELECT nwords FROM chunks"), 5);

	/* chunks NULL for a hash nobody stored */
	store_doc_in ghost = { .path = "/g.txt", .hash = "nothing" };
	assert_int_equal(store_doc_put(f->s, f->coll, &ghost, &r), DOCENT_ENOTFOUND);
	assert_int_equal(q1(f->db, "SELECT count(*) FROM documents"), 1);
}

/* `ingest --force`: the same hash with refresh replaces the chunks, keeping
 * the rows (ids, vectors) of those whose text and context did not change. */
static void test_store__refresh_keeps_unchanged_chunks(void **state)
{
	static const char *const a[] = { "first part about leave", "second part with a secret",
					 "third part about laptops" };
	static const char *const b[] = { "first part about leave", "second part with [REDACTED]",
					 "third part about laptops", "a fourth part" };
	fx *f = *state;
	store_put_result r;
	int64_t first, third, second;

	assert_int_equal(put(f, "/r.txt", "hr", a, 3, &r), 0);
	first = q1(f->db, "SELECT id FROM chunks WHERE ordinal = 0");
	second = q1(f->db, "SELECT id FROM chunks WHERE ordinal = 1");
	third = q1(f->db, "SELECT id FROM chunks WHERE ordinal = 2");
	int64_t ids[3] = {first, second, third};
	float vecs[6] = {1, 0, 0, 1, 1, 1};
	assert_int_equal(store_collection_set_model(f->s, f->coll, "m", 2), 0);
	assert_int_equal(store_embeddings_put(f->s, ids, vecs, 3, 2), 0);

	/* without refresh, the same hash is unchanged whatever the chunks */
	assert_int_equal(put(f, "/r.txt", "hr", b, 4, &r), 0);
	assert_int_equal(r.outcome, STORE_PUT_UNCHANGED);
	assert_int_equal(fts_count(f->db, "secret"), 1);

	assert_int_equal(put_refresh(f, "/r.txt", "hr", b, 4, 1, &r), 0);
	assert_int_equal(r.outcome, STORE_PUT_UPDATED);
	assert_int_equal(r.chunks_kept, 2);
	assert_int_equal(q1(f->db, "SELECT count(*) FROM chunks"), 4);
	assert_int_equal(q1(f->db, "SELECT count(*) FROM contents"), 1);
	/* kept: same ids, same ordinals, vectors still there */
	assert_int_equal(q1(f->db, "SELECT id FROM chunks WHERE ordinal = 0"), first);
	assert_int_equal(q1(f->db, "SELECT id FROM chunks WHERE ordinal = 2"), third);
	assert_int_equal(q1(f->db, "SELECT count(*) FROM embeddings"), 2);
	/* replaced: a new id without a vector; the keyword index follows */
	assert_true(q1(f->db, "SELECT id FROM chunks WHERE ordinal = 1") > third);
	assert_int_equal(fts_count(f->db, "secret"), 0);
	assert_int_equal(fts_count(f->db, "redacted"), 1);
	assert_int_equal(fts_count(f->db, "fourth"), 1);
	assert_int_equal(fts_count(f->db, "leave"), 1);
	assert_int_equal(fts_count(f->db, "laptops"), 1);
	assert_int_equal(q1(f->db, "SELECT count(*) FROM chunks_fts"), 4);
}

static void test_store__duplicates(void **state)
{
	fx *f = *state;
	store_put_result r;
	store_doc *d = NULL;
	int removed;
	size_t n;

	assert_int_equal(put(f, "/one.txt", "same", v1, 2, &r), 0);
	assert_null(r.duplicate_of);
	store_doc_in dup = { .path = "/two.txt", .size = 1, .mtime_ns = 1, .hash = "same" };
	assert_int_equal(store_doc_put(f->s, f->coll, &dup, &r), 0);
	assert_int_equal(r.outcome, STORE_PUT_ADDED);
	assert_non_null(r.duplicate_of);
	assert_string_equal(r.duplicate_of, "/one.txt");
	free(r.duplicate_of);
	assert_int_equal(q1(f->db, "SELECT count(*) FROM contents"), 1);
	assert_int_equal(q1(f->db, "SELECT count(*) FROM chunks"), 2);

	assert_int_equal(store_doc_list(f->s, "default", &d, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(d[0].path, "/one.txt");
	assert_string_equal(d[1].path, "/two.txt");
	assert_int_equal(d[1].nchunks, 2);
	assert_string_equal(d[1].title, "A title");
	assert_string_equal(d[1].status, "ok");
	assert_null(d[1].error);
	store_doc_list_free(d, n);

	assert_int_equal(store_doc_remove(f->s, NULL, "/one.txt", &removed), 0);
	assert_int_equal(removed, 1);
	assert_int_equal(fts_count(f->db, "fox"), 1);
	assert_int_equal(q1(f->db, "SELECT count(*) FROM contents"), 1);
	assert_int_equal(store_doc_remove(f->s, "default", "/two.txt", &removed), 0);
	assert_int_equal(fts_count(f->db, "fox"), 0);
	assert_int_equal(q1(f->db, "SELECT count(*) FROM contents"), 0);
	assert_int_equal(q1(f->db, "SELECT count(*) FROM chunks"), 0);
}

static void test_store__fail_keeps_content(void **state)
{
	fx *f = *state;
	store_put_result r;
	store_doc_state ds;
	store_doc *d = NULL;
	size_t n;

	assert_int_equal(put(f, "/a.txt", "h1", v1, 2, &r), 0);
	assert_int_equal(store_doc_fail(f->s, f->coll, "/a.txt", 7, 8, "cannot read page 3"), 0);
	assert_int_equal(store_doc_fail(f->s, f->coll, "/new.pdf", 1, 2, "encrypted"), 0);
	assert_int_equal(store_doc_state_get(f->s, f->coll, "/a.txt", &ds), 0);
	assert_false(ds.ok);
	assert_int_equal(ds.size, 7);
	assert_int_equal(fts_count(f->db, "fox"), 1);

	assert_int_equal(store_doc_list(f->s, NULL, &d, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(d[0].status, "error");
	assert_string_equal(d[0].error, "cannot read page 3");
	assert_int_equal(d[0].nchunks, 2);
	assert_string_equal(d[1].path, "/new.pdf");
	assert_null(d[1].format);
	store_doc_list_free(d, n);

	/* a good version again brings the status back */
	assert_int_equal(put(f, "/a.txt", "h1", v1, 2, &r), 0);
	assert_int_equal(r.outcome, STORE_PUT_UPDATED);
	assert_int_equal(store_doc_state_get(f->s, f->coll, "/a.txt", &ds), 0);
	assert_true(ds.ok);
	assert_int_equal(q1(f->db, "SELECT count(*) FROM chunks"), 2);
}

static int collect(void *ctx, int64_t id, const char *path)
{
	int *count = ctx;
	(*count)++;
	return strcmp(path, "/stop") == 0 ? 42 : 0;
}

static void test_store__remove(void **state)
{
	fx *f = *state;
	store_put_result r;
	char key[32];
	int removed = -1, count = 0;

	assert_int_equal(put(f, "/a.txt", "h1", v1, 2, &r), 0);
	int64_t a = r.doc_id;
	assert_int_equal(put(f, "/b.txt", "h2", v2, 1, &r), 0);
	int64_t b = r.doc_id;
	assert_int_equal(store_doc_foreach(f->s, NULL, collect, &count), 0);
	assert_int_equal(count, 2);

	snprintf(key, sizeof key, "%lld", (long long)a);
	assert_int_equal(store_doc_remove(f->s, "default", key, &removed), 0);
	assert_int_equal(removed, 1);
	assert_int_equal(fts_count(f->db, "fox"), 0);
	assert_int_equal(store_doc_remove(f->s, NULL, key, &removed), DOCENT_ENOTFOUND);
	assert_int_equal(store_doc_remove(f->s, NULL, "/nothing", &removed), DOCENT_ENOTFOUND);
	assert_int_equal(store_doc_remove(f->s, "nope", "/b.txt", &removed), DOCENT_ENOTFOUND);

	assert_int_equal(store_doc_remove_id(f->s, b), 0);
	assert_int_equal(store_doc_remove_id(f->s, b), DOCENT_ENOTFOUND);
	assert_int_equal(fts_count(f->db, "zebra"), 0);
	assert_int_equal(q1(f->db, "SELECT count(*) FROM documents"), 0);
	assert_int_equal(q1(f->db, "SELECT count(*) FROM chunk_stats"), 0);

	/* a callback's non-zero return stops the walk and is returned */
	assert_int_equal(put(f, "/stop", "h3", v2, 1, &r), 0);
	count = 0;
	assert_int_equal(store_doc_foreach(f->s, "default", collect, &count), 42);
}

static void test_store__stats(void **state)
{
	fx *f = *state;
	store_put_result r;
	store_stats st;

	assert_int_equal(put(f, "/a.txt", "h1", v1, 2, &r), 0);
	assert_int_equal(put(f, "/b.txt", "h2", v2, 1, &r), 0);
	store_doc_in dup = { .path = "/c.txt", .hash = "h1" };
	assert_int_equal(store_doc_put(f->s, f->coll, &dup, &r), 0);
	free(r.duplicate_of);
	assert_int_equal(store_doc_fail(f->s, f->coll, "/bad.pdf", 1, 1, "broken"), 0);
	assert_int_equal(store_collection_create(f->s, "empty"), 0);

	assert_int_equal(store_stats_get(f->s, NULL, &st), 0);
	assert_int_equal(st.collections, 2);
	assert_int_equal(st.documents, 4);
	assert_int_equal(st.failed, 1);
	assert_int_equal(st.contents, 2);
	assert_int_equal(st.chunks, 3);
	assert_true(st.text_bytes > 0);
	assert_true(st.db_bytes > 0);
	assert_int_equal(st.schema_version, store_schema_version());
	assert_string_equal(st.tokenizer, "porter unicode61 remove_diacritics 2");

	assert_int_equal(store_stats_get(f->s, "empty", &st), 0);
	assert_int_equal(st.collections, 1);
	assert_int_equal(st.documents, 0);
	assert_int_equal(st.chunks, 0);
	assert_int_equal(store_stats_get(f->s, "nope", &st), DOCENT_ENOTFOUND);
}

static void test_store__atomic_put(void **state)
{
	fx *f = *state;
	store_put_result r;
	const char *bad[] = { "first chunk is fine", "second is fine too", NULL };

	assert_int_equal(put(f, "/keep.txt", "h1", v1, 2, &r), 0);
	assert_int_not_equal(put(f, "/broken.txt", "hb", bad, 3, &r), 0);
	assert_non_null(strstr(docent_error_message(), "docent.db"));
	assert_int_equal(q1(f->db, "SELECT count(*) FROM documents WHERE path = '/broken.txt'"), 0);
	assert_int_equal(q1(f->db, "SELECT count(*) FROM contents WHERE hash = 'hb'"), 0);
	assert_int_equal(q1(f->db, "SELECT count(*) FROM chunks"), 2);
	assert_int_equal(fts_count(f->db, "second"), 0);

	/* a failed update leaves the old version in place */
	assert_int_not_equal(put(f, "/keep.txt", "hb", bad, 3, &r), 0);
	assert_int_equal(fts_count(f->db, "fox"), 1);
	assert_int_equal(fts_count(f->db, "second"), 0);

	/* and the handle still works */
	assert_int_equal(put(f, "/next.txt", "h2", v2, 1, &r), 0);
	assert_int_equal(fts_count(f->db, "zebra"), 1);
}

/* Documents in a batch are saved together, found by search afterwards, and
 * a failure inside the batch undoes the whole batch, never half a document. */
static void test_store__batch(void **state)
{
	fx *f = *state;
	store_put_result r;
	store_hit *h;
	size_t n;
	const char *bad[] = { "first chunk is fine", NULL };

	assert_int_equal(store_batch_begin(f->s), 0);
	assert_int_equal(store_batch_begin(f->s), DOCENT_EINVAL);
	assert_int_equal(put(f, "/a.txt", "ha", v1, 2, &r), 0);
	assert_int_equal(put(f, "/b.txt", "hb", v2, 1, &r), 0);
	assert_int_equal(store_batch_commit(f->s), 0);
	assert_int_equal(fts_count(f->db, "zebra"), 1);
	assert_int_equal(store_search(f->s, "zebra fox", NULL, &h, &n), 0);
	assert_int_equal(n, 2);
	store_hits_free(h, n);

	/* a failing document rolls back the batch it is in */
	assert_int_equal(store_batch_begin(f->s), 0);
	assert_int_equal(put(f, "/c.txt", "hc", (const char *const[]){ "walrus text" }, 1, &r), 0);
	assert_int_not_equal(put(f, "/d.txt", "hd", bad, 2, &r), 0);
	assert_int_equal(store_batch_commit(f->s), DOCENT_EDB);
	assert_non_null(strstr(docent_error_message(), "again"));
	assert_int_equal(q1(f->db, "SELECT count(*) FROM documents"), 2);
	assert_int_equal(fts_count(f->db, "walrus"), 0);
	assert_int_equal(store_search(f->s, "walrus", NULL, &h, &n), 0);
	assert_int_equal(n, 0);

	/* an open batch is rolled back by close: nothing of it remains */
	assert_int_equal(store_batch_begin(f->s), 0);
	assert_int_equal(put(f, "/e.txt", "he", (const char *const[]){ "narwhal" }, 1, &r), 0);
	store_close(f->s);
	store_params p = store_default_params();
	assert_int_equal(store_open(&f->s, f->db, &p), 0);
	assert_int_equal(q1(f->db, "SELECT count(*) FROM documents WHERE path = '/e.txt'"), 0);
	assert_int_equal(store_search(f->s, "zebra", NULL, &h, &n), 0);
	assert_int_equal(n, 1);
	store_hits_free(h, n);
}

static int collect_chunk(void *ctx, int64_t id, const char *text, size_t len, size_t ntokens)
{
	static const char context[] = "A title > Intro\n\n"; /* read before the text */
	int64_t *ids = ctx;
	assert_true(len > sizeof context - 1);
	assert_memory_equal(text, context, sizeof context - 1);
	assert_int_equal(ntokens, (len - (sizeof context - 1)) / 4); /* what put() recorded */
	ids[++ids[0]] = id;
	return 0;
}

static int sum_vec(void *ctx, int64_t id, const float *v, int dim)
{
	double *acc = ctx;
	(void)id;
	acc[0] += 1;
	for (int i = 0; i < dim; i++)
		acc[1] += v[i];
	acc[2] = dim;
	return 0;
}

/* Vectors live with their chunks, under one model per collection. */
static void test_store__embeddings(void **state)
{
	fx *f = *state;
	store_put_result r;
	int64_t ids[8] = { 0 };
	double acc[3] = { 0 };
	float vecs[8] = { 1, 0, 0, 0, 0, 0.5f, 0.5f, 0 };
	char *model;
	int dim;

	assert_int_equal(q1(f->db, "SELECT count(*) FROM sqlite_master WHERE name = 'embeddings'"), 1);
	assert_int_equal(put(f, "/a.txt", "ha", v1, 2, &r), 0);
	assert_int_equal(store_chunks_to_embed(f->s, f->coll, 0, 0, collect_chunk, ids), 0);
	assert_int_equal(ids[0], 2);
	assert_int_equal(store_collection_model(f->s, f->coll, &model, &dim), 0);
	assert_null(model);
	assert_int_equal(store_collection_set_model(f->s, f->coll, "m1.gguf", 4), 0);
	assert_int_equal(store_collection_set_model(f->s, f->coll, "m1.gguf", 4), 0);
	assert_int_equal(store_collection_set_model(f->s, f->coll, "m2.gguf", 4), DOCENT_EINVAL);
	assert_non_null(strstr(docent_error_message(), "docent reindex"));
	assert_int_equal(store_embeddings_put(f->s, ids + 1, vecs, 2, 4), 0);
	assert_int_equal(store_embeddings_foreach(f->s, f->coll, sum_vec, acc), 0);
	assert_true(acc[0] == 2 && acc[2] == 4 && acc[1] > 1.99 && acc[1] < 2.01);
	ids[0] = 0;
	assert_int_equal(store_chunks_to_embed(f->s, f->coll, 0, 0, collect_chunk, ids), 0);
	assert_int_equal(ids[0], 0);

	/* replacing the document drops the old chunks' vectors */
	assert_int_equal(put(f, "/a.txt", "hb", v2, 1, &r), 0);
	assert_int_equal(q1(f->db, "SELECT count(*) FROM embeddings"), 0);

	/* clearing forgets the model, so another one may be used */
	assert_int_equal(store_embeddings_clear(f->s, f->coll), 0);
	assert_int_equal(store_collection_set_model(f->s, f->coll, "m2.gguf", 8), 0);
	assert_int_equal(store_collection_model(f->s, f->coll, &model, &dim), 0);
	assert_string_equal(model, "m2.gguf");
	assert_int_equal(dim, 8);
	free(model);
}

/* Writes a database of schema version `version` with the migrations as
 * released, holding one document of two chunks (and their vectors from
 * version 2 on). */
static void old_database(const char *path, int version)
{
	sqlite3 *h;
	char sql[256];

	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	for (int v = 0; v < version; v++) {
		const char *step = store_migration_sql(v);
		const char *at = strstr(step, "@TOKENIZE@");
		char *expanded = NULL;
		assert_non_null(step);
		/* only the first step names the tokenizer, twice */
		if (at) {
			expanded = strdup(step);
			char *p;
			while ((p = strstr(expanded, "@TOKENIZE@")) != NULL) {
				memcpy(p, "'porter'  ", 10);
			}
		}
		assert_int_equal(sqlite3_exec(h, expanded ? expanded : step, NULL, NULL, NULL),
				 SQLITE_OK);
		free(expanded);
	}
	assert_int_equal(sqlite3_exec(h,
		"INSERT INTO collections(id, name, created_at) VALUES (1, 'default', 0);"
		"INSERT INTO contents(id, collection_id, hash, title) VALUES (1, 1, 'h', 'Handbook');"
		"INSERT INTO documents(collection_id, path, content_id, status) "
		"  VALUES (1, '/a.txt', 1, 'ok');"
		"INSERT INTO chunks(id, content_id, ordinal, text, nwords) VALUES"
		"  (1, 1, 0, 'the quick brown fox', 4), (2, 1, 1, 'jumps over zebras', 3);"
		"INSERT INTO chunks_fts(rowid, text) SELECT id, text FROM chunks;",
		NULL, NULL, NULL), SQLITE_OK);
	if (version == 2)
		assert_int_equal(sqlite3_exec(h,
			"UPDATE collections SET embed_model = 'm.gguf', embed_dim = 1;"
			"INSERT INTO embeddings VALUES (1, x'0000803f'), (2, x'00000040');",
			NULL, NULL, NULL), SQLITE_OK);
	if (version >= 4) /* the title is indexed with each chunk */
		assert_int_equal(sqlite3_exec(h,
			"UPDATE chunks SET context = 'Handbook';"
			"INSERT INTO chunks_fts(chunks_fts) VALUES ('rebuild');",
			NULL, NULL, NULL), SQLITE_OK);
	if (version >= 3) /* vectors carry their collection */
		assert_int_equal(sqlite3_exec(h,
			"UPDATE collections SET embed_model = 'm.gguf', embed_dim = 1;"
			"INSERT INTO embeddings VALUES (1, 1, x'0000803f'), (2, 1, x'00000040');",
			NULL, NULL, NULL), SQLITE_OK);
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d", version);
	assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
}

/* Databases of every earlier version are migrated forward at open,
 * keeping documents, chunks, keyword index and vectors. */
static void test_store__migrates(void **state)
{
	fx *f = *state;
	store_params p = store_default_params();
	store_put_result r;

	for (int version = 1; version < store_schema_version(); version++) {
		store_close(f->s);
		f->s = NULL;
		remove(f->db);
		old_database(f->db, version);
		assert_int_equal(store_open(&f->s, f->db, &p), 0);
		assert_int_equal(q1(f->db, "PRAGMA user_version"), store_schema_version());
		assert_int_equal(q1(f->db, "SELECT count(*) FROM documents"), 1);
		assert_int_equal(q1(f->db, "SELECT count(*) FROM chunks"), 2);
		assert_int_equal(q1(f->db, "SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH 'zebra'"),
				 2);
		/* schema 4: the title is indexed with every chunk */
		assert_int_equal(q1(f->db, "SELECT count(*) FROM chunks WHERE context = 'Handbook'"),
				 2);
		assert_int_equal(q1(f->db, "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH "
				    "'handbook'"), 2);
		int64_t want = version >= 2 ? 2 : 0;
		assert_int_equal(q1(f->db, "SELECT count(*) FROM embeddings WHERE collection_id = 1"),
				 want);
		assert_int_equal(q1(f->db, "SELECT vec_count FROM collections"), want);
		assert_int_equal(q1(f->db, "SELECT vec_idsum FROM collections"), want ? 3 : 0);
		assert_int_equal(q1(f->db, "SELECT count(*) FROM summary_cache"), 0);
		/* replacing the document does not hand its chunk ids out again */
		assert_int_equal(store_collection_id(f->s, "default", 0, &f->coll), 0);
		assert_int_equal(put(f, "/a.txt", "h2", v2, 1, &r), 0);
		assert_int_equal(q1(f->db, "SELECT min(id) FROM chunks"), 3);
		assert_int_equal(q1(f->db, "SELECT vec_count FROM collections"), 0);
		assert_int_equal(store_check(f->s), 0);
	}
}

/* Chunk ids are never reused: a chunk id names one vector for good, and the
 * collection's vector totals follow every write. */
static void test_store__vector_totals(void **state)
{
	fx *f = *state;
	store_put_result r;
	store_vec_totals t;
	int64_t ids[8] = { 0 }, *gone;
	size_t ngone;
	float vecs[2] = { 1, 1 };

	assert_int_equal(store_collection_set_model(f->s, f->coll, "m.gguf", 1), 0);
	assert_int_equal(put(f, "/a.txt", "ha", v1, 2, &r), 0);
	assert_int_equal(store_chunks_to_embed(f->s, f->coll, 0, 0, collect_chunk, ids), 0);
	assert_int_equal(store_embeddings_put(f->s, ids + 1, vecs, 2, 1), 0);
	assert_int_equal(store_vectors_totals(f->s, f->coll, &t), 0);
	assert_true(t.count == 2 && t.idsum == ids[1] + ids[2] && !t.saved);
	/* paging: after the first id, at most one */
	int64_t page[4] = { 0 };
	assert_int_equal(store_embeddings_clear(f->s, f->coll), 0);
	assert_int_equal(store_chunks_to_embed(f->s, f->coll, ids[1], 1, collect_chunk, page), 0);
	assert_true(page[0] == 1 && page[1] == ids[2]);
	assert_int_equal(store_vectors_removed(f->s, f->coll, &gone, &ngone), 0);
	assert_int_equal(ngone, 2);
	free(gone);
	assert_int_equal(store_collection_set_model(f->s, f->coll, "m.gguf", 1), 0);
	assert_int_equal(store_embeddings_put(f->s, ids + 1, vecs, 2, 1), 0);
	/* the same chunk again replaces its vector: counted once */
	assert_int_equal(store_embeddings_put(f->s, ids + 1, vecs, 1, 1), 0);
	assert_int_equal(store_vectors_totals(f->s, f->coll, &t), 0);
	assert_int_equal(t.count, 2);
	assert_int_equal(store_vectors_removed(f->s, f->coll, &gone, &ngone), 0);
	assert_true(ngone == 1 && gone[0] == ids[1]);
	free(gone);
	assert_int_equal(store_vectors_saved(f->s, f->coll, 2, t.idsum), 0);
	/* the last chunks deleted: new ones get new ids */
	assert_int_equal(put(f, "/a.txt", "hb", v2, 1, &r), 0);
	assert_true(q1(f->db, "SELECT max(id) FROM chunks") > ids[2]);
	assert_int_equal(store_vectors_totals(f->s, f->coll, &t), 0);
	assert_true(t.count == 0 && t.idsum == 0 && t.saved && t.saved_count == 2);
	assert_int_equal(store_vectors_removed(f->s, f->coll, &gone, &ngone), 0);
	assert_int_equal(ngone, 2);
	free(gone);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_store__reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store__change_counter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store__missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store__newer_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store__not_a_database, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store__collections, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store__put_unchanged_update, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store__refresh_keeps_unchanged_chunks, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_store__duplicates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store__fail_keeps_content, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store__remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store__stats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store__atomic_put, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store__batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store__embeddings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store__migrates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store__vector_totals, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
