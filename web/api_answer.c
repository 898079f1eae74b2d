/*
 * api_answer.c - the generating endpoints of the JSON API: POST /api/ask,
 * POST /api/chat (a new conversation or a stored one continued) and
 * POST /api/summarize (a document, or a topic in a collection).
 *
 * Each is streamed as server-sent events (`token` events with the text as
 * it is written, citations already checked, then `done` with the whole
 * object as `docent ask --json` / `docent summarize --json` give it, or
 * `error`), or answered as one JSON object with "stream": false. The
 * request is checked in the handler (a bad body, an unknown conversation
 * or document are plain HTTP errors), admitted by the generation gate
 * (503 busy beyond it), and the work runs on the stream's thread, where a
 * client that goes away stops it (gen_options.cancel).
 */
#include "web/gen_int.h"
#include "config/models.h"
#include "core/error.h"
#include "rag/answer.h"
#include "rag/answer_json.h"
#include "rag/chat.h"
#include "rag/summarize.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* the window of a server's model, which docent cannot ask (as the CLI) */
#define HTTP_CONTEXT 4096

typedef enum job_kind { JOB_ASK, JOB_CHAT, JOB_SUMMARIZE } job_kind;

typedef struct job {
	job_kind kind;
	gate_ticket ticket;
	int admitted;           /* the ticket is ours to give back */
	char *question;         /* ask: the question; chat: the message */
	char *collection;       /* NULL: all */
	int collection_set;     /* the body named one (null included) */
	long k;
	int mode;               /* -1: search.mode */
	int64_t conversation;   /* chat: 0 for a new one */
	store_doc *doc;         /* summarize: the document, or NULL for a topic */
	char *topic;
	summarize_length length;
} job;

static void job_free(void *p)
{
	job *j = p;

	if (!j)
		return;
	if (j->admitted)
		web_gen_release(&j->ticket);
	free(j->question);
	free(j->collection);
	free(j->topic);
	store_doc_list_free(j->doc, j->doc ? 1 : 0);
	free(j);
}

/* ---- reading the body ---- */

/* The string member `key`: *out NULL when absent or null. -1 (400 sent)
 * when it is another type. */
static int body_string(web_request *r, const char *key, const char **out)
{
	json_t *v = json_object_get(r->json, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v)) {
		web_reply_error(r, 400, "bad_request", "\"%s\" must be a string", key);
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

/* The boolean member `key` (def when absent). */
static int body_bool(web_request *r, const char *key, int def, int *out)
{
	json_t *v = json_object_get(r->json, key);

	*out = def;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_boolean(v)) {
		web_reply_error(r, 400, "bad_request", "\"%s\" must be true or false", key);
		return -1;
	}
	*out = json_is_true(v);
	return 0;
}

/* The integer member `key` in [min, max] (def when absent). */
static int body_int(web_request *r, const char *key, long def, long min, long max, long *out)
{
	json_t *v = json_object_get(r->json, key);

	*out = def;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
		web_reply_error(r, 400, "bad_request", "\"%s\" must be a whole number from %ld to %ld",
				key, min, max);
		return -1;
	}
	*out = (long)json_integer_value(v);
	return 0;
}

/* The body must be a JSON object. */
static int body_object(web_request *r)
{
	if (json_is_object(r->json))
		return 0;
	web_reply_error(r, 400, "bad_request", "the body must be a JSON object, e.g. "
			"{\"question\": \"...\"}");
	return -1;
}

/* "collection": a name that exists, or null/absent for all. */
static int body_collection(web_request *r, job *j)
{
	const char *name;
	int64_t id;
	int rc;

	if (body_string(r, "collection", &name))
		return -1;
	j->collection_set = json_object_get(r->json, "collection") != NULL;
	if (!name || !name[0])
		return 0;
	if ((rc = store_collection_id(r->st, name, 0, &id)) != 0) {
		if (rc == DOCENT_ENOTFOUND)
			web_reply_error(r, 404, "not_found", "no collection named '%s'", name);
		else
			web_reply_rc(r, rc);
		return -1;
	}
	if (!(j->collection = strdup(name))) {
		web_reply_error(r, 500, "internal", "out of memory");
		return -1;
	}
	return 0;
}

/* "mode": auto, hybrid, dense or bm25 (-1 when absent). */
static int body_mode(web_request *r, int *out)
{
	const char *m;

	*out = -1;
	if (body_string(r, "mode", &m))
		return -1;
	if (!m)
		return 0;
	if ((*out = retrieve_mode_parse(m)) < 0) {
		web_reply_error(r, 400, "bad_request", "\"mode\" is one of auto, hybrid, dense, "
				"bm25, not '%s'", m);
		return -1;
	}
	return 0;
}

/* ---- running a job (on the stream's thread, or the request's) ---- */

int web_ask_run(web_request *r, gate_ticket *t, const web_ask_in *in, volatile int *cancel,
		gen_piece_fn fn, void *ctx, json_t **out)
{
	answer_params ap;
	vindex_params vp;
	answer_result res = { 0 };
	gen_slot *slot;
	embedder *emb = NULL;
	answerer *a = NULL;
	char *sys = NULL, *usr = NULL;
	int rc;

	*out = NULL;
	if ((rc = web_gen_acquire(r->cfg, t, cancel, &slot)) != 0)
		return rc;
	config_answer_params(r->cfg, &ap);
	config_vindex_params(r->cfg, &vp);
	vp.mmap = 1;
	if (in->mode >= 0)
		ap.retrieve.mode = (retrieve_mode)in->mode;
	if (in->k > 0)
		ap.retrieve.search.k = (size_t)in->k;
	ap.retrieve.search.collection = in->collection;
	ap.gen.cancel = cancel;
	if (in->temperature_set)
		ap.gen.temperature = in->temperature;
	if (in->top_p_set)
		ap.gen.top_p = in->top_p;
	if (in->max_tokens > 0)
		ap.gen.max_tokens = in->max_tokens;
	if (in->seed)
		ap.gen.seed = in->seed;
	if (in->nstop) {
		ap.gen.stop = in->stop;
		ap.gen.nstop = in->nstop;
	}
	if ((rc = config_prompt(r->cfg, "ask_system", &sys)) != 0 ||
	    (rc = config_prompt(r->cfg, "ask_user", &usr)) != 0)
		goto done;
	ap.system_prompt = sys;
	ap.user_prompt = usr;
	if (slot->rr) {
		ap.rerank = reranker_rank_cb;
		ap.rerank_ctx = slot->rr;
	}
	if ((rc = gen_slot_embedder(slot, r->cfg, r->st, in->collection, ap.retrieve.mode, &emb)) ||
	    (rc = answerer_open(&a, r->st, emb, slot->gen, &vp)) ||
	    (rc = answer_ask(a, in->question, in->query, in->history, in->nhistory, &ap, fn, ctx,
			     &res, NULL)))
		goto done;
	if (!(*out = answer_json(in->question, &res, slot->gen ? generator_model_id(slot->gen)
							       : NULL)))
		rc = docent_error_set(DOCENT_ENOMEM, "out of memory");
done:
	answer_result_free(&res);
	answerer_close(a);
	free(sys);
	free(usr);
	web_gen_release(t);
	return rc;
}

static int run_chat(web_request *r, job *j, volatile int *cancel, gen_piece_fn fn, void *ctx,
		    json_t **out)
{
	chat_params cp = chat_default_params();
	vindex_params vp;
	answer_result res = { 0 };
	gen_slot *slot;
	embedder *emb = NULL;
	answerer *a = NULL;
	chat *c = NULL;
	char *sys = NULL, *usr = NULL, *rew = NULL, *query = NULL;
	int rc;

	*out = NULL;
	rc = web_gen_acquire(r->cfg, &j->ticket, cancel, &slot);
	j->admitted = 0;
	if (rc)
		return rc;
	config_answer_params(r->cfg, &cp.answer);
	config_vindex_params(r->cfg, &vp);
	vp.mmap = 1;
	if (j->mode >= 0)
		cp.answer.retrieve.mode = (retrieve_mode)j->mode;
	cp.answer.retrieve.search.collection = j->collection;
	cp.answer.gen.cancel = cancel;
	cp.cancel = cancel;
	cp.context_tokens = slot->context_tokens;
	if ((rc = config_prompt(r->cfg, "ask_system", &sys)) != 0 ||
	    (rc = config_prompt(r->cfg, "ask_user", &usr)) != 0 ||
	    (rc = config_prompt(r->cfg, "chat_rewrite", &rew)) != 0)
		goto done;
	cp.answer.system_prompt = sys;
	cp.answer.user_prompt = usr;
	cp.rewrite_prompt = rew;
	if (slot->rr) {
		cp.answer.rerank = reranker_rank_cb;
		cp.answer.rerank_ctx = slot->rr;
	}
	if ((rc = gen_slot_embedder(slot, r->cfg, r->st, j->collection, cp.answer.retrieve.mode,
				    &emb)) ||
	    (rc = answerer_open(&a, r->st, emb, slot->gen, &vp)) ||
	    (rc = chat_open(&c, r->st, a, slot->gen, &cp)))
		goto done;
	if (j->conversation && (rc = chat_resume(c, j->conversation)) != 0)
		goto done;
	/* the collection the body names; else a stored conversation's own */
	if (j->conversation && j->collection_set &&
	    (rc = chat_set_collection(c, j->collection)) != 0)
		goto done;
	if ((rc = chat_rewrite(c, j->question, &query)) != 0 ||
	    (rc = chat_ask(c, j->question, query, fn, ctx, &res)) != 0)
		goto done;
	*out = answer_json(j->question, &res, slot->gen ? generator_model_id(slot->gen) : NULL);
	if (!*out) {
		rc = docent_error_set(DOCENT_ENOMEM, "out of memory");
		goto done;
	}
	json_object_set_new(*out, "conversation", json_integer(chat_id(c)));
	json_object_set_new(*out, "query", json_string(query));
	json_object_set_new(*out, "collection", chat_collection(c) ?
			    json_string(chat_collection(c)) : json_null());
done:
	answer_result_free(&res);
	chat_close(c);
	answerer_close(a);
	free(sys);
	free(usr);
	free(rew);
	free(query);
	web_gen_release(&j->ticket);
	return rc;
}

static size_t count_with_model(void *ctx, const char *text, size_t n)
{
	return generator_count_tokens(ctx, text, n);
}

static int run_summarize(web_request *r, job *j, volatile int *cancel, gen_piece_fn fn,
			 void *ctx, json_t **out)
{
	summarize_params sp = summarize_default_params();
	summarize_result *res = NULL;
	generator_params gp;
	gen_slot *slot;
	embedder *emb = NULL;
	retriever *rv = NULL;
	char *map_t = NULL, *reduce_t = NULL;
	int rc;

	*out = NULL;
	rc = web_gen_acquire(r->cfg, &j->ticket, cancel, &slot);
	j->admitted = 0;
	if (rc)
		return rc;
	config_generator_params(r->cfg, &gp, &sp.gen);
	sp.length = j->length;
	sp.context_tokens = slot->context_tokens > 0 ? (size_t)slot->context_tokens : HTTP_CONTEXT;
	if (slot->gen && generator_counts_tokens(slot->gen)) {
		sp.count = count_with_model;
		sp.count_ctx = slot->gen;
	}
	sp.cancel = cancel;
	if ((rc = config_prompt(r->cfg, "summarize_map", &map_t)) != 0 ||
	    (rc = config_prompt(r->cfg, "summarize_reduce", &reduce_t)) != 0)
		goto done;
	sp.map_template = map_t;
	sp.reduce_template = reduce_t;
	if (j->doc) {
		rc = summarize_doc(r->st, slot->gen, j->doc->id, &sp, fn, ctx, &res);
	} else {
		retrieve_params rp;
		vindex_params vp;
		config_retrieve_params(r->cfg, &rp);
		config_vindex_params(r->cfg, &vp);
		vp.mmap = 1;
		if (j->mode >= 0)
			rp.mode = (retrieve_mode)j->mode;
		rp.search.collection = j->collection;
		if ((rc = gen_slot_embedder(slot, r->cfg, r->st, j->collection, rp.mode, &emb)) == 0 &&
		    (rc = retriever_open(&rv, r->st, emb, &vp)) == 0)
			rc = summarize_topic(r->st, rv, slot->gen, j->topic, &rp, &sp, fn, ctx, &res);
	}
	if (rc == 0 && !(*out = summarize_json(res, j->doc, j->topic, j->length)))
		rc = docent_error_set(DOCENT_ENOMEM, "out of memory");
done:
	summarize_result_free(res);
	retriever_close(rv);
	free(map_t);
	free(reduce_t);
	web_gen_release(&j->ticket);
	return rc;
}

static int job_run(web_request *r, job *j, volatile int *cancel, gen_piece_fn fn, void *ctx,
		   json_t **out)
{
	web_ask_in in = { 0 };

	switch (j->kind) {
	case JOB_CHAT:
		return run_chat(r, j, cancel, fn, ctx, out);
	case JOB_SUMMARIZE:
		return run_summarize(r, j, cancel, fn, ctx, out);
	case JOB_ASK:
		break;
	}
	in.question = j->question;
	in.collection = j->collection;
	in.k = j->k;
	in.mode = j->mode;
	j->admitted = 0; /* web_ask_run uses the ticket up */
	return web_ask_run(r, &j->ticket, &in, cancel, fn, ctx, out);
}

/* ---- replying: a stream of events, or one object ---- */

/* A piece of text as a `token` event; non-zero (stop) once the client
 * has gone. */
static int on_token(void *ctx, const char *piece, size_t n)
{
	web_sse *s = ctx;
	json_t *text = json_stringn(piece, n);

	if (!text) /* not UTF-8: generators never split a character, but */
		return web_sse_cancelled(s);
	return web_sse_send(s, "token", json_pack("{s:o}", "text", text)) != 0;
}

static void produce(web_sse *s, web_request *r, void *ctx)
{
	job *j = ctx;
	json_t *done = NULL;
	const char *code;
	int rc = job_run(r, j, web_sse_cancel_flag(s), on_token, s, &done);

	if (rc == 0) {
		web_sse_send(s, "done", done);
		return;
	}
	if (web_sse_cancelled(s))
		return;
	web_gen_status(rc, &code);
	web_sse_send(s, "error", json_pack("{s:s, s:s}", "code", code,
					   "message", web_gen_message(r, rc)));
}

/* Admits j (or replies busy) and answers: streamed, or as one object.
 * Takes ownership of j. */
static void start(web_request *r, job *j, int stream)
{
	json_t *done = NULL;
	const char *code;
	int rc;

	if (web_gen_admit(r, &j->ticket, 0)) {
		job_free(j);
		return;
	}
	j->admitted = 1;
	if (stream) {
		web_sse_start(r, produce, j, job_free);
		return;
	}
	/* the wait for a slot and the model's answer take seconds: this is a
	 * slow route's thread (web/routes.c), searches go on meanwhile */
	rc = job_run(r, j, NULL, NULL, NULL, &done);
	if (rc == 0) {
		web_reply_json(r, 200, done);
	} else {
		int status = web_gen_status(rc, &code);
		web_reply_error(r, status, code, "%s", web_gen_message(r, rc));
	}
	job_free(j);
}

static job *job_new(web_request *r, job_kind kind)
{
	job *j = calloc(1, sizeof *j);

	if (!j)
		web_reply_error(r, 500, "internal", "out of memory");
	else {
		j->kind = kind;
		j->mode = -1;
	}
	return j;
}

/* POST /api/ask {"question","collection","k","mode","stream"} */
void web_api_ask(web_request *r)
{
	const char *q;
	int stream;
	job *j;

	if (body_object(r) || body_string(r, "question", &q) || body_bool(r, "stream", 1, &stream))
		return;
	if (!q || !q[strspn(q, " \t\r\n")]) {
		web_reply_error(r, 400, "bad_request", "give a \"question\", e.g. {\"question\": "
				"\"how many days of leave do I get?\"}");
		return;
	}
	if (!(j = job_new(r, JOB_ASK)))
		return;
	if (body_collection(r, j) || body_mode(r, &j->mode) ||
	    body_int(r, "k", 0, 1, 1000, &j->k)) {
		job_free(j);
		return;
	}
	if (!(j->question = strdup(q))) {
		web_reply_error(r, 500, "internal", "out of memory");
		job_free(j);
		return;
	}
	start(r, j, stream);
}

/* POST /api/chat {"conversation": ID or null, "message", "collection",
 * "mode", "stream"} */
void web_api_chat(web_request *r)
{
	const char *msg;
	long id;
	int stream, rc = 0;
	job *j;

	if (body_object(r) || body_string(r, "message", &msg) || body_bool(r, "stream", 1, &stream))
		return;
	if (!msg || !msg[strspn(msg, " \t\r\n")]) {
		web_reply_error(r, 400, "bad_request", "give a \"message\", e.g. {\"message\": "
				"\"and for fathers?\", \"conversation\": 3}");
		return;
	}
	if (!(j = job_new(r, JOB_CHAT)))
		return;
	if (body_collection(r, j) || body_mode(r, &j->mode) ||
	    body_int(r, "conversation", 0, 1, LONG_MAX, &id)) {
		job_free(j);
		return;
	}
	j->conversation = id;
	if (id) {
		/* an unknown conversation is a 404 now, not an event later; a stored
		 * one asks its own collection unless the body names another */
		store_conv cv;
		if ((rc = store_conv_get(r->st, id, &cv)) != 0) {
			if (rc == DOCENT_ENOTFOUND)
				web_reply_error(r, 404, "not_found", "no conversation %ld", id);
			else
				web_reply_rc(r, rc);
			job_free(j);
			return;
		}
		if (!j->collection_set && cv.collection && !(j->collection = strdup(cv.collection)))
			rc = DOCENT_ENOMEM;
		store_conv_clear(&cv);
	}
	if (rc == DOCENT_ENOMEM || !(j->question = strdup(msg))) {
		web_reply_error(r, 500, "internal", "out of memory");
		job_free(j);
		return;
	}
	start(r, j, stream);
}

/* POST /api/summarize {"document": ID} or {"query": "topic", "collection"},
 * "length", "mode", "stream" */
void web_api_summarize(web_request *r)
{
	const char *topic, *len;
	json_t *docv;
	int stream, rc;
	job *j;

	if (body_object(r) || body_string(r, "query", &topic) || body_string(r, "length", &len) ||
	    body_bool(r, "stream", 1, &stream))
		return;
	docv = json_object_get(r->json, "document");
	if (docv && json_is_null(docv))
		docv = NULL;
	if (docv && (!json_is_integer(docv) || json_integer_value(docv) < 1)) {
		web_reply_error(r, 400, "bad_request", "\"document\" is a document id (GET "
				"/api/documents lists them)");
		return;
	}
	if ((docv != NULL) == (topic != NULL) || (topic && !topic[strspn(topic, " \t\r\n")])) {
		web_reply_error(r, 400, "bad_request", "give a \"document\" id or a \"query\" "
				"topic (not both)");
		return;
	}
	if (!(j = job_new(r, JOB_SUMMARIZE)))
		return;
	j->length = SUMMARIZE_MEDIUM;
	if (len) {
		int l = summarize_length_parse(len);
		if (l < 0) {
			web_reply_error(r, 400, "bad_request", "\"length\" is short, medium or long, "
					"not '%s'", len);
			job_free(j);
			return;
		}
		j->length = (summarize_length)l;
	}
	if (body_collection(r, j) || body_mode(r, &j->mode)) {
		job_free(j);
		return;
	}
	if (docv) {
		char key[32];
		snprintf(key, sizeof key, "%lld", (long long)json_integer_value(docv));
		if ((rc = store_doc_find(r->st, j->collection, key, &j->doc)) != 0) {
			j->doc = NULL;
			if (rc == DOCENT_ENOTFOUND)
				web_reply_error(r, 404, "not_found", "no document %s", key);
			else
				web_reply_rc(r, rc);
			job_free(j);
			return;
		}
	} else if (!(j->topic = strdup(topic))) {
		web_reply_error(r, 500, "internal", "out of memory");
		job_free(j);
		return;
	}
	start(r, j, stream);
}
