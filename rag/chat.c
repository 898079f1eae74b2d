/*
 * chat.c - a conversation with the documents (chat.h): follow-ups
 * rewritten into standalone queries, the history as the model saw it, cut
 * to the model's context, and every turn stored.
 */
#include "rag/chat.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/text.h"
#include "rag/answer_json.h"
#include "rag/prompt.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* earlier questions shown to the rewriting prompt */
#define REWRITE_HISTORY 3
/* content words carried from the previous query by the rewriting without a model */
#define CARRIED_WORDS 8
/* a rewritten query longer than this is not a query: the model rambled */
#define MAX_QUERY_BYTES 300

typedef struct turn {
	char *question;   /* as asked */
	char *sent;       /* as sent to the model; NULL when it was not asked */
	char *query;      /* what was searched for */
	char *answer;     /* as shown */
} turn;

struct chat {
	store *st;
	answerer *ans;
	generator *gen;
	chat_params p;
	char *collection;
	int64_t id;
	turn *turns;
	size_t nturns, cap;
};

chat_params chat_default_params(void)
{
	chat_params p;
	memset(&p, 0, sizeof p);
	p.answer = answer_default_params();
	p.rewrite_max_tokens = 32;
	p.persist = 1;
	return p;
}

static void turn_free(turn *t)
{
	free(t->question);
	free(t->sent);
	free(t->query);
	free(t->answer);
	memset(t, 0, sizeof *t);
}

static char *dup_or_null(const char *s, int *oom)
{
	char *d;
	if (!s)
		return NULL;
	if (!(d = strdup(s)))
		*oom = 1;
	return d;
}

int chat_open(chat **out, store *s, answerer *a, generator *g, const chat_params *p)
{
	chat *c = calloc(1, sizeof *c);
	int oom = 0;

	*out = NULL;
	if (!c)
		return docent_error_set(DOCENT_ENOMEM, "out of memory");
	c->st = s;
	c->ans = a;
	c->gen = g;
	c->p = p ? *p : chat_default_params();
	if (c->p.context_tokens <= 0)
		c->p.context_tokens = 8192;
	if (c->p.rewrite_max_tokens <= 0)
		c->p.rewrite_max_tokens = 32;
	c->collection = dup_or_null(c->p.answer.retrieve.search.collection, &oom);
	if (oom) {
		free(c);
		return docent_error_set(DOCENT_ENOMEM, "out of memory");
	}
	*out = c;
	return 0;
}

void chat_reset(chat *c)
{
	for (size_t i = 0; i < c->nturns; i++)
		turn_free(&c->turns[i]);
	c->nturns = 0;
	c->id = 0;
}

void chat_close(chat *c)
{
	if (!c)
		return;
	chat_reset(c);
	free(c->turns);
	free(c->collection);
	free(c);
}

const char *chat_collection(const chat *c)
{
	return c->collection;
}

int64_t chat_id(const chat *c)
{
	return c->id;
}

size_t chat_turns(const chat *c)
{
	return c->nturns;
}

int chat_set_collection(chat *c, const char *collection)
{
	int oom = 0;
	char *d = dup_or_null(collection, &oom);
	int rc;

	if (oom)
		return docent_error_set(DOCENT_ENOMEM, "out of memory");
	if (c->id && c->p.persist &&
	    (rc = store_conv_set_collection(c->st, c->id, collection)) != 0) {
		free(d);
		return rc;
	}
	free(c->collection);
	c->collection = d;
	return 0;
}

/* Takes ownership of the strings of t (on failure too). */
static int turn_push(chat *c, turn *t)
{
	if (c->nturns == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;
		turn *v = realloc(c->turns, cap * sizeof *v);
		if (!v) {
			turn_free(t);
			return docent_error_set(DOCENT_ENOMEM, "out of memory");
		}
		c->turns = v;
		c->cap = cap;
	}
	c->turns[c->nturns++] = *t;
	return 0;
}

int chat_resume(chat *c, int64_t id)
{
	store_conv conv;
	store_conv_msg *m = NULL;
	size_t n = 0;
	int rc, oom = 0;

	if ((rc = store_conv_get(c->st, id, &conv)) != 0)
		return rc;
	if ((rc = store_conv_messages(c->st, id, &m, &n)) != 0) {
		store_conv_clear(&conv);
		return rc;
	}
	chat_reset(c);
	free(c->collection);
	c->collection = conv.collection;
	conv.collection = NULL;
	store_conv_clear(&conv);
	for (size_t i = 0; i < n && rc == 0; i++) {
		turn t = { 0 };
		if (strcmp(m[i].role, "user") != 0)
			continue; /* an answer without its question: nothing to show the model */
		t.question = dup_or_null(m[i].content, &oom);
		t.sent = dup_or_null(m[i].sent, &oom);
		t.query = dup_or_null(m[i].query, &oom);
		if (i + 1 < n && strcmp(m[i + 1].role, "assistant") == 0)
			t.answer = dup_or_null(m[++i].content, &oom);
		else
			t.answer = dup_or_null("", &oom);
		if (oom) {
			turn_free(&t);
			rc = docent_error_set(DOCENT_ENOMEM, "out of memory");
		} else {
			rc = turn_push(c, &t);
		}
	}
	store_conv_messages_free(m, n);
	if (rc) {
		chat_reset(c);
		return rc;
	}
	c->id = id;
	return 0;
}

/* ---- rewriting without a model ---- */

typedef struct words {
	char **w;
	size_t n, cap;
} words;

static void words_free(words *ws)
{
	for (size_t i = 0; i < ws->n; i++)
		free(ws->w[i]);
	free(ws->w);
	memset(ws, 0, sizeof *ws);
}

static int words_has(const words *ws, const char *w)
{
	for (size_t i = 0; i < ws->n; i++)
		if (strcmp(ws->w[i], w) == 0)
			return 1;
	return 0;
}

/* The case-folded words of s (all, or only content words), each once. */
static int words_of(const char *s, int content_only, words *out)
{
	size_t n = strlen(s), pos = 0, a, b;
	dbuf f = DBUF_INIT;
	int rc = 0;

	memset(out, 0, sizeof *out);
	while (rc == 0 && text_next_word(s, n, pos, &a, &b)) {
		pos = b;
		dbuf_reset(&f);
		if ((rc = text_casefold(s + a, b - a, &f)) != 0) {
			rc = DOCENT_ENOMEM;
			break;
		}
		if (content_only && store_is_stopword(f.data, strlen(f.data)))
			continue;
		if (words_has(out, f.data))
			continue;
		if (out->n == out->cap) {
			size_t cap = out->cap ? out->cap * 2 : 16;
			char **v = realloc(out->w, cap * sizeof *v);
			if (!v) {
				rc = DOCENT_ENOMEM;
				break;
			}
			out->w = v;
			out->cap = cap;
		}
		if (!(out->w[out->n] = strdup(f.data))) {
			rc = DOCENT_ENOMEM;
			break;
		}
		out->n++;
	}
	dbuf_free(&f);
	if (rc) {
		words_free(out);
		return docent_error_set(DOCENT_ENOMEM, "out of memory");
	}
	return 0;
}

/* Whether a question leans on the one before: it starts like a follow-up,
 * points back, or has at most one content word of its own. */
static int is_follow_up(const words *all, const words *content)
{
	static const char *const starts[] = { "and", "or", "but", "also", "so", "then",
					      "plus", "same", NULL };
	static const char *const back[] = { "it", "its", "they", "them", "their", "this",
					    "that", "these", "those", "he", "she", "him",
					    "his", "her", "there", "ones", NULL };

	if (content->n <= 1)
		return 1;
	if (all->n > 0)
		for (int i = 0; starts[i]; i++)
			if (strcmp(all->w[0], starts[i]) == 0)
				return 1;
	/* "what about X", "how about X" */
	if (all->n > 1 && strcmp(all->w[1], "about") == 0 &&
	    (strcmp(all->w[0], "what") == 0 || strcmp(all->w[0], "how") == 0))
		return 1;
	for (size_t i = 0; i < all->n; i++)
		for (int j = 0; back[j]; j++)
			if (strcmp(all->w[i], back[j]) == 0)
				return 1;
	return 0;
}

int chat_rewrite_terms(const char *previous, const char *question, char **out)
{
	words all = { 0 }, mine = { 0 }, prev = { 0 };
	dbuf b = DBUF_INIT;
	int rc, carried = 0;

	*out = NULL;
	if (!previous || !*previous) {
		if (!(*out = strdup(question)))
			return docent_error_set(DOCENT_ENOMEM, "out of memory");
		return 0;
	}
	if ((rc = words_of(question, 0, &all)) != 0 || (rc = words_of(question, 1, &mine)) != 0 ||
	    (rc = words_of(previous, 1, &prev)) != 0)
		goto done;
	if (!is_follow_up(&all, &mine)) {
		if (!(*out = strdup(question)))
			rc = docent_error_set(DOCENT_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < mine.n && rc == 0; i++)
		rc = (b.len && dbuf_putc(&b, ' ')) || dbuf_puts(&b, mine.w[i]);
	for (size_t i = 0; i < prev.n && carried < CARRIED_WORDS && rc == 0; i++) {
		if (words_has(&mine, prev.w[i]))
			continue;
		rc = (b.len && dbuf_putc(&b, ' ')) || dbuf_puts(&b, prev.w[i]);
		carried++;
	}
	if (rc == 0 && b.len == 0)
		rc = dbuf_puts(&b, question);
	if (rc == 0)
		*out = dbuf_detach(&b, NULL);
	if (!*out)
		rc = docent_error_set(DOCENT_ENOMEM, "out of memory");
done:
	dbuf_free(&b);
	words_free(&all);
	words_free(&mine);
	words_free(&prev);
	return rc;
}

/* ---- the history as the model saw it ---- */

/* Tokens of s by the model's own tokenizer when it has one, else
 * over-estimated (about 4 bytes a token in English; 3 leaves room for
 * other languages and numbers), plus a message's template tokens. */
static size_t est_tokens(const chat *c, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (c->gen && generator_counts_tokens(c->gen))
		return generator_count_tokens(c->gen, s ? s : "", n) + 8;
	return n / 3 + 8;
}

/*
 * The history to send before `question`: msgs (2 per kept turn) point into
 * the turns. Oldest turns lose their context first, then go, until the
 * history, the instructions, the new turn's context and question and the
 * answer fit in the context window.
 */
static int history_build(chat *c, const char *question, chat_message **out, size_t *n)
{
	const answer_params *ap = &c->p.answer;
	const char *sys = ap->system_prompt ? ap->system_prompt : prompt_builtin("ask_system");
	const char *usr = ap->user_prompt ? ap->user_prompt : prompt_builtin("ask_user");
	size_t reserve = est_tokens(c, sys) + est_tokens(c, usr) + est_tokens(c, question) +
			 ap->pack.budget_tokens + (size_t)(ap->gen.max_tokens > 0 ? ap->gen.max_tokens : 512);
	size_t budget = (size_t)c->p.context_tokens > reserve ? (size_t)c->p.context_tokens - reserve : 0;
	size_t total = 0, first = 0, bare = 0; /* turns [first, bare) are sent without context */
	chat_message *m;

	*out = NULL;
	*n = 0;
	for (size_t i = 0; i < c->nturns; i++)
		total += est_tokens(c, c->turns[i].sent ? c->turns[i].sent : c->turns[i].question) +
			 est_tokens(c, c->turns[i].answer);
	while (total > budget && bare < c->nturns) {
		const turn *t = &c->turns[bare++];
		if (t->sent)
			total -= est_tokens(c, t->sent) - est_tokens(c, t->question);
	}
	while (total > budget && first < c->nturns) {
		const turn *t = &c->turns[first++];
		total -= est_tokens(c, t->question) + est_tokens(c, t->answer);
	}
	if (first == c->nturns)
		return 0;
	if (!(m = calloc(2 * (c->nturns - first), sizeof *m)))
		return docent_error_set(DOCENT_ENOMEM, "out of memory");
	for (size_t i = first; i < c->nturns; i++) {
		const turn *t = &c->turns[i];
		m[*n].role = "user";
		m[(*n)++].content = t->sent && i >= bare ? t->sent : t->question;
		m[*n].role = "assistant";
		m[(*n)++].content = t->answer ? t->answer : "";
	}
	*out = m;
	return 0;
}

/* ---- rewriting with the model ---- */

typedef struct rewrite_out {
	dbuf text;
	const volatile int *cancel;
} rewrite_out;

static int collect_piece(void *ctx, const char *piece, size_t n)
{
	rewrite_out *r = ctx;
	return dbuf_append(&r->text, piece, n) != 0 || r->text.len > MAX_QUERY_BYTES * 2 ||
	       (r->cancel && *r->cancel);
}

/* The first non-empty line of the model's reply, without a "Query:" label
 * or quotes; NULL when nothing usable is left. */
static char *clean_query(const char *s)
{
	static const char *const labels[] = { "standalone search query:", "search query:",
					      "query:", NULL };
	const char *e;
	size_t n;

	while (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t')
		s++;
	e = strpbrk(s, "\r\n");
	n = e ? (size_t)(e - s) : strlen(s);
	for (int i = 0; labels[i]; i++) {
		size_t l = strlen(labels[i]);
		if (n >= l && strncasecmp(s, labels[i], l) == 0) {
			s += l;
			n -= l;
			break;
		}
	}
	while (n > 0 && strchr(" \t\"'`*", *s)) {
		s++;
		n--;
	}
	while (n > 0 && strchr(" \t\"'`*", s[n - 1]))
		n--;
	if (n == 0 || n > MAX_QUERY_BYTES || !text_utf8_valid(s, n))
		return NULL;
	return strndup(s, n);
}

/*
 * Asks the model for the query. The prompt goes after the conversation as
 * the answer will see it, so both share the prefix the model has cached.
 * *out is NULL when the reply is unusable.
 */
static int rewrite_with_model(chat *c, const char *question, char **out)
{
	const answer_params *ap = &c->p.answer;
	const char *sys = ap->system_prompt ? ap->system_prompt : prompt_builtin("ask_system");
	const char *tmpl = c->p.rewrite_prompt ? c->p.rewrite_prompt : prompt_builtin("chat_rewrite");
	prompt_var vars[2];
	chat_message *hist = NULL, *msgs = NULL;
	size_t nhist = 0;
	dbuf earlier = DBUF_INIT;
	rewrite_out reply = { DBUF_INIT, c->p.cancel };
	char *user = NULL;
	gen_options o = ap->gen;
	gen_result res = { 0 };
	int rc = 0;

	*out = NULL;
	for (size_t i = c->nturns > REWRITE_HISTORY ? c->nturns - REWRITE_HISTORY : 0;
	     i < c->nturns && rc == 0; i++)
		rc = dbuf_printf(&earlier, "%s%s", earlier.len ? "\n" : "", c->turns[i].question);
	if (rc == 0 && !earlier.data)
		rc = dbuf_puts(&earlier, "");
	if (rc) {
		rc = docent_error_set(DOCENT_ENOMEM, "out of memory");
		goto done;
	}
	vars[0] = (prompt_var){ "history", earlier.data };
	vars[1] = (prompt_var){ "question", question };
	if ((rc = prompt_render(tmpl ? tmpl : "{{history}}\n{{question}}", vars, 2, NULL, &user)) != 0 ||
	    (rc = history_build(c, question, &hist, &nhist)) != 0)
		goto done;
	if (!(msgs = calloc(nhist + 2, sizeof *msgs))) {
		rc = docent_error_set(DOCENT_ENOMEM, "out of memory");
		goto done;
	}
	msgs[0] = (chat_message){ "system", sys ? sys : "" };
	for (size_t i = 0; i < nhist; i++)
		msgs[1 + i] = hist[i];
	msgs[1 + nhist] = (chat_message){ "user", user };
	o.temperature = 0;
	o.max_tokens = c->p.rewrite_max_tokens;
	o.stop = NULL;
	o.nstop = 0;
	if ((rc = generator_chat(c->gen, msgs, nhist + 2, &o, collect_piece, &reply, &res)) != 0)
		goto done;
	if (res.stopped_by != GEN_STOP_CANCELLED && reply.text.data)
		*out = clean_query(reply.text.data);
done:
	dbuf_free(&earlier);
	dbuf_free(&reply.text);
	free(user);
	free(hist);
	free(msgs);
	return rc;
}

int chat_rewrite(chat *c, const char *question, char **out)
{
	int rc;

	*out = NULL;
	if (c->nturns == 0) {
		if (!(*out = strdup(question)))
			return docent_error_set(DOCENT_ENOMEM, "out of memory");
		return 0;
	}
	if (c->gen) {
		rc = rewrite_with_model(c, question, out);
		if (rc == DOCENT_ENOMEM)
			return rc;
		if (rc == 0 && *out)
			return 0;
		/* a model that fails here still gets its chance to answer */
	}
	return chat_rewrite_terms(c->turns[c->nturns - 1].query, question, out);
}

/* ---- a turn ---- */

char *chat_citations_json(const answer_result *r)
{
	/* the same citations as the answer's JSON, passages' text included, so
	 * that a stored conversation shows its sources without the store */
	json_t *a = answer_citations_json(r);
	char *s;

	if (!a)
		return NULL;
	s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return s;
}

static int persist_turn(chat *c, const turn *t, const answer_result *r)
{
	store_conv_msg m[2];
	char *cites;
	int rc;

	if (!c->p.persist)
		return 0;
	if (!(cites = chat_citations_json(r)))
		return docent_error_set(DOCENT_ENOMEM, "out of memory");
	memset(m, 0, sizeof m);
	m[0].role = "user";
	m[0].content = t->question;
	m[0].sent = t->sent;
	m[0].query = t->query;
	m[1].role = "assistant";
	m[1].content = t->answer;
	m[1].mode = (char *)answer_mode_name(r->mode);
	m[1].citations = cites;
	rc = 0;
	if (!c->id && (rc = store_conv_create(c->st, t->question, c->collection, &c->id)) != 0)
		c->id = 0;
	if (rc == 0)
		rc = store_conv_append(c->st, c->id, m, 2);
	free(cites);
	return rc;
}

int chat_ask(chat *c, const char *question, const char *query, gen_piece_fn fn, void *ctx,
	     answer_result *out)
{
	answer_params ap = c->p.answer;
	chat_message *hist = NULL;
	size_t nhist = 0;
	char *rewritten = NULL, *sent = NULL;
	turn t = { 0 };
	int rc, oom = 0;

	memset(out, 0, sizeof *out);
	if (!query) {
		if ((rc = chat_rewrite(c, question, &rewritten)) != 0)
			return rc;
		query = rewritten;
	}
	if ((rc = history_build(c, question, &hist, &nhist)) != 0)
		goto done;
	ap.retrieve.search.collection = c->collection;
	rc = answer_ask(c->ans, question, query, hist, nhist, &ap, fn, ctx, out, &sent);
	if (rc)
		goto done;
	t.question = dup_or_null(question, &oom);
	t.query = dup_or_null(query, &oom);
	t.answer = dup_or_null(out->text ? out->text : "", &oom);
	t.sent = sent;
	sent = NULL;
	if (oom) {
		turn_free(&t);
		rc = docent_error_set(DOCENT_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = persist_turn(c, &t, out)) != 0) {
		turn_free(&t);
		goto done;
	}
	rc = turn_push(c, &t);
done:
	if (rc)
		answer_result_free(out);
	free(hist);
	free(rewritten);
	free(sent);
	return rc;
}
