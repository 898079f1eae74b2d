/*
 * download.c - resumable, checked, atomic downloads with libcurl (see
 * download.h).
 */
#include "engine/download.h"
#include "core/error.h"
#include "core/hash.h"
#include "engine/curl_lib.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct transfer {
	FILE *f;
	uint64_t start;        /* bytes present before this request */
	int write_error;       /* errno of a failed write */
	download_progress_fn fn;
	void *ctx;
	int cancelled;
} transfer;

static size_t on_data(char *p, size_t size, size_t n, void *user)
{
	transfer *t = user;
	size_t len = size * n;

	if (fwrite(p, 1, len, t->f) != len) {
		t->write_error = errno ? errno : EIO;
		return 0; /* makes curl stop with a write error */
	}
	return len;
}

static int on_progress(void *user, curl_off_t total, curl_off_t now, curl_off_t ut,
		       curl_off_t un)
{
	transfer *t = user;
	(void)ut;
	(void)un;
	if (t->fn && t->fn(t->ctx, t->start + (uint64_t)now,
			   total > 0 ? t->start + (uint64_t)total : 0)) {
		t->cancelled = 1;
		return 1;
	}
	return 0;
}

/* SHA-256 of a file, as hex. */
static int hash_file(const char *path, char out[HASH_HEX_LEN + 1])
{
	FILE *f = fopen(path, "rb");
	hash_ctx *h = NULL;
	char buf[1 << 16];
	size_t n;
	int rc;

	if (!f)
		return docent_error_set(DOCENT_EIO, "cannot read %s: %s", path, strerror(errno));
	if ((rc = hash_new(&h)) != 0) {
		fclose(f);
		return rc;
	}
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		hash_update(h, buf, n);
	rc = ferror(f) ? docent_error_set(DOCENT_EIO, "cannot read %s", path) : 0;
	fclose(f);
	hash_final_hex(h, out);
	hash_free(h);
	return rc;
}

/* fsyncs the folder holding path, so that a rename survives a power cut. */
static void sync_dir(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : 1;
	int fd;

	if (n >= sizeof dir)
		return;
	memcpy(dir, slash ? path : ".", n);
	dir[n] = '\0';
	if (n == 0)
		strcpy(dir, "/");
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

int download_file(const char *url, const char *dest, const char *sha256,
		  download_progress_fn fn, void *ctx, uint64_t *resumed_from)
{
	char part[4200], got[HASH_HEX_LEN + 1], err[CURL_ERROR_SIZE] = "";
	transfer t = { .fn = fn, .ctx = ctx };
	struct stat st;
	long status = 0;
	CURL *c = NULL;
	CURLcode cc;
	int rc = 0;

	if (resumed_from)
		*resumed_from = 0;
	if ((rc = curl_lib_load()) != 0)
		return rc;
	if (stat(dest, &st) == 0)
		return docent_error_set(DOCENT_EEXIST, "%s is already there; delete it to "
					"download it again", dest);
	if (snprintf(part, sizeof part, "%s.part", dest) >= (int)sizeof part)
		return docent_error_set(DOCENT_EINVAL, "path too long: %s", dest);
	if (stat(part, &st) == 0)
		t.start = (uint64_t)st.st_size;
	t.f = fopen(part, t.start ? "ab" : "wb");
	if (!t.f)
		return docent_error_set(docent_error_from_errno(errno), "cannot write %s: %s", part,
					strerror(errno));
	if (!(c = curl_fn.easy_init())) {
		fclose(t.f);
		return docent_error_set(DOCENT_ENOMEM, "cannot start a download");
	}
	curl_fn.easy_setopt(c, CURLOPT_URL, url);
	curl_fn.easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_fn.easy_setopt(c, CURLOPT_FAILONERROR, 1L);
	curl_fn.easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_fn.easy_setopt(c, CURLOPT_WRITEDATA, &t);
	curl_fn.easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_fn.easy_setopt(c, CURLOPT_XFERINFODATA, &t);
	curl_fn.easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_fn.easy_setopt(c, CURLOPT_ERRORBUFFER, err);
	curl_fn.easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	/* give up on a stalled transfer: under 1 kB/s for a minute */
	curl_fn.easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	curl_fn.easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_fn.easy_setopt(c, CURLOPT_USERAGENT, "docent/0.1");
	if (t.start)
		curl_fn.easy_setopt(c, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)t.start);
	cc = curl_fn.easy_perform(c);
	curl_fn.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (cc == CURLE_OK && t.start && status == 200) {
		/* the server ignored the range and sent it all: start over */
		fclose(t.f);
		curl_fn.easy_cleanup(c);
		if (unlink(part) != 0)
			return docent_error_set(DOCENT_EIO, "cannot remove %s", part);
		return download_file(url, dest, sha256, fn, ctx, resumed_from);
	}
	if (resumed_from)
		*resumed_from = t.start;
	if (fclose(t.f) != 0 && cc == CURLE_OK)
		t.write_error = errno;
	curl_fn.easy_cleanup(c);

	if (t.cancelled)
		return docent_error_set(DOCENT_ECANCELLED, "stopped; run the same command again "
					"to resume from %s", part);
	if (t.write_error)
		return docent_error_set(docent_error_from_errno(t.write_error),
					"cannot write %s: %s", part, strerror(t.write_error));
	if (cc == CURLE_HTTP_RETURNED_ERROR && status == 404)
		return docent_error_set(DOCENT_ENOTFOUND, "%s: not found (HTTP 404); check the "
					"model name or URL", url);
	if (cc == CURLE_HTTP_RETURNED_ERROR && status == 416) {
		/* asked for bytes past the end: the .part file is the whole file */
	} else if (cc != CURLE_OK) {
		return docent_error_set(DOCENT_EIO, "downloading %s failed (%s); run the same "
					"command again to resume", url, err[0] ? err :
					curl_fn.easy_strerror(cc));
	}
	if (sha256 && sha256[0]) {
		if ((rc = hash_file(part, got)) != 0)
			return rc;
		if (strcasecmp(got, sha256) != 0) {
			unlink(part);
			return docent_error_set(DOCENT_EFORMAT, "%s does not match its checksum "
						"(SHA-256 %s, expected %s); the download was deleted, "
						"try again", url, got, sha256);
		}
	}
	int fd = open(part, O_RDONLY);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	if (rename(part, dest) != 0)
		return docent_error_set(docent_error_from_errno(errno), "cannot rename %s: %s",
					part, strerror(errno));
	sync_dir(dest);
	return 0;
}
