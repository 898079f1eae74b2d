/*
 * test_vecset.c - a collection's FAISS index kept in step with the store
 * (index/vecset.h): saved and reopened without a rebuild, removals dropped
 * in place, and every way of going stale (a write it did not see, a lost or
 * corrupt file, a crash before the save) repaired by a rebuild.
 */
#include "tests/index/store_fixture.h"

#include "core/error.h"
#include "index/vecset.h"

#include <sqlite3.h>
#include <sys/stat.h>

#define DIM 4

/* Stores a document and a vector for its chunk: the unit vector on axis. */
static int64_t doc_with_vector(fx *f, const char *path, const char *text, int axis)
{
	store_hit *h;
	size_t n;
	float v[DIM] = { 0 };
	store_search_params p = store_search_default_params();

	put_text(f->s, f->coll, path, text);
	assert_int_equal(store_search(f->s, text, &p, &h, &n), 0);
	assert_true(n >= 1);
	int64_t id = h[0].chunk_id;
	store_hits_free(h, n);
	v[axis] = 1;
	assert_int_equal(store_embeddings_put(f->s, &id, v, 1, DIM), 0);
	return id;
}

static void open_set(fx *f, vecset **vs, int want_rebuilt)
{
	int rebuilt = -1;
	assert_int_equal(vecset_open(vs, f->s, f->coll, NULL, &rebuilt), 0);
	assert_int_equal(rebuilt, want_rebuilt);
}

static int64_t nearest(vecset *vs, int axis)
{
	float q[DIM] = { 0 }, sc[4];
	int64_t ids[4];
	size_t n;

	q[axis] = 1;
	assert_int_equal(vecset_search(vs, q, 1, ids, sc, &n), 0);
	return n ? ids[0] : -1;
}

static void test_vecset__no_model(void **state)
{
	fx *f = *state;
	vecset *vs;

	assert_int_equal(vecset_open(&vs, f->s, f->coll, NULL, NULL), DOCENT_ENOTFOUND);
	assert_non_null(strstr(docent_error_message(), "reindex"));
}

static void test_vecset__in_step(void **state)
{
	fx *f = *state;
	vecset *vs;
	int64_t a, b, c;

	assert_int_equal(store_collection_set_model(f->s, f->coll, "m.gguf", DIM), 0);
	open_set(f, &vs, 0); /* new: nothing to rebuild from */
	a = doc_with_vector(f, "/a.txt", "alpha words", 0);
	b = doc_with_vector(f, "/b.txt", "beta words", 1);
	float va[DIM] = { 1, 0, 0, 0 }, vb[DIM] = { 0, 1, 0, 0 };
	assert_int_equal(vecset_add(vs, &a, va, 1), 0);
	assert_int_equal(vecset_add(vs, &b, vb, 1), 0);
	assert_int_equal(vecset_save(vs), 0);
	vecset_close(vs);

	open_set(f, &vs, 0);
	assert_int_equal(vecset_count(vs), 2);
	assert_int_equal(nearest(vs, 1), b);
	/* a removed document's vector is dropped in place at the save */
	int removed;
	assert_int_equal(store_doc_remove(f->s, NULL, "/b.txt", &removed), 0);
	c = doc_with_vector(f, "/c.txt", "gamma words", 2);
	float vc[DIM] = { 0, 0, 1, 0 };
	assert_int_equal(vecset_add(vs, &c, vc, 1), 0);
	assert_int_equal(vecset_save(vs), 0);
	assert_int_equal(vecset_count(vs), 2);
	assert_int_equal(nearest(vs, 2), c);
	assert_true(nearest(vs, 1) != b);
	vecset_close(vs);
	open_set(f, &vs, 0);
	assert_int_equal(vecset_count(vs), 2);
	vecset_close(vs);
}

static void test_vecset__repairs(void **state)
{
	fx *f = *state;
	vecset *vs;
	sqlite3 *h;
	char *path = vecset_path(f->s, f->coll);
	int64_t a, b;

	assert_int_equal(store_collection_set_model(f->s, f->coll, "m.gguf", DIM), 0);
	a = doc_with_vector(f, "/a.txt", "alpha words", 0);
	b = doc_with_vector(f, "/b.txt", "beta words", 1);
	open_set(f, &vs, 1); /* vectors but no file: built from the store */
	assert_int_equal(vecset_count(vs), 2);
	vecset_close(vs);
	open_set(f, &vs, 0);
	vecset_close(vs);

	/* a crash after a store write, before the save: the file lacks it */
	int64_t c = doc_with_vector(f, "/c.txt", "gamma words", 2);
	open_set(f, &vs, 1);
	assert_int_equal(nearest(vs, 2), c);
	vecset_close(vs);

	/* another process's delete */
	assert_int_equal(sqlite3_open(f->db, &h), SQLITE_OK);
	char sql[96];
	snprintf(sql, sizeof sql, "DELETE FROM embeddings WHERE chunk_id = %lld", (long long)a);
	assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	open_set(f, &vs, 1);
	assert_int_equal(vecset_count(vs), 2);
	assert_true(nearest(vs, 0) != a);
	vecset_close(vs);

	/* a lost file, then a corrupt one */
	assert_int_equal(remove(path), 0);
	open_set(f, &vs, 1);
	vecset_close(vs);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("not a FAISS index", fp);
	fclose(fp);
	open_set(f, &vs, 1);
	assert_int_equal(nearest(vs, 1), b);
	vecset_close(vs);

	/* the file is removed with the collection */
	assert_int_equal(vecset_remove_file(f->s, f->coll), 0);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(vecset_remove_file(f->s, f->coll), 0);
	free(path);
}

/* Overwrites n bytes of the file at `at` (from the end when at < 0). */
static void damage(const char *path, long at, size_t n, int byte)
{
	FILE *fp = fopen(path, "r+b");
	long size;

	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	size = ftell(fp);
	assert_true(size > (long)n);
	assert_int_equal(fseek(fp, at < 0 ? size + at : at, SEEK_SET), 0);
	for (size_t i = 0; i < n; i++)
		fputc(byte, fp);
	fclose(fp);
}

/* What `stats --check` says of the collection's index: "" when sound. */
static const char *check(fx *f)
{
	static vecset_report r;
	assert_int_equal(vecset_check(f->s, f->coll, NULL, 100, &r), 0);
	return r.problem;
}

/* A file FAISS still reads, with the right count, but damaged inside:
 * vectors zeroed, or ids changed. Verified at open against the store and
 * rebuilt (*rebuilt 2); the check reports it without changing it. */
static void test_vecset__verified_on_open(void **state)
{
	fx *f = *state;
	vecset *vs;
	char *path = vecset_path(f->s, f->coll), *data;
	int64_t b;
	size_t size;
	long first = -1;

	assert_int_equal(store_collection_set_model(f->s, f->coll, "m.gguf", DIM), 0);
	doc_with_vector(f, "/a.txt", "alpha words", 0);
	b = doc_with_vector(f, "/b.txt", "beta words", 1);
	doc_with_vector(f, "/c.txt", "gamma words", 2);
	open_set(f, &vs, 1);
	vecset_close(vs);
	assert_string_equal(check(f), "");
	/* the vectors zeroed (the ids at the end of the file kept): they start
	 * with the first 1.0f, the unit vector on axis 0 */
	data = slurp(path, &size);
	for (size_t i = 0; i + 4 <= size && first < 0; i++)
		if (memcmp(data + i, "\x00\x00\x80\x3f", 4) == 0)
			first = (long)i;
	free(data);
	assert_true(first > 0);
	damage(path, first, 3 * DIM * sizeof(float), 0);
	assert_non_null(strstr(check(f), "does not hold the stored vectors"));
	assert_non_null(strstr(check(f), path));
	assert_non_null(strstr(check(f), "rebuilds it")); /* and nothing changed */
	open_set(f, &vs, 2);
	assert_int_equal(nearest(vs, 1), b);
	vecset_close(vs);
	assert_string_equal(check(f), "");
	open_set(f, &vs, 0);
	vecset_close(vs);

	/* the ids changed: same count, other chunks */
	damage(path, -8, 8, 0x7f);
	assert_non_null(strstr(check(f), "does not hold the stored vectors"));
	open_set(f, &vs, 2);
	assert_int_equal(vecset_count(vs), 3);
	vecset_close(vs);

	/* a folder where the file should be: an error saying what to do */
	assert_int_equal(remove(path), 0);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(vecset_open(&vs, f->s, f->coll, NULL, NULL), DOCENT_EIO);
	assert_non_null(strstr(docent_error_message(), "is a folder"));
	assert_non_null(strstr(docent_error_message(), "move it away"));
	assert_string_not_equal(check(f), "");
	assert_int_equal(rmdir(path), 0);
	/* a missing file is reported by the check, rebuilt by the open */
	assert_non_null(strstr(check(f), "is missing"));
	open_set(f, &vs, 1);
	vecset_close(vs);
	assert_string_equal(check(f), "");
	free(path);
}

/* A file behind the store (a kill -9 between a commit and the save) is
 * sound to the check, with a note; the next open rebuilds it. */
static void test_vecset__behind_is_sound(void **state)
{
	fx *f = *state;
	vecset_report r;
	vecset *vs;

	assert_int_equal(store_collection_set_model(f->s, f->coll, "m.gguf", DIM), 0);
	doc_with_vector(f, "/a.txt", "alpha words", 0);
	open_set(f, &vs, 1);
	vecset_close(vs);
	doc_with_vector(f, "/b.txt", "beta words", 1); /* stored, never saved */
	assert_int_equal(vecset_check(f->s, f->coll, NULL, 100, &r), 0);
	assert_string_equal(r.problem, "");
	assert_int_equal(r.behind, 1);
	assert_non_null(strstr(r.note, "behind the database (1 vectors, the database 2)"));
	open_set(f, &vs, 1);
	assert_int_equal(vecset_count(vs), 2);
	vecset_close(vs);
	assert_int_equal(vecset_check(f->s, f->coll, NULL, 100, &r), 0);
	assert_string_equal(r.problem, "");
	assert_int_equal(r.behind, 0);
	assert_string_equal(r.note, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_vecset__no_model, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vecset__in_step, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vecset__repairs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vecset__verified_on_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vecset__behind_is_sound, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
