/*
 * gen_http.c - the generator backend for model servers, streamed:
 * OpenAI-compatible POST {url}/chat/completions (and /completions for raw
 * prompts) answering in server-sent events, and Ollama POST {url}/api/chat
 * (and /api/generate with "raw") answering in JSON lines.
 *
 * Each payload is parsed as it arrives and its text handed to the caller.
 * Text is passed on only up to the last whole UTF-8 character; a partial
 * character waits for the rest. Stop strings and the sampling settings go
 * to the server (OpenAI-compatible servers get only the standard fields:
 * temperature, top_p, max_tokens, seed, stop; strict servers refuse
 * others). When the callback returns non-zero the transfer is aborted and
 * the call returns 0 with stopped_by GEN_STOP_CANCELLED. A stream that ends
 * without its closing record (finish_reason, or "done") is an error: the
 * reply was cut off. Token counts are the server's when it sends them,
 * else the number of pieces.
 *
 * Servers do not all do as asked. One that answers a streamed request with
 * a plain JSON reply (on one line or spread over many) has that reply's
 * text passed on whole. One that ignores max_tokens is cut off here after
 * max_tokens pieces (a piece is a token for every streaming server seen),
 * stopped_by GEN_STOP_LENGTH.
 */
#include "engine/engine_int.h"
#include "engine/http.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/text.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_TIMEOUT_MS 120000

typedef struct gen_http {
	model_backend kind;
	char url[2048];
	char model[512];
	http_opts http;
} gen_http;

typedef struct stream {
	gen_http *g;
	int chat;             /* chat messages, else a raw prompt */
	const char *endpoint;
	gen_piece_fn fn;
	void *ctx;
	gen_result *res;
	dbuf pending;         /* text not yet delivered: a partial character */
	double t0;
	int pieces;
	int cancelled;
	int finished;         /* the closing record arrived */
	int got_counts;       /* the server sent token counts */
	int max_pieces;       /* stop after this many pieces; 0 = no limit */
	int limited;          /* stopped at max_pieces */
	dbuf whole;           /* lines of a plain JSON reply not yet complete */
} stream;

#define MAX_WHOLE ((size_t)64 << 20) /* a plain reply larger than this is refused */

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static int emit(stream *s, const char *text, size_t n)
{
	/* text beyond max_tokens: the server ignored it (the closing record,
	 * with its counts, has no text and is still read) */
	if (s->max_pieces > 0 && s->pieces >= s->max_pieces) {
		s->limited = 1;
		return 1;
	}
	if (dbuf_append(&s->pending, text, n))
		return docent_error_set(DOCENT_ENOMEM, "out of memory reading %s", s->endpoint);
	size_t k = text_utf8_whole(s->pending.data, s->pending.len);
	if (k == 0)
		return 0;
	if (s->pieces++ == 0)
		s->res->first_token_ms = now_ms() - s->t0;
	int stop = s->fn(s->ctx, s->pending.data, k);
	memmove(s->pending.data, s->pending.data + k, s->pending.len - k);
	dbuf_truncate(&s->pending, s->pending.len - k);
	if (stop) {
		s->cancelled = 1;
		return 1;
	}
	return 0;
}

static void set_reason(stream *s, const char *reason)
{
	s->finished = 1;
	s->res->stopped_by = reason && strcmp(reason, "length") == 0 ? GEN_STOP_LENGTH
								    : GEN_STOP_END;
}

/* text[0..n) is quoted, its first 60 bytes at most: a line from the
 * server is not NUL-terminated. */
static int not_json(stream *s, const char *what, const char *text, size_t n)
{
	int k = (int)text_utf8_floor(text, n, n < 60 ? n : 60);
	return docent_error_set(DOCENT_EFORMAT,
		"%s sent something that is not JSON (%s) in its reply: \"%.*s\"; check "
		"that the URL points at an %s server", s->endpoint, what, k, text,
		s->g->kind == MODEL_OLLAMA ? "Ollama" : "OpenAI-compatible");
}

/* One JSON record of the reply: a streamed event, or a whole reply. */
static int on_record(stream *s, json_t *j)
{
	const char *text = NULL;
	int rc = 0;

	json_t *err = json_object_get(j, "error");
	if (err) {
		const char *m = json_is_string(err) ? json_string_value(err)
			: json_string_value(json_object_get(err, "message"));
		rc = docent_error_set(DOCENT_EIO, "the server at %s stopped with an error: %s",
				      s->endpoint, m ? m : "no details given");
		goto done;
	}
	if (s->g->kind == MODEL_OLLAMA) {
		text = s->chat ? json_string_value(json_object_get(
					 json_object_get(j, "message"), "content"))
			       : json_string_value(json_object_get(j, "response"));
		if (json_is_true(json_object_get(j, "done"))) {
			set_reason(s, json_string_value(json_object_get(j, "done_reason")));
			json_t *pt = json_object_get(j, "prompt_eval_count");
			json_t *ct = json_object_get(j, "eval_count");
			if (json_is_integer(pt) && json_is_integer(ct)) {
				s->res->prompt_tokens = (int)json_integer_value(pt);
				s->res->completion_tokens = (int)json_integer_value(ct);
				s->got_counts = 1;
			}
		}
	} else {
		json_t *c0 = json_array_get(json_object_get(j, "choices"), 0);
		/* "delta" in a stream, "message" in a whole (unstreamed) reply */
		json_t *m = json_object_get(c0, "delta");
		if (!m)
			m = json_object_get(c0, "message");
		text = s->chat ? json_string_value(json_object_get(m, "content"))
			       : json_string_value(json_object_get(c0, "text"));
		const char *fr = json_string_value(json_object_get(c0, "finish_reason"));
		if (fr)
			set_reason(s, fr);
		json_t *u = json_object_get(j, "usage");
		json_t *pt = json_object_get(u, "prompt_tokens");
		json_t *ct = json_object_get(u, "completion_tokens");
		if (json_is_integer(pt) && json_is_integer(ct)) {
			s->res->prompt_tokens = (int)json_integer_value(pt);
			s->res->completion_tokens = (int)json_integer_value(ct);
			s->got_counts = 1;
		}
	}
	if (text && *text)
		rc = emit(s, text, strlen(text));
done:
	return rc;
}

static int on_line(void *ctx, const char *line, size_t n)
{
	stream *s = ctx;
	json_error_t jerr;
	json_t *j = NULL;
	int rc;

	if (!s->whole.len) {
		j = json_loadb(line, n, 0, &jerr);
		/* only the start of a plain reply spread over lines may fail to
		 * parse: it is gathered below until it does */
		if (!j && (s->pieces || s->finished || !n || line[0] != '{'))
			return not_json(s, jerr.text, line, n);
	}
	if (!j) {
		if (s->whole.len + n + 1 > MAX_WHOLE)
			return docent_error_set(DOCENT_ETOOBIG, "the reply from %s is larger than "
						"%zu MiB", s->endpoint, MAX_WHOLE >> 20);
		if (dbuf_append(&s->whole, line, n) || dbuf_putc(&s->whole, '\n'))
			return docent_error_set(DOCENT_ENOMEM, "out of memory reading %s",
						s->endpoint);
		if (!(j = json_loadb(s->whole.data, s->whole.len, 0, NULL)))
			return 0;
		dbuf_reset(&s->whole);
	}
	rc = json_is_object(j) ? on_record(s, j) : not_json(s, "not an object", line, n);
	json_decref(j);
	return rc;
}

/* The request body; NULL when out of memory. */
static char *build_body(gen_http *g, const chat_message *msgs, size_t n, const char *prompt,
			const gen_options *o)
{
	json_t *req = json_object(), *stop = json_array();
	json_t *opt = g->kind == MODEL_OLLAMA ? json_object() : req;
	char *body = NULL;
	int bad = !req || !stop || !opt;

	bad = bad || json_object_set_new(req, "model", json_string(g->model));
	if (msgs) {
		json_t *arr = json_array();
		bad = bad || !arr;
		for (size_t i = 0; !bad && i < n; i++) {
			json_t *m = json_pack("{s:s, s:s}", "role", msgs[i].role ? msgs[i].role : "user",
					      "content", msgs[i].content ? msgs[i].content : "");
			bad = !m || json_array_append_new(arr, m);
		}
		bad = json_object_set_new(req, "messages", arr) || bad;
	} else {
		bad = bad || json_object_set_new(req, "prompt", json_string(prompt ? prompt : ""));
		if (g->kind == MODEL_OLLAMA)
			bad = bad || json_object_set_new(req, "raw", json_true());
	}
	bad = bad || json_object_set_new(req, "stream", json_true());
	for (size_t i = 0; !bad && i < o->nstop; i++)
		if (o->stop[i] && *o->stop[i])
			bad = json_array_append_new(stop, json_string(o->stop[i]));
	bad = bad || json_object_set_new(opt, "temperature", json_real(o->temperature));
	bad = bad || json_object_set_new(opt, "top_p", json_real(o->top_p));
	if (o->seed)
		bad = bad || json_object_set_new(opt, "seed", json_integer(o->seed));
	if (json_array_size(stop))
		bad = bad || json_object_set(opt, "stop", stop);
	if (g->kind == MODEL_OLLAMA) {
		bad = bad || json_object_set_new(opt, "top_k", json_integer(o->top_k));
		bad = bad || json_object_set_new(opt, "min_p", json_real(o->min_p));
		bad = bad || json_object_set_new(opt, "repeat_penalty", json_real(o->repeat_penalty));
		if (o->max_tokens > 0)
			bad = bad || json_object_set_new(opt, "num_predict", json_integer(o->max_tokens));
		bad = bad || json_object_set(req, "options", opt);
	} else if (o->max_tokens > 0) {
		bad = bad || json_object_set_new(req, "max_tokens", json_integer(o->max_tokens));
	}
	if (!bad)
		body = json_dumps(req, JSON_COMPACT);
	if (opt != req)
		json_decref(opt);
	json_decref(req);
	json_decref(stop);
	return body;
}

/*
 * What a transfer's end means: `rc` is http_post_stream's result (or the
 * line splitter's, for gen_http_parse). Sets res's stop reason and counts
 * and frees the stream's buffers. Returns the call's result.
 */
static int stream_end(stream *s, int rc, const volatile int *cancel)
{
	gen_result *res = s->res;

	if (rc == DOCENT_ECANCELLED && s->limited && !s->cancelled) {
		/* the server went on past max_tokens: cut off here */
		docent_error_clear();
		res->stopped_by = GEN_STOP_LENGTH;
		rc = 0;
	} else if (rc == DOCENT_ECANCELLED && (s->cancelled || (cancel && *cancel))) {
		docent_error_clear();
		res->stopped_by = GEN_STOP_CANCELLED;
		rc = 0;
	} else if (rc == 0 && s->whole.len) {
		rc = not_json(s, "it ended before the JSON did", s->whole.data, s->whole.len);
	} else if (rc == 0 && !s->finished) {
		rc = docent_error_set(DOCENT_EIO,
			"the reply from %s ended before it was complete (the server closed "
			"the stream); check the server's log and try again", s->endpoint);
	}
	if (!s->got_counts)
		res->completion_tokens = s->pieces;
	res->total_ms = now_ms() - s->t0;
	dbuf_free(&s->pending);
	dbuf_free(&s->whole);
	return rc;
}

static int run(gen_http *g, const chat_message *msgs, size_t n, const char *prompt,
	       const gen_options *o, gen_piece_fn fn, void *ctx, gen_result *res)
{
	char endpoint[2100];
	stream s = {0};
	int rc;

	memset(res, 0, sizeof *res);
	snprintf(endpoint, sizeof endpoint, "%s%s", g->url,
		 g->kind == MODEL_OLLAMA ? (msgs ? "/api/chat" : "/api/generate")
					 : (msgs ? "/chat/completions" : "/completions"));
	char *body = build_body(g, msgs, n, prompt, o);
	if (!body)
		return docent_error_set(DOCENT_ENOMEM, "out of memory building a request to %s",
					endpoint);
	s.g = g;
	s.chat = msgs != NULL;
	s.endpoint = endpoint;
	s.fn = fn;
	s.ctx = ctx;
	s.res = res;
	s.t0 = now_ms();
	s.max_pieces = o->max_tokens > 0 ? o->max_tokens : 0;
	g->http.cancel = o->cancel;
	rc = http_post_stream(endpoint, body, &g->http, on_line, &s);
	g->http.cancel = NULL;
	free(body);
	return stream_end(&s, rc, o->cancel);
}

int gen_http_parse(model_backend kind, int chat, int max_tokens, const char *data, size_t n,
		   size_t piece, gen_piece_fn fn, void *ctx, gen_result *res)
{
	gen_http g = { .kind = kind };
	http_lines l = { DBUF_INIT, 0 };
	stream s = {0};
	int rc = 0;

	memset(res, 0, sizeof *res);
	s.g = &g;
	s.chat = chat;
	s.endpoint = "(memory)";
	s.fn = fn;
	s.ctx = ctx;
	s.res = res;
	s.t0 = now_ms();
	s.max_pieces = max_tokens > 0 ? max_tokens : 0;
	for (size_t off = 0; rc == 0 && off < n;) {
		size_t k = piece && piece < n - off ? piece : n - off;
		rc = http_lines_feed(&l, data + off, k, on_line, &s);
		off += k;
	}
	if (rc == 0)
		rc = http_lines_finish(&l, on_line, &s);
	http_lines_free(&l);
	/* as http_post_stream: a callback's stop ends the transfer */
	if (rc > 0)
		rc = docent_error_set(DOCENT_ECANCELLED, "the reply was stopped");
	return stream_end(&s, rc, NULL);
}

static int gh_chat(void *self, const chat_message *msgs, size_t n, const gen_options *o,
		   gen_piece_fn fn, void *ctx, gen_result *res)
{
	static const chat_message none = {"user", ""};
	return run(self, n ? msgs : &none, n ? n : 1, NULL, o, fn, ctx, res);
}

static int gh_complete(void *self, const char *prompt, const gen_options *o, gen_piece_fn fn,
		       void *ctx, gen_result *res)
{
	return run(self, NULL, 0, prompt, o, fn, ctx, res);
}

static void gh_free(void *self)
{
	free(self);
}

static const generator_ops gh_ops = {
	.chat = gh_chat,
	.complete = gh_complete,
	.free = gh_free,
};

int gen_http_open(generator **out, const model_spec *spec, const generator_params *p)
{
	gen_http *g = calloc(1, sizeof *g);
	generator *gen = calloc(1, sizeof *gen);

	*out = NULL;
	if (!g || !gen) {
		free(g);
		free(gen);
		return docent_error_set(DOCENT_ENOMEM, "out of memory opening model %s", spec->model);
	}
	g->kind = spec->backend;
	snprintf(g->url, sizeof g->url, "%s", spec->url);
	snprintf(g->model, sizeof g->model, "%s", spec->model);
	g->http = (http_opts){
		.timeout_ms = p->timeout_ms > 0 ? p->timeout_ms : DEFAULT_TIMEOUT_MS,
		.api_key_env = p->api_key_env,
	};
	gen->ops = &gh_ops;
	gen->self = g;
	snprintf(gen->model_id, sizeof gen->model_id, "%s:%s",
		 spec->backend == MODEL_OLLAMA ? "ollama" : "openai", spec->model);
	*out = gen;
	return 0;
}
