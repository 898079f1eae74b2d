/*
 * replay.c - the fuzz targets as unit tests: a main that feeds every file
 * of fuzz/corpus/NAME (the seeds) and fuzz/regressions/NAME (inputs that
 * once crashed or broke a check) to the target's LLVMFuzzerTestOneInput.
 * Built with the normal compiler, no libFuzzer, so `make test` replays
 * them in the normal and the ASan + UBSan builds without clang.
 * FUZZ_NAME and DOCENT_SRC_DIR come from the Makefile.
 */
#include "fuzz/fuzz.h"

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

/* Reads the whole file into an allocation of exactly its size (so that an
 * over-read is caught by ASan as it would be under libFuzzer). */
static uint8_t *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = NULL;
	long size;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (data = malloc(size ? (size_t)size : 1)) != NULL) {
		*n = (size_t)size;
		if (fread(data, 1, *n, f) != *n) {
			free(data);
			data = NULL;
		}
	}
	fclose(f);
	return data;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replays every file of DOCENT_SRC_DIR/fuzz/KIND/FUZZ_NAME, in name order;
 * returns how many (-1 when the folder is missing). */
static int replay(const char *kind)
{
	char dir[4096], path[8192];
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	DIR *d;

	snprintf(dir, sizeof dir, "%s/fuzz/%s/%s", DOCENT_SRC_DIR, kind, FUZZ_NAME);
	if (!(d = opendir(dir)))
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			names = realloc(names, cap * sizeof *names);
			assert_non_null(names);
		}
		names[n] = strdup(e->d_name);
		assert_non_null(names[n++]);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof *names, cmp_names);
	for (size_t i = 0; i < n; i++) {
		size_t size = 0;
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		uint8_t *data = slurp(path, &size);
		if (!data)
			fail_msg("cannot read %s", path);
		LLVMFuzzerTestOneInput(data, size);
		free(data);
		free(names[i]);
	}
	free(names);
	return (int)n;
}

static void test_fuzz_replay__corpus(void **state)
{
	(void)state;
	/* every target has seeds: a missing folder is a mistake */
	assert_true(replay("corpus") > 0);
}

static void test_fuzz_replay__regressions(void **state)
{
	(void)state;
	replay("regressions"); /* none yet is fine */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fuzz_replay__corpus),
		cmocka_unit_test(test_fuzz_replay__regressions),
	};
	return cmocka_run_group_tests_name("fuzz_" FUZZ_NAME, tests, NULL, NULL);
}
