/*
 * fuzz_snippet.c - search snippets (index/snippet.c) from any chunk text
 * and any query: the input's first line is the query, made into terms as
 * the keyword search does (store_query_fts), the rest is the text, which
 * the store's tokenizer and the sentence and table-row splitter read. A
 * snippet, when there is one, is a piece of the text with marks around
 * whole matches and ellipses where it is cut: with those taken out it is
 * the text from one byte to another.
 */
#include "fuzz/fuzz.h"
#include "core/error.h"
#include "index/snippet_int.h"
#include "index/store_int.h"

#include <sqlite3.h>

#define OPEN "\x01"
#define CLOSE "\x02"
#define ELLIPSIS "\xe2\x80\xa6"

static sqlite3 *db;
static fts5_api *api;

static void db_close(void)
{
	sqlite3_close(db);
}

/* The terms of the FTS5 expression "t1" OR "t2" ... (quotes doubled). */
static size_t expr_terms(char *fts, const char **terms, size_t max)
{
	size_t n = 0;
	char *w = fts;

	for (char *p = fts; *p && n < max;) {
		if (*p != '"') {
			p++;
			continue;
		}
		terms[n++] = w;
		for (p++; *p && !(p[0] == '"' && p[1] != '"'); p++) {
			if (p[0] == '"')
				p++;
			*w++ = *p;
		}
		*w++ = '\0';
		if (*p)
			p++;
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t qlen = nl ? (size_t)(nl - data) : 0;
	const char *text = nl ? (const char *)nl + 1 : (const char *)data;
	size_t tlen = size - (size_t)(text - (const char *)data);
	dbuf q = DBUF_INIT, fts = DBUF_INIT, plain = DBUF_INIT;
	const char *terms[64];
	snippet_query *sq = NULL;
	char *out = NULL;

	if (!db) {
		sqlite3_stmt *st = NULL;
		FUZZ_CHECK(sqlite3_open(":memory:", &db) == SQLITE_OK);
		FUZZ_CHECK(sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL) == SQLITE_OK);
		sqlite3_bind_pointer(st, 1, &api, "fts5_api_ptr", NULL);
		FUZZ_CHECK(sqlite3_step(st) == SQLITE_ROW && api);
		sqlite3_finalize(st);
		atexit(db_close);
	}
	if (dbuf_append(&q, data, qlen) || store_query_fts(q.data ? q.data : "", &fts) ||
	    fts.len == 0)
		goto done;
	size_t nterms = expr_terms(fts.data, terms, 64);
	FUZZ_CHECK(snippet_query_new(api, STORE_DEFAULT_TOKENIZER, terms, nterms, &sq) == 0);
	FUZZ_CHECK(snippet_query_make(sq, text, tlen, OPEN, CLOSE, 12, &out) == 0);
	if (!out)
		goto done;
	/* marks pair up, never nested; what is left is a piece of the text
	 * (told apart only when the text has no marks, ellipses or NULs) */
	if (memchr(text, OPEN[0], tlen) || memchr(text, CLOSE[0], tlen) ||
	    memchr(text, '\0', tlen) || memmem(text, tlen, ELLIPSIS, 3))
		goto done;
	const char *p = out, *end = out + strlen(out);
	int in = 0;
	if (end - p >= 3 && memcmp(p, ELLIPSIS, 3) == 0)
		p += 3;
	if (end - p >= 3 && memcmp(end - 3, ELLIPSIS, 3) == 0)
		end -= 3;
	for (; p < end; p++) {
		if (*p == OPEN[0]) {
			FUZZ_CHECK(!in);
			in = 1;
		} else if (*p == CLOSE[0]) {
			FUZZ_CHECK(in);
			in = 0;
		} else {
			FUZZ_CHECK(dbuf_putc(&plain, *p) == 0);
		}
	}
	FUZZ_CHECK(!in);
	FUZZ_CHECK(plain.len > 0 && memmem(text, tlen, plain.data, plain.len));
done:
	free(out);
	snippet_query_free(sq);
	dbuf_free(&q);
	dbuf_free(&fts);
	dbuf_free(&plain);
	docent_error_clear();
	return 0;
}
