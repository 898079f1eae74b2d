/*
 * cmd_ask.c - `docent ask QUESTION`: an answer from the documents, streamed,
 * with its sources; extractive without a language model; an honest "the
 * documents do not answer this" when nothing bears on the question.
 */
#include "cli/cli.h"
#include "core/buf.h"
#include "core/error.h"
#include "rag/answer.h"
#include "rag/answer_json.h"

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
			if (cli_set_flag(c, "answer.passages", optarg, "--passages"))
				return CLI_USAGE;
			break;
		case 'm':
			if (cli_set_flag(c, "search.mode", optarg, "--mode"))
				return CLI_USAGE;
			break;
		case 'M':
			if (cli_set_flag(c, "engine.chat_model", optarg, "--model"))
				return CLI_USAGE;
			break;
		case 'n':
			if (cli_set_flag(c, "engine.max_tokens", optarg, "--max-tokens"))
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

	/* without a model the answer comes whole: it is printed once its mode
	 * (extractive, or no answer) is known, with the label that fits */
	out.stream = !json && !no_stream && gen;
	cli_wrap_init(&out.wrap, stdout, term.width, 0);
	cli_interrupt_catch();
	rc = answer_ask(a, q.data, NULL, NULL, 0, &ap, on_piece, &out, &res, NULL);
	cli_interrupt_release();
	if (rc) {
		status = cli_fail(rc, "cannot answer");
		goto done;
	}
	if (out.stream)
		cli_wrap_end(&out.wrap);
	if (json) {
		if (res.retrieval.vectors_rebuilt)
			fprintf(stderr, "docent: the vector index was out of date and was rebuilt\n");
	} else {
		cli_print_answer_notes(&res);
	}
	if (json) {
		json_t *j = answer_json(q.data, &res, gen ? generator_model_id(gen) : NULL);
		if (j)
			json_object_set_new(json_object_get(j, "timings"), "model_load_ms",
					    json_real(load_ms));
		status = cli_print_json(j);
	} else {
		if (!out.stream) {
			if (res.mode == ANSWER_EXTRACTIVE) {
				if (term.color)
					fputs("\033[2m", stdout);
				fputs(extractive ? "Extractive answer (the sentences that best answer "
				      "the question):\n" : "Extractive answer (no language model is set: "
				      "`docent models pull qwen2.5-0.5b-instruct` gives written "
				      "answers):\n", stdout);
				if (term.color)
					fputs("\033[0m", stdout);
			}
			cli_wrap_put(&out.wrap, res.text, strlen(res.text));
			cli_wrap_end(&out.wrap);
		}
		cli_print_sources(&term, &res);
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
