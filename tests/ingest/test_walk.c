/*
 * test_walk.c - file discovery: recursion order, hidden files, excludes,
 * symbolic links that leave the root, size limits, odd names.
 */
#include "tests/testutil.h"

#include "core/error.h"
#include "ingest/walk.h"

#include <fcntl.h>
#include <sys/stat.h>

typedef struct seen {
	char lines[64][512];
	size_t n;
} seen;

static int record(void *ctx, const walk_entry *e)
{
	seen *s = ctx;
	const char *rel = strstr(e->path, "/w/");
	if (s->n < 64)
		snprintf(s->lines[s->n++], sizeof s->lines[0], "%d %s", (int)e->skip,
			 rel ? rel + 3 : e->path);
	return 0;
}

static int has(const seen *s, const char *line)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->lines[i], line) == 0)
			return 1;
	return 0;
}

static void touch(const char *dir, const char *name, size_t size)
{
	char path[2400];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	for (size_t i = 0; i < size; i++)
		fputc('a', f);
	fclose(f);
}

static char *make_tree(char *base)
{
	char dir[1100], p[1200], outside[1100];

	snprintf(base, 1024, "%s", temp_dir());
	snprintf(dir, sizeof dir, "%s/w", base);
	assert_int_equal(mkdir(dir, 0755), 0);
	touch(dir, "b.txt", 10);
	touch(dir, "a.md", 10);
	touch(dir, ".hidden.txt", 10);
	touch(dir, "big.txt", 5000);
	touch(dir, "name with spaces é.txt", 10);
	touch(dir, "line\nbreak.txt", 10);
	touch(dir, "skip.log", 10);
	snprintf(p, sizeof p, "%s/sub", dir);
	assert_int_equal(mkdir(p, 0755), 0);
	touch(p, "c.txt", 10);
	snprintf(p, sizeof p, "%s/.git", dir);
	assert_int_equal(mkdir(p, 0755), 0);
	touch(p, "config", 10);
	snprintf(p, sizeof p, "%s/build", dir);
	assert_int_equal(mkdir(p, 0755), 0);
	touch(p, "out.txt", 10);
	/* a link inside the root, one leaving it, a broken one, a loop */
	snprintf(outside, sizeof outside, "%s/outside.txt", base);
	touch(base, "outside.txt", 10);
	snprintf(p, sizeof p, "%s/link-out.txt", dir);
	assert_int_equal(symlink(outside, p), 0);
	snprintf(p, sizeof p, "%s/link-in.txt", dir);
	assert_int_equal(symlink("a.md", p), 0);
	snprintf(p, sizeof p, "%s/broken.txt", dir);
	assert_int_equal(symlink("nowhere", p), 0);
	snprintf(p, sizeof p, "%s/sub/loop", dir);
	assert_int_equal(symlink("..", p), 0);
	snprintf(p, sizeof p, "%s/fifo", dir);
	assert_int_equal(mkfifo(p, 0644), 0);
	return base;
}

static void test_walk__tree(void **state)
{
	char base[1024], root[1100];
	const char *excl[] = { "*.log", "build/" };
	walk_params p = walk_default_params();
	seen s = { .n = 0 };

	make_tree(base);
	snprintf(root, sizeof root, "%s/w", base);
	p.max_file_size = 1000;
	p.exclude = excl;
	p.nexclude = 2;
	const char *roots[] = { root };
	assert_int_equal(walk_paths(roots, 1, &p, record, &s), 0);

	assert_true(has(&s, "0 a.md"));
	assert_true(has(&s, "0 b.txt"));
	assert_true(has(&s, "0 sub/c.txt"));
	assert_true(has(&s, "0 name with spaces é.txt"));
	assert_true(has(&s, "0 line\nbreak.txt"));
	assert_true(has(&s, "0 link-in.txt"));
	assert_true(has(&s, "1 .hidden.txt"));
	assert_true(has(&s, "1 .git"));          /* reported once, not entered */
	assert_false(has(&s, "1 .git/config"));
	assert_true(has(&s, "2 skip.log"));
	assert_true(has(&s, "2 build"));
	assert_true(has(&s, "3 link-out.txt"));
	assert_true(has(&s, "4 big.txt"));
	assert_true(has(&s, "5 fifo"));
	assert_true(has(&s, "6 broken.txt"));
	/* sorted order: a.md before b.txt */
	size_t ia = 0, ib = 0;
	for (size_t i = 0; i < s.n; i++) {
		if (strcmp(s.lines[i], "0 a.md") == 0) ia = i;
		if (strcmp(s.lines[i], "0 b.txt") == 0) ib = i;
	}
	assert_true(ia < ib);
	remove_tree(base);
}

static void test_walk__missing_root_and_file_root(void **state)
{
	char base[1024], file[1100];
	walk_params p = walk_default_params();
	seen s = { .n = 0 };

	make_tree(base);
	snprintf(file, sizeof file, "%s/w/a.md", base);
	const char *roots[] = { "/nonexistent/docent/x", file };
	assert_int_equal(walk_paths(roots, 2, &p, record, &s), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.lines[0][0], '6');
	assert_true(has(&s, "0 a.md"));
	remove_tree(base);
}

/* An empty folder (and one holding only an empty folder) visits nothing:
 * under UBSan this once aborted on qsort(NULL, 0). */
static void test_walk__empty_folder(void **state)
{
	char base[1024], sub[1100];
	walk_params p = walk_default_params();
	seen s = { .n = 0 };

	snprintf(base, sizeof base, "%s", temp_dir());
	snprintf(sub, sizeof sub, "%s/empty", base);
	assert_int_equal(mkdir(sub, 0755), 0);
	const char *roots[] = { base, sub };
	assert_int_equal(walk_paths(roots, 2, &p, record, &s), 0);
	assert_int_equal(s.n, 0);
	remove_tree(base);
}

static void test_walk__abspath(void **state)
{
	char *a = walk_abspath("/a/./b/../c//d/");
	assert_string_equal(a, "/a/c/d");
	free(a);
	a = walk_abspath("/../..");
	assert_string_equal(a, "/");
	free(a);
	a = walk_abspath("rel/x");
	assert_true(a[0] == '/');
	assert_non_null(strstr(a, "/rel/x"));
	free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walk__tree),
		cmocka_unit_test(test_walk__missing_root_and_file_root),
		cmocka_unit_test(test_walk__empty_folder),
		cmocka_unit_test(test_walk__abspath),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
