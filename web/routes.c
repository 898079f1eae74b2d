/*
 * web/routes.c - the route table: one row per method and path pattern of
 * the JSON API ('*' is one path segment, handed to the handler in
 * r->args). The server answers 404 for a path no row has, 405 (with
 * Allow) for a path some row has with another method. Add an endpoint by
 * declaring its handler here and adding its row.
 */
#include "web/web_int.h"

/* web/api_library.c */
void api_health(web_request *r);

const web_route web_routes[] = {
	{ "GET", "/api/health", api_health, WEB_BODY_NONE },
};
const size_t web_nroutes = sizeof web_routes / sizeof web_routes[0];
