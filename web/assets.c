/*
 * web/assets.c - looks up the page's files in the table that the build
 * generates from web/ui (build/gen/web_assets.c).
 */
#include "web/assets.h"

#include <string.h>

extern const web_asset web_asset_table[];

const web_asset *web_asset_find(const char *path)
{
	if (!path || strcmp(path, "/") == 0)
		path = "/index.html";
	for (const web_asset *a = web_asset_table; a->path; a++)
		if (strcmp(a->path, path) == 0)
			return a;
	return NULL;
}
