/*
 * jsontext.h - JSON strings that never fail on bytes that are not UTF-8.
 * jansson refuses such bytes, and a refused value used to drop a whole
 * result (a document whose file name is Latin-1, say). Paths keep their
 * exact bytes beside the readable form (the README's "JSON output").
 * Used by every face that writes JSON (the CLI's --json, the web API, MCP).
 * Thread-safe.
 */
#ifndef DOCENT_CORE_JSONTEXT_H
#define DOCENT_CORE_JSONTEXT_H

#include "core/buf.h"

#include <jansson.h>

/* A new JSON string: s itself when valid UTF-8, else with each invalid byte
 * as U+FFFD; NULL gives JSON null. NULL only when out of memory. */
json_t *jsontext_new(const char *s);

/* Sets o[key] to the path as jsontext_new() gives it and, only when the
 * path is not valid UTF-8, o[key + "_bytes"] to its exact bytes in base64.
 * Returns 0, or -1 when out of memory (or o is NULL). */
int jsontext_set_path(json_t *o, const char *key, const char *path);

/* Writers for replies built as text (the web API's search results, where
 * building jansson objects cost more than the rest of the reply): the same
 * values as above, appended to b. Each returns 0, or -1 when out of
 * memory (b then holds part of the value). */

/* Appends s as a JSON string as jsontext_new() makes it; NULL: null. */
int jsontext_append(dbuf *b, const char *s);

/* Appends "key":path and, only when the path is not valid UTF-8,
 * ,"key_bytes":"BASE64", as jsontext_set_path() sets them. */
int jsontext_append_path(dbuf *b, const char *key, const char *path);

#endif
