/*
 * cmd_generate.c - `docent generate`: streams a raw completion (or, with
 * --chat, a chat reply) from the configured language model. Useful to check
 * a model setup before asking questions of documents.
 */
#include "cli/cli.h"
#include "core/error.h"
#include "engine/generator.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

void help_generate(FILE *out)
{
	fprintf(out,
		"Usage: docent generate [OPTIONS] PROMPT...\n\n"
		"Streams what the language model writes after PROMPT (a raw completion,\n"
		"no chat template), or with --chat its reply to PROMPT as a user message.\n"
		"The model is engine.chat_model (or DOCENT_CHAT_MODEL): a GGUF file run\n"
		"in-process, or a server (see config/docent.conf for the forms).\n\n"
		"Options:\n"
		"  -m, --model SPEC        the model, overriding the configuration: a\n"
		"                          catalogue name, a .gguf file or URL#model\n"
		"      --chat              use the model's chat template\n"
		"      --system TEXT       with --chat: a system message before PROMPT\n"
		"      --show-prompt       with --chat: print the templated prompt the\n"
		"                          model is given to stderr first\n"
		"  -n, --max-tokens N      most tokens to generate (default engine.max_tokens)\n"
		"  -t, --temperature X     sampling temperature; 0 is deterministic\n"
		"      --seed N            random seed (default: random)\n"
		"      --stop TEXT         stop before TEXT (repeatable)\n"
		"      --stats             print token counts and speed to stderr\n\n"
		"Ctrl-C stops the generation (also while a server is silent) and keeps\n"
		"what was written; the exit status is then 130.\n");
}

static int on_piece(void *ctx, const char *piece, size_t n)
{
	static int held_c2; /* one generation per process */

	(void)ctx;
	cli_put_text(stdout, piece, n, &held_c2);
	fflush(stdout);
	return *cli_interrupt_flag() != 0;
}

int cmd_generate(cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "model", required_argument, NULL, 'm' },
		{ "chat", no_argument, NULL, 'C' },
		{ "max-tokens", required_argument, NULL, 'n' },
		{ "temperature", required_argument, NULL, 't' },
		{ "seed", required_argument, NULL, 'S' },
		{ "stop", required_argument, NULL, 'X' },
		{ "stats", no_argument, NULL, 'T' },
		{ "system", required_argument, NULL, 's' },
		{ "show-prompt", no_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 },
	};
	generator_params gp;
	gen_options go;
	gen_result res = { 0 };
	generator *g = NULL;
	const char *stops[16];
	size_t nstop = 0;
	unsigned long seed = 0;
	int opt, rc = 0, chat = 0, stats = 0, show = 0;
	const char *system_msg = NULL;
	dbuf prompt = DBUF_INIT;
	char *end;

	while ((opt = getopt_long(argc, argv, "m:n:t:", opts, NULL)) != -1) {
		switch (opt) {
		case 'm': rc = config_set(c->cfg, "engine.chat_model", optarg, CONFIG_FLAG, "--model"); break;
		case 'n': rc = config_set(c->cfg, "engine.max_tokens", optarg, CONFIG_FLAG, "--max-tokens"); break;
		case 't': rc = config_set(c->cfg, "engine.temperature", optarg, CONFIG_FLAG, "--temperature"); break;
		case 'C': chat = 1; break;
		case 'T': stats = 1; break;
		case 's': system_msg = optarg; break;
		case 'P': show = 1; break;
		case 'S':
			seed = strtoul(optarg, &end, 10);
			if (*end || !*optarg)
				return cli_usage(c, "--seed takes a whole number, not '%s'", optarg);
			break;
		case 'X':
			if (nstop == sizeof stops / sizeof stops[0])
				return cli_usage(c, "at most 16 --stop strings");
			stops[nstop++] = optarg;
			break;
		default: return cli_usage(c, "unknown option");
		}
		if (rc) {
			fprintf(stderr, "docent generate: %s\n", docent_error_message());
			return CLI_USAGE;
		}
	}
	if (optind >= argc)
		return cli_usage(c, "give a prompt, e.g. docent generate \"Once upon a time\"");
	if ((system_msg || show) && !chat)
		return cli_usage(c, "--system and --show-prompt go with --chat");
	for (int i = optind; i < argc; i++)
		if ((i > optind && dbuf_putc(&prompt, ' ')) || dbuf_puts(&prompt, argv[i]))
			return cli_fail(DOCENT_ENOMEM, NULL);
	config_generator_params(c->cfg, &gp, &go);
	go.seed = (uint32_t)seed;
	go.stop = stops;
	go.nstop = nstop;
	go.cancel = cli_interrupt_flag();
	if (!gp.model || !gp.model[0]) {
		dbuf_free(&prompt);
		fprintf(stderr, "docent: no language model configured: set engine.chat_model in "
			"the configuration, DOCENT_CHAT_MODEL, or pass --model (a GGUF file or "
			"URL#model; see config/docent.conf)\n");
		return CLI_FAIL;
	}
	/* a catalogue name or a bare "name.gguf" is a file in the models folder */
	char *full;
	if (cli_model_path(c, gp.model, &full) != CLI_OK) {
		dbuf_free(&prompt);
		return CLI_FAIL;
	}
	gp.model = full;
	rc = generator_open(&g, &gp);
	free(full);
	if (rc) {
		dbuf_free(&prompt);
		return cli_fail(rc, NULL);
	}
	cli_interrupt_catch();
	if (chat) {
		chat_message m[2] = { { "system", system_msg }, { "user", prompt.data } };
		const chat_message *msgs = system_msg ? m : m + 1;
		size_t nmsg = system_msg ? 2 : 1;
		char *shown = NULL;
		if (show && (rc = generator_render(g, msgs, nmsg, &shown)) == 0)
			fprintf(stderr, "%s\n", shown);
		free(shown);
		if (rc == 0)
			rc = generator_chat(g, msgs, nmsg, &go, on_piece, NULL, &res);
	} else {
		rc = generator_complete(g, prompt.data, &go, on_piece, NULL, &res);
	}
	cli_interrupt_release();
	putchar('\n');
	if (rc == 0 && stats)
		fprintf(stderr, "%s: %d prompt tokens (%d cached), %d generated, first token "
			"%.0f ms, %.1f tokens/s\n", generator_model_id(g), res.prompt_tokens,
			res.cached_tokens, res.completion_tokens, res.first_token_ms,
			res.total_ms > res.first_token_ms ?
			(res.completion_tokens - 1) * 1000.0 / (res.total_ms - res.first_token_ms) : 0);
	generator_free(g);
	dbuf_free(&prompt);
	if (rc == 0 && (res.stopped_by == GEN_STOP_CANCELLED || *cli_interrupt_flag())) {
		fprintf(stderr, "docent: stopped\n");
		return 130;
	}
	return rc ? cli_fail(rc, "generation failed") : CLI_OK;
}
