/*
 * download.h - fetching a model file: resumable, checked, atomic.
 *
 * The file is written to DEST.part, and its URL to DEST.part.url; a later
 * call for the same URL resumes it with an HTTP Range request (a server
 * that ignores ranges makes it start over), while a partial file from
 * another URL, or one larger than the remote file, is discarded. When the
 * transfer is complete, its size is checked against the server's, the
 * SHA-256 when one is given, and the GGUF header (model_info_check()); a
 * file that fails is deleted. Then it is flushed to disk and renamed to
 * DEST, so DEST is either absent or whole. Progress goes to a callback;
 * the library prints nothing.
 */
#ifndef DOCENT_ENGINE_DOWNLOAD_H
#define DOCENT_ENGINE_DOWNLOAD_H

#include <stdint.h>

/* done and total bytes (total 0 when the server does not say); return
 * non-zero to stop (the .part file stays for a later resume). */
typedef int (*download_progress_fn)(void *ctx, uint64_t done, uint64_t total);

/* 0 when sha256 is NULL, "" or 64 hex digits; DOCENT_EINVAL otherwise,
 * with a message. */
int download_sha256_check(const char *sha256);

/*
 * Downloads url to dest. sha256 (64 hex digits) may be NULL or "". Returns
 * 0; DOCENT_EINVAL (a malformed sha256, before any request); DOCENT_EEXIST
 * when dest already exists; DOCENT_ENOTFOUND (HTTP 404: the .part file is
 * deleted); DOCENT_EIO (network, other HTTP errors; a non-empty .part file
 * is kept to resume); DOCENT_EFORMAT (size or checksum mismatch, not a
 * whole GGUF file: the download is deleted); DOCENT_ECANCELLED;
 * DOCENT_ENOSPC. *resumed_from (may be NULL) receives the bytes that were
 * already there.
 */
int download_file(const char *url, const char *dest, const char *sha256,
		  download_progress_fn fn, void *ctx, uint64_t *resumed_from);

#endif
