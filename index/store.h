/*
 * store.h - the SQLite store: docent's source of truth.
 *
 * One database file per data directory holds collections, documents, their
 * stored contents, chunks and an FTS5 keyword index over chunk text. The
 * model:
 *
 *   collections  name, created_at, embedding model and dimension, vector totals
 *   documents    one per source path in a collection: size, mtime, content
 *                hash, status ("ok" or "error"), error message, and the
 *                content it points to. What users call a document.
 *   contents     one per distinct text in a collection (SHA-256 of the file's
 *                bytes): title, format, pages. Two paths with identical bytes
 *                share one content, so its chunks are stored once.
 *   chunks       content, ordinal, text, byte range in the extracted text,
 *                page range, heading path, token count, and its context
 *                (store_chunk_context(): title and heading path).
 *   chunks_fts   FTS5, external content over chunks.text and chunks.context
 *                (text stored once; the context is searched, weighted, with
 *                the text, but the text alone makes snippets and offsets).
 *   conversations, messages  stored chats (docent chat, the web UI): see
 *                "conversations" below.
 *   summary_cache  partial summaries keyed by input, model, prompt, length.
 *
 * Writes of one document happen in one transaction (store_doc_put), so a
 * crash never leaves half a document. The database runs in WAL mode with
 * foreign keys on and a busy timeout; schema changes are forward migrations
 * keyed by PRAGMA user_version, and a database from a newer docent is refused.
 *
 * Ownership: a store handle owns its connection; result arrays are owned by
 * the caller and freed with the matching *_free(). A store handle is used by
 * one thread at a time.
 */
#ifndef DOCENT_INDEX_STORE_H
#define DOCENT_INDEX_STORE_H

#include <stddef.h>
#include <stdint.h>

typedef struct store store;

typedef struct store_params {
	int create;             /* create the file and schema when missing (default 1) */
	int readonly;           /* open read-only (default 0) */
	const char *tokenizer;  /* FTS5 tokenize= for a new database
	                           (default "porter unicode61 remove_diacritics 2");
	                           an existing database keeps the one it was made with */
	int busy_timeout_ms;    /* default 5000 */
	size_t search_cache_bytes; /* keyword postings kept between searches
	                              (default 32 MiB; 0: none) */
} store_params;

store_params store_default_params(void);

/*
 * Opens (and with params.create, creates) the database at `path`, migrating
 * its schema forward. Returns DOCENT_ENOTFOUND when missing and not
 * creating, DOCENT_ESCHEMA when written by a newer docent, DOCENT_EDB
 * otherwise. On success *out is a handle the caller closes with store_close().
 */
int store_open(store **out, const char *path, const store_params *params);
void store_close(store *s);

/* The database file's path, as given to store_open (borrowed). */
const char *store_path(const store *s);

/* The schema version this build writes, and the one the open file has. */
int store_schema_version(void);

/* ---- collections ---- */

typedef struct store_collection {
	int64_t id;
	char *name;
	int64_t created_at;  /* unix seconds */
	int64_t ndocs;       /* documents (paths), failed ones included */
	int64_t nchunks;
	int64_t text_bytes;  /* extracted text bytes of its contents */
	char *embed_model;   /* the model of its vectors, or NULL */
	int embed_dim;
	int64_t nvectors;
} store_collection;

/* Finds the collection `name`; with `create`, makes it when missing.
 * Returns DOCENT_ENOTFOUND (message says how to create it) otherwise. */
int store_collection_id(store *s, const char *name, int create, int64_t *out);
int store_collection_create(store *s, const char *name); /* DOCENT_EEXIST if there */
/* Removes a collection with all its documents and chunks. */
int store_collection_remove(store *s, const char *name);
int store_collection_list(store *s, store_collection **out, size_t *n);
/* The same without the document, chunk and byte counts (left 0), which
 * take a scan of each collection: for every search. */
int store_collection_names(store *s, store_collection **out, size_t *n);

/* A number that stays the same as long as the database does: any commit,
 * by this connection or another process, changes it. For caches of what
 * was read (the web server's check of the collections' vectors). One
 * small read. */
int store_change_counter(store *s, uint64_t *out);
void store_collection_list_free(store_collection *c, size_t n);

/* ---- documents ---- */

/* What the store knows of one path, for the incremental check. */
typedef struct store_doc_state {
	int64_t id;          /* 0 when the path is not in the collection */
	int64_t size;
	int64_t mtime_ns;
	char hash[65];       /* "" when the last ingest failed before hashing */
	int ok;              /* non-zero when status is "ok" */
} store_doc_state;

int store_doc_state_get(store *s, int64_t collection_id, const char *path, store_doc_state *out);

/*
 * What is indexed with a chunk besides its text (schema 4): the document's
 * title and the chunk's heading path, "Title > Part > Section", the title
 * left out when the path already starts with it. Keyword search finds a
 * chunk by these words (weighted, see search.c) and embeddings read them
 * before the text, while the chunk's stored text stays a slice of the
 * document. Either may be NULL. Returns a string the caller frees ("" when
 * there is neither), or NULL when out of memory.
 */
char *store_chunk_context(const char *title, const char *heading);

/* One chunk to write. Borrowed by store_doc_put for the call only. */
typedef struct store_chunk_in {
	const char *text;
	size_t len;
	size_t start_byte, end_byte; /* range in the extracted text */
	int page_start, page_end;    /* 0 when no pages */
	const char *heading;         /* "Part > Section", or NULL */
	size_t ntokens;
	size_t nwords;               /* text_count_words() of the text; 0: the store counts */
} store_chunk_in;

typedef struct store_doc_in {
	const char *path;   /* absolute path or URI: the document's key in its collection */
	int64_t size;
	int64_t mtime_ns;
	const char *hash;   /* SHA-256 hex of the file's bytes */
	/* The content. When `chunks` is NULL the content must already be stored
	 * under `hash` in this collection (a duplicate), and nothing else is read. */
	const char *title;
	const char *format;
	int64_t text_bytes;
	int npages;
	const store_chunk_in *chunks;
	size_t nchunks;
	/* With chunks: store them even when content with this hash is stored
	 * (`ingest --force`: cleaning or chunking settings may have changed).
	 * Stored chunks whose text and context are unchanged keep their row,
	 * id and vector; the others are replaced, so only they need embedding. */
	int refresh;
} store_doc_in;

typedef enum store_put_outcome {
	STORE_PUT_ADDED = 1,     /* new path */
	STORE_PUT_UPDATED = 2,   /* path known, content changed (old chunks gone) */
	STORE_PUT_UNCHANGED = 3, /* path known with this same content */
} store_put_outcome;

typedef struct store_put_result {
	store_put_outcome outcome;
	int64_t doc_id;
	size_t chunks_kept; /* refresh: stored chunks kept as they were (with their vectors) */
	char *duplicate_of; /* another path with the same content, or NULL; caller frees */
} store_put_result;

/*
 * Batches: between store_batch_begin() and store_batch_commit() the
 * documents written by store_doc_put/store_doc_fail share one transaction,
 * which is far faster for ingestion (FTS5 writes one index segment per
 * transaction instead of one per document). No document is ever half
 * written: a write that fails rolls the whole batch back, and
 * store_batch_commit() then returns DOCENT_EDB saying so; a crash loses the
 * open batch. Keep batches short (about a second): a batch holds the
 * database's write lock. store_close() rolls an open batch back.
 */
int store_batch_begin(store *s);
int store_batch_commit(store *s);
void store_batch_rollback(store *s);

/* Non-zero when content with this hash is stored in the collection. */
int store_content_exists(store *s, int64_t collection_id, const char *hash);

/*
 * Writes one document in one transaction: the path's row, its content and
 * chunks (or a reference to the stored content), the FTS entries, and the
 * removal of the content it replaced when nothing else points there.
 */
int store_doc_put(store *s, int64_t collection_id, const store_doc_in *in, store_put_result *out);

/*
 * Records that a path could not be ingested, with the message. Content
 * ingested from the path before (a previous good version) stays searchable.
 */
int store_doc_fail(store *s, int64_t collection_id, const char *path, int64_t size,
		   int64_t mtime_ns, const char *error);

typedef struct store_doc {
	int64_t id;
	char *collection;
	char *path;
	char *title;      /* may be NULL */
	char *format;     /* may be NULL for a failed document */
	int64_t size;
	int64_t mtime_ns;
	char *hash;       /* may be NULL */
	int64_t ingested_at;
	char *status;     /* "ok" or "error" */
	char *error;      /* NULL when ok */
	int64_t nchunks;
	int npages;
} store_doc;

/* Lists documents (all collections when `collection` is NULL), by path. */
int store_doc_list(store *s, const char *collection, store_doc **out, size_t *n);
void store_doc_list_free(store_doc *d, size_t n);

/*
 * Removes a document: `key` is a numeric id or a path (absolute, or as
 * given, resolved by the caller). With `collection` NULL any collection
 * matches. Returns DOCENT_ENOTFOUND when nothing matched; *removed counts.
 */
int store_doc_remove(store *s, const char *collection, const char *key, int *removed);

/* Calls fn for every document path in the collection (NULL: all). */
typedef int (*store_path_fn)(void *ctx, int64_t doc_id, const char *path);
int store_doc_foreach(store *s, const char *collection, store_path_fn fn, void *ctx);
int store_doc_remove_id(store *s, int64_t doc_id);

/*
 * Finds one document by `key`: a numeric id, or a path (absolute, or as
 * given, resolved by the caller), in `collection` (NULL: any). On success
 * *out is one store_doc the caller frees with store_doc_list_free(*out, 1).
 * DOCENT_ENOTFOUND when nothing matches, DOCENT_EINVAL (naming the
 * collections) when the path is in several and none was named.
 */
int store_doc_find(store *s, const char *collection, const char *key, store_doc **out);

/* One stored chunk of a document, for reading it in order (summaries). */
typedef struct store_chunk {
	int64_t id;
	int ordinal;             /* 0-based place in the document */
	char *text;
	size_t len;
	int64_t start_byte, end_byte; /* range in the extracted text */
	int page_start, page_end;     /* 0 when no pages */
	char *heading;           /* may be NULL */
	size_t ntokens;          /* as the chunker counted */
} store_chunk;

/* The chunks of a document's content in order; an error document (no
 * content) has none. The caller frees with store_chunks_free(). */
int store_doc_chunks(store *s, int64_t doc_id, store_chunk **out, size_t *n);
void store_chunks_free(store_chunk *c, size_t n);

/* ---- cached summaries (rag/summarize.h) ---- */

/* What a cached summary is keyed by; all four are required. */
typedef struct store_summary_key {
	const char *input_hash;  /* SHA-256 hex over what was summarized */
	const char *model;       /* generator_model_id() */
	const char *prompt_hash; /* SHA-256 hex of the prompt template */
	const char *length;      /* "short", "medium", "long" or a variant */
} store_summary_key;

/* The cached summary for key: *text is a copy the caller frees, or NULL
 * (and 0 returned) when none is cached. */
int store_summary_get(store *s, const store_summary_key *key, char **text);
/* Caches (replacing) the summary for key. */
int store_summary_put(store *s, const store_summary_key *key, const char *text);

/*
 * Merges the keyword index's segments after a large write (an ingest that
 * wrote at least 1000 chunks and a tenth of all chunks through this handle),
 * or when a large write paused FTS5's merging and stopped before this merge
 * (a cancelled or killed ingest), which makes searches two to three times
 * faster; otherwise does nothing. About a second per 100k chunks. A failure
 * costs only speed.
 */
int store_optimize(store *s);

/*
 * store_check_database: the database file is sound (SQLite's full
 * integrity_check: every page, index and constraint; it reads the whole
 * file). store_check_keywords: the keyword index agrees with the chunks
 * (FTS5's integrity-check, comparing it with the chunk texts). Each returns
 * 0, or DOCENT_EDB with a message saying what is wrong and what to do.
 * store_check runs both.
 */
int store_check_database(store *s);
int store_check_keywords(store *s);
int store_check(store *s);

/* ---- embeddings: chunk vectors, the source of truth for FAISS ---- */

/*
 * Records the collection's embedding model and dimension when it has none;
 * the same model again is fine. A different model is refused with
 * DOCENT_EINVAL and a message saying how to re-embed (`docent reindex`).
 */
int store_collection_set_model(store *s, int64_t collection_id, const char *model, int dim);

/* The collection's model (*model NULL when none yet; caller frees) and dim. */
int store_collection_model(store *s, int64_t collection_id, char **model, int *dim);

/* Stores n vectors of dim floats for the given chunks (replacing any), in
 * one transaction (or the open batch). */
int store_embeddings_put(store *s, const int64_t *chunk_ids, const float *vecs, size_t n,
			 int dim);

/* Calls fn for the chunks of the collection without a vector whose id is
 * above `after`, by id, at most `limit` of them (0: all), with the token
 * count the chunker recorded. The text to embed is the chunk's context
 * (store_chunk_context(): "Title > Heading"), a blank line, then its text,
 * so that a passage is placed by the document and section it is in. Page
 * with the last id seen; fn may not write to the store. */
typedef int (*store_chunk_fn)(void *ctx, int64_t chunk_id, const char *text, size_t len,
			      size_t ntokens);
int store_chunks_to_embed(store *s, int64_t collection_id, int64_t after, size_t limit,
			  store_chunk_fn fn, void *ctx);

/* How many chunks of the collection have no vector yet. */
int store_chunks_unembedded(store *s, int64_t collection_id, int64_t *out);

/* Calls fn for every vector of the collection, by chunk id. A non-zero
 * return from fn stops and is returned. */
typedef int (*store_vec_fn)(void *ctx, int64_t chunk_id, const float *vec, int dim);
int store_embeddings_foreach(store *s, int64_t collection_id, store_vec_fn fn, void *ctx);

/* Forgets the collection's vectors and model (before re-embedding). */
int store_embeddings_clear(store *s, int64_t collection_id);

/*
 * Keeping the FAISS file in step (index/vecset.h). Chunk ids are never
 * reused, so a set of vectors is told apart by its count and the sum of its
 * chunk ids. The database keeps both for its vectors (updated by triggers
 * on every write, whoever makes it) and records those of the FAISS file
 * when it was last saved; a difference means the file is stale.
 */
typedef struct store_vec_totals {
	int64_t count, idsum;              /* vectors in the database */
	int saved;                         /* non-zero once a FAISS file was recorded */
	int64_t saved_count, saved_idsum;  /* what that file holds */
} store_vec_totals;

int store_vectors_totals(store *s, int64_t collection_id, store_vec_totals *out);
/* The stored vector of one chunk into vec[dim]: 0, DOCENT_ENOTFOUND (no
 * vector), or DOCENT_EFORMAT (another dimension). */
int store_embedding_get(store *s, int64_t chunk_id, float *vec, int dim);
/* Records what the collection's FAISS file holds now; count < 0 forgets it. */
int store_vectors_saved(store *s, int64_t collection_id, int64_t count, int64_t idsum);
/* The chunk ids of the collection's vectors this handle deleted since the
 * last call (replaced documents, removals), to drop from the FAISS file;
 * the caller frees *ids. */
int store_vectors_removed(store *s, int64_t collection_id, int64_t **ids, size_t *n);

/* ---- statistics ---- */

typedef struct store_stats {
	int64_t collections;
	int64_t documents;
	int64_t failed;
	int64_t contents;
	int64_t chunks;
	int64_t text_bytes;
	int64_t vectors;   /* chunk vectors (embeddings) */
	int64_t db_bytes;  /* database file plus WAL */
	int schema_version;
	char tokenizer[128];
} store_stats;

int store_stats_get(store *s, const char *collection, store_stats *out);

/* ---- keyword search ---- */

typedef struct store_search_params {
	const char *collection; /* NULL: all collections */
	size_t k;               /* number of hits (default 10) */
	double k1, b;           /* BM25 parameters (defaults: tuned, see docs/performance.md) */
	double context_weight;  /* the weight, 0 to 16, of the BM25 of the chunk's
	                           context (title, heading path), added to its text's
	                           (default 0.2: tuned, see docs/performance.md) */
	int snippet_tokens;     /* words in a snippet (default 24) */
	const char *mark_open;  /* around matched terms in snippets (default "[", "]") */
	const char *mark_close;
} store_search_params;

store_search_params store_search_default_params(void);

typedef struct store_hit {
	int64_t chunk_id;
	int64_t doc_id;
	double score;      /* higher is better: BM25 here; the fused score after
	                      rank fusion (rag/retrieve.h) */
	int rank;          /* 1-based */
	/* the hit's place in each ranked list before fusion; 0: not in it */
	int keyword_rank, dense_rank;
	double keyword_score, dense_score; /* BM25, and cosine similarity */
	char *collection;
	char *path;
	char *title;       /* may be NULL */
	int page_start, page_end;
	char *heading;     /* may be NULL */
	char *snippet;     /* with matched terms between mark_open and mark_close */
	char *text;        /* the chunk's text */
	int64_t start_byte, end_byte;
	int duplicates;    /* near-duplicate hits collapsed into this one
	                      (rag/retrieve.h); 0 here */
} store_hit;

/*
 * Ranks chunks for a natural-language query with BM25 over the FTS5 index.
 * Any input is accepted: it is turned into a safe FTS5 query, so no user
 * text can cause an FTS5 syntax error. A query with no searchable words
 * returns no hits. Results are owned by the caller: store_hits_free().
 */
int store_search(store *s, const char *query, const store_search_params *p,
		 store_hit **out, size_t *n);
void store_hits_free(store_hit *h, size_t n);

/*
 * Keyword search in two steps, for rank fusion (rag/retrieve.h):
 * store_rank() ranks (the best p->k chunk ids and BM25 scores, into arrays
 * of p->k) and keeps the query's postings; store_rank_hits() then reads the
 * details of any chunks, ranked or found another way, with snippets marking
 * the query's words each contains (else its first words), in the order
 * asked, leaving out chunks that are gone or outside p->collection (scores
 * and ranks 0, for the caller); with p->k = 0 nothing is ranked, the hits
 * still get their snippets. store_rank_end() lets go. In between, the
 * handle reads one snapshot; one ranking at a time per handle (a new
 * store_rank ends the last). store_search() is these three steps.
 */
int store_rank(store *s, const char *query, const store_search_params *p, int64_t *ids,
	       double *scores, size_t *n);
int store_rank_hits(store *s, const int64_t *chunk_ids, size_t n, store_hit **out,
		    size_t *nout);
void store_rank_end(store *s);

/* Non-zero when w[0..n) (case-folded) is an English stop word: one that
 * keyword search indexes but never searches for. */
int store_is_stopword(const char *w, size_t n);

/* ---- conversations: stored chats (rag/chat.h writes them) ----
 *
 * A conversation is a title (its first question), the collection it asks
 * (NULL: all) and its messages in order: a user message, then the
 * assistant's answer, turn after turn. Times are unix seconds; updated_at
 * is the last message's, so lists put the last used first.
 */

typedef struct store_conv {
	int64_t id;
	char *title;
	char *collection;    /* NULL: all collections */
	int64_t created_at, updated_at;
	int64_t nmessages;
} store_conv;

typedef struct store_conv_msg {
	int ordinal;         /* 0-based, in the conversation (set by the store) */
	char *role;          /* "user" or "assistant" */
	char *content;       /* as shown: the question as asked, the answer */
	char *sent;          /* a question as sent to the model (with its context);
	                        NULL when the model was not asked */
	char *query;         /* a question's retrieval query; may be NULL */
	char *mode;          /* an answer's answer_mode_name(); may be NULL */
	char *citations;     /* an answer's citations, a JSON array of
	                        {n, path, page, heading, start_byte, end_byte}; may be NULL */
	int64_t created_at;  /* set by the store when appended */
} store_conv_msg;

/* Creates a conversation (title and collection copied; collection may be
 * NULL) and writes its id to *id. */
int store_conv_create(store *s, const char *title, const char *collection, int64_t *id);

/* Appends msgs[0..n) after the conversation's last message, in one
 * transaction, and marks it used now (ordinal and created_at of msgs are
 * ignored). DOCENT_ENOTFOUND when there is no conversation `id`. */
int store_conv_append(store *s, int64_t id, const store_conv_msg *msgs, size_t n);

/* Changes the collection a conversation asks (NULL: all). */
int store_conv_set_collection(store *s, int64_t id, const char *collection);

/* One conversation (DOCENT_ENOTFOUND when none has that id); its strings
 * are the caller's, freed with store_conv_clear(). */
int store_conv_get(store *s, int64_t id, store_conv *out);
void store_conv_clear(store_conv *c);

/* All conversations, last used first (within a second, the one with the
 * latest message); caller frees with store_conv_list_free(). */
int store_conv_list(store *s, store_conv **out, size_t *n);
void store_conv_list_free(store_conv *c, size_t n);

/* A conversation's messages in order (DOCENT_ENOTFOUND when there is no
 * conversation `id`); caller frees with store_conv_messages_free(). */
int store_conv_messages(store *s, int64_t id, store_conv_msg **out, size_t *n);
void store_conv_messages_free(store_conv_msg *m, size_t n);

/* Deletes a conversation and its messages; DOCENT_ENOTFOUND when none has
 * that id. */
int store_conv_delete(store *s, int64_t id);

#endif
