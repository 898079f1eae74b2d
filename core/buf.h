/*
 * buf.h - dbuf, a growable byte buffer (the string builder used everywhere).
 *
 * A zero-initialised dbuf is empty and valid. After any successful append,
 * data is NUL-terminated (the NUL is not counted in len), so it can be used
 * as a C string when the content has no NUL bytes. Appends return 0 or
 * DOCENT_ENOMEM and leave the buffer unchanged on failure. Not thread-safe;
 * the owner frees with dbuf_free().
 */
#ifndef DOCENT_CORE_BUF_H
#define DOCENT_CORE_BUF_H

#include <stddef.h>

typedef struct dbuf {
	char *data;
	size_t len;
	size_t cap;
} dbuf;

#define DBUF_INIT {NULL, 0, 0}

/* Makes room for `extra` more bytes (plus the NUL) without changing len. */
int dbuf_reserve(dbuf *b, size_t extra);
int dbuf_append(dbuf *b, const void *p, size_t n);
int dbuf_puts(dbuf *b, const char *s);
int dbuf_putc(dbuf *b, char c);
int dbuf_printf(dbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Empties the buffer, keeping its memory. */
void dbuf_reset(dbuf *b);

/* Shortens the buffer to n bytes (n <= len). */
void dbuf_truncate(dbuf *b, size_t n);

/*
 * Hands the bytes to the caller (who frees them with free()) and leaves the
 * buffer empty. Returns an allocated "" for an empty buffer; NULL only when
 * out of memory. `len` may be NULL.
 */
char *dbuf_detach(dbuf *b, size_t *len);

void dbuf_free(dbuf *b);

#endif
