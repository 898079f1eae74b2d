/*
 * rerank_llama.c - the reranker backend that runs a GGUF cross-encoder
 * (bge-reranker, jina-reranker, Qwen3-Reranker ...) in-process with
 * llama.cpp's rank pooling: the model reads a (query, passage) pair as one
 * sequence and its classification head gives one number, the first value
 * of llama_get_embeddings_seq().
 *
 * Which models are rerankers: those whose metadata sets rank pooling, and
 * the BERT-family classifiers that carry a classification head (cls.weight
 * or cls.output.weight) without saying so, since llama.cpp's converter
 * writes no pooling type for XLM-RoBERTa sequence classifiers such as
 * bge-reranker-v2-m3 (llama-server forces rank pooling with --reranking).
 * Anything else is refused at open with what it is instead.
 *
 * The pair is laid out exactly as llama-server does, so that both backends
 * give the same scores: the model's "rerank" chat template with {query}
 * and {document} filled in when the GGUF has one, else
 * [BOS] query [EOS] [SEP] passage [EOS], each special token present when
 * the vocabulary asks for it (BERT: [CLS] query [SEP] passage).
 *
 * Batches are packed as in embed_llama.c: many pairs per decode call, each
 * its own sequence, up to n_ctx tokens. llama.cpp aborts the process on a
 * sequence longer than the context, so pairs are cut to fit first: the
 * query to half the context at most, the passage to what remains, each cut
 * reported through the warning callback.
 */
#include "engine/rerank_int.h"
#include "engine/engine_int.h"
#include "core/error.h"

#include <ggml-cpu.h>
#include <gguf.h>
#include <llama.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SEQS 64
#define DEFAULT_CONTEXT 1024
/* The score of a pair with no tokens at all (an empty query and passage
 * with a vocabulary that adds no special tokens): below any model's. */
#define EMPTY_SCORE -1e9

typedef struct rerank_llama {
	struct llama_model *model;
	struct llama_context *ctx;
	const struct llama_vocab *vocab;
	char path[4096];
	const char *tmpl;       /* the model's "rerank" template, or NULL (borrowed from model) */
	int n_ctx;
	int n_seqs;             /* pairs per decode call at most */
	int encode;             /* encoder-only model: llama_encode */
	struct llama_batch batch;
	struct ggml_threadpool *pool;
	int32_t *pair;          /* the tokens of one pair, n_ctx of them at most */
	int32_t *toks;          /* scratch for tokenizing */
	size_t toks_cap;
	char *text;             /* scratch: the filled-in template */
	size_t text_cap;
	void (*on_warning)(void *ctx, const char *message);
	void *warn_ctx;
} rerank_llama;

static void rl_free(void *self)
{
	rerank_llama *h = self;

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
	free(h->pair);
	free(h->toks);
	free(h->text);
	free(h);
}

/* Tells the caller about a cut input: the message, then the start of the text. */
__attribute__((format(printf, 3, 4)))
static void warn_cut(rerank_llama *h, const char *text, const char *fmt, ...)
{
	char msg[4096 + 300];
	va_list ap;
	int k;

	if (!h->on_warning)
		return;
	k = snprintf(msg, sizeof msg, "reranking model %s: ", h->path);
	va_start(ap, fmt);
	k += vsnprintf(msg + k, sizeof msg - (size_t)k, fmt, ap);
	va_end(ap);
	if (k > 0 && (size_t)k < sizeof msg)
		snprintf(msg + k, sizeof msg - (size_t)k, " (\"%.40s...\")", text);
	h->on_warning(h->warn_ctx, msg);
}

/* ---- the pair without a template ---------------------------------------- */

/* Tokenizes the query without special tokens into *out (caller frees). */
static int tokenize_plain(rerank_llama *h, const char *text, int32_t **out, int *n)
{
	int rc = llama_common_tokenize(h->vocab, text, strlen(text), false, false, &h->toks,
				       &h->toks_cap, n);
	if (rc)
		return rc;
	if (!(*out = malloc(((size_t)*n + 1) * sizeof **out)))
		return docent_error_set(DOCENT_ENOMEM, "out of memory tokenizing the query");
	memcpy(*out, h->toks, (size_t)*n * sizeof **out);
	return 0;
}

/* Writes [BOS] q [EOS] [SEP] d [EOS] into h->pair, q and d cut to fit. */
static int build_plain(rerank_llama *h, const int32_t *q, int nq, const char *passage,
		       size_t index, int *ntok)
{
	const struct llama_vocab *v = h->vocab;
	int add_bos = llama_vocab_get_add_bos(v), add_eos = llama_vocab_get_add_eos(v);
	int add_sep = llama_vocab_get_add_sep(v);
	llama_token eos = llama_vocab_eos(v);
	int nd, rc, k = 0;

	if (eos == LLAMA_TOKEN_NULL)
		eos = llama_vocab_sep(v);
	if ((rc = llama_common_tokenize(v, passage, strlen(passage), false, false, &h->toks,
					&h->toks_cap, &nd)))
		return rc;
	int room = h->n_ctx - add_bos - 2 * add_eos - add_sep;
	/* The query was cut to half the context when it was tokenized. */
	if (nq + nd > room) {
		int keep = room - nq > 0 ? room - nq : 0;
		warn_cut(h, passage, "passage %zu was cut from %d to %d tokens to fit the "
			 "context of %d with the query", index + 1, nd, keep, h->n_ctx);
		nd = keep;
	}
	if (add_bos)
		h->pair[k++] = llama_vocab_bos(v);
	memcpy(h->pair + k, q, (size_t)nq * sizeof *q);
	k += nq;
	if (add_eos)
		h->pair[k++] = eos;
	if (add_sep)
		h->pair[k++] = llama_vocab_sep(v);
	memcpy(h->pair + k, h->toks, (size_t)nd * sizeof *h->toks);
	k += nd;
	if (add_eos)
		h->pair[k++] = eos;
	*ntok = k;
	return 0;
}

/* ---- the pair through the model's template ------------------------------ */

/* Fills the template with q[0..lq) and d[0..ld) into h->text, in one pass so
 * that a query containing "{document}" stays as it is. */
static int fill_template(rerank_llama *h, const char *q, size_t lq, const char *d, size_t ld)
{
	const char *t = h->tmpl;
	size_t need = strlen(t) + 1, len = 0;

	for (const char *p = strchr(t, '{'); p; p = strchr(p + 1, '{')) {
		if (strncmp(p, "{query}", 7) == 0)
			need += lq;
		else if (strncmp(p, "{document}", 10) == 0)
			need += ld;
	}
	if (h->text_cap < need) {
		char *x = realloc(h->text, need);
		if (!x)
			return docent_error_set(DOCENT_ENOMEM, "out of memory building a rerank prompt");
		h->text = x;
		h->text_cap = need;
	}
	while (*t) {
		if (strncmp(t, "{query}", 7) == 0) {
			memcpy(h->text + len, q, lq);
			len += lq;
			t += 7;
		} else if (strncmp(t, "{document}", 10) == 0) {
			memcpy(h->text + len, d, ld);
			len += ld;
			t += 10;
		} else {
			h->text[len++] = *t++;
		}
	}
	h->text[len] = '\0';
	return 0;
}

/* Tokens of the template filled with q[0..lq) and d[0..ld), in h->toks. */
static int template_tokens(rerank_llama *h, const char *q, size_t lq, const char *d,
			   size_t ld, int *n)
{
	int rc = fill_template(h, q, lq, d, ld);
	if (rc)
		return rc;
	/* As llama-server: the template's own special tokens are parsed, none added. */
	return llama_common_tokenize(h->vocab, h->text, strlen(h->text), false, true, &h->toks,
				     &h->toks_cap, n);
}

/* The longest prefix of s[0..len) (cut at a UTF-8 character start) for
 * which the filled template has at most `limit` tokens; `is_query` says
 * which slot s fills, o[0..lo) fills the other one. */
static int longest_fit(rerank_llama *h, const char *s, size_t len, int is_query,
		       const char *o, size_t lo_len, int limit, size_t *fit)
{
	size_t lo = 0, hi = len;
	int n, rc;

	while (lo < hi) {
		size_t mid = lo + (hi - lo + 1) / 2;
		while (mid > lo && ((unsigned char)s[mid] & 0xC0) == 0x80)
			mid--;
		if (mid == lo)
			break; /* no character starts between lo and hi */
		rc = is_query ? template_tokens(h, s, mid, o, lo_len, &n)
			      : template_tokens(h, o, lo_len, s, mid, &n);
		if (rc)
			return rc;
		if (n <= limit)
			lo = mid;
		else
			hi = mid - 1;
	}
	*fit = lo;
	return 0;
}

/* Tokenizes the filled template into h->pair, cutting the passage (and a
 * query over half the context) by bytes until it fits. */
static int build_template(rerank_llama *h, const char *query, size_t lq, const char *passage,
			  size_t index, int *ntok)
{
	size_t ld = strlen(passage), fit;
	int n, rc;

	if ((rc = template_tokens(h, query, lq, passage, ld, &n)))
		return rc;
	if (n > h->n_ctx) {
		/* The query fits in half the context (rl_rank cut it), so some
		 * prefix of the passage fits. */
		int had = n;
		if ((rc = longest_fit(h, passage, ld, 0, query, lq, h->n_ctx, &fit)) ||
		    (rc = template_tokens(h, query, lq, passage, fit, &n)))
			return rc;
		if (n > h->n_ctx)
			return docent_error_set(DOCENT_ETOOBIG, "reranking model %s: its rerank "
						"template alone is longer than the context of %d "
						"tokens", h->path, h->n_ctx);
		warn_cut(h, passage, "passage %zu was cut to fit the context of %d tokens with "
			 "the query and the rerank template (%d tokens in all before)",
			 index + 1, h->n_ctx, had);
	}
	memcpy(h->pair, h->toks, (size_t)n * sizeof *h->pair);
	*ntok = n;
	return 0;
}

/* ---- running batches ----------------------------------------------------- */

/* Runs the batch and writes the score of each of its nseq sequences. */
static int run_batch(rerank_llama *h, int nseq, const int *seq_len, double *out)
{
	llama_memory_t mem = llama_get_memory(h->ctx);
	int32_t rc;

	if (nseq == 0)
		return 0;
	if (mem)
		llama_memory_clear(mem, true);
	if (h->batch.n_tokens > 0) {
		rc = h->encode ? llama_encode(h->ctx, h->batch) : llama_decode(h->ctx, h->batch);
		if (rc != 0)
			return docent_error_set(DOCENT_EIO, "reranking model %s: llama.cpp failed "
						"to process a batch of %d tokens (code %d)",
						h->path, h->batch.n_tokens, (int)rc);
	}
	for (int s = 0; s < nseq; s++) {
		if (seq_len[s] == 0) {
			out[s] = EMPTY_SCORE;
			continue;
		}
		const float *v = llama_get_embeddings_seq(h->ctx, s);
		if (!v)
			return docent_error_set(DOCENT_EIO, "reranking model %s: llama.cpp gave "
						"no score", h->path);
		out[s] = (double)v[0];
	}
	return 0;
}

static int rl_rank(void *self, const char *query, const char *const *docs, size_t n,
		   double *scores)
{
	rerank_llama *h = self;
	int seq_len[MAX_SEQS];
	int32_t *q = NULL;
	size_t lq = strlen(query), first = 0;
	int nq = 0, nseq = 0, rc = 0;

	/* The query is the same in every pair: cut it once, to half the context. */
	if (h->tmpl) {
		int nt;
		if ((rc = template_tokens(h, query, lq, "", 0, &nt)))
			goto done;
		if (nt > h->n_ctx / 2) {
			size_t fit;
			if ((rc = longest_fit(h, query, lq, 1, "", 0, h->n_ctx / 2, &fit)))
				goto done;
			warn_cut(h, query, "the query was cut to half the context of %d tokens "
				 "(%d with the rerank template before)", h->n_ctx, nt);
			lq = fit;
		}
	} else {
		if ((rc = tokenize_plain(h, query, &q, &nq)))
			goto done;
		if (nq > h->n_ctx / 2) {
			warn_cut(h, query, "the query was cut from %d to %d tokens, half the "
				 "context of %d", nq, h->n_ctx / 2, h->n_ctx);
			nq = h->n_ctx / 2;
		}
	}

	h->batch.n_tokens = 0;
	for (size_t i = 0; i < n; i++) {
		const char *passage = docs[i] ? docs[i] : "";
		int ntok = 0;

		rc = h->tmpl ? build_template(h, query, lq, passage, i, &ntok)
			     : build_plain(h, q, nq, passage, i, &ntok);
		if (rc)
			goto done;
		if (nseq == h->n_seqs || h->batch.n_tokens + ntok > h->n_ctx) {
			if ((rc = run_batch(h, nseq, seq_len, scores + first)))
				goto done;
			first = i;
			nseq = 0;
			h->batch.n_tokens = 0;
		}
		for (int t = 0; t < ntok; t++) {
			int k = h->batch.n_tokens++;
			h->batch.token[k] = h->pair[t];
			h->batch.pos[k] = t;
			h->batch.n_seq_id[k] = 1;
			h->batch.seq_id[k][0] = nseq;
			h->batch.logits[k] = 1;
		}
		seq_len[nseq++] = ntok;
	}
	rc = run_batch(h, nseq, seq_len, scores + first);
done:
	free(q);
	return rc;
}

static const reranker_ops rl_ops = {
	.rank = rl_rank,
	.free = rl_free,
};

/* ---- open ------------------------------------------------------------------ */

/* Whether the GGUF file has a tensor of one of the names. */
static int has_tensor(const char *path, const char *const *names, size_t n)
{
	struct gguf_init_params gp = { .no_alloc = true, .ctx = NULL };
	struct gguf_context *g = gguf_init_from_file(path, gp);
	int found = 0;

	if (!g)
		return 0;
	for (size_t i = 0; i < n && !found; i++)
		found = gguf_find_tensor(g, names[i]) >= 0;
	gguf_free(g);
	return found;
}

/* 0 when the model is a reranker; else DOCENT_EFORMAT saying what it is. */
static int check_reranker(rerank_llama *h, int *force_rank)
{
	static const char *const head[] = { "cls.weight", "cls.output.weight" };
	char arch[64] = "", key[128], val[32] = "";
	int pooling = -1;

	*force_rank = 0;
	llama_model_meta_val_str(h->model, "general.architecture", arch, sizeof arch);
	snprintf(key, sizeof key, "%s.pooling_type", arch);
	if (llama_model_meta_val_str(h->model, key, val, sizeof val) >= 0)
		pooling = atoi(val);
	if (pooling == LLAMA_POOLING_TYPE_RANK)
		return 0;
	/* A sequence classifier converted without a pooling type (see top). */
	if (has_tensor(h->path, head, sizeof head / sizeof head[0])) {
		*force_rank = 1;
		return 0;
	}
	if (pooling > 0)
		return docent_error_set(DOCENT_EFORMAT, "reranking model %s: this is an embedding "
					"model (%s, pooling into one vector per text), not a "
					"reranker; set it as engine.embed_model, and choose a "
					"cross-encoder GGUF such as bge-reranker-v2-m3 for "
					"reranking", h->path, arch);
	return docent_error_set(DOCENT_EFORMAT, "reranking model %s: this is a language model "
				"(%s, no rank pooling or classification head), not a "
				"reranker; set it as engine.chat_model, and choose a "
				"cross-encoder GGUF such as bge-reranker-v2-m3 for reranking",
				h->path, arch);
}

int rerank_llama_open(reranker **out, const model_spec *spec, const reranker_params *p)
{
	rerank_llama *h = NULL;
	reranker *r = NULL;
	int force_rank, rc;

	*out = NULL;
	if (!(h = calloc(1, sizeof *h)) || !(r = calloc(1, sizeof *r)))
		goto nomem;
	snprintf(h->path, sizeof h->path, "%s", spec->path);
	h->on_warning = p->on_warning;
	h->warn_ctx = p->ctx;
	if ((rc = llama_common_load(spec->path, "reranking model", &h->model)))
		goto fail;
	if ((rc = check_reranker(h, &force_rank)))
		goto fail;
	h->vocab = llama_model_get_vocab(h->model);
	h->tmpl = llama_model_chat_template(h->model, "rerank");
	int train = llama_model_n_ctx_train(h->model);
	int want = p->context > 0 ? p->context : DEFAULT_CONTEXT;
	h->n_ctx = train > 0 && train < want ? train : want;
	if (h->n_ctx < 8)
		h->n_ctx = 8;
	h->encode = llama_model_has_encoder(h->model) && !llama_model_has_decoder(h->model);

	/* As in embed_llama.c: a power of two that divides n_ubatch. */
	size_t lim = llama_max_parallel_sequences();
	size_t maxseq = p->batch_size ? p->batch_size : MAX_SEQS;
	int nseq = 1;
	while ((size_t)nseq * 2 <= maxseq && (size_t)nseq * 2 <= lim && nseq * 2 <= MAX_SEQS &&
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
	cp.pooling_type = force_rank ? LLAMA_POOLING_TYPE_RANK : LLAMA_POOLING_TYPE_UNSPECIFIED;
	cp.n_threads = cp.n_threads_batch = llama_common_threads(p->threads);
	if (!(h->ctx = llama_init_from_model(h->model, cp))) {
		rc = docent_error_set(DOCENT_ENOMEM, "reranking model %s: llama.cpp could not make "
				      "a context of %d tokens (out of memory?)", spec->path,
				      h->n_ctx);
		goto fail;
	}
	if (llama_pooling_type(h->ctx) != LLAMA_POOLING_TYPE_RANK) {
		rc = docent_error_set(DOCENT_EFORMAT, "reranking model %s: llama.cpp does not "
				      "rank with it (pooling type %d)", spec->path,
				      (int)llama_pooling_type(h->ctx));
		goto fail;
	}
	/* One pool of threads for the context's life (see gen_llama.c). */
	struct ggml_threadpool_params tpp = ggml_threadpool_params_default((int)cp.n_threads);
	if (!(h->pool = ggml_threadpool_new(&tpp)))
		goto nomem;
	llama_attach_threadpool(h->ctx, h->pool, h->pool);
	h->batch = llama_batch_init(h->n_ctx, 0, 1);
	if (!h->batch.token)
		goto nomem;
	if (!(h->pair = malloc((size_t)h->n_ctx * sizeof *h->pair)))
		goto nomem;

	r->ops = &rl_ops;
	r->self = h;
	r->max_tokens = (size_t)h->n_ctx;
	llama_common_model_id(spec->path, r->model_id, sizeof r->model_id);
	*out = r;
	return 0;

nomem:
	rc = docent_error_set(DOCENT_ENOMEM, "out of memory opening reranking model %s",
			      spec->path);
fail:
	rl_free(h);
	free(r);
	return rc;
}
