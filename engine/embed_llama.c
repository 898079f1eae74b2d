/*
 * embed_llama.c - the embedder backend that runs a GGUF embedding model
 * (BERT, nomic-bert and the other encoders llama.cpp knows) in-process.
 *
 * The context is the model's training context, and one decode call takes
 * up to n_ubatch = n_ctx tokens, packed from many texts, each its own
 * sequence (positions from 0); llama.cpp pools each sequence into one
 * vector (mean, CLS or last token, as the model's metadata says), which is
 * L2-normalised here. A model that does not pool (a chat model) is refused
 * at open. llama.cpp aborts the process on an input longer than the
 * context, so every text is cut to n_ctx tokens first, with a warning.
 * The sequences of a batch share one unified KV buffer, so that each may
 * use the whole context; n_seq_max divides n_ubatch, as llama.cpp needs.
 */
#include "engine/engine_int.h"
#include "core/error.h"

#include <ggml-cpu.h>
#include <llama.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SEQS 64

typedef struct embed_llama {
	struct llama_model *model;
	struct llama_context *ctx;
	const struct llama_vocab *vocab;
	char path[4096];
	char *query_prefix;     /* owned; "" when none */
	char *document_prefix;
	int dim;
	int n_ctx;
	int n_seqs;             /* texts per decode call at most */
	int encode;             /* encoder-only model: llama_encode */
	struct llama_batch batch;
	struct ggml_threadpool *pool; /* the context's threads */
	int32_t *toks;          /* scratch for tokenizing */
	size_t toks_cap;
	char *text;             /* scratch: prefix + text */
	size_t text_cap;
	void (*on_warning)(void *ctx, const char *message);
	void *warn_ctx;
} embed_llama;

static void el_free(void *self)
{
	embed_llama *h = self;

	if (!h)
		return;
	if (h->batch.token)
		llama_batch_free(h->batch);
	if (h->ctx)
		llama_free(h->ctx);
	if (h->pool)
		ggml_threadpool_free(h->pool);
	if (h->model)
		llama_model_free(h->model);
	free(h->query_prefix);
	free(h->document_prefix);
	free(h->toks);
	free(h->text);
	free(h);
}

/* Tokenizes prefix + text into h->toks, cut to the context. */
static int tokenize_input(embed_llama *h, const char *prefix, const char *text, int *ntok)
{
	size_t lp = strlen(prefix), lt = strlen(text);
	int rc;

	if (h->text_cap < lp + lt + 1) {
		char *t = realloc(h->text, lp + lt + 1);
		if (!t)
			return docent_error_set(DOCENT_ENOMEM, "out of memory embedding a text "
						"of %zu bytes", lt);
		h->text = t;
		h->text_cap = lp + lt + 1;
	}
	memcpy(h->text, prefix, lp);
	memcpy(h->text + lp, text, lt + 1);
	if ((rc = llama_common_tokenize(h->vocab, h->text, lp + lt, true, false, &h->toks,
					&h->toks_cap, ntok)))
		return rc;
	if (*ntok > h->n_ctx) {
		if (h->on_warning) {
			char msg[4096 + 160];
			snprintf(msg, sizeof msg, "embedding model %s: a text of %d tokens was cut "
				 "to the model's %d (\"%.40s...\")", h->path, *ntok, h->n_ctx,
				 text);
			h->on_warning(h->warn_ctx, msg);
		}
		/* Keep the closing special token ([SEP] or EOS) the model expects. */
		if (llama_vocab_get_add_sep(h->vocab) || llama_vocab_get_add_eos(h->vocab))
			h->toks[h->n_ctx - 1] = h->toks[*ntok - 1];
		*ntok = h->n_ctx;
	}
	return 0;
}

/* Runs the batch and writes the normalised vector of each of its nseq
 * sequences into out[seq * dim]; a sequence of no tokens gets zeros. */
static int run_batch(embed_llama *h, int nseq, const int *seq_len, float *out)
{
	llama_memory_t mem = llama_get_memory(h->ctx);
	int32_t rc;

	/* Earlier batches' cells would otherwise still be attended to. */
	if (mem)
		llama_memory_clear(mem, true);
	rc = h->encode ? llama_encode(h->ctx, h->batch) : llama_decode(h->ctx, h->batch);
	if (rc != 0)
		return docent_error_set(DOCENT_EIO, "embedding model %s: llama.cpp failed to "
					"process a batch of %d tokens (code %d)", h->path,
					h->batch.n_tokens, (int)rc);
	for (int s = 0; s < nseq; s++) {
		float *dst = out + (size_t)s * (size_t)h->dim;
		const float *v = seq_len[s] > 0 ? llama_get_embeddings_seq(h->ctx, s) : NULL;
		double sum = 0;

		if (seq_len[s] == 0) {
			memset(dst, 0, (size_t)h->dim * sizeof *dst);
			continue;
		}
		if (!v)
			return docent_error_set(DOCENT_EIO, "embedding model %s: llama.cpp gave "
						"no pooled vector", h->path);
		for (int j = 0; j < h->dim; j++)
			sum += (double)v[j] * v[j];
		float inv = sum > 0 ? (float)(1.0 / sqrt(sum)) : 0.0f;
		for (int j = 0; j < h->dim; j++)
			dst[j] = v[j] * inv;
	}
	return 0;
}

static int el_embed(void *self, const char *const *texts, size_t n, embed_kind kind, float *out)
{
	embed_llama *h = self;
	const char *prefix = kind == EMBED_QUERY ? h->query_prefix : h->document_prefix;
	int seq_len[MAX_SEQS];
	size_t first = 0;  /* the text that is sequence 0 of the batch */
	int nseq = 0, rc;

	h->batch.n_tokens = 0;
	for (size_t i = 0; i < n; i++) {
		int ntok;

		if ((rc = tokenize_input(h, prefix, texts[i] ? texts[i] : "", &ntok)))
			return rc;
		if (nseq == h->n_seqs || h->batch.n_tokens + ntok > h->n_ctx) {
			if ((rc = run_batch(h, nseq, seq_len, out + first * (size_t)h->dim)))
				return rc;
			first = i;
			nseq = 0;
			h->batch.n_tokens = 0;
		}
		for (int t = 0; t < ntok; t++) {
			int k = h->batch.n_tokens++;
			h->batch.token[k] = h->toks[t];
			h->batch.pos[k] = t;
			h->batch.n_seq_id[k] = 1;
			h->batch.seq_id[k][0] = nseq;
			h->batch.logits[k] = 1;
		}
		seq_len[nseq++] = ntok;
	}
	if (nseq > 0)
		return run_batch(h, nseq, seq_len, out + first * (size_t)h->dim);
	return 0;
}

static int el_count_tokens(void *self, const char *text, size_t n, size_t *out)
{
	embed_llama *h = self;
	int32_t k;

	/* Called by the chunker on several threads at once: no shared buffer.
	 * With no room for tokens llama_tokenize returns minus their count. */
	if (n > (size_t)INT32_MAX - 16)
		return docent_error_set(DOCENT_ETOOBIG, "a text of %zu bytes is too long to "
					"tokenize", n);
	k = llama_tokenize(h->vocab, text, (int32_t)n, NULL, 0, false, false);
	if (k == INT32_MIN)
		return docent_error_set(DOCENT_EINVAL, "the model's tokenizer failed");
	*out = (size_t)(k < 0 ? -(int64_t)k : k);
	return 0;
}

static const embedder_ops el_ops = {
	.embed = el_embed,
	.count_tokens = el_count_tokens,
	.free = el_free,
};

static char *dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

int embed_llama_open(embedder **out, const model_spec *spec, const embedder_params *p)
{
	embed_llama *h = NULL;
	embedder *e = NULL;
	int rc;

	*out = NULL;
	if (!(h = calloc(1, sizeof *h)) || !(e = calloc(1, sizeof *e)))
		goto nomem;
	snprintf(h->path, sizeof h->path, "%s", spec->path);
	h->on_warning = p->on_warning;
	h->warn_ctx = p->ctx;
	if (!(h->query_prefix = dup_or_empty(p->query_prefix)) ||
	    !(h->document_prefix = dup_or_empty(p->document_prefix)))
		goto nomem;
	if ((rc = llama_common_load(spec->path, "embedding model", &h->model)))
		goto fail;
	h->vocab = llama_model_get_vocab(h->model);
	h->dim = llama_model_n_embd_out(h->model);
	h->n_ctx = llama_model_n_ctx_train(h->model);
	if (h->n_ctx <= 0 || h->n_ctx > 65536)
		h->n_ctx = h->n_ctx <= 0 ? 512 : 65536;
	h->encode = llama_model_has_encoder(h->model) && !llama_model_has_decoder(h->model);

	/* The largest power of two that fits both limits divides n_ubatch when
	 * n_ctx is a multiple of it, which the loop below makes sure of. */
	size_t want = p->batch_size ? p->batch_size : MAX_SEQS;
	size_t lim = llama_max_parallel_sequences();
	int nseq = 1;
	while ((size_t)nseq * 2 <= want && (size_t)nseq * 2 <= lim && nseq * 2 <= MAX_SEQS &&
	       h->n_ctx % (nseq * 2) == 0)
		nseq *= 2;
	h->n_seqs = nseq;

	struct llama_context_params cp = llama_context_default_params();
	cp.n_ctx = (uint32_t)h->n_ctx;
	cp.n_batch = (uint32_t)h->n_ctx;
	cp.n_ubatch = (uint32_t)h->n_ctx;
	cp.n_seq_max = (uint32_t)nseq;
	cp.kv_unified = true;
	cp.embeddings = true;
	cp.pooling_type = LLAMA_POOLING_TYPE_UNSPECIFIED;
	cp.n_threads = cp.n_threads_batch = llama_common_threads(p->threads);
	if (!(h->ctx = llama_init_from_model(h->model, cp))) {
		rc = docent_error_set(DOCENT_ENOMEM, "embedding model %s: llama.cpp could not make "
				      "a context of %d tokens (out of memory?)", spec->path,
				      h->n_ctx);
		goto fail;
	}
	/* One pool of threads for the context's life (see gen_llama.c). */
	struct ggml_threadpool_params tpp = ggml_threadpool_params_default((int)cp.n_threads);
	if (!(h->pool = ggml_threadpool_new(&tpp)))
		goto nomem;
	llama_attach_threadpool(h->ctx, h->pool, h->pool);
	enum llama_pooling_type pool = llama_pooling_type(h->ctx);
	if (pool == LLAMA_POOLING_TYPE_NONE || pool == LLAMA_POOLING_TYPE_RANK || h->dim <= 0) {
		rc = docent_error_set(DOCENT_EFORMAT, "embedding model %s: not an embedding model "
				      "(its metadata sets no pooling into one vector per text); "
				      "choose a sentence-embedding GGUF such as "
				      "bge-small-en-v1.5 or nomic-embed-text", spec->path);
		goto fail;
	}
	h->batch = llama_batch_init(h->n_ctx, 0, 1);
	if (!h->batch.token)
		goto nomem;

	e->ops = &el_ops;
	e->self = h;
	e->dim = h->dim;
	e->max_tokens = (size_t)h->n_ctx;
	model_spec_id(spec, e->model_id, sizeof e->model_id);
	*out = e;
	return 0;

nomem:
	rc = docent_error_set(DOCENT_ENOMEM, "out of memory opening embedding model %s",
			      spec->path);
fail:
	el_free(h);
	free(e);
	return rc;
}
