/*
 * mcp.h - docent's Model Context Protocol server: AI agents and editors
 * search and read the documents, and ask them questions, through tools.
 *
 * The protocol is JSON-RPC 2.0, one message a line (UTF-8, no embedded
 * newlines), read from one stream and written to another (stdin and
 * stdout for `docent mcp`; memory streams in the tests). Nothing but
 * protocol messages is ever written to the output; notes go to a log.
 * Protocol versions 2025-11-25 (the latest), 2025-06-18, 2025-03-26 and
 * 2024-11-05: initialize answers with the client's version when it is one
 * of these, else the latest. Structured tool results (outputSchema,
 * structuredContent) and tool titles go only to clients of 2025-06-18 and
 * later, tool annotations to 2025-03-26 and later.
 *
 * Tools: `search` (ranked passages), `ask` (an answer with [n] citations
 * and its sources; extractive without a language model) and
 * `read_document` (a document's text around a passage). Tool failures a
 * person or agent can fix (no such collection or document, a bad
 * argument) are results with isError set, never protocol errors.
 *
 * One tool call runs at a time on a worker thread, in the order they
 * came, while the calling thread goes on reading: pings are answered and
 * a notifications/cancelled stops a running ask (or drops a waiting call)
 * without answering it, as the protocol asks. At the end of the input the
 * calls already received are answered, then mcp_serve() returns.
 *
 * Models are opened by the face, on first use, through mcp_models; the
 * server owns what they return and frees it before mcp_serve() returns.
 * Everything else in mcp_params is borrowed for the call. A collection's
 * FAISS index stays open between calls and is reopened when its vectors
 * changed (an ingest beside the server), so a server can run for days.
 */
#ifndef DOCENT_WEB_MCP_H
#define DOCENT_WEB_MCP_H

#include <stddef.h>
#include <stdio.h>

#include "engine/embedder.h"
#include "engine/generator.h"
#include "engine/reranker.h"
#include "index/store.h"
#include "index/vectors.h"
#include "rag/answer.h"
#include "rag/retrieve.h"

/* The protocol version answered to clients that ask for an unknown one. */
#define MCP_PROTOCOL_LATEST "2025-11-25"

/*
 * Opening models. Each slot is optional (NULL: none, so keyword search and
 * extractive answers); each returns 0 with *out set (NULL: none is
 * configured) or a negative DOCENT_E* code with a message for the person
 * to act on, which the tool call returns as its error. They run on the
 * worker thread, one at a time. The server takes ownership of *out.
 */
typedef struct mcp_models {
	/* the embedding model a search of `collection` (NULL: all) uses */
	int (*search_embedder)(void *ctx, const char *collection, embedder **out);
	/* the language model of `ask` */
	int (*generator)(void *ctx, generator **out);
	/* the reranking model of `ask` */
	int (*reranker)(void *ctx, reranker **out);
	void *ctx;
} mcp_models;

typedef struct mcp_params {
	store *store;              /* required */
	/* when set, the only collection the tools see: a call naming another
	 * one is an error (`docent mcp -c NAME`); NULL: all collections */
	const char *collection;
	retrieve_params search;    /* search's mode, k (its default), BM25 parameters */
	answer_params answer;      /* ask's pipeline; its prompts borrowed */
	vindex_params vindex;
	mcp_models models;
	size_t max_message;        /* longer lines are refused (default 4 MiB) */
	const char *version;       /* serverInfo.version */
	FILE *log;                 /* one line per request, and errors; NULL: none */
} mcp_params;

/* Defaults of every field; store is NULL and must be set. */
mcp_params mcp_default_params(void);

/*
 * Serves the protocol: reads messages from `in` until its end, writes
 * answers to `out`. Returns 0 at the end of the input, DOCENT_EIO when
 * reading or writing failed (with a message), DOCENT_ENOMEM, or
 * DOCENT_EINVAL for missing parameters.
 */
int mcp_serve(FILE *in, FILE *out, const mcp_params *p);

#endif
