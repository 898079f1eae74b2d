/*
 * search.c - keyword search: BM25 over the FTS5 index, with tunable k1 and b.
 *
 * FTS5's own bm25() has fixed parameters and, through ORDER BY, ranks every
 * matching row in the SQL layer, looking each row's length up in the docsize
 * table; on long natural-language queries that is far too slow. Instead:
 *
 *  1. The query is turned into "w1" OR "w2" OR ... (each word quoted, so no
 *     input can be an FTS5 syntax error), stop words dropped, repeats
 *     counted as query term frequency, at most MAX_TERMS distinct words;
 *     a number in groups of three digits ("2,000") is one phrase term.
 *  2. One statement, SELECT docent_rank(chunks_fts, ?) ... MATCH ? LIMIT 1,
 *     reaches FTS5's auxiliary function API. On its only call, docent_rank
 *     walks every phrase's postings with xQueryPhrase and records (rowid,
 *     term frequency) pairs; the phrase's document frequency is the number
 *     of pairs. That is all the work done inside FTS5.
 *  3. The postings walked are kept in the handle's posting cache
 *     (postcache.h, compact varints) while the database does not change:
 *     the common words of a large library come back in most queries, and
 *     reading a cached term back costs a few instructions a posting
 *     instead of a walk. Only the terms the cache lacks are walked (2).
 *  4. Back in C, scores accumulate term at a time, in query order: the
 *     length of each chunk (in words) and its collection come from
 *     chunk_stats (store_int.h), cached per handle, never from FTS5's
 *     docsize lookups. Hits in the context column (title and heading
 *     path, schema 4) add a BM25 of their own, weighted (CONTEXT_WEIGHT).
 *     A bounded heap keeps the top k.
 *  5. The k hits get their details with one query each, and a snippet
 *     (the best sentence or table row, snippet_int.h) made from their text by
 *     the store's tokenizer, outside FTS5.
 *
 * N and avgdl are those of the whole index even when the search is limited
 * to one collection: simple, and the collections of one user are similar.
 * idf is ln(1 + (N - df + 0.5) / (df + 0.5)), always positive (unlike
 * FTS5's, which clamps common terms to almost nothing).
 */
#include "index/snippet_int.h"
#include "index/store_int.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/text.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* BM25 defaults; to be tuned on real collections (docs/performance.md). */
#define BM25_K1 1.2
#define BM25_B 0.75

/* A chunk's context (its document's title and its heading path) is scored
 * as a field of its own, added to the text's BM25 with this weight; its
 * length factor (1 - b + b dl / avgdl) is taken as CONTEXT_B, a few words
 * against a chunk's hundreds. Measured on the shared collections
 * (docs/performance.md): a flat optimum from 0.15 to 0.3. */
#define CONTEXT_WEIGHT 0.2
#define CONTEXT_B 0.5

#define DEFAULT_K 10
#define MAX_K 10000
#define DEFAULT_SNIPPET_TOKENS 24
#define MAX_TERMS 64

/* Searches use a second thread from this many chunks on (see gather). */
#define PARALLEL_MIN_CHUNKS 20000

/* Dense accumulators (one double per rowid) up to this many rowids;
 * an open-addressing hash map beyond. */
#define DENSE_MAX_ROWID (1 << 22)

store_search_params store_search_default_params(void)
{
	return (store_search_params){
		.collection = NULL,
		.k = DEFAULT_K,
		.k1 = BM25_K1,
		.b = BM25_B,
		.context_weight = CONTEXT_WEIGHT,
		.snippet_tokens = DEFAULT_SNIPPET_TOKENS,
		.mark_open = "[",
		.mark_close = "]",
	};
}

/* ---- query building ---- */

/* Distinct case-folded words in query order, with their counts. */
typedef struct termlist {
	dbuf words;             /* each word NUL-terminated */
	size_t off[MAX_TERMS];
	int qtf[MAX_TERMS];
	size_t n;
} termlist;

static int termlist_add(termlist *t, const char *w, size_t len)
{
	for (size_t i = 0; i < t->n; i++) {
		const char *x = t->words.data + t->off[i];
		if (strlen(x) == len && memcmp(x, w, len) == 0) {
			t->qtf[i]++;
			return 0;
		}
	}
	if (t->n == MAX_TERMS)
		return 0; /* later new words are dropped; the first ones say most */
	t->off[t->n] = t->words.len;
	t->qtf[t->n] = 1;
	if (dbuf_append(&t->words, w, len) || dbuf_putc(&t->words, '\0'))
		return DOCENT_ENOMEM;
	t->n++;
	return 0;
}

/*
 * Appends to `fts` the FTS5 expression "w1" OR "w2" ... for the terms
 * first, first + step, ... (each word quoted, quotes doubled, so no input is
 * an FTS5 syntax error). With `sub`, also copies those terms there.
 */
static int fts_expr(const termlist *terms, size_t first, size_t step, termlist *sub, dbuf *fts)
{
	int rc = 0;

	for (size_t i = first; rc == 0 && i < terms->n; i += step) {
		const char *x = terms->words.data + terms->off[i];
		if (sub)
			rc = termlist_add(sub, x, strlen(x));
		if (sub && rc == 0)
			sub->qtf[sub->n - 1] = terms->qtf[i];
		if (rc == 0 && i != first)
			rc = dbuf_puts(fts, " OR ");
		rc = rc ? rc : dbuf_putc(fts, '"');
		for (; rc == 0 && *x; x++)
			rc = *x == '"' ? dbuf_puts(fts, "\"\"") : dbuf_putc(fts, *x);
		rc = rc ? rc : dbuf_putc(fts, '"');
	}
	return rc;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * A number written in groups of three digits ("2,000", "1.234.567",
 * "12,500") starting with the word query[a, b): the tokenizer splits it
 * at the separators, so it is searched for as a phrase of its groups
 * ("2 000"), which matches it in the text however it is separated, rather
 * than as the words "2" and "000" anywhere. Writes the phrase to `w` and
 * returns where the number ends, or 0 when no group follows.
 */
static size_t digit_groups(const char *query, size_t n, size_t a, size_t b, dbuf *w)
{
	size_t end = b;

	if (b - a > 3)
		return 0;
	for (size_t i = a; i < b; i++)
		if (!is_digit(query[i]))
			return 0;
	while (end + 4 <= n && (query[end] == ',' || query[end] == '.') &&
	       is_digit(query[end + 1]) && is_digit(query[end + 2]) && is_digit(query[end + 3]) &&
	       (end + 4 == n || !is_digit(query[end + 4])))
		end += 4;
	if (end == b)
		return 0;
	dbuf_reset(w);
	if (dbuf_append(w, query + a, b - a))
		return 0;
	for (size_t i = b; i < end; i += 4)
		if (dbuf_putc(w, ' ') || dbuf_append(w, query + i + 1, 3))
			return 0;
	return end;
}

/* Non-zero when word[0..n) is two or more ASCII capitals ("IT", "WHO"):
 * an acronym, even when its letters spell a stop word. */
static int capitals(const char *word, size_t n)
{
	if (n < 2)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (word[i] < 'A' || word[i] > 'Z')
			return 0;
	return 1;
}

/*
 * Splits `query` into words and fills *terms (stop words dropped unless only
 * stop words are there) and `fts` (unless NULL) with the FTS5 expression.
 * Leaves both empty when the query has no words.
 */
static int query_build(const char *query, termlist *terms, dbuf *fts)
{
	termlist stop = { DBUF_INIT, { 0 }, { 0 }, 0 };
	dbuf w = DBUF_INIT;
	size_t n = strlen(query), pos = 0, a, b, end;
	int rc = 0, lower = 0;

	/* capitals mean something only in a query that has lower case too */
	for (size_t i = 0; i < n && !lower; i++)
		lower = query[i] >= 'a' && query[i] <= 'z';

	while (rc == 0 && text_next_word(query, n, pos, &a, &b)) {
		pos = b;
		if ((end = digit_groups(query, n, a, b, &w)) != 0) {
			pos = end;
			rc = termlist_add(terms, w.data, w.len);
			continue;
		}
		dbuf_reset(&w);
		if ((rc = text_casefold(query + a, b - a, &w)) != 0 || !w.data)
			break;
		int drop = store_is_stopword(w.data, w.len) && !(lower && capitals(query + a, b - a));
		rc = termlist_add(drop ? &stop : terms, w.data, w.len);
	}
	if (rc == 0 && terms->n == 0) {
		dbuf tmp = terms->words;
		*terms = stop;
		stop.words = tmp;
	}
	if (rc == 0 && fts)
		rc = fts_expr(terms, 0, 1, NULL, fts);
	dbuf_free(&stop.words);
	dbuf_free(&w);
	return rc ? docent_error_set(DOCENT_ENOMEM, "out of memory reading the query") : 0;
}

int store_query_fts(const char *query, dbuf *fts)
{
	termlist terms = { DBUF_INIT, { 0 }, { 0 }, 0 };
	int rc = query_build(query, &terms, fts);
	dbuf_free(&terms.words);
	return rc;
}

/* ---- the FTS5 auxiliary function ---- */

/* What docent_rank reads and fills; bound to the statement as a pointer. */
typedef struct rank_state {
	search_scratch *sc;
	int called;
	int nomem;
	int nphrase;
	atomic_int *next;      /* shared by both connections: the next phrase to
	                          walk (NULL: this connection walks them all) */
	sqlite3_int64 nrow;    /* rows in the index */
	sqlite3_int64 ntokens; /* tokens in the index */
	int64_t max_rowid;
	int use_context;       /* hits in the context column count */
} rank_state;

/* A posting's term frequency packs the hits in the text (low TF_TEXT_BITS
 * bits) and in the context (the bits above), which score differently. */
#define TF_TEXT_BITS 12
#define TF_TEXT(tf) ((tf) & ((1u << TF_TEXT_BITS) - 1))
#define TF_CONTEXT(tf) ((tf) >> TF_TEXT_BITS)
#define TF_PACK(text, context) \
	((text) > 4095 ? 4095 : (text)) | ((context) > 15 ? 15 : (context)) << TF_TEXT_BITS

#define RANK_PTR_TYPE "docent_rank_state"

static int post_push(search_scratch *sc, int64_t rowid, int tf)
{
	if (sc->npost == sc->cappost) {
		size_t cap = sc->cappost ? 2 * sc->cappost : 4096;
		int64_t *r = realloc(sc->rowid, cap * sizeof *r);
		if (!r)
			return -1;
		sc->rowid = r;
		uint16_t *t = realloc(sc->tf, cap * sizeof *t);
		if (!t)
			return -1;
		sc->tf = t;
		sc->cappost = cap;
	}
	sc->rowid[sc->npost] = rowid;
	sc->tf[sc->npost] = (uint16_t)(tf > 65535 ? 65535 : tf);
	sc->npost++;
	return 0;
}

/* xQueryPhrase callback: one row holding the phrase. */
static int collect_row(const Fts5ExtensionApi *api, Fts5Context *ctx, void *user)
{
	rank_state *st = user;
	int64_t rowid = api->xRowid(ctx);
	int tf = 0, tfc = 0, col, off;
	Fts5PhraseIter it;
	/* count the phrase's positions directly: cheaper than xInstCount,
	 * which builds an array of every instance first; column 0 is the
	 * text, 1 the context */
	int rc = api->xPhraseFirst(ctx, 0, &it, &col, &off);

	if (rc != SQLITE_OK)
		return rc;
	for (; col >= 0; api->xPhraseNext(ctx, &it, &col, &off)) {
		tf += col == 0;
		tfc += col != 0;
	}
	if (!st->use_context)
		tfc = 0;
	if (tf + tfc == 0)
		return SQLITE_OK;
	if (post_push(st->sc, rowid, TF_PACK(tf, tfc))) {
		st->nomem = 1;
		return SQLITE_NOMEM;
	}
	if (rowid > st->max_rowid)
		st->max_rowid = rowid;
	return SQLITE_OK;
}

static void docent_rank(const Fts5ExtensionApi *api, Fts5Context *ctx, sqlite3_context *sctx,
			int nval, sqlite3_value **val)
{
	rank_state *st = nval == 1 ? sqlite3_value_pointer(val[0], RANK_PTR_TYPE) : NULL;
	search_scratch *sc;
	int rc;

	if (!st) {
		sqlite3_result_error(sctx, "docent_rank: missing search state", -1);
		return;
	}
	if (st->called) {
		sqlite3_result_int(sctx, 0);
		return;
	}
	st->called = 1;
	sc = st->sc;
	st->nphrase = api->xPhraseCount(ctx);
	if ((rc = api->xRowCount(ctx, &st->nrow)) != SQLITE_OK ||
	    (rc = api->xColumnTotalSize(ctx, 0, &st->ntokens)) != SQLITE_OK)
		goto fail;
	if ((size_t)st->nphrase > sc->capphrase) {
		size_t *p = realloc(sc->phrase_end, (size_t)st->nphrase * sizeof *p);
		int *q = p ? realloc(sc->phrase_id, (size_t)st->nphrase * sizeof *q) : NULL;
		if (p)
			sc->phrase_end = p;
		if (!q) {
			st->nomem = 1;
			rc = SQLITE_NOMEM;
			goto fail;
		}
		sc->phrase_id = q;
		sc->capphrase = (size_t)st->nphrase;
	}
	/* with two connections, each takes the next phrase nobody has taken:
	 * the two threads finish together whatever the terms' lengths */
	sc->nwalked = 0;
	for (int k = 0;; k++) {
		int i = st->next ? atomic_fetch_add(st->next, 1) : k;
		if (i >= st->nphrase)
			break;
		if ((rc = api->xQueryPhrase(ctx, i, st, collect_row)) != SQLITE_OK)
			goto fail;
		sc->phrase_id[sc->nwalked] = i;
		sc->phrase_end[sc->nwalked++] = sc->npost;
	}
	sqlite3_result_int(sctx, 1);
	return;
fail:
	sqlite3_result_error_code(sctx, rc);
}

/* Registers docent_rank on a connection; returns SQLITE_OK or an error. */
static int register_on(sqlite3 *db, fts5_api **out)
{
	fts5_api *api = NULL;
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL);

	if (rc == SQLITE_OK) {
		sqlite3_bind_pointer(st, 1, &api, "fts5_api_ptr", NULL);
		rc = sqlite3_step(st);
		rc = rc == SQLITE_ROW ? SQLITE_OK : rc;
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_OK && (!api || api->iVersion < 2))
		rc = SQLITE_ERROR;
	if (rc == SQLITE_OK)
		rc = api->xCreateFunction(api, "docent_rank", NULL, docent_rank, NULL);
	*out = api;
	return rc;
}

static int register_rank(store *s)
{
	fts5_api *api = NULL;
	int rc;

	if (s->fts5)
		return 0;
	rc = register_on(s->db, &api);
	if (rc != SQLITE_OK && !api)
		return docent_error_set(DOCENT_EDB, "this SQLite has no usable FTS5 (needed for "
					"keyword search); install a libsqlite3 built with FTS5");
	if (rc != SQLITE_OK)
		return store_err(s, rc, "registering the ranking function");
	s->fts5 = api;
	return 0;
}

/*
 * Opens the second connection that walks half of a query's postings. FTS5
 * spends 60-90 ns on each posting it hands out, and long queries touch
 * hundreds of thousands of them; two connections on two threads halve the
 * wait. Any failure only means searching on one thread.
 */
static sqlite3 *second_connection(store *s)
{
	fts5_api *api;

	if (s->db2 || s->db2_failed)
		return s->db2;
	if (sqlite3_open_v2(s->path, &s->db2, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK ||
	    sqlite3_busy_timeout(s->db2, 5000) != SQLITE_OK ||
	    register_on(s->db2, &api) != SQLITE_OK ||
	    sqlite3_prepare_v3(s->db2, "SELECT docent_rank(chunks_fts, ?2) FROM chunks_fts "
			       "WHERE chunks_fts MATCH ?1 LIMIT 1", -1, SQLITE_PREPARE_PERSISTENT,
			       &s->rank2, NULL) != SQLITE_OK) {
		sqlite3_finalize(s->rank2);
		sqlite3_close(s->db2);
		s->rank2 = NULL;
		s->db2 = NULL;
		s->db2_failed = 1;
	}
	return s->db2;
}

/* ---- chunk_stats read cache ---- */

static const uint32_t zero_block[CSTAT_PER_BLOCK];

void store_cache_clear(store *s)
{
	for (size_t i = 0; i < s->ncache; i++)
		if (s->cache[i] != zero_block)
			free(s->cache[i]);
	free(s->cache);
	s->cache = NULL;
	s->ncache = 0;
	post_cache_clear(&s->pc);
}

void store_search_scratch_free(search_scratch *sc)
{
	free(sc->rowid);
	free(sc->tf);
	free(sc->phrase_end);
	free(sc->phrase_id);
	free(sc->acc);
	free(sc->touched);
	free(sc->hkey);
	free(sc->hval);
	memset(sc, 0, sizeof *sc);
}

/* Drops the cache when another connection has changed the database. */
static int cache_check(store *s)
{
	int64_t v;
	int rc = store_data_version(s, &v);

	if (rc)
		return rc;
	if (v != s->data_version) {
		store_cache_clear(s);
		s->data_version = v;
	}
	return 0;
}

/* Loads block b into the cache. */
static int cache_load(store *s, size_t b)
{
	sqlite3_stmt *st;
	uint32_t *e = NULL;
	int rc;

	if (b >= s->ncache) {
		size_t n = s->ncache ? s->ncache : 64;
		while (n <= b)
			n *= 2;
		uint32_t **c = realloc(s->cache, n * sizeof *c);
		if (!c)
			return docent_error_set(DOCENT_ENOMEM, "out of memory searching");
		memset(c + s->ncache, 0, (n - s->ncache) * sizeof *c);
		s->cache = c;
		s->ncache = n;
	}
	rc = store_prep(s, ST_CSTAT_GET, "SELECT data FROM chunk_stats WHERE block = ?1", &st);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, (int64_t)b);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == CSTAT_BLOB_BYTES) {
		const unsigned char *p = sqlite3_column_blob(st, 0);
		if (!(e = malloc(CSTAT_BLOB_BYTES))) {
			sqlite3_reset(st);
			return docent_error_set(DOCENT_ENOMEM, "out of memory searching");
		}
		for (size_t j = 0; j < CSTAT_PER_BLOCK; j++, p += 4)
			e[j] = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
			       (uint32_t)p[3] << 24;
	} else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		rc = store_err(s, rc, "reading chunk statistics");
		sqlite3_reset(st);
		return rc;
	}
	sqlite3_reset(st);
	s->cache[b] = e ? e : (uint32_t *)zero_block;
	return 0;
}

/* ---- accumulators and top k ---- */

typedef struct accum {
	search_scratch *sc;
	int dense;
	size_t hmask;
} accum;

static int touched_push(search_scratch *sc, int64_t rowid)
{
	if (sc->ntouched == sc->captouched) {
		size_t cap = sc->captouched ? 2 * sc->captouched : 4096;
		int64_t *t = realloc(sc->touched, cap * sizeof *t);
		if (!t)
			return -1;
		sc->touched = t;
		sc->captouched = cap;
	}
	sc->touched[sc->ntouched++] = rowid;
	return 0;
}

static int accum_init(accum *a, search_scratch *sc, int64_t max_rowid, size_t npost)
{
	a->sc = sc;
	a->hmask = 0;
	sc->ntouched = 0;
	a->dense = max_rowid < DENSE_MAX_ROWID;
	if (a->dense) {
		/* room for every chunk the postings can touch, and one more,
		 * so that the scoring loop writes to touched without checking */
		size_t most = (npost < (size_t)max_rowid + 1 ? npost : (size_t)max_rowid + 1) + 1;
		if (most > sc->captouched) {
			int64_t *t = realloc(sc->touched, most * sizeof *t);
			if (!t)
				return -1;
			sc->touched = t;
			sc->captouched = most;
		}
		size_t need = (size_t)max_rowid + 1;
		if (need > sc->capacc) {
			double *p = realloc(sc->acc, need * sizeof *p);
			if (!p)
				return -1;
			/* new slots start at zero; old ones are zeroed after each query */
			memset(p + sc->capacc, 0, (need - sc->capacc) * sizeof *p);
			sc->acc = p;
			sc->capacc = need;
		}
		return 0;
	}
	size_t cap = 1024;
	while (cap < 2 * npost)
		cap *= 2;
	if (cap > sc->hcap) {
		free(sc->hkey);
		free(sc->hval);
		sc->hkey = malloc(cap * sizeof *sc->hkey);
		sc->hval = malloc(cap * sizeof *sc->hval);
		sc->hcap = sc->hkey && sc->hval ? cap : 0;
		if (!sc->hcap)
			return -1;
	}
	a->hmask = cap - 1;
	for (size_t i = 0; i <= a->hmask; i++)
		sc->hkey[i] = -1;
	return 0;
}

static int accum_add(accum *a, int64_t rowid, double v)
{
	search_scratch *sc = a->sc;

	if (a->dense) {
		if (sc->acc[rowid] == 0 && touched_push(sc, rowid))
			return -1;
		sc->acc[rowid] += v;
		return 0;
	}
	size_t h = (size_t)((uint64_t)rowid * 0x9E3779B97F4A7C15ull >> 17) & a->hmask;
	while (sc->hkey[h] != rowid) {
		if (sc->hkey[h] == -1) {
			if (touched_push(sc, rowid))
				return -1;
			sc->hkey[h] = rowid;
			sc->hval[h] = 0;
			break;
		}
		h = (h + 1) & a->hmask;
	}
	sc->hval[h] += v;
	return 0;
}

static double accum_get(const accum *a, int64_t rowid)
{
	const search_scratch *sc = a->sc;

	if (a->dense)
		return sc->acc[rowid];
	size_t h = (size_t)((uint64_t)rowid * 0x9E3779B97F4A7C15ull >> 17) & a->hmask;
	while (sc->hkey[h] != rowid)
		h = (h + 1) & a->hmask;
	return sc->hval[h];
}

static void accum_done(accum *a)
{
	search_scratch *sc = a->sc;

	if (a->dense)
		for (size_t i = 0; i < sc->ntouched; i++)
			sc->acc[sc->touched[i]] = 0;
}

typedef struct scored {
	double score;
	int64_t rowid;
} scored;

/* Non-zero when x ranks below y (lower score; on ties, the later rowid). */
static int worse(const scored *x, const scored *y)
{
	return x->score < y->score || (x->score == y->score && x->rowid > y->rowid);
}

static void heap_down(scored *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < n && worse(&h[l], &h[m]))
			m = l;
		if (r < n && worse(&h[r], &h[m]))
			m = r;
		if (m == i)
			return;
		scored t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

static void heap_up(scored *h, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (!worse(&h[i], &h[p]))
			return;
		scored t = h[i];
		h[i] = h[p];
		h[p] = t;
		i = p;
	}
}

static int cmp_scored(const void *a, const void *b)
{
	const scored *x = a, *y = b;
	return worse(x, y) ? 1 : worse(y, x) ? -1 : 0;
}

/* The postings of some of the query's terms, gathered on one connection. */
typedef struct part {
	rank_state rs;
	termlist terms;   /* the terms, in the order of the FTS5 expression */
	dbuf fts;         /* that expression */
} part;

/* One query term's postings as the scoring reads them: an entry of the
 * posting cache (rowids and factors), or a phrase just walked, in a part's
 * scratch buffers (rowids and term frequencies). */
typedef struct term_view {
	const char *word;       /* the query's word (NULL: FTS5 made phrases of
	                           its own of the words, see postings) */
	int qtf;
	int order;              /* the term's place in the query: scores add up
	                           in that order, whatever the cache held */
	size_t n;
	const post_entry *entry;
	const int64_t *rowid;   /* without an entry: ascending */
	const uint16_t *tf;
} term_view;

/* The largest rowid of a view; 0 when it has none. */
static int64_t view_last(const term_view *v)
{
	return v->entry ? v->entry->last : v->n ? v->rowid[v->n - 1] : 0;
}

/* The chunk_stats entry of rowid (0: no such chunk), its block loaded on
 * first use. */
static inline int cstat_at(store *s, int64_t rowid, uint32_t *e)
{
	int64_t b = rowid >> CSTAT_SHIFT;
	int rc;

	*e = 0;
	if (b < 0)
		return 0;
	if (((size_t)b >= s->ncache || !s->cache[b]) && (rc = cache_load(s, (size_t)b)) != 0)
		return rc;
	*e = s->cache[b][rowid & (CSTAT_PER_BLOCK - 1)];
	return 0;
}

/* BM25 without the term's weight: the text's saturation plus the
 * context's, weighted. A posting scores w * factor, w = idf * qtf * (k1 + 1). */
typedef struct bm25 {
	double k1;
	double c0, c1;        /* length normalisation: c0 + c1 * dl = k1 (1 - b + b dl / avgdl) */
	double cw, kc;        /* the context's weight and its constant */
} bm25;

static bm25 bm25_make(const store_search_params *p, double avgdl)
{
	double k1 = p->k1, b = p->b;
	return (bm25){ k1, k1 * (1 - b), k1 * b / avgdl, p->context_weight, k1 * CONTEXT_B };
}

static inline double factor(const bm25 *m, uint16_t packed, uint32_t e)
{
	double tf = TF_TEXT(packed), tc = TF_CONTEXT(packed);
	double f = tf > 0 ? tf / (tf + m->c0 + m->c1 * CSTAT_WORDS(e)) : 0;

	if (tc > 0)
		f += m->cw * tc / (tc + m->kc);
	return f;
}

/* Adds a term's postings of weight w to the dense accumulators, every
 * block of chunk statistics they reach loaded: the hot loop of a search,
 * without a branch on whether a chunk is new (it is often, at random). */
static void add_dense(store *s, const term_view *v, double w, const bm25 *m)
{
	search_scratch *sc = &s->sc;
	double *acc = sc->acc;
	int64_t *touched = sc->touched;
	size_t nt = sc->ntouched;
	uint32_t *const *blocks = s->cache;
	const unsigned char *at = v->entry ? v->entry->data : NULL;
	int64_t rowid = 0;

	for (size_t j = 0; j < v->n; j++) {
		uint16_t tf;
		if (at) {
			at = post_next(at, &rowid, &tf);
		} else {
			rowid = v->rowid[j];
			tf = v->tf[j];
		}
		uint32_t c = blocks[rowid >> CSTAT_SHIFT][rowid & (CSTAT_PER_BLOCK - 1)];
		double old = acc[rowid];
		touched[nt] = rowid;
		nt += old == 0;
		acc[rowid] = old + w * factor(m, tf, c);
	}
	sc->ntouched = nt;
}

/*
 * Scores the query's postings term at a time into accumulators and leaves
 * the best k in top[0..*ntop), best first. Chunks of another collection,
 * or deleted since (still counted in df), are dropped when the top k is
 * picked.
 */
static int score(store *s, const term_view *v, size_t nv, const store_search_params *p,
		 const bm25 *m, double N, uint32_t cid, scored *top, size_t *ntop)
{
	search_scratch *sc = &s->sc; /* the accumulators */
	int64_t max_rowid = 0;
	size_t npost = 0, nh = 0;
	accum a;
	int rc = 0;

	for (size_t i = 0; i < nv; i++) {
		npost += v[i].n;
		if (view_last(&v[i]) > max_rowid)
			max_rowid = view_last(&v[i]);
	}
	if (accum_init(&a, sc, max_rowid, npost))
		return docent_error_set(DOCENT_ENOMEM, "out of memory searching");
	/* with every block of chunk statistics loaded, the hot loop reads
	 * them unchecked: worth it when the postings outnumber the blocks */
	int loaded = a.dense && npost > 4 * ((size_t)(max_rowid >> CSTAT_SHIFT) + 1);
	for (int64_t b = 0; loaded && b <= max_rowid >> CSTAT_SHIFT && rc == 0; b++)
		if ((size_t)b >= s->ncache || !s->cache[b])
			rc = cache_load(s, (size_t)b);
	for (size_t i = 0; i < nv && rc == 0; i++) {
		double df = (double)v[i].n;
		double idf = log(1.0 + (N - df + 0.5) / (df + 0.5));
		double w = idf * v[i].qtf * (m->k1 + 1);
		const unsigned char *at = v[i].entry ? v[i].entry->data : NULL;
		int64_t rowid = 0;
		if (loaded) {
			add_dense(s, &v[i], w, m);
			continue;
		}
		for (size_t j = 0; j < v[i].n; j++) {
			uint16_t tf;
			uint32_t c;
			if (at) {
				at = post_next(at, &rowid, &tf);
			} else {
				rowid = v[i].rowid[j];
				tf = v[i].tf[j];
			}
			if ((rc = cstat_at(s, rowid, &c)) != 0)
				break;
			if (accum_add(&a, rowid, w * factor(m, tf, c))) {
				rc = DOCENT_ENOMEM;
				break;
			}
		}
	}
	for (size_t i = 0; i < sc->ntouched && rc == 0; i++) {
		int64_t id = sc->touched[i];
		scored x = { accum_get(&a, id), id };
		uint32_t c;
		if (a.dense)
			sc->acc[id] = 0; /* cleared while in the cache */
		if (nh == p->k && !worse(&top[0], &x))
			continue;
		if ((rc = cstat_at(s, x.rowid, &c)) != 0 || c == 0 || (cid && CSTAT_CID(c) != cid))
			continue; /* another collection, or since deleted */
		if (nh < p->k) {
			top[nh] = x;
			heap_up(top, nh++);
		} else if (worse(&top[0], &x)) {
			top[0] = x;
			heap_down(top, nh, 0);
		}
	}
	if (rc == 0 && a.dense)
		sc->ntouched = 0; /* every accumulator cleared above */
	accum_done(&a);
	if (rc == DOCENT_ENOMEM)
		return docent_error_set(rc, "out of memory searching");
	if (rc)
		return rc;
	qsort(top, nh, sizeof *top, cmp_scored);
	*ntop = nh;
	return 0;
}

/* ---- hits ---- */

void store_hits_free(store_hit *h, size_t n)
{
	if (!h)
		return;
	for (size_t i = 0; i < n; i++) {
		free(h[i].collection);
		free(h[i].path);
		free(h[i].title);
		free(h[i].heading);
		free(h[i].snippet);
		free(h[i].text);
	}
	free(h);
}

static int col_dup(sqlite3_stmt *st, int i, char **out)
{
	const char *t = (const char *)sqlite3_column_text(st, i);
	*out = NULL;
	if (!t)
		return 0;
	*out = strdup(t);
	return *out ? 0 : DOCENT_ENOMEM;
}

/* The first n words of text, with an ellipsis when there is more. */
static char *first_words(const char *text, int n)
{
	const char *p = text;
	int words = 0, in_word = 0;

	for (; *p; p++) {
		int space = *p == ' ' || *p == '\n' || *p == '\t';
		if (!space && !in_word && ++words > n)
			break;
		in_word = !space;
	}
	while (p > text && (p[-1] == ' ' || p[-1] == '\n' || p[-1] == '\t'))
		p--;
	size_t len = (size_t)(p - text);
	char *out = malloc(len + sizeof "\xe2\x80\xa6");
	if (out) {
		memcpy(out, text, len);
		strcpy(out + len, text[len] ? "\xe2\x80\xa6" : "");
	}
	return out;
}

/* Fills h from the chunk's rows, with a snippet marking the query terms
 * q finds in its text (q NULL, or none there: its first words); 1 when the
 * chunk is not there (any more) or belongs to another collection than cid
 * (0: any). */
static int hit_fetch(store *s, snippet_query *q, const store_search_params *p, int64_t cid,
		     const scored *x, store_hit *h)
{
	sqlite3_stmt *st;
	int rc = store_prep(s, ST_HIT,
		"SELECT ch.text, ch.start_byte, ch.end_byte, ch.page_start, ch.page_end, "
		"ch.heading, ct.title, col.name, d.id, d.path "
		"FROM chunks ch JOIN contents ct ON ct.id = ch.content_id "
		"JOIN collections col ON col.id = ct.collection_id "
		"LEFT JOIN documents d ON d.id = (SELECT id FROM documents dd "
		"  WHERE dd.content_id = ct.id ORDER BY dd.status <> 'ok', dd.id LIMIT 1) "
		"WHERE ch.id = ?1 AND (?2 = 0 OR ct.collection_id = ?2)", &st);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, x->rowid);
	sqlite3_bind_int64(st, 2, cid);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return 1;
	}
	if (rc != SQLITE_ROW) {
		rc = store_err(s, rc, "reading a search hit");
		sqlite3_reset(st);
		return rc;
	}
	h->chunk_id = x->rowid;
	h->score = x->score;
	h->start_byte = sqlite3_column_int64(st, 1);
	h->end_byte = sqlite3_column_int64(st, 2);
	h->page_start = sqlite3_column_int(st, 3);
	h->page_end = sqlite3_column_int(st, 4);
	h->doc_id = sqlite3_column_int64(st, 8);
	rc = col_dup(st, 0, &h->text) || col_dup(st, 5, &h->heading) ||
	     col_dup(st, 6, &h->title) || col_dup(st, 7, &h->collection) ||
	     col_dup(st, 9, &h->path);
	sqlite3_reset(st);
	if (rc)
		return docent_error_set(DOCENT_ENOMEM, "out of memory reading search hits");

	int ntok = p->snippet_tokens > 0 ? p->snippet_tokens : DEFAULT_SNIPPET_TOKENS;
	if (q && h->text &&
	    (rc = snippet_query_make(q, h->text, strlen(h->text), p->mark_open ? p->mark_open : "[",
				     p->mark_close ? p->mark_close : "]", ntok > 64 ? 64 : ntok,
				     &h->snippet)) != 0)
		return rc;
	if (!h->snippet && h->text && !(h->snippet = first_words(h->text, ntok)))
		return docent_error_set(DOCENT_ENOMEM, "out of memory reading search hits");
	return 0;
}

/* ---- search ---- */

/* Runs docent_rank over `fts` with a prepared rank statement; SQLite rc. */
static int rank_step(sqlite3_stmt *st, const char *fts, rank_state *rs)
{
	int rc;

	sqlite3_bind_text(st, 1, fts, -1, SQLITE_STATIC);
	sqlite3_bind_pointer(st, 2, rs, RANK_PTR_TYPE, NULL);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		rc = SQLITE_OK;
	sqlite3_reset(st);
	sqlite3_bind_null(st, 2);
	return rc;
}

/* The second thread: half of the terms, on the second connection. */
typedef struct side_job {
	store *s;
	part *pt;
	int rc;
} side_job;

static void *side_run(void *arg)
{
	side_job *j = arg;
	int rc = sqlite3_exec(j->s->db2, "BEGIN", NULL, NULL, NULL);

	if (rc == SQLITE_OK) {
		rc = rank_step(j->s->rank2, j->pt->fts.data, &j->pt->rs);
		sqlite3_exec(j->s->db2, "COMMIT", NULL, NULL, NULL);
	}
	j->rc = rc;
	return NULL;
}

/*
 * Gathers the postings of every term: with two or more terms and the second
 * connection open, both connections run the whole expression and each
 * walks the terms the other has not taken yet, on two threads. Fills
 * parts[0..*nparts). Not while this
 * handle has a transaction of its own open: the second connection could
 * not see its uncommitted writes.
 */
static int gather(store *s, const termlist *terms, int allow_two, int use_context, part parts[2],
		  int *nparts)
{
	sqlite3_stmt *st;
	side_job side = { s, &parts[1], SQLITE_OK };
	atomic_int next = 0;
	pthread_t th;
	int two, started = 0, rc;
	int64_t chunks = 0;

	/* a thread and a second connection pay off only on long postings */
	if (allow_two && terms->n >= 2) {
		rc = store_prep(s, ST_MAX_CHUNK, "SELECT max(id) FROM chunks", &st);
		if (rc)
			return rc;
		if (sqlite3_step(st) == SQLITE_ROW)
			chunks = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
	}
	two = chunks >= PARALLEL_MIN_CHUNKS && second_connection(s);
	rc = store_prep(s, ST_RANK,
		"SELECT docent_rank(chunks_fts, ?2) FROM chunks_fts WHERE chunks_fts MATCH ?1 "
		"LIMIT 1", &st);
	if (rc)
		return rc;
	*nparts = two ? 2 : 1;
	for (int h = 0; h < *nparts; h++) {
		parts[h].rs.sc = h ? &s->sc2 : &s->sc;
		parts[h].rs.sc->npost = 0;
		parts[h].rs.sc->nwalked = 0;
		parts[h].rs.next = two ? &next : NULL;
		parts[h].rs.use_context = use_context;
		if (fts_expr(terms, 0, 1, &parts[h].terms, &parts[h].fts))
			return docent_error_set(DOCENT_ENOMEM, "out of memory searching");
	}
	if (two)
		started = pthread_create(&th, NULL, side_run, &side) == 0;
	rc = rank_step(st, parts[0].fts.data, &parts[0].rs);
	if (two && !started)
		side.rc = rank_step(st, parts[1].fts.data, &parts[1].rs);
	if (started)
		pthread_join(th, NULL);
	for (int h = 0; h < *nparts; h++)
		if (parts[h].rs.nomem)
			return docent_error_set(DOCENT_ENOMEM, "out of memory searching");
	if (rc == SQLITE_OK)
		rc = side.rc;
	if (rc != SQLITE_OK)
		return store_err(s, rc, "searching the keyword index");
	return 0;
}

/*
 * A ranking in progress (store_rank .. store_rank_end): the query, the
 * postings its terms left in the scratch buffers, the query's terms as
 * the snippets look for them (made on the first store_rank_hits), and the
 * read transaction that keeps one snapshot for the ranking and the hits.
 */
typedef struct ranking {
	store_search_params p;
	termlist terms;
	dbuf key;
	termlist miss;          /* the terms the posting cache did not have */
	int miss_at[MAX_TERMS]; /* and their places in terms */
	snippet_query *snip;
	part parts[2];
	int nparts;
	term_view *views;       /* a term's (or FTS5 phrase's) postings each */
	size_t nviews, capviews;
	int64_t nrow, ntokens;  /* chunks and words in the index */
	int64_t cid;
	int own_tx;
} ranking;

static int view_push(ranking *r, term_view v)
{
	if (r->nviews == r->capviews) {
		size_t cap = r->capviews ? 2 * r->capviews : 16;
		term_view *t = realloc(r->views, cap * sizeof *t);
		if (!t)
			return -1;
		r->views = t;
		r->capviews = cap;
	}
	r->views[r->nviews++] = v;
	return 0;
}

/* The cache key of a word: whether hits in the context count (they change
 * which chunks have postings), then the word. */
static const char *term_key(ranking *r, const char *word)
{
	dbuf_reset(&r->key);
	if (dbuf_putc(&r->key, r->p.context_weight > 0 ? 'c' : 't') || dbuf_puts(&r->key, word))
		return NULL;
	return r->key.data;
}

static term_view entry_view(const post_entry *e, const char *word, int qtf, int order)
{
	return (term_view){ .word = word, .qtf = qtf, .order = order, .n = e->n, .entry = e };
}

static int cmp_order(const void *a, const void *b)
{
	const term_view *x = a, *y = b;
	return (x->order > y->order) - (x->order < y->order);
}

/* Caches a phrase just walked under its word; *out the entry (NULL when
 * it is not kept: too big for the budget). */
static int cache_phrase(store *s, ranking *r, const term_view *v, const post_entry **out)
{
	const char *key = term_key(r, v->word);
	post_entry *e;
	int rc;

	*out = NULL;
	if (!key || (rc = post_cache_put(&s->pc, key, v->rowid, v->tf, v->n, &e)) < 0)
		return DOCENT_ENOMEM;
	*out = rc == 0 ? e : NULL;
	return 0;
}

/*
 * Finds every term's postings (r->views), with the chunks and words in the
 * index: from the posting cache when the search reads a snapshot of its
 * own (inside a caller's transaction the index may hold writes that are
 * not committed); the other terms walked through FTS5 (gather), then
 * cached. An entry is a word's postings, so only when FTS5 made one
 * phrase of each word.
 */
static int postings(store *s, ranking *r)
{
	post_cache *pc = &s->pc;
	int cacheable = r->own_tx && pc->max_bytes > 0, rc;

	/* between rankings, when no view points into the cache */
	post_cache_trim(pc);
	for (size_t i = 0; i < r->terms.n; i++) {
		const char *w = r->terms.words.data + r->terms.off[i], *key;
		post_entry *e = NULL;
		if (cacheable && pc->stats_known) {
			if (!(key = term_key(r, w)))
				goto nomem;
			e = post_cache_get(pc, key);
		}
		if (e ? view_push(r, entry_view(e, w, r->terms.qtf[i], (int)i)) != 0
		      : termlist_add(&r->miss, w, strlen(w)) != 0)
			goto nomem;
		if (!e) {
			r->miss.qtf[r->miss.n - 1] = r->terms.qtf[i];
			r->miss_at[r->miss.n - 1] = (int)i;
		}
	}
	r->nrow = pc->nrow;
	r->ntokens = pc->ntokens;
	if (r->miss.n == 0)
		return 0;
	if ((rc = gather(s, &r->miss, r->own_tx, r->p.context_weight > 0, r->parts,
			 &r->nparts)) != 0)
		return rc;
	if (!r->parts[0].rs.called)
		return 0; /* no chunk holds any of them */
	r->nrow = r->parts[0].rs.nrow;
	r->ntokens = r->parts[0].rs.ntokens;
	if (cacheable) {
		pc->nrow = r->nrow;
		pc->ntokens = r->ntokens;
		pc->stats_known = 1;
	}
	for (int h = 0; h < r->nparts; h++) {
		const part *pt = &r->parts[h];
		const search_scratch *sc = pt->rs.sc;
		/* phrases are the terms in order, unless FTS5 saw it otherwise */
		int words = pt->rs.nphrase == (int)pt->terms.n;
		size_t start = 0;
		for (size_t k = 0; k < sc->nwalked; k++) {
			size_t end = sc->phrase_end[k];
			int i = sc->phrase_id[k];
			const char *w = words ? pt->terms.words.data + pt->terms.off[i] : NULL;
			term_view v = { .word = w, .qtf = words ? pt->terms.qtf[i] : 1,
					.order = words ? r->miss_at[i] : MAX_TERMS + i,
					.n = end - start, .rowid = sc->rowid + start,
					.tf = sc->tf + start };
			const post_entry *e = NULL;
			start = end;
			if (cacheable && w && (rc = cache_phrase(s, r, &v, &e)) != 0)
				return rc == DOCENT_ENOMEM ? docent_error_set(rc, "out of memory searching") : rc;
			if (view_push(r, e ? entry_view(e, w, v.qtf, v.order) : v))
				goto nomem;
		}
	}
	qsort(r->views, r->nviews, sizeof *r->views, cmp_order);
	return 0;
nomem:
	return docent_error_set(DOCENT_ENOMEM, "out of memory searching");
}

void store_rank_end(store *s)
{
	ranking *r = s->ranking;

	if (!r)
		return;
	if (r->own_tx)
		sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	if (s->sc.cappost > (1u << 22)) {
		/* do not keep the buffers of one huge query forever */
		free(s->sc.rowid);
		free(s->sc.tf);
		s->sc.rowid = NULL;
		s->sc.tf = NULL;
		s->sc.cappost = 0;
	}
	s->sc.npost = 0;
	s->sc2.npost = 0;
	for (int h = 0; h < 2; h++) {
		dbuf_free(&r->parts[h].terms.words);
		dbuf_free(&r->parts[h].fts);
	}
	dbuf_free(&r->terms.words);
	dbuf_free(&r->miss.words);
	dbuf_free(&r->key);
	free(r->views);
	snippet_query_free(r->snip);
	free(r);
	s->ranking = NULL;
}

int store_rank(store *s, const char *query, const store_search_params *params, int64_t *ids,
	       double *scores, size_t *n)
{
	ranking *r;
	scored *top = NULL;
	size_t ntop = 0;
	int rc;

	*n = 0;
	store_rank_end(s);
	if (!(r = calloc(1, sizeof *r)))
		return docent_error_set(DOCENT_ENOMEM, "out of memory searching");
	r->p = params ? *params : store_search_default_params();
	if (r->p.k > MAX_K)
		r->p.k = MAX_K;
	s->ranking = r;
	if (!(r->p.k1 >= 0) || !(r->p.b >= 0 && r->p.b <= 1)) {
		rc = docent_error_set(DOCENT_EINVAL, "BM25 needs k1 >= 0 and b between 0 and 1 "
				      "(got k1 = %g, b = %g)", r->p.k1, r->p.b);
		goto fail;
	}
	if (!(r->p.context_weight >= 0 && r->p.context_weight <= 16)) {
		rc = docent_error_set(DOCENT_EINVAL, "the weight of title and heading words must "
				      "be between 0 and 16 (got %g)", r->p.context_weight);
		goto fail;
	}
	if ((rc = query_build(query ? query : "", &r->terms, NULL)) != 0)
		goto fail;
	if (r->p.collection) {
		rc = store_coll_find(s, r->p.collection, &r->cid);
		if (rc == DOCENT_ENOTFOUND)
			rc = docent_error_set(rc, "no collection named '%s'; `docent collections` "
					      "lists them", r->p.collection);
		if (rc)
			goto fail;
	}
	/* one snapshot for postings, chunk statistics and hit details */
	if (sqlite3_get_autocommit(s->db)) {
		rc = sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL);
		if (rc != SQLITE_OK) {
			rc = store_err(s, rc, "starting a search");
			goto fail;
		}
		r->own_tx = 1;
	}
	/* No query words: nothing to search for. k = 0: no ranking wanted,
	 * only hits (store_rank_hits). */
	if (r->terms.n == 0 || r->p.k == 0)
		return 0;
	if ((rc = register_rank(s)) != 0 || (rc = cache_check(s)) != 0 ||
	    (rc = postings(s, r)) != 0)
		goto fail;
	if (r->nviews == 0)
		return 0;
	bm25 m = bm25_make(&r->p, r->nrow > 0 && r->ntokens > 0 ?
				      (double)r->ntokens / (double)r->nrow : 1.0);
	if (!(top = malloc(r->p.k * sizeof *top))) {
		rc = docent_error_set(DOCENT_ENOMEM, "out of memory searching");
		goto fail;
	}
	rc = score(s, r->views, r->nviews, &r->p, &m, (double)r->nrow,
		   (uint32_t)CSTAT_PACK(0, (uint64_t)r->cid) >> 16, top, &ntop);
	if (rc)
		goto fail;
	for (size_t i = 0; i < ntop; i++) {
		ids[i] = top[i].rowid;
		scores[i] = top[i].score;
	}
	*n = ntop;
	free(top);
	return 0;
fail:
	free(top);
	store_rank_end(s);
	return rc;
}

/* Tokenizes the query's terms for the snippets of r's hits (r->snip). */
static int snippet_start(store *s, ranking *r)
{
	const char *terms[MAX_TERMS];
	int rc = register_rank(s);

	for (size_t i = 0; i < r->terms.n; i++)
		terms[i] = r->terms.words.data + r->terms.off[i];
	return rc ? rc : snippet_query_new(s->fts5, s->tokenizer, terms, r->terms.n, &r->snip);
}

int store_rank_hits(store *s, const int64_t *ids, size_t n, store_hit **out, size_t *nout)
{
	ranking *r = s->ranking;
	store_hit *hits = NULL;
	size_t nh = 0;
	int rc = 0;

	*out = NULL;
	*nout = 0;
	if (!r)
		return docent_error_set(DOCENT_EINVAL, "store_rank_hits needs store_rank first");
	if (n == 0)
		return 0;
	if (!(hits = calloc(n, sizeof *hits)))
		return docent_error_set(DOCENT_ENOMEM, "out of memory reading search hits");
	if (r->terms.n && !r->snip && (rc = snippet_start(s, r)) != 0) {
		free(hits);
		return rc;
	}
	for (size_t i = 0; i < n; i++) {
		scored x = { 0, ids[i] };
		rc = hit_fetch(s, r->snip, &r->p, r->cid, &x, &hits[nh]);
		if (rc == 1) { /* gone, or in another collection */
			memset(&hits[nh], 0, sizeof hits[nh]);
			rc = 0;
			continue;
		}
		nh++;
		if (rc)
			break;
	}
	if (rc || nh == 0) {
		store_hits_free(hits, nh);
		return rc;
	}
	*out = hits;
	*nout = nh;
	return 0;
}

int store_search(store *s, const char *query, const store_search_params *params,
		 store_hit **out, size_t *n)
{
	size_t k = params ? params->k : store_search_default_params().k;
	int64_t *ids;
	double *scores;
	size_t nids = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (k == 0)
		return 0;
	if (k > MAX_K)
		k = MAX_K;
	ids = malloc(k * sizeof *ids);
	scores = malloc(k * sizeof *scores);
	if (!ids || !scores) {
		free(ids);
		free(scores);
		return docent_error_set(DOCENT_ENOMEM, "out of memory searching");
	}
	rc = store_rank(s, query, params, ids, scores, &nids);
	if (rc == 0)
		rc = store_rank_hits(s, ids, nids, out, n);
	store_rank_end(s);
	/* hits come back in the order asked, less any chunk deleted since */
	for (size_t i = 0, j = 0; rc == 0 && i < *n; i++) {
		while (ids[j] != (*out)[i].chunk_id)
			j++;
		(*out)[i].score = (*out)[i].keyword_score = scores[j];
		(*out)[i].rank = (*out)[i].keyword_rank = (int)i + 1;
	}
	free(ids);
	free(scores);
	return rc;
}
