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
#include "core/jsontext.h"
#include "engine/embedder.h"
#include "engine/generator.h"
#include "engine/reranker.h"
#include "index/store.h"
#include "rag/answer.h"
#include "rag/retrieve.h"

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

/* The model spec to open for `spec` (config_model_path: a catalogue name
 * becomes its pulled file, a bare "name.gguf" a file of the models
 * folder). CLI_OK with *out (caller frees), or CLI_FAIL with the error
 * printed (a model not pulled yet says `docent models pull NAME`). */
int cli_model_path(cli *c, const char *spec, char **out);

/* Makes value the default model of `key` (engine.chat_model...): written
 * to the user's configuration file and set in c->cfg; says so on stdout.
 * CLI_OK or CLI_FAIL (printed). */
int cli_model_default_set(cli *c, const char *key, const char *value);

/* Opens the embedding model `spec` (any form cli_model_path takes). NULL
 * with *status CLI_OK when spec is NULL or empty; NULL with *status
 * CLI_FAIL (the error printed) when it cannot be opened. */
embedder *cli_embedder_open(cli *c, const char *spec, int *status);

/* cli_embedder_open() of the configured engine.embed_model. */
embedder *cli_embedder(cli *c, int *status);

/*
 * The embedding model a search of `collection` (NULL: all) uses: the
 * collection's own, or the configured one when they agree
 * (retrieve_embedder_for). NULL with *status CLI_OK: keyword search (none
 * is known, or it cannot be opened in auto mode, which is said on
 * stderr); NULL with *status set: the error is printed.
 */
embedder *cli_search_embedder(cli *c, store *st, const char *collection, retrieve_mode mode,
			      int *status);

/* Opens the configured reranking model (engine.rerank_model); NULL and
 * *status as for cli_generator. */
reranker *cli_reranker(cli *c, int *status);

/* Opens the configured language model (engine.chat_model, or --model set
 * into it). NULL with *status CLI_OK when none is configured; NULL with
 * *status CLI_FAIL (the error printed) when it cannot be opened. */
generator *cli_generator(cli *c, int *status);

/*
 * The terminal (cli/term.c). Colour and OSC 8 links only on a terminal,
 * never with NO_COLOR set or TERM=dumb; the width from the terminal, else
 * $COLUMNS, else 80 (at most 100, for reading).
 */
typedef struct cli_term {
	int tty;     /* stdout is a terminal */
	int color;   /* bold and dim allowed */
	int links;   /* OSC 8 hyperlinks allowed */
	int width;   /* columns to wrap at; 0: no wrapping (not a terminal) */
} cli_term;

void cli_term_detect(cli_term *t);

/* Word wrapping of streamed text at t->width, lines indented by `indent`.
 * The text is a document's or a model's: control characters (C0 but
 * newline and tab, DEL, C1) are dropped, so no escape sequence in it
 * reaches the terminal (a title, a colour, OSC 52 writing the clipboard). */
typedef struct cli_wrap {
	FILE *out;
	int width, indent, col;
	char word[256];
	size_t nword;
	int word_cols;
	int held_c2;    /* a 0xC2 byte that may start a C1 control */
} cli_wrap;

void cli_wrap_init(cli_wrap *w, FILE *out, int width, int indent);

/* Writes n bytes of a model's or a document's text as they are, without
 * control characters, as cli_wrap does. *held_c2 (0 at first) carries a
 * byte that may start a C1 control from one call to the next; a final
 * call with n = 0 is not needed (a lone 0xC2 is not UTF-8 text anyway). */
void cli_put_text(FILE *out, const char *s, size_t n, int *held_c2);
void cli_wrap_put(cli_wrap *w, const char *s, size_t n);
void cli_wrap_end(cli_wrap *w);

/* Writes `label` as a link to the file at path (file://, #page=N for a
 * PDF page when page > 0) when links are allowed, else just the label. */
void cli_put_link(FILE *out, const cli_term *t, const char *path, int page, const char *label);

/*
 * Answers (cli/answer_print.c), shown alike by ask and chat (their JSON is
 * rag/answer_json.h's answer_json). cli_print_sources: the
 * cited passages (all given ones when none is cited; the nearest ones for
 * no_evidence), one cli_print_source each. cli_print_answer_notes: to
 * stderr, a rebuilt vector index, keyword-only retrieval and removed
 * citations.
 */
void cli_print_source(const cli_term *t, const pack_item *it);
void cli_print_sources(const cli_term *t, const answer_result *r);
void cli_print_answer_notes(const answer_result *r);

/* Sets config `key` from a command-line flag; prints the error and
 * returns -1 when the value is invalid. */
int cli_set_flag(cli *c, const char *key, const char *value, const char *flag);

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
int cmd_use(cli *c, int argc, char **argv);
int cmd_reindex(cli *c, int argc, char **argv);
int cmd_ask(cli *c, int argc, char **argv);
int cmd_chat(cli *c, int argc, char **argv);
int cmd_summarize(cli *c, int argc, char **argv);
int cmd_mcp(cli *c, int argc, char **argv);
int cmd_serve(cli *c, int argc, char **argv);
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
void help_use(FILE *out);
void help_reindex(FILE *out);
void help_ask(FILE *out);
void help_chat(FILE *out);
void help_summarize(FILE *out);
void help_mcp(FILE *out);
void help_serve(FILE *out);

/*
 * Ctrl-C for long work: after cli_interrupt_catch() the first Ctrl-C sets
 * the flag that cli_interrupt_flag() points to (the work stops cleanly and
 * keeps what is done); a second one ends the process at once.
 * cli_interrupt_release() restores what was there before the catch (the
 * default, or SIG_IGN at chat's prompt).
 */
void cli_interrupt_catch(void);
void cli_interrupt_release(void);
volatile int *cli_interrupt_flag(void);

/* Human-readable sizes: "12.3 MB". Returns buf. */
const char *cli_size(double bytes, char *buf, size_t n);

#endif
