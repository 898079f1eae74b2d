/*
 * jsontext.c - JSON strings from bytes that may not be UTF-8 (jsontext.h):
 * invalid bytes become U+FFFD for reading, and paths keep their exact bytes
 * in base64 beside.
 */
#include "core/jsontext.h"

#include "core/buf.h"
#include "core/text.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Appends s (n bytes, not valid UTF-8) to b with each invalid byte as
 * U+FFFD. */
static int put_fixed(dbuf *b, const char *s, size_t n)
{
	size_t pos = 0;

	while (pos < n) {
		size_t at = pos;
		unsigned cp = text_utf8_next(s, n, &pos);
		int bad = cp == 0xFFFD && pos - at == 1; /* one invalid byte */
		if (bad ? dbuf_puts(b, "\xEF\xBF\xBD") : dbuf_append(b, s + at, pos - at))
			return -1;
	}
	return 0;
}

json_t *jsontext_new(const char *s)
{
	size_t n;
	dbuf b = DBUF_INIT;
	json_t *v;

	if (!s)
		return json_null();
	n = strlen(s);
	if (text_utf8_valid(s, n))
		return json_stringn(s, n);
	if (put_fixed(&b, s, n) != 0) {
		dbuf_free(&b);
		return NULL;
	}
	v = json_stringn(b.data ? b.data : "", b.len);
	dbuf_free(&b);
	return v;
}

/* Appends s (valid UTF-8) quoted and escaped as JSON wants. */
static int put_escaped(dbuf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t run = 0;

	if (dbuf_reserve(b, n + 2) != 0 || dbuf_putc(b, '"') != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[7];
		size_t len = 2;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		esc[0] = '\\';
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\n': esc[1] = 'n'; break;
		case '\t': esc[1] = 't'; break;
		case '\r': esc[1] = 'r'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			len = 6;
		}
		if (dbuf_append(b, s + run, i - run) != 0 || dbuf_append(b, esc, len) != 0)
			return -1;
		run = i + 1;
	}
	if (dbuf_append(b, s + run, n - run) != 0 || dbuf_putc(b, '"') != 0)
		return -1;
	return 0;
}

int jsontext_append(dbuf *b, const char *s)
{
	size_t n;
	dbuf fixed = DBUF_INIT;
	int rc;

	if (!s)
		return dbuf_puts(b, "null") ? -1 : 0;
	n = strlen(s);
	if (text_utf8_valid(s, n))
		return put_escaped(b, s, n);
	rc = put_fixed(&fixed, s, n) != 0 ? -1 : put_escaped(b, fixed.data ? fixed.data : "", fixed.len);
	dbuf_free(&fixed);
	return rc;
}

/* path's bytes in base64, or NULL when out of memory; caller frees. */
static char *base64(const char *path, size_t n)
{
	unsigned char *b64 = malloc(4 * ((n + 2) / 3) + 1);

	if (b64)
		EVP_EncodeBlock(b64, (const unsigned char *)path, (int)n);
	return (char *)b64;
}

int jsontext_append_path(dbuf *b, const char *key, const char *path)
{
	size_t n = path ? strlen(path) : 0;
	char *b64;
	int rc;

	if (dbuf_putc(b, '"') != 0 || dbuf_puts(b, key) != 0 || dbuf_puts(b, "\":") != 0 ||
	    jsontext_append(b, path ? path : "") != 0)
		return -1;
	if (text_utf8_valid(path ? path : "", n))
		return 0;
	if (!(b64 = base64(path, n)))
		return -1;
	rc = dbuf_printf(b, ",\"%s_bytes\":\"%s\"", key, b64) != 0 ? -1 : 0;
	free(b64);
	return rc;
}

int jsontext_set_path(json_t *o, const char *key, const char *path)
{
	size_t n = path ? strlen(path) : 0;
	char name[64], *b64;
	int rc;

	if (!o || json_object_set_new(o, key, jsontext_new(path ? path : "")) != 0)
		return -1;
	if (text_utf8_valid(path ? path : "", n))
		return 0;
	snprintf(name, sizeof name, "%s_bytes", key);
	if (!(b64 = base64(path, n)))
		return -1;
	rc = json_object_set_new(o, name, json_string(b64));
	free(b64);
	return rc ? -1 : 0;
}
