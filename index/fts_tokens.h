/*
 * fts_tokens.h - chunk text tokenized ahead of time for the FTS5 index,
 * on ingestion's worker threads (internal to docent: ingest/ and index/).
 *
 * The writing thread is ingestion's bottleneck, and a quarter of its FTS5
 * work is tokenizing (unicode61 + porter). So each worker runs its own
 * instance of the database's tokenizer over the chunks of its documents
 * and keeps the tokens in compact records; the store queues the records of
 * the chunks it inserts, and when FTS5 indexes those chunks (fts_flush in
 * store.c) a tokenizer registered as "porter" on the store's connection
 * replays them, in insert order, instead of tokenizing again.
 *
 * The index stays byte for byte what the built-in tokenizer makes: each
 * record carries its text's length and a hash, and a chunk whose record is
 * missing or does not match is tokenized as usual (a record that matches
 * but whose tokens do not fit the text is a bug: the write fails, with
 * SQLITE_CORRUPT inside, rather than index them). Everything else (query
 * parsing, the 'delete' command, snippets, integrity checks, other
 * connections and the sqlite3 shell) uses the built-in "porter", and the
 * database's tokenize= string does not change.
 *
 * A record, one per chunk:
 *     varint  text length + 1 (0: no tokens, tokenize the chunk)
 *     8 bytes fts_tokens_hash() of the text, in the machine's byte order
 *     varint  size of the token list in bytes
 *     tokens: varint gap from the previous token's end to this one's start,
 *             varint length of its span of text, varint bytes of the token
 *             equal to the start of that span (porter lower-cases and cuts
 *             suffixes, so usually all of it), varint bytes that follow,
 *             then those bytes
 * About 0.7 byte per byte of English text.
 */
#ifndef DOCENT_INDEX_FTS_TOKENS_H
#define DOCENT_INDEX_FTS_TOKENS_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "index/store.h"

/* One instance of the database's tokenizer, for one thread at a time. */
typedef struct fts_tokenizer fts_tokenizer;

/*
 * Makes a tokenizer that writes records for store `s`'s index. Sets *out
 * to NULL (and returns 0) when the store cannot replay records: a
 * read-only store, or a tokenize= string other than "porter" followed by
 * plain words. Call it on the thread that uses `s`, while no other thread
 * does; the tokenizer may then be used on any one thread, until
 * fts_tokenizer_free() (again on the store's thread, before store_close).
 * Returns 0 or a DOCENT_E* code with a message.
 */
int fts_tokenizer_new(store *s, fts_tokenizer **out);
void fts_tokenizer_free(fts_tokenizer *t);

/*
 * Appends to `out` the record of text[0..len). When the text cannot be
 * recorded (too long, unusual tokens), appends a record that says so, and
 * still returns 0: the chunk is then tokenized when indexed. Returns
 * DOCENT_ENOMEM (with a message) when out of memory; `out` may then hold
 * part of a record and must not be used.
 */
int fts_tokenizer_run(fts_tokenizer *t, const char *text, size_t len, dbuf *out);

/*
 * store_doc_put() with the records of the document's chunks, two per
 * chunk in order (its text's, then its store_chunk_context()'s: the
 * order of the index's columns), end to end in records[0..len) (borrowed until it
 * returns; the store copies those of the chunks it inserts). NULL records
 * are allowed: the chunks are then tokenized when indexed.
 */
int store_doc_put_tokens(store *s, int64_t collection_id, const store_doc_in *in,
			 const void *records, size_t len, store_put_result *out);

/* The 64-bit hash records carry: fast, not cryptographic. */
uint64_t fts_tokens_hash(const char *text, size_t len);

/* Chunks the store's index replayed from records, and chunks it
 * tokenized while records were queued, since the store was opened
 * (for tests and measurements). */
void store_fts_tokens_stats(const store *s, uint64_t *replayed, uint64_t *tokenized);

#endif
