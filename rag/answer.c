/*
 * answer.c - the answer pipeline (answer.h): retrieve, rerank, pack,
 * prompt, generate through the citation filter; or an extractive answer;
 * or the honest "the documents do not answer this".
 */
#include "rag/answer.h"
#include "core/buf.h"
#include "core/error.h"
#include "rag/cite.h"
#include "rag/prompt.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* passages shown when the documents do not answer the question */
#define NEAREST_SHOWN 3
/* a question of at most this many content words is not answered when one
 * of them is in none of the retrieved passages */
#define SHORT_QUESTION_WORDS 6
/* an extractive answer keeps units scoring at least this share of the best */
#define EXTRACTIVE_KEEP 0.6

struct answerer {
	retriever *ret;
	generator *gen;
};

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

const char *answer_mode_name(answer_mode m)
{
	switch (m) {
	case ANSWER_GENERATED: return "generated";
	case ANSWER_EXTRACTIVE: return "extractive";
	case ANSWER_NO_EVIDENCE: return "no_evidence";
	}
	return "?";
}

answer_params answer_default_params(void)
{
	answer_params p;
	memset(&p, 0, sizeof p);
	p.retrieve = retrieve_default_params();
	p.retrieve.search.k = 50;
	p.pack = pack_default_params();
	p.gen = gen_default_options();
	/* the prompt's item header, "[n] title", in tokens */
	p.pack.item_tokens = 10;
	p.min_coverage = PACK_COVERAGE_WEAK;
	p.min_weighted_coverage = PACK_COVERAGE_WEIGHTED_WEAK;
	p.extractive_units = 3;
	p.rerank_top = 20;
	return p;
}

void answer_result_free(answer_result *r)
{
	if (!r)
		return;
	free(r->text);
	pack_items_free(r->context, r->ncontext);
	free(r->cited);
	free(r->invalid);
	memset(r, 0, sizeof *r);
}

const pack_item *answer_item(const answer_result *r, int n)
{
	for (size_t i = 0; i < r->ncontext; i++)
		if (r->context[i].n == n)
			return &r->context[i];
	return NULL;
}

int answerer_open(answerer **out, store *s, embedder *e, generator *g, const vindex_params *vp)
{
	answerer *a = calloc(1, sizeof *a);
	int rc;

	if (!a)
		return docent_error_set(DOCENT_ENOMEM, "out of memory");
	if ((rc = retriever_open(&a->ret, s, e, vp)) != 0) {
		free(a);
		return rc;
	}
	a->gen = g;
	*out = a;
	return 0;
}

void answerer_close(answerer *a)
{
	if (!a)
		return;
	retriever_close(a->ret);
	free(a);
}

static size_t count_with_model(void *ctx, const char *text, size_t n)
{
	return generator_count_tokens(ctx, text, n);
}

/* ---- reranking ---- */

typedef struct scored { double score; size_t i; } scored;

static int by_score_desc(const void *x, const void *y)
{
	const scored *a = x, *b = y;
	if (a->score != b->score)
		return a->score < b->score ? 1 : -1;
	return a->i < b->i ? -1 : a->i > b->i;
}

/* Reorders hits by the reranker's scores (their rank fields follow). */
static int rerank_hits(const answer_params *p, const char *query, store_hit *hits, size_t n)
{
	const char **docs = calloc(n, sizeof *docs);
	double *scores = calloc(n, sizeof *scores);
	scored *order = calloc(n, sizeof *order);
	store_hit *copy = malloc(n * sizeof *copy);
	int rc = 0;

	if (!docs || !scores || !order || !copy) {
		rc = docent_error_set(DOCENT_ENOMEM, "out of memory reranking");
		goto done;
	}
	for (size_t i = 0; i < n; i++)
		docs[i] = hits[i].text ? hits[i].text : "";
	if ((rc = p->rerank(p->rerank_ctx, query, docs, n, scores)) != 0)
		goto done;
	for (size_t i = 0; i < n; i++)
		order[i] = (scored){ scores[i], i };
	qsort(order, n, sizeof *order, by_score_desc);
	memcpy(copy, hits, n * sizeof *copy);
	for (size_t i = 0; i < n; i++) {
		hits[i] = copy[order[i].i];
		hits[i].rank = (int)i + 1;
	}
done:
	free(docs);
	free(scores);
	free(order);
	free(copy);
	return rc;
}

/* ---- the answers without a model ---- */

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* The nearest passages, whole, as context items. */
static int nearest_items(const store_hit *hits, size_t nhits, pack_item **out, size_t *n)
{
	size_t m = nhits < NEAREST_SHOWN ? nhits : NEAREST_SHOWN;
	pack_item *items = m ? calloc(m, sizeof *items) : NULL;

	*out = NULL;
	*n = 0;
	if (m && !items)
		return docent_error_set(DOCENT_ENOMEM, "out of memory");
	for (size_t i = 0; i < m; i++) {
		const store_hit *h = &hits[i];
		pack_item *it = &items[i];
		it->n = (int)i + 1;
		it->hit = i;
		it->chunk_id = h->chunk_id;
		it->doc_id = h->doc_id;
		it->path = strdup(h->path ? h->path : "");
		it->title = dup_or_null(h->title);
		it->heading = dup_or_null(h->heading);
		it->page_start = h->page_start;
		it->page_end = h->page_end;
		it->text = strdup(h->text ? h->text : "");
		it->start_byte = h->start_byte;
		it->end_byte = h->end_byte;
		if (!it->path || !it->text || (h->title && !it->title) ||
		    (h->heading && !it->heading)) {
			pack_items_free(items, i + 1);
			return docent_error_set(DOCENT_ENOMEM, "out of memory");
		}
	}
	*out = items;
	*n = m;
	return 0;
}

/* The best units of the whole context, one a line, each with its citation. */
static int extractive_answer(const pack_item *items, size_t n, int want, answer_result *r)
{
	pack_ref *refs = calloc((size_t)want, sizeof *refs);
	size_t k;
	dbuf b = DBUF_INIT;
	int rc = 0;

	if (!refs || !(r->cited = calloc((size_t)want, sizeof *r->cited))) {
		free(refs);
		return docent_error_set(DOCENT_ENOMEM, "out of memory");
	}
	k = pack_best_units(items, n, refs, (size_t)want);
	/* a unit far below the best one is noise next to it, not an answer */
	for (size_t j = 1; j < k; j++)
		if (items[refs[j].item].units[refs[j].unit].score <
		    EXTRACTIVE_KEEP * items[refs[0].item].units[refs[0].unit].score) {
			k = j;
			break;
		}
	for (size_t j = 0; j < k && rc == 0; j++) {
		const pack_item *it = &items[refs[j].item];
		const pack_unit *u = &it->units[refs[j].unit];
		size_t c;
		if (j > 0)
			rc |= dbuf_putc(&b, '\n');
		if (u->header >= 0) { /* a row means little without its header */
			const pack_unit *h = &it->units[u->header];
			rc |= dbuf_append(&b, it->text + h->off, h->len);
			rc |= dbuf_putc(&b, '\n');
		}
		rc |= dbuf_append(&b, it->text + u->off, u->len);
		rc |= dbuf_printf(&b, " [%d]", it->n);
		for (c = 0; c < r->ncited; c++)
			if (r->cited[c] == it->n)
				break;
		if (c == r->ncited)
			r->cited[r->ncited++] = it->n;
	}
	free(refs);
	if (rc == 0 && !(r->text = dbuf_detach(&b, NULL)))
		rc = DOCENT_ENOMEM;
	dbuf_free(&b);
	return rc ? docent_error_set(DOCENT_ENOMEM, "out of memory") : 0;
}

/* ---- generation ---- */

typedef struct gen_ctx {
	cite_filter *filter;
	double t_start, t_first;
} gen_ctx;

static int on_piece(void *ctx, const char *piece, size_t n)
{
	gen_ctx *g = ctx;
	if (g->t_first == 0)
		g->t_first = now_ms();
	return cite_filter_put(g->filter, piece, n);
}

static char *trim_copy(const char *s)
{
	size_t n;
	while (*s == ' ' || *s == '\n' || *s == '\t')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\n' || s[n - 1] == '\t'))
		n--;
	return strndup(s, n);
}

static int copy_ints(const int *v, size_t n, int **out)
{
	*out = NULL;
	if (n == 0)
		return 0;
	if (!(*out = malloc(n * sizeof **out)))
		return docent_error_set(DOCENT_ENOMEM, "out of memory");
	memcpy(*out, v, n * sizeof **out);
	return 0;
}

static int generate_answer(answerer *a, const char *question, const chat_message *history,
			   size_t nhistory, const answer_params *p, gen_piece_fn fn, void *ctx,
			   answer_result *r, char **user_message)
{
	const char *sys = p->system_prompt ? p->system_prompt : prompt_builtin("ask_system");
	const char *usr = p->user_prompt ? p->user_prompt : prompt_builtin("ask_user");
	prompt_var vars[2];
	char *context = NULL, *user = NULL;
	chat_message *msgs = NULL;
	gen_ctx g = { 0 };
	gen_result res = { 0 };
	const int *v;
	size_t nv;
	int rc;

	if ((rc = prompt_context(r->context, r->ncontext, &context)) != 0)
		return rc;
	vars[0] = (prompt_var){ "context", context };
	vars[1] = (prompt_var){ "question", question };
	if ((rc = prompt_render(usr, vars, 2, NULL, &user)) != 0)
		goto done;
	msgs = calloc(nhistory + 2, sizeof *msgs);
	if (!msgs) {
		rc = docent_error_set(DOCENT_ENOMEM, "out of memory");
		goto done;
	}
	msgs[0] = (chat_message){ "system", sys ? sys : "" };
	for (size_t i = 0; i < nhistory; i++)
		msgs[1 + i] = history[i];
	msgs[1 + nhistory] = (chat_message){ "user", user };
	if ((rc = cite_filter_new(&g.filter, (int)r->ncontext, fn, ctx)) != 0)
		goto done;
	g.t_start = now_ms();
	rc = generator_chat(a->gen, msgs, nhistory + 2, &p->gen, on_piece, &g, &res);
	if (rc == 0)
		cite_filter_end(g.filter);
	if (rc)
		goto done;
	r->mode = ANSWER_GENERATED;
	r->prompt_tokens = res.prompt_tokens;
	r->cached_tokens = res.cached_tokens;
	r->completion_tokens = res.completion_tokens;
	r->stopped_by = res.stopped_by;
	r->timings.first_token_ms = g.t_first ? g.t_first - g.t_start : res.first_token_ms;
	r->timings.generate_ms = now_ms() - g.t_start;
	if (res.completion_tokens > 1 && res.total_ms > res.first_token_ms)
		r->timings.tokens_per_s = (res.completion_tokens - 1) * 1000.0 /
					  (res.total_ms - res.first_token_ms);
	if (!(r->text = trim_copy(cite_filter_text(g.filter)))) {
		rc = docent_error_set(DOCENT_ENOMEM, "out of memory");
		goto done;
	}
	v = cite_filter_cited(g.filter, &nv);
	if ((rc = copy_ints(v, nv, &r->cited)) != 0)
		goto done;
	r->ncited = nv;
	v = cite_filter_invalid(g.filter, &nv);
	if ((rc = copy_ints(v, nv, &r->invalid)) != 0)
		goto done;
	r->ninvalid = nv;
	if (user_message) {
		*user_message = user;
		user = NULL;
	}
done:
	cite_filter_free(g.filter);
	free(context);
	free(user);
	free(msgs);
	return rc;
}

int answer_ask(answerer *a, const char *question, const char *retrieval_query,
	       const chat_message *history, size_t nhistory, const answer_params *p,
	       gen_piece_fn fn, void *ctx, answer_result *out, char **user_message)
{
	store_hit *hits = NULL;
	size_t nhits = 0;
	double t0 = now_ms(), t;
	int rc;

	memset(out, 0, sizeof *out);
	if (user_message)
		*user_message = NULL;
	if (!retrieval_query)
		retrieval_query = question;
	rc = retrieve(a->ret, retrieval_query, &p->retrieve, &hits, &nhits, &out->retrieval);
	if (rc)
		return rc;
	t = now_ms();
	out->timings.retrieve_ms = t - t0;
	if (p->rerank && nhits > 1) {
		size_t top = p->rerank_top && p->rerank_top < nhits ? p->rerank_top : nhits;
		if ((rc = rerank_hits(p, retrieval_query, hits, top)) != 0)
			goto done;
		out->timings.rerank_ms = now_ms() - t;
		out->reranked = 1;
		t = now_ms();
	}
	{
		/* the model's own tokenizer makes the budget exact */
		pack_params pp = p->pack;
		if (a->gen && generator_counts_tokens(a->gen) && !pp.count) {
			pp.count = count_with_model;
			pp.count_ctx = a->gen;
		}
		rc = pack_evidence(retrieval_query, hits, nhits, &pp, &out->context,
				   &out->ncontext);
	}
	if (rc)
		goto done;
	out->coverage = pack_coverage(retrieval_query, out->context, out->ncontext);
	size_t nterms, absent;
	out->weighted_coverage = pack_coverage_weighted(retrieval_query, hits, nhits, out->context,
							out->ncontext, &absent, &nterms);
	out->timings.pack_ms = now_ms() - t;

	/* the evidence must hold enough of the question's words, and of its
	 * unusual ones (docs/performance.md, "Context packing") */
	if (out->ncontext == 0 || out->coverage < p->min_coverage ||
	    out->weighted_coverage < p->min_weighted_coverage ||
	    (absent > 0 && nterms <= SHORT_QUESTION_WORDS)) {
		pack_items_free(out->context, out->ncontext);
		out->context = NULL;
		out->ncontext = 0;
		out->mode = ANSWER_NO_EVIDENCE;
		if ((rc = nearest_items(hits, nhits, &out->context, &out->ncontext)) != 0)
			goto done;
		if (!(out->text = strdup("The documents do not answer this question."))) {
			rc = docent_error_set(DOCENT_ENOMEM, "out of memory");
			goto done;
		}
		if (fn)
			fn(ctx, out->text, strlen(out->text));
	} else if (!a->gen) {
		out->mode = ANSWER_EXTRACTIVE;
		rc = extractive_answer(out->context, out->ncontext,
				       p->extractive_units > 0 ? p->extractive_units : 3, out);
		if (rc == 0 && fn)
			fn(ctx, out->text, strlen(out->text));
	} else {
		rc = generate_answer(a, question, history, nhistory, p, fn, ctx, out, user_message);
	}
done:
	store_hits_free(hits, nhits);
	out->timings.total_ms = now_ms() - t0;
	if (rc) {
		answer_result_free(out);
		return rc;
	}
	return 0;
}
