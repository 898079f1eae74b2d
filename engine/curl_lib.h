/*
 * curl_lib.h - libcurl, loaded (dlopen) the first time docent talks to a
 * server, not linked (internal to engine/: http.c, download.c).
 *
 * libcurl brings 28 shared libraries (GnuTLS, Kerberos, LDAP, SSH, ...):
 * linked, they took 6 ms at the start of every command, while most
 * commands never open a connection (core/dynlib.h). The functions docent
 * calls are in `curl_fn`, typed from curl's own header.
 */
#ifndef DOCENT_ENGINE_CURL_LIB_H
#define DOCENT_ENGINE_CURL_LIB_H

#include <curl/curl.h>

typedef struct curl_lib {
	__typeof__(&curl_global_init) global_init;
	__typeof__(&curl_easy_init) easy_init;
	__typeof__(&curl_easy_setopt) easy_setopt;
	__typeof__(&curl_easy_getinfo) easy_getinfo;
	__typeof__(&curl_easy_perform) easy_perform;
	__typeof__(&curl_easy_cleanup) easy_cleanup;
	__typeof__(&curl_easy_strerror) easy_strerror;
	__typeof__(&curl_multi_init) multi_init;
	__typeof__(&curl_multi_add_handle) multi_add_handle;
	__typeof__(&curl_multi_perform) multi_perform;
	__typeof__(&curl_multi_poll) multi_poll;
	__typeof__(&curl_multi_info_read) multi_info_read;
	__typeof__(&curl_multi_remove_handle) multi_remove_handle;
	__typeof__(&curl_multi_cleanup) multi_cleanup;
	__typeof__(&curl_slist_append) slist_append;
	__typeof__(&curl_slist_free_all) slist_free_all;
} curl_lib;

/* Filled by curl_lib_load(); call nothing in it before that succeeds. */
extern curl_lib curl_fn;

/*
 * Loads libcurl and runs curl_global_init, once per process (thread-safe;
 * never unloaded). Returns 0, or DOCENT_EIO with a message saying what to
 * install.
 */
int curl_lib_load(void);

#endif
