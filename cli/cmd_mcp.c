/*
 * cmd_mcp.c - `docent mcp`: the Model Context Protocol server on stdin and
 * stdout (web/mcp.h), for AI agents and editors. This file opens the store
 * and, on first use, the configured models (as search and ask do), and
 * keeps stdout for the protocol alone.
 */
#include "cli/cli.h"
#include "core/error.h"
#include "web/mcp.h"

#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void help_mcp(FILE *out)
{
	fprintf(out,
		"Usage: docent mcp [-c COLLECTION]\n\n"
		"Serves the documents to AI agents and editors over the Model Context\n"
		"Protocol: JSON-RPC messages, one a line, on stdin and stdout (protocol\n"
		"2025-11-25, and 2025-06-18, 2025-03-26, 2024-11-05). An MCP client starts\n"
		"it; add this to the client's configuration (mcpServers):\n\n"
		"  \"docent\": { \"command\": \"docent\", \"args\": [\"mcp\"] }\n\n"
		"Tools:\n"
		"  search         ranked passages: path, title, page, heading, snippet,\n"
		"                 document id and byte offsets (query, k, collection)\n"
		"  ask            an answer with [n] citations and its sources (question,\n"
		"                 collection); extractive without a language model\n"
		"  read_document  a document's text around a passage (document, start,\n"
		"                 end, context, collection)\n\n"
		"Models are the configured ones (engine.embed_model, engine.chat_model,\n"
		"engine.rerank_model), opened on first use. Messages about the work go to\n"
		"stderr, which MCP clients keep in their logs.\n\n"
		"Options:\n"
		"  -c, --collection NAME   serve this collection only (default: all)\n");
}

/* The models, opened as `docent search` and `docent ask` open them. The
 * CLI's helpers print their errors to stderr (the client's log) and leave
 * the message in docent_error_message() for the tool's error. */
typedef struct mcp_models_ctx {
	cli *c;
	store *st;
	retrieve_mode mode;
} mcp_models_ctx;

static int status_error(int status, const char *what)
{
	char m[1100];

	/* a copy: the message is set again from the buffer it lives in */
	snprintf(m, sizeof m, "%s", docent_error_message());
	if (m[0])
		return docent_error_set(DOCENT_ECONFIG, "%s", m);
	return docent_error_set(DOCENT_ECONFIG, "%s (status %d; see the server's log)", what,
				status);
}

static int open_search_embedder(void *ctx, const char *collection, embedder **out)
{
	mcp_models_ctx *m = ctx;
	int status;

	docent_error_clear();
	*out = cli_search_embedder(m->c, m->st, collection, m->mode, &status);
	if (*out || status == CLI_OK)
		return 0;
	if (status == CLI_USAGE)
		return docent_error_set(DOCENT_ECONFIG, "search.mode = %s needs an embedding model: "
					"ingest with one (engine.embed_model), or set search.mode "
					"to bm25 or auto", retrieve_mode_name(m->mode));
	return status_error(status, "cannot open the embedding model");
}

static int open_generator(void *ctx, generator **out)
{
	mcp_models_ctx *m = ctx;
	int status;

	docent_error_clear();
	*out = cli_generator(m->c, &status);
	return *out || status == CLI_OK ? 0 : status_error(status, "cannot open the language model");
}

static int open_reranker(void *ctx, reranker **out)
{
	mcp_models_ctx *m = ctx;
	int status;

	docent_error_clear();
	*out = cli_reranker(m->c, &status);
	return *out || status == CLI_OK ? 0 : status_error(status, "cannot open the reranking model");
}

int cmd_mcp(cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "collection", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	mcp_params p = mcp_default_params();
	mcp_models_ctx mctx;
	const char *collection = NULL;
	char *sys = NULL, *usr = NULL;
	FILE *proto = NULL;
	store *st;
	int opt, fd, rc, status = CLI_OK;

	while ((opt = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': collection = optarg; break;
		default: return cli_usage(c, "unknown option");
		}
	}
	if (optind < argc)
		return cli_usage(c, "docent mcp takes no arguments: an MCP client starts it and "
				 "speaks to it on stdin and stdout");
	if (retrieve_mode_parse(config_get(c->cfg, "search.mode")) < 0)
		return cli_usage(c, "search mode '%s' is not one of hybrid, dense, bm25, auto",
				 config_get(c->cfg, "search.mode"));

	/* stdout carries the protocol and nothing else: the protocol gets its
	 * own copy of the descriptor, and fd 1 points at stderr, so that a
	 * stray line from any library lands in the log, not in the protocol */
	fflush(stdout);
	if ((fd = dup(STDOUT_FILENO)) < 0 || !(proto = fdopen(fd, "w")) ||
	    dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
		perror("docent mcp: cannot set up stdout");
		if (proto)
			fclose(proto);
		else if (fd >= 0)
			close(fd);
		return CLI_FAIL;
	}
	/* a client that goes away is an end of input, not a signal */
	signal(SIGPIPE, SIG_IGN);
	if (isatty(STDIN_FILENO))
		fprintf(stderr, "docent mcp: waiting for an MCP client's messages on stdin (one JSON-RPC "
			"message a line; Ctrl-D ends). MCP clients start this command themselves: "
			"see `docent mcp --help`.\n");

	if (!(st = cli_store_collection(c, collection))) {
		status = CLI_FAIL;
		goto done;
	}
	if ((rc = config_prompt(c->cfg, "ask_system", &sys)) != 0 ||
	    (rc = config_prompt(c->cfg, "ask_user", &usr)) != 0) {
		status = cli_fail(rc, NULL);
		goto done;
	}
	p.store = st;
	p.collection = collection;
	config_retrieve_params(c->cfg, &p.search);
	config_answer_params(c->cfg, &p.answer);
	config_vindex_params(c->cfg, &p.vindex);
	p.vindex.mmap = 1;
	p.answer.system_prompt = sys;
	p.answer.user_prompt = usr;
	mctx.c = c;
	mctx.st = st;
	mctx.mode = p.search.mode;
	p.models.search_embedder = open_search_embedder;
	p.models.generator = open_generator;
	p.models.reranker = open_reranker;
	p.models.ctx = &mctx;
	p.version = DOCENT_VERSION;
	p.log = stderr;
	fprintf(stderr, "docent mcp: serving %s%s%s (data in %s)\n",
		collection ? "the collection '" : "all collections", collection ? collection : "",
		collection ? "'" : "", config_data_dir(c->cfg));
	if ((rc = mcp_serve(stdin, proto, &p)) != 0)
		status = cli_fail(rc, NULL);
done:
	if (proto)
		fclose(proto);
	free(sys);
	free(usr);
	return status;
}
