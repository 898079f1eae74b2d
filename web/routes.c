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
/* web/api_answer.c, web/api_openai.c: the generating endpoints */
void web_api_ask(web_request *r);
void web_api_chat(web_request *r);
void web_api_summarize(web_request *r);
void web_v1_models(web_request *r);
void web_v1_chat_completions(web_request *r);

const web_route web_routes[] = {
	{ "GET", "/api/health", api_health, WEB_BODY_NONE },
	{ "POST", "/api/ask", web_api_ask, WEB_BODY_JSON },
	{ "POST", "/api/chat", web_api_chat, WEB_BODY_JSON },
	{ "POST", "/api/summarize", web_api_summarize, WEB_BODY_JSON },
	{ "GET", "/v1/models", web_v1_models, WEB_BODY_NONE },
	{ "POST", "/v1/chat/completions", web_v1_chat_completions, WEB_BODY_RAW },
};
const size_t web_nroutes = sizeof web_routes / sizeof web_routes[0];
