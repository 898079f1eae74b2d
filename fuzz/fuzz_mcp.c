/*
 * fuzz_mcp.c - the MCP server's reading of what an agent sends
 * (web/mcp.c): JSON-RPC messages, one a line, answered over a small
 * store of three documents (search, ask without a model, read_document).
 * Whatever the lines hold, mcp_serve returns 0 at the end of the input and
 * every line it writes is one JSON object.
 */
#include "fuzz/fuzz.h"
#include "core/error.h"
#include "index/store.h"
#include "web/mcp.h"

#include <jansson.h>

static store *st;
static char db[4200];

static void db_remove(void)
{
	char p[4300];

	store_close(st);
	unlink(db);
	snprintf(p, sizeof p, "%s-wal", db);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", db);
	unlink(p);
}

static void put(int64_t coll, const char *path, const char *text)
{
	store_chunk_in ch = { .text = text, .len = strlen(text), .end_byte = strlen(text),
			      .page_start = 1, .page_end = 1, .heading = "Part > Section" };
	store_doc_in in = { .path = path, .hash = path, .title = "Title", .format = "text",
			    .text_bytes = (int64_t)strlen(text), .npages = 1, .chunks = &ch,
			    .nchunks = 1 };
	store_put_result r;

	FUZZ_CHECK(store_doc_put(st, coll, &in, &r) == 0);
	free(r.duplicate_of);
}

static void db_open(void)
{
	store_params sp = store_default_params();
	const char *dir = getenv("TMPDIR");
	int64_t coll;

	snprintf(db, sizeof db, "%s/docent-fuzz-mcp-%ld.db", dir && dir[0] ? dir : "/tmp",
		 (long)getpid());
	unlink(db);
	FUZZ_CHECK(store_open(&st, db, &sp) == 0);
	atexit(db_remove);
	FUZZ_CHECK(store_collection_id(st, "default", 1, &coll) == 0);
	put(coll, "/handbook/leave.txt", "Parental leave. Employees get 45 working days of "
	    "parental leave at full pay. The leave can be taken in two parts.");
	put(coll, "/handbook/it.txt", "Laptops. Every employee gets a laptop. A lost laptop "
	    "must be reported to the service desk within one day.");
	FUZZ_CHECK(store_collection_id(st, "notes", 1, &coll) == 0);
	put(coll, "/notes/travel.md", "Travel. Hotels are booked through the travel desk. "
	    "Meals are paid up to 40 euros a day.");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *out = NULL;
	size_t outlen = 0;

	if (!st)
		db_open();
	mcp_params p = mcp_default_params();
	p.store = st;
	p.version = "0";
	p.max_message = 4096;
	/* fmemopen of 0 bytes fails: an empty input is one empty line */
	FILE *in = fmemopen(size ? (void *)data : "\n", size ? size : 1, "r");
	FILE *o = open_memstream(&out, &outlen);
	FUZZ_CHECK(in && o);
	int rc = mcp_serve(in, o, &p);
	if (rc)
		fprintf(stderr, "mcp_serve: %s\n", docent_error_message());
	FUZZ_CHECK(rc == 0);
	fclose(in);
	fclose(o);
	for (char *line = out, *nl; line && line < out + outlen; line = nl + 1) {
		json_error_t e;
		nl = memchr(line, '\n', outlen - (size_t)(line - out));
		FUZZ_CHECK(nl != NULL);
		json_t *m = json_loadb(line, (size_t)(nl - line), 0, &e);
		FUZZ_CHECK(json_is_object(m));
		json_decref(m);
	}
	free(out);
	docent_error_clear();
	return 0;
}
