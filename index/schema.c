/*
 * schema.c - the database schema and its forward migrations.
 *
 * PRAGMA user_version holds the schema version. migrations[i] takes a
 * database from version i to version i + 1; a new file (version 0) runs them
 * all. Every pending step runs inside one transaction together with the
 * user_version update, so an interrupted upgrade leaves the old version
 * intact. Schema changes are therefore one more entry at the end of the
 * array; entries already released are never edited.
 *
 * In a step, @TOKENIZE@ stands for the FTS5 tokenize= string of a new
 * database, quoted as an SQL literal.
 */
#include "index/store_int.h"
#include "core/buf.h"
#include "core/error.h"

#include <stdlib.h>
#include <string.h>

static const char *const migrations[] = {
	/* version 1 */
	"CREATE TABLE collections("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT UNIQUE NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  embed_model TEXT,"
	"  embed_dim INTEGER);"
	"CREATE TABLE contents("
	"  id INTEGER PRIMARY KEY,"
	"  collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,"
	"  hash TEXT NOT NULL,"
	"  title TEXT,"
	"  format TEXT,"
	"  text_bytes INTEGER,"
	"  npages INTEGER,"
	"  created_at INTEGER,"
	"  UNIQUE(collection_id, hash));"
	"CREATE TABLE documents("
	"  id INTEGER PRIMARY KEY,"
	"  collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,"
	"  path TEXT NOT NULL,"
	"  content_id INTEGER REFERENCES contents(id) ON DELETE SET NULL,"
	"  size INTEGER,"
	"  mtime_ns INTEGER,"
	"  hash TEXT,"
	"  status TEXT NOT NULL CHECK(status IN ('ok','error')),"
	"  error TEXT,"
	"  ingested_at INTEGER,"
	"  UNIQUE(collection_id, path));"
	"CREATE INDEX documents_content ON documents(content_id);"
	"CREATE TABLE chunks("
	"  id INTEGER PRIMARY KEY,"
	"  content_id INTEGER NOT NULL REFERENCES contents(id) ON DELETE CASCADE,"
	"  ordinal INTEGER NOT NULL,"
	"  text TEXT NOT NULL,"
	"  start_byte INTEGER,"
	"  end_byte INTEGER,"
	"  page_start INTEGER,"
	"  page_end INTEGER,"
	"  heading TEXT,"
	"  ntokens INTEGER,"
	"  nwords INTEGER NOT NULL,"
	"  UNIQUE(content_id, ordinal));"
	"CREATE VIRTUAL TABLE chunks_fts USING fts5("
	"  text, content='chunks', content_rowid='id', tokenize=@TOKENIZE@);"
	/* FTS5 writes its pending terms out when they pass 'hashsize' (1 MB by
	 * default); 64 MB makes fewer, larger segments: a third faster to build */
	"INSERT INTO chunks_fts(chunks_fts, rank) VALUES ('hashsize', 67108864);"
	/* chunks are never updated in place: a new version is delete + insert;
	 * inserts are indexed by store.c, a document at a time (see there) */
	"CREATE TRIGGER chunks_fts_ad AFTER DELETE ON chunks BEGIN"
	"  INSERT INTO chunks_fts(chunks_fts, rowid, text) VALUES ('delete', old.id, old.text);"
	"END;"
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);"
	"INSERT INTO meta(key, value) VALUES ('tokenizer', @TOKENIZE@),"
	"  ('created_by', '" STORE_VERSION_STRING "');"
	"CREATE TABLE chunk_stats(block INTEGER PRIMARY KEY, data BLOB NOT NULL);",
	/* version 2: chunk vectors, the source of truth for the FAISS index */
	"CREATE TABLE embeddings("
	"  chunk_id INTEGER PRIMARY KEY REFERENCES chunks(id) ON DELETE CASCADE,"
	"  vec BLOB NOT NULL);",
	/* version 3: vectors kept in step with the FAISS file (index/vecset.h).
	 * Chunk ids are never reused (AUTOINCREMENT), so a chunk id names one
	 * vector for good; each vector row carries its collection, and triggers
	 * keep per-collection totals (count, sum of chunk ids) that the FAISS
	 * file's recorded totals are checked against. SQLite cannot add
	 * AUTOINCREMENT to a table, so chunks is rebuilt (ids and text kept, the
	 * FTS index untouched) with the vectors set aside meanwhile. */
	"CREATE TEMP TABLE embeddings_v2 AS SELECT chunk_id, vec FROM embeddings;"
	"DROP TABLE embeddings;"
	"DROP TRIGGER chunks_fts_ad;"
	"CREATE TABLE chunks_v3("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  content_id INTEGER NOT NULL REFERENCES contents(id) ON DELETE CASCADE,"
	"  ordinal INTEGER NOT NULL,"
	"  text TEXT NOT NULL,"
	"  start_byte INTEGER,"
	"  end_byte INTEGER,"
	"  page_start INTEGER,"
	"  page_end INTEGER,"
	"  heading TEXT,"
	"  ntokens INTEGER,"
	"  nwords INTEGER NOT NULL,"
	"  UNIQUE(content_id, ordinal));"
	"INSERT INTO chunks_v3 SELECT id, content_id, ordinal, text, start_byte, end_byte,"
	"  page_start, page_end, heading, ntokens, nwords FROM chunks;"
	"DROP TABLE chunks;"
	"ALTER TABLE chunks_v3 RENAME TO chunks;"
	"CREATE TRIGGER chunks_fts_ad AFTER DELETE ON chunks BEGIN"
	"  INSERT INTO chunks_fts(chunks_fts, rowid, text) VALUES ('delete', old.id, old.text);"
	"END;"
	"CREATE TABLE embeddings("
	"  chunk_id INTEGER PRIMARY KEY REFERENCES chunks(id) ON DELETE CASCADE,"
	"  collection_id INTEGER NOT NULL,"
	"  vec BLOB NOT NULL);"
	"CREATE INDEX embeddings_collection ON embeddings(collection_id);"
	"INSERT INTO embeddings SELECT e.chunk_id, ct.collection_id, e.vec FROM embeddings_v2 e"
	"  JOIN chunks ch ON ch.id = e.chunk_id JOIN contents ct ON ct.id = ch.content_id;"
	"DROP TABLE embeddings_v2;"
	/* totals of the vectors in the database, and of those in the FAISS file
	 * when it was last saved (NULL: never saved) */
	"ALTER TABLE collections ADD COLUMN vec_count INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE collections ADD COLUMN vec_idsum INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE collections ADD COLUMN faiss_count INTEGER;"
	"ALTER TABLE collections ADD COLUMN faiss_idsum INTEGER;"
	"UPDATE collections SET"
	"  vec_count = (SELECT count(*) FROM embeddings WHERE collection_id = collections.id),"
	"  vec_idsum = (SELECT coalesce(sum(chunk_id), 0) FROM embeddings"
	"               WHERE collection_id = collections.id);"
	"CREATE TRIGGER embeddings_ai AFTER INSERT ON embeddings BEGIN"
	"  UPDATE collections SET vec_count = vec_count + 1, vec_idsum = vec_idsum + new.chunk_id"
	"  WHERE id = new.collection_id;"
	"END;"
	"CREATE TRIGGER embeddings_ad AFTER DELETE ON embeddings BEGIN"
	"  UPDATE collections SET vec_count = vec_count - 1, vec_idsum = vec_idsum - old.chunk_id"
	"  WHERE id = old.collection_id;"
	"END;",
	/* version 4: each chunk's context (its document's title and its heading
	 * path, store_chunk_context()) is a second column of the keyword index,
	 * so a chunk is found by the words of the title and headings above it
	 * while its text stays a slice of the document. The context is filled
	 * here as store_chunk_context() makes it, and the index is rebuilt from
	 * the chunks (about as long as indexing them took at ingest). */
	"ALTER TABLE chunks ADD COLUMN context TEXT NOT NULL DEFAULT '';"
	"UPDATE chunks SET context = (SELECT CASE"
	"  WHEN coalesce(ct.title, '') = '' THEN coalesce(chunks.heading, '')"
	"  WHEN coalesce(chunks.heading, '') = '' THEN ct.title"
	"  WHEN chunks.heading = ct.title"
	"    OR substr(chunks.heading, 1, length(ct.title) + 3) = ct.title || ' > '"
	"    THEN chunks.heading"
	"  ELSE ct.title || ' > ' || chunks.heading END"
	"  FROM contents ct WHERE ct.id = chunks.content_id);"
	"DROP TRIGGER chunks_fts_ad;"
	"DROP TABLE chunks_fts;"
	"CREATE VIRTUAL TABLE chunks_fts USING fts5("
	"  text, context, content='chunks', content_rowid='id', tokenize=@TOKENIZE@);"
	"INSERT INTO chunks_fts(chunks_fts, rank) VALUES ('hashsize', 67108864);"
	"CREATE TRIGGER chunks_fts_ad AFTER DELETE ON chunks BEGIN"
	"  INSERT INTO chunks_fts(chunks_fts, rowid, text, context)"
	"  VALUES ('delete', old.id, old.text, old.context);"
	"END;"
	"INSERT INTO chunks_fts(chunks_fts) VALUES ('rebuild');"
	"DELETE FROM meta WHERE key = 'fts_unmerged';",

	/* version 5: stored conversations (docent chat, the web UI). A
	 * conversation names its collection rather than pointing at it, so it
	 * outlives the collection's removal. Each message keeps what was shown
	 * (content) and, for a question, what the model was sent (the question
	 * with its numbered context) and what was searched for; an answer keeps
	 * its citations as JSON, so a resumed chat shows its sources again. */
	"CREATE TABLE conversations("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  title TEXT NOT NULL,"
	"  collection TEXT,"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL);"
	"CREATE INDEX conversations_updated ON conversations(updated_at);"
	"CREATE TABLE messages("
	"  id INTEGER PRIMARY KEY,"
	"  conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,"
	"  ordinal INTEGER NOT NULL,"
	"  role TEXT NOT NULL CHECK(role IN ('user','assistant')),"
	"  content TEXT NOT NULL,"
	"  sent TEXT,"
	"  query TEXT,"
	"  mode TEXT,"
	"  citations TEXT,"
	"  created_at INTEGER NOT NULL,"
	"  UNIQUE(conversation_id, ordinal));",

	/* version 6: partial summaries (rag/summarize.h), keyed by what was
	 * summarized (a hash over the texts' hashes), the model, the prompt
	 * template and the length asked for; not tied to any document, so an
	 * edited document finds the parts it shares with its last version */
	"CREATE TABLE summary_cache("
	"  input_hash TEXT NOT NULL,"
	"  model TEXT NOT NULL,"
	"  prompt_hash TEXT NOT NULL,"
	"  length TEXT NOT NULL,"
	"  summary TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  PRIMARY KEY(input_hash, model, prompt_hash, length)) WITHOUT ROWID;",
};

#define NMIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

int store_schema_version(void)
{
	return NMIGRATIONS;
}

const char *store_migration_sql(int step)
{
	return step >= 0 && step < NMIGRATIONS ? migrations[step] : NULL;
}

int store_user_version(store *s, int *out)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int(st, 0);
		rc = 0;
	} else {
		rc = store_err(s, rc, "reading the schema version");
	}
	sqlite3_finalize(st);
	return rc;
}

/* The step's SQL with @TOKENIZE@ replaced by the quoted tokenizer. */
static int expand(const char *step, const char *tokenizer, dbuf *out)
{
	static const char marker[] = "@TOKENIZE@";
	char *quoted = sqlite3_mprintf("%Q", tokenizer);
	const char *p = step, *q;
	int rc = 0;

	if (!quoted)
		return DOCENT_ENOMEM;
	while (rc == 0 && (q = strstr(p, marker)) != NULL) {
		rc = dbuf_append(out, p, (size_t)(q - p));
		if (rc == 0)
			rc = dbuf_puts(out, quoted);
		p = q + sizeof marker - 1;
	}
	if (rc == 0)
		rc = dbuf_puts(out, p);
	sqlite3_free(quoted);
	return rc;
}

/* The tokenize= string in meta (*out NULL when none; caller frees). */
static int meta_tokenizer(store *s, char **out)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key = 'tokenizer'", -1,
				    &st, NULL);

	*out = NULL;
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_text(st, 0)) {
		*out = strdup((const char *)sqlite3_column_text(st, 0));
		rc = *out ? 0 : DOCENT_ENOMEM;
	} else if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
		rc = 0;
	} else {
		rc = store_err(s, rc, "reading the tokenizer");
	}
	sqlite3_finalize(st);
	return rc == DOCENT_ENOMEM ? docent_error_set(rc, "out of memory") : rc;
}

int store_schema_migrate(store *s, const char *tokenizer)
{
	dbuf sql = DBUF_INIT;
	char *own = NULL;
	int version, rc;

	if ((rc = store_user_version(s, &version)) != 0)
		return rc;
	if (version > NMIGRATIONS)
		goto newer;
	if (version == NMIGRATIONS)
		return 0;
	if (s->readonly)
		return docent_error_set(DOCENT_EDB,
			"%s has schema version %d but this docent needs %d; open it once "
			"without read-only mode to upgrade it", s->path, version, NMIGRATIONS);
	rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return store_err(s, rc, "starting the schema upgrade");
	/* another process may have upgraded it while we waited for the lock */
	if ((rc = store_user_version(s, &version)) != 0)
		goto fail;
	if (version > NMIGRATIONS) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		goto newer;
	}
	/* a database keeps the tokenizer it was made with (meta), also when a
	 * step makes its keyword index again */
	if (version > 0 && (rc = meta_tokenizer(s, &own)) != 0)
		goto fail;
	if (own)
		tokenizer = own;
	for (int v = version; v < NMIGRATIONS; v++) {
		dbuf_reset(&sql);
		if (expand(migrations[v], tokenizer, &sql)) {
			rc = docent_error_set(DOCENT_ENOMEM, "out of memory upgrading %s", s->path);
			goto fail;
		}
		rc = sqlite3_exec(s->db, sql.data, NULL, NULL, NULL);
		if (rc != SQLITE_OK) {
			rc = store_err(s, rc, v == 0 ? "creating the schema" : "upgrading the schema");
			goto fail;
		}
	}
	dbuf_reset(&sql);
	dbuf_printf(&sql, "PRAGMA user_version = %d", NMIGRATIONS);
	rc = sqlite3_exec(s->db, sql.data, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		rc = store_err(s, rc, "recording the schema version");
		goto fail;
	}
	dbuf_free(&sql);
	free(own);
	return 0;
fail:
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	dbuf_free(&sql);
	free(own);
	return rc;
newer:
	return docent_error_set(DOCENT_ESCHEMA,
		"%s was written by a newer docent (schema version %d, this docent knows "
		"up to %d); upgrade docent", s->path, version, NMIGRATIONS);
}
