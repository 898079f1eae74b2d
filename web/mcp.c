/*
 * mcp.c - the Model Context Protocol server (see mcp.h): JSON-RPC framing
 * and dispatch on the calling thread, tool calls on one worker thread, and
 * the three tools over the same library calls as `docent search`, `docent
 * ask` and the source viewer (rag/retrieve.h, rag/answer.h, rag/source.h).
 */
#include "web/mcp.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/text.h"
#include "rag/source.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* JSON-RPC 2.0 error codes */
enum {
	RPC_PARSE_ERROR = -32700,
	RPC_INVALID_REQUEST = -32600,
	RPC_METHOD_NOT_FOUND = -32601,
	RPC_INVALID_PARAMS = -32602,
	RPC_INTERNAL_ERROR = -32603,
};

/* Newest first; a session's version is an index into this list, so a
 * feature of version V is there when index <= V's index. */
static const char *const versions[] = { "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05" };
enum { V_2025_06_18 = 1, V_2025_03_26 = 2 };
#define NVERSIONS (sizeof versions / sizeof versions[0])

#define SEARCH_K_MAX 50
#define READ_CONTEXT_MAX 20000
#define READ_MAX_BYTES 40000

/* A tool call waiting for, or running on, the worker. */
typedef struct job {
	json_t *id;
	char *tool;
	json_t *args;          /* an object */
	int version;           /* the session's protocol version when it came */
	json_t *progress;      /* params._meta.progressToken, or NULL */
	double t0;
	struct job *next;
} job;

/* What a collection's searches and answers keep open between calls. */
typedef struct coll_cache {
	char *name;            /* NULL: all collections */
	embedder *emb;         /* borrowed from the server's list; NULL: keywords */
	int64_t stamp[3];      /* vectors_stamp() when r was opened */
	retriever *r;
	answerer *a;
	struct coll_cache *next;
} coll_cache;

typedef struct server {
	mcp_params p;
	FILE *out;
	pthread_mutex_t out_lock;   /* one message at a time on out */
	int write_failed;

	pthread_mutex_t lock;       /* the queue, the running call, the version */
	pthread_cond_t cond;
	job *head, *tail;
	job *running;
	int eof;
	int version;
	volatile int cancel;        /* the running call is to stop */

	/* progress of the running call, for a client that asked for it */
	json_t *progress_token;     /* borrowed from the running job */
	int progress_version;       /* the running job's protocol version */
	int progress_pieces;
	double progress_sent;       /* now_ms() of the last notification */

	/* the worker's own */
	coll_cache *colls;
	embedder **embs;            /* every embedder opened, one per model */
	size_t nembs;
	generator *gen;
	reranker *rr;
	int gen_open, rr_open;      /* tried already (NULL then means none) */
} server;

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void logf_(server *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(server *s, const char *fmt, ...)
{
	va_list ap;
	if (!s->p.log)
		return;
	va_start(ap, fmt);
	flockfile(s->p.log);
	fputs("docent mcp: ", s->p.log);
	vfprintf(s->p.log, fmt, ap);
	fputc('\n', s->p.log);
	fflush(s->p.log);
	funlockfile(s->p.log);
	va_end(ap);
}

mcp_params mcp_default_params(void)
{
	mcp_params p;
	memset(&p, 0, sizeof p);
	p.search = retrieve_default_params();
	p.answer = answer_default_params();
	p.vindex = vindex_default_params();
	p.max_message = 4u << 20;
	p.version = "0";
	return p;
}

/* ---- JSON helpers ---- */

/* A JSON string of s; text that is not valid UTF-8 (a file name, say) has
 * its bad bytes replaced, since JSON cannot carry them. NULL gives null. */
static json_t *jstr(const char *s)
{
	json_t *v;
	dbuf b = DBUF_INIT;

	if (!s)
		return json_null();
	if (text_utf8_valid(s, strlen(s)))
		return json_string(s);
	if (text_normalize(s, strlen(s), &b) != 0) {
		dbuf_free(&b);
		return json_string("?");
	}
	v = json_stringn(b.data ? b.data : "", b.len);
	dbuf_free(&b);
	return v;
}

static json_t *jint_or_null(long long v)
{
	return v > 0 ? json_integer(v) : json_null();
}

/* Writes one message (and frees it). */
static void send_msg(server *s, json_t *msg)
{
	char *text;

	if (!msg)
		return;
	text = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	if (!text) {
		logf_(s, "out of memory writing a message");
		return;
	}
	pthread_mutex_lock(&s->out_lock);
	if (!s->write_failed) {
		fputs(text, s->out);
		fputc('\n', s->out);
		if (fflush(s->out) != 0 || ferror(s->out)) {
			s->write_failed = 1;
			logf_(s, "cannot write to the client: %s", strerror(errno));
		}
	}
	pthread_mutex_unlock(&s->out_lock);
	free(text);
}

static void send_result(server *s, json_t *id, json_t *result)
{
	send_msg(s, json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id", id, "result", result));
}

/* id may be NULL (an error about a message whose id is unknown). */
static void send_error(server *s, json_t *id, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void send_error(server *s, json_t *id, int code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	logf_(s, "error %d: %s", code, msg);
	send_msg(s, json_pack("{s:s, s:O, s:{s:i, s:o}}", "jsonrpc", "2.0",
			      "id", id ? id : json_null(), "error", "code", code,
			      "message", jstr(msg)));
}

/* ---- the tools' descriptions ---- */

static json_t *prop(const char *type, const char *description)
{
	return json_pack("{s:s, s:s}", "type", type, "description", description);
}

/* The `collection` argument, described as the server allows it. */
static json_t *collection_prop(const server *s)
{
	char d[512];
	if (s->p.collection)
		snprintf(d, sizeof d, "This server serves the collection '%s' only; "
			 "leave this out or give that name.", s->p.collection);
	else
		snprintf(d, sizeof d, "A collection to search (default: all of them).");
	return prop("string", d);
}

static json_t *nullable(const char *type)
{
	return json_pack("{s:[s,s]}", "type", type, "null");
}

static json_t *annotations(void)
{
	/* everything here only reads the user's own index */
	return json_pack("{s:b, s:b, s:b, s:b}", "readOnlyHint", 1, "destructiveHint", 0,
			 "idempotentHint", 1, "openWorldHint", 0);
}

static json_t *tool_def(int version, const char *name, const char *title,
			const char *description, json_t *input, json_t *output)
{
	json_t *t = json_pack("{s:s, s:s, s:o}", "name", name, "description", description,
			      "inputSchema", input);
	if (version <= V_2025_06_18) {
		json_object_set_new(t, "title", json_string(title));
		json_object_set_new(t, "outputSchema", output);
	} else {
		json_decref(output);
	}
	if (version <= V_2025_03_26)
		json_object_set_new(t, "annotations", annotations());
	return t;
}

/* search's k when the call gives none: search.k, at most SEARCH_K_MAX */
static int default_k(const server *s)
{
	size_t k = s->p.search.search.k;
	return k == 0 ? 10 : k > SEARCH_K_MAX ? SEARCH_K_MAX : (int)k;
}

static json_t *tools_list(server *s, int version)
{
	json_t *tools = json_array();
	char kdesc[80];
	json_t *k;

	snprintf(kdesc, sizeof kdesc, "How many passages to return (default %d).",
		 default_k(s));
	k = json_pack("{s:s, s:i, s:i, s:s}", "type", "integer", "minimum", 1,
		      "maximum", SEARCH_K_MAX, "description", kdesc);
	json_t *hit = json_pack(
		"{s:s, s:{s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}, s:o, s:o, s:o, s:o,"
		" s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}}, s:[s,s,s,s,s,s,s]}",
		"type", "object", "properties",
		"rank", "type", "integer", "document_id", "type", "integer",
		"chunk_id", "type", "integer", "collection", "type", "string",
		"path", "type", "string", "title", nullable("string"), "heading", nullable("string"),
		"page_start", nullable("integer"), "page_end", nullable("integer"),
		"start_byte", "type", "integer", "end_byte", "type", "integer",
		"snippet", "type", "string", "score", "type", "number",
		"duplicates", "type", "integer",
		"required", "rank", "document_id", "path", "collection", "start_byte", "end_byte",
		"snippet");
	json_t *source = json_pack(
		"{s:s, s:{s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}, s:o, s:o, s:o, s:o, s:{s:s}, s:{s:s},"
		" s:{s:s}}, s:[s,s,s,s,s,s]}",
		"type", "object", "properties",
		"n", "type", "integer", "document_id", "type", "integer",
		"chunk_id", "type", "integer", "path", "type", "string",
		"title", nullable("string"), "heading", nullable("string"),
		"page", nullable("integer"), "page_end", nullable("integer"),
		"start_byte", "type", "integer", "end_byte", "type", "integer",
		"text", "type", "string",
		"required", "n", "document_id", "path", "start_byte", "end_byte", "text");

	json_array_append_new(tools, tool_def(version, "search", "Search the documents",
		"Searches the user's own documents (indexed by docent) for passages that match "
		"a question or keywords, best first. Each hit gives the document's path, title, "
		"page, section heading, a snippet, its document_id and byte offsets; pass those "
		"to read_document to see the passage with its surroundings.",
		json_pack("{s:s, s:{s:o, s:o, s:o}, s:[s], s:b}", "type", "object", "properties",
			  "query", prop("string", "A question or keywords, in plain words."),
			  "k", k, "collection", collection_prop(s),
			  "required", "query", "additionalProperties", 0),
		json_pack("{s:s, s:{s:{s:s}, s:{s:s}, s:{s:s, s:o}, s:{s:s}}, s:[s,s,s]}",
			  "type", "object", "properties", "query", "type", "string",
			  "mode", "type", "string", "hits", "type", "array", "items", hit,
			  "note", "type", "string", "required", "query", "mode", "hits")));
	json_array_append_new(tools, tool_def(version, "ask", "Ask the documents",
		"Answers a question from the user's own documents only, citing the passages it "
		"used as [1], [2] and listing them (path, page, heading). Without a language "
		"model the answer is extractive: the sentences that best answer it. When nothing "
		"in the documents bears on the question it says \"The documents do not answer "
		"this question.\" and gives the nearest passages instead of guessing.",
		json_pack("{s:s, s:{s:o, s:o}, s:[s], s:b}", "type", "object", "properties",
			  "question", prop("string", "The question, in plain words."),
			  "collection", collection_prop(s),
			  "required", "question", "additionalProperties", 0),
		json_pack("{s:s, s:{s:{s:s}, s:{s:s}, s:{s:s, s:[s,s,s]}, s:o, s:{s:s, s:o},"
			  " s:{s:s}}, s:[s,s,s,s]}",
			  "type", "object", "properties", "question", "type", "string",
			  "answer", "type", "string",
			  "mode", "type", "string", "enum", "generated", "extractive", "no_evidence",
			  "model", nullable("string"), "sources", "type", "array", "items", source,
			  "note", "type", "string",
			  "required", "question", "answer", "mode", "sources")));
	json_array_append_new(tools, tool_def(version, "read_document", "Read a document",
		"Reads a document's text around a passage: give the document_id (or path) and "
		"the start and end byte offsets from a search hit or an ask source, and how much "
		"text around it to include. Without offsets it reads from the document's start. "
		"Offsets of the text returned are given, so reading on is a call with start at "
		"the previous end_byte.",
		json_pack("{s:s, s:{s:{s:[s,s], s:s}, s:{s:s, s:i, s:s}, s:{s:s, s:i, s:s},"
			  " s:{s:s, s:i, s:i, s:s}, s:o}, s:[s], s:b}",
			  "type", "object", "properties",
			  "document", "type", "integer", "string", "description",
			  "The document_id from search or ask, or the document's path.",
			  "start", "type", "integer", "minimum", 0, "description",
			  "The passage's first byte (start_byte; default 0).",
			  "end", "type", "integer", "minimum", 0, "description",
			  "The byte after the passage (end_byte; default: start).",
			  "context", "type", "integer", "minimum", 0, "maximum", READ_CONTEXT_MAX,
			  "description", "Bytes of text to add before and after (default 1000).",
			  "collection", collection_prop(s),
			  "required", "document", "additionalProperties", 0),
		json_pack("{s:s, s:{s:{s:s}, s:{s:s}, s:{s:s}, s:o, s:{s:s}, s:{s:s}, s:{s:s},"
			  " s:o, s:o, s:{s:s}, s:{s:s}, s:{s:s}}, s:[s,s,s,s,s,s]}",
			  "type", "object", "properties",
			  "document_id", "type", "integer", "path", "type", "string",
			  "collection", "type", "string", "title", nullable("string"),
			  "start_byte", "type", "integer", "end_byte", "type", "integer",
			  "text_bytes", "type", "integer",
			  "page_start", nullable("integer"), "page_end", nullable("integer"),
			  "text", "type", "string", "more_before", "type", "boolean",
			  "more_after", "type", "boolean",
			  "required", "document_id", "path", "start_byte", "end_byte", "text_bytes",
			  "text")));
	return json_pack("{s:o}", "tools", tools);
}

static int tool_known(const char *name)
{
	return strcmp(name, "search") == 0 || strcmp(name, "ask") == 0 ||
	       strcmp(name, "read_document") == 0;
}

/* ---- tool results ---- */

/* A result for the caller to read: text, and the structured twin when the
 * session's version has structured results (it takes ownership of both). */
static json_t *tool_result(int version, dbuf *text, json_t *structured)
{
	json_t *r = json_pack("{s:[{s:s, s:o}], s:b}", "content", "type", "text",
			      "text", jstr(text->data ? text->data : ""), "isError", 0);
	if (r && structured && version <= V_2025_06_18)
		json_object_set_new(r, "structuredContent", structured);
	else
		json_decref(structured);
	return r;
}

static json_t *tool_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static json_t *tool_error(const char *fmt, ...)
{
	char msg[1400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return json_pack("{s:[{s:s, s:o}], s:b}", "content", "type", "text", "text", jstr(msg),
			 "isError", 1);
}

/* The library's message for a failure, for the tool's error. */
static json_t *tool_fail(const char *what, int rc)
{
	const char *m = docent_error_message();
	return tool_error("%s: %s", what, m[0] ? m : docent_strerror(rc));
}

/* ---- arguments ---- */

/* Every argument must be one the tool takes (a misspelt "top_k" silently
 * ignored would look like a worse search). */
static json_t *check_names(json_t *args, const char *tool, const char *const *names)
{
	const char *key;
	json_t *v;

	json_object_foreach(args, key, v) {
		size_t i;
		for (i = 0; names[i]; i++)
			if (strcmp(key, names[i]) == 0)
				break;
		if (!names[i]) {
			char list[256] = "";
			for (i = 0; names[i]; i++) {
				size_t used = strlen(list);
				snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", names[i]);
			}
			return tool_error("%s takes no argument '%s'; its arguments are: %s", tool,
					  key, list);
		}
	}
	return NULL;
}

/* A string argument: NULL when absent; *err set when present but not a
 * string (or an empty one when required). */
static const char *arg_string(json_t *args, const char *name, int required, json_t **err)
{
	json_t *v = json_object_get(args, name);
	if (!v || json_is_null(v)) {
		if (required)
			*err = tool_error("the argument '%s' is required", name);
		return NULL;
	}
	if (!json_is_string(v) || (required && json_string_length(v) == 0)) {
		*err = tool_error("the argument '%s' must be a%s string", name,
				  required ? " non-empty" : "");
		return NULL;
	}
	return json_string_value(v);
}

/* An integer argument from lo to hi, *out unchanged when absent. A number
 * with no fraction (5.0) or a string of digits is taken too: agents'
 * models write either now and then. */
static int arg_int(json_t *args, const char *name, long long lo, long long hi, long long *out,
		   json_t **err)
{
	json_t *v = json_object_get(args, name);
	long long x;

	if (!v || json_is_null(v))
		return 0;
	if (json_is_integer(v)) {
		x = json_integer_value(v);
	} else if (json_is_real(v) && fabs(json_real_value(v)) < 1e15 &&
		   json_real_value(v) == (double)(long long)json_real_value(v)) {
		x = (long long)json_real_value(v);
	} else if (json_is_string(v) && json_string_length(v) > 0 && json_string_length(v) < 19 &&
		   strspn(json_string_value(v), "0123456789") == json_string_length(v)) {
		x = strtoll(json_string_value(v), NULL, 10);
	} else {
		*err = tool_error("the argument '%s' must be a whole number from %lld to %lld",
				  name, lo, hi);
		return -1;
	}
	if (x < lo || x > hi) {
		*err = tool_error("the argument '%s' must be from %lld to %lld, not %lld", name,
				  lo, hi, x);
		return -1;
	}
	*out = x;
	return 0;
}

/* The collection a call uses: the one it names, or the server's. */
static const char *arg_collection(server *s, json_t *args, json_t **err)
{
	const char *c = arg_string(args, "collection", 0, err);
	if (*err)
		return NULL;
	if (c && !c[0])
		c = NULL;
	if (s->p.collection) {
		if (c && strcmp(c, s->p.collection) != 0) {
			*err = tool_error("this server serves the collection '%s' only (docent mcp "
					  "-c %s), not '%s'", s->p.collection, s->p.collection, c);
			return NULL;
		}
		return s->p.collection;
	}
	return c;
}

/* ---- what stays open between calls ---- */

static void coll_free(coll_cache *c)
{
	if (!c)
		return;
	answerer_close(c->a);
	retriever_close(c->r);
	free(c->name);
	free(c);
}

static void colls_free(server *s)
{
	while (s->colls) {
		coll_cache *next = s->colls->next;
		coll_free(s->colls);
		s->colls = next;
	}
	for (size_t i = 0; i < s->nembs; i++)
		embedder_free(s->embs[i]);
	free(s->embs);
	s->embs = NULL;
	s->nembs = 0;
}

static int same_name(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* The embedding model a search of `collection` uses (NULL: keywords).
 * Collections embedded by one model share it: a model is large. */
static int embedder_for(server *s, const char *collection, embedder **out)
{
	embedder *e = NULL, **grown;
	int rc;

	*out = NULL;
	if (!s->p.models.search_embedder)
		return 0;
	if ((rc = s->p.models.search_embedder(s->p.models.ctx, collection, &e)) != 0 || !e)
		return rc;
	for (size_t i = 0; i < s->nembs; i++)
		if (strcmp(embedder_model_id(s->embs[i]), embedder_model_id(e)) == 0) {
			embedder_free(e);
			*out = s->embs[i];
			return 0;
		}
	if (!(grown = realloc(s->embs, (s->nembs + 1) * sizeof *grown))) {
		embedder_free(e);
		return docent_error_set(DOCENT_ENOMEM, "out of memory");
	}
	s->embs = grown;
	s->embs[s->nembs++] = e;
	*out = e;
	return 0;
}

/*
 * What the vectors of `collection` (NULL: all) are now: count and id sum
 * (chunk ids are never reused, so these tell two sets apart) and, for all,
 * the sum of collection ids. It changes when an ingest, a reindex or a
 * removal runs beside the server, whose FAISS indexes are then reopened:
 * a server lives for days in an editor. DOCENT_ENOTFOUND for a collection
 * that does not exist.
 */
static int vectors_stamp(server *s, const char *collection, int64_t stamp[3])
{
	store_collection *cs = NULL;
	store_vec_totals t;
	size_t n = 0;
	int64_t id;
	int rc;

	memset(stamp, 0, 3 * sizeof *stamp);
	if (collection) {
		if ((rc = store_collection_id(s->p.store, collection, 0, &id)) != 0 ||
		    (rc = store_vectors_totals(s->p.store, id, &t)) != 0)
			return rc;
		stamp[0] = t.count;
		stamp[1] = t.idsum;
		stamp[2] = id;
		return 0;
	}
	if ((rc = store_collection_names(s->p.store, &cs, &n)) != 0)
		return rc;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if ((rc = store_vectors_totals(s->p.store, cs[i].id, &t)) != 0)
			break;
		stamp[0] += t.count;
		stamp[1] += t.idsum;
		stamp[2] += cs[i].id;
	}
	store_collection_list_free(cs, n);
	return rc;
}

/* (Re)opens c's retriever for vectors as they are now; the answerer is
 * opened by ask when it needs it. */
static int coll_open(server *s, coll_cache *c, const int64_t stamp[3])
{
	int rc;

	answerer_close(c->a);
	retriever_close(c->r);
	c->a = NULL;
	c->r = NULL;
	/* vectors that came since: the model they were made with */
	if (!c->emb && (rc = embedder_for(s, c->name, &c->emb)) != 0)
		return rc;
	if ((rc = retriever_open(&c->r, s->p.store, c->emb, &s->p.vindex)) != 0)
		return rc;
	memcpy(c->stamp, stamp, sizeof c->stamp);
	return 0;
}

/* The embedder and retriever of `collection` (NULL: all), kept between
 * calls and reopened when the vectors changed. */
static int coll_get(server *s, const char *collection, coll_cache **out)
{
	coll_cache *c, **pp;
	int64_t stamp[3];
	int rc;

	if ((rc = vectors_stamp(s, collection, stamp)) != 0)
		return rc;
	for (pp = &s->colls; (c = *pp) != NULL; pp = &c->next)
		if (same_name(c->name, collection))
			break;
	if (c && memcmp(c->stamp, stamp, sizeof stamp) == 0) {
		*out = c;
		return 0;
	}
	if (c) {
		logf_(s, "the vectors of %s changed: reopening", collection ? collection :
		      "the collections");
		*pp = c->next; /* back in at the head once reopened */
	} else if (!(c = calloc(1, sizeof *c)) ||
		   (collection && !(c->name = strdup(collection)))) {
		free(c);
		return docent_error_set(DOCENT_ENOMEM, "out of memory");
	}
	if ((rc = coll_open(s, c, stamp)) != 0) {
		coll_free(c);
		return rc;
	}
	c->next = s->colls;
	s->colls = c;
	*out = c;
	return 0;
}

/* ---- search ---- */

static json_t *hit_json(const store_hit *h)
{
	json_t *o = json_pack("{s:i, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:I, s:o, s:f}",
		"rank", h->rank, "document_id", (json_int_t)h->doc_id,
		"chunk_id", (json_int_t)h->chunk_id, "collection", jstr(h->collection ? h->collection : ""),
		"path", jstr(h->path ? h->path : ""), "title", jstr(h->title),
		"heading", jstr(h->heading), "page_start", jint_or_null(h->page_start),
		"page_end", jint_or_null(h->page_end), "start_byte", (json_int_t)h->start_byte,
		"end_byte", (json_int_t)h->end_byte, "snippet", jstr(h->snippet ? h->snippet : ""),
		"score", h->score);
	if (o)
		json_object_set_new(o, "duplicates", json_integer(h->duplicates));
	return o;
}

/* "Title > Heading", saying the title once when the heading starts with it */
static void put_where(dbuf *b, const char *title, const char *heading)
{
	title = title && title[0] ? title : NULL;
	heading = heading && heading[0] ? heading : NULL;
	if (title && heading && strncmp(heading, title, strlen(title)) == 0)
		title = NULL;
	if (title)
		dbuf_puts(b, title);
	if (title && heading)
		dbuf_puts(b, " > ");
	if (heading)
		dbuf_puts(b, heading);
}

static void put_pages(dbuf *b, int start, int end)
{
	if (start > 0 && end > start)
		dbuf_printf(b, ", pages %d-%d", start, end);
	else if (start > 0)
		dbuf_printf(b, ", page %d", start);
}

static json_t *tool_search(server *s, json_t *args, int version)
{
	static const char *const names[] = { "query", "k", "collection", NULL };
	json_t *err = check_names(args, "search", names), *hits_j, *st;
	const char *query, *collection;
	long long k = default_k(s);
	retrieve_params rp = s->p.search;
	retrieve_info info;
	store_hit *hits = NULL;
	size_t n = 0;
	coll_cache *c;
	dbuf b = DBUF_INIT;
	int rc;

	if (err)
		return err;
	query = arg_string(args, "query", 1, &err);
	if (!err)
		arg_int(args, "k", 1, SEARCH_K_MAX, &k, &err);
	collection = err ? NULL : arg_collection(s, args, &err);
	if (err)
		return err;
	if ((rc = coll_get(s, collection, &c)) != 0)
		return tool_fail("cannot search", rc);
	rp.search.collection = collection;
	rp.search.k = (size_t)k;
	rp.search.mark_open = "**";
	rp.search.mark_close = "**";
	if ((rc = retrieve(c->r, query, &rp, &hits, &n, &info)) != 0)
		return tool_fail("search failed", rc);
	if (info.vectors_rebuilt)
		logf_(s, "the vector index was out of date and was rebuilt");

	hits_j = json_array();
	if (n == 0)
		dbuf_printf(&b, "No passage matches \"%s\".\n", query);
	for (size_t i = 0; i < n; i++) {
		const store_hit *h = &hits[i];
		json_array_append_new(hits_j, hit_json(h));
		dbuf_printf(&b, "%d. %s", h->rank, h->path ? h->path : "?");
		put_pages(&b, h->page_start, h->page_end);
		dbuf_puts(&b, "\n   ");
		if ((h->title && h->title[0]) || (h->heading && h->heading[0])) {
			put_where(&b, h->title, h->heading);
			dbuf_puts(&b, "\n   ");
		}
		dbuf_printf(&b, "document_id %lld, bytes %lld-%lld%s%s\n   ", (long long)h->doc_id,
			    (long long)h->start_byte, (long long)h->end_byte,
			    s->p.collection ? "" : ", collection ",
			    s->p.collection ? "" : (h->collection ? h->collection : "?"));
		for (const char *p = h->snippet ? h->snippet : ""; *p; p++)
			dbuf_putc(&b, *p == '\n' ? ' ' : *p);
		if (h->duplicates > 0)
			dbuf_printf(&b, "\n   (and %d near-identical passage%s elsewhere)", h->duplicates,
				    h->duplicates == 1 ? "" : "s");
		dbuf_puts(&b, "\n\n");
	}
	if (info.note[0])
		dbuf_printf(&b, "(keyword search only: %s)\n", info.note);
	st = json_pack("{s:o, s:s, s:o}", "query", jstr(query),
		       "mode", retrieve_mode_name(info.mode), "hits", hits_j);
	if (st && info.note[0])
		json_object_set_new(st, "note", jstr(info.note));
	store_hits_free(hits, n);
	{
		json_t *r = tool_result(version, &b, st);
		dbuf_free(&b);
		return r;
	}
}

/* ---- ask ---- */

static int ensure_models(server *s, json_t **err)
{
	int rc;

	if (!s->gen_open && s->p.models.generator) {
		if ((rc = s->p.models.generator(s->p.models.ctx, &s->gen)) != 0) {
			*err = tool_fail("cannot open the language model", rc);
			return rc;
		}
	}
	s->gen_open = 1;
	if (!s->rr_open && s->p.models.reranker) {
		if ((rc = s->p.models.reranker(s->p.models.ctx, &s->rr)) != 0) {
			*err = tool_fail("cannot open the reranking model", rc);
			return rc;
		}
	}
	s->rr_open = 1;
	return 0;
}

/* notifications/progress for the running call, when its client sent a
 * progressToken: `progress` only grows; the message says the stage. */
static void send_progress(server *s, double progress, const char *message)
{
	json_t *params;

	if (!s->progress_token)
		return;
	params = json_pack("{s:O, s:f}", "progressToken", s->progress_token, "progress", progress);
	if (params && message && s->progress_version <= V_2025_03_26)
		json_object_set_new(params, "message", json_string(message));
	send_msg(s, json_pack("{s:s, s:s, s:o}", "jsonrpc", "2.0",
			      "method", "notifications/progress", "params", params));
	s->progress_sent = now_ms();
}

/* Each piece of the answer: a progress notification at most every 250 ms,
 * counting the pieces written. */
static int on_piece(void *ctx, const char *piece, size_t n)
{
	server *s = ctx;
	char msg[64];

	(void)piece;
	(void)n;
	s->progress_pieces++;
	if (s->progress_token && now_ms() - s->progress_sent >= 250) {
		snprintf(msg, sizeof msg, "writing the answer: %d tokens", s->progress_pieces);
		send_progress(s, 1 + s->progress_pieces, msg);
	}
	return s->cancel != 0;
}

static json_t *source_json(const pack_item *it)
{
	return json_pack("{s:i, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:I, s:I, s:o}",
		"n", it->n, "document_id", (json_int_t)it->doc_id,
		"chunk_id", (json_int_t)it->chunk_id, "path", jstr(it->path ? it->path : ""),
		"title", jstr(it->title), "heading", jstr(it->heading),
		"page", jint_or_null(it->page_start),
		"page_end", it->page_end > it->page_start ? json_integer(it->page_end) : json_null(),
		"start_byte", (json_int_t)it->start_byte, "end_byte", (json_int_t)it->end_byte,
		"text", jstr(it->text ? it->text : ""));
}

static void put_source(dbuf *b, const pack_item *it)
{
	dbuf_printf(b, "[%d] %s", it->n, it->path ? it->path : "?");
	put_pages(b, it->page_start, it->page_end);
	if ((it->title && it->title[0]) || (it->heading && it->heading[0])) {
		dbuf_puts(b, " — ");
		put_where(b, it->title, it->heading);
	}
	dbuf_printf(b, " (document_id %lld, bytes %lld-%lld)\n", (long long)it->doc_id,
		    (long long)it->start_byte, (long long)it->end_byte);
}

/* NULL when the call was cancelled: it gets no answer. */
static json_t *tool_ask(server *s, json_t *args, int version)
{
	static const char *const names[] = { "question", "collection", NULL };
	json_t *err = check_names(args, "ask", names), *sources, *st, *r;
	const char *question, *collection;
	answer_params ap = s->p.answer;
	answer_result res;
	coll_cache *c;
	dbuf b = DBUF_INIT;
	int rc;

	memset(&res, 0, sizeof res);
	if (err)
		return err;
	question = arg_string(args, "question", 1, &err);
	collection = err ? NULL : arg_collection(s, args, &err);
	if (err)
		return err;
	if ((rc = coll_get(s, collection, &c)) != 0)
		return tool_fail("cannot answer", rc);
	if (ensure_models(s, &err) != 0)
		return err;
	if (s->cancel)
		return NULL; /* while the model loaded */
	if (!c->a && (rc = answerer_open(&c->a, s->p.store, c->emb, s->gen, &s->p.vindex)) != 0)
		return tool_fail("cannot answer", rc);
	ap.retrieve.search.collection = collection;
	ap.gen.cancel = &s->cancel;
	if (s->rr) {
		ap.rerank = reranker_rank_cb;
		ap.rerank_ctx = s->rr;
	}
	s->progress_pieces = 0;
	send_progress(s, 1, "searching the documents and reading the passages");
	rc = answer_ask(c->a, question, NULL, NULL, 0, &ap, on_piece, s, &res, NULL);
	if (rc) {
		answer_result_free(&res);
		return rc == DOCENT_ECANCELLED ? NULL : tool_fail("cannot answer", rc);
	}
	if (s->cancel || res.stopped_by == GEN_STOP_CANCELLED) {
		answer_result_free(&res);
		return NULL;
	}
	if (res.retrieval.vectors_rebuilt)
		logf_(s, "the vector index was out of date and was rebuilt");

	sources = json_array();
	if (res.mode == ANSWER_EXTRACTIVE)
		dbuf_puts(&b, s->gen ? "Extractive answer (the sentences that best answer the "
			  "question):\n" : "Extractive answer (no language model is set; these "
			  "are the sentences that best answer the question):\n");
	dbuf_puts(&b, res.text ? res.text : "");
	dbuf_puts(&b, "\n");
	if (res.mode == ANSWER_NO_EVIDENCE || res.ncited == 0) {
		if (res.ncontext)
			dbuf_puts(&b, res.mode == ANSWER_NO_EVIDENCE
				  ? "\nNearest passages (they do not answer it):\n"
				  : "\nThe answer cites no passage. It was given these:\n");
		for (size_t i = 0; i < res.ncontext; i++) {
			json_array_append_new(sources, source_json(&res.context[i]));
			put_source(&b, &res.context[i]);
		}
	} else {
		dbuf_puts(&b, "\nSources:\n");
		for (size_t i = 0; i < res.ncited; i++) {
			const pack_item *it = answer_item(&res, res.cited[i]);
			if (!it)
				continue;
			json_array_append_new(sources, source_json(it));
			put_source(&b, it);
		}
	}
	if (res.retrieval.note[0])
		dbuf_printf(&b, "(keyword retrieval only: %s)\n", res.retrieval.note);
	st = json_pack("{s:o, s:o, s:s, s:o, s:o}", "question", jstr(question),
		       "answer", jstr(res.text ? res.text : ""), "mode", answer_mode_name(res.mode),
		       "model", s->gen ? jstr(generator_model_id(s->gen)) : json_null(),
		       "sources", sources);
	if (st && res.retrieval.note[0])
		json_object_set_new(st, "note", jstr(res.retrieval.note));
	answer_result_free(&res);
	r = tool_result(version, &b, st);
	dbuf_free(&b);
	return r;
}

/* ---- read_document ---- */

static json_t *tool_read(server *s, json_t *args, int version)
{
	static const char *const names[] = { "document", "start", "end", "context", "collection",
					     NULL };
	json_t *err = check_names(args, "read_document", names), *st, *r, *dv;
	source_params sp = source_default_params();
	source_text t;
	const char *collection, *doc;
	char idbuf[32];
	long long start = 0, end = 0, context = 1000;
	dbuf b = DBUF_INIT;
	int rc;

	if (err)
		return err;
	dv = json_object_get(args, "document");
	if (json_is_integer(dv)) {
		snprintf(idbuf, sizeof idbuf, "%lld", (long long)json_integer_value(dv));
		doc = idbuf;
	} else {
		doc = arg_string(args, "document", 1, &err);
	}
	if (!err)
		arg_int(args, "start", 0, INT64_MAX / 2, &start, &err);
	if (!err)
		arg_int(args, "end", 0, INT64_MAX / 2, &end, &err);
	if (!err)
		arg_int(args, "context", 0, READ_CONTEXT_MAX, &context, &err);
	collection = err ? NULL : arg_collection(s, args, &err);
	if (err)
		return err;
	sp.start = start;
	sp.end = end;
	sp.context = (size_t)context;
	sp.max_bytes = READ_MAX_BYTES;
	/* with no passage, the document from its start */
	if (!json_object_get(args, "start") && !json_object_get(args, "end"))
		sp.context = 0, sp.end = (int64_t)(context > 0 ? context * 2 : 2000);
	rc = source_read(s->p.store, collection, doc, &sp, &t);
	if (rc == DOCENT_ENOTFOUND && strncmp(docent_error_message(), "no document", 11) == 0)
		return tool_error("no document %s%s%s%s: give a document_id or a path from the "
				  "results of search or ask", doc,
				  collection ? " in the collection '" : "",
				  collection ? collection : "", collection ? "'" : "");
	if (rc == DOCENT_EINVAL && strstr(docent_error_message(), "several collections"))
		return tool_error("%s; give the collection argument, or the document_id instead",
				  docent_error_message());
	if (rc)
		return tool_fail("cannot read the document", rc);
	dbuf_printf(&b, "%s (document_id %lld", t.path, (long long)t.doc_id);
	if (t.title && t.title[0])
		dbuf_printf(&b, ", \"%s\"", t.title);
	put_pages(&b, t.page_start, t.page_end);
	dbuf_printf(&b, "; bytes %lld-%lld of %lld)\n\n%s%s%s\n", (long long)t.start_byte,
		    (long long)t.end_byte, (long long)t.text_bytes, t.start_byte > 0 ? "… " : "",
		    t.text, t.end_byte < t.text_bytes ? " …" : "");
	st = json_pack("{s:I, s:o, s:o, s:o, s:I, s:I, s:I, s:o, s:o, s:o, s:b, s:b}",
		       "document_id", (json_int_t)t.doc_id, "path", jstr(t.path),
		       "collection", jstr(t.collection ? t.collection : ""), "title", jstr(t.title),
		       "start_byte", (json_int_t)t.start_byte, "end_byte", (json_int_t)t.end_byte,
		       "text_bytes", (json_int_t)t.text_bytes,
		       "page_start", jint_or_null(t.page_start), "page_end", jint_or_null(t.page_end),
		       "text", jstr(t.text), "more_before", t.start_byte > 0,
		       "more_after", t.end_byte < t.text_bytes);
	source_text_free(&t);
	r = tool_result(version, &b, st);
	dbuf_free(&b);
	return r;
}

/* ---- the worker ---- */

static json_t *run_tool(server *s, const job *j)
{
	if (strcmp(j->tool, "search") == 0)
		return tool_search(s, j->args, j->version);
	if (strcmp(j->tool, "ask") == 0)
		return tool_ask(s, j->args, j->version);
	return tool_read(s, j->args, j->version);
}

static void job_free(job *j)
{
	if (!j)
		return;
	json_decref(j->id);
	json_decref(j->args);
	json_decref(j->progress);
	free(j->tool);
	free(j);
}

static void *worker(void *arg)
{
	server *s = arg;

	for (;;) {
		job *j;
		json_t *result;
		int cancelled;

		pthread_mutex_lock(&s->lock);
		while (!s->head && !s->eof)
			pthread_cond_wait(&s->cond, &s->lock);
		if (!s->head) {
			pthread_mutex_unlock(&s->lock);
			break;
		}
		j = s->head;
		s->head = j->next;
		if (!s->head)
			s->tail = NULL;
		s->running = j;
		s->cancel = 0;
		pthread_mutex_unlock(&s->lock);

		docent_error_clear();
		s->progress_token = j->progress;
		s->progress_version = j->version;
		result = run_tool(s, j);
		s->progress_token = NULL;

		pthread_mutex_lock(&s->lock);
		cancelled = s->cancel;
		s->running = NULL;
		pthread_mutex_unlock(&s->lock);
		if (cancelled || !result) {
			logf_(s, "tools/call %s cancelled (%.0f ms)", j->tool, now_ms() - j->t0);
			json_decref(result);
		} else {
			json_t *ie = json_object_get(result, "isError");
			logf_(s, "tools/call %s%s (%.0f ms)", j->tool,
			      json_is_true(ie) ? " failed" : "", now_ms() - j->t0);
			if (json_is_true(ie))
				logf_(s, "  %s", json_string_value(json_object_get(
					json_array_get(json_object_get(result, "content"), 0), "text")));
			send_result(s, j->id, result);
		}
		job_free(j);
	}
	return NULL;
}

/* ---- the reader: one message ---- */

static void on_initialize(server *s, json_t *id, json_t *params)
{
	json_t *pv = json_object_get(params, "protocolVersion");
	int v = 0;

	if (!json_is_object(params) || !json_is_string(pv)) {
		send_error(s, id, RPC_INVALID_PARAMS, "initialize needs params.protocolVersion, a "
			   "string such as \"%s\"", MCP_PROTOCOL_LATEST);
		return;
	}
	for (size_t i = 0; i < NVERSIONS; i++)
		if (strcmp(json_string_value(pv), versions[i]) == 0)
			v = (int)i;
	/* an unknown version (older, or newer than this server) gets the latest */
	pthread_mutex_lock(&s->lock);
	s->version = v;
	pthread_mutex_unlock(&s->lock);
	{
		json_t *ci = json_object_get(params, "clientInfo");
		const char *cn = json_string_value(json_object_get(ci, "name"));
		logf_(s, "initialize: client %s, protocol %s (answered %s)", cn ? cn : "?",
		      json_string_value(pv), versions[v]);
	}
	{
		json_t *r = json_pack("{s:s, s:{s:{s:b}}, s:{s:s, s:s}}",
			"protocolVersion", versions[v], "capabilities", "tools", "listChanged", 0,
			"serverInfo", "name", "docent", "version", s->p.version);
		if (r && v <= V_2025_06_18)
			json_object_set_new(json_object_get(r, "serverInfo"), "title",
					    json_string("docent"));
		/* what an agent should know before it calls anything */
		if (r && v <= V_2025_03_26)
			json_object_set_new(r, "instructions", json_string(
				"docent searches the user's own documents (files they indexed on "
				"this machine). Use search to find passages, read_document to see a "
				"passage in its place, and ask for an answer with cited sources. "
				"Cite the paths of the documents you use."));
		send_result(s, id, r);
	}
}

static void on_cancelled(server *s, json_t *params)
{
	json_t *rid = json_object_get(params, "requestId");
	job **pp;

	if (!rid)
		return;
	pthread_mutex_lock(&s->lock);
	if (s->running && json_equal(s->running->id, rid)) {
		s->cancel = 1;
		logf_(s, "cancelling the running %s", s->running->tool);
	} else {
		for (pp = &s->head; *pp; pp = &(*pp)->next)
			if (json_equal((*pp)->id, rid)) {
				job *j = *pp;
				*pp = j->next;
				if (s->tail == j) {
					s->tail = NULL;
					for (job *t = s->head; t; t = t->next)
						s->tail = t;
				}
				logf_(s, "tools/call %s cancelled before it ran", j->tool);
				job_free(j);
				break;
			}
	}
	pthread_mutex_unlock(&s->lock);
}

static void on_tools_call(server *s, json_t *id, json_t *params)
{
	json_t *name = json_object_get(params, "name"), *args = json_object_get(params, "arguments");
	job *j;

	if (!json_is_object(params) || !json_is_string(name)) {
		send_error(s, id, RPC_INVALID_PARAMS, "tools/call needs params.name, the tool's name "
			   "(search, ask or read_document)");
		return;
	}
	if (!tool_known(json_string_value(name))) {
		send_error(s, id, RPC_INVALID_PARAMS, "Unknown tool: %s (the tools are search, ask "
			   "and read_document)", json_string_value(name));
		return;
	}
	if (args && !json_is_object(args) && !json_is_null(args)) {
		send_error(s, id, RPC_INVALID_PARAMS, "tools/call params.arguments must be an object");
		return;
	}
	if (!(j = calloc(1, sizeof *j)) || !(j->tool = strdup(json_string_value(name)))) {
		free(j);
		send_error(s, id, RPC_INTERNAL_ERROR, "out of memory");
		return;
	}
	j->id = json_incref(id);
	j->args = json_is_object(args) ? json_incref(args) : json_object();
	{
		json_t *tok = json_object_get(json_object_get(params, "_meta"), "progressToken");
		if (json_is_string(tok) || json_is_integer(tok))
			j->progress = json_incref(tok);
	}
	j->t0 = now_ms();
	pthread_mutex_lock(&s->lock);
	j->version = s->version;
	if (s->tail)
		s->tail->next = j;
	else
		s->head = j;
	s->tail = j;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

static void on_message(server *s, const char *line, size_t len)
{
	json_error_t jerr;
	json_t *msg = json_loadb(line, len, JSON_DECODE_ANY, &jerr), *id, *params;
	const char *method, *version;

	if (!msg) {
		send_error(s, NULL, RPC_PARSE_ERROR, "Parse error: %s (at character %d)", jerr.text,
			   jerr.position);
		return;
	}
	if (json_is_array(msg)) {
		send_error(s, NULL, RPC_INVALID_REQUEST, "Invalid Request: batches of messages are "
			   "not supported; send one message a line");
		goto done;
	}
	if (!json_is_object(msg)) {
		send_error(s, NULL, RPC_INVALID_REQUEST, "Invalid Request: a message is a JSON object");
		goto done;
	}
	id = json_object_get(msg, "id");
	method = json_string_value(json_object_get(msg, "method"));
	version = json_string_value(json_object_get(msg, "jsonrpc"));
	params = json_object_get(msg, "params");
	if (id && !json_is_string(id) && !json_is_integer(id)) {
		send_error(s, NULL, RPC_INVALID_REQUEST, "Invalid Request: an id is a string or an "
			   "integer");
		goto done;
	}
	if (!version || strcmp(version, "2.0") != 0) {
		send_error(s, id, RPC_INVALID_REQUEST, "Invalid Request: \"jsonrpc\" must be \"2.0\"");
		goto done;
	}
	if (!method) {
		/* a response (this server sends no requests) is ignored */
		if (!json_object_get(msg, "result") && !json_object_get(msg, "error"))
			send_error(s, id, RPC_INVALID_REQUEST, "Invalid Request: no \"method\"");
		goto done;
	}
	if (params && !json_is_object(params) && !json_is_null(params)) {
		if (id)
			send_error(s, id, RPC_INVALID_PARAMS, "Invalid params: params must be an object");
		goto done;
	}
	if (!id) {
		/* notifications: never answered */
		if (strcmp(method, "notifications/cancelled") == 0)
			on_cancelled(s, params);
		goto done;
	}
	if (strcmp(method, "initialize") == 0)
		on_initialize(s, id, params);
	else if (strcmp(method, "ping") == 0)
		send_result(s, id, json_object());
	else if (strcmp(method, "tools/list") == 0) {
		int v;
		pthread_mutex_lock(&s->lock);
		v = s->version;
		pthread_mutex_unlock(&s->lock);
		send_result(s, id, tools_list(s, v));
	} else if (strcmp(method, "tools/call") == 0)
		on_tools_call(s, id, params);
	else
		send_error(s, id, RPC_METHOD_NOT_FOUND, "Method not found: %s", method);
done:
	json_decref(msg);
}

/*
 * Reads one line into b (without its "\n" or "\r\n"). Returns 1 for a line,
 * 0 at the end of the input, -1 on a read error. A line longer than max is
 * read to its end and dropped: *too_long is set and b left empty.
 */
static int read_line(FILE *in, dbuf *b, size_t max, int *too_long)
{
	int ch, any = 0;

	dbuf_reset(b);
	*too_long = 0;
	while ((ch = getc(in)) != EOF) {
		any = 1;
		if (ch == '\n')
			break;
		if (*too_long)
			continue;
		if (b->len >= max) {
			*too_long = 1;
			dbuf_free(b);
			continue;
		}
		if (dbuf_putc(b, (char)ch) != 0)
			return -2;
	}
	if (ch == EOF && ferror(in))
		return -1;
	if (!any)
		return 0;
	if (b->len && b->data[b->len - 1] == '\r')
		dbuf_truncate(b, b->len - 1);
	return 1;
}

int mcp_serve(FILE *in, FILE *out, const mcp_params *p)
{
	server s;
	pthread_t th;
	dbuf line = DBUF_INIT;
	int rc = 0, r, too_long;

	if (!in || !out || !p || !p->store)
		return docent_error_set(DOCENT_EINVAL, "mcp_serve needs streams and a store");
	memset(&s, 0, sizeof s);
	s.p = *p;
	if (!s.p.max_message)
		s.p.max_message = 4u << 20;
	if (!s.p.version)
		s.p.version = "0";
	s.out = out;
	pthread_mutex_init(&s.out_lock, NULL);
	pthread_mutex_init(&s.lock, NULL);
	pthread_cond_init(&s.cond, NULL);
	if (pthread_create(&th, NULL, worker, &s) != 0) {
		rc = docent_error_set(DOCENT_ENOMEM, "cannot start the MCP server's worker thread");
		goto done;
	}
	while ((r = read_line(in, &line, s.p.max_message, &too_long)) == 1) {
		if (too_long) {
			send_error(&s, NULL, RPC_INVALID_REQUEST, "Invalid Request: a message longer "
				   "than %zu bytes", s.p.max_message);
			continue;
		}
		if (line.len == 0 || strspn(line.data, " \t") == line.len)
			continue;
		on_message(&s, line.data, line.len);
	}
	if (r == -1)
		rc = docent_error_set(DOCENT_EIO, "reading the MCP client's messages: %s",
				      strerror(errno));
	else if (r == -2)
		rc = docent_error_set(DOCENT_ENOMEM, "out of memory reading a message");
	pthread_mutex_lock(&s.lock);
	s.eof = 1;
	pthread_cond_signal(&s.cond);
	pthread_mutex_unlock(&s.lock);
	pthread_join(th, NULL);
	if (!rc && s.write_failed)
		rc = docent_error_set(DOCENT_EIO, "writing to the MCP client failed");
done:
	colls_free(&s);
	generator_free(s.gen);
	reranker_free(s.rr);
	dbuf_free(&line);
	pthread_cond_destroy(&s.cond);
	pthread_mutex_destroy(&s.lock);
	pthread_mutex_destroy(&s.out_lock);
	return rc;
}
