/*
 * gen_llama.c - the generator backend that runs a GGUF chat model
 * in-process with llama.cpp.
 *
 * A chat is turned into a prompt by the model's own template (from its
 * metadata; ChatML when it has none), tokenized, and decoded after what the
 * previous call left in the KV cache: the tokens the two prompts share are
 * kept (cached_tokens), the rest removed and decoded anew. Then tokens are
 * sampled one at a time by a chain built from gen_options (repetition
 * penalty, top-k, top-p, min-p, temperature and a seeded draw; greedy at
 * temperature 0) until an end-of-generation token, a stop string, the
 * budget (max_tokens, cut to what the context leaves) or the caller's
 * callback asks to stop. Text is held back while it might be the start of
 * a stop string or ends inside a UTF-8 character, so the caller never sees
 * a stop string or half a character.
 *
 * Across processes (generator_params.prefix_cache_dir): each call's prompt
 * tokens are written to KEY.last; a call whose prompt starts with the same
 * tokens as the last one (the instructions, the template's preamble)
 * decodes that shared prefix first and saves the model's state after it
 * to KEY.kv; a fresh process loads KEY.kv and decodes only the rest. KEY
 * names the model file (path, size, mtime) and the context size. `docent
 * ask` is one process per question, so this is what lets it skip reading
 * its instructions every time.
 */
#include "engine/engine_int.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/text.h"

#include <ggml-cpu.h>
#include <llama.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONTEXT 8192
#define PENALTY_LAST_N 64
/* a shared prefix shorter than this is not worth a file */
#define PREFIX_MIN_TOKENS 16
/* prompt tokens remembered in KEY.last */
#define PREFIX_MAX_TOKENS 4096

typedef struct gen_llama {
	struct llama_model *model;
	struct llama_context *ctx;
	const struct llama_vocab *vocab;
	char path[4096];
	const char *tmpl;       /* the model's chat template, borrowed from model */
	int n_ctx;
	int n_batch;
	int32_t *cache;         /* the tokens held in the KV cache, in order */
	int ncache;
	int32_t *toks;          /* scratch for the prompt */
	size_t toks_cap;
	struct llama_batch batch;
	struct ggml_threadpool *pool; /* the context's threads */
	char prefix_base[4200]; /* "DIR/KEY" of the prefix cache files, or "" */
} gen_llama;

/* The state of one generation call. */
typedef struct run {
	gen_llama *g;
	const gen_options *o;
	gen_piece_fn fn;
	void *ctx;
	gen_result *res;
	dbuf pending;           /* generated text not yet handed to fn */
	double t0;
	int emitted;
	int stopped;            /* fn asked to stop */
} run;

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void gl_free(void *self)
{
	gen_llama *g = self;

	if (!g)
		return;
	if (g->batch.token)
		llama_batch_free(g->batch);
	if (g->ctx)
		llama_free(g->ctx);
	if (g->pool)
		ggml_threadpool_free(g->pool);
	if (g->model)
		llama_model_free(g->model);
	free(g->cache);
	free(g->toks);
	free(g);
}

/* Hands pending[0..k) to the caller and drops it from pending. */
static void deliver(run *r, size_t k)
{
	if (k == 0 || r->stopped)
		return;
	if (r->emitted++ == 0)
		r->res->first_token_ms = now_ms() - r->t0;
	if (r->fn(r->ctx, r->pending.data, k))
		r->stopped = 1;
	memmove(r->pending.data, r->pending.data + k, r->pending.len - k);
	dbuf_truncate(&r->pending, r->pending.len - k);
}

/* Where the first stop string starts in pending, or -1. */
static long find_stop(const run *r)
{
	long best = -1;

	for (size_t i = 0; i < r->o->nstop; i++) {
		const char *s = r->o->stop[i];
		if (!s || !*s)
			continue;
		const char *hit = memmem(r->pending.data, r->pending.len, s, strlen(s));
		if (hit && (best < 0 || hit - r->pending.data < best))
			best = hit - r->pending.data;
	}
	return best;
}

/* The length of the longest tail of pending that is a proper prefix of a
 * stop string: text that must wait for the next piece. */
static size_t stop_tail(const run *r)
{
	size_t keep = 0;

	for (size_t i = 0; i < r->o->nstop; i++) {
		const char *s = r->o->stop[i];
		size_t ls = s ? strlen(s) : 0;
		for (size_t k = ls > 1 ? ls - 1 : 0; k > keep; k--)
			if (k <= r->pending.len &&
			    memcmp(r->pending.data + r->pending.len - k, s, k) == 0) {
				keep = k;
				break;
			}
	}
	return keep;
}

/* A model can emit byte tokens that form no character: pending's whole
 * characters are made valid UTF-8 (U+FFFD for such bytes) before anything
 * is matched or handed out, so the caller never sees invalid UTF-8 and a
 * stop string is matched against the text the caller would see. */
static int pending_make_valid(run *r)
{
	size_t whole = text_utf8_whole(r->pending.data, r->pending.len);
	dbuf clean = DBUF_INIT;

	if (text_utf8_valid(r->pending.data, whole))
		return 0;
	if (text_normalize(r->pending.data, whole, &clean) ||
	    dbuf_append(&clean, r->pending.data + whole, r->pending.len - whole)) {
		dbuf_free(&clean);
		return -1;
	}
	dbuf_free(&r->pending);
	r->pending = clean;
	return 0;
}

/* Adds a piece of generated text; returns 1 when a stop string was found. */
static int take_piece(run *r, const char *piece, size_t n)
{
	if (dbuf_append(&r->pending, piece, n) || pending_make_valid(r))
		return -1;
	long at = find_stop(r);
	if (at >= 0) {
		deliver(r, (size_t)at);
		return 1;
	}
	size_t safe = text_utf8_whole(r->pending.data, r->pending.len - stop_tail(r));
	deliver(r, safe);
	return 0;
}

/* Decodes toks[0..n) at positions from pos; only the last token's logits
 * are kept. The tokens are appended to the cache record. */
static int decode_tokens(gen_llama *g, const int32_t *toks, int n, int pos)
{
	for (int done = 0; done < n;) {
		int m = n - done < g->n_batch ? n - done : g->n_batch;
		g->batch.n_tokens = m;
		for (int i = 0; i < m; i++) {
			g->batch.token[i] = toks[done + i];
			g->batch.pos[i] = pos + done + i;
			g->batch.n_seq_id[i] = 1;
			g->batch.seq_id[i][0] = 0;
			g->batch.logits[i] = done + i == n - 1;
		}
		int32_t rc = llama_decode(g->ctx, g->batch);
		if (rc != 0) {
			/* What is in the cache is no longer known: start afresh next time. */
			llama_memory_clear(llama_get_memory(g->ctx), true);
			g->ncache = 0;
			return docent_error_set(DOCENT_EIO, "chat model %s: llama.cpp failed to "
						"decode %d tokens (code %d)", g->path, m, (int)rc);
		}
		memcpy(g->cache + g->ncache, toks + done, (size_t)m * sizeof *toks);
		g->ncache += m;
		done += m;
	}
	return 0;
}

static struct llama_sampler *make_sampler(gen_llama *g, const gen_options *o)
{
	struct llama_sampler_chain_params cp = llama_sampler_chain_default_params();
	struct llama_sampler *s;

	cp.no_perf = true;
	if (!(s = llama_sampler_chain_init(cp)))
		return NULL;
	/* The penalty looks each candidate up in a hash table: with a 150k
	 * vocabulary that is most of the sampling time. A penalty above 1 only
	 * lowers the logits of at most PENALTY_LAST_N tokens, so the k best
	 * after it are among the k + PENALTY_LAST_N best before it: keeping
	 * those first gives the same result at a fraction of the cost. */
	int keep = o->temperature <= 0 ? 1 : o->top_k;
	if (o->repeat_penalty > 1.0 && keep > 0)
		llama_sampler_chain_add(s, llama_sampler_init_top_k(keep + PENALTY_LAST_N));
	if (o->repeat_penalty > 0 && o->repeat_penalty != 1.0)
		llama_sampler_chain_add(s, llama_sampler_init_penalties(
			llama_vocab_n_tokens(g->vocab), PENALTY_LAST_N,
			(float)o->repeat_penalty, 0.0f, 0.0f));
	if (o->temperature <= 0) {
		llama_sampler_chain_add(s, llama_sampler_init_greedy());
		return s;
	}
	if (o->top_k > 0)
		llama_sampler_chain_add(s, llama_sampler_init_top_k(o->top_k));
	if (o->top_p > 0 && o->top_p < 1)
		llama_sampler_chain_add(s, llama_sampler_init_top_p((float)o->top_p, 1));
	if (o->min_p > 0)
		llama_sampler_chain_add(s, llama_sampler_init_min_p((float)o->min_p, 1));
	llama_sampler_chain_add(s, llama_sampler_init_temp((float)o->temperature));
	llama_sampler_chain_add(s, llama_sampler_init_dist(o->seed ? o->seed : LLAMA_DEFAULT_SEED));
	return s;
}

/* ---- the prompt prefix kept across processes ---- */

/* Reads KEY.last into toks (at most cap); returns the count, 0 when none. */
static int prefix_last_read(const gen_llama *g, int32_t *toks, int cap)
{
	char path[4300];
	FILE *f;
	int n;

	snprintf(path, sizeof path, "%s.last", g->prefix_base);
	if (!(f = fopen(path, "rb")))
		return 0;
	n = (int)fread(toks, sizeof *toks, (size_t)cap, f);
	fclose(f);
	return n;
}

/* Writes a file through a temporary name and a rename, so that a reader
 * never sees half of it; failures are ignored (a cache). */
static void prefix_last_write(const gen_llama *g, const int32_t *toks, int n)
{
	char path[4300], tmp[4400];
	FILE *f;

	snprintf(path, sizeof path, "%s.last", g->prefix_base);
	snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
	if (!(f = fopen(tmp, "wb")))
		return;
	if (n > PREFIX_MAX_TOKENS)
		n = PREFIX_MAX_TOKENS;
	if (fwrite(toks, sizeof *toks, (size_t)n, f) != (size_t)n || fclose(f) != 0 ||
	    rename(tmp, path) != 0)
		unlink(tmp);
}

/* In a fresh context, loads the saved prefix state when it starts the
 * prompt, so that the caller's prefix match keeps it. */
static void prefix_load(gen_llama *g)
{
	char path[4300];
	size_t n = 0;

	snprintf(path, sizeof path, "%s.kv", g->prefix_base);
	if (access(path, R_OK) != 0)
		return;
	if (llama_state_seq_load_file(g->ctx, path, 0, g->cache, (size_t)g->n_ctx, &n) == 0) {
		llama_memory_clear(llama_get_memory(g->ctx), true);
		return;
	}
	g->ncache = (int)n;
}

static void prefix_save(gen_llama *g, int ntok)
{
	char path[4300], tmp[4400];

	snprintf(path, sizeof path, "%s.kv", g->prefix_base);
	snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
	if (llama_state_seq_save_file(g->ctx, tmp, 0, g->cache, (size_t)ntok) == 0 ||
	    rename(tmp, path) != 0)
		unlink(tmp);
}

/* "DIR/KEY" for the model file and context; "" when the folder cannot be
 * made. */
static void prefix_setup(gen_llama *g, const char *dir)
{
	struct stat st;
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	char key[4400];

	g->prefix_base[0] = '\0';
	if (!dir || !dir[0] || stat(g->path, &st) != 0)
		return;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return;
	snprintf(key, sizeof key, "%s|%lld|%lld|%d", g->path, (long long)st.st_size,
		 (long long)st.st_mtime, g->n_ctx);
	for (const char *p = key; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	snprintf(g->prefix_base, sizeof g->prefix_base, "%s/prefix-%016llx", dir,
		 (unsigned long long)h);
}

/* llama.cpp asks this between the steps of a decode: true stops it. */
static bool on_abort(void *data)
{
	const volatile int *cancel = data;
	return cancel && *cancel;
}

static int cancelled(const gen_options *o)
{
	return o->cancel && *o->cancel;
}

/* Generates after the prompt text; the heart of chat and complete. */
static int generate(gen_llama *g, const char *prompt, size_t plen, int parse_special,
		    const gen_options *o, gen_piece_fn fn, void *ctx, gen_result *res)
{
	run r = {.g = g, .o = o, .fn = fn, .ctx = ctx, .res = res, .t0 = now_ms()};
	struct llama_sampler *smpl = NULL;
	int ntok, rc, common = 0;

	memset(res, 0, sizeof *res);
	if ((rc = llama_common_tokenize(g->vocab, prompt, plen, true, parse_special != 0,
					&g->toks, &g->toks_cap, &ntok)))
		return rc;
	if (ntok == 0)
		return docent_error_set(DOCENT_EINVAL, "chat model %s: the prompt is empty", g->path);
	if (ntok >= g->n_ctx)
		return docent_error_set(DOCENT_ETOOBIG, "chat model %s: the prompt has %d tokens, "
					"more than the context of %d leaves room for; shorten it "
					"(fewer or smaller passages) or raise the context size",
					g->path, ntok, g->n_ctx);
	res->prompt_tokens = ntok;
	llama_set_abort_callback(g->ctx, on_abort, (void *)o->cancel);

	/* A fresh context starts from the prefix another call saved. */
	if (g->prefix_base[0] && g->ncache == 0)
		prefix_load(g);
	/* Keep the shared prefix in the cache; at least one token is decoded
	 * so that there are logits to sample from. */
	while (common < g->ncache && common < ntok - 1 && g->cache[common] == g->toks[common])
		common++;
	llama_memory_t mem = llama_get_memory(g->ctx);
	if (!llama_memory_seq_rm(mem, 0, common, -1)) {
		llama_memory_clear(mem, true);
		common = 0;
	}
	g->ncache = common;
	res->cached_tokens = common;
	if (g->prefix_base[0]) {
		/* The part this prompt shares with the last one (of any process)
		 * is what repeats: decode it first and keep the state after it. */
		int32_t *last = malloc(PREFIX_MAX_TOKENS * sizeof *last);
		int nlast = last ? prefix_last_read(g, last, PREFIX_MAX_TOKENS) : 0, shared = 0;
		while (shared < nlast && shared < ntok - 1 && last[shared] == g->toks[shared])
			shared++;
		free(last);
		if (shared >= PREFIX_MIN_TOKENS && shared > common) {
			if ((rc = decode_tokens(g, g->toks + common, shared - common, common)))
				goto decode_failed;
			prefix_save(g, shared);
			common = shared;
		}
		prefix_last_write(g, g->toks, ntok);
	}
	if ((rc = decode_tokens(g, g->toks + common, ntok - common, common)))
		goto decode_failed;

	int budget = g->n_ctx - ntok;
	if (o->max_tokens > 0 && o->max_tokens < budget)
		budget = o->max_tokens;
	if (!(smpl = make_sampler(g, o)))
		return docent_error_set(DOCENT_ENOMEM, "out of memory making a sampler");

	res->stopped_by = GEN_STOP_LENGTH;
	for (int i = 0; i < budget; i++) {
		int32_t tok = llama_sampler_sample(smpl, g->ctx, -1);
		char buf[256];

		if (llama_vocab_is_eog(g->vocab, tok)) {
			res->stopped_by = GEN_STOP_END;
			break;
		}
		res->completion_tokens++;
		int32_t k = llama_token_to_piece(g->vocab, tok, buf, (int32_t)sizeof buf, 0, false);
		if (k < 0)
			k = 0; /* a piece over 256 bytes: no real vocabulary has one */
		int t = take_piece(&r, buf, (size_t)k);
		if (t < 0) {
			rc = docent_error_set(DOCENT_ENOMEM, "out of memory while generating");
			goto done;
		}
		if (t > 0) {
			res->stopped_by = GEN_STOP_STRING;
			break;
		}
		if (r.stopped || cancelled(o)) {
			res->stopped_by = GEN_STOP_CANCELLED;
			break;
		}
		if (i + 1 < budget && (rc = decode_tokens(g, &tok, 1, g->ncache)))
			goto done;
	}
	/* The end: what was held back for a stop string goes out, but not
	 * the bytes of a character that never arrived whole. */
	if (res->stopped_by != GEN_STOP_STRING && res->stopped_by != GEN_STOP_CANCELLED)
		deliver(&r, text_utf8_whole(r.pending.data ? r.pending.data : "", r.pending.len));
done:
	llama_sampler_free(smpl);
	dbuf_free(&r.pending);
	res->total_ms = now_ms() - r.t0;
	return rc;

decode_failed:
	/* stopped while reading the prompt: not a failure */
	if (cancelled(o)) {
		docent_error_clear();
		res->stopped_by = GEN_STOP_CANCELLED;
		res->total_ms = now_ms() - r.t0;
		return 0;
	}
	return rc;
}

/* The conversation laid out by the model's chat template into *out
 * (malloc'd) and *len. */
static int render(gen_llama *g, const chat_message *msgs, size_t n, char **out, int32_t *len)
{
	struct llama_chat_message *lm = calloc(n ? n : 1, sizeof *lm);
	size_t total = 64;
	char *buf = NULL;
	int rc = 0;

	*out = NULL;
	if (!lm)
		return docent_error_set(DOCENT_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		lm[i].role = msgs[i].role ? msgs[i].role : "user";
		lm[i].content = msgs[i].content ? msgs[i].content : "";
		total += strlen(lm[i].role) + strlen(lm[i].content) + 32;
	}
	total *= 2;
	if (total > INT32_MAX / 2) {
		free(lm);
		return docent_error_set(DOCENT_ETOOBIG, "chat model %s: the conversation is too "
					"long", g->path);
	}
	for (;;) {
		char *nb = realloc(buf, total);
		if (!nb) {
			rc = docent_error_set(DOCENT_ENOMEM, "out of memory");
			goto done;
		}
		buf = nb;
		*len = llama_chat_apply_template(g->tmpl, lm, n, true, buf, (int32_t)total);
		if (*len < 0) {
			rc = docent_error_set(DOCENT_EFORMAT, "chat model %s: llama.cpp does not know "
					      "its chat template; use a model with a common template "
					      "(ChatML, Llama 3, Gemma, Phi-3, Mistral...)", g->path);
			goto done;
		}
		if ((size_t)*len < total)
			break;
		total = (size_t)*len + 1;
	}
done:
	free(lm);
	if (rc)
		free(buf);
	else
		*out = buf;
	return rc;
}

static int gl_render(void *self, const chat_message *msgs, size_t n, char **out)
{
	int32_t len;
	return render(self, msgs, n, out, &len);
}

static int gl_chat(void *self, const chat_message *msgs, size_t n, const gen_options *o,
		   gen_piece_fn fn, void *ctx, gen_result *res)
{
	gen_llama *g = self;
	char *buf;
	int32_t len;
	int rc = render(g, msgs, n, &buf, &len);

	if (rc)
		return rc;
	rc = generate(g, buf, (size_t)len, 1, o, fn, ctx, res);
	free(buf);
	return rc;
}

static int gl_complete(void *self, const char *prompt, const gen_options *o,
		       gen_piece_fn fn, void *ctx, gen_result *res)
{
	return generate(self, prompt, strlen(prompt), 0, o, fn, ctx, res);
}

/* llama_tokenize reports the count, negated, when given no room. */
static size_t gl_count_tokens(void *self, const char *text, size_t n)
{
	gen_llama *g = self;
	if (n == 0 || n > INT32_MAX)
		return 0;
	int32_t k = llama_tokenize(g->vocab, text, (int32_t)n, NULL, 0, false, false);
	return k < 0 ? (size_t)-k : (size_t)k;
}

static const generator_ops gl_ops = {
	.chat = gl_chat,
	.complete = gl_complete,
	.free = gl_free,
	.render = gl_render,
	.count_tokens = gl_count_tokens,
};

/* Architectures of encoders: they make vectors, not text. */
static const char *const ENCODERS[] = {
	"bert", "modern-bert", "nomic-bert", "nomic-bert-moe", "neo-bert", "jina-bert-v2",
	"jina-bert-v3", "eurobert", "t5encoder",
};

/*
 * Whether the model makes vectors rather than text: an encoder
 * architecture, or metadata that declares a pooling type (decoder-based
 * embedding models and rerankers). Then a message that says what to use.
 */
static int refuse_embedding(const struct llama_model *m, const char *path)
{
	char arch[64] = "", key[96], val[32];
	int encoder = !llama_model_has_decoder(m), pooling = 0;

	llama_model_meta_val_str(m, "general.architecture", arch, sizeof arch);
	for (size_t i = 0; i < sizeof ENCODERS / sizeof ENCODERS[0]; i++)
		if (strcmp(arch, ENCODERS[i]) == 0)
			encoder = 1;
	snprintf(key, sizeof key, "%s.pooling_type", arch);
	if (llama_model_meta_val_str(m, key, val, sizeof val) >= 0)
		pooling = atoi(val);
	if (!encoder && pooling == 0)
		return 0;
	return docent_error_set(DOCENT_EFORMAT, "chat model %s: this is %s model (architecture "
				"%s), which cannot write text; use a chat model, e.g. `docent "
				"models pull qwen2.5-0.5b-instruct` (then `docent models use "
				"qwen2.5-0.5b-instruct`)", path,
				pooling == LLAMA_POOLING_TYPE_RANK ? "a reranking" : "an embedding",
				arch[0] ? arch : "unknown");
}

int gen_llama_open(generator **out, const model_spec *spec, const generator_params *p)
{
	gen_llama *g = NULL;
	generator *h = NULL;
	int rc;

	*out = NULL;
	if (!(g = calloc(1, sizeof *g)) || !(h = calloc(1, sizeof *h)))
		goto nomem;
	snprintf(g->path, sizeof g->path, "%s", spec->path);
	if ((rc = llama_common_load(spec->path, "chat model", &g->model)))
		goto fail;
	g->vocab = llama_model_get_vocab(g->model);
	if ((rc = refuse_embedding(g->model, spec->path)) != 0)
		goto fail;
	g->tmpl = llama_model_chat_template(g->model, NULL);
	if (!g->tmpl)
		g->tmpl = "chatml";

	int n_ctx = p->context > 0 ? p->context : llama_model_n_ctx_train(g->model);
	if (n_ctx <= 0)
		n_ctx = 2048;
	if (p->context <= 0 && n_ctx > MAX_CONTEXT)
		n_ctx = MAX_CONTEXT;
	g->n_ctx = n_ctx;
	g->n_batch = n_ctx < 512 ? n_ctx : 512;

	struct llama_context_params cp = llama_context_default_params();
	cp.n_ctx = (uint32_t)n_ctx;
	cp.n_batch = (uint32_t)g->n_batch;
	cp.n_ubatch = (uint32_t)g->n_batch;
	cp.n_seq_max = 1;
	cp.n_threads = cp.n_threads_batch = llama_common_threads(p->threads);
	cp.no_perf = true;
	if (!(g->ctx = llama_init_from_model(g->model, cp))) {
		rc = docent_error_set(DOCENT_ENOMEM, "chat model %s: llama.cpp could not make a "
				      "context of %d tokens (out of memory? try a smaller "
				      "context)", spec->path, n_ctx);
		goto fail;
	}
	/* One pool of threads for the context's life, as llama.cpp's own tools
	 * have: without it ggml starts and joins its threads for every decode
	 * call, that is for every generated token. */
	struct ggml_threadpool_params tpp = ggml_threadpool_params_default((int)cp.n_threads);
	if (!(g->pool = ggml_threadpool_new(&tpp)))
		goto nomem;
	llama_attach_threadpool(g->ctx, g->pool, g->pool);
	g->n_ctx = (int)llama_n_ctx(g->ctx);
	if (!(g->cache = malloc((size_t)g->n_ctx * sizeof *g->cache)))
		goto nomem;
	prefix_setup(g, p->prefix_cache_dir);
	g->batch = llama_batch_init(g->n_batch, 0, 1);
	if (!g->batch.token)
		goto nomem;

	h->ops = &gl_ops;
	h->self = g;
	llama_common_model_id(spec->path, h->model_id, sizeof h->model_id);
	*out = h;
	return 0;

nomem:
	rc = docent_error_set(DOCENT_ENOMEM, "out of memory opening chat model %s", spec->path);
fail:
	gl_free(g);
	free(h);
	return rc;
}
