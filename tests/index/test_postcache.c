/*
 * test_postcache.c - the posting cache on its own: postings read back as
 * they were put, lookups, replacement,
 * the budget (what does not fit is refused; trimming drops the least used
 * first, and uses fade), and clearing.
 */
#include "tests/testutil.h"

#include "index/postcache.h"

/* Keeps n postings under key: rowids 1, 4, 7, ... with frequencies
 * cycling through 1, 200 and 40000 (varints of one, two and three bytes). */
static post_entry *put(post_cache *c, const char *key, size_t n)
{
	int64_t *rowid = malloc((n ? n : 1) * sizeof *rowid);
	uint16_t *tf = malloc((n ? n : 1) * sizeof *tf);
	post_entry *e;

	assert_true(rowid && tf);
	for (size_t i = 0; i < n; i++) {
		rowid[i] = (int64_t)(i * 3 + 1);
		tf[i] = (uint16_t[]){ 1, 200, 40000 }[i % 3];
	}
	assert_int_equal(post_cache_put(c, key, rowid, tf, n, &e), 0);
	assert_non_null(e);
	free(rowid);
	free(tf);
	return e;
}

/* What an entry holds, read back. */
static void test_postcache__round_trip(void **state)
{
	post_cache c = { .max_bytes = 1 << 20 };
	int64_t rowid[] = { 1, 2, 130, 20000, 5000000000LL };
	uint16_t tf[] = { 1, 127, 128, 65535, 4096 };
	post_entry *e;

	(void)state;
	assert_int_equal(post_cache_put(&c, "tx", rowid, tf, 5, &e), 0);
	assert_int_equal(e->n, 5);
	assert_int_equal(e->last, 5000000000LL);
	const unsigned char *p = e->data;
	int64_t r = 0;
	for (int i = 0; i < 5; i++) {
		uint16_t t;
		p = post_next(p, &r, &t);
		assert_int_equal(r, rowid[i]);
		assert_int_equal(t, tf[i]);
	}
	assert_ptr_equal(p, e->data + e->len);
	e = put(&c, "ty", 3000);
	p = e->data;
	r = 0;
	for (int i = 0; i < 3000; i++) {
		uint16_t t;
		p = post_next(p, &r, &t);
		assert_int_equal(r, i * 3 + 1);
	}
	/* a gap of 3 and a frequency of 1, 2 or 3 bytes: 3 bytes on average */
	assert_int_equal(e->len, 3000 * 3);
	post_cache_clear(&c);
}

static void test_postcache__get_put_replace(void **state)
{
	post_cache c = { .max_bytes = 1 << 20 };
	post_entry *e;

	(void)state;
	assert_null(post_cache_get(&c, "tflow"));
	e = put(&c, "tflow", 100);
	assert_ptr_equal(post_cache_get(&c, "tflow"), e);
	assert_null(post_cache_get(&c, "cflow")); /* another key */
	size_t bytes = c.bytes;
	e = put(&c, "tflow", 10); /* replaces */
	assert_int_equal(c.count, 1);
	assert_true(c.bytes < bytes);
	assert_int_equal(post_cache_get(&c, "tflow")->n, 10);
	/* many keys: the table grows and finds them all */
	char key[32];
	for (int i = 0; i < 1000; i++) {
		snprintf(key, sizeof key, "tw%d", i);
		put(&c, key, 1);
	}
	for (int i = 0; i < 1000; i++) {
		snprintf(key, sizeof key, "tw%d", i);
		assert_non_null(post_cache_get(&c, key));
	}
	post_cache_clear(&c);
	assert_int_equal(c.count, 0);
	assert_int_equal(c.bytes, 0);
	assert_null(post_cache_get(&c, "tw1"));
}

static void test_postcache__budget(void **state)
{
	post_cache c = { .max_bytes = 4000 };
	post_entry *e;

	(void)state;
	/* alone over the budget: refused */
	int64_t big[3000];
	uint16_t ones[3000];
	for (int i = 0; i < 3000; i++) {
		big[i] = i + 1;
		ones[i] = 1;
	}
	assert_int_equal(post_cache_put(&c, "thuge", big, ones, 3000, &e), 1);
	assert_null(e);
	assert_int_equal(c.count, 0);
	/* three of 200 postings (600 bytes and some) fit two at a time */
	c.max_bytes = 1600;
	put(&c, "ta", 200);
	put(&c, "tb", 200);
	put(&c, "tc", 200);
	assert_true(c.bytes > c.max_bytes); /* put never drops */
	for (int i = 0; i < 5; i++) {
		post_cache_get(&c, "ta");
		post_cache_get(&c, "tc");
	}
	post_cache_trim(&c);
	assert_true(c.bytes <= c.max_bytes);
	assert_non_null(post_cache_get(&c, "ta"));
	assert_non_null(post_cache_get(&c, "tc"));
	assert_null(post_cache_get(&c, "tb")); /* the least used went */
	/* uses fade: after many lookups of others, a new favourite stays */
	post_cache_clear(&c);
	put(&c, "told", 200);
	for (int i = 0; i < 100; i++)
		post_cache_get(&c, "told");
	for (int i = 0; i < 5 * 4096; i++) /* halved five times: 101 -> 3 */
		post_cache_get(&c, "tmissing");
	put(&c, "tnew", 200);
	put(&c, "tnewer", 200);
	for (int i = 0; i < 10; i++) {
		post_cache_get(&c, "tnew");
		post_cache_get(&c, "tnewer");
	}
	post_cache_trim(&c);
	assert_null(post_cache_get(&c, "told"));
	assert_non_null(post_cache_get(&c, "tnew"));
	post_cache_clear(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_postcache__round_trip),
		cmocka_unit_test(test_postcache__get_put_replace),
		cmocka_unit_test(test_postcache__budget),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
