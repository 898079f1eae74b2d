/*
 * config.h - docent's configuration: an INI file, overridden by environment
 * variables, overridden by command-line flags.
 *
 * Every setting has a key "section.name", a type, a default and a one-line
 * description, all in one table (config.c) which config/docent.conf
 * documents. The file is $DOCENT_CONFIG, else $XDG_CONFIG_HOME/docent/
 * docent.conf, else ~/.config/docent/docent.conf; a missing file is fine.
 * Each key can be set from the environment as DOCENT_SECTION_NAME (for
 * example DOCENT_CHUNK_TARGET_TOKENS=300); DOCENT_HOME sets core.data_dir.
 * Each value remembers where it came from, for `docent config`.
 *
 * The loader only fills the modules' parameter structs (config_ingest_params
 * and friends); modules never read the configuration themselves. Values are
 * checked when set: a bad value is DOCENT_ECONFIG with a message naming the
 * file and line, or the variable, and what was expected.
 *
 * Ownership: a config owns every string it hands out; parameter structs
 * filled from it borrow them until config_free(). Not thread-safe.
 */
#ifndef DOCENT_CONFIG_CONFIG_H
#define DOCENT_CONFIG_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "engine/embedder.h"
#include "engine/generator.h"
#include "engine/reranker.h"
#include "index/store.h"
#include "index/vectors.h"
#include "ingest/ingest.h"
#include "rag/answer.h"
#include "rag/pack.h"
#include "rag/retrieve.h"

typedef struct config config;

typedef enum config_origin {
	CONFIG_DEFAULT = 0,
	CONFIG_FILE,
	CONFIG_ENV,
	CONFIG_FLAG,
} config_origin;

/*
 * Loads defaults, then the file (`path`, or the default location when
 * NULL), then the environment. An explicitly named file that does not exist
 * is an error; the default one may be absent.
 */
int config_load(config **out, const char *path);
void config_free(config *c);

/* Sets "section.name" from a flag or the like; `where` names the source
 * (e.g. "--collection"), borrowed for the call. Checks the value. */
int config_set(config *c, const char *key, const char *value, config_origin origin,
	       const char *where);

/* The value of a key ("" for an unset string); NULL for an unknown key. */
const char *config_get(const config *c, const char *key);

/* The file that was read, or NULL when none was. */
const char *config_file(const config *c);

/* Calls fn for every key in table order. `where` is the file:line, the
 * variable or the flag that set it ("" for defaults). */
typedef void (*config_fn)(void *ctx, const char *key, const char *value,
			  config_origin origin, const char *where, const char *description);
void config_foreach(const config *c, config_fn fn, void *ctx);

const char *config_origin_name(config_origin o);

/* The data directory: core.data_dir, else $XDG_DATA_HOME/docent, else
 * ~/.local/share/docent. Borrowed from the config. */
const char *config_data_dir(const config *c);

/* The folder of GGUF model files: engine.models_dir, else DATA_DIR/models.
 * Caller frees. */
char *config_models_dir(const config *c);

/* A model spec made ready to open: a catalogue name becomes its pulled
 * file, name.gguf a file of the models folder (engine/catalogue.h,
 * catalogue_resolve). *out: caller frees. Errors as catalogue_resolve's
 * (a model not pulled yet says `docent models pull NAME`). */
int config_model_path(const config *c, const char *spec, char **out);

/* The key of the default model of a catalogue kind ("embedding", "chat",
 * "reranking"): engine.embed_model, engine.chat_model, engine.rerank_model;
 * NULL for another kind. */
const char *config_model_key(const char *kind);

/* The user's configuration file: the one that was read, else where it
 * would be ($DOCENT_CONFIG, $XDG_CONFIG_HOME/docent/docent.conf,
 * ~/.config/docent/docent.conf). Caller frees; NULL when there is no home. */
char *config_user_file(const config *c);

/*
 * Sets key (e.g. "engine.chat_model") to value in the INI file at path,
 * editing just that line (or adding it to its section, or the section to
 * the file) and keeping the rest, comments included; creates the file and
 * its folder when missing; replaces the file atomically. Does not change
 * any loaded config. DOCENT_EINVAL for an unknown key or a value with a
 * line break; I/O errors name the file.
 */
int config_file_set(const char *path, const char *key, const char *value);

/* The database file inside the data directory. Caller frees. */
char *config_db_path(const config *c);

/* Fill the modules' parameters (defaults first, then configured values). */
void config_ingest_params(const config *c, ingest_params *out);
void config_search_params(const config *c, store_search_params *out);
void config_store_params(const config *c, store_params *out);
/* Retrieval: search.* (mode, fusion) over config_search_params. An
 * unknown search.mode reads as auto; the CLI checks it. */
void config_retrieve_params(const config *c, retrieve_params *out);
/* The evidence packer's budget (answer.context_tokens). */
void config_pack_params(const config *c, pack_params *out);
/* The embedding model and its prefixes (engine.*). */
void config_embedder_params(const config *c, embedder_params *out);
/* The reranking model (engine.rerank_model; "" when none is set). */
void config_reranker_params(const config *c, reranker_params *out);
/* How FAISS indexes are built (vectors.*). */
void config_vindex_params(const config *c, vindex_params *out);
/* The language model and its sampling settings (engine.*). */
void config_generator_params(const config *c, generator_params *p, gen_options *o);

/* Answers (answer.*), over the retrieval and generation settings. */
void config_answer_params(const config *c, answer_params *out);

/* The folder of prompt templates that replace the built-in ones
 * (answer.prompts_dir). Caller frees; NULL when out of memory. */
char *config_prompts_dir(const config *c);

/* The prompt template `name` ("ask_system"...): the file NAME.txt in the
 * prompts folder when there is one, else the built-in one. Caller frees. */
int config_prompt(const config *c, const char *name, char **out);

/*
 * The embedding model a search of `collection` (NULL: all) embeds its
 * query with: retrieve_embedder_for() with engine.embed_model and the
 * models folder, so that every face (the command, the web API) chooses
 * alike. *spec is NULL for keyword search, else a spec ready for
 * config_embedder_open(); caller frees. Errors as retrieve_embedder_for.
 */
int config_search_model(const config *c, store *st, const char *collection, char **spec);

/*
 * Opens the embedding model `spec` (any form config_model_path takes) with
 * the engine.* settings; on_warning (may be NULL) hears of inputs cut to
 * fit, with ctx. *out: caller frees with embedder_free(). Errors as
 * config_model_path and embedder_open, the latter prefixed "cannot open the
 * embedding model".
 */
int config_embedder_open(const config *c, const char *spec,
			 void (*on_warning)(void *ctx, const char *message), void *ctx,
			 embedder **out);

/* Parses sizes like "100MB", "512k", "2 GiB", "1000" (bytes). */
int config_parse_size(const char *s, uint64_t *out);

#endif
