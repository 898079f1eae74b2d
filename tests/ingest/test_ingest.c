/*
 * test_ingest.c - the ingestion pipeline's reports against what its store
 * holds: a document is reported added only once its batch is committed,
 * and when the disk fills up (SQLite's max_page_count stands in for it)
 * the documents the failed batch held are reported failed, not added.
 */
#include "tests/index/store_fixture.h"

#include <sqlite3.h>

#include "core/error.h"
#include "index/store_int.h"
#include "index/fts_tokens.h"
#include "ingest/ingest.h"

#define NFILES 40

typedef struct events {
	size_t added, failed, not_saved;
} events;

static void on_event(void *ctx, const ingest_event *e)
{
	events *ev = ctx;

	if (e->kind == INGEST_ADDED)
		ev->added++;
	if (e->kind == INGEST_FAILED) {
		ev->failed++;
		ev->not_saved += e->detail && strncmp(e->detail, "not saved: ", 11) == 0;
	}
}

/* NFILES text files of a few kB each under dir/in; returns that folder. */
static const char *make_files(const char *dir, char *in, size_t n)
{
	snprintf(in, n, "%s/in", dir);
	assert_int_equal(mkdir(in, 0700), 0);
	for (int i = 0; i < NFILES; i++) {
		char path[400];
		snprintf(path, sizeof path, "%s/note%02d.txt", in, i);
		FILE *f = fopen(path, "w");
		assert_non_null(f);
		for (int l = 0; l < 60; l++)
			fprintf(f, "Note %d line %d: the harbour crane %d was serviced on day %d.\n",
				i, l, i * 7 + l, l);
		fclose(f);
	}
	return in;
}

static int64_t count(store *s, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	assert_int_equal(sqlite3_prepare_v2(s->db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void run(fx *f, const char *in, events *ev, ingest_summary *sum, int *rc)
{
	ingest_params p = ingest_default_params();
	const char *paths[1] = { in };

	p.on_event = on_event;
	p.ctx = ev;
	p.threads = 2;
	memset(sum, 0, sizeof *sum);
	*rc = ingest_run(f->s, paths, 1, &p, sum);
}

static void test_ingest__reports_what_is_stored(void **state)
{
	fx *f = *state;
	char in[300];
	events ev = { 0 };
	ingest_summary sum;
	int rc;

	run(f, make_files(f->dir, in, sizeof in), &ev, &sum, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(sum.added, NFILES);
	assert_int_equal(ev.added, NFILES);
	assert_int_equal(count(f->s, "SELECT count(*) FROM documents WHERE status = 'ok'"),
			 NFILES);
	assert_int_equal(count(f->s, "SELECT count(*) FROM chunks"), (int64_t)sum.chunks);
}

static void test_ingest__full_disk_reports_documents_not_saved(void **state)
{
	fx *f = *state;
	char in[300];
	events ev = { 0 };
	ingest_summary sum;
	int rc;

	/* room for the schema and little more: the batch cannot be written */
	int64_t pages = count(f->s, "PRAGMA page_count");
	char sql[64];
	snprintf(sql, sizeof sql, "PRAGMA max_page_count = %lld", (long long)pages + 4);
	assert_int_equal(sqlite3_exec(f->s->db, sql, NULL, NULL, NULL), SQLITE_OK);

	run(f, make_files(f->dir, in, sizeof in), &ev, &sum, &rc);
	assert_int_equal(rc, DOCENT_ENOSPC);
	assert_non_null(strstr(docent_error_message(), "full"));
	assert_non_null(strstr(docent_error_message(), "free some space"));
	/* nothing reported added that is not there */
	int64_t stored = count(f->s, "SELECT count(*) FROM documents WHERE status = 'ok'");
	assert_int_equal(stored, 0);
	assert_int_equal(sum.added, 0);
	assert_int_equal(ev.added, 0);
	assert_int_equal(sum.chunks, 0);
	/* the documents the lost batch held are reported, each once */
	assert_true(ev.not_saved > 0);
	assert_int_equal(sum.failed, ev.failed);
	assert_true(sum.failed <= NFILES);

	/* with room again, the same ingest stores everything */
	assert_int_equal(sqlite3_exec(f->s->db, "PRAGMA max_page_count = 1073741823", NULL,
				      NULL, NULL), SQLITE_OK);
	memset(&ev, 0, sizeof ev);
	run(f, in, &ev, &sum, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(sum.added, NFILES);
	assert_int_equal(count(f->s, "SELECT count(*) FROM documents WHERE status = 'ok'"),
			 NFILES);
	assert_int_equal(store_check(f->s), 0);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* A text file's first line, alone above the rest, is its title heading:
 * every chunk is found by it, and its tokens (text and context) were made
 * on the workers and replayed, none tokenized again by the writer. */
static void test_ingest__title_line_and_context(void **state)
{
	fx *f = *state;
	char in[300], path[400];
	events ev = { 0 };
	ingest_summary sum;
	uint64_t replayed, tokenized;
	store_hit *h;
	size_t n;
	int rc;

	snprintf(in, sizeof in, "%s/in", f->dir);
	assert_int_equal(mkdir(in, 0700), 0);
	snprintf(path, sizeof path, "%s/report.txt", in);
	write_file(path, "Zebra migration survey\n\nThe herds crossed the river in May.\n\n"
		   "Rain came late this year.\n");
	snprintf(path, sizeof path, "%s/letter.txt", in);
	write_file(path, "Dear Sam, the zebra book arrived. It was worth the wait, I think, "
		   "and I will send it back soon.\n");
	run(f, in, &ev, &sum, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(sum.added, 2);
	assert_int_equal(count(f->s, "SELECT count(*) FROM chunks WHERE heading = "
			 "'Zebra migration survey' AND context = 'report > Zebra migration survey'"),
			 1);
	/* a file of one paragraph has no title line */
	assert_int_equal(count(f->s, "SELECT count(*) FROM chunks WHERE heading IS NULL "
			 "AND context = 'letter'"), 1);
	store_fts_tokens_stats(f->s, &replayed, &tokenized);
	assert_int_equal(tokenized, 0);
	assert_int_equal(replayed, 4); /* two chunks, text and context each */
	assert_int_equal(store_check(f->s), 0);

	store_search_params sp = store_search_default_params();
	assert_int_equal(store_search(f->s, "migration rain", &sp, &h, &n), 0);
	assert_int_equal(n, 1);
	assert_non_null(strstr(h[0].path, "report.txt"));
	assert_int_equal(h[0].start_byte, 0);
	store_hits_free(h, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ingest__reports_what_is_stored, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ingest__full_disk_reports_documents_not_saved,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_ingest__title_line_and_context, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
