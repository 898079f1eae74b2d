/*
 * chat.h - a conversation with the documents: questions answered one after
 * another through answer.h, each follow-up searched for as a standalone
 * query, the model shown the conversation so far, every turn stored.
 *
 * A turn:
 *   rewrite   a follow-up ("and for fathers?") becomes a standalone search
 *             query: with a language model by a short prompt
 *             (config/prompts/chat_rewrite.txt, greedy, a few tokens, sent
 *             after the conversation so that the model's cached prefix
 *             serves it); without one by carrying the previous query's
 *             content words that the follow-up lacks
 *   answer    answer_ask() with the rewritten query for retrieval, the
 *             user's own words as the question, and the history as the
 *             model saw it: each earlier question as sent (with its
 *             numbered context) and each answer, so an in-process model
 *             reuses its KV cache and reads only the new turn. When that
 *             would not fit the model's context (chat_params.context_tokens)
 *             the oldest turns lose their context first (question and
 *             answer kept), then the oldest turns go.
 *   persist   the question and the answer are appended to the stored
 *             conversation (store.h, "conversations"), created by the
 *             first turn; chat_resume() continues a stored one.
 *
 * The faces (CLI, web) do the I/O; this module never prints.
 *
 * Ownership: a chat borrows the store, the answerer and the generator
 * (NULL: extractive answers and rewriting without a model), which must
 * outlive it; chat_close() frees it. One turn at a time; not thread-safe.
 */
#ifndef DOCENT_RAG_CHAT_H
#define DOCENT_RAG_CHAT_H

#include <stddef.h>
#include <stdint.h>

#include "engine/generator.h"
#include "index/store.h"
#include "rag/answer.h"

typedef struct chat_params {
	answer_params answer;        /* each turn's answer; answer.retrieve.search.collection
	                                is the starting collection (copied) */
	int context_tokens;          /* the model's context window (0: 8192, the
	                                in-process cap); history is cut to fit */
	const char *rewrite_prompt;  /* template with {history} and {question};
	                                NULL: the built-in "chat_rewrite" (borrowed) */
	int rewrite_max_tokens;      /* longest rewritten query (default 32) */
	int persist;                 /* store the turns (default 1) */
	const volatile int *cancel;  /* optional: non-zero stops the rewriting call
	                                (a Ctrl-C flag); the answer stops by its
	                                callback, as in answer_ask() */
} chat_params;

chat_params chat_default_params(void);

typedef struct chat chat;

/* Opens a chat on a new conversation (stored when its first turn is). */
int chat_open(chat **out, store *s, answerer *a, generator *g, const chat_params *p);
void chat_close(chat *c);

/*
 * Continues the stored conversation `id`: its turns become the history and
 * its collection the current one. DOCENT_ENOTFOUND when there is none.
 */
int chat_resume(chat *c, int64_t id);

/* Starts a new conversation: the history is emptied (nothing is deleted). */
void chat_reset(chat *c);

/* Switches the collection later turns ask (NULL: all); the stored
 * conversation records it. The name is copied. */
int chat_set_collection(chat *c, const char *collection);

/* The current collection (NULL: all), borrowed until it changes. */
const char *chat_collection(const chat *c);

/* The stored conversation's id; 0 before its first turn is stored. */
int64_t chat_id(const chat *c);

/* The turns so far (questions answered, resumed ones included). */
size_t chat_turns(const chat *c);

/*
 * The standalone search query for `question` after the turns so far (the
 * question itself on the first turn). Writes an allocated string to *out
 * (caller frees). Returns 0 or a DOCENT_E* code; a model that fails or
 * writes nothing usable falls back to the rewriting without a model, and
 * so does one stopped by params.cancel.
 */
int chat_rewrite(chat *c, const char *question, char **out);

/* Rewriting without a model: `question` with the content words of
 * `previous` (the last turn's query) that it lacks, when it reads as a
 * follow-up (short, or starting with "and", "what about"..., or pointing
 * back with "it", "that", "they"...); else the question as it is. Writes
 * an allocated string to *out. Returns 0 or DOCENT_ENOMEM. */
int chat_rewrite_terms(const char *previous, const char *question, char **out);

/*
 * Answers `question`, searching for `query` (NULL: chat_rewrite() of the
 * question), streamed to fn as answer_ask() does, into *out (caller frees
 * with answer_result_free()). The turn joins the history and, with
 * params.persist, the stored conversation; a cancelled answer joins them
 * with what was written. Returns 0 or a DOCENT_E* code (the turn is then
 * not kept).
 */
int chat_ask(chat *c, const char *question, const char *query, gen_piece_fn fn, void *ctx,
	     answer_result *out);

/* The citations of an answer as stored: a JSON array of the cited
 * passages as answer_citations_json() gives them (n, document_id,
 * chunk_id, path, title, heading, page, start_byte, end_byte, text).
 * Caller frees; NULL when out of memory. */
char *chat_citations_json(const answer_result *r);

#endif
