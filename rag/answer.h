/*
 * answer.h - answering a question from the documents, with citations.
 *
 * The pipeline, one stage a module:
 *   retrieve (retrieve.h)  the question's passages, near-duplicates collapsed
 *   rerank (optional)      a cross-encoder reorders them (answer_rerank_fn)
 *   pack (pack.h)          the sentences and rows that bear on the question,
 *                          numbered, under a token budget
 *   prompt (prompt.h)      instructions, the numbered context, the question,
 *                          in the model's own chat template
 *   generate               streamed through the citation filter (cite.h)
 * and three outcomes (answer_mode):
 *   generated    the model's answer; citations that name no passage removed
 *   extractive   no language model: the best sentences, each cited
 *   no_evidence  nothing retrieved bears on the question: the answer says
 *                the documents do not answer it, the model is not asked,
 *                and the nearest passages are given for the reader to judge
 *
 * An answerer borrows the store, the embedder (NULL: keyword retrieval) and
 * the generator (NULL: extractive answers), which must outlive it; one
 * question at a time. Results are the caller's: answer_result_free().
 */
#ifndef DOCENT_RAG_ANSWER_H
#define DOCENT_RAG_ANSWER_H

#include <stddef.h>

#include "engine/embedder.h"
#include "engine/generator.h"
#include "index/store.h"
#include "index/vectors.h"
#include "rag/pack.h"
#include "rag/retrieve.h"

typedef enum answer_mode {
	ANSWER_GENERATED = 1,
	ANSWER_EXTRACTIVE,
	ANSWER_NO_EVIDENCE,
} answer_mode;

/* "generated", "extractive", "no_evidence" */
const char *answer_mode_name(answer_mode m);

/* Scores docs[0..n) against query into scores (higher is better), as a
 * reranker does; returns 0 or a DOCENT_E* code with a message. */
typedef int (*answer_rerank_fn)(void *ctx, const char *query, const char *const *docs,
				size_t n, double *scores);

typedef struct answer_params {
	retrieve_params retrieve;   /* collection, mode; retrieve.search.k: passages considered */
	pack_params pack;           /* the context's budget */
	gen_options gen;            /* sampling; max_tokens of the answer */
	double min_coverage;        /* pack_coverage() below this: no_evidence
	                               (default PACK_COVERAGE_WEAK) */
	double min_weighted_coverage; /* pack_coverage_weighted() below this: no_evidence
	                               too (default PACK_COVERAGE_WEIGHTED_WEAK) */
	int extractive_units;       /* sentences in an extractive answer (default 3) */
	const char *system_prompt;  /* template; NULL: the built-in "ask_system" */
	const char *user_prompt;    /* template with {context}, {question}; NULL: "ask_user" */
	answer_rerank_fn rerank;    /* optional */
	void *rerank_ctx;
	size_t rerank_top;          /* the reranker reorders the first this many
	                               passages (default 20; a cross-encoder
	                               reads every one of them whole) */
} answer_params;

answer_params answer_default_params(void);

/* Timings of one answer, in milliseconds. */
typedef struct answer_timings {
	double retrieve_ms, rerank_ms, pack_ms;
	double first_token_ms;      /* from the start of the prompt to the first piece */
	double generate_ms;         /* the whole generation, first token included */
	double total_ms;            /* the question to the last piece */
	double tokens_per_s;        /* generation speed after the first token */
} answer_timings;

typedef struct answer_result {
	answer_mode mode;
	char *text;                 /* the answer, citations checked */
	pack_item *context;         /* the passages handed to the model (for
	                               no_evidence: the nearest passages) */
	size_t ncontext;
	int *cited;                 /* numbers of cited items, first citation first */
	size_t ncited;
	int *invalid;               /* numbers the model cited that name no passage */
	size_t ninvalid;
	double coverage;            /* pack_coverage() of the context */
	double weighted_coverage;   /* pack_coverage_weighted() of the context */
	int reranked;               /* the reranker reordered the passages */
	int prompt_tokens, cached_tokens, completion_tokens;
	int stopped_by;             /* GEN_STOP_* when generated */
	retrieve_info retrieval;
	answer_timings timings;
} answer_result;

void answer_result_free(answer_result *r);

/* The context item numbered n, or NULL. */
const pack_item *answer_item(const answer_result *r, int n);

typedef struct answerer answerer;

/* e and g may be NULL; vp as for retriever_open. */
int answerer_open(answerer **out, store *s, embedder *e, generator *g, const vindex_params *vp);
void answerer_close(answerer *a);

/*
 * Answers `question`. `history` (may be empty) is the conversation so far,
 * put between the instructions and this turn, as the model saw it (so the
 * model's cache of it is reused). The answer's text reaches fn piece by
 * piece as it is generated, citations already checked (fn may be NULL);
 * fn returning non-zero stops the generation (stopped_by is then
 * GEN_STOP_CANCELLED and the result holds what was written). For the
 * extractive and no_evidence modes fn receives the whole text once.
 * `retrieval_query` (NULL: the question) is what is searched for, so a
 * chat can search for a follow-up rewritten to stand alone.
 *
 * `user_message` (may be NULL) receives the user message as sent to the
 * model (caller frees), for a chat to keep in its history.
 */
int answer_ask(answerer *a, const char *question, const char *retrieval_query,
	       const chat_message *history, size_t nhistory, const answer_params *p,
	       gen_piece_fn fn, void *ctx, answer_result *out, char **user_message);

#endif
