/*
 * api_openai.c - the OpenAI-compatible endpoint, so that any chat client
 * that speaks OpenAI's API can talk to the documents:
 *
 *   GET  /v1/models            "docent" (every collection) and
 *                              "docent:NAME" (one collection)
 *   POST /v1/chat/completions  answered by the same pipeline as /api/ask:
 *                              the last user message is the question, the
 *                              earlier user and assistant messages are the
 *                              history (a follow-up is searched with the
 *                              previous question's words, as docent chat
 *                              does without a model), the model name picks
 *                              the collection. Citations stay in the text
 *                              as [n] and come as an extra "citations"
 *                              field (in the final chunk when streaming).
 *
 * Errors have OpenAI's shape, {"error": {"message", "type", "code"}}, so
 * clients show them; the body is parsed here (not by the server) for that.
 * The sampling fields temperature, top_p, max_tokens (or
 * max_completion_tokens), seed and stop are passed to the language model
 * over the server's configuration; the others (n, logprobs, tools...) are
 * ignored.
 */
#include "web/gen_int.h"
#include "core/error.h"
#include "rag/chat.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void oai_error(web_request *r, int status, const char *type, const char *code,
		      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void oai_error(web_request *r, int status, const char *type, const char *code,
		      const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	web_reply_json(r, status, json_pack("{s:{s:s, s:s, s:s}}", "error", "message", msg,
					    "type", type, "code", code));
}

/* GET /v1/models */
void web_v1_models(web_request *r)
{
	store_collection *c;
	size_t n;
	json_t *data;
	int rc;

	if ((rc = store_collection_names(r->st, &c, &n)) != 0) {
		oai_error(r, 500, "server_error", "internal", "cannot list the collections");
		return;
	}
	data = json_array();
	json_array_append_new(data, json_pack("{s:s, s:s, s:I, s:s}", "id", "docent",
					      "object", "model", "created", (json_int_t)0,
					      "owned_by", "docent"));
	for (size_t i = 0; i < n; i++) {
		char *id;
		if (asprintf(&id, "docent:%s", c[i].name) < 0)
			continue;
		json_array_append_new(data, json_pack("{s:s, s:s, s:I, s:s}", "id", id,
						      "object", "model",
						      "created", (json_int_t)c[i].created_at,
						      "owned_by", "docent"));
		free(id);
	}
	store_collection_list_free(c, n);
	web_reply_json(r, 200, json_pack("{s:s, s:o}", "object", "list", "data", data));
}

typedef struct oai_job {
	gate_ticket ticket;
	int admitted;
	json_t *body;           /* the request; the messages' text is borrowed from it */
	web_ask_in in;
	chat_message *history;
	char *query;            /* a follow-up's search, or NULL */
	char *model;
	char *collection;
	char id[64];
	json_int_t created;
	const char *stop[4];    /* borrowed from body */
} oai_job;

static void oai_job_free(void *p)
{
	oai_job *j = p;

	if (!j)
		return;
	if (j->admitted)
		web_gen_release(&j->ticket);
	json_decref(j->body);
	free(j->history);
	free(j->query);
	free(j->model);
	free(j->collection);
	free(j);
}

/* A message's text: a string, or the text parts of an array of parts
 * (joined with new lines into *joined, which the caller frees). NULL when
 * there is none. */
static const char *message_text(json_t *content, char **joined)
{
	size_t i, len = 0;
	json_t *part;

	*joined = NULL;
	if (json_is_string(content))
		return json_string_value(content);
	if (!json_is_array(content))
		return NULL;
	json_array_foreach(content, i, part) {
		const char *t = json_string_value(json_object_get(part, "text"));
		size_t n = t ? strlen(t) : 0;
		char *p;
		if (!t)
			continue;
		if (!(p = realloc(*joined, len + n + 2)))
			return NULL;
		*joined = p;
		if (len)
			p[len++] = '\n';
		memcpy(p + len, t, n + 1);
		len += n;
	}
	return *joined;
}

/*
 * Reads the messages into j: the last one must be the user's question;
 * earlier user and assistant turns are the history (system messages are
 * the server's business: its prompts decide how it answers). Array
 * contents are joined into strings kept in j->body ("_text" members).
 * Returns 0 or -1 with the error replied.
 */
static int read_messages(web_request *r, oai_job *j)
{
	json_t *msgs = json_object_get(j->body, "messages"), *m;
	const char *prev_user = NULL;
	size_t i, n;

	if (!json_is_array(msgs) || (n = json_array_size(msgs)) == 0) {
		oai_error(r, 400, "invalid_request_error", "invalid_messages",
			  "\"messages\" must be a non-empty array of {role, content}");
		return -1;
	}
	if (!(j->history = calloc(n, sizeof *j->history))) {
		oai_error(r, 500, "server_error", "internal", "out of memory");
		return -1;
	}
	json_array_foreach(msgs, i, m) {
		const char *role = json_string_value(json_object_get(m, "role"));
		char *joined;
		const char *text;

		if (!json_is_object(m) || !role) {
			oai_error(r, 400, "invalid_request_error", "invalid_messages",
				  "messages[%zu] needs a \"role\" and a \"content\"", i);
			return -1;
		}
		text = message_text(json_object_get(m, "content"), &joined);
		if (joined) { /* kept alive with the body */
			json_object_set_new(m, "_text", json_string(joined));
			free(joined);
			text = json_string_value(json_object_get(m, "_text"));
		}
		if (i + 1 == n) {
			if (strcmp(role, "user") != 0 || !text || !text[strspn(text, " \t\r\n")]) {
				oai_error(r, 400, "invalid_request_error", "invalid_messages",
					  "the last message must be the user's question");
				return -1;
			}
			j->in.question = text;
			break;
		}
		if (!text || (strcmp(role, "user") != 0 && strcmp(role, "assistant") != 0))
			continue;
		if (strcmp(role, "user") == 0)
			prev_user = text;
		j->history[j->in.nhistory].role = strcmp(role, "user") == 0 ? "user" : "assistant";
		j->history[j->in.nhistory].content = text;
		j->in.nhistory++;
	}
	j->in.history = j->history;
	/* a follow-up ("and for fathers?") searched with the previous question's
	 * words it lacks, as docent chat does without a model */
	if (prev_user && chat_rewrite_terms(prev_user, j->in.question, &j->query) != 0) {
		oai_error(r, 500, "server_error", "internal", "out of memory");
		return -1;
	}
	j->in.query = j->query;
	return 0;
}

/* "docent" or "docent:NAME" (a collection that exists). */
static int read_model(web_request *r, oai_job *j)
{
	json_t *v = json_object_get(j->body, "model");
	const char *m = json_string_value(v);
	int64_t id;

	if (v && !json_is_string(v)) {
		oai_error(r, 400, "invalid_request_error", "invalid_model", "\"model\" must be a string");
		return -1;
	}
	if (!m || !m[0])
		m = "docent";
	if (!(j->model = strdup(m))) {
		oai_error(r, 500, "server_error", "internal", "out of memory");
		return -1;
	}
	if (strcmp(m, "docent") == 0)
		return 0;
	if (strncmp(m, "docent:", 7) != 0 || !m[7] ||
	    store_collection_id(r->st, m + 7, 0, &id) != 0) {
		oai_error(r, 404, "invalid_request_error", "model_not_found",
			  "The model '%s' does not exist: GET /v1/models lists them (docent, "
			  "docent:COLLECTION)", m);
		return -1;
	}
	if (!(j->collection = strdup(m + 7))) {
		oai_error(r, 500, "server_error", "internal", "out of memory");
		return -1;
	}
	j->in.collection = j->collection;
	return 0;
}

/* A number field in [min, max], or absent (0); -1 with a 400 sent. */
static int sampling_number(web_request *r, json_t *body, const char *key, double min, double max,
			   int *set, double *out)
{
	json_t *v = json_object_get(body, key);

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_number(v) || json_number_value(v) < min || json_number_value(v) > max) {
		oai_error(r, 400, "invalid_request_error", "invalid_value",
			  "\"%s\" must be a number from %g to %g", key, min, max);
		return -1;
	}
	*set = 1;
	*out = json_number_value(v);
	return 0;
}

/* temperature, top_p, max_tokens, seed, stop: checked and kept in j->in. */
static int read_sampling(web_request *r, oai_job *j)
{
	json_t *b = j->body, *v;
	int set = 0;
	double d;

	if (sampling_number(r, b, "temperature", 0, 2, &j->in.temperature_set, &j->in.temperature) ||
	    sampling_number(r, b, "top_p", 0, 1, &j->in.top_p_set, &j->in.top_p))
		return -1;
	v = json_object_get(b, "max_completion_tokens");
	if (sampling_number(r, b, v ? "max_completion_tokens" : "max_tokens", 1, 1e6, &set, &d))
		return -1;
	if (set)
		j->in.max_tokens = (int)d;
	set = 0;
	if (sampling_number(r, b, "seed", 0, 4294967295.0, &set, &d))
		return -1;
	if (set)
		j->in.seed = (uint32_t)d ? (uint32_t)d : 1; /* 0 means random here */
	v = json_object_get(b, "stop");
	if (json_is_string(v)) {
		j->stop[0] = json_string_value(v);
		j->in.nstop = 1;
	} else if (json_is_array(v) && json_array_size(v) <= 4) {
		for (size_t i = 0; i < json_array_size(v); i++) {
			if (!json_is_string(json_array_get(v, i))) {
				oai_error(r, 400, "invalid_request_error", "invalid_value",
					  "\"stop\" must be a string or an array of up to 4 strings");
				return -1;
			}
			j->stop[j->in.nstop++] = json_string_value(json_array_get(v, i));
		}
	} else if (v && !json_is_null(v)) {
		oai_error(r, 400, "invalid_request_error", "invalid_value",
			  "\"stop\" must be a string or an array of up to 4 strings");
		return -1;
	}
	j->in.stop = j->stop;
	return 0;
}

static json_t *chunk_json(const oai_job *j, json_t *delta, const char *finish)
{
	return json_pack("{s:s, s:s, s:I, s:s, s:[{s:i, s:o, s:o}]}",
			 "id", j->id, "object", "chat.completion.chunk", "created", j->created,
			 "model", j->model, "choices", "index", 0, "delta", delta,
			 "finish_reason", finish ? json_string(finish) : json_null());
}

typedef struct oai_stream {
	web_sse *sse;
	oai_job *job;
} oai_stream;

static int on_piece(void *ctx, const char *piece, size_t n)
{
	oai_stream *s = ctx;
	json_t *text = json_stringn(piece, n);

	if (!text)
		return web_sse_cancelled(s->sse);
	return web_sse_send(s->sse, NULL, chunk_json(s->job, json_pack("{s:o}", "content", text),
						     NULL)) != 0;
}

static json_t *usage_json(const json_t *answer)
{
	json_int_t p = json_integer_value(json_object_get(answer, "prompt_tokens"));
	json_int_t c = json_integer_value(json_object_get(answer, "completion_tokens"));
	return json_pack("{s:I, s:I, s:I}", "prompt_tokens", p, "completion_tokens", c,
			 "total_tokens", p + c);
}

static json_t *error_json(web_request *r, int rc)
{
	const char *code;
	int status = web_gen_status(rc, &code);
	return json_pack("{s:{s:s, s:s, s:s}}", "error", "message", web_gen_message(r, rc),
			 "type", status >= 500 ? "server_error" : "invalid_request_error",
			 "code", code);
}

static void produce(web_sse *sse, web_request *r, void *ctx)
{
	oai_job *j = ctx;
	oai_stream s = { sse, j };
	json_t *answer = NULL, *last;
	int rc;

	/* the role first, as OpenAI's streams begin, so a client shows the
	 * reply has started while the passages are searched */
	if (web_sse_send(sse, NULL, chunk_json(j, json_pack("{s:s, s:s}", "role", "assistant",
							    "content", ""), NULL)))
		return;
	j->admitted = 0; /* web_ask_run uses the ticket up */
	rc = web_ask_run(r, &j->ticket, &j->in, web_sse_cancel_flag(sse), on_piece, &s, &answer);
	if (rc) {
		if (!web_sse_cancelled(sse))
			web_sse_send(sse, NULL, error_json(r, rc));
		return;
	}
	last = chunk_json(j, json_object(), "stop");
	if (last) {
		json_object_set(last, "citations", json_object_get(answer, "citations"));
		json_object_set_new(last, "usage", usage_json(answer));
	}
	json_decref(answer);
	if (web_sse_send(sse, NULL, last) == 0)
		web_sse_send_text(sse, NULL, "[DONE]");
}

/* POST /v1/chat/completions */
void web_v1_chat_completions(web_request *r)
{
	static atomic_ulong serial;
	oai_job *j = calloc(1, sizeof *j);
	json_error_t err;
	json_t *stream;
	json_t *answer = NULL, *reply;
	int rc;

	if (!j) {
		oai_error(r, 500, "server_error", "internal", "out of memory");
		return;
	}
	j->in.mode = -1;
	j->body = json_loadb(r->body ? r->body : "", r->body_len, 0, &err);
	if (!json_is_object(j->body)) {
		oai_error(r, 400, "invalid_request_error", "invalid_json",
			  "the body must be a JSON object with \"model\" and \"messages\"%s%s",
			  j->body ? "" : ": ", j->body ? "" : err.text);
		oai_job_free(j);
		return;
	}
	stream = json_object_get(j->body, "stream");
	if (stream && !json_is_boolean(stream) && !json_is_null(stream)) {
		oai_error(r, 400, "invalid_request_error", "invalid_stream",
			  "\"stream\" must be true or false");
		oai_job_free(j);
		return;
	}
	if (read_model(r, j) || read_messages(r, j) || read_sampling(r, j)) {
		oai_job_free(j);
		return;
	}
	snprintf(j->id, sizeof j->id, "chatcmpl-docent-%lx-%lu", (unsigned long)time(NULL),
		 (unsigned long)atomic_fetch_add(&serial, 1));
	j->created = (json_int_t)time(NULL);
	if (web_gen_admit(r, &j->ticket, 1)) {
		oai_job_free(j);
		return;
	}
	j->admitted = 1;
	if (json_is_true(stream)) {
		web_sse_start(r, produce, j, oai_job_free);
		return;
	}
	j->admitted = 0;
	rc = web_ask_run(r, &j->ticket, &j->in, NULL, NULL, NULL, &answer);
	if (rc) {
		const char *code;
		web_reply_json(r, web_gen_status(rc, &code), error_json(r, rc));
		oai_job_free(j);
		return;
	}
	reply = json_pack("{s:s, s:s, s:I, s:s, s:[{s:i, s:{s:s, s:O}, s:s}], s:o, s:O}",
			  "id", j->id, "object", "chat.completion", "created", j->created,
			  "model", j->model, "choices", "index", 0, "message", "role", "assistant",
			  "content", json_object_get(answer, "answer"), "finish_reason", "stop",
			  "usage", usage_json(answer), "citations", json_object_get(answer, "citations"));
	json_decref(answer);
	web_reply_json(r, 200, reply);
	oai_job_free(j);
}
