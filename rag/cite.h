/*
 * cite.h - checking the citations of a generated answer, as it streams.
 *
 * The model is asked to cite the numbered passages of its context as [1],
 * [2] or [1, 3]. A small model also writes numbers that name no passage
 * ([7] with five passages, [0]) and forms such as "[Source 2]". The filter
 * sits between the generator and the reader: it holds back text from a
 * '[' until it knows whether a citation follows, passes valid citations
 * through in the plain form "[n]" (several as "[1][3]"), drops numbers
 * that name no passage (recording them), and lets everything else through
 * unchanged. Because the valid numbers (1..npassages) are known before
 * generation starts, an answer never shows a bad citation, even streamed.
 *
 * Ownership: cite_filter_new() returns a filter freed by cite_filter_free().
 * One filter per answer; not thread-safe.
 */
#ifndef DOCENT_RAG_CITE_H
#define DOCENT_RAG_CITE_H

#include <stddef.h>

/* Receives the filtered text; non-zero stops (as gen_piece_fn). */
typedef int (*cite_out_fn)(void *ctx, const char *text, size_t n);

typedef struct cite_filter cite_filter;

/* A filter for an answer over passages numbered 1..npassages. */
int cite_filter_new(cite_filter **out, int npassages, cite_out_fn fn, void *ctx);
void cite_filter_free(cite_filter *f);

/* Feeds generated text; returns what fn returned (non-zero: stop), or
 * DOCENT_ENOMEM. */
int cite_filter_put(cite_filter *f, const char *text, size_t n);

/* Flushes text held back at the end of the answer. */
int cite_filter_end(cite_filter *f);

/* The filtered answer so far (borrowed; valid until the next call). */
const char *cite_filter_text(const cite_filter *f);

/* The valid numbers cited, in order of first citation, without repeats;
 * and the invalid numbers that were removed, in order, without repeats.
 * Borrowed arrays, valid until the filter is freed. */
const int *cite_filter_cited(const cite_filter *f, size_t *n);
const int *cite_filter_invalid(const cite_filter *f, size_t *n);

/* Checks a whole answer at once: writes the filtered text to *out (caller
 * frees) and the cited and invalid numbers to the caller's arrays (caller
 * frees both; NULL when none). */
int cite_check(const char *answer, int npassages, char **out, int **cited, size_t *ncited,
	       int **invalid, size_t *ninvalid);

#endif
