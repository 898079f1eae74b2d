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

json_t *jsontext_new(const char *s)
{
	size_t n, pos = 0;
	dbuf b = DBUF_INIT;
	json_t *v;

	if (!s)
		return json_null();
	n = strlen(s);
	if (text_utf8_valid(s, n))
		return json_stringn(s, n);
	while (pos < n) {
		size_t at = pos;
		unsigned cp = text_utf8_next(s, n, &pos);
		int bad = cp == 0xFFFD && pos - at == 1; /* one invalid byte */
		if (bad ? dbuf_puts(&b, "\xEF\xBF\xBD") : dbuf_append(&b, s + at, pos - at)) {
			dbuf_free(&b);
			return NULL;
		}
	}
	v = json_stringn(b.data ? b.data : "", b.len);
	dbuf_free(&b);
	return v;
}

int jsontext_set_path(json_t *o, const char *key, const char *path)
{
	size_t n = path ? strlen(path) : 0;
	char name[64];
	unsigned char *b64;
	int rc;

	if (!o || json_object_set_new(o, key, jsontext_new(path ? path : "")) != 0)
		return -1;
	if (text_utf8_valid(path ? path : "", n))
		return 0;
	snprintf(name, sizeof name, "%s_bytes", key);
	if (!(b64 = malloc(4 * ((n + 2) / 3) + 1)))
		return -1;
	EVP_EncodeBlock(b64, (const unsigned char *)path, (int)n);
	rc = json_object_set_new(o, name, json_string((const char *)b64));
	free(b64);
	return rc ? -1 : 0;
}
