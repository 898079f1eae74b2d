/*
 * sentence.c - sentence boundaries (see sentence.h).
 *
 * One global PCRE2 scan finds candidate boundaries: a cluster of end
 * punctuation with its closing quotes or brackets followed by white space,
 * a CJK full stop, or a line break before a blank line, a list marker or a
 * bullet. Each candidate is then judged from a bounded window around it: two
 * anchored patterns classify the word before a period (abbreviation,
 * initial, enumerator) and the start of what follows (a lower-case word
 * continues the sentence). Every window is bounded and the scan only moves
 * forward, so the whole split is linear in the input.
 *
 * The patterns are compiled with PCRE2_MATCH_INVALID_UTF: the caller's text
 * need not be valid UTF-8, and PCRE2 does not re-check the subject on each
 * of the thousands of calls per document (which would be quadratic).
 */
#include "ingest/sentence.h"
#include "core/error.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Closing quotes and brackets that may follow end punctuation. */
#define CLOSERS "[\"'\\x{201D}\\x{2019}\\x{00BB}\\x{203A})\\]}\\x{300D}\\x{300F}\\x{FF09}\\x{3011}]"

/*
 * Candidates. Group 1: western end punctuation (. ! ? ellipsis, Arabic
 * question mark, Devanagari danda, double marks) with closers, before white
 * space or the end. Group 2: CJK full stops, which need no space after.
 * Group 3: a line break before a blank line, a bullet or a list marker.
 */
static const char scan_src[] =
	"([.!?\\x{2026}\\x{061F}\\x{0964}\\x{203C}\\x{2047}-\\x{2049}]+)" CLOSERS "*+(?=\\s|\\z)"
	"|([\\x{3002}\\x{FF01}\\x{FF1F}\\x{FF61}]+)" CLOSERS "*+"
	"|(\\n)(?=[ \\t]*+(?:\\n|(?:[-*+\\x{2022}\\x{2023}\\x{25E6}\\x{2043}\\x{2013}\\x{2014}]"
	"|\\d{1,3}[.)]|\\p{L}[.)]|\\(\\w{1,3}\\))[ \\t]))";

/*
 * The word before a single period (matched against that word alone).
 * Group 1: abbreviations never ending a sentence. Group 2: abbreviations
 * that precede a number ("No. 5", "p. 12") and are words otherwise ("no").
 * Group 3: an initial. Group 4: dotted abbreviations ("e.g", "U.S", "a.m",
 * "Ph.D").
 * Group 5: enumerators ("1", "4.2.1", "iv", "b"), meaningful at a line start.
 */
static const char token_src[] =
	"[\\p{Ps}\\p{Pi}\"'\\x{00BF}\\x{00A1}]*+(?:"
	"(?i:(etc|vs|cf|viz|al|approx|dept|incl|resp|"
	"dr|mr|mrs|ms|mx|mme|mlle|messrs|prof|rev|hon|gen|col|capt|lt|sgt|st|jr|sr|"
	"inc|ltd|co|corp|bros|"
	"jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec|"
	"fig|figs|vol|vols|pp|eq|eqs|ref|refs))"
	"|(?i:(no|nos|p|c|ca|sec|ch|art|para))"
	"|(\\p{Lu})"
	"|((?:\\p{L}{1,2}\\.)+\\p{L}{1,2})"
	"|(\\d{1,3}(?:\\.\\d{1,3})*|[ivxlc]{1,6}|[IVXLC]{1,6}|\\p{L})"
	")\\z";

/* What follows a candidate. Group 1: a continuation (lower-case word or
 * clause punctuation). Group 2: a number. */
static const char next_src[] = "\\s*+(?:(\\p{Ll}|[,;:%)\\]}])|(\\p{N}))?";

enum { TOK_ALWAYS = 1, TOK_BEFORE_NUMBER, TOK_INITIAL, TOK_DOTTED, TOK_ENUM };

/* A word longer than this is no abbreviation; it bounds the look-back. */
#define TOKEN_MAX 40

static pthread_once_t once = PTHREAD_ONCE_INIT;
static pcre2_code *re_scan, *re_token, *re_next;
static char init_error[256];

static pcre2_code *compile(const char *src, uint32_t extra)
{
	int err;
	PCRE2_SIZE at;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)src, PCRE2_ZERO_TERMINATED,
				       PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF | extra,
				       &err, &at, NULL);
	if (!re) {
		PCRE2_UCHAR msg[160];
		pcre2_get_error_message(err, msg, sizeof msg);
		snprintf(init_error, sizeof init_error, "sentence pattern at offset %zu: %s",
			 (size_t)at, (char *)msg);
		return NULL;
	}
	pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* interpreted when JIT is absent */
	return re;
}

static void init(void)
{
	re_scan = compile(scan_src, 0);
	re_token = compile(token_src, PCRE2_ANCHORED);
	re_next = compile(next_src, PCRE2_ANCHORED);
}

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* The first group (1..ngroups) that took part in the last match, or 0. */
static int group_set(pcre2_match_data *md, int ngroups)
{
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
	uint32_t have = pcre2_get_ovector_count(md);

	for (int g = 1; g <= ngroups && (uint32_t)g < have; g++)
		if (ov[2 * g] != PCRE2_UNSET)
			return g;
	return 0;
}

typedef struct ends_buf {
	size_t *v;
	size_t n, cap;
} ends_buf;

static int push(ends_buf *e, size_t end)
{
	if (e->n && e->v[e->n - 1] >= end)
		return 0; /* keep ends strictly increasing: sentences are never empty */
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 32;
		size_t *v = realloc(e->v, cap * sizeof *v);
		if (!v)
			return DOCENT_ENOMEM;
		e->v = v;
		e->cap = cap;
	}
	e->v[e->n++] = end;
	return 0;
}

/* Does the period at s[dot] end a sentence, judging by the word before it?
 * `next_is_number`: what follows starts with a digit. Returns 1 for a
 * boundary, 0 for none, a negative code when matching failed. */
static int period_ends(const char *s, size_t dot, int next_is_number, pcre2_match_data *md)
{
	size_t t = dot, floor = dot > TOKEN_MAX ? dot - TOKEN_MAX : 0;
	int rc, kind;

	while (t > floor && !is_space((unsigned char)s[t - 1]))
		t--;
	if (t == dot || (t == floor && floor > 0 && !is_space((unsigned char)s[t - 1])))
		return 1; /* nothing before the period, or a word too long to be an abbreviation */
	rc = pcre2_match(re_token, (PCRE2_SPTR)s + t, dot - t, 0, 0, md, NULL);
	if (rc == PCRE2_ERROR_NOMATCH)
		return 1;
	if (rc < 0)
		return rc;
	kind = group_set(md, 5);
	switch (kind) {
	case TOK_ALWAYS: case TOK_INITIAL: case TOK_DOTTED:
		return 0;
	case TOK_BEFORE_NUMBER:
		return !next_is_number;
	case TOK_ENUM: {
		/* "1." or "iv." opening a line is a list marker, not a sentence */
		size_t j = t, stop = t > 64 ? t - 64 : 0;
		while (j > stop && (s[j - 1] == ' ' || s[j - 1] == '\t'))
			j--;
		return !(j == 0 || s[j - 1] == '\n');
	}
	}
	return 1;
}

int sentence_split(const char *s, size_t n, size_t **ends, size_t *count)
{
	pcre2_match_data *md = NULL, *md2 = NULL;
	ends_buf e = {0};
	size_t pos = 0, last;
	int rc = 0, perr = 0; /* perr: a PCRE2 error code (its numbers overlap ours) */

	*ends = NULL;
	*count = 0;
	pthread_once(&once, init);
	if (!re_scan || !re_token || !re_next)
		return docent_error_set(DOCENT_EINVAL, "%s", init_error);
	md = pcre2_match_data_create(8, NULL);
	md2 = pcre2_match_data_create(8, NULL);
	if (!md || !md2) {
		rc = DOCENT_ENOMEM;
		goto done;
	}
	while (pos < n) {
		int m = pcre2_match(re_scan, (PCRE2_SPTR)s, n, pos, 0, md, NULL);
		if (m == PCRE2_ERROR_NOMATCH)
			break;
		if (m < 0) {
			perr = m;
			goto done;
		}
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
		size_t mstart = ov[0], mend = ov[1];
		int g = group_set(md, 3);

		pos = mend; /* every alternative consumes at least one character */
		if (g == 3) {
			/* a line break: the sentence ends at the last non-space before it;
			 * resume after the white space so a run of blank lines is seen once */
			size_t end = mstart;
			while (end > 0 && is_space((unsigned char)s[end - 1]))
				end--;
			while (pos < n && is_space((unsigned char)s[pos]))
				pos++;
			if (end > 0 && (rc = push(&e, end)))
				goto done;
			continue;
		}
		if (g == 2) {
			if ((rc = push(&e, mend)))
				goto done;
			continue;
		}
		/* western end punctuation: look at what follows */
		int nm = pcre2_match(re_next, (PCRE2_SPTR)s, n, mend, 0, md2, NULL);
		if (nm < 0) {
			perr = nm;
			goto done;
		}
		int follow = group_set(md2, 2);
		if (follow == 1)
			continue; /* a lower-case word or a comma: the sentence goes on */
		size_t pstart = ov[2], plen = ov[3] - ov[2];
		if (plen == 1 && s[pstart] == '.') {
			int b = period_ends(s, pstart, follow == 2, md2);
			if (b < 0) {
				perr = b;
				goto done;
			}
			if (!b)
				continue;
		}
		if ((rc = push(&e, mend)))
			goto done;
	}
	/* the last sentence ends at the text's last non-space byte; push() drops
	 * it when a boundary was already found there */
	last = n;
	while (last > 0 && is_space((unsigned char)s[last - 1]))
		last--;
	if (last > 0)
		rc = push(&e, last);
done:
	pcre2_match_data_free(md);
	pcre2_match_data_free(md2);
	if (rc || perr) {
		free(e.v);
		if (rc)
			return docent_error_set(rc, "out of memory splitting sentences");
		PCRE2_UCHAR msg[160];
		pcre2_get_error_message(perr, msg, sizeof msg);
		return docent_error_set(DOCENT_EINVAL, "sentence split failed: %s", (char *)msg);
	}
	*ends = e.v;
	*count = e.n;
	return 0;
}
