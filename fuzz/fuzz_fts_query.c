/*
 * fuzz_fts_query.c - the keyword search's query builder (index/search.c,
 * store_query_fts): any query a person types becomes an FTS5 expression
 * that SQLite accepts. The expression is run against an empty FTS5 table
 * with docent's tokenizer; a syntax error there would be a search that
 * fails on odd input, so it is a finding.
 */
#include "fuzz/fuzz.h"
#include "core/error.h"
#include "index/store_int.h"

#include <sqlite3.h>

static sqlite3 *db;
static sqlite3_stmt *st;

static void db_close(void)
{
	sqlite3_finalize(st);
	sqlite3_close(db);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dbuf q = DBUF_INIT, fts = DBUF_INIT;

	if (!db) {
		FUZZ_CHECK(sqlite3_open(":memory:", &db) == SQLITE_OK);
		FUZZ_CHECK(sqlite3_exec(db, "CREATE VIRTUAL TABLE t USING fts5(text, context, "
					"tokenize='" STORE_DEFAULT_TOKENIZER "');"
					"INSERT INTO t VALUES ('some text', 'a heading')",
					NULL, NULL, NULL) == SQLITE_OK);
		FUZZ_CHECK(sqlite3_prepare_v2(db, "SELECT rowid FROM t WHERE t MATCH ?", -1, &st,
					      NULL) == SQLITE_OK);
		atexit(db_close);
	}
	/* the query arrives as a C string: it ends at its first NUL */
	if (dbuf_append(&q, data, size))
		goto done;
	if (store_query_fts(q.data ? q.data : "", &fts) != 0 || fts.len == 0)
		goto done;
	FUZZ_CHECK(text_utf8_valid(fts.data, fts.len));
	sqlite3_bind_text(st, 1, fts.data, (int)fts.len, SQLITE_STATIC);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE)
		fprintf(stderr, "FTS5 refused %s: %s\n", fts.data, sqlite3_errmsg(db));
	FUZZ_CHECK(rc == SQLITE_DONE);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
done:
	dbuf_free(&q);
	dbuf_free(&fts);
	docent_error_clear();
	return 0;
}
