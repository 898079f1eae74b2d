/*
 * web/api_library.c - the library endpoints of the JSON API: health,
 * collections, documents (list, upload, remove, text around a span) and
 * upload jobs. Thin: each parses the request, calls the store or the
 * ingest pipeline, and writes the contract's JSON (docs/api.md).
 */
#include "web/web_int.h"
#include "core/error.h"

#include <stdlib.h>
#include <string.h>

void api_health(web_request *r)
{
	web_reply_json(r, 200, json_pack("{s:s, s:s}", "status", "ok", "version",
					 web_server_settings(r->server)->version));
}
