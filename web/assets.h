/*
 * web/assets.h - the browser page's files (HTML, the bundled script, CSS),
 * built into the binary at build time (scripts/embed_files.py writes the
 * table), so `docent serve` needs no file beside it. Read-only data:
 * thread-safe.
 */
#ifndef DOCENT_WEB_ASSETS_H
#define DOCENT_WEB_ASSETS_H

#include <stddef.h>

typedef struct web_asset {
	const char *path;          /* the URL path, "/index.html" */
	const char *type;          /* its Content-Type */
	const unsigned char *data; /* static; size bytes (plus a NUL) */
	size_t size;
} web_asset;

/* The asset served at URL path `path` ("/" is "/index.html"); NULL when
 * there is none. The result is static. */
const web_asset *web_asset_find(const char *path);

#endif
