/*
 * embeddings.c - chunk vectors in the database (see store.h). Vectors are
 * stored as little-endian float32 blobs, one row per chunk, deleted with
 * their chunk (ON DELETE CASCADE); each collection records the model that
 * made them, so that vectors of two models never mix. Triggers (schema.c)
 * keep each collection's vector totals; a temporary trigger of each
 * read-write handle notes the vectors it deletes (temp.vectors_removed), so
 * that the FAISS file can drop them (index/vecset.c).
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
	sqlite3_stmt *del, *ins;
	int rc;

	if (dim <= 0)
		return docent_error_set(DOCENT_EINVAL, "vectors need a dimension");
	if ((rc = store_tx_begin(s)) != 0)
		return rc;
	/* delete, then insert: a replaced vector must reach the delete triggers
	 * (INSERT OR REPLACE would skip them) */
	rc = store_prep(s, ST_EMB_DEL, "DELETE FROM embeddings WHERE chunk_id = ?1", &del);
	if (rc == 0)
		rc = store_prep(s, ST_EMB_PUT,
				"INSERT INTO embeddings(chunk_id, collection_id, vec) "
				"SELECT ch.id, ct.collection_id, ?2 FROM chunks ch "
				"JOIN contents ct ON ct.id = ch.content_id WHERE ch.id = ?1", &ins);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		sqlite3_bind_int64(del, 1, chunk_ids[i]);
		rc = store_exec_stmt(s, del, "storing vectors");
		if (rc)
			break;
		/* float32 in the machine's order: docent runs on little-endian CPUs */
		sqlite3_bind_int64(ins, 1, chunk_ids[i]);
		sqlite3_bind_blob(ins, 2, vecs + i * (size_t)dim, dim * (int)sizeof(float),
				  SQLITE_STATIC);
		rc = store_exec_stmt(s, ins, "storing vectors");
	}
	if (rc == 0)
		return store_tx_commit(s);
	store_tx_rollback(s);
	return rc;
}

int store_chunks_to_embed(store *s, int64_t collection_id, int64_t after, size_t limit,
			  store_chunk_fn fn, void *ctx)
{
	sqlite3_stmt *st;
	int rc = store_prep(s, ST_CHUNKS_TO_EMBED,
		"SELECT ch.id, CASE WHEN ch.context = '' THEN ch.text "
		"  ELSE ch.context || char(10, 10) || ch.text END, ch.ntokens FROM chunks ch "
		"JOIN contents ct ON ct.id = ch.content_id WHERE ch.id > ?2 AND ct.collection_id = ?1 AND NOT EXISTS "
		"(SELECT 1 FROM embeddings e WHERE e.chunk_id = ch.id) ORDER BY ch.id LIMIT ?3", &st);

	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, collection_id);
	sqlite3_bind_int64(st, 2, after);
	sqlite3_bind_int64(st, 3, limit ? (int64_t)limit : -1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int r = fn(ctx, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
			   (size_t)sqlite3_column_bytes(st, 1), (size_t)sqlite3_column_int64(st, 2));
		if (r) {
			sqlite3_reset(st);
			return r;
		}
	}
	rc = rc == SQLITE_DONE ? 0 : store_err(s, rc, "listing chunks to embed");
	sqlite3_reset(st);
	return rc;
}

int store_chunks_unembedded(store *s, int64_t collection_id, int64_t *out)
{
	sqlite3_stmt *st;
	int rc = store_prep(s, ST_CHUNKS_UNEMBEDDED,
		"SELECT (SELECT count(*) FROM chunks ch JOIN contents ct ON ct.id = ch.content_id "
		"WHERE ct.collection_id = ?1) - vec_count FROM collections WHERE id = ?1", &st);

	*out = 0;
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, collection_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_err(s, rc, "counting chunks to embed");
	sqlite3_reset(st);
	return rc;
}

int store_embeddings_foreach(store *s, int64_t collection_id, store_vec_fn fn, void *ctx)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db,
		"SELECT chunk_id, vec FROM embeddings WHERE collection_id = ?1 ORDER BY chunk_id",
		-1, &st, NULL);

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
	rc = run_for(s, "DELETE FROM embeddings WHERE collection_id = ?1", collection_id);
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

int store_vectors_totals(store *s, int64_t collection_id, store_vec_totals *out)
{
	sqlite3_stmt *st;
	int rc = store_prep(s, ST_VEC_TOTALS,
		"SELECT vec_count, vec_idsum, faiss_count, faiss_idsum FROM collections "
		"WHERE id = ?1", &st);

	memset(out, 0, sizeof *out);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, collection_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->count = sqlite3_column_int64(st, 0);
		out->idsum = sqlite3_column_int64(st, 1);
		out->saved = sqlite3_column_type(st, 2) != SQLITE_NULL;
		out->saved_count = sqlite3_column_int64(st, 2);
		out->saved_idsum = sqlite3_column_int64(st, 3);
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = docent_error_set(DOCENT_ENOTFOUND, "no collection with id %lld",
				      (long long)collection_id);
	} else {
		rc = store_err(s, rc, "reading the collection's vector totals");
	}
	sqlite3_reset(st);
	return rc;
}

int store_embedding_get(store *s, int64_t chunk_id, float *vec, int dim)
{
	sqlite3_stmt *st;
	int rc = store_prep(s, ST_EMB_GET, "SELECT vec FROM embeddings WHERE chunk_id = ?1", &st);

	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, chunk_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		int bytes = sqlite3_column_bytes(st, 0);
		if (dim <= 0 || bytes != dim * (int)sizeof(float)) {
			rc = docent_error_set(DOCENT_EFORMAT, "the vector of chunk %lld has %d "
					      "bytes, not %d dimensions", (long long)chunk_id,
					      bytes, dim);
		} else {
			memcpy(vec, sqlite3_column_blob(st, 0), (size_t)bytes);
			rc = 0;
		}
	} else if (rc == SQLITE_DONE) {
		rc = docent_error_set(DOCENT_ENOTFOUND, "chunk %lld has no vector",
				      (long long)chunk_id);
	} else {
		rc = store_err(s, rc, "reading a vector");
	}
	sqlite3_reset(st);
	return rc;
}

int store_vectors_saved(store *s, int64_t collection_id, int64_t count, int64_t idsum)
{
	sqlite3_stmt *st;
	int rc = store_prep(s, ST_VEC_SAVED,
		"UPDATE collections SET faiss_count = ?2, faiss_idsum = ?3 WHERE id = ?1", &st);

	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, collection_id);
	if (count < 0) {
		sqlite3_bind_null(st, 2);
		sqlite3_bind_null(st, 3);
	} else {
		sqlite3_bind_int64(st, 2, count);
		sqlite3_bind_int64(st, 3, idsum);
	}
	return store_exec_stmt(s, st, "recording the vector file's totals");
}

int store_vectors_removed(store *s, int64_t collection_id, int64_t **ids, size_t *n)
{
	sqlite3_stmt *st;
	int64_t *v = NULL;
	size_t cap = 0, k = 0;
	int rc = store_prep(s, ST_VEC_REMOVED,
		"SELECT chunk_id FROM temp.vectors_removed WHERE collection_id = ?1", &st);

	*ids = NULL;
	*n = 0;
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, collection_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (k == cap) {
			cap = cap ? cap * 2 : 256;
			int64_t *nv = realloc(v, cap * sizeof *nv);
			if (!nv) {
				sqlite3_reset(st);
				free(v);
				return docent_error_set(DOCENT_ENOMEM, "out of memory");
			}
			v = nv;
		}
		v[k++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		free(v);
		return store_err(s, rc, "reading removed vectors");
	}
	rc = run_for(s, "DELETE FROM temp.vectors_removed WHERE collection_id = ?1", collection_id);
	if (rc != SQLITE_OK) {
		free(v);
		return store_err(s, rc, "reading removed vectors");
	}
	*ids = v;
	*n = k;
	return 0;
}
