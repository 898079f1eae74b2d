/*
 * web/api_search.c - search and stored conversations in the JSON API.
 * Search makes the same library calls as `docent search` (rag/retrieve.h
 * with the embedding model config_search_model chooses), through the
 * retriever cached with the request's store connection.
 */
#include "web/web_int.h"
#include "core/error.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static json_t *hit_json(const store_hit *h)
{
	json_t *o = json_pack("{s:i, s:f, s:I, s:I, s:s?, s:s?, s:s?, s:s?, s:I, s:I, s:s?}",
		"rank", h->rank, "score", h->score, "chunk_id", (json_int_t)h->chunk_id,
		"document_id", (json_int_t)h->doc_id, "collection", h->collection,
		"path", h->path, "title", h->title, "heading", h->heading,
		"start_byte", (json_int_t)h->start_byte, "end_byte", (json_int_t)h->end_byte,
		"snippet", h->snippet);
	if (o) {
		json_object_set_new(o, "page", h->page_start > 0 ? json_integer(h->page_start) :
				    json_null());
		if (h->page_end > h->page_start)
			json_object_set_new(o, "page_end", json_integer(h->page_end));
		if (h->duplicates)
			json_object_set_new(o, "duplicates", json_integer(h->duplicates));
	}
	return o;
}

void api_search(web_request *r)
{
	const char *q = web_query(r, "q"), *mode = web_query(r, "mode");
	const char *collection = web_query(r, "collection");
	retrieve_params rp;
	retrieve_info info;
	retriever *ret;
	store_hit *hits = NULL;
	size_t n = 0;
	long k, group;
	int m, rc;
	double t0 = now_ms();
	json_t *arr, *o;

	if (!q || !q[0]) {
		web_reply_error(r, 400, "bad_request", "give a query: /api/search?q=WORDS");
		return;
	}
	if (web_query_int(r, "k", 10, 1, 1000, &k) || web_query_int(r, "group", 0, 0, 1, &group))
		return;
	m = retrieve_mode_parse(mode && mode[0] ? mode : config_get(r->cfg, "search.mode"));
	if (m < 0) {
		web_reply_error(r, 400, "bad_request", "mode is auto, hybrid, dense or bm25, not '%s'",
				mode);
		return;
	}
	if (collection && !collection[0])
		collection = NULL;
	web_server_retrieve_params(r->server, &rp);
	rp.mode = (retrieve_mode)m;
	rp.search.k = (size_t)k;
	rp.search.collection = collection;
	rp.group_by_doc = (int)group;
	if (collection) {
		int64_t id;
		if ((rc = store_collection_id(r->st, collection, 0, &id)) != 0) {
			web_reply_rc(r, rc);
			return;
		}
	}
	if ((rc = web_retriever(r, collection, rp.mode, &ret)) != 0 ||
	    (rc = retrieve(ret, q, &rp, &hits, &n, &info)) != 0) {
		web_reply_rc(r, rc);
		return;
	}
	arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, hit_json(&hits[i]));
	store_hits_free(hits, n);
	o = json_pack("{s:s, s:s, s:o, s:{s:f}}", "query", q, "mode",
		      retrieve_mode_name(info.mode), "results", arr, "timings", "total_ms",
		      now_ms() - t0);
	if (o && info.note[0])
		json_object_set_new(o, "note", json_string(info.note));
	web_reply_json(r, 200, o);
}

/* ---- conversations ---- */

void api_conversations_list(web_request *r)
{
	store_conv *c = NULL;
	size_t n = 0;
	int rc = store_conv_list(r->st, &c, &n);
	json_t *arr;

	if (rc) {
		web_reply_rc(r, rc);
		return;
	}
	arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_pack("{s:I, s:s?, s:s?, s:I, s:I, s:I}",
			"id", (json_int_t)c[i].id, "title", c[i].title, "collection", c[i].collection,
			"turns", (json_int_t)((c[i].nmessages + 1) / 2),
			"created_at", (json_int_t)c[i].created_at,
			"updated_at", (json_int_t)c[i].updated_at));
	store_conv_list_free(c, n);
	web_reply_json(r, 200, json_pack("{s:o}", "conversations", arr));
}

static int conv_id_arg(web_request *r, int64_t *id)
{
	long v;

	if (web_parse_long(r->args[0], 1, 0x7FFFFFFFFFFFFFFFL, &v) != 0) {
		web_reply_error(r, 400, "bad_request", "'%s' is not a conversation id", r->args[0]);
		return -1;
	}
	*id = v;
	return 0;
}

void api_conversations_get(web_request *r)
{
	store_conv c = { 0 };
	store_conv_msg *m = NULL;
	size_t n = 0;
	int64_t id;
	json_t *arr, *o;
	int rc;

	if (conv_id_arg(r, &id))
		return;
	if ((rc = store_conv_get(r->st, id, &c)) != 0 ||
	    (rc = store_conv_messages(r->st, id, &m, &n)) != 0) {
		store_conv_clear(&c);
		web_reply_rc(r, rc);
		return;
	}
	arr = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *cit = m[i].citations ? json_loads(m[i].citations, 0, NULL) : NULL;
		json_t *mo = json_pack("{s:s, s:s, s:o}", "role", m[i].role, "content", m[i].content,
				       "citations", cit ? cit : json_array());
		if (mo && m[i].mode)
			json_object_set_new(mo, "mode", json_string(m[i].mode));
		if (mo)
			json_object_set_new(mo, "created_at", json_integer(m[i].created_at));
		json_array_append_new(arr, mo);
	}
	o = json_pack("{s:I, s:s?, s:s?, s:I, s:I, s:o}", "id", (json_int_t)c.id, "title", c.title,
		      "collection", c.collection, "created_at", (json_int_t)c.created_at,
		      "updated_at", (json_int_t)c.updated_at, "messages", arr);
	store_conv_messages_free(m, n);
	store_conv_clear(&c);
	web_reply_json(r, 200, o);
}

void api_conversations_remove(web_request *r)
{
	int64_t id;
	int rc;

	if (conv_id_arg(r, &id))
		return;
	if ((rc = store_conv_delete(r->st, id)) != 0) {
		web_reply_rc(r, rc);
		return;
	}
	web_reply_json(r, 200, json_pack("{s:I}", "removed", (json_int_t)id));
}
