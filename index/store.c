/*
 * store.c - the SQLite connection, collections, documents and statistics
 * (see store.h). Schema creation and migrations are in schema.c, keyword
 * search in search.c; store_int.h holds what the three share.
 *
 * Every write that touches chunks runs in one BEGIN IMMEDIATE transaction,
 * keeps the chunk_stats blocks (see store_int.h) in step with the chunks
 * table, and rolls back completely on any error. A content row lives as long
 * as some document points at it: the functions that move or delete document
 * rows release the content they leave behind, explicitly, so that its chunks
 * (and through the triggers, its FTS rows) go with it.
 */
#include "index/store_int.h"
#include "index/fts_tokens.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/text.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

store_params store_default_params(void)
{
	return (store_params){
		.create = 1,
		.readonly = 0,
		.tokenizer = STORE_DEFAULT_TOKENIZER,
		.busy_timeout_ms = 5000,
		.search_cache_bytes = (size_t)32 << 20,
	};
}

/* ---- errors, statements, transactions ---- */

int store_err(store *s, int rc, const char *what)
{
	const char *path = s && s->path ? s->path : "the database";
	const char *msg = s && s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);

	switch (rc & 0xFF) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return docent_error_set(DOCENT_EBUSY,
			"%s is locked by another program while %s (%s); wait for it to "
			"finish (another docent ingest?) and try again", path, what, msg);
	case SQLITE_FULL:
		return docent_error_set(DOCENT_ENOSPC,
			"the disk holding %s is full while %s (%s); free some space and "
			"try again", path, what, msg);
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		return docent_error_set(DOCENT_EDB,
			"%s is not a docent database or is damaged (%s while %s); move "
			"it aside and ingest your documents again", path, msg, what);
	case SQLITE_NOMEM:
		return docent_error_set(DOCENT_ENOMEM, "out of memory while %s (%s)", what, msg);
	case SQLITE_READONLY:
		return docent_error_set(DOCENT_EPERM,
			"%s cannot be written while %s (%s); check its permissions, or "
			"open it without read-only mode", path, what, msg);
	case SQLITE_CANTOPEN:
		return docent_error_set(DOCENT_EIO,
			"cannot open %s (%s); check that its folder exists and is writable",
			path, msg);
	case SQLITE_IOERR:
		return docent_error_set(DOCENT_EIO, "input/output error on %s while %s (%s)",
					path, what, msg);
	default:
		return docent_error_set(DOCENT_EDB, "database %s: %s failed: %s", path, what, msg);
	}
}

int store_prep(store *s, enum store_stmt_id id, const char *sql, sqlite3_stmt **out)
{
	*out = NULL;
	if (!s->stmt[id]) {
		int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
					    &s->stmt[id], NULL);
		if (rc != SQLITE_OK) {
			s->stmt[id] = NULL;
			return store_err(s, rc, "preparing a query");
		}
	}
	sqlite3_reset(s->stmt[id]);
	*out = s->stmt[id];
	return 0;
}

/* Runs a cached statement that returns no rows. */
int store_exec_stmt(store *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : store_err(s, rc, what);
}

static int exec_cached(store *s, enum store_stmt_id id, const char *sql, const char *what)
{
	sqlite3_stmt *st;
	int rc = store_prep(s, id, sql, &st);
	return rc ? rc : store_exec_stmt(s, st, what);
}

/* Chunk text that a batch indexes at a time (see fts_flush), and while
 * merges are paused (see merge_pause): each flush makes an index segment,
 * which costs little then, and smaller flushes keep the writing thread
 * from leaving the workers stalled on their in-flight cap (a 16 MB flush
 * takes 0.3-0.5 s). */
#define FTS_FLUSH_BYTES (16u << 20)
#define FTS_FLUSH_BYTES_BULK (4u << 20)

/* store_optimize() merges the index when the handle wrote at least this
 * many chunks, and a tenth of all. */
#define OPTIMIZE_MIN_CHUNKS 1000

static int fts_flush(store *s);

/*
 * A write is a transaction of its own, or part of the open batch's
 * transaction. Not a savepoint: FTS5 flushes its pending index data at every
 * savepoint, which would undo the gain of batching. So a write that fails
 * inside a batch rolls the whole batch back (store_tx_rollback), and the
 * batch's commit reports it; a crash, likewise, loses the open batch. Either
 * way no document is ever half-written.
 */
int store_tx_begin(store *s)
{
	int rc = s->in_batch ? 0 : exec_cached(s, ST_BEGIN, "BEGIN IMMEDIATE", "starting a write");
	if (rc == 0) {
		s->in_tx = 1;
		if (!s->in_batch)
			s->nwset = 0; /* a batch writes its blocks once, at its commit */
	}
	return rc;
}

static void le_store(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static int cstat_flush(store *s)
{
	unsigned char blob[CSTAT_BLOB_BYTES];
	sqlite3_stmt *st;
	int rc;

	for (size_t i = 0; i < s->nwset; i++) {
		const cstat_block *b = &s->wset[i];
		int any = 0;
		for (size_t j = 0; j < CSTAT_PER_BLOCK; j++) {
			le_store(blob + 4 * j, b->e[j]);
			any |= b->e[j] != 0;
		}
		if (any) {
			rc = store_prep(s, ST_CSTAT_PUT,
				"INSERT OR REPLACE INTO chunk_stats(block, data) VALUES (?1, ?2)", &st);
			if (rc)
				return rc;
			sqlite3_bind_int64(st, 1, b->block);
			sqlite3_bind_blob(st, 2, blob, sizeof blob, SQLITE_STATIC);
		} else {
			rc = store_prep(s, ST_CSTAT_DEL, "DELETE FROM chunk_stats WHERE block = ?1", &st);
			if (rc)
				return rc;
			sqlite3_bind_int64(st, 1, b->block);
		}
		if ((rc = store_exec_stmt(s, st, "writing chunk statistics")) != 0)
			return rc;
	}
	return 0;
}

/* After a commit, the read cache takes the blocks this handle wrote (this
 * connection's own writes do not change PRAGMA data_version). */
static void cstat_publish(store *s)
{
	for (size_t i = 0; i < s->nwset; i++) {
		int64_t b = s->wset[i].block;
		if (b >= 0 && (size_t)b < s->ncache && s->cache[b]) {
			free(s->cache[b]);
			s->cache[b] = NULL; /* reloaded on the next search that needs it */
		}
	}
	s->nwset = 0;
	/* the index changed under the cached postings */
	post_cache_clear(&s->pc);
}

int store_tx_commit(store *s)
{
	/* in a batch the chunk_stats blocks are written once, at its commit */
	int rc;

	if (s->in_batch) {
		s->in_tx = 0;
		return 0;
	}
	rc = cstat_flush(s);
	if (rc == 0)
		rc = exec_cached(s, ST_COMMIT, "COMMIT", "saving changes");
	if (rc) {
		store_tx_rollback(s);
		return rc;
	}
	s->in_tx = 0;
	cstat_publish(s);
	return 0;
}

void store_tx_rollback(store *s)
{
	sqlite3_stmt *st;

	if (!s->in_tx)
		return;
	if (!sqlite3_get_autocommit(s->db) &&
	    store_prep(s, ST_ROLLBACK, "ROLLBACK", &st) == 0) {
		sqlite3_step(st);
		sqlite3_reset(st);
	}
	if (s->in_batch) {
		/* the batch's earlier documents went with it: say so at commit */
		s->in_batch = 0;
		s->batch_lost = 1;
		store_cache_clear(s);
	}
	s->in_tx = 0;
	s->nwset = 0;
	s->fts_pending = 0;
	s->fts_pending_bytes = 0;
	s->merge_paused = 0; /* the rollback took the settings back */
	if (s->replay)
		fts_replay_clear(s->replay);
}

/*
 * FTS5 merges index segments as it writes them ('automerge', and a
 * 'crisismerge' of any level that reaches 16), and store_optimize() merges
 * them all once more at the end of a large ingest: there the first merging
 * is wasted, a fifth of the writing thread's time. So once a handle has
 * written enough for that final merge (store_optimize's test, with the
 * highest chunk id when its first batch began standing in for the count),
 * its batch changes these settings, and store_batch_commit() restores the
 * stored values before it commits: the file never holds the change, and a
 * rollback or a crash drops it with the batch. Smaller writes keep merging
 * as they go, since nothing merges after them. With 4 MB segments a
 * crisis merge then comes every 256 MB of chunk text (FTS5 allows 2000
 * segments in all).
 */
static const struct merge_setting {
	const char *name;
	int64_t bulk;     /* while paused */
	int64_t fts5;     /* FTS5's default, when the table has no value */
} merge_settings[2] = {
	{ "automerge", 0, 4 },
	{ "crisismerge", 64, 16 },
};

static int merge_set(store *s, const char *name, int64_t v)
{
	sqlite3_stmt *st;
	int rc = store_prep(s, ST_FTS_CONFIG_SET,
		"INSERT INTO chunks_fts(chunks_fts, rank) VALUES (?1, ?2)", &st);

	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, v);
	return store_exec_stmt(s, st, "changing the keyword index settings");
}

/* Called at the start of a batch and after each document of it. */
static int merge_pause(store *s)
{
	sqlite3_stmt *st;
	int rc;

	if (s->merge_paused)
		return 0;
	if (s->chunks_before < 0) {
		if ((rc = store_prep(s, ST_CHUNK_MAX_ID, "SELECT max(id) FROM chunks", &st)) != 0)
			return rc;
		rc = sqlite3_step(st);
		s->chunks_before = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
		sqlite3_reset(st);
		if (rc != SQLITE_ROW)
			return store_err(s, rc, "counting chunks");
	}
	if (s->chunks_written < OPTIMIZE_MIN_CHUNKS ||
	    s->chunks_written * 10 < s->chunks_before + s->chunks_written)
		return 0;
	for (int i = 0; i < 2; i++) {
		if ((rc = store_prep(s, ST_FTS_CONFIG_GET,
				     "SELECT v FROM chunks_fts_config WHERE k = ?1", &st)) != 0)
			return rc;
		sqlite3_bind_text(st, 1, merge_settings[i].name, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		s->merge_saved[i] = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0)
						     : merge_settings[i].fts5;
		sqlite3_reset(st);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return store_err(s, rc, "reading the keyword index settings");
	}
	s->merge_paused = 1; /* from here on, a failure is rolled back */
	for (int i = 0; i < 2; i++)
		if ((rc = merge_set(s, merge_settings[i].name, merge_settings[i].bulk)) != 0)
			return rc;
	/* committed with the batch: if the final merge never comes (the run is
	 * stopped or killed), the next store_optimize() does it whatever the
	 * size of its own writes */
	return exec_cached(s, ST_META_UNMERGED_SET,
			   "INSERT OR REPLACE INTO meta(key, value) VALUES ('fts_unmerged', '1')",
			   "noting the keyword index needs merging");
}

static int merge_resume(store *s)
{
	int rc;

	for (int i = 0; s->merge_paused && i < 2; i++)
		if ((rc = merge_set(s, merge_settings[i].name, s->merge_saved[i])) != 0)
			return rc;
	s->merge_paused = 0;
	return 0;
}

int store_batch_begin(store *s)
{
	int rc;

	if (s->in_batch || s->in_tx)
		return docent_error_set(DOCENT_EINVAL, "a write batch is already open");
	s->batch_lost = 0;
	s->nwset = 0;
	rc = exec_cached(s, ST_BEGIN, "BEGIN IMMEDIATE", "starting a batch of writes");
	if (rc == 0)
		s->in_batch = 1;
	if (rc == 0 && (rc = merge_pause(s)) != 0)
		store_batch_rollback(s);
	return rc;
}

int store_batch_commit(store *s)
{
	int rc;

	if (s->batch_lost) {
		s->batch_lost = 0;
		return docent_error_set(DOCENT_EDB, "a write failed, so the documents of the "
					"last second were not saved; run the ingest again");
	}
	if (!s->in_batch)
		return 0;
	s->in_batch = 0;
	rc = fts_flush(s);
	if (rc == 0)
		rc = merge_resume(s);
	if (rc == 0)
		rc = cstat_flush(s);
	if (rc) {
		store_batch_rollback(s);
		return rc;
	}
	cstat_publish(s);
	rc = exec_cached(s, ST_COMMIT, "COMMIT", "saving a batch of documents");
	if (rc)
		store_batch_rollback(s);
	return rc;
}

void store_batch_rollback(store *s)
{
	sqlite3_stmt *st;

	if (s->in_tx)
		store_tx_rollback(s);
	s->in_batch = 0;
	/* what the rolled-back batch had pending goes with it */
	s->merge_paused = 0;
	s->fts_pending = 0;
	s->fts_pending_bytes = 0;
	if (s->replay)
		fts_replay_clear(s->replay);
	if (!sqlite3_get_autocommit(s->db) &&
	    store_prep(s, ST_ROLLBACK, "ROLLBACK", &st) == 0) {
		sqlite3_step(st);
		sqlite3_reset(st);
	}
	/* chunk_stats blocks cached for searches may hold rolled-back rows */
	store_cache_clear(s);
}

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

/* ---- chunk_stats write set ---- */

static int cstat_set(store *s, int64_t rowid, uint32_t entry)
{
	int64_t block = rowid >> CSTAT_SHIFT;
	cstat_block *b = NULL;
	sqlite3_stmt *st;
	int rc;

	for (size_t i = s->nwset; i-- > 0;) {
		if (s->wset[i].block == block) {
			b = &s->wset[i];
			break;
		}
	}
	if (!b) {
		if (s->nwset == s->capwset) {
			size_t cap = s->capwset ? 2 * s->capwset : 4;
			cstat_block *w = realloc(s->wset, cap * sizeof *w);
			if (!w)
				return docent_error_set(DOCENT_ENOMEM, "out of memory writing %s", s->path);
			s->wset = w;
			s->capwset = cap;
		}
		b = &s->wset[s->nwset];
		b->block = block;
		memset(b->e, 0, sizeof b->e);
		rc = store_prep(s, ST_CSTAT_GET, "SELECT data FROM chunk_stats WHERE block = ?1", &st);
		if (rc)
			return rc;
		sqlite3_bind_int64(st, 1, block);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == CSTAT_BLOB_BYTES) {
			const unsigned char *p = sqlite3_column_blob(st, 0);
			for (size_t j = 0; j < CSTAT_PER_BLOCK; j++, p += 4)
				b->e[j] = (uint32_t)p[0] | (uint32_t)p[1] << 8 |
					  (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
		} else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
			rc = store_err(s, rc, "reading chunk statistics");
			sqlite3_reset(st);
			return rc;
		}
		sqlite3_reset(st);
		s->nwset++;
	}
	b->e[rowid & (CSTAT_PER_BLOCK - 1)] = entry;
	return 0;
}

/* Clears the entries of the chunks selected by `st` (first column: id). */
static int cstat_clear_rows(store *s, sqlite3_stmt *st)
{
	int64_t *ids = NULL;
	size_t n = 0, cap = 0;
	int rc;

	/* collect first: cstat_set runs another statement */
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			size_t c = cap ? 2 * cap : 64;
			int64_t *p = realloc(ids, c * sizeof *p);
			if (!p) {
				sqlite3_reset(st);
				free(ids);
				return docent_error_set(DOCENT_ENOMEM, "out of memory writing %s", s->path);
			}
			ids = p;
			cap = c;
		}
		ids[n++] = sqlite3_column_int64(st, 0);
	}
	if (rc != SQLITE_DONE) {
		rc = store_err(s, rc, "listing chunks to remove");
		sqlite3_reset(st);
		free(ids);
		return rc;
	}
	sqlite3_reset(st);
	rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = cstat_set(s, ids[i], 0);
	free(ids);
	return rc;
}

/* ---- open and close ---- */

static int pragma(store *s, const char *sql)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : store_err(s, rc, sql);
}

/*
 * Switches the database to WAL. Changing the journal mode needs the
 * database to itself, and SQLite answers "database is locked" at once
 * instead of calling the busy handler: two processes creating a new
 * database together (two `docent ingest` started at once) collided here.
 * Retried every 10 ms up to the busy timeout, as any other lock would wait.
 */
static int set_wal(store *s, int timeout_ms)
{
	struct timespec pause = { 0, 10 * 1000 * 1000 };
	int rc;

	for (int waited = 0;; waited += 10) {
		rc = sqlite3_exec(s->db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
		if (((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED) ||
		    waited >= timeout_ms)
			break;
		nanosleep(&pause, NULL);
	}
	return rc == SQLITE_OK ? 0 : store_err(s, rc, "PRAGMA journal_mode = WAL");
}

/*
 * For a read-only open: "file:PATH?immutable=1" when SQLite could not read
 * the database otherwise, else NULL. A WAL database is read through its
 * -shm file; when none exists (no writer has it open) and the folder
 * cannot be written (read-only media, another user's data), SQLite cannot
 * make one and refuses to read. Without a writer the file does not change,
 * which is what immutable tells SQLite. Caller frees.
 */
static char *immutable_uri(const char *path)
{
	dbuf b = DBUF_INIT;
	char *dir = strdup(path), *slash;
	int writable;

	if (!dir)
		return NULL;
	slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	writable = access(slash ? dir : ".", W_OK) == 0;
	free(dir);
	dbuf_printf(&b, "%s-shm", path);
	if (writable || !b.data || access(b.data, F_OK) == 0) {
		dbuf_free(&b);
		return NULL;
	}
	dbuf_reset(&b);
	dbuf_puts(&b, "file:");
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if (*p == '%' || *p == '?' || *p == '#' || *p <= ' ' || *p >= 0x7f)
			dbuf_printf(&b, "%%%02X", *p);
		else
			dbuf_putc(&b, (char)*p);
	}
	if (dbuf_puts(&b, "?immutable=1")) {
		dbuf_free(&b);
		return NULL;
	}
	return b.data;
}

const char *store_path(const store *s)
{
	return s->path;
}

static int read_tokenizer(store *s)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key = 'tokenizer'",
				    -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		snprintf(s->tokenizer, sizeof s->tokenizer, "%s", t ? t : "");
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = 0;
	} else {
		rc = store_err(s, rc, "reading the tokenizer setting");
	}
	sqlite3_finalize(st);
	return rc;
}

/*
 * Once per process, before SQLite's first use: no memory statistics.
 * With them on, every allocation SQLite makes takes one global mutex,
 * which threads searching at once (the web server's workers) queue on.
 */
static void sqlite_setup(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int store_open(store **out, const char *path, const store_params *params)
{
	store_params p = params ? *params : store_default_params();
	struct stat sb;
	store *s;
	int flags, rc, version;
	static pthread_once_t setup = PTHREAD_ONCE_INIT;

	*out = NULL;
	pthread_once(&setup, sqlite_setup);
	if (!path || !*path)
		return docent_error_set(DOCENT_EINVAL, "no database path given");
	if (!p.tokenizer || !*p.tokenizer)
		p.tokenizer = STORE_DEFAULT_TOKENIZER;
	if (stat(path, &sb) != 0) {
		if (errno != ENOENT)
			return docent_error_set(docent_error_from_errno(errno), "cannot open %s: %s",
						path, strerror(errno));
		if (!p.create || p.readonly)
			return docent_error_set(DOCENT_ENOTFOUND,
				"no docent database at %s; run `docent init` or ingest "
				"documents first", path);
	} else if (S_ISDIR(sb.st_mode)) {
		return docent_error_set(DOCENT_EDB, "%s is a folder, not a docent database", path);
	}
	s = calloc(1, sizeof *s);
	if (s)
		s->pc.max_bytes = p.search_cache_bytes;
	if (!s || !(s->path = strdup(path))) {
		free(s);
		return docent_error_set(DOCENT_ENOMEM, "out of memory opening %s", path);
	}
	s->readonly = p.readonly;
	s->chunks_before = -1;
	snprintf(s->tokenizer, sizeof s->tokenizer, "%s", p.tokenizer);
	flags = p.readonly ? SQLITE_OPEN_READONLY
			   : SQLITE_OPEN_READWRITE | (p.create ? SQLITE_OPEN_CREATE : 0);
	char *uri = p.readonly ? immutable_uri(path) : NULL;
	rc = sqlite3_open_v2(uri ? uri : path, &s->db,
			     flags | SQLITE_OPEN_NOMUTEX | (uri ? SQLITE_OPEN_URI : 0), NULL);
	free(uri);
	if (rc != SQLITE_OK) {
		rc = store_err(s, rc, "opening");
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, p.busy_timeout_ms > 0 ? p.busy_timeout_ms : 0);

	/* The first read tells a database from any other file. */
	if ((rc = store_user_version(s, &version)) != 0)
		goto fail;
	if (version > store_schema_version()) {
		rc = docent_error_set(DOCENT_ESCHEMA,
			"%s was written by a newer docent (schema version %d, this docent "
			"knows up to %d); upgrade docent", path, version, store_schema_version());
		goto fail;
	}
	if (!p.readonly && (rc = set_wal(s, p.busy_timeout_ms)) != 0)
		goto fail;
	if ((rc = pragma(s, "PRAGMA synchronous = NORMAL")) != 0 ||
	    (rc = pragma(s, "PRAGMA foreign_keys = ON")) != 0 ||
	    (rc = pragma(s, "PRAGMA temp_store = MEMORY")) != 0 ||
	    (rc = pragma(s, "PRAGMA cache_size = -32000")) != 0)
		goto fail;
	/* No mmap: it made no measurable difference to search or ingest speed,
	 * while every page an ingest touched stayed in the process's resident
	 * memory, which then grew with the corpus (196 MB at 200 MB of text,
	 * against 78 MB without). The page cache above is bounded. */
	/* Before FTS5 opens the table on this connection: it looks its
	 * tokenizer up then. Only a speed-up (fts_tokens.h); without it the
	 * chunks are tokenized as they are indexed. */
	if (!p.readonly && fts_replay_register(s->db, &s->replay) != SQLITE_OK)
		s->replay = NULL;
	if ((rc = store_schema_migrate(s, p.tokenizer)) != 0)
		goto fail;
	if ((rc = read_tokenizer(s)) != 0)
		goto fail;
	if (s->replay && (rc = fts_replay_set_args(s->replay, s->tokenizer)) != 0) {
		rc = docent_error_set(rc, "out of memory opening %s", path);
		goto fail;
	}
	/* notes the vectors this handle deletes, for the FAISS file (vecset.c) */
	if (!p.readonly &&
	    (rc = pragma(s, "CREATE TEMP TABLE vectors_removed(collection_id INTEGER, "
			 "chunk_id INTEGER);"
			 "CREATE TEMP TRIGGER vectors_removed_ad AFTER DELETE ON main.embeddings "
			 "BEGIN INSERT INTO vectors_removed VALUES (old.collection_id, old.chunk_id); "
			 "END")) != 0)
		goto fail;
	*out = s;
	return 0;
fail:
	store_close(s);
	return rc;
}

/*
 * Every transaction adds FTS5 segments; FTS5's automerge keeps their number
 * logarithmic, but each query term still seeks in every segment, and on a
 * freshly ingested 100k-chunk index merging them all cut query times by a
 * factor of two to three. store_optimize() merges them when this handle
 * wrote a tenth or more of the chunks (an ingest run, not a one-file
 * update): about a second per 100k chunks.
 */
int store_optimize(store *s)
{
	sqlite3_stmt *st = NULL;
	int64_t total = 0;

	int unmerged = 0;

	if (s->readonly || !sqlite3_get_autocommit(s->db))
		return 0;
	if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM meta WHERE key = 'fts_unmerged'", -1, &st,
			       NULL) == SQLITE_OK)
		unmerged = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	if (!unmerged) {
		if (s->chunks_written < OPTIMIZE_MIN_CHUNKS)
			return 0;
		if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM chunks", -1, &st, NULL) ==
			    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
			total = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		if (s->chunks_written * 10 < total)
			return 0;
	}
	s->chunks_written = 0;
	s->chunks_before = -1;
	if (sqlite3_exec(s->db, "INSERT INTO chunks_fts(chunks_fts) VALUES ('optimize');"
			 "DELETE FROM meta WHERE key = 'fts_unmerged'",
			 NULL, NULL, NULL) != SQLITE_OK)
		return docent_error_set(DOCENT_EDB, "cannot merge the keyword index: %s",
					sqlite3_errmsg(s->db));
	return 0;
}

int store_check_database(store *s)
{
	sqlite3_stmt *st = NULL;
	dbuf found = DBUF_INIT;
	int rows = 0, step;
	int rc = sqlite3_prepare_v2(s->db, "PRAGMA integrity_check(20)", -1, &st, NULL);

	if (rc != SQLITE_OK)
		return store_err(s, rc, "checking");
	/* "ok" alone, or one row per problem: the first three are quoted */
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *row = (const char *)sqlite3_column_text(st, 0);
		if (row && strcmp(row, "ok") == 0 && rows == 0)
			break;
		if (rows < 3)
			dbuf_printf(&found, "%s%s", rows ? "; " : "", row ? row : "?");
		rows++;
	}
	if (step != SQLITE_ROW && step != SQLITE_DONE) {
		rc = store_err(s, step, "checking");
		goto done;
	}
	if (rows)
		rc = docent_error_set(DOCENT_EDB, "%s is damaged (%s%s); restore it from a "
				      "backup, or delete it and ingest again", s->path,
				      found.data ? found.data : "", rows > 3 ? "; ..." : "");
done:
	sqlite3_finalize(st);
	dbuf_free(&found);
	return rc;
}

int store_check_keywords(store *s)
{
	/* rank 1: also compare the index with the chunk texts it was made from */
	int rc = sqlite3_exec(s->db, "INSERT INTO chunks_fts(chunks_fts, rank) "
			      "VALUES ('integrity-check', 1)", NULL, NULL, NULL);
	/* FTS5's check is a command written as an INSERT: a database open
	 * read-only cannot run it, which says nothing about the index */
	if ((rc & 0xff) == SQLITE_READONLY)
		return docent_error_set(DOCENT_EPERM, "the keyword index of %s cannot be checked "
					"without write access to it (%s)", s->path,
					sqlite3_errmsg(s->db));
	if (rc != SQLITE_OK)
		return docent_error_set(DOCENT_EDB, "the keyword index of %s does not match its "
					"chunks (%s); delete the database and ingest again", s->path,
					sqlite3_errmsg(s->db));
	return 0;
}

int store_check(store *s)
{
	int rc = store_check_database(s);
	return rc ? rc : store_check_keywords(s);
}

void store_close(store *s)
{
	if (!s)
		return;
	store_rank_end(s);
	if (s->in_tx || s->in_batch)
		store_batch_rollback(s);
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->stmt[i]);
	sqlite3_finalize(s->rank2);
	sqlite3_close(s->db2);
	store_search_scratch_free(&s->sc2);
	sqlite3_close(s->db);
	store_cache_clear(s);
	store_search_scratch_free(&s->sc);
	free(s->wset);
	free(s->path);
	free(s);
}

/* ---- helpers ---- */

/* Copies a text column (NULL stays NULL). */
static int col_dup(sqlite3_stmt *st, int i, char **out)
{
	const char *t = (const char *)sqlite3_column_text(st, i);
	*out = NULL;
	if (!t)
		return 0;
	*out = strdup(t);
	return *out ? 0 : DOCENT_ENOMEM;
}

static int grow(void **p, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return 0;
	size_t c = *cap ? 2 * *cap : 16;
	void *q = realloc(*p, c * size);
	if (!q)
		return DOCENT_ENOMEM;
	*p = q;
	*cap = c;
	return 0;
}

int store_coll_find(store *s, const char *name, int64_t *out)
{
	sqlite3_stmt *st;
	int rc = store_prep(s, ST_COLL_GET, "SELECT id FROM collections WHERE name = ?1", &st);

	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = DOCENT_ENOTFOUND;
	} else {
		rc = store_err(s, rc, "looking up a collection");
	}
	sqlite3_reset(st);
	return rc;
}

static int coll_missing(const char *name)
{
	return docent_error_set(DOCENT_ENOTFOUND,
		"no collection named '%s'; `docent collections` lists them and `docent "
		"collections create %s` makes it", name, name);
}

/* Resolves an optional collection name: 0 with *id = 0 when name is NULL. */
static int coll_opt(store *s, const char *name, int64_t *id)
{
	int rc;

	*id = 0;
	if (!name)
		return 0;
	rc = store_coll_find(s, name, id);
	return rc == DOCENT_ENOTFOUND ? coll_missing(name) : rc;
}

/* ---- collections ---- */

static int coll_insert(store *s, const char *name, int64_t *out)
{
	sqlite3_stmt *st;
	int rc = store_prep(s, ST_COLL_INSERT,
			    "INSERT INTO collections(name, created_at) VALUES (?1, ?2)", &st);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now_s());
	if ((rc = store_exec_stmt(s, st, "creating a collection")) != 0)
		return rc;
	if (out)
		*out = sqlite3_last_insert_rowid(s->db);
	return 0;
}

static int check_name(const char *name)
{
	if (!name || !*name)
		return docent_error_set(DOCENT_EINVAL, "a collection needs a name");
	return 0;
}

int store_collection_id(store *s, const char *name, int create, int64_t *out)
{
	int rc;

	if ((rc = check_name(name)) != 0)
		return rc;
	rc = store_coll_find(s, name, out);
	if (rc != DOCENT_ENOTFOUND)
		return rc;
	if (!create)
		return coll_missing(name);
	return coll_insert(s, name, out);
}

int store_collection_create(store *s, const char *name)
{
	int64_t id;
	int rc;

	if ((rc = check_name(name)) != 0)
		return rc;
	rc = store_coll_find(s, name, &id);
	if (rc == 0)
		return docent_error_set(DOCENT_EEXIST, "collection '%s' already exists", name);
	if (rc != DOCENT_ENOTFOUND)
		return rc;
	return coll_insert(s, name, NULL);
}

static int bind_exec(store *s, enum store_stmt_id id, const char *sql, int64_t v,
		     const char *what)
{
	sqlite3_stmt *st;
	int rc = store_prep(s, id, sql, &st);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, v);
	return store_exec_stmt(s, st, what);
}

int store_collection_remove(store *s, const char *name)
{
	sqlite3_stmt *st;
	int64_t id;
	int rc;

	if ((rc = check_name(name)) != 0)
		return rc;
	if ((rc = coll_opt(s, name, &id)) != 0)
		return rc;
	if ((rc = store_tx_begin(s)) != 0)
		return rc;
	rc = store_prep(s, ST_COLL_CHUNK_IDS,
		"SELECT ch.id FROM chunks ch JOIN contents ct ON ct.id = ch.content_id "
		"WHERE ct.collection_id = ?1", &st);
	if (rc)
		goto done;
	sqlite3_bind_int64(st, 1, id);
	if ((rc = cstat_clear_rows(s, st)) != 0 || (rc = fts_flush(s)) != 0)
		goto done;
	if ((rc = bind_exec(s, ST_COLL_DEL_CHUNKS,
			"DELETE FROM chunks WHERE content_id IN "
			"(SELECT id FROM contents WHERE collection_id = ?1)", id,
			"removing the collection's chunks")) != 0 ||
	    (rc = bind_exec(s, ST_COLL_DEL_DOCS, "DELETE FROM documents WHERE collection_id = ?1",
			id, "removing the collection's documents")) != 0 ||
	    (rc = bind_exec(s, ST_COLL_DEL_CONTENTS, "DELETE FROM contents WHERE collection_id = ?1",
			id, "removing the collection's contents")) != 0 ||
	    (rc = bind_exec(s, ST_COLL_DELETE, "DELETE FROM collections WHERE id = ?1", id,
			"removing the collection")) != 0)
		goto done;
	rc = store_tx_commit(s);
done:
	if (rc)
		store_tx_rollback(s);
	return rc;
}

void store_collection_list_free(store_collection *c, size_t n)
{
	if (!c)
		return;
	for (size_t i = 0; i < n; i++) {
		free(c[i].name);
		free(c[i].embed_model);
	}
	free(c);
}

/* Lists collections; the document, chunk and byte counts (a scan of the
 * collection's rows) only when asked. */
static int list_collections(store *s, int counts, store_collection **out, size_t *n)
{
	static const char with_counts[] =
		"SELECT c.id, c.name, c.created_at, c.embed_model, c.embed_dim, c.vec_count,"
		" (SELECT count(*) FROM documents d WHERE d.collection_id = c.id),"
		" (SELECT count(*) FROM chunks ch JOIN contents ct ON ct.id = ch.content_id"
		"   WHERE ct.collection_id = c.id),"
		" (SELECT coalesce(sum(text_bytes), 0) FROM contents ct WHERE ct.collection_id = c.id)"
		" FROM collections c ORDER BY c.name";
	static const char brief[] =
		"SELECT c.id, c.name, c.created_at, c.embed_model, c.embed_dim, c.vec_count, 0, 0, 0"
		" FROM collections c ORDER BY c.name";
	store_collection *v = NULL;
	size_t cnt = 0, cap = 0;
	sqlite3_stmt *st = NULL;
	int rc;

	*out = NULL;
	*n = 0;
	/* cached: the server lists them on every search to see whether a
	 * collection's vectors changed */
	if ((rc = store_prep(s, counts ? ST_COLL_LIST : ST_COLL_LIST_BRIEF,
			     counts ? with_counts : brief, &st)) != 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (grow((void **)&v, &cap, cnt, sizeof *v))
			goto nomem;
		store_collection *c = &v[cnt];
		memset(c, 0, sizeof *c);
		c->id = sqlite3_column_int64(st, 0);
		if (col_dup(st, 1, &c->name))
			goto nomem;
		cnt++;
		if (col_dup(st, 3, &c->embed_model))
			goto nomem;
		c->created_at = sqlite3_column_int64(st, 2);
		c->embed_dim = sqlite3_column_int(st, 4);
		c->nvectors = sqlite3_column_int64(st, 5);
		c->ndocs = sqlite3_column_int64(st, 6);
		c->nchunks = sqlite3_column_int64(st, 7);
		c->text_bytes = sqlite3_column_int64(st, 8);
	}
	if (rc != SQLITE_DONE) {
		rc = store_err(s, rc, "listing collections");
		goto fail;
	}
	sqlite3_reset(st);
	*out = v;
	*n = cnt;
	return 0;
nomem:
	rc = docent_error_set(DOCENT_ENOMEM, "out of memory listing collections");
fail:
	sqlite3_reset(st);
	store_collection_list_free(v, cnt);
	return rc;
}

int store_collection_list(store *s, store_collection **out, size_t *n)
{
	return list_collections(s, 1, out, n);
}

int store_collection_names(store *s, store_collection **out, size_t *n)
{
	return list_collections(s, 0, out, n);
}

int store_data_version(store *s, int64_t *out)
{
	sqlite3_stmt *st;
	int rc = store_prep(s, ST_DATA_VERSION, "PRAGMA data_version", &st);

	if (rc)
		return rc;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		rc = store_err(s, rc, "checking for changes");
		sqlite3_reset(st);
		return rc;
	}
	*out = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return 0;
}

int store_change_counter(store *s, uint64_t *out)
{
	int64_t v;
	int rc = store_data_version(s, &v);

	/* data_version moves with other connections' commits only; this
	 * connection's own count its changes */
	if (rc == 0)
		*out = (uint64_t)v << 40 ^ (uint64_t)sqlite3_total_changes64(s->db);
	return rc;
}

/* ---- documents ---- */

int store_doc_state_get(store *s, int64_t collection_id, const char *path, store_doc_state *out)
{
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof *out);
	rc = store_prep(s, ST_DOC_STATE,
		"SELECT id, size, mtime_ns, hash, status FROM documents "
		"WHERE collection_id = ?1 AND path = ?2", &st);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, collection_id);
	sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *h = (const char *)sqlite3_column_text(st, 3);
		const char *status = (const char *)sqlite3_column_text(st, 4);
		out->id = sqlite3_column_int64(st, 0);
		out->size = sqlite3_column_int64(st, 1);
		out->mtime_ns = sqlite3_column_int64(st, 2);
		snprintf(out->hash, sizeof out->hash, "%s", h ? h : "");
		out->ok = status && strcmp(status, "ok") == 0;
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = 0;
	} else {
		rc = store_err(s, rc, "looking up a document");
	}
	sqlite3_reset(st);
	return rc;
}

static int content_find(store *s, int64_t collection_id, const char *hash, int64_t *out)
{
	sqlite3_stmt *st;
	int rc = store_prep(s, ST_CONTENT_FIND,
			    "SELECT id FROM contents WHERE collection_id = ?1 AND hash = ?2", &st);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, collection_id);
	sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	*out = 0;
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = 0;
	} else {
		rc = store_err(s, rc, "looking up stored content");
	}
	sqlite3_reset(st);
	return rc;
}

int store_content_exists(store *s, int64_t collection_id, const char *hash)
{
	int64_t id;
	if (!hash)
		return 0;
	return content_find(s, collection_id, hash, &id) == 0 && id != 0;
}

/* Deletes a content with its chunks (the triggers remove the FTS rows). */
static int content_delete(store *s, int64_t content_id)
{
	sqlite3_stmt *st;
	int rc = store_prep(s, ST_CONTENT_CHUNK_IDS, "SELECT id FROM chunks WHERE content_id = ?1",
			    &st);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, content_id);
	if ((rc = cstat_clear_rows(s, st)) != 0 || (rc = fts_flush(s)) != 0)
		return rc;
	rc = bind_exec(s, ST_CONTENT_DEL_CHUNKS, "DELETE FROM chunks WHERE content_id = ?1",
		       content_id, "removing old chunks");
	if (rc == 0)
		rc = bind_exec(s, ST_CONTENT_DELETE, "DELETE FROM contents WHERE id = ?1",
			       content_id, "removing old content");
	return rc;
}

/* Deletes the content when no document points at it any more. */
static int content_release(store *s, int64_t content_id)
{
	sqlite3_stmt *st;
	int rc, used;

	if (content_id <= 0)
		return 0;
	rc = store_prep(s, ST_CONTENT_USED,
			"SELECT 1 FROM documents WHERE content_id = ?1 LIMIT 1", &st);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, content_id);
	rc = sqlite3_step(st);
	used = rc == SQLITE_ROW;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		rc = store_err(s, rc, "checking whether content is still used");
		sqlite3_reset(st);
		return rc;
	}
	sqlite3_reset(st);
	return used ? 0 : content_delete(s, content_id);
}

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *t)
{
	if (t)
		sqlite3_bind_text(st, i, t, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

char *store_chunk_context(const char *title, const char *heading)
{
	size_t nt = title ? strlen(title) : 0, nh = heading ? strlen(heading) : 0;
	char *out;

	/* the path often starts with the title (a Markdown file's first
	 * heading is its title): once is enough */
	if (nt && nh && strncmp(heading, title, nt) == 0 &&
	    (heading[nt] == '\0' || strncmp(heading + nt, " > ", 3) == 0))
		nt = 0;
	if (!(out = malloc(nt + nh + 4)))
		return NULL;
	char *p = out;
	if (nt)
		memcpy(p, title, nt);
	p += nt;
	if (nt && nh) {
		memcpy(p, " > ", 3);
		p += 3;
	}
	memcpy(p, heading ? heading : "", nh);
	p[nh] = '\0';
	return out;
}

/*
 * Adds the chunks inserted since the last flush (ids >= fts_pending) to the
 * keyword index in one statement. Not a trigger per row: SQLite opens a
 * statement savepoint for each INSERT and FTS5 writes its pending index data
 * out at every savepoint, so row-by-row indexing made one index segment per
 * chunk, and merging them took most of the ingest time. Flushed after each
 * document, or once per batch. New chunk ids only grow between flushes
 * (deletes flush first, so no freed id is reused while rows are pending).
 */
static int fts_flush(store *s)
{
	sqlite3_stmt *st;
	int rc;

	if (!s->fts_pending)
		return 0;
	rc = store_prep(s, ST_CHUNK_FTS,
		"INSERT INTO chunks_fts(rowid, text, context) SELECT id, text, context FROM chunks "
		"WHERE id >= ?1",
		&st);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, s->fts_pending);
	s->fts_pending = 0;
	s->fts_pending_bytes = 0;
	if (s->replay)
		fts_replay_arm(s->replay);
	rc = store_exec_stmt(s, st, "indexing chunks");
	if (s->replay)
		fts_replay_clear(s->replay);
	return rc;
}

/*
 * Inserts the chunks of `in` into content_id, all of them or, with `skip`,
 * those whose skip[i] is 0 (the others are kept rows), and queues their
 * tokens for the keyword index: the ones made ahead when all are inserted,
 * none (tokenized at the flush) otherwise.
 */
static int chunks_insert(store *s, int64_t collection_id, int64_t content_id,
			 const store_doc_in *in, const unsigned char *skip)
{
	sqlite3_stmt *st;
	size_t ninserted = 0;
	int rc = store_prep(s, ST_CHUNK_INSERT,
		"INSERT INTO chunks(content_id, ordinal, text, start_byte, end_byte, page_start, "
		"page_end, heading, ntokens, nwords, context) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
		&st);
	if (rc)
		return rc;
	for (size_t i = 0; i < in->nchunks; i++) {
		const store_chunk_in *c = &in->chunks[i];
		size_t nwords;
		char *context;
		if (skip && skip[i])
			continue;
		nwords = c->nwords ? c->nwords : c->text ? text_count_words(c->text, c->len) : 0;
		if (c->len > (size_t)INT32_MAX)
			return docent_error_set(DOCENT_ETOOBIG, "chunk %zu of %s is too large", i,
						in->path);
		if (!(context = store_chunk_context(in->title, c->heading)))
			return docent_error_set(DOCENT_ENOMEM, "out of memory writing %s", in->path);
		sqlite3_bind_text(st, 11, context, -1, free);
		sqlite3_bind_int64(st, 1, content_id);
		sqlite3_bind_int64(st, 2, (int64_t)i);
		if (c->text)
			sqlite3_bind_text(st, 3, c->text, (int)c->len, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, 3); /* refused by NOT NULL: the whole put fails */
		sqlite3_bind_int64(st, 4, (int64_t)c->start_byte);
		sqlite3_bind_int64(st, 5, (int64_t)c->end_byte);
		sqlite3_bind_int(st, 6, c->page_start);
		sqlite3_bind_int(st, 7, c->page_end);
		bind_text_or_null(st, 8, c->heading);
		sqlite3_bind_int64(st, 9, (int64_t)c->ntokens);
		sqlite3_bind_int64(st, 10, (int64_t)nwords);
		if ((rc = store_exec_stmt(s, st, "storing chunks")) != 0)
			return rc;
		s->chunks_written++;
		ninserted++;
		if (!s->fts_pending)
			s->fts_pending = sqlite3_last_insert_rowid(s->db);
		s->fts_pending_bytes += c->len;
		/* a chunk with no words gets 1 so that its entry still marks a chunk */
		rc = cstat_set(s, sqlite3_last_insert_rowid(s->db),
			       CSTAT_PACK(nwords ? nwords : 1, (uint64_t)collection_id));
		if (rc)
			return rc;
	}
	/* their tokens, if made ahead, in insert order for fts_flush */
	if (s->replay && fts_replay_queue(s->replay, skip ? NULL : s->doc_tokens,
					  skip ? 0 : s->doc_tokens_len, 2 * ninserted) != 0)
		return docent_error_set(DOCENT_ENOMEM, "out of memory writing %s", in->path);
	if (s->in_batch && (rc = merge_pause(s)) != 0)
		return rc;
	/* in a batch, index every few MB, so that the indexing overlaps the
	 * extraction of the next documents instead of waiting for the commit */
	if (s->in_batch && s->fts_pending_bytes < (s->merge_paused ? FTS_FLUSH_BYTES_BULK
								   : FTS_FLUSH_BYTES))
		return 0;
	return fts_flush(s);
}

static int content_insert(store *s, int64_t collection_id, const store_doc_in *in,
			  int64_t *out)
{
	sqlite3_stmt *st;
	int rc = store_prep(s, ST_CONTENT_INSERT,
		"INSERT INTO contents(collection_id, hash, title, format, text_bytes, npages, "
		"created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", &st);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, collection_id);
	sqlite3_bind_text(st, 2, in->hash, -1, SQLITE_STATIC);
	bind_text_or_null(st, 3, in->title);
	bind_text_or_null(st, 4, in->format);
	sqlite3_bind_int64(st, 5, in->text_bytes);
	sqlite3_bind_int(st, 6, in->npages);
	sqlite3_bind_int64(st, 7, now_s());
	if ((rc = store_exec_stmt(s, st, "storing content")) != 0)
		return rc;
	*out = sqlite3_last_insert_rowid(s->db);
	return chunks_insert(s, collection_id, *out, in, NULL);
}

typedef struct old_chunk {
	int64_t id;
	char *text;
	char *context;
	int used;
} old_chunk;

static void old_chunks_free(old_chunk *o, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(o[i].text);
		free(o[i].context);
	}
	free(o);
}

/* The chunks stored for content_id, in order. */
static int old_chunks_load(store *s, int64_t content_id, old_chunk **out, size_t *nout)
{
	sqlite3_stmt *st;
	old_chunk *o = NULL;
	size_t n = 0, cap = 0;
	int rc = store_prep(s, ST_CONTENT_CHUNKS,
			    "SELECT id, text, context FROM chunks WHERE content_id = ?1 "
			    "ORDER BY ordinal", &st);

	*out = NULL;
	*nout = 0;
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, content_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			size_t c = cap ? 2 * cap : 64;
			old_chunk *p = realloc(o, c * sizeof *p);
			if (!p)
				break;
			o = p;
			cap = c;
		}
		const char *t = (const char *)sqlite3_column_text(st, 1);
		const char *x = (const char *)sqlite3_column_text(st, 2);
		o[n] = (old_chunk){.id = sqlite3_column_int64(st, 0), .text = strdup(t ? t : ""),
				   .context = strdup(x ? x : "")};
		n++;
		if (!o[n - 1].text || !o[n - 1].context)
			break;
	}
	if (rc != SQLITE_DONE) {
		rc = rc == SQLITE_ROW ? docent_error_set(DOCENT_ENOMEM, "out of memory writing %s",
							 s->path)
				      : store_err(s, rc, "reading stored chunks");
		sqlite3_reset(st);
		old_chunks_free(o, n);
		return rc;
	}
	sqlite3_reset(st);
	*out = o;
	*nout = n;
	return 0;
}

/* The stored chunk, not yet taken, with the same text and context as new
 * chunk i (tried first where the previous match left off), or -1. */
static long old_chunk_match(old_chunk *o, size_t n, size_t from, const store_chunk_in *c,
			    const char *context)
{
	for (size_t k = 0; k < n; k++) {
		size_t j = (from + k) % n;
		if (!o[j].used && strlen(o[j].text) == c->len &&
		    memcmp(o[j].text, c->text, c->len) == 0 && strcmp(o[j].context, context) == 0)
			return (long)j;
	}
	return -1;
}

/*
 * `ingest --force` of content already stored under its hash: the content's
 * fields and chunks are replaced by the new extraction, but a stored chunk
 * whose text and context (what is embedded) are unchanged keeps its row,
 * id and vector, moved to its new place; the rest are deleted (their
 * vectors with them: temp.vectors_removed tells the FAISS file) and the
 * new ones inserted, to be embedded. *kept receives the chunks kept.
 */
static int content_refresh(store *s, int64_t collection_id, int64_t content_id,
			   const store_doc_in *in, size_t *kept)
{
	sqlite3_stmt *st;
	old_chunk *o = NULL;
	unsigned char *skip = NULL;
	long *match = NULL;
	size_t n = 0, from = 0;
	int rc;

	*kept = 0;
	rc = store_prep(s, ST_CONTENT_REFRESH,
			"UPDATE contents SET title = ?2, format = ?3, text_bytes = ?4, npages = ?5 "
			"WHERE id = ?1", &st);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, content_id);
	bind_text_or_null(st, 2, in->title);
	bind_text_or_null(st, 3, in->format);
	sqlite3_bind_int64(st, 4, in->text_bytes);
	sqlite3_bind_int(st, 5, in->npages);
	if ((rc = store_exec_stmt(s, st, "updating content")) != 0)
		return rc;
	if ((rc = old_chunks_load(s, content_id, &o, &n)) != 0)
		return rc;
	skip = calloc(in->nchunks ? in->nchunks : 1, 1);
	match = calloc(in->nchunks ? in->nchunks : 1, sizeof *match);
	if (!skip || !match) {
		rc = docent_error_set(DOCENT_ENOMEM, "out of memory writing %s", in->path);
		goto done;
	}
	for (size_t i = 0; i < in->nchunks; i++) {
		const store_chunk_in *c = &in->chunks[i];
		char *context = store_chunk_context(in->title, c->heading);
		if (!context) {
			rc = docent_error_set(DOCENT_ENOMEM, "out of memory writing %s", in->path);
			goto done;
		}
		match[i] = c->text && n ? old_chunk_match(o, n, from, c, context) : -1;
		free(context);
		if (match[i] >= 0) {
			o[match[i]].used = 1;
			skip[i] = 1;
			from = (size_t)match[i] + 1;
			(*kept)++;
		}
	}
	/* every stored chunk out of the way of the new ordinals (unique) */
	if ((rc = bind_exec(s, ST_CHUNK_ORD_AWAY,
			    "UPDATE chunks SET ordinal = -1 - ordinal WHERE content_id = ?1",
			    content_id, "updating chunks")) != 0)
		goto done;
	rc = store_prep(s, ST_CHUNK_MOVE,
			"UPDATE chunks SET ordinal = ?2, start_byte = ?3, end_byte = ?4, "
			"page_start = ?5, page_end = ?6, heading = ?7, ntokens = ?8 WHERE id = ?1",
			&st);
	for (size_t i = 0; rc == 0 && i < in->nchunks; i++) {
		const store_chunk_in *c = &in->chunks[i];
		if (match[i] < 0)
			continue;
		sqlite3_bind_int64(st, 1, o[match[i]].id);
		sqlite3_bind_int64(st, 2, (int64_t)i);
		sqlite3_bind_int64(st, 3, (int64_t)c->start_byte);
		sqlite3_bind_int64(st, 4, (int64_t)c->end_byte);
		sqlite3_bind_int(st, 5, c->page_start);
		sqlite3_bind_int(st, 6, c->page_end);
		bind_text_or_null(st, 7, c->heading);
		sqlite3_bind_int64(st, 8, (int64_t)c->ntokens);
		rc = store_exec_stmt(s, st, "updating chunks");
	}
	if (rc)
		goto done;
	/* the stored chunks not kept go, as content_delete does it */
	rc = store_prep(s, ST_CHUNK_STALE_IDS,
			"SELECT id FROM chunks WHERE content_id = ?1 AND ordinal < 0", &st);
	if (rc)
		goto done;
	sqlite3_bind_int64(st, 1, content_id);
	if ((rc = cstat_clear_rows(s, st)) != 0 || (rc = fts_flush(s)) != 0)
		goto done;
	if ((rc = bind_exec(s, ST_CHUNK_DEL_STALE,
			    "DELETE FROM chunks WHERE content_id = ?1 AND ordinal < 0", content_id,
			    "removing old chunks")) != 0)
		goto done;
	rc = chunks_insert(s, collection_id, content_id, in, skip);
done:
	old_chunks_free(o, n);
	free(skip);
	free(match);
	return rc;
}

/* Another ok path of the collection sharing content_id, or NULL. */
static int find_duplicate(store *s, int64_t collection_id, int64_t content_id,
			  int64_t doc_id, char **out)
{
	sqlite3_stmt *st;
	int rc = store_prep(s, ST_DOC_DUP,
		"SELECT path FROM documents WHERE collection_id = ?1 AND content_id = ?2 "
		"AND id <> ?3 AND status = 'ok' ORDER BY id LIMIT 1", &st);
	*out = NULL;
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, collection_id);
	sqlite3_bind_int64(st, 2, content_id);
	sqlite3_bind_int64(st, 3, doc_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		rc = col_dup(st, 0, out) ? docent_error_set(DOCENT_ENOMEM, "out of memory") : 0;
	} else if (rc == SQLITE_DONE) {
		rc = 0;
	} else {
		rc = store_err(s, rc, "looking for duplicates");
	}
	sqlite3_reset(st);
	return rc;
}

typedef struct doc_row {
	int64_t id;          /* 0: no row */
	int64_t content_id;  /* 0: none */
	int ok;
	int same_hash;       /* its content has the hash asked about */
} doc_row;

static int doc_lookup(store *s, int64_t collection_id, const char *path, const char *hash,
		      doc_row *out)
{
	sqlite3_stmt *st;
	int rc = store_prep(s, ST_DOC_LOOKUP,
		"SELECT d.id, d.content_id, d.status = 'ok', ct.hash = ?3 FROM documents d "
		"LEFT JOIN contents ct ON ct.id = d.content_id "
		"WHERE d.collection_id = ?1 AND d.path = ?2", &st);
	memset(out, 0, sizeof *out);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, collection_id);
	sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
	bind_text_or_null(st, 3, hash);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->id = sqlite3_column_int64(st, 0);
		out->content_id = sqlite3_column_int64(st, 1);
		out->ok = sqlite3_column_int(st, 2);
		out->same_hash = sqlite3_column_int(st, 3);
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = 0;
	} else {
		rc = store_err(s, rc, "looking up a document");
	}
	sqlite3_reset(st);
	return rc;
}

int store_doc_put(store *s, int64_t collection_id, const store_doc_in *in, store_put_result *out)
{
	sqlite3_stmt *st;
	int64_t content_id = 0;
	doc_row row;
	int rc;

	memset(out, 0, sizeof *out);
	if (!in || !in->path || !in->hash)
		return docent_error_set(DOCENT_EINVAL, "store_doc_put needs a path and a hash");
	if ((rc = store_tx_begin(s)) != 0)
		return rc;
	if ((rc = doc_lookup(s, collection_id, in->path, in->hash, &row)) != 0)
		goto done;

	if (row.id && row.ok && row.same_hash && !(in->refresh && in->chunks)) {
		rc = store_prep(s, ST_DOC_TOUCH,
			"UPDATE documents SET size = ?2, mtime_ns = ?3 WHERE id = ?1", &st);
		if (rc)
			goto done;
		sqlite3_bind_int64(st, 1, row.id);
		sqlite3_bind_int64(st, 2, in->size);
		sqlite3_bind_int64(st, 3, in->mtime_ns);
		if ((rc = store_exec_stmt(s, st, "updating a document")) != 0)
			goto done;
		out->outcome = STORE_PUT_UNCHANGED;
		out->doc_id = row.id;
		content_id = row.content_id;
	} else {
		if ((rc = content_find(s, collection_id, in->hash, &content_id)) != 0)
			goto done;
		if (!content_id && !in->chunks) {
			rc = docent_error_set(DOCENT_ENOTFOUND,
				"no stored content with hash %s for %s; ingest the file again "
				"with its text", in->hash, in->path);
			goto done;
		}
		if (!content_id) {
			if ((rc = content_insert(s, collection_id, in, &content_id)) != 0)
				goto done;
		} else if (in->refresh && in->chunks &&
			   (rc = content_refresh(s, collection_id, content_id, in,
						 &out->chunks_kept)) != 0) {
			goto done;
		}
		if (row.id) {
			rc = store_prep(s, ST_DOC_UPDATE,
				"UPDATE documents SET content_id = ?2, size = ?3, mtime_ns = ?4, "
				"hash = ?5, status = 'ok', error = NULL, ingested_at = ?6 "
				"WHERE id = ?1", &st);
			if (rc)
				goto done;
			sqlite3_bind_int64(st, 1, row.id);
		} else {
			rc = store_prep(s, ST_DOC_INSERT,
				"INSERT INTO documents(collection_id, content_id, size, mtime_ns, "
				"hash, status, error, ingested_at, path) "
				"VALUES (?1, ?2, ?3, ?4, ?5, 'ok', NULL, ?6, ?7)", &st);
			if (rc)
				goto done;
			sqlite3_bind_int64(st, 1, collection_id);
			sqlite3_bind_text(st, 7, in->path, -1, SQLITE_STATIC);
		}
		sqlite3_bind_int64(st, 2, content_id);
		sqlite3_bind_int64(st, 3, in->size);
		sqlite3_bind_int64(st, 4, in->mtime_ns);
		sqlite3_bind_text(st, 5, in->hash, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, now_s());
		if ((rc = store_exec_stmt(s, st, "writing a document")) != 0)
			goto done;
		out->doc_id = row.id ? row.id : sqlite3_last_insert_rowid(s->db);
		out->outcome = row.id ? STORE_PUT_UPDATED : STORE_PUT_ADDED;
		if (row.content_id && row.content_id != content_id &&
		    (rc = content_release(s, row.content_id)) != 0)
			goto done;
	}
	if ((rc = find_duplicate(s, collection_id, content_id, out->doc_id, &out->duplicate_of)) != 0)
		goto done;
	rc = store_tx_commit(s);
done:
	if (rc) {
		store_tx_rollback(s);
		free(out->duplicate_of);
		memset(out, 0, sizeof *out);
	}
	return rc;
}

int store_doc_fail(store *s, int64_t collection_id, const char *path, int64_t size,
		   int64_t mtime_ns, const char *error)
{
	sqlite3_stmt *st;
	doc_row row;
	int rc;

	if (!path)
		return docent_error_set(DOCENT_EINVAL, "store_doc_fail needs a path");
	if ((rc = store_tx_begin(s)) != 0)
		return rc;
	if ((rc = doc_lookup(s, collection_id, path, NULL, &row)) != 0)
		goto done;
	/* the content (a previous good version) stays; the hash is unknown */
	if (row.id) {
		rc = store_prep(s, ST_DOC_FAIL_UPDATE,
			"UPDATE documents SET size = ?2, mtime_ns = ?3, hash = NULL, "
			"status = 'error', error = ?4, ingested_at = ?5 WHERE id = ?1", &st);
		if (rc)
			goto done;
		sqlite3_bind_int64(st, 1, row.id);
	} else {
		rc = store_prep(s, ST_DOC_FAIL_INSERT,
			"INSERT INTO documents(collection_id, size, mtime_ns, error, ingested_at, "
			"path, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'error')", &st);
		if (rc)
			goto done;
		sqlite3_bind_int64(st, 1, collection_id);
		sqlite3_bind_text(st, 6, path, -1, SQLITE_STATIC);
	}
	sqlite3_bind_int64(st, 2, size);
	sqlite3_bind_int64(st, 3, mtime_ns);
	sqlite3_bind_text(st, 4, error ? error : "unknown error", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, now_s());
	if ((rc = store_exec_stmt(s, st, "recording a failed document")) != 0)
		goto done;
	rc = store_tx_commit(s);
done:
	if (rc)
		store_tx_rollback(s);
	return rc;
}

void store_doc_list_free(store_doc *d, size_t n)
{
	if (!d)
		return;
	for (size_t i = 0; i < n; i++) {
		free(d[i].collection);
		free(d[i].path);
		free(d[i].title);
		free(d[i].format);
		free(d[i].hash);
		free(d[i].status);
		free(d[i].error);
	}
	free(d);
}

int store_doc_list(store *s, const char *collection, store_doc **out, size_t *n)
{
	static const char sql[] =
		"SELECT d.id, col.name, d.path, ct.title, ct.format, d.size, d.mtime_ns, d.hash,"
		" d.ingested_at, d.status, d.error,"
		" (SELECT count(*) FROM chunks ch WHERE ch.content_id = d.content_id), ct.npages"
		" FROM documents d JOIN collections col ON col.id = d.collection_id"
		" LEFT JOIN contents ct ON ct.id = d.content_id"
		" WHERE ?1 = 0 OR d.collection_id = ?1 ORDER BY d.path, col.name";
	store_doc *v = NULL;
	size_t cnt = 0, cap = 0;
	sqlite3_stmt *st = NULL;
	int64_t cid;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = coll_opt(s, collection, &cid)) != 0)
		return rc;
	rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return store_err(s, rc, "listing documents");
	sqlite3_bind_int64(st, 1, cid);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (grow((void **)&v, &cap, cnt, sizeof *v))
			goto nomem;
		store_doc *d = &v[cnt++];
		memset(d, 0, sizeof *d);
		d->id = sqlite3_column_int64(st, 0);
		if (col_dup(st, 1, &d->collection) || col_dup(st, 2, &d->path) ||
		    col_dup(st, 3, &d->title) || col_dup(st, 4, &d->format) ||
		    col_dup(st, 7, &d->hash) || col_dup(st, 9, &d->status) ||
		    col_dup(st, 10, &d->error))
			goto nomem;
		d->size = sqlite3_column_int64(st, 5);
		d->mtime_ns = sqlite3_column_int64(st, 6);
		d->ingested_at = sqlite3_column_int64(st, 8);
		d->nchunks = sqlite3_column_int64(st, 11);
		d->npages = sqlite3_column_int(st, 12);
	}
	if (rc != SQLITE_DONE) {
		rc = store_err(s, rc, "listing documents");
		goto fail;
	}
	sqlite3_finalize(st);
	*out = v;
	*n = cnt;
	return 0;
nomem:
	rc = docent_error_set(DOCENT_ENOMEM, "out of memory listing documents");
fail:
	sqlite3_finalize(st);
	store_doc_list_free(v, cnt);
	return rc;
}

/* Deletes one document row inside the open transaction; 0 when it was
 * there, DOCENT_ENOTFOUND (no message) when not. */
static int doc_delete(store *s, int64_t doc_id)
{
	sqlite3_stmt *st;
	int64_t content_id = 0;
	int rc = store_prep(s, ST_DOC_BY_ID, "SELECT content_id FROM documents WHERE id = ?1", &st);

	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, doc_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		content_id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return DOCENT_ENOTFOUND;
	if (rc != SQLITE_ROW)
		return store_err(s, rc, "looking up a document");
	rc = bind_exec(s, ST_DOC_DELETE, "DELETE FROM documents WHERE id = ?1", doc_id,
		       "removing a document");
	return rc ? rc : content_release(s, content_id);
}

int store_doc_remove_id(store *s, int64_t doc_id)
{
	int rc = store_tx_begin(s);

	if (rc)
		return rc;
	rc = doc_delete(s, doc_id);
	if (rc == DOCENT_ENOTFOUND)
		docent_error_set(rc, "no document with id %lld", (long long)doc_id);
	if (rc == 0)
		rc = store_tx_commit(s);
	if (rc)
		store_tx_rollback(s);
	return rc;
}

static int is_number(const char *k)
{
	if (!*k || strlen(k) > 18)
		return 0;
	return k[strspn(k, "0123456789")] == '\0';
}

int store_doc_remove(store *s, const char *collection, const char *key, int *removed)
{
	sqlite3_stmt *st = NULL;
	int64_t cid, *ids = NULL;
	size_t n = 0, cap = 0;
	int rc;

	*removed = 0;
	if (!key || !*key)
		return docent_error_set(DOCENT_EINVAL, "no document given to remove");
	if ((rc = coll_opt(s, collection, &cid)) != 0)
		return rc;
	rc = sqlite3_prepare_v2(s->db, is_number(key)
		? "SELECT id FROM documents WHERE id = ?1 AND (?2 = 0 OR collection_id = ?2)"
		: "SELECT id FROM documents WHERE path = ?1 AND (?2 = 0 OR collection_id = ?2)",
		-1, &st, NULL);
	if (rc != SQLITE_OK)
		return store_err(s, rc, "finding documents to remove");
	if (is_number(key))
		sqlite3_bind_int64(st, 1, strtoll(key, NULL, 10));
	else
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, cid);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (grow((void **)&ids, &cap, n, sizeof *ids)) {
			rc = docent_error_set(DOCENT_ENOMEM, "out of memory removing documents");
			goto done;
		}
		ids[n++] = sqlite3_column_int64(st, 0);
	}
	if (rc != SQLITE_DONE) {
		rc = store_err(s, rc, "finding documents to remove");
		goto done;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (n == 0) {
		rc = docent_error_set(DOCENT_ENOTFOUND, "no document '%s'%s%s; `docent docs` lists "
				      "them", key, collection ? " in collection " : "",
				      collection ? collection : "");
		goto done;
	}
	if ((rc = store_tx_begin(s)) != 0)
		goto done;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = doc_delete(s, ids[i]);
	if (rc == 0)
		rc = store_tx_commit(s);
	if (rc)
		store_tx_rollback(s);
	else
		*removed = (int)n;
done:
	sqlite3_finalize(st);
	free(ids);
	return rc;
}

int store_doc_foreach(store *s, const char *collection, store_path_fn fn, void *ctx)
{
	sqlite3_stmt *st = NULL;
	int64_t cid;
	int rc;

	if ((rc = coll_opt(s, collection, &cid)) != 0)
		return rc;
	/* a statement of its own: fn may call back into the store */
	rc = sqlite3_prepare_v2(s->db, "SELECT id, path FROM documents "
				"WHERE ?1 = 0 OR collection_id = ?1 ORDER BY path", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return store_err(s, rc, "listing documents");
	sqlite3_bind_int64(st, 1, cid);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		rc = fn(ctx, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1));
		if (rc)
			goto done;
	}
	rc = rc == SQLITE_DONE ? 0 : store_err(s, rc, "listing documents");
done:
	sqlite3_finalize(st);
	return rc;
}

/* ---- statistics ---- */

static int64_t file_size(const char *path, const char *suffix)
{
	char p[4096];
	struct stat sb;

	snprintf(p, sizeof p, "%s%s", path, suffix);
	return stat(p, &sb) == 0 ? (int64_t)sb.st_size : 0;
}

int store_stats_get(store *s, const char *collection, store_stats *out)
{
	static const char sql[] =
		"SELECT (SELECT count(*) FROM collections WHERE ?1 = 0 OR id = ?1),"
		" (SELECT count(*) FROM documents WHERE ?1 = 0 OR collection_id = ?1),"
		" (SELECT count(*) FROM documents WHERE (?1 = 0 OR collection_id = ?1)"
		"   AND status = 'error'),"
		" (SELECT count(*) FROM contents WHERE ?1 = 0 OR collection_id = ?1),"
		" CASE WHEN ?1 = 0 THEN (SELECT count(*) FROM chunks) ELSE"
		"  (SELECT count(*) FROM chunks ch JOIN contents ct ON ct.id = ch.content_id"
		"   WHERE ct.collection_id = ?1) END,"
		" (SELECT coalesce(sum(text_bytes), 0) FROM contents WHERE ?1 = 0 OR collection_id = ?1),"
		" (SELECT coalesce(sum(vec_count), 0) FROM collections WHERE ?1 = 0 OR id = ?1)";
	sqlite3_stmt *st = NULL;
	int64_t cid;
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = coll_opt(s, collection, &cid)) != 0)
		return rc;
	rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, cid);
		rc = sqlite3_step(st);
	}
	if (rc != SQLITE_ROW) {
		rc = store_err(s, rc, "counting documents");
		sqlite3_finalize(st);
		return rc;
	}
	out->collections = sqlite3_column_int64(st, 0);
	out->documents = sqlite3_column_int64(st, 1);
	out->failed = sqlite3_column_int64(st, 2);
	out->contents = sqlite3_column_int64(st, 3);
	out->chunks = sqlite3_column_int64(st, 4);
	out->text_bytes = sqlite3_column_int64(st, 5);
	out->vectors = sqlite3_column_int64(st, 6);
	sqlite3_finalize(st);
	out->db_bytes = file_size(s->path, "") + file_size(s->path, "-wal");
	out->schema_version = store_schema_version();
	snprintf(out->tokenizer, sizeof out->tokenizer, "%s", s->tokenizer);
	return 0;
}
