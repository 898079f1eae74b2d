/*
 * conv.c - stored conversations (store.h, "conversations"): the tables of
 * schema version 4, written a turn at a time by rag/chat.c and read by the
 * faces to list and resume chats.
 *
 * Chats write a few rows a minute, so statements are prepared per call
 * rather than kept in the handle's cache.
 */
#include "index/store_int.h"
#include "core/error.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static int prep(store *s, const char *sql, sqlite3_stmt **st)
{
	int rc = sqlite3_prepare_v2(s->db, sql, -1, st, NULL);
	return rc == SQLITE_OK ? 0 : store_err(s, rc, "preparing a conversation query");
}

static char *col_dup(sqlite3_stmt *st, int i, int *oom)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	char *d;

	if (!t)
		return NULL;
	if (!(d = strdup((const char *)t)))
		*oom = 1;
	return d;
}

static int bind_text(sqlite3_stmt *st, int i, const char *v)
{
	return v ? sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}

int store_conv_create(store *s, const char *title, const char *collection, int64_t *id)
{
	sqlite3_stmt *st = NULL;
	int64_t now = (int64_t)time(NULL);
	int rc;

	if ((rc = prep(s, "INSERT INTO conversations(title, collection, created_at, updated_at) "
			  "VALUES (?1, ?2, ?3, ?3)", &st)) != 0)
		return rc;
	bind_text(st, 1, title ? title : "");
	bind_text(st, 2, collection);
	sqlite3_bind_int64(st, 3, now);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_err(s, rc, "creating a conversation");
	*id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

/* Runs one statement with an id bound to ?1 and text to ?2; *changed gets
 * the rows it changed. */
static int exec_id(store *s, const char *sql, int64_t id, const char *text, int *changed,
		   const char *what)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = prep(s, sql, &st)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_bind_parameter_count(st) >= 2)
		bind_text(st, 2, text);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_err(s, rc, what);
	if (changed)
		*changed = sqlite3_changes(s->db);
	return 0;
}

int store_conv_append(store *s, int64_t id, const store_conv_msg *msgs, size_t n)
{
	sqlite3_stmt *st = NULL, *ins = NULL;
	int64_t now = (int64_t)time(NULL);
	int rc, next = 0;

	if ((rc = store_tx_begin(s)) != 0)
		return rc;
	if ((rc = prep(s, "UPDATE conversations SET updated_at = ?2 WHERE id = ?1", &st)) != 0)
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_DONE) {
		rc = store_err(s, rc, "marking a conversation used");
		goto fail;
	}
	if (sqlite3_changes(s->db) == 0) {
		rc = docent_error_set(DOCENT_ENOTFOUND, "there is no conversation %lld",
				      (long long)id);
		goto fail;
	}
	if ((rc = prep(s, "SELECT coalesce(max(ordinal) + 1, 0) FROM messages "
			  "WHERE conversation_id = ?1", &st)) != 0)
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		next = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_ROW) {
		rc = store_err(s, rc, "reading a conversation");
		goto fail;
	}
	if ((rc = prep(s, "INSERT INTO messages(conversation_id, ordinal, role, content, sent, "
			  "query, mode, citations, created_at) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)",
		       &ins)) != 0)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		const store_conv_msg *m = &msgs[i];
		sqlite3_reset(ins);
		sqlite3_bind_int64(ins, 1, id);
		sqlite3_bind_int(ins, 2, next + (int)i);
		bind_text(ins, 3, m->role);
		bind_text(ins, 4, m->content ? m->content : "");
		bind_text(ins, 5, m->sent);
		bind_text(ins, 6, m->query);
		bind_text(ins, 7, m->mode);
		bind_text(ins, 8, m->citations);
		sqlite3_bind_int64(ins, 9, now);
		if ((rc = sqlite3_step(ins)) != SQLITE_DONE) {
			rc = store_err(s, rc, "storing a message");
			goto fail;
		}
	}
	sqlite3_finalize(ins);
	return store_tx_commit(s);
fail:
	sqlite3_finalize(ins);
	store_tx_rollback(s);
	return rc;
}

int store_conv_set_collection(store *s, int64_t id, const char *collection)
{
	int changed = 0;
	int rc = exec_id(s, "UPDATE conversations SET collection = ?2 WHERE id = ?1", id,
			 collection, &changed, "changing a conversation's collection");
	if (rc == 0 && !changed)
		rc = docent_error_set(DOCENT_ENOTFOUND, "there is no conversation %lld",
				      (long long)id);
	return rc;
}

void store_conv_clear(store_conv *c)
{
	if (!c)
		return;
	free(c->title);
	free(c->collection);
	memset(c, 0, sizeof *c);
}

void store_conv_list_free(store_conv *c, size_t n)
{
	if (!c)
		return;
	for (size_t i = 0; i < n; i++)
		store_conv_clear(&c[i]);
	free(c);
}

#define CONV_SELECT \
	"SELECT c.id, c.title, c.collection, c.created_at, c.updated_at, " \
	"(SELECT count(*) FROM messages m WHERE m.conversation_id = c.id) FROM conversations c "

static int conv_row(sqlite3_stmt *st, store_conv *c)
{
	int oom = 0;
	c->id = sqlite3_column_int64(st, 0);
	c->title = col_dup(st, 1, &oom);
	c->collection = col_dup(st, 2, &oom);
	c->created_at = sqlite3_column_int64(st, 3);
	c->updated_at = sqlite3_column_int64(st, 4);
	c->nmessages = sqlite3_column_int64(st, 5);
	return oom ? docent_error_set(DOCENT_ENOMEM, "out of memory") : 0;
}

int store_conv_get(store *s, int64_t id, store_conv *out)
{
	sqlite3_stmt *st = NULL;
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = prep(s, CONV_SELECT "WHERE c.id = ?1", &st)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = conv_row(st, out);
	else if (rc == SQLITE_DONE)
		rc = docent_error_set(DOCENT_ENOTFOUND, "there is no conversation %lld (see "
				      "docent chat --list)", (long long)id);
	else
		rc = store_err(s, rc, "reading a conversation");
	sqlite3_finalize(st);
	if (rc)
		store_conv_clear(out);
	return rc;
}

int store_conv_list(store *s, store_conv **out, size_t *n)
{
	sqlite3_stmt *st = NULL;
	store_conv *v = NULL;
	size_t cnt = 0, cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	/* times are in seconds: within one, the latest message decides */
	if ((rc = prep(s, CONV_SELECT "ORDER BY c.updated_at DESC, (SELECT max(m.id) FROM messages m "
			  "WHERE m.conversation_id = c.id) DESC, c.id DESC", &st)) != 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (cnt == cap) {
			store_conv *nv = realloc(v, (cap ? cap * 2 : 16) * sizeof *v);
			if (!nv) {
				rc = docent_error_set(DOCENT_ENOMEM, "out of memory");
				goto fail;
			}
			v = nv;
			cap = cap ? cap * 2 : 16;
		}
		memset(&v[cnt], 0, sizeof v[cnt]);
		if ((rc = conv_row(st, &v[cnt++])) != 0)
			goto fail;
	}
	if (rc != SQLITE_DONE) {
		rc = store_err(s, rc, "listing conversations");
		goto fail;
	}
	sqlite3_finalize(st);
	*out = v;
	*n = cnt;
	return 0;
fail:
	sqlite3_finalize(st);
	store_conv_list_free(v, cnt);
	return rc;
}

void store_conv_messages_free(store_conv_msg *m, size_t n)
{
	if (!m)
		return;
	for (size_t i = 0; i < n; i++) {
		free(m[i].role);
		free(m[i].content);
		free(m[i].sent);
		free(m[i].query);
		free(m[i].mode);
		free(m[i].citations);
	}
	free(m);
}

int store_conv_messages(store *s, int64_t id, store_conv_msg **out, size_t *n)
{
	sqlite3_stmt *st = NULL;
	store_conv_msg *v = NULL;
	store_conv c;
	size_t cnt = 0, cap = 0;
	int rc, oom = 0;

	*out = NULL;
	*n = 0;
	if ((rc = store_conv_get(s, id, &c)) != 0)
		return rc;
	store_conv_clear(&c);
	if ((rc = prep(s, "SELECT ordinal, role, content, sent, query, mode, citations, "
			  "created_at FROM messages WHERE conversation_id = ?1 ORDER BY ordinal",
		       &st)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		store_conv_msg *m;
		if (cnt == cap) {
			store_conv_msg *nv = realloc(v, (cap ? cap * 2 : 16) * sizeof *v);
			if (!nv) {
				oom = 1;
				break;
			}
			v = nv;
			cap = cap ? cap * 2 : 16;
		}
		m = &v[cnt++];
		memset(m, 0, sizeof *m);
		m->ordinal = sqlite3_column_int(st, 0);
		m->role = col_dup(st, 1, &oom);
		m->content = col_dup(st, 2, &oom);
		m->sent = col_dup(st, 3, &oom);
		m->query = col_dup(st, 4, &oom);
		m->mode = col_dup(st, 5, &oom);
		m->citations = col_dup(st, 6, &oom);
		m->created_at = sqlite3_column_int64(st, 7);
		if (oom)
			break;
	}
	sqlite3_finalize(st);
	if (oom) {
		store_conv_messages_free(v, cnt);
		return docent_error_set(DOCENT_ENOMEM, "out of memory");
	}
	if (rc != SQLITE_DONE) {
		store_conv_messages_free(v, cnt);
		return store_err(s, rc, "reading a conversation's messages");
	}
	*out = v;
	*n = cnt;
	return 0;
}

int store_conv_delete(store *s, int64_t id)
{
	int changed = 0;
	int rc = exec_id(s, "DELETE FROM conversations WHERE id = ?1", id, NULL, &changed,
			 "deleting a conversation");
	if (rc == 0 && !changed)
		rc = docent_error_set(DOCENT_ENOTFOUND, "there is no conversation %lld (see "
				      "docent chat --list)", (long long)id);
	return rc;
}
