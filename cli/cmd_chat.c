/*
 * cmd_chat.c - `docent chat`: a conversation with the documents at a
 * prompt (line editing and history by libedit), or question by question
 * from a pipe; and the stored conversations (--list, --resume, --delete).
 *
 * The conversation itself (rewriting follow-ups, the history the model
 * sees, storing the turns) is rag/chat.h; this file only reads lines and
 * prints.
 */
#include "cli/cli.h"
#include "core/buf.h"
#include "core/error.h"
#include "config/models.h"
#include "rag/chat.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <editline/readline.h>

/* lines of prompt history kept in DATA_DIR/chat_history */
#define HISTORY_LINES 1000

void help_chat(FILE *out)
{
	fprintf(out,
		"Usage: docent chat [OPTIONS]\n\n"
		"A conversation with your documents. Each line is a question, answered\n"
		"as `docent ask` answers, streamed, with its sources. Follow-up questions\n"
		"(\"and for fathers?\") are rewritten into a standalone search (shown as\n"
		"\"searching: ...\"), and the model sees the conversation so far.\n"
		"Conversations are stored; --list shows them and --resume continues one.\n\n"
		"At the prompt (line editing; history in DATA_DIR/chat_history):\n"
		"  /sources            the full sources of the last answer\n"
		"  /collection [NAME]  switch to collection NAME (* for all); alone: show it\n"
		"  /reset              start a new conversation\n"
		"  /help               these commands\n"
		"  /quit               leave (also Ctrl-D)\n"
		"Ctrl-C stops an answer; Ctrl-D or /quit leaves.\n\n"
		"When standard input is not a terminal, questions are read from it one a\n"
		"line (commands included) and each answer is printed.\n\n"
		"Options:\n"
		"  -c, --collection NAME   ask one collection (default: all)\n"
		"  -m, --mode MODE         retrieval: hybrid, dense or bm25 (default: search.mode)\n"
		"      --model SPEC        the language model, overriding engine.chat_model\n"
		"      --extractive        answer without the language model\n"
		"      --resume ID         continue the stored conversation ID\n"
		"      --list              list the stored conversations (last used first)\n"
		"      --delete ID         delete a stored conversation\n"
		"      --json              with --list: print JSON\n\n"
		"Exit status: 0 done, 1 failure (in a session: a question that could not\n"
		"be answered), 2 usage error.\n");
}

/* ---- stored conversations ---- */

static void put_time(FILE *out, int64_t t)
{
	char buf[32];
	time_t tt = (time_t)t;
	struct tm tm;
	if (localtime_r(&tt, &tm) && strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm))
		fputs(buf, out);
	else
		fprintf(out, "%lld", (long long)t);
}

/* The title on one line, at most `max` bytes (whole UTF-8 characters). */
static void put_title(FILE *out, const char *s, size_t max)
{
	size_t n = 0;
	for (; s[n] && n < max; n++)
		;
	if (s[n])
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	for (size_t i = 0; i < n; i++)
		fputc(s[i] == '\n' || s[i] == '\t' || s[i] == '\r' ? ' ' : s[i], out);
	if (s[n])
		fputs("...", out);
}

static int list_conversations(store *st, int json)
{
	store_conv *v;
	size_t n;
	int rc = store_conv_list(st, &v, &n);

	if (rc)
		return cli_fail(rc, "cannot list conversations");
	if (json) {
		json_t *a = json_array();
		for (size_t i = 0; a && i < n; i++) {
			json_t *o = json_pack("{s:I, s:s, s:I, s:I, s:I}", "id", (json_int_t)v[i].id,
					      "title", v[i].title ? v[i].title : "",
					      "turns", (json_int_t)((v[i].nmessages + 1) / 2),
					      "created", (json_int_t)v[i].created_at,
					      "updated", (json_int_t)v[i].updated_at);
			if (o)
				json_object_set_new(o, "collection", v[i].collection ?
						    json_string(v[i].collection) : json_null());
			json_array_append_new(a, o);
		}
		store_conv_list_free(v, n);
		return cli_print_json(a);
	}
	if (n == 0)
		printf("No stored conversations yet: `docent chat` starts one.\n");
	else
		printf("%6s  %-16s  %5s  %-12s  %s\n", "ID", "LAST USED", "TURNS", "COLLECTION",
		       "TITLE");
	for (size_t i = 0; i < n; i++) {
		printf("%6lld  ", (long long)v[i].id);
		put_time(stdout, v[i].updated_at);
		printf("  %5lld  %-12s  ", (long long)((v[i].nmessages + 1) / 2),
		       v[i].collection ? v[i].collection : "(all)");
		put_title(stdout, v[i].title ? v[i].title : "", 60);
		putchar('\n');
	}
	store_conv_list_free(v, n);
	return CLI_OK;
}

static int parse_id(const char *s, int64_t *out)
{
	char *end;
	long long v = strtoll(s, &end, 10);
	if (!*s || *end || v <= 0)
		return -1;
	*out = v;
	return 0;
}

/* ---- a session ---- */

typedef struct session {
	cli *c;
	store *st;
	chat *ch;
	generator *gen;
	cli_term term;
	int interactive;       /* reading a terminal with libedit */
	answer_result last;    /* the last answer, for /sources */
	int have_last;
	json_t *resumed;       /* the stored citations of a resumed chat's last answer */
	int failed;            /* a question could not be answered */
	cli_wrap wrap;
} session;

static int on_piece(void *ctx, const char *piece, size_t n)
{
	session *s = ctx;
	cli_wrap_put(&s->wrap, piece, n);
	fflush(stdout);
	return *cli_interrupt_flag() != 0;
}

static void dim(const session *s, int on)
{
	if (s->term.color)
		fputs(on ? "\033[2m" : "\033[0m", stdout);
}

/* One line a source: number, path (a link on a terminal), page, heading. */
static void print_compact_sources(session *s, const answer_result *r)
{
	size_t n = r->mode == ANSWER_NO_EVIDENCE || r->ncited == 0 ? r->ncontext : r->ncited;

	if (n == 0)
		return;
	dim(s, 1);
	printf(r->mode == ANSWER_NO_EVIDENCE ? "Nearest passages (/sources shows them):\n" :
	       r->ncited == 0 ? "Given passages (none cited):\n" : "Sources:\n");
	for (size_t i = 0; i < n; i++) {
		const pack_item *it = r->mode == ANSWER_NO_EVIDENCE || r->ncited == 0 ?
				      &r->context[i] : answer_item(r, r->cited[i]);
		if (!it)
			continue;
		printf("  [%d] ", it->n);
		cli_put_link(stdout, &s->term, it->path, it->page_start, it->path);
		if (it->page_start > 0)
			printf(", page %d", it->page_start);
		if (it->heading && it->heading[0])
			printf(" - %s", it->heading);
		putchar('\n');
	}
	dim(s, 0);
}

static void print_help(void)
{
	printf("/sources            the full sources of the last answer\n"
	       "/collection [NAME]  switch to collection NAME (* for all); alone: show it\n"
	       "/reset              start a new conversation\n"
	       "/help               these commands\n"
	       "/quit               leave (also Ctrl-D)\n");
}

static void show_collection(session *s)
{
	const char *name = chat_collection(s->ch);
	printf("Collection: %s\n", name ? name : "all collections");
}

static void set_collection(session *s, const char *name)
{
	int64_t id;
	int rc;

	if (strcmp(name, "*") == 0)
		name = NULL;
	if (name && (rc = store_collection_id(s->st, name, 0, &id)) != 0) {
		fprintf(stderr, "docent: %s\n", docent_error_message());
		return;
	}
	if ((rc = chat_set_collection(s->ch, name)) != 0) {
		cli_fail(rc, "cannot switch collection");
		return;
	}
	show_collection(s);
}

/* Answers one question: the search shown when it differs from the words
 * asked, the answer streamed, then the sources. */
static void ask(session *s, const char *question)
{
	answer_result r;
	char *query = NULL;
	int rc;

	/* the rewriting call can take a while too: Ctrl-C stops it and the turn */
	cli_interrupt_catch();
	rc = chat_rewrite(s->ch, question, &query);
	if (rc == 0 && *cli_interrupt_flag()) {
		cli_interrupt_release();
		free(query);
		fprintf(stderr, "docent: stopped\n");
		return;
	}
	if (rc) {
		cli_interrupt_release();
		cli_fail(rc, "cannot answer");
		s->failed = 1;
		return;
	}
	if (strcmp(query, question) != 0) {
		dim(s, 1);
		printf("searching: %s\n", query);
		dim(s, 0);
	}
	fflush(stdout);
	cli_wrap_init(&s->wrap, stdout, s->term.width, 0);
	rc = chat_ask(s->ch, question, query, on_piece, s, &r);
	cli_interrupt_release();
	free(query);
	if (rc) {
		cli_fail(rc, "cannot answer");
		s->failed = 1;
		return;
	}
	cli_wrap_end(&s->wrap);
	if (r.stopped_by == GEN_STOP_CANCELLED || *cli_interrupt_flag())
		fprintf(stderr, "docent: stopped\n");
	cli_print_answer_notes(&r);
	print_compact_sources(s, &r);
	if (s->have_last)
		answer_result_free(&s->last);
	s->last = r;
	s->have_last = 1;
	putchar('\n');
	fflush(stdout);
}

/* The sources of a resumed chat's last answer, as stored: where each
 * cited passage is (its text is in the document, not in the store). */
static void print_stored_sources(session *s)
{
	size_t i;
	json_t *it;

	if (json_array_size(s->resumed) == 0) {
		printf("The last answer cites no passage.\n");
		return;
	}
	printf("\nSources (of the last stored answer):\n");
	json_array_foreach(s->resumed, i, it) {
		const char *path = json_string_value(json_object_get(it, "path"));
		const char *heading = json_string_value(json_object_get(it, "heading"));
		json_int_t page = json_integer_value(json_object_get(it, "page"));
		printf("[%lld] ", (long long)json_integer_value(json_object_get(it, "n")));
		cli_put_link(stdout, &s->term, path ? path : "", (int)page, path ? path : "");
		if (page > 0)
			printf(", page %lld", (long long)page);
		printf(" (bytes %lld-%lld)\n",
		       (long long)json_integer_value(json_object_get(it, "start_byte")),
		       (long long)json_integer_value(json_object_get(it, "end_byte")));
		if (heading && heading[0])
			printf("    %s\n", heading);
	}
}

/* Keeps the stored citations of the conversation's last answer. */
static void load_stored_sources(session *s, int64_t id)
{
	store_conv_msg *m;
	size_t n;

	if (store_conv_messages(s->st, id, &m, &n) != 0)
		return;
	for (size_t i = n; i-- > 0;)
		if (strcmp(m[i].role, "assistant") == 0) {
			if (m[i].citations)
				s->resumed = json_loads(m[i].citations, 0, NULL);
			break;
		}
	store_conv_messages_free(m, n);
}

/* Handles one line; returns 1 when the session should end. */
static int handle_line(session *s, char *line)
{
	size_t n = strlen(line);

	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' ' ||
			 line[n - 1] == '\t'))
		line[--n] = '\0';
	while (*line == ' ' || *line == '\t')
		line++;
	if (!*line)
		return 0;
	if (!s->interactive)
		printf("> %s\n", line);
	if (line[0] != '/') {
		ask(s, line);
		return 0;
	}
	if (strcmp(line, "/quit") == 0 || strcmp(line, "/exit") == 0)
		return 1;
	if (strcmp(line, "/help") == 0) {
		print_help();
	} else if (strcmp(line, "/sources") == 0) {
		if (s->have_last)
			cli_print_sources(&s->term, &s->last);
		else if (s->resumed)
			print_stored_sources(s);
		else
			printf("No answer yet.\n");
	} else if (strcmp(line, "/reset") == 0) {
		chat_reset(s->ch);
		json_decref(s->resumed);
		s->resumed = NULL;
		printf("New conversation.\n");
	} else if (strcmp(line, "/collection") == 0) {
		show_collection(s);
	} else if (strncmp(line, "/collection ", 12) == 0) {
		const char *name = line + 12;
		while (*name == ' ')
			name++;
		set_collection(s, name);
	} else {
		fprintf(stderr, "docent: unknown command %s; /help lists them\n", line);
	}
	fflush(stdout);
	return 0;
}

static void run_interactive(session *s)
{
	dbuf hist = DBUF_INIT;
	int have_hist = dbuf_printf(&hist, "%s/chat_history", config_data_dir(s->c->cfg)) == 0;
	char *line;

	rl_readline_name = "docent";
	using_history();
	stifle_history(HISTORY_LINES);
	if (have_hist)
		read_history(hist.data);
	dim(s, 1);
	printf("Ask about your documents. /help lists commands; Ctrl-D leaves.\n");
	dim(s, 0);
	/* Ctrl-C stops an answer (ask() catches it); anywhere else, a stray or
	 * second one must not end the session: Ctrl-D and /quit leave */
	signal(SIGINT, SIG_IGN);
	for (;;) {
		int done;
		if (!(line = readline("> "))) {
			putchar('\n'); /* Ctrl-D: leave the shell's prompt on a line of its own */
			break;
		}
		if (line[0] && line[0] != ' ') {
			add_history(line);
			/* written at once: the history survives a kill */
			if (have_hist)
				write_history(hist.data);
		}
		done = handle_line(s, line);
		free(line);
		if (done)
			break;
	}
	dbuf_free(&hist);
}

static void run_piped(session *s)
{
	char *line = NULL;
	size_t cap = 0;

	while (getline(&line, &cap, stdin) != -1)
		if (handle_line(s, line))
			break;
	free(line);
}

int cmd_chat(cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "collection", required_argument, NULL, 'c' },
		{ "mode", required_argument, NULL, 'm' },
		{ "model", required_argument, NULL, 'M' },
		{ "extractive", no_argument, NULL, 'E' },
		{ "resume", required_argument, NULL, 'R' },
		{ "list", no_argument, NULL, 'L' },
		{ "delete", required_argument, NULL, 'D' },
		{ "json", no_argument, NULL, 'J' },
		{ NULL, 0, NULL, 0 },
	};
	session s;
	chat_params cp = chat_default_params();
	vindex_params vp;
	const char *collection = NULL;
	char *sys = NULL, *usr = NULL, *rew = NULL;
	int opt, json = 0, list = 0, extractive = 0, rc, status = CLI_OK, m;
	int64_t resume = 0, del = 0;
	embedder *emb = NULL;
	reranker *rr = NULL;
	answerer *a = NULL;

	memset(&s, 0, sizeof s);
	s.c = c;
	while ((opt = getopt_long(argc, argv, "c:m:", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': collection = optarg; break;
		case 'm':
			if (cli_set_flag(c, "search.mode", optarg, "--mode"))
				return CLI_USAGE;
			break;
		case 'M':
			if (cli_set_flag(c, "engine.chat_model", optarg, "--model"))
				return CLI_USAGE;
			break;
		case 'E': extractive = 1; break;
		case 'R':
			if (parse_id(optarg, &resume))
				return cli_usage(c, "--resume takes a conversation id (see docent chat --list)");
			break;
		case 'L': list = 1; break;
		case 'D':
			if (parse_id(optarg, &del))
				return cli_usage(c, "--delete takes a conversation id (see docent chat --list)");
			break;
		case 'J': json = 1; break;
		default: return cli_usage(c, "unknown option");
		}
	}
	if (optind < argc)
		return cli_usage(c, "chat takes no arguments: type the questions at its prompt");
	if (list + (del != 0) + (resume != 0) > 1)
		return cli_usage(c, "give one of --list, --delete and --resume");
	if (json && !list)
		return cli_usage(c, "--json goes with --list");
	m = retrieve_mode_parse(config_get(c->cfg, "search.mode"));
	if (m < 0)
		return cli_usage(c, "search mode '%s' is not one of hybrid, dense, bm25, auto",
				 config_get(c->cfg, "search.mode"));

	if (!(s.st = cli_store_collection(c, collection)))
		return CLI_FAIL;
	if (list)
		return list_conversations(s.st, json);
	if (del) {
		if ((rc = store_conv_delete(s.st, del)) != 0)
			return cli_fail(rc, NULL);
		printf("Deleted conversation %lld.\n", (long long)del);
		return CLI_OK;
	}

	config_answer_params(c->cfg, &cp.answer);
	config_vindex_params(c->cfg, &vp);
	vp.mmap = 1;
	cp.answer.retrieve.mode = (retrieve_mode)m;
	cp.answer.retrieve.search.collection = collection;
	if ((rc = config_prompt(c->cfg, "ask_system", &sys)) != 0 ||
	    (rc = config_prompt(c->cfg, "ask_user", &usr)) != 0 ||
	    (rc = config_prompt(c->cfg, "chat_rewrite", &rew)) != 0) {
		status = cli_fail(rc, NULL);
		goto done;
	}
	cp.answer.system_prompt = sys;
	cp.answer.user_prompt = usr;
	cp.rewrite_prompt = rew;
	cp.cancel = cli_interrupt_flag();
	cli_term_detect(&s.term);
	s.interactive = isatty(STDIN_FILENO) && s.term.tty;

	if (cp.answer.retrieve.mode != RETRIEVE_BM25 &&
	    !(emb = cli_search_embedder(c, s.st, collection, cp.answer.retrieve.mode, &status)) &&
	    status)
		goto done;
	if (!extractive && (s.gen = cli_generator(c, &status)) == NULL && status)
		goto done;
	/* the reranking model, as for `docent ask` */
	if ((rr = cli_reranker(c, &status)) == NULL && status)
		goto done;
	if (rr) {
		cp.answer.rerank = reranker_rank_cb;
		cp.answer.rerank_ctx = rr;
	}
	if (s.gen)
		cp.context_tokens = config_model_context(c->cfg);
	if ((rc = answerer_open(&a, s.st, emb, s.gen, &vp)) != 0 ||
	    (rc = chat_open(&s.ch, s.st, a, s.gen, &cp)) != 0) {
		status = cli_fail(rc, NULL);
		goto done;
	}
	if (resume) {
		store_conv cv;
		if ((rc = chat_resume(s.ch, resume)) != 0 ||
		    (rc = store_conv_get(s.st, resume, &cv)) != 0) {
			status = cli_fail(rc, "cannot resume");
			goto done;
		}
		printf("Resuming conversation %lld: ", (long long)resume);
		put_title(stdout, cv.title ? cv.title : "", 60);
		printf(" (%zu turn%s)\n", chat_turns(s.ch), chat_turns(s.ch) == 1 ? "" : "s");
		store_conv_clear(&cv);
		load_stored_sources(&s, resume);
		if (collection && (rc = chat_set_collection(s.ch, collection)) != 0) {
			status = cli_fail(rc, NULL);
			goto done;
		}
	}
	if (!s.gen) {
		dim(&s, 1);
		printf(extractive ? "Extractive answers (the sentences that best answer each question).\n" :
		       "Extractive answers (no language model is set: `docent models pull "
		       "qwen2.5-0.5b-instruct` gives written answers).\n");
		dim(&s, 0);
	}
	fflush(stdout);
	if (s.interactive)
		run_interactive(&s);
	else
		run_piped(&s);
	if (s.failed)
		status = CLI_FAIL;
done:
	if (s.have_last)
		answer_result_free(&s.last);
	json_decref(s.resumed);
	chat_close(s.ch);
	answerer_close(a);
	generator_free(s.gen);
	reranker_free(rr);
	embedder_free(emb);
	free(sys);
	free(usr);
	free(rew);
	return status;
}
