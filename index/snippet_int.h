/*
 * snippet_int.h - search snippets: the sentence or table row of a hit's text
 * that holds the most query terms, the terms marked (internal to index/:
 * search.c makes them, tests/index/test_snippet.c checks them).
 *
 * Two halves, so that no snippet needs an FTS5 query (which opens and
 * seeks a cursor per term for every hit):
 *   - snippet_make() is plain text work. Given the text, its tokens' byte
 *     spans and where the query's terms are in it, it picks the unit and
 *     writes the snippet.
 *   - snippet_query finds those places. It holds an instance of the store's
 *     own FTS5 tokenizer and the query's terms as that tokenizer makes them
 *     (once per search: the stemmer maps "flows" and "flow" alike), then
 *     tokenizes each hit's text and compares token with token.
 * Neither is thread-safe; a snippet_query belongs to the connection whose
 * FTS5 API made it, and is freed before that connection closes.
 */
#ifndef DOCENT_INDEX_SNIPPET_INT_H
#define DOCENT_INDEX_SNIPPET_INT_H

#include <sqlite3.h>
#include <stddef.h>

/* A token's bytes in the text. */
typedef struct snippet_span {
	int start, end;
} snippet_span;

/* Query term `term` (its index in the query, < 64 to be told from
 * the others) found as the tokens [off, off + len). */
typedef struct snippet_match {
	int term, off, len;
} snippet_match;

/*
 * The snippet of text[0..n), whose tokens are tok[0..ntok) in order, for
 * the matches m[0..nm) (any order; those outside the tokens are ignored):
 * the sentence or table row holding the most distinct terms (a table's
 * first row, its header, counting a little less), the matches marked with
 * `open` and `close` (NULL: nothing), a multi-token match as one span. A
 * sentence shorter than `width` tokens (at least 4) grows by whole
 * neighbouring sentences, the next one then the one before, while they
 * fit; a longer one is cut to `width` tokens around its first match; a row
 * is always alone, so a table's snippet never shows another row's values.
 * An ellipsis marks where the text is cut. Sets *out (caller frees) to the
 * snippet, or to NULL when no match is in the text. Returns 0 or
 * DOCENT_ENOMEM with a message.
 */
int snippet_make(const char *text, int n, const snippet_span *tok, int ntok,
		 const snippet_match *m, int nm, const char *open, const char *close, int width,
		 char **out);

typedef struct snippet_query snippet_query;

/*
 * Tokenizes terms[0..nterms) (NUL-terminated, as the FTS5 query quotes
 * them: a term of several tokens is a phrase) with a new instance of the
 * tokenizer `tokenize` names (an FTS5 tokenize= string, "" for FTS5's
 * default) on the connection whose FTS5 API is `api` (borrowed, for the
 * life of the snippet_query). Terms past the 64th are not looked for.
 * Returns 0 or a DOCENT_E* code with a message (DOCENT_EDB when the
 * tokenizer cannot be made).
 */
int snippet_query_new(fts5_api *api, const char *tokenize, const char *const *terms,
		      size_t nterms, snippet_query **out);
void snippet_query_free(snippet_query *q);

/*
 * snippet_make() over text[0..n), its tokens and matches found with q's
 * tokenizer. *out is NULL (and 0 returned) when no term is in the text.
 * Returns 0 or a DOCENT_E* code with a message.
 */
int snippet_query_make(snippet_query *q, const char *text, size_t n, const char *open,
		       const char *close, int width, char **out);

#endif
