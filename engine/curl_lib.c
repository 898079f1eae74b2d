/*
 * curl_lib.c - libcurl loaded on first use (see curl_lib.h).
 */
#include "engine/curl_lib.h"
#include "core/error.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* libcurl's file name (its SONAME): 4 since 2006. */
#define CURL_SONAME "libcurl.so.4"

curl_lib curl_fn;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[300]; /* empty once loaded */

static void load(void)
{
	static const struct { const char *name; size_t off; } fn[] = {
#define FN(field) { "curl_" #field, offsetof(curl_lib, field) }
		FN(easy_init), FN(easy_setopt), FN(easy_getinfo), FN(easy_perform),
		FN(easy_cleanup), FN(easy_strerror), FN(multi_init), FN(multi_add_handle),
		FN(multi_perform), FN(multi_poll), FN(multi_info_read), FN(multi_remove_handle),
		FN(multi_cleanup), FN(slist_append), FN(slist_free_all),
#undef FN
	};
	void *h = dlopen(CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
	__typeof__(&curl_global_init) global_init;
	CURLcode cc;

	if (!h) {
		snprintf(load_error, sizeof load_error,
			 "cannot talk to servers: the libcurl library is missing (%s); install it "
			 "(Debian: apt-get install libcurl4)", dlerror());
		return;
	}
	for (size_t i = 0; i < sizeof fn / sizeof *fn; i++) {
		void *f = dlsym(h, fn[i].name);
		if (!f) {
			snprintf(load_error, sizeof load_error,
				 "cannot talk to servers: %s has no %s (libcurl older than 7.66?)",
				 CURL_SONAME, fn[i].name);
			return;
		}
		memcpy((char *)&curl_fn + fn[i].off, &f, sizeof f);
	}
	void *gi = dlsym(h, "curl_global_init");
	if (!gi) {
		snprintf(load_error, sizeof load_error, "cannot talk to servers: %s has no "
			 "curl_global_init", CURL_SONAME);
		return;
	}
	memcpy(&global_init, &gi, sizeof gi);
	if ((cc = global_init(CURL_GLOBAL_DEFAULT)) != CURLE_OK)
		snprintf(load_error, sizeof load_error, "libcurl could not start: %s",
			 curl_fn.easy_strerror(cc));
}

int curl_lib_load(void)
{
	pthread_once(&once, load);
	return load_error[0] ? docent_error_set(DOCENT_EIO, "%s", load_error) : 0;
}
