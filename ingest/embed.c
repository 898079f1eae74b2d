/*
 * embed.c - embedding the chunks that have no vector yet (see embed.h).
 *
 * One page of chunks at a time: read their text (ids ascending, after the
 * last page), embed them in one call, store the vectors in one transaction,
 * add them to the FAISS index. The index is saved once at the end; if the
 * run dies before that, the store has every finished page and the next
 * open of the index sees its totals differ and rebuilds it.
 */
#include "ingest/embed.h"
#include "core/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

embed_params embed_default_params(void)
{
	return (embed_params){ .vectors = vindex_default_params(), .page = 64 };
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef struct page {
	int64_t *ids;
	char **texts;
	size_t n;
	uint64_t tokens;  /* as the chunker counted them */
} page;

static int take_chunk(void *ctx, int64_t id, const char *text, size_t len, size_t ntokens)
{
	page *pg = ctx;
	char *t = malloc(len + 1);

	if (!t)
		return docent_error_set(DOCENT_ENOMEM, "out of memory reading chunks to embed");
	memcpy(t, text, len);
	t[len] = '\0';
	pg->ids[pg->n] = id;
	pg->texts[pg->n++] = t;
	pg->tokens += ntokens;
	return 0;
}

static void page_clear(page *pg)
{
	for (size_t i = 0; i < pg->n; i++)
		free(pg->texts[i]);
	pg->n = 0;
	pg->tokens = 0;
}

int embed_collection(store *s, int64_t coll, embedder *e, vecset *vs,
		     const embed_params *params, embed_summary *sum)
{
	embed_params p = params ? *params : embed_default_params();
	int dim = embedder_dim(e);
	page pg = { 0 };
	float *vecs = NULL;
	int64_t total = 0, after = 0;
	double t0 = now_seconds();
	int rc;

	int rebuilt = sum->rebuilt;

	memset(sum, 0, sizeof *sum);
	sum->rebuilt = rebuilt;
	if (p.page == 0)
		p.page = 64;
	if ((rc = store_collection_set_model(s, coll, embedder_model_id(e), dim)) != 0)
		return rc;
	if (dim != vecset_dim(vs))
		return docent_error_set(DOCENT_EINVAL, "the embedder makes %d dimensions, the "
					"collection's index holds %d", dim, vecset_dim(vs));
	if ((rc = store_chunks_unembedded(s, coll, &total)) != 0)
		goto done;
	pg.ids = malloc(p.page * sizeof *pg.ids);
	pg.texts = malloc(p.page * sizeof *pg.texts);
	vecs = malloc(p.page * (size_t)dim * sizeof *vecs);
	if (!pg.ids || !pg.texts || !vecs) {
		rc = docent_error_set(DOCENT_ENOMEM, "out of memory embedding");
		goto done;
	}
	for (;;) {
		if (p.cancel && *p.cancel) {
			rc = docent_error_set(DOCENT_ECANCELLED, "stopped; the chunks embedded so far "
					      "are saved, run the same command again to continue");
			break;
		}
		page_clear(&pg);
		rc = store_chunks_to_embed(s, coll, after, p.page, take_chunk, &pg);
		if (rc || pg.n == 0)
			break;
		rc = embedder_embed(e, (const char *const *)pg.texts, pg.n, EMBED_DOCUMENT, vecs);
		if (rc == 0)
			rc = store_embeddings_put(s, pg.ids, vecs, pg.n, dim);
		if (rc == 0)
			rc = vecset_add(vs, pg.ids, vecs, pg.n);
		if (rc)
			break;
		after = pg.ids[pg.n - 1];
		sum->embedded += pg.n;
		sum->tokens += pg.tokens;
		if (p.on_progress) {
			embed_progress pr = {
				.chunks_done = sum->embedded,
				.chunks_total = (uint64_t)total > sum->embedded ? (uint64_t)total
										: sum->embedded,
				.tokens_done = sum->tokens,
				.seconds = now_seconds() - t0,
			};
			p.on_progress(p.ctx, &pr);
		}
	}
	/* save what was embedded, even when stopping on an error or a cancel */
	int src = vecset_save(vs);
	if (rc == 0)
		rc = src;
done:
	sum->vectors = vecset_count(vs);
	snprintf(sum->index, sizeof sum->index, "%s", vecset_describe(vs));
	page_clear(&pg);
	free(pg.ids);
	free(pg.texts);
	free(vecs);
	sum->seconds = now_seconds() - t0;
	return rc;
}
