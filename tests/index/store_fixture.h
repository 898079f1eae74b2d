/*
 * store_fixture.h - the fixture the store and search tests share: a fresh
 * database in a temporary folder with a "default" collection, removed after
 * each test.
 */
#ifndef DOCENT_TESTS_INDEX_STORE_FIXTURE_H
#define DOCENT_TESTS_INDEX_STORE_FIXTURE_H

#include "tests/testutil.h"

#include "index/store.h"

typedef struct fx {
	char dir[256];
	char db[300];
	store *s;
	int64_t coll;
} fx;

static int setup(void **state)
{
	fx *f = calloc(1, sizeof *f);
	store_params p = store_default_params();

	assert_non_null(f);
	snprintf(f->dir, sizeof f->dir, "%s", temp_dir());
	snprintf(f->db, sizeof f->db, "%s/docent.db", f->dir);
	assert_int_equal(store_open(&f->s, f->db, &p), 0);
	assert_int_equal(store_collection_id(f->s, "default", 1, &f->coll), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	store_close(f->s);
	remove_tree(f->dir);
	free(f);
	return 0;
}

#endif
