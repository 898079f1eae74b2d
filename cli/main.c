/*
 * main.c - the docent command: global options, the command table, help.
 *
 * Global options may stand anywhere on the line: --data-dir DIR (or
 * DOCENT_HOME) and --config FILE. They are taken out of argv before the
 * command parses its own options.
 */
#include "cli/cli.h"
#include "core/error.h"

#include <errno.h>
#include <signal.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const cli_command COMMANDS[] = {
	{ "init", "create the data directory and database", cmd_init, help_init, 0 },
	{ "ingest", "add files and folders to a collection", cmd_ingest, help_ingest, 0 },
	{ "search", "search the documents in natural language", cmd_search, help_search, 0 },
	{ "ask", "answer a question from the documents, with cited sources", cmd_ask, help_ask, 0 },
	{ "chat", "a conversation with the documents; stored conversations", cmd_chat, help_chat, 0 },
	{ "reindex", "embed chunks and rebuild vector indexes (after a model change)",
	  cmd_reindex, help_reindex, 0 },
	{ "docs", "list documents", cmd_docs, help_docs, 0 },
	{ "rm", "remove documents", cmd_rm, help_rm, 0 },
	{ "collections", "list, create and remove collections", cmd_collections, help_collections, 0 },
	{ "stats", "counts and sizes", cmd_stats, help_stats, 0 },
	{ "config", "show the effective configuration and where each value came from",
	  cmd_config, help_config, 0 },
	{ "summarize", "summarize a document, or what the documents say about a topic",
	  cmd_summarize, help_summarize, 0 },
	{ "serve", "the web page and the JSON API over HTTP", cmd_serve, help_serve, 0 },
	{ "generate", "stream text from the language model (checks a model setup)",
	  cmd_generate, help_generate, 0 },
	{ "models", "the configured models and the GGUF files in the models folder",
	  cmd_models, help_models, 1 },
};
#define NCOMMANDS (sizeof COMMANDS / sizeof COMMANDS[0])

static void usage(FILE *out)
{
	fprintf(out,
		"docent %s - search your own documents, privately.\n\n"
		"Usage: docent [--data-dir DIR] [--config FILE] COMMAND [OPTIONS] [ARGS]\n\n"
		"Commands:\n", DOCENT_VERSION);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %-12s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
	fprintf(out,
		"  %-12s %s\n  %-12s %s\n\n"
		"Global options:\n"
		"  --data-dir DIR   where the database lives (default: $DOCENT_HOME,\n"
		"                   else $XDG_DATA_HOME/docent, else ~/.local/share/docent)\n"
		"  --config FILE    configuration file (default: $DOCENT_CONFIG, else\n"
		"                   $XDG_CONFIG_HOME/docent/docent.conf)\n"
		"  -h, --help       this help; `docent COMMAND --help` for a command's\n"
		"  --version        print the version\n\n"
		"Exit status: 0 success, 1 failure, 2 usage error.\n",
		"help", "help on a command", "version", "print the version");
}

static volatile int interrupted;
static void (*before_catch)(int) = SIG_DFL;

static void on_interrupt(int sig)
{
	(void)sig;
	interrupted = 1;
	signal(SIGINT, SIG_DFL); /* a second Ctrl-C ends at once */
}

void cli_interrupt_catch(void)
{
	void (*prev)(int);

	interrupted = 0;
	prev = signal(SIGINT, on_interrupt);
	before_catch = prev == SIG_ERR || prev == on_interrupt ? SIG_DFL : prev;
}

void cli_interrupt_release(void)
{
	signal(SIGINT, before_catch);
}

volatile int *cli_interrupt_flag(void)
{
	return &interrupted;
}

int cli_is_help(const char *arg)
{
	return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

int cli_fail(int rc, const char *what)
{
	const char *m = docent_error_message();
	if (what && what[0])
		fprintf(stderr, "docent: %s: %s\n", what, m[0] ? m : docent_strerror(rc));
	else
		fprintf(stderr, "docent: %s\n", m[0] ? m : docent_strerror(rc));
	return CLI_FAIL;
}

int cli_usage(cli *c, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "docent %s: ", c->command);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'docent %s --help'.\n", c->command);
	return CLI_USAGE;
}

void cli_put_path(FILE *out, const char *p)
{
	for (; *p; p++) {
		unsigned char ch = (unsigned char)*p;
		if (ch == '\n')
			fputs("\\n", out);
		else if (ch == '\t')
			fputs("\\t", out);
		else if (ch < 0x20 || ch == 0x7F)
			fprintf(out, "\\x%02x", ch);
		else
			fputc(ch, out);
	}
}

int cli_print_json(json_t *v)
{
	if (!v) {
		fprintf(stderr, "docent: out of memory building JSON\n");
		return CLI_FAIL;
	}
	json_dumpf(v, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
	json_decref(v);
	return CLI_OK;
}

const char *cli_size(double bytes, char *buf, size_t n)
{
	static const char *units[] = { "B", "kB", "MB", "GB", "TB" };
	int u = 0;
	while (bytes >= 1000 && u < 4) {
		bytes /= 1000;
		u++;
	}
	snprintf(buf, n, u ? "%.1f %s" : "%.0f %s", bytes, units[u]);
	return buf;
}

/* Creates a directory and its parents (like mkdir -p). */
static int make_dirs(const char *path)
{
	char buf[4096];
	size_t n = strlen(path);

	if (n >= sizeof buf)
		return docent_error_set(DOCENT_EINVAL, "path too long: %s", path);
	memcpy(buf, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] == '/' || buf[i] == '\0') {
			char save = buf[i];
			buf[i] = '\0';
			if (mkdir(buf, 0700) != 0 && errno != EEXIST)
				return docent_error_set(docent_error_from_errno(errno),
							"cannot create the data directory %s: %s",
							buf, strerror(errno));
			buf[i] = save;
		}
	}
	return 0;
}

store *cli_store(cli *c, int create)
{
	store_params sp;
	char *path;
	int rc;

	if (c->st)
		return c->st;
	path = config_db_path(c->cfg);
	if (!path) {
		cli_fail(DOCENT_ENOMEM, NULL);
		return NULL;
	}
	if (!create) {
		struct stat st;
		if (stat(path, &st) != 0) {
			fprintf(stderr, "docent: no database at %s yet: run `docent ingest PATH` "
				"to add documents (or `docent init`)\n", path);
			free(path);
			return NULL;
		}
	} else if ((rc = make_dirs(config_data_dir(c->cfg))) != 0) {
		cli_fail(rc, NULL);
		free(path);
		return NULL;
	}
	config_store_params(c->cfg, &sp);
	sp.create = create;
	rc = store_open(&c->st, path, &sp);
	if (rc) {
		cli_fail(rc, NULL);
		c->st = NULL;
	}
	free(path);
	return c->st;
}

store *cli_store_collection(cli *c, const char *collection)
{
	store *st = cli_store(c, 0);
	int64_t id;
	int rc;

	if (st && collection && (rc = store_collection_id(st, collection, 0, &id)) != 0) {
		cli_fail(rc, NULL);
		return NULL;
	}
	return st;
}

/* Takes --data-dir and --config out of argv; returns CLI_OK or CLI_USAGE. */
static int take_globals(int *argc, char **argv, const char **data_dir, const char **conf)
{
	int out = 1;
	for (int i = 1; i < *argc; i++) {
		const char **slot = NULL;
		const char *a = argv[i], *val = NULL;
		if (strcmp(a, "--") == 0) {
			while (i < *argc)
				argv[out++] = argv[i++];
			break;
		}
		if (strncmp(a, "--data-dir", 10) == 0 && (a[10] == '\0' || a[10] == '='))
			slot = data_dir;
		else if (strncmp(a, "--config", 8) == 0 && (a[8] == '\0' || a[8] == '='))
			slot = conf;
		if (!slot) {
			argv[out++] = argv[i];
			continue;
		}
		val = strchr(a, '=');
		if (val) {
			val++;
		} else if (i + 1 < *argc) {
			val = argv[++i];
		} else {
			fprintf(stderr, "docent: %s needs a value\n", a);
			return CLI_USAGE;
		}
		*slot = val;
	}
	*argc = out;
	argv[out] = NULL;
	return CLI_OK;
}

int main(int argc, char **argv)
{
	cli c = { .prog = "docent" };
	const char *data_dir = NULL, *conf = NULL;
	const cli_command *cmd = NULL;
	int rc;

	if (take_globals(&argc, argv, &data_dir, &conf) != CLI_OK)
		return CLI_USAGE;
	if (argc < 2) {
		usage(stderr);
		return CLI_USAGE;
	}
	if (cli_is_help(argv[1])) {
		usage(stdout);
		return CLI_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("docent %s\n", DOCENT_VERSION);
		return CLI_OK;
	}
	if (strcmp(argv[1], "help") == 0) {
		if (argc < 3) {
			usage(stdout);
			return CLI_OK;
		}
		for (size_t i = 0; i < NCOMMANDS; i++)
			if (strcmp(COMMANDS[i].name, argv[2]) == 0) {
				COMMANDS[i].help(stdout);
				return CLI_OK;
			}
		fprintf(stderr, "docent: no command '%s'; try 'docent --help'\n", argv[2]);
		return CLI_USAGE;
	}
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(COMMANDS[i].name, argv[1]) == 0)
			cmd = &COMMANDS[i];
	if (!cmd) {
		fprintf(stderr, "docent: no command '%s'; try 'docent --help'\n", argv[1]);
		return CLI_USAGE;
	}
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (cli_is_help(argv[i]) && !cmd->own_help) {
			cmd->help(stdout);
			return CLI_OK;
		}
	}
	c.command = cmd->name;
	rc = config_load(&c.cfg, conf);
	if (rc)
		return cli_fail(rc, NULL);
	if (data_dir && (rc = config_set(c.cfg, "core.data_dir", data_dir, CONFIG_FLAG,
					 "--data-dir")) != 0) {
		config_free(c.cfg);
		return cli_fail(rc, NULL);
	}
	rc = cmd->run(&c, argc - 1, argv + 1);
	store_close(c.st);
	config_free(c.cfg);
	return rc;
}
