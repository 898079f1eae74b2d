/*
 * test_conv.c - stored conversations (store.h, "conversations"): a round
 * trip of messages with everything a turn keeps, the list (last used
 * first), a collection switch, deletion with its messages, unknown ids,
 * and a database of the schema before conversations upgraded at open.
 */
#include "tests/index/store_fixture.h"

#include <sqlite3.h>

#include "core/error.h"
#include "index/store.h"
#include "index/store_int.h"

static int64_t q1(const char *db, const char *sql)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}

static void append_turn(store *s, int64_t id, const char *q, const char *a)
{
	store_conv_msg m[2] = { { 0 } };
	m[0].role = "user";
	m[0].content = (char *)q;
	m[0].sent = "Sources:\n\n[1] ...\n\nQuestion: q";
	m[0].query = "standalone query";
	m[1].role = "assistant";
	m[1].content = (char *)a;
	m[1].mode = "generated";
	m[1].citations = "[{\"n\":1,\"path\":\"/a.txt\",\"page\":null,\"heading\":null,"
			 "\"start_byte\":0,\"end_byte\":10}]";
	assert_int_equal(store_conv_append(s, id, m, 2), 0);
}

static void test_conv__round_trip(void **state)
{
	fx *f = *state;
	int64_t id;
	store_conv c;
	store_conv_msg *m;
	size_t n;

	assert_int_equal(store_conv_create(f->s, "how many days of leave?", "default", &id), 0);
	assert_true(id > 0);
	append_turn(f->s, id, "how many days of leave?", "45 days [1].");
	append_turn(f->s, id, "and for fathers?", "The same [1].");
	assert_int_equal(store_conv_messages(f->s, id, &m, &n), 0);
	assert_int_equal(n, 4);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(m[i].ordinal, (int)i);
	assert_string_equal(m[0].role, "user");
	assert_string_equal(m[0].content, "how many days of leave?");
	assert_string_equal(m[0].query, "standalone query");
	assert_non_null(strstr(m[0].sent, "Question:"));
	assert_null(m[0].mode);
	assert_string_equal(m[1].role, "assistant");
	assert_string_equal(m[1].mode, "generated");
	assert_non_null(strstr(m[1].citations, "\"/a.txt\""));
	assert_null(m[1].sent);
	assert_string_equal(m[2].content, "and for fathers?");
	assert_true(m[3].created_at > 0);
	store_conv_messages_free(m, n);

	assert_int_equal(store_conv_get(f->s, id, &c), 0);
	assert_string_equal(c.title, "how many days of leave?");
	assert_string_equal(c.collection, "default");
	assert_int_equal(c.nmessages, 4);
	assert_true(c.updated_at >= c.created_at);
	store_conv_clear(&c);
	store_conv_clear(NULL);
	store_conv_list_free(NULL, 0);
	store_conv_messages_free(NULL, 0);
}

static void test_conv__list_collection_delete(void **state)
{
	fx *f = *state;
	int64_t a, b;
	store_conv *v, c;
	store_conv_msg *m;
	size_t n;

	assert_int_equal(store_conv_list(f->s, &v, &n), 0);
	assert_int_equal(n, 0);
	store_conv_list_free(v, n);
	assert_int_equal(store_conv_create(f->s, "first", NULL, &a), 0);
	assert_int_equal(store_conv_create(f->s, "second", "default", &b), 0);
	/* same second: the newer id comes first; a later use moves one up */
	assert_int_equal(store_conv_list(f->s, &v, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].id, b);
	assert_null(v[1].collection);
	store_conv_list_free(v, n);
	append_turn(f->s, a, "first", "answer");
	/* within the same second, the conversation with the latest message leads */
	assert_int_equal(store_conv_list(f->s, &v, &n), 0);
	assert_int_equal(v[0].id, a);
	store_conv_list_free(v, n);
	{
		/* make b look older than a's new message */
		char sql[128];
		sqlite3 *h;
		assert_int_equal(sqlite3_open(f->db, &h), SQLITE_OK);
		snprintf(sql, sizeof sql, "UPDATE conversations SET updated_at = 1 WHERE id = %lld",
			 (long long)b);
		assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
		sqlite3_close(h);
	}
	assert_int_equal(store_conv_list(f->s, &v, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].id, a);
	assert_int_equal(v[0].nmessages, 2);
	assert_int_equal(v[1].nmessages, 0);
	store_conv_list_free(v, n);

	assert_int_equal(store_conv_set_collection(f->s, a, "other"), 0);
	assert_int_equal(store_conv_get(f->s, a, &c), 0);
	assert_string_equal(c.collection, "other");
	store_conv_clear(&c);
	assert_int_equal(store_conv_set_collection(f->s, a, NULL), 0);
	assert_int_equal(store_conv_get(f->s, a, &c), 0);
	assert_null(c.collection);
	store_conv_clear(&c);

	assert_int_equal(store_conv_delete(f->s, a), 0);
	assert_int_equal(q1(f->db, "SELECT count(*) FROM messages"), 0);
	assert_int_equal(store_conv_delete(f->s, a), DOCENT_ENOTFOUND);
	assert_non_null(strstr(docent_error_message(), "no conversation"));
	assert_int_equal(store_conv_get(f->s, a, &c), DOCENT_ENOTFOUND);
	assert_int_equal(store_conv_messages(f->s, a, &m, &n), DOCENT_ENOTFOUND);
	assert_int_equal(store_conv_set_collection(f->s, a, "x"), DOCENT_ENOTFOUND);
	{
		store_conv_msg one = { .role = "user", .content = "q" };
		assert_int_equal(store_conv_append(f->s, a, &one, 1), DOCENT_ENOTFOUND);
	}
	/* a conversation outlives its collection */
	assert_int_equal(store_collection_remove(f->s, "default"), 0);
	assert_int_equal(store_conv_get(f->s, b, &c), 0);
	assert_string_equal(c.collection, "default");
	store_conv_clear(&c);
}

/* A database of the schema before conversations (version 3) gains them at
 * open and keeps what it had. */
static void test_conv__migrates_from_3(void **state)
{
	fx *f = *state;
	store_params p = store_default_params();
	sqlite3 *h;
	int64_t id;

	store_close(f->s);
	f->s = NULL;
	remove(f->db);
	assert_int_equal(sqlite3_open(f->db, &h), SQLITE_OK);
	for (int v = 0; v < 3; v++) {
		char *sql = strdup(store_migration_sql(v)), *at;
		assert_non_null(sql);
		while ((at = strstr(sql, "@TOKENIZE@")) != NULL)
			memcpy(at, "'porter'  ", 10);
		assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
		free(sql);
	}
	assert_int_equal(sqlite3_exec(h,
		"INSERT INTO collections(id, name, created_at) VALUES (1, 'default', 0);"
		"PRAGMA user_version = 3;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	assert_int_equal(q1(f->db, "SELECT count(*) FROM sqlite_master WHERE name = 'messages'"), 0);

	assert_int_equal(store_open(&f->s, f->db, &p), 0);
	assert_int_equal(q1(f->db, "PRAGMA user_version"), store_schema_version());
	assert_true(store_schema_version() >= 4);
	assert_int_equal(q1(f->db, "SELECT count(*) FROM collections WHERE name = 'default'"), 1);
	assert_int_equal(store_conv_create(f->s, "q", "default", &id), 0);
	append_turn(f->s, id, "q", "a");
	assert_int_equal(q1(f->db, "SELECT count(*) FROM messages"), 2);
	assert_int_equal(store_check(f->s), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_conv__round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_conv__list_collection_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_conv__migrates_from_3, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
