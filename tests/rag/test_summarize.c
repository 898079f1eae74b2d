/*
 * test_summarize.c - summaries (rag/summarize.h) against a scripted
 * OpenAI-compatible server in a thread of this test (127.0.0.1 only) that
 * answers each request with text chosen from what it was asked: the
 * map-reduce structure (one call for a short text, groups then a combining
 * call, several rounds when the parts do not fit), the references reaching
 * the combining prompt, the cache (a second run makes no call; an edit of
 * one chunk redoes only its part and the final call), stopping; the
 * extractive summary without a model; and the pipeline end to end with the
 * random-weight tiny chat model in-process. Also the store's document
 * lookup and the prompt templates.
 */
#include "tests/index/store_fixture.h"

#include "rag/prompt.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/hash.h"
#include "engine/generator.h"
#include "rag/summarize.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>

/* ---- the scripted server ------------------------------------------------ */

#define MAX_REQ 64

typedef struct server {
	int fd, port;
	pthread_t th;
	volatile int stop;
	int long_maps;         /* map replies of ~700 bytes, to force reduce rounds */
	int served;
	char *req[MAX_REQ];    /* request bodies */
	char url[128];
} server;

static char *read_request(int c)
{
	dbuf b = DBUF_INIT;
	long want = -1;
	char tmp[8192];

	for (;;) {
		struct pollfd p = { c, POLLIN, 0 };
		if (poll(&p, 1, 5000) <= 0)
			break;
		ssize_t k = recv(c, tmp, sizeof tmp, 0);
		if (k <= 0)
			break;
		assert_int_equal(dbuf_append(&b, tmp, (size_t)k), 0);
		char *end = strstr(b.data, "\r\n\r\n");
		if (end && want < 0) {
			char *cl = strcasestr(b.data, "Content-Length:");
			want = (end + 4 - b.data) + (cl ? strtol(cl + 15, NULL, 10) : 0);
		}
		if (want >= 0 && (long)b.len >= want)
			break;
	}
	return dbuf_detach(&b, NULL);
}

/* The reply to a request: what kind of call it is, its number, and for a
 * combining call every "(p. ...)" or "(§ ...)" reference it was given. */
static void reply_for(server *s, const char *req, int n, dbuf *out)
{
	if (strstr(req, "Below are summaries")) {
		dbuf_printf(out, "REDUCE %d:", n);
		/* every part starts a paragraph: "\n\n(ref) text" in the JSON */
		for (const char *p = req; (p = strstr(p, "\\n\\n(")) != NULL;) {
			p += 5;
			const char *e = strchr(p, ')');
			if (!e)
				break;
			dbuf_printf(out, " (%.*s)", (int)(e - p), p);
			p = e;
		}
	} else if (strstr(req, "the following part of a document")) {
		dbuf_printf(out, "MAP %d.", n);
		if (s->long_maps)
			for (int i = 0; i < 14; i++)
				dbuf_puts(out, " The part says many long things about budgets.");
	} else {
		dbuf_printf(out, "ONE %d.", n);
	}
}

static void *serve(void *arg)
{
	server *s = arg;

	while (!s->stop) {
		struct pollfd p = { s->fd, POLLIN, 0 };
		if (poll(&p, 1, 20) <= 0)
			continue;
		int c = accept(s->fd, NULL, NULL);
		if (c < 0)
			continue;
		char *req = read_request(c);
		int n = ++s->served;
		dbuf text = DBUF_INIT, resp = DBUF_INIT;
		reply_for(s, req ? req : "", n, &text);
		dbuf_puts(&resp, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
			  "Connection: close\r\n\r\n");
		/* two pieces, so that streaming is streaming */
		size_t half = text.len / 2;
		dbuf_printf(&resp, "data: {\"choices\":[{\"delta\":{\"content\":\"%.*s\"}}]}\n\n",
			    (int)half, text.data);
		dbuf_printf(&resp, "data: {\"choices\":[{\"delta\":{\"content\":\"%s\"},"
			    "\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n", text.data + half);
		send(c, resp.data, resp.len, MSG_NOSIGNAL);
		if (n <= MAX_REQ)
			s->req[n - 1] = req;
		else
			free(req);
		dbuf_free(&text);
		dbuf_free(&resp);
		shutdown(c, SHUT_RDWR);
		close(c);
	}
	return NULL;
}

static server *server_start(void)
{
	struct sockaddr_in a = { 0 };
	socklen_t al = sizeof a;
	server *s = calloc(1, sizeof *s);
	int one = 1;

	assert_non_null(s);
	s->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s->fd >= 0);
	setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(s->fd, 8), 0);
	assert_int_equal(getsockname(s->fd, (struct sockaddr *)&a, &al), 0);
	s->port = ntohs(a.sin_port);
	snprintf(s->url, sizeof s->url, "http://127.0.0.1:%d/v1#scripted", s->port);
	assert_int_equal(pthread_create(&s->th, NULL, serve, s), 0);
	return s;
}

static void server_stop(server *s)
{
	s->stop = 1;
	pthread_join(s->th, NULL);
	close(s->fd);
	for (int i = 0; i < MAX_REQ; i++)
		free(s->req[i]);
	free(s);
}

static generator *open_gen(server *s)
{
	generator_params gp = generator_default_params();
	generator *g;

	gp.model = s->url;
	gp.timeout_ms = 5000;
	assert_int_equal(generator_open(&g, &gp), 0);
	return g;
}

/* ---- documents ---------------------------------------------------------- */

#define NCH 12

/* Chunk i's text: about 400 bytes, on page i + 1. */
static void chunk_text(char *buf, size_t cap, int i, const char *variant)
{
	int k = snprintf(buf, cap, "Chunk %d%s tells of the budget for year %d. ", i,
			 variant ? variant : "", 2000 + i);
	while ((size_t)k + 60 < cap && k < 400)
		k += snprintf(buf + k, cap - (size_t)k, "The council spent %d on roads and "
			      "schools. ", 100 + k);
}

/* Stores a document of NCH chunks (pages, or only headings), chunk
 * `edited` changed by `variant`. Returns its id. */
static int64_t put_doc(fx *f, const char *path, int pages, int edited, const char *variant)
{
	static char texts[NCH][512];
	store_chunk_in ch[NCH];
	char hash[80];
	static unsigned serial;
	size_t off = 0;
	store_put_result r;

	for (int i = 0; i < NCH; i++) {
		chunk_text(texts[i], sizeof texts[i], i, i == edited ? variant : NULL);
		ch[i] = (store_chunk_in){ .text = texts[i], .len = strlen(texts[i]),
			.start_byte = off, .end_byte = off + strlen(texts[i]),
			.page_start = pages ? i + 1 : 0, .page_end = pages ? i + 1 : 0,
			.heading = i < 6 ? "Report > Income" : "Report > Spending",
			.ntokens = 80 };
		off += strlen(texts[i]) + 1;
	}
	snprintf(hash, sizeof hash, "h%u", ++serial);
	store_doc_in in = { .path = path, .hash = hash, .title = "Budget report",
			    .format = "text", .text_bytes = (int64_t)off, .npages = pages ? NCH : 0,
			    .chunks = ch, .nchunks = NCH };
	assert_int_equal(store_doc_put(f->s, f->coll, &in, &r), 0);
	free(r.duplicate_of);
	return r.doc_id;
}

static int collect_piece(void *ctx, const char *piece, size_t n)
{
	dbuf *b = ctx;
	assert_int_equal(dbuf_append(b, piece, n), 0);
	return 0;
}

static summarize_params small_context(void)
{
	summarize_params p = summarize_default_params();
	p.length = SUMMARIZE_SHORT;
	p.context_tokens = 1000;
	return p;
}

/* ---- tests -------------------------------------------------------------- */

static void test_summarize__one_call_when_it_fits(void **state)
{
	fx *f = *state;
	server *s = server_start();
	generator *g = open_gen(s);
	summarize_params p = summarize_default_params();
	summarize_result *r;
	dbuf got = DBUF_INIT;
	int64_t id = put_doc(f, "/short.txt", 1, -1, NULL);

	p.context_tokens = 8192;
	assert_int_equal(summarize_doc(f->s, g, id, &p, collect_piece, &got, &r), 0);
	assert_int_equal(s->served, 1);
	assert_int_equal(r->calls, 1);
	assert_int_equal(r->rounds, 0);
	assert_int_equal(r->nsections, 1);
	assert_false(r->extractive);
	assert_string_equal(r->text, "ONE 1.");
	assert_string_equal(got.data, "ONE 1.\n"); /* streamed, with a final newline */
	assert_string_equal(r->sections[0].ref, "p. 1-12");
	assert_int_equal(r->sections[0].first, 0);
	assert_int_equal(r->sections[0].last, NCH - 1);
	assert_string_equal(r->model, "openai:scripted");
	/* the prompt: the template's system part, the whole text, the title */
	assert_non_null(strstr(s->req[0], "\"role\":\"system\""));
	assert_non_null(strstr(s->req[0], "Chunk 0 tells"));
	assert_non_null(strstr(s->req[0], "Chunk 11 tells"));
	assert_non_null(strstr(s->req[0], "Budget report"));
	assert_non_null(strstr(s->req[0], "## Report > Spending"));
	summarize_result_free(r);
	dbuf_free(&got);
	generator_free(g);
	server_stop(s);
}

static void test_summarize__map_reduce_with_references(void **state)
{
	fx *f = *state;
	server *s = server_start();
	generator *g = open_gen(s);
	summarize_params p = small_context();
	summarize_result *r;
	dbuf got = DBUF_INIT;
	int64_t id = put_doc(f, "/long.txt", 1, -1, NULL);

	assert_int_equal(summarize_doc(f->s, g, id, &p, collect_piece, &got, &r), 0);
	assert_true(r->nsections >= 3);
	assert_int_equal(r->calls, (int)r->nsections + 1);
	assert_int_equal(s->served, r->calls);
	assert_int_equal(r->rounds, 0);
	/* the sections cover every chunk once, in order, each with its pages */
	size_t next = 0;
	for (size_t i = 0; i < r->nsections; i++) {
		summarize_section *sec = &r->sections[i];
		char want[32];
		assert_int_equal(sec->first, next);
		assert_true(sec->last >= sec->first);
		next = sec->last + 1;
		assert_int_equal(sec->page_start, (int)sec->first + 1);
		assert_int_equal(sec->page_end, (int)sec->last + 1);
		if (sec->first == sec->last)
			snprintf(want, sizeof want, "p. %zu", sec->first + 1);
		else
			snprintf(want, sizeof want, "p. %zu-%zu", sec->first + 1, sec->last + 1);
		assert_string_equal(sec->ref, want);
		assert_false(sec->cached);
		assert_non_null(strstr(sec->text, "MAP"));
		/* the map prompt holds exactly its chunks */
		char c0[32];
		snprintf(c0, sizeof c0, "Chunk %zu tells", sec->first);
		assert_non_null(strstr(s->req[i], c0));
		assert_non_null(strstr(s->req[i], "part of a document"));
	}
	assert_int_equal(next, NCH);
	/* the combining prompt lists each part with its reference, and the
	 * final text (which echoes them) keeps them */
	const char *last = s->req[r->calls - 1];
	assert_non_null(strstr(last, "Below are summaries"));
	for (size_t i = 0; i < r->nsections; i++) {
		char want[64];
		snprintf(want, sizeof want, "(%s) %s", r->sections[i].ref, r->sections[i].text);
		assert_non_null(strstr(last, want));
		snprintf(want, sizeof want, "(%s)", r->sections[i].ref);
		assert_non_null(strstr(r->text, want));
	}
	assert_true(strncmp(r->text, "REDUCE", 6) == 0);
	/* only the final call streamed */
	assert_null(strstr(got.data, "MAP"));
	assert_true(strncmp(got.data, "REDUCE", 6) == 0);
	summarize_result_free(r);
	dbuf_free(&got);
	generator_free(g);
	server_stop(s);
}

static void test_summarize__headings_without_pages(void **state)
{
	fx *f = *state;
	server *s = server_start();
	generator *g = open_gen(s);
	summarize_params p = small_context();
	summarize_result *r;
	int64_t id = put_doc(f, "/nopages.txt", 0, -1, NULL);

	assert_int_equal(summarize_doc(f->s, g, id, &p, NULL, NULL, &r), 0);
	assert_true(r->nsections >= 2);
	assert_string_equal(r->sections[0].ref, "\xC2\xA7 Income");
	assert_string_equal(r->sections[r->nsections - 1].ref, "\xC2\xA7 Spending");
	assert_non_null(strstr(r->text, "(\xC2\xA7 Income)"));
	summarize_result_free(r);
	generator_free(g);
	server_stop(s);
}

static void test_summarize__reduce_rounds(void **state)
{
	fx *f = *state;
	server *s = server_start();
	generator *g = open_gen(s);
	summarize_params p = small_context();
	summarize_result *r;
	int64_t id = put_doc(f, "/rounds.txt", 1, -1, NULL);

	s->long_maps = 1;
	p.context_tokens = 900; /* four parts or more: a round leaves fewer items */
	assert_int_equal(summarize_doc(f->s, g, id, &p, NULL, NULL, &r), 0);
	assert_true(r->nsections >= 4);
	assert_true(r->rounds >= 1);
	assert_true(r->calls > (int)r->nsections + 1);
	assert_int_equal(s->served, r->calls);
	/* an intermediate combination keeps the references it was given */
	assert_non_null(strstr(s->req[r->nsections], "Below are summaries"));
	assert_non_null(strstr(s->req[r->nsections], "(p. 1"));
	assert_true(strncmp(r->text, "REDUCE", 6) == 0);
	summarize_result_free(r);
	generator_free(g);
	server_stop(s);
}

/* An edit that keeps the chunk a cut point, or not, as it was: the map
 * inputs then stay the same (summarize.c ends an input early at chunks
 * whose hash starts below 0x40). */
static const char *same_cut_variant(int i)
{
	static char v[32];
	char orig[512], ed[512], h1[HASH_HEX_LEN + 1], h2[HASH_HEX_LEN + 1];

	chunk_text(orig, sizeof orig, i, NULL);
	hash_sha256_hex(orig, strlen(orig), h1);
	for (int k = 0; k < 100; k++) {
		snprintf(v, sizeof v, " (revised %d)", k);
		chunk_text(ed, sizeof ed, i, v);
		hash_sha256_hex(ed, strlen(ed), h2);
		if ((strtoul((char[3]){ h1[0], h1[1], 0 }, NULL, 16) < 64) ==
		    (strtoul((char[3]){ h2[0], h2[1], 0 }, NULL, 16) < 64))
			return v;
	}
	fail_msg("no edit keeps the cut point");
	return NULL;
}

static void test_summarize__cache_redoes_only_the_edited_part(void **state)
{
	fx *f = *state;
	server *s = server_start();
	generator *g = open_gen(s);
	summarize_params p = small_context();
	summarize_result *r1, *r2, *r3, *r4;
	dbuf got = DBUF_INIT;
	int64_t id = put_doc(f, "/cached.txt", 1, -1, NULL);

	assert_int_equal(summarize_doc(f->s, g, id, &p, NULL, NULL, &r1), 0);
	int first = s->served;
	assert_int_equal(r1->cached_parts, 0);

	/* the same again: no call at all, the same text, streamed at once */
	assert_int_equal(summarize_doc(f->s, g, id, &p, collect_piece, &got, &r2), 0);
	assert_int_equal(s->served, first);
	assert_int_equal(r2->calls, 0);
	assert_int_equal(r2->cached_parts, (int)r1->nsections + 1);
	assert_string_equal(r2->text, r1->text);
	assert_int_equal(got.len, strlen(r1->text) + 1); /* and a final newline */
	assert_int_equal(strncmp(got.data, r1->text, strlen(r1->text)), 0);
	for (size_t i = 0; i < r2->nsections; i++)
		assert_true(r2->sections[i].cached);

	/* one chunk edited (the file re-ingested): its part and the final call */
	id = put_doc(f, "/cached.txt", 1, 7, same_cut_variant(7));
	assert_int_equal(summarize_doc(f->s, g, id, &p, NULL, NULL, &r3), 0);
	assert_int_equal(r3->nsections, r1->nsections);
	assert_int_equal(r3->calls, 2);
	assert_int_equal(s->served, first + 2);
	assert_int_equal(r3->cached_parts, (int)r1->nsections - 1);
	for (size_t i = 0; i < r3->nsections; i++) {
		int has7 = r3->sections[i].first <= 7 && 7 <= r3->sections[i].last;
		assert_int_equal(r3->sections[i].cached, !has7);
		if (has7)
			assert_non_null(strstr(s->req[first], "(revised"));
	}

	/* another length is another summary; --no-cache reads nothing */
	p.use_cache = 0;
	assert_int_equal(summarize_doc(f->s, g, id, &p, NULL, NULL, &r4), 0);
	assert_int_equal(r4->cached_parts, 0);
	assert_int_equal(r4->calls, (int)r4->nsections + 1);
	summarize_result_free(r1);
	summarize_result_free(r2);
	summarize_result_free(r3);
	summarize_result_free(r4);
	dbuf_free(&got);
	generator_free(g);
	server_stop(s);
}

static int cancel_after_first(void *ctx, const char *piece, size_t n)
{
	(void)piece;
	(void)n;
	return ++*(int *)ctx >= 1;
}

static void test_summarize__stops_when_asked(void **state)
{
	fx *f = *state;
	server *s = server_start();
	generator *g = open_gen(s);
	summarize_params p = small_context();
	summarize_result *r = (summarize_result *)1;
	volatile int flag = 1;
	int pieces = 0;
	int64_t id = put_doc(f, "/stop.txt", 1, -1, NULL);

	/* the flag set before: nothing is asked of the model */
	p.cancel = &flag;
	assert_int_equal(summarize_doc(f->s, g, id, &p, NULL, NULL, &r), DOCENT_ECANCELLED);
	assert_null(r);
	assert_int_equal(s->served, 0);
	/* the callback says stop at the first streamed piece */
	p.cancel = NULL;
	p.context_tokens = 8192;
	assert_int_equal(summarize_doc(f->s, g, id, &p, cancel_after_first, &pieces, &r),
			 DOCENT_ECANCELLED);
	assert_null(r);
	generator_free(g);
	server_stop(s);
}

static void put_chunks(fx *f, const char *path, const char *const *texts, size_t n)
{
	store_chunk_in ch[16];
	store_put_result r;
	size_t off = 0;
	static unsigned serial;
	char hash[32];

	for (size_t i = 0; i < n; i++) {
		ch[i] = (store_chunk_in){ .text = texts[i], .len = strlen(texts[i]),
			.start_byte = off, .end_byte = off + strlen(texts[i]),
			.page_start = (int)i + 1, .page_end = (int)i + 1, .ntokens = 50 };
		off += strlen(texts[i]) + 1;
	}
	snprintf(hash, sizeof hash, "x%u", ++serial);
	store_doc_in in = { .path = path, .hash = hash, .title = "Notes", .format = "text",
			    .text_bytes = (int64_t)off, .npages = (int)n, .chunks = ch,
			    .nchunks = n };
	assert_int_equal(store_doc_put(f->s, f->coll, &in, &r), 0);
	free(r.duplicate_of);
}

static const char *const NOTES[] = {
	"The city budget for roads grew by ten percent this year. The cat sat on the "
	"warm mat all afternoon. Road repairs took most of the city budget in spring.",
	"Schools asked for a larger share of the budget for teachers. The budget for "
	"schools and roads is set by the council each year.",
	"A parade with music filled the old square on Sunday. The council will vote on "
	"the budget for roads and schools in March.",
};

static void test_summarize__extractive_without_model(void **state)
{
	fx *f = *state;
	summarize_params p = summarize_default_params();
	summarize_result *r;
	store_doc *d;
	dbuf got = DBUF_INIT;

	put_chunks(f, "/notes.txt", NOTES, 3);
	assert_int_equal(store_doc_find(f->s, NULL, "/notes.txt", &d), 0);
	p.length = SUMMARIZE_SHORT;
	assert_int_equal(summarize_doc(f->s, NULL, d->id, &p, collect_piece, &got, &r), 0);
	assert_true(r->extractive);
	assert_null(r->model);
	assert_int_equal(r->calls, 0);
	assert_int_equal(r->nsections, 3);
	assert_int_equal(got.len, strlen(r->text) + 1);
	assert_int_equal(strncmp(got.data, r->text, strlen(r->text)), 0);
	/* the central sentences are about the budget; the cat and the parade are not */
	assert_null(strstr(r->text, "cat sat"));
	assert_null(strstr(r->text, "parade"));
	assert_non_null(strstr(r->text, "budget"));
	/* one sentence a line, with its page, in document order */
	int lines = 0;
	size_t prev_page = 0;
	for (const char *l = r->text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		assert_true(strncmp(l, "- ", 2) == 0);
		lines++;
	}
	assert_int_equal(lines, 3);
	for (size_t i = 0; i < r->nsections; i++) {
		assert_true((size_t)r->sections[i].page_start >= prev_page);
		prev_page = (size_t)r->sections[i].page_start;
		char want[16];
		snprintf(want, sizeof want, "(p. %d)", r->sections[i].page_start);
		assert_non_null(strstr(r->text, want));
	}
	summarize_result_free(r);

	/* long: more sentences, never more than there are */
	p.length = SUMMARIZE_LONG;
	assert_int_equal(summarize_doc(f->s, NULL, d->id, &p, NULL, NULL, &r), 0);
	assert_int_equal(r->nsections, 7);
	summarize_result_free(r);
	store_doc_list_free(d, 1);
	dbuf_free(&got);
}

static void test_summarize__doc_lookup(void **state)
{
	fx *f = *state;
	store_doc *d;
	store_chunk *ch;
	size_t n;
	int64_t other;
	char key[32];

	int64_t id = put_doc(f, "/look.txt", 1, -1, NULL);
	snprintf(key, sizeof key, "%lld", (long long)id);
	assert_int_equal(store_doc_find(f->s, NULL, key, &d), 0);
	assert_string_equal(d->path, "/look.txt");
	assert_int_equal(d->nchunks, NCH);
	store_doc_list_free(d, 1);
	assert_int_equal(store_doc_find(f->s, "default", "/look.txt", &d), 0);
	assert_int_equal(d->id, id);
	assert_string_equal(d->title, "Budget report");
	store_doc_list_free(d, 1);
	assert_int_equal(store_doc_find(f->s, NULL, "/nope.txt", &d), DOCENT_ENOTFOUND);
	assert_non_null(strstr(docent_error_message(), "docent docs"));
	assert_int_equal(store_doc_find(f->s, "nope", "/look.txt", &d), DOCENT_ENOTFOUND);
	/* the same path in two collections needs a collection */
	assert_int_equal(store_collection_id(f->s, "other", 1, &other), 0);
	put_text(f->s, other, "/look.txt", "another text");
	assert_int_equal(store_doc_find(f->s, NULL, "/look.txt", &d), DOCENT_EINVAL);
	assert_non_null(strstr(docent_error_message(), "default, other"));
	assert_int_equal(store_doc_chunks(f->s, id, &ch, &n), 0);
	assert_int_equal(n, NCH);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(ch[i].ordinal, (int)i);
		assert_int_equal(ch[i].page_start, (int)i + 1);
	}
	assert_non_null(strstr(ch[3].text, "Chunk 3 tells"));
	assert_string_equal(ch[0].heading, "Report > Income");
	store_chunks_free(ch, n);
	store_chunks_free(NULL, 0);

	/* the cache itself */
	store_summary_key k = { "abc", "m", "t", "short" };
	char *text;
	assert_int_equal(store_summary_get(f->s, &k, &text), 0);
	assert_null(text);
	assert_int_equal(store_summary_put(f->s, &k, "hello"), 0);
	assert_int_equal(store_summary_put(f->s, &k, "hello again"), 0);
	assert_int_equal(store_summary_get(f->s, &k, &text), 0);
	assert_string_equal(text, "hello again");
	free(text);
	k.length = "long";
	assert_int_equal(store_summary_get(f->s, &k, &text), 0);
	assert_null(text);
}

static void test_summarize__prompt_templates(void **state)
{
	char *t, *origin, *sys, *user;
	const char *dir = temp_dir();
	char path[512];
	FILE *fp;

	(void)state;
	assert_int_equal(prompt_load("summarize_map", NULL, &t, &origin), 0);
	assert_string_equal(origin, "built-in");
	assert_non_null(strstr(t, "{{text}}"));
	free(origin);
	prompt_var v[] = { { "text", "BODY" }, { "title", "T" } };
	assert_int_equal(prompt_render(t, v, 2, &sys, &user), 0);
	assert_non_null(sys);
	assert_null(strstr(sys, "---"));
	assert_non_null(strstr(user, "BODY"));
	assert_non_null(strstr(user, "Title: T"));
	assert_non_null(strstr(user, "{{length}}")); /* not given: left as is */
	free(sys);
	free(user);
	free(t);
	/* a file in the folder replaces the built-in template */
	snprintf(path, sizeof path, "%s/summarize_map.txt", dir);
	assert_non_null(fp = fopen(path, "w"));
	fputs("Just {{text}}.\n", fp);
	fclose(fp);
	assert_int_equal(prompt_load("summarize_map", dir, &t, &origin), 0);
	assert_string_equal(origin, path);
	assert_int_equal(prompt_render(t, v, 2, &sys, &user), 0);
	assert_null(sys);
	assert_string_equal(user, "Just BODY.");
	free(sys);
	free(user);
	free(t);
	free(origin);
	assert_int_equal(prompt_load("summarize_reduce", dir, &t, NULL), 0); /* built-in */
	free(t);
	assert_int_equal(prompt_load("no_such", dir, &t, NULL), DOCENT_ENOTFOUND);
	remove_tree(dir);
}

static void test_summarize__tiny_model_in_process(void **state)
{
	fx *f = *state;
	const char *model = DOCENT_SRC_DIR "/build/models/tiny-chat.gguf";
	generator_params gp = generator_default_params();
	summarize_params p = summarize_default_params();
	summarize_result *r, *r2;
	generator *g;
	dbuf got = DBUF_INIT;

	if (access(model, R_OK) != 0) {
		if (getenv("CI"))
			fail_msg("missing %s: run 'make tiny-models'", model);
		skip();
	}
	gp.model = model;
	gp.context = 2048;
	gp.threads = 2;
	assert_int_equal(generator_open(&g, &gp), 0);
	int64_t id = put_doc(f, "/tiny.txt", 1, -1, NULL);
	p.length = SUMMARIZE_SHORT;
	p.context_tokens = 1100;
	/* random weights: greedy decoding ends at once; sampling writes text */
	p.gen.temperature = 1.0;
	p.gen.min_p = 0;
	p.gen.seed = 1;
	assert_int_equal(summarize_doc(f->s, g, id, &p, collect_piece, &got, &r), 0);
	assert_false(r->extractive);
	assert_true(r->nsections >= 2);
	assert_true(r->calls >= (int)r->nsections + 1);
	assert_string_equal(r->model, "tiny-chat.gguf");
	/* gibberish, but streamed and whole */
	assert_non_null(r->text);
	for (size_t i = 0; i < r->nsections; i++)
		assert_true(strlen(r->sections[i].text) > 0);
	/* a second run is served from the cache */
	assert_int_equal(summarize_doc(f->s, g, id, &p, NULL, NULL, &r2), 0);
	assert_int_equal(r2->calls, 0);
	assert_string_equal(r2->text, r->text);
	summarize_result_free(r);
	summarize_result_free(r2);
	generator_free(g);
	dbuf_free(&got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_summarize__one_call_when_it_fits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_summarize__map_reduce_with_references, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_summarize__headings_without_pages, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_summarize__reduce_rounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_summarize__cache_redoes_only_the_edited_part,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_summarize__stops_when_asked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_summarize__extractive_without_model, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_summarize__doc_lookup, setup, teardown),
		cmocka_unit_test(test_summarize__prompt_templates),
		cmocka_unit_test_setup_teardown(test_summarize__tiny_model_in_process, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
