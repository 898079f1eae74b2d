/*
 * buf.c - the growable byte buffer. Growth doubles the capacity so that a
 * long series of small appends costs amortised O(1) each.
 */
#include "core/buf.h"
#include "core/error.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int dbuf_reserve(dbuf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	if (extra > SIZE_MAX - b->len - 1)
		return DOCENT_ENOMEM;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	p = realloc(b->data, cap);
	if (!p)
		return DOCENT_ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

int dbuf_append(dbuf *b, const void *p, size_t n)
{
	if (dbuf_reserve(b, n))
		return DOCENT_ENOMEM;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int dbuf_puts(dbuf *b, const char *s)
{
	return dbuf_append(b, s, strlen(s));
}

int dbuf_putc(dbuf *b, char c)
{
	return dbuf_append(b, &c, 1);
}

int dbuf_printf(dbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return DOCENT_EINVAL;
	if (dbuf_reserve(b, (size_t)n))
		return DOCENT_ENOMEM;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void dbuf_reset(dbuf *b)
{
	dbuf_truncate(b, 0);
}

void dbuf_truncate(dbuf *b, size_t n)
{
	if (n < b->len)
		b->len = n;
	if (b->data)
		b->data[b->len] = '\0';
}

char *dbuf_detach(dbuf *b, size_t *len)
{
	char *p = b->data;

	if (!p)
		p = calloc(1, 1);
	if (len)
		*len = p ? b->len : 0;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

void dbuf_free(dbuf *b)
{
	if (!b)
		return;
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
