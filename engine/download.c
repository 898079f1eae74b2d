/*
 * download.c - resumable, checked, atomic downloads with libcurl (see
 * download.h). DEST.part holds the bytes so far and DEST.part.url the URL
 * they came from, so a partial file is only ever resumed from its own URL.
 * Responses are judged here rather than by libcurl's resume logic: a 200
 * to a range request (a server without ranges) restarts the file in place,
 * a 416 (nothing past the end) is complete only when the sizes agree.
 */
#include "engine/download.h"
#include "core/error.h"
#include "core/hash.h"
#include "engine/curl_lib.h"
#include "engine/model_info.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct transfer {
	FILE *f;
	uint64_t start;        /* bytes present before this request; 0 after a restart */
	uint64_t written;      /* bytes written by this request */
	long status;           /* the last response's HTTP status */
	int64_t length;        /* its Content-Length, or -1 */
	int64_t range_from;    /* the first byte of its Content-Range, or -1 */
	int64_t total;         /* the whole file's size (Content-Range), or -1 */
	int started;           /* the first byte of the body has been judged */
	int discard;           /* the body is an error page, not the file */
	int bad_range;         /* a 206 that does not start where asked */
	int restarted;         /* a 200 answered the range request */
	int write_error;       /* errno of a failed write */
	download_progress_fn fn;
	void *ctx;
	int cancelled;
} transfer;

static int64_t parse_u64(const char *s, const char *e)
{
	uint64_t v = 0;
	int any = 0;

	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	for (; s < e && *s >= '0' && *s <= '9'; s++, any = 1) {
		if (v > (UINT64_MAX >> 1) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	return any ? (int64_t)v : -1;
}

/* Reads the status line, Content-Length and Content-Range of each response
 * (a redirect's too: each status line starts afresh). */
static size_t on_header(char *p, size_t size, size_t n, void *user)
{
	transfer *t = user;
	size_t len = size * n;
	const char *e = p + len;

	if (len > 5 && memcmp(p, "HTTP/", 5) == 0) {
		const char *sp = memchr(p, ' ', len);
		t->status = sp ? (long)parse_u64(sp + 1, e) : 0;
		t->length = t->range_from = t->total = -1;
	} else if (len > 15 && strncasecmp(p, "content-length:", 15) == 0) {
		t->length = parse_u64(p + 15, e);
	} else if (len > 14 && strncasecmp(p, "content-range:", 14) == 0) {
		/* "bytes FROM-TO/TOTAL" or "bytes * /TOTAL" (without the space) */
		const char *v = p + 14, *slash = memchr(p, '/', len);
		while (v < e && (*v == ' ' || *v == '\t'))
			v++;
		if (e - v > 6 && strncasecmp(v, "bytes ", 6) == 0)
			t->range_from = parse_u64(v + 6, e);
		if (slash)
			t->total = parse_u64(slash + 1, e);
	}
	return len;
}

/* Judges the response at its first body byte: a 206 must start where the
 * file stops; a 200 is the whole file, so what was there goes; anything
 * else is an error page, not written. */
static int start_body(transfer *t)
{
	t->started = 1;
	if (t->status == 206) {
		if (t->range_from < 0 || (uint64_t)t->range_from != t->start) {
			t->bad_range = 1;
			return -1;
		}
	} else if (t->status == 200) {
		if (t->start) {
			if (fflush(t->f) != 0 || ftruncate(fileno(t->f), 0) != 0 ||
			    fseeko(t->f, 0, SEEK_SET) != 0) {
				t->write_error = errno ? errno : EIO;
				return -1;
			}
			t->start = 0;
			t->restarted = 1;
		}
		t->total = t->length;
	} else {
		t->discard = 1;
	}
	return 0;
}

static size_t on_data(char *p, size_t size, size_t n, void *user)
{
	transfer *t = user;
	size_t len = size * n;

	if (!t->started && start_body(t) != 0)
		return 0; /* makes curl stop */
	if (t->discard)
		return len;
	if (fwrite(p, 1, len, t->f) != len) {
		t->write_error = errno ? errno : EIO;
		return 0; /* makes curl stop with a write error */
	}
	t->written += len;
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

/* Is s 64 hex digits? */
static int sha256_valid(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
		      (s[i] >= 'A' && s[i] <= 'F')))
			return 0;
	return i == HASH_HEX_LEN;
}

int download_sha256_check(const char *sha256)
{
	if (!sha256 || !sha256[0] || sha256_valid(sha256))
		return 0;
	return docent_error_set(DOCENT_EINVAL, "the SHA-256 \"%.80s\" is not 64 hexadecimal "
				"digits", sha256);
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

/* Removes the partial download and its URL note. */
static void drop_part(const char *part, const char *note)
{
	unlink(part);
	unlink(note);
}

/* Does the note say the partial file came from url? */
static int part_is_from(const char *note, const char *url)
{
	char buf[8200];
	FILE *f = fopen(note, "rb");
	size_t n;

	if (!f)
		return 0;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strcmp(buf, url) == 0;
}

static int write_note(const char *note, const char *url)
{
	FILE *f = fopen(note, "wb");
	int ok;

	if (!f)
		return docent_error_set(docent_error_from_errno(errno), "cannot write %s: %s", note,
					strerror(errno));
	ok = fputs(url, f) >= 0;
	ok = (fclose(f) == 0) && ok;
	if (!ok) {
		unlink(note);
		return docent_error_set(DOCENT_EIO, "cannot write %s", note);
	}
	return 0;
}

/* The outcome of one request. */
enum { GOT_FILE, GOT_RESTART, GOT_ERROR };

/* One request for url from byte t->start of part. Returns GOT_FILE (part
 * holds the whole file as far as the server says), GOT_RESTART (part was
 * deleted: ask again from 0) or GOT_ERROR with rc set. */
static int fetch(const char *url, const char *part, const char *note, transfer *t,
		 uint64_t *resumed_from, int *rc)
{
	char err[CURL_ERROR_SIZE] = "", range[32];
	CURL *c;
	CURLcode cc;

	*rc = 0;
	t->f = fopen(part, t->start ? "r+b" : "wb");
	if (t->f && t->start && fseeko(t->f, (off_t)t->start, SEEK_SET) != 0) {
		fclose(t->f);
		t->f = NULL;
	}
	if (!t->f) {
		*rc = docent_error_set(docent_error_from_errno(errno), "cannot write %s: %s", part,
				       strerror(errno));
		return GOT_ERROR;
	}
	if (!(c = curl_fn.easy_init())) {
		fclose(t->f);
		*rc = docent_error_set(DOCENT_ENOMEM, "cannot start a download");
		return GOT_ERROR;
	}
	curl_fn.easy_setopt(c, CURLOPT_URL, url);
	curl_fn.easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_fn.easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_fn.easy_setopt(c, CURLOPT_HEADERDATA, t);
	curl_fn.easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_fn.easy_setopt(c, CURLOPT_WRITEDATA, t);
	curl_fn.easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_fn.easy_setopt(c, CURLOPT_XFERINFODATA, t);
	curl_fn.easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_fn.easy_setopt(c, CURLOPT_ERRORBUFFER, err);
	curl_fn.easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	/* give up on a stalled transfer: under 1 kB/s for a minute */
	curl_fn.easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	curl_fn.easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_fn.easy_setopt(c, CURLOPT_USERAGENT, "docent/0.1");
	if (t->start) {
		/* a plain Range header, not CURLOPT_RESUME_FROM: libcurl fails a
		 * resumed transfer that gets a 200, and a 200 is fine here */
		snprintf(range, sizeof range, "%llu-", (unsigned long long)t->start);
		curl_fn.easy_setopt(c, CURLOPT_RANGE, range);
	}
	cc = curl_fn.easy_perform(c);
	curl_fn.easy_cleanup(c);
	if (cc == CURLE_OK && !t->started && (t->status == 200 || t->status == 206))
		start_body(t); /* an empty body is judged all the same */
	if (fclose(t->f) != 0 && !t->write_error && cc == CURLE_OK)
		t->write_error = errno ? errno : EIO;
	t->f = NULL;
	if (resumed_from)
		*resumed_from = t->start;

	if (t->cancelled) {
		*rc = docent_error_set(DOCENT_ECANCELLED, "stopped; run the same command again "
				       "to resume from %s", part);
	} else if (t->write_error) {
		*rc = docent_error_set(docent_error_from_errno(t->write_error),
				       "cannot write %s: %s", part, strerror(t->write_error));
	} else if (t->bad_range) {
		/* the server sent other bytes than asked for: nothing there can
		 * be trusted */
		drop_part(part, note);
		return GOT_RESTART;
	} else if (cc != CURLE_OK) {
		*rc = docent_error_set(DOCENT_EIO, "downloading %s failed (%s); run the same "
				       "command again to resume", url, err[0] ? err :
				       curl_fn.easy_strerror(cc));
	} else if (t->status == 416) {
		/* nothing past byte `start`: complete only when the server's size
		 * is exactly what is there; larger is another file's bytes */
		if (t->total >= 0 && (uint64_t)t->total == t->start)
			return GOT_FILE;
		drop_part(part, note);
		return GOT_RESTART;
	} else if (t->status == 404 || t->status == 410) {
		drop_part(part, note);
		*rc = docent_error_set(DOCENT_ENOTFOUND, "%s: not found (HTTP %ld); check the "
				       "model name or URL", url, t->status);
		return GOT_ERROR;
	} else if (t->status != 200 && t->status != 206) {
		*rc = docent_error_set(DOCENT_EIO, "downloading %s failed (HTTP %ld); run the "
				       "same command again to resume", url, t->status);
	} else {
		return GOT_FILE;
	}
	/* a failure: keep a partial file to resume, but not an empty one */
	struct stat st;
	if (stat(part, &st) == 0 && st.st_size == 0)
		drop_part(part, note);
	return GOT_ERROR;
}

/* fsyncs a file. */
static void sync_file(const char *path)
{
	int fd = open(path, O_RDONLY);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

int download_file(const char *url, const char *dest, const char *sha256,
		  download_progress_fn fn, void *ctx, uint64_t *resumed_from)
{
	char part[4200], note[4210], got[HASH_HEX_LEN + 1];
	transfer t;
	struct stat st;
	uint64_t size;
	int rc = 0, outcome = GOT_RESTART;

	if (resumed_from)
		*resumed_from = 0;
	if ((rc = download_sha256_check(sha256)) != 0)
		return rc;
	if (stat(dest, &st) == 0)
		return docent_error_set(DOCENT_EEXIST, "%s is already there; delete it to "
					"download it again", dest);
	if (snprintf(part, sizeof part, "%s.part", dest) >= (int)sizeof part ||
	    snprintf(note, sizeof note, "%s.part.url", dest) >= (int)sizeof note)
		return docent_error_set(DOCENT_EINVAL, "path too long: %s", dest);
	if (strlen(url) >= 8192)
		return docent_error_set(DOCENT_EINVAL, "URL too long: %.80s...", url);
	if ((rc = curl_lib_load()) != 0)
		return rc;
	/* two attempts: the second starts from nothing, after a partial file
	 * that the server showed to be wrong */
	for (int attempt = 0; attempt < 2 && outcome == GOT_RESTART; attempt++) {
		memset(&t, 0, sizeof t);
		t.fn = fn;
		t.ctx = ctx;
		t.length = t.range_from = t.total = -1;
		if (stat(part, &st) == 0) {
			if (part_is_from(note, url))
				t.start = (uint64_t)st.st_size;
			else
				drop_part(part, note); /* another URL's bytes */
		}
		if (!t.start && (rc = write_note(note, url)) != 0)
			return rc;
		outcome = fetch(url, part, note, &t, resumed_from, &rc);
	}
	if (outcome == GOT_ERROR)
		return rc;
	if (outcome == GOT_RESTART) {
		drop_part(part, note);
		return docent_error_set(DOCENT_EIO, "downloading %s failed: the server's byte "
					"ranges do not match its file; try again", url);
	}
	if (stat(part, &st) != 0)
		return docent_error_set(docent_error_from_errno(errno), "cannot read %s: %s", part,
					strerror(errno));
	size = (uint64_t)st.st_size;
	if (t.total >= 0 && size != (uint64_t)t.total) {
		drop_part(part, note);
		return docent_error_set(DOCENT_EFORMAT, "%s: got %llu bytes, the server said %lld; "
					"the download was deleted, try again", url,
					(unsigned long long)size, (long long)t.total);
	}
	if (sha256 && sha256[0]) {
		if ((rc = hash_file(part, got)) != 0)
			return rc;
		if (strcasecmp(got, sha256) != 0) {
			drop_part(part, note);
			return docent_error_set(DOCENT_EFORMAT, "%s does not match its checksum "
						"(SHA-256 %s, expected %s); the download was deleted, "
						"try again", url, got, sha256);
		}
	}
	if ((rc = model_info_check(part)) != 0) {
		drop_part(part, note);
		return docent_error_wrap(rc, "%s is not a usable model; the download was deleted",
					 url);
	}
	sync_file(part);
	if (rename(part, dest) != 0)
		return docent_error_set(docent_error_from_errno(errno), "cannot rename %s: %s",
					part, strerror(errno));
	unlink(note);
	sync_dir(dest);
	return 0;
}
