/*
 * model_spec.h - the one string that names a model, in the configuration,
 * in DOCENT_EMBED_MODEL / DOCENT_CHAT_MODEL, and on the command line:
 *
 *   /path/to/model.gguf                   a GGUF file, run in-process
 *   name.gguf                             a file in the models directory
 *   http://HOST:PORT/v1#MODEL             an OpenAI-compatible server
 *   https://api.example.com/v1#MODEL      (the same, over TLS)
 *   ollama://HOST:PORT#MODEL              an Ollama server (http)
 *   ollama:MODEL                          Ollama at 127.0.0.1:11434
 *
 * Thread-safe; no allocation outlives the call except through model_spec.
 */
#ifndef DOCENT_ENGINE_MODEL_SPEC_H
#define DOCENT_ENGINE_MODEL_SPEC_H

#include <stddef.h>

typedef enum model_backend {
	MODEL_GGUF = 1,
	MODEL_OPENAI = 2,
	MODEL_OLLAMA = 3,
} model_backend;

typedef struct model_spec {
	model_backend backend;
	char path[4096];   /* MODEL_GGUF: the file */
	char url[2048];    /* HTTP: base URL without trailing slash, e.g. http://127.0.0.1:8080/v1 */
	char model[512];   /* HTTP: the model name sent to the server */
} model_spec;

/*
 * Parses `spec`; a bare name ending in .gguf is looked up in models_dir
 * (may be NULL). Returns 0 or DOCENT_EINVAL with a message that shows the
 * accepted forms.
 */
int model_spec_parse(const char *spec, const char *models_dir, model_spec *out);

/*
 * The model id an embedder or generator opened from spec reports (and a
 * collection records): a GGUF file's base name ("bge-small-en-v1.5-q8_0.gguf"),
 * "openai:MODEL" or "ollama:MODEL". Written into out[cap], cut to fit.
 */
void model_spec_id(const model_spec *spec, char *out, size_t cap);

#endif
