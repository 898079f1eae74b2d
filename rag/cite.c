/*
 * cite.c - the streaming citation filter (cite.h).
 *
 * Text outside brackets passes at once. From a '[' on, text is held until
 * the bracket closes or can no longer be a citation (a character that no
 * citation has, or more than HOLD_MAX bytes). A citation is a list of
 * numbers and ranges ("2", "1, 3", "1-3", "2 and 4"), optionally after a
 * word such as "Source" or "Passage" and a colon ("[Source 2]").
 */
#include "rag/cite.h"
#include "core/buf.h"
#include "core/error.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOLD_MAX 40
#define RANGE_MAX 10 /* "[1-40]" is not a citation of forty passages */

typedef struct intset {
	int *v;
	size_t n, cap;
} intset;

struct cite_filter {
	int npassages;
	cite_out_fn fn;
	void *ctx;
	char hold[HOLD_MAX + 1];
	size_t nhold;          /* 0: not inside a bracket */
	dbuf text;             /* everything emitted */
	intset cited, invalid;
};

static int intset_add(intset *s, int v)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i] == v)
			return 0;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		int *nv = realloc(s->v, cap * sizeof *nv);
		if (!nv)
			return DOCENT_ENOMEM;
		s->v = nv;
		s->cap = cap;
	}
	s->v[s->n++] = v;
	return 0;
}

static int emit(cite_filter *f, const char *s, size_t n)
{
	if (n == 0)
		return 0;
	if (dbuf_append(&f->text, s, n))
		return DOCENT_ENOMEM;
	return f->fn ? f->fn(f->ctx, s, n) : 0;
}

/*
 * Parses the inside of a bracket. Returns the count of numbers written to
 * nums (at most max), or -1 when it is not a citation.
 */
static int parse_citation(const char *s, size_t n, int *nums, int max)
{
	size_t i = 0;
	int count = 0;

	/* an optional leading word: "Source 2", "passage: 3", "doc 1" */
	if (i < n && isalpha((unsigned char)s[i])) {
		while (i < n && isalpha((unsigned char)s[i]))
			i++;
		if (i < n && s[i] == ':')
			i++;
		if (i >= n || s[i] != ' ')
			return -1;
	}
	for (;;) {
		long a, b;
		while (i < n && (s[i] == ' ' || s[i] == ',' || s[i] == ';'))
			i++;
		if (i + 3 <= n && strncmp(s + i, "and", 3) == 0) {
			i += 3;
			continue;
		}
		if (i == n)
			break;
		if (!isdigit((unsigned char)s[i]))
			return -1;
		a = 0;
		while (i < n && isdigit((unsigned char)s[i]) && a < 100000)
			a = a * 10 + (s[i++] - '0');
		b = a;
		if (i < n && (s[i] == '-' || (unsigned char)s[i] == 0xE2)) {
			/* "1-3", or "1–3" with an en dash (E2 80 93) */
			size_t j = i + ((unsigned char)s[i] == 0xE2 ? 3 : 1);
			if (j > n || ((unsigned char)s[i] == 0xE2 && memcmp(s + i, "\xE2\x80\x93", 3)))
				return -1;
			i = j;
			if (i >= n || !isdigit((unsigned char)s[i]))
				return -1;
			b = 0;
			while (i < n && isdigit((unsigned char)s[i]) && b < 100000)
				b = b * 10 + (s[i++] - '0');
			if (b < a || b - a > RANGE_MAX)
				return -1;
		}
		for (long v = a; v <= b; v++) {
			if (count == max)
				return -1;
			nums[count++] = (int)v;
		}
	}
	return count > 0 ? count : -1;
}

/* The bracket closed: emits the citation, or the held text unchanged. */
static int close_bracket(cite_filter *f)
{
	int nums[HOLD_MAX];
	int count = parse_citation(f->hold + 1, f->nhold - 1, nums, HOLD_MAX);
	int rc = 0;

	if (count < 0) {
		rc = emit(f, f->hold, f->nhold);
		if (rc == 0)
			rc = emit(f, "]", 1);
		f->nhold = 0;
		return rc;
	}
	f->nhold = 0;
	for (int i = 0; i < count && rc == 0; i++) {
		if (nums[i] >= 1 && nums[i] <= f->npassages) {
			char buf[16];
			int len = snprintf(buf, sizeof buf, "[%d]", nums[i]);
			if ((rc = intset_add(&f->cited, nums[i])) == 0)
				rc = emit(f, buf, (size_t)len);
		} else {
			rc = intset_add(&f->invalid, nums[i]);
		}
	}
	return rc;
}

/* Could the held text still become a citation once more text comes? */
static int could_be_citation(int c)
{
	return isalnum(c) || c == ' ' || c == ',' || c == ';' || c == ':' || c == '-' ||
	       c == 0xE2 || c == 0x80 || c == 0x93;
}

int cite_filter_new(cite_filter **out, int npassages, cite_out_fn fn, void *ctx)
{
	cite_filter *f = calloc(1, sizeof *f);
	if (!f)
		return docent_error_set(DOCENT_ENOMEM, "out of memory");
	f->npassages = npassages;
	f->fn = fn;
	f->ctx = ctx;
	if (dbuf_puts(&f->text, "")) {
		free(f);
		return docent_error_set(DOCENT_ENOMEM, "out of memory");
	}
	*out = f;
	return 0;
}

void cite_filter_free(cite_filter *f)
{
	if (!f)
		return;
	dbuf_free(&f->text);
	free(f->cited.v);
	free(f->invalid.v);
	free(f);
}

int cite_filter_put(cite_filter *f, const char *s, size_t n)
{
	size_t start = 0;
	int rc;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (f->nhold == 0) {
			if (c != '[')
				continue;
			if ((rc = emit(f, s + start, i - start)) != 0)
				return rc;
			f->hold[f->nhold++] = '[';
			start = i + 1;
			continue;
		}
		/* inside a bracket */
		start = i + 1;
		if (c == ']') {
			if ((rc = close_bracket(f)) != 0)
				return rc;
		} else if (c == '[') {
			/* "[[1]": the first '[' was text */
			if ((rc = emit(f, f->hold, f->nhold)) != 0)
				return rc;
			f->nhold = 1;
		} else if (!could_be_citation(c) || f->nhold == HOLD_MAX) {
			f->hold[f->nhold++] = (char)c;
			rc = emit(f, f->hold, f->nhold);
			f->nhold = 0;
			if (rc)
				return rc;
		} else {
			f->hold[f->nhold++] = (char)c;
		}
	}
	if (f->nhold == 0)
		return emit(f, s + start, n - start);
	return 0;
}

int cite_filter_end(cite_filter *f)
{
	int rc = emit(f, f->hold, f->nhold);
	f->nhold = 0;
	return rc;
}

const char *cite_filter_text(const cite_filter *f)
{
	return f->text.data ? f->text.data : "";
}

const int *cite_filter_cited(const cite_filter *f, size_t *n)
{
	*n = f->cited.n;
	return f->cited.v;
}

const int *cite_filter_invalid(const cite_filter *f, size_t *n)
{
	*n = f->invalid.n;
	return f->invalid.v;
}

static int copy_ints(const int *v, size_t n, int **out)
{
	*out = NULL;
	if (n == 0)
		return 0;
	if (!(*out = malloc(n * sizeof **out)))
		return DOCENT_ENOMEM;
	memcpy(*out, v, n * sizeof **out);
	return 0;
}

int cite_check(const char *answer, int npassages, char **out, int **cited, size_t *ncited,
	       int **invalid, size_t *ninvalid)
{
	cite_filter *f;
	const int *v;
	int rc;

	*out = NULL;
	*cited = *invalid = NULL;
	*ncited = *ninvalid = 0;
	if ((rc = cite_filter_new(&f, npassages, NULL, NULL)) != 0)
		return rc;
	rc = cite_filter_put(f, answer, strlen(answer));
	if (rc == 0)
		rc = cite_filter_end(f);
	if (rc == 0 && !(*out = strdup(cite_filter_text(f))))
		rc = DOCENT_ENOMEM;
	if (rc == 0) {
		v = cite_filter_cited(f, ncited);
		rc = copy_ints(v, *ncited, cited);
	}
	if (rc == 0) {
		v = cite_filter_invalid(f, ninvalid);
		rc = copy_ints(v, *ninvalid, invalid);
	}
	cite_filter_free(f);
	if (rc) {
		free(*out);
		free(*cited);
		*out = NULL;
		*cited = NULL;
		*ncited = *ninvalid = 0;
		return docent_error_set(DOCENT_ENOMEM, "out of memory checking citations");
	}
	return 0;
}
