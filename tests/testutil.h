/*
 * testutil.h - what every cmocka test file includes: cmocka itself and a few
 * helpers for fixtures and temporary directories.
 *
 * DOCENT_SRC_DIR is the repository root (set by the Makefile), so tests
 * find tests/fixtures wherever they run from. ../shared/eval, when present,
 * sits beside the repository root; tests that need it skip without it,
 * except under CI (the CI variable set), where they fail: CI must run them.
 */
#ifndef DOCENT_TESTS_TESTUTIL_H
#define DOCENT_TESTS_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef DOCENT_SRC_DIR
#define DOCENT_SRC_DIR "."
#endif

/* Path of a fixture file; returns a static buffer (one at a time). */
static inline const char *fixture(const char *name)
{
	static char path[4096];
	snprintf(path, sizeof path, "%s/tests/fixtures/%s", DOCENT_SRC_DIR, name);
	return path;
}

/* Path under ../shared/eval, or NULL when that folder is absent. */
static inline const char *shared_eval(const char *name)
{
	static char path[4096];
	snprintf(path, sizeof path, "%s/../shared/eval/%s", DOCENT_SRC_DIR, name);
	return access(path, R_OK) == 0 ? path : NULL;
}

/* Call before skip() when ../shared/eval/NAME is absent: under CI that is
 * a failure, not a skip. */
static inline void shared_eval_missing(const char *name)
{
	if (getenv("CI"))
		fail_msg("../shared/eval/%s is not present, and CI is set", name);
	print_message("skipped: ../shared/eval/%s is not present\n", name);
}

/* Reads a whole file into memory (caller frees); fails the test if it cannot. */
static inline char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return buf;
}

/* Makes a fresh temporary directory; returns a static buffer. */
static inline const char *temp_dir(void)
{
	static char path[256];
	const char *base = getenv("TMPDIR");
	snprintf(path, sizeof path, "%s/docent-test-XXXXXX", base ? base : "/tmp");
	assert_non_null(mkdtemp(path));
	return path;
}

/* Removes a directory tree (test cleanup). */
static inline void remove_tree(const char *path)
{
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", path);
}

#endif
