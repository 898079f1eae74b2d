/*
 * web/api_search.c - search and stored conversations in the JSON API.
 * Search makes the same library calls as `docent search` (rag/retrieve.h
 * with the embedding model config_search_model chooses), through the
 * retriever cached with the request's store connection.
 */
#include "web/web_int.h"
#include "core/error.h"
#include "core/jsontext.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Appends ,"key":v (key given with its quotes and colon). Integers by hand:
 * printf's cost was a twentieth of the reply's. */
static int put_int(dbuf *b, const char *key, long long v)
{
	char digits[24], *p = digits + sizeof digits;
	unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;

	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		*--p = '-';
	if (dbuf_puts(b, key) != 0)
		return -1;
	return dbuf_append(b, p, (size_t)(digits + sizeof digits - p)) ? -1 : 0;
}

/* Appends ,"key":s as JSON text. */
static int put_str(dbuf *b, const char *key, const char *s)
{
	return dbuf_puts(b, key) != 0 || jsontext_append(b, s) != 0 ? -1 : 0;
}

/* Appends one hit as a JSON object. The results are written as text, not
 * built as jansson objects: on a small store, building and dumping them
 * cost a tenth of a search. */
static int hit_append(dbuf *b, const store_hit *h)
{
	char score[32];

	if (isfinite(h->score))
		snprintf(score, sizeof score, "%.17g", h->score);
	else
		strcpy(score, "null");
	if (put_int(b, "{\"rank\":", h->rank) != 0 || dbuf_puts(b, ",\"score\":") != 0 ||
	    dbuf_puts(b, score) != 0 || put_int(b, ",\"chunk_id\":", h->chunk_id) != 0 ||
	    put_int(b, ",\"document_id\":", h->doc_id) != 0 ||
	    put_str(b, ",\"collection\":", h->collection) != 0 ||
	    put_str(b, ",\"title\":", h->title) != 0 || put_str(b, ",\"heading\":", h->heading) != 0 ||
	    put_int(b, ",\"start_byte\":", h->start_byte) != 0 ||
	    put_int(b, ",\"end_byte\":", h->end_byte) != 0 ||
	    put_str(b, ",\"snippet\":", h->snippet) != 0 || dbuf_putc(b, ',') != 0 ||
	    jsontext_append_path(b, "path", h->path) != 0)
		return -1;
	if ((h->page_start > 0 ? put_int(b, ",\"page\":", h->page_start)
			       : dbuf_puts(b, ",\"page\":null")) != 0 ||
	    (h->page_end > h->page_start && put_int(b, ",\"page_end\":", h->page_end) != 0) ||
	    (h->duplicates && put_int(b, ",\"duplicates\":", h->duplicates) != 0))
		return -1;
	return dbuf_putc(b, '}') ? -1 : 0;
}

/* The search reply: query, mode, results, timings and a note. */
static int results_append(dbuf *b, const char *q, const retrieve_info *info,
			  const store_hit *hits, size_t n, double ms)
{
	if (dbuf_puts(b, "{\"query\":") != 0 || jsontext_append(b, q) != 0 ||
	    dbuf_printf(b, ",\"mode\":\"%s\",\"results\":[", retrieve_mode_name(info->mode)) != 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if ((i && dbuf_putc(b, ',') != 0) || hit_append(b, &hits[i]) != 0)
			return -1;
	if (dbuf_printf(b, "],\"timings\":{\"total_ms\":%.3f}", ms) != 0)
		return -1;
	if (info->note[0] && (dbuf_puts(b, ",\"note\":") != 0 || jsontext_append(b, info->note) != 0))
		return -1;
	return dbuf_putc(b, '}') ? -1 : 0;
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
	dbuf b = DBUF_INIT;
	char *text;
	size_t len;

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
	text = results_append(&b, q, &info, hits, n, now_ms() - t0) == 0 ? dbuf_detach(&b, &len)
									   : NULL;
	dbuf_free(&b);
	store_hits_free(hits, n);
	web_reply_json_text(r, 200, text, text ? len : 0);
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
