/*
 * rerank_http.c - the reranker backend for model servers: POST
 * {url}/rerank (the spec's URL ends in /v1, so /v1/rerank) with
 * {"model":M,"query":Q,"documents":[...],"top_n":n}.
 *
 * llama-server (started with --reranking), Jina and Cohere answer
 * {"results":[{"index":i,"relevance_score":s},...]}, sorted by score and
 * cut to top_n; text-embeddings-inference answers a bare array of
 * {"index","score"}. Both are accepted, in any order, and every passage
 * sent must come back exactly once (top_n is the batch size, so a server
 * that honours it drops none). Passages go in batches of batch_size (64 by
 * default): a cross-encoder scores each pair on its own, so batching
 * changes no score.
 *
 * Opening sends one probe (a one-passage request), so that a server that is
 * down, a wrong URL, or a llama-server started without --reranking (it
 * answers 501 "does not support reranking", quoted in the message) shows at
 * open rather than in the middle of an answer. The server's tokenizer and
 * limits are not visible from here: it cuts or refuses long passages by its
 * own rules.
 */
#include "engine/rerank_int.h"
#include "engine/http.h"
#include "core/buf.h"
#include "core/error.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_BATCH 64
#define DEFAULT_MAX_TOKENS 512

typedef struct rerank_http {
	char endpoint[2100];  /* the full URL of the rerank call */
	char model[512];
	size_t batch;
	http_opts http;
} rerank_http;

static void rh_free(void *self)
{
	free(self);
}

/* The score of one result, from "relevance_score" or "score". */
static int result_score(json_t *item, double *out)
{
	json_t *s = json_object_get(item, "relevance_score");

	if (!s)
		s = json_object_get(item, "score");
	if (!json_is_number(s))
		return -1;
	*out = json_number_value(s);
	return isfinite(*out) ? 0 : -1;
}

/* Writes the n scores of an answer's results into out; -1 when the
 * answer is not n distinct indexes below n with finite scores. */
static int answer_scores(json_t *root, size_t n, double *out, unsigned char *seen)
{
	json_t *results = json_is_array(root) ? root : json_object_get(root, "results");

	if (!json_is_array(results))
		results = json_object_get(root, "data"); /* some gateways */
	if (!json_is_array(results) || json_array_size(results) != n)
		return -1;
	memset(seen, 0, n);
	for (size_t i = 0; i < n; i++) {
		json_t *item = json_array_get(results, i);
		json_t *idx = json_object_get(item, "index");
		json_int_t at;
		double s;

		if (!json_is_integer(idx) || (at = json_integer_value(idx)) < 0 ||
		    (size_t)at >= n || seen[at] || result_score(item, &s))
			return -1;
		seen[at] = 1;
		out[at] = s;
	}
	return 0;
}

/* Scores docs[0..n) against query into out. */
static int rank_batch(rerank_http *h, const char *query, const char *const *docs, size_t n,
		      double *out)
{
	json_t *req = json_object(), *list = json_array(), *root = NULL;
	dbuf ans = DBUF_INIT;
	unsigned char *seen = NULL;
	char *body = NULL;
	int rc = 0;

	if (!req || !list || !(seen = malloc(n)))
		goto nomem;
	/* jansson refuses text that is not UTF-8 (NULL), as a server would. */
	for (size_t i = 0; i < n; i++) {
		json_t *d = json_string(docs[i] ? docs[i] : "");
		if (!d) {
			rc = docent_error_set(DOCENT_EINVAL, "reranking with %s: passage %zu is "
					      "not valid UTF-8", h->endpoint, i + 1);
			goto done;
		}
		if (json_array_append_new(list, d))
			goto nomem;
	}
	json_t *q = json_string(query);
	if (!q) {
		rc = docent_error_set(DOCENT_EINVAL, "reranking with %s: the query is not "
				      "valid UTF-8", h->endpoint);
		goto done;
	}
	if (json_object_set_new(req, "model", json_string(h->model)) ||
	    json_object_set_new(req, "query", q) ||
	    json_object_set(req, "documents", list) ||
	    json_object_set_new(req, "top_n", json_integer((json_int_t)n)))
		goto nomem;
	if (!(body = json_dumps(req, JSON_COMPACT)))
		goto nomem;
	if ((rc = http_post_json(h->endpoint, body, &h->http, &ans)))
		goto done;

	json_error_t jerr;
	root = json_loadb(ans.data ? ans.data : "", ans.len, 0, &jerr);
	if (!root) {
		rc = docent_error_set(DOCENT_EFORMAT, "%s did not answer with JSON (%.80s); "
				      "check that the URL points at a rerank server such as "
				      "`llama-server --reranking`", h->endpoint, jerr.text);
		goto done;
	}
	if (answer_scores(root, n, out, seen)) {
		rc = docent_error_set(DOCENT_EFORMAT, "%s did not answer with %zu scores "
				      "({\"results\":[{\"index\",\"relevance_score\"}]}); check "
				      "that \"%s\" is a reranking model", h->endpoint, n, h->model);
		goto done;
	}
	goto done;
nomem:
	rc = docent_error_set(DOCENT_ENOMEM, "out of memory building a request to %s", h->endpoint);
done:
	json_decref(req);
	json_decref(list);
	json_decref(root);
	free(seen);
	free(body);
	dbuf_free(&ans);
	return rc;
}

static int rh_rank(void *self, const char *query, const char *const *docs, size_t n,
		   double *scores)
{
	rerank_http *h = self;

	for (size_t at = 0; at < n; at += h->batch) {
		size_t k = n - at < h->batch ? n - at : h->batch;
		int rc = rank_batch(h, query, docs + at, k, scores + at);
		if (rc)
			return rc;
	}
	return 0;
}

static const reranker_ops rh_ops = {
	.rank = rh_rank,
	.free = rh_free,
};

int rerank_http_open(reranker **out, const model_spec *spec, const reranker_params *p)
{
	rerank_http *h = calloc(1, sizeof *h);
	reranker *r = calloc(1, sizeof *r);
	const char *probe = "pong";
	double score;
	int rc;

	*out = NULL;
	if (!h || !r) {
		free(h);
		free(r);
		return docent_error_set(DOCENT_ENOMEM, "out of memory opening reranking model %s",
					spec->model);
	}
	snprintf(h->model, sizeof h->model, "%s", spec->model);
	snprintf(h->endpoint, sizeof h->endpoint, "%s/rerank", spec->url);
	h->batch = p->batch_size ? p->batch_size : DEFAULT_BATCH;
	h->http = (http_opts){
		.timeout_ms = p->timeout_ms,
		.retries = p->retries,
		.api_key_env = p->api_key_env,
	};
	if ((rc = rank_batch(h, "ping", &probe, 1, &score))) {
		rh_free(h);
		free(r);
		return rc;
	}
	r->ops = &rh_ops;
	r->self = h;
	r->max_tokens = DEFAULT_MAX_TOKENS;
	snprintf(r->model_id, sizeof r->model_id, "openai:%s", spec->model);
	*out = r;
	return 0;
}
