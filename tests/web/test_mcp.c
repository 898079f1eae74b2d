/*
 * test_mcp.c - the MCP server (web/mcp.h) driven over memory streams and a
 * pipe: initialize with each protocol version, tools/list, each tool with
 * its results and its errors, the JSON-RPC error codes, malformed and huge
 * lines, a server restricted to one collection, and cancelling an ask.
 */
#include "tests/index/store_fixture.h"

#include "core/error.h"
#include "web/mcp.h"

#include <jansson.h>
#include <pthread.h>
#include <time.h>

/* ---- the documents ---- */

/* A document of two chunks with the blank line between its blocks in no
 * chunk, as the chunker stores them. */
static void put_two_chunks(store *s, int64_t coll, const char *path)
{
	static const char text[] =
		"Travel. Hotels are booked through the travel desk.\n\n"
		"Meals are paid up to 40 euros a day on trips abroad.";
	size_t split = strlen("Travel. Hotels are booked through the travel desk.");
	store_chunk_in ch[2] = {
		{ .text = text, .len = split, .start_byte = 0, .end_byte = split, .heading = "Travel" },
		{ .text = text + split + 2, .len = strlen(text) - split - 2, .start_byte = split + 2,
		  .end_byte = strlen(text), .heading = "Travel" },
	};
	store_doc_in in = { .path = path, .hash = "two-chunks", .title = "Trips", .format = "text",
			    .text_bytes = (int64_t)strlen(text), .chunks = ch, .nchunks = 2 };
	store_put_result r;
	assert_int_equal(store_doc_put(s, coll, &in, &r), 0);
	free(r.duplicate_of);
}

static void add_docs(fx *f)
{
	put_text(f->s, f->coll, "/handbook/leave.txt",
		 "Parental leave. Employees get 45 working days of parental leave at full pay. "
		 "The leave can be taken in two parts within the child's first year.");
	put_text(f->s, f->coll, "/handbook/it.txt",
		 "Laptops. Every employee gets a laptop. A lost laptop must be reported to the "
		 "service desk within one day.");
	put_two_chunks(f->s, f->coll, "/handbook/travel.txt");
}

/* ---- running the server ---- */

static mcp_params params(fx *f)
{
	mcp_params p = mcp_default_params();
	p.store = f->s;
	p.version = "9.9";
	return p;
}

/* Serves `input` and returns the messages written, one JSON value each, in
 * a JSON array (caller decrefs). Every line written must be JSON. */
static json_t *serve(const mcp_params *p, const char *input, size_t len)
{
	char *out = NULL;
	size_t outlen = 0;
	FILE *in = fmemopen((void *)input, len, "r"), *o = open_memstream(&out, &outlen);
	json_t *msgs = json_array();

	assert_non_null(in);
	assert_non_null(o);
	assert_int_equal(mcp_serve(in, o, p), 0);
	fclose(in);
	fclose(o);
	for (char *line = out, *nl; line && *line; line = nl + 1) {
		json_error_t e;
		json_t *m;
		nl = strchr(line, '\n');
		assert_non_null(nl); /* every message ends its line */
		m = json_loadb(line, (size_t)(nl - line), 0, &e);
		if (!m)
			fail_msg("not JSON: %.*s (%s)", (int)(nl - line), line, e.text);
		json_array_append_new(msgs, m);
	}
	free(out);
	return msgs;
}

static json_t *serve_str(const mcp_params *p, const char *input)
{
	return serve(p, input, strlen(input));
}

/* The message answering `id`, or NULL. */
static json_t *reply(json_t *msgs, json_int_t id)
{
	size_t i;
	json_t *m;
	json_array_foreach(msgs, i, m) {
		json_t *mid = json_object_get(m, "id");
		if (json_is_integer(mid) && json_integer_value(mid) == id)
			return m;
	}
	return NULL;
}

static int error_code(json_t *msg)
{
	assert_non_null(msg);
	return (int)json_integer_value(json_object_get(json_object_get(msg, "error"), "code"));
}

static json_t *result_of(json_t *msgs, json_int_t id)
{
	json_t *m = reply(msgs, id);
	assert_non_null(m);
	assert_string_equal(json_string_value(json_object_get(m, "jsonrpc")), "2.0");
	assert_null(json_object_get(m, "error"));
	return json_object_get(m, "result");
}

/* A tool result's text (its first content block). */
static const char *text_of(json_t *result)
{
	json_t *c = json_array_get(json_object_get(result, "content"), 0);
	assert_string_equal(json_string_value(json_object_get(c, "type")), "text");
	return json_string_value(json_object_get(c, "text"));
}

static int is_error(json_t *result)
{
	return json_is_true(json_object_get(result, "isError"));
}

#define INIT(v) "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":" \
	"{\"protocolVersion\":\"" v "\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\"," \
	"\"version\":\"1\"}}}\n{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n"

/* tools/call of `tool` with the JSON object `args`, as request `id` */
static char *call(int id, const char *tool, const char *args)
{
	char *s;
	assert_true(asprintf(&s, "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"tools/call\","
			     "\"params\":{\"name\":\"%s\",\"arguments\":%s}}\n", id, tool, args) > 0);
	return s;
}

/* Serves initialize (2025-11-25) then one tool call; returns its result. */
static json_t *call_one(const mcp_params *p, const char *tool, const char *args, json_t **msgs)
{
	char *c = call(2, tool, args), *in;
	assert_true(asprintf(&in, "%s%s", INIT("2025-11-25"), c) > 0);
	*msgs = serve_str(p, in);
	free(c);
	free(in);
	return result_of(*msgs, 2);
}

/* ---- initialize and tools/list ---- */

static void test_mcp__initialize_versions(void **state)
{
	fx *f = *state;
	mcp_params p = params(f);
	static const char *const known[] = { "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05" };

	for (size_t i = 0; i < 4; i++) {
		char in[512];
		json_t *msgs, *r;
		snprintf(in, sizeof in, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\","
			 "\"params\":{\"protocolVersion\":\"%s\",\"capabilities\":{},"
			 "\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}\n", known[i]);
		msgs = serve_str(&p, in);
		assert_int_equal(json_array_size(msgs), 1);
		r = result_of(msgs, 1);
		assert_string_equal(json_string_value(json_object_get(r, "protocolVersion")), known[i]);
		assert_string_equal(json_string_value(json_object_get(
			json_object_get(r, "serverInfo"), "name")), "docent");
		assert_string_equal(json_string_value(json_object_get(
			json_object_get(r, "serverInfo"), "version")), "9.9");
		assert_non_null(json_object_get(json_object_get(r, "capabilities"), "tools"));
		/* fields of later versions only to their clients */
		assert_true((json_object_get(r, "instructions") != NULL) == (i <= 2));
		assert_true((json_object_get(json_object_get(r, "serverInfo"), "title") != NULL) ==
			    (i <= 1));
		json_decref(msgs);
	}
	{
		/* an unknown version gets the latest; none at all is bad params */
		json_t *msgs = serve_str(&p, INIT("1999-01-01")
			"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"initialize\",\"params\":{}}\n");
		assert_string_equal(json_string_value(json_object_get(result_of(msgs, 1),
			"protocolVersion")), MCP_PROTOCOL_LATEST);
		assert_int_equal(error_code(reply(msgs, 2)), -32602);
		/* the notification got no answer */
		assert_int_equal(json_array_size(msgs), 2);
		json_decref(msgs);
	}
}

static json_t *tool_named(json_t *list, const char *name)
{
	size_t i;
	json_t *t;
	json_array_foreach(json_object_get(list, "tools"), i, t)
		if (strcmp(json_string_value(json_object_get(t, "name")), name) == 0)
			return t;
	fail_msg("no tool %s", name);
	return NULL;
}

static void test_mcp__tools_list(void **state)
{
	fx *f = *state;
	mcp_params p = params(f);
	const char *list = "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}\n";
	static const char *const names[] = { "search", "ask", "read_document" };
	static const char *const required[] = { "query", "question", "document" };
	char in[1024];
	json_t *msgs, *r;

	snprintf(in, sizeof in, "%s%s", INIT("2025-11-25"), list);
	msgs = serve_str(&p, in);
	r = result_of(msgs, 2);
	assert_int_equal(json_array_size(json_object_get(r, "tools")), 3);
	for (int i = 0; i < 3; i++) {
		json_t *t = tool_named(r, names[i]), *in_s = json_object_get(t, "inputSchema");
		assert_string_equal(json_string_value(json_object_get(in_s, "type")), "object");
		assert_string_equal(json_string_value(json_array_get(json_object_get(in_s, "required"),
								     0)), required[i]);
		assert_non_null(json_object_get(json_object_get(in_s, "properties"), "collection"));
		assert_non_null(json_object_get(t, "description"));
		assert_non_null(json_object_get(t, "outputSchema"));
		assert_non_null(json_object_get(t, "title"));
		assert_true(json_is_true(json_object_get(json_object_get(t, "annotations"),
							 "readOnlyHint")));
	}
	json_decref(msgs);

	/* 2025-03-26 predates structured results; 2024-11-05 annotations too */
	snprintf(in, sizeof in, "%s%s", INIT("2025-03-26"), list);
	msgs = serve_str(&p, in);
	r = tool_named(result_of(msgs, 2), "search");
	assert_null(json_object_get(r, "outputSchema"));
	assert_null(json_object_get(r, "title"));
	assert_non_null(json_object_get(r, "annotations"));
	json_decref(msgs);
	snprintf(in, sizeof in, "%s%s", INIT("2024-11-05"), list);
	msgs = serve_str(&p, in);
	r = tool_named(result_of(msgs, 2), "ask");
	assert_null(json_object_get(r, "outputSchema"));
	assert_null(json_object_get(r, "annotations"));
	json_decref(msgs);
}

/* ---- the tools ---- */

static void test_mcp__search(void **state)
{
	fx *f = *state;
	mcp_params p = params(f);
	json_t *msgs, *r, *hits, *h;

	add_docs(f);
	r = call_one(&p, "search", "{\"query\":\"parental leave\",\"k\":2}", &msgs);
	assert_false(is_error(r));
	assert_non_null(strstr(text_of(r), "/handbook/leave.txt"));
	assert_non_null(strstr(text_of(r), "document_id"));
	hits = json_object_get(json_object_get(r, "structuredContent"), "hits");
	assert_true(json_array_size(hits) >= 1 && json_array_size(hits) <= 2);
	h = json_array_get(hits, 0);
	assert_string_equal(json_string_value(json_object_get(h, "path")), "/handbook/leave.txt");
	assert_string_equal(json_string_value(json_object_get(h, "title")), "Title");
	assert_string_equal(json_string_value(json_object_get(h, "heading")), "Part > Section");
	assert_int_equal(json_integer_value(json_object_get(h, "page_start")), 3);
	assert_true(json_integer_value(json_object_get(h, "end_byte")) >
		    json_integer_value(json_object_get(h, "start_byte")));
	assert_true(json_integer_value(json_object_get(h, "document_id")) > 0);
	assert_non_null(strstr(json_string_value(json_object_get(h, "snippet")), "**leave**"));
	json_decref(msgs);

	/* k defaults to search.k */
	p.search.search.k = 1;
	r = call_one(&p, "search", "{\"query\":\"leave laptop\"}", &msgs);
	assert_int_equal(json_array_size(json_object_get(json_object_get(r, "structuredContent"),
							 "hits")), 1);
	json_decref(msgs);

	/* nothing found is a result, not an error */
	r = call_one(&p, "search", "{\"query\":\"zeppelin\"}", &msgs);
	assert_false(is_error(r));
	assert_int_equal(json_array_size(json_object_get(json_object_get(r, "structuredContent"),
							 "hits")), 0);
	json_decref(msgs);
}

static void test_mcp__search_errors(void **state)
{
	fx *f = *state;
	mcp_params p = params(f);
	static const struct { const char *args, *says; } cases[] = {
		{ "{}", "'query' is required" },
		{ "{\"query\":\"\"}", "non-empty" },
		{ "{\"query\":7}", "must be a non-empty string" },
		{ "{\"query\":\"leave\",\"k\":0}", "from 1 to 50" },
		{ "{\"query\":\"leave\",\"k\":\"many\"}", "whole number" },
		{ "{\"query\":\"leave\",\"top_k\":3}", "no argument 'top_k'" },
		{ "{\"query\":\"leave\",\"collection\":\"nope\"}", "nope" },
	};

	add_docs(f);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_t *msgs, *r = call_one(&p, "search", cases[i].args, &msgs);
		assert_true(is_error(r));
		if (!strstr(text_of(r), cases[i].says))
			fail_msg("%s: '%s' lacks '%s'", cases[i].args, text_of(r), cases[i].says);
		json_decref(msgs);
	}
	{
		/* k as "3" or 3.0 is taken */
		json_t *msgs, *r = call_one(&p, "search", "{\"query\":\"leave\",\"k\":\"1\"}", &msgs);
		assert_false(is_error(r));
		assert_int_equal(json_array_size(json_object_get(json_object_get(r,
			"structuredContent"), "hits")), 1);
		json_decref(msgs);
	}
}

static void test_mcp__ask(void **state)
{
	fx *f = *state;
	mcp_params p = params(f);
	json_t *msgs, *r, *st, *src;

	add_docs(f);
	r = call_one(&p, "ask", "{\"question\":\"how many days of parental leave do employees "
		     "get?\"}", &msgs);
	assert_false(is_error(r));
	st = json_object_get(r, "structuredContent");
	assert_string_equal(json_string_value(json_object_get(st, "mode")), "extractive");
	assert_non_null(strstr(json_string_value(json_object_get(st, "answer")), "45 working days"));
	assert_non_null(strstr(json_string_value(json_object_get(st, "answer")), "[1]"));
	assert_true(json_is_null(json_object_get(st, "model")));
	src = json_array_get(json_object_get(st, "sources"), 0);
	assert_string_equal(json_string_value(json_object_get(src, "path")), "/handbook/leave.txt");
	assert_int_equal(json_integer_value(json_object_get(src, "n")), 1);
	assert_int_equal(json_integer_value(json_object_get(src, "page")), 3);
	assert_non_null(strstr(text_of(r), "Extractive answer"));
	assert_non_null(strstr(text_of(r), "[1] /handbook/leave.txt"));
	json_decref(msgs);

	r = call_one(&p, "ask", "{\"question\":\"who won the chess tournament in Reykjavik?\"}",
		     &msgs);
	assert_false(is_error(r));
	st = json_object_get(r, "structuredContent");
	assert_string_equal(json_string_value(json_object_get(st, "mode")), "no_evidence");
	assert_non_null(strstr(text_of(r), "do not answer"));
	assert_null(strstr(text_of(r), "Extractive"));
	json_decref(msgs);

	r = call_one(&p, "ask", "{\"question\":\"leave\",\"collection\":\"missing\"}", &msgs);
	assert_true(is_error(r));
	assert_non_null(strstr(text_of(r), "missing"));
	json_decref(msgs);
}

static void test_mcp__read_document(void **state)
{
	fx *f = *state;
	mcp_params p = params(f);
	json_t *msgs, *r, *st;
	store_doc *d;
	char args[256];

	add_docs(f);
	assert_int_equal(store_doc_find(f->s, NULL, "/handbook/travel.txt", &d), 0);

	/* by id, the second chunk's range, no context: exactly its text */
	snprintf(args, sizeof args, "{\"document\":%lld,\"start\":52,\"end\":104,\"context\":0}",
		 (long long)d->id);
	r = call_one(&p, "read_document", args, &msgs);
	assert_false(is_error(r));
	st = json_object_get(r, "structuredContent");
	assert_string_equal(json_string_value(json_object_get(st, "text")),
			    "Meals are paid up to 40 euros a day on trips abroad.");
	assert_int_equal(json_integer_value(json_object_get(st, "start_byte")), 52);
	assert_int_equal(json_integer_value(json_object_get(st, "text_bytes")), 104);
	assert_true(json_is_true(json_object_get(st, "more_before")));
	assert_false(json_is_true(json_object_get(st, "more_after")));
	assert_non_null(strstr(text_of(r), "/handbook/travel.txt"));
	json_decref(msgs);

	/* by path, with context across the blank line no chunk holds */
	r = call_one(&p, "read_document", "{\"document\":\"/handbook/travel.txt\",\"start\":60,"
		     "\"end\":65,\"context\":30}", &msgs);
	assert_false(is_error(r));
	st = json_object_get(r, "structuredContent");
	assert_non_null(strstr(json_string_value(json_object_get(st, "text")), "desk.\n\nMeals"));
	/* the context is cut at word starts */
	assert_int_equal(json_string_value(json_object_get(st, "text"))[0], 't');
	json_decref(msgs);

	/* no offsets: from the start */
	snprintf(args, sizeof args, "{\"document\":\"%lld\"}", (long long)d->id);
	r = call_one(&p, "read_document", args, &msgs);
	st = json_object_get(r, "structuredContent");
	assert_int_equal(json_integer_value(json_object_get(st, "start_byte")), 0);
	assert_int_equal(json_integer_value(json_object_get(st, "end_byte")), 104);
	json_decref(msgs);

	r = call_one(&p, "read_document", "{\"document\":\"/nowhere.txt\"}", &msgs);
	assert_true(is_error(r));
	assert_non_null(strstr(text_of(r), "no document /nowhere.txt"));
	json_decref(msgs);
	snprintf(args, sizeof args, "{\"document\":%lld,\"start\":5000}", (long long)d->id);
	r = call_one(&p, "read_document", args, &msgs);
	assert_true(is_error(r));
	assert_non_null(strstr(text_of(r), "104 bytes"));
	json_decref(msgs);
	r = call_one(&p, "read_document", "{\"start\":1}", &msgs);
	assert_true(is_error(r));
	assert_non_null(strstr(text_of(r), "'document' is required"));
	json_decref(msgs);
	store_doc_list_free(d, 1);
}

static void test_mcp__structured_only_when_supported(void **state)
{
	fx *f = *state;
	mcp_params p = params(f);
	char *c = call(2, "search", "{\"query\":\"laptop\"}"), *in;
	json_t *msgs, *r;

	add_docs(f);
	assert_true(asprintf(&in, "%s%s", INIT("2025-03-26"), c) > 0);
	msgs = serve_str(&p, in);
	r = result_of(msgs, 2);
	assert_null(json_object_get(r, "structuredContent"));
	assert_non_null(strstr(text_of(r), "/handbook/it.txt"));
	json_decref(msgs);
	free(c);
	free(in);
}

static void test_mcp__one_collection(void **state)
{
	fx *f = *state;
	mcp_params p = params(f);
	json_t *msgs, *r;
	int64_t other;

	add_docs(f);
	assert_int_equal(store_collection_id(f->s, "other", 1, &other), 0);
	put_text(f->s, other, "/other/secret.txt", "Secret parental leave plans of the board.");
	p.collection = "default";
	r = call_one(&p, "search", "{\"query\":\"parental leave\",\"collection\":\"other\"}", &msgs);
	assert_true(is_error(r));
	assert_non_null(strstr(text_of(r), "serves the collection 'default' only"));
	json_decref(msgs);
	r = call_one(&p, "search", "{\"query\":\"secret parental leave\"}", &msgs);
	assert_false(is_error(r));
	assert_null(strstr(text_of(r), "secret.txt"));
	json_decref(msgs);
	r = call_one(&p, "read_document", "{\"document\":\"/other/secret.txt\"}", &msgs);
	assert_true(is_error(r));
	json_decref(msgs);
}

/* ---- the protocol's errors ---- */

static void test_mcp__protocol_errors(void **state)
{
	fx *f = *state;
	mcp_params p = params(f);
	json_t *msgs, *m;

	msgs = serve_str(&p,
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\n"
		"{not json\n"
		"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"resources/list\"}\n"
		"{\"jsonrpc\":\"1.0\",\"id\":3,\"method\":\"ping\"}\n"
		"{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\",\"params\":{\"name\":\"rm\"}}\n"
		"{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{}}\n"
		"{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"tools/call\",\"params\":"
		"{\"name\":\"search\",\"arguments\":[1]}}\n"
		"[{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"ping\"}]\n"
		"{\"jsonrpc\":\"2.0\",\"method\":\"notifications/whatever\"}\n"
		"{\"jsonrpc\":\"2.0\",\"id\":99,\"result\":{}}\n"
		"\n   \n"
		"{\"jsonrpc\":\"2.0\",\"id\":{\"x\":1},\"method\":\"ping\"}\n"
		"\"a string\"\n"
		"{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"ping\"}\r\n"
		"{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"ping\",\"params\":3}");
	assert_true(json_is_object(json_object_get(reply(msgs, 1), "result")));
	assert_int_equal(error_code(reply(msgs, 2)), -32601);
	assert_int_equal(error_code(reply(msgs, 3)), -32600);
	assert_int_equal(error_code(reply(msgs, 4)), -32602);
	assert_int_equal(error_code(reply(msgs, 5)), -32602);
	assert_int_equal(error_code(reply(msgs, 6)), -32602);
	assert_null(reply(msgs, 7));
	assert_null(reply(msgs, 99));
	assert_true(json_is_object(json_object_get(reply(msgs, 8), "result")));
	assert_int_equal(error_code(reply(msgs, 9)), -32602);
	/* with no id to answer: the parse error, the batch, the bad id, the
	 * string (JSON, but not a message) */
	{
		size_t i, nulls = 0;
		int parse = 0;
		json_array_foreach(msgs, i, m)
			if (json_is_null(json_object_get(m, "id"))) {
				nulls++;
				parse += error_code(m) == -32700;
			}
		assert_int_equal(nulls, 4);
		assert_int_equal(parse, 1);
	}
	assert_int_equal(json_array_size(msgs), 12);
	json_decref(msgs);
}

static void test_mcp__huge_line(void **state)
{
	fx *f = *state;
	mcp_params p = params(f);
	size_t big = 3u << 20, n;
	const char *tail = "\n{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}\n";
	char *in = malloc(big + 200), *c;
	json_t *msgs;

	assert_non_null(in);
	add_docs(f);
	p.max_message = 1u << 20;
	/* a request whose query alone is 3 MiB: refused, and the next line served */
	n = (size_t)sprintf(in, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":"
			    "{\"name\":\"search\",\"arguments\":{\"query\":\"");
	memset(in + n, 'a', big);
	n += big;
	n += (size_t)sprintf(in + n, "\"}}}%s", tail);
	msgs = serve(&p, in, n);
	assert_int_equal(json_array_size(msgs), 2);
	assert_int_equal(error_code(json_array_get(msgs, 0)), -32600);
	assert_non_null(strstr(json_string_value(json_object_get(json_object_get(
		json_array_get(msgs, 0), "error"), "message")), "longer than"));
	assert_non_null(reply(msgs, 2));
	json_decref(msgs);

	/* under the limit, a long query is served */
	c = malloc(600u << 10);
	assert_non_null(c);
	n = (size_t)sprintf(c, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":"
			    "{\"name\":\"search\",\"arguments\":{\"query\":\"");
	for (size_t i = 0; i < 50000; i++)
		n += (size_t)sprintf(c + n, "%s ", i % 2 ? "leave" : "xq");
	n += (size_t)sprintf(c + n, "\"}}}\n");
	msgs = serve(&p, c, n);
	assert_false(is_error(result_of(msgs, 3)));
	json_decref(msgs);
	free(c);
	free(in);
}

/* ---- cancelling an ask ---- */

typedef struct slow {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int started, saw_cancel;
} slow;

/* A model that writes nothing until it is told to stop (5 s at most). */
static int slow_chat(void *self, const chat_message *msgs, size_t n, const gen_options *o,
		     gen_piece_fn fn, void *ctx, gen_result *res)
{
	slow *s = self;
	(void)msgs; (void)n; (void)fn; (void)ctx;
	memset(res, 0, sizeof *res);
	pthread_mutex_lock(&s->lock);
	s->started = 1;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	for (int i = 0; i < 5000 && !(o->cancel && *o->cancel); i++) {
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	s->saw_cancel = o->cancel && *o->cancel;
	res->stopped_by = s->saw_cancel ? GEN_STOP_CANCELLED : GEN_STOP_END;
	return 0;
}

static int slow_complete(void *self, const char *prompt, const gen_options *o,
			 gen_piece_fn fn, void *ctx, gen_result *res)
{
	(void)self; (void)prompt; (void)o; (void)fn; (void)ctx; (void)res;
	return DOCENT_EINVAL;
}

static void slow_free(void *self)
{
	(void)self;
}

static const generator_ops slow_ops = {
	.chat = slow_chat, .complete = slow_complete, .free = slow_free,
};

static int open_slow(void *ctx, generator **out)
{
	return generator_wrap(out, &slow_ops, ctx, "slow");
}

typedef struct serve_job {
	const mcp_params *p;
	FILE *in, *out;
	int rc;
} serve_job;

static void *serve_thread(void *arg)
{
	serve_job *j = arg;
	j->rc = mcp_serve(j->in, j->out, j->p);
	return NULL;
}

static void test_mcp__cancel_ask(void **state)
{
	fx *f = *state;
	mcp_params p = params(f);
	slow s = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0 };
	char *out = NULL;
	size_t outlen = 0;
	int fds[2];
	FILE *w;
	serve_job j;
	pthread_t th;
	json_t *msgs = json_array();

	add_docs(f);
	p.models.generator = open_slow;
	p.models.ctx = &s;
	assert_int_equal(pipe(fds), 0);
	j.p = &p;
	j.in = fdopen(fds[0], "r");
	j.out = open_memstream(&out, &outlen);
	w = fdopen(fds[1], "w");
	assert_non_null(j.in);
	assert_non_null(w);
	assert_int_equal(pthread_create(&th, NULL, serve_thread, &j), 0);
	fputs(INIT("2025-11-25"), w);
	fputs("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"ask\","
	      "\"arguments\":{\"question\":\"how many days of parental leave do employees get?\"}}}\n",
	      w);
	fflush(w);
	pthread_mutex_lock(&s.lock);
	while (!s.started)
		pthread_cond_wait(&s.cond, &s.lock);
	pthread_mutex_unlock(&s.lock);
	/* the model is running: a ping is answered meanwhile, then the cancel */
	fputs("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":"
	      "{\"requestId\":7,\"reason\":\"the user pressed stop\"}}\n"
	      "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"ping\"}\n", w);
	fclose(w);
	pthread_join(th, NULL);
	assert_int_equal(j.rc, 0);
	fclose(j.in);
	fclose(j.out);
	assert_true(s.saw_cancel);
	for (char *line = out, *nl; line && *line && (nl = strchr(line, '\n')); line = nl + 1)
		json_array_append_new(msgs, json_loadb(line, (size_t)(nl - line), 0, NULL));
	assert_non_null(reply(msgs, 1));
	assert_non_null(reply(msgs, 8));
	assert_null(reply(msgs, 7)); /* a cancelled request is not answered */
	json_decref(msgs);
	free(out);
}

static void test_mcp__needs_a_store(void **state)
{
	mcp_params p = mcp_default_params();
	(void)state;
	assert_int_equal(mcp_serve(stdin, stdout, &p), DOCENT_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mcp__initialize_versions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mcp__tools_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mcp__search, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mcp__search_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mcp__ask, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mcp__read_document, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mcp__structured_only_when_supported, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mcp__one_collection, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mcp__protocol_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mcp__huge_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mcp__cancel_ask, setup, teardown),
		cmocka_unit_test(test_mcp__needs_a_store),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
