/*
 * store_int.h - internals shared by store.c (connection, collections,
 * documents), schema.c (schema and migrations) and search.c (BM25 keyword
 * search). Not part of the public contract; see store.h for that.
 *
 * Three things live here besides the handle itself:
 *   - the cache of prepared statements: every statement is prepared once per
 *     handle, on first use, and found again by its enum id;
 *   - the mapping of SQLite result codes to DOCENT_E* codes and messages;
 *   - chunk_stats, the per-chunk length and collection table that BM25 reads
 *     instead of FTS5's docsize table. One row ("block") covers 1024 chunk
 *     rowids: block = rowid >> 10, and its blob holds 1024 little-endian
 *     uint32 entries, (collection_id capped at 65535) << 16 | (nwords capped
 *     at 65535). An entry of 0 words means "no chunk at this rowid".
 *     Writers collect changed blocks in a write set during a transaction and
 *     flush them just before COMMIT; searches keep a lazily filled read cache
 *     that is dropped when another connection changes the database.
 */
#ifndef DOCENT_INDEX_STORE_INT_H
#define DOCENT_INDEX_STORE_INT_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "index/postcache.h"
#include "index/store.h"

#define STORE_VERSION_STRING "0.1.0"
#define STORE_DEFAULT_TOKENIZER "porter unicode61 remove_diacritics 2"

#define CSTAT_SHIFT 10
#define CSTAT_PER_BLOCK (1 << CSTAT_SHIFT)
#define CSTAT_BLOB_BYTES (CSTAT_PER_BLOCK * 4)
#define CSTAT_MAX 65535u

/* Packs and unpacks one chunk_stats entry. */
#define CSTAT_PACK(nwords, cid) \
	((uint32_t)((cid) > CSTAT_MAX ? CSTAT_MAX : (cid)) << 16 | \
	 (uint32_t)((nwords) > CSTAT_MAX ? CSTAT_MAX : (nwords)))
#define CSTAT_WORDS(e) ((e) & 0xFFFFu)
#define CSTAT_CID(e) ((e) >> 16)

/* Statement ids for the per-handle cache (see store_prep). */
enum store_stmt_id {
	ST_BEGIN, ST_COMMIT, ST_ROLLBACK,
	ST_COLL_GET, ST_COLL_INSERT, ST_COLL_DELETE, ST_COLL_CHUNK_IDS,
	ST_COLL_DEL_CHUNKS, ST_COLL_DEL_DOCS, ST_COLL_DEL_CONTENTS,
	ST_DOC_LOOKUP, ST_DOC_STATE, ST_DOC_INSERT, ST_DOC_UPDATE, ST_DOC_TOUCH,
	ST_DOC_FAIL_INSERT, ST_DOC_FAIL_UPDATE, ST_DOC_DELETE, ST_DOC_BY_ID,
	ST_DOC_DUP,
	ST_CONTENT_FIND, ST_CONTENT_INSERT, ST_CONTENT_USED, ST_CONTENT_CHUNK_IDS,
	ST_CONTENT_DEL_CHUNKS, ST_CONTENT_DELETE,
	ST_CHUNK_INSERT, ST_CHUNK_FTS, ST_CHUNK_MAX_ID, ST_FTS_CONFIG_GET, ST_FTS_CONFIG_SET,
	ST_META_UNMERGED_SET,
	ST_CSTAT_GET, ST_CSTAT_PUT, ST_CSTAT_DEL,
	ST_DATA_VERSION, ST_RANK, ST_HIT, ST_MAX_CHUNK,
	ST_EMB_PUT, ST_EMB_DEL, ST_COLL_MODEL_GET, ST_COLL_MODEL_SET,
	ST_CHUNKS_TO_EMBED, ST_CHUNKS_UNEMBEDDED, ST_VEC_TOTALS, ST_VEC_SAVED, ST_VEC_REMOVED,
	ST_CONTENT_REFRESH, ST_CONTENT_CHUNKS, ST_CHUNK_ORD_AWAY, ST_CHUNK_MOVE, ST_CHUNK_STALE_IDS,
	ST_CHUNK_DEL_STALE, ST_EMB_GET, ST_COLL_LIST, ST_COLL_LIST_BRIEF,
	ST_COUNT
};

/* One chunk_stats block being changed by the current transaction. */
typedef struct cstat_block {
	int64_t block;
	uint32_t e[CSTAT_PER_BLOCK];
} cstat_block;

/* Reusable buffers of the keyword search (search.c), kept between queries. */
typedef struct search_scratch {
	int64_t *rowid;      /* postings of all phrases, end to end */
	uint16_t *tf;
	size_t npost, cappost;
	size_t *phrase_end;  /* postings of the k-th phrase walked end at phrase_end[k] */
	int *phrase_id;      /* and it is phrase phrase_id[k] of the expression */
	size_t nwalked;      /* phrases walked on this scratch's connection */
	size_t capphrase;
	double *acc;         /* dense accumulators indexed by rowid */
	size_t capacc;
	int64_t *touched;    /* rowids with a non-zero accumulator */
	size_t ntouched, captouched;
	int64_t *hkey;       /* open-addressing accumulators for large rowids */
	double *hval;
	size_t hcap;
} search_scratch;

struct store {
	sqlite3 *db;
	char *path;
	int readonly;
	char tokenizer[128];
	sqlite3_stmt *stmt[ST_COUNT];
	int in_tx;
	int in_batch;   /* inside store_batch_begin() .. store_batch_commit() */
	int batch_lost; /* a write failed and rolled the open batch back */
	int64_t fts_pending; /* first chunk id not yet in chunks_fts; 0: none */
	size_t fts_pending_bytes; /* their text */
	int64_t chunks_written; /* by this handle, for the merge at close */
	int64_t chunks_before;  /* highest chunk id when it began writing; -1: not read yet */
	int merge_paused;       /* the open batch turned FTS5's merging down (store.c) */
	int64_t merge_saved[2]; /* the stored settings, restored before it commits */

	/* chunks tokenized ahead (fts_tokens.h); NULL when not registered */
	struct fts_replay *replay;
	const void *doc_tokens; /* the records of the store_doc_put under way */
	size_t doc_tokens_len;

	/* chunk_stats write set of the open transaction */
	cstat_block *wset;
	size_t nwset, capwset;

	/* chunk_stats read cache: cache[b] is block b or NULL when not loaded */
	uint32_t **cache;
	size_t ncache;
	int64_t data_version;  /* PRAGMA data_version when the cache was filled */
	post_cache pc;         /* postings walked by earlier searches (postcache.h) */

	void *fts5;            /* fts5_api *, once docent_rank is registered */
	void *ranking;         /* the ranking between store_rank and store_rank_end */
	/* A second, read-only connection: searches walk half of the query's
	 * terms on it, on a second thread (see search.c). NULL until the first
	 * search; left NULL when it cannot be opened (then one thread does all). */
	sqlite3 *db2;
	sqlite3_stmt *rank2;
	search_scratch sc2;
	int db2_failed;
	search_scratch sc;
};

/*
 * fts_tokens.c: the "porter" that replays chunks tokenized ahead (see
 * fts_tokens.h). Registered on a connection before FTS5 opens a table
 * there; the connection owns it (*out is valid until it closes).
 * set_args gives it the database's tokenize= string. The store queues two
 * records for each chunk it inserts (text, context), in insert order
 * (empty ones, `nrecords` of them, when it has none), arms the replay just before its INSERT ... SELECT indexes
 * those chunks, and clears the queue after that statement or a rollback.
 * register returns an SQLite code, set_args and queue 0 or DOCENT_ENOMEM.
 */
typedef struct fts_replay fts_replay;
int fts_replay_register(sqlite3 *db, fts_replay **out);
int fts_replay_set_args(fts_replay *r, const char *tokenize);
int fts_replay_queue(fts_replay *r, const void *records, size_t len, size_t nrecords);
void fts_replay_arm(fts_replay *r);
void fts_replay_clear(fts_replay *r);

/* The SQL of migration step `step` (version step to step + 1), with
 * @TOKENIZE@ unexpanded; NULL past the last. For tests of the migrations. */
const char *store_migration_sql(int step);

/* Returns in *out the cached statement `id`, prepared from `sql` on first
 * use and reset. Returns 0 or a DOCENT_E* code with a message. */
int store_prep(store *s, enum store_stmt_id id, const char *sql, sqlite3_stmt **out);

/* PRAGMA data_version through a cached statement: it moves when another
 * connection commits. 0 or a DOCENT_E* code. */
int store_data_version(store *s, int64_t *out);

/* Turns an SQLite result code into a DOCENT_E* code with a message that
 * names the database file, says what `what` was doing, and quotes
 * sqlite3_errmsg(). Resets nothing. */
int store_err(store *s, int rc, const char *what);

/* Transactions: BEGIN IMMEDIATE; commit flushes the chunk_stats write set
 * first; rollback discards it. store_tx_rollback never fails (it keeps the
 * current error message). */
int store_tx_begin(store *s);
int store_exec_stmt(store *s, sqlite3_stmt *st, const char *what); /* steps to done, resets */
int store_tx_commit(store *s);
void store_tx_rollback(store *s);

/* The id of collection `name`; DOCENT_ENOTFOUND without a message when
 * there is none. */
int store_coll_find(store *s, const char *name, int64_t *out);

/* Frees the chunk_stats read cache (search.c). */
void store_cache_clear(store *s);

/* stopwords.c: non-zero when w[0..n) (case-folded) is an English stop word. */
int store_is_stopword(const char *w, size_t n);
void store_search_scratch_free(search_scratch *sc);
/* The FTS5 expression a keyword search of `query` (NUL-terminated) runs:
 * its words, case-folded and quoted, joined by OR. Appends to fts (empty
 * when the query has no words); 0 or DOCENT_ENOMEM. For the fuzzer. */
int store_query_fts(const char *query, dbuf *fts);

/* schema.c: the version this build writes, and the forward migration of
 * the open database (creating version 1 on an empty file). */
int store_schema_migrate(store *s, const char *tokenizer);
int store_user_version(store *s, int *out);

#endif
