/*
 * cli.h - what the command implementations share: the parsed global
 * options, the loaded configuration, opening the store, and output helpers.
 *
 * The CLI is a face: it parses arguments, calls the libraries and prints.
 * Exit status: 0 success, 1 failure, 2 usage error (CLI_OK, CLI_FAIL,
 * CLI_USAGE). Errors go to stderr as "docent: message".
 */
#ifndef DOCENT_CLI_CLI_H
#define DOCENT_CLI_CLI_H

#include <jansson.h>
#include <stdio.h>

#include "config/config.h"
#include "engine/embedder.h"
#include "index/store.h"

#define DOCENT_VERSION "0.1.0"

enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

typedef struct cli {
	const char *prog;      /* "docent" */
	const char *command;   /* the command's name */
	config *cfg;
	store *st;             /* opened on demand by cli_store() */
} cli;

typedef struct cli_command {
	const char *name;
	const char *summary;
	int (*run)(cli *c, int argc, char **argv);  /* argv[0] is the command */
	void (*help)(FILE *out);
	int own_help;   /* has sub-commands and answers --help itself */
} cli_command;

/* Opens (creating when `create`) the store in the configured data dir.
 * Prints the error and returns NULL on failure. */
store *cli_store(cli *c, int create);

/* Opens the existing store and, when `collection` is not NULL, checks that
 * the collection exists. Prints the error and returns NULL on failure. */
store *cli_store_collection(cli *c, const char *collection);

/* A model spec with a bare "name.gguf" made a path in the models folder;
 * other specs copied. Caller frees; NULL when out of memory. */
char *cli_model_path(cli *c, const char *spec);

/* Opens the configured embedding model (engine.embed_model). NULL with
 * *status CLI_OK when none is configured; NULL with *status CLI_FAIL (the
 * error printed) when it cannot be opened. */
embedder *cli_embedder(cli *c, int *status);

/* Prints "docent: <what>: <last error message>" to stderr; returns CLI_FAIL. */
int cli_fail(int rc, const char *what);

/* Prints a usage error and the command's help hint; returns CLI_USAGE. */
int cli_usage(cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Writes a path for a person to read: control characters escaped (\n, \t,
 * \xHH) so that one entry stays on one line. */
void cli_put_path(FILE *out, const char *path);

/* Prints a JSON value to stdout followed by a newline and frees it. */
int cli_print_json(json_t *v);

/* Option "--name VALUE" or "--name=VALUE" helpers for hand-written loops. */
int cli_is_help(const char *arg);

/* The commands. */
int cmd_init(cli *c, int argc, char **argv);
int cmd_ingest(cli *c, int argc, char **argv);
int cmd_search(cli *c, int argc, char **argv);
int cmd_docs(cli *c, int argc, char **argv);
int cmd_rm(cli *c, int argc, char **argv);
int cmd_collections(cli *c, int argc, char **argv);
int cmd_stats(cli *c, int argc, char **argv);
int cmd_config(cli *c, int argc, char **argv);
int cmd_generate(cli *c, int argc, char **argv);
int cmd_models(cli *c, int argc, char **argv);
int cmd_pull(cli *c, int argc, char **argv);
int cmd_reindex(cli *c, int argc, char **argv);
int cmd_summarize(cli *c, int argc, char **argv);
void help_init(FILE *out);
void help_ingest(FILE *out);
void help_search(FILE *out);
void help_docs(FILE *out);
void help_rm(FILE *out);
void help_collections(FILE *out);
void help_stats(FILE *out);
void help_config(FILE *out);
void help_generate(FILE *out);
void help_models(FILE *out);
void help_pull(FILE *out);
void help_reindex(FILE *out);
void help_summarize(FILE *out);

/*
 * Ctrl-C for long work: after cli_interrupt_catch() the first Ctrl-C sets
 * the flag that cli_interrupt_flag() points to (the work stops cleanly and
 * keeps what is done); a second one ends the process at once.
 * cli_interrupt_release() restores the default.
 */
void cli_interrupt_catch(void);
void cli_interrupt_release(void);
volatile int *cli_interrupt_flag(void);

/* Human-readable sizes: "12.3 MB". Returns buf. */
const char *cli_size(double bytes, char *buf, size_t n);

#endif
