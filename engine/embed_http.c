/*
 * embed_http.c - the embedder backend for model servers: OpenAI-compatible
 * (POST {url}/embeddings, answer {"data":[{"index":i,"embedding":[...]}]})
 * and Ollama (POST {url}/api/embed, answer {"embeddings":[[...],...]}),
 * both sent {"model":M,"input":[texts]}.
 *
 * Texts go in batches of params->batch_size (32 by default), each prefixed
 * with the query or document prefix. The vector size is learned by a probe
 * at open ("ping"), so that embedder_dim() is right before the first
 * embed and a server that is down or a model that is unknown shows at
 * once; every later answer must match it. Vectors are L2-normalised here,
 * whatever the server did. The server cuts over-long inputs itself (both
 * kinds of server truncate by default); its tokenizer is not visible from
 * here, so the embedder has no count_tokens and reports max_tokens 512, the
 * context of the common small embedding models.
 */
#include "engine/engine_int.h"
#include "engine/http.h"
#include "core/buf.h"
#include "core/error.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_BATCH 32
#define DEFAULT_MAX_TOKENS 512

typedef struct embed_http {
	model_backend kind;
	char endpoint[2100];  /* the full URL of the embeddings call */
	char model[512];
	char *query_prefix;   /* owned; "" when none */
	char *document_prefix;
	size_t batch;
	int dim;              /* 0 until the probe answered */
	http_opts http;
} embed_http;

static void eh_free(void *self)
{
	embed_http *h = self;

	if (!h)
		return;
	free(h->query_prefix);
	free(h->document_prefix);
	free(h);
}

/* The vectors of an answer, as a JSON array of n arrays (borrowed from root). */
static int answer_vectors(embed_http *h, json_t *root, size_t n, json_t **rows)
{
	if (h->kind == MODEL_OLLAMA) {
		json_t *a = json_object_get(root, "embeddings");
		if (!json_is_array(a) || json_array_size(a) != n)
			return -1;
		for (size_t i = 0; i < n; i++)
			rows[i] = json_array_get(a, i);
		return 0;
	}
	json_t *data = json_object_get(root, "data");
	if (!json_is_array(data) || json_array_size(data) != n)
		return -1;
	for (size_t i = 0; i < n; i++)
		rows[i] = NULL;
	/* Servers may answer out of order; "index" says where each belongs. */
	for (size_t i = 0; i < n; i++) {
		json_t *item = json_array_get(data, i);
		json_t *idx = json_object_get(item, "index");
		size_t at = json_is_integer(idx) ? (size_t)json_integer_value(idx) : i;
		if (at >= n || rows[at])
			return -1;
		rows[at] = json_object_get(item, "embedding");
	}
	return 0;
}

/* Checks one vector against the known size and writes it, normalised. */
static int take_vector(embed_http *h, json_t *row, float *out)
{
	double sum = 0;

	if (!json_is_array(row) || (int)json_array_size(row) != h->dim)
		return -1;
	for (int j = 0; j < h->dim; j++) {
		json_t *v = json_array_get(row, (size_t)j);
		if (!json_is_number(v))
			return -1;
		double d = json_number_value(v);
		if (!isfinite(d))
			return -1;
		out[j] = (float)d;
		sum += d * d;
	}
	if (sum > 0) {
		float inv = (float)(1.0 / sqrt(sum));
		for (int j = 0; j < h->dim; j++)
			out[j] *= inv;
	}
	return 0;
}

/* Sends texts[0..n) with `prefix` and writes n vectors into out (NULL on
 * the probe, which only learns dim). */
static int embed_batch(embed_http *h, const char *const *texts, size_t n, const char *prefix,
		       float *out)
{
	json_t *req = json_object(), *input = json_array();
	json_t *root = NULL, **rows = NULL;
	dbuf text = DBUF_INIT, ans = DBUF_INIT;
	char *body = NULL;
	int rc = 0;

	if (!req || !input)
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		dbuf_reset(&text);
		if (dbuf_puts(&text, prefix) || dbuf_puts(&text, texts[i] ? texts[i] : "") ||
		    json_array_append_new(input, json_stringn(text.data, text.len)))
			goto nomem;
	}
	if (json_object_set_new(req, "model", json_string(h->model)) ||
	    json_object_set(req, "input", input))
		goto nomem;
	if (!(body = json_dumps(req, JSON_COMPACT)))
		goto nomem;
	if ((rc = http_post_json(h->endpoint, body, &h->http, &ans)))
		goto done;

	json_error_t jerr;
	root = json_loadb(ans.data ? ans.data : "", ans.len, 0, &jerr);
	rows = calloc(n ? n : 1, sizeof *rows);
	if (!rows)
		goto nomem;
	if (!json_is_object(root) || answer_vectors(h, root, n, rows)) {
		rc = docent_error_set(DOCENT_EFORMAT,
			"%s did not answer with %zu embeddings (%s%.80s); check that the URL "
			"points at an %s server and that \"%s\" is an embedding model",
			h->endpoint, n, root ? "" : "not JSON: ", root ? "" : jerr.text,
			h->kind == MODEL_OLLAMA ? "Ollama" : "OpenAI-compatible", h->model);
		goto done;
	}
	if (h->dim == 0) {
		h->dim = json_is_array(rows[0]) ? (int)json_array_size(rows[0]) : 0;
		if (h->dim == 0) {
			rc = docent_error_set(DOCENT_EFORMAT, "%s answered with an empty embedding "
					      "for model \"%s\"", h->endpoint, h->model);
			goto done;
		}
	}
	for (size_t i = 0; out && i < n; i++) {
		if (take_vector(h, rows[i], out + i * (size_t)h->dim)) {
			rc = docent_error_set(DOCENT_EFORMAT,
				"%s answered with a malformed embedding (text %zu: not %d finite "
				"numbers); check that model \"%s\" is what the collection was "
				"built with", h->endpoint, i + 1, h->dim, h->model);
			goto done;
		}
	}
	goto done;
nomem:
	rc = docent_error_set(DOCENT_ENOMEM, "out of memory building a request to %s", h->endpoint);
done:
	json_decref(req);
	json_decref(input);
	json_decref(root);
	free(rows);
	free(body);
	dbuf_free(&text);
	dbuf_free(&ans);
	return rc;
}

static int eh_embed(void *self, const char *const *texts, size_t n, embed_kind kind, float *out)
{
	embed_http *h = self;
	const char *prefix = kind == EMBED_QUERY ? h->query_prefix : h->document_prefix;

	for (size_t at = 0; at < n; at += h->batch) {
		size_t k = n - at < h->batch ? n - at : h->batch;
		int rc = embed_batch(h, texts + at, k, prefix, out + at * (size_t)h->dim);
		if (rc)
			return rc;
	}
	return 0;
}

static const embedder_ops eh_ops = {
	.embed = eh_embed,
	.count_tokens = NULL,
	.free = eh_free,
};

int embed_http_open(embedder **out, const model_spec *spec, const embedder_params *p)
{
	embed_http *h = calloc(1, sizeof *h);
	embedder *e = calloc(1, sizeof *e);
	int rc;

	*out = NULL;
	if (!h || !e)
		goto nomem;
	h->kind = spec->backend;
	snprintf(h->model, sizeof h->model, "%s", spec->model);
	snprintf(h->endpoint, sizeof h->endpoint, "%s%s", spec->url,
		 spec->backend == MODEL_OLLAMA ? "/api/embed" : "/embeddings");
	h->query_prefix = strdup(p->query_prefix ? p->query_prefix : "");
	h->document_prefix = strdup(p->document_prefix ? p->document_prefix : "");
	if (!h->query_prefix || !h->document_prefix)
		goto nomem;
	h->batch = p->batch_size ? p->batch_size : DEFAULT_BATCH;
	h->http = (http_opts){
		.timeout_ms = p->timeout_ms,
		.retries = p->retries,
		.api_key_env = p->api_key_env,
	};

	const char *ping = "ping";
	if ((rc = embed_batch(h, &ping, 1, "", NULL))) {
		eh_free(h);
		free(e);
		return rc;
	}
	e->ops = &eh_ops;
	e->self = h;
	e->dim = h->dim;
	e->max_tokens = DEFAULT_MAX_TOKENS;
	model_spec_id(spec, e->model_id, sizeof e->model_id);
	*out = e;
	return 0;
nomem:
	eh_free(h);
	free(e);
	return docent_error_set(DOCENT_ENOMEM, "out of memory opening model %s", spec->model);
}
