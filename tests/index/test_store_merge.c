/*
 * test_store_merge.c - FTS5's merging paused during large batches (see
 * merge_pause in index/store.c): turned off only once a handle has written
 * enough for store_optimize() to merge everything at the end, never while
 * a handle writes a small part of a large index, restored before each
 * commit so that the file never holds the change, dropped by a rollback,
 * and the index stays whole and is merged into one segment at the end.
 */
#include "tests/index/store_fixture.h"

#include <sqlite3.h>

#include "core/error.h"
#include "index/store.h"
#include "index/store_int.h"

/* Puts `ndocs` documents of 10 one-sentence chunks each. */
static void put_docs(store *s, int64_t coll, const char *prefix, int ndocs)
{
	static const char text[] = "merging segments of the keyword index";
	store_chunk_in ch[10];
	store_put_result r;
	char path[64];

	for (int i = 0; i < 10; i++)
		ch[i] = (store_chunk_in){ .text = text, .len = sizeof text - 1,
					  .end_byte = sizeof text - 1 };
	for (int d = 0; d < ndocs; d++) {
		snprintf(path, sizeof path, "/%s%d.txt", prefix, d);
		store_doc_in in = { .path = path, .hash = path, .chunks = ch, .nchunks = 10 };
		assert_int_equal(store_doc_put(s, coll, &in, &r), 0);
		free(r.duplicate_of);
	}
}

/* A number, or -1 for no row, through connection h. */
static int64_t q1(sqlite3 *h, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int64_t setting(sqlite3 *h, const char *name)
{
	char sql[128];
	snprintf(sql, sizeof sql, "SELECT v FROM chunks_fts_config WHERE k = '%s'", name);
	return q1(h, sql);
}

/* The settings as the file has them, through a connection of its own. */
static void stored(const char *db, int64_t automerge, int64_t crisismerge)
{
	sqlite3 *h = NULL;

	assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(setting(h, "automerge"), automerge);
	assert_int_equal(setting(h, "crisismerge"), crisismerge);
	sqlite3_close(h);
}

static void test_store_merge__bulk(void **state)
{
	fx *f = *state;

	/* the first 1000 chunks of a handle merge as usual */
	assert_int_equal(store_batch_begin(f->s), 0);
	put_docs(f->s, f->coll, "a", 99);
	assert_false(f->s->merge_paused);
	assert_int_equal(setting(f->s->db, "automerge"), -1); /* FTS5's default, 4 */
	/* from there on, all of its writes are a tenth and more of the index */
	put_docs(f->s, f->coll, "b", 2);
	assert_true(f->s->merge_paused);
	assert_int_equal(setting(f->s->db, "automerge"), 0);
	assert_int_equal(setting(f->s->db, "crisismerge"), 64);
	stored(f->db, -1, -1);
	assert_int_equal(store_batch_commit(f->s), 0);
	/* the values in force before, written out */
	assert_false(f->s->merge_paused);
	stored(f->db, 4, 16);

	/* a later batch pauses from its start; a stored value is kept */
	assert_int_equal(sqlite3_exec(f->s->db, "INSERT INTO chunks_fts(chunks_fts, rank) "
				      "VALUES ('automerge', 8)", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(store_batch_begin(f->s), 0);
	assert_true(f->s->merge_paused);
	put_docs(f->s, f->coll, "c", 50);
	assert_int_equal(store_batch_commit(f->s), 0);
	stored(f->db, 8, 16);

	/* the index is whole, and one segment once merged */
	assert_int_equal(store_check(f->s), 0);
	assert_int_equal(store_optimize(f->s), 0);
	assert_int_equal(q1(f->s->db, "SELECT count(DISTINCT segid) FROM chunks_fts_idx"), 1);
	assert_int_equal(q1(f->s->db, "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH "
			    "'segment'"), 1510);
}

static void test_store_merge__rollback(void **state)
{
	fx *f = *state;

	put_docs(f->s, f->coll, "a", 101);
	assert_int_equal(store_batch_begin(f->s), 0);
	assert_true(f->s->merge_paused);
	put_docs(f->s, f->coll, "b", 5);
	store_batch_rollback(f->s);
	assert_false(f->s->merge_paused);
	stored(f->db, -1, -1);
	assert_int_equal(q1(f->s->db, "SELECT count(*) FROM meta WHERE key = 'fts_unmerged'"), 0);
	/* the connection's FTS5 sees the stored values again */
	assert_int_equal(q1(f->s->db, "SELECT count(*) FROM chunks WHERE content_id IN "
			    "(SELECT id FROM contents WHERE hash LIKE '/b%')"), 0);
	assert_int_equal(store_batch_begin(f->s), 0);
	put_docs(f->s, f->coll, "c", 5);
	assert_int_equal(store_batch_commit(f->s), 0);
	stored(f->db, 4, 16);
	assert_int_equal(store_check(f->s), 0);
}

/* A handle that writes a small part of a large index keeps merging: no
 * store_optimize() will follow its writes. */
static void test_store_merge__small_part(void **state)
{
	fx *f = *state;
	store_params p = store_default_params();
	store *s = NULL;

	assert_int_equal(store_batch_begin(f->s), 0);
	put_docs(f->s, f->coll, "a", 1200);
	assert_int_equal(store_batch_commit(f->s), 0);
	store_close(f->s);
	assert_int_equal(store_open(&s, f->db, &p), 0);
	f->s = s;
	assert_int_equal(store_batch_begin(s), 0);
	put_docs(s, f->coll, "b", 110);
	assert_false(s->merge_paused);
	assert_int_equal(store_batch_commit(s), 0);
	assert_int_equal(store_check(s), 0);
}

/* A large ingest stopped before its final merge (cancelled, killed) left
 * many segments: the next store_optimize() merges them, however little
 * that handle wrote itself. */
static void test_store_merge__stopped_before_optimize(void **state)
{
	fx *f = *state;
	store_params p = store_default_params();
	store *s = NULL;

	put_docs(f->s, f->coll, "a", 101);
	for (int b = 0; b < 3; b++) {
		char prefix[16];
		snprintf(prefix, sizeof prefix, "b%d_", b);
		assert_int_equal(store_batch_begin(f->s), 0);
		put_docs(f->s, f->coll, prefix, 20);
		assert_int_equal(store_batch_commit(f->s), 0);
	}
	assert_int_equal(q1(f->s->db, "SELECT count(*) FROM meta WHERE key = 'fts_unmerged'"), 1);
	store_close(f->s); /* no store_optimize(): stopped */
	assert_int_equal(store_open(&s, f->db, &p), 0);
	f->s = s;
	assert_true(q1(s->db, "SELECT count(DISTINCT segid) FROM chunks_fts_idx") > 1);
	put_docs(s, f->coll, "c", 2); /* 20 chunks: too few to merge for */
	assert_int_equal(store_optimize(s), 0);
	assert_int_equal(q1(s->db, "SELECT count(DISTINCT segid) FROM chunks_fts_idx"), 1);
	assert_int_equal(q1(s->db, "SELECT count(*) FROM meta WHERE key = 'fts_unmerged'"), 0);
	assert_int_equal(store_check(s), 0);
	/* and the next small write does not merge again */
	put_docs(s, f->coll, "d", 1);
	assert_int_equal(store_optimize(s), 0);
	assert_int_equal(q1(s->db, "SELECT count(DISTINCT segid) FROM chunks_fts_idx"), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_store_merge__bulk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_merge__rollback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_merge__small_part, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_merge__stopped_before_optimize, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
