/*
 * curl_lib.c - libcurl loaded on first use (see curl_lib.h).
 */
#include "engine/curl_lib.h"
#include "core/dynlib.h"
#include "core/error.h"

#include <pthread.h>
#include <stdio.h>

/* libcurl's file name (its SONAME): 4 since 2006. */
#define CURL_SONAME "libcurl.so.4"

curl_lib curl_fn;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[300]; /* empty once loaded */

static void load(void)
{
#define FN(field) DYNLIB_SYM(curl_lib, field, curl_##field)
	static const dynlib_sym fn[] = {
		FN(global_init), FN(easy_init), FN(easy_setopt), FN(easy_getinfo),
		FN(easy_perform), FN(easy_cleanup), FN(easy_strerror), FN(multi_init),
		FN(multi_add_handle), FN(multi_perform), FN(multi_poll), FN(multi_info_read),
		FN(multi_remove_handle), FN(multi_cleanup), FN(slist_append),
		FN(slist_free_all),
	};
#undef FN
	CURLcode cc;

	if (dynlib_load(CURL_SONAME, "cannot talk to servers", "libcurl4", fn,
			sizeof fn / sizeof *fn, &curl_fn) != 0)
		snprintf(load_error, sizeof load_error, "%s", docent_error_message());
	else if ((cc = curl_fn.global_init(CURL_GLOBAL_DEFAULT)) != CURLE_OK)
		snprintf(load_error, sizeof load_error,
			 "libcurl could not start: %s; check that it works (curl --version)",
			 curl_fn.easy_strerror(cc));
}

int curl_lib_load(void)
{
	pthread_once(&once, load);
	return load_error[0] ? docent_error_set(DOCENT_EIO, "%s", load_error) : 0;
}
