/*
 * test_dynlib.c - libraries loaded on first use: functions found and
 * stored in the table, and a missing library or function named in a
 * message that says what to install.
 */
#include "tests/testutil.h"

#include <string.h>

#include "core/dynlib.h"
#include "core/error.h"

typedef struct libc_fns {
	size_t (*strlen)(const char *);
	int (*abs)(int);
} libc_fns;

static const dynlib_sym libc_syms[] = {
	DYNLIB_SYM(libc_fns, strlen, strlen),
	DYNLIB_SYM(libc_fns, abs, abs),
};

static void test_dynlib__loads_functions(void **state)
{
	libc_fns f = { 0 };

	assert_int_equal(dynlib_load("libc.so.6", "cannot count", "libc6", libc_syms, 2, &f), 0);
	assert_non_null(f.strlen);
	assert_int_equal(f.strlen("docent"), 6);
	assert_int_equal(f.abs(-3), 3);
}

static void test_dynlib__missing_library(void **state)
{
	libc_fns f = { 0 };
	int rc = dynlib_load("libdocent-no-such-library.so.1", "cannot read PDF files",
			     "libpoppler-glib8", libc_syms, 2, &f);

	assert_int_equal(rc, DOCENT_EUNSUPPORTED);
	assert_non_null(strstr(docent_error_message(), "cannot read PDF files: the "
			       "libdocent-no-such-library.so.1 library is missing"));
	assert_non_null(strstr(docent_error_message(), "apt-get install libpoppler-glib8"));
	assert_null(f.strlen);
}

static void test_dynlib__missing_function(void **state)
{
	static const dynlib_sym syms[] = {
		DYNLIB_SYM(libc_fns, strlen, strlen),
		DYNLIB_SYM(libc_fns, abs, docent_no_such_function),
	};
	libc_fns f = { 0 };

	assert_int_equal(dynlib_load("libc.so.6", "cannot count", "libc6", syms, 2, &f),
			 DOCENT_EUNSUPPORTED);
	assert_non_null(strstr(docent_error_message(), "libc.so.6 has no docent_no_such_function"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dynlib__loads_functions),
		cmocka_unit_test(test_dynlib__missing_library),
		cmocka_unit_test(test_dynlib__missing_function),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
