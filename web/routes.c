/*
 * web/routes.c - the route table: one row per method and path pattern of
 * the JSON API ('*' is one path segment, handed to the handler in
 * r->args), and whether its handler may wait long (slow: 1, run on a
 * thread of its own: it writes, or it waits for a model). The server
 * answers 404 for a path no row has, 405 (with Allow) for a path some row
 * has with another method. Add an endpoint by
 * declaring its handler here and adding its row.
 */
#include "web/web_int.h"

/* web/api_library.c */
void api_health(web_request *r);
void api_collections_list(web_request *r);
void api_collections_create(web_request *r);
void api_collections_remove(web_request *r);
void api_documents_list(web_request *r);
void api_documents_upload(web_request *r);
void api_documents_remove(web_request *r);
void api_documents_text(web_request *r);
void api_jobs_get(web_request *r);
void api_jobs_events(web_request *r);
/* web/api_search.c */
void api_search(web_request *r);
void api_conversations_list(web_request *r);
void api_conversations_get(web_request *r);
void api_conversations_remove(web_request *r);

/* web/api_answer.c, web/api_openai.c: the generating endpoints */
void web_api_ask(web_request *r);
void web_api_chat(web_request *r);
void web_api_summarize(web_request *r);
void web_v1_models(web_request *r);
void web_v1_chat_completions(web_request *r);

const web_route web_routes[] = {
	{ "GET", "/api/health", api_health, WEB_BODY_NONE, 0 },
	{ "GET", "/api/collections", api_collections_list, WEB_BODY_NONE, 0 },
	{ "POST", "/api/collections", api_collections_create, WEB_BODY_JSON, 1 },
	{ "DELETE", "/api/collections/*", api_collections_remove, WEB_BODY_NONE, 1 },
	{ "GET", "/api/documents", api_documents_list, WEB_BODY_NONE, 0 },
	{ "POST", "/api/documents", api_documents_upload, WEB_BODY_UPLOAD, 1 },
	{ "DELETE", "/api/documents/*", api_documents_remove, WEB_BODY_NONE, 1 },
	{ "GET", "/api/documents/*/text", api_documents_text, WEB_BODY_NONE, 0 },
	{ "GET", "/api/jobs/*", api_jobs_get, WEB_BODY_NONE, 0 },
	{ "GET", "/api/jobs/*/events", api_jobs_events, WEB_BODY_NONE, 0 },
	{ "GET", "/api/search", api_search, WEB_BODY_NONE, 0 },
	{ "GET", "/api/conversations", api_conversations_list, WEB_BODY_NONE, 0 },
	{ "GET", "/api/conversations/*", api_conversations_get, WEB_BODY_NONE, 0 },
	{ "DELETE", "/api/conversations/*", api_conversations_remove, WEB_BODY_NONE, 1 },
	{ "POST", "/api/ask", web_api_ask, WEB_BODY_JSON, 1 },
	{ "POST", "/api/chat", web_api_chat, WEB_BODY_JSON, 1 },
	{ "POST", "/api/summarize", web_api_summarize, WEB_BODY_JSON, 1 },
	{ "GET", "/v1/models", web_v1_models, WEB_BODY_NONE, 0 },
	{ "POST", "/v1/chat/completions", web_v1_chat_completions, WEB_BODY_RAW, 1 },
};
const size_t web_nroutes = sizeof web_routes / sizeof web_routes[0];
