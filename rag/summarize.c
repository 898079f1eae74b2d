/*
 * summarize.c - map-reduce summaries with references, cached per part, and
 * extractive summaries without a model (see summarize.h).
 *
 * The text is a list of passages (a document's chunks in order, or the
 * passages retrieved for a topic in document order). Consecutive chunks of
 * a section overlap by up to a few sentences; each passage's text is
 * trimmed of what its predecessor already holds, so nothing is read twice.
 */
#include "rag/summarize.h"
#include "rag/prompt.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/hash.h"
#include "core/text.h"
#include "ingest/sentence.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* What each length asks of the model, and how many sentences an
 * extractive summary keeps. Replies are capped a little above what the
 * words ask for, so that a reply is rarely cut. */
static const struct length_spec {
	const char *name;
	int map_out, final_out;          /* max_tokens of a partial and the final reply */
	const char *map_words, *final_words;
	size_t sentences;                /* extractive */
	size_t topic_k;                  /* passages retrieved for a topic */
} LENGTHS[] = {
	{ "short", 160, 200, "2 or 3 sentences", "2 or 3 sentences", 3, 8 },
	{ "medium", 220, 400, "3 to 5 sentences", "one paragraph of 5 to 8 sentences", 6, 12 },
	{ "long", 320, 800, "one paragraph of 5 to 8 sentences",
	  "three or four paragraphs", 12, 20 },
};

/* Tokens the chat template adds around the messages (role markers). */
#define CHAT_OVERHEAD 48
/* A chunk whose hash's first byte is below this (1 in 4) may end a map
 * input once the input is half full: boundaries that depend on content,
 * not on where the document starts, so an edit shifts only its own. */
#define CUT_BELOW 64

int summarize_length_parse(const char *name)
{
	for (int i = 0; i < 3; i++)
		if (name && strcmp(name, LENGTHS[i].name) == 0)
			return i;
	return -1;
}

const char *summarize_length_name(summarize_length l)
{
	return (int)l >= 0 && (int)l < 3 ? LENGTHS[l].name : "medium";
}

summarize_params summarize_default_params(void)
{
	summarize_params p;

	memset(&p, 0, sizeof p);
	p.length = SUMMARIZE_MEDIUM;
	p.gen = gen_default_options();
	p.use_cache = 1;
	return p;
}

void summarize_result_free(summarize_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nsections; i++) {
		free(r->sections[i].heading);
		free(r->sections[i].ref);
		free(r->sections[i].text);
	}
	free(r->sections);
	free(r->text);
	free(r->model);
	free(r);
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* ---- passages ----------------------------------------------------------- */

typedef struct passage {
	const char *text;      /* without the overlap with the previous passage */
	size_t len;
	int page_start, page_end;
	const char *heading;
	const char *label;     /* the document's name (topic summaries), or NULL */
	size_t index;          /* chunk ordinal, or passage number */
	size_t tokens;
	unsigned char cut;     /* first byte of the text's hash */
} passage;

/* The last part of a heading path ("Part > Section" -> "Section"). */
static const char *heading_last(const char *h)
{
	const char *p, *last = h;

	if (!h)
		return NULL;
	while ((p = strstr(last, " > ")) != NULL)
		last = p + 3;
	return last;
}

/* How much of `cur` repeats the end of `prev`: the chunker's overlap,
 * told by the byte ranges and confirmed by the bytes themselves. */
static size_t overlap(const char *prev, size_t plen, int64_t prev_end, const char *cur,
		      size_t clen, int64_t cur_start)
{
	int64_t k = prev_end - cur_start;

	if (k <= 0 || (size_t)k > plen || (size_t)k >= clen)
		return 0;
	if (memcmp(prev + plen - (size_t)k, cur, (size_t)k) != 0)
		return 0;
	while ((size_t)k < clen && (cur[k] == ' ' || cur[k] == '\n' || cur[k] == '\t'))
		k++;
	return (size_t)k < clen ? (size_t)k : 0;
}

/* ---- the run ------------------------------------------------------------- */

typedef struct job {
	store *s;
	generator *g;
	const summarize_params *p;
	const struct length_spec *L;
	gen_piece_fn fn;
	void *ctx;
	summarize_result *res;
	const char *title;
	const char *topic;     /* NULL for a document */
	char *focus;           /* ", focusing on \"topic\"," or "" */
	char *map_t, *reduce_t;
	char map_hash[HASH_HEX_LEN + 1], reduce_hash[HASH_HEX_LEN + 1];
	size_t overhead_map, overhead_reduce;
	int planned, done;
	dbuf out;              /* the final text as streamed */
} job;

static size_t count(const job *j, const char *t, size_t n)
{
	if (j->p->count)
		return j->p->count(j->p->count_ctx, t, n);
	return (n + 2) / 3;
}

static int cancelled(const job *j)
{
	return j->p->cancel && *j->p->cancel;
}

/* Sends text to the caller and keeps it as the final text. */
static int emit(job *j, const char *t, size_t n)
{
	if (dbuf_append(&j->out, t, n))
		return DOCENT_ENOMEM;
	if (n && j->fn && j->fn(j->ctx, t, n))
		return docent_error_set(DOCENT_ECANCELLED, "summary stopped");
	return 0;
}

typedef struct collect {
	job *j;
	dbuf text;
	int stream;
	int stop;
} collect;

static int on_piece(void *ctx, const char *piece, size_t n)
{
	collect *c = ctx;

	if (dbuf_append(&c->text, piece, n)) {
		c->stop = DOCENT_ENOMEM;
		return 1;
	}
	if (c->stream && c->j->fn && c->j->fn(c->j->ctx, piece, n))
		c->stop = DOCENT_ECANCELLED;
	if (cancelled(c->j))
		c->stop = DOCENT_ECANCELLED;
	return c->stop != 0;
}

/* Trims white space at both ends, in place. */
static void trim_buf(dbuf *b)
{
	size_t s = 0, e = b->len;

	if (!b->data)
		return;
	while (s < e && strchr(" \t\r\n", b->data[s]))
		s++;
	while (e > s && strchr(" \t\r\n", b->data[e - 1]))
		e--;
	memmove(b->data, b->data + s, e - s);
	dbuf_truncate(b, e - s);
}

/*
 * One model call: the template filled with vars, answered from the cache
 * when it holds this very prompt for this model, else generated (streamed
 * to the caller when `stream`) and cached. *out is the reply, trimmed.
 */
static int call(job *j, int reduce, const prompt_var *vars, size_t nv, int max_tokens,
		int stream, char **out, int *cached, double *ms)
{
	char *sys = NULL, *user = NULL;
	char input[HASH_HEX_LEN + 1];
	store_summary_key key;
	collect c = { j, DBUF_INIT, stream, 0 };
	gen_result gr;
	int rc;

	*out = NULL;
	*cached = 0;
	*ms = 0;
	if (cancelled(j))
		return docent_error_set(DOCENT_ECANCELLED, "summary stopped");
	if ((rc = prompt_render(reduce ? j->reduce_t : j->map_t, vars, nv, &sys, &user)) != 0)
		return rc;
	{
		dbuf all = DBUF_INIT;
		if (dbuf_puts(&all, sys ? sys : "") || dbuf_putc(&all, '\0') ||
		    dbuf_puts(&all, user)) {
			dbuf_free(&all);
			rc = docent_error_set(DOCENT_ENOMEM, "out of memory");
			goto done;
		}
		hash_sha256_hex(all.data, all.len, input);
		dbuf_free(&all);
	}
	key.input_hash = input;
	key.model = generator_model_id(j->g);
	key.prompt_hash = reduce ? j->reduce_hash : j->map_hash;
	key.length = j->L->name;
	if (j->p->use_cache && j->s) {
		char *hit = NULL;
		if (store_summary_get(j->s, &key, &hit) == 0 && hit) {
			*out = hit;
			*cached = 1;
			j->res->cached_parts++;
			if (stream)
				rc = emit(j, hit, strlen(hit));
			goto done;
		}
		docent_error_clear(); /* a cache that cannot be read costs only time */
	}
	if (j->p->progress)
		j->p->progress(j->p->progress_ctx, j->done, j->planned, 0);
	{
		chat_message msgs[2];
		size_t nm = 0;
		gen_options o = j->p->gen;
		/* the same flag stops the model at once, also while a server is
		 * silent (no piece arrives to be refused) */
		if (!o.cancel)
			o.cancel = j->p->cancel;
		if (sys && *sys)
			msgs[nm++] = (chat_message){ "system", sys };
		msgs[nm++] = (chat_message){ "user", user };
		o.max_tokens = max_tokens;
		double t0 = now_ms();
		rc = generator_chat(j->g, msgs, nm, &o, on_piece, &c, &gr);
		*ms = now_ms() - t0;
	}
	j->done++;
	j->res->calls++;
	if (rc == 0 && c.stop)
		rc = c.stop == DOCENT_ENOMEM ? docent_error_set(c.stop, "out of memory")
			: docent_error_set(DOCENT_ECANCELLED, "summary stopped");
	if (rc == 0 && cancelled(j))
		rc = docent_error_set(DOCENT_ECANCELLED, "summary stopped");
	if (rc)
		goto done;
	/* a model may write bytes that are not UTF-8 (random weights do): the
	 * kept text is clean, whatever was streamed */
	{
		dbuf clean = DBUF_INIT;
		if (text_normalize(c.text.data ? c.text.data : "", c.text.len, &clean) ||
		    dbuf_puts(&clean, "") ||
		    (stream && dbuf_append(&j->out, clean.data, clean.len))) {
			dbuf_free(&clean);
			rc = docent_error_set(DOCENT_ENOMEM, "out of memory");
			goto done;
		}
		dbuf_free(&c.text);
		c.text = clean;
	}
	trim_buf(&c.text);
	if (j->p->use_cache && j->s && c.text.len &&
	    store_summary_put(j->s, &key, c.text.data) != 0)
		docent_error_clear(); /* a read-only or busy store: no caching, no failure */
	if (!(*out = dbuf_detach(&c.text, NULL)))
		rc = docent_error_set(DOCENT_ENOMEM, "out of memory");
done:
	dbuf_free(&c.text);
	free(sys);
	free(user);
	return rc;
}

/* "label, p. 3-4", "§ Heading", "part 2": where a span of passages is. */
static int ref_make(dbuf *b, const char *label, int ps, int pe, const char *h1, const char *h2,
		    size_t part)
{
	int rc = 0;

	if (label)
		rc = dbuf_puts(b, label);
	if (rc == 0 && ps > 0) {
		rc = dbuf_printf(b, "%sp. %d", label ? ", " : "", ps);
		if (rc == 0 && pe > ps)
			rc = dbuf_printf(b, "-%d", pe);
	} else if (rc == 0 && h1) {
		const char *a = heading_last(h1), *z = h2 ? heading_last(h2) : NULL;
		rc = dbuf_printf(b, "%s\xC2\xA7 %.60s", label ? ", " : "", a);
		if (rc == 0 && z && strcmp(a, z) != 0)
			rc = dbuf_printf(b, " \xE2\x80\x93 %.60s", z);
	} else if (rc == 0 && !label) {
		rc = dbuf_printf(b, "part %zu", part);
	}
	if (rc == 0)
		rc = dbuf_puts(b, "");
	if (rc == 0 && b->len) /* a heading cut at 60 bytes must not split a character */
		dbuf_truncate(b, text_utf8_whole(b->data, b->len));
	return rc;
}

static int section_add(job *j, const passage *ps, size_t a, size_t b, size_t part,
		       summarize_section **out)
{
	summarize_result *r = j->res;
	summarize_section *v = realloc(r->sections, (r->nsections + 1) * sizeof *v);
	dbuf ref = DBUF_INIT;
	int pmin = 0, pmax = 0;

	if (!v)
		return docent_error_set(DOCENT_ENOMEM, "out of memory");
	r->sections = v;
	summarize_section *s = &v[r->nsections];
	memset(s, 0, sizeof *s);
	for (size_t i = a; i <= b; i++) {
		if (ps[i].page_start > 0 && (pmin == 0 || ps[i].page_start < pmin))
			pmin = ps[i].page_start;
		if (ps[i].page_end > pmax)
			pmax = ps[i].page_end;
	}
	s->first = ps[a].index;
	s->last = ps[b].index;
	s->page_start = pmin;
	s->page_end = pmax > pmin ? pmax : pmin;
	/* a span over several documents (a topic) names the first and last:
	 * page numbers across documents would mislead */
	const char *label = ps[a].label;
	int mixed = 0;
	for (size_t i = a; i <= b; i++)
		if (label && (!ps[i].label || strcmp(ps[i].label, label) != 0))
			mixed = 1;
	int rc = ps[a].heading && !(s->heading = strdup(ps[a].heading));
	if (!rc)
		rc = mixed ? dbuf_printf(&ref, "%s; %s", ps[a].label, ps[b].label)
			   : ref_make(&ref, label, s->page_start, s->page_end, ps[a].heading,
				      ps[b].heading, part);
	if (rc || !(s->ref = dbuf_detach(&ref, NULL))) {
		free(s->heading);
		dbuf_free(&ref);
		return docent_error_set(DOCENT_ENOMEM, "out of memory");
	}
	r->nsections++;
	*out = s;
	return 0;
}

/* The text of passages[a..b] as a map input: headings (and documents)
 * shown where they change. */
static int group_text(dbuf *t, const passage *ps, size_t a, size_t b)
{
	for (size_t i = a; i <= b; i++) {
		int rc = 0;
		if (ps[i].label && (i == a || !ps[i - 1].label || strcmp(ps[i].label, ps[i - 1].label)))
			rc = dbuf_printf(t, "%s[%s]\n", t->len ? "\n" : "", ps[i].label);
		if (rc == 0 && ps[i].heading &&
		    (i == a || !ps[i - 1].heading || strcmp(ps[i].heading, ps[i - 1].heading)))
			rc = dbuf_printf(t, "%s## %s\n", t->len ? "\n" : "", ps[i].heading);
		else if (rc == 0 && i > a)
			rc = dbuf_puts(t, "\n\n");
		if (rc == 0)
			rc = dbuf_append(t, ps[i].text, ps[i].len);
		if (rc)
			return docent_error_set(DOCENT_ENOMEM, "out of memory");
	}
	return dbuf_puts(t, "") ? docent_error_set(DOCENT_ENOMEM, "out of memory") : 0;
}

static const char *what_of(const job *j, int whole)
{
	if (j->topic)
		return "the following passages from the documents";
	return whole ? "the following document" : "the following part of a document";
}

/* An item of a reduce round: a partial summary and where it comes from. */
typedef struct item {
	char *text;
	char *ref;
	size_t tokens;
} item;

static void items_free(item *it, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(it[i].text);
		free(it[i].ref);
	}
	free(it);
}

static int items_text(dbuf *t, const item *it, size_t a, size_t b)
{
	for (size_t i = a; i <= b; i++)
		if (dbuf_printf(t, "%s(%s) %s", i > a ? "\n\n" : "", it[i].ref, it[i].text))
			return docent_error_set(DOCENT_ENOMEM, "out of memory");
	return dbuf_puts(t, "") ? docent_error_set(DOCENT_ENOMEM, "out of memory") : 0;
}

/* The reduce rounds over the partial summaries; the last one streams. */
static int reduce(job *j, item *it, size_t n)
{
	size_t ctx = j->p->context_tokens;
	size_t fit_final = ctx - j->overhead_reduce - (size_t)j->L->final_out;
	size_t fit_round = ctx - j->overhead_reduce - (size_t)j->L->map_out;
	int rc = 0;

	for (;;) {
		size_t total = 0;
		for (size_t i = 0; i < n; i++)
			total += it[i].tokens + 2;
		if (total <= fit_final || n == 1)
			break;
		/* one round: groups of items that fit, each made one */
		item *next = calloc(n, sizeof *next);
		size_t nn = 0, a = 0;
		if (!next)
			return docent_error_set(DOCENT_ENOMEM, "out of memory");
		j->res->rounds++;
		while (a < n && rc == 0) {
			size_t b = a, sum = it[a].tokens + 2;
			while (b + 1 < n && sum + it[b + 1].tokens + 2 <= fit_round)
				sum += it[++b].tokens + 2;
			if (b == a && a + 1 < n)
				b = a + 1; /* never stall: two items always go together */
			if (b == a) {
				next[nn++] = it[a];
				it[a].text = it[a].ref = NULL;
				a++;
				continue;
			}
			dbuf t = DBUF_INIT, ref = DBUF_INIT;
			char *reply = NULL;
			int cached;
			double ms;
			if ((rc = items_text(&t, it, a, b)) == 0) {
				prompt_var v[] = { { "what", what_of(j, 0) }, { "focus", j->focus },
						    { "length", j->L->map_words },
						    { "title", j->title }, { "text", t.data } };
				rc = call(j, 1, v, 5, j->L->map_out, 0, &reply, &cached, &ms);
				j->res->reduce_ms += ms;
			}
			if (rc == 0 && dbuf_printf(&ref, "%s; %s", it[a].ref, it[b].ref))
				rc = docent_error_set(DOCENT_ENOMEM, "out of memory");
			if (rc == 0) {
				next[nn].text = reply;
				next[nn].ref = dbuf_detach(&ref, NULL);
				next[nn].tokens = count(j, reply, strlen(reply)) +
					count(j, next[nn].ref ? next[nn].ref : "", 8);
				nn++;
				reply = NULL;
			}
			free(reply);
			dbuf_free(&t);
			dbuf_free(&ref);
			a = b + 1;
		}
		if (rc) {
			items_free(next, nn);
			return rc;
		}
		for (size_t i = 0; i < n; i++) {
			free(it[i].text);
			free(it[i].ref);
		}
		memcpy(it, next, nn * sizeof *next);
		/* the caller frees all the items it made: none twice */
		memset(it + nn, 0, (n - nn) * sizeof *it);
		free(next);
		n = nn;
	}
	dbuf t = DBUF_INIT;
	char *reply = NULL;
	int cached;
	double ms = 0;
	if ((rc = items_text(&t, it, 0, n - 1)) == 0) {
		prompt_var v[] = { { "what", what_of(j, 1) }, { "focus", j->focus },
				    { "length", j->L->final_words }, { "title", j->title },
				    { "text", t.data } };
		j->planned = j->done + 1;
		rc = call(j, 1, v, 5, j->L->final_out, 1, &reply, &cached, &ms);
		j->res->reduce_ms += ms;
	}
	free(reply);
	dbuf_free(&t);
	return rc;
}

static int run_generated(job *j, passage *ps, size_t n)
{
	size_t ctx = j->p->context_tokens, total = 0;
	size_t fit_one = ctx - j->overhead_map - (size_t)j->L->final_out;
	size_t fit_map = ctx - j->overhead_map - (size_t)j->L->map_out;
	summarize_section *sec;
	item *items = NULL;
	size_t nitems = 0;
	int rc = 0;

	for (size_t i = 0; i < n; i++)
		total += ps[i].tokens + 4;
	if (total <= fit_one) {
		/* it fits: one call, streamed */
		dbuf t = DBUF_INIT;
		char *reply = NULL;
		double ms = 0;
		if ((rc = section_add(j, ps, 0, n - 1, 1, &sec)) != 0)
			return rc;
		if ((rc = group_text(&t, ps, 0, n - 1)) == 0) {
			prompt_var v[] = { { "what", what_of(j, 1) }, { "focus", j->focus },
					    { "length", j->L->final_words }, { "title", j->title },
					    { "text", t.data } };
			j->planned = 1;
			rc = call(j, 0, v, 5, j->L->final_out, 1, &reply, &sec->cached, &ms);
		}
		sec->ms = ms;
		j->res->map_ms += ms;
		sec->text = reply;
		dbuf_free(&t);
		return rc;
	}
	/* the map inputs: consecutive passages up to the budget, ending early
	 * at a content-chosen cut point once half full */
	size_t *ends = malloc(n * sizeof *ends), ngroups = 0;
	if (!ends)
		return docent_error_set(DOCENT_ENOMEM, "out of memory");
	for (size_t a = 0; a < n;) {
		size_t b = a, sum = ps[a].tokens + 4;
		while (b + 1 < n && sum + ps[b + 1].tokens + 4 <= fit_map &&
		       !(ps[b].cut < CUT_BELOW && sum >= fit_map / 2))
			sum += ps[++b].tokens + 4;
		ends[ngroups++] = b;
		a = b + 1;
	}
	j->planned = (int)ngroups + 1;
	if (!(items = calloc(ngroups, sizeof *items))) {
		free(ends);
		return docent_error_set(DOCENT_ENOMEM, "out of memory");
	}
	for (size_t gi = 0, a = 0; gi < ngroups && rc == 0; a = ends[gi++] + 1) {
		dbuf t = DBUF_INIT;
		char *reply = NULL;
		double ms = 0;
		size_t b = ends[gi];
		if ((rc = section_add(j, ps, a, b, gi + 1, &sec)) != 0)
			break;
		if ((rc = group_text(&t, ps, a, b)) == 0) {
			/* a passage longer than the whole budget is cut (rare: chunks
			 * are a few hundred tokens) */
			size_t tk = count(j, t.data, t.len);
			if (tk > fit_map)
				dbuf_truncate(&t, text_utf8_floor(t.data, t.len,
					(size_t)((double)t.len * fit_map / tk)));
			prompt_var v[] = { { "what", what_of(j, 0) }, { "focus", j->focus },
					    { "length", j->L->map_words }, { "title", j->title },
					    { "text", t.data } };
			rc = call(j, 0, v, 5, j->L->map_out, 0, &reply, &sec->cached, &ms);
		}
		sec->ms = ms;
		j->res->map_ms += ms;
		dbuf_free(&t);
		if (rc) {
			free(reply);
			break;
		}
		sec->text = reply;
		if (!(items[nitems].text = strdup(reply)) || !(items[nitems].ref = strdup(sec->ref))) {
			free(items[nitems].text);
			items[nitems].text = NULL;
			rc = docent_error_set(DOCENT_ENOMEM, "out of memory");
			break;
		}
		items[nitems].tokens = count(j, reply, strlen(reply)) +
			count(j, sec->ref, strlen(sec->ref));
		nitems++;
	}
	free(ends);
	if (rc == 0)
		rc = reduce(j, items, nitems);
	items_free(items, nitems);
	return rc;
}

/* ---- extractive ---------------------------------------------------------- */

typedef struct sent {
	size_t pi;             /* passage */
	const char *s;
	size_t len;
	uint32_t *ids;         /* distinct word ids, ascending */
	float *w;              /* their weights, L2-normalised */
	size_t nw;
	double score;
	int chosen;
} sent;

typedef struct vocab {
	dbuf arena;            /* folded words end to end */
	size_t *off, *len;     /* word id -> its bytes in arena */
	uint32_t *df;
	size_t n, cap;
	uint32_t *slot;        /* open addressing: id + 1, 0 empty */
	size_t nslot;
} vocab;

static uint64_t fnv(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

/* The id of word w[0..n), added when new (add) or UINT32_MAX when not. */
static int vocab_id(vocab *v, const char *w, size_t n, int add, uint32_t *out)
{
	if (v->n * 2 >= v->nslot && add) {
		size_t ns = v->nslot ? v->nslot * 2 : 1024;
		uint32_t *sl = calloc(ns, sizeof *sl);
		if (!sl)
			return DOCENT_ENOMEM;
		for (size_t i = 0; i < v->n; i++) {
			size_t k = fnv(v->arena.data + v->off[i], v->len[i]) & (ns - 1);
			while (sl[k])
				k = (k + 1) & (ns - 1);
			sl[k] = (uint32_t)i + 1;
		}
		free(v->slot);
		v->slot = sl;
		v->nslot = ns;
	}
	*out = UINT32_MAX;
	if (!v->nslot)
		return 0;
	size_t k = fnv(w, n) & (v->nslot - 1);
	while (v->slot[k]) {
		uint32_t id = v->slot[k] - 1;
		if (v->len[id] == n && memcmp(v->arena.data + v->off[id], w, n) == 0) {
			*out = id;
			return 0;
		}
		k = (k + 1) & (v->nslot - 1);
	}
	if (!add)
		return 0;
	if (v->n == v->cap) {
		size_t nc = v->cap ? v->cap * 2 : 1024;
		size_t *o = realloc(v->off, nc * sizeof *o);
		if (!o)
			return DOCENT_ENOMEM;
		v->off = o;
		size_t *l = realloc(v->len, nc * sizeof *l);
		if (!l)
			return DOCENT_ENOMEM;
		v->len = l;
		uint32_t *d = realloc(v->df, nc * sizeof *d);
		if (!d)
			return DOCENT_ENOMEM;
		v->df = d;
		v->cap = nc;
	}
	v->off[v->n] = v->arena.len;
	v->len[v->n] = n;
	v->df[v->n] = 0;
	if (dbuf_append(&v->arena, w, n))
		return DOCENT_ENOMEM;
	v->slot[k] = (uint32_t)v->n + 1;
	*out = (uint32_t)v->n++;
	return 0;
}

static void vocab_free(vocab *v)
{
	dbuf_free(&v->arena);
	free(v->off);
	free(v->len);
	free(v->df);
	free(v->slot);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* The word ids of s[0..n) (folded, with repeats), into *ids. */
static int words_of(vocab *v, const char *s, size_t n, int add, uint32_t **ids, size_t *nids)
{
	size_t pos = 0, st, en, cap = 0;
	dbuf f = DBUF_INIT;
	int rc = 0;

	*ids = NULL;
	*nids = 0;
	while (rc == 0 && text_next_word(s, n, pos, &st, &en)) {
		uint32_t id;
		pos = en;
		dbuf_reset(&f);
		if (text_casefold(s + st, en - st, &f) || (rc = vocab_id(v, f.data, f.len, add, &id)))
			rc = DOCENT_ENOMEM;
		else if (id != UINT32_MAX) {
			if (*nids == cap) {
				cap = cap ? cap * 2 : 32;
				uint32_t *ni = realloc(*ids, cap * sizeof *ni);
				if (!ni) {
					rc = DOCENT_ENOMEM;
					break;
				}
				*ids = ni;
			}
			(*ids)[(*nids)++] = id;
		}
	}
	dbuf_free(&f);
	return rc;
}

/* Sparse vector of distinct ids with (1 + log tf) weights, from ids (sorted here). */
static int sparse_make(uint32_t *ids, size_t n, uint32_t **out, float **w, size_t *nout)
{
	size_t k = 0;

	*out = NULL;
	*w = NULL;
	*nout = 0;
	if (n == 0)
		return 0;
	qsort(ids, n, sizeof *ids, cmp_u32);
	if (!(*out = malloc(n * sizeof **out)) || !(*w = malloc(n * sizeof **w))) {
		free(*out);
		*out = NULL;
		return DOCENT_ENOMEM;
	}
	for (size_t i = 0; i < n;) {
		size_t e = i;
		while (e < n && ids[e] == ids[i])
			e++;
		(*out)[k] = ids[i];
		(*w)[k++] = (float)(1.0 + log((double)(e - i)));
		i = e;
	}
	*nout = k;
	return 0;
}

static double sparse_dot(const sent *a, const sent *b)
{
	double d = 0;
	size_t i = 0, k = 0;

	while (i < a->nw && k < b->nw) {
		if (a->ids[i] == b->ids[k])
			d += (double)a->w[i++] * b->w[k++];
		else if (a->ids[i] < b->ids[k])
			i++;
		else
			k++;
	}
	return d;
}

static void normalise(float *w, size_t n)
{
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += (double)w[i] * w[i];
	if (s > 0)
		for (size_t i = 0; i < n; i++)
			w[i] = (float)(w[i] / sqrt(s));
}

static int cmp_doc_order(const void *a, const void *b)
{
	const sent *x = *(const sent *const *)a, *y = *(const sent *const *)b;
	if (x->pi != y->pi)
		return x->pi < y->pi ? -1 : 1;
	return x->s < y->s ? -1 : x->s > y->s;
}

static int run_extractive(job *j, passage *ps, size_t n)
{
	vocab v = { 0 };
	sent *ss = NULL, topic = { 0 };
	size_t nss = 0, cap = 0;
	double *centroid = NULL;
	sent **pick = NULL;
	size_t npick = 0;
	int rc = 0;

	for (size_t pi = 0; pi < n && rc == 0; pi++) {
		size_t *ends = NULL, ne = 0, start = 0;
		if ((rc = sentence_split(ps[pi].text, ps[pi].len, &ends, &ne)) != 0)
			break;
		for (size_t e = 0; e < ne && rc == 0; start = ends[e++]) {
			const char *s = ps[pi].text + start;
			size_t len = ends[e] - start;
			while (len && strchr(" \t\r\n", *s))
				s++, len--;
			size_t nwords = text_count_words(s, len);
			/* fragments and run-ons make poor summary sentences, and one
			 * with an address is nearly always boilerplate ("available
			 * from https://...") */
			if (nwords < 5 || nwords > 80 || memmem(s, len, "://", 3) ||
			    memmem(s, len, "www.", 4))
				continue;
			if (nss == cap) {
				cap = cap ? cap * 2 : 256;
				sent *nsv = realloc(ss, cap * sizeof *nsv);
				if (!nsv) {
					rc = DOCENT_ENOMEM;
					break;
				}
				ss = nsv;
			}
			sent *x = &ss[nss];
			memset(x, 0, sizeof *x);
			x->pi = pi;
			x->s = s;
			x->len = len;
			uint32_t *raw;
			size_t nraw;
			if ((rc = words_of(&v, s, len, 1, &raw, &nraw)) == 0) {
				rc = sparse_make(raw, nraw, &x->ids, &x->w, &x->nw);
				free(raw);
			}
			if (rc == 0) {
				nss++;
				for (size_t k = 0; k < x->nw; k++)
					v.df[x->ids[k]]++;
			} else {
				free(x->ids);
				free(x->w);
			}
		}
		free(ends);
	}
	if (rc)
		goto done;
	if (nss == 0) {
		/* no sentence of five words or more: the first passage, as is */
		if (n && (rc = emit(j, ps[0].text, ps[0].len > 600 ? text_utf8_floor(ps[0].text,
				    ps[0].len, 600) : ps[0].len)) == 0)
			rc = emit(j, "\n", 1);
		goto done;
	}
	/* TF-IDF weights, the centroid, and the topic's vector */
	if (!(centroid = calloc(v.n ? v.n : 1, sizeof *centroid))) {
		rc = DOCENT_ENOMEM;
		goto done;
	}
	for (size_t i = 0; i < nss; i++) {
		for (size_t k = 0; k < ss[i].nw; k++)
			ss[i].w[k] *= (float)log((double)(nss + 1) / (v.df[ss[i].ids[k]] + 0.5));
		normalise(ss[i].w, ss[i].nw);
		for (size_t k = 0; k < ss[i].nw; k++)
			centroid[ss[i].ids[k]] += ss[i].w[k];
	}
	if (j->topic) {
		uint32_t *raw;
		size_t nraw;
		if ((rc = words_of(&v, j->topic, strlen(j->topic), 0, &raw, &nraw)) != 0 ||
		    (rc = sparse_make(raw, nraw, &topic.ids, &topic.w, &topic.nw)) != 0) {
			free(raw);
			goto done;
		}
		free(raw);
		for (size_t k = 0; k < topic.nw; k++)
			topic.w[k] *= (float)log((double)(nss + 1) / (v.df[topic.ids[k]] + 0.5));
		normalise(topic.w, topic.nw);
	}
	{
		double cn = 0;
		for (size_t i = 0; i < v.n; i++)
			cn += centroid[i] * centroid[i];
		cn = cn > 0 ? sqrt(cn) : 1;
		for (size_t i = 0; i < nss; i++) {
			double d = 0;
			for (size_t k = 0; k < ss[i].nw; k++)
				d += ss[i].w[k] * centroid[ss[i].ids[k]];
			ss[i].score = d / cn + (j->topic ? sparse_dot(&ss[i], &topic) : 0);
		}
	}
	/* the most central sentences, passing over near-repeats of those kept */
	size_t want = j->L->sentences < nss ? j->L->sentences : nss;
	if (!(pick = malloc(want * sizeof *pick))) {
		rc = DOCENT_ENOMEM;
		goto done;
	}
	while (npick < want) {
		sent *best = NULL;
		double bs = -1e9;
		for (size_t i = 0; i < nss; i++) {
			if (ss[i].chosen)
				continue;
			double red = 0;
			for (size_t k = 0; k < npick; k++) {
				double sim = sparse_dot(&ss[i], pick[k]);
				if (sim > red)
					red = sim;
			}
			double sc = red > 0.8 ? -1e8 : ss[i].score - 0.5 * red;
			if (sc > bs) {
				bs = sc;
				best = &ss[i];
			}
		}
		if (!best || bs <= -1e8)
			break;
		best->chosen = 1;
		pick[npick++] = best;
	}
	qsort(pick, npick, sizeof *pick, cmp_doc_order);
	for (size_t k = 0; k < npick && rc == 0; k++) {
		summarize_section *sec;
		dbuf line = DBUF_INIT;
		size_t pi = pick[k]->pi;
		if ((rc = section_add(j, ps, pi, pi, pi + 1, &sec)) != 0)
			break;
		/* one sentence a line: its line breaks become spaces */
		if (dbuf_puts(&line, "- ")) {
			rc = DOCENT_ENOMEM;
			break;
		}
		size_t body = line.len;
		for (size_t i = 0; i < pick[k]->len && rc == 0; i++) {
			char ch = pick[k]->s[i];
			rc = dbuf_putc(&line, ch == '\n' || ch == '\r' || ch == '\t' ? ' ' : ch);
		}
		if (rc == 0 && !(sec->text = strndup(line.data + body, line.len - body)))
			rc = DOCENT_ENOMEM;
		if (rc == 0 && dbuf_printf(&line, " (%s)\n", sec->ref))
			rc = DOCENT_ENOMEM;
		if (rc == 0)
			rc = emit(j, line.data, line.len);
		dbuf_free(&line);
	}
done:
	if (rc == DOCENT_ENOMEM)
		docent_error_set(rc, "out of memory making an extractive summary");
	for (size_t i = 0; i < nss; i++) {
		free(ss[i].ids);
		free(ss[i].w);
	}
	free(ss);
	free(topic.ids);
	free(topic.w);
	free(centroid);
	free(pick);
	vocab_free(&v);
	return rc;
}

/* ---- entry points ------------------------------------------------------- */

/* Loads a template (given, else built in) and its hash; its length with no
 * text is the overhead of every call. */
static int template_load(job *j, const char *given, const char *name, char **out,
			 char hash[HASH_HEX_LEN + 1], size_t *overhead)
{
	int rc;
	char *sys = NULL, *user = NULL;

	if (given) {
		if (!(*out = strdup(given)))
			return docent_error_set(DOCENT_ENOMEM, "out of memory");
	} else if ((rc = prompt_load(name, NULL, out, NULL)) != 0) {
		return rc;
	}
	hash_sha256_hex(*out, strlen(*out), hash);
	prompt_var v[] = { { "what", what_of(j, 0) }, { "focus", j->focus },
			    { "length", j->L->final_words }, { "title", j->title },
			    { "text", "" } };
	if ((rc = prompt_render(*out, v, 5, &sys, &user)) != 0)
		return rc;
	*overhead = count(j, sys ? sys : "", sys ? strlen(sys) : 0) +
		count(j, user, strlen(user)) + CHAT_OVERHEAD;
	free(sys);
	free(user);
	return 0;
}

static int run(job *j, passage *ps, size_t n)
{
	double t0 = now_ms();
	int rc = 0;

	if (!(j->res = calloc(1, sizeof *j->res)))
		return docent_error_set(DOCENT_ENOMEM, "out of memory");
	j->res->chunks = n;
	j->res->extractive = j->g == NULL;
	if (j->g && !(j->res->model = strdup(generator_model_id(j->g))))
		return docent_error_set(DOCENT_ENOMEM, "out of memory");
	if (n == 0)
		return docent_error_set(DOCENT_EEMPTY, "%s has no text to summarize", j->title);
	for (size_t i = 0; i < n; i++) {
		char h[HASH_HEX_LEN + 1];
		hash_sha256_hex(ps[i].text, ps[i].len, h);
		ps[i].cut = (unsigned char)strtoul((char[3]){ h[0], h[1], 0 }, NULL, 16);
		ps[i].tokens = count(j, ps[i].text, ps[i].len);
	}
	if (!j->g) {
		rc = run_extractive(j, ps, n);
	} else {
		size_t ctx = j->p->context_tokens;
		if ((rc = template_load(j, j->p->map_template, "summarize_map", &j->map_t,
					j->map_hash, &j->overhead_map)) != 0 ||
		    (rc = template_load(j, j->p->reduce_template, "summarize_reduce", &j->reduce_t,
					j->reduce_hash, &j->overhead_reduce)) != 0)
			return rc;
		size_t over = j->overhead_map > j->overhead_reduce ? j->overhead_map
			: j->overhead_reduce;
		/* room for the prompt, the longest reply and a few partials */
		if (ctx < over + (size_t)j->L->final_out + 3 * (size_t)j->L->map_out)
			return docent_error_set(DOCENT_EINVAL, "a context of %zu tokens is too small "
				"to summarize in (%zu at least for a %s summary); raise engine.context "
				"or choose a shorter length", ctx,
				over + (size_t)j->L->final_out + 3 * (size_t)j->L->map_out, j->L->name);
		rc = run_generated(j, ps, n);
	}
	if (rc == 0 && j->out.len && j->out.data[j->out.len - 1] != '\n')
		rc = emit(j, "\n", 1);
	if (rc == 0 && dbuf_puts(&j->out, ""))
		rc = docent_error_set(DOCENT_ENOMEM, "out of memory");
	if (rc == 0) {
		trim_buf(&j->out);
		if (!(j->res->text = dbuf_detach(&j->out, NULL)))
			rc = docent_error_set(DOCENT_ENOMEM, "out of memory");
	}
	j->res->total_ms = now_ms() - t0;
	return rc;
}

static void job_free(job *j)
{
	free(j->focus);
	free(j->map_t);
	free(j->reduce_t);
	dbuf_free(&j->out);
}

static int finish(job *j, int rc, summarize_result **out)
{
	if (rc == 0) {
		*out = j->res;
	} else {
		summarize_result_free(j->res);
		*out = NULL;
	}
	job_free(j);
	return rc;
}

static int job_init(job *j, store *s, generator *g, const summarize_params *p, gen_piece_fn fn,
		    void *ctx, const char *topic)
{
	memset(j, 0, sizeof *j);
	j->s = s;
	j->g = g;
	j->p = p;
	j->L = &LENGTHS[(int)p->length >= 0 && (int)p->length < 3 ? p->length : 1];
	j->fn = fn;
	j->ctx = ctx;
	j->topic = topic;
	if (topic) {
		dbuf f = DBUF_INIT;
		if (dbuf_printf(&f, ", focusing on \"%s\",", topic))
			return docent_error_set(DOCENT_ENOMEM, "out of memory");
		j->focus = dbuf_detach(&f, NULL);
	} else {
		j->focus = strdup("");
	}
	return j->focus ? 0 : docent_error_set(DOCENT_ENOMEM, "out of memory");
}

int summarize_doc(store *s, generator *g, int64_t doc_id, const summarize_params *p,
		  gen_piece_fn fn, void *ctx, summarize_result **out)
{
	summarize_params def = summarize_default_params();
	store_doc *d = NULL;
	store_chunk *ch = NULL;
	passage *ps = NULL;
	size_t n = 0;
	char key[32];
	job j;
	int rc;

	*out = NULL;
	if (!p)
		p = &def;
	if ((rc = job_init(&j, s, g, p, fn, ctx, NULL)) != 0)
		return finish(&j, rc, out);
	if (p->context_tokens == 0) {
		def = *p;
		def.context_tokens = 4096;
		j.p = p = &def;
	}
	snprintf(key, sizeof key, "%lld", (long long)doc_id);
	if ((rc = store_doc_find(s, NULL, key, &d)) != 0 ||
	    (rc = store_doc_chunks(s, doc_id, &ch, &n)) != 0)
		goto done;
	if (n == 0 && d->error) {
		rc = docent_error_set(DOCENT_EEMPTY, "%s has no text to summarize: %s", d->path,
				      d->error);
		goto done;
	}
	if (n && !(ps = calloc(n, sizeof *ps))) {
		rc = docent_error_set(DOCENT_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		size_t skip = i ? overlap(ch[i - 1].text, ch[i - 1].len, ch[i - 1].end_byte,
					  ch[i].text, ch[i].len, ch[i].start_byte) : 0;
		ps[i] = (passage){ ch[i].text + skip, ch[i].len - skip, ch[i].page_start,
				   ch[i].page_end, ch[i].heading, NULL, (size_t)ch[i].ordinal, 0, 0 };
	}
	j.title = p->title ? p->title : d->title && *d->title ? d->title : d->path;
	rc = run(&j, ps, n);
done:
	free(ps);
	store_chunks_free(ch, n);
	store_doc_list_free(d, d ? 1 : 0);
	return finish(&j, rc, out);
}

static int cmp_hits(const void *a, const void *b)
{
	const store_hit *x = a, *y = b;
	if (x->doc_id != y->doc_id)
		return x->doc_id < y->doc_id ? -1 : 1;
	return x->start_byte < y->start_byte ? -1 : x->start_byte > y->start_byte;
}

int summarize_topic(store *s, retriever *r, generator *g, const char *topic,
		    const retrieve_params *rp, const summarize_params *p, gen_piece_fn fn,
		    void *ctx, summarize_result **out)
{
	summarize_params def = summarize_default_params();
	retrieve_params q = rp ? *rp : retrieve_default_params();
	store_hit *hits = NULL;
	passage *ps = NULL;
	char **labels = NULL;
	size_t n = 0;
	job j;
	int rc;

	*out = NULL;
	if (!p)
		p = &def;
	if ((rc = job_init(&j, s, g, p, fn, ctx, topic)) != 0)
		return finish(&j, rc, out);
	if (p->context_tokens == 0) {
		def = *p;
		def.context_tokens = 4096;
		j.p = p = &def;
	}
	if (!topic || !*topic) {
		rc = docent_error_set(DOCENT_EINVAL, "no topic given");
		goto done;
	}
	q.search.k = p->topic_passages ? p->topic_passages : j.L->topic_k;
	if ((rc = retrieve(r, topic, &q, &hits, &n, NULL)) != 0)
		goto done;
	if (n == 0) {
		rc = docent_error_set(DOCENT_ENOTFOUND, "nothing in the documents matches \"%s\"",
				      topic);
		goto done;
	}
	/* document order, so that neighbouring passages read as one text */
	qsort(hits, n, sizeof *hits, cmp_hits);
	if (!(ps = calloc(n, sizeof *ps)) || !(labels = calloc(n, sizeof *labels))) {
		rc = docent_error_set(DOCENT_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		const store_hit *h = &hits[i];
		const char *base = strrchr(h->path, '/');
		/* the file's name: titles repeat ("Introduction", "Report") */
		const char *name = base && base[1] ? base + 1 : h->path;
		if (!(labels[i] = strndup(name, 80))) {
			rc = docent_error_set(DOCENT_ENOMEM, "out of memory");
			goto done;
		}
		const char *text = h->text ? h->text : "";
		size_t len = strlen(text), skip = 0;
		if (i && hits[i - 1].doc_id == h->doc_id && hits[i - 1].text)
			skip = overlap(hits[i - 1].text, strlen(hits[i - 1].text),
				       hits[i - 1].end_byte, text, len, h->start_byte);
		ps[i] = (passage){ text + skip, len - skip, h->page_start, h->page_end, h->heading,
				   labels[i], i + 1, 0, 0 };
	}
	j.title = p->title ? p->title : topic;
	rc = run(&j, ps, n);
done:
	if (labels)
		for (size_t i = 0; i < n; i++)
			free(labels[i]);
	free(labels);
	free(ps);
	store_hits_free(hits, n);
	return finish(&j, rc, out);
}
