/*
 * cmd_ask.c - `docent ask QUESTION`: an answer from the documents, streamed,
 * with its sources; extractive without a language model; an honest "the
 * documents do not answer this" when nothing bears on the question.
 */
#include "cli/cli.h"
#include "core/buf.h"
#include "core/error.h"
#include "rag/answer.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void help_ask(FILE *out)
{
	fprintf(out,
		"Usage: docent ask [OPTIONS] QUESTION...\n\n"
		"Answers a question from your documents. The passages that best match it\n"
		"are retrieved, the sentences and table rows that bear on it are kept\n"
		"(answer.context_tokens), and the language model answers from them alone,\n"
		"citing them as [1], [2]. Citations of passages that do not exist are\n"
		"removed. The sources follow the answer: path, page, heading, the byte\n"
		"range in the document's text, and the passage.\n\n"
		"Without a language model (engine.chat_model) the answer is extractive:\n"
		"the sentences that best answer the question, each cited. When nothing\n"
		"found bears on the question, docent says so and shows the nearest\n"
		"passages instead of guessing.\n\n"
		"Options:\n"
		"  -c, --collection NAME   ask one collection (default: all)\n"
		"  -k, --passages N        passages retrieved before packing (default:\n"
		"                          answer.passages, 20)\n"
		"  -m, --mode MODE         retrieval: hybrid, dense or bm25 (default: search.mode)\n"
		"      --model SPEC        the language model, overriding engine.chat_model\n"
		"                          (a GGUF file, a catalogue name, or URL#model)\n"
		"      --extractive        answer without the language model\n"
		"      --no-rerank         do not reorder the passages with the reranking\n"
		"                          model (engine.rerank_model), when one is set\n"
		"  -n, --max-tokens N      longest answer in tokens (default engine.max_tokens)\n"
		"      --no-stream         print the answer when it is complete\n"
		"      --json              print the answer, citations, context and timings\n"
		"                          as JSON\n\n"
		"Ctrl-C stops the answer; the exit status is then 130.\n"
		"Exit status: 0 answered (also when the documents do not answer the\n"
		"question), 1 failure, 2 usage error, 130 interrupted.\n");
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

typedef struct ask_out {
	cli_wrap wrap;
	int stream;
} ask_out;

static int on_piece(void *ctx, const char *piece, size_t n)
{
	ask_out *o = ctx;
	if (o->stream)
		cli_wrap_put(&o->wrap, piece, n);
	return *cli_interrupt_flag() != 0;
}

static json_t *item_json(const pack_item *it, int with_tokens)
{
	json_t *o = json_pack("{s:i, s:s, s:s?, s:s?, s:I, s:I, s:s, s:I}",
			      "n", it->n, "path", it->path ? it->path : "",
			      "title", it->title, "heading", it->heading,
			      "start_byte", (json_int_t)it->start_byte,
			      "end_byte", (json_int_t)it->end_byte,
			      "text", it->text ? it->text : "",
			      "chunk_id", (json_int_t)it->chunk_id);
	if (!o)
		return NULL;
	json_object_set_new(o, "page", it->page_start > 0 ? json_integer(it->page_start) : json_null());
	if (it->page_end > it->page_start)
		json_object_set_new(o, "page_end", json_integer(it->page_end));
	if (with_tokens)
		json_object_set_new(o, "tokens", json_integer((json_int_t)it->tokens));
	return o;
}

static json_t *answer_json(const char *question, const answer_result *r, const char *model,
			   double load_ms)
{
	json_t *cites = json_array(), *ctx = json_array(), *invalid = json_array(), *out;

	for (size_t i = 0; i < r->ncited; i++) {
		const pack_item *it = answer_item(r, r->cited[i]);
		if (it)
			json_array_append_new(cites, item_json(it, 0));
	}
	for (size_t i = 0; i < r->ncontext; i++)
		json_array_append_new(ctx, item_json(&r->context[i], 1));
	for (size_t i = 0; i < r->ninvalid; i++)
		json_array_append_new(invalid, json_integer(r->invalid[i]));
	out = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:i, s:i, s:i, s:f, s:s}",
			"question", question, "answer", r->text ? r->text : "",
			"mode", answer_mode_name(r->mode), "citations", cites,
			"context", ctx, "removed_citations", invalid,
			"prompt_tokens", r->prompt_tokens, "cached_tokens", r->cached_tokens,
			"completion_tokens", r->completion_tokens, "coverage", r->coverage,
			"retrieval", retrieve_mode_name(r->retrieval.mode));
	if (!out)
		return NULL;
	json_object_set_new(out, "model", model ? json_string(model) : json_null());
	json_object_set_new(out, "reranked", json_boolean(r->reranked));
	json_object_set_new(out, "timings", json_pack(
		"{s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f}",
		"model_load_ms", load_ms, "retrieval_ms", r->timings.retrieve_ms, "rerank_ms", r->timings.rerank_ms,
		"packing_ms", r->timings.pack_ms, "first_token_ms", r->timings.first_token_ms,
		"generation_ms", r->timings.generate_ms, "total_ms", r->timings.total_ms,
		"tokens_per_s", r->timings.tokens_per_s));
	if (r->retrieval.note[0])
		json_object_set_new(out, "note", json_string(r->retrieval.note));
	return out;
}

/* "title > heading (p. 3)" of an item, to show under its path. */
static void put_where(FILE *out, const pack_item *it)
{
	const char *title = it->title && it->title[0] ? it->title : NULL;
	const char *heading = it->heading && it->heading[0] ? it->heading : NULL;
	if (title && heading && strncmp(heading, title, strlen(title)) == 0)
		title = NULL;
	if (title)
		fputs(title, out);
	if (title && heading)
		fputs(" > ", out);
	if (heading)
		fputs(heading, out);
}

static void print_item(const cli_term *t, const pack_item *it)
{
	char page[32] = "";
	cli_wrap w;

	if (it->page_start > 0 && it->page_end > it->page_start)
		snprintf(page, sizeof page, ", pages %d-%d", it->page_start, it->page_end);
	else if (it->page_start > 0)
		snprintf(page, sizeof page, ", page %d", it->page_start);
	printf("[%d] ", it->n);
	cli_put_link(stdout, t, it->path, it->page_start, it->path);
	printf("%s (bytes %lld-%lld)\n", page, (long long)it->start_byte, (long long)it->end_byte);
	if ((it->title && it->title[0]) || (it->heading && it->heading[0])) {
		fputs("    ", stdout);
		put_where(stdout, it);
		putchar('\n');
	}
	if (t->color)
		fputs("\033[2m", stdout);
	cli_wrap_init(&w, stdout, t->width, 4);
	cli_wrap_put(&w, it->text ? it->text : "", strlen(it->text ? it->text : ""));
	cli_wrap_end(&w);
	if (t->color)
		fputs("\033[0m", stdout);
}

static void print_sources(const cli_term *t, const answer_result *r)
{
	if (r->mode == ANSWER_NO_EVIDENCE) {
		if (r->ncontext == 0) {
			printf("\nNothing in the documents matches the question.\n");
			return;
		}
		printf("\nNearest passages (they do not answer it):\n");
		for (size_t i = 0; i < r->ncontext; i++)
			print_item(t, &r->context[i]);
		return;
	}
	if (r->ncited == 0) {
		printf("\nThe answer cites no passage. It was given these:\n");
		for (size_t i = 0; i < r->ncontext; i++)
			print_item(t, &r->context[i]);
		return;
	}
	printf("\nSources:\n");
	for (size_t i = 0; i < r->ncited; i++) {
		const pack_item *it = answer_item(r, r->cited[i]);
		if (it)
			print_item(t, it);
	}
}

/* Sets a key from an option, as a flag; prints the error. */
static int set_flag(cli *c, const char *key, const char *value, const char *flag)
{
	if (config_set(c->cfg, key, value, CONFIG_FLAG, flag) == 0)
		return 0;
	fprintf(stderr, "docent %s: %s\n", c->command, docent_error_message());
	return -1;
}

int cmd_ask(cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "collection", required_argument, NULL, 'c' },
		{ "passages", required_argument, NULL, 'k' },
		{ "mode", required_argument, NULL, 'm' },
		{ "model", required_argument, NULL, 'M' },
		{ "max-tokens", required_argument, NULL, 'n' },
		{ "extractive", no_argument, NULL, 'E' },
		{ "no-rerank", no_argument, NULL, 'R' },
		{ "no-stream", no_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'J' },
		{ NULL, 0, NULL, 0 },
	};
	answer_params ap;
	answer_result res = { 0 };
	vindex_params vp;
	cli_term term;
	ask_out out = { 0 };
	const char *collection = NULL;
	char *sys = NULL, *usr = NULL;
	dbuf q = DBUF_INIT;
	int opt, json = 0, no_stream = 0, extractive = 0, no_rerank = 0, rc, status = CLI_OK, m;
	store *st;
	embedder *emb = NULL;
	generator *gen = NULL;
	reranker *rr = NULL;
	answerer *a = NULL;
	double load_ms;

	while ((opt = getopt_long(argc, argv, "c:k:m:n:", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': collection = optarg; break;
		case 'k':
			if (set_flag(c, "answer.passages", optarg, "--passages"))
				return CLI_USAGE;
			break;
		case 'm':
			if (set_flag(c, "search.mode", optarg, "--mode"))
				return CLI_USAGE;
			break;
		case 'M':
			if (set_flag(c, "engine.chat_model", optarg, "--model"))
				return CLI_USAGE;
			break;
		case 'n':
			if (set_flag(c, "engine.max_tokens", optarg, "--max-tokens"))
				return CLI_USAGE;
			break;
		case 'E': extractive = 1; break;
		case 'R': no_rerank = 1; break;
		case 'S': no_stream = 1; break;
		case 'J': json = 1; break;
		default: return cli_usage(c, "unknown option");
		}
	}
	if (optind >= argc)
		return cli_usage(c, "give a question, e.g. docent ask \"how many days of leave do I get?\"");
	m = retrieve_mode_parse(config_get(c->cfg, "search.mode"));
	if (m < 0)
		return cli_usage(c, "search mode '%s' is not one of hybrid, dense, bm25, auto",
				 config_get(c->cfg, "search.mode"));
	{
		long k = strtol(config_get(c->cfg, "answer.passages"), NULL, 10);
		if (k < 1 || k > 1000)
			return cli_usage(c, "--passages takes a number from 1 to 1000");
	}
	for (int i = optind; i < argc; i++)
		if ((i > optind && dbuf_putc(&q, ' ')) || dbuf_puts(&q, argv[i]))
			return cli_fail(DOCENT_ENOMEM, NULL);

	config_answer_params(c->cfg, &ap);
	config_vindex_params(c->cfg, &vp);
	vp.mmap = 1;
	ap.retrieve.mode = (retrieve_mode)m;
	ap.retrieve.search.collection = collection;
	if ((rc = config_prompt(c->cfg, "ask_system", &sys)) != 0 ||
	    (rc = config_prompt(c->cfg, "ask_user", &usr)) != 0) {
		status = cli_fail(rc, NULL);
		goto done;
	}
	ap.gen.cancel = cli_interrupt_flag();
	ap.system_prompt = sys;
	ap.user_prompt = usr;
	cli_term_detect(&term);
	if (json)
		term.color = term.links = 0;

	if (!(st = cli_store_collection(c, collection))) {
		status = CLI_FAIL;
		goto done;
	}
	if (ap.retrieve.mode != RETRIEVE_BM25 &&
	    !(emb = cli_search_embedder(c, st, collection, ap.retrieve.mode, &status)) && status)
		goto done;
	load_ms = now_ms();
	if (!extractive && (gen = cli_generator(c, &status)) == NULL && status)
		goto done;
	load_ms = now_ms() - load_ms;
	if (!no_rerank && (rr = cli_reranker(c, &status)) == NULL && status)
		goto done;
	if (rr) {
		ap.rerank = reranker_rank_cb;
		ap.rerank_ctx = rr;
	}
	if ((rc = answerer_open(&a, st, emb, gen, &vp)) != 0) {
		status = cli_fail(rc, NULL);
		goto done;
	}

	out.stream = !json && !no_stream;
	cli_wrap_init(&out.wrap, stdout, term.width, 0);
	if (!json && !gen) {
		if (term.color)
			fputs("\033[2m", stdout);
		fputs(extractive ? "Extractive answer (the sentences that best answer the question):\n" :
		      "Extractive answer (no language model is set: `docent models pull "
		      "qwen2.5-0.5b-instruct` gives written answers):\n", stdout);
		if (term.color)
			fputs("\033[0m", stdout);
	}
	cli_interrupt_catch();
	rc = answer_ask(a, q.data, NULL, NULL, 0, &ap, on_piece, &out, &res, NULL);
	cli_interrupt_release();
	if (rc) {
		status = cli_fail(rc, "cannot answer");
		goto done;
	}
	if (out.stream)
		cli_wrap_end(&out.wrap);
	if (res.retrieval.vectors_rebuilt)
		fprintf(stderr, "docent: the vector index was out of date and was rebuilt\n");
	if (res.retrieval.note[0] && !json)
		fprintf(stderr, "docent: keyword retrieval only: %s\n", res.retrieval.note);
	if (res.ninvalid && !json) {
		fprintf(stderr, "docent: removed citation%s of passage%s that do%s not exist:",
			res.ninvalid > 1 ? "s" : "", res.ninvalid > 1 ? "s" : "",
			res.ninvalid > 1 ? "" : "es");
		for (size_t i = 0; i < res.ninvalid; i++)
			fprintf(stderr, " [%d]", res.invalid[i]);
		fputc('\n', stderr);
	}
	if (json) {
		status = cli_print_json(answer_json(q.data, &res, gen ? generator_model_id(gen) : NULL,
							 load_ms));
	} else {
		if (!out.stream) {
			cli_wrap_put(&out.wrap, res.text, strlen(res.text));
			cli_wrap_end(&out.wrap);
		}
		print_sources(&term, &res);
	}
	if (res.stopped_by == GEN_STOP_CANCELLED || *cli_interrupt_flag()) {
		fprintf(stderr, "docent: stopped\n");
		status = 130;
	}
done:
	answer_result_free(&res);
	answerer_close(a);
	generator_free(gen);
	reranker_free(rr);
	embedder_free(emb);
	free(sys);
	free(usr);
	dbuf_free(&q);
	return status;
}
