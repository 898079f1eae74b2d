/*
 * answer_json.h - answers and summaries as JSON, one shape for every face:
 * `docent ask --json`, `docent summarize --json`, the web API's final
 * event (POST /api/ask, /api/chat, /api/summarize) and the OpenAI-style
 * endpoint's citations.
 *
 * A passage (a citation or a context item) carries what a reader needs to
 * open its source: n, document_id, chunk_id, path, title, heading, page
 * (page_end when it spans pages), start_byte and end_byte in the
 * document's extracted text, and the text itself.
 *
 * Every function returns a new jansson value the caller owns (json_decref),
 * or NULL when out of memory. Thread-safe: no shared state.
 */
#ifndef DOCENT_RAG_ANSWER_JSON_H
#define DOCENT_RAG_ANSWER_JSON_H

#include <jansson.h>

#include "index/store.h"
#include "rag/answer.h"
#include "rag/summarize.h"

/* One passage; with_tokens adds its token count (context items do). */
json_t *answer_item_json(const pack_item *it, int with_tokens);

/* The cited passages, first citation first. */
json_t *answer_citations_json(const answer_result *r);

/*
 * The whole answer: question, answer, mode, citations, context,
 * removed_citations, prompt/cached/completion tokens, coverage, retrieval,
 * model (NULL: null), reranked, weighted_coverage, timings (ms by stage),
 * and note when retrieval fell back to keywords.
 */
json_t *answer_json(const char *question, const answer_result *r, const char *model);

/*
 * A summary: summary, mode, length, model, sections (chunks, pages,
 * heading, ref, cached, text, ms), references (each section's reference,
 * in order, once), chunks, calls, cached_parts, rounds, timings; with
 * `document` (d not NULL: id, path, title, collection) or `topic`.
 */
json_t *summarize_json(const summarize_result *r, const store_doc *d, const char *topic,
		       summarize_length len);

#endif
