/*
 * fts_tokens.c - chunk text tokenized on the ingest workers, replayed into
 * FTS5 by the writing thread (see fts_tokens.h for the why and the record
 * format).
 *
 * Two halves. fts_tokenizer (any thread) runs an instance of the built-in
 * porter tokenizer over a chunk and writes its record. fts_replay (the
 * store's connection) is a tokenizer registered under the name "porter":
 * FTS5 finds the newest registration of a name first, so every FTS5 table
 * that this connection opens afterwards gets it. Each of its instances
 * wraps a built-in porter with the same arguments and uses it for
 * everything, except while the store indexes new chunks (armed, see
 * fts_flush in store.c): then each document text FTS5 hands it takes the
 * next queued record, and when that record is of this very text its
 * tokens are replayed instead.
 */
#include "index/fts_tokens.h"
#include "index/store_int.h"
#include "index/varint.h"
#include "core/error.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_ARGS 16   /* tokenizer arguments; more: no records */
#define VARINT_MAX 10 /* bytes of a 64-bit varint */

struct fts_replay {
	fts5_tokenizer builtin;  /* the built-in "porter", delegated to */
	void *builtin_ctx;
	char *args;              /* arguments the records are made for, joined
	                            by spaces; NULL: no records */
	dbuf queue;              /* records of the chunks not yet indexed */
	int any;                 /* the queue holds more than empty records */
	size_t pos;              /* the next record to take */
	int armed;               /* FTS5 is indexing the queued chunks */
	uint64_t replayed, tokenized;
};

struct fts_tokenizer {
	fts5_tokenizer builtin;
	Fts5Tokenizer *inst;
	dbuf list;               /* token list of the record being made */
};

/* An instance of the registered "porter". */
typedef struct wrap_tok {
	fts_replay *r;
	Fts5Tokenizer *inner;    /* built-in porter, same arguments */
	char *args;              /* those arguments joined by spaces */
	dbuf tok;                /* a replayed token that is not in the text */
} wrap_tok;

/*
 * Not a library hash: records never leave the process, the hash (with the
 * length) only has to tell a record from that of another chunk, which the
 * insert order already rules out, and it runs over every indexed byte on
 * the writing thread, so 8 bytes a step matters more than quality.
 */
uint64_t fts_tokens_hash(const char *text, size_t len)
{
	uint64_t h = 0x9e3779b97f4a7c15u ^ len, w;

	for (; len >= 8; text += 8, len -= 8) {
		memcpy(&w, text, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdu;
		h ^= h >> 32;
	}
	w = 0;
	memcpy(&w, text, len);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53u;
	return h ^ (h >> 29);
}

/* Splits a tokenize= string into words, in place; 0 when it is not plain
 * words (FTS5 would unquote what this does not). */
static int split_words(char *s, const char **argv, int *argc)
{
	static const char space[] = " \t\n";

	*argc = 0;
	if (strpbrk(s, "'\"`[]"))
		return 0;
	for (s += strspn(s, space); *s; s += strspn(s, space)) {
		if (*argc == MAX_ARGS)
			return 0;
		argv[(*argc)++] = s;
		s += strcspn(s, space);
		if (*s)
			*s++ = '\0';
	}
	return 1;
}

static char *join_args(const char **argv, int argc)
{
	dbuf b = DBUF_INIT;

	for (int i = 0; i < argc; i++)
		if ((i && dbuf_putc(&b, ' ')) || dbuf_puts(&b, argv[i])) {
			dbuf_free(&b);
			return NULL;
		}
	return dbuf_detach(&b, NULL);
}

/* ---- recording, on a worker ---- */

typedef struct recorder {
	dbuf *list;
	const char *text;
	size_t len;
	size_t prev_end;
	int bad;        /* a token the format cannot say: record nothing */
} recorder;

static int record_token(void *ctx, int tflags, const char *tok, int ntok, int start, int end)
{
	recorder *r = ctx;
	unsigned char *p;
	size_t keep = 0, max, extra;

	if (r->bad)
		return SQLITE_OK;
	if (tflags != 0 || ntok < 0 || start < 0 || (size_t)start < r->prev_end || end < start ||
	    (size_t)end > r->len) {
		r->bad = 1;
		return SQLITE_OK;
	}
	/* the token is usually a prefix of its text (lower case, suffix cut) */
	max = (size_t)(end - start) < (size_t)ntok ? (size_t)(end - start) : (size_t)ntok;
	while (keep < max && r->text[start + keep] == tok[keep])
		keep++;
	extra = (size_t)ntok - keep;
	if (r->list->cap - r->list->len <= 4 * VARINT_MAX + extra &&
	    dbuf_reserve(r->list, 4 * VARINT_MAX + extra))
		return SQLITE_NOMEM;
	p = (unsigned char *)r->list->data + r->list->len;
	p += put_varint(p, (size_t)start - r->prev_end);
	p += put_varint(p, (uint64_t)(end - start));
	p += put_varint(p, keep);
	p += put_varint(p, extra);
	memcpy(p, tok + keep, extra);
	p += extra;
	r->list->len = (size_t)(p - (unsigned char *)r->list->data);
	r->list->data[r->list->len] = '\0';
	r->prev_end = (size_t)end;
	return SQLITE_OK;
}

int fts_tokenizer_run(fts_tokenizer *t, const char *text, size_t len, dbuf *out)
{
	unsigned char head[2 * VARINT_MAX + 8];
	recorder r = { .list = &t->list, .text = text, .len = len };
	uint64_t h;
	size_t n;
	int rc;

	dbuf_reset(&t->list);
	if (len >= (size_t)INT32_MAX)
		return dbuf_putc(out, 0) ? docent_error_set(DOCENT_ENOMEM, "out of memory") : 0;
	rc = t->builtin.xTokenize(t->inst, &r, FTS5_TOKENIZE_DOCUMENT, text, (int)len,
				  record_token);
	if (rc == SQLITE_NOMEM)
		return docent_error_set(DOCENT_ENOMEM, "out of memory tokenizing a chunk");
	if (rc != SQLITE_OK || r.bad)
		return dbuf_putc(out, 0) ? docent_error_set(DOCENT_ENOMEM, "out of memory") : 0;
	h = fts_tokens_hash(text, len);
	n = put_varint(head, (uint64_t)len + 1);
	memcpy(head + n, &h, 8);
	n += 8;
	n += put_varint(head + n, t->list.len);
	if (dbuf_append(out, head, n) || dbuf_append(out, t->list.data, t->list.len))
		return docent_error_set(DOCENT_ENOMEM, "out of memory tokenizing a chunk");
	return 0;
}

int fts_tokenizer_new(store *s, fts_tokenizer **out)
{
	const char *argv[MAX_ARGS];
	fts_replay *r = s->replay;
	fts_tokenizer *t;
	char *words;
	int argc, rc;

	*out = NULL;
	if (!r || !r->args)
		return 0;
	t = calloc(1, sizeof *t);
	words = strdup(r->args);
	if (!t || !words) {
		free(t);
		free(words);
		return docent_error_set(DOCENT_ENOMEM, "out of memory");
	}
	split_words(words, argv, &argc); /* r->args was checked by fts_replay_set_args */
	t->builtin = r->builtin;
	rc = r->builtin.xCreate(r->builtin_ctx, argv, argc, &t->inst);
	free(words);
	if (rc != SQLITE_OK) {
		free(t);
		return docent_error_set(rc == SQLITE_NOMEM ? DOCENT_ENOMEM : DOCENT_EDB,
					"cannot make a tokenizer '%s' (SQLite code %d)", r->args, rc);
	}
	*out = t;
	return 0;
}

void fts_tokenizer_free(fts_tokenizer *t)
{
	if (!t)
		return;
	t->builtin.xDelete(t->inst);
	dbuf_free(&t->list);
	free(t);
}

/* ---- replaying, in the store's connection ---- */

/*
 * Hands FTS5 the tokens of the list [p, end), checking each against the
 * text of n bytes as it goes. A list that does not fit its text returns
 * SQLITE_CORRUPT: the hash says the record was made from this very text,
 * so that is a bug, and the statement fails rather than index it (a
 * separate check first would cost the writing thread a second decoding).
 * Returns SQLITE_OK, that, or the error of xToken.
 */
static int replay_list(wrap_tok *w, const unsigned char *p, const unsigned char *end,
		       const char *text, uint64_t n, void *ctx,
		       int (*xToken)(void *, int, const char *, int, int, int))
{
	uint64_t pos = 0, gap, span, keep, extra;
	int rc;

	while (p < end) {
		if (!get_varint(&p, end, &gap) || !get_varint(&p, end, &span) ||
		    !get_varint(&p, end, &keep) || !get_varint(&p, end, &extra) ||
		    gap > n - pos || span > n - pos - gap || keep > span ||
		    extra > (uint64_t)(end - p) || keep + extra > INT32_MAX)
			return SQLITE_CORRUPT;
		pos += gap;
		if (extra == 0) {
			rc = xToken(ctx, 0, text + pos, (int)keep, (int)pos, (int)(pos + span));
		} else {
			dbuf_reset(&w->tok);
			if (dbuf_append(&w->tok, text + pos, (size_t)keep) ||
			    dbuf_append(&w->tok, p, (size_t)extra))
				return SQLITE_NOMEM;
			rc = xToken(ctx, 0, w->tok.data, (int)(keep + extra), (int)pos,
				    (int)(pos + span));
		}
		if (rc != SQLITE_OK)
			return rc;
		p += extra;
		pos += span;
	}
	return SQLITE_OK;
}

/*
 * Takes the next queued record; replays it when it is that of text[0..n).
 * *done says whether it did; SQLITE_OK or an error from FTS5.
 */
static int replay_next(wrap_tok *w, const char *text, int n, void *ctx,
		       int (*xToken)(void *, int, const char *, int, int, int), int *done)
{
	fts_replay *r = w->r;
	const unsigned char *base = (const unsigned char *)r->queue.data;
	const unsigned char *p = base + r->pos, *end = base + r->queue.len, *list;
	uint64_t len1, size, h;

	*done = 0;
	if (!get_varint(&p, end, &len1)) {
		r->pos = r->queue.len; /* cannot happen: drop what is left */
		return SQLITE_OK;
	}
	if (len1 == 0) {
		r->pos = (size_t)(p - base);
		return SQLITE_OK;
	}
	if (end - p < 8)
		goto bad;
	memcpy(&h, p, 8);
	p += 8;
	if (!get_varint(&p, end, &size) || size > (uint64_t)(end - p))
		goto bad;
	list = p;
	r->pos = (size_t)(list + size - base);
	if (len1 - 1 != (uint64_t)n || h != fts_tokens_hash(text, (size_t)n))
		return SQLITE_OK;
	*done = 1;
	return replay_list(w, list, list + size, text, (uint64_t)n, ctx, xToken);
bad:
	r->pos = r->queue.len;
	return SQLITE_OK;
}

static int wrap_tokenize(Fts5Tokenizer *tk, void *ctx, int flags, const char *text, int n,
			 int (*xToken)(void *, int, const char *, int, int, int))
{
	wrap_tok *w = (wrap_tok *)tk;
	fts_replay *r = w->r;

	if (r->armed && flags == FTS5_TOKENIZE_DOCUMENT && r->pos < r->queue.len &&
	    r->args && strcmp(r->args, w->args) == 0) {
		int done, rc = replay_next(w, text, n, ctx, xToken, &done);
		if (rc != SQLITE_OK || done) {
			r->replayed += rc == SQLITE_OK;
			return rc;
		}
		r->tokenized++;
	}
	return r->builtin.xTokenize(w->inner, ctx, flags, text, n, xToken);
}

static int wrap_create(void *ctx, const char **argv, int argc, Fts5Tokenizer **out)
{
	fts_replay *r = ctx;
	wrap_tok *w = calloc(1, sizeof *w);
	int rc;

	*out = NULL;
	if (!w || !(w->args = join_args(argv, argc))) {
		free(w);
		return SQLITE_NOMEM;
	}
	w->r = r;
	rc = r->builtin.xCreate(r->builtin_ctx, argv, argc, &w->inner);
	if (rc != SQLITE_OK) {
		free(w->args);
		free(w);
		return rc;
	}
	*out = (Fts5Tokenizer *)w;
	return SQLITE_OK;
}

static void wrap_delete(Fts5Tokenizer *tk)
{
	wrap_tok *w = (wrap_tok *)tk;

	if (!w)
		return;
	w->r->builtin.xDelete(w->inner);
	dbuf_free(&w->tok);
	free(w->args);
	free(w);
}

/* Called by SQLite when the connection closes: the registration owns r. */
static void replay_destroy(void *p)
{
	fts_replay *r = p;

	dbuf_free(&r->queue);
	free(r->args);
	free(r);
}

int fts_replay_register(sqlite3 *db, fts_replay **out)
{
	static fts5_tokenizer wrap = { wrap_create, wrap_delete, wrap_tokenize };
	fts5_api *api = NULL;
	sqlite3_stmt *st = NULL;
	fts_replay *r;
	int rc;

	*out = NULL;
	rc = sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_pointer(st, 1, &api, "fts5_api_ptr", NULL);
		rc = sqlite3_step(st) == SQLITE_ROW ? SQLITE_OK : SQLITE_ERROR;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_OK || !api || api->iVersion < 2)
		return SQLITE_ERROR;
	if (!(r = calloc(1, sizeof *r)))
		return SQLITE_NOMEM;
	rc = api->xFindTokenizer(api, "porter", &r->builtin_ctx, &r->builtin);
	if (rc == SQLITE_OK)
		rc = api->xCreateTokenizer(api, "porter", r, &wrap, replay_destroy);
	if (rc != SQLITE_OK) {
		free(r);
		return rc;
	}
	*out = r;
	return SQLITE_OK;
}

int fts_replay_set_args(fts_replay *r, const char *tokenize)
{
	const char *argv[MAX_ARGS];
	char *words = strdup(tokenize);
	int argc;

	free(r->args);
	r->args = NULL;
	if (!words)
		return DOCENT_ENOMEM;
	if (split_words(words, argv, &argc) && argc > 0 && strcmp(argv[0], "porter") == 0) {
		/* a porter inside would find this tokenizer again, on workers */
		int nested = 0;
		for (int i = 1; i < argc; i++)
			nested |= strcasecmp(argv[i], "porter") == 0;
		if (!nested)
			r->args = join_args(argv + 1, argc - 1);
	}
	free(words);
	return 0;
}

int fts_replay_queue(fts_replay *r, const void *records, size_t len, size_t nrecords)
{
	if (records) {
		r->any = 1;
		return dbuf_append(&r->queue, records, len);
	}
	for (size_t i = 0; i < nrecords; i++)
		if (dbuf_putc(&r->queue, 0))
			return DOCENT_ENOMEM;
	return 0;
}

void fts_replay_arm(fts_replay *r)
{
	r->armed = r->any;
	r->pos = 0;
}

void fts_replay_clear(fts_replay *r)
{
	r->armed = 0;
	r->any = 0;
	r->pos = 0;
	dbuf_reset(&r->queue);
}

int store_doc_put_tokens(store *s, int64_t collection_id, const store_doc_in *in,
			 const void *records, size_t len, store_put_result *out)
{
	int rc;

	s->doc_tokens = records;
	s->doc_tokens_len = len;
	rc = store_doc_put(s, collection_id, in, out);
	s->doc_tokens = NULL;
	s->doc_tokens_len = 0;
	return rc;
}

void store_fts_tokens_stats(const store *s, uint64_t *replayed, uint64_t *tokenized)
{
	*replayed = s->replay ? s->replay->replayed : 0;
	*tokenized = s->replay ? s->replay->tokenized : 0;
}
