/*
 * catalogue.h - the models docent knows by name (config/models.conf,
 * built into the binary; DOCENT_MODELS_CATALOGUE names another file of the
 * same form), and the one place where a model name becomes a file.
 *
 * Wherever a model is named (engine.embed_model, engine.chat_model,
 * engine.rerank_model, DOCENT_EMBED_MODEL, --model, a collection's
 * recorded model), catalogue_resolve() turns the name into what the
 * engine opens:
 *   a catalogue name ("bge-small-en-v1.5"), or an unambiguous short form
 *   of one ("bge-small": a prefix that ends where a '-' starts in exactly
 *   one name), case-insensitive      -> MODELS_DIR/<its file>, once pulled
 *   name.gguf                        -> MODELS_DIR/name.gguf
 *   a path or a server URL           -> itself
 * A catalogue model that is not pulled yet is DOCENT_ENOTFOUND with a
 * message that says `docent models pull NAME`.
 *
 * Thread-safe (the catalogue is parsed on each call: it is small).
 */
#ifndef DOCENT_ENGINE_CATALOGUE_H
#define DOCENT_ENGINE_CATALOGUE_H

typedef struct catalogue_entry {
	char name[128];     /* the section name, e.g. "qwen2.5-0.5b-instruct" */
	char url[2048];     /* where the GGUF file is */
	char sha256[80];    /* of the file, lower-case hex; "" when not known */
	char kind[32];      /* "embedding", "chat" or "reranking" */
	char about[512];    /* one line for people */
	char file[512];     /* the URL's last segment: the file's name in the models folder */
} catalogue_entry;

/* Calls fn for each entry in file order; a non-zero return from fn stops
 * and is returned. DOCENT_ECONFIG when the catalogue cannot be read. */
int catalogue_foreach(int (*fn)(void *ctx, const catalogue_entry *e), void *ctx);

/*
 * The entry called `name` (exact, or an unambiguous short form, see above).
 * DOCENT_ENOTFOUND when none is (the message says how to list them),
 * DOCENT_EINVAL when a short form names several (the message lists them).
 */
int catalogue_find(const char *name, catalogue_entry *out);

/* Non-zero when spec has the form of a catalogue name: no '/', no ':', not
 * ending in ".gguf" (whether the catalogue has it is another matter). */
int catalogue_is_name(const char *spec);

/*
 * The model spec to open for `spec` (see the top of this file); models_dir
 * may be NULL (then a name.gguf stays as it is). *out is malloc'd, the
 * caller frees it. Errors: DOCENT_ENOTFOUND (a catalogue model not yet
 * pulled, or no such name: the message says what to run), DOCENT_EINVAL
 * (an ambiguous short form), DOCENT_ENOMEM.
 */
int catalogue_resolve(const char *spec, const char *models_dir, char **out);

#endif
