/*
 * fts_tokenizer.c - the "docent_stop" FTS5 tokenizer: another tokenizer
 * (unicode61 by default) with English stop words taken out.
 *
 * Stop words ("the", "of", "and" ...) are a third or more of the words of
 * English text, and a query never searches for them (search.c drops them
 * too), so indexing them only costs: FTS5's indexing is the slowest step of
 * an ingest, and they are its longest posting lists. New databases use
 * tokenize='porter docent_stop unicode61 remove_diacritics 2'; porter stems
 * what docent_stop lets through. The tokenizer must be registered on every
 * connection that reads or writes chunks_fts (store_fts_register), so the
 * sqlite3 shell cannot query that table by itself.
 */
#include "index/store_int.h"

#include <stdlib.h>
#include <string.h>

/* English function words, sorted (strcmp order). Words that are often
 * content in documents ("may", "will", "us", "won") are left out. */
static const char *const stopwords[] = {
	"a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and",
	"any", "are", "aren", "as", "at", "be", "because", "been", "before", "being", "below",
	"between", "both", "but", "by", "can", "cannot", "could", "couldn", "did", "do",
	"does", "doesn", "doing", "don", "down", "during", "each", "eg", "either", "etc",
	"every", "few", "for", "from", "further", "had", "hadn", "has", "hasn", "have",
	"haven", "having", "he", "her", "here", "hers", "herself", "him", "himself", "his",
	"how", "i", "ie", "if", "in", "into", "is", "isn", "it", "its", "itself", "just",
	"let", "many", "me", "might", "more", "most", "much", "must", "my", "myself",
	"neither", "no", "nor", "not", "now", "of", "off", "on", "once", "only", "or",
	"other", "our", "ours", "ourselves", "out", "over", "own", "per", "s", "same",
	"shall", "she", "should", "shouldn", "so", "some", "such", "t", "than", "that", "the",
	"their", "theirs", "them", "themselves", "then", "there", "these", "they", "this",
	"those", "through", "to", "too", "under", "until", "up", "upon", "very", "via",
	"was", "wasn", "we", "were", "weren", "what", "when", "where", "whether", "which",
	"while", "who", "whom", "whose", "why", "with", "within", "without",
	"would", "wouldn", "yet", "you", "your", "yours", "yourself", "yourselves",
};
#define NSTOP (sizeof stopwords / sizeof stopwords[0])

int store_is_stopword(const char *w, size_t n)
{
	size_t lo = 0, hi = NSTOP;

	if (n == 0 || n > 10)
		return 0; /* the longest stop word has 10 letters */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const char *s = stopwords[mid];
		int c = strncmp(s, w, n);
		if (c == 0 && s[n] != '\0')
			c = 1; /* s is longer: it sorts after w */
		if (c == 0)
			return 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

typedef struct stop_tokenizer {
	fts5_tokenizer parent;
	Fts5Tokenizer *inner;
} stop_tokenizer;

typedef struct stop_ctx {
	void *ctx;
	int (*token)(void *, int, const char *, int, int, int);
} stop_ctx;

static int stop_create(void *user, const char **argv, int argc, Fts5Tokenizer **out)
{
	fts5_api *api = user;
	const char *parent = argc > 0 ? argv[0] : "unicode61";
	stop_tokenizer *t = calloc(1, sizeof *t);
	void *puser = NULL;
	int rc;

	*out = NULL;
	if (!t)
		return SQLITE_NOMEM;
	rc = api->xFindTokenizer(api, parent, &puser, &t->parent);
	if (rc == SQLITE_OK)
		rc = t->parent.xCreate(puser, argc > 0 ? argv + 1 : NULL, argc > 0 ? argc - 1 : 0,
				       &t->inner);
	if (rc != SQLITE_OK) {
		free(t);
		return rc;
	}
	*out = (Fts5Tokenizer *)t;
	return SQLITE_OK;
}

static void stop_delete(Fts5Tokenizer *tok)
{
	stop_tokenizer *t = (stop_tokenizer *)tok;
	if (!t)
		return;
	t->parent.xDelete(t->inner);
	free(t);
}

static int stop_token(void *user, int flags, const char *tok, int n, int start, int end)
{
	stop_ctx *c = user;
	if (n > 0 && store_is_stopword(tok, (size_t)n))
		return SQLITE_OK;
	return c->token(c->ctx, flags, tok, n, start, end);
}

static int stop_tokenize(Fts5Tokenizer *tok, void *ctx, int flags, const char *text, int n,
			 int (*token)(void *, int, const char *, int, int, int))
{
	stop_tokenizer *t = (stop_tokenizer *)tok;
	stop_ctx c = { ctx, token };
	return t->parent.xTokenize(t->inner, &c, flags, text, n, stop_token);
}

/* The fts5_api of a connection, or NULL. */
static fts5_api *fts5_of(sqlite3 *db)
{
	fts5_api *api = NULL;
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_pointer(st, 1, &api, "fts5_api_ptr", NULL);
		sqlite3_step(st);
	}
	sqlite3_finalize(st);
	return api && api->iVersion >= 2 ? api : NULL;
}

int store_fts_register(sqlite3 *db)
{
	static fts5_tokenizer methods = { stop_create, stop_delete, stop_tokenize };
	fts5_api *api = fts5_of(db);

	if (!api)
		return SQLITE_ERROR;
	return api->xCreateTokenizer(api, "docent_stop", api, &methods, NULL);
}
