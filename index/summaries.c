/*
 * summaries.c - what summaries need from the store (see store.h): finding
 * a document by id or path, reading its chunks in order, and the cache of
 * partial summaries. Statements are prepared per call: a summary runs a
 * handful of them, next to seconds of model time.
 */
#include "index/store_int.h"
#include "core/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int dup_col(sqlite3_stmt *st, int i, char **out)
{
	const char *t = (const char *)sqlite3_column_text(st, i);

	*out = NULL;
	if (!t)
		return 0;
	*out = strdup(t);
	return *out ? 0 : DOCENT_ENOMEM;
}

static int is_id(const char *k)
{
	return *k && strlen(k) <= 18 && k[strspn(k, "0123456789")] == '\0';
}

int store_doc_find(store *s, const char *collection, const char *key, store_doc **out)
{
	static const char sql[] =
		"SELECT d.id, col.name, d.path, ct.title, ct.format, d.size, d.mtime_ns, d.hash,"
		" d.ingested_at, d.status, d.error,"
		" (SELECT count(*) FROM chunks ch WHERE ch.content_id = d.content_id), ct.npages"
		" FROM documents d JOIN collections col ON col.id = d.collection_id"
		" LEFT JOIN contents ct ON ct.id = d.content_id"
		" WHERE (CASE WHEN ?3 THEN d.id = ?1 ELSE d.path = ?1 END)"
		"   AND (?2 = 0 OR d.collection_id = ?2)"
		" ORDER BY col.name";
	sqlite3_stmt *st = NULL;
	store_doc *d = NULL;
	int64_t cid = 0;
	int rc, found = 0;
	char others[256] = "";

	*out = NULL;
	if (!key || !*key)
		return docent_error_set(DOCENT_EINVAL, "no document given");
	if (collection && (rc = store_coll_find(s, collection, &cid)) != 0)
		return rc == DOCENT_ENOTFOUND
			? docent_error_set(rc, "no collection named '%s'; `docent collections` "
					   "lists them", collection)
			: rc;
	rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return store_err(s, rc, "finding a document");
	if (is_id(key))
		sqlite3_bind_int64(st, 1, strtoll(key, NULL, 10));
	else
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, cid);
	sqlite3_bind_int(st, 3, is_id(key));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *cname = (const char *)sqlite3_column_text(st, 1);
		size_t used = strlen(others);
		if (found++) {
			snprintf(others + used, sizeof others - used, "%s%s", used ? ", " : "",
				 cname ? cname : "?");
			continue;
		}
		snprintf(others, sizeof others, "%s", cname ? cname : "?");
		if (!(d = calloc(1, sizeof *d)))
			goto nomem;
		d->id = sqlite3_column_int64(st, 0);
		if (dup_col(st, 1, &d->collection) || dup_col(st, 2, &d->path) ||
		    dup_col(st, 3, &d->title) || dup_col(st, 4, &d->format) ||
		    dup_col(st, 7, &d->hash) || dup_col(st, 9, &d->status) ||
		    dup_col(st, 10, &d->error))
			goto nomem;
		d->size = sqlite3_column_int64(st, 5);
		d->mtime_ns = sqlite3_column_int64(st, 6);
		d->ingested_at = sqlite3_column_int64(st, 8);
		d->nchunks = sqlite3_column_int64(st, 11);
		d->npages = sqlite3_column_int(st, 12);
	}
	if (rc != SQLITE_DONE) {
		rc = store_err(s, rc, "finding a document");
		goto fail;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (!found)
		return docent_error_set(DOCENT_ENOTFOUND, "no document %s%s%s%s; `docent docs` "
					"lists them", key, collection ? " in collection '" : "",
					collection ? collection : "", collection ? "'" : "");
	if (found > 1) {
		store_doc_list_free(d, 1);
		return docent_error_set(DOCENT_EINVAL, "%s is in several collections (%s); name "
					"one with -c NAME", key, others);
	}
	*out = d;
	return 0;
nomem:
	rc = docent_error_set(DOCENT_ENOMEM, "out of memory finding a document");
fail:
	sqlite3_finalize(st);
	store_doc_list_free(d, d ? 1 : 0);
	return rc;
}

void store_chunks_free(store_chunk *c, size_t n)
{
	if (!c)
		return;
	for (size_t i = 0; i < n; i++) {
		free(c[i].text);
		free(c[i].heading);
	}
	free(c);
}

int store_doc_chunks(store *s, int64_t doc_id, store_chunk **out, size_t *n)
{
	static const char sql[] =
		"SELECT ch.id, ch.ordinal, ch.text, ch.start_byte, ch.end_byte, ch.page_start,"
		" ch.page_end, ch.heading, ch.ntokens"
		" FROM documents d JOIN chunks ch ON ch.content_id = d.content_id"
		" WHERE d.id = ?1 ORDER BY ch.ordinal";
	sqlite3_stmt *st = NULL;
	store_chunk *v = NULL;
	size_t cnt = 0, cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return store_err(s, rc, "reading a document's chunks");
	sqlite3_bind_int64(st, 1, doc_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (cnt == cap) {
			size_t nc = cap ? cap * 2 : 64;
			store_chunk *nv = realloc(v, nc * sizeof *nv);
			if (!nv)
				goto nomem;
			v = nv;
			cap = nc;
		}
		store_chunk *c = &v[cnt++];
		memset(c, 0, sizeof *c);
		c->id = sqlite3_column_int64(st, 0);
		c->ordinal = sqlite3_column_int(st, 1);
		c->len = (size_t)sqlite3_column_bytes(st, 2);
		if (dup_col(st, 2, &c->text) || dup_col(st, 7, &c->heading))
			goto nomem;
		if (!c->text && !(c->text = strdup("")))
			goto nomem;
		c->start_byte = sqlite3_column_int64(st, 3);
		c->end_byte = sqlite3_column_int64(st, 4);
		c->page_start = sqlite3_column_int(st, 5);
		c->page_end = sqlite3_column_int(st, 6);
		c->ntokens = (size_t)sqlite3_column_int64(st, 8);
	}
	if (rc != SQLITE_DONE) {
		rc = store_err(s, rc, "reading a document's chunks");
		goto fail;
	}
	sqlite3_finalize(st);
	*out = v;
	*n = cnt;
	return 0;
nomem:
	rc = docent_error_set(DOCENT_ENOMEM, "out of memory reading a document's chunks");
fail:
	sqlite3_finalize(st);
	store_chunks_free(v, cnt);
	return rc;
}

static void bind_key(sqlite3_stmt *st, const store_summary_key *k)
{
	sqlite3_bind_text(st, 1, k->input_hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, k->model, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, k->prompt_hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, k->length, -1, SQLITE_STATIC);
}

int store_summary_get(store *s, const store_summary_key *key, char **text)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*text = NULL;
	rc = sqlite3_prepare_v2(s->db,
		"SELECT summary FROM summary_cache WHERE input_hash = ?1 AND model = ?2"
		" AND prompt_hash = ?3 AND length = ?4", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return store_err(s, rc, "reading the summary cache");
	bind_key(st, key);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = dup_col(st, 0, text) ? docent_error_set(DOCENT_ENOMEM, "out of memory") : 0;
	else if (rc == SQLITE_DONE)
		rc = 0;
	else
		rc = store_err(s, rc, "reading the summary cache");
	sqlite3_finalize(st);
	return rc;
}

int store_summary_put(store *s, const store_summary_key *key, const char *text)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(s->db,
		"INSERT OR REPLACE INTO summary_cache(input_hash, model, prompt_hash, length,"
		" summary, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return store_err(s, rc, "writing the summary cache");
	bind_key(st, key);
	sqlite3_bind_text(st, 5, text, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, (int64_t)time(NULL));
	rc = sqlite3_step(st);
	rc = rc == SQLITE_DONE ? 0 : store_err(s, rc, "writing the summary cache");
	sqlite3_finalize(st);
	return rc;
}
