/*
 * download.h - fetching a model file: resumable, checked, atomic.
 *
 * The file is written to DEST.part; a later call resumes it with an HTTP
 * Range request (a server that ignores ranges makes it start over). When
 * the transfer is complete the SHA-256 is checked (when one is given), the
 * file is flushed to disk and renamed to DEST, so DEST is either absent or
 * whole. Progress goes to a callback; the library prints nothing.
 */
#ifndef DOCENT_ENGINE_DOWNLOAD_H
#define DOCENT_ENGINE_DOWNLOAD_H

#include <stdint.h>

/* done and total bytes (total 0 when the server does not say); return
 * non-zero to stop (the .part file stays for a later resume). */
typedef int (*download_progress_fn)(void *ctx, uint64_t done, uint64_t total);

/*
 * Downloads url to dest. sha256 (64 hex digits) may be NULL or "". Returns
 * 0; DOCENT_EEXIST when dest already exists; DOCENT_ENOTFOUND (HTTP 404);
 * DOCENT_EIO (network, other HTTP errors; the .part file is kept to
 * resume); DOCENT_EFORMAT (checksum mismatch: the download is deleted);
 * DOCENT_ECANCELLED; DOCENT_ENOSPC. *resumed_from (may be NULL) receives
 * the bytes that were already there.
 */
int download_file(const char *url, const char *dest, const char *sha256,
		  download_progress_fn fn, void *ctx, uint64_t *resumed_from);

#endif
