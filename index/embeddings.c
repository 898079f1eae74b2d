/*
 * embeddings.c - chunk vectors in the database (see store.h). Vectors are
 * stored as little-endian float32 blobs, one row per chunk, deleted with
 * their chunk (ON DELETE CASCADE); each collection records the model that
 * made them, so that vectors of two models never mix.
 */
#include "index/store_int.h"
#include "core/error.h"

#include <stdlib.h>
#include <string.h>

int store_collection_model(store *s, int64_t collection_id, char **model, int *dim)
{
	sqlite3_stmt *st;
	int rc = store_prep(s, ST_COLL_MODEL_GET,
			    "SELECT embed_model, embed_dim FROM collections WHERE id = ?1", &st);

	*model = NULL;
	*dim = 0;
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, collection_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *m = (const char *)sqlite3_column_text(st, 0);
		*dim = sqlite3_column_int(st, 1);
		if (m && !(*model = strdup(m)))
			rc = DOCENT_ENOMEM;
		else
			rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = docent_error_set(DOCENT_ENOTFOUND, "no collection with id %lld",
				      (long long)collection_id);
	} else {
		rc = store_err(s, rc, "reading the collection's model");
	}
	sqlite3_reset(st);
	return rc == DOCENT_ENOMEM ? docent_error_set(rc, "out of memory") : rc;
}

int store_collection_set_model(store *s, int64_t collection_id, const char *model, int dim)
{
	sqlite3_stmt *st;
	char *have = NULL;
	int have_dim = 0;
	int rc = store_collection_model(s, collection_id, &have, &have_dim);

	if (rc)
		return rc;
	if (have) {
		rc = strcmp(have, model) == 0 && have_dim == dim ? 0 :
		     docent_error_set(DOCENT_EINVAL, "this collection's vectors were made with %s "
				      "(%d dimensions), not %s (%d); to switch models run "
				      "`docent reindex`, which embeds the collection again",
				      have, have_dim, model, dim);
		free(have);
		return rc;
	}
	rc = store_prep(s, ST_COLL_MODEL_SET,
			"UPDATE collections SET embed_model = ?2, embed_dim = ?3 WHERE id = ?1", &st);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, collection_id);
	sqlite3_bind_text(st, 2, model, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, dim);
	return store_exec_stmt(s, st, "recording the collection's model");
}

int store_embeddings_put(store *s, const int64_t *chunk_ids, const float *vecs, size_t n,
			 int dim)
{
	sqlite3_stmt *st;
	int rc;

	if (dim <= 0)
		return docent_error_set(DOCENT_EINVAL, "vectors need a dimension");
	if ((rc = store_tx_begin(s)) != 0)
		return rc;
	rc = store_prep(s, ST_EMB_PUT,
			"INSERT OR REPLACE INTO embeddings(chunk_id, vec) VALUES (?1, ?2)", &st);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		/* float32 in the machine's order: docent runs on little-endian CPUs */
		sqlite3_bind_int64(st, 1, chunk_ids[i]);
		sqlite3_bind_blob(st, 2, vecs + i * (size_t)dim, dim * (int)sizeof(float),
				  SQLITE_STATIC);
		rc = store_exec_stmt(s, st, "storing vectors");
	}
	if (rc == 0)
		return store_tx_commit(s);
	store_tx_rollback(s);
	return rc;
}

int store_chunks_without_embedding(store *s, int64_t collection_id, store_chunk_fn fn,
				   void *ctx)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db,
		"SELECT ch.id, ch.text FROM chunks ch JOIN contents ct ON ct.id = ch.content_id "
		"WHERE ct.collection_id = ?1 AND NOT EXISTS "
		"(SELECT 1 FROM embeddings e WHERE e.chunk_id = ch.id) ORDER BY ch.id", -1, &st, NULL);

	if (rc != SQLITE_OK)
		return store_err(s, rc, "listing chunks to embed");
	sqlite3_bind_int64(st, 1, collection_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int r = fn(ctx, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
			   (size_t)sqlite3_column_bytes(st, 1));
		if (r) {
			sqlite3_finalize(st);
			return r;
		}
	}
	rc = rc == SQLITE_DONE ? 0 : store_err(s, rc, "listing chunks to embed");
	sqlite3_finalize(st);
	return rc;
}

int store_embeddings_foreach(store *s, int64_t collection_id, store_vec_fn fn, void *ctx)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db,
		"SELECT e.chunk_id, e.vec FROM embeddings e JOIN chunks ch ON ch.id = e.chunk_id "
		"JOIN contents ct ON ct.id = ch.content_id WHERE ct.collection_id = ?1 "
		"ORDER BY e.chunk_id", -1, &st, NULL);

	if (rc != SQLITE_OK)
		return store_err(s, rc, "reading vectors");
	sqlite3_bind_int64(st, 1, collection_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int bytes = sqlite3_column_bytes(st, 1);
		const float *v = sqlite3_column_blob(st, 1);
		int r = fn(ctx, sqlite3_column_int64(st, 0), v, bytes / (int)sizeof(float));
		if (r) {
			sqlite3_finalize(st);
			return r;
		}
	}
	rc = rc == SQLITE_DONE ? 0 : store_err(s, rc, "reading vectors");
	sqlite3_finalize(st);
	return rc;
}

/* Runs one statement with the collection id bound to ?1; SQLite rc. */
static int run_for(store *s, const char *sql, int64_t collection_id)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, collection_id);
		rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(s->db);
	}
	sqlite3_finalize(st);
	return rc;
}

int store_embeddings_clear(store *s, int64_t collection_id)
{
	int rc;

	if ((rc = store_tx_begin(s)) != 0)
		return rc;
	rc = run_for(s, "DELETE FROM embeddings WHERE chunk_id IN (SELECT ch.id FROM chunks ch "
		     "JOIN contents ct ON ct.id = ch.content_id WHERE ct.collection_id = ?1)",
		     collection_id);
	if (rc == SQLITE_OK)
		rc = run_for(s, "UPDATE collections SET embed_model = NULL, embed_dim = NULL "
			     "WHERE id = ?1", collection_id);
	if (rc != SQLITE_OK) {
		rc = store_err(s, rc, "forgetting vectors");
		store_tx_rollback(s);
		return rc;
	}
	return store_tx_commit(s);
}
