/*
 * test_retrieve.c - embedding a collection (ingest/embed.h) and retrieval
 * (rag/retrieve.h) with a deterministic test embedder (letter counts):
 * dense ranks, reciprocal rank fusion arithmetic and weights, the fallback
 * to keywords when a collection has no usable vectors, and stopping an
 * embedding run part-way.
 */
#include "tests/index/store_fixture.h"

#include "core/error.h"
#include "ingest/embed.h"
#include "rag/retrieve.h"

#include <math.h>

#define DIM 26

/* The test embedder: how often each letter a-z occurs, normalised. */
static int letters_embed(void *self, const char *const *texts, size_t n, embed_kind kind,
			 float *out)
{
	(void)self;
	(void)kind;
	for (size_t i = 0; i < n; i++) {
		float *v = out + i * DIM;
		double norm = 0;
		memset(v, 0, DIM * sizeof *v);
		for (const char *p = texts[i]; *p; p++)
			if (*p >= 'a' && *p <= 'z')
				v[*p - 'a'] += 1;
		for (int d = 0; d < DIM; d++)
			norm += v[d] * v[d];
		for (int d = 0; d < DIM && norm > 0; d++)
			v[d] = (float)(v[d] / sqrt(norm));
	}
	return 0;
}

static void letters_free(void *self)
{
	(void)self;
}

static const embedder_ops letters_ops = { .embed = letters_embed, .free = letters_free };

static embedder *letters(const char *id)
{
	embedder *e;
	assert_int_equal(embedder_wrap(&e, &letters_ops, NULL, DIM, 512, id), 0);
	return e;
}

static void add_docs(fx *f)
{
	put_text(f->s, f->coll, "/leave.txt", "annual leave days for employees each year");
	put_text(f->s, f->coll, "/travel.txt", "travel expenses hotels and meals");
	put_text(f->s, f->coll, "/zz.txt", "zzz buzz fizz jazz");
	put_text(f->s, f->coll, "/mix.txt", "leave the hotel keys at the desk");
}

static void embed_all(fx *f, embedder *e)
{
	vecset *vs;
	embed_summary sum = { 0 };
	embed_params p = embed_default_params();

	assert_int_equal(store_collection_set_model(f->s, f->coll, embedder_model_id(e), DIM), 0);
	assert_int_equal(vecset_open(&vs, f->s, f->coll, NULL, NULL), 0);
	assert_int_equal(embed_collection(f->s, f->coll, e, vs, &p, &sum), 0);
	assert_int_equal(sum.vectors, 4);
	vecset_close(vs);
}

static void test_retrieve__modes(void **state)
{
	fx *f = *state;
	embedder *e = letters("letters");
	retriever *r;
	retrieve_params p = retrieve_default_params();
	retrieve_info info;
	store_hit *h;
	size_t n;

	add_docs(f);
	embed_all(f, e);
	assert_int_equal(retriever_open(&r, f->s, e, NULL), 0);

	/* dense: every chunk, nearest first, with cosine scores */
	p.mode = RETRIEVE_DENSE;
	assert_int_equal(retrieve(r, "zzz jazz", &p, &h, &n, &info), 0);
	assert_int_equal(info.mode, RETRIEVE_DENSE);
	assert_int_equal(n, 4);
	assert_string_equal(h[0].path, "/zz.txt");
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(h[i].dense_rank, (int)i + 1);
		assert_int_equal(h[i].keyword_rank, 0);
		assert_true(h[i].score == h[i].dense_score);
		assert_true(i == 0 || h[i].score <= h[i - 1].score);
		assert_non_null(h[i].snippet);
	}
	store_hits_free(h, n);

	/* hybrid (the default with an embedder): RRF over both lists */
	p.mode = RETRIEVE_AUTO;
	assert_int_equal(retrieve(r, "leave hotel", &p, &h, &n, &info), 0);
	assert_int_equal(info.mode, RETRIEVE_HYBRID);
	assert_int_equal(n, 4);
	assert_string_equal(h[0].path, "/mix.txt"); /* has both words */
	for (size_t i = 0; i < n; i++) {
		double want = (h[i].keyword_rank ? 1.0 / (60 + h[i].keyword_rank) : 0) +
			      (h[i].dense_rank ? 1.0 / (60 + h[i].dense_rank) : 0);
		assert_true(fabs(h[i].score - want) < 1e-12);
		assert_int_equal(h[i].rank, (int)i + 1);
		assert_true(i == 0 || h[i].score <= h[i - 1].score);
		assert_true(h[i].dense_rank > 0);
	}
	store_hits_free(h, n);

	/* a keyword weight of 0 leaves the dense order */
	p.keyword_weight = 0;
	p.search.k = 2;
	assert_int_equal(retrieve(r, "zzz jazz", &p, &h, &n, &info), 0);
	assert_int_equal(n, 2);
	assert_int_equal(h[0].dense_rank, 1);
	assert_int_equal(h[1].dense_rank, 2);
	store_hits_free(h, n);

	/* bm25 only */
	p = retrieve_default_params();
	p.mode = RETRIEVE_BM25;
	assert_int_equal(retrieve(r, "hotel", &p, &h, &n, &info), 0);
	assert_int_equal(n, 2); /* hotel, hotels */
	assert_int_equal(h[1].keyword_rank, 2);
	assert_int_equal(h[1].dense_rank, 0);
	store_hits_free(h, n);
	retriever_close(r);
	embedder_free(e);
}

static void test_retrieve__unusable_vectors(void **state)
{
	fx *f = *state;
	embedder *e = letters("letters"), *other = letters("other-model");
	retriever *r;
	retrieve_params p = retrieve_default_params();
	retrieve_info info;
	store_hit *h;
	size_t n;
	int64_t later;

	add_docs(f);
	embed_all(f, e);
	assert_int_equal(store_collection_id(f->s, "later", 1, &later), 0);
	put_text(f->s, later, "/late.txt", "a late leave note");

	/* a collection without vectors: hybrid falls back and says why */
	assert_int_equal(retriever_open(&r, f->s, e, NULL), 0);
	p.search.collection = "later";
	assert_int_equal(retrieve(r, "leave", &p, &h, &n, &info), 0);
	assert_int_equal(info.mode, RETRIEVE_BM25);
	assert_non_null(strstr(info.note, "no vectors"));
	assert_int_equal(n, 1);
	store_hits_free(h, n);
	p.mode = RETRIEVE_DENSE;
	assert_int_equal(retrieve(r, "leave", &p, &h, &n, &info), DOCENT_ENOTFOUND);
	/* all collections: those with vectors are searched */
	p.search.collection = NULL;
	assert_int_equal(retrieve(r, "leave", &p, &h, &n, &info), 0);
	assert_int_equal(n, 4);
	store_hits_free(h, n);
	/* an unknown collection is an error in every mode */
	p.search.collection = "nope";
	assert_int_equal(retrieve(r, "leave", &p, &h, &n, &info), DOCENT_ENOTFOUND);
	retriever_close(r);

	/* another model's vectors are never compared with this query */
	assert_int_equal(retriever_open(&r, f->s, other, NULL), 0);
	p.search.collection = "default";
	assert_int_equal(retrieve(r, "leave", &p, &h, &n, &info), DOCENT_EINVAL);
	assert_non_null(strstr(docent_error_message(), "reindex"));
	p.mode = RETRIEVE_HYBRID;
	assert_int_equal(retrieve(r, "leave", &p, &h, &n, &info), 0);
	assert_int_equal(info.mode, RETRIEVE_BM25);
	store_hits_free(h, n);
	retriever_close(r);

	/* no embedder: bm25, and dense is refused */
	assert_int_equal(retriever_open(&r, f->s, NULL, NULL), 0);
	p = retrieve_default_params();
	assert_int_equal(retrieve(r, "leave", &p, &h, &n, &info), 0);
	assert_int_equal(info.mode, RETRIEVE_BM25);
	store_hits_free(h, n);
	p.mode = RETRIEVE_DENSE;
	assert_int_equal(retrieve(r, "leave", &p, &h, &n, &info), DOCENT_EINVAL);
	retriever_close(r);
	embedder_free(e);
	embedder_free(other);
}

static void stop_after_first(void *ctx, const embed_progress *p)
{
	(void)p;
	*(volatile int *)ctx = 1;
}

/* Stopped part-way, embedding keeps the finished pages; the next run
 * embeds only what is missing. */
static void test_retrieve__embed_resumes(void **state)
{
	fx *f = *state;
	embedder *e = letters("letters");
	vecset *vs;
	embed_summary sum = { 0 };
	embed_params p = embed_default_params();
	volatile int stop = 0;

	add_docs(f);
	assert_int_equal(store_collection_set_model(f->s, f->coll, "letters", DIM), 0);
	assert_int_equal(vecset_open(&vs, f->s, f->coll, NULL, NULL), 0);
	p.page = 1;
	p.cancel = &stop;
	p.on_progress = stop_after_first;
	p.ctx = (void *)&stop;
	assert_int_equal(embed_collection(f->s, f->coll, e, vs, &p, &sum), DOCENT_ECANCELLED);
	assert_int_equal(sum.embedded, 1);
	assert_int_equal(sum.vectors, 1);
	vecset_close(vs);

	stop = 0;
	p.on_progress = NULL;
	assert_int_equal(vecset_open(&vs, f->s, f->coll, NULL, NULL), 0);
	assert_int_equal(embed_collection(f->s, f->coll, e, vs, &p, &sum), 0);
	assert_int_equal(sum.embedded, 3);
	assert_int_equal(sum.vectors, 4);
	assert_int_equal(sum.rebuilt, 0);
	vecset_close(vs);
	embedder_free(e);
}

/* Stores a document of several chunks. */
static void put_chunks(store *s, int64_t coll, const char *path, const char *const *texts,
		       size_t n)
{
	store_chunk_in ch[8];
	store_put_result r;
	char hash[80];
	size_t off = 0;

	for (size_t i = 0; i < n; i++) {
		ch[i] = (store_chunk_in){ .text = texts[i], .len = strlen(texts[i]),
					  .start_byte = off, .end_byte = off + strlen(texts[i]) };
		off += strlen(texts[i]) + 2;
	}
	snprintf(hash, sizeof hash, "%s#chunks", path);
	store_doc_in in = { .path = path, .hash = hash, .title = "T", .format = "text",
			    .text_bytes = (int64_t)off, .chunks = ch, .nchunks = n };
	assert_int_equal(store_doc_put(s, coll, &in, &r), 0);
	free(r.duplicate_of);
}

/* Near-duplicates collapse into the best-ranked copy, always, and say how
 * many they stand for; grouping keeps each document's best chunk; k hits
 * still come back when many are dropped. */
static void test_retrieve__group_and_duplicates(void **state)
{
	fx *f = *state;
	retriever *r;
	retrieve_params p = retrieve_default_params();
	store_hit *h;
	size_t n;
	int64_t work;
	static const char *const a[] = { "solar panels on the roof of the barn face south",
					  "the solar inverter needs its own fuse",
					  "the garden hose is in the shed" };
	static const char *const b[] = { "a solar farm in the desert" };
	static const char *const c[] = { "Solar panels on the roof of the barn face south!" };
	static const char *const d[] = { "solar panels on the roof of the barn face south west" };

	assert_int_equal(store_collection_id(f->s, "work", 1, &work), 0);
	put_chunks(f->s, f->coll, "/a.txt", a, 3);
	put_chunks(f->s, f->coll, "/b.txt", b, 1);
	put_chunks(f->s, work, "/copy/a.txt", c, 1);  /* the same text elsewhere */
	put_chunks(f->s, f->coll, "/d.txt", d, 1);    /* one word more */
	assert_int_equal(retriever_open(&r, f->s, NULL, NULL), 0);

	assert_true(p.collapse_duplicates && !p.group_by_doc);
	assert_int_equal(retrieve(r, "solar panels", &p, &h, &n, NULL), 0);
	assert_int_equal(n, 3); /* a's two chunks, b; c and d collapsed */
	assert_string_equal(h[0].path, "/a.txt");
	assert_int_equal(h[0].duplicates, 2);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(h[i].rank, (int)i + 1);
		assert_true(strcmp(h[i].path, "/copy/a.txt") != 0 && strcmp(h[i].path, "/d.txt") != 0);
		if (i)
			assert_int_equal(h[i].duplicates, 0);
	}
	store_hits_free(h, n);

	p.group_by_doc = 1;
	assert_int_equal(retrieve(r, "solar panels", &p, &h, &n, NULL), 0);
	assert_int_equal(n, 2);
	assert_string_equal(h[0].path, "/a.txt");
	assert_string_equal(h[1].path, "/b.txt");
	assert_int_equal(h[0].duplicates, 2);
	store_hits_free(h, n);

	p.collapse_duplicates = 0;
	assert_int_equal(retrieve(r, "solar panels", &p, &h, &n, NULL), 0);
	assert_int_equal(n, 4); /* one per document */
	store_hits_free(h, n);

	/* k = 2 with three of the best four dropped: still two hits */
	p.collapse_duplicates = 1;
	p.group_by_doc = 1;
	p.search.k = 2;
	assert_int_equal(retrieve(r, "solar", &p, &h, &n, NULL), 0);
	assert_int_equal(n, 2);
	assert_true(strcmp(h[0].path, h[1].path) != 0);
	store_hits_free(h, n);

	/* neither: every chunk */
	p.search.k = 10;
	p.collapse_duplicates = 0;
	p.group_by_doc = 0;
	assert_int_equal(retrieve(r, "solar", &p, &h, &n, NULL), 0);
	assert_int_equal(n, 5);
	store_hits_free(h, n);
	retriever_close(r);
}

/* Words 1.. of a passage: "solar" then distinct words, with "x" at the
 * places listed (-1 ends the list); reversed: the same words backwards. */
static void passage(char *out, int words, const int *changed, int reversed)
{
	size_t len = (size_t)sprintf(out, "solar");

	for (int i = 1; i < words; i++) {
		int w = (reversed ? words - i : i) * 7919 % 10007, x = 0;
		for (const int *c = changed; *c >= 0; c++)
			x |= *c == i;
		len += (size_t)(x ? sprintf(out + len, " x") : sprintf(out + len, " w%d", w));
	}
}

/* Near-duplicates among long passages (hundreds of shingles): a copy with
 * a few words changed collapses into the first, the same words in another
 * order do not. And at the threshold, 0.8 of the shingles shared: of 98,
 * three words changed (89 shared of 107) is a near-duplicate, four (86 of
 * 110) is not. */
static void test_retrieve__long_duplicates(void **state)
{
	fx *f = *state;
	retriever *r;
	retrieve_params p = retrieve_default_params();
	store_hit *h;
	size_t n;
	static char a[600 * 8], b[600 * 8], c[600 * 8];
	const char *pa = a, *pb = b, *pc = c;
	static const int none[] = { -1 }, six[] = { 50, 150, 250, 350, 450, 550, -1 },
			 three[] = { 20, 40, 60, -1 }, four[] = { 10, 30, 50, 70, -1 };
	int64_t other;

	passage(a, 600, none, 0);
	passage(b, 600, six, 0);
	passage(c, 600, none, 1);
	put_chunks(f->s, f->coll, "/a.txt", &pa, 1);
	put_chunks(f->s, f->coll, "/b.txt", &pb, 1);
	put_chunks(f->s, f->coll, "/c.txt", &pc, 1);
	assert_int_equal(retriever_open(&r, f->s, NULL, NULL), 0);
	assert_int_equal(retrieve(r, "solar", &p, &h, &n, NULL), 0);
	assert_int_equal(n, 2);
	assert_string_equal(h[0].path, "/a.txt");
	assert_int_equal(h[0].duplicates, 1);
	assert_string_equal(h[1].path, "/c.txt");
	assert_int_equal(h[1].duplicates, 0);
	store_hits_free(h, n);
	retriever_close(r);

	assert_int_equal(store_collection_id(f->s, "threshold", 1, &other), 0);
	passage(a, 100, none, 0);
	passage(b, 100, three, 0);
	passage(c, 100, four, 0);
	put_chunks(f->s, other, "/a100.txt", &pa, 1);
	put_chunks(f->s, other, "/b100.txt", &pb, 1);
	put_chunks(f->s, other, "/c100.txt", &pc, 1);
	assert_int_equal(retriever_open(&r, f->s, NULL, NULL), 0);
	p.search.collection = "threshold";
	assert_int_equal(retrieve(r, "solar", &p, &h, &n, NULL), 0);
	assert_int_equal(n, 2);
	assert_string_equal(h[0].path, "/a100.txt");
	assert_int_equal(h[0].duplicates, 1);
	assert_string_equal(h[1].path, "/c100.txt");
	store_hits_free(h, n);
	retriever_close(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_retrieve__modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retrieve__unusable_vectors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retrieve__embed_resumes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retrieve__group_and_duplicates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retrieve__long_duplicates, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
