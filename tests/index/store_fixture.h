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

/* Stores a one-chunk document (pages 3-4, a heading) under a fresh hash. */
static inline void put_text(store *s, int64_t coll, const char *path, const char *text)
{
	char hash[80];
	store_put_result r;
	store_chunk_in ch = { .text = text, .len = strlen(text), .end_byte = strlen(text),
			      .page_start = 3, .page_end = 4, .heading = "Part > Section" };
	static unsigned serial;
	snprintf(hash, sizeof hash, "%s#%u", path, ++serial);
	store_doc_in in = { .path = path, .hash = hash, .title = "Title", .format = "text",
			    .text_bytes = (int64_t)strlen(text), .npages = 4, .chunks = &ch,
			    .nchunks = 1 };
	assert_int_equal(store_doc_put(s, coll, &in, &r), 0);
	free(r.duplicate_of);
}

#endif
