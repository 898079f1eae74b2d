/*
 * llama_common.c - what the in-process llama.cpp backends share: starting
 * llama.cpp once per process with its logging silenced (a library must not
 * write to the terminal), loading a GGUF file with errors a user can act on,
 * the thread count, the model id and a tokenizer call that grows its buffer.
 *
 * llama.cpp's loader says only "failed to load" and logs the reason, which
 * we silence; so the file is checked here first (exists, readable, starts
 * with the GGUF magic) and the message says which of these went wrong.
 */
#include "engine/engine_int.h"
#include "core/error.h"

#include <gguf.h>
#include <llama.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_once_t started = PTHREAD_ONCE_INIT;

static void quiet_log(enum ggml_log_level level, const char *text, void *user_data)
{
}

static bool quiet_progress(float progress, void *user_data)
{
	return true;
}

static void start_llama(void)
{
	llama_log_set(quiet_log, NULL);
	llama_backend_init();
}

void llama_common_start(void)
{
	pthread_once(&started, start_llama);
}

/* general.architecture of a GGUF file into arch[cap] ("" when unreadable),
 * read from the header alone. */
static void file_arch(const char *path, char *arch, size_t cap)
{
	struct gguf_init_params ip = { .no_alloc = true, .ctx = NULL };
	struct gguf_context *g = gguf_init_from_file(path, ip);
	int64_t k;

	arch[0] = '\0';
	if (!g)
		return;
	k = gguf_find_key(g, "general.architecture");
	if (k >= 0 && gguf_get_kv_type(g, k) == GGUF_TYPE_STRING)
		snprintf(arch, cap, "%s", gguf_get_val_str(g, k));
	gguf_free(g);
}

/* Encoders people convert to GGUF that llama.cpp has no graph for: they
 * need a server that runs them. */
static const char *const FOREIGN_ENCODERS[] = {
	"albert", "mobilebert", "distilbert", "mpnet", "electra", "deberta", "deberta-v2",
};

int llama_common_load(const char *path, const char *what, struct llama_model **out)
{
	char arch[64];
	unsigned char magic[4];
	FILE *f;
	size_t got;

	*out = NULL;
	pthread_once(&started, start_llama);
	if (!(f = fopen(path, "rb"))) {
		int e = errno;
		if (e == ENOENT)
			return docent_error_set(DOCENT_ENOTFOUND, "%s %s: no such file; check the "
						"path, or put the .gguf file in the models directory",
						what, path);
		return docent_error_set(docent_error_from_errno(e), "%s %s: cannot open: %s",
					what, path, strerror(e));
	}
	got = fread(magic, 1, sizeof magic, f);
	fclose(f);
	if (got != sizeof magic || memcmp(magic, "GGUF", 4) != 0)
		return docent_error_set(DOCENT_EFORMAT, "%s %s: not a GGUF file; convert the "
					"model with llama.cpp's convert_hf_to_gguf.py or download "
					"its .gguf version", what, path);

	file_arch(path, arch, sizeof arch);
	for (size_t i = 0; i < sizeof FOREIGN_ENCODERS / sizeof FOREIGN_ENCODERS[0]; i++)
		if (strcmp(arch, FOREIGN_ENCODERS[i]) == 0)
			return docent_error_set(DOCENT_EUNSUPPORTED, "%s %s: llama.cpp cannot run "
						"%s models in-process; serve it with an HTTP embedding "
						"server (text-embeddings-inference, or Ollama) and set "
						"engine.embed_model = http://127.0.0.1:PORT/v1#MODEL (or "
						"ollama:MODEL)", what, path, arch);

	struct llama_model_params mp = llama_model_default_params();
	mp.progress_callback = quiet_progress;
	mp.progress_callback_user_data = NULL;
	*out = llama_model_load_from_file(path, mp);
	if (!*out)
		return docent_error_set(DOCENT_EFORMAT, "%s %s: llama.cpp could not load it (a "
					"damaged file, or an architecture this build does not "
					"know%s%s); try the file with llama.cpp's llama-cli", what,
					path, arch[0] ? ": " : "", arch);
	return 0;
}

int llama_common_threads(int requested)
{
	long n;

	if (requested > 0)
		return requested;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int)(n < 512 ? n : 512) : 1;
}

void llama_common_model_id(const char *path, char *out, size_t cap)
{
	const char *slash = strrchr(path, '/');

	snprintf(out, cap, "%s", slash ? slash + 1 : path);
}

int llama_common_tokenize(const struct llama_vocab *vocab, const char *text, size_t n,
			  bool add_special, bool parse_special, int32_t **toks, size_t *cap,
			  int *ntok)
{
	int32_t k;

	*ntok = 0;
	if (n > (size_t)INT32_MAX - 16)
		return docent_error_set(DOCENT_ETOOBIG, "a text of %zu bytes is too long to "
					"tokenize", n);
	/* A token is at least one byte, plus the special tokens around the text. */
	if (*cap < n + 8) {
		int32_t *t = realloc(*toks, (n + 8) * sizeof *t);
		if (!t)
			return docent_error_set(DOCENT_ENOMEM, "out of memory tokenizing %zu bytes", n);
		*toks = t;
		*cap = n + 8;
	}
	k = llama_tokenize(vocab, text, (int32_t)n, *toks, (int32_t)*cap, add_special,
			   parse_special);
	if (k < 0 && k != INT32_MIN) {
		size_t need = (size_t)-(int64_t)k;
		int32_t *t = realloc(*toks, need * sizeof *t);
		if (!t)
			return docent_error_set(DOCENT_ENOMEM, "out of memory tokenizing %zu bytes", n);
		*toks = t;
		*cap = need;
		k = llama_tokenize(vocab, text, (int32_t)n, *toks, (int32_t)*cap, add_special,
				   parse_special);
	}
	if (k < 0)
		return docent_error_set(DOCENT_ETOOBIG, "a text of %zu bytes has too many tokens", n);
	*ntok = k;
	return 0;
}
