/*
 * gen_int.h - what the generating endpoints share (web/gen_slots.c,
 * web/api_answer.c, web/api_openai.c): the generation gate and its slots.
 *
 * Answers, chats and summaries hold a language model for seconds, and an
 * in-process model (a llama context) serves one request at a time, so
 * they pass through a gate (core/gate.h): server.generations slots (0:
 * 1 for an in-process model, 4 for a model server, one per core without
 * a model), each with its own models (the language model, the reranker,
 * the embedding model of the last collection asked), opened when the slot
 * is first used and kept; server.queue requests may wait for a slot; beyond them the
 * reply is 503 busy with Retry-After. A request waiting in the line whose
 * client goes away leaves it.
 *
 * The gate and the slots live as long as the process (one server a
 * process); web_gen_shutdown() frees them once no request runs.
 */
#ifndef DOCENT_WEB_GEN_INT_H
#define DOCENT_WEB_GEN_INT_H

#include "config/config.h"
#include "core/gate.h"
#include "engine/embedder.h"
#include "engine/generator.h"
#include "engine/reranker.h"
#include "index/store.h"
#include "rag/retrieve.h"
#include "web/server.h"

/* The seconds a client told "busy" should wait before trying again. */
#define WEB_GEN_RETRY_AFTER "5"

typedef struct gen_slot {
	int opened;           /* the models below were opened (or found unset) */
	generator *gen;       /* NULL: no language model (extractive answers) */
	reranker *rr;         /* NULL: none configured */
	embedder *emb;        /* the embedding model of emb_spec, NULL: none */
	char *emb_spec;       /* the spec emb was opened from */
	int context_tokens;   /* the language model's window (0: unknown) */
} gen_slot;

/*
 * Admits a generating request (server.generations + server.queue at
 * most), or replies 503 busy with Retry-After (OpenAI's error shape when
 * `openai`) and returns -1.
 */
int web_gen_admit(web_request *r, gate_ticket *t, int openai);

/*
 * Waits for a slot for the admitted ticket (cancel: the client went away;
 * may be NULL) and opens its models on first use. On success *out is the
 * slot, the caller's until web_gen_release(). On failure the ticket is
 * given back and the DOCENT_E* code returned with its message: a model
 * that cannot be opened is DOCENT_ECONFIG (the server's set-up).
 */
int web_gen_acquire(config *cfg, gate_ticket *t, const volatile int *cancel, gen_slot **out);

/* Gives the slot (or the admitted ticket that never waited) back. */
void web_gen_release(gate_ticket *t);

/*
 * The embedding model a search of `collection` (NULL: all) in `mode` uses,
 * opened in the slot and kept while later requests ask for the same one.
 * *out NULL with 0: keyword search (mode bm25, no model known, or in auto
 * mode a model that cannot be opened). DOCENT_ECONFIG when the model
 * cannot be found or opened (the message says why), DOCENT_EINVAL for
 * mode dense or hybrid without a model.
 */
int gen_slot_embedder(gen_slot *s, config *cfg, store *st, const char *collection,
		      retrieve_mode mode, embedder **out);

/* Frees the gate and the slots' models, unless a request still holds or
 * waits for a slot (then nothing: the process is ending). */
void web_gen_shutdown(void);

/* ---- answering, shared by /api/ask and /v1/chat/completions ---- */

typedef struct web_ask_in {
	const char *question;
	const char *query;              /* what is searched; NULL: the question */
	const char *collection;         /* NULL: all */
	long k;                         /* passages retrieved; 0: answer.passages */
	int mode;                       /* retrieve_mode; -1: search.mode */
	const chat_message *history;    /* earlier turns, as the model sees them */
	size_t nhistory;
	/* sampling a client asked for (/v1), over the configuration's (zeros
	 * keep the configuration's; temperature and top_p only when *_set) */
	int temperature_set, top_p_set;
	double temperature, top_p;
	int max_tokens;                 /* 0: the configuration's */
	uint32_t seed;                  /* 0: the configuration's */
	const char *const *stop;        /* borrowed; nstop 0: the configuration's */
	size_t nstop;
} web_ask_in;

/*
 * Waits for a slot for the admitted ticket t, answers `in` through
 * answer_ask() (pieces to fn, which may be NULL; cancel may be NULL) and
 * gives the slot back; the ticket is used up whatever happens. *out is
 * the answer as answer_json() gives it. Returns 0 or a DOCENT_E* code.
 */
int web_ask_run(web_request *r, gate_ticket *t, const web_ask_in *in, volatile int *cancel,
		gen_piece_fn fn, void *ctx, json_t **out);

/* ---- request helpers shared by the handlers ---- */

/* The HTTP status and stable code ("not_found"...) of a library error. */
int web_gen_status(int rc, const char **code);

/* The message a client may see for rc: the library's for errors about its
 * request (not found, invalid...), a generic one for the rest, whose
 * detail goes to the server's log. */
const char *web_gen_message(web_request *r, int rc);

#endif
